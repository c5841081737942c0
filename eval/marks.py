"""How well the diacritics of an unaccented question are put back (rag/language/marks.py).

    python -m eval.marks [--sets viqa,mlqa,legal] [--side tune] [--set marks.SMOOTHING=5 …]

Every Vietnamese question of the suite's sets (eval/suite.py) is stripped of its marks and
restored from the passages the word index finds for it (`Retriever.read_as`), then compared
word by word with the question as written: the share of its words written back exactly
(case aside), the share of those that had marks, the share of questions restored whole, and
the time `read_as` took.
Nothing but the word index runs, so a setting is tried in seconds; the suite
(`python -m eval.suite --unaccented`) measures what the restoration buys in answers.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time

from eval.split import side
from eval.suite import apply_settings, open_set
from rag.language.normalize import has_diacritics, nfc, strip_marks

_WORD = re.compile(r"\w+")


def score(written: str, restored: str) -> tuple[int, int, int, int]:
    """(words, right, marked words, marked right) of one restored question.

    >>> score("Quận 1 có mấy phường", "quận 1 có máy phường")
    (5, 4, 4, 3)
    """
    want = [w.lower() for w in _WORD.findall(nfc(written))]
    got = [w.lower() for w in _WORD.findall(nfc(restored))]
    if len(want) != len(got):  # the restoration never splits or joins words
        raise ValueError(f"{restored!r} does not align with {written!r}")
    pairs = list(zip(want, got))
    marked = [(a, b) for a, b in pairs if has_diacritics(a)]
    return len(pairs), sum(a == b for a, b in pairs), len(marked), sum(a == b for a, b in marked)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.marks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default="viqa,mlqa,legal")
    parser.add_argument("--side", choices=("tune", "check"), default="tune")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--show", type=int, default=0, help="print this many wrongly restored questions")
    args = parser.parse_args(argv)
    report = {}
    for name in args.sets.split(","):
        assistant, questions = open_set(name)
        apply_settings(assistant, args.set)
        asked = [q for q in questions if q["lang"] == "vi" and side(q["split_key"]) == args.side]
        totals = [0, 0, 0, 0]
        whole, wrong, ms = 0, [], []
        for q in asked:
            t0 = time.perf_counter()
            restored = assistant.retriever.read_as(assistant.index, strip_marks(q["question"]))
            ms.append((time.perf_counter() - t0) * 1000)
            counts = score(q["question"], restored)
            totals = [t + c for t, c in zip(totals, counts)]
            whole += counts[0] == counts[1]
            if counts[0] != counts[1]:
                wrong.append((q["question"], restored))
        words, right, marked, marked_right = totals
        report[name] = {
            "questions": len(asked),
            "words right": round(right / words, 3),
            "marked words right": round(marked_right / marked, 3),
            "questions whole": round(whole / len(asked), 3),
            "median / p95 ms": [round(statistics.median(ms), 1), round(sorted(ms)[int(0.95 * len(ms))], 1)],
        }
        for written, restored in wrong[: args.show]:
            print(f"  {written}\n  {restored}\n")
    print(json.dumps({"side": args.side, "settings": args.set, "sets": report}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
