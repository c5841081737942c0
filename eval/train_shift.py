"""The embedding model's English -> Vietnamese direction, from parallel sentences.

    python -m eval.train_shift [--pairs eval/data/parallel/tatoeba_eng_vie.tsv.gz ...] [--write]

Both sides of every pair are embedded as questions (`query: `); the direction is the mean
Vietnamese vector less the mean English one (`rag/model/crosslingual.py` says why). Printed:
the dense search alone (no word index, no re-ranking) over the MLQA suite's corpus, for the
answerable English questions of tune and check and the Vietnamese ones beside them, at several
weights of the direction; the weight the assistant uses is chosen end to end on tune
(`python -m eval.suite --side tune --set retrieval.english_shift=W`, README). `--write` stores the
direction with the model's fingerprint in rag/data/en_vi_shift.json.
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

import numpy as np

from eval.split import side
from eval.suite import open_set
from rag.model.crosslingual import SHIFT_FILE, moved

ROOT = Path(__file__).resolve().parent.parent
PAIRS = ROOT / "eval" / "data" / "parallel" / "tatoeba_eng_vie.tsv.gz"
WEIGHTS = (0.0, 0.5, 1.0, 1.5)


def read_pairs(path: Path) -> list[tuple[str, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f]
    return [(r[0], r[1]) for r in rows if len(r) >= 2 and r[0].strip() and r[1].strip()]


def dense_ranks(assistant, rows: list[dict], vectors: np.ndarray, depth: int = 50) -> list[int | None]:
    """The rank of each question's first gold passage in the dense search alone (None: not in `depth`)."""
    index = assistant._index
    found = index.dense_search(vectors, depth)
    out = []
    for r, hits in zip(rows, found):
        ranks = [i for i, (row, _) in enumerate(hits) if index.passage(row).source in r["sources"]]
        out.append(ranks[0] if ranks else None)
    return out


def summary(ranks: list[int | None]) -> str:
    n = len(ranks)
    hit1 = sum(r == 0 for r in ranks) / n
    hit5 = sum(r is not None and r < 5 for r in ranks) / n
    mrr = sum(1 / (r + 1) for r in ranks if r is not None) / n
    return f"n {n}  hit@1 {hit1:.3f}  hit@5 {hit5:.3f}  MRR {mrr:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--pairs", type=Path, nargs="+", default=[PAIRS], help="TSV files: English, Vietnamese, …"
    )
    parser.add_argument(
        "--write", action="store_true", help="store the direction in rag/data/en_vi_shift.json"
    )
    args = parser.parse_args(argv)

    pairs = [p for path in args.pairs for p in read_pairs(path)]
    assistant, questions = open_set("mlqa")
    embedder = assistant.embedder
    english = embedder.embed_queries([en for en, _ in pairs])
    vietnamese = embedder.embed_queries([vi for _, vi in pairs])
    direction = (vietnamese.mean(axis=0) - english.mean(axis=0)).astype(np.float32)
    print(f"{len(pairs)} pairs; direction norm {np.linalg.norm(direction):.3f}")

    entry = {"model_fingerprint": embedder.fingerprint, "pairs": len(pairs),
             "sources": [str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else p.name for p in args.pairs],
             "vector": [round(float(x), 6) for x in direction]}  # fmt: skip
    answerable = [r for r in questions if r["answers"] and r.get("paired", True)]
    for split in ("tune", "check"):
        for lang in ("vi", "en"):
            rows = [r for r in answerable if r["lang"] == lang and side(r["split_key"]) == split]
            raw = embedder.embed_queries([r["question"] for r in rows])
            for weight in WEIGHTS if lang == "en" else (0.0,):
                vectors = moved(raw, direction, weight) if weight else raw  # this direction, written or not
                print(f"{split} {lang} weight {weight}: {summary(dense_ranks(assistant, rows, vectors))}")
    if args.write:
        SHIFT_FILE.write_text(json.dumps({"models": [entry]}) + "\n", encoding="utf-8")
        print(f"wrote {SHIFT_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
