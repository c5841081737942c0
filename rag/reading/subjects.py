"""Whose figure is it: the places and names a sentence is about, and the subject a passage
gives a figure.

A generated sentence can copy a figure its passage holds and still be wrong: asked about
Quận 3, a model writes "8.033 đảng viên [2]" where [2] says "Đảng bộ quận 1 có 8.033 đảng
viên". The figure is in the passage; it is Quận 1's. This module finds what a sentence is
about (its *subjects*) and what a passage ties each figure to, so that the verifier can ask
"does [2] give 8.033 to Quận 3?" instead of "is 8.033 in [2]?".

Two kinds of subject:
- a *place*: an administrative head and its name or number ("quận 1", "Quận Tân Bình",
  "District 3", "Tan Binh District", "TP.HCM"). A place has a level (district, ward, city,
  province), so a figure the passage gives to another place of the same level is a
  mismatch, not merely a missing subject;
- a *name* (a run of capitalised words) the question names: a person, an organisation, a
  work. There is no telling people from organisations here, so a name only has to be
  there, never "another one of its kind".

All functions are pure and work on NFC text; offsets are into the text given.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.language.normalize import fold, nfc, strip_marks, terms
from rag.language.words import words

# Head word (folded, lower case) -> level. A figure given to another place of the same level
# is another place's figure; levels differ so that "thành phố Thủ Đức" and "quận 1" are not
# compared (a city can hold a district).
LEVELS: dict[str, str] = {
    "quan": "district", "huyen": "district", "thi xa": "district", "district": "district",
    "phuong": "ward", "xa": "ward", "thi tran": "ward", "ward": "ward", "commune": "ward",
    "thanh pho": "city", "tp": "city", "city": "city",
    "tinh": "province", "province": "province",
}  # fmt: skip
# The heads as written with their diacritics: folded, "quân Nguyên" (an army), "Tiến Quân Ca"
# and "máy tính Bkav" would read as places. A head typed with no diacritics at all ("quan 1")
# is taken too.
_WRITTEN_HEADS = {
    *"quận huyện phường xã tỉnh district ward commune city province tp".split(),
    "thị xã", "thị trấn", "thành phố",
}  # fmt: skip
_HEAD = "|".join(sorted((h.replace(" ", r"\s+") for h in LEVELS), key=len, reverse=True))
# The name after a head: a number ("quận 1", "phường 05") or capitalised words ("quận Tân
# Bình", "TP.HCM", "TP. Hồ Chí Minh"). "Quận ủy", "xã hội", "thành phố đã" name no place.
# Matched on folded text (case kept), so only the head ignores case.
_NAME_AFTER = r"(?P<num>\d+)(?!\d|[.,]\d)|(?P<words>[A-Z]\w*(?:\s+[A-Z]\w*){0,3})"
_AFTER = re.compile(rf"(?<!\w)(?P<head>(?i:{_HEAD}))(?:\s*\.\s*|\s+)(?:{_NAME_AFTER})")
# English puts the head after the name: "Tan Binh District", "Ho Chi Minh City".
# A question word is no name: "What city is the Association headquarters in?".
_BEFORE = re.compile(
    r"(?:\b(?:The|the)\s+)?(?!(?:The|What|Which|Whose|How|Where|Each|Every|This|That|Its|Their)\b)(?P<words>[A-Z]\w*(?:\s+[A-Z]\w*){0,3})\s+(?P<head>(?i:district|ward|province|city))\b"
)
# The heads of LEVELS that are English words.
ENGLISH_HEADS = frozenset(("district", "ward", "commune", "city", "province"))
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Place:
    """A place named in a text: its level, its name as a key (folded, lower case, a number
    without leading zeros) and where the mention is."""

    level: str
    key: str
    start: int
    end: int
    text: str  # as written, for messages

    def same(self, other: Place) -> bool:
        """The same place: same level and the same key, or one key the initials of the
        other ("hcm" and "ho chi minh").

        A name may run on into the next capitalised words ("quận Tân Bình Nguyễn Văn A"):
        a key that starts with the other's words is the same place.
        """
        return self.level == other.level and _same_key(self.key, other.key)


# How local a level is: a centrally run city (its Thành ủy) is governed as a province is.
TIERS = {"ward": 0, "district": 1, "city": 2, "province": 2}
# A city or province a question names by its head alone ("the city", "toàn thành phố"), as written.
_WIDE_HEAD = re.compile(r"(?<!\w)(?:thành phố|tỉnh|city|province)(?!\w)", re.IGNORECASE)


def tier_asked(question: str, named: Sequence[Place]) -> int | None:
    """How local the place a question asks about is (`TIERS`): the most local it names, else a
    city or province it names by its head alone, else None.

    >>> [tier_asked(t, asked_places(t)) for t in ("Quận 1 có bao nhiêu đảng viên?", "How many party members does the city have?", "Có bao nhiêu đảng viên?")]
    [1, 2, None]
    """
    if named:
        return min(TIERS[p.level] for p in named)
    return TIERS["city"] if _WIDE_HEAD.search(nfc(question)) else None


def _same_key(a: str, b: str) -> bool:
    """Same words (one may run on), one the other's initials ("hcm"), or one the other's
    syllables written together ("hanoi", "ha noi").

    >>> [_same_key("hanoi", "ha noi"), _same_key("hcm", "ho chi minh"), _same_key("ha noi", "ha nam")]
    [True, True, False]
    """
    short, long = sorted((a.split(), b.split()), key=len)
    if long[: len(short)] == short:
        return True
    if len(short) == 1 and short[0] == "".join(long):
        return True
    return len(short) == 1 and len(long) > 1 and short[0] == "".join(w[0] for w in long)


def folded_words(text: str) -> str:
    """The folded, lower-case words of `text`, one space around each (what `key_written` reads)."""
    return " " + " ".join(fold(w).lower() for w in terms(text)) + " "


def key_written(key: str, folded: str) -> bool:
    """A place's key is written in `folded` (`folded_words`) as words ("ho chi minh"), by its
    initials ending a word ("hcm", "tphcm"), or, a key of initials ("hcm"), as words with those
    initials ("ho chi minh"): `_same_key` in running text. A one-word key may be the text's
    syllables written together, as English writes Vietnamese names ("Hanoi": "Hà Nội").

    >>> [key_written(k, folded_words("TP Hồ Chí Minh và TPHCM")) for k in ("ho chi minh", "hcm", "ha noi")]
    [True, True, False]
    >>> [key_written(k, folded_words("Thành phố Hà Nội, Sài Gòn")) for k in ("hanoi", "saigon", "hano")]
    [True, True, False]
    """
    if f" {key} " in folded:
        return True
    parts = key.split()
    if len(parts) > 1:
        return re.search(rf"{''.join(w[0] for w in parts)} ", folded) is not None
    if re.search(rf" {' ?'.join(map(re.escape, key))} ", folded):
        return True
    initials = r"\w* ".join(re.escape(ch) for ch in key)
    return 1 < len(key) <= 5 and re.search(rf" {initials}\w* ", folded) is not None


def _inside(found: Sequence[Place], at: int) -> bool:
    """Whether offset `at` falls inside a place already found."""
    return any(p.start <= at < p.end for p in found)


def _key(name: str) -> str:
    name = name.strip()
    if name.isdigit():
        return str(int(name))
    return " ".join(fold(w).lower() for w in _WORD.findall(name))


def places(text: str) -> list[Place]:
    """The places a text names, in order.

    >>> [(p.level, p.key) for p in places("Đảng bộ quận 1 và Quận ủy quận Tân Bình, TP.HCM")]
    [('district', '1'), ('district', 'tan binh'), ('city', 'hcm')]
    >>> [(p.level, p.key) for p in places("How many members has District 03? Tan Binh District")]
    [('district', '3'), ('district', 'tan binh')]
    >>> places("Quận ủy, xã hội, thành phố đã, quân Nguyên, máy tính Bkav, What city is it in? Which province")
    []
    >>> [(p.level, p.key) for p in places("Quỹ của thành phố.\\nTrong năm, TP. Hồ Chí Minh có …")]
    [('city', 'ho chi minh')]

    An English head is followed by a number only ("District 3"); a capitalised word after it
    starts something else ("the City People's Committee", "District Party Committee").

    >>> [(p.level, p.key) for p in places("the City People's Committee of Ho Chi Minh City, Ward 5")]
    [('city', 'ho chi minh'), ('ward', '5')]
    """
    text = nfc(text)
    folded = fold(text)  # one letter stays one letter, case kept: offsets carry over
    found: list[Place] = []
    # English first: in "Tan Binh District Party Committee" the place is before the head.
    for m in _BEFORE.finditer(folded):
        a, b = m.start("words"), m.end()
        found.append(Place(LEVELS[m.group("head").lower()], _key(m.group("words")), a, b, text[a:b]))
    for m in _AFTER.finditer(folded):
        if _inside(found, m.start()):
            continue
        head = re.sub(r"\s+", " ", m.group("head").lower())
        written = re.sub(r"\s+", " ", text[m.start("head") : m.end("head")].lower())
        if written not in _WRITTEN_HEADS and strip_marks(written) != written:
            continue
        named_at = m.start("num") if m.group("num") else m.start("words")
        if head != "tp" and "." in folded[m.end("head") : named_at]:
            continue  # "TP. Hồ Chí Minh" is abbreviated; "… thành phố.\nTrong năm" ends a sentence
        if head in ENGLISH_HEADS and not m.group("num"):
            continue  # English writes a name before its head; "City People's Committee" names none
        name = m.group("num") or m.group("words")
        found.append(Place(LEVELS[head], _key(name), m.start(), m.end(), text[m.start() : m.end()]))
    return sorted(found, key=lambda p: p.start)


# A party committee named after its place ("Quận ủy Tân Bình", "Tỉnh ủy Lâm Đồng") names that
# place in a question. Not read in documents, where "Quận ủy Nguyễn Hoàng Long" is the
# committee's officer (folded heads -> level).
COMMITTEES = {
    "quan uy": "district", "huyen uy": "district", "thi uy": "district", "thanh uy": "city", "tinh uy": "province",
}  # fmt: skip
_COMMITTEE_HEAD = "|".join(h.replace(" ", r"\s+") for h in COMMITTEES)
_COMMITTEE = re.compile(rf"(?<!\w)(?P<head>(?i:{_COMMITTEE_HEAD}))\s+(?:{_NAME_AFTER})")


def asked_places(question: str) -> list[Place]:
    """The places a question names: `places`, and those its party committees name.

    >>> [(p.level, p.key) for p in asked_places("Bí thư Quận ủy Tân Bình là ai?")]
    [('district', 'tan binh')]
    >>> [(p.level, p.key) for p in asked_places("Ai là Bí thư Thành ủy TP.HCM?")]
    [('city', 'hcm')]
    >>> [(p.level, p.key) for p in asked_places("Who heads the HCMC Party Committee?")]
    [('city', 'hcm')]
    >>> [[(p.level, p.key) for p in asked_places(t)] for t in ("thanh uy tphcm co bao nhieu dang vien", "TP.HCM")]
    [[('city', 'hcm')], [('city', 'hcm')]]
    """
    found = places(question)
    for m in _CITY_WORD.finditer(question):
        if not _inside(found, m.start()):
            key = m.group("glued") or m.group("initials")[:-1]  # "tphcm"; "HCMC": "HCM" and "City"
            found.append(Place("city", key.lower(), m.start(), m.end(), m.group()))
    folded = fold(nfc(question))
    for m in _COMMITTEE.finditer(folded):
        name = m.group("num") or m.group("words")
        if name.split()[0].lower() in LEVELS or _inside(found, m.start("head")):
            continue  # "Thành ủy TP.HCM": the place is the one after
        head = re.sub(r"\s+", " ", m.group("head").lower())
        found.append(Place(COMMITTEES[head], _key(name), m.start(), m.end(), question[m.start() : m.end()]))
    return sorted(found, key=lambda p: p.start)


# A city written as one word: "thành phố" and its initials ("tphcm", "tp.hcm", "TPHCM", which
# `places` reads only as "TP HCM"), or its English initials with the "C" of "City" (`city_initials`).
_CITY_WORD = re.compile(
    rf"(?<!\w)(?:(?i:tp)\.?(?P<glued>[A-Za-z]{{2,4}})|(?i:(?P<initials>{'|'.join(map(re.escape, words('city_initials')))})))(?!\w)"
)
_CAPITALISED = re.compile(r"[A-Z]\w*(?:\s+[A-Z]\w*)*")


def named_places(question: str, texts: Sequence[str], asked: Sequence[Place] = ()) -> list[Place]:
    """The places a question names without their head ("Tân Bình có bao nhiêu phường?", "How
    many wards does Tan Binh have?"), known as places because `texts` write them with one
    ("quận Tân Bình"): a run of capitalised words, or a part of it, whose key is the key of a
    place `texts` name, at each level they name it. Runs inside an `asked` place are skipped;
    numbers need their head ("1" names no place).

    >>> texts = ["Đảng bộ quận Tân Bình có 12.554 đảng viên.", "Quận 1 có 10 phường."]
    >>> [(p.level, p.key, p.text) for p in named_places("How many wards does Tan Binh have?", texts)]
    [('district', 'tan binh', 'Tan Binh')]
    >>> named_places("Tân Bình District has how many wards?", texts, places("Tân Bình District"))
    []
    >>> named_places("Nguyễn Văn A là ai? Quận 1?", texts)
    []
    """
    written = nfc(question)
    folded = fold(written)
    runs = [
        m
        for m in _CAPITALISED.finditer(folded)
        if not any(a.start <= m.start() < a.end or m.start() <= a.start < m.end() for a in asked)
    ]
    if not runs:
        return []  # the texts are read only for a name the question writes
    levels: dict[str, set[str]] = {}
    for passage in texts:
        for p in places(passage):
            if p.key.isdigit():
                continue
            # A name runs on into the capitalised words after it ("thành phố Hồ Chí Minh
            # Nguyễn Văn Hiếu"): its first two words and more are its name too (`Place.same`).
            key = p.key.split()
            for n in range(min(2, len(key)), len(key) + 1):
                levels.setdefault(" ".join(key[:n]), set()).add(p.level)
    found: list[Place] = []
    for m in runs:
        words = [(w.start(), w.end()) for w in _WORD.finditer(m.group())]
        # The longest part first: "Tan Binh" before "Binh".
        parts = sorted(
            ((i, j) for i in range(len(words)) for j in range(i + 1, len(words) + 1)),
            key=lambda ij: ij[0] - ij[1],
        )
        taken: list[tuple[int, int]] = []
        for i, j in parts:
            a, b = m.start() + words[i][0], m.start() + words[j - 1][1]
            key = _key(folded[a:b])
            if key not in levels or any(x < b and a < y for x, y in taken):
                continue
            taken.append((a, b))
            found.extend(Place(level, key, a, b, written[a:b]) for level in sorted(levels[key]))
    return sorted(found, key=lambda p: p.start)


def place_near(text: str, at: int, level: str, sentence: tuple[int, int], found: list[Place]) -> Place | None:
    """The place of `level` a figure at offset `at` belongs to: in its sentence, the nearest
    one written before it, else the first after it ("6.551 đảng viên của Đảng bộ quận 1");
    with none in the sentence, the last one before the sentence (a report names the district
    once, then writes "quận" or nothing). None when the text names no place of that level
    up to the end of the figure's sentence.
    """
    a, b = sentence
    same = [p for p in found if p.level == level and not (p.start <= at < p.end)]
    inside = [p for p in same if a <= p.start < b]
    before = [p for p in inside if p.start < at]
    if before:
        return before[-1]
    if inside:
        return inside[0]
    earlier = [p for p in same if p.start < a]
    return earlier[-1] if earlier else None


def subject_places(text: str, at_least: int = 3) -> list[Place]:
    """The places a document is about: of each level, the one it names most often, when it names
    it `at_least` times (its mentions by name or initials together). A report on quận 1 names it
    throughout and says "the district" between; a place named once or twice is mentioned, not its
    subject ("(thành phố Thủ Đức)" under a photo of a report on the whole city).

    >>> text = "Quận 1 có 10 phường. Quận ủy quận 1 họp ở TP.HCM. Đảng bộ Quận 1 có 6.949 đảng viên."
    >>> [(p.level, p.key) for p in subject_places(text)]
    [('district', '1')]
    >>> subject_places("Quận 1 họp. Quận 3 họp."), subject_places("Quận 1, quận 3, quận 1, quận 3, quận 1, quận 3.")
    ([], [])
    """
    groups: list[list[Place]] = []
    for place in places(text):
        group = next((g for g in groups if g[0].same(place)), None)
        if group is None:
            groups.append([place])
        else:
            group.append(place)
    by_level: dict[str, list[list[Place]]] = {}
    for group in groups:
        by_level.setdefault(group[0].level, []).append(group)
    found = []
    for same_level in by_level.values():
        most = max(map(len, same_level))
        leaders = [group for group in same_level if len(group) == most]
        if most >= at_least and len(leaders) == 1:  # two named as often leave it open
            found.append(leaders[0][0])
    return found


_SPECIFIC = {"ward": 0, "district": 1, "city": 2, "province": 3}  # a ward is in a district, …


def owner_elsewhere(asked: Sequence[Place], found: Sequence[Place], at: int) -> Place | None:
    """The place a sentence gives its figure at offset `at` to, when that is none of the places
    a question asks about (None: the figure may be theirs; always None when none is asked).
    `found` is the sentence's places (`places(sentence)`), read once for all its figures.

    Written after an asked place, the figure is that place's unless a place inside it comes between
    them; else it belongs to the most specific place written before it in its sentence, the nearest
    of that level ("Thành phố Hồ Chí Minh: Đảng bộ quận Tân Bình có … 12.554 đảng viên" gives it to
    quận Tân Bình, "quận 1 của TP.HCM có 6.949" to quận 1 when quận 1 is asked; asked about TP.HCM,
    which is written before it, the figure may be the city's); with none before it, to the first one
    after it ("6.551 đảng viên của Đảng bộ quận 1"). A sentence that names no place, or only places
    that hold the asked ones (a district for a ward), says nothing against it.

    >>> city = places("How many party members does Ho Chi Minh City have?")
    >>> s = "Thành phố Hồ Chí Minh: Đảng bộ quận Tân Bình hiện có 12.554 đảng viên."
    >>> owner_elsewhere(city, places(s), s.index("12.554")).text
    'quận Tân Bình'
    >>> s = "Quận 1 của TP.HCM có 6.949 đảng viên, toàn thành phố 255.576 đảng viên."
    >>> owner_elsewhere(places("Quận 1 có bao nhiêu đảng viên?"), places(s), s.index("6.949")) is None
    True
    >>> owner_elsewhere(city, places("Quận 1 có 6.949 đảng viên."), 10).text, owner_elsewhere(city, [], 12)
    ('Quận 1', None)
    >>> s = "Xã đảo Thạnh An thuộc huyện Cần Giờ có 4.500 dân."
    >>> owner_elsewhere(places("Xã Thạnh An có bao nhiêu dân?"), places(s), s.index("4.500")) is None
    True
    >>> s = "Hợp tác xã Hoa Sen ở xã Tân Phú có 321 xã viên."
    >>> owner_elsewhere(places("Hợp tác xã Hoa Sen có bao nhiêu xã viên?"), places(s), s.index("321")) is None
    True
    >>> s = "Có 6.551 đảng viên của Đảng bộ quận 1."
    >>> owner_elsewhere(places("Quận 3 có bao nhiêu đảng viên?"), places(s), s.index("6.551")).text
    'quận 1'
    """
    if not asked:
        return None
    before = [p for p in found if p.end <= at]
    mine = [i for i, p in enumerate(before) if any(p.same(q) for q in asked)]
    if mine:
        # Named before it, the figure is the asked place's unless a place inside it comes between
        # ("Hợp tác xã Hoa Sen ở xã Tân Phú có 321 xã viên" is Hoa Sen's; "TP.HCM: Đảng bộ quận Tân
        # Bình có …" is not the city's).
        asked_level = min(_SPECIFIC[q.level] for q in asked)
        inside = [p for p in before[mine[-1] + 1 :] if _SPECIFIC[p.level] < asked_level]
        return inside[-1] if inside else None
    if before:
        owner = min(reversed(before), key=lambda p: _SPECIFIC[p.level])
    else:
        owner = next((p for p in found if p.start > at), None)
    if owner is None or any(owner.same(q) for q in asked):
        return None
    if all(_SPECIFIC[owner.level] > _SPECIFIC[q.level] for q in asked):
        return None  # a place that holds the asked one ("xã đảo Thạnh An thuộc huyện Cần Giờ có …")
    return owner
