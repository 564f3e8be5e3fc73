#!/usr/bin/env python3
"""Oracle for `scinti dose`: a simulated Lu-177 serial study through the CLI, checked independently.

Usage: check_dose.py SCINTI_BIN
- `scinti dose --write-simulated` writes 4 visits + masks.dcm + truth.json (analytic TIA per organ);
- `scinti dose ... --masks masks.dcm --json` must give TIA within 5 % of truth per organ;
- pydicom reads rtdose.dcm (stored × DoseGridScaling) and masks.dcm (BINARY SEG, frames placed by Plane Position)
  and recomputes each VOI's mean dose, which must equal the JSON meanDoseGy within 0.5 %;
- dciodvfy (when installed) reports no error for rtdose.dcm and masks.dcm.
"""
import json, os, shutil, subprocess, sys, tempfile
import numpy as np
import pydicom

scinti = sys.argv[1]
work = tempfile.mkdtemp(prefix="scinti-dose-oracle-")
try:
    subprocess.run([scinti, "dose", "--write-simulated", work], check=True, stdout=subprocess.DEVNULL)
    truth = json.load(open(os.path.join(work, "truth.json")))
    out = os.path.join(work, "out")
    args = [scinti, "dose"] + sum([["--timepoint", f] for f in truth["folders"]], []) + [
        "--masks", os.path.join(work, "masks.dcm"), "--isotope", "Lu-177", "--method", "voxel", "--out", out, "--json"]
    report = json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
    bad = 0
    for organ in truth["organs"]:
        voi = next(v for v in report["vois"] if v["name"] == organ["name"])
        err = voi["tiaMBqh"] / organ["tiaMBqh"] - 1
        print(f"{organ['name']}: TIA {voi['tiaMBqh']:.1f} vs truth {organ['tiaMBqh']:.1f} MBq·h ({100 * err:+.2f} %), fit {voi['fit']['method']}")
        bad += abs(err) >= 0.05
    # Independent mean dose from the DICOM files.
    rd = pydicom.dcmread(os.path.join(out, "rtdose.dcm"))
    dose = rd.pixel_array.astype(np.float64) * float(rd.DoseGridScaling)          # [z][y][x]
    z0 = float(rd.ImagePositionPatient[2])
    seg = pydicom.dcmread(os.path.join(work, "masks.dcm"))
    frames = seg.pixel_array.reshape(-1, seg.Rows, seg.Columns)
    labels = {int(s.SegmentNumber): s.SegmentLabel for s in seg.SegmentSequence}
    masks = {n: np.zeros(dose.shape, bool) for n in labels}
    spacing = float(rd.GridFrameOffsetVector[1]) - float(rd.GridFrameOffsetVector[0])
    for k, fg in enumerate(seg.PerFrameFunctionalGroupsSequence):
        n = int(fg.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
        z = float(fg.PlanePositionSequence[0].ImagePositionPatient[2])
        masks[n][int(round((z - z0) / spacing))] |= frames[k].astype(bool)
    for n, name in labels.items():
        voi = next(v for v in report["vois"] if v["name"] == name)
        mean = dose[masks[n]].mean()
        err = mean / voi["meanDoseGy"] - 1
        print(f"{name}: pydicom mean dose {mean:.4f} Gy vs JSON {voi['meanDoseGy']:.4f} Gy ({100 * err:+.3f} %)")
        bad += abs(err) >= 0.005
    if shutil.which("dciodvfy"):
        for f in [os.path.join(out, "rtdose.dcm"), os.path.join(work, "masks.dcm")]:
            r = subprocess.run(["dciodvfy", f], capture_output=True, text=True)
            errors = [l for l in (r.stdout + r.stderr).splitlines() if l.startswith("Error")]
            print(f"dciodvfy {os.path.basename(f)}: {len(errors)} error(s)")
            for l in errors[:5]:
                print("  " + l)
            bad += len(errors) > 0
    sys.exit(1 if bad else 0)
finally:
    shutil.rmtree(work, ignore_errors=True)
