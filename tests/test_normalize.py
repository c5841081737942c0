from pathlib import Path

from rag.language.normalize import fold, lexical_terms, normalize_number, query_terms, strip_marks, terms
from rag.reading.question import analyse, answer_kind, language

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def test_fold_removes_diacritics_and_maps_d_stroke():
    assert fold("Quận 1 có bao nhiêu đảng viên") == "Quan 1 co bao nhieu dang vien"
    assert fold("ĐẢNG BỘ Đồng chí") == "DANG BO Dong chi"


def test_number_formats_meet():
    assert normalize_number("8.033") == normalize_number("8,033") == normalize_number("8033") == "8033"
    assert normalize_number("94,27") == normalize_number("94.27") == "94.27"
    assert normalize_number("255.576") == "255576"
    assert normalize_number("1.234.567") == "1234567"


def test_terms_keep_numbers_whole():
    assert terms("với 8.033 đảng viên, đạt 94,27%") == ["với", "8033", "đảng", "viên", "đạt", "94.27"]


def test_unaccented_query_meets_accented_text():
    text_terms = set(lexical_terms("Quận 1 có 8.033 đảng viên"))
    query = query_terms("quan 1 co bao nhieu dang vien")
    assert {"~quan", "~dang_vien", "~1"} <= set(query)
    assert {"~quan", "~dang_vien", "~1"} <= text_terms


def test_accented_query_uses_accented_view_too():
    assert "đảng_viên" in query_terms("đảng viên")


def test_question_reading():
    assert language("quan 1 co bao nhieu phuong") == "vi-noaccent"
    assert language("Who chaired the conference?") == "en"
    # A long paste typed without marks writes "the" (thế) and "in" now and then: still Vietnamese.
    paste = strip_marks((SEEDS / "000_79b324b50acacb59.txt").read_text(encoding="utf-8")[:2000])
    assert sum(w in ("the", "in") for w in paste.lower().split()) >= 2
    assert language(paste) == "vi-noaccent"
    assert answer_kind("Ai là Bí thư Quận ủy quận 1?") == "person"
    assert answer_kind("Ông mất vào năm bao nhiêu?") == "date"
    assert answer_kind("How many party members are there?") == "number"
    assert answer_kind("Năm nào thành lập?") == "date"
    q = analyse("Quận Tân Bình có bao nhiêu chi bộ trực thuộc?")
    assert q.unit == ("chi", "bo", "truc", "thuoc")
    # Question words carry the type: they are not evidence the answer must contain.
    assert "bao" not in q.content and "tan_binh" in q.content


def test_i_and_y_spellings_meet():
    # "sỹ"/"sĩ", "Lý"/"Lí", "kỹ"/"kĩ" are both in use; "quý", "ấy", "tay" are other rhymes.
    assert fold("ca sỹ Lý Hải, kỹ sư") == fold("ca sĩ Lí Hải, kĩ sư")
    assert fold("quý tay ấy") == "quy tay ay"
    assert set(query_terms("ca si")) <= set(lexical_terms("Nữ ca sỹ Hồ Ngọc Hà"))
    assert language("ca sy ly hai la ai") == "vi-noaccent"  # no diacritics typed


def test_question_words_are_read_as_written():
    # "cồ" folds to "co" like the question word "có", but it is part of a name.
    q = analyse("Ai là người khai sinh ra nước Đại Cồ Việt?")
    assert {"co", "dai_co", "co_viet"} <= set(q.content)
    assert "co" not in analyse("Quận 1 có bao nhiêu phường?").content
    assert "co" not in analyse("quan 1 co bao nhieu phuong").content


def test_a_quantity_noun_asks_for_a_figure_and_stays_content():
    q = analyse("Dân số quận 1?")
    assert q.kind == "number" and {"dan", "so", "dan_so"} <= set(q.content)


def test_unaccented_question_words_are_read_as_typed():
    # "bi" (bí thư) folds like the English question word "by"; "ty" (tỷ lệ) like the cue "tỉ".
    assert "bi_thu" in analyse("bi thu quan 1 la ai").content
    q = analyse("ty le dang vien quan 1 la bao nhieu")
    assert q.wants_percent and "ti" not in q.content and "dang_vien" in q.content
