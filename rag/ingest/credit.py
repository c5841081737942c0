"""Find a report's credit line: the author (and outlet) a news report ends with.

"Trọng Đạt", "Thanh Thuy", "Nguyễn Lê - Hà Nội mới": the last content line of a report, a
short personal name with, after a dash, the outlet. It says who wrote the report, not what the
report is about, so the reading checks that ask "does this document name that city?" leave it
out (`about_text`), and "who wrote it?" is answered from it (rag/reading/answer.py).
"""

from __future__ import annotations

import re
from functools import lru_cache

from rag.records import Document

NAME_WORDS = (2, 4)  # a personal name's words, written each with a capital
OUTLET_WORDS = 6  # at most, after the dash
_DASH = re.compile(r"\s+[-–—]\s+")
_NAME_WORD = re.compile(r"[^\W\d_]+")  # letters only


def credit_span(text: str, spans: tuple[tuple[int, int], ...]) -> tuple[int, int] | None:
    """Offsets of the name in the document's credit line, or None when it ends otherwise.

    The credit line is the last content span (boilerplate after it is not content): two to four
    capitalised words of letters only, no sentence mark, optionally followed by a dash and an
    outlet of at most OUTLET_WORDS words.

    >>> t = "Quận 1 có 6.949 đảng viên.\\nNguyễn Lê - Hà Nội mới"
    >>> a, b = credit_span(t, ((0, 26), (27, len(t))))
    >>> t[a:b]
    'Nguyễn Lê'
    >>> t = "Quận 1 có 6.949 đảng viên.\\nTrọng Đạt\\n\\nPhản hồi"
    >>> [credit_span(t, ((0, 26), (27, 36))), credit_span(t, ((0, 26),))]
    [(27, 36), None]
    >>> credit_span("Kết luận.\\nHội nghị Thành ủy lần thứ 5", ((0, 9), (10, 36)))
    """
    if len(spans) < 2:  # a one-line text is all content
        return None
    start, end = spans[-1]
    line = text[start:end]
    parts = _DASH.split(line, maxsplit=1)
    name = parts[0]
    if len(parts) > 1 and not 0 < len(parts[1].split()) <= OUTLET_WORDS:
        return None
    words = name.split()
    low, high = NAME_WORDS
    if not low <= len(words) <= high:
        return None
    if not all(_NAME_WORD.fullmatch(w) and w[0].isupper() and not w.isupper() for w in words):
        return None  # "UBND Quận", a heading in capitals, a figure: not a person's name
    return start, start + len(name)


@lru_cache(maxsize=64)
def about_text(document: Document) -> str:
    """The document's text with its credit line blanked (offsets kept): what it is about.

    >>> from rag.records import Document
    >>> t = "TP.HCM có 10 phường.\\nNguyễn Lê - Hà Nội mới"
    >>> about_text(Document("r", t, ((0, 20), (21, len(t))), "f"))
    'TP.HCM có 10 phường.\\n                      '
    """
    text = document.text
    span = credit_span(text, document.spans)
    if span is None:
        return text
    line_end = document.spans[-1][1]
    return text[: span[0]] + " " * (line_end - span[0]) + text[line_end:]
