"""Diacritics put back on a question typed without them (rag/language/marks.py), from the
passages the word index finds for it, on the real seeds index."""

from dataclasses import replace

from rag.language.marks import restore, table
from rag.language.normalize import strip_marks

TEXTS = [
    "Quận 1 có 10 phường và 141.556 người.",
    "Đảng bộ quận có 8.033 đảng viên, đang học tập nghị quyết.",
    "Bí thư Quận ủy quận 1 chủ trì. Đảng viên mới được kết nạp.",
]


def test_each_word_takes_the_form_its_neighbours_make_likeliest():
    marks = table(TEXTS)
    assert restore("quan 1 co bao nhieu dang vien", marks) == "quận 1 có bao nhieu đảng viên"
    # "dang" is "đang" before "hoc tap", "đảng" before "vien": the pair decides, not the count
    assert restore("dang vien dang hoc tap", marks) == "đảng viên đang học tập"


def test_what_was_typed_is_kept_where_the_text_says_nothing():
    marks = table(TEXTS)
    restored = restore("Bi thu QUAN uy, Nguyen Van A, 2021 la ai?", marks)
    assert restored == "Bí thư QUẬN ủy, Nguyen Van A, 2021 la ai?"  # capitals, unknown words, figures
    assert restore("Đảng viên quan 1", marks) == "Đảng viên quận 1"  # a marked word stays as typed
    assert restore("", marks) == "" and restore("?!", marks) == "?!"
    assert restore("quan 1", table([])) == "quan 1"


def test_a_long_paste_is_restored_word_for_word():
    text = strip_marks(" ".join(TEXTS * 30))
    restored = restore(text, table(TEXTS))
    assert len(restored.split()) == len(text.split()) and strip_marks(restored) == text
    assert restored.startswith("Quận 1 có 10 phường")


def test_an_unaccented_question_is_read_with_its_marks_back(assistant):
    answer = assistant.ask("quan 1 co bao nhieu phuong")
    assert answer.rewritten is not None and answer.rewritten.startswith("quận 1 có bao nhiêu"), (
        answer.rewritten
    )
    assert answer.found and "10 phường" in answer.text, answer.text
    assert answer.question == "quan 1 co bao nhieu phuong"
    # search reads it the same way: one ranking for both
    typed = [p.key for p in assistant.search("quan tan binh co bao nhieu dang vien", k=5)]
    read = assistant.retriever.read_as(assistant.index, "quan tan binh co bao nhieu dang vien")
    assert read != "quan tan binh co bao nhieu dang vien"
    assert typed == [p.key for p in assistant.search(read, k=5)]


def test_restoring_can_be_turned_off(assistant):
    kept = assistant.retrieval
    try:
        assistant.retrieval = replace(kept, restore_depth=0)
        answer = assistant.ask("quan 1 co bao nhieu phuong")
        assert answer.rewritten is None and answer.found and "10 phường" in answer.text
    finally:
        assistant.retrieval = kept
