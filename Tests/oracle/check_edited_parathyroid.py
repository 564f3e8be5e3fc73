#!/usr/bin/env python3
"""A parathyroid (dual-phase sestamibi) job re-run with candidate 1 moved (docs/review.md), checked against numpy.

  request AUTO_JOB.json OUT.json DX   the automatic job's request with `regions`: its `candidate 1` circle moved DX
                                      pixels to the right (as the arrow key does in the viewer)
  check AUTO_JOB.json RERUN_JOB.json REQUEST.json EARLY.dcm DELAYED.dcm USER
      regionsEdited, editedRegions (the label, USER, an ISO time), the automatic result kept, candidate 1 drawn and
      measured where it was moved. The background of each phase is one value per image (the median of a ring around
      the gland, unchanged by the move), so with a disc of the same pixel count the moved candidate's rates differ
      from the automatic ones by the raw sums: early Δ = (Σ moved disc − Σ automatic disc) / early duration, delayed
      Δ = the same on the delayed image / its duration × 2^(Δt / 6.0067 h) (Tc-99m half-life, DDEP), Δt between
      the acquisition starts counted from each file's injection time; discs: pixels whose centre lies within 2 pixels (the analysis' retention disc). Pixels
      and times read by pydicom from the files (the anterior frame: Detector Information's view code, else frame 1).
Prints one line per check; exits non-zero on the first failure.
"""
import json
import os
import sys
from datetime import datetime

import numpy as np
import pydicom

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_edited_mibg import moved_request, ok  # noqa: E402




def image(path, frame):
    """The frame's counts, its acquisition start in seconds after the injection (Radiopharmaceutical Start
    DateTime, else Start Time on the acquisition day: phases written separately record their own injection
    times, and the analysis puts them on the early image's clock), the frame duration in seconds."""
    ds = pydicom.dcmread(path)
    a = ds.pixel_array.astype(np.float64)
    a = a[None] if a.ndim == 2 else a
    start = datetime.strptime(str(ds.AcquisitionDate) + str(ds.AcquisitionTime).split(".")[0], "%Y%m%d%H%M%S")
    rp = ds.RadiopharmaceuticalInformationSequence[0]
    inj = str(getattr(rp, "RadiopharmaceuticalStartDateTime", "") or "")[:14] or str(ds.AcquisitionDate) + str(rp.RadiopharmaceuticalStartTime).split(".")[0]
    since = (start - datetime.strptime(inj, "%Y%m%d%H%M%S")).total_seconds()
    return a[frame], since, float(ds.ActualFrameDuration) / 1000


def disc_sum(img, c, r):
    rows, cols = np.mgrid[0:img.shape[0], 0:img.shape[1]]
    m = (rows - r) ** 2 + (cols - c) ** 2 <= 4
    return img[m].sum(), int(m.sum())


def main():
    if sys.argv[1] == "request":
        moved_request(sys.argv[2], sys.argv[3], "candidate 1", float(sys.argv[4]))
        return 0
    auto, job, req = json.load(open(sys.argv[2])), json.load(open(sys.argv[3])), json.load(open(sys.argv[4]))
    early, delayed, user = sys.argv[5], sys.argv[6], sys.argv[7]
    r, a = json.loads(job["result"]), json.loads(auto["result"])
    ok(r.get("regionsEdited") is True and r["editedRegions"]["labels"] == ["candidate 1"] and r["editedRegions"]["by"] == user
       and "T" in r["editedRegions"]["at"], f"parathyroid re-run: regionsEdited, editedRegions {r.get('editedRegions')}")
    ok("automatic" in r and r["automatic"]["result"]["candidates"] == a["result"]["candidates"], "parathyroid re-run: the automatic result kept beside it")
    e = req["regions"][0]
    moved = [x for x in r["display"]["regions"] if x["label"] == "candidate 1"][0]
    c1, c0 = r["result"]["candidates"][0], a["result"]["candidates"][0]
    ok((moved["column"], moved["row"]) == (e["column"], e["row"]) and (c1["column"], c1["row"]) == (e["column"], e["row"]),
       f"parathyroid re-run: candidate 1 drawn and measured where it was moved ({c1['column']:.3f}, {c1['row']:.3f})")
    frame = e["frames"][0] if e["frames"] else 0
    ei, te0, te = image(early, frame)
    dds = pydicom.dcmread(delayed, stop_before_pixels=True)
    di, td0, td = image(delayed, 0 if int(getattr(dds, "NumberOfFrames", 1) or 1) == 1 else frame)
    ok(td0 > te0, f"delayed image {td0 / 3600:.2f} h after its injection, early {te0 / 3600:.2f} h: {(td0 - te0) / 3600:.2f} h apart")
    (sm, nm), (sa, na) = disc_sum(ei, e["column"], e["row"]), disc_sum(ei, c0["column"], c0["row"])
    (dm, _), (da, _) = disc_sum(di, e["column"], e["row"]), disc_sum(di, c0["column"], c0["row"])
    ok(nm == na, f"moved and automatic discs have the same pixel count ({nm})")
    want_e = (sm - sa) / te
    want_d = (dm - da) / td * 2 ** ((td0 - te0) / (6.0067 * 3600))
    got_e, got_d = c1["earlyCPS"] - c0["earlyCPS"], c1["delayedCPS"] - c0["delayedCPS"]
    ok(abs(got_e - want_e) <= 1e-6 * max(1, abs(c0["earlyCPS"])), f"Δ early rate {got_e:.6f} cps = numpy {want_e:.6f}")
    ok(abs(got_d - want_d) <= 1e-4 * max(1, abs(c0["delayedCPS"])), f"Δ delayed rate {got_d:.6f} cps = numpy {want_d:.6f}")
    ok(abs(c1["retentionIndexPercent"] - 100 * c1["delayedCPS"] / c1["earlyCPS"]) < 1e-9, f"retention index {c1['retentionIndexPercent']:.3f} % = 100 × delayed / early")
    return 0


if __name__ == "__main__":
    sys.exit(main())
