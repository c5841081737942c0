"""Tune / check discipline: every dev set is split, deterministically, into two sides.

Every weight, threshold and rule is chosen on the *tune* side; the *check* side is only
reported. The side of a question is decided by a hash of a stable key (its id, or for
MLQA its article title, so all questions of one article, in Vietnamese and in English,
stay together), never by anything a change could move.

The rule that keeps the check side honest: when a change is made because of a check
question (you read it, its answer, or its failure, and changed code or data for it),
that question moves to tune. Add its key to `MOVED_TO_TUNE` below with the date and the
reason, in the same commit as the change. Questions never move the other way.
"""

from __future__ import annotations

import hashlib

SALT = "rag-vi tune/check v1"
CHECK_SHARE = 0.5  # half of each set is held out
# key -> why it moved (see the module docstring).
MOVED_TO_TUNE: dict[str, str] = {
    "l34": "stop 15: its answer showed an empty list item (a clause number '1.' read as a sentence "
    "of its own), which answer.with_list was then fixed for",
    "Bruce Springsteen": "stop 19: 'bao nhiêu triệu bản ghi' was read as counting 'triệu bản', "
    "so '65 triệu album' was no answer; what a count is scaled by (words.toml answers.magnitudes) "
    "was then taken off what it counts, and a figure of a one-word unit kept beside a counted "
    "thing the passages name (evidence._best_candidate)",
    "Lịch sử Úc": "stop 19: 'bao nhiêu người Úc' was read as counting 'người Úc', so '15.000 binh "
    "sĩ Úc' was no answer; a capitalised word then ended what a question counts "
    "(question.counted_head)",
    "Tokyo": "stop 17: 'What city is the Association headquarters in?' was declined when a named "
    "city had to be written in its document ('What' read as the city's name), which "
    "subjects.places was then fixed for",
    "Bradysaurus": "stop 28: a 'when' answered 'ngay cả rất sớm' (a time in words) was declined by a "
    "first rule that a 'when' needs a dated sentence; the rule then became answers.time_words",
    "Owen (súng tiểu liên)": "stop 28: 'vũ khí nào' (which weapon) was read as 'khi nào' (when), "
    "folded; accented questions' cues are then matched as written (question.answer_kind)",
}


def bucket(key: str, salt: str = SALT) -> float:
    """A stable number in [0, 1) for `key` (sha1 of salt and key).

    >>> bucket("q1") == bucket("q1"), 0.0 <= bucket("q1") < 1.0
    (True, True)
    """
    digest = hashlib.sha1(f"{salt}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def side(key: str) -> str:
    """ "tune" or "check" for a question's split key.

    >>> sorted({side(f"q{i}") for i in range(20)})
    ['check', 'tune']
    """
    if key in MOVED_TO_TUNE:
        return "tune"
    return "check" if bucket(key) < CHECK_SHARE else "tune"


def by_side(rows: list[dict], key) -> dict[str, list[dict]]:
    """Rows grouped by side; `key(row)` gives the split key."""
    out: dict[str, list[dict]] = {"tune": [], "check": []}
    for row in rows:
        out[side(key(row))].append(row)
    return out
