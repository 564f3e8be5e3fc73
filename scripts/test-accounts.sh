#!/usr/bin/env bash
# Acceptance tests of user accounts, roles and the audit trail of `scinti serve` over HTTP (curl) and in a real
# browser (Chromium driven by Selenium): `scinti users`, POST /api/login with the session cookie, 403 naming the missing
# right per role, the audit trail (GET /api/audit) after a scripted session, DIMSE actors (DCMTK storescu/findscu),
# lock-out after 20 wrong passwords, sessions and the service token across a restart, HTTPS with --tls-cert/--tls-key.
#
# Usage: scripts/test-accounts.sh   (SCINTI_BIN=binary to test)
# Prints one line per check and a closing line "N passed, N failed"; exits non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/checks.sh
setup_test test-accounts
PORT=$((20000 + RANDOM % 2000)); DPORT=$((PORT + 1)); TPORT=$((PORT + 2))
TOKEN=$("$PY" -c 'import secrets; print(secrets.token_hex(16))')
URL="http://127.0.0.1:$PORT"
AUTH=(-H "Authorization: Bearer $TOKEN")
ARCH="$WORK/archive"

SPORT=$((PORT + 3))
# A certificate for localhost (HTTPS, and the syslog receiver standing in for an ATNA audit repository).
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" >/dev/null 2>&1
"$PY" Tests/oracle/syslog_tls_receiver.py "$SPORT" "$WORK/cert.pem" "$WORK/key.pem" "$WORK/syslog.jsonl" 2>>"$WORK/syslog.log" &
SYSLOG_PID=$!
trap 'kill $SYSLOG_PID 2>/dev/null; cleanup' EXIT
start_server() {  # start_server [extra options]
  "$BIN" serve --port "$PORT" --dimse-port "$DPORT" --aet SCINTI --archive "$ARCH" --token "$TOKEN" \
    --audit-syslog "localhost:$SPORT" --audit-syslog-ca "$WORK/cert.pem" "$@" >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 150); do curl -sf "$URL/health" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "server did not start:"; cat "$WORK/server.log"; return 1
}
stop_server() { kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""; }
# login USER PASSWORD → HTTP status; the cookie jar is $WORK/USER.jar, the headers $WORK/USER.h
login() { curl -s -o "$WORK/$1.login" -D "$WORK/$1.h" -c "$WORK/$1.jar" -w '%{http_code}' -H 'Content-Type: application/json' \
            -d "{\"user\":\"$1\",\"password\":\"$2\"}" "$URL/api/login"; }
as() { local u="$1"; shift; curl -s -b "$WORK/$u.jar" "$@"; }
code_as() { local u="$1"; shift; curl -s -o "$WORK/last.body" -w '%{http_code}' -b "$WORK/$u.jar" "$@"; }
jq_py() { "$PY" -c "import json,sys; d=json.load(sys.stdin); $1"; }

# --- users from the command line -------------------------------------------------------------------------------------
mkdir -p "$ARCH"
for u in rita:reader tom:technologist paula:physicist phil:physician ada:admin; do
  "$BIN" users add "${u%%:*}" --role "${u##*:}" --password "${u%%:*}-secret-pw" --archive "$ARCH" >>"$WORK/users.log" 2>&1
done
echo "stdin-secret-pw" | "$BIN" users add sam --role reader --archive "$ARCH" >>"$WORK/users.log" 2>&1
# On a terminal (script(1) gives it one) the password is asked twice and not echoed.
tty_add() {
  (sleep 1; printf 'tty-secret-pw\n'; sleep 0.5; printf 'tty-secret-pw\n'; sleep 1) \
    | script -qec "'$BIN' users add tina --role physicist --archive '$ARCH'" "$WORK/typescript" >/dev/null &&
  grep -q 'Repeat the password' "$WORK/typescript" && ! grep -q 'tty-secret-pw' "$WORK/typescript"
}
check "scinti users add asks twice on a terminal, without echo" tty_add
check "scinti users add: 7 users listed with their roles" bash -c "'$BIN' users list --archive '$ARCH' | grep -c -E ' (reader|technologist|physicist|physician|admin) ' | grep -qx 7"
check "scinti users add: unknown role refused (non-zero exit, one line naming the roles)" bash -c "! '$BIN' users add x --role root --password abcdefghij --archive '$ARCH' && '$BIN' users add x --role root --password abcdefghij --archive '$ARCH' 2>&1 | grep -q 'one of reader, technologist, physicist, physician, admin'"
check "scinti users add: short password refused" bash -c "! '$BIN' users add y --role reader --password short --archive '$ARCH'"
check "passwords not stored in clear (index.sqlite)" bash -c "! grep -q -a 'rita-secret-pw' '$ARCH'/index.sqlite*"

# --- a small study to look at and analyse: a gated blood-pool study ----------------------------------------------------
"$BIN" simulate gated --matrix 64 --pixel 4.8 --voxel 7 --no-ct --edv 130 --lvef 55 --seed 7 --out "$WORK/gated" >"$WORK/sim.log" 2>&1 || cat "$WORK/sim.log"
GATED=$(find "$WORK/gated" -name '*.dcm' | head -n 1)
GSERIES=$("$PY" -c 'import pydicom,sys; print(pydicom.dcmread(sys.argv[1]).SeriesInstanceUID)' "$GATED")
GSTUDY=$("$PY" -c 'import pydicom,sys; print(pydicom.dcmread(sys.argv[1]).StudyInstanceUID)' "$GATED")
GSOP=$("$PY" -c 'import pydicom,sys; print(pydicom.dcmread(sys.argv[1]).SOPInstanceUID)' "$GATED")

check "server starts" start_server
# DIMSE: a C-STORE and a C-FIND from DCMTK, with calling AE titles that the audit trail must name.
check "storescu (AE MODALITY1) stores the gated study" storescu -aet MODALITY1 -aec SCINTI 127.0.0.1 "$DPORT" "$GATED"
check "findscu (AE READER7) searches" bash -c "findscu -S -aet READER7 -aec SCINTI -k QueryRetrieveLevel=STUDY -k StudyInstanceUID=$GSTUDY 127.0.0.1 $DPORT 2>&1 | grep -q StudyInstanceUID"
mkdir -p "$WORK/get"
check "getscu (AE GETTER9) retrieves the study" bash -c "getscu -S -aet GETTER9 -aec SCINTI -k QueryRetrieveLevel=STUDY -k StudyInstanceUID=$GSTUDY -od '$WORK/get' 127.0.0.1 $DPORT && test -n \"\$(ls '$WORK/get')\""

# --- logins ----------------------------------------------------------------------------------------------------------
check "login with a wrong password → 401" test "$(login rita wrong-password)" = 401
check "login as reader → 200" test "$(login rita rita-secret-pw)" = 200
check "session cookie is HttpOnly and SameSite=Strict (no Secure over HTTP)" bash -c "grep -i '^set-cookie: scinti_session=' '$WORK/rita.h' | grep -q HttpOnly && grep -i '^set-cookie:' '$WORK/rita.h' | grep -q 'SameSite=Strict' && ! grep -i '^set-cookie:' '$WORK/rita.h' | grep -q Secure"
for u in tom paula phil ada sam; do login "$u" "$u-secret-pw" >/dev/null; done
login sam stdin-secret-pw >/dev/null
check "password given on standard input works" grep -q '"user":"sam"' "$WORK/sam.login"

# --- rights per role ---------------------------------------------------------------------------------------------------
check "reader searches (QIDO) → 200" test "$(code_as rita "$URL/dicom-web/studies?StudyInstanceUID=$GSTUDY")" = 200
check "reader views the series (viewer API) → 200" test "$(code_as rita "$URL/api/series/$GSERIES/info")" = 200
check "reader views a rendered frame → 200" test "$(code_as rita "$URL/dicom-web/studies/$GSTUDY/series/$GSERIES/instances/$GSOP/frames/1/rendered")" = 200
JOBREQ="{\"type\":\"analysis\",\"analysis\":\"lvef\",\"series\":\"$GSERIES\"}"
check "reader POST /api/jobs → 403 naming runJobs" bash -c "test \"\$(curl -s -o '$WORK/r403' -w '%{http_code}' -b '$WORK/rita.jar' -H 'Content-Type: application/json' -d '$JOBREQ' '$URL/api/jobs')\" = 403 && grep -q \"'runJobs'\" '$WORK/r403'"
stow_body() { { for f in "$@"; do printf -- '--SCINTIB\r\nContent-Type: application/dicom\r\n\r\n'; cat "$f"; printf '\r\n'; done; printf -- '--SCINTIB--\r\n'; } >"$WORK/stow.body"; }
stow_body "$GATED"
check "technologist STOW → 200" test "$(curl -s -o /dev/null -w '%{http_code}' -b "$WORK/tom.jar" -H 'Content-Type: multipart/related; type="application/dicom"; boundary=SCINTIB' --data-binary @"$WORK/stow.body" "$URL/dicom-web/studies")" = 200
check "reader STOW → 403 naming store" bash -c "test \"\$(curl -s -o '$WORK/s403' -w '%{http_code}' -b '$WORK/rita.jar' -H 'Content-Type: multipart/related; type=\"application/dicom\"; boundary=B' --data-binary '--B--' '$URL/dicom-web/studies')\" = 403 && grep -q \"'store'\" '$WORK/s403'"
check "reader GET /api/audit → 403 naming readAudit" bash -c "test \"\$(curl -s -o '$WORK/a403' -w '%{http_code}' -b '$WORK/rita.jar' '$URL/api/audit')\" = 403 && grep -q \"'readAudit'\" '$WORK/a403'"
NEWUSER='{"name":"nina","role":"physician","password":"nina-secret-pw"}'
for u in rita tom paula phil; do
  check "$u cannot add users → 403 naming manageUsers" bash -c "test \"\$(curl -s -o '$WORK/u403' -w '%{http_code}' -b '$WORK/$u.jar' -H 'Content-Type: application/json' -d '$NEWUSER' '$URL/api/users')\" = 403 && grep -q \"'manageUsers'\" '$WORK/u403'"
done
check "admin adds a user → 201" test "$(curl -s -o /dev/null -w '%{http_code}' -b "$WORK/ada.jar" -H 'Content-Type: application/json' -d "$NEWUSER" "$URL/api/users")" = 201
check "the new user logs in" test "$(login nina nina-secret-pw)" = 200
check "rights: only the physician role signs reports" bash -c "for u in rita tom paula phil ada; do curl -s -b '$WORK/'\$u.jar '$URL/api/me'; echo; done | $PY -c 'import json,sys; s=[json.loads(l)[\"role\"] for l in sys.stdin if \"signReports\" in json.loads(l)[\"rights\"]]; sys.exit(0 if s==[\"physician\"] else 1)'"
check "rights: physicist approves dosimetry and QC, technologist does not" bash -c "curl -s -b '$WORK/paula.jar' '$URL/api/me' | grep -q approveDosimetry && curl -s -b '$WORK/paula.jar' '$URL/api/me' | grep -q approveQC && ! curl -s -b '$WORK/tom.jar' '$URL/api/me' | grep -q approve"
check "rights: reader may not export or edit regions, technologist may" bash -c "! curl -s -b '$WORK/rita.jar' '$URL/api/me' | grep -q -E 'export|editRegions' && curl -s -b '$WORK/tom.jar' '$URL/api/me' | grep -q export && curl -s -b '$WORK/tom.jar' '$URL/api/me' | grep -q editRegions"

# --- a scripted session of a technologist: view, run a job ------------------------------------------------------------
as tom "$URL/dicom-web/studies/$GSTUDY/series/$GSERIES/metadata" >/dev/null
JOB=$(curl -s -b "$WORK/tom.jar" -H 'Content-Type: application/json' -d "$JOBREQ" "$URL/api/jobs" | jq_py 'print(d["id"])')
check "technologist runs an LVEF job → done" bash -c "timeout 300 curl -sN -b '$WORK/tom.jar' '$URL/api/jobs/$JOB/events' | grep -q '^event: done'"
check "the job record names who submitted it" bash -c "curl -s -b '$WORK/rita.jar' '$URL/api/jobs/$JOB' | grep -q '\"submittedBy\":\"tom\"'"

# --- the audit trail ---------------------------------------------------------------------------------------------------
curl -s "${AUTH[@]}" "$URL/api/audit?limit=1000" >"$WORK/audit.json"
has() {  # has ACTOR ACTION [UID]
  jq_py "import sys as s; s.exit(0 if any(r['actor']=='$1' and r['action']=='$2' and ('${3:-}'=='' or '${3:-}' in (r.get('studyUID'),r.get('seriesUID'),r.get('instanceUID'))) for r in d) else 1)" <"$WORK/audit.json"
}
check "audit: reader login" has rita login
check "audit: failed login of the reader" has rita login-failed
check "audit: the reader's 403 (denied) on POST /api/jobs" bash -c "$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if any(r[\"actor\"]==\"rita\" and r[\"action\"]==\"denied\" and \"/api/jobs\" in r[\"detail\"] for r in d) else 1)' '$WORK/audit.json'"
check "audit: reader's search with the study UID" has rita query "$GSTUDY"
check "audit: reader viewed the series (study and series UIDs)" has rita view "$GSERIES"
check "audit: technologist's job with the series UID" has tom job "$GSERIES"
check "audit: technologist viewed the metadata" has tom view "$GSERIES"
check "audit: technologist's STOW-RS with the instance UID" has tom store "$GSOP"
check "audit: admin added a user" has ada configuration
check "audit: C-STORE with the calling AE title as actor and the instance UID" has MODALITY1 store "$GSOP"
check "audit: C-FIND with the calling AE title as actor" has READER7 query "$GSTUDY"
check "audit: C-GET with the calling AE title as actor" has GETTER9 retrieve "$GSTUDY"
check "audit: scinti users add recorded (command line)" bash -c "grep -q 'scinti users add' '$WORK/audit.json'"
check "audit: records carry time and source address" jq_py "import sys as s; s.exit(0 if all(r.get('time','').endswith('Z') for r in d) and any((r.get('source') or '').startswith('127.0.0.1:') for r in d) else 1)" <"$WORK/audit.json"
check "audit: newest first" jq_py "import sys as s; i=[r['id'] for r in d]; s.exit(0 if i==sorted(i, reverse=True) else 1)" <"$WORK/audit.json"
check "audit: filters (actor, action)" bash -c "curl -s ${AUTH[*]@Q} '$URL/api/audit?actor=tom&action=job' | $PY -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d and all(r[\"actor\"]==\"tom\" and r[\"action\"]==\"job\" for r in d) else 1)'"
check "audit: admin reads the trail" test "$(code_as ada "$URL/api/audit?limit=5")" = 200
check "audit: no password in the trail or the server log" bash -c "! grep -q -- '-secret-pw' '$WORK/audit.json' '$WORK/server.log'"
N0=$(jq_py 'print(len(d))' <"$WORK/audit.json")
for m in DELETE PUT PATCH POST; do
  check "audit: $m /api/audit is refused" bash -c "c=\$(curl -s -o /dev/null -w '%{http_code}' -X $m ${AUTH[*]@Q} '$URL/api/audit'); test \$c -ge 400"
  check "audit: $m /api/audit/1 is refused" bash -c "c=\$(curl -s -o /dev/null -w '%{http_code}' -X $m ${AUTH[*]@Q} '$URL/api/audit/1'); test \$c -ge 400"
done
check "audit: nothing was removed (records only grow)" bash -c "test \$(curl -s ${AUTH[*]@Q} '$URL/api/audit?limit=10000' | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))') -gt $N0"
check "audit: SQLite itself refuses UPDATE/DELETE (triggers)" bash -c "! $PY -c \"import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('DELETE FROM audit'); c.commit()\" '$ARCH/index.sqlite' 2>/dev/null"

check "audit repository: the records arrived as DICOM audit messages (PS3.15 A.5 XML) over syslog/TLS" \
  "$PY" Tests/oracle/check_audit_messages.py "$WORK/syslog.jsonl" rita "$GSTUDY"

# --- lock-out ----------------------------------------------------------------------------------------------------------
for i in $(seq 1 20); do login paula "wrong-$i" >/dev/null; done
check "20 wrong passwords lock: the right one is refused (401, locked)" bash -c "test \"\$(curl -s -o '$WORK/lock.json' -w '%{http_code}' -H 'Content-Type: application/json' -d '{\"user\":\"paula\",\"password\":\"paula-secret-pw\"}' '$URL/api/login')\" = 401 && grep -q locked '$WORK/lock.json'"
check "scinti users list shows the lock" bash -c "'$BIN' users list --archive '$ARCH' | grep paula | grep -q locked"
check "scinti users passwd clears the lock" bash -c "'$BIN' users passwd paula --password paula-new-pw --archive '$ARCH' && test \"\$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d '{\"user\":\"paula\",\"password\":\"paula-new-pw\"}' '$URL/api/login')\" = 200"
check "scinti users disable: the session ends and login is refused" bash -c "'$BIN' users disable sam --archive '$ARCH' && test \"\$(curl -s -o /dev/null -w '%{http_code}' -b '$WORK/sam.jar' '$URL/api/me')\" = 401 && test \"\$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d '{\"user\":\"sam\",\"password\":\"stdin-secret-pw\"}' '$URL/api/login')\" = 401"

# --- restart: sessions and the service token survive ----------------------------------------------------------------
stop_server
check "server restarts on the same archive" start_server
check "the reader's session survives the restart" test "$(code_as rita "$URL/api/me")" = 200
check "the service token survives the restart (same --token)" test "$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" "$URL/api/me")" = 200
check "logout ends the session" bash -c "curl -s -o /dev/null -X POST -b '$WORK/tom.jar' '$URL/api/logout' && test \"\$(curl -s -o /dev/null -w '%{http_code}' -b '$WORK/tom.jar' '$URL/api/me')\" = 401"
check "audit: logout recorded" bash -c "curl -s ${AUTH[*]@Q} '$URL/api/audit?actor=tom&action=logout' | grep -q logout"

# --- the login page in a real browser (Chromium + chromedriver through Selenium) ----------------------------------
if "$PY" -c 'import selenium' 2>/dev/null && command -v chromedriver >/dev/null; then
  check "browser: login page, wrong password message, login, cookie flags, user shown, logout" \
    "$PY" Tests/oracle/check_login_browser.py "$URL" rita rita-secret-pw reader
  check "browser: a technologist logs in and sees the job buttons" \
    "$PY" Tests/oracle/check_login_browser.py "$URL" tom tom-secret-pw technologist
else
  failc "browser test: selenium (pip) and chromium-driver (apt) needed (scripts/install-deps.sh --test installs them)"
fi
stop_server

# --- HTTPS ---------------------------------------------------------------------------------------------------------
"$BIN" serve --port "$TPORT" --archive "$ARCH" --token "$TOKEN" --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem" >>"$WORK/tls.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 150); do curl -skf "https://127.0.0.1:$TPORT/health" >/dev/null 2>&1 && break; sleep 0.2; done
check "HTTPS: /health over TLS with the given certificate" bash -c "curl -sf --cacert '$WORK/cert.pem' https://127.0.0.1:$TPORT/health | grep -q ok"
check "HTTPS: the session cookie is Secure" bash -c "curl -s -D - -o /dev/null --cacert '$WORK/cert.pem' -H 'Content-Type: application/json' -d '{\"user\":\"rita\",\"password\":\"rita-secret-pw\"}' https://127.0.0.1:$TPORT/api/login | grep -i '^set-cookie:' | grep -q Secure"
check "HTTPS: plain HTTP to the TLS port gets no answer" bash -c "! curl -sf -m 5 http://127.0.0.1:$TPORT/health"
check "--tls-cert without --tls-key: one error line, non-zero exit" bash -c "! '$BIN' serve --archive '$ARCH' --tls-cert '$WORK/cert.pem' && '$BIN' serve --archive '$ARCH' --tls-cert '$WORK/cert.pem' 2>&1 | grep -q 'go together'"
stop_server

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
