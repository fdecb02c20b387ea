"""The Documents tab: add the user's files, watch each one being read, cleaned and embedded,
see what the index holds, remove a document; and the chat's "search in" choice of documents.

A thin Gradio layer over `index.documents`. Adding or removing rebuilds the default index
incrementally and then reloads the chat's searcher, so the next question sees the change.
In a read-only app (a shared link) the list is shown, upload and removal are not.
"""
from __future__ import annotations

import html
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import gradio as gr
from reportqa.errors import ReportQAError
from reportqa.index.documents import STAGES, UserDocument, add_document, list_documents, remove_document
from reportqa.index.search import Searcher

log = logging.getLogger(__name__)

COLUMNS = ["id", "title", "file", "pages", "sections", "chunks", "added"]
FORMATS = [".pdf", ".hwpx", ".docx", ".txt", ".md", ".html", ".htm"]
CONCURRENCY = "documents"  # adds and removals share one queue: one index build at a time


class DocumentEngine(Protocol):
    """What the tab needs from the app's engine: the loaded searcher, and a way to reload it."""

    def searcher(self) -> Searcher: ...

    def reload(self) -> None: ...


def document_choices(engine: DocumentEngine) -> list[tuple[str, str]]:
    """(label, doc_id) for every document the index holds: what the chat can be limited to."""
    documents = engine.searcher().data.documents
    return [(f"{d.title} ({Path(d.doc_id).name})", doc_id) for doc_id, d in documents.items()]


def documents_table(engine: DocumentEngine) -> list[list[Any]]:
    rows = list_documents(engine.searcher().data)
    return [[d.id, d.title, d.name, d.pages or "", d.sections, d.chunks, d.added] for d in rows]


def progress_html(lines: dict[str, str]) -> str:
    """One line per uploaded file: its stage, its result or its one-line error."""
    items = "".join(f"<li><b>{html.escape(name)}</b>: {state}</li>" for name, state in lines.items())
    return f'<ul class="doc-progress">{items}</ul>' if items else ""


def _stages_done(stage: str) -> str:
    done = STAGES[: STAGES.index(stage) + 1]
    return " → ".join(html.escape(s) for s in done) + " …"


def add_files(engine: DocumentEngine, paths: list[str]) -> Iterator[dict[str, str]]:
    """Add each file in turn, yielding every file's state after each step; errors stay per file."""
    lines = {Path(p).name: "waiting" for p in paths}
    embedder = engine.searcher().embedder
    changed = False
    for path in map(Path, paths):
        name = path.name
        stages: queue.Queue[str | None] = queue.Queue()
        outcome: dict[str, Any] = {}

        def work(file: Path = path) -> None:
            try:
                outcome["added"] = add_document(file, embedder, progress=stages.put, name=file.name)
            except ReportQAError as error:
                outcome["error"] = str(error)
            except Exception as error:  # whatever failed must reach the list, not leave it waiting
                log.error("adding %s failed", file, exc_info=True)
                outcome["error"] = f"could not add {file.name}: {error}"
            finally:
                stages.put(None)

        threading.Thread(target=work, name=f"add-{name}", daemon=True).start()
        while (stage := stages.get()) is not None:
            lines[name] = _stages_done(stage)
            yield dict(lines)
        if "error" in outcome:
            lines[name] = f'<span class="doc-error">✗ {html.escape(outcome["error"])}</span>'
        else:
            added: UserDocument = outcome["added"][0]
            lines[name] = f"✓ {html.escape(added.title)}: {added.sections} sections, {added.chunks} chunks"
            changed = True
        yield dict(lines)
    if changed:
        engine.reload()


def documents_tab(
    engine: DocumentEngine, read_only: bool, chat_documents: gr.CheckboxGroup
) -> tuple[list[gr.components.Component], Callable[[], tuple[Any, ...]]]:
    """The tab's components and events; `chat_documents` is the chat's choice it keeps current.

    Returns the components a page load fills (list, removal choice, chat choice) and the filler.
    """
    hint = "Documents the chat answers from." + ("" if read_only else " Add PDF, HWPX, DOCX, text or HTML files; each is copied into the data folder and only it is embedded.")
    gr.Markdown(hint)
    upload = gr.File(
        label="Add documents (drop one or more files)",
        file_count="multiple",
        file_types=FORMATS,
        elem_id="doc-upload",
        visible=not read_only,
        height=140,
    )
    progress = gr.HTML("", elem_id="doc-progress")
    table = gr.Dataframe(headers=COLUMNS, interactive=False, elem_id="doc-list", wrap=True)
    with gr.Row(visible=not read_only):
        chosen = gr.Dropdown(label="Document to remove (id)", choices=[], elem_id="doc-remove-id", scale=3)
        remove = gr.Button("Remove", variant="stop", elem_id="doc-remove", scale=1, min_width=80)

    def refreshed() -> tuple[Any, Any, Any]:
        rows = documents_table(engine)
        return rows, gr.Dropdown(choices=[(f"{r[0]} · {r[1]}", r[0]) for r in rows], value=None), gr.CheckboxGroup(choices=document_choices(engine))

    def on_upload(files: list[str] | None) -> Iterator[tuple[Any, ...]]:
        if not files:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        state: dict[str, str] = {}
        for state in add_files(engine, list(files)):
            yield progress_html(state), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        yield progress_html(state), None, *refreshed()

    def on_remove(document_id: str | None) -> tuple[Any, ...]:
        if not document_id:
            return "Choose a document to remove.", *[gr.skip()] * 3
        try:
            remove_document(document_id, engine.searcher().embedder)
        except ReportQAError as error:
            return f'<span class="doc-error">✗ {html.escape(str(error))}</span>', *[gr.skip()] * 3
        engine.reload()
        return f"Removed {html.escape(document_id)}.", *refreshed()

    upload.upload(on_upload, [upload], [progress, upload, table, chosen, chat_documents], concurrency_id=CONCURRENCY)
    remove.click(on_remove, [chosen], [progress, table, chosen, chat_documents], concurrency_id=CONCURRENCY)
    return [table, chosen, chat_documents], refreshed
