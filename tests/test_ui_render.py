"""Rendering of answers and citations: the highlight sits exactly on the quote."""

import re

import ui
from rag import Answer, Citation, Passage


def _citation():
    source = "Mở đầu. Đảng bộ quận 1 hiện có 51 tổ chức cơ sở đảng với 8.033 đảng viên. <b>Hết</b>."
    start = source.index("Đảng bộ")
    end = len(source)
    quote = "với 8.033 đảng viên."
    qs = source.index(quote)
    return source, Citation(
        1, "a.txt", source[start:end], quote, start, end, 0.5, ("b.txt",), qs, qs + len(quote)
    )


def test_highlight_is_exactly_the_quote():
    source, c = _citation()
    card = ui.render_citation(c, show_score=True)
    assert re.search(r"<mark>(.*?)</mark>", card).group(1) == c.quote
    assert "b.txt" in card and "0.500" in card and 'data-cite="[1] a.txt"' in card
    assert "&lt;b&gt;Hết&lt;/b&gt;" in card  # text is escaped, never injected
    assert "score" not in ui.render_citation(c, show_score=False)


def test_source_view_marks_the_span_in_the_whole_document():
    source, c = _citation()
    view = ui.render_source("a.txt", source, c.quote_start, c.quote_end)
    assert re.search(r"<mark>(.*?)</mark>", view).group(1) == c.quote
    assert view.count("<mark>") == 1 and "Mở đầu." in view


def test_abstention_looks_different_and_offers_related():
    related = [Passage("a.txt", "Đoạn liên quan.", 0, 15, 1.0)]
    answer = Answer("Quận 3?", "Tài liệu không có thông tin.", False, [], related=related)
    html = ui.render_evidence(answer, related, show_score=False, lang="vi")
    assert "notfound" in html and "Đoạn liên quan." in html and "<mark>" not in html
    bubble = ui.chat_message(answer, 0.05, "vi")
    assert "Không có trong tài liệu" in bubble and "0.05" in bubble
    found = Answer("q", "8.033 đảng viên [1]", True, [_citation()[1]])
    assert "Không có" not in ui.chat_message(found, 0.05, "vi")
