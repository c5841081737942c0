"""Generated answers: prompt an LLM with the top passages, check each sentence, fall back to the extractive answer.

The prompt numbers the passages [1]..[k] (texts in rag/generation/prompts.toml); the model's
answer is streamed to the caller as it comes, then every sentence is checked against
the passages it cites (rag/generation/verify.py). The result is an Answer whose `claims` say which
sentences are verified and on what evidence. When no sentence is verified, or the
server is down, slow or returns garbage, the extractive answer is returned with a
one-line `notice` instead: asking never fails because of the LLM.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from rag.errors import LLMError
from rag.generation import llm as llm_client
from rag.generation import verify
from rag.language.normalize import fold
from rag.records import Answer, Citation, Claim, Passage

PROMPTS = Path(__file__).with_name("prompts.toml")


@dataclass(frozen=True)
class GenerationSettings:
    """How much the model is shown and how its answer is checked."""

    passages: int = 3  # top passages in the prompt, numbered [1]..[k]
    passage_chars: int = 400  # each trimmed to its sentences closest to the question
    threshold: float = verify.THRESHOLD  # least word coverage of a sentence by its evidence
    drop_unverified: bool = False  # True: unverified sentences are left out of the text


@cache
def prompts() -> dict[str, dict[str, str]]:
    """The prompt texts by language ("vi", "en"), read from rag/generation/prompts.toml."""
    with PROMPTS.open("rb") as f:
        return tomllib.load(f)


def trim(passage: Passage, question: str, limit: int) -> Passage:
    """The passage cut to at most `limit` characters: the run of whole sentences that
    shares most words with the question (offsets still point into the source).

    >>> p = Passage("a.txt", "Một câu đầu. Quận 1 có 8.033 đảng viên. Câu cuối.", 10, 60)
    >>> t = trim(p, "Quận 1 có bao nhiêu đảng viên?", 30)
    >>> t.text, t.start, t.end
    ('Quận 1 có 8.033 đảng viên.', 23, 49)
    """
    if len(passage.text) <= limit:
        return passage
    asked = set(_words(question))
    ones = verify.passage_sentences(passage.text)
    best: tuple[float, int, int] | None = None
    for i in range(len(ones)):
        for j in range(i, len(ones)):
            a, b = ones[i][0], ones[j][1]
            if b - a > limit:
                break
            score = len(asked & set(_words(passage.text[a:b])))
            if best is None or score > best[0]:
                best = (score, a, b)
    if best is None:  # one sentence longer than the limit: its head
        a, b = 0, limit
    else:
        _, a, b = best
    return replace(passage, text=passage.text[a:b], start=passage.start + a, end=passage.start + b)


def _words(text: str) -> list[str]:
    return [fold(w).lower() for w in re.findall(r"\w+", text)]


def messages(question: str, passages: list[Passage], lang: str) -> list[dict[str, str]]:
    """The chat messages: the system instructions and the numbered passages with the question."""
    p = prompts()["en" if lang == "en" else "vi"]
    numbered = "\n\n".join(p["passage"].format(n=n, text=x.text.strip()) for n, x in enumerate(passages, 1))
    return [
        {"role": "system", "content": p["system"]},
        {"role": "user", "content": p["user"].format(passages=numbered, question=question)},
    ]


def stream(
    search,
    extractive: Answer,
    config: llm_client.LLMConfig,
    settings: GenerationSettings | None = None,
) -> Iterator[str | Answer]:
    """Yield the generated text piece by piece, then the checked Answer (always last).

    Args:
        search: `Assistant.search`: (query, k) -> passages, best first.
        extractive: the extractive answer to the same question (the fallback).
        config: the LLM server.
        settings: prompt size and verification.
    """
    settings = settings or GenerationSettings()
    question = extractive.rewritten or extractive.question
    passages = [trim(p, question, settings.passage_chars) for p in search(question, settings.passages)]
    parts: list[str] = []
    try:
        for piece in llm_client.stream_chat(config, messages(question, passages, extractive.lang)):
            parts.append(piece)
            yield piece
    except LLMError as exc:
        yield fallback(extractive, "fallback_error", reason=str(exc))
        return
    yield finish(extractive, "".join(parts), passages, config.model, settings)


def answer(
    search, extractive: Answer, config: llm_client.LLMConfig, settings: GenerationSettings | None = None
) -> Answer:
    """The checked Answer without the pieces (see `stream`)."""
    return last(stream(search, extractive, config, settings))


def last(events: Iterator[str | Answer]) -> Answer:
    """The Answer that ends a stream of pieces."""
    result = None
    for event in events:
        result = event
    if not isinstance(result, Answer):  # stream() always ends with one; a caller's iterator may not
        raise TypeError("the stream ended without an Answer")
    return result


def fallback(extractive: Answer, why: str, **fields: str) -> Answer:
    """The extractive answer with a one-line notice saying why it is not a generated one."""
    notice = prompts()["en" if extractive.lang == "en" else "vi"][why].format(**fields)
    return replace(extractive, notice=notice, generated_by=None, claims=[])


def finish(
    extractive: Answer, generated: str, passages: list[Passage], model: str, settings: GenerationSettings
) -> Answer:
    """The generated answer checked sentence by sentence, or the fallback when none is verified
    or the verified ones are about another place than the one asked about."""
    generated = generated.strip()
    question = extractive.rewritten or extractive.question
    claims = verify.verify(generated, passages, settings.threshold, question)
    good = [c for c in claims if c.verified]
    if not good:
        return fallback(extractive, "fallback_unverified")
    if verify.off_question(good, question):
        return fallback(extractive, "fallback_off_question")
    p = prompts()["en" if extractive.lang == "en" else "vi"]
    notice = p["verified"].format(verified=len(good), total=len(claims), model=model)
    text = generated
    if settings.drop_unverified:
        claims, pos = [], 0
        for c in good:  # offsets moved into the text shown; one sentence a line keeps them apart
            claims.append(replace(c, start=pos, end=pos + len(c.text)))
            pos += len(c.text) + 1
        text = "\n".join(c.text for c in good)
    return replace(
        extractive,
        text=text,
        found=True,
        citations=_citations(claims),
        related=[],
        generated_by=model,
        claims=claims,
        notice=notice,
    )


def _citations(claims: list[Claim]) -> list[Citation]:
    """One citation per cited passage, quoting the evidence of its best claim (verified first)."""
    best: dict[int, Citation] = {}
    rank: dict[int, tuple[bool, float]] = {}
    for c in claims:
        if c.evidence is None:
            continue
        key = (c.verified, c.score)
        n = c.evidence.n
        if n not in best or key > rank[n]:
            best[n], rank[n] = c.evidence, key
    return [best[n] for n in sorted(best)]
