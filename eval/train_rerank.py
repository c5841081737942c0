"""Fit the re-ranker's weights on the tune splits (listwise logistic), report tune and check.

    python -m eval.train_rerank [--write]

For each question of ViQA dev and the MLQA suite (answerable, Vietnamese and English),
the fused top 30 (no re-ranking) and the re-ranker's features of each passage
(rag.search.rerank.features: best-sentence coverage, typed candidate, its fit, keyword soup) are
computed once (cached). Per language ("vi", "en"), the weights of the linear score
fused + w·features are fit on the *tune* questions two ways: by maximising the softmax
probability of the gold passages among the 30 (L2 0.01, L-BFGS; the fused coefficient
divided out), and by an exhaustive grid over the four weights maximising tune
hit@1 + 0.5 MRR@5 directly. The one with the better tune objective is kept. hit@1 / hit@5
by source are printed for the hand-set, softmax and grid weights on tune and on check;
`--write` stores the kept weights in rag/data/rerank_weights.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import pickle
import sys
from dataclasses import replace

import numpy as np
from scipy.optimize import minimize

from eval.split import side
from eval.suite import open_set
from rag.assistant import RetrievalSettings
from rag.model.e5model import cache_root
from rag.reading.question import language
from rag.search.rerank import FEATURES, WEIGHTS_FILE

DEPTH = 30
L2 = 0.01


def collect() -> list[dict]:
    cached = cache_root() / "suite" / "rerank-rows.pkl"
    if cached.exists():
        return pickle.loads(cached.read_bytes())
    rows = []
    for name in ("viqa", "mlqa"):
        assistant, questions = open_set(name)
        assistant.retrieval = replace(RetrievalSettings(), rerank_depth=0)
        from rag.reading.evidence import Reader
        from rag.search.rerank import features

        for q in questions:
            if not q["sources"]:
                continue
            passages = assistant.search(q["question"], k=DEPTH)
            feats = features(Reader(q["question"], assistant.index.idf), passages, grade=True)
            rows.append({
                "set": name, "lang": "en" if language(q["question"]) == "en" else "vi",
                "side": side(q["split_key"]),
                "x": [[p.score, *f] for p, f in zip(passages, feats)],
                "y": [p.source in q["sources"] for p in passages],
                "sources": [p.source for p in passages],
            })  # fmt: skip
    cached.write_bytes(pickle.dumps(rows))
    return rows


def _loss(theta: np.ndarray, data: list[tuple[np.ndarray, np.ndarray]]) -> tuple[float, np.ndarray]:
    loss, grad = L2 * theta @ theta, 2 * L2 * theta
    for x, y in data:
        s = x @ theta
        s = s - s.max()
        p = np.exp(s) / np.exp(s).sum()
        pg = p * y / max((p * y).sum(), 1e-12)
        loss -= np.log(max((p * y).sum(), 1e-12)) / len(data)
        grad -= (pg - p) @ x / len(data)
    return float(loss), grad


def fit(rows: list[dict]) -> np.ndarray:
    data = [(np.array(r["x"]), np.array(r["y"], dtype=float)) for r in rows if any(r["y"])]
    start = np.array([1.0, 2.0, 0.75, 1.5, -1.0])  # the hand-set weights
    res = minimize(_loss, start, args=(data,), jac=True, method="L-BFGS-B")
    return res.x


GRID = {
    "coverage": (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0),
    "typed": (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0),
    "fit": (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0),
    "soup": (0.0, 0.5, 1.0, 2.0),
}


def objective(rows: list[dict], thetas: np.ndarray) -> np.ndarray:
    """hit@1 + 0.5 MRR@5 (by passage) of each weight vector (rows of `thetas`), vectorised."""
    total = np.zeros(len(thetas))
    for r in rows:
        x, y = np.array(r["x"]), np.array(r["y"], dtype=bool)
        scores = x @ thetas.T  # passages x settings
        best_gold = np.where(y[:, None], scores, -np.inf).max(0)
        rank = (scores > best_gold[None, :]).sum(0)  # passages above the best gold one
        total += (rank == 0) + 0.5 * np.where(rank < 5, 1.0 / (rank + 1), 0.0)
    return total / max(len(rows), 1)


def grid_fit(rows: list[dict]) -> tuple[np.ndarray, float]:
    rows = [r for r in rows if any(r["y"])]
    combos = np.array([(1.0, c, t, f, -s) for c, t, f, s in itertools.product(*GRID.values())])
    values = objective(rows, combos)
    hand = np.array([1.0, 2.0, 0.75, 1.5, -1.0])
    # ties go to the weights nearest the hand-set ones
    order = np.lexsort((np.abs(combos - hand).sum(1), -values))
    return combos[order[0]], float(values[order[0]])


def hits(rows: list[dict], theta: np.ndarray) -> dict[str, float]:
    out = {"hit@1": 0.0, "hit@5": 0.0}
    for r in rows:
        order = np.argsort(-(np.array(r["x"]) @ theta), kind="stable")
        ranked = list(dict.fromkeys(r["sources"][i] for i in order))
        gold = {s for s, y in zip(r["sources"], r["y"]) if y}
        out["hit@1"] += bool(set(ranked[:1]) & gold)
        out["hit@5"] += bool(set(ranked[:5]) & gold)
    return {k: round(v / max(len(rows), 1), 3) for k, v in out.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.train_rerank", description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    rows = collect()
    hand = np.array([1.0, 2.0, 0.75, 1.5, -1.0])
    weights = {}
    print("| lang | set | side | n | hand-set hit@1 / hit@5 | softmax-fit | grid-fit |")
    print("|---|---|---|---|---|---|---|")
    for lang in ("vi", "en"):
        tune = [r for r in rows if r["lang"] == lang and r["side"] == "tune"]
        soft = fit(tune)
        soft = soft / soft[0]
        grid, _ = grid_fit(tune)
        scored = {name: float(objective([r for r in tune if any(r["y"])], t[None, :])[0])
                  for name, t in (("hand-set", hand), ("softmax", soft), ("grid", grid))}  # fmt: skip
        print(f"{lang}: tune objective (hit@1 + 0.5 MRR@5)", {k: round(v, 4) for k, v in scored.items()})
        theta = soft if scored["softmax"] >= scored["grid"] else grid
        w = theta[1:] / theta[0]
        weights[lang] = {"coverage": w[0], "typed": w[1], "fit": w[2], "soup": -w[3]}
        for name in ("viqa", "mlqa"):
            for sname in ("tune", "check"):
                sub = [r for r in rows if r["lang"] == lang and r["set"] == name and r["side"] == sname]
                if sub:
                    h, so, g = hits(sub, hand), hits(sub, soft), hits(sub, grid)
                    print(f"| {lang} | {name} | {sname} | {len(sub)} | {h['hit@1']} / {h['hit@5']} | "
                          f"{so['hit@1']} / {so['hit@5']} | {g['hit@1']} / {g['hit@5']} |")  # fmt: skip
    weights = {lang: {k: round(float(v), 4) for k, v in w.items()} for lang, w in weights.items()}
    print(json.dumps(weights))
    if args.write:
        WEIGHTS_FILE.parent.mkdir(exist_ok=True)
        WEIGHTS_FILE.write_text(json.dumps({
            "features": list(FEATURES),
            "trained_by": "python -m eval.train_rerank --write",
            "data": "tune splits of ViQA dev and the MLQA suite (eval/DATA.md), answerable questions, "
                    "fused top 30 per question; the better on tune of a listwise softmax fit and a grid "
                    "search of hit@1 + 0.5 MRR@5; the fused score counts 1",
            "weights": weights,
        }, indent=2) + "\n", encoding="utf-8")  # fmt: skip
        print(f"wrote {WEIGHTS_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
