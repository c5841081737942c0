"""Read page images with Tesseract's Vietnamese model, two pages at a time, cached by file fingerprint.

The `tesseract` binary (Debian: tesseract-ocr, tesseract-ocr-vie) is called as a
subprocess, so two pages are read in parallel by two threads without holding the
GIL; each process is limited to one OpenMP thread so two of them fill the two cores
instead of fighting over them. A file's OCR text is kept under the cache directory by
the sha256 of its bytes, so indexing the same scan again does not read it again.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

log = logging.getLogger("rag")

INSTALL_HINT = "apt-get install tesseract-ocr tesseract-ocr-vie"
LANG = "vie"
DPI = 300  # PDF pages are rendered at this resolution; Tesseract reads best at 300 dpi
WORKERS = 2
CACHE_VERSION = 1


class OcrUnavailableError(Exception):
    """Tesseract or its Vietnamese model is not installed; the message names the install command."""


@lru_cache(maxsize=1)
def engine() -> str:
    """The Tesseract version line, after checking the binary and the Vietnamese model exist."""
    binary = shutil.which("tesseract")
    if binary is None:
        raise OcrUnavailableError(f"scanned pages need Tesseract OCR: {INSTALL_HINT}")
    langs = subprocess.run([binary, "--list-langs"], capture_output=True, text=True, check=False)
    if LANG not in langs.stdout.split():
        raise OcrUnavailableError(f"Tesseract has no Vietnamese model: {INSTALL_HINT}")
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
    return (version.stdout or version.stderr).splitlines()[0].strip()


def check() -> None:
    """Raise OcrUnavailableError when OCR cannot run here."""
    engine()


def cache_dir() -> Path:
    """`$RAG_CACHE_DIR/ocr`, else ~/.cache/rag-vi/ocr (beside the built model)."""
    from rag.model.e5model import cache_root

    return cache_root() / "ocr"


def recognise(image: Path) -> str:
    """The text Tesseract reads in one image file (Vietnamese model, automatic page layout)."""
    engine()
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    done = subprocess.run(
        ["tesseract", str(image), "stdout", "-l", LANG, "--psm", "3"],
        capture_output=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise OSError(f"tesseract failed on {image.name}: {done.stderr.decode(errors='replace').strip()}")
    return clean(done.stdout.decode("utf-8", errors="replace"))


def clean(text: str) -> str:
    """Tesseract's output without the form feed and trailing spaces it ends pages and lines with.

    >>> clean("Dòng một  \\nDòng hai\\n\\n\\x0c")
    'Dòng một\\nDòng hai'
    """
    lines = [line.rstrip() for line in text.replace("\f", "\n").split("\n")]
    return "\n".join(lines).strip()


class _Cache:
    """OCR text of one file's pages, stored as JSON under its fingerprint and the reading settings."""

    def __init__(self, fingerprint: str):
        self.path = cache_dir() / f"{fingerprint}-{LANG}-{DPI}-v{CACHE_VERSION}.json"
        try:
            self.pages: dict[str, str] = json.loads(self.path.read_text(encoding="utf-8"))["pages"]
        except (OSError, ValueError, KeyError, TypeError):
            self.pages = {}

    def save(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"engine": engine(), "pages": self.pages}, ensure_ascii=False))
            os.replace(tmp, self.path)
        except OSError as exc:  # a read-only cache costs time next run, never the result
            log.warning("OCR cache not written (%s): %s", self.path, exc)


def read_pages(
    fingerprint: str,
    pages: Iterable[int],
    render: Callable[[int, Path], None],
    name: str = "",
) -> dict[int, str]:
    """OCR text of `pages` of one file, from the cache when it was read before.

    Args:
        fingerprint: sha256 of the file's bytes (the cache key).
        pages: 0-based page numbers to read.
        render: writes page i as an image to the given path (called in this thread:
            PDF renderers are not thread-safe); the OCR itself runs in WORKERS threads.
        name: the file's name, for the progress bar.
    Returns:
        {page: text} for every page asked.
    """
    from tqdm import tqdm

    cache = _Cache(fingerprint)
    todo = [i for i in pages if str(i) not in cache.pages]
    if todo:
        engine()  # fail before rendering anything
        with tempfile.TemporaryDirectory(prefix="rag-ocr-") as tmp, ThreadPoolExecutor(WORKERS) as pool:
            futures = {}
            for i in todo:
                image = Path(tmp) / f"page-{i}.png"
                render(i, image)
                futures[i] = pool.submit(recognise, image)
            bar = tqdm(total=len(todo), desc=f"OCR {name}".strip(), unit="page", disable=None, leave=False)
            for i, future in futures.items():
                cache.pages[str(i)] = future.result()
                bar.update(1)
            bar.close()
        cache.save()
    return {i: cache.pages[str(i)] for i in pages}
