"""BM25 over Vietnamese terms (syllables, syllable bigrams, folded views, canonical numbers)."""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator

import numpy as np
from scipy import sparse

from rag.normalize import lexical_terms, query_terms


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

    Built block by block from an iterable of texts (the whole corpus never sits in
    memory as Python lists), and kept as three flat arrays: `indptr` per term, `rows`
    (int32) and `weights` (float16: BM25 contributions need three significant digits,
    and half the bytes matter at a million passages, eval/bench.py).
    """

    def __init__(self, texts: Iterable[str], k1: float = 1.2, b: float = 0.75, block: int = 20_000):
        self.k1, self.b = k1, b
        self.vocab: dict[str, int] = {}
        blocks: list[sparse.csc_matrix] = []  # term counts of each block of documents
        lengths = []
        for chunk in _blocks(texts, block):
            cols, doc_len = array("i"), array("i")
            for text in chunk:
                found = lexical_terms(text)
                doc_len.append(len(found))
                cols.extend([self.vocab.setdefault(t, len(self.vocab)) for t in found])
            rows = np.repeat(np.arange(len(chunk), dtype=np.int32), np.frombuffer(doc_len, np.int32))
            counts = sparse.coo_matrix(
                (np.ones(len(cols), np.uint16), (rows, np.frombuffer(cols, np.int32))),
                shape=(len(chunk), len(self.vocab)),
            ).tocsc()  # sums repeated terms
            blocks.append(counts)
            lengths.append(np.frombuffer(doc_len, np.int32).astype(np.float32))
        doc_len = np.concatenate(lengths) if lengths else np.zeros(0, np.float32)
        self.size = n = len(doc_len)
        self.indptr, self.rows, tf = _postings(blocks, max(len(self.vocab), 1))
        self._idf = idf(np.diff(self.indptr), n)
        self._max_idf = float(idf(np.array([0]), n)[0])
        avg_len = max(float(doc_len.mean()), 1.0) if n else 1.0
        self.weights = np.empty(len(self.rows), np.float16)
        idf32 = self._idf.astype(np.float32)
        step = 1 << 22  # in slices: float32 temporaries of every posting would double the peak
        for at in range(0, len(self.rows), step):
            span = slice(at, at + step)
            term_of = np.searchsorted(self.indptr, np.arange(at, min(at + step, len(self.rows))), "right") - 1
            self.weights[span] = bm25_weights(
                tf[span].astype(np.float32), doc_len[self.rows[span]], avg_len, idf32[term_of], k1, b
            )

    def idf(self, term: str) -> float:
        """IDF of an index term; an unseen term gets the largest possible value."""
        col = self.vocab.get(term)
        return self._max_idf if col is None else float(self._idf[col])

    def nbytes(self) -> int:
        """Memory held by the postings arrays (the vocabulary dict not counted)."""
        return self.indptr.nbytes + self.rows.nbytes + self.weights.nbytes + self._idf.nbytes

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for `query` (zeros where no term matches)."""
        out = np.zeros(self.size, np.float32)
        for col in sorted({self.vocab[t] for t in query_terms(query) if t in self.vocab}):
            at, to = self.indptr[col], self.indptr[col + 1]
            out[self.rows[at:to]] += self.weights[at:to]  # a term's rows are distinct
        return out

    def search_batch(self, queries: list[str], k: int) -> list[list[tuple[int, float]]]:
        """Top-k (row, score) per query, best first; rows with no matching term are left out."""
        return [hits(self.scores(query), k) for query in queries]


def _blocks(items: Iterable[str], size: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _postings(blocks: list[sparse.csc_matrix], n_terms: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Join per-block term counts into one posting list per term: (indptr, rows, counts).

    Each block is written straight to its place in the final arrays and then freed, so
    the peak is the blocks plus the result, not the several copies a sparse `vstack` makes.
    """
    df = np.zeros(n_terms, np.int64)
    for m in blocks:
        df[: m.shape[1]] += np.diff(m.indptr)
    indptr = np.concatenate([[0], np.cumsum(df)]).astype(np.int64)
    rows = np.empty(indptr[-1], np.int32)
    counts = np.empty(indptr[-1], np.uint16)
    fill = indptr[:-1].copy()  # next free slot of each term
    offset = 0
    blocks.reverse()
    while blocks:
        m = blocks.pop()  # in document order, so each term's rows come out sorted
        per_term = np.diff(m.indptr)
        term = np.repeat(np.arange(m.shape[1]), per_term)
        at = fill[term] + np.arange(m.nnz) - m.indptr[term]
        rows[at] = m.indices + offset
        counts[at] = m.data
        fill[: m.shape[1]] += per_term
        offset += m.shape[0]
    return indptr, rows, counts


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
