"""Evaluate the assistant on a question set.

    python -m eval --questions FILE [--index-dir DIR | --corpus PATH…] [--out DIR] [--json]
                   [--gate]

The question file is JSONL: `question`, `answers` (empty: the documents do not hold
the answer), `sources`, optional `kind`, `lang`, `id` and `history` (earlier questions
of a conversation). Writes per-question results (JSONL), a Markdown report and a chart
to --out; `--json` prints the summary on stdout; `--gate` exits 1 when the summary is
under the thresholds printed with it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from tqdm import tqdm

from eval import report
from eval.evaluate import ROOT, evaluate_one, load_questions, summarise
from rag import Assistant
from rag.errors import RagError

# Regression gate for the project's own seeds set (eval/questions/seeds.jsonl). Below the
# measured values (README) by a margin, so a real regression fails and noise does not.
# abstention_recall was 0.8 (5 of 6 measured) before "not in the documents" was calibrated on the
# MLQA suite's tune split (README, tune / check): the calibrated decision declines 4 of the 6
# unanswerable seeds questions correctly ("Ai là Chủ tịch UBND quận Tân Bình?" now gets another
# officer) and in exchange stops declining 54-58% of answerable Vietnamese MLQA questions.
GATE = {"answer_accuracy": 0.85, "abstention_recall": 0.65, "citation_accuracy": 0.85, "hit@5": 0.9}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval", description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "questions" / "seeds.jsonl")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--index-dir", type=Path, default=None, help="default: the project's index/")
    where.add_argument("--corpus", nargs="+", help="documents to index into a temporary index first")
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "results")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--gate", action="store_true", help="exit 1 below the regression thresholds")
    parser.add_argument("--before", action="store_true", help="the rules before issue 12 (a baseline)")
    args = parser.parse_args(argv)
    questions = load_questions(args.questions)
    try:
        if args.corpus:
            index_dir = Path(tempfile.mkdtemp(prefix="rag-eval-")) / "index"
            assistant = Assistant.build(args.corpus, index_dir=index_dir, progress=not args.json)
        else:
            assistant = Assistant.load(args.index_dir or ROOT / "index")
    except RagError as exc:
        print(f"eval: {exc}", file=sys.stderr)
        return 2
    if args.before:
        from eval.suite import use_rules_before_issue_12

        use_rules_before_issue_12(assistant)
    assistant.ask(questions[0]["question"])  # warm up: latency is measured warm
    results = [evaluate_one(assistant, q) for q in tqdm(questions, desc="questions", disable=args.json)]
    summary = summarise(results)
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "results.jsonl").open("w", encoding="utf-8") as f:
        for r in results:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    chart = report.chart(summary, args.out / "summary.png")
    report.markdown(summary, results, args.questions, chart, args.out / "report.md")
    failed = [k for k, v in GATE.items() if (summary.get(k) or 0) < v]
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print(report.text_summary(summary))
        print(f"per-question results: {args.out / 'results.jsonl'}; report: {args.out / 'report.md'}")
    if args.gate:
        line = ", ".join(f"{k} {summary.get(k)} >= {v}" for k, v in GATE.items())
        print(f"gate: {'FAILED' if failed else 'passed'} ({line})", file=sys.stderr)
        return 1 if failed else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
