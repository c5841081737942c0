"""Which evidence sentence answers: boosted trees fit on the tune splits, over what the reader scored.

The reader scores every sentence of the passages it reads (coverage of the question, retrieval
rank, a candidate of the asked type, the span reader's log-odds, ...). How these combine was
set by hand; here a gradient-boosted model (`eval/train_choice.py`: scikit-learn's
HistGradientBoostingClassifier, fit on the answerable *tune* questions of the dev suite, a
sentence a positive when it holds an accepted answer) scores each sentence from them, and the
best one is taken. The trees ship as data (`rag/data/choice.json`) and are read here with numpy,
so nothing trained is unpickled and scikit-learn is not needed to answer.

A sentence's inputs (`record`) are what the `evidence` trace of `python -m eval.suite` holds, so
the trainer reads exactly what the assistant computes. The inputs are computed before the choice,
so any suite run serves as training data, with or without a model in place.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from rag.errors import ModelUnavailableError

CHOICE_FILE = Path(__file__).parent.parent / "data" / "choice.json"
FORMAT = 1
NO_SPAN = -10.0  # log-odds given a sentence the span reader did not read (and the clip below)
MAX_SPAN = 20.0
# How much better (log-odds) the trees must score a sentence than the hand-set reader's choice to
# take it instead. Every margin from 0 to 1.0 chose within one question of the others in
# cross-validation on tune (README, stop 26); the middle one is kept, so that where the trees are
# unsure the hand-set reader's finer reading (a figure's place, its unit) stands.
MARGIN = 0.5

# The inputs, in order: the `answer.selection_features` (SELECTION_FEATURES there; this module
# cannot import answer, which imports it: tests/test_choice.py holds the two equal), then EXTRA.
SELECTED = 11
EXTRA = (
    "typed", "score", "candidate_score", "belief", "span_score", "score_gap", "span_gap",
    "candidate_gap", "score_rank", "span_rank", "english", "any_typed",
)  # fmt: skip
INPUTS = SELECTED + len(EXTRA)


def features(records: list[dict], english: bool) -> np.ndarray:
    """One row per sentence; `records` as the suite's evidence trace holds them.

    >>> r = {"x": [0.0] * 11, "typed": True, "score": 0.5, "candidate_score": 0.4,
    ...      "belief": 0.9, "span_score": None}
    >>> features([r, dict(r, score=0.7, typed=False)], english=False)[:, 11:].round(2).tolist()[1]
    [0.0, 0.7, 0.4, 0.9, -10.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0]
    """
    if not records:
        return np.zeros((0, INPUTS))
    x = np.array([r["x"] for r in records], dtype=float)
    typed = np.array([bool(r["typed"]) for r in records], dtype=float)
    score = np.array([r["score"] for r in records], dtype=float)
    cand = np.array([r["candidate_score"] or 0.0 for r in records], dtype=float)
    belief = np.array([r["belief"] or 0.0 for r in records], dtype=float)
    span = np.array([NO_SPAN if r["span_score"] is None else r["span_score"] for r in records], dtype=float)
    span = np.clip(span, NO_SPAN, MAX_SPAN)
    n = len(records)
    return np.column_stack([
        x, typed, score, cand, belief, span, score - score.max(), span - span.max(), cand - cand.max(),
        _rank(score), _rank(span), np.full(n, float(english)), np.full(n, float(typed.any())),
    ])  # fmt: skip


def _rank(values: np.ndarray) -> np.ndarray:
    """0 for the highest value, 1 for the next, ... (ties by position)."""
    return np.argsort(np.argsort(-values, kind="stable"), kind="stable").astype(float)


def tree_scores(model: dict, rows: np.ndarray) -> np.ndarray:
    """The boosted model's raw score (log-odds) of each row: its baseline plus each tree's leaf.

    A tree is a list of nodes [feature, threshold, left, right, value]; feature -1 is a leaf.
    Rows go left when their feature is <= the threshold. All trees are walked at once.

    >>> stump = [[0, 0.5, 1, 2, 0.0], [-1, 0.0, 0, 0, -1.0], [-1, 0.0, 0, 0, 2.0]]
    >>> tree_scores({"baseline": 0.5, "trees": [stump, [[-1, 0.0, 0, 0, 1.0]]]}, np.array([[0.0], [1.0]])).tolist()
    [0.5, 3.5]
    """
    nodes = model["nodes"] if "nodes" in model else stacked(model["trees"])
    trees = np.arange(len(nodes))[:, None]
    columns = np.arange(len(rows))[None, :]
    at = np.zeros((len(nodes), len(rows)), dtype=int)
    while True:
        node = nodes[trees, at]  # (trees, rows, 5)
        feature = node[..., 0].astype(int)
        inner = feature >= 0
        if not inner.any():
            return float(model["baseline"]) + node[..., 4].sum(axis=0)
        left = rows[columns, np.maximum(feature, 0)] <= node[..., 1]
        at = np.where(inner, np.where(left, node[..., 2], node[..., 3]), at).astype(int)


def stacked(trees: list[list[list[float]]]) -> np.ndarray:
    """The trees as one array (trees, nodes, 5), short trees padded with leaves never reached."""
    out = np.zeros((len(trees), max(map(len, trees)), 5))
    out[..., 0] = -1
    for i, tree in enumerate(trees):
        out[i, : len(tree)] = tree
    return out


@lru_cache(maxsize=1)
def model() -> dict | None:
    """The fitted trees (`rag/data/choice.json`), or None when none were written."""
    if not CHOICE_FILE.exists():
        return None
    data = json.loads(CHOICE_FILE.read_text(encoding="utf-8"))
    if data.get("format") != FORMAT or data.get("inputs") != INPUTS:
        raise ModelUnavailableError(
            f"{CHOICE_FILE} was written for other inputs: fit it again with "
            "`python -m eval.train_choice --results <suite run> --write`"
        )
    return {**data, "nodes": stacked(data["trees"])}


def choose(records: list[dict], english: bool, hand: int, only: list[bool] | None = None) -> int:
    """The sentence to answer from (`overriding` with the fitted trees' scores), or `hand`, the
    hand-set reader's choice, without a model.

    >>> r = {"x": [0.0] * 11, "typed": False, "score": 0.5, "candidate_score": 0.0, "belief": 0.0,
    ...      "span_score": None}
    >>> choose([r, r], english=False, hand=1)
    1
    """
    fitted = model()
    if fitted is None or len(records) < 2:
        return hand
    return overriding(tree_scores(fitted, features(records, english)), hand, MARGIN, only)


def overriding(scores: np.ndarray, hand: int, margin: float, only: list[bool] | None = None) -> int:
    """The best-scored sentence among those allowed (`only`, all by default), when it scores
    `margin` above the hand-set choice `hand`; else `hand`.

    >>> overriding(np.array([0.0, 0.4, 1.0]), 0, 0.5), overriding(np.array([0.0, 0.4, 1.0]), 0, 0.5, [1, 1, 0])
    (2, 0)
    """
    allowed = np.array(only if only is not None else [True] * len(scores), dtype=bool)
    if not allowed.any():
        return hand
    best = int(np.argmax(np.where(allowed, scores, -np.inf)))
    return best if scores[best] > scores[hand] + margin else hand
