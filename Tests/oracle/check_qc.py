#!/usr/bin/env python3
"""Oracle test: `scinti qc … --json` against independent truth and against pylinac.

Usage: check_qc.py SCINTI_BINARY CORPUS_DIR [PYLINAC_PYTHON]
Synthetic cameras written here with pydicom + numpy (Poisson noise, fixed seeds), each with its truth:
- uniformity: floods with a known non-uniformity; IU/DU of UFOV/CFOV from a second implementation of the
  documented NEMA NU 1 / NMQC processing written below with numpy/scipy (within 0.1 points) and from pylinac
  (within 0.1 points); a noise-free flood with a known ±3 % bump (IU from its analytic extremes, within 0.1 points).
- cor: two-head SPECT of a point source 60 mm off axis with known COR offsets (+1.5 and −0.7 pixels): within 0.05 px.
- quadrant bars: sinusoidal bar patterns (w = 4.23, 3.18, 2.54, 2.12 mm) blurred by a Gaussian of σ 1.5 mm: MTF of
  each quadrant within 5 % of exp(−2π²σ²f²), FWHM within 3 % of 3.532 mm.
- resolution: a planar line source tilted 12° with σ = 2.5 mm (FWHM 5.887 mm), a four-bar phantom (σ 3 mm, bars
  100 mm apart, 1.0 mm pixels) and a tomographic point source with σ = (3, 3.5, 4) mm: FWHM within 2 %, four-bar
  pixel size within 0.5 %; the four-bar and the point source also against pylinac (FourBarResolution,
  TomographicResolution: 2 %).
- sensitivity: a source of known activity calibrated 2 h before a 300 s acquisition, known cps/MBq: within 1 %.
- mwsr: three windows, the sources displaced by a known 1.2 mm in one window: within 0.1 mm.
- tomo: a cylinder with two cold spheres (Ø 40 and 30 mm) at 30 % activity: contrast 70 % (±3 points), equivalent
  diameter within 10 %, background within 2 %.
- wholebody: a uniform sheet with a 10 % count dip along the scan: maximum deviation within 1 point of 9.45 %.
Real QC images in CORPUS/vendor: the Mediso intrinsic flood against pylinac (IU/DU within 0.1 points), the Jaszczak
tomographic uniformity against pylinac (0.1 points), the Siemens line sources (planar and RECON TOMO) against a
Gaussian fit made here with scipy through the line's peak (2 %); pylinac's TomographicResolution result on the
RECON TOMO line is printed beside (it profiles through the whole volume's weighted centroid, which misses a tilted
line: not a like-for-like comparison). The Siemens edge image and whole-body QC are run and must give a statement.
Automatic QC: the floods and a patient study sent by DCMTK's storescu to `scinti serve --dimse-port` — the floods
analysed and stored, the patient study left alone; banner and CSV routes.
Edge method: a synthetic tilted edge of known blur (FWHM within 3 %, angle within 1°); the real Siemens edge image
in an ROI on one edge (plausible FWHM only: no peer implements it).
Bad input: a patient whole-body as a flood, a STATIC patient crop as a flood, too few counts, a RECON TOMO as a
flood: exit status 1, one `scinti: error:` line, no number on standard output.
Prints 'N passed, N failed'; exit status 1 on any failure.
"""
import datetime as dt
import json, os, subprocess, sys, tempfile
import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
from scipy import ndimage
from scipy.optimize import curve_fit

SCINTI, CORPUS = sys.argv[1], sys.argv[2]
PYLINAC = sys.argv[3] if len(sys.argv) > 3 else None
HERE = os.path.dirname(os.path.abspath(__file__))
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name} {detail}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


def scinti(*args):
    p = subprocess.run([SCINTI, "qc", *args], capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def qc_json(test, *files, extra=()):
    rc, out, err = scinti(test, *files, "--json", *extra)
    if rc != 0:
        raise RuntimeError(f"scinti qc {test} {files}: exit {rc}: {err.strip()}")
    j = json.loads(out)
    return j if isinstance(j, list) else [j]


# ---------------------------------------------------------------- DICOM writers (NM, pydicom)
def nm_dataset(frames, image_type, spacing, duration_ms=300000, windows=((126.0, 154.0),), heads=1,
               collimator="LEHR", description="QC", acq=dt.datetime(2026, 12, 6, 8, 30, 0)):
    frames = np.asarray(frames)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.20"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality = "NM"
    ds.Manufacturer, ds.ManufacturerModelName, ds.StationName = "SCINTI TEST", "Synthetic", "CAM1"
    ds.ImageType = ["ORIGINAL", "PRIMARY", image_type, "EMISSION"]
    ds.SeriesDescription = description
    ds.PatientName, ds.PatientID = "QC^PHANTOM", "QC"
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = acq.strftime("%Y%m%d")
    ds.StudyTime = ds.SeriesTime = ds.AcquisitionTime = acq.strftime("%H%M%S")
    ds.ActualFrameDuration = int(duration_ms)
    ds.NumberOfFrames = frames.shape[0]
    ds.Rows, ds.Columns = frames.shape[1], frames.shape[2]
    ds.PixelSpacing = [f"{spacing:.6f}", f"{spacing:.6f}"]
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.NumberOfEnergyWindows = len(windows)
    ews = []
    for lo, hi in windows:
        r = Dataset(); r.EnergyWindowLowerLimit, r.EnergyWindowUpperLimit = lo, hi
        e = Dataset(); e.EnergyWindowRangeSequence = Sequence([r]); ews.append(e)
    ds.EnergyWindowInformationSequence = Sequence(ews)
    ds.NumberOfDetectors = heads
    dets = []
    for h in range(heads):
        d = Dataset(); d.CollimatorGridName = collimator; dets.append(d)
    ds.DetectorInformationSequence = Sequence(dets)
    rp = Dataset(); code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = "C-163A8", "SRT", "^99m^Technetium"
    rp.RadionuclideCodeSequence = Sequence([code])
    ds.RadiopharmaceuticalInformationSequence = Sequence([rp])
    ds.PixelData = np.clip(np.rint(frames), 0, 65535).astype(np.uint16).tobytes()
    return ds


def write(ds, folder, name):
    path = os.path.join(folder, name)
    ds.save_as(path, enforce_file_format=True)
    return path


def static(frames, spacing, **kw):
    ds = nm_dataset(frames, "STATIC", spacing, **kw)
    n = ds.NumberOfFrames
    nw = ds.NumberOfEnergyWindows
    ds.FrameIncrementPointer = [0x00540010, 0x00540020]
    ds.EnergyWindowVector = [1 + i % nw for i in range(n)] if nw > 1 else [1] * n
    ds.DetectorVector = [1] * n if nw > 1 else [1 + i for i in range(n)]
    return ds


# ---------------------------------------------------------------- independent NEMA/NMQC uniformity (numpy/scipy)
def reference_uniformity(img, spacing, ufov_ratio=0.95, cfov_ratio=0.75):
    """IU/DU per the documented processing, written independently of Scinti (docs/qc.md)."""
    a = img.astype(float)
    f = 1
    while spacing * f < 4.48:
        f *= 2
    H, W = -(-a.shape[0] // f) * f, -(-a.shape[1] // f) * f
    a = np.pad(a, ((0, H - a.shape[0]), (0, W - a.shape[1])))
    a = a.reshape(H // f, f, W // f, f).sum(axis=(1, 3))
    k = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], float) / 16
    a = ndimage.convolve(a, k, mode="constant", cval=0.0)
    a[0, :] = a[-1, :] = 0
    a[:, 0] = a[:, -1] = 0
    thr = a[a > a.max() * 0.1].mean() * 0.75
    a[a < thr] = 0
    lab, n = ndimage.label(a > 0)
    sizes = ndimage.sum(np.ones_like(a), lab, range(n + 1))
    a[(lab > 0) & (sizes[lab] < 2)] = 0
    binary = a > 0
    lab, n = ndimage.label(binary)
    sizes = ndimage.sum(np.ones_like(a), lab, range(n + 1)); sizes[0] = 0
    big = lab == np.argmax(sizes)
    rows, cols = np.nonzero(big)
    longest = max(rows.max() - rows.min() + 1, cols.max() - cols.min() + 1)
    dist = ndimage.distance_transform_edt(binary)
    res = {}
    for name, frac in (("ufov", ufov_ratio), ("cfov", ufov_ratio * cfov_ratio)):
        m = dist > round((1 - frac) * longest) / 2
        v = np.where(m, a, 0.0)
        vals = v[v > 0]
        iu = 100 * (vals.max() - vals.min()) / (vals.max() + vals.min())
        du = 0.0
        for arr in (v, v.T):
            w = np.lib.stride_tricks.sliding_window_view(arr, 5, axis=1)
            ok = (w > 0).all(axis=-1)
            mx, mn = w.max(axis=-1), w.min(axis=-1)
            d = np.where(ok, 100 * (mx - mn) / np.where(ok, mx + mn, 1), 0)
            du = max(du, d.max())
        res[name] = (iu, du)
    return res


def pylinac_run(jobs, folder):
    if not PYLINAC or not os.path.exists(PYLINAC):
        return None
    p = os.path.join(folder, "pylinac-jobs.json")
    json.dump(jobs, open(p, "w"))
    r = subprocess.run([PYLINAC, os.path.join(HERE, "qc_pylinac.py"), p], capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        print(r.stderr[-2000:])
        return None
    return json.loads(r.stdout.strip().splitlines()[-1])


def flood_image(rng, n=256, spacing=1.6, radius_mm=180, counts_per_mm2=120.0, bump=0.03, noise=True):
    y, x = (np.mgrid[0:n, 0:n] - (n - 1) / 2) * spacing
    r = np.hypot(x, y)
    truth = np.where(r <= radius_mm, counts_per_mm2 * spacing * spacing, 0.0)
    # A smooth +bump and −bump (Gaussian blobs of 40 mm σ) inside the CFOV: a known non-uniformity.
    truth *= 1 + bump * np.exp(-((x - 60) ** 2 + (y - 30) ** 2) / (2 * 40 ** 2)) - bump * np.exp(-((x + 70) ** 2 + (y + 20) ** 2) / (2 * 40 ** 2))
    return rng.poisson(truth).astype(float) if noise else truth


def main():
    rng = np.random.default_rng(20261206)
    tmp = tempfile.mkdtemp(prefix="scinti-qc-")
    jobs, keys = [], []

    # ---- uniformity: synthetic noisy flood, second implementation and pylinac
    img = flood_image(rng)
    flood = write(static([img], 1.6, collimator="INTR", description="UNIF INTR"), tmp, "flood.dcm")
    r = qc_json("uniformity", flood)[0]
    ref = reference_uniformity(img, 1.6)
    for fov in ("ufov", "cfov"):
        for i, key in enumerate(("integralUniformityPercent", "differentialUniformityPercent")):
            check(f"uniformity synthetic {fov}.{key} vs second implementation", abs(r[fov][key] - ref[fov][i]) <= 0.1,
                  f"scinti {r[fov][key]:.3f} reference {ref[fov][i]:.3f}")
    check("uniformity synthetic: Poisson-expected IU reported and below the measured IU (bump ±3 %)",
          0 < r["cfov"]["poissonExpectedIntegralUniformityPercent"] < r["cfov"]["integralUniformityPercent"],
          f"expected {r['cfov']['poissonExpectedIntegralUniformityPercent']:.2f} measured {r['cfov']['integralUniformityPercent']:.2f}")
    jobs.append({"kind": "uniformity", "file": flood}); keys.append(("uniformity", r))
    # noise-free bump: the extremes of the smoothed CFOV are the bump's (1 ± ~3 %)
    clean = flood_image(rng, noise=False, counts_per_mm2=2000)
    cf = write(static([clean], 1.6, collimator="INTR"), tmp, "flood-clean.dcm")
    rc = qc_json("uniformity", cf)[0]
    refc = reference_uniformity(clean, 1.6)
    check("uniformity noise-free bump: CFOV IU vs second implementation", abs(rc["cfov"]["integralUniformityPercent"] - refc["cfov"][0]) <= 0.1,
          f"{rc['cfov']['integralUniformityPercent']:.3f} vs {refc['cfov'][0]:.3f}")
    check("uniformity noise-free bump: CFOV IU ≈ bump amplitude 3 % (±0.5)", abs(rc["cfov"]["integralUniformityPercent"] - 3.0) < 0.5,
          f"{rc['cfov']['integralUniformityPercent']:.3f}")
    # real Mediso intrinsic flood
    mediso = os.path.join(CORPUS, "vendor", "mediso_nucline_STATIC_flood_intrinsic_nmqc.dcm")
    rm = qc_json("uniformity", mediso)[0]
    d = pydicom.dcmread(mediso)
    refm = reference_uniformity(d.pixel_array, float(d.PixelSpacing[0]))
    for fov in ("ufov", "cfov"):
        check(f"Mediso flood {fov} IU vs second implementation", abs(rm[fov]["integralUniformityPercent"] - refm[fov][0]) <= 0.1,
              f"{rm[fov]['integralUniformityPercent']:.3f} vs {refm[fov][0]:.3f}")
    check("Mediso flood: camera, collimator INTR, head recorded", rm.get("collimator") == "INTR" and rm.get("camera"), str((rm.get("camera"), rm.get("collimator"))))
    jobs.append({"kind": "uniformity", "file": mediso}); keys.append(("uniformity", rm))

    # ---- tomo: Jaszczak
    jas = os.path.join(CORPUS, "vendor", "mediso_interviewxp_RECONTOMO_jaszczak_nmqc.dcm")
    rt = qc_json("tomo", jas)[0]
    check("Jaszczak tomo: uniformity and noise reported", rt["cfov"]["integralUniformityPercent"] > 0 and rt["noiseCoefficientOfVariationPercent"] > 0,
          f"CFOV IU {rt['cfov']['integralUniformityPercent']:.2f} noise {rt['noiseCoefficientOfVariationPercent']:.2f} slices {rt['firstSlice']}-{rt['lastSlice']}")
    jobs.append({"kind": "tomo_uniformity", "file": jas, "first": rt["firstSlice"], "last": rt["lastSlice"] + 1}); keys.append(("tomo", rt))

    print(f"     Jaszczak cold objects: " + ", ".join(f"{o['equivalentDiameterMM']:.0f} mm {o['contrastPercent']:.0f} %" for o in rt["coldObjects"][:6]))
    # synthetic cylinder (r 100 mm) with cold spheres of 30 % activity (contrast 70 %), radii 20 and 15 mm, 4 mm voxels
    sp4 = 4.0
    zc, yc, xc = (np.mgrid[0:40, 0:64, 0:64] - np.array([19.5, 31.5, 31.5])[:, None, None, None]) * sp4
    cyl = np.where(np.hypot(xc, yc) <= 100, 200.0, 0.0)
    for (sx, sy, sz, r) in ((-40, 20, 0, 20.0), (40, -20, 8, 15.0)):
        inside = (xc - sx) ** 2 + (yc - sy) ** 2 + (zc - sz) ** 2 <= r * r
        cyl[inside] *= 0.3
    ph = recon_volume(tmp, rng.poisson(cyl), sp4, "jaszczak synthetic", "phantom.dcm")
    rph = qc_json("tomo", ph)[0]
    cold = rph["coldObjects"]
    check("synthetic phantom: two cold spheres found", len(cold) >= 2, str([(round(o['equivalentDiameterMM']), round(o['contrastPercent'])) for o in cold[:4]]))
    for o, d in zip(cold[:2], (40.0, 30.0)):
        check(f"synthetic phantom: sphere Ø {d:.0f} mm contrast 70 % (±3)", abs(o["contrastPercent"] - 70) < 3, f"{o['contrastPercent']:.1f} %")
        check(f"synthetic phantom: sphere Ø {d:.0f} mm equivalent diameter within 10 %", abs(o["equivalentDiameterMM"] / d - 1) < 0.10, f"{o['equivalentDiameterMM']:.1f} mm")
    check("synthetic phantom: background 200 (±2 %)", abs(rph["backgroundLevel"] / 200 - 1) < 0.02, f"{rph['backgroundLevel']:.1f}")

    # ---- resolution: planar tilted line, σ = 2.5 mm
    n, sp, sigma = 256, 1.2, 2.5
    y, x = (np.mgrid[0:n, 0:n] - n / 2) * sp
    ang = np.radians(12)
    dperp = x * np.cos(ang) - y * np.sin(ang)   # distance from a line through the centre, 12° from vertical
    along = x * np.sin(ang) + y * np.cos(ang)
    line = 4000 * np.exp(-dperp ** 2 / (2 * sigma ** 2)) * (np.abs(along) < 100) + 5
    lp = write(static([rng.poisson(line)], sp, description="line source"), tmp, "line.dcm")
    rl = qc_json("resolution", lp)[0]
    fw = rl["lines"][0]["width"]["meanFWHMMM"]
    check("planar line σ 2.5 mm tilted 12°: FWHM within 2 % of 5.887 mm", abs(fw / (2.35482 * sigma) - 1) < 0.02, f"{fw:.3f} mm")
    ft = rl["lines"][0]["width"]["meanFWTMMM"]
    check("planar line: FWTM within 2 % of 10.73 mm", abs(ft / (4.29193 * sigma) - 1) < 0.02, f"{ft:.3f} mm")
    # four-bar phantom: bars 100 mm apart, σ = 3 mm (FWHM 7.064 mm), 1.0 mm pixels. (pylinac 3.49 starts its
    # two-Gaussian fit with the peak positions in pixels on a mm axis, so its fit is only reliable near 1 mm pixels:
    # at 1.6 mm it returned y FWHM 4.4 mm and a pixel size of 29 mm for this phantom.)
    y4, x4 = (np.mgrid[0:256, 0:256] - 128) * 1.0
    bars = sum(3000 * np.exp(-(v - c) ** 2 / (2 * 3.0 ** 2)) for v in (x4, y4) for c in (-50.0, 50.0))
    fb = write(static([rng.poisson(bars + 2)], 1.0, description="four bar"), tmp, "fourbar.dcm")
    rfb = qc_json("resolution", fb, extra=("--bar-separation", "100"))[0]
    for ax in ("x", "y"):
        check(f"four-bar {ax}: FWHM within 2 % of 7.064 mm", abs(rfb[ax]["fwhmMM"] / 7.0642 - 1) < 0.02, f"{rfb[ax]['fwhmMM']:.3f}")
        check(f"four-bar {ax}: measured pixel size within 0.5 % of 1.0 mm", abs(rfb[ax]["measuredPixelSizeMM"] / 1.0 - 1) < 0.005,
              f"{rfb[ax]['measuredPixelSizeMM']:.4f}")
    jobs.append({"kind": "four_bar", "file": fb, "separation": 100}); keys.append(("four_bar", rfb))
    # quadrant-bar phantom as sinusoidal bar patterns blurred by a Gaussian PSF of σ = 1.5 mm (FWHM 3.532 mm):
    # the modulation of each quadrant is exactly exp(−2π²σ²f²) at f = 1/(2w) (Hander 1997: MTF = √(2(σ²−μ))/μ).
    widths = (4.23, 3.18, 2.54, 2.12)
    yq, xq = np.mgrid[0:512, 0:512] * 0.5
    qimg = np.zeros((512, 512))
    for q, w in enumerate(widths):
        f = 1 / (2 * w)
        m = np.exp(-2 * np.pi ** 2 * 1.5 ** 2 * f ** 2)
        sl = (slice(0, 256) if q < 2 else slice(256, 512), slice(0, 256) if q % 2 == 0 else slice(256, 512))
        wave = np.sin(2 * np.pi * f * (xq if q % 2 == 0 else yq))[sl]
        qimg[sl] = 500 * (1 + m * wave)
    qb = write(static([rng.poisson(qimg)], 0.5, description="quadrant bar"), tmp, "quadrant.dcm")
    rq = qc_json("resolution", qb, extra=("--quadrant-bars", ",".join(map(str, widths))))[0]
    for quad, w in zip(rq["quadrants"], widths):
        m = np.exp(-2 * np.pi ** 2 * 1.5 ** 2 / (2 * w) ** 2)
        check(f"quadrant bars {quad['position']} ({w} mm): MTF within 5 % of {m:.3f}", abs(quad["mtf"] / m - 1) < 0.05, f"{quad['mtf']:.4f}")
        check(f"quadrant bars {quad['position']}: FWHM within 3 % of 3.532 mm", abs(quad["fwhmMM"] / 3.532 - 1) < 0.03, f"{quad['fwhmMM']:.3f}")
    # tomographic point source
    tp = recon_point(tmp, rng)
    rtp = qc_json("resolution", tp)[0]
    for ax, s in (("x", 3.0), ("y", 3.5), ("z", 4.0)):
        v = rtp[ax]["meanFWHMMM"]
        check(f"tomographic point source {ax}: FWHM within 2 % of {2.35482 * s:.3f} mm", abs(v / (2.35482 * s) - 1) < 0.02, f"{v:.3f}")
    jobs.append({"kind": "tomo_resolution", "file": tp}); keys.append(("tomo_resolution", rtp))
    # Siemens planar line source and RECON TOMO line: scipy Gaussian through the peak
    sl = os.path.join(CORPUS, "vendor", "siemens_symbiaT2_STATIC_linesource_imageqc.dcm")
    rs = qc_json("resolution", sl)[0]
    print(f"     Siemens planar line: FWHM {rs['lines'][0]['width']['meanFWHMMM']:.2f} mm, angle {rs['lines'][0]['angleFromVerticalDegrees']:.1f}°")
    check("Siemens planar line source: FWHM vs scipy fits of the same rows (2 %)", planar_line_reference(sl, rs), "")
    st = os.path.join(CORPUS, "vendor", "siemens_symbiaT2_RECONTOMO_linesource_77sl_imageqc.dcm")
    rst = qc_json("resolution", st)[0]
    refx, refy = tomo_line_reference(st)
    check("Siemens RECON TOMO line: x FWHM vs scipy (2 %)", abs(rst["x"]["meanFWHMMM"] / refx - 1) < 0.02, f"{rst['x']['meanFWHMMM']:.3f} vs {refx:.3f}")
    check("Siemens RECON TOMO line: y FWHM vs scipy (2 %)", abs(rst["y"]["meanFWHMMM"] / refy - 1) < 0.02, f"{rst['y']['meanFWHMMM']:.3f} vs {refy:.3f}")
    jobs.append({"kind": "tomo_resolution", "file": st}); keys.append(("info_tomo_line", rst))

    # ---- cor
    cor = write_cor(tmp, rng, offsets=(1.5, -0.7))
    heads = qc_json("cor", cor)
    for h, truth in zip(heads, (1.5, -0.7)):
        check(f"COR head {h.get('head')}: offset within 0.05 px of {truth}", abs(h["corOffsetPixels"] - truth) < 0.05,
              f"{h['corOffsetPixels']:.3f} px = {h['corOffsetMM']:.2f} mm, y dev {h['maximumYDeviationMM']:.2f} mm, amplitude {h['sineAmplitudeMM']:.1f} mm")
    check("COR: sine amplitude 60 mm (±1)", all(abs(h["sineAmplitudeMM"] - 60) < 1 for h in heads), "")
    check("COR head 1 (1.5 px) exceeds the 1-pixel action limit", heads[0]["status"] == "action", heads[0]["status"])

    # ---- sensitivity: A = 40 MBq at 06:30, acquisition 08:30 for 300 s, S = 90 cps/MBq, background 50 cps
    half = 6.0067 * 3600  # Tc-99m (DDEP); Scinti takes its own table value
    lam = np.log(2) / half
    a0 = 40 * np.exp(-lam * 7200)
    T = 300
    counts = 90 * a0 * (1 - np.exp(-lam * T)) / lam + 50 * T
    src = np.zeros((128, 128)); src[60:68, 60:68] = counts / 64
    sp_path = write(static([rng.poisson(src)], 4.8, duration_ms=T * 1000), tmp, "sens.dcm")
    bg = np.full((128, 128), 50 * 600 / 128 / 128)
    bg_path = write(static([rng.poisson(bg)], 4.8, duration_ms=600 * 1000), tmp, "sens-bg.dcm")
    rse = qc_json("sensitivity", sp_path, extra=("--activity", "40", "--calibration-time", "2026-12-06T06:30:00Z",
                                               "--radionuclide", "Tc-99m", "--background", bg_path))[0]
    check("sensitivity: within 1 % of 90 cps/MBq", abs(rse["sensitivityCPSPerMBq"] / 90 - 1) < 0.01, f"{rse['sensitivityCPSPerMBq']:.2f}")
    rc, out, err = scinti("sensitivity", sp_path, "--json")
    check("sensitivity without --activity: refused with a statement", rc == 1 and "activity" in err and out == "", err.strip())

    # ---- mwsr: three windows, window 3 shifted by 1.2 mm along x
    frames = []
    yy, xx = np.mgrid[0:128, 0:128] * 3.0
    pts = [(90, 90), (290, 90), (90, 290), (290, 290), (190, 190)]
    for w, shift in enumerate((0, 0, 1.2)):
        im = sum(3000 * np.exp(-((xx - px - shift) ** 2 + (yy - py) ** 2) / (2 * 4.0 ** 2)) for px, py in pts)
        frames.append(rng.poisson(im + 1))
    mw = write(static(frames, 3.0, windows=((84, 102), (167, 203), (270, 330)), description="MWSR Ga-67"), tmp, "mwsr.dcm")
    rmw = qc_json("mwsr", mw)[0]
    check("mwsr: maximum displacement within 0.1 mm of 1.2 mm", abs(rmw["maximumDisplacementMM"] - 1.2) < 0.1, f"{rmw['maximumDisplacementMM']:.3f}")

    # ---- wholebody: sheet with a 10 % count dip over 100 mm (slower table = more counts; here faster = fewer)
    wb = np.full((1024, 256), 0.0); wb[100:924, 40:216] = 600
    wb[500:540, 40:216] *= 0.9
    wp = write(static([rng.poisson(wb)], 2.4, description="scan speed QC"), tmp, "wb.dcm")
    wds = pydicom.dcmread(wp); wds.ImageType = ["ORIGINAL", "PRIMARY", "WHOLE BODY", "EMISSION"]; wds.save_as(wp)
    rwb = qc_json("wholebody", wp)[0]
    # evaluated: central 80 % of rows 100–923 (659 rows), 40 of them at 0.9 → mean 1 − 0.1·40/659, deviation 9.45 %
    expected = (1 - 0.1 * 40 / 659 - 0.9) / (1 - 0.1 * 40 / 659) * 100
    check(f"wholebody: maximum deviation ≈ {expected:.2f} % (±1)", abs(rwb["scanProfileMaximumDeviationPercent"] - expected) < 1.0, f"{rwb['scanProfileMaximumDeviationPercent']:.2f}")
    swb = os.path.join(CORPUS, "vendor", "siemens_symbiaT2_WHOLEBODY_QC_imageqc.dcm")
    rc, out, err = scinti("wholebody", swb, "--json")
    check("Siemens whole-body QC: a result or one clear statement", (rc == 0 and "scanProfile" in out) or (rc == 1 and err.count("\n") == 1 and out == ""), (err or out[:120]).strip())

    # ---- edge method: a synthetic edge tilted 4° blurred by σ 1.6 mm (FWHM 3.768 mm), 30 % contrast, 1.2 mm pixels,
    # 5000 counts/pixel, 80-pixel ROI (noise-free the method gives 3.7686 mm; Poisson noise scatters it by ~1 %)
    from scipy.special import erf
    ye, xe = (np.mgrid[0:256, 0:256] - 128) * 1.2
    de = xe * np.cos(np.radians(4)) - ye * np.sin(np.radians(4)) - 3.3
    edge_img = 5000 * (0.7 + 0.15 * (1 + erf(de / (np.sqrt(2) * 1.6))))
    ep = write(static([rng.poisson(edge_img)], 1.2, description="edge"), tmp, "edge.dcm")
    re_ = qc_json("resolution", ep, extra=("--edge-roi", "130,128,80"))[0]
    check("edge method: FWHM within 3 % of 3.768 mm", abs(re_["fwhmMM"] / 3.768 - 1) < 0.03, f"{re_['fwhmMM']:.3f} mm, angle {re_['edgeAngleDegrees']:.1f}°")
    check("edge method: edge angle within 1° of 4°", abs(re_["edgeAngleDegrees"] - 4) < 1, f"{re_['edgeAngleDegrees']:.2f}°")
    # the real Siemens intrinsic edge image: one edge of its tilted squares (no peer implements the edge test;
    # checked for a plausible intrinsic FWHM of a Symbia/Intevo head, 3–5 mm at 1.2 mm pixels)
    rse_ = qc_json("resolution", os.path.join(CORPUS, "vendor", "siemens_intevo16_STATIC_intrinsic_edge_det1_imageqc.dcm"),
                   extra=("--edge-roi", "228,176,40"))[0]
    check("Siemens intrinsic edge: FWHM plausible (3–5 mm)", 3 < rse_["fwhmMM"] < 5, f"{rse_['fwhmMM']:.2f} mm at {rse_['edgeAngleDegrees']:.1f}°")

    # ---- edge image: recognised QC but not a flood/line; clear statement
    edge = os.path.join(CORPUS, "vendor", "siemens_intevo16_STATIC_intrinsic_edge_det1_imageqc.dcm")
    rc, out, err = scinti("resolution", edge, "--json")
    check("Siemens intrinsic edge as line source: one statement, no number", rc == 1 and out == "" and err.startswith("scinti: error:"), err.strip())

    # ---- bad input
    patient = os.path.join(CORPUS, "nm", "WG04_NM1_UNC.dcm")
    for name, args, word in (
        ("patient whole-body as flood", ("uniformity", patient), "STATIC"),
        ("RECON TOMO as flood", ("uniformity", jas), "STATIC"),
        ("flood as COR", ("cor", flood), "TOMO"),
    ):
        rc, out, err = scinti(*args, "--json")
        check(f"bad input: {name}", rc == 1 and out == "" and err.count("\n") == 1 and word in err, err.strip())
    pat = pydicom.dcmread(patient).pixel_array.astype(float)
    crop = pat[300:556, :]  # torso of the real patient bone scan, written as a STATIC image
    pp = write(static([crop], 2.26, description="Bone anterior"), tmp, "patient-static.dcm")
    rc, out, err = scinti("uniformity", pp, "--json")
    check("bad input: STATIC patient image as flood", rc == 1 and out == "" and "not a flood" in err, err.strip())
    low = write(static([rng.poisson(flood_image(rng, noise=False) / 60)], 1.6, collimator="INTR"), tmp, "flood-low.dcm")
    rc, out, err = scinti("uniformity", low, "--json")
    check("bad input: too few counts (says how many are needed)", rc == 1 and out == "" and "at least 4000" in err, err.strip())

    # ---- automatic QC: C-STORE (DCMTK storescu) to scinti serve --dimse-port, then the results routes
    server_check(tmp, [flood, patient, mediso])

    # ---- pylinac
    pl = pylinac_run(jobs, tmp)
    if pl is None:
        check("pylinac available (PYLINAC_PYTHON)", False, "pylinac not run")
    else:
        for (kind, ours), theirs in zip(keys, pl):
            if isinstance(theirs, dict) and "error" in theirs:
                check(f"pylinac {kind}", False, theirs["error"]); continue
            if kind in ("uniformity", "tomo"):
                t = theirs[0] if kind == "uniformity" else theirs
                name = os.path.basename(ours["file"]) if kind == "uniformity" else "tomographic uniformity"
                for fov in ("ufov", "cfov"):
                    for key, pk in (("integralUniformityPercent", "integral"), ("differentialUniformityPercent", "differential")):
                        v = t[f"{fov}_{pk}_uniformity"]
                        check(f"pylinac {name} {fov}.{key}", abs(ours[fov][key] - v) <= 0.1, f"scinti {ours[fov][key]:.3f} pylinac {v:.3f}")
            elif kind == "four_bar":
                for ax in ("x", "y"):
                    check(f"pylinac four-bar {ax} FWHM (2 %)", abs(ours[ax]["fwhmMM"] / theirs[f"{ax}_fwhm"] - 1) < 0.02,
                          f"scinti {ours[ax]['fwhmMM']:.3f} pylinac {theirs[f'{ax}_fwhm']:.3f}")
                    check(f"pylinac four-bar {ax} measured pixel size (0.5 %)",
                          abs(ours[ax]["measuredPixelSizeMM"] / theirs[f"{ax}_measured_pixel_size"] - 1) < 0.005,
                          f"scinti {ours[ax]['measuredPixelSizeMM']:.4f} pylinac {theirs[f'{ax}_measured_pixel_size']:.4f}")
            elif kind == "tomo_resolution":
                for ax in ("x", "y", "z"):
                    v = theirs[f"{ax}_fwhm"]
                    check(f"pylinac tomographic point source {ax} FWHM (2 %)", abs(ours[ax]["meanFWHMMM"] / v - 1) < 0.02,
                          f"scinti {ours[ax]['meanFWHMMM']:.3f} pylinac {v:.3f}")
            elif kind == "info_tomo_line":
                print(f"     info: Siemens RECON TOMO line, pylinac TomographicResolution x/y FWHM {theirs['x_fwhm']:.2f}/{theirs['y_fwhm']:.2f} mm "
                      f"(profiles through the volume's weighted centroid); scinti {ours['x']['meanFWHMMM']:.2f}/{ours['y']['meanFWHMMM']:.2f} mm through each slice's peak")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


def server_check(tmp, files):
    import shutil, socket, time, urllib.request
    if not shutil.which("storescu"):
        check("storescu (DCMTK) available for the C-STORE check", False, "not installed"); return
    ports = []
    for _ in range(2):
        with socket.socket() as so:
            so.bind(("127.0.0.1", 0)); ports.append(so.getsockname()[1])
    token = "qc-oracle-token-0123456789"
    proc = subprocess.Popen([SCINTI, "serve", "--archive", os.path.join(tmp, "archive"), "--port", str(ports[0]), "--token", token,
                             "--dimse-port", str(ports[1]), "--aet", "SCINTI"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{ports[0]}"

    def get(path):
        req = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token})
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.read().decode()
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/health", timeout=2); break
            except Exception:
                time.sleep(0.2)
        r = subprocess.run(["storescu", "-aec", "SCINTI", "127.0.0.1", str(ports[1]), *files], capture_output=True, text=True, timeout=60)
        check("C-STORE of two QC floods and a patient study accepted", r.returncode == 0, r.stderr.strip()[-200:])
        rows = []
        for _ in range(60):
            rows = json.loads(get("/api/qc/results"))
            if len(rows) >= 2:
                break
            time.sleep(0.5)
        tests = sorted((x["camera"], x["test"], x["status"]) for x in rows)
        check("automatic QC: both floods analysed, the patient study left alone", len(rows) == 2 and all(t[1] == "uniformity" for t in tests), str(tests))
        dhv = [x for x in rows if x["camera"] == "DHV"]
        check("automatic QC: Mediso flood CFOV IU 2.377 % (pylinac) stored", len(dhv) == 1 and abs(dhv[0]["metrics"]["cfov.integralUniformityPercent"] - 2.377) < 0.01, "")
        banner = json.loads(get("/api/qc/banner?date=2026-12-06"))
        check("daily banner for the synthetic camera", banner["cameras"] and banner["cameras"][0]["camera"] == "CAM1", json.dumps(banner)[:160])
        csv = get("/api/qc/results.csv")
        check("CSV export: header and two rows", csv.count("\r\n") == 3 and csv.startswith('"id","camera"'), csv[:80])
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def gauss(x, a, m, s, b):
    return a * np.exp(-(x - m) ** 2 / (2 * s * s)) + b


def fit_width(profile, spacing, peak):
    lo, hi = max(0, peak - 15), min(len(profile), peak + 16)
    xs = np.arange(lo, hi) * spacing
    p, _ = curve_fit(gauss, xs, profile[lo:hi], p0=[profile[peak], peak * spacing, 2 * spacing, profile[lo:hi].min()])
    return 2.35482 * abs(p[2])


def planar_line_reference(path, ours):
    """Mean FWHM over the same rows as Scinti, each fitted here with scipy, times cos(angle)."""
    a = pydicom.dcmread(path).pixel_array.astype(float)
    sp = float(pydicom.dcmread(path).PixelSpacing[1])
    line = ours["lines"][0]
    ws = []
    for prof in line["perProfile"]:
        kind, idx = prof["at"].split()
        p = a[int(idx), :] if kind == "row" else a[:, int(idx)]
        ws.append(fit_width(p, sp, int(np.argmax(p))))
    ref = np.mean(ws) * np.cos(np.radians(line["angleFromVerticalDegrees"]))
    print(f"     scipy reference {ref:.3f} mm vs scinti {line['width']['meanFWHMMM']:.3f} mm")
    return abs(line["width"]["meanFWHMMM"] / ref - 1) < 0.02


def tomo_line_reference(path):
    d = pydicom.dcmread(path)
    a = d.pixel_array.astype(float)
    sp = float(d.PixelSpacing[0])
    sums = a.max(axis=(1, 2))
    hot = np.nonzero(sums >= 0.5 * sums.max())[0]
    trim = int(round((hot[-1] - hot[0] + 1) * 0.1))
    xs, ys = [], []
    for z in hot:
        if z < hot[0] + trim or z > hot[-1] - trim:
            continue
        iy, ix = np.unravel_index(np.argmax(a[z]), a[z].shape)
        xs.append(fit_width(a[z][iy, :], sp, ix)); ys.append(fit_width(a[z][:, ix], sp, iy))
    return float(np.mean(xs)), float(np.mean(ys))


def recon_volume(tmp, vol, sp, description, name):
    nz, ny, nx = vol.shape
    ds = nm_dataset(vol, "RECON TOMO", sp, description=description)
    ds.ImageType = ["DERIVED", "PRIMARY", "RECON TOMO", "EMISSION"]
    ds.FrameIncrementPointer = 0x00540080
    ds.SliceVector = list(range(1, nz + 1))
    ds.NumberOfSlices = nz
    ds.SpacingBetweenSlices = sp
    ds.SliceThickness = sp
    det = ds.DetectorInformationSequence[0]
    det.ImagePositionPatient = [-nx * sp / 2, -ny * sp / 2, -nz * sp / 2]
    det.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    return write(ds, tmp, name)


def recon_point(tmp, rng):
    n, nz, sp = 64, 48, 2.0
    z, y, x = np.mgrid[0:nz, 0:n, 0:n].astype(float)
    c = (23.3, 31.6, 30.2)
    vol = 5000 * np.exp(-((x - c[2]) * sp) ** 2 / (2 * 3.0 ** 2) - ((y - c[1]) * sp) ** 2 / (2 * 3.5 ** 2) - ((z - c[0]) * sp) ** 2 / (2 * 4.0 ** 2))
    return recon_volume(tmp, rng.poisson(vol + 0.0), sp, "point source recon", "point-recon.dcm")


def write_cor(tmp, rng, offsets):
    n, sp, views, radius = 64, 4.8, 64, 60.0
    frames = []
    for h, off in enumerate(offsets):
        for v in range(views):
            theta = np.radians(h * 180 + v * 360 / views)
            xc = (n - 1) / 2 + off + radius / sp * np.sin(theta + 0.4)
            yc = 30.0
            yy, xx = np.mgrid[0:n, 0:n]
            im = 20000 * np.exp(-((xx - xc) ** 2 + (yy - yc) ** 2) / (2 * 1.3 ** 2))
            frames.append(rng.poisson(im))
    ds = nm_dataset(frames, "TOMO", sp, duration_ms=10000, heads=2, description="COR point source")
    nf = len(frames)
    ds.FrameIncrementPointer = [0x00540010, 0x00540020, 0x00540050, 0x00540090]
    ds.EnergyWindowVector = [1] * nf
    ds.DetectorVector = [1 + i // views for i in range(nf)]
    ds.RotationVector = [1] * nf
    ds.AngularViewVector = [1 + i % views for i in range(nf)]
    ds.DetectorInformationSequence[0].StartAngle = 0
    ds.DetectorInformationSequence[1].StartAngle = 180
    rot = Dataset()
    rot.StartAngle, rot.AngularStep, rot.RotationDirection = 0, 360 / views, "CW"
    rot.ScanArc, rot.NumberOfFramesInRotation, rot.ActualFrameDuration = 360, views, 10000
    rot.RadialPosition = [250.0] * views
    ds.RotationInformationSequence = Sequence([rot])
    ds.NumberOfRotations = 1
    return write(ds, tmp, "cor.dcm")


if __name__ == "__main__":
    main()
