"""Persist an index directory atomically, with a manifest that says what built it.

Layout: `index_dir/CURRENT` names a generation folder holding `manifest.json`,
`documents.jsonl`, `passages.jsonl`, `vectors.npy` and the search indexes built from
them (rag/search/files.py writes them: `lexical/`, BM25 as .npy arrays, and
`dense.faiss`). A save writes a whole new generation, then replaces CURRENT in one
`os.replace`; a crash at any point leaves the previous generation in place and usable.

Checksums. The manifest records every file's SHA-256 and size, computed at save. A load
hashes the two JSONL files (it parses them whole anyway) and checks every other file's
size; the arrays are memory-mapped, and their headers and shapes are checked as they are
opened (numpy, FAISS). Hashing those on every load would read them whole, 3 GB at a
million passages, about 2 s: most of what opening the saved indexes costs, and their
pages pulled through memory for nothing. `verify` hashes everything, on demand. So a
truncated, missing or replaced file is reported by name on load; a byte altered inside
an array without changing its size is found by `verify`.

Readers take no lock. A reader reads CURRENT once and then opens that generation; a
save keeps the generation it replaces (only older ones are deleted), so a reader that
read CURRENT just before a save still finds its folder. Only a reader slower than two
whole saves can lose its generation, and `load` then reads CURRENT again, once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import mmap
import os
import re
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.errors import IndexDamagedError, IndexMismatchError, IndexNotFoundError, IndexWriteError
from rag.records import Document
from rag.search.passages import PassageTable

FORMAT_VERSION = 3  # 3: the search indexes saved in the generation; file sizes recorded
# 2 (per-source digests of the passage texts that were embedded) still opens: its search
# indexes are built in memory on load, as before, and written by the next save.
READABLE_FORMATS = (2, 3)
FILES = ("documents.jsonl", "passages.jsonl", "vectors.npy")  # every generation has these
HASHED_ON_LOAD = ("documents.jsonl", "passages.jsonl")  # read whole on load anyway
GENERATION = re.compile(r"gen-[0-9a-f]+-[0-9]+")  # the only names CURRENT may hold


@dataclass(frozen=True)
class Snapshot:
    """Everything an index holds, as read from or written to disk."""

    manifest: dict
    documents: dict[str, Document]
    passages: PassageTable  # row i of `vectors` embeds passages[i]
    vectors: np.ndarray
    folder: Path | None = None  # the generation it was read from (its saved search indexes)


def rebuild_hint(index_dir: Path) -> str:
    return f"rebuild it with `rag index PATH… --index-dir {index_dir} --rebuild`"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_write(path: Path, data: bytes) -> None:
    with path.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _jsonl(records) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()


def write_generation(
    folder: Path, snap: Snapshot, write_indexes: Callable[[Path], dict] | None = None
) -> None:
    """Write the files of one generation and its manifest (with their checksums) last.

    `write_indexes(folder)`, when given, writes the search indexes into the folder and
    returns what the manifest records of them (under "indexes"); their files are
    fsynced and checksummed with the others.
    """
    folder.mkdir(parents=True)
    _fsync_write(
        folder / "documents.jsonl",
        _jsonl(
            {"source": d.source, "fingerprint": d.fingerprint, "spans": d.spans, "text": d.text}
            | ({"pages": d.pages} if d.pages else {})  # PDF page starts and OCR pages, when any
            | ({"ocr_pages": d.ocr_pages} if d.ocr_pages else {})
            for d in snap.documents.values()
        ),
    )
    _fsync_write(folder / "passages.jsonl", _jsonl(list(row) for row in snap.passages.rows()))
    with (folder / "vectors.npy").open("wb") as f:
        np.save(f, np.ascontiguousarray(snap.vectors, dtype=np.float32))
        f.flush()
        os.fsync(f.fileno())
    indexes = write_indexes(folder) if write_indexes is not None else {}
    names = _files(folder)
    for name in names:  # np.save and FAISS do not fsync
        _fsync(folder / name)
    for sub in {folder / name for name in names if "/" in name}:
        _fsync(sub.parent)
    manifest = {k: v for k, v in snap.manifest.items() if k not in ("indexes", "sizes")}
    manifest |= dict(
        format_version=FORMAT_VERSION,
        files={n: sha256(folder / n) for n in names},
        sizes={n: (folder / n).stat().st_size for n in names},
    ) | ({"indexes": indexes} if indexes else {})
    _fsync_write(folder / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False).encode())


def _files(folder: Path) -> list[str]:
    """Every file of a generation but its manifest, as paths relative to the folder."""
    found = (p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    return sorted(n for n in found if n != "manifest.json")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save(index_dir: Path, snap: Snapshot, write_indexes: Callable[[Path], dict] | None = None) -> Path:
    """Write `snap` (and the search indexes `write_indexes` writes, see `write_generation`)
    as the new current generation of `index_dir`, atomically; the generation folder."""
    name = f"gen-{time.time_ns():x}-{os.getpid()}"
    previous = pointer_name(index_dir)
    pointer = index_dir / f".CURRENT.{os.getpid()}.tmp"
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        write_generation(index_dir / name, snap, write_indexes)
        _fsync_write(pointer, name.encode())
        os.replace(pointer, index_dir / "CURRENT")
    except OSError as exc:
        shutil.rmtree(index_dir / name, ignore_errors=True)
        raise _unwritable(index_dir, exc) from exc
    dir_fd = os.open(index_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    # Older generations and leftovers of crashed writes go; the one just replaced stays,
    # since a reader may have read CURRENT a moment ago and be opening it now.
    for old in index_dir.glob("gen-*"):
        if old.name not in (name, previous):
            shutil.rmtree(old, ignore_errors=True)
    return index_dir / name


def pointer_name(index_dir: Path) -> str | None:
    """The generation CURRENT names, or None when there is no (readable) pointer."""
    try:
        return (index_dir / "CURRENT").read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None


def current_folder(index_dir: Path) -> Path:
    """The generation folder CURRENT names (read once), checked to be one of ours."""
    pointer = index_dir / "CURRENT"
    name = pointer_name(index_dir)
    if name is None:
        if pointer.exists():
            raise IndexDamagedError(f"{pointer} is unreadable; {rebuild_hint(index_dir)}")
        raise IndexNotFoundError(
            f"no index in {index_dir}: build one with `rag index seeds --index-dir {index_dir}`"
        )
    if not GENERATION.fullmatch(name):  # never a path: "../../etc" must not be followed
        raise IndexDamagedError(
            f"{pointer} holds {name[:60]!r}, not a generation name; {rebuild_hint(index_dir)}"
        )
    folder = index_dir / name
    if not folder.is_dir():
        raise _Vanished(f"{pointer} names a missing folder {name}; {rebuild_hint(index_dir)}")
    return folder


class _Vanished(IndexDamagedError):
    """The generation CURRENT named is gone: a writer may have replaced it meanwhile."""


def _read_manifest(folder: Path, index_dir: Path) -> dict:
    path = folder / "manifest.json"
    try:
        manifest = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        if isinstance(exc, FileNotFoundError) and not folder.is_dir():
            raise _Vanished(f"{folder} vanished while it was read") from exc
        raise IndexDamagedError(f"{path} is unreadable ({exc}); {rebuild_hint(index_dir)}") from exc
    if manifest.get("format_version") not in READABLE_FORMATS:
        raise IndexMismatchError(
            f"{index_dir} has index format {manifest.get('format_version')}, this version reads "
            f"formats {', '.join(map(str, READABLE_FORMATS))}; {rebuild_hint(index_dir)}"
        )
    return manifest


def load(index_dir: Path) -> Snapshot:
    """Read and verify the current generation.

    A generation that vanishes while it is read was replaced by two saves meanwhile;
    CURRENT is read again, once, before the index is called damaged.
    """
    try:
        return _load(current_folder(index_dir), index_dir)
    except _Vanished:
        return _load(current_folder(index_dir), index_dir)


def _load(folder: Path, index_dir: Path) -> Snapshot:
    if not folder.is_dir():
        raise _Vanished(f"{folder} vanished while it was read")
    manifest = _read_manifest(folder, index_dir)
    _check_files(folder, index_dir, manifest, full=False)
    try:
        documents = {}
        for line in (folder / "documents.jsonl").read_text().splitlines():
            r = json.loads(line)
            spans = tuple(tuple(s) for s in r["spans"])
            documents[r["source"]] = Document(
                r["source"], r["text"], spans, r["fingerprint"],
                pages=tuple(r.get("pages", ())), ocr_pages=tuple(r.get("ocr_pages", ())),
            )  # fmt: skip
        passages = PassageTable.from_rows(
            documents, (json.loads(line) for line in (folder / "passages.jsonl").read_text().splitlines())
        )
        # Memory-mapped: a large index keeps its float32 rows on disk; FAISS holds its own
        # (possibly compressed) copy, and fusion reads only the few rows it scores.
        vectors = np.load(folder / "vectors.npy", mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        if isinstance(exc, FileNotFoundError) and not folder.is_dir():
            raise _Vanished(f"{folder} vanished while it was read") from exc
        raise IndexDamagedError(
            f"index in {folder} is inconsistent ({exc}); {rebuild_hint(index_dir)}"
        ) from exc
    if vectors.shape[0] != len(passages):
        raise IndexDamagedError(
            f"{folder} holds {vectors.shape[0]} vectors for {len(passages)} passages; {rebuild_hint(index_dir)}"
        )
    disagree = passages.disagreeing(manifest.get("passage_digests", {}))
    if disagree:
        raise IndexDamagedError(
            f"{folder}: the passages of {', '.join(disagree[:3])} are not the text their vectors "
            f"were made from; {rebuild_hint(index_dir)}"
        )
    return Snapshot(manifest, documents, passages, vectors, folder)


def _check_files(folder: Path, index_dir: Path, manifest: dict, full: bool) -> None:
    """Every file the manifest lists is there, at its recorded size; the JSONL files (or,
    when `full`, all of them) hash to their recorded SHA-256. A format 2 index recorded
    no sizes: its files are hashed, as that format always was."""
    hashes, sizes = manifest.get("files", {}), manifest.get("sizes")
    for name in sorted(set(FILES) | set(hashes)):
        path = folder / name
        try:
            ok = name in hashes and (sizes is None or path.stat().st_size == sizes.get(name))
            if ok and (full or sizes is None or name in HASHED_ON_LOAD):
                ok = sha256(path) == hashes[name]
        except FileNotFoundError:
            if not folder.is_dir():
                raise _Vanished(f"{folder} vanished while it was read") from None
            ok = False
        if not ok:
            raise IndexDamagedError(
                f"index file {path} is missing or damaged (size or checksum mismatch); {rebuild_hint(index_dir)}"
            )


def verify(index_dir: Path) -> None:
    """Hash every file of the current generation against the manifest (reads them whole:
    seconds at a million passages); IndexDamagedError names the first that differs."""
    folder = current_folder(index_dir)
    _check_files(folder, index_dir, _read_manifest(folder, index_dir), full=True)


def release_pages(vectors: np.ndarray) -> None:
    """Let the kernel drop the pages of a memory-mapped vectors file from this process.

    Building FAISS reads every row once; afterwards only the few rows fusion scores are
    read again, so keeping the whole file resident (1.5 GB at a million passages) would
    be memory for nothing. The pages stay in the page cache, so a later read is cheap.
    """
    handle = getattr(vectors, "_mmap", None)  # set on the array np.load(mmap_mode=...) returns
    if handle is not None and hasattr(mmap, "MADV_DONTNEED"):
        handle.madvise(mmap.MADV_DONTNEED)


_thread_locks: dict[str, threading.Lock] = {}


def _unwritable(index_dir: Path, exc: OSError) -> IndexWriteError:
    return IndexWriteError(
        f"cannot write the index in {index_dir} ({exc.strerror or exc}): give this user write access "
        "to it (or free some disk space), or pass another --index-dir; the index is as it was"
    )


@contextlib.contextmanager
def write_lock(index_dir: Path):
    """Serialise writers: across threads (a lock) and processes (flock on index_dir/.lock).

    Everything a writer reads to decide what to write must be read inside this block.
    """
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        handle = (index_dir / ".lock").open("a")
    except OSError as exc:
        raise _unwritable(index_dir, exc) from exc
    key = str(index_dir.resolve())
    lock = _thread_locks.setdefault(key, threading.Lock())
    with lock, handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
