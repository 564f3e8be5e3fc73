# Shared by the acceptance scripts (source it after setting WORK): one PASS/FAIL line per check, counted.
#   check NAME COMMAND...   runs COMMAND (output to $WORK/checks.log), prints PASS/FAIL and the log's tail on failure
PASS=0; FAIL=0
pass() { echo "PASS: $1"; PASS=$((PASS + 1)); }
failc() { echo "FAIL: $1"; FAIL=$((FAIL + 1)); }
check() { local name="$1"; shift; if "$@" >>"$WORK/checks.log" 2>&1; then pass "$name"; else failc "$name"; tail -n 5 "$WORK/checks.log"; fi; }
