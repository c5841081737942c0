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
import time
from pathlib import Path

from tqdm import tqdm

from eval import metrics, report
from rag import Assistant
from rag.errors import RagError

ROOT = Path(__file__).resolve().parent.parent
# Regression gate for the project's own seeds set (eval/questions/seeds.jsonl). Below the
# measured values (README) by a margin, so a real regression fails and noise does not.
# abstention_recall was 0.8 (5 of 6 measured) before "not in the documents" was calibrated on the
# MLQA suite's tune split (README, tune / check): the calibrated decision declines 4 of the 6
# unanswerable seeds questions correctly ("Ai là Chủ tịch UBND quận Tân Bình?" now gets another
# officer) and in exchange stops declining 54-58% of answerable Vietnamese MLQA questions.
GATE = {"answer_accuracy": 0.85, "abstention_recall": 0.65, "citation_accuracy": 0.85, "hit@5": 0.9}


def load_questions(path: Path) -> list[dict]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            row["question"], row.setdefault("answers", []), row.setdefault("sources", [])
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise SystemExit(f"{path}:{n}: not a question record ({exc})") from exc
        row.setdefault("id", f"q{n}")
        row.setdefault("kind", "unanswerable" if not row["answers"] else "other")
        row.setdefault("lang", "vi")
        rows.append(row)
    return rows


def evaluate_one(assistant: Assistant, q: dict) -> dict:
    """Ask one question; score its answer, citations and retrieval."""
    history = q.get("history") or []
    t0 = time.perf_counter()
    trace: dict = {}
    answer = assistant.ask(q["question"], history=history, trace=trace)
    ms = (time.perf_counter() - t0) * 1000
    standalone = answer.rewritten or q["question"]
    ranked = metrics.ranked_sources(assistant.search(standalone, k=20))
    expected = set(q["sources"])
    answerable = bool(q["answers"])
    round_trip = all(
        assistant.source_text(c.source)[c.start : c.end] == c.text
        and assistant.source_text(c.source)[c.quote_start : c.quote_end] == c.quote
        for c in answer.citations
    )
    cited = {c.source for c in answer.citations} | {s for c in answer.citations for s in c.also}
    if answerable:
        correct = answer.found and metrics.answer_matches(answer.text, q["answers"])
    else:
        correct = not answer.found
    return {
        "id": q["id"], "kind": q["kind"], "lang": q["lang"], "question": q["question"], "answers": q["answers"],
        "rewritten": answer.rewritten, "answerable": answerable, "found": answer.found,
        "correct": bool(correct), "answer": answer.text,
        "cited_sources": sorted(cited),
        "citation_ok": (bool(cited & expected) and round_trip) if answerable and answer.found else None,
        "offsets_ok": round_trip,
        "rr": metrics.reciprocal_rank(ranked, expected) if expected else None,
        "hit@1": metrics.hit_at(ranked, expected, 1) if expected else None,
        "hit@5": metrics.hit_at(ranked, expected, 5) if expected else None,
        "latency_ms": round(ms, 1),
        "features": trace,
    }  # fmt: skip


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return round(sum(values) / len(values), 3) if values else None


def summarise(results: list[dict]) -> dict:
    def block(rows):
        return {
            "n": len(rows),
            "answer_accuracy": _mean(r["correct"] for r in rows),
            "answer_on_answerable": _mean(r["correct"] for r in rows if r["answerable"]),
            "found_on_answerable": _mean(r["found"] for r in rows if r["answerable"]),
            "citation_accuracy": _mean(r["citation_ok"] for r in rows),
            "hit@1": _mean(r["hit@1"] for r in rows),
            "hit@5": _mean(r["hit@5"] for r in rows),
            "mrr@10": _mean(r["rr"] for r in rows),
            **metrics.latency([r["latency_ms"] for r in rows]),
        }

    out = block(results)
    confusion = metrics.abstention([not r["answerable"] for r in results], [not r["found"] for r in results])
    out["abstention"] = confusion
    out["abstention_precision"], out["abstention_recall"] = confusion["precision"], confusion["recall"]
    out["offsets_round_trip"] = _mean(r["offsets_ok"] for r in results)
    for key in ("kind", "lang"):
        out[f"by_{key}"] = {
            v: block([r for r in results if r[key] == v]) for v in sorted({r[key] for r in results})
        }
    return out


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
