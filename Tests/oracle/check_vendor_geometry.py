#!/usr/bin/env python3
"""Oracle for vendor geometry (docs/vendor-geometry.md), computed with pydicom and numpy, independent of Scinti's code.

Usage: check_vendor_geometry.py SCINTI_BINARY CORPUS_DIR
1. Simulated studies written with each vendor's conventions (`scinti simulate spect --vendor V`), reconstructed with
   `scinti recon` against their CT:
   - Siemens: the RECON TOMO grid where PyTomography's published Siemens rule puts it (pytomography.io.SPECT.dicom
     `_get_affine_spect_projections`: when Image Position y = 0, x -= Rows/2 * dx, y -= Rows/2 * dy + Table Height;
     PyTomography's grid is half a voxel off the rotation axis by construction, so agreement within half a voxel);
   - every vendor (noise-free projections): each IEC sphere >= 22 mm — the centre of mass of its 50 % isocontour in the
     reconstruction read with pydicom, searched within its radius + 10 mm — within one voxel of truth.json's centre; `scinti recon` reports the CT check passed.
2. Real RECON TOMO files (Siemens Symbia T2 line source, Mediso InterViewXP Jaszczak): `scinti pet voi`'s hottest
   voxel at the patient position that pydicom's Image Position / Orientation / Spacing Between Slices give it
   (frame k at IPP + k * spacing * (row x column), the spacing signed as written).
Prints 'N passed, N failed'.
"""
import json, os, shutil, subprocess, sys, tempfile
import numpy as np
import pydicom

passed = failed = 0


def result(ok, name, detail):
    global passed, failed
    print(("ok   " if ok else "FAIL ") + f"{name}: {detail}")
    passed, failed = (passed + 1, failed) if ok else (passed, failed + 1)


def run(args):
    p = subprocess.run(args, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])}: {p.stderr.strip()[-400:]}")
    return p.stdout + p.stderr


def recon_tomo_positions(path):
    """Voxel array (frames, rows, cols) and a function (k, r, c) -> LPS mm, from pydicom's reading alone."""
    ds = pydicom.dcmread(path)
    det = ds.DetectorInformationSequence[0] if "DetectorInformationSequence" in ds else ds
    ipp = np.array([float(v) for v in (det.get("ImagePositionPatient") or ds.ImagePositionPatient)])
    iop = np.array([float(v) for v in (det.get("ImageOrientationPatient") or ds.ImageOrientationPatient)])
    row, col = iop[:3], iop[3:]
    dr, dc = float(ds.PixelSpacing[0]), float(ds.PixelSpacing[1])
    dz = float(ds.get("SpacingBetweenSlices") or ds.get("SliceThickness") or dr)
    normal = np.cross(row, col)
    arr = ds.pixel_array.astype(np.float64)
    if arr.ndim == 2:
        arr = arr[None]
    slope = float(ds.get("RescaleSlope", 1) or 1)
    return arr * slope, (lambda k, r, c: ipp + c * dc * row + r * dr * col + k * dz * normal), ds


def simulated(scinti, vendor, tmp):
    d = os.path.join(tmp, vendor)
    run([scinti, "simulate", "spect", "--phantom", "iec", "--isotope", "Tc-99m", "--collimator", "LEHR", "--vendor", vendor,
         "--views", "60", "--matrix", "64", "--pixel", "4.8", "--no-scatter", "--no-noise", "--out", d])
    out = run([scinti, "recon", os.path.join(d, "NM_SPECT.dcm"), "--ct", os.path.join(d, "CT"), "--psf", "none",
               "--scatter", "none", "--iterations", "3", "--subsets", "6", "--out", os.path.join(d, "recon.dcm")])
    truth = json.load(open(os.path.join(d, "truth.json")))
    arr, pos, ds = recon_tomo_positions(os.path.join(d, "recon.dcm"))
    name = f"simulated {vendor}"
    if vendor == "siemens":
        nm = pydicom.dcmread(os.path.join(d, "NM_SPECT.dcm"), stop_before_pixels=True)
        sx, sy, sz = [float(v) for v in nm.DetectorInformationSequence[0].ImagePositionPatient]
        dx = float(nm.PixelSpacing[0])
        if sy == 0:   # PyTomography's Siemens branch
            sx -= nm.Rows / 2 * dx
            sy -= nm.Rows / 2 * dx
            sy -= float(nm.RotationInformationSequence[0].TableHeight)
        z_lowest = sz - (nm.Rows - 1) * float(nm.PixelSpacing[1])
        got = pos(0, 0, 0)
        diff = np.abs(got - np.array([sx, sy, z_lowest])) / dx
        result(bool(np.all(diff <= 0.5 + 1e-3)), f"{name}: grid vs PyTomography's Siemens rule",
               f"first voxel {np.round(got, 2).tolist()} vs {[round(sx, 2), round(sy, 2), round(z_lowest, 2)]} ({np.round(diff, 3).tolist()} voxels)")
    voxel = float(ds.PixelSpacing[0])
    k, r, c = np.indices(arr.shape)
    xyz = pos(k[..., None], r[..., None], c[..., None])   # LPS mm of every voxel, as pydicom's attributes place it
    worst = 0.0
    details = []
    for lm in truth["landmarks"]:
        if (lm.get("diameterMM") or 0) < 22:
            continue
        t = np.array(lm["center"] if isinstance(lm["center"], list) else [lm["center"]["x"], lm["center"]["y"], lm["center"]["z"]])
        # The sphere's 50 % isocontour (of the local maximum) inside a ball of radius + 10 mm around the true centre;
        # its centre of mass. A misplaced grid moves the sphere out of the ball or off centre.
        near = np.linalg.norm(xyz - t, axis=-1) <= lm["diameterMM"] / 2 + 10
        if not near.any():
            worst = max(worst, 99); details.append(f"{lm['name']}: outside the image"); continue
        local = arr[near]
        sel = near & (arr >= 0.5 * local.max())
        found = (arr[sel][:, None] * xyz[sel]).sum(axis=0) / arr[sel].sum()
        off = float(np.linalg.norm(found - t)) / voxel
        worst = max(worst, off)
        details.append(f"{lm['name']} {off:.2f}")
    result(worst <= 1.0, f"{name}: spheres >= 22 mm vs truth.json", f"offsets in voxels: {', '.join(details)}")
    ok = "CT check: body outline on the CT" in out
    result(ok, f"{name}: scinti recon's CT check", next((l.strip() for l in out.splitlines() if "CT check" in l), "no CT check line"))


def real_recon_tomo(scinti, corpus):
    for f in ("siemens_symbiaT2_RECONTOMO_linesource_77sl_imageqc.dcm", "mediso_interviewxp_RECONTOMO_jaszczak_nmqc.dcm"):
        path = os.path.join(corpus, "vendor", f)
        if not os.path.exists(path):
            result(False, f, "missing from the corpus")
            continue
        arr, pos, ds = recon_tomo_positions(path)
        k, r, c = np.unravel_index(np.argmax(arr), arr.shape)
        want = pos(k, r, c)
        threshold = 0.5 * float(arr.max())
        p = subprocess.run([scinti, "pet", "voi", path, "--json", "--threshold", str(threshold), "--max-hotspots", "1"],
                           capture_output=True, text=True, timeout=300)
        out = json.loads(p.stdout)
        if not out["hotspots"]:
            result(False, f, "no hot spot found")
            continue
        got = np.array(out["hotspots"][0]["maxMM"])
        voxel = float(ds.PixelSpacing[0])
        d = float(np.linalg.norm(got - want))
        result(d <= 0.5 * voxel, f"{f}: hottest voxel", f"scinti {np.round(got, 2).tolist()} vs pydicom {np.round(want, 2).tolist()} mm ({d:.2f} mm)")


def main():
    scinti, corpus = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp()
    try:
        for v in ("siemens", "philips", "mediso", "ge"):
            try:
                simulated(scinti, v, tmp)
            except Exception as e:
                result(False, f"simulated {v}", str(e))
        real_recon_tomo(scinti, corpus)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
