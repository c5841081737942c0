"""Load documents from files and folders: .txt .md .html .pdf .docx .jsonl.

Each reader returns the text a citation will point into (NFC). A file that cannot be
read is skipped with a reason naming it; it never stops the other files.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from rag.boilerplate import content_spans
from rag.errors import EmptyCorpusError
from rag.normalize import nfc
from rag.records import Document

SUPPORTED = (".txt", ".md", ".html", ".htm", ".pdf", ".docx", ".jsonl")


class SkipFile(Exception):
    """Raised by a reader for a file that must be skipped; the message is the reason."""


@dataclass
class LoadResult:
    documents: list[Document] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file or record, reason)


def _decode(raw: bytes) -> str:
    if b"\x00" in raw[:8192]:
        raise SkipFile("binary content, not text")
    try:
        return raw.decode("utf-8-sig")
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


def read_pdf(path: Path) -> str:
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
    return "\n\n".join(p.strip() for p in pages if p.strip())


def read_docx(path: Path) -> str:
    try:
        import docx
        from docx.opc.exceptions import PackageNotFoundError
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise SkipFile("DOCX support needs python-docx: pip install python-docx") from exc
    from zipfile import BadZipFile

    try:
        paragraphs = [p.text for p in docx.Document(str(path)).paragraphs]
    except (BadZipFile, PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise SkipFile(f"unreadable DOCX ({exc})") from exc
    return "\n\n".join(p.strip() for p in paragraphs if p.strip())


def _document(source: str, text: str, fingerprint: str) -> Document:
    text = nfc(text)
    spans = content_spans(text)
    if not spans:
        raise SkipFile("no text content")
    return Document(source=source, text=text, spans=tuple(spans), fingerprint=fingerprint)


def read_jsonl(path: Path, result: LoadResult) -> None:
    """One `{"id", "text", "title"?}` record a line; a bad line is skipped on its own."""
    text = _decode(path.read_bytes())
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path.name}:{lineno}"
        try:
            record = json.loads(line)
            rid, body = record["id"], record["text"]
            if not isinstance(body, str) or not str(rid).strip():
                raise TypeError("id must be set and text must be a string")
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            result.skipped.append((where, f"bad record ({exc}): expected {{'id', 'text'}}"))
            continue
        title = record.get("title")
        if isinstance(title, str) and title.strip():
            body = f"{title.strip()}\n\n{body}"
        digest = hashlib.sha256(line.encode()).hexdigest()
        try:
            result.documents.append(_document(str(rid), body, digest))
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
    if suffix in (".txt", ".md"):
        text = _decode(raw)
    elif suffix in (".html", ".htm"):
        text = read_html(raw)
    elif suffix == ".pdf":
        text = read_pdf(path)
    elif suffix == ".docx":
        text = read_docx(path)
    else:
        raise SkipFile(f"unsupported type {suffix or '(none)'}; supported: {', '.join(SUPPORTED)}")
    return _document(source, text, hashlib.sha256(raw).hexdigest())


def _files(paths: list[str | Path]) -> list[tuple[Path, str]]:
    """Expand folders recursively; a file's source name is relative to the folder given."""
    found: list[tuple[Path, str]] = []
    for given in map(Path, paths):
        if given.is_dir():
            for path in sorted(p for p in given.rglob("*") if p.is_file()):
                if path.suffix.lower() in SUPPORTED and not path.name.startswith("."):
                    found.append((path, path.relative_to(given).as_posix()))
        else:
            found.append((given, given.name))
    return found


def load(paths: list[str | Path], require: bool = True) -> LoadResult:
    """Load every readable document under `paths`.

    Args:
        paths: files and folders (searched recursively for supported types).
        require: raise EmptyCorpusError when nothing readable was found.
    Returns:
        The documents and the (name, reason) of each skipped file or record.
    """
    result = LoadResult()
    for path, source in _files(paths):
        if not path.exists():
            result.skipped.append((str(path), "no such file or folder"))
            continue
        try:
            if path.suffix.lower() == ".jsonl":
                read_jsonl(path, result)
            else:
                result.documents.append(read_file(path, source))
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
