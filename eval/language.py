"""How well an unaccented question's language is told, on the tune side (the check side printed too).

    python -m eval.language

English questions (MLQA en) should read as "en"; Vietnamese ones with their diacritics
stripped (MLQA vi, ViQA dev: what a user typing without marks sends) as "vi-noaccent".
For each share of non-Vietnamese syllables (rag.reading.question.FOREIGN_SHARE) it prints
the share of each read right; the value is chosen on tune.
"""

from __future__ import annotations

import sys

import rag.reading.question as question
from eval.split import side
from eval.suite import mlqa, unaccented, viqa

SHARES = (0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 1.01)  # 1.01: the word list alone


def main() -> int:
    _, rows = mlqa()
    sets = {
        "en": [(r["question"], side(r["split_key"])) for r in rows if r["lang"] == "en"],
        "vi-noaccent": [(q["question"], side(q["split_key"])) for q in unaccented(rows + viqa())],
    }
    print("| FOREIGN_SHARE | side | English read as en | unaccented Vietnamese read as vi-noaccent |")
    print("|---|---|---|---|")
    for share in SHARES:
        question.FOREIGN_SHARE = share
        for s in ("tune", "check"):
            got = {
                lang: [question.language(q) == lang for q, qs in items if qs == s]
                for lang, items in sets.items()
            }
            en, vi = got["en"], got["vi-noaccent"]
            print(
                f"| {share} | {s} | {sum(en) / len(en):.3f} ({len(en)}) | {sum(vi) / len(vi):.3f} ({len(vi)}) |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
