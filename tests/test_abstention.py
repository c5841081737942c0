"""The calibrated abstention model as shipped (rag/data/abstention.json), on worked feature sets."""

from rag.reading.abstention import FEATURES, holds_answer, probability, vector

CLOSE = {"lang": "vi", "kind": "other", "coverage": 0.9, "own_coverage": 0.8, "sentence_score": 0.9,
         "top_cosine": 0.9, "top_score": 6.0, "gap": 2.0, "best_rank": 0, "names_present": 1.0}  # fmt: skip
FAR = CLOSE | {"coverage": 0.2, "own_coverage": 0.1, "sentence_score": 0.3, "top_cosine": 0.78,
               "top_score": 1.0, "gap": 0.0}  # fmt: skip


def test_a_passage_close_to_the_question_is_answered_and_a_far_one_is_not():
    assert probability(CLOSE) > probability(FAR)
    assert holds_answer(CLOSE) and not holds_answer(FAR)


def test_an_empty_reading_never_answers():
    assert not holds_answer({"lang": "en", "empty": 1.0})


def test_a_typed_question_without_a_candidate_is_marked():
    x = dict(zip(FEATURES, vector({"lang": "vi", "kind": "number", "typed": 0.0})))
    assert x["missing_type"] == 1.0
    assert dict(zip(FEATURES, vector({"lang": "vi", "kind": "other"})))["missing_type"] == 0.0


def test_unaccented_questions_have_their_own_model_and_a_file_without_it_falls_back(monkeypatch):
    import rag.reading.abstention as abstention

    data = abstention._model()
    assert "noaccent" in data["models"], "refit with eval/results-unaccented (python -m eval.train_abstain)"
    plain = CLOSE | {"lang": "vi-noaccent", "span_reader": 1.0}
    assert abstention._group_model(plain) is data["models"]["noaccent"]
    without = {"models": {g: m for g, m in data["models"].items() if g != "noaccent"}}
    monkeypatch.setattr(abstention, "_model", lambda: without)
    assert abstention._group_model(plain) is without["models"]["vi"]
