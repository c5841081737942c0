"""Nothing lost, nothing misleading: one name per document, writers serialised, readers never
told a healthy index is damaged, unwritable indexes and interrupted runs explained."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag import Assistant, Document, IndexDamagedError
from rag.errors import DuplicateSourceError, IndexWriteError
from rag.search import store
from rag.search.passages import PassageTable

from .conftest import SEEDS

RAG = [sys.executable, "-m", "rag.cli"]


def _current(index_dir: Path) -> Path:
    return index_dir / (index_dir / "CURRENT").read_text().strip()


def _doc(source: str, text: str) -> Document:
    return Document(source, text, ((0, len(text)),), f"fp-{hash(text)}")


def test_two_documents_with_one_name_are_refused_before_anything_is_written(index_copy):
    a = Assistant.load(index_copy)
    before = _current(index_copy).name
    docs = [
        _doc("report.txt", "Phường Bến Nghé có 11.111 cư dân."),
        _doc("report.txt", "Phường Tân Định có 22.222 cư dân."),
    ]
    with pytest.raises(DuplicateSourceError, match="report.txt.*nothing was written"):
        a.add_documents(docs)
    assert _current(index_copy).name == before
    assert "report.txt" not in {d.source for d in Assistant.load(index_copy).documents()}


def test_passages_that_disagree_with_their_vectors_are_caught_on_load(index_copy):
    """A row pointing at other text than its vector was made from is damage, even with good checksums."""
    folder = _current(index_copy)
    rows = [json.loads(line) for line in (folder / "passages.jsonl").read_text().splitlines()]
    rows[3][1] += 5  # the row now slices other text than was embedded
    (folder / "passages.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["passages.jsonl"] = store.sha256(folder / "passages.jsonl")
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexDamagedError, match="not the text their vectors were made from"):
        Assistant.load(index_copy)


def test_current_must_name_a_generation_inside_the_index(index_copy):
    (index_copy / "CURRENT").write_text("../../../etc")
    with pytest.raises(IndexDamagedError, match="not a generation name"):
        store.load(index_copy)


def test_two_writers_on_a_new_directory_keep_both_documents(tmp_path):
    index_dir = tmp_path / "index"
    for name, body in (
        ("a.txt", "Phường Bến Nghé có 11.111 cư dân."),
        ("b.txt", "Phường Tân Định có 22.222 cư dân."),
    ):
        (tmp_path / name).write_text(body, encoding="utf-8")
    procs = [
        subprocess.Popen(
            [*RAG, "index", str(tmp_path / n), "--index-dir", str(index_dir)], stderr=subprocess.PIPE
        )
        for n in ("a.txt", "b.txt")
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()
    assert {d.source for d in Assistant.load(index_dir).documents()} == {"a.txt", "b.txt"}


_WRITER = """
import sys
from pathlib import Path
from rag.search import store
index_dir = Path(sys.argv[1])
snap = store.load(index_dir)
for _ in range(int(sys.argv[2])):
    store.save(index_dir, snap)
"""


def test_readers_are_never_told_a_healthy_index_is_damaged_while_a_writer_saves(tmp_path):
    """A reader loop during 120 saves by another process: every load succeeds."""
    index_dir = tmp_path / "index"
    text = "Đảng bộ quận 1 hiện có 51 tổ chức cơ sở đảng. " * 3
    docs = {"a.txt": _doc("a.txt", text)}
    table = PassageTable.from_rows(docs, [("a.txt", 0, len(text))])
    import numpy as np

    manifest = {"model_id": "m", "model_fingerprint": "f", "dim": 4, "chunking": {"size": 600, "overlap": 100},
                "passage_digests": table.digests()}  # fmt: skip
    store.save(index_dir, store.Snapshot(manifest, docs, table, np.ones((1, 4), np.float32)))
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(index_dir), "120"])
    loads, errors = 0, []
    while writer.poll() is None:
        try:
            store.load(index_dir)
            loads += 1
        except IndexDamagedError as exc:
            errors.append(str(exc))
    assert writer.returncode == 0
    assert loads > 50 and errors == []
    assert len(list(index_dir.glob("gen-*"))) == 2  # the current and the one it replaced


def test_an_unwritable_index_directory_is_a_clear_message(tmp_path, seeds_index):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the index folder should be")
    (tmp_path / "a.txt").write_text("Phường Bến Nghé có 11.111 cư dân.", encoding="utf-8")
    with pytest.raises(IndexWriteError, match="cannot write the index"):
        Assistant.build([tmp_path / "a.txt"], index_dir=blocker / "index")
    proc = subprocess.run([*RAG, "remove", "a.txt", "--index-dir", str(blocker / "index")],
                          capture_output=True, text=True)  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through permissions; covered above")
def test_a_read_only_index_directory_is_a_clear_message(index_copy):
    os.chmod(index_copy, 0o555)
    try:
        proc = subprocess.run([*RAG, "remove", "001_98082b8cb4a9dbb2.txt", "--index-dir", str(index_copy)],
                              capture_output=True, text=True)  # fmt: skip
    finally:
        os.chmod(index_copy, 0o755)
    assert proc.returncode == 2 and "cannot write the index" in proc.stderr and "Traceback" not in proc.stderr


def test_ctrl_c_during_indexing_is_a_clean_message_and_leaves_the_index(index_copy, tmp_path):
    before = _current(index_copy).name
    big = tmp_path / "big.txt"
    big.write_text("\n\n".join(f"Đoạn {i}: " + (SEEDS / "001_98082b8cb4a9dbb2.txt").read_text()[:500]
                               for i in range(400)), encoding="utf-8")  # fmt: skip
    # As from a terminal: a run started in the background (nohup, `&` in a script) inherits
    # SIGINT ignored, and Python then installs no Ctrl-C handler at all.
    proc = subprocess.Popen([*RAG, "index", str(big), "--index-dir", str(index_copy)],
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # fmt: skip
    seen = ""
    deadline = time.monotonic() + 240
    while "embedding" not in seen and time.monotonic() < deadline:  # tqdm's bar: embedding has begun
        seen += os.read(proc.stderr.fileno(), 4096).decode(errors="replace")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    err = seen + err
    assert proc.returncode == 130, err
    assert "interrupted; the index was left as it was" in err and "Traceback" not in err
    assert _current(index_copy).name == before
