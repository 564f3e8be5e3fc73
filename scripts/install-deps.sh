#!/usr/bin/env bash
# Installs what Scinti needs on Debian, only what is missing.
#   scripts/install-deps.sh          build dependencies (C libraries linked through system-library targets)
#   scripts/install-deps.sh --test   plus the test oracles: DCMTK, dicom3tools (dciodvfy), GDCM tools, pydicom, numpy,
#                                    dicomweb-client, Chromium (headless screenshots of the viewer), chromium-driver
#                                    and Selenium (the login page in a real browser), pylinac
#                                    (in .venv-pylinac: it needs pydicom < 3)
# Prints the Python interpreter to use for the oracle scripts on its last line (with --test).
set -euo pipefail
cd "$(dirname "$0")/.."
WANT_TEST=0
[ "${1:-}" = "--test" ] && WANT_TEST=1

if ! command -v swift >/dev/null 2>&1; then
  echo "install-deps: a Swift 6.1+ toolchain must be on PATH (Debian does not package Swift; see swift.org/install)" >&2
  exit 1
fi

PKGS=(pkg-config libc6-dev zlib1g-dev libjpeg62-turbo-dev libcharls-dev libopenjp2-7-dev libpng-dev libsqlite3-dev libfftw3-dev libssl-dev)
if [ "$WANT_TEST" = 1 ]; then
  PKGS+=(dcmtk dicom3tools libgdcm-tools python3 python3-venv openssl)
  PKGS+=(libjpeg-turbo-progs)  # cjpeg -rgb: the Adobe "no transform" colour JPEG of Tests/oracle/check_codec_classes.py
  PKGS+=(chromium curl)  # scripts/test-server.sh: viewer screenshots, DICOMweb with curl
  PKGS+=(chromium-driver)  # scripts/test-accounts.sh: the login page driven by Selenium
  PKGS+=(poppler-utils)  # scripts/test-reports.sh: pdftotext, pdftoppm
  PKGS+=(orthanc orthanc-dicomweb)  # scripts/test-reports.sh: Orthanc as the PACS (C-STORE, storage commitment, QIDO-RS)
  PKGS+=(postgresql)  # scripts/test-postgres.sh: a private PostgreSQL (initdb in a temporary folder)
fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "install-deps: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >&2
fi

if [ "$WANT_TEST" = 1 ]; then
  # pydicom 3 and numpy: the python3 on PATH if it has them, else a private virtual environment (.venv-oracle).
  # pylibjpeg + pylibjpeg-openjpeg: pydicom's HTJ2K decoder, the peer for HTJ2K (GDCM 3.0.21 cannot decode it).
  PY=python3
  if ! $PY -c 'import pydicom, numpy, dicomweb_client, openjpeg, sys; sys.exit(0 if pydicom.__version__.startswith("3.") else 1)' 2>/dev/null; then
    if ! $PY -m pip install -q "pydicom==3.0.2" numpy "dicomweb-client==0.61.2" pylibjpeg pylibjpeg-openjpeg >&2 2>/dev/null; then
      [ -x .venv-oracle/bin/python ] || python3 -m venv .venv-oracle >&2
      .venv-oracle/bin/python -m pip install -q "pydicom==3.0.2" numpy "dicomweb-client==0.61.2" pylibjpeg pylibjpeg-openjpeg >&2
      PY=$PWD/.venv-oracle/bin/python
    fi
  fi
  # cryptography: Tests/oracle/check_deid.py opens the encrypted pseudonym map (PBKDF2 + AES-256-GCM) independently.
  $PY -c 'import cryptography' 2>/dev/null || $PY -m pip install -q cryptography >&2
  # scipy for the numpy/scipy side of `scinti bench dose` (scripts/bench_dose_scipy.py) and the region/VOI oracles of
  # scripts/test-review.sh (scipy.ndimage.label), same interpreter.
  $PY -c 'import scipy' 2>/dev/null || $PY -m pip install -q scipy >&2 || echo "install-deps: scipy not installed (bench dose compares without it; test-review.sh needs it)" >&2
  $PY -c 'import highdicom' 2>/dev/null || $PY -m pip install -q highdicom >&2  # scripts/test-reports.sh: TID 1500 reader
  # Selenium drives Chromium through chromedriver for the login-page test (scripts/test-accounts.sh).
  $PY -c 'import selenium' 2>/dev/null || $PY -m pip install -q "selenium==4.51.0" >&2 || echo "install-deps: selenium not installed (the browser login test will fail)" >&2
  # pylinac (the IAEA NMQC reimplementation scripts/test.sh compares `scinti qc` with) pins pydicom < 3, so it lives
  # in its own virtual environment (.venv-pylinac), beside the system packages for numpy/scipy/matplotlib.
  if ! .venv-pylinac/bin/python -c 'import pylinac' 2>/dev/null; then
    [ -x .venv-pylinac/bin/python ] || python3 -m venv --system-site-packages .venv-pylinac >&2
    .venv-pylinac/bin/python -m pip install -q --ignore-installed "pydicom>=2.4,<3" >&2 \
      && .venv-pylinac/bin/python -m pip install -q "pylinac==3.49.0" >&2 \
      || echo "install-deps: pylinac not installed (scinti qc is then compared with synthetic truth only)" >&2
  fi
  echo "$PY"
fi
