"""The file backend: an index directory of generation folders behind a CURRENT pointer
(rag/search/store.py), searched with our BM25 and FAISS."""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import threading
from pathlib import Path

import numpy as np

from rag.errors import IndexDamagedError, RagError
from rag.ingest.structure import ArticleIndex
from rag.records import Passage
from rag.search import store
from rag.search.backend import Change
from rag.search.dense import DenseIndex
from rag.search.lexical import LexicalIndex, hits
from rag.search.passages import PassageTable, digest

LEXICAL_DIR, DENSE_FILE = "lexical", "dense.faiss"  # in the generation folder


class FileIndex:
    """A snapshot read from an index directory, with its BM25 and FAISS indexes: opened
    memory-mapped from the generation folder when it holds them (`save_indexes`), built
    from the snapshot otherwise (a format 2 index; a snapshot not yet saved)."""

    def __init__(self, snap: store.Snapshot, saved: tuple[LexicalIndex, DenseIndex] | None = None):
        self.snap = snap
        self.manifest = snap.manifest
        self.documents = snap.documents
        if saved is not None:
            self.lexical, self.dense = saved
        else:
            self.lexical = LexicalIndex(snap.passages.texts())
            return_freed_memory()  # the lexical build's temporaries, before the dense build adds its own
            self.dense = DenseIndex(snap.vectors, release=lambda: store.release_pages(snap.vectors))
        self.articles = ArticleIndex(snap.documents, snap.passages)  # built on the first question naming one
        self._last = threading.local()  # the last query's BM25 scores, per thread
        return_freed_memory()

    def __len__(self) -> int:
        return len(self.snap.passages)

    def passage(self, row: int, score: float = 0.0) -> Passage:
        p = self.snap.passages[row]
        return Passage(p.source, p.text, p.start, p.end, score, row)

    def dense_search(self, vectors: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
        return self.dense.search_batch(vectors, k)

    def dense_scores(self, rows: list[int], vector: np.ndarray) -> np.ndarray:
        return self.dense.similarity(rows, vector)

    def lexical_search(self, query: str, k: int) -> list[tuple[int, float]]:
        return hits(self._scores(query), k)

    def lexical_scores(self, query: str, rows: list[int]) -> np.ndarray:
        return self._scores(query)[np.asarray(rows, dtype=np.int64)]

    def _scores(self, query: str) -> np.ndarray:
        """Every row's BM25; a search and the scores of its pool read one computation."""
        last = getattr(self._last, "query", None)
        if last != query:
            self._last.scores = self.lexical.scores(query)
            self._last.query = query
        return self._last.scores

    def idf(self, term: str) -> float:
        return self.lexical.idf(term)

    def promote(self, question: str, ranked: list[Passage]) -> list[Passage]:
        return self.articles.promote(question, ranked)

    def inventory(self) -> list[tuple[str, int, int]]:
        counts = self.snap.passages.counts()
        return [
            (name, len(self.documents[name].text), counts.get(name, 0)) for name in sorted(self.documents)
        ]

    def save_indexes(self, folder: Path) -> dict:
        """Write the BM25 and FAISS indexes into a generation folder (store.save calls this
        before the manifest); what the manifest records of them."""
        self.lexical.save(folder / LEXICAL_DIR)
        self.dense.save(folder / DENSE_FILE)
        return self.saved_as()

    def saved_as(self) -> dict:
        """The manifest's record of the saved indexes: where they are, the FAISS type."""
        return {"lexical": LEXICAL_DIR, "dense": DENSE_FILE, "dense_kind": self.dense.kind}


def open_saved(
    folder: Path | None, recorded: dict | None, rows: int, hint: str
) -> tuple[LexicalIndex, DenseIndex] | None:
    """The search indexes saved in a generation folder (`recorded`: what its manifest says
    of them), memory-mapped; None when it holds none (format 2). Their sizes were checked
    by store.load; a wrong header or shape is IndexDamagedError naming the file."""
    if not recorded or folder is None:
        return None
    try:
        lexical = LexicalIndex.open(folder / recorded["lexical"])
        dense = DenseIndex.open(folder / recorded["dense"], recorded["dense_kind"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexDamagedError(f"the search indexes in {folder} are damaged ({exc}); {hint}") from exc
    if lexical.size != rows or dense.size != rows:
        raise IndexDamagedError(
            f"the search indexes in {folder} hold {lexical.size} and {dense.size} rows for {rows} passages; {hint}"
        )
    return lexical, dense


class FileBackend:
    """An index directory (rag/search/store.py): generation folders behind a CURRENT pointer."""

    def __init__(self, index_dir: Path):
        self.index_dir = Path(index_dir)
        self.location = str(self.index_dir)

    def exists(self) -> bool:
        return (self.index_dir / "CURRENT").exists()

    def write_lock(self) -> contextlib.AbstractContextManager[None]:
        return store.write_lock(self.index_dir)

    def open(self) -> FileIndex:
        snap = store.load(self.index_dir)
        try:
            return self._opened(snap)
        except IndexDamagedError:
            if snap.folder is None or snap.folder.is_dir():
                raise
        # The generation was replaced by two saves while it was opened: read CURRENT again, once.
        return self._opened(store.load(self.index_dir))

    def _opened(self, snap: store.Snapshot) -> FileIndex:
        recorded = snap.manifest.get("indexes")
        return FileIndex(snap, open_saved(snap.folder, recorded, len(snap.passages), self.rebuild_hint()))

    def rebuild_hint(self) -> str:
        return store.rebuild_hint(self.index_dir)

    def newer(self, index: FileIndex) -> bool:
        """CURRENT names another generation than `index`'s (one small file read; an unreadable
        pointer is no news: the index held is kept)."""
        name = store.pointer_name(self.index_dir)
        return name is not None and index.snap.folder is not None and name != index.snap.folder.name

    def write(self, change: Change) -> FileIndex:
        base = None if change.fresh or not self.exists() else store.load(self.index_dir)
        built = FileIndex(merge(base, change))
        folder = store.save(self.index_dir, built.snap, built.save_indexes)
        # Served from the files just written, memory-mapped: the built copies (1.4 GB at a
        # million passages, the vectors 1.5 GB more) are let go first.
        vectors = np.load(folder / "vectors.npy", mmap_mode="r", allow_pickle=False)
        snap, recorded = dataclasses.replace(built.snap, vectors=vectors, folder=folder), built.saved_as()
        del built, base
        return FileIndex(snap, open_saved(folder, recorded, len(snap.passages), self.rebuild_hint()))


def merge(base: store.Snapshot | None, change: Change) -> store.Snapshot:
    """`base` with `change` applied: the vectors of every kept passage carried row for row."""
    dim = int(change.manifest["dim"])
    if base is None:
        base = store.Snapshot({}, {}, PassageTable.from_rows({}, []), np.zeros((0, dim), np.float32))
    documents = dict(base.documents)
    for source in change.removed:
        documents.pop(source, None)
    for doc in change.documents:
        documents[doc.source] = doc
    replaced = {d.source for d in change.documents} | set(change.removed)
    keep = np.flatnonzero(~base.passages.rows_of(replaced))
    vectors = change.vectors if change.vectors is not None else np.zeros((0, dim), np.float32)
    passages = base.passages.updated(documents, keep, change.passages)
    if len(keep):
        vectors = np.concatenate([base.vectors[keep], vectors])
    # What each source's vectors were made from, checked now and on every load.
    digests = {s: d for s, d in base.manifest.get("passage_digests", {}).items() if s not in replaced}
    embedded: dict[str, list[str]] = {}
    for p in change.passages:
        embedded.setdefault(p.source, []).append(p.text)
    fresh_digests = {source: digest(texts) for source, texts in embedded.items()}
    # Kept rows read unchanged documents and were checked when the index was loaded; the
    # new rows are checked here, before anything is written (a bug, not bad input).
    actual = passages.digests(fresh_digests)
    if actual != fresh_digests:
        wrong = sorted(s for s in fresh_digests if actual.get(s) != fresh_digests[s])
        raise RagError(f"passages of {wrong[:3]} do not match their vectors")
    digests.update(fresh_digests)
    manifest = dict(
        change.manifest,
        sources={s: d.fingerprint for s, d in documents.items()},
        passage_digests=digests,
    )
    return store.Snapshot(manifest, documents, passages, vectors)


def return_freed_memory() -> None:
    """Give the C heap's free pages back to the system after building the indexes.

    Building leaves many medium-sized blocks freed inside the heap, which glibc keeps
    (about 0.9 GB at a million passages, eval/bench.py); `malloc_trim` releases them.
    Elsewhere than glibc this does nothing.
    """
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
