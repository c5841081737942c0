"""Check a generated answer sentence by sentence against the passages its [n] markers cite.

A sentence is verified when (1) it cites at least one passage and every marker points to
a passage that was given, (2) every number, date and name in it occurs in a cited passage
(number formats canonical: `8.033` = `8,033` = `8033`; names matched without diacritics
and case), and (3) its words are covered by one span of a cited passage (one or two
adjacent sentences) at least up to a threshold, chosen on a tune split by
eval/generative.py. All functions are pure; the evidence span keeps its offsets in the
source text, so a verified claim is highlighted as an extractive citation is.

>>> from rag.records import Passage
>>> p = Passage("q1.txt", "Đảng bộ Quận 1 có 8.033 đảng viên. Bí thư là bà Tô Thị Bích Châu.", 100, 166)
>>> [(c.verified, c.reason) for c in verify("Quận 1 có 8033 đảng viên [1]. Quận 1 có 9.000 đảng viên [1].", [p])]
[(True, ''), (False, 'number 9.000 is not in [1]')]
>>> c = verify("Bí thư là Tô Thị Bích Châu [1].", [p])[0]
>>> c.verified, c.evidence.quote, c.evidence.quote_start
(True, 'Bí thư là bà Tô Thị Bích Châu.', 135)
"""

from __future__ import annotations

import re

from rag.language.normalize import fold, nfc, normalize_number
from rag.records import Citation, Claim, Passage

# Chosen by eval/generative.py on the tune half of the hand-labelled claims
# (eval/generative_labels.jsonl); reported there on the check half.
THRESHOLD = 0.75

# [1], [1, 2], [1][2]; a marker inside a sentence or after its full stop belongs to it.
_MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_MARKERS_AFTER = r"(?:\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])*"
# A sentence ends at . ! ? … followed by space or the end (8.033 and TP.HCM do not end one),
# with the markers written after the stop, or at a line break (bullets, paragraphs).
_END = re.compile(r"[.!?…]+" + _MARKERS_AFTER + r"(?=\s|$)|\n+")
_PASSAGE_END = re.compile(r"[.!?…;]+(?=\s|$)|\n+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# A number and the word right after it ("27 chi", "8.033 đảng"): the figure's unit or head noun.
_NUMBER_WORD = re.compile(r"(\d+(?:[.,]\d+)*)\s+([^\W\d_]+)")
# Format, not content: list bullets, "1. ", "Câu 2:" / "Answer:" labels at the head of a line.
_ENUMERATOR = re.compile(
    r"^\s*(?:[-*•]\s+|\d{1,2}[.)]\s+|(?:câu|ý|sentence|answer|trả lời)\s*\d*\s*:\s*)", re.I
)
MIN_WORDS = 3  # fewer words than this ("51 [1]", "Buzz Aldrin [1]") state no claim that can be checked
_WORD = re.compile(r"\w+", re.UNICODE)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Offsets of the sentences of a generated answer; a line of markers only joins the sentence before.

    >>> t = "Có 8.033 đảng viên [1]. TP.HCM kết nạp 7.995 người.[2]\\n- Dân số 141.556 [1]"
    >>> [t[a:b] for a, b in split_sentences(t)]
    ['Có 8.033 đảng viên [1].', 'TP.HCM kết nạp 7.995 người.[2]', '- Dân số 141.556 [1]']
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _END.finditer(text):
        _add_span(text, start, m.end(), spans)
        start = m.end()
    _add_span(text, start, len(text), spans)
    return spans


def _add_span(text: str, a: int, b: int, spans: list[tuple[int, int]]) -> None:
    piece = text[a:b]
    lead = len(piece) - len(piece.lstrip())
    a, b = a + lead, a + len(piece.rstrip())
    if a >= b:
        return
    if not _WORD.search(_MARKER.sub("", text[a:b])):  # markers or punctuation only
        if spans:
            spans[-1] = (spans[-1][0], b)
        return
    spans.append((a, b))


def markers(sentence: str) -> list[int]:
    """The passage numbers a sentence cites, in order, each once.

    >>> markers("a [2] b [1, 3][2]")
    [2, 1, 3]
    """
    found = [int(n) for m in _MARKER.finditer(sentence) for n in re.split(r"\s*[,;]\s*", m.group(1))]
    return list(dict.fromkeys(found))


def numbers(text: str) -> list[str]:
    """Numbers as written (markers excluded).

    >>> numbers("ngày 15/3/2023 có 8.033 người [1]")
    ['15', '3', '2023', '8.033']
    """
    return _NUMBER.findall(_MARKER.sub(" ", text))


def names(text: str) -> list[str]:
    """Runs of capitalised words: names, places, organisations, acronyms.

    The first word of the sentence is capitalised anyway, so it starts no name on its own.

    >>> names("Bí thư Quận ủy là bà Tô Thị Bích Châu, theo TP.HCM [1].")
    ['Quận', 'Tô Thị Bích Châu', 'TP', 'HCM']
    >>> names("Tô Thị Bích Châu là Bí thư.")
    ['Thị Bích Châu', 'Bí']
    """
    text = _MARKER.sub(" ", text)
    words = [m for m in _WORD.finditer(text) if m.group()[0].isalpha()]
    first = words[0].start() if words else -1
    runs: list[list[re.Match]] = []
    for w in words:
        if not w.group()[0].isupper():
            continue
        if runs and not text[runs[-1][-1].end() : w.start()].strip():
            runs[-1].append(w)  # only spaces between: one name
        else:
            runs.append([w])
    out = []
    for run in runs:
        if run[0].start() == first:
            run = run[1:]
        if run:
            out.append(" ".join(w.group() for w in run))
    return out


def _folded_words(text: str) -> list[str]:
    return [fold(w).lower() for w in _WORD.findall(nfc(text))]


def _contains(haystack: list[str], needle: list[str]) -> bool:
    n = len(needle)
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def _terms(text: str) -> set[str]:
    """Folded syllables (numbers canonical) and adjacent pairs of them."""
    words = [normalize_number(w) if w[0].isdigit() else fold(w).lower() for w in _tokens(text)]
    return set(words) | {f"{a} {b}" for a, b in zip(words, words[1:])}


def _tokens(text: str) -> list[str]:
    return re.findall(r"\d+(?:[.,]\d+)*|\w+", nfc(text))


def coverage(sentence: str, span: str) -> float:
    """Share of the sentence's syllables and syllable pairs found in `span` (0..1).

    >>> round(coverage("Quận 1 có 8033 đảng viên", "Đảng bộ Quận 1 hiện có 8.033 đảng viên."), 3)
    0.909
    """
    wanted = _terms(_MARKER.sub(" ", sentence))
    if not wanted:
        return 0.0
    return len(wanted & _terms(span)) / len(wanted)


def passage_sentences(text: str) -> list[tuple[int, int]]:
    """Offsets of the sentences of a passage (clauses after ";" count as sentences)."""
    ones: list[tuple[int, int]] = []
    start = 0
    for m in _PASSAGE_END.finditer(text):
        _add_plain(text, start, m.end(), ones)
        start = m.end()
    _add_plain(text, start, len(text), ones)
    return ones


def passage_spans(text: str) -> list[tuple[int, int]]:
    """Candidate evidence spans of a passage: each sentence, and each two adjacent sentences."""
    ones = passage_sentences(text)
    return ones + [(a[0], b[1]) for a, b in zip(ones, ones[1:])]


def _add_plain(text: str, a: int, b: int, out: list[tuple[int, int]]) -> None:
    piece = text[a:b]
    a2 = a + len(piece) - len(piece.lstrip())
    b2 = a + len(piece.rstrip())
    if a2 < b2 and _WORD.search(text[a2:b2]):
        out.append((a2, b2))


def check(
    sentence: str, start: int, end: int, passages: list[Passage], threshold: float = THRESHOLD
) -> Claim:
    """Verify one sentence (at `start:end` of the answer) against the passages numbered [1]..[k]."""
    cites = tuple(markers(sentence))

    def claim(verified: bool, reason: str, score: float = 0.0, evidence: Citation | None = None) -> Claim:
        return Claim(sentence, start, end, cites, verified, reason, round(score, 3), evidence)

    if not cites:
        return claim(False, "cites no passage")
    nowhere = [n for n in cites if not 1 <= n <= len(passages)]
    if nowhere:
        return claim(False, f"marker [{nowhere[0]}] points to no passage (there are {len(passages)})")
    cited = [(n, passages[n - 1]) for n in cites]
    content = _ENUMERATOR.sub("", _MARKER.sub(" ", sentence), count=1).strip()
    evidence, score = _best_span(content, cited)
    label = "".join(f"[{n}]" for n in cites)
    if len(_WORD.findall(content)) < MIN_WORDS:
        return claim(False, f"a fragment, not a sentence: nothing {label} could confirm", score, evidence)
    have = {normalize_number(x) for _, p in cited for x in _NUMBER.findall(p.text)}
    for number in numbers(content):
        if normalize_number(number) not in have:
            return claim(False, f"number {number} is not in {label}", score, evidence)
    # A figure must count the same thing as in the passage: "27 chi bộ" is wrong where the
    # passage has "27 đảng bộ". Checked when the word after the figure is one the passage
    # counts with ("12 chi bộ"): after "quận 1 có" the word is a verb, not a unit.
    units: dict[str, set[str]] = {}
    for _, p in cited:
        for m in _NUMBER_WORD.finditer(p.text):
            units.setdefault(normalize_number(m.group(1)), set()).add(fold(m.group(2)).lower())
    counted = set().union(*units.values()) if units else set()
    for m in _NUMBER_WORD.finditer(content):
        number, word = normalize_number(m.group(1)), fold(m.group(2)).lower()
        if word in counted and word not in units.get(number, set()):
            return claim(False, f"{m.group(1)} {m.group(2)} is not in {label}", score, evidence)
    folded = [_folded_words(p.text) for _, p in cited]
    for name in names(content):
        if not any(_contains(words, _folded_words(name)) for words in folded):
            return claim(False, f"name {name} is not in {label}", score, evidence)
    if score < threshold:
        return claim(False, f"similarity {score:.2f} to {label} is under {threshold:.2f}", score, evidence)
    return claim(True, "", score, evidence)


def _best_span(sentence: str, cited: list[tuple[int, Passage]]) -> tuple[Citation, float]:
    """The span of a cited passage that covers the sentence best, as a citation with source offsets."""
    best: tuple[float, int, int, int, Passage] | None = None
    for n, p in cited:
        for a, b in passage_spans(p.text) or [(0, len(p.text))]:
            score = coverage(sentence, p.text[a:b])
            # Ties go to the shorter span: the quote should be no longer than needed.
            if best is None or (score, -(b - a)) > (best[0], -(best[3] - best[2])):
                best = (score, n, a, b, p)
    score, n, a, b, p = best  # type: ignore[misc]  # cited is never empty here
    evidence = Citation(n, p.source, p.text, p.text[a:b], p.start, p.end, score,
                        quote_start=p.start + a, quote_end=p.start + b)  # fmt: skip
    return evidence, score


def verify(answer: str, passages: list[Passage], threshold: float = THRESHOLD) -> list[Claim]:
    """Every sentence of `answer`, checked against the passages it cites (numbered from 1).

    Args:
        answer: the generated text with [n] markers.
        passages: the passages the prompt numbered [1]..[k], in that order.
        threshold: the least word coverage of the sentence by one span of a cited passage.
    Returns:
        One Claim per sentence, in order, verified or with the reason it is not.
    """
    return [check(answer[a:b], a, b, passages, threshold) for a, b in split_sentences(answer)]
