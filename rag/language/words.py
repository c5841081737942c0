"""The word lists of the reading rules, read once from rag/data/words.toml.

A list is named by its key, with its table before a dot when it sits in one:
`words("honorifics")`, `words("unit_ends.both")`, `words("cues.role")`.
"""

from __future__ import annotations

import tomllib
from functools import cache, lru_cache
from pathlib import Path

from rag.errors import RagError

WORDS_FILE = Path(__file__).parent.parent / "data" / "words.toml"


class WordListError(RagError, KeyError):
    """A word list is missing from rag/data/words.toml, or is not a list of strings."""

    def __str__(self) -> str:  # KeyError would print the message quoted
        return str(self.args[0])


@lru_cache(maxsize=1)
def _file() -> dict:
    with WORDS_FILE.open("rb") as f:
        return tomllib.load(f)


def names() -> tuple[str, ...]:
    """Every list in the file, by the name `words` takes.

    >>> "family_names" in names(), "unit_ends.both" in names(), "honorifics" in names()
    (True, True, False)
    """

    def walk(table: dict, prefix: str) -> list[str]:
        out = []
        for key, value in table.items():
            out += walk(value, f"{prefix}{key}.") if isinstance(value, dict) else [prefix + key]
        return out

    return tuple(walk(_file(), ""))


@cache
def words(name: str) -> tuple[str, ...]:
    """The entries of one list, in the file's order.

    Args:
        name: the list's key, after its table and a dot when it sits in one.

    Returns:
        The entries as written in the file.

    Raises:
        WordListError: when no such list exists; the message names the lists that do.

    >>> words("not_person_openers")
    ('báo', 'trường')
    >>> words("unit_end")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    rag.language.words.WordListError: no word list 'unit_end' in words.toml; ...
    """
    value: object = _file()
    for key in name.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
        raise WordListError(
            f"no word list {name!r} in {WORDS_FILE.name}; the lists are: {', '.join(names())}"
        )
    return tuple(value)
