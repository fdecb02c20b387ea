"""The Documents tab in the browser: add the press release, ask about it, see it cited, remove it;
every file it cannot read is refused with its reason while the others go in."""
from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from reportqa.errors import UnreadableDocument
from reportqa.ingest.load import load_document
from reportqa.ingest.read import SUPPORTED_SUFFIXES
from reportqa.paths import PROJECT_ROOT

from tests.app.driver import Chat, DocumentsTab, running_app

pytestmark = pytest.mark.browser

PRESS_RELEASE = PROJECT_ROOT.parent / "shared" / "documents" / "public_official_table.hwpx"
TITLE = "행정안전부는 12월 2일 국무회의에서"
QUESTION = "국민주권정부 정부혁신 추진전략의 4대 핵심 전략은 무엇인가?"
FROM_THE_RELEASE = "거버넌스"  # in the release's answer to QUESTION, nowhere in the bundled report
SCREENSHOT = PROJECT_ROOT / "test-output" / "app" / "documents-tab.png"
CITRUS = (  # a small document of its own: one fact no other document holds
    "제주 감귤 작황 보고서\n\n"
    "제주 감귤 농가의 올해 수확량은 지난해보다 12% 늘어난 45만 톤으로 집계되었으며, 농가들은 맑은 날이 많았던 덕분이라고 설명했다.\n"
)


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


def refusal(path: Path) -> str:
    """The one line the CLI prints for a file it cannot add (without its "Error: "): the reader's message, naming the file."""
    with pytest.raises(UnreadableDocument) as caught:
        load_document(path)
    return str(caught.value).replace(str(path), path.name)


def test_refused_files_say_why_and_the_others_go_in(page: Page, url: str, tmp_path: Path) -> None:
    """No file filter in the browser: a bad file reaches the server, which says why it refuses it."""
    good = tmp_path / "citrus.txt"
    good.write_text(CITRUS, encoding="utf-8")
    unknown = tmp_path / "measurements.xyz"
    unknown.write_bytes(b"0.1 0.2 0.3\n")
    corrupt = tmp_path / "minutes.hwp"  # random bytes renamed
    corrupt.write_bytes(random.Random(0).randbytes(4000))
    latin = tmp_path / "paris.txt"  # read, with a note saying the encoding was a close call
    latin.write_bytes("très bon à Paris".encode("latin-1"))
    chat = Chat(page, url)
    box = page.locator("#chat-documents")
    expect(box.get_by_role("checkbox").first).to_be_visible(timeout=60_000)
    held = box.locator("label:has(input[type=checkbox])").all_text_contents()  # what the index holds before

    tab = DocumentsTab(page)
    for suffix in SUPPORTED_SUFFIXES:
        expect(page.locator("#doc-hint")).to_contain_text(suffix)
    tab.upload([good, unknown, corrupt, latin])
    expect(tab.progress.locator("li", has_text=latin.name)).to_contain_text("⚠ encoding uncertain: read as cp1252")
    for refused in (unknown, corrupt):
        expect(tab.progress.locator("li", has_text=refused.name)).to_contain_text(f"✗ {refusal(refused)}")
    expect(tab.progress.locator("li", has_text=good.name)).to_contain_text("✓ 제주 감귤 작황 보고서")
    expect(tab.list).to_contain_text(good.name)
    expect(tab.list).not_to_contain_text(unknown.name)
    expect(tab.list).not_to_contain_text(corrupt.name)

    page.get_by_role("tab", name="Chat").click()
    expect(box.get_by_role("checkbox")).to_have_count(len(held) + 2)
    for label in held:
        expect(box).to_contain_text(label)  # nothing the index held is lost
    box.get_by_label(re.compile(re.escape(good.name))).check()
    chat.ask("제주 감귤의 올해 수확량은 얼마인가?")
    expect(chat.sources).to_contain_text("45만 톤")
    assert chat.dialogs == []

    for added in (good, latin):  # the next tests see the index as it was
        DocumentsTab(page).remove(hashlib.sha256(added.read_bytes()).hexdigest()[:10])


def test_an_hwp_and_a_scanned_page_go_in_and_the_scan_is_cited_as_such(page: Page, url: str, tmp_path: Path) -> None:
    """The issue's files through the tab: HWP 5 read by its own reader, a PNG by OCR, cited as a scan."""
    from reportqa.ingest.types import SCANNED_NOTE
    from reportqa.lab.ocr_bench import BODY_POINTS, typeset

    template = PROJECT_ROOT.parent / "shared" / "documents" / "report_template.hwp"
    scan = tmp_path / "citrus-scan.png"
    typeset([(line, BODY_POINTS) for line in CITRUS.split("\n") if line], 300)[0].save(scan, dpi=(300, 300))
    chat = Chat(page, url)
    box = page.locator("#chat-documents")
    expect(box.get_by_role("checkbox").first).to_be_visible(timeout=60_000)

    tab = DocumentsTab(page)
    tab.upload([template, scan])
    expect(tab.progress.locator("li", has_text=template.name)).to_contain_text("✓")
    expect(tab.progress.locator("li", has_text=scan.name)).to_contain_text("✓")  # its title as OCR read it

    page.get_by_role("tab", name="Chat").click()
    box.get_by_label(re.compile(re.escape(scan.name))).check()
    chat.ask("제주 감귤의 올해 수확량은 얼마인가?")
    expect(chat.sources).to_contain_text("45만 톤")
    expect(chat.sources).to_contain_text(SCANNED_NOTE)
    assert chat.dialogs == []

    for added in (template, scan):  # the next tests see the index as it was
        DocumentsTab(page).remove(hashlib.sha256(added.read_bytes()).hexdigest()[:10])
