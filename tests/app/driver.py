"""Drive the app as a person does: serve it in this process, open it, ask, read the replies."""
from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Dialog, Locator, Page, expect

from app import launch

ANSWER_TIMEOUT_MS = 180_000  # the first answer waits for the index build


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_app(index_name: str) -> Iterator[str]:
    """The app of `index_name` served in this process (as `reportqa serve` runs it); yields its URL."""
    port = _free_port()
    demo = launch(port=port, index_name=index_name, block=False)
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
        expect(self.question_box).to_be_visible()

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
        """Type and send `question`; returns its reply bubble (it may still say the index is building)."""
        turn = self.page.locator('#chat [data-testid="user"]').count()
        self.question_box.fill(question)
        self.question_box.press("Enter")
        return self.replies.nth(turn)

    def ask(self, question: str) -> Locator:
        """Send `question` and wait for its answer (or error)."""
        reply = self.send(question)
        expect(reply.locator(".answer-meta, .answer-error")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        return reply
