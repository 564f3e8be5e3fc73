# Shared by the acceptance scripts of `scinti serve` (source it from the repository root).
#   setup_test NAME         sets ROOT, PY (the oracles' Python, after scripts/install-deps.sh --test), BIN (SCINTI_BIN
#                           or a fresh debug build), WORK (a temporary folder, removed at exit with the server
#                           SERVER_PID)
#   check NAME COMMAND...   runs COMMAND (output to $WORK/checks.log), prints PASS/FAIL and the log's tail on failure
PASS=0; FAIL=0
pass() { echo "PASS: $1"; PASS=$((PASS + 1)); }
failc() { echo "FAIL: $1"; FAIL=$((FAIL + 1)); }
check() { local name="$1"; shift; if "$@" >>"$WORK/checks.log" 2>&1; then pass "$name"; else failc "$name"; tail -n 5 "$WORK/checks.log"; fi; }
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
setup_test() {
  ROOT=$(pwd)
  PY=$(scripts/install-deps.sh --test | tail -n 1)
  if [ -z "${SCINTI_BIN:-}" ]; then
    swift build --product scinti >/dev/null || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
    SCINTI_BIN="$ROOT/.build/debug/scinti"
  fi
  BIN="$SCINTI_BIN"
  WORK=$(mktemp -d "/tmp/scinti-$1.XXXXXX")
  SERVER_PID=""
  trap cleanup EXIT
}
