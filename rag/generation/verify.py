"""Check a generated answer sentence by sentence against the passages its [n] markers cite.

A sentence is verified when (1) it cites at least one passage and every marker points to
a passage that was given, (2) every number, date and name in it occurs in a cited passage
(number formats canonical: `8.033` = `8,033` = `8033`; names matched without diacritics
and case; a number the question itself states, "năm 1901", is its premise), (3) each
figure counts what the passage counts with it ("27 chi bộ" is not "27 đảng bộ"), (4) each
figure is its subject's in the passage: asked about Quận 3, "8.033 đảng viên [2]" is wrong
where [2] gives 8.033 to quận 1 (rag/reading/subjects.py), (5) it negates what its
evidence negates, and states the relation the question asks about ("vợ", "chủ biên") in
its evidence, and (6) its words are covered by one span of a cited passage (one or two
adjacent sentences) at least up to a threshold, chosen on a tune split by
eval/generative.py. A sentence with fewer than three words, or only the question's words,
states nothing to verify. All functions are pure; the evidence span keeps its offsets in
the source text, so a verified claim is highlighted as an extractive citation is.

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

from rag.language.normalize import fold, has_diacritics, nfc, normalize_number
from rag.reading.subjects import Place, place_near, places
from rag.records import Citation, Claim, Passage

# Chosen by eval/generative.py on the tune half of the hand-labelled claims
# (eval/generative_labels.jsonl); reported there on the check half.
THRESHOLD = 0.85

# [1], [1, 2], [1][2]; a marker inside a sentence or after its full stop belongs to it.
_MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_MARKERS_AFTER = r"(?:\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])*"
# A sentence ends at . ! ? … followed by space or the end (8.033 and TP.HCM do not end one),
# with the markers written after the stop, or at a line break (bullets, paragraphs).
_END = re.compile(r"[.!?…]+" + _MARKERS_AFTER + r"(?=\s|$)|\n+")
_PASSAGE_END = re.compile(r"[.!?…;]+(?=\s|$)|\n+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# Format, not content: list bullets, "1. ", "Câu 2:" / "Answer:" labels at the head of a line,
# and "Trong đoạn văn [1], …" / "In passage [2], …" (markers are blanked before this).
_ENUMERATOR = re.compile(
    r"^\s*(?:[-*•]\s+|\d{1,2}[.)]\s+|(?:câu|ý|sentence|answer|trả lời)\s*\d*\s*:\s*"
    r"|(?:trong|theo)\s+(?:đoạn văn|đoạn|tài liệu|văn bản)\s*,\s*"
    r"|(?:in|according to)\s+(?:the\s+)?(?:passage|document|text)s?\s*,\s*)",
    re.I,
)
# Fewer words than this ("51 [1]", "Buzz Aldrin [1]"), or only names and figures ("Tô Thị
# Bích Châu [1]"), are a bare answer: with no question, no claim that can be checked; with
# one, checked as the answer to it.
MIN_WORDS = 3
_WORD = re.compile(r"\w+", re.UNICODE)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Offsets of the sentences of a generated answer; a line of markers only joins the sentence before.

    >>> t = "Có 8.033 đảng viên [1]. TP.HCM kết nạp 7.995 người.[2]\\n- Dân số 141.556 [1]"
    >>> [t[a:b] for a, b in split_sentences(t)]
    ['Có 8.033 đảng viên [1].', 'TP.HCM kết nạp 7.995 người.[2]', '- Dân số 141.556 [1]']
    """
    return _cut(text, _END, _add_span)


def _cut(text: str, ends: re.Pattern, add) -> list[tuple[int, int]]:
    """Spans of `text` between the matches of `ends`, each kept (or joined) by `add`."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in ends.finditer(text):
        add(text, start, m.end(), spans)
        start = m.end()
    add(text, start, len(text), spans)
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


# Words that join rather than state (folded): "X là Y" says what "X, Y" and "X Y" say, so
# they are left out on both sides and the pairs are taken over them ("venezuela nicolas").
_GLUE = {"la", "cua", "va", "is", "are", "was", "were", "the", "of", "a", "an", "and"}


def _terms(text: str) -> set[str]:
    """Folded syllables (numbers canonical) and adjacent pairs of them, joining words aside."""
    words = [normalize_number(w) if w[0].isdigit() else fold(w).lower() for w in _tokens(text)]
    words = [w for w in words if w not in _GLUE]
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
    return _cut(text, _PASSAGE_END, _add_plain)


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
    sentence: str,
    start: int,
    end: int,
    passages: list[Passage],
    threshold: float = THRESHOLD,
    question: str = "",
) -> Claim:
    """Verify one sentence (at `start:end` of the answer) against the passages numbered [1]..[k].

    `question` (optional) is what the sentence answers: its figures must be the question's
    subject's in the cited passage (see `unbound_figure`), and a number the question itself
    states ("năm 1901") is its premise, not a claim the passage has to hold.
    """
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
    label = "".join(f"[{n}]" for n in cites)
    words = _WORD.findall(content)
    # A bare answer: too short to say anything, or names and figures only ("Tô Thị Bích Châu").
    bare = len(words) < MIN_WORDS or all(w[0].isupper() or w[0].isdigit() for w in words)
    answer = content
    if bare and question:
        # A bare answer ("Buzz Aldrin [1]", "255.576 [1]") says "this is what was asked": it is
        # checked as that statement, the answer with the question's words, in one span.
        content = f"{content} {asked_part(question)}"
    premise = premise_numbers(content, question)
    # The similarity leaves out what the sentence repeats of the question's premise ("năm 2022").
    evidence, score = _best_span(_blank_premise(content, premise) if premise else content, cited)
    if bare and not (question and _WORD.search(answer)):
        return claim(False, f"a fragment, not a sentence: nothing {label} could confirm", score, evidence)
    if set(_folded_words(answer)) <= set(_folded_words(question)) and question:
        return claim(False, f"it repeats the question: nothing {label} could confirm", score, evidence)
    if bare and not _contains(_folded_words(evidence.quote), _folded_words(answer)):
        return claim(
            False, f"a bare answer that {label} does not give with the question's words", score, evidence
        )
    have = {normalize_number(x) for _, p in cited for x in _NUMBER.findall(p.text)}
    for m in _NUMBER.finditer(content):
        if m.start() not in premise and normalize_number(m.group()) not in have:
            return claim(False, f"number {m.group()} is not in {label}", score, evidence)
    why = miscounted(content, cited, premise | _place_numbers(content))
    if why:
        return claim(False, why, score, evidence)
    folded = [_folded_words(p.text) for _, p in cited]
    for name in names(content):
        if not any(_contains(words, _folded_words(name)) for words in folded):
            return claim(False, f"name {name} is not in {label}", score, evidence)
    if evidence is not None and tag_list(evidence.quote):
        return claim(False, f"[{evidence.n}] is a list of names or tags: it states nothing", score, evidence)
    why = unbound_figure(content, question, cited, premise)
    if why:
        return claim(False, why, score, evidence)
    why = negation_mismatch(content, evidence)
    if why:
        return claim(False, why, score, evidence)
    why = "" if bare else missing_relation(content, question, evidence)
    if why:
        return claim(False, why, score, evidence)
    if score < threshold:
        return claim(False, f"similarity {score:.2f} to {label} is under {threshold:.2f}", score, evidence)
    return claim(True, "", score, evidence)


# What a figure counts: "%" right after it, or up to three words after it, to the next
# punctuation, number or marker ("8.033 đảng viên", "28 cơ quan ngoại giao").
_COUNTED = re.compile(r"\s*(%)|\s+([^\W\d_]+(?:\s+[^\W\d_]+){0,2})")
COUNTED_WORDS = 3


def counted(text: str, end: int) -> tuple[str, ...]:
    """The folded words of what the figure ending at `end` counts (empty: nothing after it).

    >>> t = "có 28 cơ quan ngoại giao, 128 cơ quan nhà nước của Trung ương; 94,27%"
    >>> counted(t, 5), counted(t, 29), counted(t, len(t) - 1)
    (('co', 'quan', 'ngoai'), ('co', 'quan', 'nha'), ('%',))
    """
    m = _COUNTED.match(text, end)
    if not m:
        return ()
    if m.group(1):
        return ("%",)
    return tuple(fold(w).lower() for w in m.group(2).split())[:COUNTED_WORDS]


def _agree(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Two counted phrases agree as far as both go ("đảng viên" and "đảng viên mới")."""
    k = min(len(a), len(b))
    return k > 0 and a[:k] == b[:k]


def miscounted(content: str, cited: list[tuple[int, Passage]], exempt: set[int]) -> str:
    """Why a figure of the sentence counts something else in the cited passages ("" if none).

    A figure must count what the passage counts with it: "27 chi bộ" is wrong where the
    passage has "27 đảng bộ cơ sở, 12 chi bộ cơ sở", and "128 cơ quan ngoại giao" where it
    has "28 cơ quan ngoại giao, 128 cơ quan nhà nước". Checked only when the passage counts
    that thing with some figure: after "quận 1 có" comes a verb, not a unit, and a phrase the
    passage never counts ("5 bàn trong trận") is left to the similarity.
    """
    with_figure: dict[str, list[tuple[str, ...]]] = {}
    for _, p in cited:
        for m in _NUMBER.finditer(p.text):
            with_figure.setdefault(normalize_number(m.group()), []).append(counted(p.text, m.end()))
    everything = [c for cs in with_figure.values() for c in cs if c]
    for m in _NUMBER.finditer(content):
        what = counted(content, m.end())
        if m.start() in exempt or not what or not any(_agree(what, c) for c in everything):
            continue
        if not any(_agree(what, c) for c in with_figure.get(normalize_number(m.group()), [])):
            label = "".join(f"[{n}]" for n, _ in cited)
            written = "%" if what == ("%",) else " ".join(content[m.end() :].split()[: len(what)])
            return f"{m.group()} {written} is not in {label}"
    return ""


def _place_numbers(content: str) -> set[int]:
    """Offsets of the numbers that name a place ("quận 1"): not figures."""
    return {m.start() for p in places(content) for m in _NUMBER.finditer(content, p.start, p.end)}


_LIST_CUT = re.compile(r"\s*[,;/|]\s+")
LIST_SEGMENTS = 4  # at least this many short, mostly capitalised segments make a tag list
LIST_WORDS = 6


def tag_list(span: str) -> bool:
    """Whether a span is a list of names or tags rather than a statement: four or more
    segments between commas, slashes or bars, none longer than six words, most words
    capitalised. Placing words side by side states no relation between them.

    >>> tag_list("Tân chủ tịch PVN , Tập đoàn Dầu khí Việt Nam , Trần Sỹ Thanh , Nguyễn Quốc Khánh , Đinh La Thăng")
    True
    >>> tag_list("Bộ phim có sự góp mặt của dàn diễn viên lớn , bao gồm Leonardo DiCaprio , Ellen Page , Tom Hardy")
    False
    >>> tag_list("với 10 phường, 66 khu phố và 874 tổ dân phố, dân số 141.556 người; có 28 cơ quan ngoại giao")
    False
    """
    parts = [p for p in _LIST_CUT.split(span.strip(" .…")) if _WORD.search(p)]
    if len(parts) < LIST_SEGMENTS or any(len(_WORD.findall(p)) > LIST_WORDS for p in parts):
        return False
    words = [w for p in parts for w in _WORD.findall(p) if not w[0].isdigit()]
    return bool(words) and sum(w[0].isupper() for w in words) / len(words) > 0.5


def premise_numbers(content: str, question: str) -> set[int]:
    """Offsets in `content` of the numbers it copies from the question: the same number with
    the same word before or after it ("năm 1901", "World Cup 2014", "Cách mạng Pháp 1789").
    The question states them; the sentence only repeats its premise.

    >>> c = "Giải Nobel năm 1901 thuộc về X; quận 1 có 2 phường"
    >>> [c[i : i + 4] for i in sorted(premise_numbers(c, "Ai đoạt giải Nobel năm 1901? Quận 1 có mấy phường?"))]
    ['1901', '1 có']
    """
    if not question:
        return set()

    def contexts(text: str) -> list[tuple[str, str, str, int]]:
        toks = [(m.group(), m.start()) for m in re.finditer(r"\d+(?:[.,]\d+)*|\w+", nfc(text))]
        forms = [normalize_number(t) if t[0].isdigit() else fold(t).lower() for t, _ in toks]
        out = []
        for i, (t, at) in enumerate(toks):
            if t[0].isdigit():
                before = forms[i - 1] if i else ""
                after = forms[i + 1] if i + 1 < len(forms) else ""
                out.append((forms[i], before, after, at))
        return out

    asked = contexts(_MARKER.sub(" ", question))
    out = set()
    for number, before, after, at in contexts(content):
        for n, b, a, _ in asked:
            # One neighbour in common: "quận 1 có 1 phường" against "Quận 1 có mấy phường?"
            # repeats the first 1, and claims the second (no neighbour in common).
            if n == number and ((b and b == before) or (a and a == after)):
                out.add(at)
    return out


def unbound_figure(content: str, question: str, cited: list[tuple[int, Passage]], premise: set[int]) -> str:
    """Why a figure of the sentence is not its subject's in the cited passages ("" when each is).

    The subjects are the places the sentence names, plus the question's places of a level
    the sentence names none of (a bare "8.033 đảng viên [2]" answers for the place asked
    about), and the question's names the sentence repeats. A figure is bound when one of
    its occurrences in a cited passage has every subject: for a place, the place of that
    level the passage gives the figure to (`subjects.place_near`: in its sentence, else the
    last one before) is the same place; for a name, it is written in the figure's sentence
    or before it in the passage.

    >>> p = Passage("a.txt", "Đảng bộ quận 1 hiện có 8.033 đảng viên.", 0, 40)
    >>> unbound_figure("8.033 đảng viên", "Quận 3 có bao nhiêu đảng viên?", [(1, p)], set())
    "8.033 in [1] is quận 1's, not Quận 3's"
    >>> unbound_figure("Quận 1 có 8.033 đảng viên", "Quận 3 có bao nhiêu đảng viên?", [(1, p)], set())
    ''
    """
    claim_places = places(content)
    asked_places = places(question) if question else []
    levels = {p.level for p in claim_places}
    subject_places = claim_places + [p for p in asked_places if p.level not in levels]
    subject_names = _asked_names(content, question, asked_places)
    if not subject_places and not subject_names:
        return ""
    figures = [
        m for m in _NUMBER.finditer(content)
        if m.start() not in premise and not any(p.start <= m.start() < p.end for p in claim_places)
    ]  # fmt: skip
    for figure in figures:
        why = _figure_reason(
            normalize_number(figure.group()), figure.group(), subject_places, subject_names, cited
        )
        if why:
            return why
    return ""


def _asked_names(content: str, question: str, asked_places: list[Place]) -> list[str]:
    """The question's names (places aside) that the sentence repeats."""
    if not question:
        return []
    text = list(_MARKER.sub(" ", question))
    for p in asked_places:
        text[p.start : p.end] = " " * (p.end - p.start)
    words = _folded_words(content)
    return [n for n in names("".join(text)) if _contains(words, _folded_words(n))]


def _figure_reason(
    number: str,
    written: str,
    subject_places: list[Place],
    subject_names: list[str],
    cited: list[tuple[int, Passage]],
) -> str:
    other: tuple[int, Place, Place] | None = None
    missing: tuple[int, str] | None = None
    for n, p in cited:
        found = places(p.text)
        sentences = passage_sentences(p.text) or [(0, len(p.text))]
        for m in _NUMBER.finditer(p.text):
            if normalize_number(m.group()) != number or any(x.start <= m.start() < x.end for x in found):
                continue
            sentence = next(((a, b) for a, b in sentences if a <= m.start() < b), (0, len(p.text)))
            bound = True
            for subject in subject_places:
                near = place_near(p.text, m.start(), subject.level, sentence, found)
                if near is None or not near.same(subject):
                    bound = False
                    if near is not None and other is None:
                        other = (n, near, subject)
                    elif near is None and missing is None:
                        missing = (n, subject.text)
            before = _folded_words(p.text[: sentence[1]])
            for name in subject_names:
                if not _contains(before, _folded_words(name)):
                    bound = False
                    if missing is None:
                        missing = (n, name)
            if bound:
                return ""
    if other is not None:
        n, near, subject = other
        return f"{written} in [{n}] is {near.text}'s, not {subject.text}'s"
    if missing is not None:
        n, subject = missing
        return f"[{n}] does not give {written} to {subject}"
    return ""


# Negators, matched with their diacritics ("không", not "khong": folded, "no" is also "nó").
_NEGATORS = {"không", "chưa", "chẳng", "chả", "đừng", "chớ", "not", "never", "cannot"}


def _negations(text: str) -> tuple[set[tuple[str, str]], set[str]]:
    words = [w.lower() for w in _WORD.findall(nfc(re.sub(r"n't\b", " not", text)))]
    pairs = {(a, b) for a, b in zip(words, words[1:]) if a in _NEGATORS}
    return pairs, set(words)


def negation_mismatch(content: str, evidence: Citation | None) -> str:
    """Why the sentence and its evidence disagree on a negation ("" when they do not): the
    sentence negates a word its evidence does not ("không tham gia" against "tham gia"), or
    the evidence negates a word the sentence asserts.

    >>> ev = Citation(1, Passage("a.txt", "Quận 1 chưa có trường đại học.", 0, 30), "Quận 1 chưa có trường đại học.", 0, 30)
    >>> negation_mismatch("Quận 1 có trường đại học", ev)
    "[1] says 'chưa có'"
    >>> negation_mismatch("Quận 1 chưa có trường đại học", ev), negation_mismatch("không gian văn hóa", ev)
    ('', "'không gian' is not in [1]")
    """
    if evidence is None:
        return ""
    said, words = _negations(content)
    stated, _ = _negations(evidence.quote)
    for pair in sorted(said - stated):
        return f"'{' '.join(pair)}' is not in [{evidence.n}]"
    negated = {b for _, b in said}
    for neg, word in sorted(stated):
        if word in words and word not in negated:
            return f"[{evidence.n}] says '{neg} {word}'"
    return ""


# Words that ask or join rather than say what is asked (folded): "Ai là vợ của X?" asks
# about "vợ"; "ai", "là" and "của" need not be in the evidence.
_NOT_RELATION = {
    *"ai gi nao dau sao bao nhieu may khi luc thi la co khong cua nguoi ra duoc da se".split(),
    *"cho voi va cac mot nay do ma o tu ve nhu trong tren hay hoac ten".split(),
    *"who what which where when how many much is are was were the a an of in on".split(),
    *"to by for at and did does do".split(),
}


def missing_relation(content: str, question: str, evidence: Citation | None) -> str:
    """Why the evidence does not state the relation the question asks about ("" when it does).

    The words the sentence repeats from the question, names and question words aside ("vợ",
    "chủ biên", "huấn luyện viên"), must be in its evidence span: "Lê Văn Lan là chủ biên
    cuốn sách X [1]" is not what "[1] X (Lê Văn Lan, Phạm Văn Kính, Nguyễn Linh)" says.

    >>> ev = Citation(1, Passage("a.txt", "Barron là con trai của Donald Trump.", 0, 36), "Barron là con trai của Donald Trump.", 0, 36)
    >>> missing_relation("Barron là vợ của Donald Trump", "Ai là vợ của Donald Trump?", ev)
    "'vợ' of the question is not in [1]"
    >>> missing_relation("Barron là con trai của Donald Trump", "Con của Donald Trump là ai?", ev)
    ''
    """
    if not question or evidence is None:
        return ""
    text = list(_MARKER.sub(" ", question))
    premise = [(m.start(), m.end()) for m in _WORD_BEFORE_NUMBER.finditer(question)]
    for name in _name_spans(question) + [(p.start, p.end) for p in places(question)] + premise:
        text[name[0] : name[1]] = " " * (name[1] - name[0])
    asked = {w for w in _folded_words("".join(text)) if not w[0].isdigit()} - _NOT_RELATION
    have = set(_folded_words(evidence.quote))
    for word in _WORD.findall(nfc(content)):
        if fold(word).lower() in asked and fold(word).lower() not in have:
            return f"'{word}' of the question is not in [{evidence.n}]"
    return ""


# Words that ask: a bare answer stands in their place ("Ai là X?" -> "<answer> là X").
_ASKING = {
    *"ai gì nào đâu bao nhiêu mấy sao".split(),
    *"who whom whose what which where when how many much".split(),
}
_ASKING_UNACCENTED = set("ai gi nao dau bao nhieu may sao".split())


def asked_part(question: str) -> str:
    """The question without its asking words, to be said of a bare answer.

    >>> asked_part("Ai là người thứ hai đặt chân lên Mặt trăng?")
    'là người thứ hai đặt chân lên Mặt trăng'
    """
    asking = _ASKING | (set() if has_diacritics(question) else _ASKING_UNACCENTED)
    return " ".join(w for w in _WORD.findall(nfc(question)) if w.lower() not in asking)


# A number with the word before it: the phrase a premise is written in ("năm 2022").
_WORD_BEFORE_NUMBER = re.compile(r"(?:\w+\s+)?\d+(?:[.,]\d+)*")


def _blank_premise(content: str, premise: set[int]) -> str:
    """`content` with each premise number and the word before it blanked."""
    out = list(content)
    for m in _WORD_BEFORE_NUMBER.finditer(content):
        number_at = m.end() - len(_NUMBER.search(m.group()).group())
        if number_at in premise:
            out[m.start() : m.end()] = " " * (m.end() - m.start())
    return "".join(out)


def _name_spans(text: str) -> list[tuple[int, int]]:
    """Offsets of the names `names` finds (capitalised runs, the first word aside)."""
    words = [m for m in _WORD.finditer(text) if m.group()[0].isalpha()]
    first = words[0].start() if words else -1
    return [(m.start(), m.end()) for m in words if m.group()[0].isupper() and m.start() != first]


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
    evidence = Citation(n, p, p.text[a:b], p.start + a, p.start + b)
    return evidence, score


def off_question(claims: list[Claim], question: str) -> bool:
    """Whether verified sentences answer another question than the one asked: the question
    names a place ("quận 10") and none of them, nor its evidence, names that place. A true
    sentence about something else ("Nâng cao chất lượng tổ chức cơ sở đảng [3]") is no answer.

    >>> ev = Citation(3, "a.txt", "", "4. Nâng cao chất lượng tổ chức cơ sở đảng, đảng viên.", 0, 0, 1.0)
    >>> c = Claim("Nâng cao chất lượng tổ chức cơ sở đảng [3]", 0, 42, (3,), True, "", 1.0, ev)
    >>> off_question([c], "quan 10 co bao nhieu dang vien"), off_question([c], "Có bao nhiêu đảng viên?")
    (True, False)
    """
    asked = places(question)
    if not asked:
        return False
    for c in claims:
        named = places(c.text) + (places(c.evidence.quote) if c.evidence else [])
        if any(p.same(a) for p in named for a in asked):
            return False
    return True


def verify(
    answer: str, passages: list[Passage], threshold: float = THRESHOLD, question: str = ""
) -> list[Claim]:
    """Every sentence of `answer`, checked against the passages it cites (numbered from 1).

    Args:
        answer: the generated text with [n] markers.
        passages: the passages the prompt numbered [1]..[k], in that order.
        threshold: the least word coverage of the sentence by one span of a cited passage.
        question: the question the answer is for; with it, a figure must be given to the
            question's subject by the passage, not merely be in it (empty: not checked).
    Returns:
        One Claim per sentence, in order, verified or with the reason it is not.
    """
    return [check(answer[a:b], a, b, passages, threshold, question) for a, b in split_sentences(answer)]
