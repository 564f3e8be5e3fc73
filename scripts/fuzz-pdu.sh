#!/usr/bin/env bash
# Fuzz the DICOM upper-layer PDU decoder (and the DIMSE command decoder) with libFuzzer + AddressSanitizer.
# Usage: scripts/fuzz-pdu.sh [SECONDS]   (default 120). Fails on any crash, hang (timeout) or out-of-memory.
# Seeds: hand-built PDUs (PS3.8 layouts) written below. Without -DFUZZING the same target replays inputs
# (regression files, crash reproducers): swift build --product scinti-fuzz-pdu && .build/debug/scinti-fuzz-pdu DIR
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN="${1:-120}"
SCRATCH="${FUZZ_SCRATCH:-.build-fuzz}"
# Without the default traits: the decoder needs no TLS, and BoringSSL under AddressSanitizer was most of this
# build's time. FUZZ_SKIP_BUILD=1 uses the build that is there; SECONDS=0 builds only.
if [ "${FUZZ_SKIP_BUILD:-0}" != 1 ]; then
  swift build -c debug --product scinti-fuzz-pdu --scratch-path "$SCRATCH" --disable-default-traits \
    --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
fi
[ "$SECONDS_TO_RUN" = 0 ] && exit 0
WORK=$(mktemp -d)
mkdir -p "$WORK/corpus" fuzz-artifacts
python3 - "$WORK/corpus" <<'PY'
import struct, sys
d = sys.argv[1]
def item(t, v): return bytes([t, 0]) + struct.pack('>H', len(v)) + v
def ae(s): return s.encode().ljust(16, b' ')
def pdu(t, body): return bytes([t, 0]) + struct.pack('>I', len(body)) + body
fixed = b'\x00\x01\x00\x00' + ae('ANY-SCP') + ae('ECHOSCU') + b'\0' * 32 + item(0x10, b'1.2.840.10008.3.1.1.1')
rq = fixed + item(0x20, b'\x01\0\0\0' + item(0x30, b'1.2.840.10008.1.1') + item(0x40, b'1.2.840.10008.1.2'))
rq += item(0x50, item(0x51, struct.pack('>I', 16384)) + item(0x52, b'1.2.3.4') + item(0x53, b'\0\1\0\1')
           + item(0x54, struct.pack('>H', 25) + b'1.2.840.10008.5.1.4.1.1.2\0\1') + item(0x55, b'V1')
           + item(0x58, b'\x02\x01\0\x04user\0\x04pass'))
ac = fixed + item(0x21, b'\x01\0\0\0' + item(0x40, b'1.2.840.10008.1.2')) + item(0x50, item(0x51, struct.pack('>I', 0)) + item(0x52, b'1.2.3') + item(0x59, b'\0\2ok'))
el = lambda e, v: b'\0\0' + struct.pack('<H', e) + struct.pack('<I', len(v)) + v
cmd = el(0x0002, b'1.2.840.10008.1.1\0') + el(0x0100, b'\x30\0') + el(0x0110, b'\7\0') + el(0x0800, b'\x01\x01')
cmd = el(0x0000, struct.pack('<I', len(cmd))) + cmd
seeds = {'associate-rq': pdu(1, rq), 'associate-ac': pdu(2, ac), 'reject': pdu(3, b'\0\1\1\7'),
         'pdata-echo': pdu(4, struct.pack('>I', len(cmd) + 2) + b'\x01\x03' + cmd), 'release-rq': pdu(5, b'\0' * 4),
         'abort': pdu(7, b'\0\0\2\6'), 'command': cmd}
for name, b in seeds.items(): open(f'{d}/{name}.pdu', 'wb').write(b)
PY
echo "fuzzing the PDU decoder for ${SECONDS_TO_RUN}s with $(ls "$WORK/corpus" | wc -l) seeds"
"$SCRATCH/debug/scinti-fuzz-pdu" "$WORK/corpus" -max_total_time="$SECONDS_TO_RUN" -timeout=10 -rss_limit_mb=2048 \
  -malloc_limit_mb=2048 -max_len=65536 -artifact_prefix=fuzz-artifacts/pdu- -print_final_stats=1
echo "fuzz-pdu: no crash, hang or unbounded allocation in ${SECONDS_TO_RUN}s"
