"""Command line: `rag index PATH…`, `rag ask "…"`, `rag search "…"`, `rag remove SOURCE…`, `rag model`,
`rag serve` (the chat page and the HTTP API)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from dataclasses import replace

from rag.errors import RagError

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # as a shell reports a Ctrl-C


def _backend_option(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--backend", default=os.environ.get("RAG_BACKEND") or None, metavar="URL",
        help="the index in PostgreSQL (postgresql://user@host/db) instead of --index-dir; default $RAG_BACKEND",
    )  # fmt: skip


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="Offline Vietnamese Q&A with citations.")
    sub = parser.add_subparsers(dest="command", required=True)
    index = sub.add_parser("index", help="index files or folders (incremental)")
    index.add_argument("paths", nargs="+")
    index.add_argument("--index-dir", default="index")
    _backend_option(index)
    index.add_argument("--model", default=None, help="sentence-transformers id or path")
    index.add_argument("--chunk-size", type=int, default=None)
    index.add_argument("--chunk-overlap", type=int, default=None)
    index.add_argument("--rebuild", action="store_true", help="re-embed everything (new model or chunking)")
    index.add_argument(
        "--follow-links", action="store_true",
        help="read files that symbolic links inside a folder lead to outside it (not followed by default)",
    )  # fmt: skip
    ask = sub.add_parser("ask", help="answer a question with citations")
    ask.add_argument("question")
    ask.add_argument("--index-dir", default="index")
    _backend_option(ask)
    ask.add_argument("--json", action="store_true", help="print the whole answer as JSON")
    ask.add_argument(
        "--llm",
        default=None,
        metavar="URL",
        help="OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1; default $RAG_LLM_URL",
    )
    ask.add_argument("--llm-model", default=None, metavar="NAME", help="model name; default $RAG_LLM_MODEL")
    ask.add_argument("--llm-key", default=None, metavar="KEY", help="API key; default $RAG_LLM_API_KEY")
    ask.add_argument("--drop-unverified", action="store_true", help="leave unverified sentences out")
    search = sub.add_parser("search", help="list the best passages")
    search.add_argument("query")
    search.add_argument("-k", type=int, default=5)
    search.add_argument("--index-dir", default="index")
    _backend_option(search)
    sub.add_parser("model", help="build the offline default model now (otherwise on first use)")
    remove = sub.add_parser("remove", help="remove documents by source name")
    remove.add_argument("sources", nargs="+")
    remove.add_argument("--index-dir", default="index")
    _backend_option(remove)
    serve = sub.add_parser("serve", help="the chat page and the HTTP API (OpenAI-compatible) on one port")
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default: this machine only)")
    serve.add_argument("--port", type=int, default=7860)
    serve.add_argument("--index-dir", default="index")
    _backend_option(serve)
    serve.add_argument("--no-chat", action="store_true", help="the API only, no chat page (no gradio)")
    return parser


def _index(args) -> int:
    from rag.assistant import Assistant

    # Unset options are None: an existing index keeps its own model and chunking.
    assistant = Assistant.build(
        args.paths,
        index_dir=args.index_dir,
        backend=args.backend,
        model=args.model,
        chunk_size=args.chunk_size,
        chunk_overlap=args.chunk_overlap,
        rebuild=args.rebuild,
        progress=True,
        follow_links=args.follow_links,
    )
    r = assistant.last_report
    for name, reason in r.skipped:
        print(f"skipped {name}: {reason}", file=sys.stderr)
    print(
        f"{assistant.backend.location}: {len(assistant.documents())} documents, {assistant.passage_count()} passages "
        f"(added {len(r.added)}, updated {len(r.updated)}, unchanged {len(r.unchanged)}, "
        f"embedded {r.embedded_passages} passages)"
    )
    return 0


def _ask(args) -> int:
    from rag.assistant import Assistant
    from rag.generation.llm import LLMConfig

    # The environment is read here, at the edge; flags win over it.
    env = LLMConfig.from_env()
    url = args.llm or (env.url if env else None)
    llm = None
    if url:
        model = args.llm_model or (env.model if env else None) or "default"
        llm = LLMConfig(url, model, args.llm_key or (env.api_key if env else None))
    assistant = Assistant.load(args.index_dir, llm=llm, backend=args.backend)
    assistant.generation = replace(assistant.generation, drop_unverified=args.drop_unverified)
    if args.json:
        print(json.dumps(assistant.ask(args.question).as_dict(), ensure_ascii=False, indent=2))
        return 0
    answer = None
    for event in assistant.ask_stream(args.question):  # the model's text as it comes, then the check
        if isinstance(event, str):
            print(event, end="", flush=True, file=sys.stderr)
        else:
            answer = event
    if llm is not None:
        print(file=sys.stderr)
    print(answer.text)
    for claim in answer.claims:
        print(f"  {'✓' if claim.verified else '✗ ' + claim.reason + ':'} {claim.text}")
    if answer.notice:
        print(f"  {answer.notice}" + (f" ({answer.generated_by})" if answer.generated_by else ""))
    for c in answer.citations:
        also = f" (also in {', '.join(c.also)})" if c.also else ""
        page = f" p. {c.page}" if c.page else ""
        ocr = " (OCR)" if c.ocr else ""
        heading = f" — {c.heading}" if c.heading else ""
        print(f"  [{c.n}] {c.source}{also}{page}{ocr} @{c.quote_start}-{c.quote_end}{heading}")
    for p in answer.related:
        print(f"  related: {p.source} @{p.start}-{p.end}: {p.text[:120]}…")
    return 0


def _search(args) -> int:
    from rag.assistant import Assistant

    for p in Assistant.load(args.index_dir, backend=args.backend).search(args.query, k=args.k):
        print(f"{p.score:.4f}  {p.source} @{p.start}-{p.end}  {p.text[:160]}")
    return 0


def _remove(args) -> int:
    from rag.assistant import Assistant

    report = Assistant.load(args.index_dir, backend=args.backend).remove(args.sources)
    missing = sorted(set(args.sources) - set(report.removed))
    print(
        f"removed {len(report.removed)} document(s)"
        + (f"; not indexed: {', '.join(missing)}" if missing else "")
    )
    return 0


def _model(args) -> int:
    from rag.model import e5model

    print(e5model.build(progress=True))
    return 0


def _serve(args) -> int:
    import importlib.util
    import time

    from rag.assistant import Assistant

    started = time.perf_counter()
    if not args.no_chat and importlib.util.find_spec("gradio") is None:
        raise RagError(
            "the chat page needs gradio: `.venv/bin/python -m pip install -e '.[ui]'`, or --no-chat"
        )
    # The chat page is ui.py at the repository root, kept out of rag/ so that rag never
    # imports gradio; pyproject.toml installs it as the top-level module `ui`, imported only
    # here. ui.py owns the server (one FastAPI app, the page mounted on it) for both
    # `python ui.py` and `rag serve`.
    try:
        import ui
    except ImportError as exc:
        hint = "reinstall with `.venv/bin/python -m pip install -e '.[ui]'`"
        raise RagError(f"ui.py is not importable ({exc}): {hint}") from exc
    from rag.generation.llm import LLMConfig

    # With RAG_LLM_URL set, answers (chat page, /api/ask, /v1/chat/completions) are generated, then checked.
    assistant = Assistant.load(args.index_dir, llm=LLMConfig.from_env(), backend=args.backend)
    assistant.search("warm-up", k=1)  # load the model now, not on the first request
    return ui.serve(assistant, args.host, args.port, chat=not args.no_chat, started=started)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    try:  # the CLI shows its own progress; transformers' per-load bar is noise here
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except ImportError:
        pass
    handlers = {"index": _index, "ask": _ask, "search": _search, "remove": _remove, "model": _model}
    handlers["serve"] = _serve
    handler = handlers[args.command]
    try:
        return handler(args)
    except RagError as exc:
        print(f"rag: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        # Writes are atomic: a run stopped before its save leaves the index as it was.
        what = "the index was left as it was" if args.command in ("index", "remove") else "stopped"
        print(f"rag: interrupted; {what}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of our output left (`rag ask … | head`): what it read stands; no traceback,
        # and none from the interpreter flushing stdout again at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
