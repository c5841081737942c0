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
from rag.loader import SUPPORTED

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
        "upload": "Thêm tài liệu (.txt .md .html .pdf .docx .jsonl)",
        "add": "Lập chỉ mục",
        "documents": "Tài liệu đã lập chỉ mục",
        "remove": "Xóa tài liệu",
        "remove_btn": "Xóa",
        "k": "Số đoạn hiển thị",
        "scores": "Hiện điểm",
        "empty": "Hãy nhập một câu hỏi về tài liệu, ví dụ: “Quận 1 có bao nhiêu đảng viên?”",
        "too_long": "Câu hỏi dài {n:,} ký tự, giới hạn là {limit:,}. Hãy hỏi ngắn hơn, hoặc thêm văn bản dài như một tài liệu.",
        "not_found": "Không có trong tài liệu",
        "related": "Các đoạn liên quan nhất",
        "others": "Các đoạn khác",
        "no_evidence": "Bằng chứng của câu trả lời sẽ hiện ở đây.",
        "read_as": "Hiểu là",
        "seconds": "giây",
        "indexed": "Đã lập chỉ mục",
        "skipped": "Bỏ qua",
        "nothing": "Chưa chọn tệp nào.",
        "removed": "Đã xóa",
        "examples": "Câu hỏi mẫu",
    },
    "en": {
        "title": "Document Q&A — answers with citations",
        "question": "Question",
        "placeholder": "e.g. How many party members are there in District 1?",
        "send": "Send",
        "evidence": "Evidence",
        "source": "Open source",
        "upload": "Add documents (.txt .md .html .pdf .docx .jsonl)",
        "add": "Index",
        "documents": "Indexed documents",
        "remove": "Remove a document",
        "remove_btn": "Remove",
        "k": "Passages shown",
        "scores": "Show scores",
        "empty": "Type a question about the documents, e.g. “How many party members are there in District 1?”",
        "too_long": "The question has {n:,} characters; the limit is {limit:,}. Ask a shorter question, or add long text as a document.",
        "not_found": "Not in the documents",
        "related": "Closest passages",
        "others": "Other passages",
        "no_evidence": "The evidence for an answer appears here.",
        "read_as": "Read as",
        "seconds": "s",
        "indexed": "Indexed",
        "skipped": "Skipped",
        "nothing": "No file chosen.",
        "removed": "Removed",
        "examples": "Example questions",
    },
}
CSS = """
.cite { border: 1px solid #d0d7de; border-radius: 8px; padding: 8px 10px; margin: 6px 0; cursor: pointer; }
.cite:hover { border-color: #0969da; }
.cite .head { font-size: 0.85em; color: #57606a; margin-bottom: 4px; }
.cite mark, #source-view mark { background: #ffe58f; padding: 0 1px; }
.related { border-style: dashed; opacity: 0.9; }
.notfound { background: #fff4e5; border: 1px solid #f0b429; border-radius: 8px; padding: 8px 10px; }
#source-view .doc { max-height: 420px; overflow-y: auto; white-space: pre-wrap; font-size: 0.92em;
                    border: 1px solid #d0d7de; border-radius: 8px; padding: 10px; }
"""
# A click on a citation card selects its entry in the "open source" picker.
JS = """
() => {
  document.addEventListener('click', (e) => {
    const card = e.target.closest('[data-cite]');
    if (!card) return;
    const input = document.querySelector(`#cite-picker input[value="${card.dataset.cite}"]`);
    if (input) input.click();
  });
}
"""
SCROLL_JS = "() => { setTimeout(() => document.querySelector('#source-view mark')?.scrollIntoView({block: 'center'}), 150); }"


# ------------------------------------------------------------------ rendering (pure)
def highlight(text: str, start: int, end: int) -> str:
    """HTML of `text` with `text[start:end]` in a <mark>, everything escaped.

    >>> highlight("a <b> c", 2, 5)
    'a <mark>&lt;b&gt;</mark> c'
    """
    return f"{html.escape(text[:start])}<mark>{html.escape(text[start:end])}</mark>{html.escape(text[end:])}"


def cite_key(c: Citation) -> str:
    return f"[{c.n}] {c.source}"


def render_citation(c: Citation, show_score: bool) -> str:
    """A citation card: source (and merged duplicates), score, passage with the quote marked."""
    also = f" · = {html.escape(', '.join(c.also))}" if c.also else ""
    score = f" · score {c.score:.3f}" if show_score else ""
    body = highlight(c.text, c.quote_start - c.start, c.quote_end - c.start)
    return (
        f'<div class="cite" data-cite="{html.escape(cite_key(c))}">'
        f'<div class="head"><b>[{c.n}]</b> {html.escape(c.source)}{also}{score}</div>{body}</div>'
    )


def render_passage(p: Passage, show_score: bool, css: str = "related") -> str:
    score = f" · score {p.score:.3f}" if show_score else ""
    return f'<div class="cite {css}"><div class="head">{html.escape(p.source)}{score}</div>{html.escape(p.text)}</div>'


def render_evidence(answer: Answer, extra: list[Passage], show_score: bool, lang: str) -> str:
    t = TEXT[lang]
    if not answer.found:
        cards = "".join(render_passage(p, show_score) for p in extra)
        return f'<div class="notfound"><b>{t["not_found"]}</b></div><h4>{t["related"]}</h4>{cards}'
    cards = "".join(render_citation(c, show_score) for c in answer.citations)
    if extra:
        cards += f"<h4>{t['others']}</h4>" + "".join(render_passage(p, show_score) for p in extra)
    return cards


def render_source(source: str, text: str, start: int, end: int) -> str:
    """The whole document with the cited span marked (the page scrolls to it)."""
    return f'<h4>{html.escape(source)}</h4><div class="doc">{highlight(text, start, end)}</div>'


def chat_message(answer: Answer, seconds: float, lang: str) -> str:
    """The assistant's chat bubble: a found answer as is; an abstention marked as such."""
    t = TEXT[lang]
    text = html.escape(answer.text)
    if answer.rewritten:
        text = f"<i>{t['read_as']}: {html.escape(answer.rewritten)}</i><br>{text}"
    if not answer.found:
        text = f"⚠️ <b>{t['not_found']}.</b> {text}"
    return f"{text}<br><small>{seconds:.2f} {t['seconds']}</small>"


def documents_table(assistant: Assistant) -> list[list]:
    return [list(row) for row in assistant.inventory()]


# ------------------------------------------------------------------------- the app
def build_app(assistant: Assistant):
    import gradio as gr

    def lang_of(choice: str) -> str:
        return "en" if choice == "English" else "vi"

    def ask(message, chat, k, show_score, lang_choice, asked):
        lang = lang_of(lang_choice)
        chat = list(chat or [])
        asked = list(asked or [])
        message = message or ""
        t0 = time.perf_counter()
        try:
            answer = assistant.ask(message, history=asked)
        except EmptyQuestionError:  # rag decides what is empty or too long; the UI words it
            return "", chat, gr.update(), gr.update(), TEXT[lang]["empty"], asked, [], gr.update()
        except QuestionTooLongError:
            note = TEXT[lang]["too_long"].format(n=len(message), limit=MAX_QUESTION_CHARS)
            return "", chat, gr.update(), gr.update(), note, asked, [], gr.update()
        except RagError as exc:
            return "", chat, gr.update(), gr.update(), str(exc), asked, [], gr.update()
        seconds = time.perf_counter() - t0
        shown = {(c.source, c.start) for c in answer.citations}
        standalone = answer.rewritten or answer.question  # the question as stripped and read
        extra = [p for p in (answer.related or assistant.search(standalone, k=int(k)))
                 if (p.source, p.start) not in shown][: int(k)]  # fmt: skip
        chat += [
            {"role": "user", "content": answer.question},
            {"role": "assistant", "content": chat_message(answer, seconds, lang)},
        ]
        asked.append(standalone)
        keys = [cite_key(c) for c in answer.citations]
        return (
            "", chat, render_evidence(answer, extra, bool(show_score), lang),
            gr.update(choices=keys, value=None, visible=bool(keys)), "", asked,
            [(cite_key(c), c.source, c.quote_start, c.quote_end) for c in answer.citations], "",
        )  # fmt: skip

    def open_source(key, cites):
        for k, source, start, end in cites or []:
            if k == key:
                return render_source(source, assistant.source_text(source), start, end)
        return ""

    def add_documents(files, lang_choice, progress=gr.Progress(track_tqdm=True)):  # noqa: B008 (Gradio injects it)
        t = TEXT[lang_of(lang_choice)]
        if not files:
            return t["nothing"], documents_table(assistant), gr.update()
        paths = [Path(f if isinstance(f, str) else f.name) for f in files]
        progress(0, desc="…")
        try:
            report = assistant.add(paths, progress=True)
        except RagError as exc:  # nothing readable: the index is untouched
            return f"**{exc}**", documents_table(assistant), gr.update()
        lines = [f"**{t['indexed']}**: {', '.join(report.added + report.updated) or '–'}"]
        lines += [f"**{t['skipped']}** {name}: {why}" for name, why in report.skipped]
        sources = [d.source for d in assistant.documents()]
        return "\n\n".join(lines), documents_table(assistant), gr.update(choices=sorted(sources))

    def remove_document(source, lang_choice):
        t = TEXT[lang_of(lang_choice)]
        if not source:
            return "", documents_table(assistant), gr.update()
        assistant.remove([source])
        sources = sorted(d.source for d in assistant.documents())
        return (
            f"**{t['removed']}**: {source}",
            documents_table(assistant),
            gr.update(choices=sources, value=None),
        )

    def switch_language(lang_choice):
        t = TEXT[lang_of(lang_choice)]
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
            gr.Dataset(samples=[[q] for q in EXAMPLES[lang_of(lang_choice)]]),
        )

    t = TEXT["vi"]
    with gr.Blocks(title="rag-vi") as app:
        with gr.Row():
            title = gr.Markdown(f"## {t['title']}")
            lang = gr.Radio(
                ["Tiếng Việt", "English"], value="Tiếng Việt", show_label=False, elem_id="lang", scale=0
            )
        asked = gr.State([])
        cites = gr.State([])
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(height=460, elem_id="chat", show_label=False)
                with gr.Row():
                    box = gr.Textbox(
                        label=t["question"], placeholder=t["placeholder"], scale=5, elem_id="question"
                    )
                    send = gr.Button(t["send"], variant="primary", scale=1, elem_id="send")
                hint = gr.Markdown("", elem_id="hint")
                examples = gr.Examples(EXAMPLES["vi"], inputs=[box], label=t["examples"])
            with gr.Column(scale=2):
                evidence = gr.HTML(f"<i>{t['no_evidence']}</i>", elem_id="evidence")
                picker = gr.Radio([], label=t["source"], visible=False, elem_id="cite-picker")
                source_view = gr.HTML("", elem_id="source-view")
        with gr.Accordion("⚙️ Tài liệu & cài đặt / Documents & settings", open=False, elem_id="settings"):
            with gr.Row():
                k = gr.Slider(1, 10, value=3, step=1, label=t["k"], elem_id="k")
                show_score = gr.Checkbox(True, label=t["scores"], elem_id="scores")
            with gr.Row():
                with gr.Column():
                    upload = gr.File(
                        label=t["upload"], file_count="multiple", file_types=list(SUPPORTED), elem_id="upload"
                    )
                    add = gr.Button(t["add"], elem_id="add")
                    status = gr.Markdown("", elem_id="status")
                with gr.Column():
                    docs = gr.Dataframe(documents_table(assistant), headers=["source", "chars", "passages"],
                                        interactive=False, elem_id="docs")  # fmt: skip
                    with gr.Row():
                        to_remove = gr.Dropdown(sorted(d.source for d in assistant.documents()), label=t["remove"],
                                                elem_id="remove-choice")  # fmt: skip
                        remove = gr.Button(t["remove_btn"], variant="stop", elem_id="remove")

        outs = [box, chat, evidence, picker, hint, asked, cites, source_view]
        ins = [box, chat, k, show_score, lang, asked]
        # Questions run concurrently (several people, or while a document is indexing);
        # index writes are serialised inside rag.
        box.submit(ask, ins, outs, concurrency_limit=4, concurrency_id="ask")
        send.click(ask, ins, outs, concurrency_limit=4, concurrency_id="ask")
        picker.change(open_source, [picker, cites], [source_view]).then(None, None, None, js=SCROLL_JS)
        add.click(
            add_documents,
            [upload, lang],
            [status, docs, to_remove],
            concurrency_limit=1,
            concurrency_id="write",
        )
        remove.click(remove_document, [to_remove, lang], [status, docs, to_remove], concurrency_limit=1,
                     concurrency_id="write")  # fmt: skip
        lang.change(switch_language, [lang], [title, box, send, upload, add, to_remove, remove, k, show_score, picker,
                                              examples.dataset])  # fmt: skip
    return app


def open_assistant(index_dir: Path) -> Assistant:
    """Open the index; build it from the seeds when there is none yet."""
    if not (index_dir / "CURRENT").exists():
        log.warning("no index in %s: indexing %s", index_dir, ROOT / "seeds")
        return Assistant.build([ROOT / "seeds"], index_dir=index_dir, progress=True)
    return Assistant.load(index_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Chat with your documents (offline).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--index-dir", type=Path, default=ROOT / "index")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    for noisy in ("httpx", "faiss.loader"):  # their INFO lines are not for the user
        logging.getLogger(noisy).setLevel(logging.WARNING)
    t0 = time.perf_counter()
    try:
        assistant = open_assistant(args.index_dir)
    except RagError as exc:
        print(f"ui: {exc}")
        return 2
    assistant.ask("Quận 1 có bao nhiêu đảng viên?")  # warm the model so the first answer is fast
    app = build_app(assistant)
    app.queue(default_concurrency_limit=4)
    app.launch(server_name=args.host, server_port=args.port, css=CSS, js=JS, prevent_thread_lock=True,
               quiet=True)  # fmt: skip
    print(f"ready on http://{args.host}:{args.port} in {time.perf_counter() - t0:.1f}s", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        app.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
