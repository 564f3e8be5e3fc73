#!/usr/bin/env bash
# Virtual clinical trials of the planar analyses (issue 18), on FIXED validation seeds that the analyses are not tuned
# on (listed in scripts/clinical_trials.py and docs/clinical-validation.md; tune on seeds below 1000).
#   scripts/validate-clinical.sh [path/to/scinti] [--reduced] [--only bone,early,lvef,parathyroid,sentinel,thyroid,mibg,krenning]
# Full trials: 40 delayed + 10 early Tc-99m MDP whole-body scans, 30 gated blood-pool studies, 20 sestamibi patients,
# 20 sentinel-node patients, 20 thyroid-uptake measurements, 20 I-123 MIBG patients, 20 In-111 octreotide patients (Krenning grades).
# Writes the figures with 95 % confidence intervals to docs/clinical-validation.md (full run only) and exits 1 when
# a threshold is not met. --reduced runs a few patients of each kind against the same thresholds (CI).
set -uo pipefail
S=.build/debug/scinti
if [[ $# -gt 0 && "$1" != --* ]]; then S=$1; shift; fi
OUT=${TRIAL_OUT:-$(mktemp -d)}
args=("$@")
reduced=0
for a in "$@"; do [[ "$a" == --reduced ]] && reduced=1; done
md="$OUT/figures.md"
python3 "$(dirname "$0")/clinical_trials.py" "$S" "$OUT" --markdown "$md" "${args[@]}"
status=$?
if [[ $reduced == 0 && -f "$md" ]]; then
  doc="$(dirname "$0")/../docs/clinical-validation.md"
  python3 - "$doc" "$md" <<'PY'
import sys, re, datetime
doc, md = sys.argv[1], sys.argv[2]
t = open(doc).read()
table = open(md).read().strip()
stamp = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")
block = f"<!-- figures:begin -->\nLast full run: {stamp} (`scripts/validate-clinical.sh`).\n\n{table}\n<!-- figures:end -->"
t = re.sub(r"<!-- figures:begin -->.*?<!-- figures:end -->", block, t, flags=re.S)
open(doc, "w").write(t)
PY
fi
[[ -z "${TRIAL_OUT:-}" ]] && rm -rf "$OUT"
exit $status
