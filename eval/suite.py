"""The development suite: ViQA dev and MLQA dev (Vietnamese and English), each split into
tune and check (eval/split.py), with unanswerable questions mixed in.

    python -m eval.suite [--sets viqa,mlqa,legal] [--out eval/results] [--json]

MLQA (CC BY-SA 3.0, ../shared/bench/mlqa, dev split only; provenance in eval/DATA.md):
its 451 Vietnamese contexts are pooled with ViQA's 3,255 passages. Unanswerable questions
are made by removal: the articles whose title hashes into the lowest UNANSWERABLE_SHARE
(salt "unanswerable", independent of the tune/check hash) lose every context from the
pooled corpus, and their questions are asked with no accepted answer. Each question is
asked twice, in Vietnamese and in English (the same MLQA question id), and both stay on
the side of their article title. ViQA's 154 dev questions are all answerable; they are
asked against ViQA's own corpus and split by question id.

For every side it reports hit@1/5 (by gold source), answer accuracy (an accepted string
in `answer.text`), `found` on answerable questions, and abstention precision/recall on
unanswerable ones, per language; per-question results with the decision features go to
`--out/<set>.jsonl` (the training scripts under eval/ read the tune side only).
"""

from __future__ import annotations

import argparse
import json
import pickle
import shutil
import sys
from collections.abc import Callable, Iterator
from itertools import groupby
from pathlib import Path

import numpy as np
from tqdm import tqdm

from eval.evaluate import evaluate_one, summarise
from eval.split import bucket, side
from rag.assistant import Assistant
from rag.language.normalize import fold, strip_marks
from rag.model.e5model import cache_root

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "bench"
UNANSWERABLE_SHARE = 0.2  # of MLQA articles removed from the corpus
# English questions are asked for the articles whose title hashes (salt "english") below
# this: an English answer embeds candidate sentences, ten times the cost of a Vietnamese
# one, and this 2-core machine is shared. English is compared with the Vietnamese
# questions of the same articles.
ENGLISH_SHARE = 0.5
# Question type from the question words (first match), as in ../shared/bench/mlqa/README.md.
_TYPES = [
    ("why", ("tai sao", "vi sao")), ("how", ("nhu the nao", "ra sao")), ("how many", ("bao nhieu",)),
    ("when", ("khi nao", "bao gio", "nam nao")), ("where", ("o dau",)), ("what", ("gi",)),
    ("who", ("ai",)), ("which", ("nao",)),
]  # fmt: skip


def question_type(question: str) -> str:
    """ "why", "how", "how many", "when", "where", "what", "who", "which" or "other".

    >>> question_type("Tại sao trời mưa?"), question_type("Ai là vua?"), question_type("Dân số?")
    ('why', 'who', 'other')
    """
    words = f" {' '.join(fold(question).lower().replace('?', ' ').split())} "
    for name, cues in _TYPES:
        if any(f" {c} " in words for c in cues):
            return name
    return "other"


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def mlqa(data: Path = SHARED / "mlqa", english_share: float = ENGLISH_SHARE) -> tuple[list[dict], list[dict]]:
    """(corpus rows kept, question rows in both languages) for the pooled MLQA suite."""
    corpus = _jsonl(data / "corpus.jsonl")
    title = {c["id"]: c["title"] for c in corpus}
    removed = {c["title"] for c in corpus if bucket(c["title"], "unanswerable") < UNANSWERABLE_SHARE}
    kept = [c for c in corpus if c["title"] not in removed]
    rows = []
    for q in _jsonl(data / "questions.jsonl"):
        article = title[q["gold"][0]]
        answerable = article not in removed
        for lang, text in (("vi", q["question"].strip()), ("en", q["question_en"].strip())):
            english_too = bucket(article, "english") < english_share
            rows.append({
                "id": f"{q['id']}-{lang}", "question": text, "lang": lang,
                "kind": question_type(q["question"]) if answerable else "unanswerable",
                "answers": q["answers"] if answerable else [], "sources": q["gold"] if answerable else [],
                "split_key": article, "qtype": question_type(q["question"]), "paired": english_too,
            })  # fmt: skip
            if not english_too:
                break
    return kept, rows


def viqa(data: Path = SHARED / "viqa") -> list[dict]:
    return [
        {"id": q["id"], "question": q["question"], "answers": q["answers"], "sources": q["gold"],
         "lang": "vi", "kind": "other", "split_key": q["id"], "qtype": question_type(q["question"])}
        for q in _jsonl(data / "dev.jsonl")
    ]  # fmt: skip


def legal(data: Path = ROOT / "eval" / "data" / "legal") -> list[dict]:
    """The questions over three labour statutes (eval/data/legal/README.md) that have an evidence
    phrase (38 of 58; the others ask what a named article says), answered by that phrase; split by
    question id. No setting was chosen on them before this suite."""
    return [
        {"id": q["id"], "question": q["question"], "answers": [q["evidence"]], "sources": [q["law"]],
         "lang": "vi", "kind": "other", "split_key": q["id"], "qtype": question_type(q["question"])}
        for q in _jsonl(data / "questions.jsonl")
        if q.get("evidence")
    ]  # fmt: skip


def open_set(name: str, english_share: float = ENGLISH_SHARE) -> tuple[Assistant, list[dict]]:
    """The index (built once, cached under the model cache) and the questions of a set (MLQA's
    asked in English too for the articles below `english_share`; 1: all)."""
    cache = cache_root() / "suite"
    if name == "viqa":
        assistant = Assistant.build([SHARED / "viqa" / "corpus.jsonl"], cache / "viqa", progress=True)
        return assistant, viqa()
    if name == "mlqa":
        kept, rows = mlqa(english_share=english_share)
        corpus = cache / "mlqa-kept.jsonl"
        corpus.parent.mkdir(parents=True, exist_ok=True)
        text = "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in kept)
        if not corpus.exists() or corpus.read_text(encoding="utf-8") != text:
            corpus.write_text(text, encoding="utf-8")
        pool = cache / "mlqa-pool"
        if not pool.exists():  # ViQA's index plus the MLQA contexts: only those are embedded
            open_set("viqa")
            shutil.copytree(cache / "viqa", pool)
        files = [SHARED / "viqa" / "corpus.jsonl", corpus]
        return Assistant.build(files, pool, progress=True), rows
    if name == "legal":
        laws = sorted((ROOT / "eval" / "data" / "legal").glob("*.txt"))
        return Assistant.build(laws, cache / "legal", progress=True), legal()
    raise SystemExit(f"unknown set {name!r}: choose viqa, mlqa or legal")


def unaccented(questions: list[dict]) -> list[dict]:
    """The Vietnamese questions as typed without diacritics ("quan 1 co bao nhieu phuong")."""
    return [
        q | {"question": strip_marks(q["question"]), "lang": "vi-noaccent"}
        for q in questions
        if q["lang"] == "vi"
    ]


def use_rules_before_issue_12(assistant: Assistant | None = None) -> None:
    """Today's reader as it was before the tune/check work, for before/after tables: the
    hand-set re-ranker weights, an English question's every word in the word index, no
    measure check on figures, no answer span for what/which questions, and the coverage
    thresholds for "not in the documents"."""
    from dataclasses import replace

    import rag.reading.answer
    import rag.reading.question

    rag.reading.question.asked_measure = lambda text: ""
    rag.reading.answer.CALIBRATED = False
    rag.reading.answer.SPAN_KINDS = ()
    if assistant is not None:
        assistant.retrieval = replace(
            assistant.retrieval, learned=False, english_names_only=False, dense_weight_en=0.8
        )
        assistant.use_span_reader = False


def apply_settings(assistant: Assistant, settings: list[str]) -> None:
    """`retrieval.NAME=V` sets a RetrievalSettings field; `answer.NAME=V` (`spans.NAME=V`,
    `question.NAME=V`, `evidence.NAME=V`) a constant of rag/reading/answer.py (rag/model/spans.py,
    rag/reading/question.py, rag/reading/evidence.py); `answer.SPAN_WEIGHT.vi=2` one
    language of a per-language one."""
    from dataclasses import replace

    import rag.language.marks as marks_module
    import rag.model.spans as spans_module
    import rag.reading.answer as answer_module
    import rag.reading.evidence as evidence_module
    import rag.reading.question as question_module

    modules = {"answer": answer_module, "spans": spans_module, "question": question_module,
               "evidence": evidence_module, "marks": marks_module}  # fmt: skip
    for item in settings:
        name, _, value = item.partition("=")
        where, _, field = name.partition(".")
        number = float(value)
        if where == "retrieval":
            assistant.retrieval = replace(
                assistant.retrieval, **{field: type(getattr(assistant.retrieval, field))(number)}
            )
        elif where in modules and "." in field:
            const, key = field.split(".", 1)
            getattr(modules[where], const)[key] = number
        elif where in modules:
            setattr(modules[where], field, type(getattr(modules[where], field))(number))
        else:
            raise SystemExit(
                f"--set {item}: say retrieval.NAME=V, or answer., spans., question., evidence. or marks.NAME=V"
            )


def cache_sentence_vectors(assistant: Assistant, path: Path) -> Callable[[], None]:
    """Keep the vectors of the sentences an English answer embeds, across runs (eval only:
    the suite is re-run after each change on a shared 2-core machine). The latencies of a
    run that reads this cache understate English answers; time `ask` with eval.bench or
    `python -m eval` instead. Returns a function that saves the cache."""
    embedder = assistant.embedder
    table: dict[str, np.ndarray] = pickle.loads(path.read_bytes()) if path.exists() else {}
    plain = embedder.embed_passages

    def embed_passages(texts, progress: bool = False):
        if progress:  # indexing, not an answer
            return plain(texts, progress=progress)
        missing = [t for t in dict.fromkeys(texts) if t not in table]
        if missing:
            table.update(zip(missing, plain(missing)))
        return np.stack([table[t] for t in texts]) if texts else plain(texts)

    embedder.embed_passages = embed_passages

    def save() -> None:
        path.write_bytes(pickle.dumps(table))
        embedder.embed_passages = plain

    return save


def run(
    assistant: Assistant, questions: list[dict], desc: str = "questions", log: Path | None = None
) -> list[dict]:
    """Ask every question; each result is also appended to `log` as it comes (a long run on a
    shared machine keeps what it has done)."""
    assistant.ask(questions[0]["question"])  # warm
    out = []
    with open(log, "w", encoding="utf-8") if log else open("/dev/null", "w") as f:
        for q in tqdm(questions, desc=desc):
            r = evaluate_one(assistant, q)
            r |= {"side": side(q["split_key"]), "qtype": q["qtype"]}
            out.append(r)
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
            f.flush()
    return out


def read_results(out: Path) -> Iterator[tuple[str, dict]]:
    """(set name, per-question result) of every set a suite run wrote to `out` (the trainers' input)."""
    for name in ("viqa", "mlqa", "legal"):
        path = out / f"{name}.jsonl"
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                yield name, json.loads(line)


def report(results: list[dict]) -> dict:
    """Summary for all questions and for each side, each with per-language blocks."""
    out = {}
    for name in ("all", "tune", "check"):
        rows = [r for r in results if name == "all" or r["side"] == name]
        if not rows:
            continue
        s = summarise(rows)
        out[name] = {k: v for k, v in s.items() if k not in ("by_kind",)}
        out[name]["by_qtype_vi"] = {
            t: summarise([r for r in rows if r["qtype"] == t and r["lang"] == "vi" and r["answerable"]])[
                "answer_accuracy"]
            for t in sorted({r["qtype"] for r in rows})
        }  # fmt: skip
    return out


def table(name: str, rep: dict) -> str:
    lines = [f"\n{name}", "| side | lang | n | hit@1 | hit@5 | answer (answerable) | short answer F1 "
             "| found (answerable) | abstention P / R | median / p95 ms |", "|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for sname in [n for n in ("tune", "check", "all") if n in rep]:
        s = rep[sname]
        blocks = {"all": s} | s["by_lang"]
        for lang, b in blocks.items():
            rows_ab = b
            ab = s["abstention"] if lang == "all" else None
            absn = f"{ab['precision']} / {ab['recall']}" if ab and (ab["tp"] + ab["fn"]) else "–"
            lines.append(
                f"| {sname} | {lang} | {rows_ab['n']} | {b['hit@1']} | {b['hit@5']} | {b['answer_on_answerable']} | "
                f"{b['short_f1_on_answerable']} | {b['found_on_answerable']} | {absn} | {b['median_ms']} / {b['p95_ms']} |"
            )
    return "\n".join(lines)


def subsets_table(name: str, results: list[dict]) -> str:
    """One set's Markdown table by side and language, with the Vietnamese questions whose
    English form was asked too (the same questions in both languages)."""
    english = {r["id"].rsplit("-", 1)[0] for r in results if r["lang"] == "en"}
    lines = [f"\n{name}", "| subset | n | hit@1 | hit@5 | answer (answerable) | short answer F1 | found (answerable) "
             "| abstention P / R |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for sname in ("tune", "check"):
        rows = [r for r in results if r["side"] == sname]
        groups = [(sname, rows)] + [(f"{sname} {lang}", [r for r in rows if r["lang"] == lang])
                                    for lang in sorted({r["lang"] for r in rows})]  # fmt: skip
        if english:
            same = [r for r in rows if r["lang"] == "vi" and r["id"].rsplit("-", 1)[0] in english]
            groups.append((f"{sname} vi, same questions as en", same))
        for label, sub in groups:
            if not sub:
                continue
            s = summarise(sub)
            ab = s["abstention"]
            absn = f"{ab['precision']} / {ab['recall']}" if ab["tp"] + ab["fn"] else "–"
            lines.append(f"| {label} | {s['n']} | {s['hit@1']} | {s['hit@5']} | {s['answer_on_answerable']} | "
                         f"{s['short_f1_on_answerable']} | {s['found_on_answerable']} | {absn} |")  # fmt: skip
    return "\n".join(lines)


def abstention_by_lang(results: list[dict]) -> dict:
    """Abstention counts, precision and recall by side and language, with what the share of
    unanswerable questions does to the precision (`eval.metrics.abstention_mix`)."""
    from eval.metrics import abstention, abstention_mix

    out = {}
    for sname in ("tune", "check"):
        for lang in sorted({r["lang"] for r in results}):
            rows = [r for r in results if r["side"] == sname and r["lang"] == lang]
            if rows:
                confusion = abstention([not r["answerable"] for r in rows], [not r["found"] for r in rows])
                out[f"{sname}/{lang}"] = confusion | abstention_mix(confusion)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.suite", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default="viqa,mlqa,legal")
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "results")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--side", choices=("tune", "check"), help="ask only this side's questions")
    parser.add_argument("--lang", choices=("vi", "en"), help="ask only the questions in this language")
    parser.add_argument("--before", action="store_true", help="the rules before issue 12 (a baseline)")
    parser.add_argument("--no-spans", action="store_true", help="without the span reader (the rules alone)")
    parser.add_argument(
        "--tables", action="store_true",
        help="ask nothing: print the tables by subset of the results already in --out",
    )  # fmt: skip
    parser.add_argument(
        "--english-all", action="store_true",
        help="ask every MLQA question in English too, not only those of half the articles",
    )  # fmt: skip
    parser.add_argument(
        "--unaccented", action="store_true",
        help="ask the Vietnamese questions typed without diacritics (and no English ones)",
    )  # fmt: skip
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="try a setting: answer.SPAN_WEIGHT_VI=2, retrieval.span_weight_en=1, …",
    )
    args = parser.parse_args(argv)
    if args.tables:
        for name, rows in groupby(read_results(args.out), key=lambda item: item[0]):
            results = [r for _, r in rows]
            print(subsets_table(name, results))
            print("abstention by side/lang:", json.dumps(abstention_by_lang(results)))
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    everything = {}
    for name in args.sets.split(","):
        assistant, questions = open_set(name, 1.0 if args.english_all else ENGLISH_SHARE)
        if args.before:
            use_rules_before_issue_12(assistant)
        if args.no_spans:
            assistant.use_span_reader = False
        apply_settings(assistant, args.set)
        if args.side:
            questions = [q for q in questions if side(q["split_key"]) == args.side]
        if args.lang:
            questions = [q for q in questions if q["lang"] == args.lang]
        if args.unaccented:
            questions = unaccented(questions)
        save = cache_sentence_vectors(assistant, cache_root() / "suite" / "sentence-vectors.pkl")
        results = run(assistant, questions, desc=name, log=args.out / f"{name}.partial.jsonl")
        save()
        with (args.out / f"{name}.jsonl").open("w", encoding="utf-8") as f:
            for r in results:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        rep = report(results)
        rep["abstention_by_lang"] = abstention_by_lang(results)
        everything[name] = rep
        if not args.json:
            print(table(name, rep), flush=True)
            print("abstention by side/lang:", json.dumps(rep["abstention_by_lang"]))
            print("answer accuracy by question type (vi, answerable):",
                  {s: rep[s]["by_qtype_vi"] for s in ("tune", "check") if s in rep})  # fmt: skip
    if args.json:
        print(json.dumps(everything, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
