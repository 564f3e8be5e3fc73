#!/usr/bin/env python3
"""Cross-check of the generated data dictionary against DCMTK's dicom.dic, an independent transcription of PS3.6.

Usage: compare_dictionary.py [DICOM_DIC]   (default /usr/share/libdcmtk17/dicom.dic)
For every exact (non-repeating) tag that both list as DICOM-standard: same keyword and compatible VR (DCMTK writes
ambiguous VRs as 'xs' (US or SS), 'ox' (OB or OW), 'lt' (US or OW)...). Version skew is allowed for: tags only one of
them knows are counted, not failed. Prints 'N passed, N failed'.
"""
import glob, os, re, sys

HERE = os.path.dirname(os.path.abspath(__file__))
TABLE = os.path.join(HERE, "..", "..", "Sources", "DICOM", "Generated", "DataDictionary.swift")
DCMTK_AMBIGUOUS = {"xs": {"US", "SS"}, "ox": {"OB", "OW"}, "lt": {"US", "SS", "OW"}, "px": {"OB", "OW"}, "up": {"UL"}, "na": set()}


def ours():
    d = {}
    for line in open(TABLE, encoding="utf-8"):
        f = line.rstrip("\n").split("\t")
        if len(f) >= 6 and re.fullmatch(r"[0-9A-F]{8}", f[0]):
            d[f[0]] = (set(f[1].split("|")), f[3])
    return d


def dcmtk(path):
    d = {}
    for line in open(path, encoding="latin-1"):
        if line.startswith("#") or not line.strip():
            continue
        f = line.rstrip("\n").split("\t")
        m = re.fullmatch(r"\(([0-9A-F]{4}),([0-9A-F]{4})\)", f[0])
        if m and len(f) >= 5 and f[4].startswith("DICOM"):
            d[m.group(1) + m.group(2)] = (f[1], f[2])
    return d


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else (glob.glob("/usr/share/libdcmtk*/dicom.dic") or [""])[0]
    if not os.path.exists(path):
        print("skip: DCMTK's dicom.dic not installed")
        print("0 passed, 0 failed")
        return
    a, b = ours(), dcmtk(path)
    common = sorted(set(a) & set(b))
    passed = failed = 0
    for tag in common:
        vrs, kw = a[tag]
        dvr, dkw = b[tag]
        dset = DCMTK_AMBIGUOUS.get(dvr, {dvr})
        vr_ok = bool(vrs & dset) or not dset
        # DCMTK prefixes retired keywords with RETIRED_ and renames a few; compare case-insensitively without that.
        kw_ok = kw.lower() == dkw.replace("RETIRED_", "").lower() or dkw.startswith("RETIRED_") or kw == ""
        if vr_ok and kw_ok:
            passed += 1
        else:
            failed += 1
            print(f"FAIL ({tag[:4]},{tag[4:]}): ours {sorted(vrs)} {kw} vs DCMTK {dvr} {dkw}")
    print(f"{len(common)} tags in both; {len(set(a) - set(b))} only in ours (newer standard), {len(set(b) - set(a))} only in DCMTK's")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
