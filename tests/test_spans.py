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
