"""The chat with an LLM endpoint (a fake one on 127.0.0.1): what it writes is cited, and its finding no
answer in the excerpts shows as an abstention that says why."""
from __future__ import annotations

from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import expect
from reportqa.qa.compose import NOT_COVERED

from tests.app.driver import Chat, running_app
from tests.fake_llm import fake_llm

pytestmark = pytest.mark.browser


def _reply(question: str) -> str:
    """An LLM that reads the excerpts: the report names DeNA's team but never says its name."""
    return "NOT_COVERED" if "DeNA" in question else "사바에시는 일본 안경테의 96%를 생산한다 [1]."


@pytest.fixture(scope="module")
def llm() -> Iterator[ThreadingHTTPServer]:
    with fake_llm(_reply) as server:
        yield server


@pytest.fixture(scope="module")
def url(app_home: Path, llm: ThreadingHTTPServer) -> Iterator[str]:
    with running_app("default", llm_url=llm.url) as address:
        yield address


def test_the_llm_finding_no_answer_shows_as_an_abstention_with_its_reason(chat: Chat) -> None:
    reply = chat.ask("DeNA가 소유한 프로야구팀의 이름은?")
    expect(reply).to_contain_text(NOT_COVERED["ko"])
    expect(reply).to_contain_text("The LLM found no answer in the excerpts.")
    expect(reply.locator("a.cite")).to_have_count(0)
    reply = chat.ask("사바에시는 일본 안경테 생산에서 어느 정도 비중을 차지하나?")
    expect(reply).to_contain_text("96%를 생산한다")
    expect(reply.locator("a.cite")).to_have_count(1)
    assert chat.dialogs == []
