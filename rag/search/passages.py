"""The passages of an index as a compact table: a row is (source, start, end).

A million `Passage` objects with their own copies of the text take gigabytes; the
table keeps three integer arrays and reads a passage's text from its document only
when the row is asked for, so memory grows by 20 bytes a passage, not a kilobyte.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence

import numpy as np

from rag.records import Document, Passage


def digest(texts: Iterable[str]) -> str:
    """A fingerprint of one source's passage texts, in row order.

    Recorded when the passages are embedded and checked when the index is read, so a
    row can never point at text other than what its vector was made from.
    """
    h = hashlib.sha1()
    for text in texts:
        h.update(text.encode())
        h.update(b"\x00")
    return h.hexdigest()[:16]


class PassageTable(Sequence[Passage]):
    """Row i is the passage embedded by row i of the index's vectors.

    >>> docs = {"a.txt": Document("a.txt", "Một. Hai.", ((0, 9),), "f")}
    >>> table = PassageTable.from_passages(docs, [Passage("a.txt", "Hai.", 5, 9)])
    >>> table[0]
    Passage(source='a.txt', text='Hai.', start=5, end=9, score=0.0, id=0)
    """

    def __init__(
        self,
        documents: Mapping[str, Document],
        names: list[str],
        source_ids: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
    ):
        self.documents = documents
        self.names = names  # source name of each source id
        self.source_ids = np.asarray(source_ids, dtype=np.int32)
        self.starts = np.asarray(starts, dtype=np.int64)
        self.ends = np.asarray(ends, dtype=np.int64)

    @classmethod
    def from_rows(
        cls, documents: Mapping[str, Document], rows: Iterable[tuple[str, int, int]]
    ) -> PassageTable:
        """A table from (source, start, end) rows, every source being one of `documents`."""
        names: list[str] = []
        ids: dict[str, int] = {}
        source_ids, starts, ends = [], [], []
        for source, start, end in rows:
            if source not in documents:
                raise KeyError(f"passage of unknown source {source!r}")
            sid = ids.get(source)
            if sid is None:
                sid = ids[source] = len(names)
                names.append(source)
            source_ids.append(sid)
            starts.append(start)
            ends.append(end)
        return cls(documents, names, np.array(source_ids), np.array(starts), np.array(ends))

    @classmethod
    def from_passages(cls, documents: Mapping[str, Document], passages: Iterable[Passage]) -> PassageTable:
        return cls.from_rows(documents, ((p.source, p.start, p.end) for p in passages))

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, row):  # type: ignore[override]
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        row = int(row)
        if row < 0:
            row += len(self)
        source = self.names[self.source_ids[row]]
        start, end = int(self.starts[row]), int(self.ends[row])
        return Passage(source, self.documents[source].text[start:end], start, end, id=row)

    def __iter__(self) -> Iterator[Passage]:
        return (self[i] for i in range(len(self)))

    def rows(self) -> Iterator[tuple[str, int, int]]:
        """(source, start, end) of every row, in order."""
        for sid, start, end in zip(self.source_ids.tolist(), self.starts.tolist(), self.ends.tolist()):
            yield self.names[sid], start, end

    def texts(self) -> Iterator[str]:
        """Every passage's text in row order, made one at a time."""
        for source, start, end in self.rows():
            yield self.documents[source].text[start:end]

    def digests(self, sources: Iterable[str] | None = None) -> dict[str, str]:
        """`digest` of each source's passage texts (of every source when None)."""
        wanted = set(self.names if sources is None else sources)
        texts: dict[str, list[str]] = {}
        rows = np.flatnonzero(self.rows_of(wanted))  # only the rows asked about are read
        for sid, start, end in zip(self.source_ids[rows].tolist(), self.starts[rows].tolist(),
                                   self.ends[rows].tolist()):  # fmt: skip
            name = self.names[sid]
            texts.setdefault(name, []).append(self.documents[name].text[start:end])
        return {name: digest(t) for name, t in texts.items()}

    def disagreeing(self, recorded: Mapping[str, str]) -> list[str]:
        """Sources whose passage texts differ from the `recorded` digests (or are missing)."""
        actual = self.digests()
        names = set(actual) | set(recorded)
        return sorted(n for n in names if actual.get(n) != recorded.get(n))

    def counts(self) -> dict[str, int]:
        """Passages per source."""
        per_id = np.bincount(self.source_ids, minlength=len(self.names))
        return {name: int(c) for name, c in zip(self.names, per_id) if c}

    def rows_of(self, sources: set[str]) -> np.ndarray:
        """Boolean mask of the rows whose source is in `sources`."""
        hit = np.array([name in sources for name in self.names], dtype=bool)
        return hit[self.source_ids] if len(self) else np.zeros(0, bool)

    def updated(
        self, documents: Mapping[str, Document], keep: np.ndarray, added: Sequence[Passage]
    ) -> PassageTable:
        """The kept rows (in order) followed by `added`, reading text from `documents`."""
        names = list(self.names)
        ids = {name: i for i, name in enumerate(names)}
        new_ids = []
        for p in added:
            if p.source not in ids:
                ids[p.source] = len(names)
                names.append(p.source)
            new_ids.append(ids[p.source])
        return PassageTable(
            documents,
            names,
            np.concatenate([self.source_ids[keep], np.array(new_ids, np.int32)]),
            np.concatenate([self.starts[keep], np.array([p.start for p in added], np.int64)]),
            np.concatenate([self.ends[keep], np.array([p.end for p in added], np.int64)]),
        )
