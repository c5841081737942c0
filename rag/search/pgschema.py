"""The PostgreSQL index's schema, owned by the project and migrated when a database is opened.

`schema_version` records the migrations applied; `migrate` applies the missing ones in
order, under an advisory lock so that two processes opening a new database at once do
not both create it. A database written by a newer version of this schema is refused.

Tables (one index per database; another PostgreSQL schema per index works through the
URL's `options=-csearch_path=NAME`):

- `rag_manifest`: one row, the manifest the file index keeps in `manifest.json` (model id
  and fingerprint, dimension, chunking; per-source fingerprints and passage digests live
  on the documents' rows);
- `rag_documents`: source, fingerprint, NFC text, content spans, page starts, OCR pages,
  and the digest of the passage texts embedded from it;
- `rag_passages`: row id, source, start, end (text = the document's text[start:end]),
  number of index terms, the term ids (GIN-indexed: the lexical candidates), the BM25
  weights as a `sparsevec` over term ids, and the embedding (`halfvec` or `vector`,
  HNSW with inner product; the column is added once the model's dimension is known);
- `rag_terms`: term -> id and document frequency (the query side's IDF);
- `rag_stats`: passages, total terms, the mean length the stored weights were made with,
  and a generation number bumped by every write (readers' caches key on it).
"""

from __future__ import annotations

from rag.errors import IndexMismatchError

SCHEMA_VERSION = 1
# sparsevec holds up to 1e9 dimensions and 16,000 non-zero values per row (pgvector 0.8);
# term ids come from a sequence, so this is room for a billion distinct terms.
SPARSE_DIM = 1_000_000_000
MAX_TERMS = 16_000  # distinct terms of one passage (a 600-character passage has about 300)
WRITER_LOCK = 0x7261_6776_6901  # pg_advisory_xact_lock key serialising writers ("ragvi")
VECTOR_TYPES = ("halfvec", "vector")
# HNSW graph settings; ef_search is set per query (postgres.py). pgvector's defaults (16, 64)
# reached recall@10 0.92 at 1M passages with ef_search 800, these 0.975 (eval/pgbench.py,
# eval/figures/pgbench_1m_m32.json), for a 1.6x longer build and 17% more graph.
HNSW_M, HNSW_EF_CONSTRUCTION = 32, 128

MIGRATIONS: dict[int, list[str]] = {
    1: [
        "CREATE EXTENSION IF NOT EXISTS vector",
        """CREATE TABLE rag_manifest (
               id int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
               manifest jsonb NOT NULL)""",
        """CREATE TABLE rag_documents (
               source text PRIMARY KEY,
               fingerprint text NOT NULL,
               text text NOT NULL,
               spans jsonb NOT NULL,
               pages int[] NOT NULL DEFAULT '{}',
               ocr_pages int[] NOT NULL DEFAULT '{}',
               passage_digest text NOT NULL DEFAULT '')""",
        # Uncompressed out-of-line text: a passage's substr() reads only its own pages.
        "ALTER TABLE rag_documents ALTER COLUMN text SET STORAGE EXTERNAL",
        """CREATE TABLE rag_passages (
               id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
               source text NOT NULL REFERENCES rag_documents (source) ON DELETE CASCADE,
               start_at int NOT NULL,
               end_at int NOT NULL,
               length int NOT NULL,
               terms int[] NOT NULL,
               bm25 sparsevec NOT NULL)""",
        # Terms and weights inline, uncompressed when the row fits a page: scoring a lexical
        # candidate then reads its heap row only, not TOAST chunks to decompress.
        "ALTER TABLE rag_passages ALTER COLUMN terms SET STORAGE MAIN, ALTER COLUMN bm25 SET STORAGE MAIN, "
        "SET (toast_tuple_target = 8160)",
        "CREATE INDEX rag_passages_source ON rag_passages (source)",
        "CREATE INDEX rag_passages_terms ON rag_passages USING gin (terms)",
        """CREATE TABLE rag_terms (
               id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
               term text NOT NULL UNIQUE,
               df int NOT NULL DEFAULT 0)""",
        """CREATE TABLE rag_stats (
               id int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
               passages bigint NOT NULL DEFAULT 0,
               total_terms bigint NOT NULL DEFAULT 0,
               weights_avg_len double precision NOT NULL DEFAULT 0,
               k1 double precision NOT NULL,
               b double precision NOT NULL,
               vector_type text,
               dim int,
               generation bigint NOT NULL DEFAULT 0)""",
    ],
}


def migrate(conn, k1: float, b: float) -> int:
    """Bring the database to SCHEMA_VERSION; returns the version found before.

    Raises IndexMismatchError for a database written by a newer version.
    """
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", [WRITER_LOCK])
        conn.execute(
            "CREATE TABLE IF NOT EXISTS rag_schema_version ("
            " version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        found = conn.execute("SELECT coalesce(max(version), 0) FROM rag_schema_version").fetchone()[0]
        if found > SCHEMA_VERSION:
            raise IndexMismatchError(
                f"this database holds index schema {found}; this version of rag-vi reads up to "
                f"{SCHEMA_VERSION}: upgrade rag-vi, or index into another database"
            )
        for version in range(found + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[version]:
                conn.execute(statement)
            if version == 1:
                conn.execute("INSERT INTO rag_stats (k1, b) VALUES (%s, %s)", [k1, b])
            conn.execute("INSERT INTO rag_schema_version (version) VALUES (%s)", [version])
    return found


def add_embedding_column(conn, vector_type: str, dim: int) -> None:
    """The embedding column and its HNSW index, once the model (its dimension) is known.

    Called inside the first write's transaction; an empty table makes both instant.
    """
    if vector_type not in VECTOR_TYPES:
        raise ValueError(f"vector type {vector_type!r}: choose one of {', '.join(VECTOR_TYPES)}")
    conn.execute(f"ALTER TABLE rag_passages ADD COLUMN embedding {vector_type}({int(dim)}) NOT NULL")
    conn.execute("ALTER TABLE rag_passages ALTER COLUMN embedding SET STORAGE MAIN")
    conn.execute(
        f"CREATE INDEX rag_passages_embedding ON rag_passages USING hnsw (embedding {vector_type}_ip_ops) "
        f"WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION})"
    )
    conn.execute("UPDATE rag_stats SET vector_type = %s, dim = %s", [vector_type, dim])
