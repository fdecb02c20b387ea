"""The Documents tab in the browser: add the press release, ask about it, see it cited, remove it."""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from reportqa.paths import PROJECT_ROOT

from tests.app.driver import Chat, DocumentsTab, running_app

pytestmark = pytest.mark.browser

PRESS_RELEASE = PROJECT_ROOT.parent / "shared" / "documents" / "public_official_table.hwpx"
TITLE = "행정안전부는 12월 2일 국무회의에서"
QUESTION = "국민주권정부 정부혁신 추진전략의 4대 핵심 전략은 무엇인가?"
FROM_THE_RELEASE = "거버넌스"  # in the release's answer to QUESTION, nowhere in the bundled report
SCREENSHOT = PROJECT_ROOT / "test-output" / "app" / "documents-tab.png"


@pytest.fixture(scope="module")
def url(app_home: Path) -> Iterator[str]:
    with running_app("default") as address:
        yield address


def test_upload_ask_cite_remove(page: Page, url: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.hwpx"
    broken.write_bytes(PRESS_RELEASE.read_bytes()[:4000])
    chat = Chat(page, url)
    tab = DocumentsTab(page)
    tab.upload([PRESS_RELEASE, broken])
    expect(tab.progress.locator("li", has_text=PRESS_RELEASE.name)).to_contain_text("✓")
    expect(tab.progress.locator("li", has_text="broken.hwpx")).to_contain_text("Cannot read broken.hwpx")
    bar = tab.progress.locator(".doc-batch progress")  # one bar for the batch: the good file embedded
    expect(bar).to_have_attribute("value", "1")
    expect(bar).to_have_attribute("max", "1")
    expect(tab.progress.locator(".doc-batch")).to_contain_text("1 of 1 file(s) embedded")
    expect(tab.list).to_contain_text(TITLE)
    expect(tab.list).not_to_contain_text("broken")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    page.get_by_role("tab", name="Chat").click()
    first = chat.ask(QUESTION)
    expect(first).to_contain_text(FROM_THE_RELEASE)
    cited = chat.sources.locator(".source-head", has_text=TITLE)
    expect(cited.first).to_be_visible()  # the citation names the document
    citing = cited.count()

    document_id = hashlib.sha256(PRESS_RELEASE.read_bytes()).hexdigest()[:10]
    tab = DocumentsTab(page)
    tab.remove(document_id)
    expect(tab.list).not_to_contain_text(TITLE)

    page.get_by_role("tab", name="Chat").click()
    second = chat.ask(QUESTION)
    expect(second).not_to_contain_text(FROM_THE_RELEASE)
    expect(cited).to_have_count(citing)  # the first answer keeps its cards; the new one cites it nowhere
    assert chat.dialogs == []


def test_search_limited_to_ticked_documents(page: Page, url: str) -> None:
    """With only the bundled report ticked, a question about it still finds it (the choice is wired)."""
    chat = Chat(page, url)
    box = page.locator("#chat-documents")
    expect(box.get_by_role("checkbox")).to_have_count(1, timeout=60_000)
    box.get_by_role("checkbox").first.check()
    chat.ask("사바에시는 일본 안경테 생산에서 어느 정도 비중을 차지하나?")
    expect(chat.sources).to_contain_text("96%")


def test_read_only_app_lists_but_hides_upload_and_removal(page: Page, app_home: Path) -> None:
    with running_app("default", read_only=True) as address:
        Chat(page, address)
        tab = DocumentsTab(page)
        expect(page.locator("#doc-upload")).to_have_count(0)
        expect(page.locator("#doc-remove")).to_have_count(0)
        expect(tab.list).to_be_visible()
