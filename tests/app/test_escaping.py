"""Markup in a document or a question shows as text: nothing from either runs or renders."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from reportqa.index.build import build_index
from reportqa.index.embedder import load_embedder
from reportqa.ingest.chunk import ChunkingConfig

from tests.app.driver import Chat, running_app

pytestmark = pytest.mark.browser

INDEX = "app-injection"
SCRIPT = "<script>alert(1)</script>"
DOCUMENT = f"""가나다공업의 정밀 스프링

가나다공업은 경기도 안산시에서 자동차용 정밀 스프링 {SCRIPT} 과 <b>bold</b> 부품을 생산하는 중소기업이다. \
가나다공업은 2019년부터 스프링을 베트남과 멕시코에 수출하고 있다.
"""


@pytest.fixture(scope="module")
def url(app_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on an index of one document whose answering sentence holds a script tag and a <b> tag."""
    document = tmp_path_factory.mktemp("app-injection") / "app-injection.txt"
    document.write_text(DOCUMENT, encoding="utf-8")
    build_index([document], load_embedder(), ChunkingConfig(), INDEX, progress=False)
    with running_app(INDEX) as address:
        yield address


def test_document_markup_is_shown_as_text(chat: Chat) -> None:
    reply = chat.ask("가나다공업은 무엇을 생산하나?")
    expect(reply).to_contain_text(SCRIPT)
    expect(chat.sources.locator(".excerpt")).to_contain_text(SCRIPT)
    chat.sources.get_by_text("Show in document").click()
    expect(chat.sources.locator(".context")).to_contain_text("<b>bold</b>")
    for where in ("#chat .message-content", "#sources"):
        assert chat.page.locator(f"{where} script, {where} b").count() == 0, where
    assert chat.dialogs == []


def test_question_markup_is_shown_as_text(chat: Chat) -> None:
    question = "가나다공업은 무엇을 <i>생산</i>하나?"
    chat.ask(question)
    expect(chat.page.locator('#chat [data-testid="user"]')).to_contain_text(question)
    expect(chat.sources.locator(".turn > summary")).to_contain_text(question)
    assert chat.page.locator("#chat .message-content i, #sources i").count() == 0
    assert chat.dialogs == []
