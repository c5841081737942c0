"""Fit which evidence sentence answers (rag/reading/choice.py) on the tune splits.

    python -m eval.train_choice --results DIR [DIR ...] [--write]

Reads the `evidence` trace of `python -m eval.suite` runs (every sentence of the passages
read, with what the reader scored before any choice). A sentence is a positive when an accepted answer string occurs in it; only
answerable questions the assistant answered, with some evidence, are read. Trees are fit on
the *tune* questions of every set and language together (scikit-learn's
HistGradientBoostingClassifier); their size is chosen by 5-fold cross-validation on tune,
folds by question (a question's Vietnamese and English forms in one fold), 3 shuffles.

Printed per set and language: the questions whose chosen sentence holds an answer, as the
hand-set reader chose (replayed from the trace) and by the trees; on tune by cross-validation
(for each size, then for the chosen size at each margin the trees must clear over the hand-set
choice), on check (when DIR holds it) by the trees fit on all of tune at choice.MARGIN. `--write` stores
the trees in rag/data/choice.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from eval.metrics import answer_matches
from eval.suite import read_results
from eval.train_selection import pick
from rag.reading import choice
from rag.reading.answer import SPAN_WEIGHT

# (trees, depth, learning rate, smallest leaf); the first is the default the others must beat.
GRID = ((100, 3, 0.05, 20), (200, 2, 0.05, 20), (60, 4, 0.05, 30), (200, 3, 0.03, 40))
MARGINS = (0.0, 0.25, 0.5, 1.0, 1.5)
FOLDS = 5
SHUFFLES = 3


def load(dirs: list[Path]) -> list[dict]:
    rows = []
    for d in dirs:
        for name, r in read_results(d):
            ev = r["features"].get("evidence")
            if not r["answerable"] or not r["found"] or not ev:
                continue
            english = r["lang"] == "en"
            # The hand-set choice and the sentences allowed as the assistant made them (traced since
            # stop 27); replayed from the scores for older traces.
            made = r["features"].get("choice") or {"hand": _hand(ev, english), "only": None}
            rows.append({
                "set": name, "lang": "en" if english else "vi", "side": r["side"],
                "group": f"{name}:{r['id'].removesuffix('-en').removesuffix('-vi')}",
                "x": choice.features(ev, english), "hand": made["hand"], "only": made["only"],
                "y": np.array([answer_matches(e["text"], r["answers"]) for e in ev], dtype=float),
            })  # fmt: skip
    return rows


def _hand(ev: list[dict], english: bool) -> int:
    """The sentence the hand-set reader takes, replayed for a trace that does not hold it (before stop
    27): train_selection's pick over the scores with the span belief, without answer.compose's
    untyped-sentence margin."""
    lang = "en" if english else "vi"
    score = np.array([e["score"] + SPAN_WEIGHT[lang] * (e["belief"] or 0.0) for e in ev])
    return pick(score, {"typed": np.array([e["typed"] for e in ev]), "x": np.array([e["x"] for e in ev])})


def fit(rows: list[dict], params: tuple):
    from sklearn.ensemble import HistGradientBoostingClassifier

    trees, depth, rate, leaf = params
    clf = HistGradientBoostingClassifier(
        max_iter=trees, max_depth=depth, learning_rate=rate, min_samples_leaf=leaf, random_state=0
    )
    return clf.fit(np.vstack([r["x"] for r in rows]), np.concatenate([r["y"] for r in rows]))


def export(clf) -> dict:
    """The fitted trees as plain lists (choice.tree_scores reads them)."""
    trees = []
    for (predictor,) in clf._predictors:
        nodes = predictor.nodes
        trees.append([
            [-1 if n["is_leaf"] else int(n["feature_idx"]), float(n["num_threshold"]),
             int(n["left"]), int(n["right"]), float(n["value"])]
            for n in nodes
        ])  # fmt: skip
    return {"baseline": float(np.ravel(clf._baseline_prediction)[0]), "trees": trees}


def cross_validated(rows: list[dict], params: tuple, margins=(0.0,)) -> dict[float, Counter]:
    """Per margin (choice.MARGIN): questions whose chosen sentence holds an answer, per (set, lang),
    summed over the shuffles."""
    groups = sorted({r["group"] for r in rows})
    hits = {m: Counter() for m in margins}
    for seed in range(SHUFFLES):
        fold = {g: i % FOLDS for i, g in enumerate(np.random.default_rng(seed).permutation(groups))}
        for f in range(FOLDS):
            model = export(fit([r for r in rows if fold[r["group"]] != f], params))
            for r in rows:
                if fold[r["group"]] == f:
                    scores = choice.tree_scores(model, r["x"])
                    for m in margins:
                        hits[m][r["set"], r["lang"]] += r["y"][
                            choice.overriding(scores, r["hand"], m, r["only"])
                        ]
    return hits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.train_choice", description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, nargs="+", required=True)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    rows = load(args.results)
    tune = [r for r in rows if r["side"] == "tune"]
    check = [r for r in rows if r["side"] == "check"]
    keys = sorted({(r["set"], r["lang"]) for r in tune})
    count = Counter((r["set"], r["lang"]) for r in tune)
    hand = Counter()
    for r in tune:
        hand[r["set"], r["lang"]] += r["y"][r["hand"]]
    print("tune, cross-validated: the chosen sentence holds an answer (questions of", dict(count), ")")
    print("| trees, depth, rate, leaf | " + " | ".join(f"{s} {lang}" for s, lang in keys) + " | all |")
    print("|---|" + "---|" * (len(keys) + 1))
    print("| hand-set | " + " | ".join(f"{hand[k]:.0f}" for k in keys) + f" | {sum(hand.values()):.0f} |")
    best, best_total = None, -1.0
    for params in GRID:
        hits = cross_validated(tune, params)[0.0]
        total = sum(hits.values()) / SHUFFLES
        print(f"| {params} | " + " | ".join(f"{hits[k] / SHUFFLES:.1f}" for k in keys) + f" | {total:.1f} |")
        if total > best_total:
            best, best_total = params, total
    print(f"chosen: {best}; taken only when it scores a margin above the hand-set choice (choice.MARGIN):")
    for m, hits in cross_validated(tune, best, MARGINS).items():
        print(f"| margin {m} | " + " | ".join(f"{hits[k] / SHUFFLES:.1f}" for k in keys)
              + f" | {sum(hits.values()) / SHUFFLES:.1f} |")  # fmt: skip
    model = export(fit(tune, best))
    if check:
        print("check, trees fit on all of tune: | set lang | n | hand-set | trees |")
        for k in sorted({(r["set"], r["lang"]) for r in check}):
            sub = [r for r in check if (r["set"], r["lang"]) == k]
            trees = sum(
                r["y"][
                    choice.overriding(choice.tree_scores(model, r["x"]), r["hand"], choice.MARGIN, r["only"])
                ]
                for r in sub
            )
            print(f"| {k[0]} {k[1]} | {len(sub)} | {sum(r['y'][r['hand']] for r in sub):.0f} | {trees:.0f} |")
    if args.write:
        choice.CHOICE_FILE.write_text(json.dumps({
            "format": choice.FORMAT, "inputs": tune[0]["x"].shape[1],
            "trained_by": "python -m eval.train_choice --results <suite runs, tune side> --write",
            "data": "evidence sentences of the answerable tune questions the assistant answered, ViQA dev and "
                    "the MLQA suite in Vietnamese and English (eval/DATA.md); positive: an accepted answer "
                    "string in the sentence",
            "params": dict(zip(("trees", "depth", "learning_rate", "min_samples_leaf"), best)),
            **model,
        }) + "\n", encoding="utf-8")  # fmt: skip
        print(f"wrote {choice.CHOICE_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
