#!/usr/bin/env bash
# The demo: installs what is missing, builds a release binary and runs `scinti demo` on its embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product scinti
.build/release/scinti demo "$@"
