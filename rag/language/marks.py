"""Put back the diacritics of a question typed without them, from the text it will be read against.

"quan 1 co bao nhieu dang vien" folds the same way as "Quận 1 có bao nhiêu đảng viên" and as
"quán 1 cô bảo nhiều đang viện"; the passages the word index finds for it say which. Every
folded word takes one of the forms those passages write it in, chosen with its neighbours: the
likeliest sequence under a model of adjacent pairs counted in the passages (each pair of folded
words a distribution over its pairs of forms, smoothed towards the two forms' shares among the
forms of their folded words), decoded by Viterbi. A word the passages
never write stays as it was typed. Pure functions: the table is built from whatever text is
given (the retriever gives it the passages the question's words find, rag/search/retrieval.py).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from rag.language.normalize import fold, has_diacritics, nfc

_WORD = re.compile(r"\w+", re.UNICODE)
_CLAUSE = re.compile(r"[^\w\s]+", re.UNICODE)
# How far the pair counts outweigh the forms' shares among the forms of their folded words
# (Dirichlet smoothing: the shares count as this many pair observations).
SMOOTHING = 1.0


@dataclass
class MarkTable:
    """How often each written form and each pair of adjacent forms occur, by folded word."""

    forms: dict[str, Counter] = field(default_factory=dict)  # folded word -> written form -> count
    pairs: Counter = field(default_factory=Counter)  # (form, next form) -> count

    def add(self, text: str, weight: int = 1) -> None:
        for clause in _CLAUSE.split(nfc(text).lower()):  # no pair across a punctuation mark
            words = _WORD.findall(clause)
            for w in words:
                self.forms.setdefault(fold(w), Counter())[w] += weight
            for a, b in zip(words, words[1:]):
                self.pairs[a, b] += weight

    def update(self, other: MarkTable) -> None:
        """Count `other`'s forms and pairs in this table too."""
        for folded, forms in other.forms.items():
            self.forms.setdefault(folded, Counter()).update(forms)
        self.pairs.update(other.pairs)


def table(texts, weight: int = 1) -> MarkTable:
    """The table of `texts`.

    >>> sorted(table(["Đảng viên đang học", "đảng viên"]).forms["dang"].items())
    [('đang', 1), ('đảng', 2)]
    """
    marks = MarkTable()
    for text in texts:
        marks.add(text, weight)
    return marks


def _cased(form: str, typed: str) -> str:
    if typed.isupper() and len(typed) > 1:
        return form.upper()
    return form[0].upper() + form[1:] if typed[0].isupper() else form


def _step(count: int, seen: int, prev_share: float, share: float) -> float:
    """log P(pair) - log P(first form): a pair's `count` of the `seen` pairs of its two folded
    words, smoothed towards the product of the two forms' shares (logs)."""
    return math.log((count + SMOOTHING * math.exp(prev_share + share)) / (seen + SMOOTHING)) - prev_share


def restore(text: str, marks: MarkTable) -> str:
    """`text` with each unaccented word written the way `marks` most likely writes it in
    context; words already marked, numbers and words `marks` does not know are kept.

    >>> marks = table(["Quận 1 có 10 phường.", "Đảng viên đang học tập.", "Bí thư Quận ủy quận 1"])
    >>> restore("quan 1 co bao nhieu phuong?", marks)
    'quận 1 có bao nhieu phường?'
    >>> restore("Dang vien dang hoc gi", marks)
    'Đảng viên đang học gi'
    """
    matches = list(_WORD.finditer(text))
    if not matches:
        return text
    # candidates per word: (form, log share among the forms of its folded word)
    options: list[list[tuple[str, float]]] = []
    for m in matches:
        typed = m.group().lower()
        known = marks.forms.get(fold(typed)) if not has_diacritics(typed) and not typed.isdigit() else None
        if not known:
            options.append([(typed, 0.0)])
            continue
        total = sum(known.values())
        options.append([(form, math.log(count / total)) for form, count in known.items()])
    # Viterbi over a chain of adjacent pairs: a pair of folded words has a distribution over
    # its pairs of forms (the pair counts, smoothed towards the product of the two shares), and
    # a step from one word to the next adds log P(pair) - log P(first's form), so that a pair
    # seen in the text speaks for both of its words.
    best = [{form: (share, "") for form, share in options[0]}]
    for i in range(1, len(options)):
        # a punctuation mark between the two words: no pair was counted across one
        pairs = {} if _CLAUSE.search(text, matches[i - 1].end(), matches[i].start()) else marks.pairs
        seen = sum(pairs.get((a, b), 0) for a, _ in options[i - 1] for b, _ in options[i])
        previous = best[-1]
        best.append({
            form: max(
                (previous[prev][0] + _step(pairs.get((prev, form), 0), seen, prev_share, share), prev)
                for prev, prev_share in options[i - 1]
            )
            for form, share in options[i]
        })  # fmt: skip
    form = max(best[-1], key=lambda f: best[-1][f][0])
    chosen = [form]
    for i in range(len(options) - 1, 0, -1):
        form = best[i][form][1]
        chosen.append(form)
    chosen.reverse()
    out, last = [], 0
    for m, form in zip(matches, chosen):
        typed = m.group()
        out += [text[last : m.start()], typed if form == typed.lower() else _cased(form, typed)]
        last = m.end()
    return "".join(out + [text[last:]])
