"""HWP 5 (binary .hwp) as it really comes: the shared report template, and damaged or locked copies of it."""
from __future__ import annotations

import random
import re
from collections.abc import Callable
from pathlib import Path

import olefile
import pytest
from click.testing import CliRunner
from reportqa.cli import main
from reportqa.errors import UnreadableDocument
from reportqa.ingest.blocks import HEADER_FOOTER, Dropped, FlowText, Paragraph
from reportqa.ingest.chunk import ChunkingConfig, chunk_document
from reportqa.ingest.load import Loaded, read_document
from reportqa.ingest.read_hwp import read_hwp

from .test_formats import SHARED

SAMPLE = SHARED / "report_template.hwp"
SAMPLE_SHA256 = "6458ad26537739d68b93bf264c9d0c08b05b47e7fdff59b81f14586c31740ced"  # shared/documents/README.md
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def hwp() -> FlowText:
    return read_hwp(SAMPLE.read_bytes(), SAMPLE)


@pytest.fixture(scope="module")
def loaded() -> Loaded:
    return read_document(SAMPLE)


def preview_text() -> str:
    """Hancom's own plain-text preview of the first page or so (PrvText): evidence independent of the reader."""
    with olefile.OleFileIO(str(SAMPLE)) as ole:
        return ole.openstream("PrvText").read().decode("utf-16-le")


def flat(paragraphs: list[Paragraph]) -> str:
    return " ".join(" ".join(paragraph.text.split()) for paragraph in paragraphs)


def test_every_line_of_the_preview_is_read_in_order(hwp: FlowText) -> None:
    """PrvText marks table cells and text boxes with <…>; each piece is in the body, in the same order."""
    pieces = [" ".join(piece.split()) for piece in re.split(r"[<>\r\n]", preview_text())]
    pieces = [piece for piece in pieces if piece]
    assert len(pieces) == 40
    body, position = flat(hwp.paragraphs), 0
    for piece in pieces:  # the last one is cut off where the preview stops ("‘표 제")
        found = body.find(piece, position)
        assert found >= 0, (piece, body[position : position + 80])
        position = found + len(piece)


def test_lines_read_from_the_sample(hwp: FlowText) -> None:
    texts = [paragraph.text for paragraph in hwp.paragraphs]
    for line in ["●", "리포트의 제목", "두 줄로 작성", "R E P O R T", "학번 2000112345", "01 서론 01", "결론 내용 3 58", "본문 인용"]:
        assert line in texts
    assert texts.index("R E P O R T") < texts.index("01 서론 01") < texts.index("본문 인용")
    assert "인용정보: ‘인용정보’ 목록으로 작성합니다 (인용정보)" in texts
    assert "[표 캡션 1]" in texts  # the caption's automatic number, as saved


def test_tables_are_rows_of_cells_and_layout_tables_keep_paragraphs(hwp: FlowText) -> None:
    texts = [paragraph.text for paragraph in hwp.paragraphs]
    assert "과목명 | ○○○○\n담당교수 | ○○○\n학과명 | ○○○○과\n학번 | 200012345\n이름 | ○○○" in texts
    assert "표 | 표\n내용 | 내용\n내용 | 내용\n내용 | 내용\n내용 | 내용" in texts
    # The 서론 and 본론 frames hold a table or a heading: their cells stay paragraphs.
    assert "● 서론" in texts and "● 본론" in texts and "(각주1)" in texts
    assert "본문 중제목 (본문 중제목)" in texts and "‘본문 대제목’ 으로 작성합니다. (본문 대제목)" in texts


def test_no_control_is_read_as_cjk_text(hwp: FlowText) -> None:
    """Inline and extended controls are skipped by their width: no "捤獥汤捯" from their ids."""
    preview = set(CJK.findall(preview_text()))
    found = {ch for paragraph in hwp.paragraphs for ch in CJK.findall(paragraph.text)}
    assert found - preview == set()
    assert found == set()
    assert not any(ch < " " and ch != "\n" for paragraph in hwp.paragraphs for ch in paragraph.text)


def test_headings_come_from_the_outline_paragraph_shape(hwp: FlowText, loaded: Loaded) -> None:
    """Only 본문 중제목's paragraph shape is an outline level; styles whose English name is still
    "Outline N" (the body style 본문 1 에코 is "Outline 2") do not make headings."""
    assert [(p.text, p.heading_level) for p in hwp.paragraphs if p.heading_level] == [("본문 중제목 (본문 중제목)", 1)]
    assert [section.path for section in loaded.document.sections] == ["", "본문 중제목 (본문 중제목)"]


def test_header_dropped_title_empty_and_file_as_shared(hwp: FlowText, loaded: Loaded) -> None:
    assert hwp.title == ""  # the summary's title is empty in the sample
    assert hwp.dropped == [Dropped(HEADER_FOOTER, "리포트 제목 / 전공명")]
    assert "리포트 제목 / 전공명" not in loaded.document.text
    assert loaded.document.sha256 == SAMPLE_SHA256


def test_chunk_offsets_round_trip(loaded: Loaded) -> None:
    document = loaded.document
    chunks = chunk_document(document, ChunkingConfig())
    assert chunks and all(document.text[c.start : c.end] == c.text for c in chunks)
    assert all(document.text[s.start : s.end].strip() for s in document.sections)
    assert any("본문 중제목 (본문 중제목)" == c.section for c in chunks)


def with_stream(path: Path, name: str, change: Callable[[bytearray], None]) -> Path:
    """A copy of the sample at `path` whose stream `name` is changed in place (same length)."""
    path.write_bytes(SAMPLE.read_bytes())
    with olefile.OleFileIO(str(path), write_mode=True) as ole:
        data = bytearray(ole.openstream(name).read())
        change(data)
        ole.write_stream(name, bytes(data))
    return path


def zero_middle(data: bytearray) -> None:
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)


def set_flag(bit: int) -> Callable[[bytearray], None]:
    def change(data: bytearray) -> None:
        data[36] |= bit  # FileHeader: 32-byte signature, 4-byte version, then the property bits

    return change


def unsign(data: bytearray) -> None:
    data[:17] = b"Not a HWP at all!"


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hwp")
    raw = SAMPLE.read_bytes()
    (folder / "random.hwp").write_bytes(random.Random(0).randbytes(4096))
    (folder / "half.hwp").write_bytes(raw[: len(raw) // 2])
    return {
        "random": folder / "random.hwp",
        "half": folder / "half.hwp",
        "garbage section": with_stream(folder / "garbage.hwp", "BodyText/Section0", zero_middle),
        "no signature": with_stream(folder / "unsigned.hwp", "FileHeader", unsign),
        "password": with_stream(folder / "password.hwp", "FileHeader", set_flag(2)),
        "distribution": with_stream(folder / "distribution.hwp", "FileHeader", set_flag(4)),
    }


EXPECTED = {
    "random": "not a readable HWP file (not an OLE2 structured storage file)",
    "half": "not a readable HWP file (incomplete OLE sector)",
    "garbage section": "not a readable HWP file (BodyText/Section0 does not inflate",
    "no signature": "not a readable HWP file (no HWP signature in FileHeader)",
    "password": "password-protected HWP",
    "distribution": "distribution-protected HWP (배포용 문서)",
}


@pytest.mark.parametrize("case", list(EXPECTED))
def test_damaged_or_locked_file_is_refused_in_one_line(case: str, broken: dict[str, Path]) -> None:
    path = broken[case]
    with pytest.raises(UnreadableDocument) as caught:
        read_document(path)
    message = str(caught.value)
    assert message.startswith(f"Cannot read {path}: {EXPECTED[case]}") and "\n" not in message
    result = CliRunner().invoke(main, ["ingest", str(path)])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [f"Error: {message}"]


def test_cli_explains_what_was_dropped() -> None:
    result = CliRunner().invoke(main, ["ingest", str(SAMPLE), "--explain"])
    assert result.exit_code == 0, result.stderr
    assert "dropped (header/footer): 리포트 제목 / 전공명" in result.stdout
    assert "본문 중제목 (본문 중제목)" in result.stdout
