"""Evaluation metrics against worked examples, and the script end to end."""

import json

from eval import metrics
from eval.__main__ import main


def test_mrr_by_hand():
    ranked = [["a", "b", "c"], ["x", "y"], ["q", "gold"]]
    relevant = [{"c"}, {"z"}, {"gold"}]
    rr = [metrics.reciprocal_rank(r, g) for r, g in zip(ranked, relevant)]
    assert rr == [1 / 3, 0.0, 1 / 2]
    assert round(sum(rr) / 3, 4) == 0.2778


def test_number_formats_match():
    assert metrics.answer_matches("Quận 1 có 8033 đảng viên", ["8.033"])
    assert metrics.answer_matches("có 8,033 party members", ["8.033"])
    assert metrics.answer_matches("đạt 94,27%", ["94.27%"])
    assert metrics.answer_matches("7.718 km2", ["7.718 km2"])
    assert not metrics.answer_matches("có 803 đảng viên", ["8.033"])
    assert not metrics.answer_matches("Tài liệu không có thông tin", ["Tô Thị Bích Châu"])


def test_the_short_answer_is_scored_by_word_overlap():
    text = "Các nguồn ghi khác nhau: 6.949 đảng viên [1]; 8.033 đảng viên [2]. “…” [1] “…” [2]"
    assert metrics.short_answer(text) == "Các nguồn ghi khác nhau: 6.949 đảng viên; 8.033 đảng viên"
    assert metrics.short_answer("“Chỉ một câu trích.” [1]") == ""
    # "8,033 đảng viên" against "8.033": 1 word of 3 said, the 1 wanted found: F1 2 * 1/3 * 1 / (4/3)
    assert metrics.token_f1("8,033 đảng viên", ["8.033"]) == 0.5
    assert metrics.token_f1("Hoàng thân Adolf", ["Adolf xứ Schaumburg", "Hoàng thân Adolf."]) == 1.0
    assert metrics.token_f1("Nhà Trắng", ["Điện Kremlin"]) == 0.0


def test_abstention_confusion_matrix():
    should = [True, True, True, False, False, False, False]
    did = [True, True, False, True, False, False, False]
    m = metrics.abstention(should, did)
    assert (m["tp"], m["fn"], m["fp"], m["tn"]) == (2, 1, 1, 3)
    assert m["precision"] == round(2 / 3, 3) and m["recall"] == round(2 / 3, 3)


def test_script_end_to_end(seeds_index, tmp_path, capsys):
    questions = tmp_path / "three.jsonl"
    rows = [
        {
            "question": "Dân số quận 1 là bao nhiêu?",
            "answers": ["141.556"],
            "sources": ["000_79b324b50acacb59.txt"],
            "kind": "number",
            "lang": "vi",
        },
        {
            "question": "Còn quận Tân Bình thì sao?",
            "answers": ["12.554"],
            "sources": ["004_d46d0592f17e5d70.txt"],
            "kind": "followup",
            "history": ["Quận 1 có bao nhiêu đảng viên?"],
        },
        {"question": "Quận 3 có bao nhiêu đảng viên?", "answers": [], "sources": [], "kind": "unanswerable"},
    ]
    questions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    out = tmp_path / "out"
    code = main(["--questions", str(questions), "--index-dir", str(seeds_index), "--out", str(out), "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["n"] == 3 and summary["answer_accuracy"] == 1.0
    assert 0.0 < summary["short_f1_on_answerable"] <= 1.0
    assert summary["abstention"]["tp"] == 1 and summary["by_kind"]["followup"]["answer_accuracy"] == 1.0
    results = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert results[1]["rewritten"] == "quận Tân Bình có bao nhiêu đảng viên?"
    assert (out / "report.md").read_text().startswith("# Evaluation")
    assert (out / "summary.png").stat().st_size > 1000


def test_sides_are_stable_and_split_about_half():
    from eval.split import side

    keys = [f"q{i}" for i in range(400)]
    sides = [side(k) for k in keys]
    assert sides == [side(k) for k in keys]  # deterministic
    assert 150 < sides.count("check") < 250


def test_a_question_moved_to_tune_stays_there(monkeypatch):
    from eval import split

    key = next(f"q{i}" for i in range(100) if split.side(f"q{i}") == "check")
    monkeypatch.setitem(split.MOVED_TO_TUNE, key, "changed for it")
    assert split.side(key) == "tune"


def test_mlqa_suite_keeps_languages_together_and_removes_whole_articles():
    import pytest

    from eval.split import side
    from eval.suite import SHARED, UNANSWERABLE_SHARE, mlqa

    if not (SHARED / "mlqa" / "questions.jsonl").exists():
        pytest.skip("the MLQA dev files (../shared/bench/mlqa) are not on this machine")
    kept, rows = mlqa()
    kept_ids = {c["id"] for c in kept}
    by_id: dict[str, list[dict]] = {}
    for r in rows:
        by_id.setdefault(r["id"].rsplit("-", 1)[0], []).append(r)
    pairs = [p for p in by_id.values() if p[0]["paired"]]
    assert pairs and all(len(p) == 2 and {r["lang"] for r in p} == {"vi", "en"} for p in pairs)
    assert all(
        side(a["split_key"]) == side(b["split_key"]) and a["answers"] == b["answers"] for a, b in pairs
    )
    assert all(len(p) == 1 and p[0]["lang"] == "vi" for p in by_id.values() if not p[0]["paired"])
    unanswerable = [r for r in rows if not r["answers"]]
    # An unanswerable question's article has no context left; an answerable one's gold is kept.
    assert all(set(r["sources"]) <= kept_ids for r in rows if r["answers"])
    titles = {c["title"] for c in kept}
    assert not any(r["split_key"] in titles for r in unanswerable)
    assert abs(len(unanswerable) / len(rows) - UNANSWERABLE_SHARE) < 0.1
    # --english-all: every question asked in English too, the same articles kept and removed
    kept_all, rows_all = mlqa(english_share=1.0)
    assert kept_all == kept and all(r["paired"] for r in rows_all)
    assert len(rows_all) == 2 * len(by_id) and {r["id"] for r in rows} <= {r["id"] for r in rows_all}


def test_unaccented_questions_are_the_vietnamese_ones_typed_without_marks():
    from eval.suite import unaccented
    from rag.reading.question import language

    rows = [
        {"question": "Quận 1 có bao nhiêu phường?", "lang": "vi"},
        {"question": "How many wards?", "lang": "en"},
    ]
    (only,) = unaccented(rows)
    assert only == {"question": "Quan 1 co bao nhieu phuong?", "lang": "vi-noaccent"}
    assert language(only["question"]) == "vi-noaccent"


def test_the_subset_table_counts_each_side_language_and_the_paired_questions():
    from eval.suite import subsets_table

    def row(qid, lang, side, correct):
        return {"id": f"{qid}-{lang}", "lang": lang, "side": side, "answerable": True, "found": True,
                "correct": correct, "citation_ok": True, "offsets_ok": True, "rr": 1.0, "hit@1": 1.0,
                "hit@5": 1.0, "latency_ms": 1.0, "kind": "other"}  # fmt: skip

    results = [row("a", "vi", "tune", True), row("a", "en", "tune", False), row("b", "vi", "tune", False)]
    lines = subsets_table("mlqa", results).splitlines()
    by_label = {line.split(" | ")[0].strip("| "): line for line in lines if line.startswith("| tune")}
    assert by_label["tune"].split(" | ")[1] == "3"
    assert by_label["tune vi, same questions as en"].split(" | ")[1] == "1"
    assert by_label["tune vi, same questions as en"].split(" | ")[4] == "1.0"  # a-vi was right
    assert by_label["tune en"].split(" | ")[4] == "0.0"


def test_two_runs_are_compared_question_by_question_with_a_sign_test(tmp_path, capsys):
    from eval import compare

    def run(name, correct):
        folder = tmp_path / name
        folder.mkdir()
        rows = [
            {"id": f"q{i}", "side": "tune", "lang": "vi", "question": f"câu {i}?", "answerable": True,
             "correct": c, "hit@1": 1.0, "found": True}
            for i, c in enumerate(correct)
        ] + [{"id": "u", "side": "tune", "lang": "vi", "question": "không có?", "answerable": False,
              "correct": True, "hit@1": 0.0, "found": False}]  # fmt: skip
        (folder / "mlqa.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
        return folder

    before = run("before", [False] * 6 + [True] * 4)
    after = run("after", [True] * 6 + [True, True, True, False])
    rows = {r["measure"]: r for r in compare.compare(before, after)}
    assert (rows["answer"]["n"], rows["answer"]["before"], rows["answer"]["after"]) == (10, 0.4, 0.9)
    assert (len(rows["answer"]["gained"]), len(rows["answer"]["lost"])) == (6, 1)
    assert rows["answer"]["p"] == round(2 * (1 + 7) / 2**7, 3)  # 6 to 1: 0.125
    assert rows["hit@1"]["gained"] == rows["hit@1"]["lost"] == [] and rows["hit@1"]["p"] == 1.0
    assert rows["declined"]["n"] == 1
    assert compare.main([str(before), str(after), "--show", "1"]) == 0
    out = capsys.readouterr().out
    assert "| mlqa | tune | vi | answer | 10 | 0.4 | 0.9 | 6 | 1 | 0.125 |" in out and "+ câu 0?" in out
    assert compare.compare(before, after, "check") == []
