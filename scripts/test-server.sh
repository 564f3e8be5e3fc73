#!/usr/bin/env bash
# Acceptance tests of `scinti serve` on loopback: curl and the pip package dicomweb-client against DICOMweb
# (QIDO/WADO/STOW), authentication, broken uploads, path traversal, the job API (a reconstruction followed over
# server-sent events), then headless Chromium screenshots of the viewer (demo study; the corpus' GE SPECT/CT when
# present) checked for content. With SERVER_LOAD_SECONDS=N (e.g. 60) also the 20-client frame load test.
#
# Usage: scripts/test-server.sh   (SCINTI_BIN=binary to test; CORPUS=dir, default ../shared/corpus;
#                                  SCREENSHOTS=dir to keep the screenshots, e.g. docs/)
# Prints one line per check and a closing line "N passed, N failed"; exits non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/checks.sh
setup_test test-server
CORPUS="${CORPUS:-$ROOT/../shared/corpus}"
PORT=$((18000 + RANDOM % 2000))
TOKEN=$("$PY" -c 'import secrets; print(secrets.token_hex(16))')
URL="http://127.0.0.1:$PORT"
AUTH=(-H "Authorization: Bearer $TOKEN")

start_server() {
  "$BIN" serve --port "$PORT" --archive "$WORK/archive" --token "$TOKEN" --max-upload-mib 256 >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do curl -sf "$URL/health" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "server did not start:"; cat "$WORK/server.log"; return 1
}
stop_server() { kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""; }
# multipart/related body of DICOM files: stow_body OUT FILE...
stow_body() {
  local out="$1"; shift
  { for f in "$@"; do printf -- '--SCINTIB\r\nContent-Type: application/dicom\r\n\r\n'; cat "$f"; printf '\r\n'; done; printf -- '--SCINTIB--\r\n'; } >"$out"
}
stow() { curl -s -o "$WORK/stow.json" -w '%{http_code}' "${AUTH[@]}" -H 'Content-Type: multipart/related; type="application/dicom"; boundary=SCINTIB' --data-binary @"$1" "$URL/dicom-web/studies"; }
instances() { curl -s "${AUTH[@]}" "$URL/dicom-web/instances" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

# --- the demo study: simulated SPECT/CT of the IEC phantom, reconstructed ---------------------------------------
echo "simulating and reconstructing the demo study (64² matrix)…"
"$BIN" simulate spect --phantom iec --matrix 64 --pixel 9.5904 --views 60 --out "$WORK/sim" >"$WORK/sim.log" 2>&1 || { cat "$WORK/sim.log"; }
NM="$WORK/sim/NM_SPECT.dcm"
"$BIN" recon "$NM" --ct "$WORK/sim/CT" --iterations 2 --subsets 6 --out "$WORK/sim/recon_osem.dcm" >"$WORK/recon.log" 2>&1 || cat "$WORK/recon.log"
check "demo study simulated and reconstructed" test -s "$WORK/sim/recon_osem.dcm"
mapfile -t DEMO_FILES < <(find "$WORK/sim" -name '*.dcm' | sort)

check "server starts" start_server
check "/health answers without a token" curl -sf "$URL/health"
check "401 without token" test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/dicom-web/studies")" = 401
check "401 with a wrong token" test "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer nope' "$URL/dicom-web/studies")" = 401
check "no CORS header" bash -c "! curl -s -D - -o /dev/null ${AUTH[*]@Q} -H 'Origin: http://evil.example' '$URL/dicom-web/studies' | grep -qi access-control"

# --- broken STOW: 400 and nothing stored ---------------------------------------------------------------------------
stow_body "$WORK/good.body" "${DEMO_FILES[0]}"
head -c $(( $(stat -c %s "$WORK/good.body") - 30 )) "$WORK/good.body" >"$WORK/truncated.body"
check "STOW truncated body → 400" test "$(stow "$WORK/truncated.body")" = 400
printf -- '--SCINTIB\r\nContent-Type: application/dicom\r\n\r\nthis is not DICOM\r\n--SCINTIB--\r\n' >"$WORK/garbage.body"
check "STOW non-DICOM part → 400" test "$(stow "$WORK/garbage.body")" = 400
check "nothing stored after broken STOW" test "$(instances)" = 0

# --- dicomweb-client: STOW of the demo study, QIDO, WADO ----------------------------------------------------------
check "dicomweb-client: STOW/QIDO/WADO (pydicom checks)" "$PY" Tests/oracle/dicomweb_client_check.py "$URL" "$TOKEN" "${DEMO_FILES[@]}"
N_DEMO=${#DEMO_FILES[@]}
check "archive holds the $N_DEMO demo instances" test "$(instances)" = "$N_DEMO"
check "STOW of the same instance again → 200 (duplicate kept once)" test "$(stow "$WORK/good.body")" = 200
check "still $N_DEMO instances" test "$(instances)" = "$N_DEMO"

# --- curl: QIDO, WADO, metadata, rendered ---------------------------------------------------------------------------
STUDY=$("$PY" -c 'import pydicom,sys; print(pydicom.dcmread(sys.argv[1]).StudyInstanceUID)' "$WORK/sim/recon_osem.dcm")
RSERIES=$("$PY" -c 'import pydicom,sys; print(pydicom.dcmread(sys.argv[1]).SeriesInstanceUID)' "$WORK/sim/recon_osem.dcm")
RSOP=$("$PY" -c 'import pydicom,sys; print(pydicom.dcmread(sys.argv[1]).SOPInstanceUID)' "$WORK/sim/recon_osem.dcm")
check "curl QIDO study by UID" bash -c "curl -sf ${AUTH[*]@Q} '$URL/dicom-web/studies?StudyInstanceUID=$STUDY' | grep -q '$STUDY'"
check "curl QIDO series Modality=CT" bash -c "curl -sf ${AUTH[*]@Q} '$URL/dicom-web/studies/$STUDY/series?Modality=CT' | grep -q '\"CT\"'"
curl -s -D "$WORK/wado.h" -o "$WORK/wado.body" "${AUTH[@]}" "$URL/dicom-web/studies/$STUDY/series/$RSERIES/instances/$RSOP"
check "curl WADO instance: multipart/related application/dicom" grep -qi 'content-type: multipart/related; type="application/dicom"' "$WORK/wado.h"
check "curl WADO instance: body holds the Part 10 object" grep -q "DICM" "$WORK/wado.body"
check "curl rendered frame is a PNG" bash -c "curl -sf ${AUTH[*]@Q} '$URL/dicom-web/studies/$STUDY/series/$RSERIES/instances/$RSOP/frames/20/rendered?colormap=hot' | head -c 4 | grep -q PNG"
check "curl metadata is DICOM JSON" bash -c "curl -sf ${AUTH[*]@Q} '$URL/dicom-web/studies/$STUDY/series/$RSERIES/metadata' | grep -q '\"00080060\"'"

# --- path traversal and invalid input ---------------------------------------------------------------------------------
code() { curl -s --path-as-is -o /dev/null -w '%{http_code}' "${AUTH[@]}" "$URL$1"; }
check "traversal /dicom-web/studies/../../etc/passwd → 404" test "$(code '/dicom-web/studies/../../etc/passwd')" = 404
check "traversal %2F in a UID → 400" test "$(code '/dicom-web/studies/..%2F..%2Fetc%2Fpasswd/metadata')" = 400
check "traversal into the viewer folder → 404" test "$(code '/viewer/..%2F..%2F..%2FPackage.swift')" = 404
check "traversal to the index → 404" test "$(code '/viewer/../../../../index.sqlite')" = 404
check "invalid UID → 400" test "$(code '/dicom-web/studies/1.2.abc/series')" = 400
check "unknown QIDO key → 400" test "$(code '/dicom-web/studies?NotAKeyword=1')" = 400

# --- job API: reconstruct the demo projections again, follow it over SSE --------------------------------------------
NSERIES=$("$PY" -c 'import pydicom,sys; print(pydicom.dcmread(sys.argv[1]).SeriesInstanceUID)' "$NM")
CTSERIES=$("$PY" -c 'import pydicom,sys; print(pydicom.dcmread(sys.argv[1]).SeriesInstanceUID)' "$(ls "$WORK"/sim/CT/*.dcm | head -n 1)")
JOB=$(curl -s "${AUTH[@]}" -H 'Content-Type: application/json' -d "{\"type\":\"recon\",\"series\":\"$NSERIES\",\"ct\":\"$CTSERIES\",\"iterations\":1,\"subsets\":6}" "$URL/api/jobs" \
      | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
timeout 300 curl -sN "${AUTH[@]}" "$URL/api/jobs/$JOB/events" >"$WORK/sse.txt"
check "job progress over server-sent events ends in done" grep -q '^event: done' "$WORK/sse.txt"
check "job sent running progress events" grep -q '^event: running' "$WORK/sse.txt"
JOBSERIES=$(curl -s "${AUTH[@]}" "$URL/api/jobs/$JOB" | "$PY" -c 'import json,sys; print(json.loads(json.load(sys.stdin)["result"])["seriesUID"])')
check "job output stored in the archive (QIDO finds it)" bash -c "curl -sf ${AUTH[*]@Q} '$URL/dicom-web/series?SeriesInstanceUID=$JOBSERIES' | grep -q '$JOBSERIES'"
stop_server
check "server restarts on the same archive" start_server
check "the job survives the restart" bash -c "curl -sf ${AUTH[*]@Q} '$URL/api/jobs/$JOB' | grep -q '\"state\":\"done\"'"

# --- the corpus GE SPECT/CT: STOW with curl, reconstruct through the job API ------------------------------------------
GE_SERIES=""
if [ -f "$CORPUS/nm/GE_D670_Lu177_TOMO_bed2_projections.dcm" ] && [ -d "$CORPUS/ct/GE_D670_CTAC" ]; then
  stow_body "$WORK/ge.body" "$CORPUS/nm/GE_D670_Lu177_TOMO_bed2_projections.dcm" "$CORPUS"/ct/GE_D670_CTAC/*
  check "curl STOW of the GE SPECT/CT → 200" test "$(stow "$WORK/ge.body")" = 200
  GNM=$("$PY" -c 'import pydicom,sys; print(pydicom.dcmread(sys.argv[1], stop_before_pixels=True).SeriesInstanceUID)' "$CORPUS/nm/GE_D670_Lu177_TOMO_bed2_projections.dcm")
  GCT=$("$PY" -c 'import pydicom,sys; print(pydicom.dcmread(sys.argv[1], stop_before_pixels=True).SeriesInstanceUID)' "$(ls "$CORPUS"/ct/GE_D670_CTAC/* | head -n 1)")
  GJOB=$(curl -s "${AUTH[@]}" -H 'Content-Type: application/json' -d "{\"type\":\"recon\",\"series\":\"$GNM\",\"ct\":\"$GCT\",\"iterations\":1,\"subsets\":10,\"radionuclide\":\"Lu-177\"}" "$URL/api/jobs" \
        | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  timeout 600 curl -sN "${AUTH[@]}" "$URL/api/jobs/$GJOB/events" >"$WORK/ge-sse.txt"
  check "GE reconstruction job done" grep -q '^event: done' "$WORK/ge-sse.txt"
  GE_SERIES=$(curl -s "${AUTH[@]}" "$URL/api/jobs/$GJOB" | "$PY" -c 'import json,sys; print(json.loads(json.load(sys.stdin)["result"])["seriesUID"])' 2>/dev/null)
  GE_STUDY=$("$PY" -c 'import pydicom,sys; print(pydicom.dcmread(sys.argv[1], stop_before_pixels=True).StudyInstanceUID)' "$CORPUS/nm/GE_D670_Lu177_TOMO_bed2_projections.dcm")
else
  echo "SKIP: GE SPECT/CT not in $CORPUS"
fi

# --- analysis and dose jobs on simulated studies with known truth ------------------------------------------------
wait_job() {  # wait_job ID OUT.sse (follows the job over SSE until done/failed)
  timeout 600 curl -sN "${AUTH[@]}" "$URL/api/jobs/$1/events" >"$2"
}
post_job() { curl -s "${AUTH[@]}" -H 'Content-Type: application/json' -d "$1" "$URL/api/jobs" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])'; }
uid_of() { "$PY" -c 'import pydicom,sys; print(getattr(pydicom.dcmread(sys.argv[1], stop_before_pixels=True), sys.argv[2]))' "$1" "$2"; }
"$BIN" simulate gated --matrix 64 --pixel 4.8 --voxel 7 --no-ct --edv 130 --lvef 45 --seed 45 --out "$WORK/gated" >"$WORK/gated.log" 2>&1 || cat "$WORK/gated.log"
stow_body "$WORK/gated.body" "$WORK/gated/NM_GATED.dcm"
check "STOW of a simulated gated blood pool → 200" test "$(stow "$WORK/gated.body")" = 200
GSERIES=$(uid_of "$WORK/gated/NM_GATED.dcm" SeriesInstanceUID)
check "analysis job with an unknown analysis → 400" test "$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" -d "{\"type\":\"analysis\",\"analysis\":\"nope\",\"series\":\"$GSERIES\"}" "$URL/api/jobs")" = 400
AJOB=$(post_job "{\"type\":\"analysis\",\"analysis\":\"lvef\",\"series\":\"$GSERIES\"}")
wait_job "$AJOB" "$WORK/lvef-sse.txt"
check "LVEF job done" grep -q '^event: done' "$WORK/lvef-sse.txt"
curl -s "${AUTH[@]}" "$URL/api/jobs/$AJOB" >"$WORK/lvef-job.json"
check "LVEF job: within 3 points of the simulated truth, regions on every time slot, volume curve" "$PY" - "$WORK/lvef-job.json" "$WORK/gated/truth.json" <<'PYEOF'
import json, sys
res = json.loads(json.load(open(sys.argv[1]))["result"]); t = json.load(open(sys.argv[2]))["gated"]
r, d = res["result"], res["display"]
print(f"LVEF {r['lvef']:.2f} % vs count truth {t['countLVEFPercent']:.2f} %")
assert abs(r["lvef"] - t["countLVEFPercent"]) <= 3
lv = [g for g in d["regions"] if g["label"].startswith("LV")]
assert len(lv) == len(r["curve"]) and all(len(g["frames"]) == 1 and g["shape"] == "mask" for g in lv)
assert sorted(g["frames"][0] for g in lv) == sorted(set(g["frames"][0] for g in lv)), "one LV region per frame"
# The runs decode to as many pixels as the analysis counted in each LV region.
for g, n in zip(lv, r["lvPixels"]):
    assert sum(g["runs"][1::2]) == n, (g["label"], sum(g["runs"][1::2]), n)
curve = d["charts"][0]["curves"][0]["y"]
assert abs(max(curve) - 100) < 1e-9 and abs(min(curve) - (100 - r["lvef"])) < 1e-6, "volume curve: ED 100 %, ES 100 - LVEF"
PYEOF

"$BIN" dose --write-simulated "$WORK/serial" >"$WORK/serial.log" 2>&1 || cat "$WORK/serial.log"
mapfile -t SERIAL_FILES < <(find "$WORK/serial" -name '*.dcm' | sort)
stow_body "$WORK/serial.body" "${SERIAL_FILES[@]}"
check "STOW of a simulated Lu-177 serial SPECT/CT (4 visits + SEG) → 200" test "$(stow "$WORK/serial.body")" = 200
DOSEREQ=$("$PY" - "$WORK/serial" <<'PYEOF'
import glob, json, os, sys, pydicom
root = sys.argv[1]
visits = []
for tp in sorted(glob.glob(os.path.join(root, "tp*"))):
    nm = pydicom.dcmread(os.path.join(tp, "spect.dcm"), stop_before_pixels=True)
    ct = pydicom.dcmread(sorted(glob.glob(os.path.join(tp, "ct", "*")))[0], stop_before_pixels=True)
    visits.append({"spect": nm.SeriesInstanceUID, "ct": ct.SeriesInstanceUID})
seg = pydicom.dcmread(os.path.join(root, "masks.dcm"), stop_before_pixels=True)
print(json.dumps({"type": "dose", "visits": visits, "masks": seg.SeriesInstanceUID, "radionuclide": "Lu-177", "method": "voxel"}))
PYEOF
)
DJOB=$(post_job "$DOSEREQ")
wait_job "$DJOB" "$WORK/dose-sse.txt"
check "dose job done" grep -q '^event: done' "$WORK/dose-sse.txt"
curl -s "${AUTH[@]}" "$URL/api/jobs/$DJOB" >"$WORK/dose-job.json"
check "dose job: TIA within 5 % of the analytic truth per organ; VOI masks as in the SEG; DVHs" "$PY" - "$WORK/dose-job.json" "$WORK/serial" <<'PYEOF'
import json, os, sys, numpy as np, pydicom
res = json.loads(json.load(open(sys.argv[1]))["result"]); truth = json.load(open(os.path.join(sys.argv[2], "truth.json")))
rep, d = res["report"], res["display"]
for o in truth["organs"]:
    v = next(v for v in rep["vois"] if v["name"] == o["name"])
    err = v["tiaMBqh"] / o["tiaMBqh"] - 1
    print(f"{o['name']}: TIA {v['tiaMBqh']:.1f} vs {o['tiaMBqh']:.1f} MBq·h ({100 * err:+.2f} %)")
    assert abs(err) < 0.05
# Voxels per VOI mask = voxels of the SEG segment (same grid in this study), read by pydicom.
seg = pydicom.dcmread(os.path.join(sys.argv[2], "masks.dcm"))
frames = seg.pixel_array.reshape(-1, seg.Rows, seg.Columns)
labels = {int(s.SegmentNumber): s.SegmentLabel for s in seg.SegmentSequence}
counts = {}
for k, fg in enumerate(seg.PerFrameFunctionalGroupsSequence):
    n = labels[int(fg.SegmentIdentificationSequence[0].ReferencedSegmentNumber)]
    counts[n] = counts.get(n, 0) + int(frames[k].sum())
for m in d["volumeMasks"]:
    assert sum(m["runs"][1::2]) == m["voxels"] == counts[m["label"]], (m["label"], m["voxels"], counts[m["label"]])
titles = [c["title"] for c in d["charts"]]
assert any("dose–volume" in t for t in titles) and any("Time–activity" in t for t in titles), titles
for c in d["charts"]:
    if "dose–volume" in c["title"]:
        for k in c["curves"]:
            assert abs(k["y"][0] - 100) < 1e-6 and all(a >= b - 1e-9 for a, b in zip(k["y"], k["y"][1:])), "cumulative DVH from 100 % down"
PYEOF
DOSESERIES=$(curl -s "${AUTH[@]}" "$URL/api/jobs/$DJOB" | "$PY" -c 'import json,sys; print(json.loads(json.load(sys.stdin)["result"])["seriesUID"])')
SERIALSTUDY=$(uid_of "$WORK/serial/tp1/spect.dcm" StudyInstanceUID)
check "RT Dose stored in the SPECT's study, same patient" bash -c "curl -sf ${AUTH[*]@Q} '$URL/dicom-web/studies/$SERIALSTUDY/series?SeriesInstanceUID=$DOSESERIES' | grep -q '\"RTDOSE\"' && curl -sf ${AUTH[*]@Q} '$URL/dicom-web/studies/$SERIALSTUDY/series/$DOSESERIES/metadata' | grep -q 'Phantom^Serial'"
check "RT Dose opens in the viewer API in Gy" bash -c "curl -sf ${AUTH[*]@Q} '$URL/api/series/$DOSESERIES/info' | grep -q '\"units\":\"Gy\"'"

# --- headless Chromium: the viewer ------------------------------------------------------------------------------------
CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$CHROME" ]; then
  shot() {  # shot OUT.png HASH
    "$CHROME" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1400,900 --virtual-time-budget=20000 \
      --user-data-dir="$WORK/chrome" --screenshot="$1" "$URL/?token=$TOKEN#$2" >>"$WORK/chrome.log" 2>&1
  }
  # Checked images: the views only (shot=1), so the grey/colour counts come from the images, not the page.
  shot "$WORK/viewer-demo-fused-views.png" "auto=fusion&still=1&shot=1&thr=40"
  check "screenshot: demo SPECT/CT fused views have grey CT and coloured SPECT pixels" "$PY" Tests/oracle/check_screenshot.py "$WORK/viewer-demo-fused-views.png" --fused
  shot "$WORK/viewer-demo-planar.png" "study=$STUDY&series=$NSERIES"
  check "screenshot: study list and SPECT projections not blank" "$PY" Tests/oracle/check_screenshot.py "$WORK/viewer-demo-planar.png"
  "$CHROME" --headless --no-sandbox --disable-gpu --virtual-time-budget=15000 --user-data-dir="$WORK/chrome" --dump-dom "$URL/?token=$TOKEN#" >"$WORK/dom.html" 2>>"$WORK/chrome.log"
  NSTUDIES=$(curl -s "${AUTH[@]}" "$URL/dicom-web/studies" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')
  check "study list shows one row per study ($NSTUDIES)" test "$(grep -o '<tr class="study' "$WORK/dom.html" | wc -l)" = "$NSTUDIES"
  PATIENT=$("$PY" -c 'import pydicom,sys; print(str(pydicom.dcmread(sys.argv[1]).PatientName))' "$NM")
  check "study list shows the demo patient ($PATIENT)" grep -qF "<td>$PATIENT</td>" "$WORK/dom.html"
  if [ -n "$GE_SERIES" ]; then
    shot "$WORK/viewer-ge-fused-views.png" "study=$GE_STUDY&series=$GE_SERIES&still=1&shot=1"
    check "screenshot: GE SPECT/CT fused views have grey CT and coloured SPECT pixels" "$PY" Tests/oracle/check_screenshot.py "$WORK/viewer-ge-fused-views.png" --fused
    shot "$WORK/viewer-ge-fused.png" "study=$GE_STUDY&series=$GE_SERIES&still=1"
  fi
  shot "$WORK/viewer-lvef-result.png" "job=$AJOB&still=1&shot=1"
  check "screenshot: LVEF result shows the LV region and the volume curve" "$PY" Tests/oracle/check_screenshot.py "$WORK/viewer-lvef-result.png" --colour e62828:200 --chart
  shot "$WORK/viewer-dose-result.png" "job=$DJOB&still=1&shot=1&thr=10"
  check "screenshot: dose result shows dose over CT, VOI outlines and the DVH/TAC charts" "$PY" Tests/oracle/check_screenshot.py "$WORK/viewer-dose-result.png" --fused --colour 2f6fe6:100 --chart
  if [ -n "${SCREENSHOTS:-}" ]; then mkdir -p "$SCREENSHOTS"; cp "$WORK"/viewer-*.png "$SCREENSHOTS"/; fi
else
  failc "chromium not installed (scripts/install-deps.sh --test installs it)"
fi

# --- load: 20 clients fetching frames -------------------------------------------------------------------------------
if [ -n "${SERVER_LOAD_SECONDS:-}" ]; then
  NF=$("$PY" -c 'import pydicom,sys; print(int(pydicom.dcmread(sys.argv[1]).NumberOfFrames))' "$WORK/sim/recon_osem.dcm")
  "$PY" Tests/oracle/load_frames.py "$PORT" "$TOKEN" "/dicom-web/studies/$STUDY/series/$RSERIES/instances/$RSOP/frames/" "$NF" \
    "$SERVER_LOAD_SECONDS" 20 | tee "$WORK/load.json"
  check "load: 20 clients × ${SERVER_LOAD_SECONDS}s, no error" grep -q '"errors": 0' "$WORK/load.json"
  [ -n "${SCREENSHOTS:-}" ] && cp "$WORK/load.json" "$SCREENSHOTS/server-load.json"
fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
