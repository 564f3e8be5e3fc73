#!/usr/bin/env python3
"""Oracle test: `scinti dicom dump --json` must equal pydicom 3's reading of the same file for every non-binary element.

Usage: compare_json.py SCINTI_BINARY FILE_OR_DIR...
For every file pydicom reads, every element that pydicom reports with a non-binary VR must be present in Scinti's JSON
with the same VR and the same values (numbers compared as floats with a relative tolerance of 1e-12, strings exactly,
PN by component groups, sequences recursively). Binary VRs (OB, OD, OF, OL, OV, OW, UN) are skipped. Files pydicom
cannot read must make scinti exit non-zero with a one-line error (and not crash).
Prints 'N passed, N failed' and exits non-zero on any failure.
"""
import json, math, os, shutil, subprocess, sys
import pydicom

BINARY = {"OB", "OD", "OF", "OL", "OV", "OW", "UN"}
# PS3.5 6.2: leading and trailing spaces are not significant for these VRs. pydicom strips only the padding at the
# end of the whole value, so "DERIVED \\PRIMARY" stays "DERIVED " there; Scinti strips each value. Compare stripped.
SPACE_INSIGNIFICANT = {"AE", "CS", "DS", "IS", "SH", "LO", "DA", "TM", "DT", "UI", "AS"}


def norm_value(vr, v):
    if v is None:
        return ""
    if vr == "PN" and isinstance(v, dict):
        return {k: x for k, x in v.items() if x}
    return v


def same_number(a, b):
    try:
        fa, fb = float(a), float(b)
    except (TypeError, ValueError):
        return str(a) == str(b)
    if math.isnan(fa) and math.isnan(fb):
        return True
    return fa == fb or abs(fa - fb) <= 1e-12 * max(abs(fa), abs(fb))


def compare(ref, got, path, errors):
    for tag, rel in ref.items():
        vr = rel.get("vr")
        if vr in BINARY or tag.startswith("0002"):
            continue
        where = f"{path}{tag}"
        if tag not in got:
            errors.append(f"{where}: missing (pydicom: {json.dumps(rel)[:120]})")
            continue
        gel = got[tag]
        if gel.get("vr") != vr:
            errors.append(f"{where}: VR {gel.get('vr')} != pydicom {vr}")
            continue
        rv, gv = rel.get("Value", []), gel.get("Value", [])
        if vr == "SQ":
            if len(rv) != len(gv):
                errors.append(f"{where}: {len(gv)} items != pydicom {len(rv)}")
                continue
            for i, (ri, gi) in enumerate(zip(rv, gv)):
                compare(ri or {}, gi or {}, f"{where}[{i}].", errors)
            continue
        rv = [norm_value(vr, x) for x in rv]
        gv = [norm_value(vr, x) for x in gv]
        # pydicom drops trailing empty values differently; compare after removing trailing empties
        while rv and rv[-1] in ("", {}):
            rv.pop()
        while gv and gv[-1] in ("", {}):
            gv.pop()
        if len(rv) != len(gv):
            errors.append(f"{where}: {vr} values {gv[:6]} != pydicom {rv[:6]}")
            continue
        for a, b in zip(rv, gv):
            if vr in ("DS", "IS", "FL", "FD", "US", "SS", "UL", "SL", "SV", "UV"):
                ok = same_number(a, b)
            elif vr in SPACE_INSIGNIFICANT and isinstance(a, str) and isinstance(b, str):
                ok = a.strip(" ") == b.strip(" ")
            else:
                ok = a == b
            if not ok:
                errors.append(f"{where}: {vr} {json.dumps(gv)[:160]} != pydicom {json.dumps(rv)[:160]}")
                break


HAVE_DCMDUMP = shutil.which("dcmdump") is not None


def files_of(args):
    for a in args:
        if os.path.isdir(a):
            for root, _, names in sorted(os.walk(a)):
                for n in sorted(names):
                    if n.endswith(".dcm") or n == "DICOMDIR":
                        yield os.path.join(root, n)
        else:
            yield a


def main():
    scinti, targets = sys.argv[1], sys.argv[2:]
    passed = failed = 0
    for f in files_of(targets):
        # The reference: pydicom (forced for files without a meta header), but only where DCMTK's dcmdump also
        # parses the file; where either refuses (truncated, garbage), Scinti must refuse cleanly too.
        dcmtk_ok = subprocess.run(["dcmdump", "-q", "+E", f], capture_output=True).returncode == 0 if HAVE_DCMDUMP else True
        try:
            try:
                ds = pydicom.dcmread(f)
            except pydicom.errors.InvalidDicomError:
                ds = pydicom.dcmread(f, force=True)
            ref = ds.to_json_dict(bulk_data_threshold=1 << 30, bulk_data_element_handler=lambda e: "")
            pyerr = None
            if not dcmtk_ok:
                ref, pyerr = None, "dcmdump refuses it"
        except Exception as e:  # pydicom cannot read it
            ref, pyerr = None, e
        p = subprocess.run([scinti, "dicom", "dump", "--json", f], capture_output=True, text=True, timeout=120)
        if p.returncode < 0 or "Fatal error" in p.stderr:
            print(f"FAIL {f}: scinti crashed ({p.returncode}): {p.stderr[-300:]}")
            failed += 1
            continue
        if ref is None:
            if p.returncode != 0 and p.stderr.strip().count("\n") == 0 and f.split("/")[-1] in p.stderr:
                print(f"ok   {f}: both refuse (reference: {pyerr}; scinti: {p.stderr.strip()[:150]})")
                passed += 1
            else:
                print(f"FAIL {f}: pydicom refuses ({pyerr}) but scinti rc={p.returncode} stderr={p.stderr[:200]}")
                failed += 1
            continue
        if p.returncode != 0:
            print(f"FAIL {f}: scinti rc={p.returncode}: {p.stderr.strip()[:300]}")
            failed += 1
            continue
        got = json.loads(p.stdout)
        errors = []
        compare(ref, got, "", errors)
        if errors:
            failed += 1
            print(f"FAIL {f}: {len(errors)} differences")
            for e in errors[:12]:
                print("     " + e)
        else:
            passed += 1
            print(f"ok   {f}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
