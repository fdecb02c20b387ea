"""The chat on the bundled report: cited answers, clickable markers, follow-ups, votes, abstention."""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from reportqa.paths import PROJECT_ROOT

from tests.app.driver import ANSWER_TIMEOUT_MS, Chat, running_app

pytestmark = pytest.mark.browser

SHOWCASE = "Which firms used regional strengths?"
SCREENSHOT = PROJECT_ROOT / "test-output" / "app" / "chat.png"


@pytest.fixture(scope="module")
def url(app_home: Path) -> Iterator[str]:
    """The app on the default index, which it builds on first start (the session home starts empty)."""
    with running_app("default") as address:
        yield address


def test_first_start_builds_the_index_then_answers(chat: Chat) -> None:
    expect(chat.page.locator("#status")).to_contain_text("Building the index")
    reply = chat.send("지역적 강점을 활용한 기업은?")
    expect(reply).to_contain_text("Building the index")
    expect(reply.locator(".answer-meta")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(chat.page.locator("#status")).to_contain_text("Index default")
    assert chat.dialogs == []


def test_showcase_answer_links_each_marker_to_its_excerpt(chat: Chat) -> None:
    reply = chat.ask(SHOWCASE)
    for place in ("이마바리", "사바에", "오타구"):
        expect(reply).to_contain_text(place)
    markers = reply.locator("a.cite")
    assert markers.count() >= 3
    cards = len(set(markers.all_inner_texts()))  # sentences from one place share its card
    markers.last.click()  # an excerpt below the fold of the sources panel scrolls into view
    expect(chat.page.locator(f"#cite-1-{cards} .excerpt mark").first).to_be_in_viewport()
    reply.locator("a.cite", has_text="[1]").first.click()  # several sentences may cite card [1]
    excerpt = chat.page.locator("#cite-1-1")
    expect(excerpt.locator(".excerpt mark").first).to_be_visible()
    expect(excerpt.locator(".excerpt mark").first).to_be_in_viewport()
    expect(chat.page.locator(".source.cited")).to_have_attribute("id", "cite-1-1")  # the one highlighted
    expect(excerpt).to_contain_text("지역적 강점의 활용")  # its section path
    chat.page.evaluate("window.scrollTo(0, 0)")  # the picture shows the question too
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    chat.page.screenshot(path=str(SCREENSHOT))


def test_show_in_document_puts_the_excerpt_in_its_context(chat: Chat) -> None:
    chat.ask("사바에시는 일본 안경테 생산에서 어느 정도 비중을 차지하나?")
    source = chat.page.locator("#cite-1-1")
    source.get_by_text("Show in document").click()
    context = source.locator(".context")
    expect(context.locator(".excerpt-in-doc mark").first).to_contain_text("96%")
    outside = context.inner_text().replace(source.locator(".excerpt-in-doc").inner_text(), "")
    assert len(outside) > 200  # document text around the excerpt, not just the excerpt


def test_follow_up_resolves_against_the_earlier_question(chat: Chat) -> None:
    chat.ask("타스크사는 어떤 제품을 만드나?")
    reply = chat.ask("그 회사는 어느 나라에 수출하나?")
    assert "스페인" in reply.inner_text() or "30개" in reply.inner_text()
    chat.replies.first.locator("a.cite", has_text="[1]").first.click()  # the first turn's sources are folded now
    expect(chat.page.locator("#cite-1-1 .excerpt mark").first).to_be_in_viewport()


def test_thumbs_up_saves_one_feedback_line(chat: Chat, app_home: Path) -> None:
    log = app_home / "feedback.jsonl"
    before = _lines(log)
    question = "사바에시는 일본 안경테 생산에서 어느 정도 비중을 차지하나?"
    reply = chat.ask(question)
    chat.page.locator('#chat button[aria-label="Like"]').last.click()
    entry = json.loads(_wait_for_line(log, len(before)))
    assert entry["rating"] == "up" and entry["question"] == question
    assert "96%" in entry["answer"] and entry["time"]
    assert entry["citations"] and all(c["text"] and len(c["highlight"]) == 2 for c in entry["citations"])
    assert [c["n"] for c in entry["citations"]] == list(range(1, len(set(reply.locator("a.cite").all_inner_texts())) + 1))
    time.sleep(0.5)
    assert len(_lines(log)) == len(before) + 1


def test_one_card_per_place_with_every_quoted_sentence_marked(chat: Chat) -> None:
    reply = chat.ask("나이 든 사람들을 회사에 보내 일하게 하는 사업을 하는 곳은?")
    markers = reply.locator("a.cite").all_inner_texts()
    cards = chat.page.locator("details.turn[open] .source")
    assert cards.count() == len(set(markers))  # a place cited twice is one card
    excerpts = cards.locator(".excerpt").all_inner_texts()
    assert all(a not in b and b not in a for i, a in enumerate(excerpts) for b in excerpts[:i])
    assert cards.locator(".excerpt mark").count() == len(markers)  # each quoted sentence marked in its card
    expect(reply).to_contain_text("고령사")


def test_unanswerable_question_says_the_report_does_not_cover_it(chat: Chat) -> None:
    reply = chat.ask("What was Toyota's operating profit in 2015?")
    expect(reply).to_contain_text("does not cover")
    assert reply.locator("a.cite").count() == 0


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def _wait_for_line(path: Path, index: int, seconds: float = 10.0) -> str:
    """Line `index` of `path` once the app has written it."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        lines = _lines(path)
        if len(lines) > index:
            return lines[index]
        time.sleep(0.1)
    raise AssertionError(f"no feedback line {index + 1} in {path} after {seconds:g}s")
