"""The typed records carried end to end: Document in, Passage through retrieval, Answer out."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Document:
    """One loaded source: its NFC text and the spans that carry content (boilerplate removed)."""

    source: str  # file name relative to the indexed folder, or the jsonl record id
    text: str
    spans: tuple[tuple[int, int], ...]
    fingerprint: str  # sha256 of the raw bytes (or of the record), for incremental updates
    pages: tuple[int, ...] = ()  # offset where each page starts (PDF, TIFF); () when not paged
    ocr_pages: tuple[int, ...] = ()  # 1-based pages read by OCR (an image file: (1,))


@dataclass(frozen=True)
class Passage:
    """A chunk of a source; `text == source_text[start:end]` always holds."""

    source: str
    text: str
    start: int
    end: int
    score: float = 0.0
    id: int = -1  # row in the index snapshot it came from (an address, not an identity); -1: none

    @property
    def key(self) -> tuple[str, int, int]:
        """The passage's identity: its source and span, the same in every snapshot."""
        return (self.source, self.start, self.end)


@dataclass(frozen=True)
class Citation:
    """Evidence behind one `[n]` marker: the cited passage as retrieved, and the exact
    evidence span inside it.

    `quote` is `source_text[quote_start:quote_end]`, inside the passage's span; `also`
    names the other sources of near-duplicate passages merged here.
    """

    n: int
    passage: Passage
    quote: str
    quote_start: int  # offsets of `quote` in the source text
    quote_end: int
    also: tuple[str, ...] = ()
    page: int | None = None  # 1-based page of the quote (PDF, TIFF); None for other formats
    heading: str = ""  # heading path of the quote, e.g. "Bộ luật Lao động › Chương VII › Điều 107 › Khoản 1"
    ocr: bool = False  # the quote was read from a page image by OCR

    @property
    def source(self) -> str:
        return self.passage.source

    @property
    def text(self) -> str:
        """The cited passage (`source_text[start:end]`)."""
        return self.passage.text

    @property
    def start(self) -> int:
        return self.passage.start

    @property
    def end(self) -> int:
        return self.passage.end

    @property
    def score(self) -> float:
        """The passage's score in the ranking the answer was read from."""
        return round(float(self.passage.score), 4)

    def as_dict(self) -> dict:
        """Flat, as the CLI's and the API's JSON give it (the passage's fields inline)."""
        return {
            "n": self.n, "source": self.source, "text": self.text, "quote": self.quote,
            "start": self.start, "end": self.end, "score": self.score, "also": list(self.also),
            "quote_start": self.quote_start, "quote_end": self.quote_end, "page": self.page,
            "heading": self.heading, "ocr": self.ocr,
        }  # fmt: skip


@dataclass(frozen=True)
class Claim:
    """One sentence of a generated answer and what checking it against its citations found.

    `evidence` is the span of a cited passage that supports the sentence best (its
    `quote_start:quote_end` are offsets in the source text); `reason` says why a sentence
    is not verified ("number 9.000 is not in [1]"), empty when it is.
    """

    text: str  # the sentence as generated, markers included
    start: int  # offsets in the generated text
    end: int
    cites: tuple[int, ...]
    verified: bool
    reason: str = ""
    score: float = 0.0  # word coverage of the sentence by the evidence span
    evidence: Citation | None = None


@dataclass(frozen=True)
class Answer:
    question: str
    text: str  # at most 400 characters, with [n] markers
    found: bool
    citations: list[Citation] = field(default_factory=list)
    related: list[Passage] = field(default_factory=list)  # offered when found is False
    kind: str = "other"  # the answer type read from the question
    lang: str = "vi"
    rewritten: str | None = None  # the question as read: a follow-up made standalone, diacritics put back
    generated_by: str | None = None  # the LLM that wrote `text`; None for the extractive answer
    claims: list[Claim] = field(default_factory=list)  # a generated answer's sentences, each checked
    notice: str | None = None  # one line for the user: how much was verified, or why this is extractive
    # The passages read for this answer, best first, scored on the same scale as the
    # citations: the UI's "other passages" are these, so their scores are comparable.
    passages: list[Passage] = field(default_factory=list)

    def as_dict(self) -> dict:
        """The answer as JSON gives it: citations (and claims' evidence) flat."""
        out = asdict(self)
        out["citations"] = [c.as_dict() for c in self.citations]
        for claim, c in zip(out["claims"], self.claims):
            claim["evidence"] = c.evidence.as_dict() if c.evidence is not None else None
        return out
