#!/usr/bin/env bash
# Simulates one study of every kind with `scinti simulate`, then checks each NM file and the CT series with
# dciodvfy (dicom3tools: no "Error" lines allowed) and pydicom (reads, pixel array shape = frames × rows × columns,
# NM vectors and sequences present), and checks truth.json parses.
# Usage: Tests/oracle/check_simulated.sh [path/to/scinti]   (default .build/debug/scinti)
set -euo pipefail
source "$(dirname "$0")/dciodvfy.sh"
SCINTI=${1:-.build/debug/scinti}
OUT=$(mktemp -d /tmp/scinti-simcheck.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
command -v dciodvfy >/dev/null || { echo "dciodvfy not found (apt-get install dicom3tools)"; exit 2; }
common=(--matrix 32 --pixel 9.6 --voxel 9.6 --subsamples 1 --ct-matrix 48 --ct-pixel 10 --ct-slice 10)
"$SCINTI" simulate spect --phantom iec --views 16 --heads 2 --duration 5 "${common[@]}" --out "$OUT/spect" >/dev/null
"$SCINTI" simulate planar --phantom torso --duration 60 "${common[@]}" --out "$OUT/planar" >/dev/null
"$SCINTI" simulate whole-body --phantom torso --speed 10 "${common[@]}" --out "$OUT/wb" >/dev/null
"$SCINTI" simulate dynamic --phases 4x5,2x30 "${common[@]}" --no-ct --out "$OUT/dynamic" >/dev/null
"$SCINTI" simulate gated --slots 8 --duration 120 "${common[@]}" --no-ct --out "$OUT/gated" >/dev/null
"$SCINTI" simulate spect --phantom iec --sphere-ratio 8 --views 90 --heads 2 --direction CC --start-angle 37 --matrix 128 --pixel 2.4 --no-noise --no-attenuation --no-ct --out "$OUT/fbp" >/dev/null
"$SCINTI" simulate spect --phantom jaszczak --isotope Lu-177 --collimator MEGP --views 8 --heads 1 "${common[@]}" --no-ct --out "$OUT/lu" >/dev/null
status=0
check_dciodvfy "$OUT"/*/NM_*.dcm "$OUT"/spect/CT/CT_0001.dcm
python3 - "$OUT" <<'PY' || status=1
import json, sys, glob, pydicom
out = sys.argv[1]
for f in sorted(glob.glob(out + "/*/NM_*.dcm")):
    d = pydicom.dcmread(f)
    a = d.pixel_array
    n = int(d.NumberOfFrames)
    assert a.shape == ((n,) if n > 1 else ()) + (d.Rows, d.Columns), (f, a.shape)
    for tag in d.FrameIncrementPointer:
        assert len(d[tag].value) == n, (f, tag)
    assert d.EnergyWindowInformationSequence and d.DetectorInformationSequence and d.RadiopharmaceuticalInformationSequence
    t = json.load(open(f.rsplit("/", 1)[0] + "/truth.json"))
    assert t["windows"][0]["recorded"] == float(a[[i for i, w in enumerate(d.EnergyWindowVector) if w == 1]].sum()), f
    print("ok   pydicom ", f, d.ImageType[2], a.shape)
ct = sorted(glob.glob(out + "/spect/CT/*.dcm"))
d = pydicom.dcmread(ct[0]); assert d.Modality == "CT" and d.FrameOfReferenceUID == pydicom.dcmread(glob.glob(out + "/spect/NM_*.dcm")[0]).FrameOfReferenceUID
print("ok   pydicom  CT", len(ct), "slices, shared Frame of Reference")

# Independent geometry check: FBP of the z = 0 row with the angles derived from the DICOM rotation and detector
# items as docs/spect-geometry.md defines them; the IEC spheres must come back where truth.json puts them.
import numpy as np
d = pydicom.dcmread(out + "/fbp/NM_SPECT.dcm"); a = d.pixel_array.astype(float)
rot = d.RotationInformationSequence[0]; step = float(rot.AngularStep); sign = 1 if rot.RotationDirection == "CW" else -1
C, R, px = d.Columns, d.Rows, float(d.PixelSpacing[0])
angles, sino = [], []
for i in range(len(a)):
    if d.EnergyWindowVector[i] != 1: continue
    start = float(d.DetectorInformationSequence[d.DetectorVector[i] - 1].StartAngle)
    angles.append(np.deg2rad(start + sign * step * (d.AngularViewVector[i] - 1)))
    sino.append(a[i, (R - 1) // 2:(R - 1) // 2 + 2, :].mean(axis=0))      # rows either side of z = 0
q = np.real(np.fft.ifft(np.fft.fft(np.array(sino), 2 * C, axis=1) * np.abs(np.fft.fftfreq(2 * C)), axis=1))[:, :C]
xs = (np.arange(C) - (C - 1) / 2) * px
X, Y = np.meshgrid(xs, xs)
img = sum(np.interp((X * np.cos(t) + Y * np.sin(t)) / px + (C - 1) / 2, np.arange(C), qq, left=0, right=0) for t, qq in zip(angles, q))
t = json.load(open(out + "/fbp/truth.json"))
for m in t["landmarks"]:
    if m["diameterMM"] < 20: continue
    cx, cy = m["center"]["x"], m["center"]["y"]
    w = np.where((X - cx) ** 2 + (Y - cy) ** 2 < 15 ** 2, np.clip(img, 0, None), 0)
    w = np.where(w > 0.5 * w.max(), w, 0)
    ex, ey = (w * X).sum() / w.sum() - cx, (w * Y).sum() / w.sum() - cy
    assert abs(ex) < px and abs(ey) < px, (m["name"], ex, ey)
    print("ok   FBP      %s at truth within (%.2f, %.2f) mm" % (m["name"], ex, ey))
PY
exit $status
