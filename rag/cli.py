"""Command line: `rag index PATH…`, `rag ask "…"`, `rag search "…"`, `rag remove SOURCE…`, `rag model`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import asdict

from rag.errors import RagError

EXIT_BAD_INPUT = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="Offline Vietnamese Q&A with citations.")
    sub = parser.add_subparsers(dest="command", required=True)
    index = sub.add_parser("index", help="index files or folders (incremental)")
    index.add_argument("paths", nargs="+")
    index.add_argument("--index-dir", default="index")
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
    ask.add_argument("--json", action="store_true", help="print the whole answer as JSON")
    search = sub.add_parser("search", help="list the best passages")
    search.add_argument("query")
    search.add_argument("-k", type=int, default=5)
    search.add_argument("--index-dir", default="index")
    sub.add_parser("model", help="build the offline default model now (otherwise on first use)")
    remove = sub.add_parser("remove", help="remove documents by source name")
    remove.add_argument("sources", nargs="+")
    remove.add_argument("--index-dir", default="index")
    return parser


def _index(args) -> int:
    from rag.assistant import Assistant
    from rag.chunking import ChunkSettings
    from rag.embedding import DEFAULT_MODEL

    options = {}
    if args.model is None and not args.rebuild:
        # An existing index keeps its own model and chunking unless told otherwise.
        from pathlib import Path

        from rag import store

        if (Path(args.index_dir) / "CURRENT").exists():
            manifest = store.read_manifest(Path(args.index_dir))
            options = {
                "model": manifest["model_id"],
                **{
                    "chunk_size": manifest["chunking"]["size"],
                    "chunk_overlap": manifest["chunking"]["overlap"],
                },
            }
    options.setdefault("model", args.model or DEFAULT_MODEL)
    if args.chunk_size is not None:
        options["chunk_size"] = args.chunk_size
    if args.chunk_overlap is not None:
        options["chunk_overlap"] = args.chunk_overlap
    options.setdefault("chunk_size", ChunkSettings.size)
    options.setdefault("chunk_overlap", ChunkSettings.overlap)
    assistant = Assistant.build(
        args.paths, index_dir=args.index_dir, rebuild=args.rebuild, progress=True, follow_links=args.follow_links, **options
    )
    r = assistant.last_report
    for name, reason in r.skipped:
        print(f"skipped {name}: {reason}", file=sys.stderr)
    print(
        f"{args.index_dir}: {len(assistant.documents())} documents, {assistant.passage_count()} passages "
        f"(added {len(r.added)}, updated {len(r.updated)}, unchanged {len(r.unchanged)}, "
        f"embedded {r.embedded_passages} passages)"
    )
    return 0


def _ask(args) -> int:
    from rag.assistant import Assistant

    answer = Assistant.load(args.index_dir).ask(args.question)
    if args.json:
        print(json.dumps(asdict(answer), ensure_ascii=False, indent=2))
        return 0
    print(answer.text)
    for c in answer.citations:
        also = f" (also in {', '.join(c.also)})" if c.also else ""
        print(f"  [{c.n}] {c.source}{also} @{c.quote_start}-{c.quote_end}")
    for p in answer.related:
        print(f"  related: {p.source} @{p.start}-{p.end}: {p.text[:120]}…")
    return 0


def _search(args) -> int:
    from rag.assistant import Assistant

    for p in Assistant.load(args.index_dir).search(args.query, k=args.k):
        print(f"{p.score:.4f}  {p.source} @{p.start}-{p.end}  {p.text[:160]}")
    return 0


def _remove(args) -> int:
    from rag.assistant import Assistant

    report = Assistant.load(args.index_dir).remove(args.sources)
    missing = sorted(set(args.sources) - set(report.removed))
    print(
        f"removed {len(report.removed)} document(s)"
        + (f"; not indexed: {', '.join(missing)}" if missing else "")
    )
    return 0


def _model(args) -> int:
    from rag import e5model

    print(e5model.build(progress=True))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    try:  # the CLI shows its own progress; transformers' per-load bar is noise here
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except ImportError:
        pass
    handler = {"index": _index, "ask": _ask, "search": _search, "remove": _remove, "model": _model}[
        args.command
    ]
    try:
        return handler(args)
    except RagError as exc:
        print(f"rag: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
