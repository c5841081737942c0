"""Tables as text a reader and a search can use: one line per row, "header: value; header: value".

A row written with its headers answers "Quận 3 có bao nhiêu đảng viên?" on its own
("Đơn vị: Quận 3; Số đảng viên: 1.234"), where cells run together ("Quận 3 1.234
Quận 4 987") do not. The chunker (rag/ingest/structure.py) recognises these lines and keeps
the caption written above the table in the heading path of every row's passage.
"""

from __future__ import annotations

import re

# A line the table writer produced: "h: v; h: v" (at least two pairs), or one pair.
ROW_LINE = re.compile(r"^[^\n:;]{1,80}: [^\n;]*(?:; [^\n:;]{1,80}: [^\n;]*)+$")


def _cell(value: object) -> str:
    return " ".join(str(value or "").split())


def _dedupe(cells: list[str]) -> list[str]:
    """Merged cells come back once per grid column; keep one copy of each run."""
    out: list[str] = []
    for cell in cells:
        if not out or cell != out[-1]:
            out.append(cell)
    return out


def row_lines(rows: list[list[object]]) -> list[str]:
    """Rows of a table as text, the first row read as the header.

    >>> row_lines([["Đơn vị", "Số đảng viên"], ["Quận 3", "1.234"], ["Quận 4", ""]])
    ['Đơn vị: Quận 3; Số đảng viên: 1.234', 'Đơn vị: Quận 4']
    >>> row_lines([["Chỉ một dòng", "không có đầu bảng"]])
    ['Chỉ một dòng; không có đầu bảng']
    """
    rows = [[_cell(c) for c in row] for row in rows]
    rows = [row for row in rows if any(row)]
    if not rows:
        return []
    if len(rows) == 1:
        return ["; ".join(_dedupe([c for c in rows[0] if c]))]
    header = rows[0]
    lines = []
    for row in rows[1:]:
        if len(row) != len(header) and len(_dedupe(row)) == len(_dedupe(header)):
            row, head = _dedupe(row), _dedupe(header)
        else:
            head = header
        pairs, seen = [], set()
        for name, value in zip(head, row):
            if not value or (name, value) in seen:
                continue
            seen.add((name, value))
            # ':' and ';' inside a cell would read as a new pair; a comma keeps the meaning.
            value = value.replace(";", ",")
            pairs.append(f"{name.replace(':', ' ').replace(';', ',')}: {value}" if name else value)
        if pairs:
            lines.append("; ".join(pairs))
    return lines


def docx_blocks(document) -> list[str]:
    """The paragraphs and tables of a python-docx Document, in reading order.

    A table becomes one block whose lines are its rows (see `row_lines`).
    """
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    blocks = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = Paragraph(child, document).text.strip()
            if text:
                blocks.append(text)
        elif tag == "tbl":
            table = Table(child, document)
            lines = row_lines([[cell.text for cell in row.cells] for row in table.rows])
            if lines:
                blocks.append("\n".join(lines))
    return blocks


def pdf_page_text(page) -> str | None:
    """A pdfplumber page's text with each table written row by row in its place.

    Returns None when the page has no table (the caller keeps its own text reading).
    """
    tables = [t for t in page.find_tables() if len(t.rows) >= 2]
    if not tables:
        return None
    tables.sort(key=lambda t: t.bbox[1])
    parts, top = [], 0.0
    boxes = [t.bbox for t in tables]

    def outside(obj) -> bool:
        mid_x, mid_y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= mid_x <= x1 and y0 <= mid_y <= y1 for x0, y0, x1, y1 in boxes)

    free = page.filter(lambda obj: obj.get("object_type") != "char" or outside(obj))
    for table in tables:
        x0, y0, x1, y1 = table.bbox
        if y0 > top:
            parts.append(free.crop((0, top, page.width, y0)).extract_text() or "")
        parts.append("\n".join(row_lines(table.extract())))
        top = max(top, y1)
    if top < page.height:
        parts.append(free.crop((0, top, page.width, page.height)).extract_text() or "")
    return "\n\n".join(p.strip() for p in parts if p.strip())
