"""The English -> Vietnamese word list (rag/data/en_vi.tsv) and what an English question asks
the word index with it."""

import unicodedata

import pytest

from rag.language import glossary
from rag.language.normalize import fold, terms
from rag.reading import evidence
from rag.reading.question import analyse, lexical_query


def test_the_list_is_two_columns_of_nfc_text_with_its_provenance_beside_it():
    lines = glossary.GLOSSARY_FILE.read_text(encoding="utf-8").splitlines()
    assert len(lines) > 20000
    for line in lines:
        english, vietnamese = line.split("\t")
        assert english == english.lower() and vietnamese == unicodedata.normalize("NFC", vietnamese)
    readme = glossary.GLOSSARY_FILE.with_name("en_vi.README.md").read_text(encoding="utf-8")
    assert "CC BY-SA" in readme and "74c2c11f3398606ef334dd6d0d3ecb9555a44faf" in readme


def test_words_phrases_and_inflections_are_looked_up():
    assert "dân số" in glossary.translate(["population"], 3)
    assert "thành viên" in glossary.translate(["members"], 3)  # inflected: listed as "member"
    assert glossary.translate(["ho", "chi", "minh", "city"], 1) == [
        "Thành phố Hồ Chí Minh"
    ]  # whole phrase first
    assert glossary.translate(["zzzz"], 3) == []
    assert glossary.translate(["the", "city"], 1, skip=frozenset({"the"})) == ["thành phố"]


def test_a_gloss_that_is_not_vietnamese_is_dropped():
    table = glossary.table()
    assert all(glossary._vietnamese(t) for ts in table.values() for t in ts)
    assert "not used in vietnamese" not in table.get("the", ())


def test_an_english_question_asks_the_word_index_its_names_and_their_translations():
    query = lexical_query("What is the population of District 1?")
    assert query.startswith("District 1 ") and "dan so" in query and "quan" in query
    assert lexical_query("Dân số quận 1 là bao nhiêu?") == "Dân số quận 1 là bao nhiêu?"


def test_an_english_question_finds_the_passage_its_translated_words_name(assistant):
    hits = assistant.search("What is the population of District 1?", k=3)
    assert any("141.556" in p.text for p in hits)


def test_frequent_words_the_list_lacks_are_written_by_hand_and_fill_its_gaps():
    lines = glossary.COMMON_FILE.read_text(encoding="utf-8").splitlines()
    wiktionary = {
        line.split("\t")[0] for line in glossary.GLOSSARY_FILE.read_text(encoding="utf-8").splitlines()
    }
    for line in lines:
        english, vietnamese = line.split("\t")
        assert english == english.lower() and vietnamese == unicodedata.normalize("NFC", vietnamese)
        assert english not in wiktionary  # a gap filled, never a second opinion
    readme = glossary.GLOSSARY_FILE.with_name("en_vi.README.md").read_text(encoding="utf-8")
    assert "en_vi_common.tsv" in readme and "wordfreq" in readme
    # "join" was not asked at all; now "gia nhập" finds "Latvia gia nhập Liên minh châu Âu"
    assert "gia nhap" in lexical_query("When did Latvia join the European Union?")


def test_inflected_and_possessive_words_are_looked_up_under_their_headword():
    assert glossary.translate(["zoo's"], 1) == glossary.translate(["zoo"], 1) != []
    assert glossary.translate(["died"], 1) == glossary.translate(["die"], 1) != []
    assert glossary.translate(["largest"], 1) == glossary.translate(["large"], 1) != []
    assert glossary.translate(["announced"], 1) == ["công bố"]
    assert "sử dụng" in glossary.translate(["used"], 4)  # "use", not "us"


@pytest.mark.parametrize(
    ("question", "expected"),
    [("When was the fort built?", "năm 1541"), ("When was the city founded?", "năm 1520")],
)
def test_an_english_question_takes_the_date_its_translated_words_are_written_beside(question, expected):
    # stop 23: an English question's own words never occur in Vietnamese text, so it took the
    # first date of the sentence whatever it asked; its words' translations now say which
    # ("xây dựng" beside 1541, "thành lập" beside 1520), as a Vietnamese question's words do
    sentence = "Thành phố được thành lập năm 1520 và pháo đài được xây dựng năm 1541."
    q = analyse(question)
    words = [fold(w).lower() for w in terms(sentence)]
    near = evidence.figure_weights(q, {t: 1.0 for t in q.content}, lambda t: 1.0)
    found = evidence._best_candidate(q, sentence, words, near, lambda t: 1.0)
    assert found is not None and found[0].text == expected


def test_an_english_question_is_searched_beside_its_vietnamese_rendering(assistant):
    from dataclasses import replace

    from rag.reading.question import vietnamese_rendering
    from rag.search.retrieval import Retriever

    english, vietnamese = "How many party members does District 1 have?", "Quận 1 có bao nhiêu đảng viên?"
    rendering = vietnamese_rendering(english)
    assert "đảng viên" in rendering and "1" in rendering.split() and vietnamese_rendering(vietnamese) == ""
    with_it = assistant.retriever
    without = Retriever(with_it.embedder, replace(with_it.settings, english_rendering=0.0))
    target = with_it.embedder.embed_query(rendering)
    joined, alone = with_it.query_vectors([english])[0], without.query_vectors([english])[0]
    assert abs(float(joined @ joined) - 1.0) < 1e-4
    assert float(joined @ target) > float(alone @ target) + 0.05
    assert (with_it.query_vectors([vietnamese]) == without.query_vectors([vietnamese])).all()
