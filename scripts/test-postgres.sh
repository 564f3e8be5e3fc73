#!/usr/bin/env bash
# Acceptance tests of the shared archive on PostgreSQL (docs/scale.md, issue 17): a private PostgreSQL from Debian
# (initdb in a temporary folder, Unix socket only), two `scinti serve` processes (web + DICOM SCP each) on one archive
# folder and one database, and `scinti worker` processes.
#   - unreachable database → one clear error line, exit 1
#   - STOW (curl) and C-STORE (DCMTK storescu) to both servers at once: 4 × 250 instances of one study, set 0 sent to
#     both servers (duplicates across nodes), QIDO polled on both meanwhile; afterwards QIDO from either finds every
#     instance exactly once, the database holds 1000 rows and data/ 1000 files
#   - a reconstruction job submitted on server A is run by the worker and its result read on server B
#   - the worker is SIGKILLed during a job; a second worker completes it: attempts 2, one output instance
#   - PostgreSQL stopped: STOW is refused and nothing of it is stored; restarted: servers and worker reconnect
#   - the audit trail of both servers is one append-only PostgreSQL table (UPDATE/DELETE/TRUNCATE refused)
#   - TLS to PostgreSQL (loopback TCP that accepts only TLS, a self-signed certificate): sslmode=require and
#     verify-full with sslrootcert ingest; sslmode=disable is refused by the server; a wrong root certificate fails
#   - accounts, sessions, QC results and the report outbox live in PostgreSQL too: a user added with `scinti users add
#     --database` logs in on A and the cookie works on B (logout on B ends it on A); a QC flood stored and scanned on
#     A is listed on B and not analysed again by B; 40 report documents queued while both servers run their delivery
#     workers reach the PACS (`scinti pacs listen`, Storage Commitment SCP) exactly once each and are all committed
#   - a database of schema version 1 is migrated; a newer schema is refused with a clear error
#   - QIDO/C-FIND matching in SQL on PostgreSQL equals the in-memory matcher's on a randomized index (`scinti bench
#     query`: wildcards, ranges, lists, case-insensitive names, ModalitiesInStudy, limit/offset)
#   - `scinti report JOB --database`: the SR of an analysis job (Krenning, run by the worker) from the queue
# Independent parts run at once (the simulation during start-up, the first job during the audit/account/QC/outbox
# checks, the query cross-check during the second job) to keep the section short on 2 cores.
#
# Usage: scripts/test-postgres.sh   (SCINTI_BIN=a scinti built with `--traits TLS,PostgreSQL`)
# Prints one line per check and "N passed, N failed"; exits non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/checks.sh
setup_test test-postgres
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$PGBIN/initdb" ] || PGBIN=$(dirname "$(command -v initdb)")
chmod 755 "$WORK"
mkdir -p "$WORK/pgsock" "$WORK/pgdata"   # pgsock: the socket and the server log
# PostgreSQL refuses to run as root: run it as nobody when the tests run as root.
AS=(); [ "$(id -u)" = 0 ] && { AS=(runuser -u nobody --); chown nobody "$WORK/pgsock" "$WORK/pgdata"; }
pg() { "${AS[@]}" "$PGBIN/pg_ctl" -D "$WORK/pgdata" -l "$WORK/pgsock/pg.log" -w "$@"; }
psqlc() { "$PGBIN/psql" -h "$WORK/pgsock" -U scinti -d scinti -At -v ON_ERROR_STOP=1 -c "$1"; }
"${AS[@]}" "$PGBIN/initdb" -D "$WORK/pgdata" -U scinti --auth=trust -E UTF8 >"$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log"; exit 1; }
export PGPORT=$((22000 + RANDOM % 2000))   # psql, createdb and the server read it
# TLS on loopback TCP (a self-signed certificate for localhost/127.0.0.1); pg_hba accepts TCP only with TLS.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$WORK/pgdata/server.key" -out "$WORK/pgdata/server.crt" >"$WORK/openssl.log" 2>&1
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other -keyout "$WORK/other.key" -out "$WORK/other.crt" >>"$WORK/openssl.log" 2>&1
chmod 600 "$WORK/pgdata/server.key"; [ "$(id -u)" = 0 ] && chown nobody "$WORK/pgdata/server.key" "$WORK/pgdata/server.crt"
sed -i 's/^host /hostssl /' "$WORK/pgdata/pg_hba.conf"
PGOPTS="-c listen_addresses=127.0.0.1 -c port=$PGPORT -k $WORK/pgsock -c max_connections=60 -c ssl=on"
DB="postgres:///scinti?host=$WORK/pgsock&user=scinti&port=$PGPORT"
TOKEN=$("$PY" -c 'import secrets; print(secrets.token_hex(16))')
AUTH=(-H "Authorization: Bearer $TOKEN")
BASE=$((20000 + RANDOM % 2000))
WA=$BASE; WB=$((BASE + 1)); DA=$((BASE + 2)); DB_PORT=$((BASE + 3)); PP=$((BASE + 4))
CORPUS="${CORPUS:-../shared/corpus}"
PIDS=()
cleanup_pg() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; pg stop -m immediate >/dev/null 2>&1; cleanup; }
trap cleanup_pg EXIT

# --- unreachable database ------------------------------------------------------------------------------------------
"$BIN" serve --port "$WA" --archive "$WORK/archive" --token "$TOKEN" --database "$DB" >"$WORK/unreach.log" 2>&1
check "database down: serve exits 1" test $? = 1
check "database down: one clear error line naming the database" grep -q "cannot reach PostgreSQL at postgres://scinti@$WORK/pgsock" "$WORK/unreach.log"

# The SPECT for the reconstruction jobs (small: 32² × 30 views) and the instances to ingest, made meanwhile.
"$BIN" simulate spect --phantom iec --matrix 32 --pixel 19.1808 --views 30 --out "$WORK/sim" >"$WORK/sim.log" 2>&1 & SIM=$!
"$BIN" simulate planar --matrix 32 --pixel 19.1808 --no-ct --out "$WORK/planar" >"$WORK/planar.log" 2>&1 & PLANAR=$!
"$PY" Tests/oracle/make_instances.py "$WORK/in" 4 250 >"$WORK/study_uid" & MAKE=$!
check "PostgreSQL starts (initdb in a temporary folder, socket only)" pg start -o "$PGOPTS"
"$PGBIN/createdb" -h "$WORK/pgsock" -U scinti scinti

launch_serve() { # NAME WEBPORT DIMSEPORT
  "$BIN" serve --port "$2" --dimse-port "$3" --archive "$WORK/archive" --token "$TOKEN" --database "$DB" \
    --pacs "PACS@127.0.0.1:$PP" --pacs-poll-seconds 0.3 --pacs-retry-seconds 1 --pacs-retry-max-seconds 2 >>"$WORK/$1.log" 2>&1 &
  PIDS+=($!); eval "PID_$1=$!"
}
healthy() { # NAME WEBPORT
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$2/health" >/dev/null 2>&1 && return 0; sleep 0.1; done
  cat "$WORK/$1.log"; return 1
}
start_serve() { launch_serve "$@"; healthy "$1" "$2"; }
start_worker() { # NAME
  "$BIN" worker --archive "$WORK/archive" --database "$DB" --concurrency 2 --lease-seconds 3 >>"$WORK/$1.log" 2>&1 &
  PIDS+=($!); eval "PID_$1=$!"
}
check "server A starts on PostgreSQL (schema created)" start_serve A "$WA" "$DA"
launch_serve B "$WB" "$DB_PORT"
check "schema at version 5" test "$(psqlc 'SELECT MAX(version) FROM scinti_schema')" = 5
check "server B starts on the same database and archive folder" healthy B "$WB"

# --- concurrent ingest: 4 × 250, STOW and C-STORE to both, duplicates across nodes, QIDO meanwhile ---------------
wait $MAKE
STUDY=$(cat "$WORK/study_uid")
stow_set() { # SET PORT
  { for f in "$WORK/in/set$1"/*.dcm; do printf -- '--SCINTIB\r\nContent-Type: application/dicom\r\n\r\n'; cat "$f"; printf '\r\n'; done; printf -- '--SCINTIB--\r\n'; } >"$WORK/stow$1.body"
  curl -s -o "$WORK/stow$1-$2.json" -w '%{http_code}' "${AUTH[@]}" -H 'Content-Type: multipart/related; type="application/dicom"; boundary=SCINTIB' \
    --data-binary @"$WORK/stow$1.body" "http://127.0.0.1:$2/dicom-web/studies" >"$WORK/stow$1-$2.code"
}
qido_count() { # PORT → "rows unique"
  curl -sf "${AUTH[@]}" "http://127.0.0.1:$1/dicom-web/studies/$STUDY/instances" \
    | "$PY" -c 'import json,sys; u=[i["00080018"]["Value"][0] for i in json.load(sys.stdin)]; print(len(u), len(set(u)))'
}
qido_poll() { # PORT: QIDO every second while ingesting; records any error or duplicate
  while [ ! -e "$WORK/ingest.done" ]; do
    if r=$(qido_count "$1" 2>>"$WORK/qido.stderr"); then
      read -r n u <<<"$r"; [ "$n" = "$u" ] || echo "duplicate rows on $1: $r" >>"$WORK/qido.errors"
    else echo "QIDO failed on $1" >>"$WORK/qido.errors"; fi
    sleep 1
  done
}
: >"$WORK/qido.errors"
qido_poll "$WA" & QA=$!
qido_poll "$WB" & QB=$!
T0=$(date +%s.%N)
storescu -aet CI -aec SCINTI 127.0.0.1 "$DA" "$WORK/in/set0"/*.dcm >"$WORK/scu0a.log" 2>&1 & S1=$!
storescu -aet CI -aec SCINTI 127.0.0.1 "$DB_PORT" "$WORK/in/set0"/*.dcm >"$WORK/scu0b.log" 2>&1 & S2=$!
storescu -aet CI -aec SCINTI 127.0.0.1 "$DB_PORT" "$WORK/in/set1"/*.dcm >"$WORK/scu1.log" 2>&1 & S3=$!
stow_set 2 "$WA" & S4=$!
stow_set 3 "$WB" & S5=$!
wait $S1; R1=$?; wait $S2; R2=$?; wait $S3; R3=$?; wait $S4; wait $S5
T1=$(date +%s.%N)
touch "$WORK/ingest.done"; wait $QA $QB
echo "ingest: 1250 objects (1000 distinct) in $(echo "$T1 - $T0" | bc) s"
check "storescu to both servers (sets 0, 0 again, 1) succeeded" test "$R1$R2$R3" = 000
check "no C-STORE error reported by storescu" bash -c "! grep -q '^E:' '$WORK'/scu*.log"
check "STOW to both servers: 200" test "$(cat "$WORK/stow2-$WA.code")$(cat "$WORK/stow3-$WB.code")" = 200200
check "QIDO during ingest: no error, no duplicate row" test ! -s "$WORK/qido.errors"
check "QIDO on A finds all 1000 exactly once" test "$(qido_count "$WA")" = "1000 1000"
check "QIDO on B finds all 1000 exactly once" test "$(qido_count "$WB")" = "1000 1000"
check "the database holds 1000 instance rows" test "$(psqlc 'SELECT COUNT(*) FROM instance')" = 1000
check "data/ holds 1000 files, no temporary file left" test "$(find "$WORK/archive/data" -name '*.dcm' | wc -l) $(ls "$WORK/archive/incoming" | wc -l)" = "1000 0"

# --- one audit trail for both servers, append-only in the database -------------------------------------------------
# Set 0 went to both servers and set 1 to B: 750 C-STORE records (500 stored, 250 duplicates), whichever server got them.
check "the audit table holds the 750 C-STORE records of both servers" \
  test "$(psqlc "SELECT COUNT(*) FROM audit WHERE action = 'store' AND detail LIKE 'C-STORE%'")" = 750
check "… 500 stored and 250 duplicates" test "$(psqlc "SELECT COUNT(*) FROM audit WHERE detail = 'C-STORE stored'") $(psqlc "SELECT COUNT(*) FROM audit WHERE detail LIKE 'C-STORE duplicate%'")" = "500 250"
audit_api_count() { # PORT → C-STORE records listed by GET /api/audit
  curl -sf "${AUTH[@]}" "http://127.0.0.1:$1/api/audit?action=store&limit=10000" \
    | "$PY" -c 'import json,sys; d=json.load(sys.stdin); d=d.get("records", d) if isinstance(d, dict) else d; print(sum(1 for r in d if (r.get("detail") or "").startswith("C-STORE")))'
}
check "GET /api/audit on A and on B lists all 750" test "$(audit_api_count "$WA") $(audit_api_count "$WB")" = "750 750"
refused() { psqlc "$1" >"$WORK/refused.log" 2>&1 && return 1; grep -q 'append-only' "$WORK/refused.log"; }
check "UPDATE of an audit record is refused by the database" refused "UPDATE audit SET actor = 'x'"
check "DELETE of an audit record is refused" refused "DELETE FROM audit"
check "TRUNCATE of the audit table is refused" refused "TRUNCATE audit"

# --- a reconstruction job submitted on A now; the worker runs it during the next checks -----------------------------
wait $SIM $PLANAR
storescu -aet CI -aec SCINTI 127.0.0.1 "$DA" "$WORK/sim/NM_SPECT.dcm" "$WORK/planar/NM_PLANAR.dcm" >>"$WORK/scu-sim.log" 2>&1
read -r SERIES PLANAR_SERIES < <("$PY" -c 'import pydicom,sys; print(*(pydicom.dcmread(f, stop_before_pixels=True).SeriesInstanceUID for f in sys.argv[1:]))' "$WORK/sim/NM_SPECT.dcm" "$WORK/planar/NM_PLANAR.dcm")
submit() { # ITERATIONS → job id
  curl -s "${AUTH[@]}" -H 'Content-Type: application/json' -d "{\"type\":\"recon\",\"series\":\"$SERIES\",\"iterations\":$1,\"subsets\":6}" \
    "http://127.0.0.1:$WA/api/jobs" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
job_field() { # ID FIELD PORT
  curl -s "${AUTH[@]}" "http://127.0.0.1:$3/api/jobs/$1" | "$PY" -c "import json,sys; print(json.load(sys.stdin).get('$2'))"
}
wait_state() { # ID STATE PORT SECONDS (polled with curl and grep: a Python per poll would load the 2 cores)
  for _ in $(seq 1 $(($4 * 10))); do curl -s "${AUTH[@]}" "http://127.0.0.1:$3/api/jobs/$1" | grep -q "\"state\":\"$2\"" && return 0; sleep 0.1; done; return 1
}
start_worker W1
J1=$(submit 2)

# --- accounts and sessions shared: a login on A is valid on B ------------------------------------------------------
check "scinti users add --database puts the account in PostgreSQL" \
  "$BIN" users add nora --role physicist --password 'nora-password-1' --archive "$WORK/archive" --database "$DB"
check "… not in the archive folder's index.sqlite" \
  test "$(psqlc "SELECT role FROM app_user WHERE name = 'nora'") $("$PY" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM app_user").fetchone()[0])' "$WORK/archive/index.sqlite")" = "physicist 0"
me() { curl -s -o /dev/null -w '%{http_code}' -b "$WORK/nora.jar" "http://127.0.0.1:$1/api/me"; }
curl -s -c "$WORK/nora.jar" -H 'Content-Type: application/json' -d '{"user":"nora","password":"nora-password-1"}' "http://127.0.0.1:$WA/api/login" >"$WORK/login.json"
check "login on A" grep -q '"user":"nora"' "$WORK/login.json"
check "the session cookie of A is valid on B (and on A)" test "$(me "$WB") $(me "$WA")" = "200 200"
curl -s -o /dev/null -b "$WORK/nora.jar" -X POST "http://127.0.0.1:$WB/api/logout"
check "logout on B ends the session on A" test "$(me "$WA")" = 401

# --- QC results shared: stored on A, listed on B, analysed once -------------------------------------------------------
# Both servers' automatic QC passes (every 5 s) and a POST /api/qc/scan on each race for the flood: it is claimed in
# PostgreSQL, so it is analysed once (one result row per head and test).
FLOOD="$CORPUS/vendor/mediso_nucline_STATIC_flood_intrinsic_nmqc.dcm"
storescu -aet CI -aec SCINTI 127.0.0.1 "$DA" "$FLOOD" >"$WORK/scu-flood.log" 2>&1
curl -s "${AUTH[@]}" -X POST "http://127.0.0.1:$WA/api/qc/scan" >"$WORK/qcscan-a.json" & curl -s "${AUTH[@]}" -X POST "http://127.0.0.1:$WB/api/qc/scan" >"$WORK/qcscan-b.json"; wait $!
qc_done() { for _ in $(seq 1 100); do [ "$(psqlc "SELECT COUNT(*) FROM qc_processed WHERE outcome = 'analysed'")" = 1 ] && return 0; sleep 0.2; done; return 1; }
qc_listed() { curl -sf "${AUTH[@]}" "http://127.0.0.1:$1/api/qc/results" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(len(d))'; }
check "the flood is analysed (outcome in PostgreSQL)" qc_done
check "… once: one result row per head and test ($(psqlc 'SELECT COUNT(*) FROM qc_result') rows)" \
  test "$(psqlc "SELECT COUNT(*) > 0 AND COUNT(*) = COUNT(DISTINCT sop_instance_uid || '/' || test || '/' || COALESCE(head, -1)) FROM qc_result")" = t
check "its QC results are listed on A and on B alike" test "$(qc_listed "$WA") $(qc_listed "$WB")" = "$(psqlc 'SELECT COUNT(*) FROM qc_result') $(psqlc 'SELECT COUNT(*) FROM qc_result')"

# --- one outbox for both servers: every report document delivered exactly once ---------------------------------------
# 40 archived instances are registered as report documents (4 transactions, while both servers poll the outbox every
# 0.3 s); each server's delivery worker claims due rows FOR UPDATE SKIP LOCKED, C-STOREs them to the PACS and asks
# for Storage Commitment. The PACS's audit trail counts every C-STORE it received.
"$BIN" pacs listen --storage "$WORK/pacs" --port "$PP" --aet PACS >"$WORK/pacs.log" 2>&1 &
PIDS+=($!)
for k in 0 1 2 3; do
  psqlc "INSERT INTO result_document (sop_instance_uid, sop_class_uid, kind, result_id, study_uid, title, created)
         SELECT sop_instance_uid, sop_class_uid, 'sc', 'outbox-test', study_uid, 'test', '2026-12-06T00:00:0$k.000Z' FROM instance
         WHERE study_uid = '$STUDY' ORDER BY sop_instance_uid OFFSET $((k * 10)) LIMIT 10" >/dev/null
  sleep 0.15
done
outbox_committed() { for _ in $(seq 1 150); do [ "$(psqlc "SELECT COUNT(*) FROM outbox WHERE state = 'committed'")" = 40 ] && return 0; sleep 0.2; done; return 1; }
check "all 40 documents committed by the PACS (one outbox row each)" outbox_committed
pacs_stores() { "$PY" -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(*c.execute("SELECT COUNT(*), COUNT(DISTINCT instance_uid), SUM(detail LIKE \"C-STORE duplicate%\") FROM audit WHERE detail LIKE \"C-STORE%\"").fetchone())' "$WORK/pacs/index.sqlite"; }
check "the PACS received 40 C-STOREs of 40 documents, no duplicate ($(pacs_stores))" test "$(pacs_stores)" = "40 40 0"
check "both servers' outbox listings agree" test "$(curl -s "${AUTH[@]}" "http://127.0.0.1:$WA/api/outbox?state=committed" | md5sum)" = "$(curl -s "${AUTH[@]}" "http://127.0.0.1:$WB/api/outbox?state=committed" | md5sum)"

# --- the first reconstruction job (submitted above): run by the worker, read on B -------------------------------------
check "job submitted on A is done by the worker, seen on B" wait_state "$J1" done "$WB" 360
check "its result on B names the stored reconstruction" bash -c "curl -s ${AUTH[*]@Q} http://127.0.0.1:$WB/api/jobs/$J1 | grep -q seriesUID"

# --- the worker dies during a job; a second worker completes it exactly once ----------------------------------------
J2=$(submit 50)
check "second job running on worker 1" wait_state "$J2" running "$WB" 180
kill -9 "$PID_W1"
check "after SIGKILL the job is still running (lease not yet expired)" test "$(job_field "$J2" state "$WA")" = running
start_worker W2
# Meanwhile: QIDO/C-FIND matching in SQL against the in-memory matcher on a randomized index in its own database.
"$PGBIN/createdb" -h "$WORK/pgsock" -U scinti scinti_q
"$BIN" bench query --database "postgres:///scinti_q?host=$WORK/pgsock&user=scinti&port=$PGPORT" --instances 150 --queries 120 \
  --work "$WORK/bench" >"$WORK/query.log" 2>&1 & QCHECK=$!
check "a second worker completes it" wait_state "$J2" done "$WA" 540
check "it was claimed twice (attempts 2) and finished by worker 2" test "$(job_field "$J2" attempts "$WA") $(job_field "$J2" worker "$WA" | cut -d: -f2)" = "2 $PID_W2"
OUT=$(curl -s "${AUTH[@]}" "http://127.0.0.1:$WB/api/jobs/$J2" | "$PY" -c 'import json,sys; print(json.loads(json.load(sys.stdin)["result"])["seriesUID"])')
check "its output series holds exactly one instance" test "$(psqlc "SELECT COUNT(*) FROM instance WHERE series_uid = '$OUT'")" = 1
check "one job row per submission" test "$(psqlc 'SELECT COUNT(*) FROM job')" = 2

wait $QCHECK; RC=$?
check "QIDO matching in SQL on PostgreSQL = the in-memory matcher on 120 random queries ($(grep -o 'queries with matches: [0-9]*' "$WORK/query.log"); $(grep -o 'limit/offset in SQL): [0-9]*' "$WORK/query.log"))" \
  bash -c "test $RC = 0 && grep -q 'differences from the in-memory matcher: 0' '$WORK/query.log' || { cat '$WORK/query.log'; false; }"

# --- database lost: nothing acknowledged that is not stored; reconnects ------------------------------------------
FILES_BEFORE=$(find "$WORK/archive/data" -name '*.dcm' | wc -l)
pg stop -m fast >/dev/null
LATE=$("$PY" Tests/oracle/make_instances.py "$WORK/late" 1 3)
stow_set_dir() { { for f in "$1"/*.dcm; do printf -- '--SCINTIB\r\nContent-Type: application/dicom\r\n\r\n'; cat "$f"; printf '\r\n'; done; printf -- '--SCINTIB--\r\n'; } >"$WORK/late.body"
  curl -s -o "$WORK/late.json" -w '%{http_code}' "${AUTH[@]}" -H 'Content-Type: multipart/related; type="application/dicom"; boundary=SCINTIB' \
    --data-binary @"$WORK/late.body" "http://127.0.0.1:$2/dicom-web/studies"; }
CODE=$(stow_set_dir "$WORK/late/set0" "$WA")
check "STOW while the database is down is refused (HTTP $CODE)" test "$CODE" != 200
# Files are linked into data/ before the index commit (group commit): an unacknowledged store may leave its file
# there, unindexed, until a retry (or start-up recovery) indexes it; never an index row without a file.
check "… at most its 3 files reach data/" test "$(find "$WORK/archive/data" -name '*.dcm' | wc -l)" -le $((FILES_BEFORE + 3))
wait_log() { for _ in $(seq 1 $(($3 * 10))); do grep -q "$2" "$1" && return 0; sleep 0.1; done; return 1; }
check "the worker reports the lost database" wait_log "$WORK/W2.log" "cannot claim a job" 15
pg start -o "$PGOPTS" >/dev/null
check "after restart: none of the refused STOW is indexed" test "$(psqlc "SELECT COUNT(*) FROM instance WHERE study_uid = '$LATE'")" = 0
check "after restart: STOW to A stored (server reconnected)" test "$(stow_set_dir "$WORK/late/set0" "$WA")" = 200
check "… the retry indexed them: rows = files, nothing left in incoming/" \
  test "$(psqlc 'SELECT COUNT(*) FROM instance') $(ls "$WORK/archive/incoming" | wc -l)" = "$(find "$WORK/archive/data" -name '*.dcm' | wc -l) 0"
check "after restart: QIDO on B answers" test "$(qido_count "$WB")" = "1000 1000"
# An analysis job this time (Krenning score on the planar study stored with the SPECT; its regions given), whose
# report `scinti report JOB --database` then writes from the PostgreSQL queue.
circle() { printf '{"label":"%s","colour":"#e62828","frames":[],"shape":"circle","column":%s,"row":%s,"radius":%s}' "$@"; }
J3=$(curl -s "${AUTH[@]}" -H 'Content-Type: application/json' \
  -d "{\"type\":\"analysis\",\"analysis\":\"krenning\",\"series\":\"$PLANAR_SERIES\",\"regions\":[$(circle liver 12 14 3),$(circle spleen 20 14 3),$(circle 'lesion 1' 16 18 2)]}" \
  "http://127.0.0.1:$WA/api/jobs" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
check "after restart: the worker reconnects and runs a job" wait_state "$J3" done "$WB" 360
check "the worker said the database is back" grep -q "database reachable again" "$WORK/W2.log"
# `scinti report JOB --database` (checked after the TLS part, which it runs beside): the job record from PostgreSQL,
# its source image from the shared index.
"$BIN" report "$J3" --archive "$WORK/archive" --database "$DB" --sr "$WORK/j3-sr.dcm" >"$WORK/report.log" 2>&1 & REPORT=$!

# --- TLS to PostgreSQL ----------------------------------------------------------------------------------------------
# The four connections at once (independent benches, each with its own archive folder).
TCP="postgres://scinti@127.0.0.1:$PGPORT/scinti"
"$BIN" bench ingest --database "$TCP?sslmode=require" --instances 20 --senders 2 --work "$WORK/bench" >"$WORK/tls1.log" 2>&1 & T1=$!
"$BIN" bench ingest --database "postgres://scinti@localhost:$PGPORT/scinti?sslmode=verify-full&sslrootcert=$WORK/pgdata/server.crt" \
  --instances 10 --senders 1 --work "$WORK/bench" >"$WORK/tls2.log" 2>&1 & T2=$!
"$BIN" bench ingest --database "$TCP" --instances 5 --senders 1 --work "$WORK/bench" >"$WORK/notls.log" 2>&1 & T3=$!
"$BIN" bench ingest --database "$TCP?sslmode=verify-full&sslrootcert=$WORK/other.crt" --instances 5 --senders 1 --work "$WORK/bench" >"$WORK/badca.log" 2>&1 & T4=$!
wait $T1; R1=$?; wait $T2; R2=$?; wait $T3; R3=$?; wait $T4; R4=$?
check "sslmode=require over TCP: ingest through TLS" bash -c "test $R1 = 0 || { cat '$WORK/tls1.log'; false; }"
check "sslmode=verify-full with the server's certificate as sslrootcert" bash -c "test $R2 = 0 || { cat '$WORK/tls2.log'; false; }"
check "without TLS the server refuses the connection (pg_hba: hostssl only): exit 1, one error line" \
  bash -c "test $R3 = 1 && grep -q 'scinti: error: .*postgres://scinti@127.0.0.1:$PGPORT/scinti' '$WORK/notls.log'"
check "verify-full against another certificate fails: exit 1, naming the database" \
  bash -c "test $R4 = 1 && grep -q 'scinti: error: .*127.0.0.1:$PGPORT' '$WORK/badca.log'"

# The report's SR must carry the job's own finding (read back from the API) and name the planar study and series.
wait $REPORT
curl -s "${AUTH[@]}" "http://127.0.0.1:$WB/api/jobs/$J3" >"$WORK/j3.json"
check "scinti report JOB --database writes the SR of an analysis job from the PostgreSQL queue: its finding, its study and series" \
  "$PY" - "$WORK/j3.json" "$WORK/j3-sr.dcm" "$WORK/planar/NM_PLANAR.dcm" <<'PY'
import json, sys, pydicom
job, sr, src = json.load(open(sys.argv[1])), pydicom.dcmread(sys.argv[2]), pydicom.dcmread(sys.argv[3], stop_before_pixels=True)
finding = json.loads(job["result"])["result"]["findings"][0]
texts = []
def walk(items):
    for it in items:
        if "TextValue" in it: texts.append(str(it.TextValue))
        walk(it.get("ContentSequence", []))
walk(sr.ContentSequence)
series = {s.SeriesInstanceUID for e in sr.CurrentRequestedProcedureEvidenceSequence for s in e.ReferencedSeriesSequence}
# Compared up to the first non-ASCII character (the finding's "×"), whatever character set decodes the rest.
head = finding.split("×")[0]
ok = sr.StudyInstanceUID == src.StudyInstanceUID and src.SeriesInstanceUID in series and len(head) > 20 and any(t.startswith(head) for t in texts)
print(f"finding {finding!r}; SR character set {sr.get('SpecificCharacterSet')}; texts {[t for t in texts if t.startswith('Lesion')]}", file=sys.stderr)
sys.exit(0 if ok else 1)
PY
grep '^finding ' "$WORK/checks.log" | tail -n 1 || cat "$WORK/report.log"

# --- schema versions ------------------------------------------------------------------------------------------------
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait "${PIDS[@]}" 2>/dev/null; PIDS=()
psqlc "DROP TABLE job; DROP TABLE audit; DROP FUNCTION audit_append_only(); DROP TABLE login_session, app_user, qc_result, qc_processed, result_document, result_approval, outbox; DELETE FROM scinti_schema WHERE version >= 2" >/dev/null
check "server on a version-1 database migrates it" start_serve A2 "$WA" "$DA"
check "… saying so" bash -c "grep -q 'schema migrated to version 2 (v2-job-queue)' '$WORK/A2.log' && grep -q 'schema migrated to version 3 (v3-audit)' '$WORK/A2.log' && grep -q 'schema migrated to version 4 (v4-records)' '$WORK/A2.log' && grep -q 'schema migrated to version 5 (v5-query-columns)' '$WORK/A2.log'"
check "… and the job and audit tables are back" test "$(psqlc 'SELECT COUNT(*) FROM job')" = 0
kill "$PID_A2"; wait "$PID_A2" 2>/dev/null; PIDS=()
psqlc "INSERT INTO scinti_schema (version, name) VALUES (99, 'future')" >/dev/null
"$BIN" worker --archive "$WORK/archive" --database "$DB" >"$WORK/newer.log" 2>&1
check "a newer schema is refused (exit 1)" test $? = 1
check "… with a clear error" grep -q "schema is version 99, newer than this scinti's 5" "$WORK/newer.log"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
