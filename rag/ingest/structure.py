"""The structure of Vietnamese legal and administrative texts: headings, heading paths, named articles.

A law is read as Phần › Chương › Mục › Điều › Khoản › Điểm; a report as its numbered
headings ("I.", "1.", "1.1."); a table (rag/ingest/tables.py) as its caption over its rows.
`outline` finds these headings, `heading_path` names where an offset sits
("Bộ luật lao động › Chương XII › Điều 107 › Khoản 1"), `segments` gives the chunker
the units it must not cut (an article when it fits, else its clauses), and
`article_refs` reads the article a question names so retrieval can put it first.
Everything is computed from the text itself, so nothing new has to be stored.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from rag.ingest.tables import ROW_LINE
from rag.language.normalize import strip_marks
from rag.records import Citation, Document, Passage

SEP = " › "

# Levels: a heading applies until the next heading of the same or a higher (smaller) level.
TITLE, PART, CHAPTER, SECTION, ARTICLE, CLAUSE, POINT = 0, 1, 2, 3, 4, 5, 6
CAPTION = 9  # a table's caption, over its rows only

_ROMAN = r"[IVXLC]+"
_PART = re.compile(rf"^[ \t]*(PHẦN|Phần)[ \t]+(THỨ[ \t]+\w+|thứ[ \t]+\w+|{_ROMAN}|\d+)\b", re.M)
_CHAPTER = re.compile(rf"^[ \t]*(CHƯƠNG|Chương)[ \t]+({_ROMAN}|\d+)\b", re.M)
_SECTION = re.compile(rf"^[ \t]*(MỤC|Mục)[ \t]+(\d+|{_ROMAN})\b", re.M)
_ARTICLE = re.compile(r"^[ \t]*Điều[ \t]+(\d+[a-zđ]?)[ \t]*[.:]", re.M)
_CLAUSE = re.compile(r"^[ \t]*(\d+)\.[ \t]+\S", re.M)
_POINT = re.compile(r"^[ \t]*([a-zđ])\)[ \t]+\S", re.M)
_LAW_TITLE = re.compile(
    r"^[ \t]*(BỘ LUẬT|LUẬT|NGHỊ ĐỊNH|THÔNG TƯ|NGHỊ QUYẾT|QUYẾT ĐỊNH|PHÁP LỆNH|HIẾN PHÁP|CHỈ THỊ|"
    r"Bộ luật|Luật|Nghị định|Thông tư|Nghị quyết|Quyết định|Pháp lệnh|Hiến pháp|Chỉ thị)\b[^\n]*$",
    re.M,
)
# Report headings: "I. TÌNH HÌNH", "2. Kết quả", "2.1. Về kinh tế", "A. Phần chung".
_REPORT = re.compile(r"^[ \t]*((?:[IVX]+|[A-Z]|\d+(?:\.\d+)*)\.)[ \t]+(\S[^\n]{0,148})$", re.M)


@dataclass(frozen=True)
class Heading:
    """One heading: where its line is, its level, its short label, and where its reach ends."""

    start: int
    end: int  # end of the heading line
    level: int
    label: str  # "Chương VII", "Điều 107", "Khoản 1", "Điểm a", a report heading or a caption
    until: int  # the offset where the next heading of this or a higher level starts
    title: str = ""  # the rest of the heading line ("Làm thêm giờ"), for embedding


def _line_end(text: str, at: int) -> int:
    end = text.find("\n", at)
    return len(text) if end < 0 else end


def _title_case(line: str) -> str:
    """A title written in capitals read in sentence case ("BỘ LUẬT LAO ĐỘNG" -> "Bộ luật lao động")."""
    line = " ".join(line.split())
    return line[:1] + line[1:].lower() if line.isupper() else line


def _law_title(text: str, first: int) -> Heading | None:
    """The document's title line ("LUẬT" + "DOANH NGHIỆP" on the next line) before its first heading."""
    m = _LAW_TITLE.search(text, 0, first)
    if m is None:
        return None
    end = m.end()
    words = m.group(0).split()
    if len(words) <= 2:  # "LUẬT" alone: the name is on the next line
        nxt = text[end:first].lstrip("\n")
        line = nxt.split("\n", 1)[0].strip()
        if line and len(line) < 120:
            words += line.split()
            end = text.index(line, end) + len(line)
    return Heading(m.start(), end, TITLE, _title_case(" ".join(words)), len(text))


def _close(found: list[Heading], length: int) -> list[Heading]:
    """Set each heading's reach: up to the next heading of the same or a higher level."""
    found.sort(key=lambda h: (h.start, h.level))
    out = []
    for i, h in enumerate(found):
        if h.level == CAPTION:
            out.append(h)
            continue
        until = length
        for later in found[i + 1 :]:
            if later.level <= h.level:
                until = later.start
                break
        out.append(replace(h, until=until))
    return out


def _legal(text: str) -> list[Heading]:
    articles = list(_ARTICLE.finditer(text))
    if len(articles) < 2:
        return []
    found: list[Heading] = []
    for pattern, level, name in (
        (_PART, PART, "Phần"),
        (_CHAPTER, CHAPTER, "Chương"),
        (_SECTION, SECTION, "Mục"),
    ):
        for m in pattern.finditer(text):
            number = m.group(2)
            number = number.lower() if number.lower().startswith("thứ") else number.upper()
            end = _line_end(text, m.start())
            found.append(
                Heading(m.start(), end, level, f"{name} {number}", 0, text[m.end() : end].strip(" .:"))
            )
    upper = sorted(h.start for h in found)  # Phần, Chương, Mục: an article's text stops at the next one
    bounds = [m.start() for m in articles] + [len(text)]
    for m, nxt in zip(articles, bounds[1:]):
        end = _line_end(text, m.start())
        found.append(Heading(m.start(), end, ARTICLE, f"Điều {m.group(1)}", 0, text[m.end() : end].strip()))
        # Clauses and points only inside the article's own text (not the chapter line after it).
        higher = bisect_right(upper, m.start())
        stop = min(nxt, upper[higher]) if higher < len(upper) else nxt
        for c in _CLAUSE.finditer(text, end, stop):
            found.append(Heading(c.start(), _line_end(text, c.start()), CLAUSE, f"Khoản {c.group(1)}", 0))
        for p in _POINT.finditer(text, end, stop):
            found.append(Heading(p.start(), _line_end(text, p.start()), POINT, f"Điểm {p.group(1)}", 0))
    title = _law_title(text, min(h.start for h in found))
    if title is not None:
        found.append(title)
    return found


def _report_level(number: str) -> int:
    number = number.rstrip(".")
    if re.fullmatch(r"[IVX]+", number):
        return 1
    if re.fullmatch(r"[A-Z]", number):
        return 1
    return 1 + number.count(".") + 1


def _report(text: str) -> list[Heading]:
    """Numbered headings: short lines, not sentences, each followed by body text."""
    found = []
    for m in _REPORT.finditer(text):
        line = m.group(0).strip()
        if line.endswith((".", ";", ",", ":")) or len(line) > 120:
            continue
        body_start = _line_end(text, m.start()) + 1
        body = text[body_start:body_start + 400].lstrip("\n").split("\n", 1)[0]  # fmt: skip
        if len(body) < 80 or _REPORT.match(body):
            continue
        found.append(Heading(m.start(), m.start() + len(m.group(0)), _report_level(m.group(1)), line, 0))
    return found if len(found) >= 2 else []


def _tables(text: str) -> list[Heading]:
    """A caption over each run of table rows: the short line just above the rows."""
    found = []
    pos = 0
    lines = []
    for line in text.split("\n"):
        lines.append((pos, line))
        pos += len(line) + 1
    i = 0
    while i < len(lines):
        if not ROW_LINE.match(lines[i][1]):
            i += 1
            continue
        j = i
        while j < len(lines) and ROW_LINE.match(lines[j][1]):
            j += 1
        end = lines[j - 1][0] + len(lines[j - 1][1])
        k = i - 1
        while k >= 0 and not lines[k][1].strip():
            k -= 1
        if k >= 0 and len(lines[k][1].strip()) <= 200:
            start, cap = lines[k][0], lines[k][1].strip()
            found.append(Heading(start, start + len(lines[k][1]), CAPTION, cap, end))
        i = j
    return found


@lru_cache(maxsize=64)
def outline(text: str) -> tuple[Heading, ...]:
    """Every heading of a text, in order (empty for plain prose).

    >>> law = "LUẬT\\nTHỬ NGHIỆM\\nChương I\\nQUY ĐỊNH CHUNG\\nĐiều 1. Phạm vi\\n1. Một.\\n2. Hai:\\na) Ba.\\nĐiều 2. Khác\\nBốn."
    >>> [h.label for h in outline(law)]
    ['Luật thử nghiệm', 'Chương I', 'Điều 1', 'Khoản 1', 'Khoản 2', 'Điểm a', 'Điều 2']
    """
    found = _legal(text) or _report(text)
    return tuple(_close(found + _tables(text), len(text)))


@lru_cache(maxsize=64)
def _tree(text: str) -> tuple[list[int], list[int]]:
    """Start of each heading of `outline(text)` and the index of its parent (-1 for none).

    A heading's parent is the nearest earlier heading of a lower level whose reach holds
    it, so the headings around an offset are one heading and its parents.
    """
    heads = outline(text)
    parents, stack = [], []
    for i, h in enumerate(heads):
        while stack and (heads[stack[-1]].level >= h.level or heads[stack[-1]].until <= h.start):
            stack.pop()
        parents.append(stack[-1] if stack else -1)
        stack.append(i)
    return [h.start for h in heads], parents


def path_at(text: str, offset: int) -> list[Heading]:
    """The headings whose reach holds `offset`, outermost first."""
    heads = outline(text)
    starts, parents = _tree(text)
    i = bisect_right(starts, offset) - 1
    while i >= 0 and offset >= heads[i].until:  # a heading that ended before offset: its parent
        i = parents[i]
    path = []
    while i >= 0:
        path.append(heads[i])
        i = parents[i]
    return path[::-1]


def heading_path(text: str, offset: int, titles: bool = False) -> str:
    """Where `offset` sits, e.g. "Luật thử nghiệm › Chương I › Điều 1 › Khoản 2".

    Args:
        titles: add each heading's own words ("Điều 1. Phạm vi"), as the embedding reads it.
    """
    parts = []
    for h in path_at(text, offset):
        parts.append(f"{h.label}. {h.title}" if titles and h.title else h.label)
    return SEP.join(parts)


def segments(text: str, max_chars: int) -> list[tuple[int, int, bool]] | None:
    """The units a structured text is chunked into, or None for plain prose.

    Each unit is (start, end, whole): `whole` units are passages as they are (an
    article that fits in `max_chars`, a run of its clauses that does, a run of table
    rows); the others (text between articles, a report section, a clause longer than
    `max_chars`) are cut by the prose splitter, but never across their own bounds.
    """
    heads = outline(text)
    if not heads:
        return None
    if any(h.level == ARTICLE for h in heads):
        units = _legal_units(text, heads, max_chars)
    else:
        cuts = sorted({0, len(text)} | {h.start for h in heads if h.level != CAPTION})
        units = [(a, b, False) for a, b in zip(cuts, cuts[1:]) if b > a]
    for cap in (h for h in heads if h.level == CAPTION):
        units = _carve(units, cap.start, cap.until, _rows(text, cap.start, cap.until, max_chars))
    return units


def _rows(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int, bool]]:
    """Caption and rows packed into units of at most `max_chars`, never cutting a row."""
    lines, pos = [], start
    for line in text[start:end].split("\n"):
        lines.append((pos, pos + len(line)))
        pos += len(line) + 1
    return _pack(lines, max_chars)


def _pack(pieces: list[tuple[int, int]], max_chars: int) -> list[tuple[int, int, bool]]:
    """Consecutive pieces joined while the run fits; a piece too long alone is left to the splitter."""
    out: list[tuple[int, int, bool]] = []
    for a, b in pieces:
        if out and out[-1][2] and b - out[-1][0] <= max_chars:
            out[-1] = (out[-1][0], b, True)
        else:
            out.append((a, b, b - a <= max_chars))
    return out


def _carve(units, start: int, end: int, inner) -> list[tuple[int, int, bool]]:
    """`units` with [start, end) replaced by `inner`."""
    out = []
    for a, b, whole in units:
        if b <= start or a >= end:
            out.append((a, b, whole))
            continue
        if a < start:
            out.append((a, start, False))
        if b > end:
            out.append((end, b, False))
    out.extend(inner)
    return sorted(out)


def _legal_units(text: str, heads: Sequence[Heading], max_chars: int) -> list[tuple[int, int, bool]]:
    articles = [h for h in heads if h.level == ARTICLE]
    units: list[tuple[int, int, bool]] = []
    pos = 0
    for art in articles:
        if art.start > pos:  # preamble, chapter and section lines
            units.append((pos, art.start, False))
        units.extend(_split_unit(heads, art, max_chars))
        pos = art.until
    if pos < len(text):
        units.append((pos, len(text), False))
    return units


def _split_unit(heads: Sequence[Heading], unit: Heading, max_chars: int) -> list[tuple[int, int, bool]]:
    """An article (or clause) whole when it fits, else its lead text and its children packed."""
    if unit.until - unit.start <= max_chars:
        return [(unit.start, unit.until, True)]
    child = unit.level + 1
    kids = [h for h in heads if h.level == child and unit.start < h.start < unit.until]
    if not kids:
        return [(unit.start, unit.until, False)]
    pieces = [(unit.start, kids[0].start)] + [(k.start, k.until) for k in kids]
    units: list[tuple[int, int, bool]] = []
    for i, (a, b) in enumerate(pieces):
        if b - a > max_chars and i > 0 and child < POINT:
            units.extend(_split_unit(heads, kids[i - 1], max_chars))
        else:
            units.extend(_pack([(a, b)], max_chars))
    # Join neighbouring units that fit together (consecutive short clauses share a passage).
    merged: list[tuple[int, int, bool]] = []
    for a, b, whole in units:
        if merged and whole and merged[-1][2] and b - merged[-1][0] <= max_chars:
            merged[-1] = (merged[-1][0], b, True)
        else:
            merged.append((a, b, whole))
    return merged


# ------------------------------------------------------------------ citations
def page_of(doc: Document, offset: int) -> int | None:
    """1-based page holding `offset`, None for a document without pages."""
    if not doc.pages:
        return None
    return max(1, bisect_right(doc.pages, offset))


def locate(citation: Citation, documents: Mapping[str, Document]) -> Citation:
    """The citation with its page, OCR mark and heading path, read at its quote."""
    doc = documents.get(citation.source)
    if doc is None:
        return citation
    at = citation.quote_start if citation.quote_end > citation.quote_start else citation.start
    page = page_of(doc, at)
    ocr = (page or 1) in doc.ocr_pages
    return replace(citation, page=page, ocr=ocr, heading=heading_path(doc.text, at))


# ------------------------------------------------------------- named articles
@dataclass(frozen=True)
class ArticleRef:
    """An article a question names: "khoản 2 điều 5 Luật Doanh nghiệp"."""

    article: str  # "5", "107", "12a"
    clause: str | None = None
    point: str | None = None
    law: tuple[str, ...] = ()  # the law's name, folded words ("luat", "doanh", "nghiep")


_LAW_WORDS = r"(?:bo luat|luat|nghi dinh|thong tu|nghi quyet|hien phap|phap lenh|quyet dinh|chi thi)"
_STOP = {"quy", "dinh", "noi", "la", "gi", "co", "ve", "the", "nhu", "nao", "thi", "duoc", "gom", "bao"}
_REF = re.compile(
    r"(?:diem\s+([a-z])\s*,?\s*(?:cua\s+)?)?(?:khoan\s+(\d+)\s*,?\s*(?:cua\s+)?)?"
    r"dieu\s+(\d+[a-z]?)\b(?:\s*,?\s*khoan\s+(\d+))?(?:\s*,?\s*(?:cua\s+|trong\s+)?("
    + _LAW_WORDS
    + r"(?:\s+\w+){0,6}))?"
)


def _fold(text: str) -> str:
    return strip_marks(text).lower()


def article_refs(question: str) -> list[ArticleRef]:
    """The articles a question names, accented or not.

    >>> article_refs("Điều 107 Bộ luật Lao động quy định gì?")
    [ArticleRef(article='107', clause=None, point=None, law=('bo', 'luat', 'lao', 'dong'))]
    >>> article_refs("theo khoan 2 dieu 5, ai phai dang ky?")
    [ArticleRef(article='5', clause='2', point=None, law=())]
    >>> article_refs("Điểm a khoản 1 Điều 12 của Luật Doanh nghiệp là gì")
    [ArticleRef(article='12', clause='1', point='a', law=('luat', 'doanh', 'nghiep'))]
    >>> article_refs("Quận 1 có bao nhiêu đảng viên?")
    []
    """
    refs = []
    for m in _REF.finditer(_fold(question)):
        point, clause, article, clause_after, law = m.groups()
        words: list[str] = []
        for word in re.findall(r"\w+", law or ""):
            if word in _STOP and len(words) >= 2:
                break
            words.append(word)
        refs.append(ArticleRef(article, clause or clause_after, point, tuple(words)))
    return refs


class ArticleIndex:
    """The passages of each article of each legal document, built on first use.

    `promote` puts the passages of an article a question names in front of the
    ranking (the named clause first), so "Điều 107 Bộ luật Lao động quy định gì?"
    is answered from Điều 107 even when its words are not the question's words.
    """

    def __init__(self, documents: Mapping[str, Document], passages: Sequence[Passage]):
        self.documents = documents
        self.passages = passages  # a PassageTable: rows() gives (source, start, end)
        self._built: dict[str, dict[str, list[tuple[int, int, int]]]] | None = None
        self._names: dict[str, set[str]] = {}

    def _build(self) -> dict[str, dict[str, list[tuple[int, int, int]]]]:
        """{source: {article: [(row, start, end)]}} for documents that have articles."""
        built: dict[str, dict[str, list[tuple[int, int, int]]]] = {}
        legal: dict[str, list[Heading]] = {}
        for source, doc in self.documents.items():
            if _ARTICLE.search(doc.text) is None:
                continue
            arts = [h for h in outline(doc.text) if h.level == ARTICLE]
            if arts:
                legal[source] = arts
                title = next((h.label for h in outline(doc.text) if h.level == TITLE), "")
                self._names[source] = set(re.findall(r"\w+", _fold(title + " " + source.replace("_", " "))))
        if not legal:
            return built
        rows = (
            self.passages.rows()
            if hasattr(self.passages, "rows")
            else ((p.source, p.start, p.end) for p in self.passages)
        )
        for row, (source, start, end) in enumerate(rows):
            arts = legal.get(source)
            if not arts:
                continue
            starts = [a.start for a in arts]
            i = max(0, bisect_right(starts, start) - 1)
            for art in arts[i:]:
                if art.start >= end:
                    break
                if start < art.until and end > art.start:
                    built.setdefault(source, {}).setdefault(art.label.split()[1], []).append(
                        (row, start, end)
                    )
        return built

    def rows_for(self, question: str, order: Mapping[int, int] | None = None) -> list[int]:
        """Rows of the passages of the articles `question` names, the named clause first.

        Args:
            order: rank of rows already retrieved; when several documents have the
                article, the one whose passages rank best comes first.
        """
        refs = article_refs(question)
        if not refs:
            return []
        if self._built is None:
            self._built = self._build()
        order = order or {}
        out: list[int] = []
        for ref in refs:
            sources = [s for s, arts in self._built.items() if ref.article in arts]
            if ref.law:

                def fit(s: str, law: tuple[str, ...] = ref.law) -> float:
                    return sum(w in self._names.get(s, ()) for w in law) / len(law)

                best = max((fit(s) for s in sources), default=0.0)
                sources = [s for s in sources if best >= 0.5 and fit(s) == best]

            def first_seen(s: str, article: str = ref.article) -> tuple[int, str]:
                return (
                    min((order.get(r, 1 << 30) for r, _, _ in self._built[s][article]), default=1 << 30),
                    s,
                )

            for source in sorted(sources, key=first_seen):
                hits = self._built[source][ref.article]
                heads = outline(self.documents[source].text)

                def rank(hit: tuple[int, int, int], ref: ArticleRef = ref, heads=heads) -> tuple[int, int]:
                    _, start, end = hit
                    named = ref.clause is not None and any(
                        h.level == CLAUSE
                        and h.label == f"Khoản {ref.clause}"
                        and start < h.until
                        and end > h.start
                        for h in heads
                    )
                    return (0 if named or ref.clause is None else 1, start)

                out.extend(row for row, _, _ in sorted(hits, key=rank) if row not in out)
        return out

    def promote(self, question: str, ranked: list[Passage], most: int = 3) -> list[Passage]:
        """`ranked` with up to `most` passages of the named article first, scored just above the best."""
        rows = self.rows_for(question, {p.id: i for i, p in enumerate(ranked)})[:most]
        if not rows:
            return ranked
        top = max((p.score for p in ranked), default=0.0)
        known = {p.id: p for p in ranked}
        first = [
            replace(known.get(row) or self.passages[row], score=top + 0.001 * (len(rows) - i))
            for i, row in enumerate(rows)
        ]
        chosen = set(rows)
        return first + [p for p in ranked if p.id not in chosen]
