"""The BM25 postings against a direct computation, whatever the build's block size."""

import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from rag.language.normalize import lexical_terms, query_terms
from rag.search.lexical import LexicalIndex
from rag.search.passages import PassageTable

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def reference_bm25(texts: list[str], query: str, k1: float = 1.2, b: float = 0.75) -> np.ndarray:
    docs = [Counter(lexical_terms(t)) for t in texts]
    lengths = [sum(d.values()) for d in docs]
    avg = sum(lengths) / len(docs)
    out = np.zeros(len(docs))
    for term in set(query_terms(query)):
        df = sum(term in d for d in docs)
        if not df:
            continue
        idf = math.log1p((len(docs) - df + 0.5) / (df + 0.5))
        for i, d in enumerate(docs):
            tf = d.get(term, 0)
            out[i] += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * lengths[i] / avg))
    return out


@pytest.fixture(scope="module")
def texts() -> list[str]:
    paragraphs = []
    for path in sorted(SEEDS.glob("*.txt")):
        paragraphs += [p for p in path.read_text(encoding="utf-8").split("\n") if len(p) > 40]
    return paragraphs[:120]


@pytest.mark.parametrize("block", [1, 7, 100_000])
def test_scores_match_direct_bm25_for_any_block_size(texts, block):
    index = LexicalIndex(iter(texts), block=block)
    for query in ["Quận 1 có bao nhiêu đảng viên?", "quan 1 co bao nhieu dang vien", "8033 tỷ lệ 94,27%"]:
        expected = reference_bm25(texts, query)
        # Contributions are stored in float16: three significant digits.
        assert np.allclose(index.scores(query), expected, rtol=2e-3, atol=2e-3), query


def test_empty_index_scores_nothing():
    index = LexicalIndex([])
    assert index.size == 0 and index.scores("đảng viên").shape == (0,)


def test_passage_table_reads_text_from_documents(assistant):
    table = assistant.index.snap.passages
    assert isinstance(table, PassageTable)
    for row, p in enumerate(table):
        assert assistant.source_text(p.source)[p.start : p.end] == p.text and p.id == row
    assert list(table.texts()) == [p.text for p in table]
    assert sum(table.counts().values()) == len(table) == assistant.passage_count()
