"""Which backend an index location names: a directory, or a postgresql:// URL."""

from __future__ import annotations

from pathlib import Path

from rag.errors import RagError
from rag.search.backend import Backend
from rag.search.files import FileBackend

DATABASE_SCHEMES = ("postgresql://", "postgres://")


def open_backend(location: str | Path) -> Backend:
    """The backend for a directory path or a database URL."""
    text = str(location)
    if text.startswith(DATABASE_SCHEMES):
        from rag.search import postgres  # psycopg and pgvector are needed only here

        return postgres.PostgresBackend(text)
    if "://" in text:
        raise RagError(f"unknown index location {text!r}: give a directory or a postgresql:// URL")
    return FileBackend(Path(text))
