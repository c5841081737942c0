"""Split documents into overlapping, sentence-aware passages that keep their source offsets."""

from __future__ import annotations

from dataclasses import dataclass

from rag.records import Document, Passage

# Vietnamese sentences end in ". " like English; "; " separates list items in reports.
SEPARATORS = ["\n\n", "\n", ". ", "; ", ", ", " ", ""]


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


def chunk_document(doc: Document, settings: ChunkSettings) -> list[Passage]:
    """Chunk one document with langchain's recursive splitter, locating each chunk.

    >>> from rag.loader import _document
    >>> doc = _document("a.txt", "Câu một. Câu hai dài hơn.\\n\\nRate this post", "x")
    >>> [(p.text, p.start, p.end) for p in chunk_document(doc, ChunkSettings(12, 0))]
    [('Câu một.', 0, 8), ('Câu hai dài', 9, 20), ('hơn.', 21, 25)]
    """
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        separators=SEPARATORS,
        chunk_size=settings.size,
        chunk_overlap=settings.overlap,
        keep_separator="end",
        strip_whitespace=True,
    )
    passages = []
    for block_start, block_end in blocks(doc):
        block = doc.text[block_start:block_end]
        cursor = 0
        for piece in splitter.split_text(block):
            # Chunks are substrings in order; overlap means the next one may begin
            # before the previous one ended, so search from just after its start.
            at = block.find(piece, cursor)
            if at < 0:  # whitespace stripped differently: fall back to a full search
                at = block.find(piece)
            start = block_start + at
            passages.append(Passage(doc.source, piece, start, start + len(piece)))
            cursor = at + 1
    return passages
