#!/usr/bin/env bash
# End-to-end check of `scinti analyze lvef` through the CLI: simulate gated blood-pool studies (EF 30/45/65 %) with
# `scinti simulate gated`, analyse the DICOM, compare with truth.json (count-based and volume LVEF, within 3 points).
# Usage: scripts/check-planar-analyses.sh [path/to/scinti]   (default .build/debug/scinti)
set -euo pipefail
S=${1:-.build/debug/scinti}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
status=0
for ef in 30 45 65; do
  "$S" simulate gated --matrix 64 --pixel 4.8 --voxel 7 --no-ct --edv 130 --lvef "$ef" --seed "$ef" --out "$T/g$ef" > /dev/null
  "$S" analyze lvef "$T/g$ef/NM_GATED.dcm" --json --png "$T/g$ef.png" 2> /dev/null > "$T/r$ef.json"
  python3 - "$T/r$ef.json" "$T/g$ef/truth.json" "$T/g$ef.png" <<'PY' || status=1
import json, sys
r = json.load(open(sys.argv[1])); t = json.load(open(sys.argv[2]))["gated"]
assert open(sys.argv[3], "rb").read(4) == b"\x89PNG", "no figure"
d1, d2 = r["lvef"] - t["countLVEFPercent"], r["lvef"] - t["framedLVEFPercent"]
ok = abs(d1) <= 3 and abs(d2) <= 3 and r["edFrame"] in (t["edSlot"], (t["edSlot"] - 1) % t["timeSlots"], (t["edSlot"] + 1) % t["timeSlots"])
print(f"LVEF {r['lvef']:.1f} % vs count truth {t['countLVEFPercent']:.1f}, volume truth {t['framedLVEFPercent']:.1f}: {'ok' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
PY
done
exit $status
