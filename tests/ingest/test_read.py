"""Reading every supported format, and refusing what cannot be read with a one-line message."""
from __future__ import annotations

import logging
import random
from pathlib import Path

import pytest
from reportqa.errors import UnreadableDocument
from reportqa.ingest.chunk import ChunkingConfig, chunk_document
from reportqa.ingest.load import load_document
from reportqa.ingest.read import read_source
from reportqa.ingest.types import Document
from reportqa.paths import PROJECT_ROOT

from .pdf_writer import make_pdf

HTML_SAMPLE = PROJECT_ROOT / "tests" / "data" / "ingest-sample.html"

PAGE_ONE = [
    "Quarterly Outlook",
    "The economy grew faster than expected in the first quarter of this year.",
    "Consumer spending was the main driver of the rebound in demand.",
]
PAGE_TWO = [
    "2. Exports",
    "Exports to Asia recovered strongly in the second quarter, led by memory chips.",
    "Page two ends with a remark about shipping costs and freight rates.",
]


def cp949_safe(text: str) -> str:
    """The report with the three characters CP949 lacks («, », no-break space) swapped for ASCII.

    They only occur in the web chrome and blank lines, so cleaning must give the same text.
    """
    return text.replace("«", "<").replace("»", ">").replace("\xa0", " ")


@pytest.mark.parametrize("encoding", ["cp949", "euc-kr", "utf-8-sig"])
def test_korean_encodings_give_the_same_document(encoding: str, report: Document, report_path: Path, tmp_path: Path) -> None:
    raw = cp949_safe(report_path.read_text(encoding="utf-8")).encode(encoding)
    path = tmp_path / "report.txt"
    path.write_bytes(raw)
    doc = load_document(path)
    assert doc.text == report.text
    assert doc.title == report.title
    assert doc.sections == report.sections


FRENCH_SENTENCE = "Le repas était très bon à Paris, et le café à côté aussi."
FRENCH = (
    f"{FRENCH_SENTENCE} Où êtes-vous allés cet été ? "
    "À la mer, près de la forêt, où l'eau était fraîche et où la fête a duré jusqu'à l'aube."
)
PRICES = (  # € is not in Latin-1: Windows-1252
    "Ça coûte 5 € à Paris, c'est très cher pour un café. Même à Noël, le thé coûte 3 € près de la gare, "
    "l'hôtel 120 € la nuit, et le dîner à côté de l'église 40 €."
)
GERMAN = (
    "Größe, Übung, Straße: die Größe der Übung auf der Straße ist schön. "
    "Übermäßig große Öfen müssen geprüft werden; Jürgen fährt täglich über die Brücke nach Köln."
)
KOREAN = "올해 한국 경제는 수출 회복에 힘입어 성장했다. 중소기업의 장기 불황은 이어지고 있다."
KOREAN_SIGNS = "GDP는 3% 늘었고 AI·반도체 수출이 【보통약관】 기준으로 25°C에서 ※ 확인됐다."  # charset-normalizer proposes nothing
FINNISH = (  # charset-normalizer proposes only Mac and HP readings ("Hyvšš"): Windows-1252 is always tried
    "Hyvää päivää! Pöytä on täynnä ruokaa ja sää on kaunis. Suomessa on tuhansia järviä ja metsiä. "
    "Talvella pakkanen voi olla kova, mutta kesällä aurinko paistaa yölläkin."
)
SURE = [(FRENCH, "latin-1"), (PRICES, "cp1252"), (GERMAN, "latin-1"), (KOREAN, "cp949"), (KOREAN_SIGNS, "cp949"), (KOREAN + " “Größe” €", "utf-8")]
SURE_IDS = ["latin-1 French", "cp1252 French with €", "latin-1 German", "cp949", "cp949 with signs", "utf-8"]
OTHERS = [
    ("très bon à Paris", "latin-1"),
    (FRENCH_SENTENCE, "latin-1"),
    ("Ça coûte 5 € à Paris, c'est très cher pour un café.", "cp1252"),
    ("Größe, Übung, Straße", "latin-1"),
    (FINNISH, "latin-1"),
]


def read_encoded(text: str, encoding: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> tuple[str, list[str], list[str]]:
    """The text read back from a file of `text` in `encoding`, its notes and the warnings logged."""
    path = tmp_path / "text.txt"
    path.write_bytes(text.encode(encoding))
    with caplog.at_level(logging.WARNING, logger="reportqa.ingest.read"):
        source = read_source(path)
    return source.pages[0], source.notes, [record.getMessage().removeprefix(f"{path}: ") for record in caplog.records]


@pytest.mark.parametrize(("text", "encoding"), SURE + OTHERS)
def test_a_text_is_read_exactly_or_its_encoding_called_uncertain(
    text: str, encoding: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Never a silently wrong text: each note is logged as a warning too."""
    read, notes, warnings = read_encoded(text, encoding, tmp_path, caplog)
    assert read == text or notes
    assert all(note.startswith("encoding uncertain: read as ") for note in notes)
    assert warnings == notes


@pytest.mark.parametrize(("text", "encoding"), SURE, ids=SURE_IDS)
def test_a_paragraph_is_read_exactly_without_a_doubt(text: str, encoding: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert read_encoded(text, encoding, tmp_path, caplog) == (text, [], [])


def test_a_short_latin1_phrase_is_read_right_and_called_uncertain(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Two accented letters: CP1250 ("trčs bon ŕ Paris", what charset-normalizer's best guess gives) stays possible."""
    read, notes, _ = read_encoded("très bon à Paris", "latin-1", tmp_path, caplog)
    assert read == "très bon à Paris"
    assert len(notes) == 1 and notes[0].startswith("encoding uncertain: read as cp1252 (also possible: cp1250")


def test_a_reading_from_few_characters_is_called_a_guess(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """No other reading comes close, but seven accented letters are too few to be sure."""
    read, notes, _ = read_encoded(FRENCH_SENTENCE, "latin-1", tmp_path, caplog)
    assert read == FRENCH_SENTENCE
    assert notes == ["encoding uncertain: read as cp1252 (guessed from 7 non-ASCII characters)"]


def test_html_main_text_without_script_nav_or_footer() -> None:
    doc = load_document(HTML_SAMPLE)
    assert doc.title == "한국 수출 동향 보고서"
    assert doc.text.startswith("올해 한국 경제는 수출 회복에 힘입어")
    assert "특히 대중국 수출이 회복세로 돌아선 점이 눈에 띈다.\n\n수출 기업들의 채산성도" in doc.text
    for needle in ["스크립트내용", "tracker", "font-family", "카테고리", "검색", "홍길동", "010-1234-5678", "example.com", "123-45-67890", "종로구"]:
        assert needle not in doc.text
    assert [s.path for s in doc.sections] == ["", "1. 수출 동향", "2. 전망"]


def test_pdf_chunks_carry_their_page(tmp_path: Path) -> None:
    path = tmp_path / "outlook.pdf"
    path.write_bytes(make_pdf([PAGE_ONE, PAGE_TWO]))
    doc = load_document(path)
    assert doc.title == "Quarterly Outlook"
    assert doc.page_starts == [0, doc.text.index("2. Exports")]
    chunks = chunk_document(doc, ChunkingConfig(size=100, overlap=0))
    for page, sentence in [(1, PAGE_ONE[1]), (2, PAGE_TWO[1]), (2, PAGE_TWO[2])]:
        start = doc.text.index(sentence)
        assert [chunk.page for chunk in chunks if chunk.start <= start < chunk.end] == [page]
    assert [s.path for s in doc.sections] == ["", "2. Exports"]


def unreadable_message(path: Path) -> str:
    with pytest.raises(UnreadableDocument) as caught:
        load_document(path)
    message = str(caught.value)
    assert path.name in message and "\n" not in message
    return message


def test_binary_garbage_txt_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "garbage.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + random.Random(0).randbytes(4000))
    unreadable_message(path)


def test_undecodable_bytes_without_nul_are_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "noise.md"
    path.write_bytes(bytes(b for b in random.Random(1).randbytes(4000) if b))
    unreadable_message(path)


def test_unsupported_suffix_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "report.odt"
    path.write_bytes(b"PK\x03\x04")
    assert "odt" in unreadable_message(path)


def test_missing_file_is_unreadable(tmp_path: Path) -> None:
    unreadable_message(tmp_path / "missing-report.txt")


def test_pdf_without_text_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "scanned.pdf"
    path.write_bytes(make_pdf([[], []]))
    assert "text" in unreadable_message(path)


def test_broken_pdf_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\nthis is not really a pdf\n")
    unreadable_message(path)


def test_the_users_file_is_not_modified(report_path: Path, tmp_path: Path) -> None:
    path = tmp_path / report_path.name
    path.write_bytes(report_path.read_bytes())
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    load_document(path)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_empty_text_file_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text(" \n\n \n", encoding="utf-8")
    unreadable_message(path)
