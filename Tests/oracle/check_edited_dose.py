#!/usr/bin/env python3
"""A dose job re-run with an edited VOI (docs/review.md), checked against numpy.

  request AUTO_JOB.json OUT.json PLANE
                                    the automatic dose job's request with `regions`: its first VOI (display.volumeMasks)
                                    cut to the voxels at or below its middle slice (an edit a reviewer makes with the
                                    eraser), as a mask over the reference SPECT's voxels (PLANE = columns × rows)
  check RERUN_JOB.json REQUEST.json SPECT.dcm USER
                                    the re-run: regionsEdited, editedRegions (the label, USER, an ISO time), the
                                    automatic report kept beside it; the edited VOI drawn with the submitted voxels;
                                    its volume (mL) and its activity at the reference visit (MBq) equal numpy's on the
                                    reference SPECT (pydicom: pixels × Rescale Slope in Bq/mL, voxel volume from Pixel
                                    Spacing × Spacing Between Slices); the automatic VOI's activity is larger
Prints one line per check; exits non-zero on the first failure.
"""
import json
import sys

import numpy as np
import pydicom


def ok(cond, what):
    print(("ok: " if cond else "FAILED: ") + what)
    if not cond:
        sys.exit(1)


def decode(runs, n):
    m = np.zeros(n, bool)
    for s, k in zip(runs[0::2], runs[1::2]):
        m[s:s + k] = True
    return m


def runs_of(m):
    out = []
    idx = np.flatnonzero(np.diff(np.concatenate([[0], m.astype(np.int8), [0]])))
    for s, e in zip(idx[0::2], idx[1::2]):
        out += [int(s), int(e - s)]
    return out


def main():
    if sys.argv[1] == "request":
        job = json.load(open(sys.argv[2]))
        req = json.loads(job["request"])
        res = json.loads(job["result"])
        d = res["display"]
        v = d["volumeMasks"][0]
        last = v["runs"][-2] + v["runs"][-1]
        m = decode(v["runs"], last)
        plane = int(sys.argv[4])
        ks = np.flatnonzero(m) // plane
        mid = int(np.median(ks))
        m[(mid + 1) * plane:] = False
        for k in ("regions", "regionsEditedBy", "regionsEditedAt"):
            req.pop(k, None)
        for t in req.get("acceptedTransforms") or []:
            t.pop("acceptedBy", None)
        req["regions"] = [{"label": v["label"], "colour": v["colour"], "frames": [], "shape": "mask", "runs": runs_of(m)}]
        json.dump(req, open(sys.argv[3], "w"))
        print(f"edited VOI {v['label']!r}: {int(decode(v['runs'], last).sum())} → {int(m.sum())} voxels (slices ≤ {mid})")
        return 0
    job, req, spect, user = json.load(open(sys.argv[2])), json.load(open(sys.argv[3])), sys.argv[4], sys.argv[5]
    r = json.loads(job["result"])
    e = req["regions"][0]
    ok(r.get("regionsEdited") is True and r["editedRegions"]["labels"] == [e["label"]] and r["editedRegions"]["by"] == user
       and "T" in r["editedRegions"]["at"], f"dose re-run: regionsEdited, editedRegions {r.get('editedRegions')}")
    ok("automatic" in r and "report" in r["automatic"] and "display" in r["automatic"], "dose re-run: the automatic report and display kept beside it")
    shown = [v for v in r["display"]["volumeMasks"] if v["label"] == e["label"]]
    ok(len(shown) == 1 and shown[0]["runs"] == e["runs"], f"dose re-run: the edited VOI {e['label']!r} drawn with the submitted voxels")
    ds = pydicom.dcmread(spect)
    a = ds.pixel_array.astype(np.float64) * float(getattr(ds, "RescaleSlope", 1) or 1) + float(getattr(ds, "RescaleIntercept", 0) or 0)
    a = a.reshape(-1)
    ps = [float(x) for x in ds.PixelSpacing]
    dz = float(getattr(ds, "SpacingBetweenSlices", 0) or getattr(ds, "SliceThickness", 0))
    ml = ps[0] * ps[1] * dz / 1000
    m = decode(e["runs"], a.size)
    vol, act = m.sum() * ml, a[m].sum() * ml / 1e6
    rep = [v for v in r["report"]["vois"] if v["name"] == e["label"]][0]
    auto = [v for v in r["automatic"]["report"]["vois"] if v["name"] == e["label"]][0]
    ok(abs(rep["volumeML"] - vol) <= 1e-6 * vol, f"dose re-run: VOI volume {rep['volumeML']:.4f} mL = numpy {vol:.4f} mL ({int(m.sum())} voxels × {ml:.5f} mL)")
    ok(abs(rep["activitiesMBq"][0] - act) <= 1e-4 * act, f"dose re-run: activity at the reference visit {rep['activitiesMBq'][0]:.5f} MBq = numpy {act:.5f} MBq (Bq/mL × mL in the edited VOI)")
    ok(auto["activitiesMBq"][0] > rep["activitiesMBq"][0] and auto["volumeML"] > rep["volumeML"],
       f"dose re-run: the automatic VOI ({auto['volumeML']:.1f} mL, {auto['activitiesMBq'][0]:.3f} MBq) is kept unchanged beside the edited one; dose {auto['meanDoseGy']:.3f} → {rep['meanDoseGy']:.3f} Gy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
