"""Build rag/data/en_vi.tsv, the English -> Vietnamese word list, from Wiktionary extractions.

    python -m eval.glossary_data --inputs DIR

DIR holds the three files named in rag/data/en_vi.README.md (taken from two public
repositories with `fetch`; only their data is used). One line per pair, "english<TAB>vietnamese",
English lower-cased, Vietnamese NFC; headwords in order of first appearance, each headword's
translations in the order the sources list them (Wiktionary's sense order, the 2015 extraction
first), since rag/language/glossary.py takes the first few.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from rag.language.normalize import nfc

CJK = re.compile(r"[\u2e80-\u2fff\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")
LATIN_OK = re.compile(r"^[0-9A-Za-z\u00c0-\u024f\u1e00-\u1eff\u0300-\u036f .,'’\-/&!?:%]+$")


def split_top(s, seps=",;"):
    out, depth, cur = [], 0, []
    for ch in s:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        if ch in seps and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return out


def variants(t):
    """Yield cleaned Vietnamese variants of one raw translation string."""
    t = nfc(t)
    if "{{" in t or "}}" in t or "|" in t:
        return []
    t = re.sub(r"\[[^\]]*\]", " ", t)  # [qualifiers]
    t = re.sub(r"\([^()]*" + CJK.pattern + r"[^()]*\)", " ", t)  # (Hán/Nôm) glosses
    t = t.replace("/", " ")
    t = re.sub(r"\s+", " ", t).strip(" .;:")
    if not t or t.count("(") != t.count(")") or "[" in t or "]" in t:
        return []
    if "..." in t or "…" in t:
        return []
    res = []
    if "(" in t:
        # optional parts: "(quân) Hậu" -> "quân Hậu" and "Hậu"; drop parenthetical explanations
        with_opt = re.sub(r"\s+", " ", t.replace("(", "").replace(")", "")).strip()
        without = re.sub(r"\s+", " ", re.sub(r"\([^()]*\)", " ", t)).strip()
        m = re.fullmatch(r"\(([^()]{1,12})\)\s*(.+)", t)
        if m and len(m.group(1).split()) <= 2:  # short leading optional word, e.g. (sự), (quân), (con)
            res += [with_opt, without]
        else:
            res.append(without)
    else:
        res.append(t)
    out = []
    for r in res:
        r = r.strip(" ,.;:-'\"")
        if r.endswith(" ?") or r.endswith("?)"):
            continue
        if not r or CJK.search(r) or not LATIN_OK.match(r) or len(r) > 60:
            continue
        out.append(r)
    return out


def norm_en(h):
    h = nfc(h).strip()
    return re.sub(r"\s+", " ", h)


def add(store, en, vi_raw, src):
    en = norm_en(en)
    if not en or CJK.search(en):
        return
    lower_head = en == en.lower()
    for v in variants(vi_raw):
        if lower_head:
            v = v.lower()
        store.setdefault((en.lower(), v), set()).add(src)


def read_buchmeier(path, store, src):
    with open(path, encoding="utf-8-sig") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#") or " :: " not in line:
                continue
            left, right = line.split(" :: ", 1)
            m = re.match(r"^(.*?)\s*\{[^}]*\}", left)
            head = m.group(1) if m else left
            for t in split_top(right):
                add(store, head, t, src)


def read_tsv(path, store, src):
    with open(path, encoding="utf-8-sig") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 2:
                continue
            for t in split_top(parts[1], ";"):
                add(store, parts[0], t, src)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eval.glossary_data", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--inputs", type=Path, required=True)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent.parent / "rag" / "data" / "en_vi.tsv"
    )
    args = parser.parse_args(argv)
    store: dict = {}  # (english, vietnamese) -> sources, in order of first appearance
    read_buchmeier(args.inputs / "opendsl_en-vi-enwiktionary.txt", store, "buchmeier2015")
    read_buchmeier(args.inputs / "MatthiasBuchmeier_en-vi-raw.txt", store, "buchmeier2024")
    read_tsv(args.inputs / "Wiktionary_english-vietnamese.txt", store, "phucdev2024")
    by_head: dict[str, list[str]] = {}
    for en, vi in store:
        by_head.setdefault(en, []).append(vi)
    with args.out.open("w", encoding="utf-8") as f:
        for en, translations in by_head.items():
            for vi in translations:
                f.write(f"{en}\t{vi}\n")
    print(f"{len(store)} pairs, {len(by_head)} headwords -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
