"""The verifier on hand-made sentences against seed passages: supported ones pass, and each
kind of unsupported one is flagged with its reason (the figure of another place, a figure
that counts something else, a negation, a relation the passage does not state).

Table-driven: each row is a question, a generated sentence, the seed passages it may cite,
and what the verifier must say. No model runs here (tests/test_llm.py has the servers).
"""

from __future__ import annotations

import unicodedata

import pytest

from rag.generation import verify
from rag.reading.subjects import places
from rag.records import Passage

from .conftest import SEEDS

Q1 = "000_79b324b50acacb59.txt"  # Đảng bộ quận 1: 8.033 đảng viên, 94,27%, dân số, ngân sách
TB = "004_d46d0592f17e5d70.txt"  # quận Tân Bình: 465 chi bộ trực thuộc, 12.554 đảng viên


def source_text(name: str) -> str:
    return unicodedata.normalize("NFC", (SEEDS / name).read_text(encoding="utf-8"))


def passage_between(name: str, first: str, last: str) -> Passage:
    """The passage of seed file `name` from `first` to the end of `last` (offsets into the file)."""
    text = source_text(name)
    start = text.index(first)
    end = text.index(last, start) + len(last)
    return Passage(name, text[start:end], start, end)


PASSAGES = {
    # "Đảng bộ quận 1 hiện có 51 tổ chức cơ sở đảng, … với 8.033 đảng viên."
    "q1_members": passage_between(Q1, "Đảng bộ quận 1 hiện có", "với 8.033 đảng viên."),
    # "… có 6.551 đảng viên trên tổng số 6.949 đảng viên toàn Đảng bộ quận 1 …, đạt tỉ lệ 94,27%, …"
    "q1_share": passage_between(Q1, "Đến nay, có 6.551", "đi vào cuộc sống."),
    # "… với 10 phường, 66 khu phố …, dân số 141.556 người; có 28 cơ quan ngoại giao, 128 cơ quan nhà nước …"
    "q1_facts": passage_between(Q1, "Báo cáo tại buổi làm việc", "thành phố trú đóng."),
    # "quận 1 có mật độ dân cư đông đúc … Tình hình kinh tế - xã hội trên địa bàn quận …;
    # thu ngân sách … tăng bình quân 15,83% năm." The figure's clause names no district:
    # it is quận 1's because the passage named quận 1 before it.
    "q1_budget": passage_between(Q1, "quận 1 có mật độ dân cư", "tăng bình quân 15,83% năm."),
    # "… Đảng bộ quận Tân Bình hiện có 39 tổ chức … 465 chi bộ trực thuộc, …; tổng số đảng viên là 12.554 đảng viên."
    "tb_members": passage_between(TB, "Báo cáo đề dẫn tại hội nghị", "là 12.554 đảng viên."),
}

# question, generated sentence, cited passages (numbered [1], [2], … in this order)
SUPPORTED = [
    ("Quận 1 có bao nhiêu đảng viên?", "Đảng bộ quận 1 có 8.033 đảng viên [1].", ["q1_members"]),
    ("Quận 1 có bao nhiêu đảng viên?", "Đảng bộ quận 1 có 8033 đảng viên [1].", ["q1_members"]),
    # An English question names the same district.
    ("How many party members are there in District 1?", "Đảng bộ quận 1 hiện có 51 tổ chức cơ sở đảng với 8.033 đảng viên [1].", ["q1_members"]),
    # The figure in a clause after ";" that names no district: the passage's district before it.
    ("Đảng bộ quận Tân Bình có bao nhiêu đảng viên?", "Tổng số đảng viên Đảng bộ quận Tân Bình là 12.554 đảng viên [1].", ["tb_members"]),
    # The same, across sentences: "quận 1 …. Tình hình … trên địa bàn quận …; thu ngân sách … 15,83% năm".
    ("Thu ngân sách của quận 1 tăng bình quân bao nhiêu mỗi năm?", "Thu ngân sách Nhà nước của quận 1 tăng bình quân 15,83% năm [1].", ["q1_budget"]),
    # The right one of two passages about two districts.
    ("Quận Tân Bình có bao nhiêu đảng viên?", "Đảng bộ quận Tân Bình có tổng số đảng viên là 12.554 đảng viên [2].", ["q1_members", "tb_members"]),
    ("Quận 1 có bao nhiêu cơ quan ngoại giao?", "Quận 1 có 28 cơ quan ngoại giao [1].", ["q1_facts"]),
    ("Dân số quận 1 là bao nhiêu?", "Dân số quận 1 là 141.556 người [1].", ["q1_facts"]),
    ("Tỉ lệ đảng viên quận 1 tham gia học tập nghị quyết là bao nhiêu?", "Đảng viên quận 1 tham gia nghiên cứu, học tập, quán triệt nghị quyết đạt tỉ lệ 94,27% [1].", ["q1_share"]),
    # "Trong đoạn văn [1], …" is format; "năm 2022" is the question's premise, not the passage's figure.
    ("Trong năm 2022, Đảng bộ quận 1 có bao nhiêu đảng viên?", "Trong đoạn văn [1], năm 2022 Đảng bộ quận 1 hiện có 51 tổ chức cơ sở đảng với 8.033 đảng viên.", ["q1_members"]),
]  # fmt: skip

# question, generated sentence, cited passages, words the reason must hold
UNSUPPORTED = [
    # The figure is in the passage, but it is another district's.
    ("Quận 3 có bao nhiêu đảng viên?", "8.033 đảng viên [1].", ["q1_members"], "8.033 in [1] is quận 1's, not Quận 3's"),
    ("Quận 3 có bao nhiêu đảng viên?", "Quận 3 có 8.033 đảng viên [1].", ["q1_members"], "not Quận 3's"),
    ("How many party members are there in District 3?", "8.033 đảng viên [1].", ["q1_members"], "not District 3's"),
    ("Quận 1 có bao nhiêu đảng viên?", "Quận 1 có 12.554 đảng viên [1].", ["tb_members"], "is quận Tân Bình's, not Quận 1's"),
    ("Quận 1 có bao nhiêu đảng viên?", "Quận 1 có 12.554 đảng viên [2].", ["q1_members", "tb_members"], "not Quận 1's"),
    # In its own passage but given to the other of two places in one sentence.
    ("Quận 1 có bao nhiêu đảng viên?", "Quận 1 có 12.554 đảng viên [1].", ["two_districts"], "is quận Tân Bình's"),
    # A figure that counts something else in the passage, or a unit it does not have.
    ("Quận 1 có bao nhiêu cơ quan ngoại giao?", "Quận 1 có 128 cơ quan ngoại giao [1].", ["q1_facts"], "128 cơ quan ngoại is not in [1]"),
    ("Quận Tân Bình có bao nhiêu chi bộ cơ sở?", "Quận Tân Bình có 27 chi bộ cơ sở [1].", ["tb_members"], "27 chi bộ cơ is not in [1]"),
    ("Quận 1 có bao nhiêu đảng viên?", "Quận 1 có 94,27 đảng viên [1].", ["q1_share"], "94,27 đảng viên is not in [1]"),
    ("Quận 1 có bao nhiêu đảng viên?", "Quận 1 có 6.551% đảng viên [1].", ["q1_share"], "6.551 % is not in [1]"),
    # A figure the passage does not have, in any format.
    ("Quận 1 có bao nhiêu đảng viên?", "Đảng bộ quận 1 hiện có 8.330 đảng viên [1].", ["q1_members"], "number 8.330 is not in [1]"),
    # A negation the passage does not make.
    ("Quận 1 có bao nhiêu đảng viên?", "Đảng bộ quận 1 không có 8.033 đảng viên [1].", ["q1_members"], "'không có' is not in [1]"),
    # The relation asked about is not what the passage states.
    ("Quận 1 có bao nhiêu tổ chức cơ sở đảng mới?", "Đảng bộ quận 1 có 51 tổ chức cơ sở đảng mới [1].", ["q1_members"], "'mới' of the question is not in [1]"),
    # An echo of the question states nothing.
    ("Dân số quận 1 là bao nhiêu?", "Dân số quận 1 là bao nhiêu [1]?", ["q1_facts"], "repeats the question"),
]  # fmt: skip

TWO_DISTRICTS = Passage("made.txt", "Quận 1 có 8.033 đảng viên, quận Tân Bình có 12.554 đảng viên.", 0, 62)


def cited(keys: list[str]) -> list[Passage]:
    return [TWO_DISTRICTS if k == "two_districts" else PASSAGES[k] for k in keys]


@pytest.mark.parametrize(("question", "sentence", "keys"), SUPPORTED, ids=[s for _, s, _ in SUPPORTED])
def test_supported_sentences_are_verified(question, sentence, keys):
    (claim,) = verify.verify(sentence, cited(keys), question=question)
    assert claim.verified, claim.reason
    # The evidence is a span of the cited passage, at its offsets in the source file.
    ev = claim.evidence
    assert ev.quote in cited(keys)[ev.n - 1].text
    assert source_text(ev.source)[ev.quote_start : ev.quote_end] == ev.quote


@pytest.mark.parametrize(
    ("question", "sentence", "keys", "reason"), UNSUPPORTED, ids=[s for _, s, _, _ in UNSUPPORTED]
)
def test_unsupported_sentences_are_flagged_with_the_reason(question, sentence, keys, reason):
    (claim,) = verify.verify(sentence, cited(keys), question=question)
    assert not claim.verified
    assert reason in claim.reason


def test_a_bare_figure_answers_for_the_question_s_subject():
    # Without the question a bare figure has no subject and is only looked up; with it, the
    # figure must be the asked district's (generate.finish always passes the question).
    (alone,) = verify.verify("8.033 đảng viên [1].", cited(["q1_members"]))
    (asked_1,) = verify.verify(
        "8.033 đảng viên [1].", cited(["q1_members"]), question="Quận 1 có bao nhiêu đảng viên?"
    )
    (asked_3,) = verify.verify(
        "8.033 đảng viên [1].", cited(["q1_members"]), question="Quận 3 có bao nhiêu đảng viên?"
    )
    assert alone.verified and asked_1.verified and not asked_3.verified
    # A sentence that names its district is held to it even without the question.
    (named,) = verify.verify("Quận 1 có 12.554 đảng viên [1].", cited(["two_districts"]))
    assert not named.verified and "not Quận 1's" in named.reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Đảng bộ quận 1 có 8.033 đảng viên", [("district", "1")]),
        ("Quận ủy quận Tân Bình và Quận ủy Quận 1", [("district", "tan binh"), ("district", "1")]),
        ("phường 05 và Phường Bến Nghé", [("ward", "5"), ("ward", "ben nghe")]),
        ("Trưởng Ban Tuyên giáo Thành ủy TP.HCM", [("city", "hcm")]),
        ("The Tan Binh District Party Committee", [("district", "tan binh")]),
        ("How many members in District 3?", [("district", "3")]),
        ("quan 1 co bao nhieu phuong", [("district", "1")]),
        ("mạng xã hội, Quận ủy, thành phố đã", []),
        # Folded, "quân" (army) and "tính" (compute) read like "quận" and "tỉnh".
        ("quân Nguyên, bài Tiến Quân Ca, máy tính Bkav", []),
    ],
)
def test_places_a_sentence_names(text, expected):
    assert [(p.level, p.key) for p in places(text)] == expected


def test_a_place_is_the_same_by_initials_or_by_its_first_words():
    hcm, full = places("TP.HCM")[0], places("thành phố Hồ Chí Minh")[0]
    assert hcm.same(full) and full.same(hcm)
    long = places("Quận ủy quận Tân Bình Nguyễn Văn A")[0]  # a name runs on into a person's
    assert long.same(places("quận Tân Bình")[0])
    assert not places("quận Tân Phú")[0].same(places("quận Tân Bình")[0])
    assert not places("quận 1")[0].same(places("phường 1")[0])  # another level


def test_verified_sentences_about_another_place_fall_back_to_the_extractive_answer():
    from rag.generation import generate
    from rag.records import Answer

    abstains = Answer("Quận 5 có bao nhiêu phường?", "Tài liệu không có thông tin.", False)
    settings = generate.GenerationSettings()
    # True of quận 1 and verified, but the question is about quận 5: no answer to it.
    off = generate.finish(
        abstains, "Đảng bộ quận 1 có 8.033 đảng viên [1].", cited(["q1_members"]), "m", settings
    )
    assert off.generated_by is None and off.text == abstains.text
    assert off.notice == generate.prompts()["vi"]["fallback_off_question"]
    # The same sentence answers a question about quận 1.
    asked = Answer("Quận 1 có bao nhiêu đảng viên?", "8.033 đảng viên [1].", True)
    on = generate.finish(
        asked, "Đảng bộ quận 1 có 8.033 đảng viên [1].", cited(["q1_members"]), "m", settings
    )
    assert on.generated_by == "m" and [c.verified for c in on.claims] == [True]
