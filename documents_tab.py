"""The Documents tab: add the user's files, watch each one being read, cleaned and embedded,
see what the index holds, remove a document; and the chat's "search in" choice of documents.

A thin Gradio layer over `index.documents`. Several files dropped at once go in with one build
(one progress bar with the time left); adding or removing rebuilds the default index
incrementally and then reloads the chat's searcher, so the next question sees the change.
The upload takes any file: the server, not the browser's file filter, refuses what it cannot read,
so each refusal gets its one-line reason in the progress list, as the CLI prints it.
In a read-only app (a shared link) the list is shown, upload and removal are not.
"""
from __future__ import annotations

import html
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import gradio as gr
from reportqa.errors import ReportQAError
from reportqa.index.documents import Changes, add_documents, list_documents, remove_document
from reportqa.index.search import Searcher
from reportqa.ingest.read import SUPPORTED_SUFFIXES

log = logging.getLogger(__name__)

COLUMNS = ["id", "title", "file", "pages", "sections", "chunks", "added"]
CONCURRENCY = "documents"  # adds and removals share one queue: one index build at a time


class DocumentEngine(Protocol):
    """What the tab needs from the app's engine: the loaded searcher, and a way to reload it."""

    def searcher(self) -> Searcher: ...

    def reload(self) -> None: ...


def document_choices(engine: DocumentEngine) -> list[tuple[str, str]]:
    """(label, doc_id) for every document the index holds: what the chat can be limited to."""
    store = engine.searcher().store
    documents = store.documents(store.manifest.documents)
    return [(f"{v.document.title} ({Path(doc_id).name})", doc_id) for doc_id, v in documents.items()]


def documents_table(engine: DocumentEngine) -> list[list[Any]]:
    rows = list_documents(engine.searcher().data)
    return [[d.id, d.title, d.name, d.pages or "", d.sections, d.chunks, d.added] for d in rows]


def progress_html(lines: dict[str, str], bar: str = "") -> str:
    """The batch's progress bar, then one line per uploaded file: its state, its result or its one-line error."""
    items = "".join(f"<li><b>{html.escape(name)}</b>: {state}</li>" for name, state in lines.items())
    return bar + (f'<ul class="doc-progress">{items}</ul>' if items else "")


def batch_bar(done: int, total: int, seconds: float) -> str:
    """One bar for the whole upload: files embedded, and the time left at the pace so far (or taken)."""
    when = f"about {round(seconds / done * (total - done)):,} s left" if 0 < done < total else f"{seconds:,.0f} s"
    return (
        f'<div class="doc-batch"><progress value="{done}" max="{total}"></progress> '
        f"{done} of {total} file(s) embedded, {when}</div>"
    )


def add_files(engine: DocumentEngine, paths: list[str]) -> Iterator[str]:
    """Add the uploaded files in one build, yielding the progress HTML as it moves; errors stay per file."""
    names = [Path(p).name for p in paths]
    lines = {name: "reading and checking …" for name in names}
    # (done, total) files embedded, or (name, done, total) pages of a scan recognised
    updates: queue.Queue[tuple[int, int] | tuple[str, int, int] | None] = queue.Queue()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["changes"] = add_documents(
                list(map(Path, paths)),
                engine.searcher().embedder,
                names=names,
                on_file=lambda done, total: updates.put((done, total)),
                on_page=lambda name, done, total: updates.put((name, done, total)),
            )
        except ReportQAError as error:
            outcome["error"] = str(error)
        except Exception as error:  # whatever failed must reach the list, not leave it waiting
            log.error("adding %s failed", ", ".join(names), exc_info=True)
            outcome["error"] = f"could not add the files: {error}"
        finally:
            updates.put(None)

    started = time.monotonic()
    threading.Thread(target=work, name="add-documents", daemon=True).start()
    yield progress_html(lines)
    bar = ""
    while (update := updates.get()) is not None:
        if len(update) == 3:
            name, done, total = update
            lines[name] = f"recognising scanned pages (OCR): page {done} of {total} …"
            yield progress_html(lines, bar)
            continue
        bar = batch_bar(*update, time.monotonic() - started)
        yield progress_html({name: "embedding …" for name in lines}, bar)
    changes: Changes | None = outcome.get("changes")
    added = {d.name: d for d in changes.added} if changes else {}
    for name in names:
        if changes is None:
            lines[name] = f'<span class="doc-error">✗ {html.escape(outcome["error"])}</span>'
        elif name in changes.errors:
            lines[name] = f'<span class="doc-error">✗ {html.escape(changes.errors[name])}</span>'
        elif name in added:
            notes = "".join(f'<br><span class="doc-note">⚠ {html.escape(note)}</span>' for note in changes.notes.get(name, []))
            lines[name] = f"✓ {html.escape(added[name].title)}: {added[name].sections} sections, {added[name].chunks} chunks{notes}"
    yield progress_html(lines, bar)
    if added:
        engine.reload()


def documents_tab(
    engine: DocumentEngine, read_only: bool, chat_documents: gr.CheckboxGroup
) -> tuple[list[gr.components.Component], Callable[[], tuple[Any, ...]]]:
    """The tab's components and events; `chat_documents` is the chat's choice it keeps current.

    Returns the components a page load fills (list, removal choice, chat choice) and the filler.
    """
    formats = ", ".join(f"`{suffix}`" for suffix in sorted(SUPPORTED_SUFFIXES))  # the readers' own list, never retyped
    adding = (
        f" Add {formats} files; they are copied into the data folder and embedded together, only they."
        " A file that cannot be read is listed below with the reason, and the others still go in."
    )
    gr.Markdown("Documents the chat answers from." + ("" if read_only else adding), elem_id="doc-hint")
    upload = gr.File(
        label="Add documents (drop one or more files)",
        file_count="multiple",
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
        shown = ""
        for shown in add_files(engine, list(files)):
            yield shown, gr.skip(), gr.skip(), gr.skip(), gr.skip()
        yield shown, None, *refreshed()

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
