#!/usr/bin/env python3
"""Oracle test: `scinti pet suv --json` against SUVbw computed independently with pydicom + numpy.

Usage: check_suv.py SCINTI_BINARY CORPUS_DIR
For the real PET slice pt/ACRIN_FLT_PT_slice_a.dcm, and for a simulated PET series written by `scinti pet simulate`
in a temporary folder (once as BQML, once as Philips CNTS with private scale factors):
- SUVbw factor = weight (g) / (Radionuclide Total Dose x 2^(-(scan - injection) / half-life)), with the scan time
  from Series Date/Time (QIBA: Series Date/Time when not later than the earliest Acquisition Date/Time) and the
  injection from Radiopharmaceutical Start DateTime, else Start Time on the series date; for Philips CNTS, the
  private SUV Scale Factor (7053,1000). Must match `suvbwFactor` within 0.1 %.
- SUVmax = max(stored x Rescale Slope + Rescale Intercept) x factor over the series must match the first hot
  spot's `suvMax` within 0.1 %.
For the simulated series, dciodvfy (when installed) must report no errors on a slice, and the hot spots must also carry the true lesion SUVs of truth.json within 1 % (SUVmax).
Prints 'N passed, N failed'; exit status 1 on any failure.
"""
import datetime as dt
import glob, json, os, shutil, subprocess, sys, tempfile
import numpy as np
import pydicom

TOL = 1e-3


def parse_time(date, time):
    time = time.strip()
    whole, _, frac = time.partition(".")
    whole = whole.ljust(6, "0")
    t = dt.datetime.strptime(date.strip() + whole, "%Y%m%d%H%M%S")
    return t + dt.timedelta(microseconds=int((frac + "000000")[:6]) if frac else 0)


def oracle(paths):
    """(suvbw factor, max SUVbw) computed from the DICOM files with pydicom."""
    dss = [pydicom.dcmread(p) for p in paths]
    d = dss[0]
    rp = d.RadiopharmaceuticalInformationSequence[0]
    series = parse_time(d.SeriesDate, d.SeriesTime)
    acq = min(parse_time(x.AcquisitionDate, x.AcquisitionTime) for x in dss)
    scan = series if series <= acq else acq
    units = d.Units
    if units == "CNTS":
        block = d.private_block(0x7053, "Philips PET Private Group")
        factor = float(block[0x00].value)
    else:
        assert units == "BQML", units
        if "RadiopharmaceuticalStartDateTime" in rp and rp.RadiopharmaceuticalStartDateTime:
            s = str(rp.RadiopharmaceuticalStartDateTime).strip()
            inj = parse_time(s[:8], s[8:].split("+")[0].split("-")[0])
        else:
            inj = parse_time(d.SeriesDate, rp.RadiopharmaceuticalStartTime)
            if inj > scan:
                inj -= dt.timedelta(days=1)
        delta = (scan - inj).total_seconds()
        decayed = float(rp.RadionuclideTotalDose) * 2 ** (-delta / float(rp.RadionuclideHalfLife))
        factor = float(d.PatientWeight) * 1000 / decayed
    mx = max(float(np.max(x.pixel_array.astype(np.float64) * float(x.RescaleSlope) + float(x.RescaleIntercept))) for x in dss)
    return factor, mx * factor


def run_scinti(scinti, path):
    p = subprocess.run([scinti, "pet", "suv", path, "--json"], capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError(f"scinti pet suv {path} failed: {p.stderr.strip()}")
    return json.loads(p.stdout)


def main():
    scinti, corpus = sys.argv[1], sys.argv[2]
    passed = failed = 0

    def check(name, got, want, tol=TOL):
        nonlocal passed, failed
        rel = abs(got - want) / abs(want)
        ok = rel <= tol
        print(f"{'ok  ' if ok else 'FAIL'} {name}: scinti {got:.8g} pydicom {want:.8g} (rel {rel:.2e}, tol {tol:g})")
        passed += ok
        failed += not ok

    real = os.path.join(corpus, "pt", "ACRIN_FLT_PT_slice_a.dcm")
    if os.path.exists(real):
        f, m = oracle([real])
        r = run_scinti(scinti, real)
        check("ACRIN PT slice suvbwFactor", r["suvbwFactor"], f)
        check("ACRIN PT slice SUVmax", r["hotspots"][0]["suvMax"], m)
    else:
        print(f"skipped: {real} not found")

    with tempfile.TemporaryDirectory() as tmp:
        for enc in ["bqml", "philips-cnts"]:
            out = os.path.join(tmp, enc)
            subprocess.run([scinti, "pet", "simulate", "--matrix", "96,96,40", "--out", out, "--encoding", enc],
                           check=True, capture_output=True, timeout=600)
            paths = sorted(glob.glob(os.path.join(out, "PT", "*.dcm")))
            if shutil.which("dciodvfy"):
                v = subprocess.run(["dciodvfy", paths[0]], capture_output=True, text=True)
                errs = [l for l in (v.stdout + v.stderr).splitlines() if l.startswith("Error")]
                print(f"{'FAIL' if errs else 'ok  '} simulated {enc} dciodvfy: {len(errs)} errors" + "".join("\n    " + e for e in errs))
                passed += not errs
                failed += bool(errs)
            f, m = oracle(paths)
            r = run_scinti(scinti, os.path.join(out, "PT"))
            check(f"simulated {enc} suvbwFactor", r["suvbwFactor"], f)
            check(f"simulated {enc} SUVmax", r["hotspots"][0]["suvMax"], m)
            truth = json.load(open(os.path.join(out, "truth.json")))
            for les in truth["lesions"]:
                c = np.array(les["center"] if isinstance(les["center"], list) else [les["center"]["x"], les["center"]["y"], les["center"]["z"]])
                near = [h for h in r["hotspots"] if np.linalg.norm(np.array(h["centerMM"]) - c) < les["diameterMM"] / 2]
                if not near:
                    print(f"FAIL simulated {enc} {les['name']}: no hot spot within its radius")
                    failed += 1
                    continue
                check(f"simulated {enc} {les['name']} SUVmax vs truth", near[0]["suvMax"], les["suv"], 0.01)

    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
