"""Where an index lives, and the one view of it that retrieval and answering read.

A `Backend` is a place (a directory today, a database server too): it serialises writers
and commits each `Change` whole. `open()` gives a `SearchIndex`: one consistent, read-only
snapshot that everything above retrieval reads (the ranker, the reader, the UI's
inventory). A write returns the new snapshot; readers holding the old one keep it.

    backend = open_backend("index")                  # rag/search/files.py (the default)
    backend = open_backend("postgresql://host/db")   # rag/search/postgres.py

(`open_backend` is rag/search/location.py.)
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from rag.records import Document, Passage


class SearchIndex(Protocol):
    """One snapshot of an index, read-only: what the ranker and the reader need of it."""

    manifest: dict  # model_id, model_fingerprint, dim, chunking, sources (fingerprints)
    documents: Mapping[str, Document]  # by source name

    def __len__(self) -> int: ...  # passages

    def passage(self, row: int, score: float = 0.0) -> Passage: ...

    def dense_search(self, vectors: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
        """Top-k (row, inner product) per query vector, best first."""
        ...

    def dense_scores(self, rows: list[int], vector: np.ndarray) -> np.ndarray:
        """Inner product of `vector` with the given rows (the values dense_search ranks by)."""
        ...

    def lexical_search(self, query: str, k: int) -> list[tuple[int, float]]:
        """Top-k (row, BM25) for `query`, best first; rows matching no term left out."""
        ...

    def lexical_scores(self, query: str, rows: list[int]) -> np.ndarray:
        """BM25 of the given rows for `query` (0 where no term matches)."""
        ...

    def idf(self, term: str) -> float:
        """IDF of an index term (rag.language.normalize's forms, "~quan" for a folded one)."""
        ...

    def promote(self, question: str, ranked: list[Passage]) -> list[Passage]:
        """`ranked` with the article a question names ("Điều 107 …") first, when it is indexed."""
        ...

    def inventory(self) -> list[tuple[str, int, int]]:
        """(source, characters, passages) of every document, by source name."""
        ...


@dataclass
class Change:
    """One commit: documents added or replaced (with their new passages and vectors) and
    sources removed. `passages[i]` was embedded as `vectors[i]`; their ids are not set yet."""

    manifest: dict  # model and chunking of the index after the change
    documents: list[Document] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    vectors: np.ndarray | None = None
    removed: list[str] = field(default_factory=list)
    fresh: bool = False  # start from an empty index (a rebuild): nothing of the old one is kept


class Backend(Protocol):
    location: str  # shown in messages: a directory, or a database URL without its password

    def exists(self) -> bool: ...

    def write_lock(self) -> contextlib.AbstractContextManager[None]:
        """Held around read-modify-write: one writer at a time, across processes."""
        ...

    def open(self) -> SearchIndex:
        """The index as last committed (IndexDamagedError, IndexMissingError otherwise)."""
        ...

    def write(self, change: Change) -> SearchIndex:
        """Commit `change` whole, or nothing of it; the new snapshot."""
        ...

    def newer(self, index: SearchIndex) -> bool:
        """Whether a commit newer than `index` (a snapshot this backend opened) has been made since,
        by this process or another; cheap enough to ask before every question."""
        ...

    def rebuild_hint(self) -> str: ...
