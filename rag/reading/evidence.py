"""Evidence: the sentences of retrieved passages, read against one question.

Each sentence gets its coverage of the question (idf-weighted syllables and bigrams,
with the sentence before it), and its best candidate of the asked type (a figure in the
asked unit, a date, a person, a role) with that candidate's fit: how closely the
question's words surround it. The re-ranker and the answer read the same `Reader`.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from rag.language import glossary
from rag.language.normalize import bigrams, fold, spelling, strip_marks_aligned, terms, tokens
from rag.language.words import words as word_list
from rag.model import spans
from rag.reading import extract
from rag.reading.question import (
    Question,
    analyse,
    drop_scale,
    find_phrase,
    measures,
    named,
    plain_words,
    rank_before,
    roles,
)
from rag.reading.subjects import (
    ENGLISH_HEADS,
    LEVELS,
    TIERS,
    named_places,
    owner_elsewhere,
    places,
    tier_asked,
)
from rag.records import Passage

# Evidence sentence score: its own coverage of the question, with the sentence before it,
# its passage's coverage, and the passage's retrieval score (compared on both dev sets:
# since the re-ranker reads coverage, keyword blocks and candidates, its score carries
# half the weight; ViQA answer recall 0.727 with (0.4, 0.2, 0.2, 0.2), 0.740 with these).
SENTENCE_WEIGHTS = (0.3, 0.1, 0.1, 0.5)
# A typed candidate's score: its sentence's score, then its own fit to the question.
CANDIDATE_WEIGHTS = (0.8, 0.2)
# A figure's unit that adds words the question does not say counts a part of what is asked
# ("đảng viên mới"): that much less fit per word. 0, 0.1 and 0.3 gave the same tune figures
# (MLQA, ViQA, seeds); the smallest that tells such figures apart is kept.
UNIT_EXTRA_WEIGHT = 0.1
# An English question's figures fit by their units read against the asked words' Vietnamese
# translations (0: they do not fit by unit), the first UNIT_TRANSLATIONS of each word.
EN_UNIT_FIT = 1.0
UNIT_TRANSLATIONS = 3
# An English question's words past what it counts are read as this many translations each when
# judging whether it asks what a total's part did (`part_asked`): a verb is often listed after
# its noun ("study": "sự học tập", "sự học nghề", "học", "nghiên cứu", "học tập").
PREDICATE_TRANSLATIONS = 5
# An English question's words are not the sentence's: which of a sentence's candidates it asks
# is read from where the translations of its words past what it counts are written ("admitted":
# "kết nạp được 7.995 đảng viên mới, nâng tổng số … 255.576"), as a Vietnamese question's own
# words are read (`proximity`). 0: by unit alone.
EN_PROXIMITY = 1
# Token distance a clause mark adds to a question word written before a figure, past the mark
# (evidence.proximity; "how many" questions). 0: distance in words alone.
CLAUSE_COST = 8
# 1: a "how many" that counts an administrative unit ("bao nhiêu phường") takes only figures
# written with its head (`counted_level`); 0: any figure, as before.
COUNTED_LEVELS = 1
# 1: a question word with marks is near a candidate only where the sentence writes it so; 0: by
# its folded form, as before.
AS_WRITTEN = 1
# 1: a clause that ends with its figure ("05 tập thể, 06 cá nhân được biểu dương …") shares what
# the next one says (evidence.figure_groups): one group for CLAUSE_COST; 0: each clause its own.
FIGURE_GROUPS = 1
# 1: where a sentence names a place the question asks, its words do not count in a figure's
# proximity (_best_candidate); 0: they do, as before.
OWNER_NOT_NEAR = 1
# 1: a "how many" question's capitalised words that the retrieved passages write as a place
# ("Tan Binh", "quận Tân Bình") are an asked place (Reader.learn); 0: only places written
# with their head ("quận", "District") are asked, as before.
NAMED_PLACES = 1
# 1: a "how many" whose unit the retrieved passages count by takes only figures of that unit
# (`counted_unit`); 0: any figure, ranked by how well its unit fits, as before.
COUNTED_UNITS = 1
# 1: a total's part ("6.551 đảng viên trên tổng số 6.949 đảng viên … đã tham gia học tập") counts
# only those who did what follows the total; a question that says none of it asks the total
# and one that says some of it asks the part (`part_asked`, stop 20); 0: the part is read as
# any figure, as before.
TOTAL_ASKED = 1
# 1: a "how many" of a thing takes no figure written in an area's or density's units
# (`counts_thing`, rag/data/measures.json `counts_nothing`; stop 20); 0: it may, as before.
MEASURES_COUNT_NOTHING = 1
_CLAUSE_MARK = re.compile(r"[,;:]")
MIN_SENTENCE_WORDS = 3  # shorter "sentences" are list numbers and headings, not evidence
# The span reader reads a question typed without diacritics against the passage with its
# marks removed too (offsets unchanged), so that both are written alike: it never saw
# Vietnamese in training, and unaccented Vietnamese against accented text is two scripts to it.
READ_UNACCENTED = True


@dataclass
class Evidence:
    """One sentence of a retrieved passage, scored against the question."""

    passage: Passage
    rank: int
    start: int  # offsets in the source text
    end: int
    text: str
    words: list[str]  # folded syllables
    score: float = 0.0
    coverage: float = 0.0  # of the question by this sentence and the one before it
    own_coverage: float = 0.0  # by this sentence alone
    candidate: extract.Candidate | None = None
    candidate_quality: float = 0.0  # how well the candidate fits the question (proximity, unit, phrase)
    candidate_score: float = 0.0
    also: list[str] = field(default_factory=list)
    passage_coverage: float = 0.0  # of the question by the whole passage
    retrieval: float = 0.0  # the passage's retrieval score over the best one's
    similarity: float = 0.0  # cosine to the question (English questions: the sentences embedded)
    embedded: bool = False  # among the sentences embedded for an English question
    span_belief: float = 0.0  # the span reader's P(answer in this sentence); 0 when not read
    span_score: float | None = None  # its best span's log-odds here; None when not read
    span: tuple[int, int] | None = None  # its best span here, offsets in the source text
    listed: bool = False  # a sentence ending with ":" and the items after it (answer.with_list)


def split_sentences(passage: Passage) -> list[tuple[int, int]]:
    """Sentence spans of a passage, as offsets into its source text.

    A line break ends a sentence, except inside one: a break after no end mark and
    before a lower-case word is a wrapped line (PDF text layers and OCR wrap at the
    page's width), so "dân số 141.556\\nngười" stays one sentence.

    >>> p = Passage("a", "Câu một. Câu hai có 8.033 đảng viên.", 10, 46)
    >>> [p.text[a - 10 : b - 10] for a, b in split_sentences(p)]
    ['Câu một.', 'Câu hai có 8.033 đảng viên.']
    >>> p = Passage("a", "Dân số 141.556\\nngười; có 28 cơ quan.\\nTiêu đề", 0, 45)
    >>> [p.text[a:b] for a, b in split_sentences(p)]
    ['Dân số 141.556\\nngười; có 28 cơ quan.', 'Tiêu đề']
    """
    spans: list[tuple[int, int]] = []
    text = passage.text
    # A "." inside a number or an abbreviation is followed by no space, so only a
    # terminal mark followed by whitespace ends a sentence.
    # An initial ("Lyndon B. Johnson") is not a sentence end: a lone capital before ".".
    for m in re.finditer(r"\S(?:.*?)(?:(?<!\b[A-ZĐ])[.!?…]+(?=\s)|(?=\n)|$)", text, flags=re.S):
        a, b = m.start(), m.end()
        if not text[a:b].strip():
            continue
        if spans:
            prev_a, prev_b = spans[-1]
            gap = text[prev_b:a]
            wrapped = gap.count("\n") == 1 and not gap.strip() and text[a].islower()
            if wrapped and text[prev_a:prev_b].rstrip()[-1:] not in ".!?…:;":
                spans[-1] = (prev_a, b)
                continue
        spans.append((a, b))
    return [(passage.start + a, passage.start + b) for a, b in spans]


def _weights(q: Question, idf: Callable[[str], float]) -> dict[str, float]:
    return {t: idf("~" + t) for t in q.content}


def figure_weights(q: Question, weights: dict[str, float], idf: Callable[[str], float]) -> dict[str, float]:
    """The question's words that say which of a sentence's candidates it asks (`_best_candidate`):
    its own (`weights`); for an English question (`EN_PROXIMITY`), whose words are not the
    sentence's, its names and figures as written and its words' translations."""
    if q.lang != "en" or not EN_PROXIMITY:
        return weights
    verbatim = set(named(q.text)) | set(q.numbers)
    return {t: w for t, w in weights.items() if t in verbatim} | {
        t: idf("~" + t) for t in content_translated(q) if t not in verbatim
    }


def coverage(q_weights: dict[str, float], words: list[str]) -> float:
    """Share of the question's idf weight whose terms (syllables, bigrams) occur in `words`.

    >>> coverage({"dang": 1.0, "vien": 1.0, "dang_vien": 2.0, "quan": 1.0}, ["dang", "vien"])
    0.8
    """
    total = sum(q_weights.values())
    if not total:
        return 0.0
    present = set(words) | set(bigrams(words))
    return sum(w for t, w in q_weights.items() if t in present) / total


def proximity(
    q_weights: dict[str, float],
    positions: dict[str, list[int]],
    at: int,
    clauses: Sequence[int] = (),
    ahead: int | None = None,
) -> float:
    """How closely the question's words surround the candidate at token index `at` (0..1).

    Each question syllable counts by its idf, discounted by its distance to the candidate;
    `positions` maps each word of the sentence to its token indices. `clauses` gives each
    token's clause (how many clause marks come before it): a word written before the
    candidate and past a clause mark describes what came before, not the candidate ("43 chi
    bộ hoàn thành xuất sắc, 175 chi bộ hoàn thành tốt": "xuất sắc" is the 43's), so each mark
    crossed backwards adds CLAUSE_COST to its distance. A word after `ahead` (the last figure
    of the candidate's group, `figure_groups`) is as far as it is from there, one more.

    >>> proximity({"dan": 1.0, "so": 1.0}, {"dan": [0], "so": [1], "141556": [2], "nguoi": [3]}, 2)
    0.9
    >>> pos = {"tot": [1], "43": [2], "xuat": [4]}
    >>> round(proximity({"xuat": 1.0}, pos, 2, [0, 0, 0, 0, 0]), 2), round(proximity({"xuat": 1.0}, pos, 5, [0, 0, 0, 0, 0, 1]), 2)
    (0.8, 0.33)
    """
    total = sum(w for t, w in q_weights.items() if "_" not in t)
    if not total:
        return 0.0
    got = 0.0
    for t, w in q_weights.items():
        if "_" in t:
            continue
        dists = [
            (i - ahead + 1 if ahead is not None and i > ahead else abs(i - at))
            + (CLAUSE_COST * (clauses[at] - clauses[i]) if clauses and i < at else 0)
            for i in positions.get(t, ())
            if i != at
        ]
        if dists:
            got += w / (1 + (min(dists) - 1) / 4)
    return got / total


def unit_match(asked: tuple[str, ...], unit: str) -> float:
    """Share of the asked unit ("bao nhiêu chi bộ trực thuộc") the candidate's unit starts with.

    >>> unit_match(("chi", "bo", "truc", "thuoc"), "chi bo dia"), unit_match((), "nguoi")
    (0.5, 0.0)
    """
    if not asked:
        return 0.0
    got = 0
    for a, b in zip(asked, unit.split()):
        if a != b:
            break
        got += 1
    return got / len(asked)


def unit_phrases(unit: tuple[str, ...]) -> tuple[str, ...]:
    """The Vietnamese translations of an English question's asked unit as phrases (folded, lower
    case), the first UNIT_TRANSLATIONS of each word (rag/language/glossary.py).

    >>> unit_phrases(("hospitals",))
    ('benh vien', 'nha thuong', 'y vien')
    """
    return translated(unit, UNIT_TRANSLATIONS)


@lru_cache(maxsize=512)
def translated(words: tuple[str, ...], per_word: int) -> tuple[str, ...]:
    """English words as their first `per_word` Vietnamese translations each (folded phrases), the
    function words (`words.toml` `questions.untranslated`: "have", "does") giving none.

    >>> translated(("study", "have"), 5)
    ('su hoc tap', 'su hoc nghe', 'hoc', 'nghien cuu', 'hoc tap')
    """
    found = glossary.translate(list(words), per_word, frozenset(word_list("questions.untranslated")))
    return tuple(fold(t).lower() for t in found)


def said_past_unit(q: Question, named: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """The question's single words past what it counts, without figures or the words `named`."""
    return tuple(
        w for w in q.content if "_" not in w and w not in q.unit and w not in named and not w.isdigit()
    )


def unit_translations(unit: tuple[str, ...]) -> frozenset[str]:
    """The syllables of `unit_phrases`, and the asked words themselves, singular too: Vietnamese
    writes "60 website", "5 video" as English does.

    >>> sorted(w for w in unit_translations(("websites",)) if w.startswith("web"))
    ['website', 'websites']
    """
    as_asked = {
        w for word in unit for w in (word, word[:-1] if len(word) > 3 and word.endswith("s") else word)
    }
    return frozenset(w for t in unit_phrases(unit) for w in t.split()) | as_asked


def unit_translated(q: Question, unit: str) -> float:
    """How well a figure's unit (folded) says what an English "how many" asks: the share of its
    first words that are syllables of the asked words' translations, UNIT_EXTRA_WEIGHT less a word it adds
    ("party members": "đảng viên" 1.0, "đảng viên mới" 0.9, "chi bộ" 0).

    >>> from rag.reading.question import analyse
    >>> q = analyse("How many party members does the city have?")
    >>> [unit_translated(q, u) for u in ("dang vien", "dang vien moi", "chi bo")]
    [1.0, 0.9, 0.0]
    >>> q = analyse("How many party cells are there in residential areas?")
    >>> [unit_translated(q, u) for u in ("chi bo dia ban dan cu", "chi bo truc thuoc")]
    [1.0, 0.8]
    """
    words = unit.split()
    if not q.unit or not words:
        return 0.0
    known = unit_translations(q.unit)
    share = sum(w in known for w in words[: len(q.unit)]) / len(q.unit)
    # A word the unit adds counts against it unless the question asks it too, as `unit_extra`
    # reads a Vietnamese question ("party cells in residential areas": "229 chi bộ địa bàn dân cư")
    asked = content_translated(q)
    extra = sum(1 for w in words[len(q.unit) :] if w not in asked)
    return round(share - UNIT_EXTRA_WEIGHT * extra, 6) if share == 1 else share


def content_translated(q: Question) -> frozenset[str]:
    """The syllables of the Vietnamese translations of an English question's words past what it
    counts (folded)."""
    return _syllables(translated(said_past_unit(q), UNIT_TRANSLATIONS))


@lru_cache(maxsize=512)
def _syllables(phrases: tuple[str, ...]) -> frozenset[str]:
    return frozenset(w for t in phrases for w in t.split())


def unit_extra(q: Question, unit: str) -> int:
    """Words a figure's unit adds after the whole asked unit that the question does not say:
    "7.995 đảng viên mới" (new members) counts a part of what "bao nhiêu đảng viên" asks.

    >>> from rag.reading.question import analyse
    >>> q = analyse("Thành phố có bao nhiêu đảng viên?")
    >>> unit_extra(q, "dang vien moi"), unit_extra(q, "dang vien"), unit_extra(q, "chi bo")
    (1, 0, 0)
    """
    if not q.unit or unit_match(q.unit, unit) < 1.0:
        return 0
    return sum(1 for w in unit.split()[len(q.unit) :] if w not in q.content)


def fits_measure(measure: str, sentence: str, figure: extract.Candidate) -> bool:
    """A figure answers a question about `measure` only when written with one of its units.

    >>> s = "Mật độ 12.000 người/km², có 20.000 cán bộ"
    >>> [fits_measure("density", s, c) for c in extract.numbers(s)]
    [True, False]
    >>> s = "Xã có 4.500 người, hội nghị có 11.600 người tham dự."
    >>> [fits_measure("population", s, c) for c in extract.numbers(s)]
    [True, False]
    """
    if not measure:
        return True
    return _in_units(measures()[measure], _after_number(sentence, figure))


def _after_number(sentence: str, figure: extract.Candidate) -> str:
    number_end = figure.start + len(figure.text.split(None, 1)[0])  # a wrapped line breaks at "\n"
    return " ".join(fold(sentence[number_end : number_end + 32]).lower().split())


def _in_units(spec: dict, after: str) -> bool:
    """Whether the folded text `after` a number starts with one of the measure's units."""
    for unit in spec["units"]:
        m = re.match(rf"\s*{re.escape(unit)}(?![a-z])", after)
        if m:
            rest = after[m.end() :]
            return not any(re.match(rf"\s*{re.escape(w)}(?![a-z])", rest) for w in spec.get("not_after", ()))
    return False


def counts_thing(q: Question, sentence: str, figure: extract.Candidate) -> bool:
    """Whether a figure can count the thing a "how many" asks: not one written in the units of a
    measure that counts nothing (`measures.json` `counts_nothing`: "7.718 km2" for "bao nhiêu
    hộ"), unless those units are what is asked ("bao nhiêu km2", "how many square kilometres").

    >>> from rag.reading.question import analyse
    >>> s = "Quận có diện tích 7.718 km2, với 66 khu phố."
    >>> [[counts_thing(analyse(t), s, c) for c in extract.numbers(s)] for t in ("Quận có bao nhiêu hộ?", "Quận rộng bao nhiêu km2?")]
    [[False, True], [True, True]]
    """
    if not MEASURES_COUNT_NOTHING or not q.unit or q.measure:
        return True
    asked, after = " ".join(q.unit).lower(), _after_number(sentence, figure)
    return not any(
        spec.get("counts_nothing") and _in_units(spec, after) and not _in_units(spec, asked)
        for spec in measures().values()
    )


def role_fit(q: Question, person: extract.Candidate) -> bool | None:
    """Whether the role written next to a person is the office asked (None: no role written).

    A deputy ("Phó Chủ tịch") does not answer for the office, nor the holder for the deputy, nor
    another rank of the office ("Tổng Bí thư" for "Bí thư"), nor an office of another body ("Bí thư
    Quận ủy" for "Bí thư Thành ủy").

    >>> from rag.reading.question import analyse
    >>> q = analyse("Ai là Chủ tịch UBND quận Tân Bình?")
    >>> [role_fit(q, c) for c in extract.people("Chủ tịch UBND quận Tân Bình Nguyễn Văn A, Phó Chủ tịch Trần Văn B và Lê Thị C họp.")]
    [True, False, None]
    >>> q = analyse("Ai là Phó Bí thư Thành ủy?")
    >>> [role_fit(q, c) for c in extract.people("Phó Bí thư Quận ủy Lê Văn A và Phó Bí thư Thành ủy Trần Văn B dự.")]
    [False, True]

    With no body asked, the most local place the question names (or a city named by its head
    alone, "thành phố") says whose office it is:

    >>> s = "Trưởng ban Tuyên giáo Quận ủy quận 1 Lê Văn A và Trưởng ban Tuyên giáo Thành ủy TP.HCM Trần Văn B dự."
    >>> asked = ("Ai là Trưởng ban Tuyên giáo của TP.HCM?", "Ai là Trưởng ban Tuyên giáo quận 1?", "Ai là Trưởng ban Tuyên giáo thành phố?")
    >>> [[role_fit(analyse(t), c) for c in extract.people(s)] for t in asked]
    [[False, True], [True, False], [False, True]]
    >>> q = analyse("Ai là Bí thư Thành ủy TP.HCM?")
    >>> [role_fit(q, c) for c in extract.people("Có Lê Thị A, Ủy viên Thường vụ Thành ủy, Bí thư Quận ủy Quận 1 dự.")]
    [False]

    A commission's head is the asked commission's ("Trưởng Ban Dân vận"), when the role names one:

    >>> s = "Trưởng Ban Tuyên giáo Thành ủy Trần Văn B và Trưởng Ban Dân vận Thành ủy Lê Văn C dự."
    >>> [role_fit(analyse("Ai là Trưởng Ban Dân vận Thành ủy?"), c) for c in extract.people(s)]
    [False, True]
    """
    written = extract.written_role(person)
    if not plain_words(written) or not q.role:
        return None
    # Each office of a role is one clause ("Ủy viên Thường vụ Thành ủy, Bí thư Quận ủy Quận 1"):
    # the head asked must be written with its own body and place.
    asked = None if q.office else tier_asked(q.text, q.places)  # no body asked: the place asked
    return any(_clause_fit(q, clause, asked) for clause in re.split(r"[,;]", written))


def _clause_fit(q: Question, written: str, asked: int | None) -> bool:
    """Whether one office of a written role ("Bí thư Quận ủy Quận 1") is the one asked; `asked`,
    how local the place asked is when no body is (`subjects.tier_asked`), says whose office."""
    role = plain_words(written)
    offices = [o for o in roles()["offices"] if any(find_phrase(role, w) for w in o["written"])]
    bodies = [w for o in offices for w in o["written"] if find_phrase(role, w)]
    if q.office and bodies and not set(bodies) & set(q.office):
        return False  # the office of another body ("Quận ủy" for "Thành ủy")
    commissions = [w for c in roles()["commissions"] for w in c["written"] if find_phrase(role, w)]
    if q.commission and commissions and not set(commissions) & set(q.commission):
        return False  # another commission's head ("Trưởng ban Tuyên giáo" for the Ban Dân vận)
    if asked is not None:
        held = {TIERS[o["level"]] for o in offices if "level" in o} | {
            TIERS[p.level] for p in places(written)
        }
        if held and asked not in held:
            return False  # "Trưởng ban Tuyên giáo Quận ủy quận 1" for the city's
    heads = (m for head in q.role for m in re.finditer(rf"(?<!\w){re.escape(head)}(?!\w)", role))
    return any(rank_before(role, m.start()) == q.rank for m in heads)


def own_figure(q: Question, figure: extract.Candidate) -> bool:
    """Whether a figure is one the question itself writes ("quận 1"), so not its answer. The same
    value in another unit is not ("12 ngày" for "làm đủ 12 tháng … bao nhiêu ngày?").

    >>> from rag.reading.question import analyse
    >>> q = analyse("Làm đủ 12 tháng thì được nghỉ bao nhiêu ngày?")
    >>> [own_figure(q, c) for c in extract.numbers("Làm đủ 12 tháng được nghỉ 12 ngày, quận 12 có 12 ngày.")]
    [True, False, True, False]
    >>> [own_figure(analyse("Quận 1 có bao nhiêu phường?"), c) for c in extract.numbers("Quận 1 có 10 phường")]
    [True, False]
    """
    if figure.value not in q.numbers:
        return False
    units = [unit.split()[:1] for value, unit in q.figures if value == figure.value]
    mine = figure.unit.split()[:1]
    return not (mine and units and all(u and u != mine for u in units))


def names_office(q: Question, sentence: str) -> bool:
    """Whether a sentence names the office a "who is the …" question asks (True when none is asked).

    >>> from rag.reading.question import analyse
    >>> q = analyse("Who is the mayor of Hanoi?")
    >>> names_office(q, "Nguyễn Lê - Hà Nội mới"), names_office(q, "Chủ tịch UBND Hà Nội Trần Sỹ Thanh dự.")
    (False, True)
    >>> names_office(analyse("Ai là Trưởng Ban Dân vận Thành ủy?"), "Phó Trưởng Ban Tổ chức Quận ủy cho biết.")
    False
    """
    if not q.role:
        return True
    words = plain_words(sentence)
    if q.commission and not any(find_phrase(words, w) for w in q.commission):
        return False  # "Trưởng ban" written, of another commission
    return any(find_phrase(words, head) for head in q.role)


def same_count(asked: Sequence[str], unit: str) -> bool:
    """A figure's unit (folded) counts what is asked: their first two words agree, or its first
    word when one of them has one ("hộ" counts "hộ gia đình"; "tổ chức cơ sở" no "khu phố").

    >>> same_count(("ho", "gia", "dinh"), "ho"), same_count(("khu", "pho"), "khu dan cu"), same_count(("khu", "pho"), "khu pho van hoa")
    (True, False, True)
    """
    words = drop_scale(unit.split())
    n = min(len(asked), len(words), 2)
    return n > 0 and tuple(asked[:n]) == tuple(words[:n])


def counted_unit(q: Question, texts: Sequence[str]) -> tuple[str, ...]:
    """What a Vietnamese "how many" counts (`Question.head`: "bản ghi" of "triệu bản ghi", "người"
    of "người Úc") when `texts` count by it: a unit of two words or more ("khu phố", not
    "người", which counts anyone) whose first two words one of their figures carries, past its
    scale, else (). Then only figures of that unit answer: "Tân Bình có bao nhiêu khu
    phố?" is not "39 tổ chức cơ sở"; where nothing is counted so ("bao nhiêu tiếng", "4 giờ"),
    figures of other units still may.

    >>> from rag.reading.question import analyse
    >>> q = analyse("Quận Tân Bình có bao nhiêu khu phố?")
    >>> counted_unit(q, ["Quận 1 có 66 khu phố."]), counted_unit(q, ["Có 39 tổ chức cơ sở."])
    (('khu', 'pho'), ())
    """
    if len(q.head) < 2 or q.lang == "en" or q.wants_percent or counted_level(q):
        return ()
    for text in texts:
        if any(drop_scale(c.unit.split())[:2] == q.head[:2] for c in extract.numbers(text)):
            return q.head
    return ()


def counted_level(q: Question) -> tuple[str, ...]:
    """The administrative heads a "how many" counts, when that is all it counts ("bao nhiêu
    phường": "phuong"; "how many wards": "phuong", "xa", "thi tran"), or (): such units are
    counted by their head ("10 phường").

    >>> from rag.reading.question import analyse
    >>> [counted_level(analyse(t)) for t in ("Quận 1 có bao nhiêu phường?", "Tỉnh có bao nhiêu thành phố?", "Có bao nhiêu xã viên?")]
    [('phuong',), ('thanh pho',), ()]
    >>> counted_level(analyse("How many wards does Tan Binh have?")), counted_level(analyse("How many cities?"))
    (('phuong', 'xa', 'thi tran'), ('thanh pho', 'tp'))
    """
    if not COUNTED_LEVELS or not q.unit:
        return ()
    if q.lang != "en":
        head = " ".join(q.unit)
        return (head,) if head in LEVELS else ()
    word = q.unit[0].lower()
    singular = word[:-3] + "y" if word.endswith("ies") else word[:-1] if word.endswith("s") else word
    if len(q.unit) > 1 or singular not in ENGLISH_HEADS:
        return ()
    return tuple(h for h, level in LEVELS.items() if level == LEVELS[singular] and h not in ENGLISH_HEADS)


def candidates(q: Question, sentence: str) -> list[extract.Candidate]:
    if q.kind == "number":
        named = places(sentence)  # "quận 1", "phường 05": a number that names a place counts nothing
        found = [
            c
            for c in extract.numbers(sentence)
            if not own_figure(q, c)
            and not any(p.start <= c.start < p.end for p in named)
            and fits_measure(q.measure, sentence, c)
            and counts_thing(q, sentence, c)
            and not owner_elsewhere(q.places, named, c.start)
        ]
        if q.wants_percent and any(c.unit == "%" for c in found):
            found = [c for c in found if c.unit == "%"]
        heads = counted_level(q)
        if heads:  # "bao nhiêu phường": wards are counted as wards ("10 phường"), never "39 tổ chức"
            found = [c for c in found if any(f"{c.unit} ".startswith(h + " ") for h in heads)]
        return found
    if q.kind == "date":
        return extract.dates(sentence)
    if q.kind == "person":
        asked = fold(q.text).lower()
        # A person whose written role is another office does not answer "who is the …"; one
        # with no role written answers it only in a sentence that names the office.
        fits = (True, None) if names_office(q, sentence) else (True,)
        return [c for c in extract.people(sentence) if c.value not in asked and role_fit(q, c) in fits]
    if q.kind == "role":
        return [c for name in q.names for c in extract.roles(sentence, name)]
    return []


@dataclass(frozen=True)
class _Sentence:
    """What a sentence says about the question, whatever its passage scored."""

    start: int
    end: int
    text: str
    words: list[str]
    coverage: float
    own_coverage: float
    candidate: extract.Candidate | None
    quality: float


def _read(
    q: Question, passage: Passage, weights: dict[str, float], idf, near: dict[str, float]
) -> tuple[float, list[_Sentence]]:
    """The passage's coverage of the question (`weights`) and its sentences that can be evidence,
    each with its candidate chosen by the words `near` it (`figure_weights`)."""
    passage_cov = coverage(weights, [fold(w) for w in terms(passage.text)])
    spans = split_sentences(passage)
    texts = [passage.text[a - passage.start : b - passage.start] for a, b in spans]
    folded = [[fold(w) for w in terms(t)] for t in texts]
    out = []
    for i, ((start, end), text, words) in enumerate(zip(spans, texts, folded)):
        if len(words) < MIN_SENTENCE_WORDS:
            continue  # a list number "4." or a heading
        if text.rstrip().endswith("?"):
            continue  # a question restates what is asked ("… là con của A hay B?"), it answers nothing
        # A sentence often leaves implicit what the one before it named ("Trong
        # năm, …" after "trong năm 2023"), so the decision reads both.
        context = (folded[i - 1] if i else []) + words
        candidate, quality = _best_candidate(q, text, words, near, idf) or (None, 0.0)
        out.append(_Sentence(
            start, end, text, words, coverage(weights, context), coverage(weights, words), candidate, quality,
        ))  # fmt: skip
    return passage_cov, out


class Reader:
    """Reads passages for one question: the question analysed once, each passage read
    once, whoever asks (the re-ranker, then the answer). Built per question and index
    snapshot; `idf` is that snapshot's."""

    def __init__(self, question: str | Question, idf: Callable[[str], float], span_model=None):
        self.question = analyse(question) if isinstance(question, str) else question
        self.idf = idf
        self.weights = _weights(self.question, idf)
        self.near = figure_weights(self.question, self.weights, idf)  # its places are not read
        self._read: dict[tuple[str, int, int], tuple[float, list[_Sentence]]] = {}
        self.span_model = span_model  # rag.model.spans.SpanReader, or None: no span reading
        self._spans: dict[tuple[str, int, int], spans.PassageSpans] = {}

    def spans(self, passages: list[Passage]) -> None:
        """Have the span reader read `passages` (those not read yet, in one batch); `evidence`
        and `span_belief` then use its scores. Nothing is read without a span model."""
        if self.span_model is None:
            return
        missing = [p for p in dict.fromkeys(passages) if p.key not in self._spans]
        if missing:
            plain = READ_UNACCENTED and self.question.lang == "vi-noaccent"
            texts = [strip_marks_aligned(p.text) if plain else p.text for p in missing]
            read = self.span_model.read_batch(self.question.text, texts)
            self._spans.update((p.key, r) for p, r in zip(missing, read))

    def learn(self, passages: Sequence[Passage]) -> None:
        """What a "how many" question means in the words of the retrieved `passages`, learnt
        before any is read:
        - the names it writes without their head that they write with one ("Tân Bình có bao
          nhiêu phường?" after "quận Tân Bình …") are asked places, so that another place's
          figure is no candidate (`subjects.named_places`);
        - what it counts, when they count by it ("bao nhiêu khu phố" and "66 khu phố"), is
          what its figures must count (`counted_unit`)."""
        q = self.question
        if q.kind != "number":
            return
        texts = [p.text for p in passages]
        extra = named_places(q.text, texts, q.places) if NAMED_PLACES else []
        counted = counted_unit(q, texts) if COUNTED_UNITS else ()
        if extra or counted:
            places_ = tuple(sorted(q.places + tuple(extra), key=lambda p: p.start))
            self.question = replace(q, places=places_, counted=counted)
            self._read.clear()

    def span_belief(self, passage: Passage) -> float:
        """P(the answer is in `passage`) by the span reader, once it has read it (else 0)."""
        read = self._spans.get(passage.key)
        best = spans.best_span(read) if read is not None else None
        return spans.belief(best[0]) if best else 0.0

    def read(self, passage: Passage) -> tuple[float, list[_Sentence]]:
        """The passage's coverage of the question and its sentences that can be evidence."""
        found = self._read.get(passage.key)
        if found is None:
            found = self._read[passage.key] = _read(self.question, passage, self.weights, self.idf, self.near)
        return found

    def evidence(self, passages: list[Passage]) -> list[Evidence]:
        """Every evidence sentence of `passages` (best first), scored."""
        top = max((p.score for p in passages), default=1.0)
        top = top if top > 0 else 1.0
        seen: set[tuple[str, int, int]] = set()
        out = []
        for rank, passage in enumerate(passages):
            passage_cov, sentences = self.read(passage)
            read = self._spans.get(passage.key)  # None when the span reader has not read it
            for sent in sentences:
                if (passage.source, sent.start, sent.end) in seen:
                    continue  # the same sentence in two overlapping chunks
                seen.add((passage.source, sent.start, sent.end))
                ev = Evidence(passage, rank, sent.start, sent.end, sent.text, sent.words)
                ev.coverage, ev.own_coverage = sent.coverage, sent.own_coverage
                ev.passage_coverage, ev.retrieval = passage_cov, max(passage.score, 0.0) / top
                ev.score = (
                    SENTENCE_WEIGHTS[0] * sent.own_coverage
                    + SENTENCE_WEIGHTS[1] * sent.coverage
                    + SENTENCE_WEIGHTS[2] * passage_cov
                    + SENTENCE_WEIGHTS[3] * max(passage.score, 0.0) / top
                )
                if sent.candidate is not None:
                    ev.candidate, ev.candidate_quality = sent.candidate, sent.quality
                    ev.candidate_score = CANDIDATE_WEIGHTS[0] * ev.score + CANDIDATE_WEIGHTS[1] * sent.quality
                best = (
                    spans.best_span(read, sent.start - passage.start, sent.end - passage.start)
                    if read is not None
                    else None
                )
                if best is not None:
                    ev.span_belief, ev.span_score = spans.belief(best[0]), best[0]
                    ev.span = (passage.start + best[1], passage.start + best[2])
                out.append(ev)
        return out


def phrase_match(q_weights: dict[str, float], idf: Callable[[str], float], phrase: str) -> float:
    """How well a phrase says what the question asks: its coverage of the question, scaled
    down by the share of the phrase (by idf) that the question does not mention.

    >>> w = {"me": 1.0, "cua": 0.2, "ha": 1.0, "me_cua": 1.0}
    >>> phrase_match(w, lambda t: 1.0, "mẹ của Hà"), phrase_match(w, lambda t: 1.0, "mẹ của Kim")
    (0.9, 0.55)
    """
    words = [fold(w) for w in terms(phrase)]
    if not words or not q_weights:
        return 0.0
    recall = coverage(q_weights, words)
    own = {t: idf("~" + t) for t in set(words) | set(bigrams(words))}
    precision = sum(w for t, w in own.items() if t in q_weights) / max(sum(own.values()), 1e-9)
    return recall * (0.5 + 0.5 * precision)


@lru_cache(maxsize=256)
def _only_in_places(q: Question) -> frozenset[str]:
    """The question's folded words written only where it names a place it asks ("quận", "1" in
    "Quận 1 có bao nhiêu tập thể …"; "quận" stays when it also asks "cấp quận")."""
    spans = [(p.start, p.end) for p in places(q.text) if any(p.same(a) for a in q.places)]
    inside, outside = set(), set()
    for word, start, _ in tokens(q.text):
        (inside if any(a <= start < b for a, b in spans) else outside).add(fold(word).lower())
    return frozenset(inside - outside)


@lru_cache(maxsize=256)
def _spelled(q: Question) -> dict[str, frozenset[tuple[str, str]]]:
    """The spellings of each content syllable the question writes with its marks, by folded form
    (one typed without them matches any: it is left out)."""
    forms: dict[str, set[tuple[str, str]]] = {}
    for folded, as_written in q.written:
        if as_written != folded:
            forms.setdefault(folded, set()).add(spelling(as_written))
    return {k: frozenset(v) for k, v in forms.items()}


def figure_groups(text: str, marks: list[int], found: list[extract.Candidate]) -> list[int]:
    """The group of each clause of `text` (the parts between `marks`, clause marks' offsets):
    a clause that ends with its figure ("05 tập thể,") shares what the next clause says of its
    own ("06 cá nhân được biểu dương cấp thành phố"), so both are one group.

    >>> s = "Quận 1 có 05 tập thể, 06 cá nhân được biểu dương cấp thành phố, 86 tập thể, 108 cá nhân được biểu dương cấp quận."
    >>> marks = [m.start() for m in _CLAUSE_MARK.finditer(s)]
    >>> figure_groups(s, marks, extract.numbers(s)[1:])
    [0, 0, 1, 1]
    """
    bounds = [0, *(m + 1 for m in marks), len(text)]
    groups, group = [], 0
    for lo, hi in zip(bounds, bounds[1:]):
        groups.append(group)
        bare = any(lo <= c.start and not text[c.end : hi].strip(" ,;:.") for c in found if c.end <= hi)
        if not bare:
            group += 1
    return groups


def part_of_total(text: str, found: list[extract.Candidate]) -> dict[int, int]:
    """Figures written as the total of the figure before them, in one unit ("6.551 đảng viên
    trên tổng số 6.949 đảng viên"; `words.toml` `answers.part_of_total`): index of each total
    in `found` -> index of its part.

    >>> s = "Có 6.551 đảng viên trên tổng số 6.949 đảng viên đã học, và 30 chi bộ trong số 40 người."
    >>> part_of_total(s, extract.numbers(s))
    {1: 0}
    """
    joins = _total_joins()
    out = {}
    for i in range(1, len(found)):
        part, total = found[i - 1], found[i]
        between = " ".join(fold(text[part.end : total.start]).lower().split())
        same = part.unit.split()[:1] == total.unit.split()[:1] != []
        if between in joins and same:
            out[i] = i - 1
    return out


@lru_cache(maxsize=1)
def _total_joins() -> frozenset[str]:
    return frozenset(" ".join(fold(w).lower().split()) for w in word_list("answers.part_of_total"))


@lru_cache(maxsize=1)
def _predicate_marks() -> frozenset[str]:
    return frozenset(word_list("answers.predicate_marks"))  # as written: "đang" is no "đảng"


def _predicate_after(q: Question, text: str, total: extract.Candidate) -> bool:
    """Whether what the question says its counted subject did (its words after one of
    `words.toml` `answers.predicate_marks`, "đã tham gia học tập") is written after a total:
    then it is what the total's part did ("… trên tổng số 6.949 đảng viên … đã tham gia học tập").
    "Tổng số đảng viên là bao nhiêu?" says nothing done, and asks the total.

    >>> from rag.reading.question import analyse
    >>> s = "Có 6.551 đảng viên trên tổng số 6.949 đảng viên toàn Đảng bộ đã tham gia học tập."
    >>> total = extract.numbers(s)[1]
    >>> [_predicate_after(analyse(t), s, total) for t in ("Bao nhiêu đảng viên đã tham gia học tập?", "Đảng bộ có bao nhiêu đảng viên?")]
    [True, False]
    """
    marks = _predicate_marks()
    written = [w.lower() for w in terms(q.text)]
    opened = next((i for i, w in enumerate(written) if w in marks), None)
    if opened is None:
        return False
    asked = {fold(w) for w in written[opened + 1 :]}
    done = {w for w in asked if w in q.content and w not in q.unit}
    return bool(done & {fold(w).lower() for w in terms(text[total.end :])})


def predicate_unwritten(q: Question, context: str) -> bool:
    """Whether a Vietnamese "how many" question says what its counted subject did (its words after
    the last of `words.toml` `answers.predicate_opens`, up to a word that ends a unit, "trong" or
    "tại" opening a condition, past what it counts, the places it names and figures: "bị kỷ
    luật", "đã bị bắt giữ làm tù binh") and `context` (the evidence sentence and what precedes
    it) writes none of them: then the sentence's figure is of the whole, not of the part asked.

    >>> from rag.reading.question import analyse
    >>> s = "Đảng bộ quận Tân Bình hiện có 12.554 đảng viên."
    >>> asked = ("Quận Tân Bình có bao nhiêu đảng viên bị kỷ luật trong năm 2022?",
    ...          "Quận Tân Bình có bao nhiêu đảng viên?", "Bao nhiêu đảng viên đã tham gia học tập?")
    >>> [predicate_unwritten(analyse(t), s) for t in asked]
    [True, False, True]
    >>> predicate_unwritten(analyse(asked[2]), "Có 6.551 đảng viên đã tham gia học tập.")
    False
    >>> predicate_unwritten(analyse("Bao nhiêu người đã bị bắt giữ làm tù binh?"), "15.000 binh sĩ trở thành tù binh.")
    False
    """
    if q.kind != "number" or q.lang == "en":
        return False
    written = [w.lower() for w in terms(q.text)]
    opened = [i for i, w in enumerate(written) if w in _predicate_opens()]
    if not opened:
        return False
    named = {w for p in q.places for w in fold(p.text).lower().split()}
    content, said = set(q.content), []
    for w in written[opened[-1] + 1 :]:
        if w in _UNIT_ENDS or w[0].isdigit():
            break
        w = fold(w)
        if w in content and w not in q.unit and w not in named:
            said.append(w)
    return bool(said) and not set(said) & {fold(w).lower() for w in terms(context)}


_UNIT_ENDS = frozenset(word_list("unit_ends.both"))  # as written: "của", "trong", "tại"


@lru_cache(maxsize=1)
def _predicate_opens() -> frozenset[str]:
    return frozenset(word_list("answers.predicate_opens"))  # as written: "đang" is no "đảng"


def part_asked(q: Question, text: str, total: extract.Candidate) -> bool | None:
    """Whether the question asks what a total's part did, as the sentence says it after the
    total (its words past one of `words.toml` `answers.predicate_marks`): True when the question
    says some of it (past what it counts and the places it names), False when none, None when the
    sentence says nothing done.

    >>> from rag.reading.question import analyse
    >>> s = "Có 6.551 đảng viên trên tổng số 6.949 đảng viên toàn Đảng bộ quận 1 đã tham gia học tập."
    >>> total = extract.numbers(s)[1]
    >>> asked = ("Quận 1 có bao nhiêu đảng viên?", "Bao nhiêu đảng viên quận 1 tham gia học tập?")
    >>> [part_asked(analyse(t), s, total) for t in asked], part_asked(analyse(asked[0]), "Có 5 người trong số 9 người.", total)
    ([False, True], None)
    """
    marks = _predicate_marks()
    after = [w.lower() for w in terms(text[total.end :])]
    opened = next((i for i, w in enumerate(after) if w in marks), None)
    if opened is None:
        return None
    said = said_past_unit(q, frozenset(w for p in q.places for w in fold(p.text).lower().split()))
    done = [fold(w) for w in after[opened + 1 :]]
    if q.lang == "en":  # "studied the resolution" against "đã tham gia nghiên cứu, học tập"
        written = f" {' '.join(done)} "
        return any(f" {t} " in written for t in translated(said, PREDICATE_TRANSLATIONS))
    return bool(set(said) & set(done))


def _best_candidate(
    q: Question, text: str, words: list[str], weights: dict[str, float], idf
) -> tuple[extract.Candidate, float] | None:
    """The sentence's candidate of the asked type that best fits the question, with that fit.

    A total asked about what its part did ("bao nhiêu đảng viên đã tham gia học tập" against
    "6.551 đảng viên trên tổng số 6.949 đảng viên … đã tham gia học tập") gives the part its fit.
    """
    starts = [s for _, s, _ in tokens(text)]
    # Where the sentence names a place the question asks ("quận 1 có 05 tập thể, … 184 tập thể")
    # says whose its figures are, which `owner_elsewhere` checks, not which of them is asked.
    owner = (
        [(p.start, p.end) for p in places(text) if any(p.same(a) for a in q.places)]
        if OWNER_NOT_NEAR and q.kind == "number"
        else []
    )
    # A question word written with its marks is near only as written: "cơ sở" is not the "có"
    # of "quận 1 có 05 tập thể", though both fold to "co".
    forms = _spelled(q) if AS_WRITTEN else {}
    written = terms(text) if forms else []
    positions: dict[str, list[int]] = {}
    for i, word in enumerate(words):
        asked = forms.get(word)
        if asked and written[i] != word and spelling(written[i]) not in asked:
            continue
        if not any(a <= starts[i] < b for a, b in owner):
            positions.setdefault(word, []).append(i)
    if owner:  # nor do the question's words that only name that place ("Quận 1 có … cấp thành phố")
        weights = {t: w for t, w in weights.items() if t not in _only_in_places(q)}
    # A figure's words follow it ("43 chi bộ hoàn thành xuất sắc"); a person's title comes
    # before the name, past a comma as often as not ("…, Tổng Giám đốc X"): figures only.
    marks = [m.start() for m in _CLAUSE_MARK.finditer(text)] if CLAUSE_COST and q.kind == "number" else None
    found = candidates(q, text)
    clauses: list[int] = []
    lasts: dict[int, int] = {}  # a group's last figure's token: what follows it is said of the group
    if marks is not None:
        groups = figure_groups(text, marks, found) if FIGURE_GROUPS else list(range(len(marks) + 1))
        clauses = [groups[bisect_left(marks, s)] for s in starts]
    scored = []
    tokens_at = [next((i for i, s in enumerate(starts) if s >= c.start), 0) for c in found]
    if clauses and FIGURE_GROUPS:
        for i in tokens_at:
            lasts[clauses[i]] = max(lasts.get(clauses[i], i), i)
    for cand, at in zip(found, tokens_at):
        if q.lang == "en":  # "party members" against "đảng viên": by the words' translations
            fit = EN_UNIT_FIT * unit_translated(q, cand.unit)
        else:
            fit = unit_match(q.unit, cand.unit)
        ahead = lasts.get(clauses[at], at) if clauses else at
        local = proximity(weights, positions, at, clauses, ahead if ahead > at else None) + fit
        local -= UNIT_EXTRA_WEIGHT * unit_extra(q, cand.unit)
        if q.kind == "person":
            # What is written beside the name ("Bà X, mẹ của Y", "Bộ trưởng … X") should
            # be what is asked, and not about someone or somewhere else.
            beside = phrase_match(weights, idf, extract.attached(text, cand.start, cand.end))
            role = extract.written_role(cand)  # the role the extractor found
            if role:
                beside = max(beside, coverage(weights, [fold(w) for w in terms(role)]))
            local += beside
        if cand.unit == "vn":  # a Vietnamese family name: surely a person
            local += 0.1
        elif q.kind == "person":  # any capitalised run: less sure it is a person
            local -= 0.2
        scored.append(local)
    if q.kind == "number":
        for total, part in part_of_total(text, found).items():
            done = part_asked(q, text, found[total]) if TOTAL_ASKED else None
            if _predicate_after(q, text, found[total]) or done:
                scored[part] = max(scored[part], scored[total] + 1e-6)
            elif done is False:
                scored[total] = max(scored[total], scored[part] + 1e-6)
    # What the passages count by is what answers (`counted_unit`): a figure of another thing of
    # two words or more ("39 tổ chức cơ sở" for "khu phố") does not. One written without a unit
    # ("từ 16.500 đến 47.000 cá thể") or in one word, maybe a synonym ("65 triệu album" for "bản
    # ghi"), may still. Chosen after the fits, which read every figure of the sentence ("05 tập
    # thể, 06 cá nhân …": `figure_groups`).
    keep = [
        k
        for k, c in enumerate(found)
        if not q.counted or len(drop_scale(c.unit.split())) < 2 or same_count(q.counted, c.unit)
    ]
    if not keep:
        return None
    i = max(keep, key=lambda k: (scored[k], -k))
    return found[i], scored[i]
