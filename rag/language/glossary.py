"""English words in Vietnamese: a word list from Wiktionary's translation tables
(rag/data/en_vi.tsv, CC BY-SA; rag/data/en_vi.README.md says where it came from).

The word index knows the Vietnamese text's words only; an English question's own words fold
into unrelated syllables ("do" = "độ"). Their Vietnamese translations are what the text can
say: "population" is "dân số", "party member" "đảng viên". Pure lookups over a table read once.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from rag.language.normalize import nfc, strip_marks, vietnamese_syllable

GLOSSARY_FILE = Path(__file__).parent.parent / "data" / "en_vi.tsv"
# Hand-written terms of Vietnamese public administration and Party organisation, which the
# Wiktionary list lacks or gives another sense first ("party member", "neighbourhood": "lân cận"):
# read first, so their translations come before the list's (rag/data/en_vi.README.md).
TERMS_FILE = GLOSSARY_FILE.with_name("en_vi_terms.tsv")
# Hand-written translations of frequent English words the Wiktionary list lacks ("join",
# "growth", "announce", "born", "found"), chosen by frequency alone: read last, they fill gaps.
COMMON_FILE = GLOSSARY_FILE.with_name("en_vi_common.tsv")
LONGEST = 4  # English headwords of up to this many words are looked up whole ("Ho Chi Minh City")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def _vietnamese(text: str) -> bool:
    """Every word of a translation can be a Vietnamese syllable (drops glosses such as
    "not used in vietnamese" and untranslated names)."""
    words = strip_marks(text).lower().split()
    return bool(words) and all(vietnamese_syllable(w) for w in words)


@cache
def table() -> dict[str, tuple[str, ...]]:
    """English headword (lower case) -> its Vietnamese translations, in the files' order (the
    hand-written terms first, the frequent words the list lacks last).

    >>> table()["party member"], table()["neighborhood"], table()["join"]
    (('đảng viên',), ('khu phố', 'lân cận'), ('gia nhập', 'tham gia'))
    """
    out: dict[str, list[str]] = {}
    lines = [
        line
        for path in (TERMS_FILE, GLOSSARY_FILE, COMMON_FILE)
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    for line in lines:
        english, _, vietnamese = line.partition("\t")
        vietnamese = nfc(vietnamese.strip())
        if english and _vietnamese(vietnamese) and vietnamese not in out.get(english, ()):
            out.setdefault(english, []).append(vietnamese)
    return {k: tuple(v) for k, v in out.items()}


# English endings and what the headword ends with instead, tried in order ("members" ->
# "member", "studies" -> "study", "largest" -> "large", "heavier" -> "heavy", "originally" ->
# "original"); where an ending adds no letter, a doubled consonant before it is written once
# ("planning" -> "plan").
_ENDINGS = (
    ("ies", "y"), ("s", ""), ("es", ""), ("ied", "y"), ("ed", "e"), ("ed", ""),
    ("ing", ""), ("ing", "e"), ("iest", "y"), ("est", ""), ("est", "e"), ("ier", "y"),
    ("er", ""), ("er", "e"), ("ily", "y"), ("ally", ""), ("ly", ""),
)  # fmt: skip


# British spellings, tried as American when a word is not listed otherwise: the list follows
# Wiktionary's headwords, which are mostly American ("organisation" -> "organization", "labour" ->
# "labor", "centre" -> "center", "analyse" -> "analyze").
_AMERICAN = (
    (r"is(e|es|ed|ing|ation|ations|er|ers)$", r"iz\1"), (r"ys(e|es|ed|ing)$", r"yz\1"),
    (r"our(s|ed|ing|ite|ites)?$", r"or\1"), (r"tre(s)?$", r"ter\1"),
)  # fmt: skip


def _headword(word: str, known: dict) -> str | None:
    """The headword an inflected English word is listed under ("members" -> "member",
    "died" -> "die", "largest" -> "large", "planning" -> "plan"); a possessive is its noun
    ("zoo's" -> "zoo").

    >>> known = {"member": 1, "die": 1, "large": 1, "plan": 1, "zoo": 1, "heavy": 1, "historical": 1}
    >>> [_headword(w, known) for w in ("members", "died", "largest", "planning", "zoo's", "heavier", "historically")]
    ['member', 'die', 'large', 'plan', 'zoo', 'heavy', 'historical']
    >>> _headword("used", {"us": 1, "use": 1}), _headword("uses", {"us": 1, "use": 1})
    ('use', 'use')

    A British spelling the list lacks is read as the American one (`_AMERICAN`):

    >>> known = {"organization": 1, "labor": 1, "center": 1, "promise": 1}
    >>> [_headword(w, known) for w in ("organisations", "labour", "centres", "promises", "wise")]
    ['organization', 'labor', 'center', 'promise', None]
    """
    word = re.sub(r"['’]s?$", "", word)
    found = _listed(word, known)
    for pattern, american in _AMERICAN if found is None else ():
        spelled = re.sub(pattern, american, word)
        if spelled != word and (found := _listed(spelled, known)):
            break
    return found


def _listed(word: str, known: dict) -> str | None:
    """`word` or the headword its ending reduces to, when listed."""
    if word in known:
        return word
    for suffix, stem in _ENDINGS:
        base = word[: -len(suffix)] + stem
        if not word.endswith(suffix) or len(base) < 3:
            continue
        if base in known:
            return base
        if not stem and base[-1] == base[-2] and base[-1] not in "aeiouls" and base[:-1] in known:
            return base[:-1]
    return None


def translate(words: list[str], per_word: int, skip: frozenset[str] = frozenset()) -> list[str]:
    """The first `per_word` Vietnamese translations of each English word or phrase of `words`
    (longest phrase first; a word in `skip`, as written or as listed, a phrase of such words,
    and a word not listed give none).

    >>> translate(["how", "many", "party", "members"], 2, skip=frozenset({"how", "many"}))
    ['đảng viên']
    >>> translate(["party", "leaders"], 2)
    ['chánh đảng', 'đảng', 'lãnh đạo']
    >>> translate(["population", "of", "cities"], 1, skip=frozenset({"of"}))
    ['dân số', 'thành phố']
    """
    known = table()
    out, i = [], 0
    words = [w.lower() for w in words]
    while i < len(words):
        for n in range(min(LONGEST, len(words) - i), 0, -1):
            last = _headword(words[i + n - 1], known) or words[i + n - 1]
            phrase = " ".join(words[i : i + n - 1] + [last])
            if all(w in skip for w in words[i : i + n]) or (n == 1 and last in skip):
                continue  # a phrase of skipped words; at n == 1 the word gives nothing
            if phrase in known:
                out += [t for t in known[phrase][:per_word] if t not in out]
                i += n - 1
                break
        i += 1
    return out


def english_words(text: str) -> list[str]:
    """The lower-case words of an English text, as the list's headwords are written."""
    return _WORD.findall(text.lower())
