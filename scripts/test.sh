#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs the Swift tests, the oracle comparisons against
# pydicom/DCMTK/GDCM/dciodvfy on ../shared/corpus, and fuzzes the parser (FUZZ_SECONDS, default 120).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=$(scripts/install-deps.sh --test | tail -n 1)
CORPUS="${SCINTI_CORPUS:-../shared/corpus}"

echo "== swift build"
swift build --build-tests
echo "== swift test"
# Serially: the network tests run servers on the cooperative thread pool, which CPU-heavy reconstruction tests
# would otherwise occupy on a 2-core machine.
swift test --skip-build --no-parallel 2>&1 | tee .build/swift-test.log
grep -q "Test run with .* passed" .build/swift-test.log

echo "== oracle: dictionary vs DCMTK's dicom.dic"
"$PY" Tests/oracle/compare_dictionary.py

if [ -d "$CORPUS" ]; then
  echo "== oracle: dump --json vs pydicom"
  "$PY" Tests/oracle/compare_json.py .build/debug/scinti "$CORPUS"
  echo "== oracle: pixels vs MANIFEST hashes and GDCM"
  "$PY" Tests/oracle/compare_pixels.py .build/debug/scinti "$CORPUS"
  echo "== oracle: convert read back by pydicom/dcmdump, checked by dciodvfy"
  "$PY" Tests/oracle/compare_convert.py .build/debug/scinti "$CORPUS"
fi
echo "== oracle: scinti pet suv vs pydicom (real PET slice, simulated BQML/Philips series, dciodvfy)"
"$PY" Tests/oracle/check_suv.py .build/debug/scinti "$CORPUS"

echo "== clinical analyses end to end (scinti simulate gated → scinti analyze lvef vs truth.json)"
scripts/check-analysis-a.sh .build/debug/scinti

echo "== oracle: scinti dose on a simulated Lu-177 study (TIA vs truth, pydicom RT Dose/SEG, dciodvfy)"
"$PY" Tests/oracle/check_dose.py .build/debug/scinti

echo "== simulated studies: dciodvfy, pydicom, independent numpy FBP"
PATH="$(dirname "$PY"):$PATH" bash Tests/oracle/check_simulated.sh .build/debug/scinti

if [ ! -d "$CORPUS" ]; then
  echo "== oracles skipped: $CORPUS not found (the shared corpus sits beside the repository)"
fi

echo "== PACS against real peers (DCMTK, Orthanc in a private network namespace) and faults"
SCINTI_BIN="$PWD/.build/debug/scinti" CORPUS="$CORPUS" bash scripts/test-pacs.sh

echo "== DICOMweb server and viewer (curl, dicomweb-client, headless Chromium)"
SCINTI_BIN="$PWD/.build/debug/scinti" CORPUS="$CORPUS" bash scripts/test-server.sh

echo "== virtual patients (ICRP-110): one study per tracer, dciodvfy, pydicom, truth.json, trial"
if [ -d ../shared/phantoms/icrp110 ] || [ -n "${SCINTI_ICRP110:-}" ]; then
  PATH="$(dirname "$PY"):$PATH" bash Tests/oracle/check_virtual_patients.sh .build/debug/scinti
else
  echo "== virtual patients skipped: ../shared/phantoms/icrp110 not found"
fi

echo "== fuzz: DICOM parser"
scripts/fuzz.sh "${FUZZ_SECONDS:-120}"
echo "== fuzz: PDU decoder"
scripts/fuzz-pdu.sh "${FUZZ_SECONDS:-120}"
echo "== all tests passed"
