#!/usr/bin/env bash
# Fuzz the DICOM parser with libFuzzer + AddressSanitizer, seeded with the shared corpus.
# Usage: scripts/fuzz.sh [SECONDS]   (default 120). Fails on any crash, hang (timeout) or out-of-memory.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN="${1:-120}"
CORPUS_SRC="${SCINTI_CORPUS:-../shared/corpus}"
# Without the default traits (TLS): the parser needs no BoringSSL, and both fuzz targets share .build-fuzz.
# FUZZ_SKIP_BUILD=1 uses the build that is there; SECONDS=0 builds only.
if [ "${FUZZ_SKIP_BUILD:-0}" != 1 ]; then
  swift build -c debug --product scinti-fuzz-dicom --scratch-path .build-fuzz --disable-default-traits \
    --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
fi
[ "$SECONDS_TO_RUN" = 0 ] && exit 0
WORK=$(mktemp -d)
mkdir -p "$WORK/corpus" fuzz-artifacts
# Seeds: every corpus file below 1 MiB (headers of the large ones are covered by truncated copies).
if [ -d "$CORPUS_SRC" ]; then
  find "$CORPUS_SRC" -type f \( -name '*.dcm' -o -name DICOMDIR \) -size -1M -exec cp {} "$WORK/corpus/" \; 2>/dev/null || true
  for big in $(find "$CORPUS_SRC" -type f -name '*.dcm' -size +1M); do head -c 65536 "$big" > "$WORK/corpus/head_$(basename "$big")"; done
fi
cp Tests/DICOMTests/Fixtures/*.dcm "$WORK/corpus/" 2>/dev/null || true
echo "fuzzing for ${SECONDS_TO_RUN}s with $(ls "$WORK/corpus" | wc -l) seeds"
.build-fuzz/debug/scinti-fuzz-dicom "$WORK/corpus" -max_total_time="$SECONDS_TO_RUN" -timeout=10 -rss_limit_mb=2048 \
  -malloc_limit_mb=2048 -max_len=262144 -artifact_prefix=fuzz-artifacts/ -print_final_stats=1
echo "fuzz: no crash, hang or unbounded allocation in ${SECONDS_TO_RUN}s"
