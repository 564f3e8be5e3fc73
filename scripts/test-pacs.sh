#!/usr/bin/env bash
# Acceptance tests of `scinti pacs` against real peers: DCMTK (echoscu, dcmsend/storescu, findscu, movescu, getscu,
# storescp) and Orthanc, plus fault injection on Scinti's SCP. Everything runs inside a private network namespace
# (`unshare --net`, loopback only) so Orthanc — which has no bind-address setting — is unreachable from outside.
#
# Usage: scripts/test-pacs.sh            (SCINTI_BIN=path to use an existing binary; CORPUS=dir, default ../shared/corpus)
# Prints one line per check and a closing line "N passed, N failed"; exits non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

# --- dependencies (Debian packages), installed only when missing -------------------------------------------------
need=()
command -v echoscu >/dev/null || need+=(dcmtk)
command -v Orthanc >/dev/null || need+=(orthanc)
command -v ip >/dev/null || need+=(iproute2)
if [ ${#need[@]} -gt 0 ] && [ -z "${IN_NETNS:-}" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  echo "installing ${need[*]}"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # Debian starts an Orthanc service on install; this test runs its own.
  $SUDO systemctl stop orthanc 2>/dev/null || $SUDO service orthanc stop 2>/dev/null || true
fi

# --- build (outside the namespace), then re-enter inside a private network namespace ------------------------------
if [ -z "${IN_NETNS:-}" ]; then
  if [ -z "${SCINTI_BIN:-}" ]; then
    swift build -c release --product scinti >/dev/null || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
    export SCINTI_BIN="$ROOT/.build/release/scinti"
  fi
  if unshare --net true 2>/dev/null; then
    exec unshare --net env IN_NETNS=1 SCINTI_BIN="$SCINTI_BIN" PIXELS_BIN="${PIXELS_BIN:-}" bash "$0" "$@"
  fi
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  if $SUDO unshare --net true 2>/dev/null; then
    exec $SUDO unshare --net env IN_NETNS=1 SCINTI_BIN="$SCINTI_BIN" PATH="$PATH" bash "$0" "$@"
  fi
  echo "warning: cannot create a network namespace; running on the host loopback (Orthanc's configuration is locked down anyway)"
  export IN_NETNS=host
fi
[ "${IN_NETNS}" = 1 ] && ip link set lo up

BIN="$SCINTI_BIN"
PIXELS_BIN="${PIXELS_BIN:-$BIN}"   # any scinti binary with `dicom pixels`
CORPUS="${CORPUS:-$ROOT/../shared/corpus}"
WORK=$(mktemp -d /tmp/scinti-test-pacs.XXXXXX)
PASS=0; FAIL=0; PIDS=()
pass() { echo "PASS: $1"; PASS=$((PASS + 1)); }
failc() { echo "FAIL: $1"; FAIL=$((FAIL + 1)); }
check() { local name="$1"; shift; if "$@" >>"$WORK/checks.log" 2>&1; then pass "$name"; else failc "$name"; fi; }
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; sleep 0.5; for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT
wait_port() { for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

SCP_PORT=11112; STORESCP_PORT=11113; ORTHANC_PORT=4242
cat >"$WORK/scinti.json" <<EOF
{ "aeTitle": "SCINTI", "port": $SCP_PORT, "storage": "$WORK/archive", "idleTimeoutSeconds": 3, "artimTimeoutSeconds": 5,
  "allowedPeers": [ {"aet": "DCM", "host": "127.0.0.1"}, {"aet": "ORTHANC", "host": "127.0.0.1"}, {"aet": "SCU1", "host": "127.0.0.1"},
                    {"aet": "SCU2", "host": "127.0.0.1"}, {"aet": "SCU3", "host": "127.0.0.1"}, {"aet": "SCU4", "host": "127.0.0.1"} ],
  "moveDestinations": [ {"aet": "STORESCP", "host": "127.0.0.1", "port": $STORESCP_PORT},
                        {"aet": "ORTHANC", "host": "127.0.0.1", "port": $ORTHANC_PORT} ] }
EOF
start_scp() {
  "$BIN" pacs listen --config "$WORK/scinti.json" >>"$WORK/scp.log" 2>&1 &
  SCP_PID=$!; PIDS+=("$SCP_PID")
  wait_port $SCP_PORT
}
start_scp || failc "Scinti SCP starts"
DC="-aet DCM -aec SCINTI"

# --- DCMTK SCU → Scinti SCP ---------------------------------------------------------------------------------------
check "echoscu → scinti" echoscu $DC 127.0.0.1 $SCP_PORT
# The corpus, each file in its own transfer syntax (compressed ones included); non-DICOM files are skipped.
dcmsend $DC --scan-directories --recurse --decompress-never --no-halt 127.0.0.1 $SCP_PORT "$CORPUS" >"$WORK/dcmsend.log" 2>&1
SENT=$(grep -c "Received Store Response.*Success\|status: Success" "$WORK/dcmsend.log" || true)
STORED=$("$BIN" pacs find --port $SCP_PORT --aet DCM --called-aet SCINTI --level IMAGE -k SOPInstanceUID= 2>/dev/null | grep -c '^SOPInstanceUID=' || true)
echo "dcmsend: $STORED instances in the archive"
check "dcmsend corpus → scinti (>= 200 instances archived)" test "$STORED" -ge 200
for level in STUDY SERIES IMAGE; do
  check "findscu $level level" bash -c "findscu -S $DC -k QueryRetrieveLevel=$level -k StudyInstanceUID -k 'PatientName=*' 127.0.0.1 $SCP_PORT 2>&1 | grep -q 'StudyInstanceUID'"
done
check "findscu PATIENT level (patient root)" bash -c "findscu -P $DC -k QueryRetrieveLevel=PATIENT -k PatientID -k PatientName 127.0.0.1 $SCP_PORT 2>&1 | grep -q PatientID"
check "findscu date range" bash -c "findscu -S $DC -k QueryRetrieveLevel=STUDY -k StudyDate=19000101-20991231 -k StudyInstanceUID 127.0.0.1 $SCP_PORT 2>&1 | grep -q StudyInstanceUID"
NM="$CORPUS/nm/GE_D670_Lu177_TOMO_bed2_projections.dcm"
NM_STUDY=$(dcmdump +P StudyInstanceUID -s "$NM" | sed 's/.*\[\(.*\)\].*/\1/')
mkdir -p "$WORK/storescp" "$WORK/getscu"
storescp -aet STORESCP -od "$WORK/storescp" $STORESCP_PORT >/dev/null 2>&1 & PIDS+=($!)
wait_port $STORESCP_PORT
check "movescu → scinti → storescp (NM study)" movescu -S $DC -aem STORESCP -k QueryRetrieveLevel=STUDY -k StudyInstanceUID="$NM_STUDY" 127.0.0.1 $SCP_PORT
check "getscu ← scinti (NM study)" getscu -S $DC -od "$WORK/getscu" -k QueryRetrieveLevel=STUDY -k StudyInstanceUID="$NM_STUDY" 127.0.0.1 $SCP_PORT
pixels_equal() { "$PIXELS_BIN" dicom pixels "$1" --out "$WORK/a.npy" && "$PIXELS_BIN" dicom pixels "$2" --out "$WORK/b.npy" && cmp -s "$WORK/a.npy" "$WORK/b.npy"; }
NM_UID=$(dcmdump +P SOPInstanceUID -s "$NM" | sed 's/.*\[\(.*\)\].*/\1/')
check "C-GET result: NM pixel data identical" pixels_equal "$NM" "$(grep -l "$NM_UID" "$WORK"/getscu/* 2>/dev/null | head -1)"
check "C-MOVE result: NM pixel data identical" pixels_equal "$NM" "$(grep -l "$NM_UID" "$WORK"/storescp/* 2>/dev/null | head -1)"

# --- Orthanc (locked down: checked called AE, registered callers only, no HTTP) -----------------------------------
mkdir -p "$WORK/orthanc-db"
cat >"$WORK/orthanc.json" <<EOF
{ "Name": "scinti-test", "StorageDirectory": "$WORK/orthanc-db", "IndexDirectory": "$WORK/orthanc-db",
  "HttpServerEnabled": false, "RemoteAccessAllowed": false, "Plugins": [],
  "DicomServerEnabled": true, "DicomAet": "ORTHANC", "DicomPort": $ORTHANC_PORT,
  "DicomCheckCalledAet": true, "DicomCheckModalityHost": true,
  "DicomAlwaysAllowEcho": false, "DicomAlwaysAllowStore": false, "DicomAlwaysAllowFind": false,
  "DicomAlwaysAllowMove": false, "DicomAlwaysAllowGet": false, "UnknownSopClassAccepted": true,
  "DicomModalities": {
    "scinti": { "AET": "SCINTI", "Host": "127.0.0.1", "Port": $SCP_PORT,
                "AllowEcho": true, "AllowStore": true, "AllowFind": true, "AllowMove": true, "AllowGet": true }
  } }
EOF
Orthanc "$WORK/orthanc.json" >"$WORK/orthanc.log" 2>&1 & ORTHANC_PID=$!; PIDS+=($ORTHANC_PID)
if wait_port $ORTHANC_PORT; then
  SO="--port $ORTHANC_PORT --aet SCINTI --called-aet ORTHANC"
  check "scinti echo → orthanc" "$BIN" pacs echo $SO
  check "orthanc rejects an unregistered caller" bash -c "! '$BIN' pacs echo --port $ORTHANC_PORT --aet STRANGER --called-aet ORTHANC"
  check "orthanc rejects a wrong called AE" bash -c "! '$BIN' pacs echo --port $ORTHANC_PORT --aet SCINTI --called-aet NOTORTHANC"
  "$BIN" pacs send $SO "$CORPUS" >"$WORK/send-orthanc.log" 2>&1
  # Orthanc refuses a few edge-case objects (missing Patient ID/Study/Series UIDs, HTJ2K, DICOMDIR) with a failure
  # status: they must not break the association, and every other object must be stored.
  SENT_O=$(sed -n 's/^sent \([0-9]*\) of.*/\1/p' "$WORK/send-orthanc.log")
  check "scinti send corpus → orthanc (association intact, ${SENT_O:-0} stored)" bash -c "! grep -q 'scinti: error' '$WORK/send-orthanc.log' && [ '${SENT_O:-0}' -ge 200 ]"
  check "scinti find PATIENT → orthanc" bash -c "'$BIN' pacs find $SO --model patient --level PATIENT -k PatientID= | grep -q '^PatientID='"
  for level in STUDY SERIES IMAGE; do
    check "scinti find $level → orthanc" bash -c "'$BIN' pacs find $SO --level $level -k StudyInstanceUID=$NM_STUDY -k SeriesInstanceUID= -k SOPInstanceUID= | grep -q '^StudyInstanceUID='"
  done
  check "scinti find --json → orthanc" bash -c "'$BIN' pacs find $SO --json --level STUDY -k StudyInstanceUID= | python3 -m json.tool >/dev/null"
  check "scinti get ← orthanc (NM study)" "$BIN" pacs get $SO --level STUDY -k StudyInstanceUID="$NM_STUDY" --out "$WORK/get-orthanc"
  check "orthanc C-GET: NM pixel data identical" pixels_equal "$NM" "$WORK/get-orthanc/$NM_UID.dcm"
  # C-MOVE from Orthanc to Scinti: Orthanc opens an association to our SCP (SCINTI is registered there).
  rm -rf "$WORK/archive2"
  check "scinti move ← orthanc → scinti SCP" "$BIN" pacs move $SO --level STUDY -k StudyInstanceUID="$NM_STUDY" --destination SCINTI
  # Scinti SCP C-MOVE to Orthanc (DCMTK movescu drives it).
  CT_STUDY=$(dcmdump +P StudyInstanceUID -s "$CORPUS/ct/CT_small.dcm" | sed 's/.*\[\(.*\)\].*/\1/')
  check "movescu → scinti → orthanc (C-MOVE to Orthanc)" movescu -S $DC -aem ORTHANC -k QueryRetrieveLevel=STUDY -k StudyInstanceUID="$CT_STUDY" 127.0.0.1 $SCP_PORT
else
  failc "Orthanc starts (see $WORK/orthanc.log)"
fi

# --- DICOM over TLS (PS3.15 B.1), DCMTK's TLS-enabled tools as peers, mutual authentication -----------------------
if command -v openssl >/dev/null && "$BIN" pacs listen --help 2>&1 | grep -q -- --tls-cert; then
  PKI="$WORK/pki"; mkdir -p "$PKI"
  ( cd "$PKI"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=ScintiTestCA
    for n in server client; do
      openssl req -newkey rsa:2048 -nodes -keyout $n.key -out $n.csr -subj /CN=$n
      printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > $n.ext
      openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out $n.pem -days 2 -extfile $n.ext
    done ) >"$WORK/pki.log" 2>&1
  TLS_PORT=11114; TLS_STORESCP_PORT=11115
  "$BIN" pacs listen --port $TLS_PORT --aet SCINTI --storage "$WORK/archive-tls" \
      --tls-cert "$PKI/server.pem" --tls-key "$PKI/server.key" --tls-ca "$PKI/ca.pem" >>"$WORK/scp-tls.log" 2>&1 &
  PIDS+=($!)
  wait_port $TLS_PORT
  DTLS="+tls $PKI/client.key $PKI/client.pem +cf $PKI/ca.pem"
  check "TLS: echoscu +tls → scinti (mutual authentication)" echoscu $DC $DTLS 127.0.0.1 $TLS_PORT
  check "TLS: storescu +tls → scinti (CT and the 11.8 MB NM)" storescu $DC $DTLS 127.0.0.1 $TLS_PORT "$CORPUS/ct/CT_small.dcm" "$NM"
  STLS="--tls-ca $PKI/ca.pem --tls-cert $PKI/client.pem --tls-key $PKI/client.key"
  check "TLS: scinti get --tls ← scinti (NM study)" "$BIN" pacs get --port $TLS_PORT --aet DCM --called-aet SCINTI $STLS --level STUDY -k StudyInstanceUID="$NM_STUDY" --out "$WORK/get-tls"
  check "TLS: NM pixel data identical after store and get" pixels_equal "$NM" "$WORK/get-tls/$NM_UID.dcm"
  check "TLS: plain echoscu to the TLS port fails" bash -c "! echoscu $DC -to 5 -ta 5 127.0.0.1 $TLS_PORT"
  check "TLS: echoscu +tls without a client certificate refused" bash -c "! echoscu $DC +tla +cf '$PKI/ca.pem' -ic 127.0.0.1 $TLS_PORT"
  mkdir -p "$WORK/storescp-tls"
  storescp -aet STORESCP -od "$WORK/storescp-tls" +tls "$PKI/server.key" "$PKI/server.pem" +cf "$PKI/ca.pem" $TLS_STORESCP_PORT >"$WORK/storescp-tls.log" 2>&1 & PIDS+=($!)
  wait_port $TLS_STORESCP_PORT
  check "TLS: scinti send → storescp +tls (client certificate, server verified)" "$BIN" pacs send --port $TLS_STORESCP_PORT --called-aet STORESCP \
      $STLS "$CORPUS/ct/CT_small.dcm"
  check "TLS: scinti refuses a server its CA did not sign" bash -c "! '$BIN' pacs echo --port $TLS_STORESCP_PORT --called-aet STORESCP --tls-ca '$PKI/client.pem'"
else
  failc "TLS: openssl and a TLS-enabled scinti are needed"
fi

# --- Faults on Scinti's SCP ---------------------------------------------------------------------------------------
# 4 concurrent associations, 500 images in total (CT_small with new SOP Instance UIDs).
mkdir -p "$WORK/many"
for i in $(seq 1 500); do d="$WORK/many/$((i % 4 + 1))"; mkdir -p "$d"; cp "$CORPUS/ct/CT_small.dcm" "$d/$i.dcm"; done
dcmodify -q -nb -gin "$WORK"/many/*/*.dcm >/dev/null 2>&1
dcmodify -q -nb -i "(0020,000D)=1.2.826.0.1.3680043.2.1125.77.500" "$WORK"/many/*/*.dcm >/dev/null 2>&1
for k in 1 2 3 4; do "$BIN" pacs send --port $SCP_PORT --aet SCU$k --called-aet SCINTI "$WORK/many/$k" >"$WORK/conc$k.log" 2>&1 & CPIDS[$k]=$!; done
CONC_OK=1; for k in 1 2 3 4; do wait ${CPIDS[$k]} || CONC_OK=0; done
check "4 concurrent associations: all sends succeed" test $CONC_OK = 1
N500=$("$BIN" pacs find --port $SCP_PORT --aet DCM --called-aet SCINTI --level IMAGE -k StudyInstanceUID=1.2.826.0.1.3680043.2.1125.77.500 -k SOPInstanceUID= | grep -c '^SOPInstanceUID=' || true)
check "4 concurrent associations: 500 instances indexed ($N500)" test "$N500" = 500

check "wrong called AE rejected" bash -c "! echoscu -aet DCM -aec WRONG 127.0.0.1 $SCP_PORT"
check "unknown caller rejected" bash -c "! echoscu -aet STRANGER -aec SCINTI 127.0.0.1 $SCP_PORT"
check "rejections logged with reasons" bash -c "grep -q 'called AE title not recognized' '$WORK/scp.log' && grep -q 'calling AE title not recognized' '$WORK/scp.log'"
raw() { # send bytes (printf format), print the answer in hex
  exec 3<>/dev/tcp/127.0.0.1/$SCP_PORT; printf "$1" >&3; timeout "${2:-5}" cat <&3 | od -An -tx1 | tr -d ' \n'; exec 3<&-
}
check "garbage bytes → A-ABORT (unrecognized PDU)" test "$(raw 'GET / HTTP/1.0\r\n\r\n')" = "07000000000400000201"
check "oversized PDU → A-ABORT (invalid parameter)" test "$(raw '\x04\x00\x10\x00\x00\x00\x00\x00')" = "07000000000400000206"
START=$(date +%s)
exec 4<>/dev/tcp/127.0.0.1/$SCP_PORT; printf '\x01\x00\x00' >&4
check "server keeps serving while a peer stalls mid-PDU" echoscu $DC 127.0.0.1 $SCP_PORT
timeout 15 cat <&4 >/dev/null; exec 4<&-
check "stalled peer disconnected by the idle timeout (<15 s)" test $(( $(date +%s) - START )) -lt 15

# SIGKILL mid-transfer, restart, integrity: every acknowledged image present and intact, no partial files.
mkdir -p "$WORK/kill"
for i in $(seq 1 300); do cp "$CORPUS/ct/CT_small.dcm" "$WORK/kill/$i.dcm"; done
dcmodify -q -nb -gin "$WORK"/kill/*.dcm >/dev/null 2>&1
cp "$NM" "$WORK/kill/999.dcm"
storescu -v $DC 127.0.0.1 $SCP_PORT "$WORK/kill/999.dcm" "$WORK"/kill/*.dcm >"$WORK/kill.log" 2>&1 &
SCU_PID=$!
sleep 1.5
kill -9 "$SCP_PID"; wait "$SCU_PID" 2>/dev/null
ACKED=$(awk '/Sending file:/{f=$NF} /Received Store Response \(Success\)/{print f}' "$WORK/kill.log" | sort -u)
echo "SIGKILL after $(echo "$ACKED" | grep -c . ) acknowledged images"
check "archive consistent after SIGKILL (recovery + integrity check)" "$BIN" pacs listen --config "$WORK/scinti.json" --verify-only
start_scp || failc "Scinti SCP restarts"
"$BIN" pacs find --port $SCP_PORT --aet DCM --called-aet SCINTI --level IMAGE -k SOPInstanceUID= | sed -n 's/^SOPInstanceUID=//p' | sort -u >"$WORK/have.txt"
MISSING=0
for f in $ACKED; do
  u=$(dcmdump +P SOPInstanceUID -s "$f" | sed 's/.*\[\(.*\)\].*/\1/')
  grep -qx "$u" "$WORK/have.txt" || { MISSING=$((MISSING + 1)); echo "acknowledged but missing: $f $u" >>"$WORK/checks.log"; }
done
check "every acknowledged image present after SIGKILL ($MISSING missing)" test $MISSING = 0
check "no partial files in the archive" bash -c "[ -z \"\$(ls -A '$WORK/archive/incoming')\" ]"
check "server serves after restart" echoscu $DC 127.0.0.1 $SCP_PORT

# Graceful shutdown on SIGTERM.
kill -TERM "$SCP_PID"
check "SIGTERM: SCP exits" timeout 20 bash -c "while kill -0 $SCP_PID 2>/dev/null; do sleep 0.2; done"

echo "details: $WORK (checks.log, scp.log, orthanc.log)"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
