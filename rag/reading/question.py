"""Read a question: its language, the type of answer it wants, and the terms it must match."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rag.language import glossary
from rag.language.normalize import fold, has_diacritics, nfc, strip_marks, terms, vietnamese_syllable
from rag.language.words import words
from rag.reading.extract import numbers as figures_in
from rag.reading.extract import people
from rag.reading.subjects import Place, asked_places

# Word lists: rag/data/words.toml says what each is for and how its entries are written.
# Cue phrases decide the answer type and are left out of evidence coverage (an answer
# sentence says "8.033 đảng viên", not "bao nhiêu đảng viên"), but stay in the lexical index.
_CUES = {kind: words(f"cues.{kind}") for kind in ("role", "date", "number", "person", "place", "list")}
_QUESTION_WORDS = frozenset(words("questions.question_words"))
# How each folded cue or question word may be typed: with its diacritics or without any.
# An accented question drops "có" but keeps "cồ" ("nước Đại Cồ Việt"), which folds the
# same way; an unaccented one drops "ty" (of "ty le") but keeps "bi" (of "bi thu"), which
# folds like the English "by".
_WRITTEN: dict[str, set[str]] = {}
for _word in [w for cues in _CUES.values() for cue in cues for w in cue.split()] + sorted(_QUESTION_WORDS):
    _WRITTEN.setdefault(fold(_word), set()).update({_word, strip_marks(_word)})


def cue_phrases() -> list[str]:
    """The cue phrases and question words, as rag/data/words.toml writes them ("bao nhiêu")."""
    return [cue for cues in _CUES.values() for cue in cues] + list(words("questions.question_words"))


_FOLDED_CUES = {kind: [fold(cue) for cue in cues] for kind, cues in _CUES.items()}
_DATE_LAST = re.compile(rf"(?<!\w)(?:{'|'.join(re.escape(fold(c)) for c in words('cues.date_last'))})\W*$")
_DATE_FIRST = frozenset(fold(c) for c in words("cues.date_first"))
_OPENS_DATE = re.compile(rf"^\W*(?:{'|'.join(re.escape(c) for c in sorted(_DATE_FIRST))})(?!\w)")
# The cues that decide a question's kind, as `_as_typed` writes a question with marks (True) or
# without (False); "when" only where it opens the question (`_OPENS_DATE`).
_KIND_CUES = {
    accented: {
        kind: [nfc(cue).lower() if accented else fold(cue) for cue in cues if fold(cue) not in _DATE_FIRST]
        for kind, cues in _CUES.items()
    }
    for accented in (True, False)
}
_FOLDED_QUESTION_WORDS = {fold(w) for w in _QUESTION_WORDS}
_ENGLISH = frozenset(words("questions.english"))
# An unaccented question is English when this share of its lower-case words cannot be
# Vietnamese syllables. On the tune questions (python -m eval.language) 0.3-0.5 all read every
# English question as English and every Vietnamese one, diacritics stripped, as Vietnamese
# (the word list alone: 0.941 of the English); the middle is kept.
FOREIGN_SHARE = 0.4
# Two English words make an unaccented text English only when they are this share of its words:
# a long Vietnamese paste typed without marks writes "the" (thế) and "in" (in) now and then.
ENGLISH_WORD_SHARE = 0.1
_PERSON_NOUNS = words("questions.person_nouns")
_NAME_OF = words("questions.name_of")
_PERCENT_CUES = words("questions.percent_cues")
# Read the office a "who" question asks about (rag/data/roles.json): a person whose written
# role is another office does not answer it. False: no office is read (the rule before).
ASK_ROLE = True
# An English question asks the word index its names and figures, and the first this many
# Vietnamese translations of each of its other words (rag/language/glossary.py). 0: names only.
TRANSLATIONS = 2
_UNTRANSLATED = frozenset(words("questions.untranslated"))


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
    role: tuple[
        str, ...
    ] = ()  # who holds an office ("Ai là Chủ tịch …"): the heads that fit, rag/data/roles.json
    # The rank asked before the office's head: "deputy" ("Phó Chủ tịch", "Deputy Secretary"), "general"
    # ("Tổng Bí thư", "General Secretary"), "" for the office itself (rag/data/roles.json "ranks").
    rank: str = ""
    office: tuple[str, ...] = ()  # the body it belongs to, as written in a role ("thanh uy")
    commission: tuple[str, ...] = ()  # the body's commission a "Trưởng ban" heads ("tuyen giao")
    figures: tuple[tuple[str, str], ...] = ()  # its figures' values and units: ("12", "thang")
    places: tuple[Place, ...] = ()  # the places it names ("Ho Chi Minh City"): a figure must be theirs
    written: tuple[tuple[str, str], ...] = ()  # its content syllables, folded and as written (lower case)
    # What is counted, when the retrieved text counts by it ("66 khu phố"): only figures of that
    # unit answer (evidence.counted_unit, Reader.learn).
    counted: tuple[str, ...] = ()
    head: tuple[str, ...] = ()  # the thing counted, past its scale and before a name (`counted_head`)


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


def find_phrase(folded: str, phrase: str) -> re.Match | None:
    """The first whole-word occurrence of `phrase` in `folded`."""
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", folded)


def _has(folded: str, phrase: str) -> bool:
    return find_phrase(folded, phrase) is not None


def language(text: str) -> str:
    """ "vi", "vi-noaccent" (Vietnamese typed without diacritics) or "en".

    >>> language("Quận 1 có bao nhiêu đảng viên?"), language("quan 1 co bao nhieu phuong")
    ('vi', 'vi-noaccent')
    >>> language("How many party members are there in District 1?")
    'en'
    >>> language("what were Baden-Powell's books about?"), language("Baden-Powell viet sach ve gi?")
    ('en', 'vi-noaccent')

    An English question may write Vietnamese names with their marks: its marked words are all
    capitalised or written between two capitalised words past the first ("the Cột cờ Thủ Ngữ
    pages"; a question's first word is capitalised anyway), and the rest reads as English.

    >>> language("How many party members does Tân Bình have?"), language("Tô Thị Bích Châu là ai?")
    ('en', 'vi')
    >>> language("How many minutes did the videos on the Cột cờ Thủ Ngữ pages get?")
    'en'
    """
    if has_diacritics(text):
        found = _WORD.findall(text)
        capital = [w[0].isupper() for w in found] + [False]
        for i, w in enumerate(found):
            if has_diacritics(w) and not (capital[i] or (i > 1 and capital[i - 1] and capital[i + 1])):
                return "vi"
        rest = " ".join(w for w in found if not has_diacritics(w))
        return "en" if _unaccented_language(rest) == "en" else "vi"
    return _unaccented_language(text)


def _unaccented_language(text: str) -> str:
    """ "en" or "vi-noaccent", for a text without marks (`language`)."""
    words = [w.lower() for w in terms(text)]
    english = sum(w in _ENGLISH for w in words)
    if (english >= 2 and english >= ENGLISH_WORD_SHARE * len(words)) or (english and len(words) <= 3):
        return "en"
    # Past the word list: the share of its words that no Vietnamese syllable spells ("were",
    # "books"), names aside (capitalised after the first word).
    raw = re.findall(r"[A-Za-z]+", text)
    plain = [w.lower() for i, w in enumerate(raw) if i == 0 or not w[0].isupper()]
    foreign = sum(not vietnamese_syllable(w) for w in plain)
    return "en" if plain and foreign / len(plain) >= FOREIGN_SHARE else "vi-noaccent"


def _asks_how_many(text: str) -> bool:
    """ "mấy" (how many), which folds to "may" like "máy" (machine): read it accented,
    unless the question has no diacritics at all.

    >>> _asks_how_many("Quận 1 có mấy phường?"), _asks_how_many("Ai phát minh ra chuột máy tính")
    (True, False)
    """
    return _has(_as_typed(text), "mấy" if has_diacritics(text) else "may")


def _as_typed(text: str) -> str:
    """The question as its cue words are matched: with its marks when it has any ("vũ khí nào",
    which weapon, is no "khi nào", when), folded when it has none."""
    return nfc(text).lower() if has_diacritics(text) else fold(text).lower()


_WHO_IS = re.compile(
    r"^\s*(?:who\s+(?:is|was)\s+(?P<en>.+?)|(?P<vi>.+?)\s+là\s+ai)\s*[?.!]*\s*$", re.IGNORECASE
)
_ADDRESS = frozenset(words("honorifics.address") + words("honorifics.kin") + words("honorifics.comrade"))


def who_is_named(text: str) -> bool:
    """The question asks who a person it names is ("Bà Tô Thị Bích Châu là ai?", "Who is
    Nguyen Van A?"): its subject, past a word of address, is that name and nothing more.

    >>> [who_is_named(t) for t in ("Bà Tô Thị Bích Châu là ai?", "Who is Lại Xuân Môn?", "Ai là Bí thư?", "Người chủ trì là ai?")]
    [True, True, False, False]
    """
    m = _WHO_IS.match(nfc(text))
    if not m:
        return False
    subject = (m.group("en") or m.group("vi")).strip()
    words_ = subject.split()
    for n in (2, 1):  # "đồng chí", "bà"
        if len(words_) > n and " ".join(words_[:n]).lower() in _ADDRESS:
            subject = " ".join(words_[n:])
            break
    found = people(subject)
    return len(found) == 1 and subject[found[0].start : found[0].end] == subject


def asks_author(text: str) -> bool:
    """The question asks who wrote a report: an author word and a report word (`words.toml`
    `questions.author`, `questions.report`), with or without diacritics. "Who wrote the book?"
    is not asked of a report's credit line.

    >>> [asks_author(t) for t in ("Who wrote the article about District 1?", "ai viet bai nay", "Ai là tác giả bài hát?")]
    [True, True, False]
    """
    folded = " ".join(fold(text).lower().split())
    return any(_has(folded, c) for c in _AUTHOR_CUES) and any(_has(folded, w) for w in _REPORT_WORDS)


_AUTHOR_CUES = tuple(fold(c).lower() for c in words("questions.author"))
_REPORT_WORDS = tuple(fold(c).lower() for c in words("questions.report"))


def answer_kind(text: str) -> str:
    """The answer type a question asks for.

    >>> [answer_kind(q) for q in ["Ai là Bí thư?", "Dân số là bao nhiêu?", "Năm nào?", "Ông A giữ chức vụ gì?"]]
    ['person', 'number', 'date', 'role']
    >>> answer_kind("Diện tích quận 1?"), answer_kind("dan so quan 1")
    ('number', 'number')
    >>> answer_kind("Ông mất vào năm bao nhiêu?"), answer_kind("Được nghỉ hằng năm bao nhiêu ngày?")
    ('date', 'number')
    >>> answer_kind("When did she move?"), answer_kind("What city did she move to when she was six?")
    ('date', 'other')
    >>> answer_kind("Vũ khí tiêu chuẩn được thay bằng vũ khí nào?"), answer_kind("vu khi nao duoc thay")
    ('other', 'date')
    """
    folded = fold(text).lower()
    written, cues = _as_typed(text), _KIND_CUES[has_diacritics(text)]
    for kind in ("role", "date", "number", "person", "place"):
        if any(_has(written, cue) for cue in cues[kind]):
            return kind
        if kind == "date" and (_DATE_LAST.search(folded) or _OPENS_DATE.match(folded)):
            return kind
        if kind == "number" and (_asks_how_many(text) or _COUNT_CUE.search(folded)):
            return kind
    if asked_measure(text):  # "Dân số quận 1?", "What is the population of …": a figure in its units
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


def _names_and_translations(text: str) -> tuple[list[str], list[str]]:
    """An English question's names and figures as it writes them ("Ho Chi Minh", "1975"), which
    occur verbatim in Vietnamese text, and the first `TRANSLATIONS` Vietnamese translations of
    each of its other words (rag/language/glossary.py) and of a measure it asks, with marks."""
    words = [m.group() for m in _WORD.finditer(text)]
    names = [
        w for i, w in enumerate(words)
        if any(ch.isdigit() for ch in w) or (w[0].isupper() and (i or w.lower() not in _ENGLISH_WORDS))
    ]  # fmt: skip
    translated = []
    if TRANSLATIONS:
        translated += glossary.translate(glossary.english_words(text), TRANSLATIONS, _UNTRANSLATED)
    if measure := asked_measure(text):  # "area" is "diện tích" here, not the list's "vùng"
        translated += measures()[measure].get("vietnamese", ())
    return names, translated


def lexical_query(text: str) -> str:
    """What the word index is asked. For an English question over Vietnamese text only the
    names and figures it writes ("Ho Chi Minh", "1975") can occur verbatim; its other words
    fold into unrelated Vietnamese syllables ("to" = "tổ", "do" = "độ", "an" = "ăn"), so they
    are asked by their Vietnamese translations (`TRANSLATIONS` each, rag/language/glossary.py),
    folded as the names are. Other questions are asked as written.

    >>> lexical_query("How many party members does Ho Chi Minh City have in 2020?")
    'Ho Chi Minh City 2020 dang vien Thanh pho Ho Chi Minh Ho Chi Minh'
    >>> lexical_query("Quận 1 có bao nhiêu đảng viên?")
    'Quận 1 có bao nhiêu đảng viên?'
    """
    if language(text) != "en":
        return text
    names, translated = _names_and_translations(text)
    return " ".join(names + [strip_marks(t) for t in translated])


def vietnamese_rendering(text: str) -> str:
    """An English question written word by word in Vietnamese, marks kept: its names and the
    translations of its other words, for the embedding model to read beside the question
    itself (rag/search/retrieval.py, `english_rendering`). Empty for any other question.

    >>> vietnamese_rendering("How many party members does Ho Chi Minh City have in 2020?")
    'Ho Chi Minh City 2020 đảng viên Thành phố Hồ Chí Minh Hồ Chí Minh'
    >>> vietnamese_rendering("Quận 1 có bao nhiêu đảng viên?")
    ''
    """
    if language(text) != "en":
        return ""
    return " ".join(sum(_names_and_translations(text), []))


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


_OPENERS = frozenset(words("questions.openers"))
_ENGLISH_WORDS = _ENGLISH | frozenset(words("questions.english_openers"))


@lru_cache(maxsize=1)
def measures() -> dict[str, dict[str, list[str]]]:
    """Measures, their cue words and the units a figure must carry (rag/data/measures.json)."""
    path = Path(__file__).parent.parent / "data" / "measures.json"
    return json.loads(path.read_text(encoding="utf-8"))["measures"]


def asked_measure(text: str) -> str:
    """The measure a question asks for, if any (first in the file's order): named by a cue, or
    counted as a whole ("bao nhiêu dân" is a population; "bao nhiêu dân tộc" counts something else).

    >>> asked_measure("Mật độ dân số quận 1?"), asked_measure("Dân số quận 1?"), asked_measure("Quận 1?")
    ('density', 'population', '')
    >>> asked_measure("Quận 1 có bao nhiêu dân?"), asked_measure("Quận 1 có bao nhiêu dân tộc?")
    ('population', '')
    """
    folded = fold(text).lower()
    counted = " ".join(asked_unit(text))  # folded, lower case
    for name, spec in measures().items():
        if any(_has(folded, cue) for cue in spec["cues"]) or counted in spec.get("asked_units", ()):
            return name
    return ""


@lru_cache(maxsize=1)
def roles() -> dict:
    """Offices a "who" question asks about, and the role heads that fit (rag/data/roles.json)."""
    path = Path(__file__).parent.parent / "data" / "roles.json"
    return json.loads(path.read_text(encoding="utf-8"))


def plain_words(text: str) -> str:
    """Folded lower-case words, one space apart ("Phó Chủ tịch UBND," -> "pho chu tich ubnd")."""
    return " ".join(re.findall(r"\w+", fold(text).lower()))


def rank_before(words: str, at: int) -> str:
    """The rank one of the two words before offset `at` of `plain_words` text gives the office
    there: "deputy" ("pho chu tich"), "general" ("tong bi thu"), or "" (the office itself).

    >>> [rank_before(w, w.index("bi thu")) for w in ("pho bi thu", "tong bi thu", "bi thu thanh uy")]
    ['deputy', 'general', '']
    """
    ranks = roles()["ranks"]
    return next((ranks[w] for w in reversed(words[:at].split()[-2:]) if w in ranks), "")


def asked_role(text: str) -> tuple[tuple[str, ...], str, tuple[str, ...]]:
    """The role heads a person must hold to answer, the rank asked (`rank_before`), and how
    the body the office belongs to is written, when the question names one.

    >>> asked_role("Ai là Phó Chủ tịch UBND quận 1?")
    (('chu tich',), 'deputy', ('ubnd', 'uy ban nhan dan'))
    >>> asked_role("Who is the mayor of Hanoi?"), asked_role("Ai phát minh ra điện thoại?")
    ((('chu tich',), '', ()), ((), '', ()))
    """
    words = plain_words(text)
    data = roles()
    for spec in data["roles"]:
        m = _first_phrase(words, spec["cues"]) or _together(words, spec.get("together", ()))
        if m:
            offices = (o["written"] for o in data["offices"] if any(_has(words, c) for c in o["cues"]))
            return tuple(spec["heads"]), rank_before(words, m.start()), tuple(next(offices, ()))
    return (), "", ()


def asked_commission(text: str) -> tuple[str, ...]:
    """How a role writes the Party committee's commission the question names (`roles.json`
    "commissions"), or () when it names none.

    >>> asked_commission("Ai là Trưởng Ban Dân vận Thành ủy?"), asked_commission("Who heads the city's Propaganda Department?")
    (('dan van',), ('tuyen giao',))
    """
    words = plain_words(text)
    return next(
        (tuple(c["written"]) for c in roles()["commissions"] if any(_has(words, w) for w in c["cues"])), ()
    )


def _together(words: str, groups) -> re.Match | None:
    """The first group's match when every group of phrases has one somewhere in `words`
    (`roles.json` "together": "Who heads the city's Propaganda Department?").

    >>> bool(_together("who heads the city s propaganda department", [["heads"], ["propaganda"]]))
    True
    >>> _together("who heads the city", [["heads"], ["propaganda"]]) is None
    True
    """
    found = [_first_phrase(words, group) for group in groups]
    return found[0] if found and all(found) else None


def _first_phrase(words: str, phrases) -> re.Match | None:
    """The match of the first of `phrases` found in `words` (`find_phrase`), or None."""
    return next((m for phrase in phrases if (m := find_phrase(words, phrase))), None)


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
    if kind == "person" and who_is_named(text):
        kind = "role"  # "Bà Tô Thị Bích Châu là ai?": what she is, not another person
    role, rank, office = asked_role(text) if kind == "person" and ASK_ROLE else ((), "", ())
    return Question(
        text=text,
        lang=language(text),
        kind=kind,
        wants_percent=any(_has(folded, c) for c in _PERCENT_CUES),
        content=content,
        numbers=numbers,
        unit=unit,
        head=counted_head(text, unit),
        names=tuple(text[c.start : c.end] for c in people(text)) if kind == "role" else (),
        measure=asked_measure(text) if kind == "number" else "",
        role=role,
        rank=rank,
        office=office,
        commission=asked_commission(text) if role else (),
        figures=tuple((c.value, c.unit) for c in figures_in(text)),
        places=tuple(asked_places(text)),
        written=tuple(dict.fromkeys((f, w.lower()) for w, f, k in zip(written, words, keep) if k)),
    )


# 1: an English "how many" counts up to its first plural noun (`_english_plural`); 0: up to a unit
# end or four words, as before stop 32 ("how many people live in": "people live").
ENGLISH_PLURAL_END = 1
# "What is the (current) total (number of) …" asks a figure as "how many" does.
_COUNT_CUE = re.compile(
    r"(?<!\w)(?:bao nhieu|how many|how much|number of"
    r"|what(?: is|'s| was) the (?:\w+ )?total(?: (?:number|amount) of)?)\s+([^?.,;!]*)"
)
# A question is read folded, but a word that ends the unit is known by its marks when it has
# them: "cơ quan" folds like "có quan", and "bao nhiêu cơ quan ngoại giao" asks for bodies,
# while "bao nhiêu đảng viên có …" ends at "có". A word typed without marks ("co") ends it as
# its folded form. The unit ends that fold like a unit word ("đang" / "đảng") are left to
# sentences (rag/reading/extract.py).
_UNIT_END_WORDS = words("unit_ends.both") + words("unit_ends.question")
_UNIT_END = frozenset(fold(w) for w in _UNIT_END_WORDS)
_UNIT_END_WRITTEN = frozenset(w.lower() for w in _UNIT_END_WORDS)
# A unit end that closes one of these compounds stays in the unit ("chi bộ trực thuộc"): folded.
_UNIT_COMPOUNDS = frozenset(fold(w).lower() for w in words("unit_ends.compounds"))


_MAGNITUDES = frozenset(fold(w) for w in words("answers.magnitudes"))


def drop_scale(unit: Sequence[str]) -> tuple[str, ...]:
    """A unit (folded words) without the words that scale its count: "triệu bản" is "bản"."""
    i = 0
    while i < len(unit) and unit[i] in _MAGNITUDES:
        i += 1
    return tuple(unit[i:])


def counted_head(text: str, unit: tuple[str, ...]) -> tuple[str, ...]:
    """The thing a "how many" counts: its asked unit past the words that scale it
    (`drop_scale`), up to a word the question capitalises, which names whose it is ("người Úc",
    "người Hoa": people, counted as "người").

    >>> counted_head("Springsteen đã bán bao nhiêu triệu bản ghi?", ("trieu", "ban", "ghi"))
    ('ban', 'ghi')
    >>> counted_head("Có bao nhiêu người Úc bị bắt?", ("nguoi", "uc"))
    ('nguoi',)
    """
    head = drop_scale(unit)
    capitalised = {fold(w.strip('?.,;:!()“”"')).lower() for w in text.split()[1:] if w[:1].isupper()}
    for i, w in enumerate(head):
        if i and w in capitalised:
            return head[:i]
    return head


def asked_unit(text: str) -> tuple[str, ...]:
    """The words right after "bao nhiêu" / "how many": the thing being counted.

    >>> asked_unit("Quận 1 có bao nhiêu đảng viên?"), asked_unit("Dân số là bao nhiêu?")
    (('dang', 'vien'), ())
    >>> asked_unit("Quận 1 có bao nhiêu cơ quan ngoại giao?"), asked_unit("quan 1 co bao nhieu co quan")
    (('co', 'quan', 'ngoai', 'giao'), ())
    >>> asked_unit("Quận 1 có mấy phường?"), asked_unit("quan 1 co may phuong"), asked_unit("Máy tính có mấy?")
    (('phuong',), ('phuong',), ())
    >>> asked_unit("Có bao nhiêu cán bộ thuộc diện Thành ủy?"), asked_unit("Có bao nhiêu chi bộ trực thuộc?")
    (('can', 'bo'), ('chi', 'bo', 'truc', 'thuoc'))
    """
    written = text.lower().split()
    folded = " ".join(fold(w) for w in written)
    m = _COUNT_CUE.search(folded)
    if m:
        first, counted = folded[: m.start(1)].count(" "), m.group(1)  # the word the unit starts at
    elif _asks_how_many(text):
        # "mấy" as written (folded, "may" is also "máy"), or "may" in a question with no marks.
        accented = has_diacritics(text)
        forms = written if accented else folded.split()
        cue = "mấy" if accented else "may"
        first = next((i + 1 for i, w in enumerate(forms) if w.rstrip("?.,;!") == cue), 0)
        if not first:
            return ()
        counted = re.match(r"[^?.,;!]*", " ".join(folded.split()[first:])).group()
    else:
        return ()
    english = ENGLISH_PLURAL_END and m is not None and not m.group(0).startswith("bao")
    words = []
    for w, as_written in zip(counted.split(), written[first:]):
        as_written = as_written.rstrip("?.,;!")
        marked = as_written != w
        ends = as_written in _UNIT_END_WRITTEN if marked else w in _UNIT_END
        if (ends and not (words and f"{words[-1]} {w}" in _UNIT_COMPOUNDS)) or len(words) == 4:
            break
        words.append(w)
        if english and _english_plural(w):
            break  # "how many people live in …": the verb after the noun is no unit
    return tuple(words)


_PLURALS = frozenset(words("unit_ends.english_plurals"))
_NOT_PLURALS = frozenset(words("unit_ends.english_not_plurals"))


def _english_plural(word: str) -> bool:
    """Whether an English word (lower case) reads as a plural noun, which ends what a "how many"
    counts (`words.toml` `unit_ends`).

    >>> [_english_plural(w) for w in ("people", "cells", "grassroots", "class", "famous", "party")]
    [True, True, False, False, False, False]
    """
    if word in _NOT_PLURALS:
        return False
    return word in _PLURALS or (word.endswith("s") and not word.endswith(("ss", "us", "is", "ous")))
