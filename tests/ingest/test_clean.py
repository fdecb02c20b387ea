"""Cleaning the real report: chrome and the blog owner's details gone, the report intact."""
from __future__ import annotations

import re

import pytest
from reportqa.ingest.clean import clean_pages
from reportqa.ingest.types import Chunk, Document

FIRST_SENTENCE = "20년 이상 계속된 일본의 장기불황으로 일본 중소기업들은 대기업보다 더 큰 어려움을 겪었다."
LAST_SENTENCE = "한 가지 요소 기술에 집중하여 기초적인 분야까지 기술을 깊게 강화한 일본의 GNT 기업의 경험을 참조할 필요가 있다."
# The footer of the saved blog page: none of it may reach the index.
PERSONAL = [
    "010-3777-1342",
    "1004kpwy@hanmail.net",
    "hanmail",
    "마포대로",
    "삼창빌딩",
    "528-88-00035",
    "박우열",
    "부동산중개법인",
    "사업자 정보",
    "사업자 등록번호",
    "통신판매",
]
CHROME = ["스팸", "보이스피싱", "Recent", "»", "«", "2024/5", "<끝>"]


def test_title_is_found(report: Document) -> None:
    assert report.title == "LG경제연구원 '20년 장기불황 극복해 온 일본 중소기업 무엇이 달랐나'"


def test_body_starts_and_ends_with_the_report(report: Document) -> None:
    assert report.text.startswith(FIRST_SENTENCE)
    assert report.text.endswith(LAST_SENTENCE)


@pytest.mark.parametrize("needle", PERSONAL + CHROME)
def test_no_footer_or_chrome_in_text_or_chunks(needle: str, report: Document, report_chunks: list[Chunk]) -> None:
    assert needle not in report.text
    assert not [chunk.id for chunk in report_chunks if needle in chunk.text]


def test_no_calendar_lines(report: Document) -> None:
    assert not [line for line in report.text.splitlines() if re.fullmatch(r"[\d\s]+", line) and line.strip()]


def test_every_body_paragraph_of_the_source_survives(report: Document, report_path) -> None:
    """Each long sentence-bearing line of the source is report body and must be kept verbatim."""
    source = report_path.read_text(encoding="utf-8")
    body = [re.sub(r"\s+", " ", line).replace("<끝>", "").strip() for line in source.splitlines()]
    body = [line for line in body if len(line) > 80 and "@" not in line]
    assert len(body) > 40
    assert [line for line in body if line not in report.text] == []


def test_whitespace_is_normalised(report: Document) -> None:
    assert "\n\n\n" not in report.text
    assert all(line == line.strip() for line in report.text.split("\n"))
    assert report.text == report.text.strip()


def test_generic_rules_on_another_page() -> None:
    """Same rules, different site: nothing here is from the report."""
    page = "\n".join(
        [
            "Home | About | Contact",
            "« 2023/11 »",
            "1 2 3 4",
            "5 6 7 8 9 10 11",
            "카테고리 »",
            "반도체 산업 동향",
            "올해 반도체 수출은 전년 대비 크게 증가했으며, 메모리 가격 회복이 실적 개선을 이끌었다. 하반기에도 이런 흐름이 이어질 전망이다.",
            "",
            "",
            "",
            "다만 중국 경기 둔화와 재고 조정이 위험 요인으로 꼽힌다. 기업들은 설비 투자를 신중하게 조정하고 있으며 정부 지원도 확대되고 있다. (끝)",
            "회사 정보",
            "(주)예시상사 | 대표 김철수 | 부산시 해운대구 센텀로 1 | 사업자등록번호 123-45-67890 | 02-123-4567 | help@example.co.kr",
            "Copyright 2023",
        ]
    )
    cleaned = clean_pages([page])
    assert cleaned.title == "반도체 산업 동향"
    assert cleaned.text.startswith("올해 반도체 수출은")
    assert cleaned.text.endswith("정부 지원도 확대되고 있다.")
    assert cleaned.text.count("\n\n") == 1
    for needle in ["Home", "2023/11", "카테고리", "회사 정보", "김철수", "123-45-67890", "example", "Copyright"]:
        assert needle not in cleaned.text


def test_personal_data_inside_the_body_is_dropped_but_numbers_are_not() -> None:
    long = "이 문단은 본문이며 충분히 길어서 실질적인 문단으로 인정되어야 하는 문장으로 이루어져 있다. 두 번째 문장도 있다."
    figures = "1990-2012년 사이 매출은 2,345억원에서 1.5% 줄었고 2011.8 기준 점유율은 20%였다."
    cleaned = clean_pages([f"제목\n{long}\n문의: 010-9999-8888\n{figures}\n메일 a.b@example.org 로 보내주세요\n{long}"])
    assert "010-9999-8888" not in cleaned.text and "example.org" not in cleaned.text
    assert cleaned.text == f"{long}\n{figures}\n{long}"
