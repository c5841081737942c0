"""Find the spans of a page that carry content, leaving web boilerplate out.

Nothing is deleted from the text: the result is a list of (start, end) offsets into it,
so every citation still points at the real characters of the source.
"""

from __future__ import annotations

import re

from rag.language.words import words

# Whole lines that are page furniture, never content, and how such lines begin (compared
# case-insensitively; rag/data/words.toml, [boilerplate]).
BOILERPLATE_LINES = frozenset(s.casefold() for s in words("boilerplate.lines"))
BOILERPLATE_PREFIXES = tuple(s.casefold() for s in words("boilerplate.prefixes"))
_LINE = re.compile(r"[^\n]*")
_SENTENCE_END = re.compile(r"[.!?…]\s+")


def is_boilerplate(line: str) -> bool:
    """True for a line of page furniture.

    >>> is_boilerplate("  Rate this post "), is_boilerplate("Dân số quận 1 là 141.556 người")
    (True, False)
    """
    key = " ".join(line.split()).casefold()
    return key in BOILERPLATE_LINES or key.startswith(BOILERPLATE_PREFIXES)


def _doubled(line: str) -> int | None:
    """If the line is one sentence written twice ("A. A."), the length of the first copy."""
    for m in _SENTENCE_END.finditer(line):
        first, rest = line[: m.start() + 1], line[m.end() :]
        if first.strip() and first.strip() == rest.strip():
            return m.start() + 1
    return None


def content_spans(text: str) -> list[tuple[int, int]]:
    """Offsets of the content lines of `text`, trimmed of surrounding whitespace.

    Drops boilerplate lines, a line that repeats the previous content line (photo
    captions printed twice), and the second copy of a sentence doubled within a line.

    >>> t = "Ảnh: hội nghị\\n\\nẢnh: hội nghị\\nRate this post\\nNội dung."
    >>> [t[a:b] for a, b in content_spans(t)]
    ['Ảnh: hội nghị', 'Nội dung.']
    """
    spans: list[tuple[int, int]] = []
    previous = None
    for m in _LINE.finditer(text):
        line = m.group()
        stripped = line.strip()
        if not stripped or is_boilerplate(stripped):
            continue
        if stripped == previous:
            continue
        previous = stripped
        start = m.start() + (len(line) - len(line.lstrip()))
        end = start + len(stripped)
        half = _doubled(stripped)
        if half is not None:
            end = start + half
        if not spans or spans[-1] != (start, end):
            spans.append((start, end))
    return spans
