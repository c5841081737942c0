"""Quotes are whole clauses that keep the subject a figure belongs to (issue: "…cơ sở đảng,
gồm 23 chi bộ…" lost "Đảng bộ quận 1 hiện có 51 tổ chức" and split "tổ chức")."""

from __future__ import annotations

from rag.reading.answer import clause_spans, quote_span

SENTENCE = (
    "Đảng bộ quận 1 hiện có 51 tổ chức cơ sở đảng, gồm 23 chi bộ cơ sở và 28 đảng bộ cơ sở (337 chi bộ "
    "trực thuộc, trong đó có 01 đảng bộ bộ phận khu phố với 03 chi bộ trực thuộc) với 8.033 đảng viên."
)


def test_a_long_sentence_keeps_its_subject_and_the_figure_in_whole_clauses():
    at = SENTENCE.index("8.033")
    lo, hi, shown = quote_span(SENTENCE, at, at + len("8.033 đảng viên"), budget=170)
    assert shown == "Đảng bộ quận 1 hiện có 51 tổ chức cơ sở đảng, … với 8.033 đảng viên."
    assert SENTENCE[lo:hi] == SENTENCE  # the cited span runs from the subject to the figure
    starts = {a for a, _ in clause_spans(SENTENCE)}
    assert lo in starts


def test_a_sentence_that_fits_is_quoted_whole():
    at = SENTENCE.index("8.033")
    lo, hi, shown = quote_span(SENTENCE, at, at + 5, budget=400)
    assert (lo, hi, shown) == (0, len(SENTENCE), SENTENCE)


def test_the_cited_quote_on_the_seeds_names_whose_figure_it_is(assistant):
    answer = assistant.ask("Quận 1 có bao nhiêu đảng viên?")
    quoted = [c for c in answer.citations if "8.033" in c.quote]
    assert quoted and quoted[0].quote.startswith("Đảng bộ quận 1 hiện có 51 tổ chức")
    assert "“Đảng bộ quận 1 hiện có 51 tổ chức cơ sở đảng, … với 8.033 đảng viên.”" in answer.text
    for c in answer.citations:
        assert assistant.source_text(c.source)[c.quote_start : c.quote_end] == c.quote
