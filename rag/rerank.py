"""Answer-type aware re-ranking of fused candidates (pure scoring over the passages).

A passage that only restates the question (a headline: "Tổng thống Brazil - Tìm kiếm")
ranks high on similarity but cannot answer it; one with a candidate of the asked type
(a person's name for "ai", a figure for "bao nhiêu") next to the question's words can.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from rag import answer
from rag.question import analyse
from rag.records import Passage


def rerank(
    question: str,
    passages: list[Passage],
    idf: Callable[[str], float],
    coverage_weight: float,
    typed_weight: float,
) -> list[Passage]:
    """Add to each passage's fused score its best sentence's coverage of the question
    and a bonus when it holds a candidate answer of the asked type; best first.

    Args:
        question: the question as asked.
        passages: fused candidates (scores on the fusion's scale).
        idf: weight of a folded index term.
        coverage_weight, typed_weight: chosen on the dev sets (eval/sweep.py).
    """
    q = analyse(question)
    best_cov: dict[int, float] = {}
    typed: set[int] = set()
    for ev in answer.gather(q, passages, idf):
        key = id(ev.passage)
        best_cov[key] = max(best_cov.get(key, 0.0), ev.own_coverage)
        if ev.candidate is not None:
            typed.add(key)
    scored = [
        replace(
            p, score=p.score + coverage_weight * best_cov.get(id(p), 0.0) + typed_weight * (id(p) in typed)
        )
        for p in passages
    ]
    return sorted(scored, key=lambda p: -p.score)
