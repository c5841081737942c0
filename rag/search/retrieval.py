"""Hybrid retrieval: dense and BM25 candidates fused, the head re-ranked by what the
question asks, a named legal article put first. One ranking for `search` and `ask`."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from functools import cache

import numpy as np

from rag.language import marks
from rag.language.normalize import has_diacritics
from rag.language.words import words
from rag.model import crosslingual
from rag.model.embedding import Embedder
from rag.reading.question import cue_phrases, language, lexical_query, vietnamese_rendering
from rag.records import Passage
from rag.search.backend import SearchIndex
from rag.search.fusion import fuse
from rag.search.rerank import Reader, Weights, learned_weights, rerank_weighted


@dataclass(frozen=True)
class RetrievalSettings:
    """How dense and lexical results are fused (chosen by eval/sweep.py on the dev sets)."""

    method: str = "zscore"
    dense_weight: float = 0.8
    # A question typed without diacritics: the embedding model reads unaccented Vietnamese
    # poorly, the word index's folded view not at all worse. Chosen on the tune questions with
    # their marks stripped (`python -m eval.suite --unaccented`): pooled hit@1 of 271, 0.8: 127,
    # 0.7: 160, 0.6 / 0.5 / 0.4: 181, 0.2: 173; the middle of the tie kept.
    dense_weight_unaccented: float = 0.5
    # An English question, whose word-index query is its names, figures and their translations
    # (rag/reading/question.py, lexical_query): MLQA en tune hit@1 of 59 at 0.8: 41, 0.7 / 0.6 /
    # 0.5: 43, 0.4: 41; answers 34, 35, 35, 35, 32; the middle of the tie kept (best MRR).
    dense_weight_en: float = 0.6
    depth: int = 50  # candidates taken from each retriever before fusion
    rerank_depth: int = 30  # fused candidates re-ranked by answer type (0: off)
    coverage_weight: float = 2.0
    typed_weight: float = 1.5
    typed_base: float = 0.5  # a typed candidate's bonus before its fit to the question
    soup_weight: float = 1.0  # penalty for keyword blocks and tag lines
    # Grade the typed bonus by the candidate's fit to the question. One ranking serves
    # `search`, `ask` and the UI's other passages; until this round `ask` read an ungraded
    # one of its own (ViQA dev hit@1 0.682 ungraded against 0.766 graded; the answer in
    # answer.text 0.825 from the ungraded ranking against 0.792 from this one: README).
    grade_candidates: bool = True
    # Re-rank with the per-language weights fit on the tune splits (rag/data/rerank_weights.json,
    # eval/train_rerank.py) instead of the four hand-set ones above.
    learned: bool = True
    # An English question asks the word index its names, figures and their translations
    # (rag/reading/question.py, lexical_query); False: all its words as written.
    english_names_only: bool = True
    # The span reader's belief that a passage holds the answer, added to the best `span_depth`
    # passages' scores (per question language), when the reader has a span model; chosen on
    # the tune splits (README, "The span reader"). 0: off.
    span_depth: int = 4
    span_weight_vi: float = 0.0
    span_weight_en: float = 1.0
    # A question typed without diacritics is read with them put back (rag/language/marks.py)
    # from the best `restore_depth` passages the word index finds for it, and the cue phrases
    # of rag/data/words.toml; then it is searched and read as if typed so. 0: as typed.
    restore_depth: int = 20
    # The cue phrases count as this many occurrences each: they are how questions are worded,
    # which the passages seldom are ("bao nhiêu" against the news' "báo" and "nhiều").
    restore_cue_weight: int = 30
    # An English question's vector moved this far along the model's English -> Vietnamese
    # direction before the dense search (rag/model/crosslingual.py; 0: as embedded).
    english_shift: float = 0.5
    # An English question's vector plus this weight × the vector of its Vietnamese rendering
    # (rag/reading/question.py, vietnamese_rendering: its names and its words' translations),
    # normalised; the model then also reads what it asks in the passages' language. Chosen on the
    # tune split, all 213 English questions (`python -m eval.suite --english-all`): hit@1 of 213
    # at 0: 144, 0.3: 148, 0.6: 149, 1.0: 146. 0: the question's vector alone.
    english_rendering: float = 0.6

    def weights(self, question: str) -> Weights:
        if self.learned:
            return learned_weights()["en" if language(question) == "en" else "vi"]
        return Weights(
            self.coverage_weight, self.typed_weight * self.typed_base, self.typed_weight, self.soup_weight
        )


def rerank_by_spans(reader: Reader, ranked: list[Passage], depth: int, weight: float) -> list[Passage]:
    """The best `depth` passages re-ordered with `weight` × the span reader's belief that each
    holds the answer added to its score (the others keep theirs, so the order stays one scale)."""
    head = ranked[:depth]
    reader.spans(head)
    scored = [replace(p, score=p.score + weight * reader.span_belief(p)) for p in head]
    return sorted(scored, key=lambda p: -p.score) + ranked[depth:]


@cache
def _cue_marks(weight: int) -> marks.MarkTable:
    """How the question words and phrasings of rag/data/words.toml are written ("bao nhiêu",
    "ở đâu", "có bao nhiêu")."""
    asked = [*cue_phrases(), *words("questions.phrasings")]
    return marks.table([w for w in asked if has_diacritics(w)], weight)


class Retriever:
    """Ranks an index's passages for a question (query embeddings are cached by the embedder)."""

    def __init__(self, embedder: Embedder, settings: RetrievalSettings | None = None):
        self.embedder = embedder
        self.settings = settings or RetrievalSettings()
        self._given: dict[str, np.ndarray] = {}  # vectors a benchmark hands in (`remember`)
        self._lock = threading.Lock()

    def _embedded(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Each text's query embedding: as given (`remember`), else the embedder's, which embeds
        one text at a time (batch padding never shifts a question's vector) and keeps the last ones."""
        wanted = dict.fromkeys(texts)
        with self._lock:
            given = {t: self._given[t] for t in wanted if t in self._given}
        return given | {t: self.embedder.embed_query(t) for t in wanted if t not in given}

    def query_vectors(self, questions: list[str]) -> np.ndarray:
        s = self.settings
        english = {q: language(q) == "en" for q in questions}
        rendered = {q: vietnamese_rendering(q) for q in questions if english[q] and s.english_rendering}
        vectors = self._embedded([*questions, *filter(None, rendered.values())])
        return np.stack(
            [self._as_searched(q, vectors, rendered.get(q)) if english[q] else vectors[q] for q in questions]
        )

    def _as_searched(
        self, question: str, vectors: dict[str, np.ndarray], rendering: str | None
    ) -> np.ndarray:
        """An English question's vector moved towards Vietnamese and joined by its rendering's."""
        s = self.settings
        vector = vectors[question]
        if s.english_shift:
            vector = crosslingual.toward_vietnamese(vector, self.embedder.fingerprint, s.english_shift)
        if rendering:
            vector = crosslingual.moved(vector, vectors[rendering], s.english_rendering)
        return vector

    def remember(self, questions: list[str], vectors) -> None:
        """Take these questions' embeddings as given (a benchmark times retrieval, not the model)."""
        with self._lock:
            self._given.update(zip(questions, vectors))

    def clear_cache(self) -> None:
        """Forget every question vector: those given and the embedder's (`Embedder.clear_queries`)."""
        with self._lock:
            self._given.clear()
        self.embedder.clear_queries()

    def read_as(self, index: SearchIndex, question: str) -> str:
        """The question as it is searched and read: with its diacritics put back when it was
        typed without them (`RetrievalSettings.restore_depth`), else as it is."""
        depth = self.settings.restore_depth
        if not depth or language(question) != "vi-noaccent":
            return question
        table = marks.table(index.passage(row).text for row, _ in index.lexical_search(question, depth))
        table.update(_cue_marks(self.settings.restore_cue_weight))
        return marks.restore(question, table)

    def rank(
        self, index: SearchIndex, questions: list[str], readers: list[Reader], k: int
    ) -> list[list[Passage]]:
        """The k best passages for each question, best first; `readers[i]` reads question i."""
        vectors = self.query_vectors(questions)
        dense = index.dense_search(vectors, self.settings.depth)
        return [self._rank(index, q, v, d, r, k) for q, v, d, r in zip(questions, vectors, dense, readers)]

    def _rank(
        self,
        index: SearchIndex,
        question: str,
        vector: np.ndarray,
        dense: list[tuple[int, float]],
        reader: Reader,
        k: int,
    ) -> list[Passage]:
        s = self.settings
        query = lexical_query(question) if s.english_names_only else question
        lex = index.lexical_search(query, s.depth)
        if s.method == "zscore":
            # Score the whole pool with both retrievers: a passage one of them missed
            # gets its real score from the other, not an imputed zero.
            pool = sorted({r for r, _ in dense} | {r for r, _ in lex})
            dense = list(zip(pool, map(float, index.dense_scores(pool, vector))))
            lex = list(zip(pool, map(float, index.lexical_scores(query, pool))))
        lang = language(question)
        w = {"vi-noaccent": s.dense_weight_unaccented, "en": s.dense_weight_en}.get(lang, s.dense_weight)
        fused = fuse(s.method, [dense, lex], [w, 1 - w])
        ranked = [index.passage(row, score) for row, score in fused[: max(k, s.rerank_depth)]]
        reader.learn(ranked)  # before it reads them: its places and what it counts, in their words
        if s.rerank_depth:
            head = rerank_weighted(reader, ranked[: s.rerank_depth], s.weights(question), s.grade_candidates)
            ranked = head + ranked[s.rerank_depth :]
        weight = s.span_weight_en if lang == "en" else s.span_weight_vi
        if weight and reader.span_model is not None and ranked:
            ranked = rerank_by_spans(reader, ranked, s.span_depth, weight)
        ranked = index.promote(question, ranked)  # "Điều 107 … quy định gì?": that article first
        return ranked[:k]
