"""Vietnamese text normalisation for matching: NFC, diacritics folding, number forms, terms.

Everything here is a pure function; the lexical index, the answer extractor and the
evaluation all match text through these, so `8.033`, `8,033` and `8033` meet everywhere.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# A number keeps its separators inside one token: 8.033, 94,27, 1.234.567, 440/465 is two.
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|\w+", re.UNICODE)
_THOUSANDS = re.compile(r"^\d{1,3}([.,])\d{3}(?:\1\d{3})*$")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# A syllable whose whole rhyme is "y" after a consonant ("sỹ", "kỹ", "lý", "tỷ") is
# written with "i" just as correctly ("sĩ", "kĩ", "lí", "tỉ"): both spellings are in use.
_RHYME_Y = re.compile(r"\b([bcdghklmnprstvx]{1,2})(y)\b", re.IGNORECASE)


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Remove Vietnamese diacritics ("đ"/"Đ" have no decomposition and are mapped by
    hand) and spell a lone rhyme "y" as "i", so that "ca sỹ" and "ca sĩ" meet.

    >>> fold("Quận 1 có bao nhiêu Đảng viên"), fold("ca sỹ Lý Hải, kĩ sư")
    ('Quan 1 co bao nhieu Dang vien', 'ca si Li Hai, ki su')
    """
    return _RHYME_Y.sub(lambda m: m.group(1) + ("i" if m.group(2) == "y" else "I"), strip_marks(text))


_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")  # huyền, sắc, ngã, hỏi, nặng


@lru_cache(maxsize=65536)
def spelling(word: str) -> tuple[str, str]:
    """A syllable as written, whichever vowel carries its tone mark: its letters with their
    vowel marks (a lone rhyme "y" as "i") and its tone. "hoà" and "hòa", "sỹ" and "sĩ" are one
    spelling; "có" and "cơ", "đảng" and "đang" are not, though each pair folds alike.

    >>> spelling("Hoà") == spelling("hòa"), spelling("sỹ") == spelling("sĩ"), spelling("có") == spelling("cơ")
    (True, True, False)
    """
    decomposed = unicodedata.normalize("NFD", word.lower())
    tone = "".join(c for c in decomposed if c in _TONE_MARKS)
    letters = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS))
    return _RHYME_Y.sub(lambda m: m.group(1) + "i", letters), tone


def strip_marks(text: str) -> str:
    """Diacritics removed and nothing else ("Lý" -> "Ly"; `fold` also spells it "Li")."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def strip_marks_aligned(text: str) -> str:
    """`strip_marks` character by character, so that every offset still points at the same
    character (a character that does not reduce to one stays as it is).

    >>> strip_marks_aligned("Quận 1 có 10 phường"), len(strip_marks_aligned("한국 Đà")) == len("한국 Đà")
    ('Quan 1 co 10 phuong', True)
    """
    return "".join(plain if len(plain := strip_marks(ch)) == 1 else ch for ch in text)


_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?"  # onset
    r"[aeiouy]{1,3}"  # vowel nucleus with its glides ("uye", "oai", "ieu")
    r"(?:ng|nh|ch|[cmnpt])?"  # final consonant
)


def vietnamese_syllable(word: str) -> bool:
    """Whether an unaccented, lower-case word can be a Vietnamese syllable: an onset, one
    to three vowels and a final of the few Vietnamese allows. Most English words cannot
    ("what", "were", "books", "symptoms"); short ones often can ("that", "son", "in").

    >>> [vietnamese_syllable(w) for w in ("nghieng", "quan", "dang", "what", "were", "books", "that")]
    [True, True, True, False, False, False, True]
    """
    return _SYLLABLE.fullmatch(word) is not None


def has_diacritics(text: str) -> bool:
    """Whether any letter carries a mark (an "y" spelled for "i" is not one).

    >>> has_diacritics("Quận 1"), has_diacritics("ca sy Ly Hai"), has_diacritics("dong")
    (True, False, False)
    """
    return strip_marks(text) != text


def normalize_number(token: str) -> str:
    """Canonical form of a number token, so Vietnamese and English formats meet.

    A separator followed by groups of exactly three digits is a thousands separator;
    any other "," or "." is a decimal mark (Vietnamese writes 94,27 for 94.27).

    >>> [normalize_number(t) for t in ["8.033", "8,033", "8033", "94,27", "94.27", "1.234.567"]]
    ['8033', '8033', '8033', '94.27', '94.27', '1234567']
    """
    if _THOUSANDS.match(token):
        return re.sub(r"[.,]", "", token)
    return token.replace(",", ".")


@lru_cache(maxsize=4096)
def tokens(text: str) -> tuple[tuple[str, int, int], ...]:
    """Syllables and numbers of `text` with their character offsets (NFC input expected).

    Cached: answering one question reads each candidate sentence several times (evidence,
    figures, names, proximity), and tokenising was most of `ask`'s own time (eval/bench.py).
    """
    return tuple((m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text))


def term(token: str) -> str:
    """The matching form of one token: lower case, numbers canonical."""
    if token[0].isdigit():
        return normalize_number(token)
    return token.lower()


def terms(text: str) -> list[str]:
    """Lower-cased syllables with canonical numbers.

    >>> terms("Quận 1 có 8.033 Đảng viên")
    ['quận', '1', 'có', '8033', 'đảng', 'viên']
    """
    return list(_terms(text))


@lru_cache(maxsize=4096)
def _terms(text: str) -> tuple[str, ...]:
    return tuple(_uncached_terms(text))


def _uncached_terms(text: str) -> list[str]:
    # Indexing reads each passage once: going through the caches would only churn them.
    return [term(m.group()) for m in _TOKEN.finditer(nfc(text))]


def bigrams(words: list[str]) -> list[str]:
    """Adjacent pairs: most Vietnamese words are two syllables ("đảng viên")."""
    return [f"{a}_{b}" for a, b in zip(words, words[1:])]


def lexical_terms(text: str) -> list[str]:
    """Index terms: syllables and bigrams, in an accented and a folded view.

    The folded view is marked with "~" so that "quan" (folded from "quận") and a
    genuinely unaccented word do not collide in the accented view; an unaccented
    query is matched against the folded view only (see `query_terms`).

    >>> lexical_terms("Đảng viên")
    ['đảng', 'viên', 'đảng_viên', '~dang', '~vien', '~dang_vien']
    """
    words = _uncached_terms(text)
    folded = [fold(w) for w in words]
    return words + bigrams(words) + ["~" + w for w in folded + bigrams(folded)]


def query_terms(text: str) -> list[str]:
    """Terms of a question: the accented view only when the user typed diacritics.

    >>> query_terms("quan 1 co bao nhieu phuong")[:3]
    ['~quan', '~1', '~co']
    """
    if has_diacritics(text):
        return lexical_terms(text)
    words = [fold(w) for w in terms(text)]
    return ["~" + w for w in words + bigrams(words)]
