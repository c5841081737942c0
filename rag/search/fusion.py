"""Fuse ranked lists from several retrievers into one ranking (pure functions)."""

from __future__ import annotations

import numpy as np

METHODS = ("zscore", "rrf", "convex")


def rrf(
    rankings: list[list[tuple[int, float]]], weights: list[float], k: int = 60
) -> list[tuple[int, float]]:
    """Weighted reciprocal rank fusion: sum of w / (k + rank) over the lists.

    >>> rrf([[(7, 0.9), (3, 0.5)], [(3, 12.0)]], [1.0, 1.0], k=60)
    [(3, 0.03252247488101534), (7, 0.01639344262295082)]
    """
    fused: dict[int, float] = {}
    for ranking, w in zip(rankings, weights):
        for rank, (row, _) in enumerate(ranking, 1):
            fused[row] = fused.get(row, 0.0) + w / (k + rank)
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))


def _normalised(ranking: list[tuple[int, float]]) -> dict[int, float]:
    """Scores divided by the list's best score (0 for a missing row, 1 for the top).

    Max scaling keeps how far apart the candidates are, which min-max over a short
    top-k list exaggerates (the k-th passage would always be worth zero).
    """
    if not ranking:
        return {}
    top = max(score for _, score in ranking)
    if top <= 0:
        return {row: 0.0 for row, _ in ranking}
    return {row: max(score, 0.0) / top for row, score in ranking}


def convex(rankings: list[list[tuple[int, float]]], weights: list[float]) -> list[tuple[int, float]]:
    """Weighted sum of max-normalised scores (a row absent from a list scores 0 there).

    >>> convex([[(1, 0.8), (2, 0.4)], [(2, 10.0), (1, 5.0)]], [0.5, 0.5])
    [(1, 0.75), (2, 0.75)]
    """
    fused: dict[int, float] = {}
    for ranking, w in zip(rankings, weights):
        for row, score in _normalised(ranking).items():
            fused[row] = fused.get(row, 0.0) + w * score
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))


def zscore(scores: list[dict[int, float]], weights: list[float]) -> list[tuple[int, float]]:
    """Weighted sum of scores standardised over the candidate pool.

    Each retriever scores every candidate of the pool (the union of their top lists),
    so nothing is imputed. Standardising puts cosine similarities packed in 0.75-0.9
    and BM25 scores spread over 0-40 on one scale without letting one outlier set it,
    which max or min-max scaling over a short list does.

    >>> zscore([{1: 0.9, 2: 0.8, 3: 0.7}, {1: 0.0, 2: 10.0, 3: 5.0}], [0.5, 0.5])[0][0]
    2
    """
    rows = sorted(set().union(*scores))
    fused = np.zeros(len(rows))
    for table, w in zip(scores, weights):
        values = np.array([table.get(r, 0.0) for r in rows], dtype=float)
        std = values.std()
        if std > 0:
            fused += w * (values - values.mean()) / std
    order = np.lexsort((rows, -fused))
    return [(rows[i], float(fused[i])) for i in order]


def fuse(
    method: str, rankings: list[list[tuple[int, float]]], weights: list[float]
) -> list[tuple[int, float]]:
    if method == "zscore":
        return zscore([dict(r) for r in rankings], weights)
    if method == "rrf":
        return rrf(rankings, weights)
    if method == "convex":
        return convex(rankings, weights)
    raise ValueError(f"unknown fusion method {method!r}; choose one of {', '.join(METHODS)}")
