# Sourced by the simulation oracles (check_simulated.sh, check_virtual_patients.sh).
#   check_dciodvfy FILE...   dciodvfy -new on each file: "ok" when it prints no "Error" line, else "FAIL" with the
#                            errors and status=1 (the caller's overall result).
check_dciodvfy() {
  local f errors
  for f in "$@"; do
    errors=$(dciodvfy -new "$f" 2>&1 | grep '^Error' || true)
    if [ -n "$errors" ]; then echo "FAIL dciodvfy $f"; echo "$errors"; status=1; else echo "ok   dciodvfy $f"; fi
  done
}
