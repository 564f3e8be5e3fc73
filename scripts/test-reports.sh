#!/usr/bin/env bash
# Acceptance of the report documents (issue 14; QC export/approval of issue 15; sign-off of issue 19) on loopback:
# a simulated gated study stored by STOW, an LVEF job whose SR / result screen / Encapsulated PDF land in the study
# (QIDO finds them), `scinti report JOB --archive` (dciodvfy, dsrdump, highdicom, pdftotext, pdftoppm against the
# job's JSON: Tests/oracle/check_reports.py), sign-off (reader 403, physician signs, a second sign-off only as an
# amendment whose SR names its predecessor, audited), a failed and an unknown job and malformed JSON (one error
# line, nothing written), a simulated Lu-177 dose report with the dose SR, and a QC flood approved by a physicist
# (SR + PDF in the flood's study). Usage: scripts/test-reports.sh (SCINTI_BIN=binary; CORPUS=../shared/corpus)
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

"$BIN" serve --port "$PORT" --archive "$ARCH" --token "$TOKEN" >>"$WORK/server.log" 2>&1 &
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
