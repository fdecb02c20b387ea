"""PDF, HWPX and DOCX as they really come: the shared real documents and generated ones (HWP 5: test_hwp.py)."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from reportqa.errors import UnreadableDocument
from reportqa.ingest.blocks import HEADER_FOOTER, PLACEHOLDER
from reportqa.ingest.chunk import ChunkingConfig, chunk_document
from reportqa.ingest.load import Loaded, load_document, read_document
from reportqa.ingest.types import Chunk, Document
from reportqa.paths import PROJECT_ROOT

from .pdf_writer import make_korean_pdf

SHARED = PROJECT_ROOT.parent / "shared" / "documents"
KBO = SHARED / "kbo_table_text.pdf"
INSURANCE = SHARED / "korean_texts_two_page.pdf"
PRESS_RELEASE = SHARED / "public_official_table.hwpx"
SUNSET_RULE = "1. 야간 조명시설이 없는 구장에서의 주간경기는 일몰시간 15분 전에 새로운 이닝에 들어갈 수 없다."
PAGE_NUMBER_LINE = re.compile(r"[-–(\s]*\d{1,3}[-–)\s]*|\d+\s*/\s*\d+")

# A generated report: five pages with a running header, "- n -" footers, a 14 pt heading per page
# and a sentence wrapped over two lines (every wrapped first line has the same width).
HEADER = "2024 지역경제 동향 보고서 | 한국지역연구원"
REGIONS = ["수도권", "충청권", "호남권", "대경권", "동남권"]
INDUSTRIES = ["반도체", "자동차", "석유류", "섬유류", "조선업"]


def wrapped_sentence(n: int) -> tuple[str, str]:
    region, industry = REGIONS[n - 1], INDUSTRIES[n - 1]
    return f"{region} 제조업 생산은 {industry} 수요가 늘면서 전년 같은 기간보다 크게 증가하였고 이러한 흐름", f"은 {n}분기 내내 이어질 것으로 보인다."


def generated_pages() -> list[list[tuple[str, float]]]:
    pages = []
    for n, region in enumerate(REGIONS, start=1):
        first, second = wrapped_sentence(n)
        pages.append([(HEADER, 8), ("", 8), (f"{region}의 산업 동향", 14), (first, 10), (second, 10), (f"{region} 고용은 {n + 1}만 명 늘었다.", 10)])
    return pages


@pytest.fixture(scope="module")
def generated_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "regional-outlook.pdf"
    path.write_bytes(make_korean_pdf(generated_pages(), footers=[f"- {n} -" for n in range(1, 6)]))
    return path


@pytest.fixture(scope="module")
def loaded(generated_pdf: Path) -> dict[str, Loaded]:
    """Every real and generated document, read once."""
    return {path.name: read_document(path) for path in (KBO, INSURANCE, PRESS_RELEASE, generated_pdf)}


@pytest.fixture(scope="module")
def chunks(loaded: dict[str, Loaded]) -> dict[str, list[Chunk]]:
    return {name: chunk_document(item.document, ChunkingConfig()) for name, item in loaded.items()}


def test_offsets_round_trip_in_every_format(loaded: dict[str, Loaded], chunks: dict[str, list[Chunk]]) -> None:
    for name, item in loaded.items():
        assert chunks[name], name
        assert all(item.document.text[c.start : c.end] == c.text for c in chunks[name]), name
        assert all(item.document.text[s.start : s.end].strip() for s in item.document.sections), name


def test_no_heading_is_a_sentence_cut_at_a_line_break(loaded: dict[str, Loaded]) -> None:
    """Every heading is a whole line of the text, and none is the start of a wrapped sentence."""
    for name, item in loaded.items():
        lines = set(item.document.text.splitlines())
        for section in item.document.sections:
            assert section.path.split(" > ")[-1] in lines, (name, section.path)
    headings = {h for item in loaded.values() for s in item.document.sections for h in s.path.split(" > ")}
    assert not [h for h in headings if "일몰시간" in h or "중요한 사항" in h or h.endswith("흐름")]


def test_the_sunset_rule_is_one_sentence_in_one_chunk(loaded: dict[str, Loaded], chunks: dict[str, list[Chunk]]) -> None:
    assert SUNSET_RULE in loaded[KBO.name].document.text
    assert [c.page for c in chunks[KBO.name] if SUNSET_RULE in c.text] == [1]


def test_rulebook_articles_are_the_sections(loaded: dict[str, Loaded]) -> None:
    paths = [s.path for s in loaded[KBO.name].document.sections]
    assert paths == ["제21조 주·야간경기 및 경기개시 시간", "제22조 경기시간 제한", "제23조 심판위원, 기록위원의 사고발생으로 인한 임시조치"]


def test_table_rows_keep_their_cells_apart(loaded: dict[str, Loaded]) -> None:
    text = loaded[KBO.name].document.text
    assert "구분 | 토요일 | 일요일/공휴일 | 평일\n3월 | 17:00 | 14:00 | 18:30" in text
    assert "17:008월" not in text and "14:0010월" not in text


def test_insurance_terms_list_items_are_not_headings(loaded: dict[str, Loaded]) -> None:
    """The font-size heading on top, the 관 below it, numbered terms below those; no clause is a heading."""
    paths = [s.path for s in loaded[INSURANCE.name].document.sections]
    assert "【보통약관】 > 제1관 목적 및 용어의 정의 > 2. 지급사유 관련 용어" in paths
    assert all(len(part) <= 50 for path in paths for part in path.split(" > "))
    assert not [p for p in paths if "해친 경우" in p or "폭동" in p]


def test_no_placeholder_page_number_or_running_header_in_any_chunk(chunks: dict[str, list[Chunk]]) -> None:
    for name, document_chunks in chunks.items():
        for chunk in document_chunks:
            assert "그림입니다" not in chunk.text and "원본 그림" not in chunk.text, name
            assert HEADER not in chunk.text and "한국지역연구원" not in chunk.text, name
            assert not [line for line in chunk.text.splitlines() if PAGE_NUMBER_LINE.fullmatch(line)], (name, chunk.text)


def test_dropped_lines_say_why(loaded: dict[str, Loaded], generated_pdf: Path) -> None:
    generated = loaded[generated_pdf.name].dropped
    assert sum(d.reason == HEADER_FOOTER and d.text == HEADER for d in generated) == 5
    assert [d.text for d in generated if d.reason == HEADER_FOOTER and d.text != HEADER] == [f"- {n} -" for n in range(1, 6)]
    assert [d.text for d in loaded[KBO.name].dropped] == ["12"]
    placeholders = [d.text for d in loaded[PRESS_RELEASE.name].dropped if d.reason == PLACEHOLDER]
    assert len(placeholders) == 3 and all(text.startswith("그림입니다.") for text in placeholders)


def test_generated_pdf_rejoins_wrapped_sentences_and_finds_headings_by_size(loaded: dict[str, Loaded], generated_pdf: Path) -> None:
    document = loaded[generated_pdf.name].document
    for n in range(1, 6):
        first, second = wrapped_sentence(n)
        assert f"{first}{second}" in document.text  # broken inside the word 흐름은: no space
    assert [s.path for s in document.sections] == [f"{region}의 산업 동향" for region in REGIONS]
    assert document.page_starts is not None and len(document.page_starts) == 5
    assert document.page_at(document.text.index("동남권 고용은")) == 5


def test_press_release_reads_paragraphs_tables_and_title(loaded: dict[str, Loaded]) -> None:
    document = loaded[PRESS_RELEASE.name].document
    assert document.title.startswith("행정안전부는 12월 2일 국무회의에서")
    assert "□ 4대 핵심 전략 및 주요 과제는 다음과 같다." in document.text
    assert "보도시점 | (온라인) 2025. 12. 2.(화) 16:00" in document.text
    assert "044-205" not in document.text  # the officials' phone numbers are personal data
    assert not re.search(r"[\ue000-\uf8ff\U000f0000-\U000fffff]", document.text)  # Hancom's private glyphs


def make_docx(path: Path) -> None:
    import docx

    document = docx.Document()
    document.core_properties.title = "지역 고용 보고서"
    document.add_heading("1. 고용 동향", level=1)
    document.add_paragraph("올해 지역 고용은 제조업을 중심으로 늘었다. 서비스업 고용도 회복되었다.")
    document.add_heading("1.1 산업별 고용", level=2)
    table = document.add_table(rows=2, cols=3)
    for row, cells in zip(table.rows, [["산업", "2023", "2024"], ["제조업", "120", "131"]]):
        for cell, value in zip(row.cells, cells):
            cell.text = value
    document.add_paragraph("짧은 줄")
    document.sections[0].header.paragraphs[0].text = "대외비 | 지역고용청"
    document.save(path)


def test_docx_headings_from_styles_and_tables_by_row(tmp_path: Path) -> None:
    path = tmp_path / "jobs.docx"
    make_docx(path)
    loaded = read_document(path)
    document = loaded.document
    assert document.title == "지역 고용 보고서"
    assert [s.path for s in document.sections] == ["1. 고용 동향", "1. 고용 동향 > 1.1 산업별 고용"]
    assert "산업 | 2023 | 2024\n제조업 | 120 | 131" in document.text
    assert "대외비" not in document.text and [d.text for d in loaded.dropped] == ["대외비 | 지역고용청"]
    assert all(document.text[c.start : c.end] == c.text for c in chunk_document(document, ChunkingConfig()))


def unreadable(path: Path) -> str:
    with pytest.raises(UnreadableDocument) as caught:
        load_document(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    return message


def test_password_protected_pdf_is_refused(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(KBO))
    writer.encrypt(user_password="secret", owner_password="owner")
    path = tmp_path / "locked.pdf"
    with path.open("wb") as f:
        writer.write(f)
    assert "password" in unreadable(path)


def test_corrupt_hwpx_and_docx_are_refused(tmp_path: Path) -> None:
    cut = tmp_path / "cut.hwpx"
    cut.write_bytes(PRESS_RELEASE.read_bytes()[:5000])
    unreadable(cut)
    fake = tmp_path / "fake.docx"
    fake.write_bytes(b"not a zip at all")
    unreadable(fake)


def test_oversize_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.pdf"
    with path.open("wb") as f:
        f.truncate(250 * 1024 * 1024)  # sparse: 250 MB on paper, nothing written
    assert "250.0 MB, above the limit of 200 MB" in unreadable(path)


def test_a_pipe_is_refused_at_once_without_waiting_for_a_writer(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    os.mkfifo(path)
    assert "not a regular file" in unreadable(path)


def test_a_link_to_an_endless_device_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "random.txt"
    path.symlink_to("/dev/urandom")
    assert "not a regular file" in unreadable(path)


def test_real_files_are_not_modified(loaded: dict[str, Loaded]) -> None:
    assert {Path(item.document.source) for item in loaded.values()} >= {KBO, INSURANCE, PRESS_RELEASE}
    assert all(isinstance(item.document, Document) for item in loaded.values())
