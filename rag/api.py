"""The HTTP API over one Assistant: JSON endpoints, an OpenAI-compatible chat endpoint, and their guards.

    from rag import Assistant
    from rag.api import ApiSettings, create_app, serve
    app = create_app(Assistant.load("index"), ApiSettings.from_env())
    serve(app, "127.0.0.1", 7860)

Endpoints (request and response models below, so `/openapi.json` describes every one):

    POST   /api/ask                 the Answer as JSON (citations with offsets, related passages)
    POST   /api/search              passages, best first
    GET    /api/documents           what is indexed
    GET    /api/documents/{source}  one document's text (the one citation offsets point into)
    POST   /api/documents           multipart upload; indexed in the background -> 202 and a job
    DELETE /api/documents/{source}  remove a document
    GET    /api/jobs/{id}           an upload's progress and report
    GET    /api/health              index loaded, passage count, model id
    POST   /v1/chat/completions     OpenAI-compatible, streamed (SSE) or not
    GET    /v1/models

Every error is `{"error": {"code", "message", "type"}}` (OpenAI's shape) with a stable `code`.
The guards: with RAG_API_KEY set every /api and /v1 route needs `Authorization: Bearer KEY`;
a request that changes anything (any method but GET/HEAD/OPTIONS, on every route of the
server, the mounted chat page's included) is refused when a browser says it comes from
another origin; on a loopback address only loopback host names are answered (a DNS
rebinding page cannot pose as 127.0.0.1); uploads are capped; CORS is off unless
RAG_CORS_ORIGINS lists origins. Source names and job ids are looked up, never joined to
a path, and uploaded files keep only their base name inside a fresh temporary folder.

FastAPI, pydantic and uvicorn come with gradio (`pip install -e .[ui]`); nothing here
imports gradio: the chat page is mounted on this app by ui.py.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any, Literal

try:
    from fastapi import Depends, FastAPI, File, Request, UploadFile
    from fastapi.exceptions import RequestValidationError
    from fastapi.middleware.cors import CORSMiddleware
    from fastapi.responses import JSONResponse, StreamingResponse
    from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
    from pydantic import BaseModel, ConfigDict, Field
    from starlette.datastructures import Headers
    from starlette.exceptions import HTTPException as StarletteHTTPException
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "the HTTP API needs FastAPI and uvicorn: `.venv/bin/python -m pip install -e '.[ui]'`"
    ) from exc

from rag import errors, records
from rag.assistant import MAX_QUESTION_CHARS, Assistant, UpdateReport
from rag.ingest.loader import SUPPORTED
from rag.records import Answer, Passage

API_KEY_ENV = "RAG_API_KEY"
CORS_ENV = "RAG_CORS_ORIGINS"  # comma-separated origins allowed to call from a browser
MAX_UPLOAD_ENV = "RAG_MAX_UPLOAD_MB"
HOSTS_ENV = "RAG_ALLOWED_HOSTS"  # extra Host names answered when bound to a loopback address
DEFAULT_MAX_UPLOAD_MB = 20.0  # about 10 minutes of embedding on 2 cores for plain text
MODEL_NAME = "rag-vi"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
MAX_JOBS_KEPT = 200
_JOB_ID = re.compile(r"[0-9a-f]{32}")
UPLOAD_TYPES = f"{', '.join(SUPPORTED)} files"


# --------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class ApiSettings:
    """What the server guards and how.

    `allowed_hosts` None answers any Host header (a server bound to a public address);
    `from_env` sets it to the loopback names when the bind address is loopback.
    """

    api_key: str | None = None
    max_upload_bytes: int = int(DEFAULT_MAX_UPLOAD_MB * 2**20)
    cors_origins: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] | None = None
    write_wait_seconds: float = 30.0  # how long a removal waits for a running upload before `index_busy`

    @classmethod
    def from_env(cls, host: str = "127.0.0.1", env: Mapping[str, str] | None = None) -> ApiSettings:
        """Settings from RAG_API_KEY, RAG_MAX_UPLOAD_MB, RAG_CORS_ORIGINS and RAG_ALLOWED_HOSTS.

        >>> ApiSettings.from_env("127.0.0.1", {"RAG_MAX_UPLOAD_MB": "1"}).max_upload_bytes
        1048576
        >>> ApiSettings.from_env("0.0.0.0", {}).allowed_hosts is None
        True
        """
        env = os.environ if env is None else env
        raw = (env.get(MAX_UPLOAD_ENV) or "").strip()
        try:
            megabytes = float(raw) if raw else DEFAULT_MAX_UPLOAD_MB
        except ValueError:
            raise ValueError(f"{MAX_UPLOAD_ENV}={raw!r} is not a number of megabytes (e.g. 20)") from None
        extra_hosts = tuple(h.strip().lower() for h in (env.get(HOSTS_ENV) or "").split(",") if h.strip())
        return cls(
            api_key=(env.get(API_KEY_ENV) or "").strip() or None,
            max_upload_bytes=int(megabytes * 2**20),
            cors_origins=tuple(
                o.strip().rstrip("/") for o in (env.get(CORS_ENV) or "").split(",") if o.strip()
            ),
            allowed_hosts=LOOPBACK_NAMES + extra_hosts if is_loopback(host) else None,
        )


def is_loopback(host: str) -> bool:
    """Whether a bind address only listens on this machine.

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    return host in LOOPBACK_NAMES or host.startswith("127.")


# ----------------------------------------------------------------------------- models
class ErrorBody(BaseModel):
    code: str = Field(description="stable machine-readable reason, e.g. empty_question, unknown_source")
    message: str = Field(description="what went wrong and what to do next")
    type: str = Field(description="the class of error: invalid_request_error, authentication_error, …")


class ErrorResponse(BaseModel):
    error: ErrorBody


# Documented in the schema, checked by the Assistant: an empty or over-long question gets its
# own error code (empty_question, question_too_long) rather than a generic validation error.
QUESTION_SCHEMA = {"minLength": 1, "maxLength": MAX_QUESTION_CHARS, "pattern": r"\S"}


class AskRequest(BaseModel):
    question: str = Field(
        description=f"Vietnamese (accented or not) or English; at most {MAX_QUESTION_CHARS} characters",
        json_schema_extra=QUESTION_SCHEMA,
    )
    history: list[str] = Field(
        default_factory=list, max_length=50,
        description="earlier questions of the conversation, oldest first (for follow-ups)",
    )  # fmt: skip
    k: int = Field(
        3, ge=1, le=20, description="at most this many related passages when the answer is not found"
    )
    lang: Literal["vi", "en"] | None = Field(
        None, description="language of `markdown`'s headings; default: the question's language"
    )


class Citation(BaseModel):
    """Evidence behind one `[n]` marker: the cited passage (`text == document[start:end]`) and
    the exact evidence span inside it (`quote == document[quote_start:quote_end]`)."""

    n: int
    source: str
    text: str
    quote: str
    start: int
    end: int
    score: float
    also: list[str] = Field(
        default_factory=list, description="sources of near-duplicate passages merged here"
    )
    quote_start: int = 0
    quote_end: int = 0
    page: int | None = Field(None, description="1-based page of the quote (PDF, TIFF); null otherwise")
    heading: str = Field("", description="heading path of the quote, e.g. a law's chapter and article")
    ocr: bool = Field(False, description="the quote was read from a page image by OCR")

    @classmethod
    def of(cls, c: records.Citation) -> Citation:
        return cls(**c.as_dict())


class Claim(BaseModel):
    """One sentence of a generated answer and what checking it against its citations found."""

    text: str
    start: int
    end: int
    cites: list[int]
    verified: bool
    reason: str = ""
    score: float = 0.0
    evidence: Citation | None = None

    @classmethod
    def of(cls, c: records.Claim) -> Claim:
        evidence = Citation.of(c.evidence) if c.evidence is not None else None
        return cls(text=c.text, start=c.start, end=c.end, cites=list(c.cites), verified=c.verified,
                   reason=c.reason, score=c.score, evidence=evidence)  # fmt: skip


class AskResult(BaseModel):
    """The Answer (rag/records.py), plus the rendering a chat client shows."""

    question: str
    text: str = Field(description="at most 400 characters, with [n] markers")
    found: bool
    citations: list[Citation] = Field(default_factory=list)
    related: list[Passage] = Field(default_factory=list, description="offered when found is false")
    kind: str = "other"
    lang: str = "vi"
    rewritten: str | None = Field(
        None,
        description="the question as read: a follow-up made standalone, or diacritics put back",
    )
    generated_by: str | None = Field(None, description="the LLM that wrote `text`; null: extractive")
    claims: list[Claim] = Field(
        default_factory=list, description="a generated answer's sentences, each checked"
    )
    notice: str | None = None
    passages: list[Passage] = Field(default_factory=list, description="the passages read, best first")
    markdown: str = ""  # the answer text followed by its numbered source list
    seconds: float = 0.0  # time spent answering, inside the server

    @classmethod
    def of(cls, answer: Answer, related: int, markdown: str, seconds: float) -> AskResult:
        return cls(
            question=answer.question, text=answer.text, found=answer.found,
            citations=[Citation.of(c) for c in answer.citations], related=answer.related[:related],
            kind=answer.kind, lang=answer.lang, rewritten=answer.rewritten, generated_by=answer.generated_by,
            claims=[Claim.of(c) for c in answer.claims], notice=answer.notice, passages=answer.passages,
            markdown=markdown, seconds=seconds,
        )  # fmt: skip


class SearchRequest(BaseModel):
    query: str = Field(
        description=f"the search text; at most {MAX_QUESTION_CHARS} characters",
        json_schema_extra=QUESTION_SCHEMA,
    )
    k: int = Field(5, ge=1, le=50, description="number of passages")


class SearchResponse(BaseModel):
    query: str
    passages: list[Passage]


class DocumentInfo(BaseModel):
    source: str
    chars: int
    passages: int


class DocumentsResponse(BaseModel):
    documents: list[DocumentInfo]
    passages: int = Field(description="passages in the whole index")


class DocumentText(DocumentInfo):
    text: str = Field(description="the text citation offsets point into (NFC)")


class RemoveResponse(BaseModel):
    removed: list[str]
    documents: int
    passages: int


class Skipped(BaseModel):
    source: str
    reason: str


class UpdateOut(BaseModel):
    added: list[str]
    updated: list[str]
    unchanged: list[str]
    skipped: list[Skipped]
    embedded_passages: int


class JobOut(BaseModel):
    id: str
    status: Literal["queued", "running", "done", "failed"]
    files: list[str]
    stage: str = Field(description="queued, reading, embedding, saving, done or failed")
    done_passages: int = Field(description="passages embedded so far")
    total_passages: int = Field(description="passages to embed (0 until the files are read)")
    progress: float = Field(ge=0, le=1)
    report: UpdateOut | None = None
    error: ErrorBody | None = None
    created: float
    finished: float | None = None


class Health(BaseModel):
    status: Literal["ok"]
    index_loaded: bool
    documents: int
    passages: int
    model_id: str
    llm: str | None = Field(None, description="the generative model answers are written by, if any")
    auth: bool = Field(description="whether the API needs a bearer key")


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None


class ChatRequest(BaseModel):
    """OpenAI's chat request; fields this server does not use (temperature, …) are accepted and ignored."""

    model_config = ConfigDict(extra="allow")
    model: str = MODEL_NAME
    messages: list[ChatMessage] = Field(
        min_length=1, max_length=200, description="the conversation; its last user message is the question",
        json_schema_extra={"contains": {"type": "object", "properties": {"role": {"const": "user"}}, "required": ["role"]}},
    )  # fmt: skip
    stream: bool = False


class ChatReply(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class ChatChoice(BaseModel):
    index: int
    message: ChatReply
    finish_reason: Literal["stop"]


class Usage(BaseModel):
    """Counted in words (the server has no tokenizer of the client's model)."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice]
    usage: Usage
    citations: list[Citation] = Field(description="the evidence behind each [n] marker of the content")
    found: bool = Field(description="False when the documents do not hold the answer")
    related: list[Passage] = Field(description="the closest passages when the answer is not found")
    generated_by: str | None = Field(None, description="the LLM that wrote the text; null: extractive")
    notice: str | None = Field(
        None, description="how much of a generated text was verified, or why it was not used"
    )


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


# ----------------------------------------------------------------------------- errors
class ApiError(Exception):
    """An error the API answers with on purpose: HTTP status, stable code, message."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
          404: "not_found_error", 405: "invalid_request_error", 409: "conflict_error",
          413: "invalid_request_error", 415: "invalid_request_error", 422: "invalid_request_error",
          503: "service_unavailable_error"}  # fmt: skip


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "type": _TYPES.get(status, "server_error")}}
    return JSONResponse(body, status_code=status, headers=headers)


def rag_error(exc: errors.RagError) -> ApiError:
    """The HTTP status and code of one of rag's named errors (the message is rag's own)."""
    busy = tuple(getattr(errors, name) for name in ("IndexBusyError",) if hasattr(errors, name))
    table: list[tuple[type | tuple, int, str]] = [
        (errors.EmptyQuestionError, 400, "empty_question"),
        (errors.QuestionTooLongError, 400, "question_too_long"),
        (errors.EmptyCorpusError, 400, "no_readable_document"),
        (errors.DuplicateSourceError, 400, "duplicate_source"),
        (busy, 503, "index_busy"),
        (errors.IndexWriteError, 503, "index_not_writable"),
        ((errors.IndexNotFoundError, errors.IndexDamagedError, errors.IndexMismatchError), 503, "index_unavailable"),
        (errors.ModelUnavailableError, 503, "model_unavailable"),
        (errors.LLMError, 503, "llm_unavailable"),
    ]  # fmt: skip
    for cls, status, code in table:
        if cls and isinstance(exc, cls):
            return ApiError(status, code, str(exc))
    return ApiError(400, "rejected", str(exc))


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(errors.RagError)
    async def _rag(request: Request, exc: errors.RagError):
        e = rag_error(exc)
        return error_response(e.status, e.code, e.message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        parts = []
        for e in exc.errors()[:5]:
            where = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"
            parts.append(f"{where}: {e.get('msg', 'invalid')}")
        message = "; ".join(parts) + ". See /docs for the request format"
        return error_response(422, "invalid_request", message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        message = {404: f"no route {request.url.path}; see /docs for the API",
                   405: f"{request.method} is not allowed on {request.url.path}; see /docs"}.get(
            exc.status_code, str(exc.detail))  # fmt: skip
        return error_response(exc.status_code, code, message, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception):  # logged by uvicorn; no traceback to the client
        import logging

        logging.getLogger("rag.api").exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "the server failed on this request; its log says why")


# ----------------------------------------------------------------------------- guards
def _netloc(url_or_host: str) -> str:
    """host[:port] of an origin, referer or Host header, lower case, default ports dropped.

    >>> _netloc("http://127.0.0.1:7860/x?y"), _netloc("https://A.example:443"), _netloc("localhost:80")
    ('127.0.0.1:7860', 'a.example', 'localhost')
    """
    rest = url_or_host.split("://", 1)[-1]
    netloc = rest.split("/", 1)[0].split("?", 1)[0].lower()
    for default in (":80", ":443"):
        if netloc.endswith(default):
            netloc = netloc[: -len(default)]
    return netloc


def _hostname(netloc: str) -> str:
    """
    >>> _hostname("[::1]:7860"), _hostname("127.0.0.1:7860"), _hostname("localhost")
    ('::1', '127.0.0.1', 'localhost')
    """
    if netloc.startswith("["):
        return netloc[1:].split("]", 1)[0]
    return netloc.rsplit(":", 1)[0] if netloc.count(":") == 1 else netloc


class Guard:
    """ASGI middleware in front of every route (the API's and the mounted chat page's).

    - On a loopback bind, a Host header naming anything but this machine is refused: a
      page whose DNS name was re-pointed at 127.0.0.1 would otherwise count as same-origin.
    - A request that can change something (any method but GET/HEAD/OPTIONS) carrying an
      Origin (or, without one, a Referer) of another site is refused with 403. Browsers
      send Origin on every cross-origin POST, so no web page can upload, remove or ask on
      the user's behalf; programs (curl, the openai client) send none and are let through
      (the API key is their gate). Gradio's own CORS rule is not enough: it lets any
      localhost origin in (a page served by another local program on another port).
    - An upload whose declared size is over the limit is refused before it is read.
    """

    def __init__(self, app, settings: ApiSettings):
        self.app = app
        self.settings = settings
        self.trusted = {_netloc(o) for o in settings.cors_origins}

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        host = _netloc(headers.get("host", ""))
        refusal = None
        if self.settings.allowed_hosts is not None and _hostname(host) not in self.settings.allowed_hosts:
            refusal = error_response(
                403, "host_not_allowed",
                f"this server answers as {', '.join(self.settings.allowed_hosts)} only; to serve another "
                f"name, list it in {HOSTS_ENV}",
            )  # fmt: skip
        elif scope.get("method", "GET") not in SAFE_METHODS or scope["type"] == "websocket":
            claimed = headers.get("origin") or headers.get("referer")
            if claimed is not None and _netloc(claimed) != host and _netloc(claimed) not in self.trusted:
                refusal = error_response(
                    403, "cross_origin",
                    f"refused: a request from {claimed[:100]} may not change or query this server; "
                    f"open the page on {host} itself, or list that origin in {CORS_ENV}",
                )  # fmt: skip
            elif scope["path"] == "/api/documents" and scope.get("method") == "POST":
                declared = headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self.settings.max_upload_bytes + 64 * 1024:
                    refusal = _too_large(self.settings)
        if refusal is None:
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            return await send({"type": "websocket.close", "code": 1008})
        await refusal(scope, receive, send)


def _too_large_message(settings: ApiSettings) -> str:
    return (f"the upload is over the limit of {settings.max_upload_bytes / 2**20:g} MB; split it, or raise "
            f"{MAX_UPLOAD_ENV} on the server")  # fmt: skip


def _too_large(settings: ApiSettings) -> JSONResponse:
    return error_response(413, "upload_too_large", _too_large_message(settings))


def _key_check(settings: ApiSettings):
    """A dependency requiring `Authorization: Bearer <RAG_API_KEY>`."""
    bearer = HTTPBearer(auto_error=False, description=f"the server's {API_KEY_ENV}")

    def require_key(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:  # noqa: B008
        given = credentials.credentials if credentials else ""
        if not hmac.compare_digest(given.encode(), (settings.api_key or "").encode()):
            raise ApiError(
                401, "unauthorized",
                f"this server needs its API key: send `Authorization: Bearer <{API_KEY_ENV}>`",
                headers={"WWW-Authenticate": "Bearer"},
            )  # fmt: skip

    return require_key


# ------------------------------------------------------------------------------- jobs
@dataclass
class _Job:
    id: str
    files: list[str]
    folder: Path
    status: str = "queued"
    stage: str = "queued"
    done_passages: int = 0
    total_passages: int = 0
    report: UpdateOut | None = None
    error: ErrorBody | None = None
    created: float = 0.0
    finished: float | None = None

    def out(self) -> JobOut:
        if self.status == "done":
            progress = 1.0
        elif self.total_passages:
            progress = min(0.99, self.done_passages / self.total_passages)
        else:
            progress = 0.0
        return JobOut(
            id=self.id, status=self.status, files=self.files, stage=self.stage, done_passages=self.done_passages,
            total_passages=self.total_passages, progress=progress, report=self.report, error=self.error,
            created=self.created, finished=self.finished,
        )  # fmt: skip


class _Writer:
    """Index changes, one at a time, off the request threads.

    Uploads run in order on one background thread. A removal waits until no upload is
    queued or running (or is told the index is busy) and holds off new uploads while it
    runs, so the two never race. Readers never wait: the Assistant swaps in the new index
    in one step when a change is saved.
    """

    def __init__(self, assistant: Assistant):
        self.assistant = assistant
        self.jobs: dict[str, _Job] = {}
        self.pending = 0  # uploads queued or running
        self.idle = threading.Condition()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rag-index")

    def submit(self, files: list[str], folder: Path) -> _Job:
        job = _Job(uuid.uuid4().hex, files, folder, created=time.time())
        with self.idle:  # waits while a removal runs
            self.jobs[job.id] = job
            for old in list(self.jobs)[:-MAX_JOBS_KEPT]:
                if self.jobs[old].finished:
                    del self.jobs[old]
            self.pending += 1
        self.pool.submit(self._run, job)
        return job

    def remove(self, source: str, wait: float) -> UpdateReport:
        """`Assistant.remove` once no upload is queued or running; ApiError index_busy after `wait` s."""
        with self.idle:
            if not self.idle.wait_for(lambda: self.pending == 0, timeout=wait):
                raise ApiError(409, "index_busy", "the index is being updated by an upload; try again when "
                                                  "its job (GET /api/jobs/{id}) is done", {"Retry-After": "10"})  # fmt: skip
            return self.assistant.remove([source])

    def _run(self, job: _Job) -> None:
        try:
            self._index(job)
        finally:
            with self.idle:
                self.pending -= 1
                self.idle.notify_all()

    def _index(self, job: _Job) -> None:
        job.status, job.stage = "running", "reading"

        def progress(done: int, total: int) -> None:
            job.stage, job.done_passages, job.total_passages = "embedding", done, total
            if done >= total:
                job.stage = "saving"

        try:
            report = self.assistant.add([job.folder / name for name in job.files], progress=progress)
            job.report = _update_out(report, job.folder)
            job.status = job.stage = "done"
        except Exception as exc:  # the job records every failure; the server keeps running
            known = exc if isinstance(exc, errors.RagError) else None
            err = rag_error(known) if known else ApiError(500, "internal_error", f"indexing failed: {exc}")
            job.error = ErrorBody(code=err.code, message=_strip(err.message, job.folder),
                                  type=_TYPES.get(err.status, "server_error"))  # fmt: skip
            job.status = job.stage = "failed"
        finally:
            job.finished = time.time()
            shutil.rmtree(job.folder, ignore_errors=True)

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def _strip(message: str, folder: Path) -> str:
    """A message without the server's temporary folder in it (the user knows the file by its name)."""
    return message.replace(f"{folder}/", "").replace(str(folder), "upload")


def _update_out(report: UpdateReport, folder: Path) -> UpdateOut:
    return UpdateOut(
        added=report.added, updated=report.updated, unchanged=report.unchanged,
        skipped=[Skipped(source=Path(name).name if str(folder) in name else name, reason=_strip(why, folder))
                 for name, why in report.skipped],
        embedded_passages=report.embedded_passages,
    )  # fmt: skip


def upload_name(raw: str | None) -> str:
    """The base name an uploaded file is stored and indexed under; ApiError when there is none.

    Directories in the name are dropped, so no name can address a path outside the upload folder.

    >>> upload_name("../../etc/notes.txt"), upload_name("C:\\\\Users\\\\a\\\\báo cáo.pdf")
    ('notes.txt', 'báo cáo.pdf')
    """
    name = re.split(r"[/\\]", raw or "")[-1].strip()
    if not name or name.startswith(".") or any(ord(ch) < 32 for ch in name) or len(name.encode()) > 255:
        raise ApiError(400, "bad_file_name", f"the file name {raw!r} cannot be used; give the file a plain name "
                                             "such as report.pdf")  # fmt: skip
    return name


# ------------------------------------------------------------------------- rendering
_WORDS = {
    "vi": {"sources": "Nguồn", "related": "Các đoạn liên quan nhất", "page": "tr."},
    "en": {"sources": "Sources", "related": "Closest passages", "page": "p."},
}


def _one_line(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def sources_markdown(answer: Answer, lang: str | None = None) -> str:
    """The numbered source list a chat client shows under the answer.

    >>> p = Passage("a.txt", "Quận 1 có 8.033 đảng viên.", 0, 26, 1.0)
    >>> c = records.Citation(1, p, "8.033 đảng viên", 10, 25)
    >>> print(sources_markdown(Answer("q", "8.033 đảng viên [1]", True, [c]), "en"))
    **Sources**
    - [1] `a.txt` — “8.033 đảng viên”
    """
    words = _WORDS["vi" if (lang or answer.lang).startswith("vi") else "en"]
    lines = []
    if answer.found:
        for c in answer.citations:
            page = f" ({words['page']} {c.page})" if getattr(c, "page", None) else ""
            also = f" (= {', '.join(f'`{a}`' for a in c.also)})" if c.also else ""
            lines.append(f"- [{c.n}] `{c.source}`{page}{also} — “{_one_line(c.quote or c.text)}”")
        heading = words["sources"]
    else:
        lines = [f"- `{p.source}` — {_one_line(p.text, 160)}" for p in answer.related]
        heading = words["related"]
    return f"**{heading}**\n" + "\n".join(lines) if lines else ""


def chat_content(answer: Answer, lang: str | None = None) -> str:
    """The answer as a chat client shows it: the text, the notice on a generated one, the sources."""
    return answer.text + _after_text(answer, lang)


def _after_text(answer: Answer, lang: str | None = None) -> str:
    notice = f"\n\n_{answer.notice}_" if answer.notice else ""
    listing = sources_markdown(answer, lang)
    return notice + (f"\n\n{listing}" if listing else "")


def _pieces(text: str, size: int = 24) -> Iterator[str]:
    """`text` cut after whitespace into pieces of about `size` characters (joined, they are `text`)."""
    at = 0
    while at < len(text):
        cut = text.find(" ", at + size)
        cut = len(text) if cut < 0 else cut + 1
        yield text[at:cut]
        at = cut


def _message_text(message: ChatMessage) -> str:
    if isinstance(message.content, list):
        return "\n".join(part.text for part in message.content if part.type == "text" and part.text)
    return message.content or ""


def _conversation(request: ChatRequest) -> tuple[str, list[str]]:
    """The question (the last user message) and the history (the user messages before it)."""
    asked = [_message_text(m) for m in request.messages if m.role == "user"]
    if not asked:
        raise ApiError(400, "no_question", "the messages hold no user message: the last one is the question")
    return asked[-1], asked[:-1]


def _answer_stream(assistant: Assistant, question: str, history: list[str]) -> Iterator[str | Answer]:
    """Generated text piece by piece, then the Answer; only the Answer when nothing is generated.

    Uses `Assistant.ask_stream` (an LLM's answer as it is written, when one is configured)
    where the Assistant has it, and `ask` otherwise.
    """
    stream = getattr(assistant, "ask_stream", None)
    if stream is None:
        yield assistant.ask(question, history=history)
        return
    yield from stream(question, history)


def _words(text: str) -> int:
    return len(text.split())


# -------------------------------------------------------------------------------- app
def create_app(assistant: Assistant, settings: ApiSettings | None = None) -> FastAPI:
    """The FastAPI app serving `assistant` (mount the chat page on it with ui.mount_chat)."""
    settings = settings or ApiSettings()
    writer = _Writer(assistant)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        writer.close()

    app = FastAPI(
        lifespan=lifespan,
        title="rag-vi",
        summary="Offline Vietnamese-first question answering over your documents, with exact citations.",
        version="1.0",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.assistant, app.state.settings, app.state.writer = assistant, settings, writer
    app.add_middleware(Guard, settings=settings)
    # Always present, so that the mounted chat page does not add its own, laxer CORS rule;
    # with no origins configured no other site may read a response.
    app.add_middleware(
        CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["*"],
        allow_headers=["Authorization", "Content-Type"], allow_credentials=False,
    )  # fmt: skip
    _install_error_handlers(app)
    guard = [Depends(_key_check(settings))] if settings.api_key else []
    errors_of = {status: {"model": ErrorResponse} for status in (400, 403, 422, 503)}
    if settings.api_key:
        errors_of[401] = {"model": ErrorResponse}

    def with_errors(*extra: int) -> dict:
        return {**errors_of, **{s: {"model": ErrorResponse} for s in extra}}

    @app.post(
        "/api/ask", response_model=AskResult, dependencies=guard, responses=with_errors(), tags=["answers"]
    )
    def ask(body: AskRequest) -> AskResult:
        """Answer a question from the documents, with citations (`[n]` markers map to `citations`)."""
        t0 = time.perf_counter()
        answer = assistant.ask(body.question, history=body.history)
        trimmed = replace(answer, related=answer.related[: body.k])
        markdown = chat_content(trimmed, body.lang)
        return AskResult.of(answer, body.k, markdown, round(time.perf_counter() - t0, 4))

    @app.post("/api/search", response_model=SearchResponse, dependencies=guard, responses=with_errors(),
              tags=["answers"])  # fmt: skip
    def search(body: SearchRequest) -> SearchResponse:
        """The passages that best match `query` (hybrid dense + BM25, re-ranked), best first."""
        return SearchResponse(query=body.query, passages=assistant.search(body.query, k=body.k))

    @app.get("/api/documents", response_model=DocumentsResponse, dependencies=guard, responses=with_errors(),
             tags=["documents"])  # fmt: skip
    def documents() -> DocumentsResponse:
        """Every indexed document: source name, characters, passages."""
        rows = [DocumentInfo(source=s, chars=c, passages=p) for s, c, p in assistant.inventory()]
        return DocumentsResponse(documents=rows, passages=assistant.passage_count())

    @app.get("/api/documents/{source:path}", response_model=DocumentText, dependencies=guard,
             responses=with_errors(404), tags=["documents"])  # fmt: skip
    def document(source: str) -> DocumentText:
        """One document's text: `text[c.start:c.end] == c.text` for each of its citations."""
        row = _find(assistant, source)
        return DocumentText(source=row[0], chars=row[1], passages=row[2], text=assistant.source_text(source))

    @app.post("/api/documents", response_model=JobOut, status_code=202, dependencies=guard,
              responses=with_errors(413, 415), tags=["documents"])  # fmt: skip
    def upload(
        request: Request, files: Annotated[list[UploadFile], File(description=UPLOAD_TYPES)]
    ) -> JSONResponse:
        """Add or replace documents; they are indexed in the background (follow the job's URL).

        The index keeps answering from what it held until the new documents are saved.
        """
        if not files:
            raise ApiError(400, "no_files", "no file in the upload: send them as multipart field `files`")
        names = [upload_name(f.filename) for f in files]
        for name in names:
            suffix = Path(name).suffix.lower()
            if suffix not in SUPPORTED:
                raise ApiError(415, "unsupported_file",
                               f"{name}: unsupported type {suffix or '(none)'}; supported: {', '.join(SUPPORTED)}")  # fmt: skip
        if len(set(names)) != len(names):
            raise ApiError(400, "duplicate_name", "two uploaded files have the same name; rename one")
        folder = Path(tempfile.mkdtemp(prefix="rag-upload-"))
        try:
            total = 0
            for f, name in zip(files, names):
                with (folder / name).open("wb") as out:
                    while chunk := f.file.read(1 << 20):
                        total += len(chunk)
                        if total > settings.max_upload_bytes:
                            raise ApiError(413, "upload_too_large", _too_large_message(settings))
                        out.write(chunk)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        job = writer.submit(names, folder)
        location = str(request.url_for("job", job_id=job.id).path)
        return JSONResponse(job.out().model_dump(), status_code=202, headers={"Location": location})

    @app.delete("/api/documents/{source:path}", response_model=RemoveResponse, dependencies=guard,
                responses=with_errors(404, 409), tags=["documents"])  # fmt: skip
    def remove(source: str) -> RemoveResponse:
        """Remove one document from the index."""
        _find(assistant, source)
        report = writer.remove(source, settings.write_wait_seconds)
        if source not in report.removed:  # another process removed it meanwhile
            raise ApiError(404, "unknown_source", f"{source!r} is no longer indexed")
        return RemoveResponse(removed=report.removed, documents=len(assistant.documents()),
                              passages=assistant.passage_count())  # fmt: skip

    @app.get("/api/jobs/{job_id}", response_model=JobOut, dependencies=guard, responses=with_errors(404),
             tags=["documents"], name="job")  # fmt: skip
    def job(job_id: str) -> JobOut:
        """An upload's progress (passages embedded of the total) and, when done, its report."""
        found = writer.jobs.get(job_id) if _JOB_ID.fullmatch(job_id) else None
        if found is None:
            raise ApiError(404, "unknown_job", f"no job {job_id[:40]!r} on this server (jobs are kept in memory "
                                               "until it restarts)")  # fmt: skip
        return found.out()

    @app.get(
        "/api/health", response_model=Health, dependencies=guard, responses=with_errors(), tags=["server"]
    )
    def health() -> Health:
        """Whether the index is loaded, how much it holds and which models serve it."""
        llm = getattr(assistant, "llm", None)
        return Health(
            status="ok", index_loaded=True, documents=len(assistant.documents()),
            passages=assistant.passage_count(), model_id=assistant.manifest.get("model_id", ""),
            llm=getattr(llm, "model", None), auth=bool(settings.api_key),
        )  # fmt: skip

    @app.get(
        "/v1/models", response_model=ModelList, dependencies=guard, responses=with_errors(), tags=["openai"]
    )
    def models() -> ModelList:
        """The one model this server answers as (OpenAI-compatible)."""
        return ModelList(data=[ModelCard(id=MODEL_NAME, created=0, owned_by="rag-vi")])

    # One schema per server-sent event: its `data` is a chat.completion.chunk as JSON, or [DONE].
    event = {
        "type": "object",
        "properties": {
            "data": {
                "type": "string",
                "description": "a chat.completion.chunk as JSON, or [DONE] at the end",
            },
            "event": {"type": "string"},
            "id": {"type": "string"},
        },
        "required": ["data"],
    }
    # OpenAPI 3.2: `itemSchema` is one event, `schema` the whole stream as a list of them.
    sse = {"text/event-stream": {"schema": {"type": "array", "items": event}, "itemSchema": event}}

    @app.post("/v1/chat/completions", response_model=ChatCompletion, dependencies=guard, tags=["openai"],
              responses={**with_errors(), 200: {"content": sse}})  # fmt: skip
    def chat_completions(body: ChatRequest):
        """OpenAI-compatible chat: the last user message is the question, earlier ones the history.

        The content is the answer with its `[n]` markers and a Markdown source list; the
        same citations come structured in `citations`. With `stream: true` the reply is
        server-sent `chat.completion.chunk` events, the last one carrying `citations`.
        """
        question, history = _conversation(body)
        created, cid = int(time.time()), f"chatcmpl-{uuid.uuid4().hex}"
        pieces = _answer_stream(assistant, question, history)
        first = next(pieces)  # errors in the question surface here, as JSON, before any stream starts
        if not body.stream:
            answer = first if isinstance(first, Answer) else _last_answer(pieces)
            content = chat_content(answer)
            return ChatCompletion(
                id=cid, created=created, model=MODEL_NAME,
                choices=[ChatChoice(index=0, message=ChatReply(content=content), finish_reason="stop")],
                usage=Usage(prompt_tokens=_words(question) + sum(map(_words, history)),
                            completion_tokens=_words(content),
                            total_tokens=_words(question) + sum(map(_words, history)) + _words(content)),
                citations=[Citation.of(c) for c in answer.citations], found=answer.found, related=answer.related,
                generated_by=answer.generated_by, notice=answer.notice,
            )  # fmt: skip
        return StreamingResponse(_sse(cid, created, first, pieces), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})  # fmt: skip

    return app


def _find(assistant: Assistant, source: str) -> tuple[str, int, int]:
    """The inventory row of `source`; 404 for a name that is not indexed (never a file lookup)."""
    for row in assistant.inventory():
        if row[0] == source:
            return row
    raise ApiError(404, "unknown_source", f"no document named {source[:200]!r} is indexed; GET /api/documents "
                                          "lists them")  # fmt: skip


def _last_answer(pieces: Iterator[str | Answer]) -> Answer:
    answer = None
    for piece in pieces:
        if isinstance(piece, Answer):
            answer = piece
    if answer is None:  # ask_stream always ends with the Answer; anything else is a bug there
        raise ApiError(500, "internal_error", "the answer stream ended without an answer")
    return answer


def _sse(cid: str, created: int, first: str | Answer, pieces: Iterator[str | Answer]) -> Iterator[str]:
    """`chat.completion.chunk` events: the role, the content in pieces, the citations with the last one."""
    import json

    def event(delta: dict, finish: str | None = None, **extra: Any) -> str:
        chunk = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": MODEL_NAME,
                 "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}  # fmt: skip
        return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

    yield event({"role": "assistant", "content": ""})
    streamed = ""
    answer = None
    try:
        for piece in _chain(first, pieces):
            if isinstance(piece, Answer):
                answer = piece
            else:
                streamed += piece
                yield event({"content": piece})
        if answer is None:
            raise ApiError(500, "internal_error", "the answer stream ended without an answer")
        if not streamed:  # the extractive answer comes whole: send it as a stream of pieces
            for piece in _pieces(answer.text):
                yield event({"content": piece})
        elif streamed != answer.text:
            # The generated text was not kept as written (e.g. nothing in it could be verified and
            # the extractive answer replaces it): what stands is sent after it, the notice says why.
            yield event({"content": f"\n\n{answer.text}"})
        if rest := _after_text(answer):
            yield event({"content": rest})
        from pydantic import TypeAdapter

        cites = [Citation.of(c).model_dump(mode="json") for c in answer.citations]
        related = TypeAdapter(list[Passage]).dump_python(answer.related, mode="json")
        yield event({}, "stop", citations=cites, found=answer.found, related=related,
                    generated_by=answer.generated_by, notice=answer.notice)  # fmt: skip
    except errors.RagError as exc:  # mid-stream: the status is sent already; the error travels as an event
        e = rag_error(exc)
        yield f"data: {json.dumps({'error': {'code': e.code, 'message': e.message}}, ensure_ascii=False)}\n\n"
    yield "data: [DONE]\n\n"


def _chain(first, rest):
    yield first
    yield from rest


# ------------------------------------------------------------------------------ serve
def serve(app: FastAPI, host: str, port: int, on_ready=None) -> int:
    """Run `app` with uvicorn until Ctrl-C; `on_ready()` is called once the port accepts connections.

    Returns 0, or 2 when the server could not start (e.g. the port is taken).
    """
    import uvicorn

    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                            timeout_graceful_shutdown=3)  # fmt: skip
    server = uvicorn.Server(config)
    # On a thread, so this one can say "ready" once the socket is open (uvicorn has no hook
    # after binding) and still stop the server cleanly on Ctrl-C.
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            return 2
        time.sleep(0.05)
    if on_ready is not None:
        on_ready()
    try:
        while thread.is_alive():
            thread.join(0.5)
    except KeyboardInterrupt:
        server.should_exit = True
        thread.join(10)
    return 0
