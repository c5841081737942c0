"""Answer-type aware re-ranking of fused candidates (pure scoring over the passages).

A passage that only restates the question (a headline: "Tổng thống Brazil - Tìm kiếm")
ranks high on similarity but cannot answer it; one with a candidate of the asked type
(a person's name for "ai", a figure for "bao nhiêu") next to the question's words can.
Web pages also carry keyword blocks and tag lines ("Tổng thống Iran / Hassan Rouhani /
Tehran / …") that match every word of a question and state nothing: they are pushed down.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from rag import answer
from rag.normalize import terms
from rag.question import analyse
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
        coverage_weight, typed_weight, typed_base, soup_weight: chosen on the dev sets
            (eval/sweep.py): the typed bonus is typed_weight * (typed_base + quality).
        grade: grade the typed bonus by the candidate's fit to the question. Off when the
            caller weighs that fit itself (the answer extractor), so it is not counted twice.
        memo: shared with the answer extractor's `gather` for the same question.
    """
    q = analyse(question)
    best_cov: dict[int, float] = {}
    quality: dict[int, float] = {}
    for ev in answer.gather(q, passages, idf, memo):
        key = id(ev.passage)
        best_cov[key] = max(best_cov.get(key, 0.0), ev.own_coverage)
        if ev.candidate is not None:
            fit = min(ev.candidate_quality, MAX_QUALITY) if grade else 0.0
            quality[key] = max(quality.get(key, 0.0), fit)
    scored = []
    for p in passages:
        key = id(p)
        typed = typed_weight * (typed_base + quality[key]) if key in quality else 0.0
        bonus = coverage_weight * best_cov.get(key, 0.0) + typed - soup_weight * keyword_soup(p.text)
        scored.append(replace(p, score=p.score + bonus))
    return sorted(scored, key=lambda p: -p.score)
