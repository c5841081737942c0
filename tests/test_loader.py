import json

import pytest

from rag import EmptyCorpusError
from rag.boilerplate import content_spans
from rag.chunking import ChunkSettings, chunk_document
from rag.loader import load
from rag.normalize import nfc

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
