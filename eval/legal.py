"""Legal retrieval: article hit@1/hit@5 with structure-aware chunks against today's chunks, same run.

`python -m eval.legal` indexes the three Vietnamese labour statutes in eval/data/legal/
twice in temporary directories: once as the loader chunks them now (articles kept whole
or cut between clauses, heading paths embedded, named articles put first) and once as
before (the prose splitter alone, the passage text alone embedded, no article lookup).
For each question of eval/data/legal/questions.jsonl (written for this set; the gold
article checked to hold the question's evidence phrase) it reports:

- hit@1 / hit@5: a retrieved passage from the gold law overlapping the gold article;
- named_first: for questions that name an article, the first passage lies in it (and,
  when a clause is named, overlaps that clause);
- citation_names_article / citation_names_clause: of the answers' citations into these
  laws, those whose heading path names the article, and (quote inside a clause) the clause.

No setting was tuned on this set; the figures are a check, not a tune.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "eval" / "data" / "legal"


def load_questions(path: Path = DATA / "questions.jsonl") -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def article_spans(text: str) -> dict[str, tuple[int, int]]:
    from rag.ingest.structure import ARTICLE, outline

    return {h.label.split()[1]: (h.start, h.until) for h in outline(text) if h.level == ARTICLE}


def clause_span(text: str, article: str, clause: str) -> tuple[int, int] | None:
    from rag.ingest.structure import CLAUSE, outline

    start, until = article_spans(text)[article]
    for h in outline(text):
        if h.level == CLAUSE and h.label == f"Khoản {clause}" and start <= h.start < until:
            return h.start, h.until
    return None


def check_gold(questions: list[dict], texts: dict[str, str]) -> None:
    """Every gold article exists and holds the question's evidence phrase."""
    for q in questions:
        spans = article_spans(texts[q["law"]])
        if q["article"] not in spans:
            raise SystemExit(f"{q['id']}: no Điều {q['article']} in {q['law']}")
        a, b = spans[q["article"]]
        if q.get("evidence") and q["evidence"] not in texts[q["law"]][a:b]:
            raise SystemExit(f"{q['id']}: {q['evidence']!r} is not in Điều {q['article']} of {q['law']}")


@contextlib.contextmanager
def todays_chunking():
    """The loader's chunking and retrieval as they were before structure: for the comparison only."""
    from rag import assistant
    from rag.ingest import structure

    saved = structure.segments, assistant.embedding_text, structure.ArticleIndex.promote
    structure.segments = lambda text, max_chars: None
    assistant.embedding_text = lambda doc, passage: passage.text
    structure.ArticleIndex.promote = lambda self, question, ranked, most=3: ranked
    try:
        yield
    finally:
        structure.segments, assistant.embedding_text, structure.ArticleIndex.promote = saved


def _overlaps(p, span: tuple[int, int] | None) -> bool:
    return span is not None and p.start < span[1] and p.end > span[0]


def evaluate(assistant, questions: list[dict], texts: dict[str, str], with_answers: bool) -> dict:
    hit1 = hit5 = 0
    named = named_first = clause_first = clauses_named = 0
    per_question = []
    cited = cited_article = in_clause = cited_clause = 0
    for q in questions:
        span = article_spans(texts[q["law"]])[q["article"]]
        ranked = assistant.search(q["question"], k=5)
        hits = [p.source == q["law"] and _overlaps(p, span) for p in ranked]
        hit1 += bool(hits[:1] and hits[0])
        hit5 += any(hits)
        if q.get("names_article"):
            named += 1
            named_first += bool(hits[:1] and hits[0])
            if q.get("clause"):
                clauses_named += 1
                cspan = clause_span(texts[q["law"]], q["article"], q["clause"])
                clause_first += bool(ranked and ranked[0].source == q["law"] and _overlaps(ranked[0], cspan))
        per_question.append({"id": q["id"], "hits": hits})
        if with_answers:
            from rag.ingest.structure import CLAUSE, path_at

            for c in assistant.ask(q["question"]).citations:
                if c.source not in texts:
                    continue
                cited += 1
                cited_article += "Điều" in c.heading
                if any(h.level == CLAUSE for h in path_at(texts[c.source], c.quote_start)):
                    in_clause += 1
                    cited_clause += "Khoản" in c.heading
    n = len(questions)
    content = [r["hits"] for r, q in zip(per_question, questions) if not q.get("names_article")]
    out = {
        "questions": n,
        "hit@1": round(hit1 / n, 3),
        "hit@5": round(hit5 / n, 3),
        "content_questions": len(content),  # the ones that do not name an article
        "content_hit@1": round(sum(bool(h and h[0]) for h in content) / max(1, len(content)), 3),
        "content_hit@5": round(sum(any(h) for h in content) / max(1, len(content)), 3),
        "named_questions": named,
        "named_first": round(named_first / max(1, named), 3),
        "named_clause_first": round(clause_first / max(1, clauses_named), 3),
        "per_question": per_question,
    }
    if with_answers:
        out |= {
            "citations": cited,
            "citation_names_article": round(cited_article / max(1, cited), 3),
            "citations_in_a_clause": in_clause,
            "citation_names_clause": round(cited_clause / max(1, in_clause), 3),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    from rag import Assistant
    from rag.ingest.loader import load

    parser = argparse.ArgumentParser(prog="python -m eval.legal", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "figures" / "legal.json")
    args = parser.parse_args(argv)
    questions = load_questions()
    texts = {d.source: d.text for d in load([DATA]).documents if d.source.endswith(".txt")}
    check_gold(questions, texts)
    laws = sorted(DATA / name for name in texts)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        structured = Assistant.build(laws, index_dir=Path(tmp) / "structure")
        results["structure"] = evaluate(structured, questions, texts, with_answers=True)
        results["structure"]["passages"] = structured.passage_count()
        with todays_chunking():
            plain = Assistant.build(laws, index_dir=Path(tmp) / "today")
            results["today"] = evaluate(plain, questions, texts, with_answers=False)
            results["today"]["passages"] = plain.passage_count()
        results["seconds"] = round(time.perf_counter() - t0, 1)
    summary = {
        run: {k: v for k, v in r.items() if k != "per_question"}
        for run, r in results.items()
        if isinstance(r, dict)
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
