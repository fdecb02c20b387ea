"""Scanned PDFs and page images, read by the real Tesseract (Debian tesseract-ocr-kor, `make install`).

Scans are made here from text whose every character is known (`reportqa.lab.ocr_bench`): the shared
insurance terms rendered from their text layer, and typeset Korean paragraphs; each read back
through the product. The figures over whole documents are `reportqa bench --ocr` (docs/benchmarks.md).
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader, PdfWriter
from reportqa.cli import main
from reportqa.errors import UnreadableDocument
from reportqa.index import store
from reportqa.ingest import ocr
from reportqa.ingest.blocks import NOT_RECOGNISED
from reportqa.ingest.load import read_document
from reportqa.ingest.types import SCANNED_NOTE
from reportqa.lab.korquad import default_path
from reportqa.lab.ocr_bench import BODY_POINTS, character_error_rate, degraded, image_pdf, rendered_pages, typeset

from .pdf_writer import make_korean_pdf
from .test_formats import INSURANCE

DPI = 300


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def korquad_page() -> tuple[str, str, str]:
    """A real Korean paragraph, one of its questions and the answer: (paragraph, question, answer)."""
    paragraph = json.loads(default_path().read_text(encoding="utf-8"))["data"][0]["paragraphs"][0]
    qa = paragraph["qas"][0]
    return paragraph["context"], qa["question"], qa["answers"][0]["text"]


@pytest.fixture(scope="module")
def scanned_insurance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scan") / "insurance-scan.pdf"
    path.write_bytes(image_pdf(rendered_pages(INSURANCE, DPI), DPI))
    return path


def text_layer(pdf: Path) -> str:
    import pdfplumber

    with pdfplumber.open(pdf) as document:
        return "\n".join(page.extract_text() for page in document.pages)


def test_a_scanned_pdf_is_recognised_page_by_page(scanned_insurance: Path) -> None:
    loaded = read_document(scanned_insurance)
    document = loaded.document
    assert sorted(document.recognised) == [1, 2]
    assert all(0.5 < confidence <= 1 for confidence in document.recognised.values())
    assert document.page_starts is not None and len(document.page_starts) == 2
    # Serif 9 pt terms, the hardest of the measured scans: within the 3 % (docs/benchmarks.md, "Scanned pages").
    assert character_error_rate(text_layer(INSURANCE), document.text) <= 0.03
    assert "제2관 보험금의 지급" in [section.path.split(" > ")[-1] for section in document.sections]


def test_typeset_korean_is_read_within_the_error_targets(korquad_page: tuple[str, str, str]) -> None:
    paragraph, _, _ = korquad_page
    pages = typeset([(paragraph, BODY_POINTS)], DPI)
    clean = read_document_of(image_pdf(pages, DPI))
    noisy = read_document_of(image_pdf([degraded(page, seed=7) for page in pages], DPI))
    assert character_error_rate(paragraph, clean) <= 0.03
    assert character_error_rate(paragraph, noisy) <= 0.08


def read_document_of(pdf: bytes, name: str = "scan.pdf") -> str:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(pdf)
        return read_document(path).document.text


def mixed_pdf(text_page: bytes, scanned_page: bytes) -> bytes:
    """Page 1 with a text layer, page 2 a scan: what a scanner's "insert page" makes."""
    writer = PdfWriter()
    for pdf in (text_page, scanned_page):
        for page in PdfReader(io.BytesIO(pdf)).pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory, korquad_page: tuple[str, str, str]) -> Path:
    paragraph, _, _ = korquad_page
    path = tmp_path_factory.mktemp("mixed") / "mixed.pdf"
    text_page = make_korean_pdf([[("텍스트 층이 있는 첫 쪽입니다.", 12)]])
    path.write_bytes(mixed_pdf(text_page, image_pdf(typeset([(paragraph, BODY_POINTS)], DPI), DPI)))
    return path


def test_a_mixed_pdf_recognises_only_its_scanned_page(mixed: Path, korquad_page: tuple[str, str, str]) -> None:
    paragraph, _, answer = korquad_page
    document = read_document(mixed).document
    assert list(document.recognised) == [2]
    assert document.text.startswith("텍스트 층이 있는 첫 쪽입니다.")
    assert answer in document.text
    assert character_error_rate(paragraph, document.text[document.page_starts[1] :]) <= 0.03


def test_page_images_png_and_multipage_tiff(tmp_path: Path, korquad_page: tuple[str, str, str]) -> None:
    paragraph, _, answer = korquad_page
    pages = typeset([(paragraph, BODY_POINTS)], DPI) + typeset([("두 번째 쪽의 문장입니다.", BODY_POINTS)], DPI)
    pages[0].save(tmp_path / "page.png", dpi=(DPI, DPI))
    pages[0].save(tmp_path / "pages.tiff", save_all=True, append_images=pages[1:], dpi=(DPI, DPI))
    png = read_document(tmp_path / "page.png").document
    tiff = read_document(tmp_path / "pages.tiff").document
    assert answer in png.text and list(png.recognised) == [1]
    assert sorted(tiff.recognised) == [1, 2] and "두 번째 쪽의 문장입니다." in tiff.text[tiff.page_starts[1] :]


def test_a_broken_image_and_a_decompression_bomb_are_refused_in_one_line(tmp_path: Path) -> None:
    from PIL import Image

    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    bomb = tmp_path / "bomb.png"
    Image.new("1", (15_000, 12_500)).save(bomb)  # 187 million pixels in 23 kB
    for path in (broken, bomb):
        code, _, err = run("ingest", str(path))
        assert code == 1 and err.strip().count("\n") == 0 and "not a readable image" in err


def test_without_tesseract_a_scan_says_what_to_install_and_text_pages_still_read(
    scanned_insurance: Path, mixed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ocr, "TESSDATA_DIRS", ())
    monkeypatch.delenv(ocr.TESSDATA_VARIABLE, raising=False)
    with pytest.raises(UnreadableDocument, match=r"needs OCR; install Tesseract.*apt-get install tesseract-ocr tesseract-ocr-kor"):
        read_document(scanned_insurance)
    code, _, err = run("ingest", str(scanned_insurance))
    assert code == 1 and err.strip().count("\n") == 0
    loaded = read_document(mixed)
    assert loaded.document.text == "텍스트 층이 있는 첫 쪽입니다." and loaded.document.recognised == {}
    assert [(d.reason, d.page) for d in loaded.dropped] == [(NOT_RECOGNISED, 2)]


def test_explain_lists_the_recognised_pages_and_their_confidence(mixed: Path) -> None:
    code, out, _ = run("ingest", str(mixed), "--explain", "--json")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    recognised = next(row for row in rows if "recognised_pages" in row)
    assert recognised["recognised_pages"] == [2] and 0.5 < recognised["mean_confidence"] <= 1
    code, out, _ = run("ingest", str(mixed), "--explain")
    assert "recognised by OCR (1 scanned page(s), mean Tesseract confidence 0." in out and "p.2 0." in out


def test_documents_add_a_scan_and_its_answer_cites_the_scanned_page(
    report_index: store.IndexData, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, korquad_page: tuple[str, str, str]
) -> None:
    import shutil

    paragraph, question, answer = korquad_page
    shutil.copytree(home / "indexes", tmp_path / "home" / "indexes")
    monkeypatch.setenv("REPORTQA_HOME", str(tmp_path / "home"))
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(image_pdf([degraded(page, seed=3) for page in typeset([(paragraph, BODY_POINTS)], DPI)], DPI))
    code, out, err = run("documents", "add", str(scan))
    assert code == 0, err
    code, out, _ = run("ask", question, "--json")
    reply = json.loads(out)
    cited = [c for c in reply["citations"] if c["doc"].endswith("scan.pdf")]
    assert cited and all(c["recognised"] is not None for c in cited)
    assert any(answer in c["text"] for c in cited)
    assert reply["confidence"] <= min(c["recognised"] for c in cited)
    code, out, _ = run("ask", question)
    assert SCANNED_NOTE in out


def test_a_poster_sized_scan_without_text_is_rendered_within_bounds_and_refused(tmp_path: Path) -> None:
    """A 200-inch page of nothing but a speck: rendered under the pixel cap, then "no text", in one line."""
    from PIL import Image, ImageDraw

    page = Image.new("L", (2000, 2000), 255)
    ImageDraw.Draw(page).text((100, 100), "x", fill=0)
    poster = tmp_path / "poster.pdf"
    page.save(poster, resolution=10)
    code, _, err = run("ingest", str(poster))
    assert code == 1 and err.strip().count("\n") == 0 and "OCR found no text" in err
