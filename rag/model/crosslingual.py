"""An English question moved towards Vietnamese in the embedding space.

multilingual-e5 puts a question and its translation near each other, but not on each other:
every English text sits a little way off in one shared direction, the same for all of them, so
an English question is a little less close to the Vietnamese passage that answers it than the
Vietnamese question is. That direction is the difference between the mean embedding of
Vietnamese sentences and of their English translations (`rag/data/en_vi_shift.json`, computed by
`python -m eval.train_shift` from public parallel sentences; provenance in that file and in
`eval/data/parallel/README.md`). Adding it to an English question's vector, then normalising,
reads the question as if it were written in Vietnamese; the rest of the vector, what it asks,
is left as it was.

The direction belongs to one model: the file records the fingerprint of the weights it was
computed with, and any other model (`rag index --model`) gets its vectors as they are.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np

SHIFT_FILE = Path(__file__).resolve().parent.parent / "data" / "en_vi_shift.json"


@cache
def _shifts() -> dict[str, np.ndarray]:
    if not SHIFT_FILE.exists():
        return {}
    data = json.loads(SHIFT_FILE.read_text(encoding="utf-8"))
    return {m["model_fingerprint"]: np.asarray(m["vector"], dtype=np.float32) for m in data["models"]}


def shift(fingerprint: str) -> np.ndarray | None:
    """The English -> Vietnamese direction of the model with this fingerprint (None: unknown)."""
    return _shifts().get(fingerprint)


def moved(vectors: np.ndarray, direction: np.ndarray, weight: float) -> np.ndarray:
    """`vectors` (one or a stack, normalised) + `weight` × `direction`, normalised again.

    >>> [round(float(x), 3) for x in moved(np.array([1.0, 0.0]), np.array([0.0, 1.0]), 1.0)]
    [0.707, 0.707]
    """
    shifted = vectors + weight * direction
    return (shifted / np.linalg.norm(shifted, axis=-1, keepdims=True)).astype(np.float32)


def toward_vietnamese(vectors: np.ndarray, fingerprint: str, weight: float) -> np.ndarray:
    """`vectors` moved by `weight` along the direction of the model with this fingerprint; as they
    are for weight 0 or a model with no direction recorded.

    >>> toward_vietnamese(np.array([1.0, 0.0], dtype=np.float32), "no such model", 1.0).tolist()
    [1.0, 0.0]
    """
    direction = shift(fingerprint)
    if not weight or direction is None or direction.shape[-1] != vectors.shape[-1]:
        return vectors
    return moved(vectors, direction, weight)
