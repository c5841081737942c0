"""The project's own question set is well formed and its answers are in the cited texts."""

import json

from .conftest import ROOT, SEEDS

SET = ROOT / "eval" / "questions" / "seeds.jsonl"


def test_question_set_covers_what_it_claims():
    rows = [json.loads(line) for line in SET.read_text().splitlines() if line.strip()]
    assert len(rows) >= 40
    dev = [
        json.loads(line)
        for line in (ROOT / "eval/questions/seeds_dev.jsonl").read_text().splitlines()
        if line
    ]
    assert {r["question"] for r in dev} <= {r["question"] for r in rows}
    kinds = {r["kind"] for r in rows}
    assert {"number", "person", "role", "date", "list", "unanswerable", "followup"} <= kinds
    assert {"en", "vi-noaccent"} <= {r["lang"] for r in rows}
    assert {s for r in rows for s in r["sources"]} == {p.name for p in SEEDS.glob("*.txt")}
    for r in rows:
        if not r["answers"]:
            continue
        texts = [(SEEDS / s).read_text(encoding="utf-8") for s in r["sources"]]
        assert any(r["answers"][0] in t for t in texts), r["id"]
