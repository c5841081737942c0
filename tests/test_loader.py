import json

import pytest

from rag import EmptyCorpusError
from rag.ingest.boilerplate import content_spans
from rag.ingest.chunking import ChunkSettings, chunk_document
from rag.ingest.credit import credit_span
from rag.ingest.loader import load
from rag.language.normalize import nfc

from .conftest import SEEDS


def test_seed_boilerplate_is_left_out_without_moving_offsets():
    result = load([SEEDS])
    assert len(result.documents) == 5 and not result.skipped
    for doc in result.documents:
        raw = nfc((SEEDS / doc.source).read_text(encoding="utf-8"))
        assert doc.text == raw  # nothing deleted: offsets are offsets into the file
        kept = [doc.text[a:b] for a, b in doc.spans]
        for furniture in (
            "Rate this post",
            "Leave a Reply",
            "Phản hồi",
            "Các tin khác",
            "Thư viện ảnh",
            "Liên kết website",
            "Mới nhất",
        ):
            assert furniture not in kept
        for a, b in zip(kept, kept[1:]):
            assert a != b  # a caption printed twice is kept once


def test_seed_reports_credit_lines():
    # the three seeds that end with their author's name, one with its outlet; the other two end
    # with a sentence
    credits = {}
    for doc in load([SEEDS]).documents:
        span = credit_span(doc.text, doc.spans)
        credits[doc.source[:3]] = doc.text[span[0] : span[1]] if span else None
    assert credits == {"000": None, "001": "Trọng Đạt", "002": "Thanh Thuy", "003": "Nguyễn Lê", "004": None}


def test_caption_doubled_within_a_line_is_kept_once():
    text = "Đồng chí A phát biểu tại buổi làm việc. Đồng chí A phát biểu tại buổi làm việc.\nNội dung."
    assert [text[a:b] for a, b in content_spans(text)] == [
        "Đồng chí A phát biểu tại buổi làm việc.",
        "Nội dung.",
    ]


def test_chunks_round_trip_and_hold_no_furniture():
    for doc in load([SEEDS]).documents:
        passages = chunk_document(doc, ChunkSettings())
        assert passages
        for p in passages:
            assert doc.text[p.start : p.end] == p.text
            assert "Rate this post" not in p.text and "Leave a Reply" not in p.text


def test_broken_files_are_skipped_by_name(tmp_path):
    (tmp_path / "good.txt").write_text("Quận 1 có 10 phường.", encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("Qu\xe1n 1".encode("latin-1"))
    (tmp_path / "empty.md").write_text("   \n")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    (tmp_path / "broken.docx").write_bytes(b"PK not a zip")
    result = load([tmp_path])
    assert [d.source for d in result.documents] == ["good.txt"]
    reasons = dict(result.skipped)
    assert set(reasons) == {"latin1.txt", "empty.md", "binary.txt", "broken.pdf", "broken.docx"}
    assert "UTF-8" in reasons["latin1.txt"] and "empty" in reasons["empty.md"]


def test_empty_corpus_is_a_clear_error(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(EmptyCorpusError, match="no readable document"):
        load([tmp_path])


def test_html_docx_pdf_and_jsonl(tmp_path):
    import docx
    from pypdf import PdfWriter

    (tmp_path / "page.html").write_text(
        "<html><head><style>p{}</style><script>var x=1</script></head>"
        "<body><p>Dân số quận 1 là 141.556 người.</p><div>Quận có 10 phường.</div></body></html>",
        encoding="utf-8",
    )
    d = docx.Document()
    d.add_paragraph("Đảng bộ quận Tân Bình có 12.554 đảng viên.")
    d.save(tmp_path / "report.docx")
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    with open(tmp_path / "blank.pdf", "wb") as f:
        writer.write(f)  # a valid PDF with no text: skipped as having no content
    records = [{"id": "r1", "text": "Văn bản một.", "title": "Tiêu đề"}, {"id": "r2"}, "not json"]
    (tmp_path / "set.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) if not isinstance(r, str) else r for r in records)
    )
    result = load([tmp_path])
    docs = {d.source: d for d in result.documents}
    assert docs["page.html"].text == "Dân số quận 1 là 141.556 người.\n\nQuận có 10 phường."
    assert "12.554 đảng viên" in docs["report.docx"].text
    assert docs["r1"].text == "Tiêu đề\n\nVăn bản một."
    skipped = dict(result.skipped)
    assert "blank.pdf" in skipped and "set.jsonl:2" in skipped and "set.jsonl:3" in skipped


# ---------------------------------------------------------------- issue #10 (loader parts)
def test_same_file_name_in_two_folders_keeps_both_documents(tmp_path):
    """`rag index a/report.txt b/report.txt` used to name both "report.txt": one was lost."""
    for folder, figure in (("a", "11.111"), ("b", "22.222")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "report.txt").write_text(
            f"Phường Tân Định có {figure} cư dân.", encoding="utf-8"
        )
    (tmp_path / "other.txt").write_text("Quận 3 có 12 phường.", encoding="utf-8")
    given = [tmp_path / "a" / "report.txt", tmp_path / "b" / "report.txt", tmp_path / "other.txt"]
    result = load(given)
    docs = {d.source: d.text for d in result.documents}
    assert docs == {
        "a/report.txt": "Phường Tân Định có 11.111 cư dân.",
        "b/report.txt": "Phường Tân Định có 22.222 cư dân.",
        "other.txt": "Quận 3 có 12 phường.",  # a name that does not collide stays as it was
    }
    assert [d.source for d in load(given).documents] == list(docs)  # the same names every run
    # Two folders holding the same relative path: each name takes its folder's name.
    result = load([tmp_path / "a", tmp_path / "b"])
    assert sorted(d.source for d in result.documents) == ["a/report.txt", "b/report.txt"]
    # The same file given twice is one document, not a collision.
    assert [d.source for d in load([given[0], given[0]]).documents] == ["report.txt"]


def test_duplicate_jsonl_ids_are_skipped_by_name_never_merged(tmp_path):
    (tmp_path / "one.jsonl").write_text(
        json.dumps({"id": "r1", "text": "Bản đầu tiên."}, ensure_ascii=False)
        + "\n"
        + json.dumps({"id": "r1", "text": "Bản thứ hai, cùng id."}, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    (tmp_path / "two.jsonl").write_text(
        json.dumps({"id": "r1", "text": "Bản ở tệp khác."}, ensure_ascii=False)
        + "\n"
        + json.dumps({"id": "r2", "text": "Văn bản hai."}, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    result = load([tmp_path])
    assert {d.source: d.text for d in result.documents} == {"r1": "Bản đầu tiên.", "r2": "Văn bản hai."}
    skipped = dict(result.skipped)
    assert "duplicate id 'r1', first used at one.jsonl:1" in skipped["one.jsonl:2 (r1)"]
    assert "duplicate id 'r1', first used at one.jsonl:1" in skipped["two.jsonl:1 (r1)"]


def test_utf16_text_files_are_read(tmp_path):
    text = "Quận 1 có 10 phường và 141.556 người."
    (tmp_path / "bom.txt").write_bytes(text.encode("utf-16"))  # with a byte-order mark
    (tmp_path / "be.txt").write_bytes(b"\xfe\xff" + text.encode("utf-16-be"))
    (tmp_path / "nobom.txt").write_bytes(text.encode("utf-16-le"))  # without one: detected
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 4)
    result = load([tmp_path])
    assert {d.source: d.text for d in result.documents} == {
        n: text for n in ("be.txt", "bom.txt", "nobom.txt")
    }
    assert dict(result.skipped) == {"binary.txt": "binary content, not text"}


def test_links_leaving_the_folder_are_not_followed_unless_asked(tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("Mật khẩu là 1234.", encoding="utf-8")
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "real.txt").write_text("Quận 3 có 12 phường.", encoding="utf-8")
    (folder / "inside.txt").symlink_to(folder / "real.txt")  # stays inside: read
    (folder / "leak.txt").symlink_to(outside)
    result = load([folder])
    assert sorted(d.source for d in result.documents) == ["inside.txt", "real.txt"]
    reason = dict(result.skipped)["leak.txt"]
    assert "outside" in reason and "not followed" in reason and "--follow-links" in reason
    followed = load([folder], follow_links=True)
    assert "Mật khẩu là 1234." in {d.source: d.text for d in followed.documents}.values()
    assert not followed.skipped


def test_docx_tables_are_read_row_by_row_with_their_caption(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("Báo cáo công tác đảng viên năm 2024.")
    d.add_paragraph("Bảng 1. Số đảng viên theo quận")
    table = d.add_table(rows=3, cols=2)
    for row, cells in zip(
        table.rows, [("Đơn vị", "Số đảng viên"), ("Quận 1", "9.876"), ("Quận 3", "12.345")]
    ):
        for cell, value in zip(row.cells, cells):
            cell.text = value
    d.add_paragraph("Tỷ lệ đảng viên trẻ tăng so với năm trước.")
    d.save(tmp_path / "report.docx")
    doc = load([tmp_path]).documents[0]
    assert doc.text == (
        "Báo cáo công tác đảng viên năm 2024.\n\nBảng 1. Số đảng viên theo quận\n\n"
        "Đơn vị: Quận 1; Số đảng viên: 9.876\nĐơn vị: Quận 3; Số đảng viên: 12.345\n\n"
        "Tỷ lệ đảng viên trẻ tăng so với năm trước."
    )
    from rag.ingest.chunking import embedding_text
    from rag.ingest.structure import heading_path

    row = doc.text.index("Đơn vị: Quận 3")
    assert heading_path(doc.text, row) == "Bảng 1. Số đảng viên theo quận"
    passages = chunk_document(doc, ChunkSettings())
    table_passage = next(p for p in passages if "Quận 3" in p.text)
    assert doc.text[table_passage.start : table_passage.end] == table_passage.text
    assert embedding_text(doc, table_passage).startswith("Bảng 1. Số đảng viên theo quận")
