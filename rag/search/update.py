"""What an indexing run changes: which documents are new, changed, unchanged or removed,
their passages chunked and embedded, as one `Change` for a backend to commit."""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from rag.errors import DuplicateSourceError, IndexMismatchError
from rag.ingest.chunking import ChunkSettings, chunk_document, embedding_text
from rag.model.embedding import Embedder
from rag.records import Document
from rag.search.backend import Change, SearchIndex

log = logging.getLogger("rag")


@dataclass
class UpdateReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    removed_documents: list[Document] = field(default_factory=list)  # to undo a removal
    skipped: list[tuple[str, str]] = field(default_factory=list)
    embedded_passages: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def manifest_for(embedder: Embedder, chunking: ChunkSettings) -> dict:
    """The model and chunking an index records, checked whenever it is opened or extended."""
    return {
        "model_id": embedder.model_id,
        "model_fingerprint": embedder.fingerprint,
        "dim": embedder.dim,
        "chunking": chunking.as_dict(),
    }


def check_compatible(manifest: dict, embedder: Embedder, chunking: ChunkSettings, location: str) -> None:
    if manifest["model_fingerprint"] != embedder.fingerprint:
        raise IndexMismatchError(
            f"{location} was built by model {manifest['model_id']}, not {embedder.model_id}; "
            f"pass --rebuild (rebuild=True) to re-embed everything with the new model"
        )
    if manifest["chunking"] != chunking.as_dict():
        raise IndexMismatchError(
            f"{location} was chunked with {manifest['chunking']}, not {chunking.as_dict()}; "
            "pass --rebuild (rebuild=True) to re-chunk, or use the index's settings"
        )


def plan(
    index: SearchIndex | None,
    docs: list[Document],
    remove: list[str],
    embedder: Embedder,
    chunking: ChunkSettings,
    progress: bool = False,
) -> tuple[Change, UpdateReport]:
    """The change that adds or replaces `docs` and deletes `remove` from `index` (None: empty).

    Only new or changed documents are chunked and embedded.
    """
    report = UpdateReport()
    known = index.documents if index is not None else {}
    for source in remove:
        gone = known.get(source)
        if gone is not None:
            report.removed.append(source)
            report.removed_documents.append(gone)
    fresh: list[Document] = []
    for doc in docs:
        old = known.get(doc.source) if doc.source not in report.removed else None
        if old is not None and old.fingerprint == doc.fingerprint:
            report.unchanged.append(doc.source)
            continue
        (report.updated if old is not None else report.added).append(doc.source)
        fresh.append(doc)
    by_source = {d.source: d for d in fresh}
    passages = [p for doc in fresh for p in chunk_document(doc, chunking)]
    t0 = time.perf_counter()
    texts = [embedding_text(by_source[p.source], p) for p in passages]  # heading path + text
    vectors = embedder.embed_passages(texts, progress=progress) if texts else np.zeros((0, embedder.dim))
    report.embedded_passages = len(passages)
    log.debug("embedded %d passages in %.1fs", len(passages), time.perf_counter() - t0)
    change = Change(
        manifest_for(embedder, chunking),
        documents=fresh,
        passages=passages,
        vectors=np.asarray(vectors, dtype=np.float32),
        removed=list(report.removed),
        fresh=index is None,
    )
    return change, report


def refuse_duplicates(docs: list[Document]) -> None:
    """Two inputs with one source name would overwrite each other: refuse before writing."""
    counts = Counter(d.source for d in docs)
    twice = sorted(name for name, n in counts.items() if n > 1)
    if twice:
        raise DuplicateSourceError(
            f"{len(twice)} source name(s) given twice: {', '.join(twice[:5])}. Each document needs its own "
            "name: index the folders that hold them (names are paths relative to the folder), rename "
            "one of the files, or give each jsonl record its own id; nothing was written"
        )


def log_report(report: UpdateReport) -> None:
    for name, reason in report.skipped:
        log.warning("skipped %s: %s", name, reason)
