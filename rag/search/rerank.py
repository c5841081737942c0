"""Answer-type aware re-ranking of fused candidates (pure scoring over the passages).

A passage that only restates the question (a headline: "Tổng thống Brazil - Tìm kiếm")
ranks high on similarity but cannot answer it; one with a candidate of the asked type
(a person's name for "ai", a figure for "bao nhiêu") next to the question's words can.
Web pages also carry keyword blocks and tag lines ("Tổng thống Iran / Hassan Rouhani /
Tehran / …") that match every word of a question and state nothing: they are pushed down.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from rag.language.normalize import terms
from rag.reading import answer
from rag.reading.question import analyse
from rag.records import Passage

# A candidate's fit to the question (proximity + unit + phrase, answer._best_candidate)
# rarely passes 2; above that it no longer says more about the passage.
MAX_QUALITY = 2.0
_TAG_SEPARATOR = re.compile(r"\s[/|]\s")
_SENTENCE_MARK = re.compile(r"[.,;:!?]")


def keyword_soup(text: str) -> float:
    """How much a passage is a keyword block rather than prose (0: prose, 1: keywords).

    A tag line is three or more short segments between " / " or " | ". A block with no
    punctuation at all that keeps repeating its own words is an SEO keyword list; prose
    of any length uses most of its words once (type/token ratio above 0.8).

    >>> keyword_soup("Tổng thống Iran / Hassan Rouhani / Tehran / Iran / FARS / Hạt nhân")
    1.0
    >>> keyword_soup("Hồ Ngọc Hà gặp gia đình Kim Lý Hồ Ngọc Hà Kim Lý Hồ Ngọc Hà Hồ Ngọc Hà gặp gia đình Kim Lý")
    1.0
    >>> keyword_soup("Tổng thống Iran Hassan Rouhani sẽ thăm Iraq vào tuần tới")
    0.0
    """
    parts = [p for p in _TAG_SEPARATOR.split(text) if p.strip()]
    if len(parts) >= 3 and sum(len(p.split()) for p in parts) / len(parts) <= 4:
        return 1.0
    if _SENTENCE_MARK.search(text):
        return 0.0
    words = terms(text)
    if not words:
        return 0.0
    type_token = len(set(words)) / len(words)
    return min(1.0, max(0.0, (0.8 - type_token) / 0.3))


FEATURES = ("coverage", "typed", "fit", "soup")
WEIGHTS_FILE = Path(__file__).parent.parent / "data" / "rerank_weights.json"


@dataclass(frozen=True)
class Weights:
    """What each feature adds to a passage's fused score (the fused score counts 1)."""

    coverage: float
    typed: float  # for holding a candidate of the asked type at all
    fit: float  # per unit of that candidate's fit to the question
    soup: float  # subtracted, per unit of keyword_soup


@lru_cache(maxsize=1)
def learned_weights() -> dict[str, Weights]:
    """Per-language weights fit on the tune splits by eval/train_rerank.py ("vi", "en")."""
    data = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    return {lang: Weights(**{k: float(w[k]) for k in FEATURES}) for lang, w in data["weights"].items()}


def features(
    question: str,
    passages: list[Passage],
    idf: Callable[[str], float],
    grade: bool = True,
    memo: dict | None = None,
) -> list[tuple[float, float, float, float]]:
    """For each passage: its best sentence's coverage of the question, whether it holds a
    candidate of the asked type, that candidate's fit (0 when `grade` is off), keyword soup."""
    q = analyse(question)
    best_cov: dict[int, float] = {}
    quality: dict[int, float] = {}
    for ev in answer.gather(q, passages, idf, memo):
        key = id(ev.passage)
        best_cov[key] = max(best_cov.get(key, 0.0), ev.own_coverage)
        if ev.candidate is not None:
            fit = min(ev.candidate_quality, MAX_QUALITY) if grade else 0.0
            quality[key] = max(quality.get(key, 0.0), fit)
    return [
        (best_cov.get(id(p), 0.0), float(id(p) in quality), quality.get(id(p), 0.0), keyword_soup(p.text))
        for p in passages
    ]


def rerank_weighted(
    question: str,
    passages: list[Passage],
    idf: Callable[[str], float],
    weights: Weights,
    grade: bool = True,
    memo: dict | None = None,
) -> list[Passage]:
    """Fused score plus the weighted features, best first."""
    w = (weights.coverage, weights.typed, weights.fit, -weights.soup)
    scored = [
        replace(p, score=p.score + sum(a * b for a, b in zip(w, f)))
        for p, f in zip(passages, features(question, passages, idf, grade, memo))
    ]
    return sorted(scored, key=lambda p: -p.score)


def rerank(
    question: str,
    passages: list[Passage],
    idf: Callable[[str], float],
    coverage_weight: float,
    typed_weight: float,
    typed_base: float,
    soup_weight: float,
    grade: bool = True,
    memo: dict | None = None,
) -> list[Passage]:
    """Add to each passage's fused score its best sentence's coverage of the question and
    a bonus for a candidate answer of the asked type, graded by how well the candidate
    fits the question; subtract a penalty for keyword blocks. Best first.

    Args:
        question: the question as asked.
        passages: fused candidates (scores on the fusion's scale).
        idf: weight of a folded index term.
        coverage_weight, typed_weight, typed_base, soup_weight: the hand-set form of
            `Weights`: the typed bonus is typed_weight * (typed_base + fit).
        grade: grade the typed bonus by the candidate's fit to the question. Off when the
            caller weighs that fit itself (the answer extractor), so it is not counted twice.
        memo: shared with the answer extractor's `gather` for the same question.
    """
    weights = Weights(coverage_weight, typed_weight * typed_base, typed_weight, soup_weight)
    return rerank_weighted(question, passages, idf, weights, grade, memo)
