"""The Assistant over PostgreSQL answers as it does over the file index: the seeds questions
on both backends, the command line with --backend and RAG_BACKEND, and an indexing run in
one process while another answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import psycopg
import pytest

from rag import Assistant

from .conftest import DEV, SEEDS
from .test_answers import contains_answer

CASES = [json.loads(line) for line in DEV.read_text().splitlines() if line.strip()]
MORE = SEEDS.parent / "eval" / "questions" / "seeds.jsonl"


@pytest.fixture(scope="module")
def pg_index(pg_server) -> str:
    """The seeds indexed into a database of their own (URL)."""
    with psycopg.connect(pg_server.url, autocommit=True) as conn:
        conn.execute("CREATE DATABASE rag_answers")
    url = pg_server.url.replace("/postgres?", "/rag_answers?")
    Assistant.build([SEEDS], backend=url)
    return url


@pytest.fixture(scope="module")
def pg_assistant(pg_index):
    return Assistant.load(backend=pg_index)


def citations(answer) -> list[tuple]:
    return [(c.n, c.source, c.start, c.end, c.quote_start, c.quote_end, c.also) for c in answer.citations]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_seed_question_on_postgres(pg_assistant, case):
    """The answer tests of the file backend (tests/test_answers.py), on PostgreSQL."""
    answer = pg_assistant.ask(case["question"])
    if not case["answers"]:
        assert not answer.found and not answer.citations and answer.related
        return
    assert answer.found and contains_answer(answer.text, case["answers"]), answer.text
    cited = {c.source for c in answer.citations} | {s for c in answer.citations for s in c.also}
    assert cited & set(case["sources"]), cited
    text = pg_assistant.source_text
    for c in answer.citations:
        assert text(c.source)[c.start : c.end] == c.text
        assert text(c.source)[c.quote_start : c.quote_end] == c.quote


def test_both_backends_give_the_same_answers_and_citations(assistant, pg_assistant):
    questions = [json.loads(x) for x in MORE.read_text().splitlines() if x.strip()]
    differ = []
    for q in questions:
        history = q.get("history") or []
        a, b = assistant.ask(q["question"], history=history), pg_assistant.ask(q["question"], history=history)
        if (a.text, a.found, a.rewritten, citations(a)) != (b.text, b.found, b.rewritten, citations(b)):
            differ.append((q["question"], a.text, b.text))
    assert not differ, differ[:3]
    assert assistant.inventory() == pg_assistant.inventory()
    hits_file = [p.key for p in assistant.search("quan tan binh co bao nhieu dang vien", k=10)]
    hits_pg = [p.key for p in pg_assistant.search("quan tan binh co bao nhieu dang vien", k=10)]
    assert hits_file == hits_pg


def test_an_unchanged_corpus_writes_nothing_and_a_change_is_incremental(pg_index, tmp_path):
    again = Assistant.build([SEEDS], backend=pg_index)
    assert not again.last_report.changed and again.last_report.embedded_passages == 0
    extra = tmp_path / "extra.txt"
    extra.write_text("Huyện Cần Giờ có 71.000 dân và 17 xã ven biển.\n", encoding="utf-8")
    report = Assistant.build([extra], backend=pg_index).last_report
    assert report.added == ["extra.txt"] and report.embedded_passages == 1
    reader = Assistant.load(backend=pg_index)
    assert reader.ask("Huyện Cần Giờ có bao nhiêu dân?").found
    removed = reader.remove(["extra.txt"])
    assert removed.removed == ["extra.txt"] and removed.removed_documents[0].text.startswith("Huyện Cần Giờ")
    assert "extra.txt" not in {d.source for d in reader.documents()}


def rag_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=600)  # fmt: skip


def test_the_command_line_takes_backend_and_rag_backend(pg_url, tmp_path):
    doc = tmp_path / "docs" / "q1.txt"
    doc.parent.mkdir()
    doc.write_text("Quận 1 có 8.033 đảng viên, sinh hoạt tại 51 tổ chức cơ sở đảng.\n", encoding="utf-8")
    done = rag_cli("index", str(doc.parent), "--backend", pg_url)
    assert done.returncode == 0, done.stderr
    assert "1 documents, 1 passages" in done.stdout and "@/" not in done.stdout.split(":")[0]
    done = rag_cli("ask", "Quận 1 có bao nhiêu đảng viên?", "--json", env={"RAG_BACKEND": pg_url})
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["found"] and "8.033" in answer["text"] and answer["citations"][0]["source"] == "q1.txt"
    done = rag_cli("remove", "q1.txt", env={"RAG_BACKEND": pg_url})
    assert done.returncode == 0 and "removed 1 document" in done.stdout
    done = rag_cli("ask", "Quận 1?", "--backend", "postgresql://postgres@127.0.0.1:1/none")
    assert done.returncode == 2 and "cannot connect" in done.stderr


def test_one_process_indexes_while_another_answers(pg_index, tmp_path):
    """`rag index` in another process adds documents while this one answers seeds questions:
    no question fails, and the new documents are answered from without reopening."""
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "thanh-an.txt").write_text(
        "Xã đảo Thạnh An thuộc huyện Cần Giờ có 4.500 dân, sống chủ yếu bằng nghề đánh bắt hải sản.\n",
        encoding="utf-8",
    )
    for i in range(5):  # more to embed: the run lasts a while
        (folder / f"ven-bien-{i}.txt").write_text(
            f"Đường ven biển số {i} dài {12 + i} km. " * 60, encoding="utf-8"
        )
    reader = Assistant.load(backend=pg_index)
    stop, errors, answered = threading.Event(), [], []

    def answer_loop() -> None:
        while not stop.is_set():
            for case in CASES[:6]:
                try:
                    answered.append(reader.ask(case["question"]).found)
                except Exception as exc:  # the test reports any failure of a question
                    errors.append(repr(exc))

    thread = threading.Thread(target=answer_loop)
    thread.start()
    try:
        done = rag_cli("index", str(folder), "--backend", pg_index)
    finally:
        stop.set()
        thread.join()
    assert done.returncode == 0, done.stderr
    assert not errors, errors[:3]
    assert len(answered) >= 6
    answer = reader.ask("Xã Thạnh An có bao nhiêu dân?")
    assert answer.found and "4.500" in answer.text and answer.citations[0].source == "thanh-an.txt"
    added = {"thanh-an.txt", *(f"ven-bien-{i}.txt" for i in range(5))}
    assert added <= {d.source for d in reader.documents()}
    Assistant.load(backend=pg_index).remove(sorted(added))
