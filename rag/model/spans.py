"""The span reader: where in a passage the answer to a question is, read by a trained model.

The question and the passage are read together (a cross-encoder) by multilingual-e5-small
whose top layers were fine-tuned, with a linear head giving each token a score for
starting and for ending the answer (eval/train_reader.py; data and licences in
eval/data/reader/README.md). The lower layers are the embedding model's own, so only the
top layers and the head ship, in `rag/data/span_reader.safetensors` (float16), with the
settings that made them in its metadata. Token 0 (`<s>`) scores "no answer in this passage".

A `PassageSpans` maps the token scores back to character offsets of the passage, so the
reader can ask for the best span inside any sentence; the scoring is pure (`best_span`).
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.errors import ModelUnavailableError
from rag.model import precision as arithmetic

WEIGHTS = Path(__file__).parent.parent / "data" / "span_reader.safetensors"
FORMAT = 1
MAX_TOKENS = 256  # question and passage together
# A question is read up to this many tokens, so that a long paste leaves room for the passage
# (training questions are shorter: eval/data/reader/).
MAX_QUESTION_TOKENS = 96
MAX_ANSWER_TOKENS = 30
BELIEF_TEMPERATURE = 1.0  # the log-odds are divided by it before the logistic (chosen on tune)
# The reader's arithmetic (rag/model/precision.py): "auto" is bfloat16 where the CPU has it. On this
# project's 2-core EPYC bfloat16 reads the seeds' 4 passages 1.46x faster, the best span the same
# in 230 of 232 passages (mean |change in log-odds| 0.03); README, stop 34.
PRECISION = arithmetic.DEFAULT


@dataclass(frozen=True)
class PassageSpans:
    """The start and end scores of one passage's tokens, with their character offsets."""

    starts: np.ndarray  # (n,) score of each passage token starting the answer
    ends: np.ndarray  # (n,) ending it
    offsets: np.ndarray  # (n, 2) character offsets of each token in the passage text
    null: float  # score of "no answer in this passage" (start and end at token 0)


def best_span(spans: PassageSpans, lo: int = 0, hi: int | None = None) -> tuple[float, int, int] | None:
    """The best answer span whose characters lie in [lo, hi): (score, start, end), the score
    a log-odds against the passage's "no answer"; None when no token lies there.

    >>> s = PassageSpans(np.array([0.0, 3.0, 0.0]), np.array([0.0, 1.0, 2.0]),
    ...                  np.array([[0, 3], [4, 8], [9, 12]]), 1.0)
    >>> best_span(s), best_span(s, 9, 12)
    ((4.0, 4, 12), (1.0, 9, 12))
    """
    inside = np.flatnonzero(
        (spans.offsets[:, 0] >= lo) & (spans.offsets[:, 1] <= (hi if hi is not None else 1 << 60))
    )
    if not len(inside):
        return None
    a, b = inside[0], inside[-1] + 1
    starts, ends = spans.starts[a:b], spans.ends[a:b]
    n = b - a
    # score[i, j] = start_i + end_j for i <= j < i + MAX_ANSWER_TOKENS
    grid = starts[:, None] + ends[None, :]
    i, j = np.indices((n, n))
    grid = np.where((j >= i) & (j < i + MAX_ANSWER_TOKENS), grid, -np.inf)
    flat = int(np.argmax(grid))
    si, ej = divmod(flat, n)
    score = float(grid[si, ej]) - spans.null
    return score, int(spans.offsets[a + si, 0]), int(spans.offsets[a + ej, 1])


def run_top(layers, head, hidden, mask, config):
    """The trained part: the top encoder layers over the lower layers' output, then the head.

    Args:
        layers: the top XLM-RoBERTa layers (torch modules), in order.
        head: the linear start/end head.
        hidden: (batch, tokens, hidden) output of the frozen lower layers.
        mask: (batch, tokens) 1 for a real token, 0 for padding.
        config: the base model's config (the attention mask's form).
    Returns:
        (batch, tokens, 2) start and end scores.
    """
    from transformers.masking_utils import create_bidirectional_mask

    attn = create_bidirectional_mask(config=config, inputs_embeds=hidden, attention_mask=mask)
    for layer in layers:
        out = layer(hidden, attention_mask=attn)
        hidden = out[0] if isinstance(out, tuple) else out
    return head(hidden)


def belief(score: float) -> float:
    """The span reader's log-odds (a span against "no answer") as a probability, tempered by
    BELIEF_TEMPERATURE.

    >>> belief(0.0), round(belief(2.0 * BELIEF_TEMPERATURE), 3)
    (0.5, 0.881)
    """
    z = score / BELIEF_TEMPERATURE
    return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))


class SpanReader:
    """The span model (the one stateful part): `read_batch(question, passages)`.

    The lower layers are the embedding model's own: pass the loaded e5 model (`base`, an
    XLMRobertaModel) and its tokenizer to share them, else a copy is loaded. `precision`: see
    PRECISION."""

    def __init__(self, base=None, tokenizer=None, weights: Path = WEIGHTS, precision: str = PRECISION):
        self.bf16 = arithmetic.uses_bf16(precision)  # a bad setting is named before any loading
        try:
            import copy

            import torch
            from safetensors import safe_open
        except ImportError as exc:
            raise ModelUnavailableError(
                "the span reader needs torch and safetensors: pip install -e ."
            ) from exc
        if not weights.exists():
            raise ModelUnavailableError(f"{weights} is missing: train it with `python -m eval.train_reader`")
        with safe_open(str(weights), framework="pt") as f:
            meta = f.metadata() or {}
            state = {k: f.get_tensor(k).float() for k in f.keys()}
        if int(meta.get("format", 0)) != FORMAT:
            raise ModelUnavailableError(
                f"{weights} is format {meta.get('format')}, expected {FORMAT}: retrain it"
            )
        if base is None or tokenizer is None:
            from transformers import AutoTokenizer, XLMRobertaModel

            from rag.model.e5model import build

            location = build(progress=False)
            tokenizer = AutoTokenizer.from_pretrained(str(location))
            base = XLMRobertaModel.from_pretrained(str(location), add_pooling_layer=False)
        self.info = json.loads(meta.get("info", "{}"))
        self.frozen = int(self.info["frozen_layers"])
        self.torch, self.tokenizer, self.base = torch, tokenizer, base
        self.config = base.config
        self.layers = torch.nn.ModuleList(copy.deepcopy(base.encoder.layer[self.frozen :]))
        layer_state = {
            k[len("encoder.layer.") :]: v for k, v in state.items() if k.startswith("encoder.layer.")
        }
        renumbered = {}
        for k, v in layer_state.items():
            i, rest = k.split(".", 1)
            renumbered[f"{int(i) - self.frozen}.{rest}"] = v
        self.layers.load_state_dict(renumbered)
        self.head = torch.nn.Linear(base.config.hidden_size, 2)
        self.head.load_state_dict({"weight": state["head.weight"], "bias": state["head.bias"]})
        self.layers.eval()
        self.head.eval()
        self._lock = threading.Lock()

    def read_batch(self, question: str, passages: list[str]) -> list[PassageSpans]:
        """Start/end scores of every passage's tokens for `question` (one forward, batched)."""
        if not passages:
            return []
        torch = self.torch
        cut = self.tokenizer(
            question,
            add_special_tokens=False,
            truncation=True,
            max_length=MAX_TOKENS,
            return_offsets_mapping=True,
        )["offset_mapping"]
        if len(cut) > MAX_QUESTION_TOKENS:
            question = question[: cut[MAX_QUESTION_TOKENS - 1][1]]
        enc = self.tokenizer(
            [question] * len(passages), passages, truncation="only_second", max_length=MAX_TOKENS,
            padding=True, return_offsets_mapping=True, return_tensors="pt",
        )  # fmt: skip
        offsets = enc.pop("offset_mapping").numpy()
        seq_ids = [enc.sequence_ids(i) for i in range(len(passages))]
        mask = enc["attention_mask"]
        with self._lock, torch.inference_mode(), arithmetic.autocast(self.bf16):
            hidden = lower(self.base, enc["input_ids"], mask, self.frozen)
            logits = run_top(self.layers, self.head, hidden, mask, self.config).float().numpy()
        out = []
        for i in range(len(passages)):
            keep = np.array([s == 1 for s in seq_ids[i]])
            out.append(PassageSpans(
                logits[i, keep, 0], logits[i, keep, 1], offsets[i, keep], float(logits[i, 0, 0] + logits[i, 0, 1]),
            ))  # fmt: skip
        return out


def lower(base, input_ids, mask, frozen: int):
    """The output of the base model's embeddings and its lower `frozen` layers."""
    from transformers.masking_utils import create_bidirectional_mask

    hidden = base.embeddings(input_ids=input_ids)
    attn = create_bidirectional_mask(config=base.config, inputs_embeds=hidden, attention_mask=mask)
    for layer in base.encoder.layer[:frozen]:
        out = layer(hidden, attention_mask=attn)
        hidden = out[0] if isinstance(out, tuple) else out
    return hidden


_shared: SpanReader | None = None
_shared_lock = threading.Lock()


def available() -> bool:
    return WEIGHTS.exists()


def shared(embedder=None, precision: str = PRECISION) -> SpanReader:
    """One loaded span reader per process (the first call's `precision`); it shares the lower
    layers of `embedder` when that is the default e5 model."""
    global _shared
    with _shared_lock:
        if _shared is None:
            from rag.model.embedding import DEFAULT_MODEL

            if embedder is not None and embedder.model_id == DEFAULT_MODEL:
                _shared = SpanReader(
                    embedder.model[0].auto_model, embedder.model.tokenizer, precision=precision
                )
            else:
                _shared = SpanReader(precision=precision)
        return _shared
