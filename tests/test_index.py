"""Incremental updates, atomic writes, damaged and mismatched indexes, and the CLI."""

import json
import subprocess
import sys

import numpy as np
import pytest

from rag import Assistant, IndexDamagedError, IndexMismatchError
from rag.cli import main
from rag.search import store

from .conftest import SEEDS


def _current(index_dir):
    return index_dir / (index_dir / "CURRENT").read_text().strip()


def test_incremental_add_change_remove(index_copy, tmp_path):
    a = Assistant.load(index_copy)
    before = a.passage_count()
    again = Assistant.build([SEEDS], index_dir=index_copy)
    assert again.last_report.embedded_passages == 0 and len(again.last_report.unchanged) == 5

    new = tmp_path / "quan3.txt"
    new.write_text("Đảng bộ quận 3 hiện có 4.321 đảng viên sinh hoạt tại 12 phường.", encoding="utf-8")
    report = a.add([new])
    assert report.added == ["quan3.txt"] and report.embedded_passages == 1
    assert a.passage_count() == before + 1
    assert "4.321" in Assistant.load(index_copy).ask("Quận 3 có bao nhiêu đảng viên?").text

    new.write_text("Đảng bộ quận 3 hiện có 5.000 đảng viên.", encoding="utf-8")
    report = a.add([new])
    assert report.updated == ["quan3.txt"] and report.embedded_passages == 1
    assert "5.000" in a.ask("Quận 3 có bao nhiêu đảng viên?").text

    a.remove(["quan3.txt"])
    assert a.passage_count() == before
    assert not Assistant.load(index_copy).ask("Quận 3 có bao nhiêu đảng viên?").found


def test_vectors_of_unchanged_documents_are_kept(index_copy, tmp_path):
    old = store.load(index_copy)
    (tmp_path / "x.txt").write_text("Một tài liệu mới về công tác dân vận.", encoding="utf-8")
    Assistant.load(index_copy).add([tmp_path / "x.txt"])
    new = store.load(index_copy)
    assert np.array_equal(new.vectors[: len(old.passages)], old.vectors)


def test_crash_mid_write_leaves_previous_index_usable(index_copy, tmp_path, monkeypatch):
    (tmp_path / "x.txt").write_text("Tài liệu sẽ không được ghi xong.", encoding="utf-8")
    a = Assistant.load(index_copy)
    real_save = np.save

    def crash(*args, **kwargs):  # the process dies while the vectors are being written
        real_save(*args, **kwargs)
        raise KeyboardInterrupt("simulated kill")

    monkeypatch.setattr(store.np, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        a.add([tmp_path / "x.txt"])
    monkeypatch.undo()
    reopened = Assistant.load(index_copy)
    assert "x.txt" not in {d.source for d in reopened.documents()}
    assert "141.556" in reopened.ask("Dân số quận 1 là bao nhiêu?").text
    # The next successful write cleans the half-written generation away; the generation
    # it replaces stays for readers that are opening it (tests/test_concurrency.py).
    before = _current(index_copy).name
    reopened.add([tmp_path / "x.txt"])
    assert sorted(p.name for p in index_copy.glob("gen-*")) == sorted([before, _current(index_copy).name])


def test_damaged_files_are_named_with_the_fix(index_copy):
    vectors = _current(index_copy) / "vectors.npy"
    vectors.write_bytes(vectors.read_bytes()[:100])
    with pytest.raises(IndexDamagedError, match="vectors.npy.*rebuild"):
        Assistant.load(index_copy)


def test_garbled_manifest_is_reported(index_copy):
    (_current(index_copy) / "manifest.json").write_text("{not json")
    with pytest.raises(IndexDamagedError, match="manifest.json"):
        Assistant.load(index_copy)


def test_other_model_or_format_says_what_to_do(index_copy):
    path = _current(index_copy) / "manifest.json"
    manifest = json.loads(path.read_text())
    path.write_text(json.dumps(dict(manifest, model_fingerprint="0123456789abcdef")))
    with pytest.raises(IndexMismatchError, match="rebuild"):
        Assistant.load(index_copy)
    path.write_text(json.dumps(dict(manifest, format_version=999)))
    with pytest.raises(IndexMismatchError, match="format"):
        Assistant.load(index_copy)


def test_other_chunking_needs_rebuild(index_copy):
    with pytest.raises(IndexMismatchError, match="rebuild"):
        Assistant.build([SEEDS], index_dir=index_copy, chunk_size=300)


def test_cli_ask_json_and_bad_input(seeds_index, capsys):
    assert main(["ask", "Dân số quận 1 là bao nhiêu?", "--index-dir", str(seeds_index), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["found"] and "141.556" in out["text"] and out["citations"][0]["source"].startswith("000")
    assert main(["ask", "   ", "--index-dir", str(seeds_index)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "empty" in err
    assert main(["ask", "quận 1? " * 300, "--index-dir", str(seeds_index)]) == 2
    assert main(["search", "x", "--index-dir", str(seeds_index / "missing")]) == 2


def test_cli_output_cut_short_by_its_reader_is_no_error(seeds_index):
    """`rag search … | head -c 0`: the reader leaves before a line is written; no traceback, exit 0."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rag.cli",
            "search",
            "quận 1 đảng viên",
            "-k",
            "50",
            "--index-dir",
            str(seeds_index),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # closed while the model loads: every write then meets a broken pipe
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_cli_index_reports_skips_and_empty_corpus(tmp_path):
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\xfa")
    proc = subprocess.run(
        [sys.executable, "-m", "rag.cli", "index", str(tmp_path), "--index-dir", str(tmp_path / "idx")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "bad.txt" in proc.stderr


def test_questions_are_answered_while_a_document_is_indexing(index_copy, tmp_path):
    import threading
    import time

    a = Assistant.load(index_copy)
    big = tmp_path / "big.txt"
    big.write_text(
        "\n\n".join(
            f"Đoạn {i}: phường {i} tổ chức sinh hoạt chi bộ và học tập nghị quyết của Đảng." * 6
            for i in range(60)
        ),
        encoding="utf-8",
    )
    done = threading.Event()
    writer = threading.Thread(target=lambda: (a.add([big]), done.set()))
    writer.start()
    answered_during = 0
    seen_sizes = set()
    while not done.is_set():
        answer = a.ask("Dân số quận 1 là bao nhiêu?")
        assert "141.556" in answer.text  # never a half-written index
        seen_sizes.add(a.passage_count())
        if not done.is_set():
            answered_during += 1
        time.sleep(0.01)
    writer.join()
    assert answered_during >= 2, "questions waited for the whole upload"
    assert "big.txt" in {d.source for d in Assistant.load(index_copy).documents()}


def test_model_is_configurable_and_recorded(tmp_path):
    from rag.model import e5model

    doc = tmp_path / "d.txt"
    doc.write_text("Đảng bộ quận 3 hiện có 4.321 đảng viên.", encoding="utf-8")
    path = str(e5model.default_model_dir())  # any sentence-transformers folder or id
    a = Assistant.build([doc], index_dir=tmp_path / "idx", model=path)
    assert a.manifest["model_id"] == path
    assert Assistant.load(tmp_path / "idx").embedder.model_id == path
    assert "4.321" in a.ask("Quận 3 có bao nhiêu đảng viên?").text


def test_unchanged_corpus_does_not_rewrite_the_index(index_copy):
    before = (index_copy / "CURRENT").read_text()
    Assistant.build([SEEDS], index_dir=index_copy)
    assert (index_copy / "CURRENT").read_text() == before


def test_rebuild_keeps_every_document_and_changes_chunking(index_copy, tmp_path):
    extra = tmp_path / "uploaded.txt"
    extra.write_text("Đảng bộ quận 3 hiện có 4.321 đảng viên.", encoding="utf-8")
    Assistant.load(index_copy).add([extra])
    rebuilt = Assistant.build([SEEDS], index_dir=index_copy, chunk_size=400, chunk_overlap=50, rebuild=True)
    assert rebuilt.manifest["chunking"] == {"size": 400, "overlap": 50}
    assert "uploaded.txt" in {d.source for d in rebuilt.documents()}
    assert "4.321" in Assistant.load(index_copy).ask("Quận 3 có bao nhiêu đảng viên?").text


def test_a_commit_by_another_process_is_answered_from(index_copy, tmp_path):
    # The chat page keeps its Assistant open while `rag index` adds a report from a terminal.
    open_ = Assistant.load(index_copy)
    question = "Huyện Cần Giờ có bao nhiêu đảng viên?"
    assert "3.210" not in open_.ask(question).text
    report = tmp_path / "can_gio.txt"
    report.write_text(
        "Báo cáo tại hội nghị, Đảng bộ huyện Cần Giờ hiện có 3.210 đảng viên sinh hoạt tại 52 chi bộ.",
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "rag.cli", "index", str(report), "--index-dir", str(index_copy)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    answer = open_.ask(question)
    assert answer.found and "3.210 đảng viên" in answer.text, answer.text
    assert "can_gio.txt" in {s for s, _, _ in open_.inventory()}
    assert "141.556" in open_.ask("Dân số quận 1 là bao nhiêu?").text  # the documents it had stay


def test_a_damaged_commit_by_another_process_leaves_the_open_index_answering(index_copy, caplog):
    open_ = Assistant.load(index_copy)
    (index_copy / "CURRENT").write_text("gen-0000000000000000-0001")  # names no folder
    with caplog.at_level("WARNING", logger="rag"):
        answers = [open_.ask("Dân số quận 1 là bao nhiêu?") for _ in range(2)]
    assert all(a.found and "141.556" in a.text for a in answers)
    assert caplog.text.count("cannot be opened") == 1  # said once, looked at again later
