"""BM25 as a sparse inner product: document-side weights, query-side IDF.

BM25 (`rag.search.lexical`) scores a passage as the sum, over the query's distinct
terms, of `idf(t) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avg_len))`. The first
factor depends on the query term only, the rest on the passage only, so the score is
the inner product of two sparse vectors over term ids:

- the passage's vector holds the saturated, length-normalised term frequency of each of
  its terms (`passage_weights`), fixed when the passage is written;
- the query's vector holds the IDF of each of its distinct terms (`query_weights`), read
  from the term statistics at query time, so adding documents never rewrites old rows.

The terms are those of `rag.language.normalize.lexical_terms` / `query_terms`: syllables,
bigrams, the folded view and canonical numbers, exactly as the in-memory index uses them.
The one setting frozen into stored rows is `avg_len`: the PostgreSQL backend keeps the
value it wrote with and re-weights the rows when the corpus's true mean drifts from it
(`DRIFT`).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from rag.language.normalize import tokens
from rag.search.lexical import idf

K1, B = 1.2, 0.75  # the in-memory index's defaults (LexicalIndex)
DRIFT = 0.1  # re-weight stored rows when the mean passage length moved this much (relative)


def term_length(text: str) -> int:
    """Number of index terms of a passage (`len(lexical_terms(text))`) without making them:
    w syllables give w syllables and w - 1 bigrams, in two views.

    >>> from rag.language.normalize import lexical_terms
    >>> text = "Quận 1 có 8.033 đảng viên"
    >>> term_length(text) == len(lexical_terms(text))
    True
    """
    words = len(tokens(text))
    return max(4 * words - 2, 0)


def saturation(tf: np.ndarray, length: float, avg_len: float, k1: float = K1, b: float = B) -> np.ndarray:
    """The passage side of BM25: `tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / avg_len))`.

    >>> saturation(np.array([1.0, 2.0]), 10, 10).round(3).tolist()
    [1.0, 1.375]
    """
    norm = k1 * (1 - b + b * length / max(avg_len, 1.0))
    return tf * (k1 + 1) / (tf + norm)


def passage_weights(
    counts: Counter, length: int, ids: dict[str, int], avg_len: float
) -> tuple[list[int], list[float]]:
    """(term ids sorted, weights) of one passage, `ids` mapping every term of `counts`."""
    pairs = sorted((ids[t], c) for t, c in counts.items())
    tf = np.array([c for _, c in pairs], dtype=np.float64)
    return [i for i, _ in pairs], saturation(tf, length, avg_len).tolist()


def query_weights(df: dict[int, int], n_docs: int) -> dict[int, float]:
    """IDF per distinct query term id (the in-memory index's form, `lexical.idf`).

    >>> {k: round(v, 3) for k, v in query_weights({7: 1, 9: 3}, 3).items()}
    {7: 0.981, 9: 0.134}
    """
    if not df:
        return {}
    keys = list(df)
    values = idf(np.array([df[k] for k in keys], dtype=np.float64), n_docs)
    return {k: float(v) for k, v in zip(keys, values)}


def unseen_idf(n_docs: int) -> float:
    """IDF of a term no passage holds (what `LexicalIndex.idf` gives an unknown term)."""
    return float(idf(np.array([0.0]), n_docs)[0])
