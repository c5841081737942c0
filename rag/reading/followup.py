"""Rewrite a follow-up question into a standalone one, from the previous turn.

"Còn quận Tân Bình thì sao?" after "Quận 1 có bao nhiêu đảng viên?" is read as
"quận Tân Bình có bao nhiêu đảng viên?": the new subject takes the place of the
previous question's subject of the same kind (quận, phường, district, …).
"""

from __future__ import annotations

import re

from rag.language.normalize import fold
from rag.language.words import words


def _either(phrases: tuple[str, ...]) -> str:
    return "|".join(re.escape(p) for p in phrases)


# "còn X thì sao?", "X thì sao?", "còn X?", "what about X?", "how about X?", "and X?"
# (word lists: rag/data/words.toml, [followups])
_BEFORE, _AFTER = _either(words("followups.before")), _either(words("followups.after"))
_PATTERNS = [
    re.compile(rf"^\s*(?:{_BEFORE})\s+(?P<x>.+?)\s*(?:{_AFTER})?\s*\??\s*$", re.I),
    re.compile(rf"^\s*(?P<x>.+?)\s+(?:{_AFTER})\s*\??\s*$", re.I),
    re.compile(rf"^\s*(?:{_either(words('followups.english_before'))})\s+(?P<x>.+?)\s*\??\s*$", re.I),
]
# Nouns that name the kind of subject; folded, longest first so "thanh pho" wins over "pho".
_HEADS = sorted(words("followups.heads"), key=len, reverse=True)
MAX_FOLLOWUP_WORDS = 8


def subject(question: str) -> str | None:
    """The new subject of a follow-up, or None when the question stands on its own.

    >>> subject("Còn quận Tân Bình thì sao?"), subject("What about District 3?")
    ('quận Tân Bình', 'District 3')
    >>> subject("Quận Tân Bình có bao nhiêu đảng viên?") is None
    True
    """
    if len(question.split()) > MAX_FOLLOWUP_WORDS:
        return None
    for pattern in _PATTERNS:
        m = pattern.match(question)
        if m and m.group("x").strip():
            return m.group("x").strip(" ,.?")
    return None


def _head(phrase: str) -> str | None:
    folded = fold(phrase).lower()
    for head in _HEADS:
        if re.search(rf"(?<!\w){head}(?!\w)", folded):
            return head
    return None


def rewrite(question: str, history: list[str]) -> str:
    """The standalone form of `question` given earlier questions (oldest first).

    >>> rewrite("Còn quận Tân Bình thì sao?", ["Quận 1 có bao nhiêu đảng viên?"])
    'quận Tân Bình có bao nhiêu đảng viên?'
    >>> rewrite("Dân số quận 1?", ["Quận 1 có bao nhiêu đảng viên?"])
    'Dân số quận 1?'
    """
    new = subject(question)
    if new is None or not history:
        return question
    previous = history[-1]
    head = _head(new)
    span = _subject_span(previous, head or _head(previous))
    if span is None:  # nothing to replace: ask the previous question about the new subject
        return f"{previous.rstrip(' ?')} — {new}?"
    start, name_start, end = span
    if head is None:  # "còn Tân Bình?": a bare name takes the place of the old name
        start = name_start
    return previous[:start] + new + previous[end:]


def _subject_span(question: str, head: str | None) -> tuple[int, int, int] | None:
    """(start, name start, end) of "<head> <name or number>" in `question`, e.g. "Quận 1"."""
    if head is None:
        return None
    folded = fold(question).lower()  # folding keeps NFC offsets: one letter stays one letter
    for m in re.finditer(rf"(?<!\w){head}\s+", folded):  # "Quận ủy quận 1": skip "Quận ủy"
        name_start = end = m.end()
        for word in re.finditer(r"\S+", question[name_start:]):
            w = word.group().rstrip("?,.")
            if not w or not (w[0].isdigit() or w[0].isupper()):
                break
            end = name_start + word.start() + len(w)
        if end > name_start:
            return m.start(), name_start, end
    return None
