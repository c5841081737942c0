"""The Assistant: build or open an index, search it, and answer questions with citations."""

from __future__ import annotations

import ctypes
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from rag.errors import (
    DuplicateSourceError,
    EmptyCorpusError,
    EmptyQuestionError,
    IndexMismatchError,
    QuestionTooLongError,
    RagError,
)
from rag.generation import generate
from rag.generation.llm import LLMConfig
from rag.ingest import loader
from rag.ingest.chunking import ChunkSettings, chunk_document, embedding_text
from rag.ingest.structure import ArticleIndex
from rag.model.embedding import DEFAULT_MODEL, Embedder, shared
from rag.reading import answer as answering
from rag.reading import followup
from rag.reading.question import language, lexical_query
from rag.records import Answer, Document, Passage
from rag.search import store
from rag.search.dense import DenseIndex
from rag.search.fusion import fuse
from rag.search.lexical import LexicalIndex, hits
from rag.search.passages import PassageTable, digest
from rag.search.rerank import learned_weights, rerank, rerank_weighted

log = logging.getLogger("rag")
MAX_QUESTION_CHARS = 2000


@dataclass(frozen=True)
class RetrievalSettings:
    """How dense and lexical results are fused (chosen by eval/sweep.py on the dev sets)."""

    method: str = "zscore"
    dense_weight: float = 0.8
    depth: int = 50  # candidates taken from each retriever before fusion
    rerank_depth: int = 30  # fused candidates re-ranked by answer type (0: off)
    coverage_weight: float = 2.0
    typed_weight: float = 1.5
    typed_base: float = 0.5  # a typed candidate's bonus before its fit to the question
    soup_weight: float = 1.0  # penalty for keyword blocks and tag lines
    grade_candidates: bool = True  # search: grade the typed bonus by the candidate's fit
    # Re-rank with the per-language weights fit on the tune splits (rag/data/rerank_weights.json,
    # eval/train_rerank.py) instead of the four hand-set ones above.
    learned: bool = True
    english_names_only: bool = True  # an English question asks the word index its names and figures only


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


class _Indexes:
    """The searchable form of one snapshot; replaced whole on update, never mutated."""

    def __init__(self, snap: store.Snapshot):
        self.snap = snap
        self.lexical = LexicalIndex(snap.passages.texts())
        _return_freed_memory()  # the lexical build's temporaries, before the dense build adds its own
        self.dense = DenseIndex(snap.vectors, release=lambda: store.release_pages(snap.vectors))
        self.articles = ArticleIndex(snap.documents, snap.passages)  # built on the first question naming one
        _return_freed_memory()


def _return_freed_memory() -> None:
    """Give the C heap's free pages back to the system after building the indexes.

    Building leaves many medium-sized blocks freed inside the heap, which glibc keeps
    (about 0.9 GB at a million passages, eval/bench.py); `malloc_trim` releases them.
    Elsewhere than glibc this does nothing.
    """
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def check_question(question: str) -> str:
    """The question stripped; named errors for empty and oversized input."""
    if not isinstance(question, str) or not question.strip():
        raise EmptyQuestionError("the question is empty: type a question about the documents")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionTooLongError(
            f"the question has {len(question):,} characters; the limit is {MAX_QUESTION_CHARS:,}. "
            "Ask a shorter question, or add long text as a document instead"
        )
    return question.strip()


class Assistant:
    """Question answering over one index directory.

    >>> assistant = Assistant.build(["seeds"], index_dir="index")  # doctest: +SKIP
    >>> assistant.ask("Quận 1 có bao nhiêu đảng viên?").text        # doctest: +SKIP
    """

    def __init__(
        self,
        index_dir: Path,
        snap: store.Snapshot,
        embedder: Embedder,
        retrieval: RetrievalSettings | None = None,
        llm: LLMConfig | None = None,
    ):
        self.index_dir = Path(index_dir)
        self.embedder = embedder
        self.retrieval = retrieval or RetrievalSettings()
        self.llm = llm  # an OpenAI-compatible chat server: answers are generated, then checked
        self.generation = generate.GenerationSettings()
        self._indexes = _Indexes(snap)
        self._query_cache: dict[str, np.ndarray] = {}
        self.last_report: UpdateReport | None = None  # what the last build or update did
        self._cache_lock = threading.Lock()

    # ----------------------------------------------------------------- building
    @classmethod
    def build(
        cls,
        paths: list[str | Path],
        index_dir: str | Path = "index",
        model: str | None = None,
        chunk_size: int | None = None,
        chunk_overlap: int | None = None,
        rebuild: bool = False,
        progress: bool = False,
        follow_links: bool = False,
        llm: LLMConfig | None = None,
    ) -> Assistant:
        """Create the index at `index_dir` from `paths`, or update it incrementally.

        Documents already indexed with the same content are kept as they are; new ones
        are appended and changed ones re-embedded. An existing index keeps the model and
        chunking it was built with when none is given; another one raises
        IndexMismatchError unless `rebuild` is set (defaults: DEFAULT_MODEL, 600 / 100).
        Two builds of the same directory at once are serialised: the second one starts
        from what the first one wrote.
        """
        index_dir = Path(index_dir)
        # before the model: bad input fails fast
        result = loader.load(paths, require=False, follow_links=follow_links)
        _refuse_duplicates(result.documents)
        with store.write_lock(index_dir):
            # Decided under the lock: a writer that finished a moment ago made the index exist.
            exists = (index_dir / "CURRENT").exists() and not rebuild
            if not result.documents and not exists:
                raise EmptyCorpusError(_empty_message(paths, result.skipped))
            old = store.load(index_dir) if exists else None
            model = model or (old.manifest["model_id"] if old else DEFAULT_MODEL)
            kept = ChunkSettings(**old.manifest["chunking"]) if old else ChunkSettings()
            chunking = ChunkSettings(
                kept.size if chunk_size is None else chunk_size,
                kept.overlap if chunk_overlap is None else chunk_overlap,
            )
            embedder = shared(model)
            docs = result.documents
            if old is not None:
                snap = old
                _check_compatible(snap.manifest, embedder, chunking, index_dir)
            else:
                snap = _empty_snapshot(embedder, chunking)
                if rebuild:  # re-embed what the old index held too (uploads included)
                    docs = _previous_documents(index_dir, {d.source for d in docs}) + docs
            snap, report = _apply(snap, docs, [], embedder, chunking, progress)
            report.skipped = result.skipped
            if not exists or report.changed:  # an unchanged corpus leaves the index as it is
                store.save(index_dir, snap)
        _log_report(report)
        assistant = cls(index_dir, snap, embedder, llm=llm)
        assistant.last_report = report
        return assistant

    @classmethod
    def load(
        cls, index_dir: str | Path = "index", model: str | None = None, llm: LLMConfig | None = None
    ) -> Assistant:
        """Open a persisted index with the model that built it."""
        index_dir = Path(index_dir)
        snap = store.load(index_dir)
        embedder = shared(model or snap.manifest["model_id"])
        if embedder.fingerprint != snap.manifest["model_fingerprint"]:
            raise IndexMismatchError(
                f"{index_dir} was built by model {snap.manifest['model_id']} "
                f"({snap.manifest['model_fingerprint']}), not {embedder.model_id} ({embedder.fingerprint}); "
                f"{store.rebuild_hint(index_dir)}"
            )
        return cls(index_dir, snap, embedder, llm=llm)

    def add(
        self, paths: list[str | Path], progress: bool = False, follow_links: bool = False
    ) -> UpdateReport:
        """Index new or changed documents; unchanged ones are not re-embedded."""
        result = loader.load(paths, require=False, follow_links=follow_links)
        if not result.documents:
            raise EmptyCorpusError(_empty_message(paths, result.skipped))
        report = self.add_documents(result.documents, progress)
        report.skipped = result.skipped
        return report

    def add_documents(self, docs: list[Document], progress: bool = False) -> UpdateReport:
        """Index loaded documents (e.g. ones `remove` returned, to undo a removal)."""
        _refuse_duplicates(docs)
        return self._update(docs, [], progress)

    def remove(self, sources: list[str]) -> UpdateReport:
        """Delete documents (by source name) from the index.

        The report's `removed_documents` holds what was deleted, text included, so the
        removal can be undone with `add_documents`.
        """
        return self._update([], sources, progress=False)

    def _update(self, docs: list[Document], remove: list[str], progress: bool) -> UpdateReport:
        with store.write_lock(self.index_dir):
            # Start from what is on disk: another process may have written since we loaded.
            snap = store.load(self.index_dir)
            chunking = ChunkSettings(**snap.manifest["chunking"])
            snap, report = _apply(snap, docs, remove, self.embedder, chunking, progress)
            if report.changed:
                store.save(self.index_dir, snap)
                self._indexes = _Indexes(snap)  # one reference swap: readers see old or new
        _log_report(report)
        return report

    # ------------------------------------------------------------------ reading
    @property
    def manifest(self) -> dict:
        return self._indexes.snap.manifest

    def documents(self) -> list[Document]:
        return list(self._indexes.snap.documents.values())

    def passage_count(self) -> int:
        return len(self._indexes.snap.passages)

    def inventory(self) -> list[tuple[str, int, int]]:
        """(source, characters, passages) of every indexed document, by source name."""
        counts = self._indexes.snap.passages.counts()
        docs = self._indexes.snap.documents
        return [(name, len(docs[name].text), counts.get(name, 0)) for name in sorted(docs)]

    def source_text(self, source: str) -> str:
        """The full text a citation's offsets point into."""
        return self._indexes.snap.documents[source].text

    def document(self, source: str) -> Document:
        """The indexed document named `source` (its text, page starts, OCR pages); KeyError if none."""
        return self._indexes.snap.documents[source]

    def _query_vector(self, text: str) -> np.ndarray:
        with self._cache_lock:
            hit = self._query_cache.get(text)
        if hit is not None:
            return hit
        vector = self.embedder.embed_query(text)
        with self._cache_lock:
            if len(self._query_cache) > 1024:
                self._query_cache.clear()
            self._query_cache[text] = vector
        return vector

    def search_batch(self, queries: list[str], k: int = 10) -> list[list[Passage]]:
        """Hybrid search: dense and BM25 candidates fused and re-ranked, best first."""
        return self._search_batch(queries, k, grade=self.retrieval.grade_candidates)

    def _search_batch(self, queries: list[str], k: int, grade: bool) -> list[list[Passage]]:
        questions = [check_question(q) for q in queries]
        vectors = np.stack([self._query_vector(q) for q in questions])
        idx = self._indexes  # one snapshot for the whole call, even if an update lands meanwhile
        dense = idx.dense.search_batch(vectors, self.retrieval.depth)
        return [self._rank(idx, q, v, d, k, grade) for q, v, d in zip(questions, vectors, dense)]

    def _rank(
        self,
        idx: _Indexes,
        question: str,
        vector: np.ndarray,
        dense: list[tuple[int, float]],
        k: int,
        grade: bool,
        memo: dict | None = None,
    ) -> list[Passage]:
        """Fuse the dense hits with BM25 and re-rank the head; `memo` is answer.gather's."""
        s = self.retrieval
        lex_scores = idx.lexical.scores(lexical_query(question) if s.english_names_only else question)
        lex = hits(lex_scores, s.depth)
        if s.method == "zscore":
            # Score the whole pool with both retrievers: a passage one of them missed
            # gets its real score from the other, not an imputed zero.
            pool = sorted({r for r, _ in dense} | {r for r, _ in lex})
            dense = list(zip(pool, map(float, idx.dense.similarity(pool, vector))))
            lex = [(r, float(lex_scores[r])) for r in pool]
        fused = fuse(s.method, [dense, lex], [s.dense_weight, 1 - s.dense_weight])
        ranked = [
            replace(idx.snap.passages[row], score=score) for row, score in fused[: max(k, s.rerank_depth)]
        ]
        if s.rerank_depth:
            if s.learned:
                weights = learned_weights()["en" if language(question) == "en" else "vi"]
                head = rerank_weighted(
                    question, ranked[: s.rerank_depth], idx.lexical.idf, weights, grade, memo
                )
            else:
                head = rerank(
                    question, ranked[: s.rerank_depth], idx.lexical.idf,
                    s.coverage_weight, s.typed_weight, s.typed_base, s.soup_weight, grade, memo,
                )  # fmt: skip
            ranked = head + ranked[s.rerank_depth :]
        ranked = idx.articles.promote(question, ranked)  # "Điều 107 … quy định gì?": that article first
        return ranked[:k]

    def search(self, query: str, k: int = 10) -> list[Passage]:
        return self.search_batch([query], k)[0]

    def ask(self, question: str, history: list[str] | None = None, trace: dict | None = None) -> Answer:
        """Answer `question` from the documents, with citations.

        With `self.llm` set, the answer is written by that model and checked sentence by
        sentence against its citations (rag/generation/generate.py); otherwise, and whenever the model
        fails, it is the extractive answer (`ask_extractive`, whose arguments these are).
        """
        extractive = self.ask_extractive(question, history, trace)
        if self.llm is None:
            return extractive
        return generate.answer(self.search, extractive, self.llm, self.generation)

    def ask_stream(self, question: str, history: list[str] | None = None) -> Iterator[str | Answer]:
        """As `ask`, the generated text first, piece by piece as the model writes it, the Answer last."""
        extractive = self.ask_extractive(question, history)
        if self.llm is None:
            yield extractive
            return
        yield from generate.stream(self.search, extractive, self.llm, self.generation)

    def ask_extractive(
        self, question: str, history: list[str] | None = None, trace: dict | None = None
    ) -> Answer:
        """The extractive answer: a figure, name or date and the sentences it comes from, cited.

        Args:
            question: Vietnamese (accented or not) or English.
            history: earlier questions of the conversation, oldest first; a follow-up
                such as "Còn quận Tân Bình thì sao?" is read against the last one.
            trace: filled with the features the answer's decision read (eval/ uses it).
        """
        question = check_question(question)
        standalone = check_question(followup.rewrite(question, history or []))
        idx = self._indexes
        # The answer extractor weighs each candidate's fit to the question itself; passages
        # ranked by that fit first would count it twice (ViQA answer recall 0.714 against
        # 0.740 with the ungraded ranking, measured by switching this call on the dev set).
        vector = self._query_vector(standalone)
        dense = idx.dense.search_batch(vector[None, :], self.retrieval.depth)[0]
        memo: dict = {}  # the re-ranker and the answer read the same sentences once
        passages = self._rank(idx, standalone, vector, dense, answering.CANDIDATES, grade=False, memo=memo)
        top_cosine = float(idx.dense.similarity([passages[0].id], vector)[0]) if passages else 0.0
        result = answering.compose(
            standalone, passages, idx.snap.documents, idx.lexical.idf, self.embedder,
            top_cosine=top_cosine, memo=memo, trace=trace,
        )  # fmt: skip
        return replace(
            result,
            question=question,
            rewritten=standalone if standalone != question else None,
            passages=passages,
        )


# ----------------------------------------------------------------------- helpers
def _empty_snapshot(embedder: Embedder, chunking: ChunkSettings) -> store.Snapshot:
    manifest = {
        "model_id": embedder.model_id,
        "model_fingerprint": embedder.fingerprint,
        "dim": embedder.dim,
        "chunking": chunking.as_dict(),
    }
    return store.Snapshot(
        manifest, {}, PassageTable.from_rows({}, []), np.zeros((0, embedder.dim), np.float32)
    )


def _check_compatible(manifest: dict, embedder: Embedder, chunking: ChunkSettings, index_dir: Path):
    if manifest["model_fingerprint"] != embedder.fingerprint:
        raise IndexMismatchError(
            f"{index_dir} was built by model {manifest['model_id']}, not {embedder.model_id}; "
            f"pass --rebuild (rebuild=True) to re-embed everything with the new model"
        )
    if manifest["chunking"] != chunking.as_dict():
        raise IndexMismatchError(
            f"{index_dir} was chunked with {manifest['chunking']}, not {chunking.as_dict()}; "
            "pass --rebuild (rebuild=True) to re-chunk, or use the index's settings"
        )


def _apply(
    snap: store.Snapshot,
    docs: list[Document],
    remove: list[str],
    embedder: Embedder,
    chunking: ChunkSettings,
    progress: bool,
) -> tuple[store.Snapshot, UpdateReport]:
    """A new snapshot with `docs` added or replaced and `remove` deleted.

    Only new or changed documents are chunked and embedded; the vectors of every
    other passage are carried over row for row.
    """
    report = UpdateReport()
    documents = dict(snap.documents)
    for source in remove:
        gone = documents.pop(source, None)
        if gone is not None:
            report.removed.append(source)
            report.removed_documents.append(gone)
    fresh: list[Document] = []
    for doc in docs:
        old = documents.get(doc.source)
        if old is not None and old.fingerprint == doc.fingerprint:
            report.unchanged.append(doc.source)
            continue
        (report.updated if old is not None else report.added).append(doc.source)
        documents[doc.source] = doc
        fresh.append(doc)
    replaced = {d.source for d in fresh} | set(report.removed)
    keep = np.flatnonzero(~snap.passages.rows_of(replaced))
    new_passages = [p for doc in fresh for p in chunk_document(doc, chunking)]
    t0 = time.perf_counter()
    texts = [embedding_text(documents[p.source], p) for p in new_passages]  # heading path + text
    new_vectors = embedder.embed_passages(texts, progress=progress)
    report.embedded_passages = len(new_passages)
    log.debug("embedded %d passages in %.1fs", len(new_passages), time.perf_counter() - t0)
    passages = snap.passages.updated(documents, keep, new_passages)
    vectors = np.concatenate([snap.vectors[keep], new_vectors]) if len(keep) else new_vectors
    # What each source's vectors were made from, checked now and on every load.
    digests = {s: d for s, d in snap.manifest.get("passage_digests", {}).items() if s not in replaced}
    embedded: dict[str, list[str]] = {}
    for p in new_passages:
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
        snap.manifest, sources={s: d.fingerprint for s, d in documents.items()}, passage_digests=digests
    )
    return store.Snapshot(manifest, documents, passages, vectors), report


def _refuse_duplicates(docs: list[Document]) -> None:
    """Two inputs with one source name would overwrite each other: refuse before writing."""
    counts = Counter(d.source for d in docs)
    twice = sorted(name for name, n in counts.items() if n > 1)
    if twice:
        raise DuplicateSourceError(
            f"{len(twice)} source name(s) given twice: {', '.join(twice[:5])}. Each document needs its own "
            "name: index the folders that hold them (names are paths relative to the folder), rename "
            "one of the files, or give each jsonl record its own id; nothing was written"
        )


def _previous_documents(index_dir: Path, replaced: set[str]) -> list[Document]:
    """Documents of the index being rebuilt that the new paths do not replace."""
    try:
        old = store.load(index_dir)
    except (RagError, OSError) as exc:  # nothing to carry over from a damaged index
        log.warning("rebuilding %s from the given paths only: %s", index_dir, exc)
        return []
    return [d for d in old.documents.values() if d.source not in replaced]


def _empty_message(paths, skipped) -> str:
    reasons = "; ".join(f"{name}: {why}" for name, why in skipped[:5])
    return f"no readable document in {', '.join(map(str, paths))}" + (f" ({reasons})" if reasons else "")


def _log_report(report: UpdateReport) -> None:
    for name, reason in report.skipped:
        log.warning("skipped %s: %s", name, reason)
