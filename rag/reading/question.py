"""Read a question: its language, the type of answer it wants, and the terms it must match."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rag.language.normalize import fold, has_diacritics, strip_marks, terms
from rag.reading.extract import people

# Cue phrases, matched on the folded lower-cased question with word boundaries. They
# decide the answer type and are left out of evidence coverage (an answer sentence
# says "8.033 đảng viên", not "bao nhiêu đảng viên"), but stay in the lexical index.
_CUES = {
    "role": [
        "chức vụ", "giữ chức", "chức danh", "cương vị", "đảm nhiệm", "what position",
        "what role", "what title", "what is the position", "what is the role", "job",
    ],
    "date": [
        "khi nào", "bao giờ", "năm nào", "ngày nào", "tháng nào", "lúc nào", "thời gian nào",
        "thời điểm nào", "when", "what year", "which year", "what date",
    ],
    "number": [
        "bao nhiêu", "tỷ lệ", "tỉ lệ", "phần trăm", "số lượng", "how many", "how much",
        "what percentage", "what percent", "what proportion", "what share", "how large",
        "what is the number", "number of", "rate",
    ],
    "person": ["ai", "người nào", "who", "whom", "whose"],
    "place": ["ở đâu", "nơi nào", "chỗ nào", "where"],
    "list": ["những", "các", "which", "what are"],  # with "nào"/"gì" (see answer_kind)
}  # fmt: skip
_QUESTION_WORDS = {
    "là", "gì", "nào", "thế", "sao", "có", "không", "what", "is", "are", "was", "were", "a", "an", "of", "in", "on", "did", "do", "does", "there", "to", "by", "for", "at", "and",
}  # fmt: skip
# How each folded cue or question word may be typed: with its diacritics or without any.
# An accented question drops "có" but keeps "cồ" ("nước Đại Cồ Việt"), which folds the
# same way; an unaccented one drops "ty" (of "ty le") but keeps "bi" (of "bi thu"), which
# folds like the English "by".
_WRITTEN: dict[str, set[str]] = {}
for _word in [w for cues in _CUES.values() for cue in cues for w in cue.split()] + sorted(_QUESTION_WORDS):
    _WRITTEN.setdefault(fold(_word), set()).update({_word, strip_marks(_word)})
_FOLDED_CUES = {kind: [fold(cue) for cue in cues] for kind, cues in _CUES.items()}
_FOLDED_QUESTION_WORDS = {fold(w) for w in _QUESTION_WORDS}
_ENGLISH = {
    "the", "what", "who", "how", "many", "much", "is", "are", "was", "of", "in", "which",
    "when", "where", "did", "does", "party", "members", "there", "district",
}  # fmt: skip
# Nouns for people: "<noun> nào" asks for a person ("nhà thơ nào"), and so does a bare
# phrase that starts with one ("Tổng thống Úc", "vợ của Pablo Escobar").
_PERSON_NOUNS = (
    "nguoi", "ca si", "vua", "nha tho", "nha van", "nha soan kich", "nha khoa hoc",
    "cau thu", "hoa si", "tong thong", "thu tuong", "chu tich", "giam doc", "tong giam doc",
    "bo truong", "tac gia", "nhan vat", "vo", "chong", "con trai", "con gai", "con", "cha",
    "me", "bo", "hoang tu", "cong chua", "nu hoang", "hoang de", "huan luyen vien", "dao dien",
    "nhac si", "dien vien", "bi thu", "tong bi thu", "pho chu tich", "truong ban", "nha",
)  # fmt: skip
# Nouns that are themselves a figure: "Dân số quận 1?" asks for a number without "bao
# nhiêu". They decide the type but stay content words. Not in English: with no Vietnamese
# word to place the figure, "What is the area of …" picked a wrong figure (eval, e38).
_QUANTITY_NOUNS = ("dan so", "dien tich", "mat do")
_NAME_OF = ("ten that", "ten hieu", "ten tu", "but danh", "but hieu", "biet danh", "ten khai sinh")
# Folded forms: "tỷ lệ" and "ty le" fold to "ti le" as well.
_PERCENT_CUES = ("ti le", "phan tram", "percent", "percentage", "proportion", "rate")


@dataclass(frozen=True)
class Question:
    text: str
    lang: str  # "vi", "vi-noaccent" or "en"
    kind: str
    wants_percent: bool
    content: tuple[str, ...]  # folded syllables and bigrams that evidence should contain
    numbers: tuple[str, ...]  # numbers written in the question (must appear near the answer)
    unit: tuple[str, ...]  # folded words of what is counted: "bao nhiêu đảng viên" -> dang, vien
    names: tuple[str, ...] = ()  # people the question names (for "what is X's position")
    measure: str = ""  # a measure asked for ("density", "area", "population"): rag/data/measures.json


def _is_question_word(word: str, folded: str, cue_words: set[str]) -> bool:
    """A word that asks rather than names: part of a cue found in the question, or a
    question word, typed as that word is written, with or without its diacritics.

    >>> [_is_question_word(w, "co", set()) for w in ("có", "cồ", "co")]
    [True, False, True]
    >>> _is_question_word("bi", "bi", set()), _is_question_word("ty", "ti", {"ti", "le"})
    (False, True)
    """
    asked = folded in cue_words or folded in _FOLDED_QUESTION_WORDS
    return asked and word in _WRITTEN.get(folded, ())


def _has(folded: str, phrase: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", folded) is not None


def language(text: str) -> str:
    """ "vi", "vi-noaccent" (Vietnamese typed without diacritics) or "en".

    >>> language("Quận 1 có bao nhiêu đảng viên?"), language("quan 1 co bao nhieu phuong")
    ('vi', 'vi-noaccent')
    >>> language("How many party members are there in District 1?")
    'en'
    """
    if has_diacritics(text):
        return "vi"
    words = [w.lower() for w in terms(text)]
    english = sum(w in _ENGLISH for w in words)
    return "en" if english >= 2 or (english and len(words) <= 3) else "vi-noaccent"


def _asks_how_many(text: str) -> bool:
    """ "mấy" (how many), which folds to "may" like "máy" (machine): read it accented,
    unless the question has no diacritics at all.

    >>> _asks_how_many("Quận 1 có mấy phường?"), _asks_how_many("Ai phát minh ra chuột máy tính")
    (True, False)
    """
    words = text.lower() if has_diacritics(text) else fold(text).lower()
    return _has(words, "mấy" if has_diacritics(text) else "may")


def answer_kind(text: str) -> str:
    """The answer type a question asks for.

    >>> [answer_kind(q) for q in ["Ai là Bí thư?", "Dân số là bao nhiêu?", "Năm nào?", "Ông A giữ chức vụ gì?"]]
    ['person', 'number', 'date', 'role']
    >>> answer_kind("Diện tích quận 1?"), answer_kind("dan so quan 1")
    ('number', 'number')
    """
    folded = fold(text).lower()
    for kind in ("role", "date", "number", "person", "place"):
        if any(_has(folded, cue) for cue in _FOLDED_CUES[kind]):
            return kind
        if kind == "number" and _asks_how_many(text):
            return kind
    if any(_has(folded, noun) for noun in _QUANTITY_NOUNS):
        return "number"
    nouns = "|".join(re.escape(n) for n in _PERSON_NOUNS)
    if re.search(rf"(?<!\w)(?:{nouns})(?:\s+\w+)?\s+nao(?!\w)", folded):
        return "person"
    if any(_has(folded, cue) for cue in _NAME_OF):
        return "person"
    if not _has(folded, "gi") and not _has(folded, "nao") and re.match(rf"\s*(?:{nouns})(?!\w)", folded):
        return "person"
    plural = any(_has(folded, cue) for cue in _FOLDED_CUES["list"])
    if plural and (_has(folded, "nao") or _has(folded, "gi") or not has_diacritics(text)):
        return "list"
    return "other"


_WORD = re.compile(r"[\w'’-]+")


def lexical_query(text: str) -> str:
    """What the word index is asked. For an English question over Vietnamese text only the
    names and figures it writes ("Ho Chi Minh", "1975") can occur verbatim; its other words
    fold into unrelated Vietnamese syllables ("to" = "tổ", "do" = "độ", "an" = "ăn"), so
    they are left to the embedding. Other questions are asked as written.

    >>> lexical_query("How many party members does Ho Chi Minh City have in 2020?")
    'Ho Chi Minh City 2020'
    >>> lexical_query("Quận 1 có bao nhiêu đảng viên?")
    'Quận 1 có bao nhiêu đảng viên?'
    """
    if language(text) != "en":
        return text
    words = [m.group() for m in _WORD.finditer(text)]
    keep = [
        w for i, w in enumerate(words)
        if any(ch.isdigit() for ch in w) or (w[0].isupper() and (i or w.lower() not in _ENGLISH_WORDS))
    ]  # fmt: skip
    return " ".join(keep)


def named(text: str) -> tuple[str, ...]:
    """Folded syllables of the names a question writes (capitalised words and figures; a
    question word that opens it is not a name): what the answer must be about.

    >>> named("Thành phố Hồ Chí Minh có bao nhiêu đảng viên?")
    ('thanh', 'ho', 'chi', 'minh')
    >>> named("How many party members does Ho Chi Minh City have?")
    ('ho', 'chi', 'minh', 'city')
    """
    words = [m.group() for m in _WORD.finditer(text)]
    out = [
        fold(w).lower() for i, w in enumerate(words)
        if w[0].isupper() and (i or (fold(w).lower() not in _ENGLISH_WORDS | _FOLDED_QUESTION_WORDS
                                     and fold(w).lower() not in _OPENERS))
    ]  # fmt: skip
    return tuple(dict.fromkeys(out))


# Words that open a Vietnamese question without naming anything.
_OPENERS = {
    "ai",
    "bao",
    "khi",
    "tai",
    "vi",
    "nhu",
    "o",
    "nam",
    "ngay",
    "thang",
    "trong",
    "theo",
    "sau",
    "truoc",
    "tu",
}
# Function words that open an English question, capitalised only because they come first.
_ENGLISH_WORDS = _ENGLISH | {
    "why", "whom", "whose", "do", "in", "on", "at", "for", "to", "by", "from", "as", "after",
    "before", "during", "according", "name", "list", "give", "a", "an", "were", "has", "have", "had",
    "can", "could", "would", "should", "will", "if", "about", "besides", "other", "since", "with", "into",
}  # fmt: skip


@lru_cache(maxsize=1)
def measures() -> dict[str, dict[str, list[str]]]:
    """Measures, their cue words and the units a figure must carry (rag/data/measures.json)."""
    path = Path(__file__).parent.parent / "data" / "measures.json"
    return json.loads(path.read_text(encoding="utf-8"))["measures"]


def asked_measure(text: str) -> str:
    """The measure a question asks for, if any (first in the file's order).

    >>> asked_measure("Mật độ dân số quận 1?"), asked_measure("Dân số quận 1?"), asked_measure("Quận 1?")
    ('density', 'population', '')
    """
    folded = fold(text).lower()
    for name, spec in measures().items():
        if any(_has(folded, cue) for cue in spec["cues"]):
            return name
    return ""


def analyse(text: str) -> Question:
    folded = fold(text).lower()
    cue_words = {
        w for cues in _FOLDED_CUES.values() for cue in cues if _has(folded, cue) for w in cue.split()
    }
    written = terms(text)
    words = [fold(w) for w in written]
    keep = [not _is_question_word(w, f, cue_words) for w, f in zip(written, words)]
    kept = [w for w, k in zip(words, keep) if k]
    # Bigrams only of words adjacent in the question itself: dropping "có bao nhiêu"
    # from "quận 1 có bao nhiêu phường" must not invent the pair "1 phường".
    pairs = [f"{a}_{b}" for (a, ka), (b, kb) in zip(zip(words, keep), zip(words[1:], keep[1:])) if ka and kb]
    content = tuple(dict.fromkeys(kept + pairs))
    numbers = tuple(w for w in words if w[0].isdigit())
    unit = asked_unit(text)
    kind = answer_kind(text)
    return Question(
        text=text,
        lang=language(text),
        kind=kind,
        wants_percent=any(_has(folded, c) for c in _PERCENT_CUES),
        content=content,
        numbers=numbers,
        unit=unit,
        names=tuple(text[c.start : c.end] for c in people(text)) if kind == "role" else (),
        measure=asked_measure(text) if kind == "number" else "",
    )


_COUNT_CUE = re.compile(r"(?<!\w)(?:bao nhieu|how many|how much|number of)\s+([^?.,;!]*)")
_UNIT_END = {
    "la",
    "co",
    "moi",
    "trong",
    "tai",
    "o",
    "cua",
    "duoc",
    "da",
    "are",
    "is",
    "were",
    "was",
    "in",
    "of",
    "did",
    "do",
    "does",
    "tham",
}


def asked_unit(text: str) -> tuple[str, ...]:
    """The words right after "bao nhiêu" / "how many": the thing being counted.

    >>> asked_unit("Quận 1 có bao nhiêu đảng viên?"), asked_unit("Dân số là bao nhiêu?")
    (('dang', 'vien'), ())
    """
    m = _COUNT_CUE.search(fold(text).lower())
    if not m:
        return ()
    words = []
    for w in m.group(1).split():
        if w in _UNIT_END or len(words) == 4:
            break
        words.append(w)
    return tuple(words)
