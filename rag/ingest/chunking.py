"""Split documents into overlapping, sentence-aware passages that keep their source offsets."""

from __future__ import annotations

from dataclasses import dataclass

from rag.records import Document, Passage

# Vietnamese sentences end in ". " like English; "; " separates list items in reports.
SEPARATORS = ["\n\n", "\n", ". ", "; ", ", ", " ", ""]
# A law's article is kept whole up to this many chunk sizes (1200 characters by default,
# about 350 tokens: inside e5's 512), since an article is the unit a reader cites.
STRUCTURE_FACTOR = 2


@dataclass(frozen=True)
class ChunkSettings:
    size: int = 600  # characters
    overlap: int = 100

    def as_dict(self) -> dict:
        return {"size": self.size, "overlap": self.overlap}


def blocks(doc: Document) -> list[tuple[int, int]]:
    """Join content spans separated only by whitespace into contiguous blocks.

    A block never straddles removed boilerplate, so a chunk is always a real slice
    of the source that contains no page furniture.
    """
    out: list[tuple[int, int]] = []
    for start, end in doc.spans:
        if out and not doc.text[out[-1][1] : start].strip():
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def _splitter(settings: ChunkSettings):
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        separators=SEPARATORS,
        chunk_size=settings.size,
        chunk_overlap=settings.overlap,
        keep_separator="end",
        strip_whitespace=True,
    )


def _split(doc: Document, start: int, end: int, splitter) -> list[Passage]:
    """Prose splitter on doc.text[start:end], each chunk located in the source."""
    block = doc.text[start:end]
    passages = []
    cursor = 0
    for piece in splitter.split_text(block):
        # Chunks are substrings in order; overlap means the next one may begin
        # before the previous one ended, so search from just after its start.
        at = block.find(piece, cursor)
        if at < 0:  # whitespace stripped differently: fall back to a full search
            at = block.find(piece)
        passages.append(Passage(doc.source, piece, start + at, start + at + len(piece)))
        cursor = at + 1
    return passages


def _whole(doc: Document, start: int, end: int) -> list[Passage]:
    """doc.text[start:end] as one passage, without its surrounding whitespace."""
    piece = doc.text[start:end]
    stripped = piece.strip()
    if not stripped:
        return []
    at = start + piece.index(stripped)
    return [Passage(doc.source, stripped, at, at + len(stripped))]


def chunk_document(doc: Document, settings: ChunkSettings) -> list[Passage]:
    """Chunk one document, locating each chunk in its text.

    Plain prose goes through langchain's recursive splitter. A structured text (a law,
    a report with numbered headings, tables; rag/ingest/structure.py) is cut only between its
    units: an article is one passage when it fits in STRUCTURE_FACTOR x the chunk size,
    else its clauses are (consecutive short ones together), and a table's rows are
    never cut; text between units goes through the splitter within its own bounds.

    >>> from rag.ingest.loader import _document
    >>> doc = _document("a.txt", "Câu một. Câu hai dài hơn.\\n\\nRate this post", "x")
    >>> [(p.text, p.start, p.end) for p in chunk_document(doc, ChunkSettings(12, 0))]
    [('Câu một.', 0, 8), ('Câu hai dài', 9, 20), ('hơn.', 21, 25)]
    """
    from rag.ingest.structure import segments

    splitter = _splitter(settings)
    units = segments(doc.text, STRUCTURE_FACTOR * settings.size)
    if units is None:
        return [p for start, end in blocks(doc) for p in _split(doc, start, end, splitter)]
    passages = []
    for block_start, block_end in blocks(doc):
        # A unit never straddles removed boilerplate: each is cut to the content blocks.
        for start, end, whole in units:
            a, b = max(start, block_start), min(end, block_end)
            if a >= b:
                continue
            if whole:
                passages.extend(_whole(doc, a, b))
            else:
                passages.extend(_split(doc, a, b, splitter))
    return passages


def embedding_text(doc: Document, passage: Passage) -> str:
    """What the model embeds for a passage: its heading path (with heading titles) above its text.

    The stored passage stays a plain slice of the source, so offsets stay offsets; only
    the vector reads where the passage sits ("Bộ luật lao động › Chương XII ›
    Điều 107. Làm thêm giờ"), which a clause cut from its article does not say itself.
    """
    from rag.ingest.structure import heading_path

    path = heading_path(doc.text, passage.start, titles=True)
    return f"{path}\n{passage.text}" if path else passage.text
