"""The answering sentence chosen by boosted trees (rag/reading/choice.py, rag/data/choice.json)."""

import json

import numpy as np
import pytest

from rag.errors import ModelUnavailableError
from rag.reading import choice

# What the reader scored for two sentences: one the question's words and the span reader point
# to, one that shares little with the question and that the span reader did not read.
CLOSE = {"x": [0.6, 0.6, 0.7, 1.0, 0.0, 1.0, 0.5, 1.0, 0.0, 0.0, 1.0], "typed": True, "score": 0.8,
         "candidate_score": 0.74, "belief": 1.0, "span_score": 12.0}  # fmt: skip
FAR = {"x": [0.1, 0.1, 0.2, 0.4, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0], "typed": False, "score": 0.2,
       "candidate_score": 0.0, "belief": 0.0, "span_score": None}  # fmt: skip


def test_the_shipped_trees_take_the_sentence_the_reader_points_to():
    assert choice.model() is not None, "fit it: python -m eval.train_choice --results <suite run> --write"
    for english in (False, True):
        # the hand-set reader's choice (`hand`) gives way to a clearly better sentence ...
        assert choice.choose([FAR, CLOSE], english, hand=0) == 1
        assert choice.choose([CLOSE, FAR], english, hand=1) == 0
        # ... and stands when it is that sentence, or when only the other one may answer
        assert choice.choose([FAR, CLOSE], english, hand=1) == 1
        assert choice.choose([CLOSE, FAR], english, hand=1, only=[False, True]) == 1
    assert choice.choose([CLOSE], False, hand=0) == 0


def test_the_inputs_begin_with_the_reader_s_selection_features():
    from rag.reading.answer import SELECTION_FEATURES

    assert choice.SELECTED == len(SELECTION_FEATURES)
    assert choice.features([CLOSE], english=False).shape == (1, choice.INPUTS)


def test_exported_trees_score_as_scikit_learn_does():
    from eval.train_choice import export, fit

    rng = np.random.default_rng(0)
    rows = []
    for _ in range(40):
        x = rng.normal(size=(6, choice.INPUTS))
        rows.append({"x": x, "y": (x[:, 0] + 0.5 * x[:, 3] > 0.8).astype(float)})
    clf = fit(rows, (30, 3, 0.1, 5))
    x = np.vstack([r["x"] for r in rows])
    assert np.allclose(choice.tree_scores(export(clf), x), clf.decision_function(x))


def test_a_file_fit_for_other_inputs_says_how_to_fit_it_again(tmp_path, monkeypatch):
    stale = tmp_path / "choice.json"
    stale.write_text(json.dumps({"format": choice.FORMAT, "inputs": 5, "baseline": 0.0, "trees": []}))
    monkeypatch.setattr(choice, "CHOICE_FILE", stale)
    choice.model.cache_clear()
    try:
        with pytest.raises(ModelUnavailableError, match="eval.train_choice"):
            choice.choose([CLOSE, FAR], False, hand=0)
    finally:
        choice.model.cache_clear()


def test_the_trace_holds_the_hand_set_choice_the_trainer_replays(assistant):
    # eval/train_choice.py reads the hand-set reader's choice from the trace, as the assistant made
    # it, and the sentences allowed: a question counting wards lets only a figure's sentence answer.
    from eval.train_choice import _hand

    for question in ("Quận 1 có bao nhiêu phường?", "Ai là Bí thư Quận ủy quận 1?"):
        trace: dict = {}
        answer = assistant.ask(question, trace=trace)
        made, evidence = trace["choice"], trace["evidence"]
        assert answer.found and 0 <= made["hand"] < len(evidence)
        assert made["only"] is None or made["only"] == [e["candidate"] is not None for e in evidence]
        assert evidence[made["hand"]]["typed"], evidence[made["hand"]]
        assert isinstance(_hand(evidence, english=False), int)
