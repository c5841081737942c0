"""BM25 over Vietnamese terms (syllables, syllable bigrams, folded views, canonical numbers)."""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from rag.language.normalize import lexical_terms, query_terms


def idf(df: np.ndarray, n_docs: int) -> np.ndarray:
    """BM25 inverse document frequency (Lucene's form, never negative).

    >>> idf(np.array([1, 3]), 3).round(3).tolist()
    [0.981, 0.134]
    """
    return np.log1p((n_docs - df + 0.5) / (df + 0.5))


def bm25_weights(
    tf: np.ndarray, doc_len: np.ndarray, avg_len: float, idf_t: np.ndarray, k1: float, b: float
) -> np.ndarray:
    """Per (document, term) BM25 contribution; a query's score is the sum over its terms."""
    norm = k1 * (1 - b + b * doc_len / avg_len)
    return idf_t * tf * (k1 + 1) / (tf + norm)


class LexicalIndex:
    """BM25 postings: per term, the rows holding it and their precomputed contributions.

    Built block by block from an iterable of texts (the whole corpus never sits in memory
    as Python lists). Each block keeps its own postings, a segment: `indptr` per term,
    `rows` as int32 and `weights` as float16 (BM25 contributions need three significant
    digits). Merging the segments into one would hold the counts and the merged copy side
    by side, another 1 GB at the peak at a million passages; a query reads each segment
    instead, a few ms at ten segments (eval/bench.py).

    `save` writes every array as a `.npy` file and `open` maps them back read-only, so
    opening a saved index costs no build and no copy: the pages are read as queries
    touch them.
    """

    vocab: Mapping[str, int]  # term -> column: a dict when built, a `TermTable` when opened

    def __init__(self, texts: Iterable[str], k1: float = 1.2, b: float = 0.75, block: int = 100_000):
        self.k1, self.b = k1, b
        self.vocab: dict[str, int] = {}
        counts: list[sparse.csc_matrix] = []  # term counts of each block of documents
        lengths = []
        for chunk in _blocks(texts, block):
            cols, doc_len = array("i"), array("i")
            for text in chunk:
                found = lexical_terms(text)
                doc_len.append(len(found))
                cols.extend([self.vocab.setdefault(t, len(self.vocab)) for t in found])
            rows = np.repeat(np.arange(len(chunk), dtype=np.int32), np.frombuffer(doc_len, np.int32))
            counts.append(
                sparse.coo_matrix(
                    (np.ones(len(cols), np.uint16), (rows, np.frombuffer(cols, np.int32))),
                    shape=(len(chunk), len(self.vocab)),
                ).tocsc()  # sums repeated terms
            )
            lengths.append(np.frombuffer(doc_len, np.int32).astype(np.float32))
            del cols, rows
        doc_len = np.concatenate(lengths) if lengths else np.zeros(0, np.float32)
        self.size = n = len(doc_len)
        df = np.zeros(max(len(self.vocab), 1), np.int64)
        for m in counts:
            df[: m.shape[1]] += np.diff(m.indptr)
        self._idf = idf(df, n)
        self._max_idf = float(idf(np.array([0]), n)[0])
        avg_len = max(float(doc_len.mean()), 1.0) if n else 1.0
        idf32 = self._idf.astype(np.float32)
        self.segments: list[_Segment] = []
        offset = 0
        counts.reverse()
        while counts:  # each block's counts become its weights, then are freed
            m = counts.pop()
            self.segments.append(_segment(m, offset, doc_len, avg_len, idf32, k1, b))
            offset += m.shape[0]
            del m

    @property
    def postings(self) -> int:
        return sum(len(seg.rows) for seg in self.segments)

    @classmethod
    def open(cls, directory: Path) -> LexicalIndex:
        """A saved index, its arrays memory-mapped read-only (see `save`).

        Only the headers and shapes are checked here (reading every page would cost
        what mapping saves); a file of the wrong size or shape is a ValueError naming it.

        Raises:
            OSError: a file is missing or unreadable.
            ValueError: a file is not what `save` wrote.
        """
        directory = Path(directory)
        meta = json.loads((directory / "lexical.json").read_text())
        if meta.get("format") != LEXICAL_FORMAT:
            raise ValueError(f"{directory / 'lexical.json'}: lexical format {meta.get('format')}")
        self = cls.__new__(cls)
        self.k1, self.b, self.size = float(meta["k1"]), float(meta["b"]), int(meta["size"])
        self._max_idf = float(meta["max_idf"])
        self.vocab = TermTable.open(directory, int(meta["terms"]))
        self._idf = _mapped(directory / "idf.npy", np.float64, (max(len(self.vocab), 1),))
        self.segments = []
        for i in range(int(meta["segments"])):
            stem = directory / f"segment-{i:03d}"
            indptr = _mapped(stem.with_suffix(".indptr.npy"), np.int32, None)
            if not 1 <= len(indptr) <= len(self.vocab) + 1:
                raise ValueError(f"{stem}.indptr.npy: {len(indptr)} entries for {len(self.vocab)} terms")
            n = int(indptr[-1])
            rows = _mapped(stem.with_suffix(".rows.npy"), np.int32, (n,))
            weights = _mapped(stem.with_suffix(".weights.npy"), np.float16, (n,))
            self.segments.append(_Segment(indptr, rows, weights))
        return self

    def save(self, directory: Path) -> list[Path]:
        """Write the index as `.npy` files (plus `lexical.json`) into `directory`.

        Returns:
            The files written, the caller's to checksum and fsync.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        written = TermTable.write(directory, self.vocab)
        written.append(_save(directory / "idf.npy", np.asarray(self._idf, np.float64)))
        for i, seg in enumerate(self.segments):
            stem = directory / f"segment-{i:03d}"
            written.append(_save(stem.with_suffix(".indptr.npy"), np.asarray(seg.indptr, np.int32)))
            written.append(_save(stem.with_suffix(".rows.npy"), np.asarray(seg.rows, np.int32)))
            written.append(_save(stem.with_suffix(".weights.npy"), np.asarray(seg.weights, np.float16)))
        meta = {
            "format": LEXICAL_FORMAT, "k1": self.k1, "b": self.b, "size": self.size,
            "max_idf": self._max_idf, "terms": len(self.vocab), "segments": len(self.segments),
        }  # fmt: skip
        (directory / "lexical.json").write_text(json.dumps(meta, indent=2))
        return [directory / "lexical.json", *written]

    def idf(self, term: str) -> float:
        """IDF of an index term; an unseen term gets the largest possible value."""
        col = self.vocab.get(term)
        return self._max_idf if col is None else float(self._idf[col])

    def nbytes(self) -> int:
        """Memory held by the postings arrays (the vocabulary dict not counted)."""
        held = [seg.indptr.nbytes + seg.rows.nbytes + seg.weights.nbytes for seg in self.segments]
        return self._idf.nbytes + sum(held)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for `query` (zeros where no term matches)."""
        out = np.zeros(self.size, np.float32)
        cols = sorted(c for c in columns(self.vocab, list(set(query_terms(query)))).tolist() if c >= 0)
        for seg in self.segments:
            for col in cols:
                if col + 1 < len(seg.indptr):  # a term first seen in a later block is not here
                    at, to = seg.indptr[col], seg.indptr[col + 1]
                    # np.add.at on float32 has a fast path (numpy >= 1.25; bm25s scores this
                    # way): 0.7 ms a query at 100k passages against 1.1 ms for `out[rows] +=`,
                    # same sums. Casting the float16 slice first: add.at casting it is 20x slower.
                    np.add.at(out, seg.rows[at:to], seg.weights[at:to].astype(np.float32))
        return out

    def search_batch(self, queries: list[str], k: int) -> list[list[tuple[int, float]]]:
        """Top-k (row, score) per query, best first; rows with no matching term are left out."""
        return [hits(self.scores(query), k) for query in queries]


@dataclass(frozen=True)
class _Segment:
    """The postings of one block of documents (rows offset to the whole index)."""

    indptr: np.ndarray  # per term known when the block was built
    rows: np.ndarray  # int32
    weights: np.ndarray  # float16 BM25 contributions


def _segment(
    counts: sparse.csc_matrix,
    offset: int,
    doc_len: np.ndarray,
    avg_len: float,
    idf32: np.ndarray,
    k1: float,
    b: float,
) -> _Segment:
    """One block's term counts as BM25 weights, converted a slice at a time so that no
    float32 copy of the whole block is held."""
    weights = np.empty(counts.nnz, np.float16)
    step = 1 << 22
    for at in range(0, counts.nnz, step):
        span = slice(at, at + step)
        term_of = np.searchsorted(counts.indptr, np.arange(at, min(at + step, counts.nnz)), "right") - 1
        weights[span] = bm25_weights(
            counts.data[span].astype(np.float32), doc_len[offset + counts.indices[span]], avg_len,
            idf32[term_of], k1, b,
        )  # fmt: skip
    return _Segment(counts.indptr, counts.indices + np.int32(offset), weights)


LEXICAL_FORMAT = 1


class TermTable(Mapping[str, int]):
    """A saved vocabulary, term -> column, read in place from memory-mapped arrays.

    A dict of a few million terms takes seconds and hundreds of MB to rebuild on every
    open; this table takes neither. The terms are stored sorted by their UTF-8 bytes, in
    one blob with their start offsets, beside each term's column. A lookup finds the
    candidates by the term's first 8 bytes (a big-endian integer sorts as the bytes do)
    with `np.searchsorted`, then compares whole terms among those few.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = TermTable.write(d, {"việt": 0, "nam": 1, "việt_nam": 2})
    >>> table = TermTable.open(d, 3)
    >>> table["việt_nam"], table.get("viet"), sorted(table)
    (2, None, ['nam', 'việt', 'việt_nam'])
    """

    def __init__(self, blob: np.ndarray, starts: np.ndarray, keys: np.ndarray, columns: np.ndarray):
        self._blob, self._starts, self._keys, self._columns = blob, starts, keys, columns

    @staticmethod
    def write(directory: Path, vocab: Mapping[str, int]) -> list[Path]:
        """Write `vocab` as `terms.npy` (the blob), `term_starts.npy`, `term_keys.npy` and
        `term_columns.npy`; the files written."""
        encoded = sorted((t.encode(), c) for t, c in vocab.items())
        lengths = np.fromiter((len(t) for t, _ in encoded), np.int64, len(encoded))
        starts = np.zeros(len(encoded) + 1, np.int64)
        np.cumsum(lengths, out=starts[1:])
        blob = np.frombuffer(b"".join(t for t, _ in encoded), np.uint8)
        keys = np.fromiter((_key(t) for t, _ in encoded), np.uint64, len(encoded))
        columns = np.fromiter((c for _, c in encoded), np.int32, len(encoded))
        return [
            _save(directory / "terms.npy", blob),
            _save(directory / "term_starts.npy", starts),
            _save(directory / "term_keys.npy", keys),
            _save(directory / "term_columns.npy", columns),
        ]

    @classmethod
    def open(cls, directory: Path, terms: int) -> TermTable:
        starts = _mapped(directory / "term_starts.npy", np.int64, (terms + 1,))
        blob = _mapped(directory / "terms.npy", np.uint8, (int(starts[-1]),))
        keys = _mapped(directory / "term_keys.npy", np.uint64, (terms,))
        columns = _mapped(directory / "term_columns.npy", np.int32, (terms,))
        return cls(blob, starts, keys, columns)

    def _term(self, i: int) -> bytes:
        return self._blob[self._starts[i] : self._starts[i + 1]].tobytes()

    def __getitem__(self, term: str) -> int:
        col = self.columns([term])[0]
        if col < 0:
            raise KeyError(term)
        return int(col)

    def columns(self, terms: list[str]) -> np.ndarray:
        """The column of each term, -1 for a term not in the table (one vectorised
        search for all of them: a query has some 30 terms)."""
        raws = [t.encode() for t in terms]
        keys = np.fromiter((_key(r) for r in raws), np.uint64, len(raws))
        los = np.searchsorted(self._keys, keys, "left").tolist()
        his = np.searchsorted(self._keys, keys, "right").tolist()
        out = np.full(len(raws), -1, np.int64)
        for i, (raw, lo, hi) in enumerate(zip(raws, los, his)):
            while lo < hi:  # terms sharing their first 8 bytes: bisect on the whole bytes
                mid = (lo + hi) // 2
                found = self._term(mid)
                if found == raw:
                    out[i] = self._columns[mid]
                    break
                if found < raw:
                    lo = mid + 1
                else:
                    hi = mid
        return out

    def get(self, term: str, default: int | None = None) -> int | None:  # type: ignore[override]
        try:
            return self[term]
        except KeyError:
            return default

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self.get(term) is not None

    def __len__(self) -> int:
        return len(self._columns)

    def __iter__(self) -> Iterator[str]:
        return (self._term(i).decode() for i in range(len(self)))


def columns(vocab: Mapping[str, int], terms: list[str]) -> np.ndarray:
    """The column of each term in `vocab` (a dict or a `TermTable`), -1 where it is absent."""
    if isinstance(vocab, TermTable):
        return vocab.columns(terms)
    return np.fromiter((vocab.get(t, -1) for t in terms), np.int64, len(terms))


def _key(raw: bytes) -> int:
    """The first 8 bytes as a big-endian integer (zero-padded), ordered as the bytes are."""
    return int.from_bytes(raw[:8].ljust(8, b"\0"), "big")


def _save(path: Path, array: np.ndarray) -> Path:
    np.save(path, np.ascontiguousarray(array), allow_pickle=False)
    return path


def _mapped(path: Path, dtype: type, shape: tuple[int, ...] | None) -> np.ndarray:
    """`path` memory-mapped read-only, checked to hold `dtype` and `shape` (any 1-D length
    when None). np.load already refuses a file shorter than its header says."""
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as exc:  # a bad header, or a file shorter than its header says
        raise ValueError(f"{path}: {exc}") from exc
    if array.dtype != dtype or array.ndim != 1 or (shape is not None and array.shape != shape):
        raise ValueError(f"{path} holds {array.dtype} {array.shape}, not {np.dtype(dtype)} {shape or '(n,)'}")
    return array.view(np.ndarray)  # a plain array over the map: np.memmap slices cost µs each


def _blocks(items: Iterable[str], size: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def hits(scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The k best (row, score) of a score vector, best first, leaving out rows that scored 0.

    >>> hits(np.array([0.0, 2.0, 1.0]), 5)
    [(1, 2.0), (2, 1.0)]
    """
    return [(int(i), float(scores[i])) for i in top_k(scores, k) if scores[i] > 0]


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest scores, best first (ties by lower index)."""
    if k >= len(scores):
        return np.argsort(-scores, kind="stable")
    part = np.argpartition(-scores, k)[:k]
    return part[np.lexsort((part, -scores[part]))]
