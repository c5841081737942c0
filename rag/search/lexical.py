"""BM25 over Vietnamese terms (syllables, syllable bigrams, folded views, canonical numbers)."""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

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
    """

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
        cols = sorted({self.vocab[t] for t in query_terms(query) if t in self.vocab})
        for seg in self.segments:
            for col in cols:
                if col + 1 < len(seg.indptr):  # a term first seen in a later block is not here
                    at, to = seg.indptr[col], seg.indptr[col + 1]
                    out[seg.rows[at:to]] += seg.weights[at:to]  # a term's rows are distinct
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
