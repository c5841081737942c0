"""Find typed answer candidates in a sentence: figures with units, dates, people (pure functions)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.language.normalize import fold, normalize_number, tokens
from rag.language.words import words

# Word lists: rag/data/words.toml says what each is for and how its entries are written.
# A sentence is read accented: folding would make "đang" (currently) end "đảng viên".
_UNIT_STOP = frozenset(words("unit_ends.both") + words("unit_ends.sentence"))
_DURATIONS = frozenset(words("unit_ends.durations"))
FAMILY_NAMES = frozenset(words("family_names"))
_OFFICE_WORDS = frozenset(words("offices"))
_TITLE_WORDS = frozenset(words("titles")) | _OFFICE_WORDS
_ROLE_END = frozenset(words("title_ends"))
_ROLE_WORDS = tuple(fold(w) for w in words("role_words"))
ROLES_AFTER = 3  # titles read after a name, one a comma ("X, Thành ủy viên, Phó Chủ tịch …")
_HONORIFICS = words("honorifics.address") + words("honorifics.kin")  # they introduce a person


def _either(phrases: tuple[str, ...]) -> str:
    return "|".join(re.escape(p) for p in phrases)


_INTRODUCES = re.compile(rf"(?:^|[\s(])(?:{_either(_HONORIFICS)})\.?\s$", re.IGNORECASE)
_HONORIFIC = re.compile(  # ends the text right before a name
    rf"\s*(?:{_either(_HONORIFICS + words('honorifics.comrade'))})$", re.IGNORECASE
)
_HONORIFIC_START = re.compile(  # opens a role
    rf"^(?:{_either(words('honorifics.address') + words('honorifics.comrade'))})\s+", re.IGNORECASE
)
# A run opening with one of these, or holding one of these phrases as whole words, is a
# place, an organisation or a publication, not a person.
_NOT_PERSON = re.compile(
    rf"(?:^(?:{_either(words('not_person_openers'))})|(?<!\w)(?:{_either(words('not_person_phrases'))}))(?!\w)"
)
# Nationalities and places written before a name: "Tổng thống Pháp Emmanuel Macron", "người Hà
# Lan X", "Phó Bí thư Thành ủy Thành phố Hồ Chí Minh Nguyễn Văn Hiếu".
_COUNTRIES = [c.split() for c in words("countries")]
_PREFIXES = _COUNTRIES + [p.split() for p in words("places")]
# A name holding one of these is not a person; one-word countries ("Đức", "Nga") are also
# given names, so only longer ones count.
_PLACES = words("places") + tuple(c for c in words("countries") if " " in c)
_DATE = re.compile(
    r"(?:ngày\s+\d{1,2}(?:\s*(?:/|-|tháng)\s*\d{1,2})?(?:\s*(?:/|-|năm)\s*\d{4})?"
    r"|tháng\s+\d{1,2}(?:\s*(?:/|năm)\s*\d{4})?"
    r"|năm\s+\d{4}"
    r"|\b\d{1,2}/\d{1,2}/\d{4}\b"
    r"|(?<!số )\b(?:0?[1-9]|1[0-2])/\d{4}\b(?!/)"  # a month, not a document's number ("số 98/2023/QH15")
    r"|(?<!/)\b(?:1[0-9]|20)\d{2}\b(?!/))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Candidate:
    text: str  # the short answer as written in the sentence
    value: str  # canonical value, to tell figures apart ("8033")
    unit: str  # folded unit key ("dang vien"), empty when none
    start: int  # offsets inside the sentence
    end: int


def written_role(person: Candidate) -> str:
    """The role `people` found written next to a person ("Phó Bí thư Quận ủy"), or "".

    >>> written_role(people("Phó Bí thư Quận ủy Nguyễn Hoàng Long chủ trì.")[0])
    'Phó Bí thư Quận ủy'
    """
    return person.text[person.text.index("(") + 1 : -1] if "(" in person.text else ""


def dates(sentence: str) -> list[Candidate]:
    """Date expressions.

    >>> [c.text for c in dates("Ngày 14/9/2022 và năm 2023, tháng 5 năm 2021")]
    ['Ngày 14/9/2022', 'năm 2023', 'tháng 5 năm 2021']
    >>> [c.text for c in dates("Nghị quyết số 98/2023/QH15 và 5/2024, số 12/2023")]
    ['5/2024']
    """
    return [
        Candidate(m.group(), fold(m.group()).lower(), "", m.start(), m.end())
        for m in _DATE.finditer(sentence)
    ]


_DEGREES = re.compile(r"\s?°\s?[CFK]?(?!\w)")


def numbers(sentence: str) -> list[Candidate]:
    """Figures with the unit that follows them (dates are left out); a minus sign after a space
    makes a figure negative.

    >>> [(c.text, c.value, c.unit) for c in numbers("với 8.033 đảng viên trên tổng số, đạt 94,27%.")]
    [('8.033 đảng viên', '8033', 'dang vien'), ('94,27%', '94.27', '%')]
    >>> [(c.text, c.unit) for c in numbers("nghỉ 12 ngày, 3 năm 2020, 30 tháng 4, 8.033 đảng viên năm 2020")]
    [('12 ngày', 'ngay'), ('3', ''), ('30', ''), ('8.033 đảng viên', 'dang vien')]
    >>> [(c.text, c.value, c.unit) for c in numbers("nhiệt độ hạ xuống -30 °C, ở Ba-1 là 2 °C")]
    [('-30 °C', '-30', '°c'), ('2 °C', '2', '°c')]
    """
    in_date = [(d.start, d.end) for d in dates(sentence)]
    toks = tokens(sentence)
    out = []
    for i, (tok, start, end) in enumerate(toks):
        if not tok[0].isdigit() or any(a <= start < b for a, b in in_date):
            continue
        if sentence[end : end + 1] == "%":
            out.append(Candidate(sentence[start : end + 1], normalize_number(tok), "%", start, end + 1))
            continue
        negative = start and sentence[start - 1] in "-−" and (start == 1 or not sentence[start - 2].isalnum())
        ratio = _part_of_whole(sentence, start)
        if ratio:  # "440/465 (đạt 94,62%) chi bộ": 440 of the 465, counted in what follows
            j = next((k for k in range(i + 1, len(toks)) if toks[k][1] >= ratio), len(toks))
            unit, unit_end = _unit(sentence, toks, j - 1, ratio)
            part = normalize_number(tok)
            out.append(Candidate(sentence[start:unit_end], part, " ".join(unit), start, unit_end))
            continue
        if sentence[end : end + 1] == "/" or (start and sentence[start - 1] in "/-." and not negative):
            continue  # a code "35-NQ/TW" or a document's number "98/2023/QH15" is not a quantity
        value = ("-" if negative else "") + normalize_number(tok)
        start -= 1 if negative else 0
        degrees = _DEGREES.match(sentence, end)
        if degrees:  # "-30 °C": the unit is the sign
            unit = fold(degrees.group().strip()).lower()
            out.append(Candidate(sentence[start : degrees.end()], value, unit, start, degrees.end()))
            continue
        unit, unit_end = _unit(sentence, toks, i, end)
        out.append(Candidate(sentence[start:unit_end], value, " ".join(unit), start, unit_end))
    return out


# A part of a whole, "440/465", then what is counted, past a bracket ("(đạt 94,62%)").
_PART_OF_WHOLE = re.compile(r"(\d+(?:\.\d{3})*)/(\d+(?:\.\d{3})*)(?![\w/]|[.,]\d)(?:\s*\([^()]{0,40}\))?")


def _part_of_whole(sentence: str, start: int) -> int | None:
    """Where the unit of a part of a whole written "440/465" at `start` begins (past a bracket
    after it), or None: not such a figure, a date ("5/2024"), a document's number ("số 98/2023/QH15",
    "35-NQ/TW") or a part larger than its whole.

    >>> s = "có 440/465 (đạt 94,62%) chi bộ; số 12/2023; 98/2023/QH15; 50/40"
    >>> [_part_of_whole(s, s.index(x)) for x in ("440", "12/", "98", "50")]
    [23, None, None, None]
    """
    if start and sentence[start - 1] in "/-.":
        return None
    m = _PART_OF_WHOLE.match(sentence, start)
    if not m or re.search(r"(?:số|No\.?)\s*$", sentence[:start], re.IGNORECASE):
        return None
    part, whole = (int(g.replace(".", "")) for g in m.groups())
    return m.end() if 0 < part <= whole else None


def _unit(sentence: str, toks, i: int, unit_end: int) -> tuple[list[str], int]:
    """The unit written right after a figure that ends at `unit_end` (token `i`): up to four
    words, stopped by punctuation, a figure or a word of `_UNIT_STOP`; a duration ("12 ngày")
    alone."""
    unit: list[str] = []
    for k, (word, w_start, w_end) in enumerate(toks[i + 1 : i + 5]):
        gap = sentence[unit_end:w_start]
        if gap.strip() or word[0].isdigit():
            break
        if not unit and word.lower() in _DURATIONS:  # "12 ngày", not the date "30 tháng 4"
            after = toks[i + 2 + k] if i + 2 + k < len(toks) else None
            if not (after and after[0][0].isdigit() and not sentence[w_end : after[1]].strip()):
                unit, unit_end = [fold(word).lower()], w_end
            break
        if word.lower() in _UNIT_STOP:
            break
        unit.append(fold(word).lower())
        unit_end = w_end
    return unit, unit_end


def _runs(sentence: str) -> list[list[tuple[str, int, int]]]:
    """Maximal runs of capitalised words separated by single spaces."""
    runs: list[list[tuple[str, int, int]]] = []
    for tok in tokens(sentence):
        word, start, _ = tok
        if not word[0].isupper():
            continue
        previous = runs[-1][-1] if runs else None
        gap = sentence[previous[2] : start] if previous else ""
        # "Lyndon B. Johnson": a single capital with a period is an initial inside a name.
        if previous and (gap in (" ", "-") or (gap == ". " and len(previous[0]) == 1)):
            runs[-1].append(tok)
        else:
            runs.append([tok])
    return runs


def _place_prefix(run: list[tuple[str, int, int]]) -> int:
    """How many leading words of a run name a country or a place (0 when none)."""
    words = [w for w, _, _ in run]
    for place in _PREFIXES:
        if words[: len(place)] == place and len(words) > len(place):
            return len(place)
    return 0


def _abbreviation_before_words(run: list[tuple[str, int, int]]) -> bool:
    """The run opens with a word of two or more capitals followed by words that are not all
    capitals: an abbreviation ("HCM", "UBND") before a name, never part of a person's name."""
    first = run[0][0]
    return len(first) > 1 and first.isupper() and any(not w.isupper() for w, _, _ in run[1:])


def _name_part(sentence: str, run: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """The name in a capitalised run not introduced as a person, or [] when it is none."""
    # Leading title words ("Đồng chí", "Bí thư", "Quận ủy") are not the name, nor a leading
    # abbreviation in capitals before words that are not ("TP.HCM Phan Nguyễn Như Khuê": "HCM").
    while run and (
        (run[0][0].lower() in _TITLE_WORDS and run[0][0].lower() not in FAMILY_NAMES)
        or _place_prefix(run)
        or _abbreviation_before_words(run)
    ):
        run = run[_place_prefix(run) or 1 :]
    if len(run) < 2 or len(run) > 5:
        return []
    blocked = _OFFICE_WORDS if run[0][0].lower() in FAMILY_NAMES else _TITLE_WORDS - FAMILY_NAMES
    words = [w.lower() for w, _, _ in run]
    if any(w in blocked for w in words) or _NOT_PERSON.search(" ".join(words)):
        return []
    name = sentence[run[0][1] : run[-1][2]]
    if any(place in name for place in _PLACES):
        return []
    return run


def people(sentence: str) -> list[Candidate]:
    """Person names, with the role written next to them when there is one.

    >>> [c.text for c in people("Phó Bí thư Thường trực Quận ủy Nguyễn Hoàng Long chủ trì hội nghị.")]
    ['Nguyễn Hoàng Long (Phó Bí thư Thường trực Quận ủy)']
    >>> [c.text for c in people("Trước đây, cha của Messi là ông Jorge luôn khẳng định điều đó.")]
    ['Jorge']
    >>> [c.text for c in people("Trong nhiệm kỳ này, ông Trường Chinh được bầu làm Chủ tịch.")]
    ['Trường Chinh']
    >>> [c.text for c in people("Ông Jorge đã lên tiếng.")]
    ['Jorge']
    >>> [c.text for c in people("Trưởng Ban Tuyên giáo Thành ủy TP.HCM Phan Nguyễn Như Khuê cho biết")]
    ['Phan Nguyễn Như Khuê (Trưởng Ban Tuyên giáo Thành ủy TP.HCM)']
    >>> [c.text for c in people("Có đồng chí Dương Anh Đức, Thành ủy viên, Phó Chủ tịch UBND Thành phố; và …")]
    ['Dương Anh Đức (Thành ủy viên, Phó Chủ tịch UBND Thành phố)']
    >>> [c.text for c in people("Năm 968, Đinh Bộ Lĩnh lên ngôi Hoàng đế.")]
    ['Đinh Bộ Lĩnh']
    >>> [c.text for c in people("Trần Đại Quang và Lý Công Uẩn ở Trường Đại Học Bách Khoa, Lâm Đồng.")]
    ['Trần Đại Quang', 'Lý Công Uẩn']
    """
    out = []
    for run in _runs(sentence):
        if len(run) >= 2 and run[0][0].lower() in _HONORIFICS:  # "Ông Jorge" opening a sentence
            run = run[1:]
            introduced = True
        else:
            introduced = bool(_INTRODUCES.search(sentence[: run[0][1]]))
        if not (introduced and len(run) <= 4):
            run = _name_part(sentence, run)
            if not run:
                continue
        start, end = run[0][1], run[-1][2]
        name = sentence[start:end]
        role = _role(sentence, start, end)
        text = f"{name} ({role})" if role else name
        family = run[0][0].lower() in FAMILY_NAMES
        out.append(Candidate(text, fold(name).lower(), "vn" if family else "", start, end))
    return out


def roles(sentence: str, name: str) -> list[Candidate]:
    """The role written next to each mention of `name` (a person the question names).

    >>> [c.text for c in roles("Ông Lại Xuân Môn, Phó Trưởng ban Tuyên giáo Trung ương, phát biểu", "Lại Xuân Môn")]
    ['Lại Xuân Môn: Phó Trưởng ban Tuyên giáo Trung ương']
    """
    out = []
    key = fold(name).lower()
    folded = fold(sentence).lower()  # same length as the NFC sentence
    for m in re.finditer(re.escape(key), folded):
        role = _role(sentence, m.start(), m.end())
        if role:
            out.append(Candidate(f"{name}: {role}", fold(role).lower(), "", m.start(), m.end()))
    return out


def attached(sentence: str, start: int, end: int, max_words: int = 8) -> str:
    """The phrases written against a name: the words before it back to the last mark, and
    an apposition after it (", …", " - …", " là …") up to the next mark, each at most `max_words`.

    >>> attached("Bà Ngọc Hương - mẹ của nữ ca sĩ Hồ Ngọc Hà", 3, 13)
    'Bà mẹ của nữ ca sĩ Hồ Ngọc Hà'
    """
    before = re.split(r"[,;:.()“”\"–-]", sentence[:start])[-1].split()[-max_words:]
    after = re.match(r"\s*(?:,|-|–|\s(?:là|chính là|was|is)\s)\s*([^,;.()“”\"]{2,})", sentence[end:])
    tail = after.group(1).split()[:max_words] if after else []
    return " ".join(before + tail)


def _titles_after(first: str, rest: str) -> str:
    """`first` (the title after a name) and the comma-separated titles that follow it in
    `rest`, while each holds a role word: "Thành ủy viên, Phó Chủ tịch UBND Thành phố"."""
    titles = [first]
    while len(titles) < ROLES_AFTER and (m := re.match(r"\s*,\s*([^,;.()]{3,80})", rest)):
        title = m.group(1).strip()
        has_role = any(r in fold(title).lower() for r in _ROLE_WORDS)
        if (
            not has_role
            or " và " in title
            or " and " in title
            or len(" ".join(titles + [title]).split()) > 12
        ):
            break
        titles.append(title)
        rest = rest[m.end() :]
    return ", ".join(titles)


def _role(sentence: str, start: int, end: int) -> str:
    """The title right before a name ("Bí thư Quận ủy X") or right after it ("X, Bí thư …")."""
    # A period inside a word ("TP.HCM") is no break.
    before = re.split(r"[,;:()“”\"–-]|\.(?!\w)", sentence[:start])[-1].strip()
    after = re.match(r"\s*,\s*([^,;.()]{3,80})", sentence[end:])
    # "A, chức vụ X và đồng chí B": B's title is not what comes before "và".
    before = _HONORIFIC.sub("", re.split(r"(?:^|\s+)(?:và|and)\s+", before)[-1])
    last = before.split()[-1] if before.split() else ""
    if last and not (last[0].isupper() or last[0].isdigit() or last.lower() in _ROLE_END):
        before = ""
    after_text = re.split(r"\s+(?:và|and)\s+", after.group(1).strip())[0] if after else ""
    if after_text and after_text == after.group(1).strip():  # more titles may follow, one a comma
        after_text = _titles_after(after_text, sentence[end + after.end() :])
    for phrase in (before, after_text):
        words = phrase.split()
        if 1 <= len(words) <= 12 and any(r in fold(phrase).lower() for r in _ROLE_WORDS):
            return _HONORIFIC_START.sub("", phrase)
    return ""
