"""Section paths of the real report and the rules behind them."""
from __future__ import annotations

import pytest
from reportqa.ingest.sections import find_sections
from reportqa.ingest.types import Document

PART1 = "1. 중소기업에게 더 혹독했던 장기불황"
PART2 = "2. 장기불황을 극복한 중소기업 사례"
TREND = f"{PART2} > ③ 뉴비즈니스 트렌드 활용한 성장 경로 전환"

EXPECTED_PATHS = [
    "",
    PART1,
    f"{PART1} > 구조적 불황업종 확대와 제조업 공동화",
    f"{PART1} > 저출산·고령화가 중소기업 경영 압박",
    f"{PART2} > ① 대기업과 함께 프로덕트 이노베이션",
    f"{PART2} > ② 전문화와 글로벌화로 도약한 틈새시장의 강자",
    TREND,
    f"{TREND} > 친환경 트렌드 포착",
    f"{TREND} > 저출산·고령화 트렌드의 역 이용",
    f"{PART2} > ④ 지역적 강점의 활용",
    "3. 시사점",
]


def section_of(doc: Document, sentence: str) -> str:
    offset = doc.text.index(sentence)
    (section,) = [s for s in doc.sections if s.start <= offset < s.end]
    assert offset + len(sentence) <= section.end
    return section.path


def test_report_paths_in_order(report: Document) -> None:
    assert [section.path for section in report.sections] == EXPECTED_PATHS


@pytest.mark.parametrize(
    ("sentence", "path"),
    [
        ("20년 이상 계속된 일본의 장기불황으로", ""),
        ("일본정부의 법인세 인하, 엔저 유도 등", PART1),
        ("일본 중소기업 수는 1990년대 말과 2012년 사이에 99만개", f"{PART1} > 구조적 불황업종 확대와 제조업 공동화"),
        ("니이가타의 나믹스라는 기업은 1947년에", f"{TREND} > 친환경 트렌드 포착"),
        ("고령사(高齡社, 동경)의 경우", f"{TREND} > 저출산·고령화 트렌드의 역 이용"),
        ("예를 들어 이마바리시의 수건 산지의 경우", f"{PART2} > ④ 지역적 강점의 활용"),
        ("한 기업이 많은 분야에 투자하기는 어렵다.", "3. 시사점"),
    ],
)
def test_known_sentences_get_their_path(report: Document, sentence: str, path: str) -> None:
    assert section_of(report, sentence) == path


def test_table_of_contents_is_body_of_the_summary(report: Document) -> None:
    assert section_of(report, "< 목 차 >") == ""
    assert section_of(report, "3. 시사점") == ""  # first occurrence: the TOC entry, not the heading


def test_sections_are_non_empty_ordered_and_cover_all_but_headings(report: Document) -> None:
    text = report.text
    gaps = [text[0 : report.sections[0].start]]
    for before, after in zip(report.sections, report.sections[1:]):
        assert text[before.start : before.end].strip()
        assert before.end < after.start
        gaps.append(text[before.end : after.start])
    gaps.append(text[report.sections[-1].end :])
    heading_lines = {line.strip() for gap in gaps for line in gap.splitlines() if line.strip()}
    named = {part for section in report.sections for part in section.path.split(" > ") if part}
    assert heading_lines == named


def test_generic_outline_rules() -> None:
    """Decimal depth, markdown-free Korean outline, a TOC, and a list that is not a heading."""
    body = "이 문장은 본문입니다. 내용이 이어집니다."
    text = "\n\n".join(
        [
            "목차",
            "Ⅰ. 서론\nⅡ. 본론",
            "Ⅰ. 서론",
            body,
            "Ⅱ. 본론",
            "1. 배경",
            body,
            "1.1 세부 배경",
            body,
            "짧은 소제목",
            body,
            "2. 결과",
            body,
        ]
    )
    paths = [section.path for section in find_sections(text)]
    assert paths == [
        "",
        "Ⅰ. 서론",
        "Ⅱ. 본론 > 1. 배경",
        "Ⅱ. 본론 > 1. 배경 > 1.1 세부 배경",
        "Ⅱ. 본론 > 1. 배경 > 1.1 세부 배경 > 짧은 소제목",
        "Ⅱ. 본론 > 2. 결과",
    ]
