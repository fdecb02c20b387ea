"""The Evaluation tab: run the bundled set or an uploaded one, read its scores, charts and answers."""
from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from reportqa.paths import PROJECT_ROOT

from tests.app.driver import EvalTab, running_app

pytestmark = pytest.mark.browser

SCREENSHOT = PROJECT_ROOT / "test-output" / "app" / "eval-tab.png"
CSV_HEADER = ["id", "question", "lang", "type", "evidence", "answer_facts", "answerable"]
MARKED_UP = "사바에시는 일본 안경테 생산에서 어느 정도 <b>비중</b>을 차지하나?"  # shows as text
SABAE_EVIDENCE = "일본 안경테 생산의 96%(재무성 호쿠리쿠 재무국, 2011.8, 세계시장 20% 추정)를 차지하고 있다"
SHOWCASE_EVIDENCE = "도쿄 오타구는 금형, 주조, 단조 등의 기계가공 뿌리 산업을 중심으로 한"
SMALL_SET = [
    ["s1", "Which firms used regional strengths?", "en", "list", SHOWCASE_EVIDENCE, "오타구", "true"],
    ["s2", MARKED_UP, "ko", "number", SABAE_EVIDENCE, "96%", "true"],
    ["s3", "What was Toyota's operating profit in 2015?", "en", "unanswerable", "", "", "false"],
]


@pytest.fixture(scope="module")
def url(app_home: Path) -> Iterator[str]:
    """The app on the default index (built on first start when this module runs alone)."""
    with running_app("default") as address:
        yield address


@pytest.fixture
def tab(page: Page, url: str) -> EvalTab:
    return EvalTab(page, url)


def test_bundled_set_in_hybrid_mode_shows_scores_charts_answers_and_files(tab: EvalTab, app_home: Path) -> None:
    tab.run(modes=["hybrid"])
    expect(tab.status).to_contain_text("Finished questions: 93 questions, mode(s) hybrid")
    hit_at_5 = tab.summary()["hit@5"]
    assert list(hit_at_5) == ["hybrid"] and float(hit_at_5["hybrid"]) >= 0.9
    expect(tab.plots).to_have_count(3)
    tab.page.wait_for_function("() => [...document.querySelectorAll('#eval-plots img')].every(i => i.naturalWidth > 0)")
    assert tab.question_count() == 93
    first = tab.questions.locator(".virtual-row").first
    expect(first).to_contain_text("q001")
    expect(first).to_contain_text("이마바리")  # the answer, with its citations
    expect(first).to_contain_text("[1]")  # its regional cases share one card
    expect(tab.download("results.json")).to_be_visible()
    expect(tab.download("report.md")).to_be_visible()
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    tab.page.screenshot(path=str(SCREENSHOT), full_page=True)
    expect(tab.search_questions("q093")).to_contain_text("q093")
    folder = Path(tab.status.inner_text().split("Report: ")[1].strip())
    assert folder.parent == app_home / "eval" / "questions"  # <set name>/<timestamp>, as the CLI writes it
    assert (folder.parent / "latest").resolve() == folder.resolve()
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    assert len(results["answers"]) == 93 and (folder / "metrics.png").is_file()


def test_uploaded_csv_runs_in_every_mode(tab: EvalTab, tmp_path: Path) -> None:
    upload = tmp_path / "small-set.csv"
    with upload.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([CSV_HEADER, *SMALL_SET])
    tab.run(upload=upload)
    expect(tab.status).to_contain_text("Finished small-set: 3 questions, mode(s) hybrid, dense, bm25")
    assert list(tab.summary()["hit@5"]) == ["hybrid", "dense", "bm25"]
    assert tab.question_count() == 3
    rows = tab.questions.locator(".virtual-row")
    expect(rows.nth(0)).to_contain_text("이마바리")  # the answer (its cell shows the first 240 characters)
    expect(rows.nth(0).locator('[data-col="2"]')).to_have_text("yes")
    expect(rows.nth(1)).to_contain_text(MARKED_UP)
    assert tab.questions.locator("b").count() == 0
    expect(rows.nth(2).locator('[data-col="2"]')).to_have_text("—")  # unanswerable: not scored
    expect(rows.nth(2)).to_contain_text("does not cover")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.jsonl", "not json\n", "broken.jsonl:1: not a JSON object"),
        ("empty.csv", ",".join(CSV_HEADER) + "\n", "empty.csv: no questions in the file"),
    ],
    ids=["not-json", "no-questions"],
)
def test_bad_upload_shows_one_line_error(tab: EvalTab, tmp_path: Path, name: str, content: str, message: str) -> None:
    upload = tmp_path / name
    upload.write_text(content, encoding="utf-8")
    tab.run(upload=upload)
    expect(tab.status).to_contain_text(f"Could not evaluate: {message}")
    text = tab.status.inner_text()
    assert "\n" not in text.strip() and "/" not in text and "Traceback" not in text  # no paths, no trace
    expect(tab.results).to_be_hidden()
    expect(tab.page.locator(".toast-body")).to_have_count(0)
