"""The span reader: its pure span scoring, and the trained model on seed passages."""

from __future__ import annotations

import numpy as np
import pytest

from rag.model import spans


def _spans(starts, ends, offsets, null=0.0):
    return spans.PassageSpans(np.array(starts, float), np.array(ends, float), np.array(offsets), null)


def test_best_span_takes_the_best_start_and_end_in_order_within_the_range():
    s = _spans([0, 5, 0, 1], [0, 0, 4, 9], [[0, 2], [3, 5], [6, 9], [10, 12]], null=2.0)
    assert spans.best_span(s) == (12.0, 3, 12)  # start at token 1 (5), end at token 3 (9), minus null 2
    assert spans.best_span(s, 6, 12) == (8.0, 10, 12)  # tokens 2-3 only: start 1 + end 9 - 2
    assert spans.best_span(s, 20, 30) is None  # no token there


def test_an_end_before_its_start_or_too_far_is_never_taken():
    s = _spans([0, 0, 9], [8, 0, 0], [[0, 1], [2, 3], [4, 5]])
    score, a, b = spans.best_span(s)
    assert (a, b) == (4, 5)  # the high end at token 0 lies before the high start at token 2
    long = _spans([5] + [0] * 40, [0] * 40 + [5], [[i, i + 1] for i in range(41)])
    assert spans.best_span(long)[2] - spans.best_span(long)[1] <= spans.MAX_ANSWER_TOKENS


def test_belief_is_the_logistic_of_the_log_odds():
    assert spans.belief(0.0) == 0.5
    assert spans.belief(100.0) == pytest.approx(1.0)
    assert spans.belief(-3.0) == pytest.approx(1 / (1 + np.exp(3.0)))


PARTY = (
    "Đảng bộ quận 1 hiện có 51 tổ chức cơ sở đảng, gồm 23 chi bộ cơ sở và 28 đảng bộ cơ sở (337 chi bộ "
    "trực thuộc, trong đó có 01 đảng bộ bộ phận khu phố với 03 chi bộ trực thuộc) với 8.033 đảng viên."
)
MEETING = "Ban Tuyên giáo Thành ủy tổ chức hội nghị trực tuyến quán triệt các nghị quyết của Trung ương cho cán bộ chủ chốt."


@pytest.fixture(scope="module")
def reader():
    if not spans.available():
        pytest.skip("rag/data/span_reader.safetensors is not in this checkout")
    return spans.SpanReader()


@pytest.mark.parametrize(
    "question", ["Quận 1 có bao nhiêu đảng viên?", "How many party members does District 1 have?"]
)
def test_the_trained_reader_believes_the_passage_that_answers_and_not_an_unrelated_one(reader, question):
    party, meeting = reader.read_batch(question, [PARTY, MEETING])
    best = spans.best_span(party)
    assert spans.belief(best[0]) > 0.9
    assert PARTY[best[1] : best[2]].strip() != ""
    assert spans.belief(spans.best_span(meeting)[0]) < 0.5
    assert all(0 <= a <= b <= len(PARTY) for a, b in party.offsets)  # offsets into the passage text


def test_sharing_the_embedding_models_layers_reads_as_a_copy_does(reader):
    from rag.model.embedding import shared

    embedder = shared()
    twin = spans.SpanReader(embedder.model[0].auto_model, embedder.model.tokenizer)
    a = reader.read_batch("Quận 1 có bao nhiêu đảng viên?", [PARTY, MEETING])
    b = twin.read_batch("Quận 1 có bao nhiêu đảng viên?", [PARTY, MEETING])
    for x, y in zip(a, b):
        np.testing.assert_allclose(x.starts, y.starts, atol=1e-4)
        np.testing.assert_allclose(x.ends, y.ends, atol=1e-4)
        assert x.null == pytest.approx(y.null, abs=1e-4)


@pytest.fixture(scope="module")
def exact(reader):
    """The same reader in float32 (the default may read in bfloat16: spans.PRECISION)."""
    return spans.SpanReader(reader.base, reader.tokenizer, precision="fp32")


@pytest.mark.parametrize("precision, tolerance", [("fp32", 1e-3), ("bf16", 0.1)])
def test_a_batch_reads_each_passage_as_alone(reader, precision, tolerance):
    """Padding in a batch must not change a passage's scores (the reader batches the top passages)."""
    model = spans.SpanReader(reader.base, reader.tokenizer, precision=precision)
    alone = model.read_batch("Quận 1 có bao nhiêu đảng viên?", [MEETING])[0]
    batched = model.read_batch("Quận 1 có bao nhiêu đảng viên?", [PARTY, MEETING])[1]
    np.testing.assert_allclose(alone.starts, batched.starts, atol=tolerance)


@pytest.mark.parametrize(
    "question", ["Quận 1 có bao nhiêu đảng viên?", "How many party members does District 1 have?"]
)
def test_bfloat16_reads_the_span_float32_reads(exact, question):
    half = spans.SpanReader(exact.base, exact.tokenizer, precision="bf16")
    for a, b in zip(
        exact.read_batch(question, [PARTY, MEETING]), half.read_batch(question, [PARTY, MEETING])
    ):
        assert spans.best_span(a)[1:] == spans.best_span(b)[1:]
        assert spans.best_span(a)[0] == pytest.approx(spans.best_span(b)[0], abs=0.25)


def test_a_precision_that_does_not_exist_is_named(tmp_path):
    from rag.errors import SettingError
    from rag.model import precision

    with pytest.raises(SettingError, match="auto, bf16 or fp32"):
        precision.uses_bf16("fp16")
    assert precision.native_bf16(tmp_path / "missing") is False
    (tmp_path / "cpuinfo").write_text("flags\t\t: fpu avx2 avx512f avx512_bf16\n")
    assert precision.native_bf16(tmp_path / "cpuinfo") is True
    (tmp_path / "cpuinfo").write_text("flags\t\t: fpu avx2 avx512f\n")
    assert precision.native_bf16(tmp_path / "cpuinfo") is False


def test_the_span_reader_can_be_turned_off_from_the_environment(tmp_path, monkeypatch):
    from rag import Assistant

    (tmp_path / "a.txt").write_text("Quận 1 có 8.033 đảng viên.", encoding="utf-8")
    monkeypatch.setenv("RAG_SPAN_READER", "0")
    off = Assistant.build([tmp_path / "a.txt"], tmp_path / "index")
    assert off.span_reader is None
    assert off.ask("Quận 1 có bao nhiêu đảng viên?").found
    monkeypatch.delenv("RAG_SPAN_READER")
    on = Assistant.load(tmp_path / "index")
    assert on.use_span_reader == spans.available()
