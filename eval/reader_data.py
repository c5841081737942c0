"""Build the span reader's training set (eval/data/reader/train.jsonl.gz) from public QA data.

    python -m eval.reader_data --mirror /path/to/wuhjie+few_shots_that_matters_wu/repo
    python -m eval.reader_data --more --mirror /work/.mirror   # MORE, to more.jsonl.gz (stop 28)

Sources (provenance and licences in eval/data/reader/README.md):
- TyDi QA GoldP v1.1 (Apache-2.0): the train files present in the snapshot (en, ko, sw) and the
  dev files of all nine languages. TyDi's questions were written by people who had not seen the
  answer's text, so they are worded unlike it: what our unseen questions look like.
- MLQA dev (CC BY-SA 3.0): every pair of context and question languages but Vietnamese, for the
  question ids that are **not** in the Vietnamese dev set (`../shared/bench/mlqa`). An MLQA id
  is one question in every language, so none of our dev questions, tune or check, reaches
  training in any language: the combination weights fit on tune then see a reader that has
  not read those questions either, and tune and check stay comparable.

No Vietnamese text is in it: what the reader knows of Vietnamese comes from the multilingual
encoder. Never read: XQuAD or other SQuAD-derived data, MLQA test, ALQAC / Zalo data, the
ViQA source file, our dev sets (ViQA dev, the Vietnamese MLQA dev, seeds).

Contexts are cut to windows like the passages the assistant reads (WINDOW characters, at
spaces): the window holding the answer, at a seeded offset, and, from a longer context, a
window without the answer as a "no answer here" example.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import subprocess
from pathlib import Path

from eval.split import side
from eval.suite import SHARED, _jsonl

COMMIT = "6bfe6324e428ec21a777b5543cd8e50ec82dcb3c"
OUT = Path(__file__).parent / "data" / "reader" / "train.jsonl.gz"
VI_TUNE = OUT.with_name("vi_tune.jsonl.gz")
WINDOW = 600  # characters, as rag/ingest/chunking.py cuts passages
TYDI_TRAIN = ("en", "ko", "sw")  # the others are absent from the snapshot (over its file limit)
TYDI_DEV = ("ar", "bn", "en", "fi", "id", "ko", "ru", "sw", "te")
NEIGHBOUR_SHARE = 0.35  # of questions also given a paragraph of their article without the answer
MLQA_LANGS = ("ar", "de", "en", "es", "hi", "vi", "zh")


def _git_json(mirror: Path, path: str, commit: str = COMMIT) -> dict:
    out = subprocess.run(
        ["git", "--git-dir", str(mirror), "show", f"{commit}:{path}"], check=True, capture_output=True
    )
    return json.loads(out.stdout)


def window(context: str, start: int, end: int, rng: random.Random, size: int = WINDOW) -> tuple[int, int]:
    """A span of at most `size` characters of `context` holding [start, end), cut at spaces.

    >>> window("a b c", 2, 3, random.Random(0))
    (0, 5)
    """
    if len(context) <= size:
        return 0, len(context)
    room = max(0, size - (end - start))
    lo = max(0, start - rng.randint(0, room))
    hi = min(len(context), lo + size)
    lo = max(0, min(lo, hi - size))
    if lo > 0:
        space = context.find(" ", lo)
        lo = space + 1 if 0 <= space < start else lo
    if hi < len(context):
        space = context.rfind(" ", 0, hi)
        hi = space if space >= end else hi
    return lo, hi


def examples(source: str, data: dict, keep, rng: random.Random, lang_q: str, lang_c: str, size: int = WINDOW):
    """Training rows from one SQuAD-format file; `keep(id)` says which questions may be used."""
    for article in data["data"]:
        for para in article["paragraphs"]:
            context = para["context"]
            for qa in para["qas"]:
                if not keep(qa["id"]):
                    continue
                answer = next((a for a in qa["answers"] if a["text"].strip()), None)
                if answer is None:
                    continue
                start = answer["answer_start"]
                end = start + len(answer["text"])
                if context[start:end] != answer["text"]:
                    continue
                lo, hi = window(context, start, end, rng, size)
                row = {"source": source, "id": qa["id"], "lang_q": lang_q, "lang_c": lang_c,
                       "question": qa["question"].strip()}  # fmt: skip
                yield {**row, "context": context[lo:hi], "start": start - lo, "end": end - lo}
                # A window of the same context without the answer: "no answer here".
                for nlo in (end + 1, 0):
                    if nlo == 0 and start < size:
                        continue
                    if len(context) - nlo >= size // 2 and rng.random() < 0.5:
                        a, b = window(context, nlo, nlo, rng, size)
                        if b <= start or a >= end:
                            yield {**row, "context": context[a:b], "start": -1, "end": -1}
                            break
                # Another paragraph of the same article: on the topic, without the answer
                # (what a retrieved neighbour looks like when the documents lack it).
                others = [p["context"] for p in article["paragraphs"] if answer["text"] not in p["context"]]
                if others and rng.random() < NEIGHBOUR_SHARE:
                    other = rng.choice(others)
                    a, b = window(other, 0, 0, rng, size)
                    yield {**row, "context": other[a:b], "start": -1, "end": -1}


def mlqa_vi_ids() -> set[str]:
    """The MLQA question ids of the Vietnamese dev set (ours, tune and check)."""
    return {q["id"] for q in _jsonl(SHARED / "mlqa" / "questions.jsonl")}


def mlqa_vi_tune_ids() -> set[str]:
    """The ids of our Vietnamese MLQA questions on the tune side (eval/split.py, by article title,
    as eval/suite.py splits them); the check side's never reach training."""
    title = {c["id"]: c["title"] for c in _jsonl(SHARED / "mlqa" / "corpus.jsonl")}
    return {
        q["id"] for q in _jsonl(SHARED / "mlqa" / "questions.jsonl") if side(title[q["gold"][0]]) == "tune"
    }


def build_vi_tune(mirror: Path, seed: int = 17) -> list[dict]:
    """Rows of the tune side's MLQA questions: the Vietnamese contexts asked in all seven question
    languages, and the Vietnamese questions over the other languages' contexts (the same ids)."""
    rng = random.Random(seed)
    tune = mlqa_vi_tune_ids()
    rows: list[dict] = []
    for other in MLQA_LANGS:
        pairs = [("vi", other)] + ([(other, "vi")] if other != "vi" else [])
        for c, q in pairs:
            data = _git_json(mirror, f"data/mlqa/MLQA_V1/dev/dev-context-{c}-question-{q}.json")
            rows += examples("mlqa-dev-vi-tune", data, tune.__contains__, rng, q, c)
    return [r for r in rows if r["end"] <= len(r["context"])]


def build(mirror: Path, seed: int = 13) -> list[dict]:
    rng = random.Random(seed)
    rows: list[dict] = []
    for lang in TYDI_TRAIN:
        data = _git_json(mirror, f"data/tydiqa/tydiqa-goldp-v1.1-train/tydiqa.goldp.{lang}.train.json")
        rows += examples("tydiqa-train", data, lambda _: True, rng, lang, lang)
    for lang in TYDI_DEV:
        data = _git_json(mirror, f"data/tydiqa/tydiqa-goldp-v1.1-dev/tydiqa.goldp.{lang}.dev.json")
        rows += examples("tydiqa-dev", data, lambda _: True, rng, lang, lang)
    in_vi_dev = mlqa_vi_ids()

    def keep(qid: str) -> bool:  # never a question of the Vietnamese dev set, in any language
        return qid not in in_vi_dev

    for c in MLQA_LANGS:
        for q in MLQA_LANGS:
            if c == "vi" or q == "vi":
                continue  # every Vietnamese question and context of MLQA dev is in our dev set
            data = _git_json(mirror, f"data/mlqa/MLQA_V1/dev/dev-context-{c}-question-{q}.json")
            rows += examples("mlqa-dev", data, keep, rng, q, c)
    return [r for r in rows if r["end"] <= len(r["context"])]


# More extractive QA, written in its own language by people (none translated, none derived from
# SQuAD), read from stored repository snapshots (eval/data/reader/README.md): (name, repository,
# commit, path, language, at most this many questions, seeded). Chinese windows are shorter: a
# character is about a token, and the reader reads 256.
MORE = (
    ("tydiqa-dev", "sagorbrur/tydiqa-language-specific", "55c6649475e0765f717a6d32a173c6664096a8ce",
     "language_data/{}/{}_tydiqa_dev.json", ("arabic", "bengali", "finnish", "indonesian", "russian", "telugu"), None),
    ("arcd", "husseinmozannar/SOQAL", "1229d34aa2b7a0b9a2e4858c9268e68f45d7e3c4", "data/arcd.json", ("ar",), None),
    ("piaf", "etalab-ia/piaf-code", "86948a73b26498948e70ad92e4b9b0231eac81f7", "piaf-v1.0.json", ("fr",), None),
    ("drcd", "DRCKnowledgeTeam/DRCD", "b944790de5af02c5fbb7cd9cb1473d27d169eebf", "DRCD_dev.json", ("zh",), 3000),
    ("cmrc2018", "ymcui/cmrc2018", "c0eb1b6ba219847457e6af3180da722bbeb656af",
     "squad-style-data/cmrc2018_dev.json", ("zh",), 2000),
)  # fmt: skip
MORE_OUT = OUT.with_name("more.jsonl.gz")
WINDOW_ZH = 240
_LANG = {
    "arabic": "ar",
    "bengali": "bn",
    "finnish": "fi",
    "indonesian": "id",
    "russian": "ru",
    "telugu": "te",
}


def _sample(data: dict, cap: int | None, rng: random.Random) -> dict:
    """At most `cap` questions of a SQuAD-format file, whole paragraphs kept (seeded)."""
    if cap is None:
        return data
    paras = [(a, p) for a in data["data"] for p in a["paragraphs"]]
    rng.shuffle(paras)
    kept: dict[int, list] = {}
    n = 0
    for article, para in paras:
        if n >= cap:
            break
        kept.setdefault(id(article), []).append(para)
        n += len(para["qas"])
    return {"data": [{**a, "paragraphs": kept[id(a)]} for a in data["data"] if id(a) in kept]}


def build_more(mirrors: Path, seed: int = 29) -> list[dict]:
    """Rows of MORE; `mirrors` holds the snapshots as `owner+name/repo` (the `fetch` layout)."""
    rng = random.Random(seed)
    rows: list[dict] = []
    for name, repo, commit, path, langs, cap in MORE:
        git_dir = mirrors / repo.replace("/", "+") / "repo"
        for lang in langs:
            data = _sample(_git_json(git_dir, path.format(lang, lang), commit), cap, rng)
            code = _LANG.get(lang, lang)
            size = WINDOW_ZH if code == "zh" else WINDOW
            rows += examples(name, data, lambda _: True, rng, code, code, size)
    return [r for r in rows if r["end"] <= len(r["context"])]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, required=True, help="bare git directory of the XTREME mirror")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--vi-tune", action="store_true",
        help=f"the tune side's Vietnamese MLQA questions instead (to {VI_TUNE.name})",
    )  # fmt: skip
    parser.add_argument(
        "--more", action="store_true",
        help=f"the MORE sources instead, --mirror naming the folder of their snapshots (to {MORE_OUT.name})",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.vi_tune and args.out == OUT:
        args.out = VI_TUNE
    if args.more and args.out == OUT:
        args.out = MORE_OUT
    if args.more:
        rows = build_more(args.mirror)
    else:
        rows = build_vi_tune(args.mirror) if args.vi_tune else build(args.mirror)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(args.out, "wt", encoding="utf-8", compresslevel=9) as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    counts: dict[str, int] = {}
    for r in rows:
        key = f"{r['source']} q={r['lang_q']} c={r['lang_c']} {'pos' if r['start'] >= 0 else 'neg'}"
        counts[key] = counts.get(key, 0) + 1
    for key in sorted(counts):
        print(f"{counts[key]:6d}  {key}")
    print(f"{len(rows)} rows -> {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
