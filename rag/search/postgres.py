"""The index in PostgreSQL with pgvector: documents, passages, embeddings and BM25 in one database.

Dense search is pgvector's HNSW over normalised embeddings with inner product
(`halfvec` by default: half the memory of `vector` at the same recall, eval/pgbench.py).
Lexical search is our BM25 (`rag.search.sparse`): each passage row holds its BM25
weights as a `sparsevec` over term ids, a query is a `sparsevec` of IDF weights read from
`rag_terms`, and their inner product is the BM25 score. Candidates come from a GIN index
on the passages' term ids: the query's rarest terms, as many as fit in `LEXICAL_BUDGET`
rows, so a question of common words does not score the whole table. When all the
question's terms fit, the lexical top-k is exact; otherwise rows holding only common
terms are not candidates (measured against exact BM25 in eval/pgbench.py).

Writes (`PostgresBackend.write`) are one transaction each: the documents removed or
replaced, their passages, the term statistics and the manifest change together, so a
reader sees a document whole or not at all. Writers are serialised by an advisory
lock; readers take none (MVCC) and may read from streaming replicas
(`rag.search.replicas`). A `PostgresIndex` reads the database as it is now, so what
another process commits is seen by the next search; row ids are never reused, so a
row id read a moment ago still names the same passage, or nothing.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial

import numpy as np

from rag.errors import IndexNotFoundError, IndexWriteError, RagError
from rag.ingest.structure import ArticleIndex
from rag.language.normalize import lexical_terms
from rag.records import Document, Passage
from rag.search import pgschema, sparse
from rag.search.backend import Change
from rag.search.passages import digest
from rag.search.replicas import Readers

LEXICAL_BUDGET = 10_000  # rows the lexical candidates may span (the rarest query terms first)
MAX_EF_SEARCH = 1000  # pgvector's upper bound for hnsw.ef_search
EF_SEARCH = 800  # HNSW candidates per dense query (pgvector default 40): recall@10 0.975 at 1M (README)
BULK_ROWS = 1_000  # a first write this large builds its indexes after loading the rows
BATCH = 5_000  # passages tokenised and copied at a time while writing
CACHE_ROWS = 20_000  # passages kept in memory per index object (the last searches' pools)
DF_DRIFT = 0.01  # document frequencies are read again when the index's size moved this much

_STATS = "SELECT passages, total_terms, weights_avg_len, k1, b, vector_type, dim, generation FROM rag_stats"


def connect(url: str, ef_search: int = EF_SEARCH):
    """A psycopg connection (autocommit) with pgvector's types registered; named errors when not."""
    try:
        import psycopg
        from pgvector.psycopg import register_vector
    except ImportError as exc:
        raise RagError("the PostgreSQL backend needs psycopg and pgvector: pip install -e '.[pg]'") from exc
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        raise IndexNotFoundError(
            f"cannot connect to {redact(url)}: {str(exc).strip().splitlines()[-1]}; "
            "start the server or fix the backend URL (--backend, RAG_BACKEND)"
        ) from exc
    try:
        register_vector(conn)
    except psycopg.ProgrammingError:  # a new database: the extension comes with the schema
        pass
    # Set even before the extension exists (a placeholder it takes up when loaded): a
    # connection opened on a new database must not search at pgvector's default of 40.
    conn.execute("SELECT set_config('hnsw.ef_search', %s, false)", [str(ef_search)])
    return conn


def redact(url: str) -> str:
    """The URL without its password, for messages.

    >>> redact("postgresql://rag:secret@db.local/rag")
    'postgresql://rag:***@db.local/rag'
    """
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)


@dataclass(frozen=True)
class Stats:
    passages: int
    total_terms: int
    weights_avg_len: float
    k1: float
    b: float
    vector_type: str | None
    dim: int | None
    generation: int


class PostgresBackend:
    """An index in one PostgreSQL database, shared by any number of processes.

    Args:
        url: libpq URL of the primary (`postgresql://user@host/db`; a unix socket as
            `postgresql://user@/db?host=/run/postgresql`).
        read_urls: streaming replicas searches may read from (writes go to `url`); None reads
            the comma-separated URLs of $RAG_READ_URLS.
        vector_type: `halfvec` (default) or `vector`, chosen when the index is first written.
        ef_search: HNSW candidates per dense query (EF_SEARCH when None).
    """

    def __init__(
        self,
        url: str,
        read_urls: Sequence[str] | None = None,
        vector_type: str = "halfvec",
        ef_search: int | None = None,
    ):
        if read_urls is None:
            read_urls = [u.strip() for u in os.environ.get("RAG_READ_URLS", "").split(",") if u.strip()]
        if vector_type not in pgschema.VECTOR_TYPES:
            raise RagError(f"vector type {vector_type!r}: choose one of {', '.join(pgschema.VECTOR_TYPES)}")
        if ef_search is not None and not 1 <= ef_search <= MAX_EF_SEARCH:
            # pgvector refuses the setting and would search at its default of 40
            raise RagError(f"ef_search {ef_search}: pgvector takes 1 to {MAX_EF_SEARCH}")
        self.url = url
        self.location = redact(url)
        self.vector_type = vector_type
        # Each read connection searches with this backend's ef_search (the default when None).
        self.readers = Readers(
            url, list(read_urls), connect if ef_search is None else partial(connect, ef_search=ef_search)
        )
        self._local = threading.local()
        with connect(url) as conn:
            pgschema.migrate(conn, sparse.K1, sparse.B)

    def _writer(self):
        conn = getattr(self._local, "writer", None)
        if conn is None or conn.closed or conn.broken:
            conn = self._local.writer = connect(self.url)
        return conn

    def exists(self) -> bool:
        return bool(self._writer().execute("SELECT 1 FROM rag_manifest").fetchall())

    def newer(self, index: PostgresIndex) -> bool:
        """Never: a PostgresIndex reads the database as committed, and sees another writer's
        commit by its generation (`PostgresIndex._observe`)."""
        return False

    def rebuild_hint(self) -> str:
        return f"rebuild it with `rag index PATH… --backend {self.location} --rebuild`"

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """One writer at a time across processes: a session advisory lock on the writer's
        connection (the write inside takes the same lock again, which its session holds)."""
        conn = self._writer()
        conn.execute("SELECT pg_advisory_lock(%s)", [pgschema.WRITER_LOCK])
        try:
            with self.readers.primary_only():  # what the writer reads to decide, read where it writes
                yield
        finally:
            if not conn.closed:
                conn.execute("SELECT pg_advisory_unlock(%s)", [pgschema.WRITER_LOCK])

    def open(self) -> PostgresIndex:
        index = PostgresIndex(self)
        if not index.manifest:
            raise IndexNotFoundError(
                f"no index in {self.location}: build one with `rag index seeds --backend {self.location}`"
            )
        return index

    # ------------------------------------------------------------------ write
    def write(self, change: Change) -> PostgresIndex:
        """Commit `change` in one transaction (a reader sees all of it or none of it)."""
        import psycopg

        n = len(change.passages)
        vectors = change.vectors if change.vectors is not None else np.zeros((0, 1), np.float32)
        if len(vectors) != n:
            raise RagError(f"{n} passages but {len(vectors)} vectors: nothing was written")
        lengths = np.array([sparse.term_length(p.text) for p in change.passages], np.int64)
        texts: dict[str, list[str]] = {}
        for p in change.passages:
            texts.setdefault(p.source, []).append(p.text)
        digests = {source: digest(t) for source, t in texts.items()}
        conn = self._writer()
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", [pgschema.WRITER_LOCK])
                if change.fresh:
                    _clear(conn)
                _delete(conn, list(change.removed) + [d.source for d in change.documents])
                stats = Stats(*conn.execute(_STATS).fetchone())
                dim = int(change.manifest["dim"])
                if stats.vector_type is None:
                    pgschema.add_embedding_column(conn, self.vector_type, dim)
                    stats = replace(stats, vector_type=self.vector_type, dim=dim)
                elif stats.dim != dim:
                    raise RagError(f"{self.location} holds {stats.dim}-d vectors, not {dim}: use --rebuild")
                _copy_documents(conn, change.documents, digests)
                _insert_passages(conn, change.passages, vectors, lengths, stats)
                conn.execute(
                    "INSERT INTO rag_manifest (id, manifest) VALUES (1, %s) "
                    "ON CONFLICT (id) DO UPDATE SET manifest = excluded.manifest",
                    [json.dumps(_core(change.manifest), ensure_ascii=False)],
                )
        except psycopg.errors.ReadOnlySqlTransaction as exc:
            raise IndexWriteError(
                f"{self.location} is read-only (a replica?): index through the primary's URL; nothing was written"
            ) from exc
        except (psycopg.errors.InsufficientPrivilege, psycopg.errors.DiskFull) as exc:
            raise IndexWriteError(f"{self.location} refused the write ({exc}); nothing was written") from exc
        self.readers.wrote()  # this process reads its own write at once, not a replica's older state
        return PostgresIndex(self)

    def close(self) -> None:
        conn = getattr(self._local, "writer", None)
        if conn is not None:
            conn.close()
        self.readers.close()


def _clear(conn) -> None:
    """Empty the index (a rebuild), the embedding column included: the new model may differ."""
    conn.execute("TRUNCATE rag_passages, rag_documents, rag_terms, rag_manifest RESTART IDENTITY")
    conn.execute("DROP INDEX IF EXISTS rag_passages_embedding")
    conn.execute("ALTER TABLE rag_passages DROP COLUMN IF EXISTS embedding")
    conn.execute(
        "UPDATE rag_stats SET passages = 0, total_terms = 0, weights_avg_len = 0, vector_type = NULL, dim = NULL"
    )


def _delete(conn, sources: list[str]) -> None:
    """Delete these documents and their passages, taking their terms out of the statistics."""
    if not sources:
        return
    gone = conn.execute(
        "WITH gone AS (DELETE FROM rag_passages WHERE source = ANY(%s) RETURNING terms, length), "
        "freed AS (SELECT t, count(*) AS c FROM gone, unnest(gone.terms) t GROUP BY t), "
        "upd AS (UPDATE rag_terms SET df = df - freed.c FROM freed WHERE rag_terms.id = freed.t) "
        "SELECT count(*), coalesce(sum(length), 0) FROM gone",
        [sources],
    ).fetchone()
    conn.execute("DELETE FROM rag_documents WHERE source = ANY(%s)", [sources])
    conn.execute("UPDATE rag_stats SET passages = passages - %s, total_terms = total_terms - %s", list(gone))


def _copy_documents(conn, documents: Sequence[Document], digests: dict[str, str]) -> None:
    with conn.cursor().copy(
        "COPY rag_documents (source, fingerprint, text, spans, pages, ocr_pages, passage_digest) FROM STDIN"
    ) as copy:
        for d in documents:
            copy.write_row([d.source, d.fingerprint, d.text, json.dumps(d.spans), list(d.pages),
                            list(d.ocr_pages), digests.get(d.source, "")])  # fmt: skip


def _insert_passages(
    conn, passages: Sequence[Passage], vectors: np.ndarray, lengths: np.ndarray, stats: Stats
):
    """Copy the passages in batches (terms counted a batch at a time), then the statistics.

    The BM25 weights are made with the mean length of the index after this write; when
    that mean moved by more than sparse.DRIFT from the one the stored rows were made
    with, those are re-weighted in this transaction too.
    """
    new_rows, new_terms = len(passages), int(lengths.sum())
    total_rows = stats.passages + new_rows
    avg_len = (stats.total_terms + new_terms) / total_rows if total_rows else 0.0
    kept = stats.weights_avg_len
    reweight = stats.passages > 0 and kept > 0 and abs(avg_len - kept) > sparse.DRIFT * kept
    weights_avg = avg_len if (kept <= 0 or reweight or stats.passages == 0) else kept
    bulk = stats.passages == 0 and new_rows >= BULK_ROWS
    if bulk:  # a first large load: build the indexes once over all rows, not row by row
        conn.execute("DROP INDEX IF EXISTS rag_passages_embedding")
        conn.execute("DROP INDEX IF EXISTS rag_passages_terms")
    ids: dict[str, int] = {}
    df: Counter[int] = Counter()
    vt = stats.vector_type
    for at in range(0, new_rows, BATCH):
        batch = passages[at : at + BATCH]
        counted = [Counter(lexical_terms(p.text)) for p in batch]
        _term_ids(conn, {t for c in counted for t in c}, ids)
        with conn.cursor().copy(
            "COPY rag_passages (source, start_at, end_at, length, terms, bm25, embedding) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["text", "int4", "int4", "int4", "int4[]", "sparsevec", vt])
            for p, counts, length, vec in zip(
                batch, counted, lengths[at : at + BATCH], vectors[at : at + BATCH]
            ):
                if len(counts) > pgschema.MAX_TERMS:
                    raise RagError(f"a passage of {p.source} has {len(counts)} distinct terms, over "
                                   f"{pgschema.MAX_TERMS}: index it with a smaller --chunk-size")  # fmt: skip
                term_ids, weights = sparse.passage_weights(counts, int(length), ids, weights_avg)
                df.update(term_ids)
                copy.write_row([p.source, p.start, p.end, int(length), term_ids,
                                _sparse(term_ids, weights), _dense(vec, vt)])  # fmt: skip
    if df:
        conn.execute(
            "UPDATE rag_terms SET df = rag_terms.df + v.c FROM unnest(%s::int[], %s::int[]) AS v(id, c) "
            "WHERE rag_terms.id = v.id",
            [list(df), list(df.values())],
        )
    if bulk:
        conn.execute("CREATE INDEX rag_passages_terms ON rag_passages USING gin (terms)")
        conn.execute(
            f"CREATE INDEX rag_passages_embedding ON rag_passages USING hnsw (embedding {vt}_ip_ops) "
            f"WITH (m = {pgschema.HNSW_M}, ef_construction = {pgschema.HNSW_EF_CONSTRUCTION})"
        )
    if reweight:
        _reweight(conn, weights_avg)
    conn.execute(
        "UPDATE rag_stats SET passages = passages + %s, total_terms = total_terms + %s, "
        "weights_avg_len = %s, generation = generation + 1",
        [new_rows, new_terms, weights_avg],
    )


def _term_ids(conn, terms: set[str], ids: dict[str, int]) -> None:
    """Fill `ids` with the id of each term not in it yet, adding new terms to `rag_terms`."""
    missing = sorted(t for t in terms if t not in ids)
    if not missing:
        return
    conn.execute(
        "INSERT INTO rag_terms (term) SELECT unnest(%s::text[]) ON CONFLICT (term) DO NOTHING", [missing]
    )
    ids.update(conn.execute("SELECT term, id FROM rag_terms WHERE term = ANY(%s)", [missing]).fetchall())


def _reweight(conn, avg_len: float) -> None:
    """Recompute every stored row's BM25 weights with a new mean length."""
    ids: dict[str, int] = {}
    conn.execute("CREATE TEMP TABLE rag_reweight (id bigint, bm25 sparsevec) ON COMMIT DROP")
    rows = conn.execute(
        "SELECT p.id, p.length, substr(d.text, p.start_at + 1, p.end_at - p.start_at) "
        "FROM rag_passages p JOIN rag_documents d USING (source)"
    ).fetchall()
    for at in range(0, len(rows), BATCH):
        batch = rows[at : at + BATCH]
        counted = [Counter(lexical_terms(text)) for _, _, text in batch]
        _term_ids(conn, {t for c in counted for t in c}, ids)
        with conn.cursor().copy("COPY rag_reweight (id, bm25) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["int8", "sparsevec"])
            for (row, length, _), counts in zip(batch, counted):
                term_ids, weights = sparse.passage_weights(counts, length, ids, avg_len)
                copy.write_row([row, _sparse(term_ids, weights)])
    conn.execute("UPDATE rag_passages p SET bm25 = r.bm25 FROM rag_reweight r WHERE p.id = r.id")


def _core(manifest: dict) -> dict:
    """What the manifest row keeps: per-source fields live on the documents' rows."""
    return {k: v for k, v in manifest.items() if k not in ("sources", "passage_digests", "files")}


def _sparse(ids: list[int], weights: list[float]):
    from pgvector import SparseVector

    return SparseVector(dict(zip(ids, weights)), pgschema.SPARSE_DIM)


def _dense(vector: np.ndarray, vector_type: str):
    from pgvector import HalfVector, Vector

    return HalfVector(vector) if vector_type == "halfvec" else Vector(vector)


def _vector_text(vector: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.7g}" for x in np.asarray(vector, np.float32).tolist()) + "]"


# ---------------------------------------------------------------------- reading
# The query side of BM25 in one statement: the question's known terms with their IDF
# (lexical.idf's form), the candidate terms (rarest first while their rows fit in the
# budget; always the rarest one), and the query sparsevec (text form, 1-based).
_QUERY_CTE = """
WITH n AS (SELECT passages::float8 AS n, generation FROM rag_stats),
q AS (SELECT t.id, t.df, ln(1 + (n.n - t.df + 0.5) / (t.df + 0.5)) AS idf
      FROM rag_terms t, n WHERE t.term = ANY(%(terms)s) AND t.df > 0),
cand AS (SELECT array_agg(id) AS ids FROM (
           SELECT id, sum(df) OVER (ORDER BY df, id) AS spanned, row_number() OVER (ORDER BY df, id) AS rank
           FROM q) x WHERE spanned <= %(budget)s OR rank = 1),
qv AS (SELECT ('{' || string_agg((id + 1) || ':' || idf, ',' ORDER BY id) || '}/' || %(dim)s)::sparsevec AS v
       FROM q)
"""


class _Documents(Mapping[str, Document]):
    """The index's documents, read from the database when asked for (a few kept in memory)."""

    def __init__(self, index: PostgresIndex):
        self._index = index
        self._cache: OrderedDict[str, Document] = OrderedDict()
        self._lock = threading.Lock()

    def __getitem__(self, source: str) -> Document:
        with self._lock:
            doc = self._cache.get(source)
        if doc is None:
            found = self._index.read(
                "SELECT source, text, spans, fingerprint, pages, ocr_pages FROM rag_documents WHERE source = %s",
                [source],
            )
            if not found:
                raise KeyError(source)
            doc = _document(found[0])
            with self._lock:
                self._cache[source] = doc
                while len(self._cache) > 256:
                    self._cache.popitem(last=False)
        return doc

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

    def __contains__(self, source: object) -> bool:
        return bool(self._index.read("SELECT 1 FROM rag_documents WHERE source = %s", [source]))

    def __iter__(self) -> Iterator[str]:
        return iter([r[0] for r in self._index.read("SELECT source FROM rag_documents ORDER BY source")])

    def __len__(self) -> int:
        return int(self._index.read("SELECT count(*) FROM rag_documents")[0][0])


def _document(row) -> Document:
    source, text, spans, fingerprint, pages, ocr = row
    return Document(source, text, tuple(tuple(s) for s in spans), fingerprint, tuple(pages), tuple(ocr))


class PostgresIndex:
    """The SearchIndex of a PostgreSQL index (rag.search.backend): the database as it is now.

    Each method is one statement (a consistent view of committed data). The passages of
    the last searches are kept by row id, so `passage(row)` after a search needs no query,
    and the document frequencies of their terms, so the re-ranker's `idf` needs none either;
    both are dropped when the index's generation moves (another write committed).
    """

    def __init__(self, backend: PostgresBackend):
        self.backend = backend
        self.documents = _Documents(self)
        self._lock = threading.Lock()
        self._rows: OrderedDict[int, Passage] = OrderedDict()
        self._df: dict[str, int] = {}
        self._generation = -1
        self._n = 0
        self._df_n = 0  # the index's size when the cached document frequencies were read
        self._pending: set[int] = set()  # rows handed out whose terms' df is not read yet
        self._prefetched: set[int] = set()
        self._articles: tuple[int, ArticleIndex, list[int]] | None = None
        stats = self.stats()
        self._vector_type = stats.vector_type or backend.vector_type
        self._observe(stats.generation, stats.passages)

    # ---------------------------------------------------------------- plumbing
    def read(self, sql: str, params: Sequence | dict | None = None) -> list[tuple]:
        return self.backend.readers.run(lambda conn: conn.execute(sql, params).fetchall())

    def stats(self) -> Stats:
        return Stats(*self.read(_STATS)[0])

    def _observe(self, generation: int, passages: int) -> None:
        """Another write committed: documents read before may have been replaced, so they are
        read again. Passages are kept (a row id is never reused: a kept row is still what it
        was, or gone). Document frequencies are read again once the index's size moved by
        more than DF_DRIFT since they were read: a few documents more change IDF by less
        than that, and a stream of small writes must not empty the cache on every search.
        """
        with self._lock:
            if generation == self._generation:
                return
            self._generation, self._n = generation, int(passages)
            self.documents.clear()
            self._articles = None
            if abs(self._n - self._df_n) > DF_DRIFT * max(self._df_n, 1):
                self._df.clear()
                self._prefetched.clear()
                self._df_n = self._n

    @property
    def manifest(self) -> dict:
        """The manifest as the file index keeps it: model, dimension, chunking, and per source
        its fingerprint and the digest of its passage texts ({} before the first write)."""
        rows = self.read("SELECT manifest FROM rag_manifest")
        if not rows:
            return {}
        sources = self.read("SELECT source, fingerprint, passage_digest FROM rag_documents")
        return dict(
            rows[0][0],
            sources={s: f for s, f, _ in sources},
            passage_digests={s: d for s, _, d in sources if d},
        )

    def __len__(self) -> int:
        return self.stats().passages

    def inventory(self) -> list[tuple[str, int, int]]:
        """One statement, whatever the number of documents (no document text leaves the server)."""
        return [(s, int(c), int(p)) for s, c, p in self.read(
            "SELECT d.source, length(d.text), (SELECT count(*) FROM rag_passages p WHERE p.source = d.source) "
            "FROM rag_documents d ORDER BY d.source COLLATE \"C\"")]  # fmt: skip

    # --------------------------------------------------------------- passages
    def passage(self, row: int, score: float = 0.0) -> Passage:
        with self._lock:
            p = self._rows.get(int(row))
            if int(row) not in self._prefetched:
                self._pending.add(int(row))
        if p is None:
            self._fetch([int(row)])
            with self._lock:
                p = self._rows.get(int(row))
            if p is None:
                raise KeyError(f"passage {row} is no longer in the index (its document was removed)")
        return replace(p, score=score)

    def _fetch(self, rows: list[int]) -> None:
        found = self.read(
            "SELECT p.id, p.source, p.start_at, p.end_at, substr(d.text, p.start_at + 1, p.end_at - p.start_at) "
            "FROM rag_passages p JOIN rag_documents d USING (source) WHERE p.id = ANY(%s)",
            [rows],
        )
        self._keep([(r[0], Passage(r[1], r[4], r[2], r[3], id=r[0])) for r in found])

    def _keep(self, passages: list[tuple[int, Passage]]) -> None:
        with self._lock:
            for row, p in passages:
                self._rows[row] = p
                self._rows.move_to_end(row)
            while len(self._rows) > CACHE_ROWS:
                self._rows.popitem(last=False)

    # ------------------------------------------------------------------ dense
    def dense_search(self, vectors: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
        """Top-k (row, inner product) per query vector by HNSW (ef_search EF_SEARCH), best first."""
        cast = self._vector_type
        sql = f"SELECT id, -(embedding <#> %s::{cast}) FROM rag_passages ORDER BY embedding <#> %s::{cast} LIMIT %s"
        out = []
        for vector in np.atleast_2d(vectors):
            text = _vector_text(vector)
            out.append([(int(r), float(s)) for r, s in self.read(sql, [text, text, k])])
        return out

    def dense_scores(self, rows: list[int], vector: np.ndarray) -> np.ndarray:
        """Inner product of `vector` with the stored embedding of each row; the rows' passages
        are read in the same statement (the ranker asks for the best of them next)."""
        if not len(rows):
            return np.zeros(0, np.float32)
        found = self.read(
            f"SELECT p.id, -(p.embedding <#> %s::{self._vector_type}), p.source, p.start_at, p.end_at, "
            "substr(d.text, p.start_at + 1, p.end_at - p.start_at) "
            "FROM rag_passages p JOIN rag_documents d USING (source) WHERE p.id = ANY(%s)",
            [_vector_text(vector), [int(r) for r in rows]],
        )
        self._keep([(r[0], Passage(r[2], r[5], r[3], r[4], id=r[0])) for r in found])
        got = {r[0]: r[1] for r in found}
        return np.array([got.get(int(r), 0.0) for r in rows], np.float32)

    # ---------------------------------------------------------------- lexical
    def lexical_search(self, query: str, k: int) -> list[tuple[int, float]]:
        """Top-k (row, BM25) for `query`, best first; rows sharing no term with it left out."""
        terms = sorted(set(_query_terms(query)))
        if not terms:
            return []
        rows = self.read(
            _QUERY_CTE + "SELECT p.id, -(p.bm25 <#> qv.v) AS s, n.generation, n.n FROM rag_passages p, qv, n "
            "WHERE p.terms && (SELECT ids FROM cand) ORDER BY p.bm25 <#> qv.v, p.id LIMIT %(k)s",
            {"terms": terms, "budget": LEXICAL_BUDGET, "dim": pgschema.SPARSE_DIM, "k": k},
        )
        if rows:  # the index's generation, read in the same statement: a write since drops the caches
            self._observe(rows[0][2], int(rows[0][3]))
        return [(int(r[0]), float(r[1])) for r in rows if r[1] > 0]

    def lexical_scores(self, query: str, rows: list[int]) -> np.ndarray:
        """BM25 of the given rows for `query` (0 where no term matches)."""
        terms = sorted(set(_query_terms(query)))
        if not len(rows) or not terms:
            return np.zeros(len(rows), np.float32)
        got = dict(
            self.read(
                _QUERY_CTE + "SELECT p.id, coalesce(-(p.bm25 <#> qv.v), 0) FROM rag_passages p, qv "
                "WHERE p.id = ANY(%(rows)s)",
                {
                    "terms": terms,
                    "budget": LEXICAL_BUDGET,
                    "dim": pgschema.SPARSE_DIM,
                    "rows": [int(r) for r in rows],
                },
            )
        )
        return np.array([got.get(int(r), 0.0) for r in rows], np.float32)

    # -------------------------------------------------------------------- idf
    def idf(self, term: str) -> float:
        """IDF of an index term, as LexicalIndex.idf (an unseen term gets the largest value).

        The first call after passages were handed out reads, in one statement, the
        document frequency of every folded term of those passages (the re-ranker and the
        reader ask about folded terms of the passages they read) and the index's size;
        document frequencies are kept until the index's generation moves.
        """
        with self._lock:
            df, n = self._df.get(term), self._n
        if df is None:
            with self._lock:
                rows = sorted(self._pending)
                self._prefetched.update(rows)
                self._pending.clear()
            found = self.read(
                "SELECT s.generation, s.passages, t.term, t.df FROM rag_stats s LEFT JOIN ("
                " SELECT term, df FROM rag_terms WHERE term LIKE '~%%' AND id IN"
                "  (SELECT unnest(terms) FROM rag_passages WHERE id = ANY(%s))"
                " UNION SELECT term, df FROM rag_terms WHERE term = %s) t ON true",
                [rows, term],
            )
            self._observe(found[0][0], found[0][1])
            with self._lock:
                self._df.setdefault(term, 0)
                self._df.update({t: int(d) for _, _, t, d in found if t is not None})
                df, n = self._df.get(term, 0), self._n
        if df == 0:
            return sparse.unseen_idf(n)
        return float(sparse.query_weights({0: df}, n)[0])

    # --------------------------------------------------------------- articles
    def promote(self, question: str, ranked: list[Passage], most: int = 3) -> list[Passage]:
        """`ranked` with the passages of the article a question names first (ArticleIndex),
        over the documents that hold articles (found by the database, read once a generation)."""
        from rag.ingest.structure import article_refs

        if not article_refs(question):
            return ranked
        generation = self.stats().generation
        if self._articles is None or self._articles[0] != generation:
            legal = self.read(
                "SELECT source, text, spans, fingerprint, pages, ocr_pages FROM rag_documents WHERE text ~ %s",
                [r"(^|\n)[ \t]*Điều[ \t]+[0-9]"],
            )
            docs = {r[0]: _document(r) for r in legal}
            rows = self.read(
                "SELECT id, source, start_at, end_at FROM rag_passages WHERE source = ANY(%s) ORDER BY id",
                [list(docs)],
            )
            passages = [Passage(s, docs[s].text[a:b], a, b, id=i) for i, s, a, b in rows]
            self._articles = (generation, ArticleIndex(docs, passages), [p.id for p in passages])
        _, articles, ids = self._articles
        position = {row: i for i, row in enumerate(ids)}
        order = {position[p.id]: i for i, p in enumerate(ranked) if p.id in position}
        chosen = [ids[i] for i in articles.rows_for(question, order)][:most]
        if not chosen:
            return ranked
        top = max((p.score for p in ranked), default=0.0)
        known = {p.id: p for p in ranked}
        first = [
            replace(known.get(row) or self.passage(row), score=top + 0.001 * (len(chosen) - i))
            for i, row in enumerate(chosen)
        ]
        return first + [p for p in ranked if p.id not in set(chosen)]


def _query_terms(query: str) -> list[str]:
    from rag.language.normalize import query_terms

    return query_terms(query)
