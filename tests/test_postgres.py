"""The PostgreSQL index on a real server: schema, BM25 as a sparse inner product, dense
search, one transaction per change, readers during writes, streaming replicas."""

from __future__ import annotations

import threading
import time

import numpy as np
import psycopg
import pytest

from rag.errors import IndexMismatchError, IndexNotFoundError
from rag.records import Document, Passage
from rag.search import pgschema, store
from rag.search.backend import Change
from rag.search.files import FileIndex
from rag.search.postgres import PostgresBackend

QUESTIONS = [
    "Quận 1 có bao nhiêu đảng viên?",
    "quan tan binh co bao nhieu dang vien",
    "Ai là Bí thư Quận ủy quận 1?",
    "Dân số quận 1 là bao nhiêu?",
    "Who is the party secretary of District 1?",
    "Tổng thống Mỹ",
]


@pytest.fixture(scope="module")
def seeds(seeds_index):
    """The seeds index as the file backend holds it (real model, real text)."""
    snap = store.load(seeds_index)
    return snap, FileIndex(snap)


def write_seeds(url: str, snap, **kwargs) -> PostgresBackend:
    backend = PostgresBackend(url, **kwargs)
    backend.write(
        Change(snap.manifest, list(snap.documents.values()), list(snap.passages), np.asarray(snap.vectors))
    )
    return backend


def file_rows(index) -> dict[int, int]:
    """PostgreSQL row id -> file row, matched by (source, start, end)."""
    rows = index.read("SELECT id, source, start_at, end_at FROM rag_passages")
    return {r[0]: r[1:] for r in rows}


def test_schema_is_versioned_and_migrated_once(pg_url):
    PostgresBackend(pg_url)
    PostgresBackend(pg_url)  # a second open finds it current
    with psycopg.connect(pg_url) as conn:
        versions = conn.execute("SELECT version FROM rag_schema_version").fetchall()
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'rag_%'")}
    assert versions == [(pgschema.SCHEMA_VERSION,)]
    assert {"rag_documents", "rag_passages", "rag_terms", "rag_stats", "rag_manifest"} <= tables


def test_a_newer_schema_is_refused_with_what_to_do(pg_url):
    PostgresBackend(pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO rag_schema_version (version) VALUES (99)")
    with pytest.raises(IndexMismatchError, match="upgrade rag-vi"):
        PostgresBackend(pg_url)


def test_a_connection_opened_before_the_extension_searches_with_our_ef_search(pg_url):
    from rag.search import postgres

    early = postgres.connect(pg_url)  # a new database: no vector extension yet
    PostgresBackend(pg_url)  # creates it
    early.execute("SELECT '[1]'::vector")  # the session loads pgvector now
    assert early.execute("SHOW hnsw.ef_search").fetchone()[0] == str(postgres.EF_SEARCH)
    early.close()


def test_an_ef_search_pgvector_would_refuse_is_a_named_error(pg_url):
    from rag.errors import RagError

    with pytest.raises(RagError, match="1 to 1000"):
        PostgresBackend(pg_url, ef_search=2400)  # pgvector would keep searching at 40


def test_an_empty_database_is_not_an_index(pg_url):
    with pytest.raises(IndexNotFoundError, match="rag index seeds --backend"):
        PostgresBackend(pg_url).open()


def test_an_unreachable_server_is_a_named_error():
    with pytest.raises(IndexNotFoundError, match="cannot connect"):
        PostgresBackend("postgresql://postgres@127.0.0.1:1/none")


def test_bm25_as_a_sparse_inner_product_ranks_like_the_lexical_index(pg_url, seeds):
    snap, file_index = seeds
    index = write_seeds(pg_url, snap).open()
    where = file_rows(index)
    file_row = {key: i for i, key in enumerate(snap.passages.rows())}
    for question in QUESTIONS:
        expected = file_index.lexical_search(question, 10)
        got = index.lexical_search(question, 10)
        assert [file_row[where[r]] for r, _ in got] == [r for r, _ in expected], question
        # LexicalIndex keeps its weights as float16; the sparse vectors keep float32.
        np.testing.assert_allclose([s for _, s in got], [s for _, s in expected], rtol=2e-3)
        rows = [r for r, _ in got]
        np.testing.assert_allclose(index.lexical_scores(question, rows), [s for _, s in got], rtol=1e-5)
    for term in ("~quan", "đảng_viên", "~dang_vien", "8033", "never-seen"):
        assert index.idf(term) == pytest.approx(file_index.idf(term), rel=1e-9)


def test_dense_search_is_inner_product_over_the_stored_vectors(pg_url, seeds):
    snap, _ = seeds
    index = write_seeds(pg_url, snap).open()
    where = file_rows(index)
    file_row = {key: i for i, key in enumerate(snap.passages.rows())}
    vectors = np.asarray(snap.vectors)
    for row in (0, 17, len(vectors) - 1):
        hits = index.dense_search(vectors[row][None, :], 5)[0]
        assert file_row[where[hits[0][0]]] == row  # each passage finds itself first
        exact = vectors[[file_row[where[r]] for r, _ in hits]] @ vectors[row]
        np.testing.assert_allclose([s for _, s in hits], exact, atol=2e-3)  # halfvec: 3 digits
        np.testing.assert_allclose(index.dense_scores([r for r, _ in hits], vectors[row]), exact, atol=2e-3)


def test_passages_and_documents_read_back_exactly(pg_url, seeds):
    snap, file_index = seeds
    index = write_seeds(pg_url, snap).open()
    for row, (source, start, end) in list(file_rows(index).items())[:20]:
        p = index.passage(row, score=1.5)
        assert (p.source, p.start, p.end, p.score, p.id) == (source, start, end, 1.5, row)
        assert p.text == snap.documents[source].text[start:end]
    assert dict(index.documents.items()) == snap.documents
    assert index.inventory() == file_index.inventory()
    manifest = index.manifest
    for key in ("model_id", "model_fingerprint", "dim", "chunking", "sources", "passage_digests"):
        assert manifest[key] == snap.manifest[key], key


def test_a_change_is_one_transaction(pg_url, seeds):
    snap, _ = seeds
    backend = write_seeds(pg_url, snap)
    before = backend.open().inventory()
    first, second = sorted(snap.documents)[:2]
    doc = snap.documents[first]
    changed = Document(first, doc.text, doc.spans, "changed")
    # The second half of this change names a document that is not part of it: the write fails
    # after the replacement of `first` and the removal of `second` were applied, inside it.
    stray = Passage("not-a-document.txt", "x", 0, 1)
    bad = Change(snap.manifest, [changed], [Passage(first, doc.text[:5], 0, 5), stray],
                 np.zeros((2, snap.vectors.shape[1]), np.float32), removed=[second])  # fmt: skip
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        backend.write(bad)
    index = backend.open()
    assert index.inventory() == before
    assert index.documents[first].fingerprint == doc.fingerprint


def test_removing_and_replacing_keep_the_term_statistics_exact(pg_url, seeds):
    snap, _ = seeds
    backend = write_seeds(pg_url, snap)
    names = sorted(snap.documents)
    backend.write(Change(snap.manifest, removed=[names[0]]))
    rest = {s: d for s, d in snap.documents.items() if s != names[0]}
    keep = np.flatnonzero(~snap.passages.rows_of({names[0]}))
    from rag.search.lexical import LexicalIndex

    lexical = LexicalIndex(snap.passages[i].text for i in keep)
    index = backend.open()
    assert index.stats().passages == len(keep)
    assert set(index.documents) == set(rest)
    for term in ("~quan", "đảng_viên", "~dang_vien", "8033"):
        assert index.idf(term) == pytest.approx(lexical.idf(term), rel=1e-9)
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM rag_terms WHERE df < 0").fetchone()[0] == 0


def test_weights_follow_the_mean_length_when_it_drifts(pg_url, seeds):
    """A tiny first document, then the seeds: the stored weights are re-made with the new
    mean length, so scores are again those of a BM25 index over everything."""
    snap, _ = seeds
    backend = PostgresBackend(pg_url)
    tiny = Document("tiny.txt", "Quận 1", ((0, 6),), "t")
    backend.write(Change(snap.manifest, [tiny], [Passage("tiny.txt", "Quận 1", 0, 6)],
                         np.asarray(snap.vectors[:1])))  # fmt: skip
    index = backend.write(
        Change(snap.manifest, list(snap.documents.values()), list(snap.passages), np.asarray(snap.vectors))
    )
    from rag.search.lexical import LexicalIndex

    lexical = LexicalIndex(["Quận 1", *snap.passages.texts()])
    scores = lexical.scores("Quận 1 có bao nhiêu đảng viên?")
    got = index.lexical_search("Quận 1 có bao nhiêu đảng viên?", 5)
    assert index.stats().weights_avg_len == pytest.approx(
        lexical.nbytes() and index.stats().total_terms / 108
    )
    np.testing.assert_allclose(sorted(s for _, s in got)[::-1], np.sort(scores)[::-1][:5], rtol=2e-3)


def test_readers_never_see_half_a_document(pg_url, seeds):
    """One thread replaces a document again and again with versions of different lengths;
    readers on their own connections count its passages: always a whole version."""
    snap, _ = seeds
    backend = write_seeds(pg_url, snap)
    source = sorted(snap.documents)[0]
    doc = snap.documents[source]
    rows = np.flatnonzero(snap.passages.rows_of({source}))
    whole = [snap.passages[i] for i in rows]
    versions = {}
    for k in range(1, len(whole) + 1):
        versions[f"v{k}"] = k  # version k keeps the first k passages
    seen, stop, errors = [], threading.Event(), []

    def read() -> None:
        reader = PostgresBackend(pg_url).open()
        while not stop.is_set():
            got = reader.read(
                "SELECT d.fingerprint, count(p.id) FROM rag_documents d LEFT JOIN rag_passages p USING (source) "
                "WHERE d.source = %s GROUP BY d.fingerprint",
                [source],
            )
            if got:
                seen.append(got[0])
            else:
                errors.append("document missing")

    threads = [threading.Thread(target=read) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for _ in range(3):
            for name, k in versions.items():
                version = Document(source, doc.text, doc.spans, name)
                backend.write(Change(snap.manifest, [version], whole[:k], np.asarray(snap.vectors[rows[:k]])))
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors
    assert len(seen) > 20
    fingerprints = dict(versions, **{doc.fingerprint: len(whole)})
    assert all(count == fingerprints[fp] for fp, count in seen), [
        s for s in seen if s[1] != fingerprints[s[0]]
    ][:3]


def test_replicas_share_the_reads_and_a_stopped_one_fails_no_query(pg_server, seeds):
    from rag.search import replicas as replicas_module

    snap, _ = seeds
    write_seeds(pg_server.tcp_url, snap)
    first, second = pg_server.replica(), pg_server.replica()
    try:
        time.sleep(0.5)
        backend = PostgresBackend(pg_server.tcp_url, read_urls=[first.tcp_url, second.tcp_url])
        index = backend.open()
        for q in QUESTIONS * 3:
            assert index.lexical_search(q, 5)
        served = backend.readers.served
        assert served[first.tcp_url] > 0 and served[second.tcp_url] > 0
        assert served[first.tcp_url] + served[second.tcp_url] > served[pg_server.tcp_url]
        second.pause()  # shut down: its connections break
        served.clear()
        for q in QUESTIONS * 3:
            assert index.lexical_search(q, 5)
        assert backend.readers.fallbacks >= 1
        assert served[second.tcp_url] == 0 and served[first.tcp_url] > 0
        # Replay paused on the first: once it lags the primary's generation for longer
        # than MAX_LAG, reads go to the primary (the second is still down).
        with psycopg.connect(first.url, autocommit=True) as conn:
            conn.execute("SELECT pg_wal_replay_pause()")
        docs = sorted(snap.documents)
        PostgresBackend(pg_server.tcp_url).write(Change(snap.manifest, removed=[docs[0]]))
        until = time.time() + replicas_module.MAX_LAG + 2 * replicas_module.CHECK_EVERY
        while time.time() < until:  # searches go on meanwhile; the lag checks run between them
            index.lexical_search(QUESTIONS[0], 5)
            time.sleep(0.05)
        served.clear()
        for q in QUESTIONS:
            index.lexical_search(q, 5)
        assert served[first.tcp_url] <= 1 and served[pg_server.tcp_url] >= len(QUESTIONS) - 1
        assert docs[0] not in index.documents  # read from the primary: the removal is seen
    finally:
        first.stop()
        second.stop()
        with psycopg.connect(pg_server.url, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS rag_passages, rag_documents, rag_terms, rag_stats, "
                         "rag_manifest, rag_schema_version CASCADE")  # fmt: skip
