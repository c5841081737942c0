"""ViQA benchmark: index the pooled corpus, run the dev questions, compare retrievers.

    python -m eval.viqa [--data DIR] [--index-dir DIR]

Rows: the assistant as shipped (hybrid), lexical only, dense only, and a LangChain-style
baseline (the same model, plain cosine top-k); hit@k and MRR@10 count the first passage
whose source is a gold id, and answer recall counts an accepted string in `answer.text`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

from tqdm import tqdm

from eval.metrics import answer_matches, ranked_sources, retrieval_metrics
from rag.assistant import Assistant

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "bench" / "viqa"


def _answer_in_top1(results, questions) -> float:
    """Share of questions whose best passage holds an accepted answer string."""
    hits = sum(bool(r) and answer_matches(r[0].text, q["answers"]) for r, q in zip(results, questions))
    return round(hits / max(len(questions), 1), 3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.viqa")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--index-dir", type=Path, default=Path.home() / ".cache" / "rag-vi" / "viqa-index")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    assistant = Assistant.build([args.data / "corpus.jsonl"], index_dir=args.index_dir, progress=True)
    build_s = time.perf_counter() - t0
    questions = [
        json.loads(line) for line in (args.data / "dev.jsonl").read_text().splitlines() if line.strip()
    ]
    golds = [set(q["gold"]) for q in questions]
    shipped = assistant.retrieval
    # Baselines are plain retrievers: no answer-type re-ranking.
    variants = {
        "assistant (hybrid)": shipped,
        "lexical only (BM25)": replace(shipped, dense_weight=0.0, rerank_depth=0),
        "dense only": replace(shipped, dense_weight=1.0, rerank_depth=0),
    }
    rows = {}
    for name, settings in variants.items():
        assistant.retrieval = settings
        results = [assistant.search(q["question"], k=30) for q in tqdm(questions, desc=name)]
        rows[name] = retrieval_metrics([ranked_sources(r) for r in results], golds)
        rows[name]["answer_in_top1"] = _answer_in_top1(results, questions)
    assistant.retrieval = shipped
    # LangChain-style baseline: FAISS similarity_search = cosine top-k of the same vectors.
    vecs = assistant.embedder.embed_queries([q["question"] for q in questions])
    index = assistant.index
    hits = index.dense_search(vecs, 30)
    top = [[index.passage(r, s) for r, s in h] for h in hits]
    rows["cosine top-k (LangChain-style)"] = retrieval_metrics([ranked_sources(t) for t in top], golds)
    rows["cosine top-k (LangChain-style)"]["answer_in_top1"] = _answer_in_top1(top, questions)
    recall = sum(
        answer_matches(assistant.ask(q["question"]).text, q["answers"])
        for q in tqdm(questions, desc="answers")
    )
    rows["assistant (hybrid)"]["answer_recall"] = round(recall / len(questions), 3)
    best_base = max(v["mrr@10"] for k, v in rows.items() if k != "assistant (hybrid)")
    summary = {
        "questions": len(questions),
        "index_build_s": round(build_s, 1),
        "rows": rows,
        "mrr_ratio_to_best_baseline": round(rows["assistant (hybrid)"]["mrr@10"] / best_base, 3),
    }
    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
        return 0
    print(f"\nViQA dev: {len(questions)} questions, {assistant.passage_count()} passages")
    print("| retriever | hit@1 | hit@5 | hit@10 | MRR@10 | answer in top passage | answer in answer.text |")
    print("|---|---|---|---|---|---|---|")
    for name, m in rows.items():
        print(f"| {name} | {m['hit@1']} | {m['hit@5']} | {m['hit@10']} | {m['mrr@10']} | "
              f"{m['answer_in_top1']} | {m.get('answer_recall', '–')} |")  # fmt: skip
    print(f"ours / best baseline (MRR@10): {summary['mrr_ratio_to_best_baseline']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
