#!/usr/bin/env python3
"""An LVEF job re-run with edited regions, checked against numpy on the same pixels and regions.

Usage: check_edited_lvef.py JOB_JSON DICOM_FILE EDITOR

JOB_JSON is GET /api/jobs/{id} of the re-run. Checks: `regionsEdited` is true; `editedRegions` names the labels, the
editor and an ISO 8601 time; `automatic` keeps the automatic result and display; the edited result's display shows the
regions it used; and its LVEF equals the LVEF numpy computes from the DICOM frames (pydicom) and those regions, by the
method of docs/review.md, written here independently:
  LV counts of slot k = sum of frame f_k over the slot's LV mask; background per pixel b = mean of the background mask
  on the end-systolic frame, where that frame is first found with b0 = the background's mean over all slots;
  curve_k = counts_k − b · pixels_k; ED = argmax, ES = argmin; LVEF = 100 (ED − ES) / ED.
"""
import json
import re
import sys
from datetime import datetime

import numpy as np
import pydicom


def mask(runs, n):
    m = np.zeros(n, bool)
    for s, k in zip(runs[0::2], runs[1::2]):
        m[s:s + k] = True
    return m


def region_mask(r, rows, cols):
    if r["shape"] == "mask":
        return mask(r["runs"], rows * cols).reshape(rows, cols)
    rr, cc = np.mgrid[0:rows, 0:cols]
    if r["shape"] == "circle":
        return (cc - r["column"]) ** 2 + (rr - r["row"]) ** 2 <= r["radius"] ** 2
    return (np.abs(cc - r["column"]) <= r["radius"]) & (np.abs(rr - r["row"]) <= r["radius"])


def main():
    job = json.load(open(sys.argv[1]))
    editor = sys.argv[3]
    ds = pydicom.dcmread(sys.argv[2])
    img = ds.pixel_array.astype(np.float64)
    img = img * float(getattr(ds, "RescaleSlope", 1) or 1) + float(getattr(ds, "RescaleIntercept", 0) or 0)
    _, rows, cols = img.shape
    res = json.loads(job["result"])
    failures = []

    def ok(cond, what):
        print(("ok: " if cond else "FAILED: ") + what)
        if not cond:
            failures.append(what)

    ok(res.get("regionsEdited") is True, "regionsEdited is true")
    e = res.get("editedRegions") or {}
    ok(bool(e.get("labels")) and e.get("by") == editor, f"editedRegions names the labels {e.get('labels')} and the editor {e.get('by')!r}")
    try:
        datetime.fromisoformat(str(e.get("at")).replace("Z", "+00:00"))
        ok(True, f"editedRegions has the time {e.get('at')}")
    except ValueError:
        ok(False, f"editedRegions time {e.get('at')!r} is ISO 8601")
    auto = res.get("automatic") or {}
    ok("lvef" in (auto.get("result") or {}) and bool((auto.get("display") or {}).get("regions")), "the automatic result and display are kept beside")
    regions = res["display"]["regions"]
    slots, bg = {}, None
    for r in regions:
        m = re.match(r"LV slot (\d+)", r["label"])
        if m:
            slots[int(m.group(1)) - 1] = (r["frames"][0], region_mask(r, rows, cols))
        elif r["label"] == "background":
            bg = (r["frames"], region_mask(r, rows, cols))
    ok(len(slots) >= 8 and bg is not None, f"the display shows the regions used ({len(slots)} LV slots and the background)")
    # Every edited label's region in the display equals the one sent (and differs from the automatic one).
    auto_regions = {r["label"]: r for r in auto["display"]["regions"]}
    for label in e.get("labels", []):
        a = auto_regions.get(label)
        used = [r for r in regions if r["label"].split(" (")[0] == label.split(" (")[0]]
        ok(a is not None and used and not np.array_equal(region_mask(a, rows, cols), region_mask(used[0], rows, cols)),
           f"edited region {label!r} is used in place of the automatic one")
    n = len(slots)
    frames = [slots[k][0] for k in range(n)]
    counts = np.array([img[frames[k]][slots[k][1]].sum() for k in range(n)])
    pixels = np.array([slots[k][1].sum() for k in range(n)])
    b0 = np.mean([img[f][bg[1]].mean() for f in frames])
    es0 = int(np.argmin(counts - b0 * pixels))
    b = img[frames[es0]][bg[1]].mean()
    curve = counts - b * pixels
    ed, es = int(np.argmax(curve)), int(np.argmin(curve))
    lvef = 100 * (curve[ed] - curve[es]) / curve[ed]
    got = res["result"]["lvef"]
    ok(abs(got - lvef) < 1e-6 * max(1, abs(lvef)), f"LVEF with edited regions {got:.6f} % equals numpy's {lvef:.6f} % (ED slot {ed + 1}, ES slot {es + 1})")
    ok(abs(res["result"]["lvef"] - auto["result"]["lvef"]) > 1e-9, f"the edited LVEF ({got:.3f} %) differs from the automatic one ({auto['result']['lvef']:.3f} %)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
