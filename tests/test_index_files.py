"""Saved BM25 and FAISS indexes open memory-mapped and answer exactly as the built ones;
bm25s fed our Vietnamese terms ranks as our BM25 does (the reference)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.language.normalize import lexical_terms, query_terms
from rag.search.dense import DenseIndex
from rag.search.lexical import LexicalIndex, TermTable
from tests.test_lexical import reference_bm25

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
QUERIES = [
    "Thủ đô của Việt Nam là thành phố nào?",
    "thu do viet nam",  # folded: matches the accented text through the folded terms
    "Dân số năm 2019 là bao nhiêu người?",
    "Ai là chủ tịch Hồ Chí Minh",
    "xyzzy không có trong kho",  # mostly unseen terms
]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    paragraphs = []
    for path in sorted(SEEDS.glob("*.txt")):
        paragraphs += [p for p in path.read_text(encoding="utf-8").split("\n") if len(p) > 40]
    return paragraphs[:150]


@pytest.fixture(scope="module")
def built(texts) -> LexicalIndex:
    return LexicalIndex(texts, block=40)  # segments holding terms the earlier ones lack


def test_opened_lexical_index_scores_exactly_as_the_built_one(built, texts, tmp_path):
    built.save(tmp_path / "lexical")
    opened = LexicalIndex.open(tmp_path / "lexical")
    assert len(opened.segments) == len(built.segments) > 1
    assert isinstance(opened.segments[0].rows, np.ndarray) and not opened.segments[0].rows.flags.owndata
    for query in QUERIES:
        assert np.array_equal(opened.scores(query), built.scores(query)), query
        # and both are BM25 itself (the postings hold float16 contributions)
        assert np.allclose(opened.scores(query), reference_bm25(texts, query), rtol=2e-3, atol=2e-3)
    assert opened.search_batch(QUERIES, 5) == built.search_batch(QUERIES, 5)
    assert len(opened.vocab) == len(built.vocab)
    assert all(opened.vocab[t] == col for t, col in built.vocab.items())  # every term, its column
    for term in ["việt", "~viet", "việt_nam", "zzz", "", "việt nam"]:
        assert opened.vocab.get(term) == built.vocab.get(term)
        assert opened.idf(term) == built.idf(term)
    assert opened.nbytes() == built.nbytes() and opened.postings == built.postings


def test_term_table_separates_terms_that_share_their_first_eight_bytes(tmp_path):
    # "nguyễn" is 8 bytes in UTF-8: every bigram starting with it has the same key
    vocab = {"nguyễn": 0, "nguyễn_văn": 1, "nguyễn_vũ": 2, "nguyễn_văn_a": 3, "a": 4, "ă": 5, "~nguyen": 6}
    TermTable.write(tmp_path, vocab)
    table = TermTable.open(tmp_path, len(vocab))
    assert {t: table[t] for t in vocab} == vocab
    assert table.get("nguyễn_v") is None and table.get("nguyễn_văn_b") is None and table.get("b") is None
    assert list(table.columns(["ă", "x", "nguyễn_vũ"])) == [5, -1, 2]
    assert sorted(table) == sorted(vocab)


def test_an_empty_lexical_index_saves_and_opens(tmp_path):
    LexicalIndex([]).save(tmp_path)
    opened = LexicalIndex.open(tmp_path)
    assert opened.size == 0 and opened.search_batch(["gì"], 3) == [[]]


def test_a_damaged_lexical_file_is_named(built, tmp_path):
    built.save(tmp_path)
    rows = tmp_path / "segment-001.rows.npy"
    rows.write_bytes(rows.read_bytes()[:-100])
    with pytest.raises(ValueError, match="segment-001.rows.npy"):
        LexicalIndex.open(tmp_path)


def test_bm25s_fed_our_terms_ranks_as_our_bm25(built, texts):
    """bm25s (its "lucene" BM25: ours without the constant factor k1 + 1) given our
    Vietnamese terms: the same scores up to our float16 rounding, the same top 10."""
    import bm25s  # a test dependency only: compared here, not used by rag

    other = bm25s.BM25(k1=built.k1, b=built.b, method="lucene")
    other.index([lexical_terms(t) for t in texts], show_progress=False)
    for query in QUERIES:
        ours = built.scores(query)
        theirs = other.get_scores(list(set(query_terms(query)))) * (built.k1 + 1)
        assert np.allclose(theirs, ours, rtol=2e-3, atol=2e-3), query
        # the same top 10: the rows bm25s ranks first score in ours what our top 10 score
        # (rows may swap only where two scores tie at float16 precision)
        theirs_top, ours_top = np.argsort(-theirs, kind="stable")[:10], np.argsort(-ours, kind="stable")[:10]
        assert np.allclose(ours[theirs_top], ours[ours_top], atol=2e-3), query


def _vectors(n: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.parametrize("kind", ["Flat", "IVF16,SQ8"])
def test_opened_dense_index_searches_exactly_as_the_built_one(kind, tmp_path):
    vectors = _vectors(3000)
    built = DenseIndex(vectors, kind=kind)
    built.save(tmp_path / "dense.faiss")
    opened = DenseIndex.open(tmp_path / "dense.faiss", kind)
    queries = _vectors(8, seed=1)
    assert opened.kind == kind and opened.size == built.size == 3000
    assert opened.search_batch(queries, 10) == built.search_batch(queries, 10)
    rows = [0, 17, 2999, 1234]
    assert np.array_equal(opened.similarity(rows, queries[0]), built.similarity(rows, queries[0]))
    if kind == "Flat":  # exact: the stored vectors are the input's
        assert np.allclose(opened.similarity(rows, queries[0]), vectors[rows] @ queries[0], atol=1e-6)


def test_a_damaged_or_foreign_dense_file_is_a_value_error(tmp_path):
    path = tmp_path / "dense.faiss"
    DenseIndex(_vectors(500), kind="Flat").save(path)
    with pytest.raises(ValueError, match="IVF16,SQ8"):
        DenseIndex.open(path, "IVF16,SQ8")
    path.write_bytes(path.read_bytes()[:-1000])
    with pytest.raises(ValueError, match="dense.faiss"):
        DenseIndex.open(path, "Flat")


# ------------------------------------------------------------------ in the generation folder
def _generation(index_dir: Path) -> Path:
    from rag.search import store

    return store.current_folder(index_dir)


def test_a_saved_index_holds_its_search_indexes_and_load_maps_them(index_copy):
    from rag.search.files import FileBackend, FileIndex
    from rag.search.lexical import TermTable

    folder = _generation(index_copy)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["format_version"] == 3 and manifest["indexes"]["dense_kind"] == "Flat"
    for name in ["dense.faiss", "lexical/lexical.json", "lexical/segment-000.rows.npy", "vectors.npy"]:
        assert (
            manifest["sizes"][name] == (folder / name).stat().st_size and len(manifest["files"][name]) == 64
        )
    opened = FileBackend(index_copy).open()
    built = FileIndex(opened.snap)  # the same snapshot, BM25 and FAISS built from it
    assert isinstance(opened.lexical.vocab, TermTable) and isinstance(built.lexical.vocab, dict)
    vectors = np.asarray(opened.snap.vectors[:5])
    assert opened.dense_search(vectors, 10) == built.dense_search(vectors, 10)
    for query in QUERIES:
        assert opened.lexical_search(query, 10) == built.lexical_search(query, 10)
        assert opened.idf(query.split()[0]) == built.idf(query.split()[0])


def test_an_index_of_format_2_opens_with_its_search_indexes_built(index_copy, assistant):
    from rag import Assistant

    folder = _generation(index_copy)
    manifest = json.loads((folder / "manifest.json").read_text())
    shutil.rmtree(folder / "lexical")
    (folder / "dense.faiss").unlink()
    manifest["files"] = {
        n: h
        for n, h in manifest["files"].items()
        if n in ("documents.jsonl", "passages.jsonl", "vectors.npy")
    }
    for key in ("sizes", "indexes"):
        manifest.pop(key)
    (folder / "manifest.json").write_text(json.dumps(dict(manifest, format_version=2)))
    old = Assistant.load(index_copy)
    assert isinstance(old.index.lexical.vocab, dict)  # built in memory
    question = "Thủ đô của Việt Nam là thành phố nào?"
    assert [p.key for p in old.search(question, k=5)] == [p.key for p in assistant.search(question, k=5)]


@pytest.mark.parametrize("name", ["lexical/segment-000.rows.npy", "lexical/terms.npy", "dense.faiss"])
def test_a_truncated_or_missing_search_index_file_is_named_with_the_fix(index_copy, name):
    from rag import Assistant
    from rag.errors import IndexDamagedError

    path = _generation(index_copy) / name
    path.write_bytes(path.read_bytes()[:-8])
    with pytest.raises(IndexDamagedError, match=f"{name}.*rebuild"):
        Assistant.load(index_copy)
    path.unlink()
    with pytest.raises(IndexDamagedError, match=f"{name}.*rebuild"):
        Assistant.load(index_copy)


def test_a_byte_altered_inside_an_array_is_found_by_verify(index_copy):
    """Load checks sizes and headers of the mapped files; `verify` hashes them all."""
    from rag.errors import IndexDamagedError
    from rag.search import store

    store.verify(index_copy)  # a healthy index
    path = _generation(index_copy) / "lexical" / "segment-000.weights.npy"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    store.load(index_copy)  # same size, sound header: not read whole on load
    with pytest.raises(IndexDamagedError, match="segment-000.weights.npy.*rebuild"):
        store.verify(index_copy)
