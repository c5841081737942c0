"""The evaluation itself: load a question set, ask each question, score the answer, its
citations and the retrieval, summarise. `python -m eval` (eval/__main__.py) is its CLI;
eval/sweep.py, eval/suite.py and the benches import it."""

from __future__ import annotations

import json
import time
from pathlib import Path

from eval import metrics
from rag import Assistant

ROOT = Path(__file__).resolve().parent.parent


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
        # How well the short answer alone answers (0 when declined or without one): item 6 of
        # issue 12 asks for the span that answers, not only its sentence.
        "short_f1": (metrics.token_f1(metrics.short_answer(answer.text), q["answers"]) if answer.found else 0.0)
        if answerable else None,
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
            "short_f1_on_answerable": _mean(r.get("short_f1") for r in rows if r["answerable"]),
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
