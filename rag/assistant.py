"""The Assistant: build or open an index, search it, and answer questions with citations.

A façade over the pipeline: rag/ingest reads documents, rag/search/update plans what to
embed and a backend (rag/search/backend.py: a directory or a database) commits it,
rag/search/retrieval ranks, rag/reading answers, rag/generation writes a checked answer
with an LLM.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from rag.errors import (
    EmptyCorpusError,
    EmptyQuestionError,
    IndexMismatchError,
    QuestionTooLongError,
    RagError,
)
from rag.generation import generate
from rag.generation.llm import LLMConfig
from rag.ingest import loader
from rag.ingest.chunking import ChunkSettings
from rag.model import precision as arithmetic
from rag.model import spans
from rag.model.embedding import DEFAULT_MODEL, Embedder, shared
from rag.reading import answer as answering
from rag.reading import followup
from rag.reading.evidence import Reader
from rag.records import Answer, Document, Passage
from rag.search.backend import Backend, SearchIndex
from rag.search.location import open_backend
from rag.search.retrieval import RetrievalSettings, Retriever
from rag.search.update import UpdateReport, check_compatible, log_report, plan, refuse_duplicates

__all__ = ["Assistant", "RetrievalSettings", "UpdateReport", "check_question"]

log = logging.getLogger("rag")
# A commit by another process that cannot be opened (damaged, another model) is tried again
# after this many seconds, not before every question.
REOPEN_RETRY_S = 30.0
MAX_QUESTION_CHARS = 2000


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
    """Question answering over one index: a directory (the default) or a database.

    >>> assistant = Assistant.build(["seeds"], index_dir="index")  # doctest: +SKIP
    >>> assistant.ask("Quận 1 có bao nhiêu đảng viên?").text        # doctest: +SKIP
    """

    def __init__(
        self,
        backend: Backend,
        index: SearchIndex,
        embedder: Embedder,
        retrieval: RetrievalSettings | None = None,
        llm: LLMConfig | None = None,
    ):
        self.backend = backend
        self.embedder = embedder
        self.retriever = Retriever(embedder, retrieval)
        self.llm = llm  # an OpenAI-compatible chat server: answers are generated, then checked
        self.generation = generate.GenerationSettings()
        self._index = index  # replaced whole by an update: readers keep the one they started with
        self._reopen = threading.Lock()  # one thread opens what another process committed
        self._retry_at = 0.0  # after a commit that could not be opened, look again from then on
        self.last_report: UpdateReport | None = None  # what the last build or update did
        # The trained span reader (rag/model/spans.py) reads the best passages with the question;
        # False (or RAG_SPAN_READER=0): the rules alone, about 130 ms less per question.
        self.use_span_reader = spans.available() and os.environ.get("RAG_SPAN_READER", "1") != "0"
        # RAG_PRECISION=auto|bf16|fp32: the arithmetic of the span reader and of the sentences embedded
        # while a question is read (rag/model/precision.py; auto: bfloat16 where the CPU has it).
        self.precision = os.environ.get("RAG_PRECISION") or arithmetic.DEFAULT
        self.embedder.reading_bf16 = arithmetic.uses_bf16(self.precision)
        self._span_reader = None

    @property
    def span_reader(self):
        """The span reader, loaded on first use (it shares the embedding model's lower layers)."""
        if not self.use_span_reader:
            return None
        if self._span_reader is None:
            self._span_reader = spans.shared(self.embedder, self.precision)
        return self._span_reader

    def reader(self, question: str, index: SearchIndex) -> Reader:
        """The reader of one question over one index snapshot (re-ranker and answer share it)."""
        return Reader(question, index.idf, self.span_reader)

    @property
    def index_dir(self) -> Path:
        """The index directory (file backend)."""
        return Path(self.backend.location)

    @property
    def retrieval(self) -> RetrievalSettings:
        return self.retriever.settings

    @retrieval.setter
    def retrieval(self, settings: RetrievalSettings) -> None:
        self.retriever.settings = settings

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
        backend: str | None = None,
    ) -> Assistant:
        """Create the index from `paths`, or update it incrementally.

        The index is the directory `index_dir`, or the database at `backend`
        ("postgresql://…") when given. Documents already indexed with the same content are
        kept as they are; new ones are appended and changed ones re-embedded. An existing
        index keeps the model and chunking it was built with when none is given; another
        one raises IndexMismatchError unless `rebuild` is set (defaults: DEFAULT_MODEL,
        600 / 100). Two builds of one index at once are serialised: the second one starts
        from what the first one wrote.
        """
        # before the model: bad input fails fast
        result = loader.load(paths, require=False, follow_links=follow_links)
        refuse_duplicates(result.documents)
        store = open_backend(backend or index_dir)
        with store.write_lock():
            # Decided under the lock: a writer that finished a moment ago made the index exist.
            exists = store.exists()
            if not result.documents and not exists:
                raise EmptyCorpusError(_empty_message(paths, result.skipped))
            old = _open_for_rebuild(store) if rebuild and exists else (store.open() if exists else None)
            manifest = (
                old.manifest if old is not None and not rebuild else {}
            )  # a rebuild starts from the defaults
            model = model or manifest.get("model_id", DEFAULT_MODEL)
            kept = ChunkSettings(**manifest["chunking"]) if "chunking" in manifest else ChunkSettings()
            chunking = ChunkSettings(
                kept.size if chunk_size is None else chunk_size,
                kept.overlap if chunk_overlap is None else chunk_overlap,
            )
            embedder = shared(model)
            docs = result.documents
            base = old
            if rebuild:  # re-embed what the old index held too (uploads included)
                given = {d.source for d in docs}
                carried = [
                    d for d in (old.documents.values() if old is not None else []) if d.source not in given
                ]
                docs, base = carried + docs, None
            elif old is not None:
                check_compatible(old.manifest, embedder, chunking, store.location)
            change, report = plan(base, docs, [], embedder, chunking, progress)
            report.skipped = result.skipped
            index = old
            if base is None or report.changed:  # an unchanged corpus leaves the index as it is
                index = store.write(change)
        log_report(report)
        assistant = cls(store, index, embedder, llm=llm)
        assistant.last_report = report
        return assistant

    @classmethod
    def load(
        cls,
        index_dir: str | Path = "index",
        model: str | None = None,
        llm: LLMConfig | None = None,
        backend: str | None = None,
    ) -> Assistant:
        """Open a persisted index (the directory, or the database at `backend`) with the model that built it."""
        store = open_backend(backend or index_dir)
        index = store.open()
        embedder = shared(model or index.manifest["model_id"])
        if embedder.fingerprint != index.manifest["model_fingerprint"]:
            raise IndexMismatchError(
                f"{store.location} was built by model {index.manifest['model_id']} "
                f"({index.manifest['model_fingerprint']}), not {embedder.model_id} ({embedder.fingerprint}); "
                f"{store.rebuild_hint()}"
            )
        return cls(store, index, embedder, llm=llm)

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
        refuse_duplicates(docs)
        return self._update(docs, [], progress)

    def remove(self, sources: list[str]) -> UpdateReport:
        """Delete documents (by source name) from the index.

        The report's `removed_documents` holds what was deleted, text included, so the
        removal can be undone with `add_documents`.
        """
        return self._update([], sources, progress=False)

    def _update(self, docs: list[Document], remove: list[str], progress: bool) -> UpdateReport:
        with self.backend.write_lock():
            # Start from what is committed: another process may have written since we opened.
            current = self.backend.open()
            chunking = ChunkSettings(**current.manifest["chunking"])
            change, report = plan(current, docs, remove, self.embedder, chunking, progress)
            if report.changed:
                self._index = self.backend.write(change)  # one reference swap: readers see old or new
        log_report(report)
        return report

    # ------------------------------------------------------------------ reading
    @property
    def index(self) -> SearchIndex:
        """The snapshot questions are answered from now: the one held, or the one another process
        (`rag index` beside the chat page) committed since, opened once it is seen."""
        index = self._index
        if time.monotonic() < self._retry_at or not self.backend.newer(index):
            return index
        with self._reopen:
            if self._index is index:  # no other thread opened it meanwhile
                self._index = self._reopened(index)
            return self._index

    def _reopened(self, held: SearchIndex) -> SearchIndex:
        """What the backend holds now, or `held` (with a warning, tried again after REOPEN_RETRY_S)
        when it cannot be read with this model: a damaged commit, or an index rebuilt with another
        model."""
        why = None
        try:
            index = self.backend.open()
        except RagError as exc:
            why = f"cannot be opened ({exc})"
        else:
            if index.manifest.get("model_fingerprint") != self.embedder.fingerprint:
                why = f"was rebuilt with model {index.manifest.get('model_id')}: restart to use it"
        if why:
            log.warning(
                "%s changed but %s; answering from the index opened before", self.backend.location, why
            )
            self._retry_at = time.monotonic() + REOPEN_RETRY_S
            return held
        log.info("%s changed: answering from its new commit", self.backend.location)
        return index

    @property
    def manifest(self) -> dict:
        return self.index.manifest

    def documents(self) -> list[Document]:
        return list(self.index.documents.values())

    def passage_count(self) -> int:
        return len(self.index)

    def inventory(self) -> list[tuple[str, int, int]]:
        """(source, characters, passages) of every indexed document, by source name."""
        return self.index.inventory()

    def source_text(self, source: str) -> str:
        """The full text a citation's offsets point into."""
        return self.index.documents[source].text

    def document(self, source: str) -> Document:
        """The indexed document named `source` (its text, page starts, OCR pages); KeyError if none."""
        return self.index.documents[source]

    def search_batch(self, queries: list[str], k: int = 10) -> list[list[Passage]]:
        """Hybrid search: dense and BM25 candidates fused and re-ranked, best first."""
        index = self.index  # one snapshot for the whole call, even if an update lands meanwhile
        questions = [self.retriever.read_as(index, check_question(q)) for q in queries]
        readers = [self.reader(q, index) for q in questions]
        return self.retriever.rank(index, questions, readers, k)

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
        index = self.index
        standalone = self.retriever.read_as(index, check_question(followup.rewrite(question, history or [])))
        reader = self.reader(standalone, index)  # the re-ranker and the answer read each passage once
        passages = self.retriever.rank(index, [standalone], [reader], answering.CANDIDATES)[0]
        vector = self.retriever.query_vectors([standalone])[0]
        top_cosine = float(index.dense_scores([passages[0].id], vector)[0]) if passages else 0.0
        result = answering.compose(reader, passages, index.documents, self.embedder, top_cosine, trace)
        return replace(
            result,
            question=question,
            rewritten=standalone if standalone != question else None,
            passages=passages,
        )


def _open_for_rebuild(store: Backend) -> SearchIndex | None:
    """The index being rebuilt, to carry over its documents; None when it cannot be read."""
    try:
        return store.open()
    except (RagError, OSError) as exc:  # nothing to carry over from a damaged index
        log.warning("rebuilding %s from the given paths only: %s", store.location, exc)
        return None


def _empty_message(paths, skipped) -> str:
    reasons = "; ".join(f"{name}: {why}" for name, why in skipped[:5])
    return f"no readable document in {', '.join(map(str, paths))}" + (f" ({reasons})" if reasons else "")
