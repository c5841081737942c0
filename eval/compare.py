"""Two suite runs compared question by question, with how likely the difference is chance.

    python -m eval.compare BEFORE AFTER [--side tune|check] [--show N]

BEFORE and AFTER are folders a `python -m eval.suite --out` run wrote. Each question asked in
both (same id, same set) counts once per measure: an accepted answer in `answer.text`, the
right passage first (hit@1) and `found` on answerable questions, and "declined" on unanswerable
ones. Printed per set, side and language: both figures, the questions gained and lost, and the
two-sided exact sign test on them (`sign_test`): the chance of a split at least this uneven if
each changed question were as likely to be gained as lost. A change chosen on tune by two or
three questions of two hundred is within what chance gives (p well above 0.05); this is the
figure to read beside the difference before calling it a gain, on tune and on check alike.
`--show N` lists up to N changed questions of each row.
"""

from __future__ import annotations

import argparse
import sys
from math import comb
from pathlib import Path

from eval.suite import read_results

MEASURES = {  # name: (which questions it is counted on, the value)
    "answer": (lambda r: r["answerable"], lambda r: bool(r["correct"])),
    "hit@1": (lambda r: r["answerable"], lambda r: bool(r["hit@1"])),
    "found": (lambda r: r["answerable"], lambda r: bool(r["found"])),
    "declined": (lambda r: not r["answerable"], lambda r: not r["found"]),
}


def sign_test(gains: int, losses: int) -> float:
    """Two-sided exact sign test: P(a split of the changed questions at least this uneven | each
    change a fair coin). 1.0 when nothing changed.

    >>> sign_test(0, 0), sign_test(3, 3)
    (1.0, 1.0)
    >>> round(sign_test(5, 0), 4), round(sign_test(8, 2), 4)
    (0.0625, 0.1094)
    """
    n = gains + losses
    if not n:
        return 1.0
    tail = sum(comb(n, k) for k in range(min(gains, losses) + 1)) / 2**n
    return min(1.0, 2 * tail)


def paired(before: dict[str, dict], after: dict[str, dict], measure: str) -> dict:
    """Figures of one measure over the questions in both runs that it is counted on."""
    counted, value = MEASURES[measure]
    ids = [k for k in before if k in after and counted(after[k])]
    old = [value(before[k]) for k in ids]
    new = [value(after[k]) for k in ids]
    gained = [k for k, a, b in zip(ids, old, new) if b and not a]
    lost = [k for k, a, b in zip(ids, old, new) if a and not b]
    n = len(ids)
    return {
        "n": n, "before": round(sum(old) / n, 3) if n else None, "after": round(sum(new) / n, 3) if n else None,
        "gained": gained, "lost": lost, "p": round(sign_test(len(gained), len(lost)), 3),
    }  # fmt: skip


def _rows(folder: Path) -> dict[tuple[str, str, str], dict[str, dict]]:
    """(set, side, language) -> {question id: result} of one suite run."""
    out: dict[tuple[str, str, str], dict[str, dict]] = {}
    for name, r in read_results(folder):
        out.setdefault((name, r["side"], r["lang"]), {})[r["id"]] = r
    return out


def compare(before: Path, after: Path, side: str | None = None) -> list[dict]:
    """One row per set, side, language and measure present in both runs."""
    return _compare(_rows(before), _rows(after), side)


def _compare(old: dict, new: dict, side: str | None) -> list[dict]:
    """`compare` over two runs already read by `_rows`."""
    rows = []
    for key in sorted(old.keys() & new.keys()):
        if side and key[1] != side:
            continue
        for measure in MEASURES:
            figures = paired(old[key], new[key], measure)
            if figures["n"]:
                rows.append({"set": key[0], "side": key[1], "lang": key[2], "measure": measure, **figures})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.compare", description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--side", choices=("tune", "check"))
    parser.add_argument("--show", type=int, default=0, help="list up to N changed questions of each row")
    args = parser.parse_args(argv)
    for folder in (args.before, args.after):
        if not any(folder.glob("*.jsonl")):
            parser.error(f"{folder} holds no suite results: run python -m eval.suite --out {folder} first")
    old, new = _rows(args.before), _rows(args.after)
    rows = _compare(old, new, args.side)
    if not rows:
        print("no question was asked in both runs (another side, set or language?)")
        return 1
    questions = {
        k: r["question"] for run in (old, new) for results in run.values() for k, r in results.items()
    }
    print("| set | side | lang | measure | n | before | after | gained | lost | sign test p |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['set']} | {r['side']} | {r['lang']} | {r['measure']} | {r['n']} | {r['before']} | "
              f"{r['after']} | {len(r['gained'])} | {len(r['lost'])} | {r['p']} |")  # fmt: skip
    if args.show:
        for r in rows:
            for sign, ids in (("+", r["gained"]), ("-", r["lost"])):
                for k in ids[: args.show]:
                    print(f"{r['set']} {r['side']} {r['lang']} {r['measure']} {sign} {questions[k]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
