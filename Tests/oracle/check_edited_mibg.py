#!/usr/bin/env python3
"""An MIBG heart-to-mediastinum re-run with an edited heart region (docs/review.md), checked against numpy.

  request AUTO_JOB.json OUT.json DX   the automatic job's request with `regions`: its `heart` circle moved DX pixels
                                      to the right (as the arrow key does in the viewer)
  check RERUN_JOB.json REQUEST.json NM.dcm USER
      regionsEdited, editedRegions (the label, USER, an ISO time), the automatic result kept; the displayed heart is
      the submitted circle and the mediastinum the automatic square; H/M equals numpy's on the DICOM pixels of the
      anterior frame (pydicom): mean counts of the pixels whose centre lies within the circle (distance ≤ radius)
      over the mean of the pixels strictly inside the square (|Δ| < side / 2) — Flotats et al. 2010, the method the
      analysis documents — and differs from the automatic H/M.
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


def moved_request(job_path, out_path, label, dx):
    """Writes the automatic job's request with `regions`: its region `label` moved dx pixels to the right (as the
    viewer's arrow key moves it)."""
    job = json.load(open(job_path))
    req = json.loads(job["request"])
    region = [r for r in json.loads(job["result"])["display"]["regions"] if r["label"] == label][0]
    region["column"] += dx
    req["regions"] = [region]
    json.dump(req, open(out_path, "w"))


def main():
    if sys.argv[1] == "request":
        moved_request(sys.argv[2], sys.argv[3], "heart", float(sys.argv[4]))
        return 0
    job, req, path, user = json.load(open(sys.argv[2])), json.load(open(sys.argv[3])), sys.argv[4], sys.argv[5]
    r = json.loads(job["result"])
    ok(r.get("regionsEdited") is True and r["editedRegions"]["labels"] == ["heart"] and r["editedRegions"]["by"] == user and "T" in r["editedRegions"]["at"],
       f"MIBG re-run: regionsEdited, editedRegions {r.get('editedRegions')}")
    ok("automatic" in r and "heartToMediastinum" in r["automatic"]["result"], "MIBG re-run: the automatic result kept beside it")
    regs = {x["label"]: x for x in r["display"]["regions"]}
    auto = {x["label"]: x for x in r["automatic"]["display"]["regions"]}
    e = req["regions"][0]
    h, m = regs["heart"], regs["mediastinum"]
    ok((h["column"], h["row"], h["radius"]) == (e["column"], e["row"], e["radius"]), f"MIBG re-run: the heart drawn where it was moved ({h['column']}, {h['row']}, r {h['radius']:.3f})")
    ok((m["column"], m["row"], m["radius"]) == (auto["mediastinum"]["column"], auto["mediastinum"]["row"], auto["mediastinum"]["radius"]),
       "MIBG re-run: the mediastinum kept at its automatic place")
    ds = pydicom.dcmread(path)
    a = ds.pixel_array.astype(np.float64)
    a = a[None] if a.ndim == 2 else a
    img = a[h["frames"][0]] if h["frames"] else a[0]
    rows, cols = np.mgrid[0:img.shape[0], 0:img.shape[1]]
    disc = (rows - h["row"]) ** 2 + (cols - h["column"]) ** 2 <= h["radius"] ** 2
    side = round(2 * m["radius"])
    square = (np.abs(rows - m["row"]) < side / 2) & (np.abs(cols - m["column"]) < side / 2)
    want = img[disc].mean() / img[square].mean()
    got = r["result"]["heartToMediastinum"]
    ok(abs(got - want) <= 1e-9 * want, f"MIBG re-run: H/M {got:.6f} = numpy {want:.6f} ({int(disc.sum())} heart pixels, {int(square.sum())} mediastinal pixels)")
    ok(abs(got - r["automatic"]["result"]["heartToMediastinum"]) > 1e-6, f"MIBG re-run: differs from the automatic H/M {r['automatic']['result']['heartToMediastinum']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
