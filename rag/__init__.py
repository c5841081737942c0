"""Offline, Vietnamese-first question answering over your documents, with citations.

>>> from rag import Assistant                                   # doctest: +SKIP
>>> assistant = Assistant.build(["seeds"], index_dir="index")   # doctest: +SKIP
>>> assistant.ask("Quận 1 có bao nhiêu đảng viên?").text        # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from rag.assistant import MAX_QUESTION_CHARS, Assistant, RetrievalSettings, UpdateReport
from rag.errors import (
    EmptyCorpusError,
    EmptyQuestionError,
    IndexDamagedError,
    IndexMismatchError,
    IndexNotFoundError,
    ModelUnavailableError,
    QuestionTooLongError,
    RagError,
)
from rag.records import Answer, Citation, Document, Passage

__all__ = [
    "Answer", "Assistant", "Citation", "Document", "Passage", "RetrievalSettings", "UpdateReport",
    "MAX_QUESTION_CHARS", "ask", "RagError", "EmptyCorpusError", "EmptyQuestionError",
    "IndexDamagedError", "IndexMismatchError", "IndexNotFoundError", "ModelUnavailableError",
    "QuestionTooLongError",
]  # fmt: skip

_open: dict[str, Assistant] = {}


def ask(question: str, index_dir: str | Path = "index") -> Answer:
    """One call: open the index (once per process; a commit another process makes is followed) and
    answer `question`."""
    key = str(Path(index_dir).resolve())
    if key not in _open:
        _open[key] = Assistant.load(index_dir)
    return _open[key].ask(question)
