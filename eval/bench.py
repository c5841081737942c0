"""Speed and scale on this machine, as ratios measured in one run plus absolute figures.

    python -m eval.bench [--data DIR] [--sizes 10000,100000,1000000] [--skip-cold] [--out DIR]

1. Indexing throughput: `Assistant.build` of ViQA passages against a bare
   `SentenceTransformer.encode` of the same chunks (same model, same batch size),
   alternated twice; the faster run of each counts.
2. `ask` latency on the seeds index (median, p95, warm) against one query embedding.
3. Cold start: process start to first answer, for the CLI and the UI.
4. Scale curve of the dense index (the engine's own choice of FAISS type per size):
   build time, search latency median/p95, memory, recall@10 against exact search.
   Vectors are synthetic (eval/synthetic.py `noisy`): real ViQA passage embeddings,
   each replicated with Gaussian noise (sigma 0.05 per dimension) and renormalised, a
   worst case for approximate search (local intrinsic dimensionality about 85, where
   real embeddings measure 19); queries are the real ViQA question embeddings.
5. The whole hybrid `search` (BM25 over replicated ViQA text, dense, fusion, re-ranking)
   at the sizes of --hybrid-sizes: build time, latency, memory.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from eval.__main__ import ROOT, load_questions
from eval.metrics import latency
from eval.synthetic import noisy
from eval.viqa import DEFAULT_DATA


def settled_rss_mb() -> float:
    """Resident memory once what earlier steps freed is given back (a baseline to measure
    growth from: otherwise their freed heap, returned during the next build, reads as
    negative growth)."""
    import gc

    from rag.search.files import return_freed_memory

    gc.collect()
    return_freed_memory()
    return rss_mb()


def rss_mb() -> float:
    """Current resident memory of this process, in MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def indexing_throughput(data: Path, n_docs: int, repeats: int = 2) -> dict:
    from rag import Assistant
    from rag.ingest.chunking import ChunkSettings, chunk_document
    from rag.ingest.loader import load
    from rag.model.embedding import shared

    lines = (data / "corpus.jsonl").read_text(encoding="utf-8").splitlines()[:n_docs]
    tmp = Path(tempfile.mkdtemp(prefix="rag-bench-"))
    subset = tmp / "subset.jsonl"
    subset.write_text("\n".join(lines), encoding="utf-8")
    embedder = shared()
    chunks = [p.text for d in load([subset]).documents for p in chunk_document(d, ChunkSettings())]
    embedder.model.encode(chunks[:64], prompt_name="passage")  # warm both paths alike
    bare_runs, our_runs = [], []
    for round_ in range(repeats):  # alternated, so a slow spell of the machine hits both
        t0 = time.perf_counter()
        embedder.model.encode(
            chunks, prompt_name="passage", batch_size=embedder.batch_size, normalize_embeddings=True
        )
        bare_runs.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        Assistant.build([subset], index_dir=tmp / f"index-{round_}")
        our_runs.append(time.perf_counter() - t0)
    shutil.rmtree(tmp, ignore_errors=True)
    bare, ours = min(bare_runs), min(our_runs)  # the least disturbed run of each
    return {
        "documents": n_docs, "chunks": len(chunks), "repeats": repeats,
        "bare_encode_s": round(bare, 2), "pipeline_s": round(ours, 2),
        "bare_runs_s": [round(t, 2) for t in bare_runs], "pipeline_runs_s": [round(t, 2) for t in our_runs],
        "bare_chunks_per_s": round(len(chunks) / bare, 1), "pipeline_chunks_per_s": round(len(chunks) / ours, 1),
        "throughput_ratio": round(bare / ours, 3),
    }  # fmt: skip


def ask_latency(repeats: int = 3) -> dict:
    from rag import Assistant

    assistant = Assistant.load(ROOT / "index")
    questions = load_questions(ROOT / "eval" / "questions" / "seeds.jsonl")
    assistant.ask(questions[0]["question"])
    asks, embeds = [], []
    for _ in range(repeats):
        for q in questions:
            t0 = time.perf_counter()
            assistant.embedder.embed_queries([q["question"]])  # uncached: one real embedding
            embeds.append((time.perf_counter() - t0) * 1000)
            assistant.retriever.clear_cache()
            t0 = time.perf_counter()
            assistant.ask(q["question"], history=q.get("history") or [])
            asks.append((time.perf_counter() - t0) * 1000)
    a, e = latency(asks), latency(embeds)
    return {"questions": len(questions) * repeats, "ask": a, "query_embedding": e,
            "ask_over_embedding_median": round(a["median_ms"] / e["median_ms"], 2)}  # fmt: skip


def _paired_asks(assistant, ways: dict, repeats: int) -> dict:
    """Each seeds question asked once each way (`ways`: name -> a function that sets the
    assistant up; two of them), back to back, the order turning each time, so the ways share
    the machine's state. Returns each way's median and p95, the first way's median over the
    second's, and both by language."""
    questions = load_questions(ROOT / "eval" / "questions" / "seeds.jsonl")
    for setup in ways.values():
        setup()
        assistant.ask(questions[0]["question"])  # warm, the span reader loaded
    names = list(ways)
    times: dict[str, list[float]] = {n: [] for n in names}
    by_lang: dict[tuple[str, str], list[float]] = {}
    for r in range(repeats):
        for i, q in enumerate(questions):
            for name in names if (i + r) % 2 else names[::-1]:
                ways[name]()
                assistant.retriever.clear_cache()
                t0 = time.perf_counter()
                assistant.ask(q["question"], history=q.get("history") or [])
                ms = (time.perf_counter() - t0) * 1000
                times[name].append(ms)
                by_lang.setdefault((name, q.get("lang", "vi")), []).append(ms)
    first, second = (latency(times[n]) for n in names)
    return {
        "questions": len(times[names[0]]), names[0]: first, names[1]: second,
        "median_ratio": round(first["median_ms"] / second["median_ms"], 2),
        "by_lang": {f"{way}/{lang}": latency(v) for (way, lang), v in sorted(by_lang.items())},
    }  # fmt: skip


def ask_with_and_without_spans(repeats: int = 3) -> dict:
    """`ask` on the seeds index with the span reader and without, paired (`_paired_asks`)."""
    from rag import Assistant

    assistant = Assistant.load(ROOT / "index")

    def use(on: bool):
        return lambda: setattr(assistant, "use_span_reader", on)

    return _paired_asks(assistant, {"with_span_reader": use(True), "without": use(False)}, repeats)


def ask_by_precision(repeats: int = 3) -> dict:
    """`ask` with the span reader and the sentences read in bfloat16 and in float32
    (rag/model/precision.py), paired (`_paired_asks`)."""
    from rag import Assistant

    assistant = Assistant.load(ROOT / "index")

    def bf16(on: bool):
        def setup():
            assistant.span_reader.bf16 = on
            assistant.embedder.reading_bf16 = on

        return setup

    return _paired_asks(assistant, {"bf16": bf16(True), "fp32": bf16(False)}, repeats)


def cold_start() -> dict:
    python = sys.executable
    t0 = time.perf_counter()
    subprocess.run([python, "-m", "rag.cli", "ask", "Dân số quận 1 là bao nhiêu?", "--index-dir", str(ROOT / "index")],
                   check=True, capture_output=True)  # fmt: skip
    cli = time.perf_counter() - t0
    port = 7900 + os.getpid() % 90
    t0 = time.perf_counter()
    proc = subprocess.Popen([python, str(ROOT / "ui.py"), "--port", str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)  # fmt: skip
    ui = None
    for line in proc.stdout:
        if line.startswith("ready on"):
            ui = time.perf_counter() - t0
            break
    proc.terminate()
    proc.wait(timeout=30)
    return {"cli_first_answer_s": round(cli, 2), "ui_ready_with_first_answer_s": round(ui, 2) if ui else None}


def scale_curve(data: Path, sizes: list[int]) -> list[dict]:
    from rag.model.embedding import shared
    from rag.search.dense import DenseIndex
    from rag.search.store import load as load_index

    cache = Path.home() / ".cache" / "rag-vi" / "viqa-index"
    if not (cache / "CURRENT").exists():
        from rag import Assistant

        Assistant.build([data / "corpus.jsonl"], index_dir=cache, progress=True)
    base = load_index(cache).vectors
    questions = [
        json.loads(x)["question"] for x in (data / "dev.jsonl").read_text().splitlines() if x.strip()
    ]
    queries = shared().embed_queries(questions)
    rows = []
    for n in sizes:
        vectors = noisy(base, n)
        exact = np.argsort(-(vectors @ queries.T), axis=0)[:10].T  # ground truth top-10
        before = settled_rss_mb()
        t0 = time.perf_counter()
        index = DenseIndex(vectors)
        build = time.perf_counter() - t0
        memory = rss_mb() - before
        times, recall = [], []
        for q, truth in zip(queries, exact):
            t0 = time.perf_counter()
            hits = index.search_batch(q[None, :], 10)[0]
            times.append((time.perf_counter() - t0) * 1000)
            recall.append(len({r for r, _ in hits} & set(truth.tolist())) / 10)
        import faiss

        size_mb = faiss.serialize_index(index.index).nbytes / 2**20
        rows.append({"passages": n, "index": index.kind, "build_s": round(build, 1), **latency(times),
                     "index_memory_mb": round(size_mb), "rss_growth_mb": round(memory),
                     "recall@10": round(float(np.mean(recall)), 3)})  # fmt: skip
        print(json.dumps(rows[-1]), flush=True)
        del index, vectors
    return rows


def _reset_peak() -> None:
    """Start a new peak-memory (VmHWM) measurement for this process (Linux)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def hybrid_curve(data: Path, sizes: list[int]) -> list[dict]:
    """The whole `Assistant.search` (BM25 + dense + fusion + re-ranking) at each size.

    Passages are the ViQA chunks replicated row after row (mean 244 characters), so the
    lexical index holds as many postings as that much real text would; the vocabulary
    stays ViQA's. Vectors are synthetic as in `scale_curve`, written to a `.npy` and
    memory-mapped the way `Assistant.load` opens a persisted index.
    """
    from rag import Assistant
    from rag.model.embedding import shared
    from rag.search.files import FileBackend, FileIndex
    from rag.search.passages import PassageTable
    from rag.search.store import Snapshot
    from rag.search.store import load as load_index

    cache = Path.home() / ".cache" / "rag-vi" / "viqa-index"
    real = load_index(cache)
    table = real.passages
    questions = [
        json.loads(x)["question"] for x in (data / "dev.jsonl").read_text().splitlines() if x.strip()
    ]
    embedder = shared()
    embedder.embed_queries(questions)  # the model's own first-run buffers are not the index's
    rows = []
    for n in sizes:
        tmp = Path(tempfile.mkdtemp(prefix="rag-hybrid-"))
        np.save(tmp / "vectors.npy", noisy(np.asarray(real.vectors), n))
        vectors = np.load(tmp / "vectors.npy", mmap_mode="r")
        rep = np.arange(n) % len(table)
        passages = PassageTable(
            real.documents, table.names, table.source_ids[rep], table.starts[rep], table.ends[rep]
        )
        before = settled_rss_mb()
        anon_before = _status_mb("RssAnon")
        _reset_peak()
        t0 = time.perf_counter()
        snap = Snapshot(real.manifest, real.documents, passages, vectors)
        assistant = Assistant(FileBackend(tmp), FileIndex(snap), embedder)
        build = time.perf_counter() - t0
        memory, peak = rss_mb() - before, _status_mb("VmHWM") - before
        for q in questions:  # embeddings cached: the timing below is retrieval itself
            assistant.retriever.query_vectors([q])
        times = []
        for q in questions:
            t0 = time.perf_counter()
            assistant.search(q, k=10)
            times.append((time.perf_counter() - t0) * 1000)
        idx = assistant.index
        rows.append({
            "passages": n, "dense_index": idx.dense.kind, "build_s": round(build, 1), **latency(times),
            "rss_growth_mb": round(rss_mb() - before), "rss_after_build_mb": round(memory),
            "build_peak_mb": round(peak), "anon_growth_mb": round(_status_mb("RssAnon") - anon_before), "postings": idx.lexical.postings,
            "lexical_mb": round(idx.lexical.nbytes() / 2**20), "lexical_terms": len(idx.lexical.vocab),
        })  # fmt: skip
        print(json.dumps({"hybrid": rows[-1]}), flush=True)
        del assistant, idx, passages, vectors, snap
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def _bench_index(index_dir: Path, real, n: int) -> None:
    """Write an index directory of `n` passages: the ViQA chunks replicated row after row
    (as in `hybrid_curve`), synthetic vectors, digests recorded for the replicated rows."""
    from rag.search.passages import PassageTable
    from rag.search.store import Snapshot, save

    rep = np.arange(n) % len(real.passages)
    t = real.passages
    passages = PassageTable(real.documents, t.names, t.source_ids[rep], t.starts[rep], t.ends[rep])
    manifest = dict(real.manifest, passage_digests=passages.digests())
    save(index_dir, Snapshot(manifest, real.documents, passages, noisy(np.asarray(real.vectors), n)))


def _resident() -> dict[str, float]:
    """Resident memory (total, anonymous, file-backed) once freed heap is given back."""
    settled_rss_mb()
    return {f: _status_mb(f) for f in ("VmRSS", "RssAnon", "RssFile")}


def _growth(before: dict[str, float]) -> dict[str, int]:
    """Resident growth since `before`: anonymous (the heap) and file-backed (mapped pages)."""
    now = _resident()
    return {
        f"{k}_mb": round(now[f] - before[f])
        for k, f in (("rss", "VmRSS"), ("anon", "RssAnon"), ("file", "RssFile"))
    }


SEARCHED = 40  # questions searched after each load, for the memory a search brings in


def load_curve(data: Path, sizes: list[int]) -> list[dict]:
    """`Assistant.load` of a persisted index at each size, before and after its search
    indexes were saved, in one run on the same index directory.

    Before: the generation holds no BM25 or FAISS files (as a format 2 index), so load
    reads the snapshot and builds both, as every load did. After: the same snapshot
    saved again with them, so load maps them. The model is loaded beforehand (the same
    cost either way, not the index's). Memory: resident growth right after the load, then
    after searching the first SEARCHED ViQA dev questions (each embeds its question: a new
    assistant has no cached query vectors). Mapped pages a search touched count as
    file-backed: shared with the page cache, and dropped under memory pressure.
    """
    from rag import Assistant
    from rag.search import store

    cache = Path.home() / ".cache" / "rag-vi" / "viqa-index"
    real = store.load(cache)
    questions = [
        json.loads(x)["question"] for x in (data / "dev.jsonl").read_text().splitlines() if x.strip()
    ]
    warm = Assistant.load(cache)  # the model, and what a first search loads, before measuring
    for q in questions[:SEARCHED]:
        warm.search(q, k=10)
    del warm
    rows = []
    for n in sizes:
        tmp = Path(tempfile.mkdtemp(prefix="rag-load-"))
        index_dir = tmp / "index"
        _bench_index(index_dir, real, n)
        row: dict = {"passages": n}
        for when in ("before", "after"):
            base = _resident()
            t0 = time.perf_counter()
            assistant = Assistant.load(index_dir)
            row[f"{when}_s"] = round(time.perf_counter() - t0, 3)
            row[f"{when}_memory"] = _growth(base)
            for q in questions[:SEARCHED]:
                assistant.search(q, k=10)
            row[f"{when}_memory_searched"] = _growth(base)
            if when == "before":  # a new generation: the same snapshot, with its search indexes
                index = assistant.index
                store.save(index_dir, index.snap, index.save_indexes)
            del assistant
        folder = store.current_folder(index_dir)
        t0 = time.perf_counter()
        store.load(index_dir)
        row["snapshot_read_s"] = round(time.perf_counter() - t0, 3)  # of after_s: JSONL, checks
        row["ratio"] = round(row["before_s"] / row["after_s"], 1)
        row["dense_index"] = json.loads((folder / "manifest.json").read_text())["indexes"]["dense_kind"]
        row["files_mb"] = {
            p.name: round(p.stat().st_size / 2**20) for p in sorted(folder.iterdir()) if p.is_file()
        } | {"lexical/": round(sum(p.stat().st_size for p in (folder / "lexical").iterdir()) / 2**20)}
        rows.append(row)
        print(json.dumps({"load": row}), flush=True)
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def bm25_engines(data: Path, sizes: list[int]) -> list[dict]:
    """Our BM25 (rag/search/lexical.py) against bm25s fed the same Vietnamese terms, over the
    ViQA chunks replicated to each size: build (terms included), build peak, save, open
    (memory-mapped), query latency on the ViQA dev questions, disk. bm25s is only measured
    here (`pip install bm25s`); tests/test_index_files.py checks it ranks as ours."""
    import bm25s

    from rag.language.normalize import lexical_terms, query_terms
    from rag.search.lexical import LexicalIndex
    from rag.search.store import load as load_index

    real = load_index(Path.home() / ".cache" / "rag-vi" / "viqa-index")
    base = list(real.passages.texts())
    questions = [
        json.loads(x)["question"] for x in (data / "dev.jsonl").read_text().splitlines() if x.strip()
    ]
    rows = []
    for n in sizes:
        for engine in ("ours", "bm25s"):
            tmp = Path(tempfile.mkdtemp(prefix="rag-bm25-"))
            texts = (base[i % len(base)] for i in range(n))
            before = settled_rss_mb()
            _reset_peak()
            t0 = time.perf_counter()
            if engine == "ours":
                index = LexicalIndex(texts)
            else:
                index = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
                index.index([lexical_terms(t) for t in texts], show_progress=False)
            row = {"engine": engine, "passages": n, "build_s": round(time.perf_counter() - t0, 1)}
            row["build_peak_mb"] = round(_status_mb("VmHWM") - before)
            t0 = time.perf_counter()
            index.save(tmp)
            row["save_s"] = round(time.perf_counter() - t0, 2)
            del index
            base_mem = _resident()
            t0 = time.perf_counter()
            if engine == "ours":
                index = LexicalIndex.open(tmp)
                score = index.scores
            else:
                index = bm25s.BM25.load(tmp, mmap=True)
                score = lambda q, index=index: index.get_scores(list(set(query_terms(q))))  # noqa: E731
            row["open_s"] = round(time.perf_counter() - t0, 3)
            row["open_memory"] = _growth(base_mem)
            times = []
            for q in questions:
                t0 = time.perf_counter()
                score(q)
                times.append((time.perf_counter() - t0) * 1000)
            row |= latency(times)
            row["disk_mb"] = round(sum(p.stat().st_size for p in tmp.iterdir()) / 2**20)
            rows.append(row)
            print(json.dumps({"bm25": row}), flush=True)
            del index, score
            shutil.rmtree(tmp, ignore_errors=True)
    return rows


def plot(rows: list[dict], out: Path, hybrid: list[dict] | None = None) -> Path | None:
    """Latency and memory against corpus size: the dense index alone and, when measured,
    the whole hybrid search."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for series, label, style, color in (
        (rows, "dense index", "o-", "tab:blue"),
        (hybrid or [], "whole search", "s--", "tab:orange"),
    ):
        if not series:
            continue
        n = [r["passages"] for r in series]
        ax1.plot(n, [r["p95_ms"] for r in series], style, color=color, label=f"{label}, p95")
        ax1.plot(n, [r["median_ms"] for r in series], style, color=color, alpha=0.4, label=f"{label}, median")
        memory = [r.get("index_memory_mb", r.get("rss_growth_mb")) for r in series]
        ax2.plot(
            n,
            memory,
            style,
            color=color,
            label=label + (" (index)" if series is rows else " (resident growth)"),
        )
    for r in rows:
        ax1.annotate(f"{r['index']}\nrecall {r['recall@10']}", (r["passages"], r["p95_ms"]), fontsize=7)
    ax1.axhline(150, color="grey", linestyle=":", linewidth=1)
    ax2.axhline(2048, color="grey", linestyle=":", linewidth=1)
    for ax, unit in ((ax1, "ms"), (ax2, "MB")):
        ax.set_xscale("log")
        ax.set_xlabel("passages")
        ax.set_ylabel(unit)
        ax.legend(fontsize=7)
    ax1.set_title("search latency (target p95 150 ms)", fontsize=10)
    ax2.set_title("memory (target 2 GB)", fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument(
        "--hybrid-sizes", default="10000,100000,1000000", help="sizes for the whole search ('' to skip)"
    )
    parser.add_argument("--docs", type=int, default=800, help="ViQA passages for the throughput run")
    parser.add_argument("--skip-cold", action="store_true")
    parser.add_argument(
        "--only",
        choices=["scale", "hybrid", "load", "bm25", "ask", "precision"],
        help="run one part alone: the scale curve, the whole search, index open time before/after "
        "saving the indexes, our BM25 against bm25s, `ask` with and without the span reader, or "
        "`ask` with the span reader in bfloat16 and in float32",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "results")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    result = {"machine": f"{os.cpu_count()} cores"}
    sizes = [int(s) for s in re.split(r"[,\s]+", args.sizes) if s]
    hybrid = [int(s) for s in re.split(r"[,\s]+", args.hybrid_sizes) if s]
    if args.only == "hybrid":
        print(json.dumps(hybrid_curve(args.data, hybrid), indent=2))
        return 0
    if args.only == "bm25":
        print(json.dumps(bm25_engines(args.data, hybrid), indent=2))
        return 0
    if args.only == "load":
        print(json.dumps(load_curve(args.data, hybrid), indent=2))
        return 0
    if args.only == "ask":
        print(json.dumps(ask_with_and_without_spans(), indent=2))
        return 0
    if args.only == "precision":
        print(json.dumps(ask_by_precision(), indent=2))
        return 0
    if args.only == "scale":
        print(json.dumps(scale_curve(args.data, sizes), indent=2))
        return 0
    result["indexing"] = indexing_throughput(args.data, args.docs)
    print(json.dumps(result["indexing"]), flush=True)
    result["latency"] = ask_latency()
    print(json.dumps(result["latency"]), flush=True)
    if not args.skip_cold:
        result["cold_start"] = cold_start()
        print(json.dumps(result["cold_start"]), flush=True)
    result["scale"] = scale_curve(args.data, sizes)
    if hybrid:
        result["hybrid_search"] = hybrid_curve(args.data, hybrid)
    chart = plot(result["scale"], args.out / "scale.png", result.get("hybrid_search"))
    (args.out / "bench.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    print(f"written: {args.out / 'bench.json'}" + (f", {chart}" if chart else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
