"""Fit how evidence sentences are scored, on the tune splits; report the choice it makes.

    python -m eval.train_selection --results DIR

Reads the evidence the reader scored for each answerable question (the `evidence` trace
of `python -m eval.suite`: every sentence of the passages read, with
answer.selection_features and whether it holds a candidate of the asked type). A sentence
is a positive when an accepted answer string occurs in it. Per language group ("vi", "en"),
a linear score is fit on the *tune* questions by maximising the softmax probability of the
positive sentences (L2 0.01, L-BFGS). The reader picks as now: among sentences with a typed
candidate, the best of 0.8 score + 0.2 fit; else the best score. Printed: the share of
questions whose picked sentence holds the answer, with the hand-set scores and the fitted
ones, per side present in DIR. Tried and not kept (eval/figures/selection_fit.md, README); the answering sentence is now
chosen by boosted trees over these features and more (rag/reading/choice.py, eval/train_choice.py,
which replays this module's `pick` for traces that do not hold the rules' choice).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from eval.metrics import answer_matches
from eval.suite import read_results
from rag.reading.answer import CANDIDATE_WEIGHTS, SELECTION_FEATURES

L2 = 0.01


def load(results: Path) -> list[dict]:
    out = []
    for _, r in read_results(results):
        ev = r["features"].get("evidence")
        if not r["answerable"] or not ev:
            continue
        out.append({
            "lang": "en" if r["lang"] == "en" else "vi", "side": r["side"],
            "x": np.array([e["x"] for e in ev]), "typed": np.array([e["typed"] for e in ev]),
            "hand": np.array([e["score"] for e in ev]),
            "y": np.array([answer_matches(e["text"], r["answers"]) for e in ev], dtype=float),
        })  # fmt: skip
    return out


def pick(scores: np.ndarray, row: dict) -> int:
    if row["typed"].any():
        fit = row["x"][:, SELECTION_FEATURES.index("fit")]
        combined = np.where(row["typed"], CANDIDATE_WEIGHTS[0] * scores + CANDIDATE_WEIGHTS[1] * fit, -np.inf)
        return int(np.argmax(combined))
    return int(np.argmax(scores))


def accuracy(rows: list[dict], theta: np.ndarray | None) -> float:
    hits = [r["y"][pick(r["hand"] if theta is None else r["x"] @ theta, r)] for r in rows]
    return round(float(np.mean(hits)), 3) if hits else float("nan")


def _loss(theta, data):
    loss, grad = L2 * theta @ theta, 2 * L2 * theta
    for x, y in data:
        s = x @ theta
        p = np.exp(s - s.max())
        p /= p.sum()
        mass = max((p * y).sum(), 1e-12)
        loss -= np.log(mass) / len(data)
        grad -= ((p * y) / mass - p) @ x / len(data)
    return float(loss), grad


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eval.train_selection", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--results", type=Path, required=True)
    args = parser.parse_args(argv)
    rows = load(args.results)
    weights = {}
    print("| lang | side | n | answer in the picked sentence: hand-set | fitted |")
    print("|---|---|---|---|---|")
    for lang in ("vi", "en"):
        tune = [r for r in rows if r["lang"] == lang and r["side"] == "tune"]
        data = [(r["x"], r["y"]) for r in tune if r["y"].any()]
        theta = minimize(
            _loss, np.zeros(len(SELECTION_FEATURES)), args=(data,), jac=True, method="L-BFGS-B"
        ).x
        weights[lang] = {k: round(float(v), 5) for k, v in zip(SELECTION_FEATURES, theta)}
        for side in ("tune", "check"):
            sub = [r for r in rows if r["lang"] == lang and r["side"] == side]
            if sub:
                print(f"| {lang} | {side} | {len(sub)} | {accuracy(sub, None)} | {accuracy(sub, theta)} |")
        reachable = np.mean([r["y"].any() for r in tune]) if tune else float("nan")
        print(f"  {lang}: answer in some sentence read (tune): {reachable:.3f}; weights {weights[lang]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
