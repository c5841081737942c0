"""Documents people really have: a scan, a DOCX table, a multi-page PDF and a law, asked through a real index.

Every file is made here in tmp_path (the scan is a seed paragraph rendered with DejaVu
Sans and saved as an image-only PDF); the assistant is built with the real model.
"""

from __future__ import annotations

import shutil

import pytest

from rag.ingest.chunking import ChunkSettings, chunk_document
from rag.ingest.loader import load
from rag.ingest.structure import article_refs, heading_path, outline

from .conftest import SEEDS

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
needs_ocr = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr is not installed")

LAW = """LUẬT
LƯU TRỮ THỬ NGHIỆM

Chương I
QUY ĐỊNH CHUNG

Điều 1. Phạm vi điều chỉnh
Luật này quy định về việc lưu trữ hồ sơ của các cơ quan nhà nước ở địa phương.

Điều 2. Giải thích từ ngữ
1. Hồ sơ là tập văn bản, tài liệu có liên quan với nhau về một vấn đề, một sự việc.
2. Lưu trữ cơ quan là tổ chức thực hiện hoạt động lưu trữ đối với tài liệu lưu trữ của cơ quan.

Chương II
THỜI HẠN BẢO QUẢN

Điều 3. Thời hạn bảo quản hồ sơ
1. Hồ sơ nhân sự được bảo quản vĩnh viễn tại lưu trữ cơ quan.
2. Hồ sơ tài chính được bảo quản 20 năm kể từ năm kết thúc công việc.
3. Hồ sơ hành chính thông thường được bảo quản 10 năm.

Điều 4. Tiêu hủy tài liệu hết giá trị
1. Người đứng đầu cơ quan quyết định tiêu hủy tài liệu hết giá trị sau khi có ý kiến của Hội đồng.
2. Việc tiêu hủy phải lập biên bản có chữ ký của ít nhất 3 thành viên Hội đồng xác định giá trị tài liệu.
3. Biên bản tiêu hủy được bảo quản vĩnh viễn.

Điều 5. Hình thức bảo quản
1. Tài liệu lưu trữ được bảo quản theo một trong các hình thức sau đây:
a) Bản giấy đóng thành tập, có mục lục;
b) Bản điện tử có chữ ký số;
c) Bản vi phim.
"""


def _seed_paragraph() -> str:
    text = (SEEDS / "000_79b324b50acacb59.txt").read_text(encoding="utf-8")
    return next(line for line in text.splitlines() if "141.556" in line)


def _scan_pdf(path, text: str) -> None:
    from eval.ocr import render_page, save_scan

    save_scan([render_page(text)], path, 300)


def _multi_page_pdf(path, pages: list[str], scanned: dict[int, str] | None = None) -> None:
    """A PDF with a text layer on each page; pages in `scanned` carry only an image of their text."""
    from fpdf import FPDF

    from eval.ocr import render_page

    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", fname=FONT)
    pdf.set_font("DejaVu", size=12)
    for i, text in enumerate(pages, 1):
        pdf.add_page()
        if scanned and i in scanned:
            image = path.with_name(f"page{i}.png")
            render_page(scanned[i]).save(image)
            pdf.image(str(image), x=0, y=0, w=pdf.w, h=pdf.h)
        else:
            pdf.multi_cell(0, 8, text)
    pdf.output(str(path))


def _table_docx(path) -> None:
    import docx

    d = docx.Document()
    d.add_paragraph("Báo cáo tình hình tổ chức đảng năm 2024 của các quận nội thành.")
    d.add_paragraph("Bảng 2. Số tổ chức cơ sở đảng và đảng viên theo quận")
    rows = [
        ("Đơn vị", "Tổ chức cơ sở đảng", "Số đảng viên"),
        ("Quận 1", "51", "9.876"),
        ("Quận 3", "47", "12.345"),
    ]
    table = d.add_table(rows=len(rows), cols=3)
    for row, values in zip(table.rows, rows):
        for cell, value in zip(row.cells, values):
            cell.text = value
    d.add_paragraph("Các quận tiếp tục nâng cao chất lượng sinh hoạt chi bộ.")
    d.save(path)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("documents")
    if shutil.which("tesseract"):
        _scan_pdf(folder / "scan.pdf", _seed_paragraph())
    _table_docx(folder / "bao_cao.docx")
    _multi_page_pdf(
        folder / "ba_trang.pdf",
        [
            "Trang một: giới thiệu chung về huyện Cần Giờ và công tác xây dựng Đảng.",
            "Trang hai: Huyện Cần Giờ có 6 xã và 1 thị trấn, diện tích rừng ngập mặn lớn nhất thành phố.",
            "Trang ba: Năm 2024, Đảng bộ huyện Cần Giờ kết nạp 312 đảng viên mới.",
        ],
    )
    (folder / "luat_luu_tru.txt").write_text(LAW, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def docs_assistant(corpus, tmp_path_factory):
    from rag import Assistant

    return Assistant.build([corpus], index_dir=tmp_path_factory.mktemp("docs") / "index")


def _round_trips(assistant, answer) -> None:
    for c in answer.citations:
        text = assistant.source_text(c.source)
        assert text[c.start : c.end] == c.text
        assert text[c.quote_start : c.quote_end] == c.quote


# ------------------------------------------------------------------- scanned page
@needs_ocr
def test_scanned_pdf_is_read_by_ocr_and_cited_with_its_page(docs_assistant):
    doc = next(d for d in docs_assistant.documents() if d.source == "scan.pdf")
    assert doc.ocr_pages == (1,) and doc.pages == (0,)
    answer = docs_assistant.ask("Dân số quận 1 là bao nhiêu người?")
    assert answer.found and "141.556" in answer.text
    cited = answer.citations[0]
    assert cited.source == "scan.pdf" and cited.page == 1 and cited.ocr
    _round_trips(docs_assistant, answer)


@needs_ocr
def test_ocr_is_cached_by_fingerprint_and_missing_tesseract_names_the_install(tmp_path, monkeypatch):
    from rag.ingest import ocr

    monkeypatch.setenv("RAG_CACHE_DIR", str(tmp_path / "cache"))
    scan = tmp_path / "in" / "scan.pdf"
    scan.parent.mkdir()
    _scan_pdf(scan, "Phường Bến Nghé có 1.234 đảng viên.")
    first = load([scan.parent]).documents[0]
    assert "1.234" in first.text and first.ocr_pages == (1,)
    assert len(list((tmp_path / "cache" / "ocr").glob("*.json"))) == 1

    # Without tesseract on PATH, the cached reading is used: the rebuild does not OCR again ...
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    ocr.engine.cache_clear()
    try:
        assert load([scan.parent]).documents[0].text == first.text
        # ... while a scan never read before is skipped, with the install command.
        other = tmp_path / "in" / "other.png"
        from eval.ocr import render_page

        render_page("Một trang khác.").save(other)
        skipped = dict(load([scan.parent]).skipped)
        assert "apt-get install tesseract-ocr tesseract-ocr-vie" in skipped["other.png"]
    finally:
        ocr.engine.cache_clear()


@needs_ocr
def test_mixed_pdf_reads_text_pages_and_ocrs_the_scanned_one(tmp_path):
    path = tmp_path / "mixed.pdf"
    _multi_page_pdf(
        path,
        ["Trang văn bản: Quận 5 có 14 phường.", ""],
        scanned={2: "Trang quét: Quận 10 có 14 phường và 234.819 người."},
    )
    doc = load([path]).documents[0]
    assert doc.ocr_pages == (2,)
    first, second = doc.text[: doc.pages[1]], doc.text[doc.pages[1] :]
    assert "Quận 5 có 14 phường" in first and "234.819" in second


# ----------------------------------------------------------------- multi-page PDF
def test_pdf_citation_carries_its_page(docs_assistant):
    doc = next(d for d in docs_assistant.documents() if d.source == "ba_trang.pdf")
    assert len(doc.pages) == 3 and not doc.ocr_pages
    answer = docs_assistant.ask("Năm 2024 Đảng bộ huyện Cần Giờ kết nạp bao nhiêu đảng viên mới?")
    assert answer.found and "312" in answer.text
    cited = answer.citations[0]
    assert cited.source == "ba_trang.pdf" and cited.page == 3 and not cited.ocr
    _round_trips(docs_assistant, answer)
    assert docs_assistant.ask("Huyện Cần Giờ có bao nhiêu xã?").citations[0].page == 2


# ------------------------------------------------------------------ DOCX table
def test_table_row_answers_and_is_the_quote(docs_assistant):
    answer = docs_assistant.ask("Quận 3 có bao nhiêu đảng viên?")
    assert answer.found and "12.345" in answer.text
    cited = answer.citations[0]
    assert cited.source == "bao_cao.docx"
    text = docs_assistant.source_text("bao_cao.docx")
    row_start = text.index("Đơn vị: Quận 3")
    row_end = text.index("\n", row_start) if "\n" in text[row_start:] else len(text)
    assert row_start <= cited.quote_start and cited.quote_end <= row_end  # the quote is the row
    assert "12.345" in cited.quote
    assert cited.heading == "Bảng 2. Số tổ chức cơ sở đảng và đảng viên theo quận"
    assert cited.page is None
    _round_trips(docs_assistant, answer)


# ------------------------------------------------------------------------- law
def test_law_outline_and_clause_cut(tmp_path):
    (tmp_path / "luat.txt").write_text(LAW, encoding="utf-8")
    doc = load([tmp_path]).documents[0]
    labels = [h.label for h in outline(doc.text)]
    assert labels[:3] == ["Luật lưu trữ thử nghiệm", "Chương I", "Điều 1"]
    assert labels.count("Khoản 2") == 3
    at = doc.text.index("Hồ sơ tài chính")
    assert heading_path(doc.text, at) == "Luật lưu trữ thử nghiệm › Chương II › Điều 3 › Khoản 2"
    # Default size: every article is one passage.
    passages = chunk_document(doc, ChunkSettings())
    articles = [p for p in passages if p.text.startswith("Điều")]
    assert [p.text.split(".")[0] for p in articles] == ["Điều 1", "Điều 2", "Điều 3", "Điều 4", "Điều 5"]
    assert articles[2].text == doc.text[doc.text.index("Điều 3.") : doc.text.index("\n\nĐiều 4.")]
    # A small size: an article is split between clauses, never inside one.
    small = chunk_document(doc, ChunkSettings(size=80, overlap=0))
    clause_starts = {h.start for h in outline(doc.text) if h.label.startswith(("Khoản", "Điều"))}
    for p in small:
        assert doc.text[p.start : p.end] == p.text
        if heading_path(doc.text, p.start).count("Điều") and len(p.text) <= 160:
            assert p.start in clause_starts, p.text


def test_article_references_are_read_from_questions():
    refs = article_refs("Theo khoản 2 Điều 3 Luật Lưu trữ thử nghiệm, hồ sơ tài chính lưu bao lâu?")
    assert [(r.article, r.clause, r.law[:2]) for r in refs] == [("3", "2", ("luat", "luu"))]
    assert article_refs("dieu 4 quy dinh gi") and not article_refs("Điều kiện để được kết nạp Đảng là gì?")


def test_question_naming_an_article_gets_it_first_with_its_clause_cited(docs_assistant):
    first = docs_assistant.search("Điều 4 Luật Lưu trữ thử nghiệm quy định gì?", k=3)[0]
    assert first.source == "luat_luu_tru.txt" and first.text.startswith("Điều 4. Tiêu hủy")
    answer = docs_assistant.ask("Theo khoản 2 Điều 3, hồ sơ tài chính được bảo quản bao lâu?")
    assert answer.found and "20 năm" in answer.text
    cited = answer.citations[0]
    assert cited.heading == "Luật lưu trữ thử nghiệm › Chương II › Điều 3 › Khoản 2"
    _round_trips(docs_assistant, answer)


def test_a_sentence_ending_with_a_colon_is_answered_by_the_items_after_it(docs_assistant):
    answer = docs_assistant.ask("Tài liệu lưu trữ được bảo quản theo những hình thức nào?")
    assert answer.found
    assert answer.text.startswith("Bản giấy đóng thành tập; Bản điện tử có chữ ký số; Bản vi phim [1]")
    assert answer.citations[0].quote.endswith("c) Bản vi phim.")  # the items are cited, not only shown
    _round_trips(docs_assistant, answer)


def test_pdf_table_rows_are_read_with_their_headers(tmp_path):
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", fname=FONT)
    pdf.add_font("DejaVu", style="B", fname=FONT.replace("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"))
    pdf.set_font("DejaVu", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 8, "Báo cáo năm 2024.\nBảng 3. Đảng viên theo quận")
    with pdf.table() as table:
        for values in (("Đơn vị", "Số đảng viên"), ("Quận 1", "9.876"), ("Quận 3", "12.345")):
            row = table.row()
            for value in values:
                row.cell(value)
    pdf.multi_cell(0, 8, "Ghi chú: số liệu đến hết năm 2024.")
    pdf.output(str(tmp_path / "bang.pdf"))
    doc = load([tmp_path]).documents[0]
    assert doc.text == (
        "Báo cáo năm 2024.\nBảng 3. Đảng viên theo quận\n\n"
        "Đơn vị: Quận 1; Số đảng viên: 9.876\nĐơn vị: Quận 3; Số đảng viên: 12.345\n\n"
        "Ghi chú: số liệu đến hết năm 2024."
    )
    assert heading_path(doc.text, doc.text.index("Đơn vị: Quận 3")) == "Bảng 3. Đảng viên theo quận"


def test_report_headings_give_paths_and_numbered_sentences_do_not(tmp_path):
    body = "Trong năm, các cấp ủy đã tập trung lãnh đạo thực hiện nhiệm vụ chính trị và đạt nhiều kết quả quan trọng."
    report = (
        f"BÁO CÁO TỔNG KẾT NĂM 2024\n\nI. TÌNH HÌNH CHUNG\n{body}\n\n1. Công tác xây dựng Đảng\n{body} "
        f"Kết nạp 312 đảng viên mới.\n\n2. Công tác dân vận\n{body}\n\nII. PHƯƠNG HƯỚNG NĂM 2025\n{body}\n"
    )
    (tmp_path / "bao_cao.txt").write_text(report, encoding="utf-8")
    doc = load([tmp_path]).documents[0]
    at = doc.text.index("Kết nạp 312")
    assert heading_path(doc.text, at) == "I. TÌNH HÌNH CHUNG › 1. Công tác xây dựng Đảng"
    assert heading_path(doc.text, doc.text.rindex(body)) == "II. PHƯƠNG HƯỚNG NĂM 2025"
    for p in chunk_document(doc, ChunkSettings(size=600, overlap=0)):
        assert doc.text[p.start : p.end] == p.text
        assert p.text.count("\n1. ") + p.text.count("\n2. ") + p.text.count("\nII. ") == 0  # one section each
    # Numbered lines that are sentences (a seed's list of results) are not headings.
    seed = (SEEDS / "003_e05c565ea3f85607.txt").read_text(encoding="utf-8")
    assert outline(seed) == ()


def test_cli_follow_links(tmp_path, capsys):
    from rag import Assistant
    from rag.cli import main

    outside = tmp_path / "ngoai.txt"
    outside.write_text("Huyện Củ Chi có 20 xã và 1 thị trấn.", encoding="utf-8")
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "trong.txt").write_text("Quận 3 có 12 phường.", encoding="utf-8")
    (folder / "lien_ket.txt").symlink_to(outside)
    assert main(["index", str(folder), "--index-dir", str(tmp_path / "a")]) == 0
    assert "lien_ket.txt: a link to" in capsys.readouterr().err
    assert [d.source for d in Assistant.load(tmp_path / "a").documents()] == ["trong.txt"]
    assert main(["index", str(folder), "--index-dir", str(tmp_path / "b"), "--follow-links"]) == 0
    assert sorted(d.source for d in Assistant.load(tmp_path / "b").documents()) == [
        "lien_ket.txt",
        "trong.txt",
    ]
