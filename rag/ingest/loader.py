"""Load documents from files and folders: .txt .md .html .pdf .docx .jsonl and scanned images.

Each reader returns the text a citation will point into (NFC). A file that cannot be
read is skipped with a reason naming it; it never stops the other files.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from rag.errors import EmptyCorpusError
from rag.ingest.boilerplate import content_spans
from rag.language.normalize import nfc
from rag.records import Document

log = logging.getLogger("rag")
SUPPORTED = (".txt", ".md", ".html", ".htm", ".pdf", ".docx", ".jsonl", ".png", ".jpg", ".jpeg", ".tif", ".tiff")  # fmt: skip


class SkipFile(Exception):
    """Raised by a reader for a file that must be skipped; the message is the reason."""


@dataclass
class LoadResult:
    documents: list[Document] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file or record, reason)


_BOMS = (  # longest first: the UTF-32-LE mark begins with the UTF-16-LE one
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def _plausible_text(text: str) -> bool:
    """Mostly letters, digits, spaces and punctuation of Latin scripts (Vietnamese included)."""
    if not text.strip():
        return False
    good = sum(1 for ch in text if ch.isspace() or (ch.isprintable() and ord(ch) < 0x2100))
    return good >= 0.97 * len(text)


def _utf16_without_bom(raw: bytes) -> str | None:
    """Text of a UTF-16 file saved without a byte-order mark, when only one byte order reads as text.

    Latin-script text in UTF-16 has a zero (or 0x01, 0x1E for Vietnamese letters) as
    every other byte; the byte order is the one whose decoding is plausible text.
    """
    if len(raw) % 2:
        return None
    readings = []
    for codec in ("utf-16-le", "utf-16-be"):
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text and _plausible_text(text[:20000]):
            readings.append(text)
    return readings[0] if len(readings) == 1 else None


def _decode(raw: bytes) -> str:
    """Text of a file: UTF-8, or UTF-16/32 by its byte-order mark, or UTF-16 without one.

    >>> _decode("Quận 1".encode("utf-16"))
    'Quận 1'
    >>> _decode("Quận 1 có 10 phường".encode("utf-16-le"))
    'Quận 1 có 10 phường'
    """
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(codec)
            except UnicodeDecodeError as exc:
                raise SkipFile(
                    f"starts with a {codec.upper()} byte-order mark but is not valid {codec.upper()} "
                    f"(byte {exc.start}): save it as UTF-8 and add it again"
                ) from exc
    if b"\x00" in raw[:8192]:
        text = _utf16_without_bom(raw)
        if text is not None:
            return text
        head = raw[:8192]
        if max(head[0::2].count(0), head[1::2].count(0)) > 0.3 * len(head) / 2:
            raise SkipFile(
                "looks like UTF-16 without a byte-order mark, but the byte order is unclear: "
                "save it as UTF-8 (or UTF-16 with a BOM) and add it again"
            )
        raise SkipFile("binary content, not text")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SkipFile(f"not UTF-8 (byte {exc.start}): save it as UTF-8 and add it again") from exc


class _HTMLText(HTMLParser):
    """Visible text of an HTML page, with block elements on lines of their own."""

    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section",
              "article", "header", "footer", "blockquote", "pre", "table", "ul", "ol", "title"}  # fmt: skip
    HIDDEN = {"script", "style", "noscript", "template", "svg", "head"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)

    def text(self) -> str:
        lines = (" ".join(line.split()) for line in "".join(self.parts).split("\n"))
        return "\n\n".join(line for line in lines if line)


def read_html(raw: bytes) -> str:
    parser = _HTMLText()
    parser.feed(_decode(raw))
    parser.close()
    return parser.text()


def _has_text(page_text: str) -> bool:
    """A text layer worth reading: a scan's layer is empty or a few stray marks."""
    return sum(ch.isalnum() for ch in page_text) >= 10


def _ocr_or_skip(fingerprint: str, pages: list[int], render, name: str) -> dict[int, str]:
    from rag.ingest import ocr

    try:
        return ocr.read_pages(fingerprint, pages, render, name)
    except ocr.OcrUnavailableError as exc:
        raise SkipFile(str(exc)) from exc
    except OSError as exc:
        raise SkipFile(f"OCR failed ({exc})") from exc


def read_pdf(path: Path, fingerprint: str) -> tuple[list[str], list[int]]:
    """The text of each page and the 1-based pages read by OCR.

    A page with a text layer is read as text (its tables row by row when pdfplumber
    finds any); a page without one is rendered and read by Tesseract.
    """
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise SkipFile("PDF support needs pypdf: pip install pypdf") from exc
    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, OSError, ValueError, KeyError, TypeError) as exc:
        raise SkipFile(f"unreadable PDF ({exc})") from exc
    pages = [p.strip() for p in pages]
    _tables_in_place(path, pages)
    scanned = [i for i, text in enumerate(pages) if not _has_text(text)]
    if not scanned:
        return pages, []
    try:
        import pypdfium2 as pdfium
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise SkipFile("scanned PDF pages need pypdfium2: pip install pypdfium2") from exc
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise SkipFile(f"unreadable PDF ({exc})") from exc
    from rag.ingest.ocr import DPI

    def render(i: int, target: Path) -> None:
        pdf[i].render(scale=DPI / 72, grayscale=True).to_pil().save(target, compress_level=1)

    try:
        read = _ocr_or_skip(fingerprint, scanned, render, path.name)
    except SkipFile as exc:
        if not any(pages):
            raise
        log.warning("%s: pages %s have no text layer and were not read: %s",
                    path.name, ", ".join(str(i + 1) for i in scanned), exc)  # fmt: skip
        return pages, []
    finally:
        pdf.close()
    for i, text in read.items():
        pages[i] = text
    return pages, [i + 1 for i in scanned if read[i].strip()]


def _tables_in_place(path: Path, pages: list[str]) -> None:
    """Replace the text of pages holding tables by pdfplumber's reading, tables row by row."""
    try:
        import pdfplumber
    except ImportError:  # optional: without it tables are read as the text layer has them
        return
    from rag.ingest.tables import pdf_page_text

    try:
        with pdfplumber.open(str(path)) as pdf:
            for i, page in enumerate(pdf.pages):
                if i < len(pages) and _has_text(pages[i]):
                    text = pdf_page_text(page)
                    if text is not None:
                        pages[i] = text
    except Exception as exc:  # noqa: BLE001 - pdfminer raises many types; the text layer still stands
        log.warning("%s: tables not read (%s: %s); its text is kept", path.name, type(exc).__name__, exc)


IMAGES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")  # fmt: skip


def read_image(path: Path, fingerprint: str) -> list[str]:
    """OCR text of each frame of an image file (a TIFF may hold several pages)."""
    try:
        from PIL import Image, ImageSequence, UnidentifiedImageError
    except ImportError as exc:  # pragma: no cover - pulled in by matplotlib and gradio
        raise SkipFile("image files need Pillow: pip install pillow") from exc
    try:
        with Image.open(path) as image:
            frames = sum(1 for _ in ImageSequence.Iterator(image))
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise SkipFile(f"unreadable image ({exc})") from exc

    def render(i: int, target: Path) -> None:
        with Image.open(path) as image:
            image.seek(i)
            image.convert("L").save(target, compress_level=1)

    read = _ocr_or_skip(fingerprint, list(range(frames)), render, path.name)
    return [read[i] for i in range(frames)]


def read_docx(path: Path) -> str:
    """Paragraphs and tables in reading order; each table row as "header: value; …"."""
    try:
        import docx
        from docx.opc.exceptions import PackageNotFoundError
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise SkipFile("DOCX support needs python-docx: pip install python-docx") from exc
    from zipfile import BadZipFile

    from rag.ingest.tables import docx_blocks

    try:
        blocks = docx_blocks(docx.Document(str(path)))
    except (BadZipFile, PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise SkipFile(f"unreadable DOCX ({exc})") from exc
    return "\n\n".join(blocks)


def _join_pages(pages: list[str]) -> tuple[str, tuple[int, ...]]:
    """Pages joined by blank lines, with the offset where each page starts.

    >>> _join_pages(["Một", "", "Hai"])
    ('Một\\n\\nHai', (0, 3, 5))
    """
    text, starts = "", []
    for page in pages:
        page = nfc(page.strip())
        if page and text:
            text += "\n\n"
        starts.append(len(text))
        text += page
    return text, tuple(starts)


def _document(
    source: str, text: str, fingerprint: str, pages: tuple[int, ...] = (), ocr_pages: tuple[int, ...] = ()
) -> Document:
    if not pages:  # paged text is NFC already, page by page, so its offsets stay right
        text = nfc(text)
    spans = content_spans(text)
    if not spans:
        raise SkipFile("no text content" + (" (OCR read nothing)" if ocr_pages or not text else ""))
    return Document(source, text, tuple(spans), fingerprint, pages=pages, ocr_pages=ocr_pages)


def read_jsonl(path: Path, result: LoadResult, seen: dict[str, str], name: str | None = None) -> None:
    """One `{"id", "text", "title"?}` record a line; a bad line is skipped on its own.

    An id already used (earlier in this file, in another jsonl file or as a file's source
    name, recorded in `seen`) is a bad record too: skipped with a reason naming both
    places, never merged into the first.
    """
    name = name or path.name
    text = _decode(path.read_bytes())
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{name}:{lineno}"
        try:
            record = json.loads(line)
            rid, body = record["id"], record["text"]
            if not isinstance(body, str) or not str(rid).strip():
                raise TypeError("id must be set and text must be a string")
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            result.skipped.append((where, f"bad record ({exc}): expected {{'id', 'text'}}"))
            continue
        rid = str(rid)
        if rid in seen:
            result.skipped.append(
                (f"{where} ({rid})", f"duplicate id {rid!r}, first used at {seen[rid]}: ids must be unique")
            )
            continue
        title = record.get("title")
        if isinstance(title, str) and title.strip():
            body = f"{title.strip()}\n\n{body}"
        digest = hashlib.sha256(line.encode()).hexdigest()
        try:
            result.documents.append(_document(rid, body, digest))
            seen[rid] = where
        except SkipFile as exc:
            result.skipped.append((f"{where} ({rid})", str(exc)))


def read_file(path: Path, source: str) -> Document:
    """Read one non-jsonl file into a Document; raises SkipFile with the reason."""
    suffix = path.suffix.lower()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SkipFile(f"cannot read ({exc.strerror})") from exc
    if not raw.strip():
        raise SkipFile("empty file")
    fingerprint = hashlib.sha256(raw).hexdigest()
    if suffix in (".txt", ".md"):
        text = _decode(raw)
    elif suffix in (".html", ".htm"):
        text = read_html(raw)
    elif suffix == ".pdf":
        pages, ocr_pages = read_pdf(path, fingerprint)
        text, starts = _join_pages(pages)
        return _document(source, text, fingerprint, starts, tuple(ocr_pages))
    elif suffix in IMAGES:
        pages = read_image(path, fingerprint)
        text, starts = _join_pages(pages)
        if len(pages) == 1:  # a single image has no pages to cite
            return _document(source, text, fingerprint, (), (1,))
        return _document(source, text, fingerprint, starts, tuple(range(1, len(pages) + 1)))
    elif suffix == ".docx":
        text = read_docx(path)
    else:
        raise SkipFile(f"unsupported type {suffix or '(none)'}; supported: {', '.join(SUPPORTED)}")
    return _document(source, text, fingerprint)


def _outside(path: Path, folder: Path) -> bool:
    """Whether a symbolic link (or a link on its way) inside `folder` leads out of it."""
    try:
        return not path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):  # a link loop
        return True


def _files(
    paths: list[str | Path], follow_links: bool = False
) -> tuple[list[tuple[Path, str]], list[tuple[str, str]]]:
    """Expand folders recursively and name every file uniquely.

    A file's source name is its path relative to the folder given (its own name when
    given directly). When two inputs would get the same name (`a/report.txt` and
    `b/report.txt`), each colliding name takes parent folders from its path until the
    names differ: deterministic for the same inputs, and names that do not collide stay
    as they are. A path reached twice (the same file given twice) is read once.

    A symbolic link inside a folder that leads outside it is not followed unless
    `follow_links` is set; links that stay inside are read as usual.

    Returns:
        (path, source name) of each file, and (name, reason) of each link not followed.
    """
    found: list[tuple[Path, tuple[str, ...], int]] = []  # path, its parts, parts in the name
    refused: list[tuple[str, str]] = []
    seen: set[Path] = set()

    def add(path: Path, rel_parts: int) -> None:
        where = Path(os.path.normpath(path.absolute()))
        if where in seen:
            return
        seen.add(where)
        found.append((path, where.parts, rel_parts))

    for given in map(Path, paths):
        if given.is_dir():
            for path in sorted(p for p in given.rglob("*") if p.is_file() or p.is_symlink()):
                rel = path.relative_to(given)
                if path.suffix.lower() not in SUPPORTED or any(part.startswith(".") for part in rel.parts):
                    continue
                links = [given / Path(*rel.parts[: n + 1]) for n in range(len(rel.parts))]
                if not follow_links and any(p.is_symlink() and _outside(p, given) for p in links):
                    target = os.path.realpath(path)
                    refused.append((rel.as_posix(), f"a link to {target}, outside {given}: not followed "
                                    "(pass --follow-links, or load(..., follow_links=True), to read it)"))  # fmt: skip
                    continue
                if path.is_file():
                    add(path, len(rel.parts))
        else:
            add(given, 1)
    names = {i: "/".join(parts[-n:]) for i, (_, parts, n) in enumerate(found)}
    while True:
        groups: dict[str, list[int]] = {}
        for i, name in names.items():
            groups.setdefault(name, []).append(i)
        colliding = [i for group in groups.values() if len(group) > 1 for i in group]
        grown = False
        for i in colliding:
            path, parts, n = found[i]
            if n < len(parts) - 1:  # parts[0] is the root '/'
                found[i] = (path, parts, n + 1)
                names[i] = "/".join(parts[-(n + 1) :])
                grown = True
        if not grown:
            break
    return [(path, names[i]) for i, (path, _, _) in enumerate(found)], refused


def load(paths: list[str | Path], require: bool = True, follow_links: bool = False) -> LoadResult:
    """Load every readable document under `paths`.

    Args:
        paths: files and folders (searched recursively for supported types).
        require: raise EmptyCorpusError when nothing readable was found.
        follow_links: read files that symbolic links inside a folder lead to outside it
            (by default they are skipped with a reason saying so).
    Returns:
        The documents, each under a source name no other document has, and the
        (name, reason) of each skipped file or record.
    """
    result = LoadResult()
    files, refused = _files(paths, follow_links)
    result.skipped.extend(refused)
    seen: dict[str, str] = {}  # source name -> where it came from (jsonl ids may collide)
    for path, source in files:
        if not path.exists():
            result.skipped.append((str(path), "no such file or folder"))
            continue
        try:
            if path.suffix.lower() == ".jsonl":
                read_jsonl(path, result, seen, source)
            elif source in seen:
                result.skipped.append((source, f"a record with this id was read first ({seen[source]})"))
            else:
                result.documents.append(read_file(path, source))
                seen[source] = str(path)
        except SkipFile as exc:
            result.skipped.append((source, str(exc)))
    if require and not result.documents:
        reasons = "; ".join(f"{name}: {why}" for name, why in result.skipped[:5])
        raise EmptyCorpusError(
            f"no readable document in {', '.join(map(str, paths))}"
            + (f" ({reasons})" if reasons else "")
            + f". Supported types: {', '.join(SUPPORTED)}"
        )
    return result
