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
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from rag.language.normalize import terms
from rag.records import Passage

# A candidate's fit to the question (proximity + unit + phrase, rag.reading.evidence)
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


class Evidence(Protocol):
    """What the re-ranker reads of one evidence sentence (rag.reading.evidence.Evidence)."""

    passage: Passage
    own_coverage: float
    candidate: object | None
    candidate_quality: float


class Reader(Protocol):
    """Reads passages for one question (rag.reading.evidence.Reader): each passage once."""

    span_model: object | None  # the span reader, or None

    def evidence(self, passages: list[Passage]) -> list[Evidence]: ...

    def spans(self, passages: list[Passage]) -> None: ...

    def span_belief(self, passage: Passage) -> float: ...


def features(
    reader: Reader, passages: list[Passage], grade: bool = True
) -> list[tuple[float, float, float, float]]:
    """For each passage: its best sentence's coverage of the question, whether it holds a
    candidate of the asked type, that candidate's fit (0 when `grade` is off), keyword soup."""
    best_cov: dict[tuple[str, int, int], float] = {}
    quality: dict[tuple[str, int, int], float] = {}
    for ev in reader.evidence(passages):
        key = ev.passage.key
        best_cov[key] = max(best_cov.get(key, 0.0), ev.own_coverage)
        if ev.candidate is not None:
            fit = min(ev.candidate_quality, MAX_QUALITY) if grade else 0.0
            quality[key] = max(quality.get(key, 0.0), fit)
    return [
        (best_cov.get(p.key, 0.0), float(p.key in quality), quality.get(p.key, 0.0), keyword_soup(p.text))
        for p in passages
    ]


def rerank_weighted(
    reader: Reader, passages: list[Passage], weights: Weights, grade: bool = True
) -> list[Passage]:
    """Fused score plus the weighted features, best first.

    `grade`: grade the typed bonus by the candidate's fit to the question; off when the
    caller weighs that fit itself (the answer extractor), so it is not counted twice.
    """
    w = (weights.coverage, weights.typed, weights.fit, -weights.soup)
    scored = [
        replace(p, score=p.score + sum(a * b for a, b in zip(w, f)))
        for p, f in zip(passages, features(reader, passages, grade))
    ]
    return sorted(scored, key=lambda p: -p.score)
