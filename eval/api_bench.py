"""Throughput and latency of the HTTP API's /api/ask, and what HTTP adds to an in-process `Assistant.ask`.

    python -m eval.api_bench [--index-dir DIR] [--clients 1,4,16] [--seconds 20] [--requests 400] [--out FILE]

The server is `rag serve` (the chat page mounted, as users run it) in its own process on a
free loopback port; this process is the load generator: N client threads, each with its
own keep-alive connection, asking the seeds questions (eval/questions/seeds.jsonl, each
client starting at another one) back to back. Each level stops after --requests answers or
--seconds, whichever comes first.

Two kinds of load, since the server caches query embeddings by text:
- "repeat": the 58 questions as written, after one warm-up pass, so every query vector
  is cached and an ask is retrieval, re-ranking and answer extraction;
- "unique": every request's text differs (an extra space inside the question, which the
  tokenizer ignores), so each ask also embeds its question, as a stream of new questions would.

HTTP overhead, two ways, on the warm "repeat" path with one client:
- per request: client latency minus the time the server itself spent in `Assistant.ask`
  (the `seconds` field of the reply): parsing, routing, validation, JSON both ways, the thread
  hop and loopback TCP;
- paired: the same questions asked in this process with `Assistant.ask` (same index, its own
  warm cache), alternating with the HTTP requests; the median of the differences;
- the floor: a GET /api/health round trip (the same stack with no work behind it).

The machine is shared: the 1-minute load average at the start and end is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from eval.evaluate import ROOT, load_questions
from eval.serving import free_port, wait_until_ready

QUESTIONS = ROOT / "eval" / "questions" / "seeds.jsonl"
OUT = ROOT / "eval" / "figures" / "api_bench.json"


def start_server(index_dir: Path, port: int, timeout: float = 300) -> subprocess.Popen:
    """`rag serve` in its own process; returns once it says it is ready."""
    cmd = [sys.executable, "-m", "rag.cli", "serve", "--port", str(port), "--index-dir", str(index_dir)]
    env = {**os.environ, "RAG_API_KEY": ""}  # the bench measures the open API
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        wait_until_ready(proc, timeout)
    except RuntimeError as exc:
        raise SystemExit(f"rag serve: {exc}") from None
    return proc


def variant(question: str, n: int) -> str:
    """`question` with n+1 spaces before its last word: another text, the same tokens."""
    head, _, last = question.rpartition(" ")
    return f"{head}{' ' * (n + 1)}{last}" if head else question


def run_level(url: str, questions: list[str], clients: int, max_requests: int, max_seconds: float,
              unique: bool) -> dict:  # fmt: skip
    """`clients` threads asking back to back; latency of each answer and throughput of all."""
    import httpx

    latencies: list[float] = []
    errors: list[str] = []
    counter = {"issued": 0, "unique": 0}
    lock = threading.Lock()
    stop = time.perf_counter() + max_seconds

    def client(offset: int) -> None:
        with httpx.Client(base_url=url, timeout=120) as c:
            i = offset
            while time.perf_counter() < stop:
                with lock:
                    if counter["issued"] >= max_requests:
                        return
                    counter["issued"] += 1
                    counter["unique"] += 1
                    n = counter["unique"]
                q = questions[i % len(questions)]
                if unique:
                    q = variant(q, n)
                t0 = time.perf_counter()
                r = c.post("/api/ask", json={"question": q})
                dt = (time.perf_counter() - t0) * 1000
                with lock:
                    if r.status_code == 200:
                        latencies.append(dt)
                    else:
                        errors.append(f"{r.status_code} {r.text[:120]}")
                i += 1

    threads = [threading.Thread(target=client, args=(k * 7,)) for k in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {
        "clients": clients,
        "mode": "unique" if unique else "repeat",
        "answers": len(latencies),
        "errors": len(errors),
        "error_examples": errors[:3],
        "seconds": round(wall, 2),
        "throughput_per_s": round(len(latencies) / wall, 2),
        "p50_ms": round(float(np.percentile(latencies, 50)), 1) if latencies else None,
        "p95_ms": round(float(np.percentile(latencies, 95)), 1) if latencies else None,
    }


def overhead(url: str, index_dir: Path, questions: list[str], rounds: int) -> dict:
    """HTTP's added time on the warm path: per request (latency minus the server's ask time) and
    paired against `Assistant.ask` in this process."""
    import httpx

    from rag import Assistant

    assistant = Assistant.load(index_dir)
    for q in questions:  # warm this process's query cache, as the server's is
        assistant.ask(q)
    per_request, paired, http_ms, local_ms, health_ms = [], [], [], [], []
    with httpx.Client(base_url=url, timeout=120) as c:
        for _ in range(100):  # the floor: a round trip through the same stack with no work behind it
            t0 = time.perf_counter()
            c.get("/api/health").raise_for_status()
            health_ms.append((time.perf_counter() - t0) * 1000)
        for _ in range(rounds):
            for q in questions:
                t0 = time.perf_counter()
                r = c.post("/api/ask", json={"question": q})
                http = (time.perf_counter() - t0) * 1000
                r.raise_for_status()
                t0 = time.perf_counter()
                assistant.ask(q)
                local = (time.perf_counter() - t0) * 1000
                http_ms.append(http)
                local_ms.append(local)
                per_request.append(http - r.json()["seconds"] * 1000)
                paired.append(http - local)
    return {
        "asks": len(http_ms),
        "http_p50_ms": round(statistics.median(http_ms), 2),
        "in_process_p50_ms": round(statistics.median(local_ms), 2),
        "added_p50_ms_per_request": round(statistics.median(per_request), 2),
        "added_p95_ms_per_request": round(float(np.percentile(per_request, 95)), 2),
        "added_p50_ms_paired": round(statistics.median(paired), 2),
        "difference_of_p50s_ms": round(statistics.median(http_ms) - statistics.median(local_ms), 2),
        "health_round_trip_p50_ms": round(statistics.median(health_ms), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--index-dir", type=Path, default=None, help="default: a copy of index/, else the seeds"
    )
    parser.add_argument("--clients", default="1,4,16")
    parser.add_argument("--seconds", type=float, default=20.0, help="at most this long per level")
    parser.add_argument("--requests", type=int, default=400, help="at most this many answers per level")
    parser.add_argument("--rounds", type=int, default=2, help="passes over the questions for the overhead")
    parser.add_argument("--modes", default="repeat,unique")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    questions = [row["question"] for row in load_questions(QUESTIONS)]
    work = Path(tempfile.mkdtemp(prefix="api-bench-"))
    index_dir = work / "index"
    source = args.index_dir or ROOT / "index"
    if (source / "CURRENT").exists():
        shutil.copytree(source, index_dir)
    else:
        from rag import Assistant

        Assistant.build([ROOT / "seeds"], index_dir=index_dir)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    load_before = os.getloadavg()[0]
    proc = start_server(index_dir, port)
    try:
        import httpx

        with httpx.Client(base_url=url, timeout=120) as c:  # warm-up: every question once
            for q in questions:
                c.post("/api/ask", json={"question": q}).raise_for_status()
        levels = []
        for mode in args.modes.split(","):
            for clients in (int(x) for x in args.clients.split(",")):
                level = run_level(
                    url, questions, clients, args.requests, args.seconds, unique=mode == "unique"
                )
                levels.append(level)
                print(json.dumps(level, ensure_ascii=False), flush=True)
        added = overhead(url, index_dir, questions, args.rounds)
        print(json.dumps(added), flush=True)
    finally:
        proc.terminate()
        proc.wait(20)
        shutil.rmtree(work, ignore_errors=True)
    result = {
        "server": "rag serve (chat page mounted), uvicorn, one process; client: this process, httpx, loopback",
        "questions": str(QUESTIONS.relative_to(ROOT)),
        "cpus": os.cpu_count(),
        "load_average_1min": {"start": round(load_before, 2), "end": round(os.getloadavg()[0], 2)},
        "levels": levels,
        "overhead": added,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(
        f"\n{'mode':8} {'clients':>7} {'answers':>7} {'errors':>6} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8}"
    )
    for lv in levels:
        print(f"{lv['mode']:8} {lv['clients']:>7} {lv['answers']:>7} {lv['errors']:>6} {lv['throughput_per_s']:>7} "
              f"{lv['p50_ms']:>8} {lv['p95_ms']:>8}")  # fmt: skip
    print(f"HTTP adds {added['added_p50_ms_per_request']} ms at p50 per request (latency - server ask time), "
          f"{added['added_p50_ms_paired']} ms paired against in-process ask "
          f"(GET /api/health round trip {added['health_round_trip_p50_ms']} ms); target <= 5 ms")  # fmt: skip
    print(f"written to {args.out}")
    return 0 if all(lv["errors"] == 0 for lv in levels) else 1


if __name__ == "__main__":
    sys.exit(main())
