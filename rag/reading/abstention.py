"""Whether the documents hold the answer: a calibrated probability, per question language.

The reader's decision features (answer.decision_features: the best sentence's coverage
of the question, its score, whether it holds a candidate of the asked type and how well
that fits, the best passage's cosine and score, the gap to the next passage, the best
sentence's rank, the span reader's belief in the chosen sentence and in the best one) go through a logistic model fit on the tune splits by
eval/train_abstain.py, which also sets the operating point. Model and threshold live in
rag/data/abstention.json; one model per language group: "vi", "noaccent" (Vietnamese typed
without diacritics, whose features run lower: its cosine to the accented text, its coverage)
and "en"; a file without a "noaccent" model answers those with the "vi" one.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

MODEL_FILE = Path(__file__).parent.parent / "data" / "abstention.json"
FEATURES = (
    "coverage", "own_coverage", "sentence_score", "typed", "fit", "missing_type",
    "top_cosine", "top_score", "gap", "best_rank", "names_present", "span", "span_top",
)  # fmt: skip
TYPED_KINDS = ("number", "date", "person", "role")


def group(lang: str) -> str:
    """The model group of a detected question language.

    >>> group("en"), group("vi-noaccent"), group("vi")
    ('en', 'noaccent', 'vi')
    """
    return {"en": "en", "vi-noaccent": "noaccent"}.get(lang, "vi")


def vector(features: dict, names: tuple[str, ...] | list[str] = FEATURES) -> list[float]:
    """The model's inputs, in `names` order (the model file's), from answer.decision_features."""
    values = dict(features)
    values["missing_type"] = float(features.get("kind") in TYPED_KINDS and not features.get("typed"))
    return [float(values.get(name, 0.0)) for name in names]


@lru_cache(maxsize=1)
def _model() -> dict:
    return json.loads(MODEL_FILE.read_text(encoding="utf-8"))


def _group_model(features: dict) -> dict:
    """The model of the question's language group, fit with the span reader on or off as it was
    for this answer (its two inputs are 0 without it, which a model fit with it misreads)."""
    data = _model()
    models = (
        data["models"] if features.get("span_reader") else data.get("models_without_spans", data["models"])
    )
    return models.get(group(str(features.get("lang", "vi")))) or models["vi"]


def probability(features: dict) -> float:
    """P(the documents hold the answer), calibrated on the tune splits.

    >>> 0.0 <= probability({"lang": "vi", "kind": "other", "coverage": 0.9}) <= 1.0
    True
    """
    m = _group_model(features)
    z = m["intercept"] + sum(
        w * (x - mu) / sd
        for w, x, mu, sd in zip(m["coef"], vector(features, m["features"]), m["mean"], m["std"])
    )
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


def holds_answer(features: dict) -> bool:
    """The operating point: answer when the probability reaches the group's threshold."""
    if features.get("empty"):
        return False
    return probability(features) >= _group_model(features)["threshold"]
