from rag.reading.followup import rewrite, subject


def test_follow_up_takes_the_place_of_the_previous_subject():
    assert rewrite("Còn quận Tân Bình thì sao?", ["Quận 1 có bao nhiêu đảng viên?"]) == (
        "quận Tân Bình có bao nhiêu đảng viên?"
    )
    assert rewrite("What about District 3?", ["How many party members are there in District 1?"]) == (
        "How many party members are there in District 3?"
    )
    # "Quận ủy" is not the subject: the district after it is.
    assert rewrite("Còn quận Tân Bình thì sao?", ["Ai là Bí thư Quận ủy quận 1?"]) == (
        "Ai là Bí thư Quận ủy quận Tân Bình?"
    )
    # A bare name keeps the previous head noun.
    assert (
        rewrite("còn Tân Bình?", ["Quận 1 có bao nhiêu đảng viên?"])
        == "Quận Tân Bình có bao nhiêu đảng viên?"
    )


def test_standalone_questions_are_left_alone():
    history = ["Quận 1 có bao nhiêu đảng viên?"]
    assert rewrite("Dân số quận 1 là bao nhiêu?", history) == "Dân số quận 1 là bao nhiêu?"
    assert rewrite("Còn quận Tân Bình thì sao?", []) == "Còn quận Tân Bình thì sao?"
    assert subject("Quận Tân Bình có bao nhiêu chi bộ trực thuộc và bao nhiêu đảng viên?") is None


def test_follow_up_through_the_assistant(assistant):
    answer = assistant.ask("Còn quận Tân Bình thì sao?", history=["Quận 1 có bao nhiêu đảng viên?"])
    assert answer.rewritten == "quận Tân Bình có bao nhiêu đảng viên?"
    assert "12.554" in answer.text and answer.citations[0].source == "004_d46d0592f17e5d70.txt"
