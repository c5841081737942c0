"""Metric functions for answers, abstention, citations, retrieval and latency (pure)."""

from __future__ import annotations

import re

import numpy as np

from rag.language.normalize import nfc, normalize_number

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def answer_matches(text: str, accepted: list[str]) -> bool:
    """An accepted answer appears in `text`, number formats normalised.

    `8.033`, `8,033` and `8033` are one figure; a text answer matches case-insensitively.

    >>> answer_matches("8,033 đảng viên [1]", ["8.033"]), answer_matches("có 94,27%", ["94.27%"])
    (True, True)
    >>> answer_matches("80.330 người", ["8.033"])
    False
    """
    text = nfc(text)
    numbers_in_text = [normalize_number(n) for n in _NUMBER.findall(text)]
    for answer in accepted:
        answer = nfc(answer)
        if answer.lower() in text.lower():
            return True
        figures = [normalize_number(n) for n in _NUMBER.findall(answer)]
        if figures and all(f in numbers_in_text for f in figures):
            rest = _NUMBER.sub("", answer).strip(" %").lower()
            if not rest or rest in text.lower():
                return True
    return False


_MARKER = re.compile(r"\s*\[\d+\]")


def short_answer(text: str) -> str:
    """The short answer an answer text opens with: what comes before its first quote, without
    the [n] markers ("" when it opens with the quote: no short answer).

    >>> short_answer('8.033 đảng viên [1]. “Quận 1 có 8.033 đảng viên.” [1]')
    '8.033 đảng viên'
    >>> short_answer('“Câu trích.” [1]'), short_answer("Không có trong tài liệu.")
    ('', 'Không có trong tài liệu')
    """
    head = text.split("“", 1)[0]
    return " ".join(_MARKER.sub("", head).split()).strip(" .;")


def _answer_words(text: str) -> list[str]:
    """Lower-cased words without punctuation, numbers canonical (SQuAD-style normalisation)."""
    text = _NUMBER.sub(lambda m: normalize_number(m.group()), nfc(text).lower())
    return re.findall(r"[^\W_]+", text)


def token_f1(predicted: str, accepted: list[str]) -> float:
    """The best word-overlap F1 of `predicted` against the accepted answers (as SQuAD and MLQA
    score a short answer; punctuation and case ignored, `8.033` = `8,033`).

    >>> token_f1("năm 1949", ["1949,"]), token_f1("Somalia", ["Somalia."]), token_f1("", ["x"])
    (0.667, 1.0, 0.0)
    """
    got = _answer_words(predicted)
    best = 0.0
    for answer in accepted:
        want = _answer_words(answer)
        common = sum(min(got.count(w), want.count(w)) for w in set(want))
        if common:
            p, r = common / len(got), common / len(want)
            best = max(best, 2 * p * r / (p + r))
    return round(best, 3)


def reciprocal_rank(ranked: list[str], relevant: set[str], k: int = 10) -> float:
    """1/rank of the first relevant item in the top k, else 0.

    >>> reciprocal_rank(["a", "b", "c"], {"c"}), reciprocal_rank(["a"], {"z"})
    (0.3333333333333333, 0.0)
    """
    for i, item in enumerate(ranked[:k]):
        if item in relevant:
            return 1.0 / (i + 1)
    return 0.0


def hit_at(ranked: list[str], relevant: set[str], k: int) -> float:
    return float(any(item in relevant for item in ranked[:k]))


def ranked_sources(passages) -> list[str]:
    """Distinct sources in rank order (several chunks of one passage count once)."""
    return list(dict.fromkeys(p.source for p in passages))


def retrieval_metrics(rankings: list[list[str]], golds: list[set[str]]) -> dict[str, float]:
    """Mean hit@1/5/10 and MRR@10 over ranked source lists.

    >>> retrieval_metrics([["a", "b"], ["c", "d"]], [{"b"}, {"x"}])
    {'hit@1': 0.0, 'hit@5': 0.5, 'hit@10': 0.5, 'mrr@10': 0.25}
    """
    n = max(len(rankings), 1)
    pairs = list(zip(rankings, golds))
    out = {f"hit@{k}": sum(hit_at(r, g, k) for r, g in pairs) / n for k in (1, 5, 10)}
    out["mrr@10"] = sum(reciprocal_rank(r, g) for r, g in pairs) / n
    return {k: round(v, 3) for k, v in out.items()}


def abstention(should_abstain: list[bool], abstained: list[bool]) -> dict[str, float | int]:
    """Confusion counts and precision/recall of saying "not in the documents".

    >>> abstention([True, True, False, False], [True, False, True, False])
    {'tp': 1, 'fp': 1, 'fn': 1, 'tn': 1, 'precision': 0.5, 'recall': 0.5}
    """
    tp = sum(s and a for s, a in zip(should_abstain, abstained))
    fp = sum(a and not s for s, a in zip(should_abstain, abstained))
    fn = sum(s and not a for s, a in zip(should_abstain, abstained))
    tn = sum(not s and not a for s, a in zip(should_abstain, abstained))
    return {
        "tp": tp, "fp": fp, "fn": fn, "tn": tn,
        "precision": round(tp / (tp + fp), 3) if tp + fp else 1.0,
        "recall": round(tp / (tp + fn), 3) if tp + fn else 1.0,
    }  # fmt: skip


def abstention_mix(confusion: dict) -> dict[str, float]:
    """What the share of unanswerable questions does to abstention precision (`abstention`'s
    counts in): `precision_ceiling`, the best precision possible with this many answerable
    questions declined (every unanswerable one declined too); `precision_even_mix`, the
    precision the same recall and false-decline rate give when answerable and unanswerable
    questions are equally many. Nothing when no question was unanswerable.

    >>> abstention_mix({"tp": 16, "fp": 14, "fn": 13, "tn": 181})
    {'precision_ceiling': 0.674, 'precision_even_mix': 0.885}
    >>> abstention_mix({"tp": 0, "fp": 0, "fn": 0, "tn": 70})
    {}
    """
    tp, fp, fn, tn = (confusion[k] for k in ("tp", "fp", "fn", "tn"))
    unanswerable = tp + fn
    if not unanswerable:
        return {}
    recall = tp / unanswerable
    false_rate = fp / (fp + tn) if fp + tn else 0.0
    return {
        "precision_ceiling": round(unanswerable / (unanswerable + fp), 3),
        "precision_even_mix": round(recall / (recall + false_rate), 3) if recall + false_rate else 1.0,
    }


def latency(ms: list[float]) -> dict[str, float]:
    """Median and 95th percentile, in milliseconds.

    >>> latency([10, 20, 30, 40, 100])
    {'median_ms': 30.0, 'p95_ms': 88.0}
    """
    if not ms:
        return {"median_ms": 0.0, "p95_ms": 0.0}
    return {"median_ms": round(float(np.median(ms)), 1), "p95_ms": round(float(np.percentile(ms, 95)), 1)}
