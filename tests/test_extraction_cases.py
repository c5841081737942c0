"""Extraction cases as data: each row of tests/data/extraction_cases.tsv is a question, a
sentence and the answers the reader takes from that sentence. A rule added to
rag/data/words.toml comes with one row here."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from rag.reading.answer import SPAN_KINDS, answer_span
from rag.reading.evidence import candidates
from rag.reading.question import analyse

CASES = Path(__file__).parent / "data" / "extraction_cases.tsv"


def _rows() -> list[tuple[str, str, str]]:
    lines = [line for line in CASES.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    reader = csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    return [(r["question"], r["sentence"], r["answer"]) for r in reader]


def answers(question: str, sentence: str) -> str:
    """What the reader takes from `sentence` for `question`: its typed candidates, or for a
    what / which / where question the span after the question's words; "-" for nothing."""
    q = analyse(question)
    if q.kind in SPAN_KINDS:
        span = answer_span(sentence, q)
        found = [span] if span else []
    else:
        found = candidates(q, sentence)
    return " | ".join(c.text for c in found) or "-"


def test_the_table_covers_every_kind():
    kinds = {analyse(q).kind for q, _, _ in _rows()}
    assert len(_rows()) >= 25
    assert {"number", "date", "person", "role", "place", "other"} <= kinds


@pytest.mark.parametrize(("question", "sentence", "expected"), _rows(), ids=[r[0] for r in _rows()])
def test_extraction_case(question, sentence, expected):
    assert answers(question, sentence) == expected
