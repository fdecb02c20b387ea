"""Drive the app as a person does: serve it in this process, open it, ask, read the replies."""
from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Dialog, Locator, Page, expect
from reportqa.app import launch
from reportqa.limits import MODES

ANSWER_TIMEOUT_MS = 180_000  # the first answer waits for the index build
EVAL_TIMEOUT_MS = 300_000  # a run on a first start waits for the index build, then answers every question
# The app loads its model in a thread of this process; loading the tokenizer holds the GIL for
# a second or two (many more on a busy machine), during which the page cannot render.
PAGE_TIMEOUT_MS = 60_000
SUBMIT_RETRY_MS = 5_000  # a submit not shown by then was ignored (or is still answering) and is sent again
_RUN_OVER = re.compile(r"Finished|Could not evaluate")  # the hint before a run says neither


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_app(index_name: str, read_only: bool = False, llm_url: str | None = None) -> Iterator[str]:
    """The app of `index_name` served in this process (as `reportqa serve` runs it); yields its URL."""
    port = _free_port()
    demo = launch(port=port, index_name=index_name, block=False, read_only=read_only, llm_url=llm_url)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        demo.close()


class Chat:
    """The chat page of a running app; records every dialog that opens (none should)."""

    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        self.dialogs: list[str] = []
        page.on("dialog", self._record_dialog)
        page.goto(url)
        expect(self.question_box).to_be_visible(timeout=PAGE_TIMEOUT_MS)

    def _record_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    @property
    def question_box(self) -> Locator:
        return self.page.locator("#question textarea")

    @property
    def replies(self) -> Locator:
        return self.page.locator('#chat [data-testid="bot"]')

    @property
    def sources(self) -> Locator:
        return self.page.locator("#sources")

    def send(self, question: str) -> Locator:
        """Type and send `question`; returns its reply bubble (it may still say the index is building).

        Gradio ignores a submit while the previous one is still pending (its trigger mode "once"), which
        on a busy machine outlasts the answer's rendering; the question then stays in the box and Enter
        is pressed again. A submit taken clears the box, so it is never sent twice."""
        users = self.page.locator('#chat [data-testid="user"]')
        turn = users.count()
        self.question_box.fill(question)
        deadline = time.monotonic() + ANSWER_TIMEOUT_MS / 1000
        while True:
            self.question_box.press("Enter")
            try:
                expect(users).to_have_count(turn + 1, timeout=SUBMIT_RETRY_MS)
                return self.replies.nth(turn)
            except AssertionError:
                if time.monotonic() > deadline:
                    raise

    def ask(self, question: str) -> Locator:
        """Send `question` and wait for its answer (or error)."""
        reply = self.send(question)
        expect(reply.locator(".answer-meta, .answer-error")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        return reply


class EvalTab:
    """The Evaluation tab of a running app; one run per page (the status keeps the last run's line)."""

    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        page.goto(url)
        page.get_by_role("tab", name="Evaluation").click()
        expect(page.locator("#eval-run")).to_be_visible()

    @property
    def status(self) -> Locator:
        """The status line itself, without the progress bar drawn over it during a run."""
        return self.page.locator('#eval-status [data-testid="markdown"]')

    @property
    def results(self) -> Locator:
        return self.page.locator("#eval-results")

    @property
    def plots(self) -> Locator:
        return self.page.locator("#eval-plots img")

    @property
    def questions(self) -> Locator:
        """The per-question table (a virtual grid: only the rows in view are in the page)."""
        return self.page.locator('#eval-questions [role="grid"]')

    def download(self, name: str) -> Locator:
        return self.page.locator(f'#eval-download a[download="{name}"]')

    def run(self, modes: Sequence[str] = MODES, upload: Path | None = None) -> None:
        """Tick `modes` only, upload a question set (or keep the bundled one), run, wait until it ends."""
        for mode in MODES:
            self.page.locator("#eval-modes").get_by_label(mode, exact=True).set_checked(mode in modes)
        if upload is not None:
            self.page.locator('#eval-upload input[type="file"]').set_input_files(upload)
            expect(self.page.locator("#eval-upload")).to_contain_text(upload.stem)
        self.page.locator("#eval-run").click()
        expect(self.status).to_contain_text(_RUN_OVER, timeout=EVAL_TIMEOUT_MS)

    def summary(self) -> dict[str, dict[str, str]]:
        """The summary table as {metric: {mode: value as shown}}."""
        script = "table => [...table.rows].map(row => [...row.cells].map(cell => cell.innerText.trim()))"
        header, *rows = self.page.locator("#eval-summary table").evaluate(script)
        return {row[0]: dict(zip(header[1:], row[1:])) for row in rows}

    def question_count(self) -> int:
        """Rows of the per-question table, from the grid's row count (which counts the header row)."""
        return int(self.questions.get_attribute("aria-rowcount") or 0) - 1

    def search_questions(self, text: str) -> Locator:
        """Filter the per-question table with its search box; returns the rows left in view."""
        self.page.locator("#eval-questions input.search-input").fill(text)
        return self.questions.locator(".virtual-row")


class DocumentsTab:
    """The Documents tab of a running app."""

    def __init__(self, page: Page) -> None:
        self.page = page
        page.get_by_role("tab", name="Documents").click()
        expect(self.list).to_be_visible()

    @property
    def list(self) -> Locator:
        return self.page.locator("#doc-list")

    @property
    def progress(self) -> Locator:
        return self.page.locator("#doc-progress")

    @property
    def upload_input(self) -> Locator:
        return self.page.locator('#doc-upload input[type="file"]')

    def upload(self, files: Sequence[Path]) -> None:
        """Drop `files` on the upload area and wait until every one of them is added or refused."""
        self.upload_input.set_input_files(list(files))
        for file in files:
            expect(self.progress.locator("li", has_text=file.name)).to_contain_text(re.compile("✓|✗"), timeout=ANSWER_TIMEOUT_MS)

    def remove(self, document_id: str) -> None:
        self.page.locator("#doc-remove-id input").click()
        self.page.get_by_role("option", name=re.compile(re.escape(document_id))).click()
        self.page.locator("#doc-remove").click()
        expect(self.progress).to_contain_text(f"Removed {document_id}", timeout=ANSWER_TIMEOUT_MS)
