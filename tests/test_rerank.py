"""Answer-type aware re-ranking on a worked example (pure functions, no model)."""

from rag.reading.evidence import Reader
from rag.records import Passage
from rag.search.rerank import Weights, keyword_soup, rerank_weighted

QUESTION = "Cha của Messi là ai"
TEXTS = [
    "Messi cha Messi con trai Messi cha con Messi",  # a keyword block
    "Cha của Messi / Lionel Messi / Barcelona / Argentina",  # a tag line
    "Cha của Messi là ai ?",  # restates the question
    "Trước đây , cha của Messi là ông Jorge luôn khẳng định con trai mình vô can .",  # the answer
]


def passages(scores):
    return [Passage(f"p{i}", t, 0, len(t), score=s) for i, (t, s) in enumerate(zip(TEXTS, scores))]


SCORES = [1.0, 0.6, 1.0, 0.5]  # fused scores: the blocks and the restatement look closer


def rerank(question, passages, coverage, typed, base, soup, grade=True):
    """The hand-set form: the typed bonus is typed * (base + fit)."""
    weights = Weights(coverage, typed * base, typed, soup)
    return rerank_weighted(Reader(question, lambda t: 1.0), passages, weights, grade)


def test_the_answer_outranks_keywords_tags_and_restatements():
    ranked = rerank(QUESTION, passages(SCORES), 2.0, 1.5, 0.5, 1.0)
    assert [p.source for p in ranked][:1] == ["p3"]
    assert ranked[-1].source in ("p0", "p2")  # no evidence sentence, no candidate


def test_a_question_in_the_text_is_not_evidence():
    sources = {e.passage.source for e in Reader(QUESTION, lambda t: 1.0).evidence(passages(SCORES))}
    assert "p2" not in sources and "p3" in sources


def test_the_soup_penalty_is_what_puts_the_answer_above_the_tag_line():
    # The tag line holds a name too ("Lionel Messi"); without the penalty it wins.
    without = rerank(QUESTION, passages(SCORES), 2.0, 1.5, 0.5, 0.0)
    assert without[0].source == "p1"


def test_grading_rewards_the_candidate_that_fits_the_question():
    # Two sentences with a name; only one says "cha của Messi" next to it.
    texts = ["Ông Jorge , cha của Messi , đã lên tiếng .", "Ông Ronaldo nói về Messi và cha mình hôm qua ."]
    ps = [Passage(f"q{i}", t, 0, len(t), score=1.0) for i, t in enumerate(texts)]
    graded = rerank(QUESTION, list(reversed(ps)), 0.0, 1.5, 0.5, 0.0)
    assert graded[0].source == "q0" and graded[0].score > graded[1].score
    flat = rerank(QUESTION, ps, 0.0, 1.5, 0.5, 0.0, grade=False)
    assert flat[0].score == flat[1].score  # ungraded: any typed candidate earns the same


def test_keyword_soup_scores():
    assert keyword_soup(TEXTS[0]) == 1.0 and keyword_soup(TEXTS[1]) == 1.0
    assert keyword_soup(TEXTS[3]) == 0.0
    # Prose without punctuation that does not repeat itself is not a keyword block.
    assert keyword_soup("Tổng thống Iran Hassan Rouhani sẽ thăm Iraq vào tuần tới") == 0.0


def test_a_second_reading_by_the_same_reader_scores_alike():
    # ask() re-ranks 30 passages, then answers from the best 8 with new scores: the reader
    # keeps what each passage says, the scores must still follow the passages given.
    reader = Reader(QUESTION, lambda t: 1.0)
    first = reader.evidence(passages(SCORES))
    assert first
    rescored = passages([0.2, 0.9, 0.1, 3.0])
    plain = Reader(QUESTION, lambda t: 1.0).evidence(rescored)
    again = reader.evidence(rescored)
    assert [(e.passage.source, e.score, e.candidate, e.candidate_score) for e in again] == [
        (e.passage.source, e.score, e.candidate, e.candidate_score) for e in plain
    ]
    assert plain[-1].candidate is not None and plain[-1].candidate.text == "Jorge"
