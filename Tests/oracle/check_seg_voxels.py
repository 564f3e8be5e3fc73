#!/usr/bin/env python3
"""A SEG retrieved over WADO-RS (multipart/related body), read by pydicom independently of Scinti's reader.

Usage: check_seg_voxels.py MULTIPART_BODY SEG_JSON
SEG_JSON: {"runs": [[start, length, …] per VOI], "labels": [...]} as drawn in the browser. Checks: one SEG instance,
Segmentation Type BINARY, the segment labels in order, and per segment the number of set bits over its frames
(Per-Frame Functional Groups → Referenced Segment Number) equals the VOI's voxel count.
"""
import io
import json
import sys

import numpy as np
import pydicom


def main():
    body = open(sys.argv[1], "rb").read()
    want = json.load(open(sys.argv[2]))
    boundary = body.split(b"\r\n", 1)[0]
    parts = [p for p in body.split(boundary) if b"\r\n\r\n" in p]
    sets = [pydicom.dcmread(io.BytesIO(p.split(b"\r\n\r\n", 1)[1].rsplit(b"\r\n", 1)[0])) for p in parts]
    if len(sets) != 1:
        print(f"FAILED: {len(sets)} instances in the SEG series"); return 1
    ds = sets[0]
    labels = [s.SegmentLabel for s in ds.SegmentSequence]
    bits = np.unpackbits(np.frombuffer(ds.PixelData, np.uint8), bitorder="little")
    n = int(ds.Rows) * int(ds.Columns)
    counts = [0] * len(labels)
    for f, g in enumerate(ds.PerFrameFunctionalGroupsSequence):
        seg = int(g.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
        counts[seg - 1] += int(bits[f * n:(f + 1) * n].sum())
    expected = [sum(r[1::2]) for r in want["runs"]]
    ok = ds.SegmentationType == "BINARY" and labels == want["labels"] and counts == expected
    print(("ok: " if ok else "FAILED: ") + f"pydicom: {ds.SegmentationType}, labels {labels}, voxels {counts}; drawn {want['labels']}, {expected}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
