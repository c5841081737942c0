"""A small client for OpenAI-compatible chat servers (Ollama, llama.cpp, llama_cpp.server, vLLM, LM Studio).

Plain HTTP over the standard library, streamed as server-sent events, with hard limits:
a connect timeout, a read timeout between two pieces of the answer, a cap on the total
time and a cap on the number of streamed pieces, so that a server which stalls, streams
forever or sends garbage ends in a named error (rag/errors.py) instead of a hang or a
traceback.

>>> config = LLMConfig(url="http://127.0.0.1:8080/v1", model="qwen2.5")
>>> endpoint(config)
'http://127.0.0.1:8080/v1/chat/completions'
"""

from __future__ import annotations

import http.client
import json
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from rag.errors import LLMConnectionError, LLMResponseError, LLMTimeoutError

ENV_URL, ENV_MODEL, ENV_KEY = "RAG_LLM_URL", "RAG_LLM_MODEL", "RAG_LLM_API_KEY"
MAX_RESPONSE_BYTES = 4_000_000  # far above any short answer: a body past this is not one


@dataclass(frozen=True)
class LLMConfig:
    """Where the chat server is and how long to wait for it.

    `url` is the server's OpenAI base URL (`http://127.0.0.1:11434/v1` for Ollama,
    `http://127.0.0.1:8080/v1` for llama.cpp); a URL without a path gets `/v1`.
    """

    url: str
    model: str
    api_key: str | None = None
    connect_timeout: float = 5.0  # seconds to open the connection
    read_timeout: float = 60.0  # seconds of silence allowed between two pieces (the prompt is read first)
    max_seconds: float = 120.0  # hard cap on the whole answer, however the server behaves
    max_tokens: int = 160  # asked of the server, and counted here: pieces past it are cut
    temperature: float = 0.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LLMConfig | None:
        """The configuration in RAG_LLM_URL / RAG_LLM_MODEL / RAG_LLM_API_KEY, or None when unset."""
        env = os.environ if env is None else env
        url = (env.get(ENV_URL) or "").strip()
        if not url:
            return None
        return cls(url=url, model=(env.get(ENV_MODEL) or "").strip() or "default",
                   api_key=(env.get(ENV_KEY) or "").strip() or None)  # fmt: skip


def endpoint(config: LLMConfig) -> str:
    """The chat-completions URL of `config.url`."""
    base = config.url.rstrip("/")
    if not urlsplit(base).path:
        base += "/v1"
    return base + "/chat/completions"


def chat(config: LLMConfig, messages: list[dict[str, str]]) -> str:
    """The whole answer to `messages` (see `stream_chat`)."""
    return "".join(stream_chat(config, messages))


def stream_chat(config: LLMConfig, messages: list[dict[str, str]]) -> Iterator[str]:
    """Yield the answer to `messages` piece by piece as the server streams it.

    Stops after `config.max_tokens` pieces (the server is asked for that many tokens;
    one that ignores it is cut here). A server that answers with plain JSON instead of
    a stream is read too.

    Raises:
        LLMConnectionError: nothing listens at the URL (refused, unknown host).
        LLMTimeoutError: no connection, no next piece or no end within the limits.
        LLMResponseError: an error status, or a body that is not a chat completion.
    """
    url = endpoint(config)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LLMResponseError(
            f"LLM URL {config.url!r} is not an http(s) URL; give e.g. http://127.0.0.1:8080/v1"
        )
    body = json.dumps({
        "model": config.model, "messages": messages, "stream": True,
        "max_tokens": config.max_tokens, "temperature": config.temperature,
    }).encode()  # fmt: skip
    headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
    if config.api_key:
        headers["Authorization"] = f"Bearer {config.api_key}"
    deadline = time.monotonic() + config.max_seconds
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = kind(parts.hostname, parts.port, timeout=min(config.connect_timeout, config.max_seconds))
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        try:
            conn.connect()
        except TimeoutError as exc:
            raise LLMTimeoutError(
                f"no connection to the LLM server at {url} within {config.connect_timeout:g} s; "
                "is the host right and the server up?"
            ) from exc
        except OSError as exc:
            raise LLMConnectionError(
                f"cannot connect to the LLM server at {url} ({exc.strerror or exc}); "
                "start the server or correct the URL"
            ) from exc
        try:
            _set_timeout(conn, config.read_timeout, deadline)
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            if response.status != 200:
                detail = response.read(500).decode("utf-8", "replace").strip()
                raise LLMResponseError(
                    f"the LLM server at {url} answered HTTP {response.status} {response.reason}: "
                    f"{detail[:200]!r}; check the model name ({config.model!r}) and the API key"
                )
            yield from _read(response, conn, config, deadline, url)
        except TimeoutError as exc:
            raise LLMTimeoutError(_slow_message(config, url, deadline)) from exc
        except (ConnectionError, http.client.HTTPException) as exc:
            raise LLMResponseError(
                f"the LLM server at {url} broke off the answer ({exc!r}); try again"
            ) from exc
    finally:
        conn.close()


def _set_timeout(conn: http.client.HTTPConnection, read_timeout: float, deadline: float) -> None:
    """Each socket read waits at most the read timeout, and never past the deadline."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    if conn.sock is not None:
        conn.sock.settimeout(min(read_timeout, left))


def _slow_message(config: LLMConfig, url: str, deadline: float) -> str:
    if time.monotonic() >= deadline:
        return (f"the LLM server at {url} did not finish within {config.max_seconds:g} s; "
                "raise the limit or use a smaller model")  # fmt: skip
    return (f"the LLM server at {url} sent nothing for {config.read_timeout:g} s; "
            "it may be overloaded, or the model too large for this machine")  # fmt: skip


def _read(response, conn, config: LLMConfig, deadline: float, url: str) -> Iterator[str]:
    """Pieces of text from a streamed (text/event-stream) or a plain JSON response."""
    streamed = "text/event-stream" in (response.getheader("Content-Type") or "")
    buffer, received, pieces = b"", 0, 0
    while True:
        _set_timeout(conn, config.read_timeout, deadline)
        chunk = response.read1(65536) if streamed else response.read(65536)
        if not chunk:
            break
        received += len(chunk)
        if received > MAX_RESPONSE_BYTES:
            raise LLMResponseError(
                f"the LLM server at {url} sent more than {MAX_RESPONSE_BYTES:,} bytes; not an answer"
            )
        buffer += chunk
        if not streamed:
            continue
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            event = _event(line, url)
            if event is _DONE:
                return
            if event:
                yield event
                pieces += 1
                if pieces >= config.max_tokens:
                    return  # a server that streams past the asked length is cut here
    if streamed:
        event = _event(buffer, url) if buffer.strip() else None
        if event and event is not _DONE:
            yield event
        return
    yield _message(buffer, url)


_DONE = object()


def _event(line: bytes, url: str):
    """The text of one `data: {...}` line; None for keep-alives and comments; _DONE at the end."""
    line = line.strip()
    if not line.startswith(b"data:"):
        return None  # blank separators, ": ping" comments, "event:" names
    data = line[5:].strip()
    if data == b"[DONE]":
        return _DONE
    try:
        payload = json.loads(data)
    except ValueError as exc:
        raise LLMResponseError(
            f"the LLM server at {url} streamed something that is not JSON: {data[:80]!r}"
        ) from exc
    if isinstance(payload, dict) and "error" in payload:
        raise LLMResponseError(f"the LLM server at {url} reported an error: {str(payload['error'])[:200]}")
    try:
        choice = payload["choices"][0] if payload["choices"] else {}
        delta = choice.get("delta") or {}
        text = delta.get("content")
        if text is None and "text" in choice:  # completion-style streams
            text = choice["text"]
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise LLMResponseError(
            f"the LLM server at {url} streamed a chunk without choices: {data[:80]!r}"
        ) from exc
    if text is not None and not isinstance(text, str):
        raise LLMResponseError(f"the LLM server at {url} streamed content that is not text: {data[:80]!r}")
    return text or None


def _message(body: bytes, url: str) -> str:
    """The answer of a non-streamed chat completion."""
    try:
        payload = json.loads(body)
        text = payload["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise LLMResponseError(
            f"the LLM server at {url} did not answer with a chat completion: {body[:80]!r}; "
            "is the URL an OpenAI-compatible /v1 endpoint?"
        ) from exc
    if not isinstance(text, str):
        raise LLMResponseError(f"the LLM server at {url} answered without text: {body[:80]!r}")
    return text
