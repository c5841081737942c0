"""Choose chunking and fusion by measurement on both dev sets.

    python -m eval.sweep [--data DIR] [--chunks 300:50,600:100,1000:150] [--skip-chunks]

For each chunk size/overlap it builds (and caches) a seeds index and a ViQA index, then
reports retrieval (hit@1, hit@5, MRR@10 by source) and answers (seeds accuracy, ViQA
answer recall). The fusion grid (method x dense weight, re-ranking on/off) runs on the
shipped chunking without re-embedding anything.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from eval.evaluate import ROOT, evaluate_one, load_questions, summarise
from eval.metrics import answer_matches, ranked_sources, retrieval_metrics
from eval.viqa import DEFAULT_DATA
from rag.assistant import Assistant, RetrievalSettings
from rag.model.e5model import cache_root


def measure(
    seeds: Assistant, viqa: Assistant, seeds_q: list[dict], viqa_q: list[dict], answers: bool
) -> dict:
    s = summarise([evaluate_one(seeds, q) for q in seeds_q]) if answers else None
    ranked = [ranked_sources(viqa.search(q["question"], k=30)) for q in viqa_q]
    row = {f"viqa_{k}": v for k, v in retrieval_metrics(ranked, [set(q["gold"]) for q in viqa_q]).items()}
    if answers:
        row["viqa_answer_recall"] = round(
            sum(answer_matches(viqa.ask(q["question"]).text, q["answers"]) for q in viqa_q) / len(viqa_q), 3
        )
        row |= {
            "seeds_accuracy": s["answer_accuracy"],
            "seeds_hit@1": s["hit@1"],
            "seeds_mrr@10": s["mrr@10"],
        }
    else:
        seeds_ranked = [ranked_sources(seeds.search(q["question"], k=20)) for q in seeds_q if q["sources"]]
        golds = [set(q["sources"]) for q in seeds_q if q["sources"]]
        row |= {
            f"seeds_{k}": v
            for k, v in retrieval_metrics(seeds_ranked, golds).items()
            if k in ("hit@1", "mrr@10")
        }
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.sweep")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--chunks", default="300:50,600:100,1000:150")
    parser.add_argument("--skip-chunks", action="store_true")
    args = parser.parse_args(argv)
    seeds_q = load_questions(ROOT / "eval" / "questions" / "seeds.jsonl")
    viqa_q = [json.loads(line) for line in (args.data / "dev.jsonl").read_text().splitlines() if line.strip()]
    cache = cache_root() / "sweep"
    shipped = RetrievalSettings()

    def open_pair(size: int, overlap: int) -> tuple[Assistant, Assistant]:
        seeds = Assistant.build(
            [ROOT / "seeds"], cache / f"seeds-{size}-{overlap}", chunk_size=size, chunk_overlap=overlap
        )
        viqa = Assistant.build([args.data / "corpus.jsonl"], cache / f"viqa-{size}-{overlap}",
                               chunk_size=size, chunk_overlap=overlap, progress=True)  # fmt: skip
        return seeds, viqa

    if not args.skip_chunks:
        print("| chunk size:overlap | " + " | ".join(["viqa hit@1", "hit@5", "MRR@10", "answer recall",
                                                     "seeds accuracy", "seeds hit@1"]) + " |")  # fmt: skip
        print("|---|---|---|---|---|---|---|")
        for spec in args.chunks.split(","):
            size, overlap = map(int, spec.split(":"))
            r = measure(*open_pair(size, overlap), seeds_q, viqa_q, answers=True)
            print(f"| {size}:{overlap} | {r['viqa_hit@1']} | {r['viqa_hit@5']} | {r['viqa_mrr@10']} | "
                  f"{r['viqa_answer_recall']} | {r['seeds_accuracy']} | {r['seeds_hit@1']} |", flush=True)  # fmt: skip

    seeds, viqa = open_pair(600, 100)
    print("\n| fusion | dense weight | re-rank | viqa hit@1 | hit@5 | MRR@10 | seeds hit@1 | seeds MRR@10 |")
    print("|---|---|---|---|---|---|---|---|")
    grid = [("rrf", w, 0) for w in (0.5, 0.7)] + [("convex", w, 0) for w in (0.5, 0.8)]
    grid += [("zscore", w, d) for w in (0.6, 0.7, 0.8, 0.9) for d in (0, shipped.rerank_depth)]
    for method, weight, depth in grid:
        settings = replace(shipped, method=method, dense_weight=weight, rerank_depth=depth)
        seeds.retrieval = viqa.retrieval = settings
        r = measure(seeds, viqa, seeds_q, viqa_q, answers=False)
        print(f"| {method} | {weight} | {'yes' if depth else 'no'} | {r['viqa_hit@1']} | {r['viqa_hit@5']} | "
              f"{r['viqa_mrr@10']} | {r['seeds_hit@1']} | {r['seeds_mrr@10']} |", flush=True)  # fmt: skip

    # The re-ranker's parts, each taken away in turn from the shipped settings; answers too,
    # since the answer stage reads the same candidates.
    print("\n| re-ranker | viqa hit@1 | hit@5 | MRR@10 | answer recall | seeds accuracy |")
    print("|---|---|---|---|---|---|")
    ablations = {
        "shipped": {},
        "no keyword-block penalty": {"soup_weight": 0.0},
        "typed bonus not graded by fit": {"typed_base": 1.0, "grade_candidates": False},
        "coverage weight 0.5": {"coverage_weight": 0.5},
        "no re-ranking": {"rerank_depth": 0},
    }
    for name, change in ablations.items():
        seeds.retrieval = viqa.retrieval = replace(shipped, **change)
        r = measure(seeds, viqa, seeds_q, viqa_q, answers=True)
        print(f"| {name} | {r['viqa_hit@1']} | {r['viqa_hit@5']} | {r['viqa_mrr@10']} | "
              f"{r['viqa_answer_recall']} | {r['seeds_accuracy']} |", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
