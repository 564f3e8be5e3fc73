#!/usr/bin/env bash
# Viewer benchmark on a large SPECT/CT (docs/benchmarks.md): a 128³ SPECT (the corpus' Siemens Symbia RECON TOMO,
# slices repeated to 128) and a 512×512×300 int16 CT in its frame of reference (Tests/oracle/make_review_studies.py),
# stored by STOW into a fresh archive; then
#   1. the server alone, cold: GET /api/series/{ct}/info?grid={spect} (read and decode the 300 CT files, block-average
#      and resample onto the SPECT grid), then the same request again (cached), with curl;
#   2. on a restarted (cold) server, scripts/bench-viewer.py in headless Chromium: first image of the study (5 page
#      loads), the synthetic 128³ fused redraw, and with --fused the first load (CT resampled by the server), 3 later
#      loads and 30 fused redraws.
# Usage: [KEEP=1] scripts/bench-review.sh [SCINTI_BIN]   (KEEP=1 keeps the archive)   (default .build/release/scinti; data cached in $BENCH_DIR, default
# /tmp/scinti-bench-review)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-.build/release/scinti}"
PY="${PY:-python3}"
DIR="${BENCH_DIR:-/tmp/scinti-bench-review}"
RECON="${CORPUS:-../shared/corpus}/vendor/siemens_symbiaT2_RECONTOMO_linesource_77sl_imageqc.dcm"
mkdir -p "$DIR"
if [ ! -f "$DIR/uids" ]; then
  "$PY" Tests/oracle/make_review_studies.py big-spect "$RECON" "$DIR/spect.dcm" 128 >"$DIR/spect.uids"
  CT=$("$PY" Tests/oracle/make_review_studies.py big-ct "$DIR/spect.dcm" "$DIR/ct" 512 512 300)
  echo "$(cat "$DIR/spect.uids") $CT" >"$DIR/uids"
fi
read -r STUDY SPECT CT <"$DIR/uids"
ARCH=$(mktemp -d "$DIR/archive.XXXX")
PORT=$((24000 + RANDOM % 2000))
TOKEN=$("$PY" -c 'import secrets; print(secrets.token_hex(16))')
URL="http://127.0.0.1:$PORT"
SERVER=
start() {
  "$BIN" serve --port "$PORT" --archive "$ARCH" --token "$TOKEN" >>"$DIR/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 150); do curl -sf "$URL/health" >/dev/null 2>&1 && return; sleep 0.2; done
  echo "server did not start"; exit 1
}
stop() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null; SERVER=; }
trap 'stop; [ -n "${KEEP:-}" ] || rm -rf "$ARCH"' EXIT
start
{ for f in "$DIR/spect.dcm" "$DIR"/ct/*.dcm; do printf -- '--SCINTIB\r\nContent-Type: application/dicom\r\n\r\n'; cat "$f"; printf '\r\n'; done
  printf -- '--SCINTIB--\r\n'; } >"$DIR/stow.body"
test "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: multipart/related; type="application/dicom"; boundary=SCINTIB' --data-binary @"$DIR/stow.body" "$URL/dicom-web/studies")" = 200
rm -f "$DIR/stow.body"
stop; start
t() { curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $TOKEN" "$URL$1"; }
# Server CPU seconds (user + system, /proc/PID/stat) beside the wall time: the machine may be shared.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$SERVER/stat"; }
c0=$(cpu); w=$(t "/api/series/$CT/info?grid=$SPECT"); c1=$(cpu)
echo "server ($BIN), cold: GET /api/series/{ct 512×512×300}/info?grid={spect 128³}: $w s wall, $(echo "$c1 - $c0" | bc) CPU-s; again (cached): $(t "/api/series/$CT/info?grid=$SPECT") s; its data (8 MB): $(t "/api/series/$CT/data?grid=$SPECT") s; load average $(cut -d' ' -f1 /proc/loadavg), $(nproc) CPUs"
stop; start
"$PY" scripts/bench-viewer.py "$URL" "$TOKEN" "$STUDY" "$SPECT" --fused "$STUDY" "$SPECT" "$CT"
