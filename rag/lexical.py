"""BM25 over Vietnamese terms (syllables, syllable bigrams, folded views, canonical numbers)."""

from __future__ import annotations

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
    """A BM25 matrix (documents x terms) so a query is one sparse column sum."""

    def __init__(self, texts: list[str], k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.vocab: dict[str, int] = {}
        rows, cols = [], []
        for row, text in enumerate(texts):
            for t in lexical_terms(text):
                rows.append(row)
                cols.append(self.vocab.setdefault(t, len(self.vocab)))
        n = len(texts)
        counts = sparse.csr_matrix(
            (np.ones(len(rows), np.float32), (rows, cols)), shape=(n, max(len(self.vocab), 1))
        )
        counts.sum_duplicates()
        doc_len = np.asarray(counts.sum(axis=1)).ravel()
        avg_len = float(doc_len.mean()) if n else 1.0
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        coo = counts.tocoo()
        data = bm25_weights(coo.data, doc_len[coo.row], max(avg_len, 1.0), idf(df, n)[coo.col], k1, b)
        self.matrix = sparse.csc_matrix((data.astype(np.float32), (coo.row, coo.col)), shape=counts.shape)
        self.size = n
        self._idf = idf(df, n)
        self._max_idf = float(idf(np.array([0]), n)[0])

    def idf(self, term: str) -> float:
        """IDF of an index term; an unseen term gets the largest possible value."""
        col = self.vocab.get(term)
        return self._max_idf if col is None else float(self._idf[col])

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for `query` (zeros where no term matches)."""
        cols = sorted({self.vocab[t] for t in query_terms(query) if t in self.vocab})
        if not cols or not self.size:
            return np.zeros(self.size, np.float32)
        return np.asarray(self.matrix[:, cols].sum(axis=1)).ravel()

    def search_batch(self, queries: list[str], k: int) -> list[list[tuple[int, float]]]:
        """Top-k (row, score) per query, best first; rows with no matching term are left out."""
        return [hits(self.scores(query), k) for query in queries]


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
