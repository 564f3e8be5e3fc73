#!/usr/bin/env bash
# Acceptance of the report documents (issue 14; QC export/approval of issue 15; sign-off of issue 19) on loopback:
# a simulated gated study stored by STOW, an LVEF job whose SR / result screen / Encapsulated PDF land in the study
# (QIDO finds them), `scinti report JOB --archive` (dciodvfy, dsrdump, highdicom, pdftotext, pdftoppm against the
# job's JSON: Tests/oracle/check_reports.py), sign-off (reader 403, physician signs, a second sign-off only as an
# amendment whose SR names its predecessor, audited), a failed and an unknown job and malformed JSON (one error
# line, nothing written), a simulated Lu-177 dose report with the dose SR, and a QC flood approved by a physicist
# (SR + PDF in the flood's study). Orthanc (Debian) as the PACS: the job's documents arrive by C-STORE and are committed
# (Storage Commitment N-ACTION, Orthanc's N-EVENT-REPORT on a new association to our SCP), QIDO-RS on Orthanc finds
# SR/SC/PDF in the study; with Orthanc stopped the sign-off's documents queue as failed and arrive after its restart;
# the template and the PDF route of the viewer; the viewer's reports panel in Chromium (Tests/oracle/check_reports_browser.py). Usage: scripts/test-reports.sh (SCINTI_BIN=binary; CORPUS=../shared/corpus)
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/checks.sh
setup_test test-reports
CORPUS="${CORPUS:-../shared/corpus}"
PORT=$((22000 + RANDOM % 2000))
TOKEN=$("$PY" -c 'import secrets; print(secrets.token_hex(16))')
URL="http://127.0.0.1:$PORT"
AUTH=(-H "Authorization: Bearer $TOKEN")
ARCH="$WORK/archive"
mkdir -p "$WORK/out"

# Orthanc as the PACS (Debian `orthanc` + `orthanc-dicomweb`): storage commitment on, our AE as a modality (Orthanc
# reports the commitment on a new association to it), DICOMweb for QIDO-RS. Data in $WORK/orthanc, kept across restarts.
DIMSE=$((PORT + 3000)); OPORT=$((PORT + 4000)); OHTTP=$((PORT + 5000)); OURL="http://127.0.0.1:$OHTTP"
ORTHANC_PID=""
trap '[ -n "$ORTHANC_PID" ] && kill "$ORTHANC_PID" 2>/dev/null; cleanup' EXIT
mkdir -p "$WORK/orthanc/db"
cat > "$WORK/orthanc/orthanc.json" <<JSON
{ "Name": "scinti-test-pacs", "StorageDirectory": "$WORK/orthanc/db", "IndexDirectory": "$WORK/orthanc/db",
  "HttpPort": $OHTTP, "DicomPort": $OPORT, "DicomAet": "ORTHANC", "RemoteAccessAllowed": false, "AuthenticationEnabled": false,
  "DicomModalities": { "scinti": { "AET": "SCINTI", "Host": "127.0.0.1", "Port": $DIMSE, "AllowStorageCommitment": true } },
  "Plugins": ["/usr/share/orthanc/plugins/libOrthancDicomWeb.so"], "DicomWeb": { "Enable": true, "Root": "/dicom-web/" } }
JSON
start_orthanc() {
  Orthanc "$WORK/orthanc/orthanc.json" >>"$WORK/orthanc.log" 2>&1 &
  ORTHANC_PID=$!
  for _ in $(seq 1 100); do curl -sf "$OURL/system" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}
stop_orthanc() { kill "$ORTHANC_PID" 2>/dev/null; wait "$ORTHANC_PID" 2>/dev/null; ORTHANC_PID=""; }
check "Orthanc (PACS) starts with the DICOMweb plugin" bash -c "command -v Orthanc >/dev/null || { echo 'Orthanc missing: scripts/install-deps.sh --test'; exit 1; }"
start_orthanc
# Short back-off for the test (defaults: 30 s doubling to 1 h).
"$BIN" serve --port "$PORT" --archive "$ARCH" --token "$TOKEN" --dimse-port "$DIMSE" --aet SCINTI --pacs "ORTHANC@127.0.0.1:$OPORT" \
  --pacs-retry-seconds 1 --pacs-retry-max-seconds 2 --pacs-poll-seconds 0.5 >>"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 150); do curl -sf "$URL/health" >/dev/null 2>&1 && break; sleep 0.2; done
"$BIN" users add doc --role physician --password 'doc-password-1' --archive "$ARCH" >/dev/null
"$BIN" users add rita --role reader --password 'rita-password-1' --archive "$ARCH" >/dev/null
"$BIN" users add phil --role physicist --password 'phil-password-1' --archive "$ARCH" >/dev/null
login() { curl -s -o /dev/null -c "$WORK/$1.jar" -w '%{http_code}' -H 'Content-Type: application/json' -d "{\"user\":\"$1\",\"password\":\"$2\"}" "$URL/api/login"; }
check "logins" test "$(login doc doc-password-1)$(login rita rita-password-1)$(login phil phil-password-1)" = 200200200
stow() {  # stow FILE → HTTP status
  "$PY" - "$1" "$WORK/stow.body" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(b"--SCINTIB\r\nContent-Type: application/dicom\r\n\r\n" + d + b"\r\n--SCINTIB--\r\n")
PY
  curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" -H 'Content-Type: multipart/related; type="application/dicom"; boundary=SCINTIB' \
    --data-binary @"$WORK/stow.body" "$URL/dicom-web/studies"
}
job() {  # job JSON → id, waits until done/failed
  local id
  id=$(curl -s "${AUTH[@]}" -H 'Content-Type: application/json' -d "$1" "$URL/api/jobs" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  timeout 300 curl -sN "${AUTH[@]}" "$URL/api/jobs/$id/events" >/dev/null
  echo "$id"
}
field() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# --- an LVEF job: its documents land in the study ---------------------------------------------------------------
"$BIN" simulate gated --matrix 64 --pixel 4.8 --voxel 7 --no-ct --edv 130 --lvef 55 --seed 55 --out "$WORK/g" >/dev/null
check "STOW the gated study" test "$(stow "$WORK/g/NM_GATED.dcm")" = 200
SERIES=$("$PY" -c "import pydicom; print(pydicom.dcmread('$WORK/g/NM_GATED.dcm', stop_before_pixels=True).SeriesInstanceUID)")
STUDY=$("$PY" -c "import pydicom; print(pydicom.dcmread('$WORK/g/NM_GATED.dcm', stop_before_pixels=True).StudyInstanceUID)")
JOB=$(job "{\"type\":\"analysis\",\"analysis\":\"lvef\",\"series\":\"$SERIES\"}")
for _ in $(seq 1 120); do  # the documents are written after the job reports done
  curl -s "${AUTH[@]}" "$URL/api/jobs/$JOB" > "$WORK/job.json"; grep -q 'reports' "$WORK/job.json" && break; sleep 0.5
done
check "LVEF job done, reports written" test "$(field 'd["state"] == "done" and "reports: sr" in d["message"]' < "$WORK/job.json")" = True
curl -s "${AUTH[@]}" "$URL/api/jobs/$JOB/reports" > "$WORK/reports.json"
check "GET /api/jobs/ID/reports lists sr, sc, pdf" test "$(field '",".join(sorted(x["kind"] for x in d["documents"]))' < "$WORK/reports.json")" = "pdf,sc,sr"
for m in SR OT DOC; do
  check "QIDO finds the $m in the source study" bash -c "curl -sf ${AUTH[*]@Q} '$URL/dicom-web/studies/$STUDY/series?Modality=$m' | grep -q '\"$m\"'"
done

# --- out to the PACS: C-STORE, storage commitment (N-ACTION, N-EVENT-REPORT on Orthanc's new association) -----------
outbox_wait() {  # outbox_wait JOB STATE N SECONDS: until the job's documents have N rows in STATE
  for _ in $(seq 1 $(($4 * 4))); do
    curl -s "${AUTH[@]}" "$URL/api/outbox?job=$1" > "$WORK/outbox.json"
    [ "$(field "sum(e['state'] == '$2' for e in d['entries'])" < "$WORK/outbox.json")" -ge "$3" ] && return 0; sleep 0.25
  done
  cat "$WORK/outbox.json"; return 1
}
NDOCS=$(field 'len(d["documents"])' < "$WORK/reports.json")
check "the job's $NDOCS documents are committed by Orthanc (storage commitment recorded)" outbox_wait "$JOB" committed "$NDOCS" 20
check "committed rows carry the Transaction UID and commitment time" test "$(field 'all(e["transactionUID"] and e["committedAt"] and e["attempts"] == 1 for e in d["entries"])' < "$WORK/outbox.json")" = True
"$PY" - "$WORK/outbox.json" "$WORK/reports.json" <<'PY' | tee -a "$WORK/latency.txt"
import json, sys, datetime as dt
o, r = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
t = lambda s: dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
created = {d["sopInstanceUID"]: t(d["created"]) for d in r["documents"]}
lat = [(t(e["committedAt"]) - created[e["sopInstanceUID"]]).total_seconds() for e in o["entries"] if e["sopInstanceUID"] in created]
print(f"delivery latency (document written → committed by Orthanc, poll 0.5 s): max {max(lat):.2f} s over {len(lat)} documents")
PY
# The documents may go out in more than one delivery (the job writes them across an outbox poll): the committed
# counts of all reports add up to the job's documents.
check "Orthanc reported the commitment on a new association to our SCP (ORTHANC → SCINTI)" \
  bash -c "grep -q 'association ORTHANC → SCINTI accepted' '$WORK/server.log' && test \"\$(grep -o 'outbox: storage commitment [0-9.]* from ORTHANC: [0-9]* committed, 0 failed' '$WORK/server.log' | awk '{s += \$7} END {print s + 0}')\" = $NDOCS"
for m in SR OT DOC; do
  check "QIDO-RS on Orthanc finds the $m in the source study" bash -c "curl -sf '$OURL/dicom-web/studies/$STUDY/series?Modality=$m' | grep -q '\"$m\"'"
done
check "GET /api/jobs/ID/reports shows each document delivered" bash -c "curl -s ${AUTH[*]@Q} '$URL/api/jobs/$JOB/reports' | $PY -c 'import json,sys; d=json.load(sys.stdin); assert {e[\"sopInstanceUID\"] for e in d[\"delivery\"] if e[\"state\"]==\"committed\"} >= {x[\"sopInstanceUID\"] for x in d[\"documents\"]}'"
PDFUID=$(field '[x["sopInstanceUID"] for x in d["documents"] if x["kind"] == "pdf"][0]' < "$WORK/reports.json")
check "the viewer's PDF link opens the report (application/pdf, pdftotext reads it)" bash -c "curl -sf ${AUTH[*]@Q} '$URL/api/reports/$PDFUID/pdf' -o '$WORK/opened.pdf' && head -c 5 '$WORK/opened.pdf' | grep -q '%PDF-' && pdftotext '$WORK/opened.pdf' - | grep -qi 'ejection'"
check "the viewer loads reports.js" bash -c "curl -sf ${AUTH[*]@Q} '$URL/' | grep -q 'reports.js' && curl -sf ${AUTH[*]@Q} '$URL/viewer/reports.js' | grep -q '/api/jobs/'"
stop_orthanc

# --- scinti report JOB --archive and the oracles ------------------------------------------------------------------
"$BIN" report "$JOB" --archive "$ARCH" --pdf "$WORK/out/lvef.pdf" --sr "$WORK/out/lvef-sr.dcm" --sc "$WORK/out/lvef-sc.dcm" \
  --dicom-pdf "$WORK/out/lvef-pdf.dcm" > "$WORK/report.out" 2>&1
check "scinti report JOB_ID --archive writes PDF, SR, SC, Encapsulated PDF" test "$(wc -l < "$WORK/report.out")" = 4
check "oracles on the LVEF report (dciodvfy, dsrdump, highdicom, pdftotext, pdftoppm)" \
  "$PY" Tests/oracle/check_reports.py "$WORK/job.json" "$WORK/out/lvef-sr.dcm" --pdf "$WORK/out/lvef.pdf" \
  --objects "$WORK/out/lvef-sc.dcm" "$WORK/out/lvef-pdf.dcm" --png "$WORK/out/lvef-page1.png"
[ -n "${REPORT_PNG:-}" ] && cp "$WORK/out/lvef-page1.png" "$REPORT_PNG"

# --- sign-off: rights, audit, amendments -------------------------------------------------------------------------
sign() {  # sign USER BODY → status
  curl -s -o "$WORK/sign.json" -w '%{http_code}' -b "$WORK/$1.jar" -H 'Content-Type: application/json' -d "$2" "$URL/api/jobs/$JOB/signoff"
}
check "a reader cannot sign (403 naming signReports)" bash -c "[ \"\$(curl -s -o '$WORK/r403' -w '%{http_code}' -b '$WORK/rita.jar' -H 'Content-Type: application/json' -d '{\"impression\":\"x\"}' '$URL/api/jobs/$JOB/signoff')\" = 403 ] && grep -q signReports '$WORK/r403'"
curl -s "${AUTH[@]}" "$URL/api/jobs/$JOB/report-template" > "$WORK/template.json"
check "the LVEF template: heading, LVEF of the job in the findings, impression to complete" "$PY" - "$WORK/template.json" "$WORK/job.json" <<'PY'
import json, sys
t, job = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
lvef = json.loads(job["result"])["result"]["lvef"]
assert t["studyType"] == "lvef" and t["heading"] == "Gated blood-pool ventriculography", t
assert any(f"{lvef:.1f}" in f or f"{lvef:.0f}" in f for f in t["findings"]), (lvef, t["findings"])
assert t["impression"].endswith("[interpretation]"), t["impression"]
print(t["impression"])
PY
check "a sign-off that keeps [interpretation] → 400" test "$(sign doc "$(field 'json.dumps({"impression": d["impression"]})' < "$WORK/template.json")")" = 400
check "a physician signs (200)" test "$(sign doc '{"impression":"Normal left ventricular function."}')" = 200
check "a second sign-off without amendment → 409" test "$(sign doc '{"impression":"Changed."}')" = 409
check "an amendment (200)" test "$(sign doc '{"impression":"Amended: mildly reduced function.","amendment":true}')" = 200
curl -s "${AUTH[@]}" "$URL/api/jobs/$JOB/reports" > "$WORK/reports2.json"
LATEST=$(field 'd["latest"]["sopInstanceUID"]' < "$WORK/reports2.json")
PRED=$(field 'd["latest"]["predecessor"]' < "$WORK/reports2.json")
check "the latest SR is the signed amendment" test "$(field 'd["latest"]["signedBy"]' < "$WORK/reports2.json")" = doc
curl -s "${AUTH[@]}" "$URL/dicom-web/studies/$STUDY/series/$(curl -s "${AUTH[@]}" "$URL/dicom-web/studies/$STUDY/instances?SOPInstanceUID=$LATEST" | field 'd[0]["0020000E"]["Value"][0]')/instances/$LATEST" > "$WORK/latest.mime"
check "the amendment's SR: VERIFIED, Predecessor Documents name the signed SR" "$PY" - "$WORK/latest.mime" "$PRED" <<'PY'
import io, sys, pydicom
raw = open(sys.argv[1], "rb").read()
ds = pydicom.dcmread(io.BytesIO(raw[raw.index(b"DICM") - 128:]), force=True)
assert ds.VerificationFlag == "VERIFIED", ds.VerificationFlag
p = ds.PredecessorDocumentsSequence[0].ReferencedSeriesSequence[0].ReferencedSOPSequence[0].ReferencedSOPInstanceUID
assert p == sys.argv[2], (p, sys.argv[2])
texts = [i.TextValue for c in ds.ContentSequence if "ContentSequence" in c for i in c.ContentSequence if "TextValue" in i]
assert any("mildly reduced" in t for t in texts), texts
PY
# --- Orthanc is down meanwhile: the sign-off's documents queue, and arrive after it restarts -----------------------
SIGNED=$(curl -s "${AUTH[@]}" "$URL/api/jobs/$JOB/reports" | field 'len(d["documents"])')
queued_failed() {  # the sign-off's documents: failed, with the reason and the next attempt
  outbox_wait "$JOB" failed "$1" 10 && "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); f=[e for e in d["entries"] if e["state"]=="failed"]; assert f and all(e["lastError"] and e["nextAttempt"] for e in f); print(f[0]["lastError"])' "$WORK/outbox.json"
}
check "with Orthanc stopped the new documents are queued as failed (reason and next attempt recorded)" queued_failed $((SIGNED - NDOCS))
check "GET /api/outbox lists the failed deliveries" bash -c "curl -s ${AUTH[*]@Q} '$URL/api/outbox?state=failed' | grep -q 'ORTHANC@127.0.0.1:$OPORT'"
check "the viewer's reports panel (Chromium): latest/superseded SRs, PDF link, failed deliveries with the reason" \
  "$PY" Tests/oracle/check_reports_browser.py "$URL" "$TOKEN" "$JOB" --expect failed
T0=$(date +%s.%N)
start_orthanc
check "after Orthanc restarts all $SIGNED documents are committed" outbox_wait "$JOB" committed "$SIGNED" 20
echo "queued documents committed $(echo "$(date +%s.%N) - $T0" | bc) s after Orthanc restarted (back-off 1 → 2 s)" | tee -a "$WORK/latency.txt"
check "retries recorded (attempts > 1 on the queued documents)" test "$(field 'max(e["attempts"] for e in d["entries"])' < "$WORK/outbox.json")" -gt 1
check "the viewer's reports panel (Chromium): the amendment shown as latest, every document delivered" \
  "$PY" Tests/oracle/check_reports_browser.py "$URL" "$TOKEN" "$JOB" --expect delivered "$WORK/out/viewer-reports.png"
check "QIDO-RS on Orthanc finds the amended SR" bash -c "curl -sf '$OURL/dicom-web/studies/$STUDY/instances?SOPInstanceUID=$LATEST' | grep -q '$LATEST'"
check "sign-offs audited (action sign, user doc)" bash -c "curl -s ${AUTH[*]@Q} '$URL/api/audit?action=sign' | grep -q '\"doc\"'"

# --- bad input: one error line, nothing written -------------------------------------------------------------------
BADJOB=$(job "{\"type\":\"analysis\",\"analysis\":\"sentinel\",\"series\":\"$SERIES\"}")
bad() {  # bad ARGS... : exit ≠ 0, one line on stderr, no file written
  rm -f "$WORK/bad.pdf" "$WORK/bad.dcm"
  ! "$BIN" report "$@" --pdf "$WORK/bad.pdf" --sr "$WORK/bad.dcm" 2>"$WORK/bad.err" >/dev/null && test "$(wc -l < "$WORK/bad.err")" = 1 \
    && [ ! -e "$WORK/bad.pdf" ] && [ ! -e "$WORK/bad.dcm" ] && cat "$WORK/bad.err"
}
check "failed job → one error line, nothing written" bad "$BADJOB" --archive "$ARCH"
check "unknown job → one error line" bad 00000000-0000-0000-0000-000000000000 --archive "$ARCH"
echo '{"lvef": 62.5' > "$WORK/malformed.json"
check "malformed JSON → one error line" bad "$WORK/malformed.json" --source "$WORK/g/NM_GATED.dcm"
check "nothing of the failed job is queued for the PACS" test "$(curl -s "${AUTH[@]}" "$URL/api/outbox?job=$BADJOB" | field 'len(d["entries"])')" = 0
check "GET /api/outbox with an unknown state → 400" test "$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" "$URL/api/outbox?state=bogus")" = 400
check "POST reports of the failed job → 409" test "$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" -X POST "$URL/api/jobs/$BADJOB/reports")" = 409

# --- a dose report (simulated Lu-177), with the Radiopharmaceutical Radiation Dose SR ------------------------------
"$BIN" dose --write-simulated "$WORK/dose" >/dev/null
FOLDERS=$("$PY" -c "import json; print(' '.join('--timepoint ' + f for f in json.load(open('$WORK/dose/truth.json'))['folders']))")
# shellcheck disable=SC2086
"$BIN" dose $FOLDERS --masks "$WORK/dose/masks.dcm" --isotope Lu-177 --method voxel --out "$WORK/dose/out" --json > "$WORK/dose.json" 2>/dev/null
SPECT=$(find "$("$PY" -c "import json; print(json.load(open('$WORK/dose/truth.json'))['folders'][0])")" -name '*.dcm' | sort | head -1)
"$BIN" report "$WORK/dose.json" --source "$SPECT" --rtdose "$WORK/dose/out/rtdose.dcm" --pdf "$WORK/out/dose.pdf" \
  --sr "$WORK/out/dose-sr.dcm" --sc "$WORK/out/dose-sc.dcm" --dicom-pdf "$WORK/out/dose-pdf.dcm" --dose-sr "$WORK/out/dose-rrdsr.dcm" >/dev/null
check "oracles on the dose report (incl. the TID 10021 dose SR)" "$PY" Tests/oracle/check_reports.py "$WORK/dose.json" "$WORK/out/dose-sr.dcm" \
  --pdf "$WORK/out/dose.pdf" --objects "$WORK/out/dose-sc.dcm" "$WORK/out/dose-pdf.dcm" --dose-sr "$WORK/out/dose-rrdsr.dcm"

# --- QC: report of a flood, approval by a physicist -------------------------------------------------------------------
FLOOD="$CORPUS/vendor/mediso_nucline_STATIC_flood_intrinsic_nmqc.dcm"
if [ -f "$FLOOD" ]; then
  "$BIN" qc uniformity "$FLOOD" --json > "$WORK/qc.json"
  "$BIN" report "$WORK/qc.json" --source "$FLOOD" --pdf "$WORK/out/qc.pdf" --sr "$WORK/out/qc-sr.dcm" --dicom-pdf "$WORK/out/qc-pdf.dcm" >/dev/null
  check "oracles on the QC report" "$PY" Tests/oracle/check_reports.py "$WORK/qc.json" "$WORK/out/qc-sr.dcm" --pdf "$WORK/out/qc.pdf" --objects "$WORK/out/qc-pdf.dcm"
  check "STOW the flood" test "$(stow "$FLOOD")" = 200
  for _ in $(seq 1 60); do curl -s "${AUTH[@]}" "$URL/api/qc/results" | grep -q '"id"' && break; sleep 0.5; done
  QCID=$(curl -s "${AUTH[@]}" "$URL/api/qc/results" | field 'd[-1]["id"]')
  approve() { curl -s -o "$WORK/approve.json" -w '%{http_code}' -b "$WORK/$1.jar" -H 'Content-Type: application/json' -d '{"comment":"ok"}' "$URL/api/qc/results/$QCID/approve"; }
  check "a physician cannot approve QC (403)" test "$(approve doc)" = 403
  check "a physicist approves QC: SR + PDF written" bash -c "[ \"\$(curl -s -o '$WORK/approve.json' -w '%{http_code}' -b '$WORK/phil.jar' -H 'Content-Type: application/json' -d '{\"comment\":\"ok\"}' '$URL/api/qc/results/$QCID/approve')\" = 200 ] && grep -q '\"sr\"' '$WORK/approve.json' && grep -q '\"pdf\"' '$WORK/approve.json'"
  check "QC approval audited (action approve, user phil)" bash -c "curl -s ${AUTH[*]@Q} '$URL/api/audit?action=approve' | grep -q '\"phil\"'"
else
  echo "QC report checks skipped: $FLOOD not found"
fi
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
