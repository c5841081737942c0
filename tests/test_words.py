"""The word lists (rag/data/words.toml): each entry once, and one loader with a named error."""

from __future__ import annotations

import pytest

from rag.language.normalize import fold
from rag.language.words import WordListError, names, words

# Lists that do one job between them: an entry belongs to at most one of each group.
SAME_JOB = [
    ("honorifics.address", "honorifics.kin", "honorifics.comrade"),
    ("unit_ends.both", "unit_ends.sentence", "unit_ends.question"),
    ("offices", "titles"),
    ("countries", "places"),
    ("cues.role", "cues.date", "cues.number", "cues.person", "cues.place", "cues.list"),
    ("questions.english", "questions.english_openers"),
    ("followups.before", "followups.after", "followups.english_before"),
    ("boilerplate.lines", "boilerplate.prefixes"),
]
FOLDED = [
    "questions.openers",
    "questions.person_nouns",
    "questions.name_of",
    "questions.percent_cues",
    "followups.heads",
]


@pytest.mark.parametrize("name", names())
def test_no_list_repeats_an_entry(name):
    entries = words(name)
    assert entries, name
    assert len(set(entries)) == len(entries), [w for w in entries if entries.count(w) > 1]


@pytest.mark.parametrize("group", SAME_JOB, ids=lambda g: g[0].split(".")[0])
def test_no_entry_in_two_lists_of_one_job(group):
    seen: dict[str, str] = {}
    for name in group:
        for entry in words(name):
            key = entry.casefold()
            assert key not in seen, f"{entry!r} is in both {seen[key]} and {name}"
            seen[key] = name


def test_every_list_is_in_a_group_or_stands_alone():
    grouped = {n for g in SAME_JOB for n in g}
    assert grouped <= set(names())


@pytest.mark.parametrize("name", FOLDED)
def test_folded_lists_are_written_folded(name):
    assert [w for w in words(name) if fold(w).lower() != w] == []


def test_a_missing_list_is_a_named_error_that_lists_the_others():
    with pytest.raises(WordListError, match="honorifics.kin"):
        words("honorific")
    assert words("honorifics.comrade") == ("đồng chí",)
