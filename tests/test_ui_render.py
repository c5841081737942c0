"""Rendering of answers and citations: the highlight sits exactly on the quote."""

import re
from dataclasses import replace

import ui
from rag import Answer, Citation, Passage


def _citation():
    source = "Mở đầu. Đảng bộ quận 1 hiện có 51 tổ chức cơ sở đảng với 8.033 đảng viên. <b>Hết</b>."
    start = source.index("Đảng bộ")
    end = len(source)
    quote = "với 8.033 đảng viên."
    qs = source.index(quote)
    passage = Passage("a.txt", source[start:end], start, end, 0.5)
    return source, Citation(1, passage, quote, qs, qs + len(quote), ("b.txt",))


def test_highlight_is_exactly_the_quote():
    source, c = _citation()
    card = ui.render_citation(c, show_score=True)
    assert re.search(r"<mark>(.*?)</mark>", card).group(1) == c.quote
    assert "b.txt" in card and "điểm 0.500" in card and 'data-cite="[1] a.txt"' in card
    assert "&lt;b&gt;Hết&lt;/b&gt;" in card  # text is escaped, never injected
    assert "điểm" not in ui.render_citation(c, show_score=False)


def test_source_view_marks_the_span_in_the_whole_document():
    source, c = _citation()
    view = ui.render_source("a.txt", source, c.quote_start, c.quote_end)
    assert re.search(r"<mark>(.*?)</mark>", view).group(1) == c.quote
    assert view.count("<mark>") == 1 and "Mở đầu." in view
    assert ui.marked_span(c) == (c.quote_start, c.quote_end, None)  # what the picker opens


def test_abstention_looks_different_and_offers_related_passages_that_open():
    related = [Passage("a.txt", "Đoạn liên quan.", 0, 15, 1.0)]
    answer = Answer("Quận 3?", "Tài liệu không có thông tin.", False, [], related=related)
    html = ui.render_evidence(answer, related, show_score=False, lang="vi")
    assert "notfound" in html and "Đoạn liên quan." in html and "<mark>" not in html
    assert 'data-cite="[1] a.txt"' in html  # a related card opens its source like a citation
    assert ui.picker_entries(answer, related) == [("[1] a.txt", related[0])]
    assert ui.marked_span(related[0]) == (0, 15, None)
    bubble = ui.chat_message(answer, 0.05, "vi")
    assert "Không có trong tài liệu" in bubble and "0.05" in bubble and "bên dưới" not in bubble
    found = Answer("q", "8.033 đảng viên [1]", True, [_citation()[1]])
    assert "Không có" not in ui.chat_message(found, 0.05, "vi")


def test_not_found_follows_the_interface_language():
    answer = Answer("Quận 3 có bao nhiêu đảng viên?", "Tài liệu không có thông tin.", False, [])
    bubble = ui.chat_message(answer, 0.05, "en")
    assert "Not in the documents" in bubble and "Evidence" in bubble and "Tài liệu" not in bubble
    assert "0.05 s" in bubble and "giây" not in bubble


def test_other_passages_are_on_the_citations_score_scale():
    source, c = _citation()
    same = Passage("a.txt", c.text, c.start, c.end, 0.5)
    other = Passage("b.txt", "Một đoạn khác.", 0, 14, 0.9)
    answer = Answer("q", "8.033 đảng viên [1]", True, [c], passages=[other, same])
    extra = ui.extra_passages(answer, 3)
    assert extra == [other]  # the cited passage is not listed twice
    html = ui.render_evidence(answer, extra, show_score=True, lang="en")
    assert html.index("Cited") < html.index("[1]") < html.index("Other passages") < html.index("[2] b.txt")
    assert "one scale for every passage" in html


def test_names_and_questions_are_shown_as_typed_never_as_markup():
    source, c = _citation()
    tricky = Citation(1, replace(c.passage, source='báo "cáo".txt'), c.quote, c.quote_start, c.quote_end)
    card = ui.render_citation(tricky, show_score=False)
    assert 'data-cite="[1] báo &quot;cáo&quot;.txt"' in card
    assert ui.status_html([("Bỏ qua", "<img src=x onerror=alert(1)>.txt: empty")]).count("<img") == 0
    assert ui.as_typed("**đậm** <script>x</script> [a](b)") == (
        "\\*\\*đậm\\*\\* &lt;script&gt;x&lt;/script&gt; \\[a\\]\\(b\\)"
    )


def test_source_view_opens_at_the_cited_page():
    text = "Trang một.\n\nTrang hai có 8.033 đảng viên.\n\nTrang ba."
    pages = (0, 12, 44)
    start = text.index("8.033")
    view = ui.render_source("a.pdf", text, start, start + 5, page=2, pages=pages, lang="vi")
    assert "trang 2" in view and "Trang một" not in view and "Trang ba" not in view
    assert view.count("<mark>8.033</mark>") == 1


def test_uploads_keep_their_own_names_and_oversized_files_are_refused(tmp_path):
    a, b = tmp_path / "x" / "bao_cao.txt", tmp_path / "y" / "bao_cao.txt"
    for p in (a, b):
        p.parent.mkdir()
        p.write_text("Nội dung.", encoding="utf-8")
    staged = ui.stage_uploads([a, b], tmp_path / "staged")
    assert sorted(p.name for p in staged.iterdir()) == ["bao_cao (2).txt", "bao_cao.txt"]
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * 3_000_000)
    (message,) = ui.oversized([a, big], limit_bytes=2 * 2**20, lang="en")
    assert "big.txt" in message and "2 MB upload limit" in message and "rag index" in message
