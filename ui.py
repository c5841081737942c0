"""Gradio chat over an index: ask, read the cited evidence, open sources, add or remove documents.

    python ui.py [--host 127.0.0.1] [--port 7860] [--index-dir index]

A thin edge: every answer, search and index change goes through `rag.Assistant`; this
file only turns them into HTML and wires the widgets. The rendering functions are pure
and tested on their own (tests/test_ui_render.py).
"""

from __future__ import annotations

import argparse
import html
import logging
import os
import time
from pathlib import Path

from rag import (
    MAX_QUESTION_CHARS,
    Answer,
    Assistant,
    Citation,
    EmptyQuestionError,
    Passage,
    QuestionTooLongError,
    RagError,
)
from rag.generation.generate import stream as generate_stream
from rag.generation.llm import LLMConfig
from rag.ingest.loader import SUPPORTED
from rag.model.embedding import duration
from rag.search.location import open_backend

ROOT = Path(__file__).resolve().parent
log = logging.getLogger("rag.ui")

EXAMPLES = {
    "vi": [
        "Quận 1 có bao nhiêu đảng viên?",
        "Ai là Bí thư Quận ủy quận 1?",
        "Tỷ lệ đảng viên quận 1 tham gia học tập, quán triệt nghị quyết là bao nhiêu?",
        "Năm 2023 TP.HCM kết nạp bao nhiêu đảng viên mới?",
        "quan tan binh co bao nhieu chi bo truc thuoc",
    ],
    "en": [
        "How many party members are there in District 1?",
        "Who chaired the thematic conference of the Tan Binh District Party Committee?",
        "What is the population of District 1?",
    ],
}
TEXT = {
    "vi": {
        "title": "Hỏi đáp tài liệu — trả lời có trích dẫn",
        "question": "Câu hỏi",
        "placeholder": "Ví dụ: Quận 1 có bao nhiêu đảng viên?",
        "send": "Gửi",
        "evidence": "Bằng chứng",
        "source": "Mở nguồn",
        "upload": "Thêm tài liệu (.txt .md .html .pdf .docx .jsonl, ảnh quét)",
        "add": "Lập chỉ mục",
        "documents": "Tài liệu đã lập chỉ mục",
        "headers": ["Tài liệu", "Ký tự", "Đoạn"],
        "remove": "Xóa tài liệu",
        "remove_btn": "Xóa…",
        "confirm": "Xóa **{name}** khỏi chỉ mục? Có thể hoàn tác ngay sau đó.",
        "confirm_btn": "Xóa hẳn",
        "cancel": "Hủy",
        "undo": "Hoàn tác",
        "restored": "Đã khôi phục",
        "pick_first": "Hãy chọn một tài liệu để xóa.",
        "k": "Số đoạn hiển thị",
        "scores": "Hiện điểm",
        "settings": "⚙️ Tài liệu & cài đặt",
        "llm_url": "Máy chủ LLM (OpenAI-compatible, ví dụ http://127.0.0.1:11434/v1); để trống: câu trả lời trích xuất",
        "llm_model": "Tên mô hình",
        "llm_key": "Khóa API (nếu cần)",
        "unverified": "chưa kiểm chứng",
        "empty": "Hãy nhập một câu hỏi về tài liệu, ví dụ: “Quận 1 có bao nhiêu đảng viên?”",
        "too_long": "Câu hỏi dài {n:,} ký tự, giới hạn là {limit:,}. Hãy hỏi ngắn hơn, hoặc thêm văn bản dài như một tài liệu.",
        "not_found": "Không có trong tài liệu",
        "not_found_body": "Tài liệu không có thông tin để trả lời câu hỏi này. Các đoạn gần nhất nằm ở khung “Bằng chứng”; bấm vào một đoạn để mở nguồn.",
        "related": "Các đoạn gần nhất (không chứa câu trả lời)",
        "cited": "Trích dẫn: các đoạn nêu câu trả lời",
        "others": "Các đoạn khác: tìm thấy nhưng không nêu câu trả lời",
        "score_help": "điểm = độ liên quan khi tìm kiếm, cùng một thang cho mọi đoạn; đoạn được trích dẫn đứng đầu vì nó nêu câu trả lời",
        "score": "điểm",
        "page": "trang",
        "ocr": "đọc từ ảnh quét (OCR)",
        "no_evidence": "Bằng chứng của câu trả lời sẽ hiện ở đây.",
        "read_as": "Hiểu là",
        "seconds": "giây",
        "indexed": "Đã lập chỉ mục",
        "skipped": "Bỏ qua",
        "nothing": "Chưa chọn tệp nào.",
        "removed": "Đã xóa",
        "examples": "Câu hỏi mẫu",
        "upload_name": "tệp tải lên",
        "too_big": "{name}: {mb:.1f} MB, vượt giới hạn tải lên {limit:.0f} MB (lập chỉ mục sẽ mất khoảng {estimate}). Hãy tách nhỏ tệp, hoặc lập chỉ mục bằng dòng lệnh: rag index TỆP",
    },
    "en": {
        "title": "Document Q&A — answers with citations",
        "question": "Question",
        "placeholder": "e.g. How many party members are there in District 1?",
        "send": "Send",
        "evidence": "Evidence",
        "source": "Open source",
        "upload": "Add documents (.txt .md .html .pdf .docx .jsonl, scans)",
        "add": "Index",
        "documents": "Indexed documents",
        "headers": ["Source", "Characters", "Passages"],
        "remove": "Remove a document",
        "remove_btn": "Remove…",
        "confirm": "Remove **{name}** from the index? You can undo it right after.",
        "confirm_btn": "Remove",
        "cancel": "Cancel",
        "undo": "Undo",
        "restored": "Restored",
        "pick_first": "Choose a document to remove first.",
        "k": "Passages shown",
        "scores": "Show scores",
        "settings": "⚙️ Documents & settings",
        "llm_url": "LLM server (OpenAI-compatible, e.g. http://127.0.0.1:11434/v1); empty: extractive answers",
        "llm_model": "Model name",
        "llm_key": "API key (if needed)",
        "unverified": "not verified",
        "empty": "Type a question about the documents, e.g. “How many party members are there in District 1?”",
        "too_long": "The question has {n:,} characters; the limit is {limit:,}. Ask a shorter question, or add long text as a document.",
        "not_found": "Not in the documents",
        "not_found_body": "The documents do not contain the answer to this question. The closest passages are in the “Evidence” panel; click one to open its source.",
        "related": "Closest passages (they do not hold the answer)",
        "cited": "Cited: the passages that state the answer",
        "others": "Other passages: found, but they do not state the answer",
        "score_help": "score = search relevance, one scale for every passage; a cited passage comes first because it states the answer",
        "score": "score",
        "page": "page",
        "ocr": "read from a scan (OCR)",
        "no_evidence": "The evidence for an answer appears here.",
        "read_as": "Read as",
        "seconds": "s",
        "indexed": "Indexed",
        "skipped": "Skipped",
        "nothing": "No file chosen.",
        "removed": "Removed",
        "examples": "Example questions",
        "upload_name": "the upload",
        "too_big": "{name}: {mb:.1f} MB, over the {limit:.0f} MB upload limit (indexing would take about {estimate}). Split the file, or index it from the command line: rag index FILE",
    },
}
CSS = """
.cite { border: 1px solid #d0d7de; border-radius: 8px; padding: 8px 10px; margin: 6px 0; cursor: pointer; }
.cite:hover { border-color: #0969da; }
.cite .head { font-size: 0.85em; color: #57606a; margin-bottom: 4px; }
.cite mark, #source-view mark { background: #ffe58f; padding: 0 1px; }
.related { border-style: dashed; opacity: 0.9; }
.notfound { background: #fff4e5; border: 1px solid #f0b429; border-radius: 8px; padding: 8px 10px; }
.claim.bad { text-decoration: line-through; text-decoration-color: #cf222e; color: #57606a; }
.claim.ok { background: #dafbe1; border-radius: 3px; }
.why { color: #cf222e; }
.gen-meta { color: #57606a; }
.evidence-note { font-size: 0.8em; color: #57606a; margin: 2px 0 6px; }
#source-view .doc { max-height: 420px; overflow-y: auto; white-space: pre-wrap; font-size: 0.92em;
                    border: 1px solid #d0d7de; border-radius: 8px; padding: 10px; }
#title-row { align-items: center; }
#title-row > * { min-height: 0; }
#lang { flex: 0 0 auto !important; min-width: max-content !important; }
#lang .wrap { flex-wrap: nowrap; }
#lang label { white-space: nowrap; padding: 4px 10px; }
@media (max-width: 640px) {
  #chat { height: 300px !important; max-height: 300px; }
  #title-row h2 { font-size: 1.1em; }
}
"""
# A click on a card (a citation or a related passage) selects its entry in the "open
# source" picker. Keys hold any character a file name may ("), so they are escaped for
# the selector, never spliced into it raw.
JS = """
() => {
  document.addEventListener('click', (e) => {
    const card = e.target.closest('[data-cite]');
    if (!card) return;
    const input = document.querySelector(`#cite-picker input[value="${CSS.escape(card.dataset.cite)}"]`);
    if (input) input.click();
  });
}
"""
SCROLL_JS = "() => { setTimeout(() => document.querySelector('#source-view mark')?.scrollIntoView({block: 'center'}), 150); }"
# Characters Markdown reads as markup (":", "@" and "." too: they make bare links); a
# question is shown as typed, so they are escaped.
MARKDOWN_CHARS = "\\`*_{}[]()#+-.!|<>~:@"
SECONDS_PER_MB = 75.0  # embedding time of plain text on 2 cores (~2,000 passages a MB at ~38 passages/s)


# ------------------------------------------------------------------ rendering (pure)
def highlight(text: str, start: int, end: int) -> str:
    """HTML of `text` with `text[start:end]` in a <mark>, everything escaped.

    >>> highlight("a <b> c", 2, 5)
    'a <mark>&lt;b&gt;</mark> c'
    """
    return f"{html.escape(text[:start])}<mark>{html.escape(text[start:end])}</mark>{html.escape(text[end:])}"


def as_typed(text: str) -> str:
    """A user's text for a Markdown+HTML bubble, so that it shows exactly as typed.

    >>> as_typed("**bold** <img src=x>")
    '\\\\*\\\\*bold\\\\*\\\\* &lt;img src=x&gt;'
    """
    escaped = "".join("\\" + ch if ch in MARKDOWN_CHARS and ch not in "<>" else ch for ch in text)
    return html.escape(escaped, quote=False)


def cite_key(n: int, source: str) -> str:
    """The picker's label for card `n` ("[1] a.txt"); related passages are numbered too."""
    return f"[{n}] {source}"


def _where(page: int | None, ocr: bool, t: dict) -> str:
    where = f" · {t['page']} {page}" if page else ""
    return where + (f" · {t['ocr']}" if ocr else "")


def render_citation(c: Citation, show_score: bool, lang: str = "vi") -> str:
    """A citation card: source (and merged duplicates), page, score, passage with the quote marked."""
    t = TEXT[lang]
    also = f" · = {html.escape(', '.join(c.also))}" if c.also else ""
    score = f" · {t['score']} {c.score:.3f}" if show_score else ""
    heading = f'<div class="head">{html.escape(c.heading)}</div>' if c.heading else ""
    body = highlight(c.text, c.quote_start - c.start, c.quote_end - c.start)
    return (
        f'<div class="cite" data-cite="{html.escape(cite_key(c.n, c.source))}">'
        f'<div class="head"><b>[{c.n}]</b> {html.escape(c.source)}{also}{html.escape(_where(c.page, c.ocr, t))}'
        f"{score}</div>{heading}{body}</div>"
    )


def render_passage(p: Passage, n: int, show_score: bool, lang: str = "vi", css: str = "related") -> str:
    """A passage that is not cited, numbered `n` in the picker so it can be opened too."""
    t = TEXT[lang]
    score = f" · {t['score']} {p.score:.3f}" if show_score else ""
    return (
        f'<div class="cite {css}" data-cite="{html.escape(cite_key(n, p.source))}">'
        f'<div class="head">({n}) {html.escape(p.source)}{score}</div>{html.escape(p.text)}</div>'
    )


def extra_passages(answer: Answer, k: int) -> list[Passage]:
    """The passages shown beside the citations: read for the answer but not cited (or, when
    nothing was found, the closest ones), on the citations' own score scale."""
    if not answer.found:
        return list(answer.related or answer.passages)[:k]
    cited = {(c.source, c.start) for c in answer.citations}
    return [p for p in answer.passages if (p.source, p.start) not in cited][:k]


def render_evidence(answer: Answer, extra: list[Passage], show_score: bool, lang: str) -> str:
    t = TEXT[lang]
    first = len(answer.citations) + 1
    cards = "".join(render_passage(p, n, show_score, lang) for n, p in enumerate(extra, first))
    note = f'<div class="evidence-note">{t["score_help"]}</div>' if show_score else ""
    if not answer.found:
        return f'<div class="notfound"><b>{t["not_found"]}</b></div><h4>{t["related"]}</h4>{note}{cards}'
    cited = "".join(render_citation(c, show_score, lang) for c in answer.citations)
    html_ = f"<h4>{t['cited']}</h4>{note}{cited}"
    if extra:
        html_ += f"<h4>{t['others']}</h4>{cards}"
    return html_


def picker_entries(answer: Answer, extra: list[Passage]) -> list[tuple[str, Citation | Passage]]:
    """(picker key, the citation or passage itself) of every card that can be opened, in card order."""
    first = len(answer.citations) + 1
    return [(cite_key(c.n, c.source), c) for c in answer.citations] + [
        (cite_key(n, p.source), p) for n, p in enumerate(extra, first)
    ]


def marked_span(item: Citation | Passage) -> tuple[int, int, int | None]:
    """Offsets to mark in the source and the page to show: a citation's quote, a passage whole."""
    if isinstance(item, Citation):
        return item.quote_start, item.quote_end, item.page
    return item.start, item.end, None


def page_span(pages: tuple[int, ...], length: int, page: int | None) -> tuple[int, int]:
    """Start and end offsets of 1-based `page` in a text of `length` (the whole text when unpaged).

    >>> page_span((0, 10, 25), 40, 2), page_span((), 40, None)
    ((10, 25), (0, 40))
    """
    if not pages or not page:
        return 0, length
    return pages[page - 1], pages[page] if page < len(pages) else length


def render_source(source: str, text: str, start: int, end: int, page: int | None = None,
                  pages: tuple[int, ...] = (), lang: str = "vi") -> str:  # fmt: skip
    """The document (of a paged one, the cited page) with the cited span marked; the page scrolls to it."""
    lo, hi = page_span(pages, len(text), page)
    title = html.escape(source) + (f" · {TEXT[lang]['page']} {page}" if page and pages else "")
    return f'<h4>{title}</h4><div class="doc">{highlight(text[lo:hi], start - lo, end - lo)}</div>'


def llm_config(url: str, model: str, key: str = "") -> LLMConfig | None:
    """The LLM server typed in the settings; None (extractive answers) when no URL is given.

    >>> llm_config("", "m") is None, llm_config(" http://127.0.0.1:8080/v1 ", "").model
    (True, 'default')
    """
    url = (url or "").strip()
    if not url:
        return None
    return LLMConfig(url, (model or "").strip() or "default", (key or "").strip() or None)


def generated_message(answer: Answer, seconds: float, lang: str) -> str:
    """A generated answer's bubble: each sentence marked verified (✓, its evidence on hover)
    or not (struck through, with the reason), then the model's name and how much was verified."""
    t = TEXT[lang]
    parts, pos = [], 0
    for c in answer.claims:
        parts.append(html.escape(answer.text[pos : c.start]))
        body = html.escape(answer.text[c.start : c.end])
        if c.verified:
            quote = html.escape(c.evidence.quote if c.evidence else "", quote=True)
            parts.append(f'<span class="claim ok" title="{quote}">✓ {body}</span>')
        else:
            why = html.escape(c.reason)
            parts.append(f'<span class="claim bad" title="{why}">{body}</span>')
            parts.append(f' <small class="why">({t["unverified"]}: {why})</small>')
        pos = c.end
    parts.append(html.escape(answer.text[pos:]))
    model, notice = html.escape(answer.generated_by or ""), html.escape(answer.notice or "")
    meta = f"🤖 {model} · {notice} · {seconds:.2f} {t['seconds']}"
    return "".join(parts) + f'<br><small class="gen-meta">{meta}</small>'


def streaming_message(text: str) -> str:
    """The bubble while the model writes: its text so far, unchecked, with a cursor."""
    return f"{html.escape(text)} ▌"


def chat_message(answer: Answer, seconds: float, lang: str) -> str:
    """The assistant's chat bubble, in the UI's language when it is the UI speaking.

    A found answer is shown as the documents word it; "not in the documents" is the UI's
    own message, so it follows the language switch.
    """
    t = TEXT[lang]
    if answer.generated_by:
        return generated_message(answer, seconds, lang)
    if answer.found:
        text = html.escape(answer.text)
    else:
        text = f"⚠️ <b>{t['not_found']}.</b> {html.escape(t['not_found_body'])}"
    if answer.rewritten:
        text = f"<i>{t['read_as']}: {html.escape(answer.rewritten)}</i><br>{text}"
    # A generated answer that fell back to this one says why in one line.
    note = f"<br><small>ℹ️ {html.escape(answer.notice)}</small>" if answer.notice else ""
    return f"{text}{note}<br><small>{seconds:.2f} {t['seconds']}</small>"


def documents_table(assistant: Assistant) -> list[list]:
    return [list(row) for row in assistant.inventory()]


def status_html(lines: list[tuple[str, str]]) -> str:
    """Upload/removal status: (label, detail) lines, both escaped (file names are not HTML)."""
    return "".join(f"<div><b>{html.escape(label)}</b> {html.escape(detail)}</div>" for label, detail in lines)


def oversized(paths: list[Path], limit_bytes: int, lang: str) -> list[str]:
    """A message for each file over the upload limit (with the indexing time it would take)."""
    t = TEXT[lang]
    out = []
    for path in paths:
        size = path.stat().st_size
        if size > limit_bytes:
            mb = size / 2**20
            out.append(t["too_big"].format(name=path.name, mb=mb, limit=limit_bytes / 2**20,
                                           estimate=duration(mb * SECONDS_PER_MB)))  # fmt: skip
    return out


def stage_uploads(paths: list[Path], folder: Path) -> Path:
    """Copy uploads into `folder` under their own names, so sources are named as the user's files.

    Gradio keeps each upload in a folder of its own (/tmp/gradio/<hash>/name); indexed from
    there, the hash would show. Two uploads of one name in one batch get "name (2).ext".
    """
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    for path in paths:
        target = folder / path.name
        n = 2
        while target.exists():
            target = folder / f"{path.stem} ({n}){path.suffix}"
            n += 1
        shutil.copyfile(path, target)
    return folder


def default_upload_limit() -> int:
    from rag.api import ApiSettings

    return ApiSettings.from_env("127.0.0.1").max_upload_bytes


# ------------------------------------------------------------------------- the app
def build_app(assistant: Assistant, max_upload_bytes: int | None = None):
    import tempfile

    import gradio as gr

    limit = max_upload_bytes or default_upload_limit()

    def lang_of(choice: str) -> str:
        return "en" if choice == "English" else "vi"

    def inventory(lang: str):
        t = TEXT[lang]
        sources = sorted(d.source for d in assistant.documents())
        return (
            gr.update(value={"headers": t["headers"], "data": documents_table(assistant)}),
            gr.update(choices=sources, value=None),
        )

    def ask(message, chat, k, show_score, lang_choice, asked, llm_url, llm_model, llm_key):
        # A generator: with an LLM set in the settings the bubble shows its text as it is
        # written, then the checked answer (rag.generation.generate); otherwise one extractive answer.
        lang = lang_of(lang_choice)
        chat = list(chat or [])
        asked = list(asked or [])
        message = message or ""
        t0 = time.perf_counter()
        try:
            answer = assistant.ask_extractive(message, history=asked)
        except EmptyQuestionError:  # rag decides what is empty or too long; the UI words it
            yield "", chat, gr.update(), gr.update(), TEXT[lang]["empty"], asked, [], gr.update()
            return
        except QuestionTooLongError:
            note = TEXT[lang]["too_long"].format(n=len(message), limit=MAX_QUESTION_CHARS)
            yield "", chat, gr.update(), gr.update(), note, asked, [], gr.update()
            return
        except RagError as exc:
            yield "", chat, gr.update(), gr.update(), str(exc), asked, [], gr.update()
            return
        config = llm_config(llm_url, llm_model, llm_key)
        if config is not None:  # the model's text as it comes; the checked Answer ends the stream
            user = {"role": "user", "content": as_typed(answer.question)}
            written = ""
            for event in generate_stream(assistant.search, answer, config, assistant.generation):
                if isinstance(event, str):
                    written += event
                    bubble = {"role": "assistant", "content": streaming_message(written)}
                    yield "", [*chat, user, bubble], gr.update(), gr.update(), "", asked, [], gr.update()
                else:
                    answer = event
        seconds = time.perf_counter() - t0
        extra = extra_passages(answer, int(k))
        chat += [
            {"role": "user", "content": as_typed(answer.question)},
            {"role": "assistant", "content": chat_message(answer, seconds, lang)},
        ]
        asked.append(answer.rewritten or answer.question)  # the question as stripped and read
        entries = picker_entries(answer, extra)
        keys = [e[0] for e in entries]
        yield (
            "", chat, render_evidence(answer, extra, bool(show_score), lang),
            gr.update(choices=keys, value=None, visible=bool(keys)), "", asked, entries, "",
        )  # fmt: skip

    def open_source(key, entries, lang_choice):
        item = dict(entries or []).get(key)
        if item is None:
            return ""
        try:
            doc = assistant.document(item.source)
        except KeyError:  # removed since it was cited
            return ""
        start, end, page = marked_span(item)
        return render_source(item.source, doc.text, start, end, page, doc.pages, lang_of(lang_choice))

    def add_documents(files, lang_choice, progress=gr.Progress(track_tqdm=True)):  # noqa: B008 (Gradio injects it)
        lang = lang_of(lang_choice)
        t = TEXT[lang]
        if not files:
            return status_html([("", t["nothing"])]), *inventory(lang), gr.update()
        paths = [Path(f if isinstance(f, str) else f.name) for f in files]
        too_big = oversized(paths, limit, lang)
        if too_big:
            return status_html([("⚠️", m) for m in too_big]), *inventory(lang), None
        progress(0, desc="…")
        with tempfile.TemporaryDirectory(prefix="rag-upload-") as tmp:
            folder = stage_uploads(paths, Path(tmp))
            try:
                report = assistant.add([folder], progress=True)
            except RagError as exc:  # nothing readable: the index is untouched
                # The staging folder is the server's business: name the user's files instead.
                message = str(exc).replace(str(folder) + "/", "").replace(str(folder), t["upload_name"])
                return status_html([("⚠️", message)]), *inventory(lang), None
        lines = [(t["indexed"] + ":", ", ".join(report.added + report.updated) or "–")]
        lines += [(t["skipped"], f"{name}: {why}") for name, why in report.skipped]
        return status_html(lines), *inventory(lang), None  # the upload box is emptied

    def ask_removal(source, lang_choice):
        t = TEXT[lang_of(lang_choice)]
        if not source:
            return gr.update(value=t["pick_first"], visible=True), gr.update(visible=False)
        return gr.update(value=t["confirm"].format(name=source), visible=True), gr.update(visible=True)

    def cancel_removal():
        return gr.update(value="", visible=False), gr.update(visible=False)

    def remove_document(source, trash, lang_choice):
        lang = lang_of(lang_choice)
        t = TEXT[lang]
        hide = (gr.update(value="", visible=False), gr.update(visible=False))
        if not source:
            return (
                status_html([("", t["pick_first"])]),
                *inventory(lang),
                trash,
                gr.update(visible=False),
                *hide,
            )
        try:
            report = assistant.remove([source])
        except RagError as exc:  # e.g. an index folder this server cannot write: nothing removed
            return status_html([("⚠️", str(exc))]), *inventory(lang), trash, gr.update(), *hide
        kept = report.removed_documents  # the undo holds the removed text until the next removal
        undo = gr.update(value=f"↶ {t['undo']}: {source}", visible=bool(kept))
        return status_html([(t["removed"] + ":", source)]), *inventory(lang), kept, undo, *hide

    def undo_removal(trash, lang_choice):
        lang = lang_of(lang_choice)
        t = TEXT[lang]
        if not trash:
            return "", *inventory(lang), [], gr.update(visible=False)
        try:
            report = assistant.add_documents(list(trash))
        except RagError as exc:  # the removed text stays in the trash: the undo can be tried again
            return status_html([("⚠️", str(exc))]), *inventory(lang), trash, gr.update()
        restored = ", ".join(report.added + report.updated + report.unchanged)
        return status_html([(t["restored"] + ":", restored)]), *inventory(lang), [], gr.update(visible=False)

    def switch_language(lang_choice):
        lang = lang_of(lang_choice)
        t = TEXT[lang]
        return (
            gr.update(value=f"## {t['title']}"),
            gr.update(label=t["question"], placeholder=t["placeholder"]),
            gr.update(value=t["send"]),
            gr.update(label=t["upload"]),
            gr.update(value=t["add"]),
            gr.update(label=t["remove"]),
            gr.update(value=t["remove_btn"]),
            gr.update(label=t["k"]),
            gr.update(label=t["scores"]),
            gr.update(label=t["source"]),
            gr.Dataset(samples=[[q] for q in EXAMPLES[lang]], label=t["examples"]),
            gr.update(value={"headers": t["headers"], "data": documents_table(assistant)}),
            gr.update(label=t["settings"]),
            gr.update(value=t["confirm_btn"]),
            gr.update(value=t["cancel"]),
            gr.update(label=t["llm_url"]),
            gr.update(label=t["llm_model"]),
            gr.update(label=t["llm_key"]),
        )

    t = TEXT["vi"]
    with gr.Blocks(title="rag-vi") as app:
        with gr.Row(elem_id="title-row", equal_height=True):
            title = gr.Markdown(f"## {t['title']}")
            lang = gr.Radio(["Tiếng Việt", "English"], value="Tiếng Việt", show_label=False, container=False,
                            elem_id="lang", scale=0)  # fmt: skip
        asked = gr.State([])
        cites = gr.State([])
        trash = gr.State([])
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(height=460, elem_id="chat", show_label=False)
                with gr.Row():
                    box = gr.Textbox(
                        label=t["question"], placeholder=t["placeholder"], scale=5, elem_id="question"
                    )
                    send = gr.Button(t["send"], variant="primary", scale=1, elem_id="send")
                hint = gr.Markdown("", elem_id="hint")
            # On a narrow screen the columns stack: the evidence comes right under the
            # answer, and the example questions after it.
            with gr.Column(scale=2):
                evidence = gr.HTML(f"<i>{t['no_evidence']}</i>", elem_id="evidence")
                picker = gr.Radio([], label=t["source"], visible=False, elem_id="cite-picker")
                source_view = gr.HTML("", elem_id="source-view")
        examples = gr.Examples(EXAMPLES["vi"], inputs=[box], label=t["examples"])
        with gr.Accordion(t["settings"], open=False, elem_id="settings") as settings:
            with gr.Row():
                k = gr.Slider(1, 10, value=3, step=1, label=t["k"], elem_id="k")
                show_score = gr.Checkbox(True, label=t["scores"], elem_id="scores")
            with gr.Row():
                llm = assistant.llm  # RAG_LLM_URL / RAG_LLM_MODEL at start-up, if set
                llm_url = gr.Textbox(llm.url if llm else "", label=t["llm_url"], elem_id="llm-url", scale=3)
                llm_model = gr.Textbox(llm.model if llm else "", label=t["llm_model"], elem_id="llm-model")
                llm_key = gr.Textbox((llm.api_key if llm else None) or "", label=t["llm_key"],
                                     type="password", elem_id="llm-key")  # fmt: skip
            with gr.Row():
                with gr.Column():
                    upload = gr.File(
                        label=t["upload"], file_count="multiple", file_types=list(SUPPORTED), elem_id="upload"
                    )
                    add = gr.Button(t["add"], elem_id="add")
                    status = gr.HTML("", elem_id="status")
                with gr.Column():
                    docs = gr.Dataframe(documents_table(assistant), headers=t["headers"], interactive=False,
                                        elem_id="docs")  # fmt: skip
                    with gr.Row():
                        # Nothing is chosen at first: a removal is always a deliberate choice.
                        to_remove = gr.Dropdown(sorted(d.source for d in assistant.documents()), value=None,
                                                label=t["remove"], elem_id="remove-choice")  # fmt: skip
                        remove = gr.Button(t["remove_btn"], variant="stop", elem_id="remove")
                    confirm_text = gr.Markdown("", visible=False, elem_id="confirm-text")
                    with gr.Row(visible=False, elem_id="confirm-row") as confirm_row:
                        confirm = gr.Button(t["confirm_btn"], variant="stop", elem_id="confirm")
                        cancel = gr.Button(t["cancel"], elem_id="cancel")
                    undo = gr.Button("", visible=False, elem_id="undo")

        outs = [box, chat, evidence, picker, hint, asked, cites, source_view]
        ins = [box, chat, k, show_score, lang, asked, llm_url, llm_model, llm_key]
        # Questions run concurrently (several people, or while a document is indexing);
        # index writes are serialised inside rag.
        box.submit(ask, ins, outs, concurrency_limit=4, concurrency_id="ask")
        send.click(ask, ins, outs, concurrency_limit=4, concurrency_id="ask")
        picker.change(open_source, [picker, cites, lang], [source_view]).then(None, None, None, js=SCROLL_JS)
        inventory_outs = [docs, to_remove]
        add.click(add_documents, [upload, lang], [status, *inventory_outs, upload],
                  concurrency_limit=1, concurrency_id="write")  # fmt: skip
        remove.click(ask_removal, [to_remove, lang], [confirm_text, confirm_row])
        cancel.click(cancel_removal, None, [confirm_text, confirm_row])
        confirm.click(remove_document, [to_remove, trash, lang],
                      [status, *inventory_outs, trash, undo, confirm_text, confirm_row],
                      concurrency_limit=1, concurrency_id="write")  # fmt: skip
        undo.click(undo_removal, [trash, lang], [status, *inventory_outs, trash, undo],
                   concurrency_limit=1, concurrency_id="write")  # fmt: skip
        lang.change(switch_language, [lang], [title, box, send, upload, add, to_remove, remove, k, show_score, picker,
                                              examples.dataset, docs, settings, confirm, cancel, llm_url, llm_model,
                                              llm_key])  # fmt: skip
        # Every page load (and reload) shows the index as it is now, uploads included.
        app.load(lambda choice: inventory(lang_of(choice)), [lang], inventory_outs)
    return app


def open_assistant(index_dir: Path, backend: str | None = None) -> Assistant:
    """Open the index (the directory, or the database at `backend`); build it from the seeds
    when there is none yet.

    Answers are generated (and checked) by the LLM server in RAG_LLM_URL / RAG_LLM_MODEL
    when that is set (rag/generation/llm.py); the chat page, /api/ask and /v1/chat/completions use it.
    """
    from rag.generation.llm import LLMConfig

    llm = LLMConfig.from_env()
    if not open_backend(backend or index_dir).exists():
        log.warning("no index in %s: indexing %s", backend or index_dir, ROOT / "seeds")
        return Assistant.build([ROOT / "seeds"], index_dir=index_dir, progress=True, llm=llm, backend=backend)
    return Assistant.load(index_dir, llm=llm, backend=backend)


def mount_chat(server, assistant: Assistant, settings, host: str, port: int) -> None:
    """Serve the chat page at `/` of `server`, the FastAPI app of rag.api: one process, one port.

    The API's guards (rag.api.Guard) stand in front of the page's routes too: Gradio's
    uploads and events (POSTs under /gradio_api/) are refused from other origins. With
    RAG_API_KEY set, the page asks for that key (as the password, any user name) before
    anything can be read, asked, uploaded or removed.
    """
    import hmac

    import gradio as gr

    def key_login(username: str, password: str) -> bool:
        return hmac.compare_digest(password.encode(), (settings.api_key or "").encode())

    chat = build_app(assistant, max_upload_bytes=settings.max_upload_bytes)
    chat.queue(default_concurrency_limit=4)
    gr.mount_gradio_app(
        server, chat, path="/", server_name=host, server_port=port, css=CSS, js=JS,
        auth=key_login if settings.api_key else None,
        auth_message="Mật khẩu là khóa RAG_API_KEY của máy chủ / The password is the server's RAG_API_KEY.",
        # A hard cap on what Gradio accepts at all; build_app refuses files over the limit
        # itself, with a message that says how long they would take to index.
        max_file_size=4 * settings.max_upload_bytes,
        footer_links=[],  # Gradio's own footer is English whatever the page's language
    )  # fmt: skip


def serve(assistant: Assistant, host: str, port: int, chat: bool = True, started: float | None = None) -> int:
    """Serve the JSON API (rag.api) and, with `chat`, the chat page on one port until Ctrl-C."""
    from rag.api import ApiSettings, create_app
    from rag.api import serve as serve_http

    try:
        settings = ApiSettings.from_env(host)
    except ValueError as exc:
        print(f"ui: {exc}")
        return 2
    started = time.perf_counter() if started is None else started
    server = create_app(assistant, settings)
    if chat:
        mount_chat(server, assistant, settings, host, port)

    def ready() -> None:
        what = "chat and API" if chat else "API"
        print(f"ready on http://{host}:{port} in {time.perf_counter() - started:.1f}s ({what}; API docs at /docs)",
              flush=True)  # fmt: skip

    if serve_http(server, host, port, on_ready=ready):
        print(f"ui: could not listen on {host}:{port}; is another server using that port? (--port N)")
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Chat with your documents (offline), and its HTTP API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--index-dir", type=Path, default=ROOT / "index")
    parser.add_argument("--backend", default=os.environ.get("RAG_BACKEND") or None, metavar="URL",
                        help="the index in PostgreSQL (postgresql://…); default $RAG_BACKEND")  # fmt: skip
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    for noisy in ("httpx", "faiss.loader"):  # their INFO lines are not for the user
        logging.getLogger(noisy).setLevel(logging.WARNING)
    t0 = time.perf_counter()
    try:
        assistant = open_assistant(args.index_dir, args.backend)
    except RagError as exc:
        print(f"ui: {exc}")
        return 2
    assistant.ask_extractive("Quận 1 có bao nhiêu đảng viên?")  # warm the embedding model, not the LLM
    return serve(assistant, args.host, args.port, started=t0)


if __name__ == "__main__":
    raise SystemExit(main())
