#!/usr/bin/env bash
# Makes the figures of docs/virtual-patients.md: one per tracer (anterior | posterior planar or whole-body view of an
# ICRP-110 virtual patient) and a SPECT/CT slice. Usage: scripts/virtual-patient-figures.sh [path/to/scinti]
set -euo pipefail
SCINTI=${1:-.build/debug/scinti}
OUT=$(mktemp -d /tmp/scinti-vpfig.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
FIG=docs/virtual-patients
mkdir -p "$FIG"
wb=(--matrix 128 --pixel 4.8 --no-ct)
pl=(--matrix 128 --pixel 4.8 --no-ct)
"$SCINTI" simulate whole-body --phantom icrp-am --tracer tc99m-mdp --phase delayed --lesion thoracic-spine:20:6 --lesion pelvis:25:4 --lesion ribs:15:6 --patient-seed 2 "${wb[@]}" --out "$OUT/tc99m-mdp" >/dev/null
"$SCINTI" simulate whole-body --phantom icrp-af --tracer tc99m-mdp --phase early "${wb[@]}" --out "$OUT/tc99m-mdp-early" >/dev/null
"$SCINTI" simulate gated --phantom icrp-am --tracer tc99m-rbc --view lao --slots 8 --lvef 55 "${pl[@]}" --out "$OUT/tc99m-rbc" >/dev/null
"$SCINTI" simulate planar --phantom icrp-af --tracer tc99m-sestamibi --phase delayed --lesion parathyroid-left:12:5 "${pl[@]}" --out "$OUT/tc99m-sestamibi" >/dev/null
"$SCINTI" simulate planar --phantom icrp-af --tracer tc99m-pertechnetate "${pl[@]}" --out "$OUT/tc99m-pertechnetate" >/dev/null
"$SCINTI" simulate planar --phantom icrp-af --tracer tc99m-nanocolloid --views anterior,llat --duration 60 "${pl[@]}" --out "$OUT/tc99m-nanocolloid" >/dev/null
"$SCINTI" simulate planar --phantom icrp-am --tracer i123-iodide --phase uptake-24h "${pl[@]}" --out "$OUT/i123-iodide" >/dev/null
"$SCINTI" simulate whole-body --phantom icrp-am --tracer i131-iodide --collimator HE --lesion lumbar-spine:20:500 --lesion lungs:15:500 "${wb[@]}" --out "$OUT/i131-iodide" >/dev/null
"$SCINTI" simulate whole-body --phantom icrp-am --tracer in111-octreotide --phase 24h --collimator MEGP --lesion liver:30:5 "${wb[@]}" --out "$OUT/in111-octreotide" >/dev/null
"$SCINTI" simulate planar --phantom icrp-am --tracer i123-mibg "${pl[@]}" --out "$OUT/i123-mibg" >/dev/null
"$SCINTI" simulate whole-body --phantom icrp-am --tracer lu177-dotatate --phase 24h --collimator MEGP --lesion liver:30:8 "${wb[@]}" --out "$OUT/lu177-dotatate" >/dev/null
"$SCINTI" simulate whole-body --phantom icrp-am --tracer f18-fdg --collimator HE --lesion lungs:20:8 "${wb[@]}" --out "$OUT/f18-fdg" >/dev/null
"$SCINTI" simulate spect --phantom icrp-am --tracer tc99m-mdp --lesion lumbar-spine:20:6 --patient-seed 2 --views 60 --matrix 64 --pixel 9.6 --ct-matrix 96 --ct-pixel 6 --ct-slice 6 --out "$OUT/spect" >/dev/null
"$SCINTI" recon "$OUT/spect/NM_SPECT.dcm" --ct "$OUT/spect/CT" --iterations 4 --subsets 6 --out "$OUT/spect/recon.dcm" --nifti "$OUT/spect/recon.nii" >/dev/null
python3 - "$OUT" "$FIG" <<'PY'
import sys, glob, json, os, numpy as np, pydicom, matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
out, fig = sys.argv[1], sys.argv[2]
for d in sorted(glob.glob(out + "/*/")):
    name = os.path.basename(d.rstrip("/"))
    if name == "spect": continue
    f = glob.glob(d + "NM_*.dcm")[0]
    ds = pydicom.dcmread(f); a = ds.pixel_array.astype(float)
    n = int(ds.NumberOfFrames); a = a.reshape(n, ds.Rows, ds.Columns)
    peak = [i for i in range(n) if ds.EnergyWindowVector[i] == 1]
    t = json.load(open(d + "truth.json"))
    if ds.ImageType[2] == "GATED":
        views = [(f"slot {k + 1}", a[peak[k]]) for k in (0, len(peak) // 2)]
    else:
        views = [(ds.DetectorInformationSequence[ds.DetectorVector[i] - 1].get("ViewCodeSequence", [{}])[0].get("CodeMeaning", f"detector {ds.DetectorVector[i]}") if "ViewCodeSequence" in ds.DetectorInformationSequence[ds.DetectorVector[i] - 1] else f"detector {ds.DetectorVector[i]}", a[i]) for i in peak]
    h = 6 if a.shape[1] > 2 * a.shape[2] else 3.2
    fg, ax = plt.subplots(1, len(views), figsize=(1.05 * len(views) * a.shape[2] / a.shape[1] * h + 0.3, h + 0.3), dpi=80)
    ax = np.atleast_1d(ax)
    vmax = max(np.percentile(v, 99.7) for _, v in views)
    for axi, (label, v) in zip(ax, views):
        axi.imshow(v, cmap="gray_r", vmin=0, vmax=vmax, aspect="equal"); axi.set_title(label, fontsize=7); axi.axis("off")
        for les in t["patient"]["lesions"]:
            for view, (c, r) in les["pixel"].items():
                if view == label: axi.plot(c, r, "o", mfc="none", mec="r", ms=8, mew=0.8)
    p = t["patient"]
    fg.suptitle(f"{p['tracer']} {p['phantom']} {p.get('phase') or ''} {p['hoursAfterAdministration']:.2f} h", fontsize=7)
    fg.savefig(f"{fig}/{name}.png", bbox_inches="tight"); plt.close(fg)
# SPECT/CT slice: reconstruction (NIfTI) over the CT, transverse slice through the lesion.
import struct
t = json.load(open(out + "/spect/truth.json")); les = t["patient"]["lesions"][0]["centerLPS"]
ct = sorted((pydicom.dcmread(f) for f in glob.glob(out + "/spect/CT/*.dcm")), key=lambda d: float(d.ImagePositionPatient[2]))
z = min(ct, key=lambda d: abs(float(d.ImagePositionPatient[2]) - les[2]))
cti = z.pixel_array * float(z.RescaleSlope) + float(z.RescaleIntercept)
rd = pydicom.dcmread(out + "/spect/recon.dcm"); r = rd.pixel_array.astype(float)
fr = rd.DetectorInformationSequence[0] if "DetectorInformationSequence" in rd else None
ipp = [float(v) for v in (fr.ImagePositionPatient if fr is not None and "ImagePositionPatient" in fr else rd.ImagePositionPatient)]
sp = float(rd.PixelSpacing[0]); dz = float(rd.get("SpacingBetweenSlices", sp))
k = int(round((ipp[2] - les[2]) / dz)) if ipp[2] > les[2] else int(round((les[2] - ipp[2]) / dz))
k = max(0, min(r.shape[0] - 1, k))
fg, ax = plt.subplots(1, 2, figsize=(7, 3.4), dpi=80)
ext_ct = [float(z.ImagePositionPatient[0]), float(z.ImagePositionPatient[0]) + z.Columns * float(z.PixelSpacing[1]),
          float(z.ImagePositionPatient[1]) + z.Rows * float(z.PixelSpacing[0]), float(z.ImagePositionPatient[1])]
ax[0].imshow(cti, cmap="gray", vmin=-300, vmax=1200, extent=ext_ct); ax[0].set_title("CT (HU from composition)", fontsize=7)
ext_r = [ipp[0], ipp[0] + r.shape[2] * sp, ipp[1] + r.shape[1] * sp, ipp[1]]
ax[1].imshow(cti, cmap="gray", vmin=-300, vmax=1200, extent=ext_ct)
ax[1].imshow(np.ma.masked_less(r[k], 0.05 * r[k].max()), cmap="hot", alpha=0.6, extent=ext_r); ax[1].set_title(f"SPECT OSEM slice z={les[2]:.0f} mm on CT", fontsize=7)
for a_ in ax: a_.plot(les[0], les[1], "o", mfc="none", mec="c", ms=10); a_.axis("off")
fg.savefig(f"{fig}/spect-ct-mdp.png", bbox_inches="tight"); plt.close(fg)
PY
ls -la "$FIG"
