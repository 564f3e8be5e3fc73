#!/usr/bin/env python3
"""Oracle test: `scinti dicom pixels` against the corpus MANIFEST's pixel hashes and GDCM's decode.

Usage: compare_pixels.py SCINTI_BINARY CORPUS_DIR
- Lossless files: SHA-256 (first 16 hex digits) of the decoded values as little-endian bytes of the MANIFEST's dtype
  must equal the MANIFEST's pixel oracle exactly.
- Lossy files (marked "lossy" in the MANIFEST): compared with GDCM's decode (`gdcmconv --raw`, then pydicom), which is
  what the MANIFEST hash was made from; max absolute difference within the codec's rounding (TOLERANCE below).
- HTJ2K files (no MANIFEST oracle: GDCM 3.0.21 cannot decode them) must equal pydicom + pylibjpeg-openjpeg.
Prints 'N passed, N failed'.
"""
import hashlib, os, re, shutil, subprocess, sys, tempfile
import numpy as np
import pydicom

# Same pixels in another transfer syntax, where the MANIFEST has no hash of its own: the twin's hash must match.
TWINS = {"ts/liver_deflate.dcm": "other/liver_seg.dcm"}
TOLERANCE = {"JPEG 2000": 2, "JPEG Baseline": 2, "JPEG-LS Lossy": 0}


def manifest_rows(corpus):
    rows = []
    for line in open(os.path.join(corpus, "MANIFEST.md")):
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        # The dtype "|u1" contains the table's own separator: take the oracle from the whole line.
        m = re.search(r"\| ([0-9a-f]{16}) (<|>|\|)(u1|i1|u2|i2|u4|i4|u8|i8|f4|f8)([^|]*)", line)
        oracle = f"{m.group(1)} {m.group(2)}{m.group(3)}{m.group(4)}" if m else "-"
        rows.append({"file": cells[0].strip("`"), "ts": cells[4], "oracle": oracle})
    return rows


def load_npy(scinti, path, out):
    p = subprocess.run([scinti, "dicom", "pixels", path, "--out", out], capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        return None, p.stderr.strip()
    return np.load(out), None


def gdcm_reference(path, tmp):
    raw = os.path.join(tmp, "gdcm_raw.dcm")
    subprocess.run(["gdcmconv", "--raw", path, raw], check=True, capture_output=True)
    return pydicom.dcmread(raw).pixel_array


def main():
    scinti, corpus = sys.argv[1], sys.argv[2]
    passed = failed = 0
    tmp = tempfile.mkdtemp()
    out = os.path.join(tmp, "x.npy")
    for row in manifest_rows(corpus):
        path = os.path.join(corpus, row["file"])
        if row["file"] in TWINS:
            row = dict(row, oracle=next(r["oracle"] for r in manifest_rows(corpus) if r["file"] == TWINS[row["file"]]))
        m = re.match(r"([0-9a-f]{16}) ([<>|])(\w+)", row["oracle"])
        if not m:
            if "HTJ2K" in row["ts"] or "High-Throughput" in row["ts"]:
                # No MANIFEST oracle (GDCM 3.0.21 cannot decode HTJ2K): pydicom with pylibjpeg-openjpeg is the peer.
                arr, err = load_npy(scinti, path, out)
                try:
                    ref = pydicom.dcmread(path).pixel_array
                except Exception as e:
                    print(f"FAIL {row['file']}: pydicom cannot decode it ({e}); install pylibjpeg-openjpeg")
                    failed += 1
                    continue
                if arr is not None and arr.size == ref.size and np.array_equal(arr.reshape(ref.shape), ref):
                    print(f"ok   {row['file']}: HTJ2K equal to pydicom + pylibjpeg-openjpeg {ref.shape}")
                    passed += 1
                else:
                    print(f"FAIL {row['file']}: HTJ2K differs from pydicom + pylibjpeg-openjpeg ({err})")
                    failed += 1
            continue
        want, order, dtype = m.group(1), m.group(2), m.group(3)
        arr, err = load_npy(scinti, path, out)
        if arr is None:
            print(f"FAIL {row['file']}: {err}")
            failed += 1
            continue
        if "lossy" in row["oracle"]:
            if not shutil.which("gdcmconv"):
                print(f"skip {row['file']}: gdcmconv not installed")
                continue
            ref = gdcm_reference(path, tmp)
            got = arr.reshape(ref.shape) if arr.size == ref.size else None
            if got is None:
                print(f"FAIL {row['file']}: shape {arr.shape} vs GDCM {ref.shape}")
                failed += 1
                continue
            diff = int(np.max(np.abs(got.astype(np.int64) - ref.astype(np.int64))))
            tol = next((t for k, t in TOLERANCE.items() if k in row["ts"]), 0)
            if diff <= tol:
                print(f"ok   {row['file']}: lossy, max |scinti - GDCM| = {diff} (tolerance {tol})")
                passed += 1
            else:
                print(f"FAIL {row['file']}: lossy, max |scinti - GDCM| = {diff} > {tol}")
                failed += 1
            continue
        data = arr.astype(np.dtype("<" + dtype) if order != "|" else np.dtype(dtype)).tobytes()
        got = hashlib.sha256(data).hexdigest()[:16]
        if got == want:
            print(f"ok   {row['file']}: {got} {arr.dtype} {arr.shape}")
            passed += 1
        else:
            print(f"FAIL {row['file']}: hash {got} != MANIFEST {want} ({arr.dtype} {arr.shape})")
            failed += 1
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
