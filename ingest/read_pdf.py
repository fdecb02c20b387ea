"""PDF → paragraphs per page, rebuilt from the layout (pdfplumber: characters with positions and sizes).

A PDF has lines, not paragraphs. They are put back together by geometry, not by wording:

* tables (ruled, as pdfplumber finds them) become one line per row, cells separated by " | ";
* running headers, footers and page numbers are dropped (`ingest.running`, by position and
  repetition);
* a line that reaches the right margin continues on the next line of the same size, unless that
  line starts a new item ("1.", "가.", "□", "제3조" …): the two are joined, without a space
  only between two Hangul syllables where the PDF draws none (Korean layout breaks lines inside
  words);
* a larger vertical gap or a change of font size starts a new paragraph;
* lines set larger than the body text and shaped like a title are headings, one level per size.
"""
from __future__ import annotations

import io
import logging
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from reportqa.errors import UnreadableDocument
from reportqa.ingest.blocks import CELL_SEPARATOR, HEADER_FOOTER, NOT_RECOGNISED, Dropped, Paragraph
from reportqa.ingest.ocr import INSTALL_HINT, POINTS_PER_INCH, RENDER_DPI, PageProgress, RecognisedPage, ocr_missing, recognise_pages, tessdata_dir
from reportqa.ingest.running import furniture
from reportqa.ingest.sections import HEADING_MAX_CHARS, NUMBERED_STYLES, SENTENCE_END

log = logging.getLogger(__name__)

ITEM_START = re.compile(r"[□■○●◦•▪▫◆◇※*\-–·▲►▶❍❏【]|제\s*\d+\s*[조관장절항편]")
HANGUL = re.compile(r"[가-힣]")
HEADING_RATIO = 1.15  # a line this much larger than the body is a heading candidate
FULL_LINE_CHARS = 2.5  # a line ending within this many character widths of the margin is full
PARAGRAPH_GAP = 0.9  # a gap between lines above this many font sizes starts a paragraph
SIZE_TOLERANCE = 0.3  # points: the same size within rendering noise
MAX_RENDER_PIXELS = 40_000_000  # a scanned page rendered for OCR: A4 at 300 dpi is 8.7 million


@dataclass
class _Line:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    space_after: bool  # the PDF draws a space after the line's last character
    table: bool = False  # a table row (never joined, never a heading)


@dataclass
class PdfText:
    pages: list[list[Paragraph]]
    title: str
    dropped: list[Dropped] = field(default_factory=list)
    recognised: dict[int, float] = field(default_factory=dict)  # 1-based page → OCR confidence (0–1)


def read_pdf(raw: bytes, path: Path, on_page: PageProgress | None = None) -> PdfText:
    """Paragraphs of every page, in order, with dropped page furniture.

    A page with pictures but no text layer is a scan: it is rendered and recognised (`ingest.ocr`),
    and only such pages are, so a mixed PDF keeps the text layer of the others.
    """
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    try:
        with pdfplumber.open(io.BytesIO(raw)) as pdf:
            pages = [_page_lines(page) for page in pdf.pages]
            scans = [number for number, page in enumerate(pdf.pages) if page.images and not pages[number]]
            title = str((pdf.metadata or {}).get("Title") or "")
            recognised, dropped = _recognise_scans(pdf, scans, pages, path, on_page)
    except PDFPasswordIncorrect:
        raise UnreadableDocument(f"Cannot read {path}: the PDF is password-protected.") from None
    except UnreadableDocument:
        raise
    except Exception as error:  # pdfminer raises many types on damaged files; all mean the same to a user
        if "password" in str(error).lower() or type(error).__name__.startswith("PDFEncryption"):
            raise UnreadableDocument(f"Cannot read {path}: the PDF is password-protected.") from None
        log.debug("pdfplumber failed on %s", path, exc_info=True)
        raise UnreadableDocument(f"Cannot read {path}: not a readable PDF ({type(error).__name__}).") from None
    if not any(line.text.strip() for lines in pages for line in lines):
        what = "OCR found no text on its scanned pages" if recognised else "the PDF has no text layer and no scanned pages"
        raise UnreadableDocument(f"Cannot read {path}: {what}.")
    paragraphs, furniture_dropped = lay_out(pages)
    return PdfText(paragraphs, " ".join(title.split()), dropped + furniture_dropped, recognised)


def _recognise_scans(pdf, scans: list[int], pages: list[list[_Line]], path: Path, on_page: PageProgress | None) -> tuple[dict[int, float], list[Dropped]]:  # noqa: ANN001
    """OCR the scanned pages in place; without Tesseract a scan-only PDF is refused with what to
    install, and a mixed one keeps its text pages and lists the scanned ones as dropped."""
    if not scans:
        return {}, []
    if tessdata_dir() is None:
        if len(scans) == len(pages):
            raise ocr_missing(path)
        log.warning("%s: %d scanned page(s) skipped: %s", path, len(scans), INSTALL_HINT)
        return {}, [Dropped(NOT_RECOGNISED, INSTALL_HINT, number + 1) for number in scans]
    recognised = {}
    images = (_rendered(pdf.pages[number]) for number in scans)
    for number, page in zip(scans, recognise_pages(path, images, len(scans), on_page)):
        pages[number] = ocr_lines(page)
        recognised[number + 1] = page.confidence
    return recognised, []


def _rendered(page):  # noqa: ANN001, ANN202 - pdfplumber's Page → a PIL image
    """The page as an image at RENDER_DPI, or less for a page so large (a poster, a drawing) that
    it would pass MAX_RENDER_PIXELS; the image carries its resolution for OCR."""
    area = (page.width / POINTS_PER_INCH) * (page.height / POINTS_PER_INCH)
    dpi = min(RENDER_DPI, int((MAX_RENDER_PIXELS / max(area, 1e-6)) ** 0.5))
    image = page.to_image(resolution=dpi).original
    image.info["dpi"] = (dpi, dpi)
    return image


def ocr_lines(page: RecognisedPage) -> list[_Line]:
    """A recognised page's lines as layout lines: the box height stands for the font size, rounded
    to half a point so the noise of a box's pixels does not split a paragraph."""
    return [
        _Line(line.text, line.x0, line.x1, line.top, line.bottom, round((line.bottom - line.top) * 2) / 2, space_after=True)
        for line in page.lines
    ]


def lay_out(pages: list[list[_Line]]) -> tuple[list[list[Paragraph]], list[Dropped]]:
    """Paragraphs per page from lines (a text layer's or OCR's), and the page furniture dropped."""
    dropped = _drop_furniture(pages)
    body = _body_size(pages)
    right = max((line.x1 for lines in pages for line in lines if not line.table), default=0.0)
    heading_sizes = _heading_sizes(pages, body)
    return [_paragraphs(lines, right, heading_sizes) for lines in pages], dropped


def _page_lines(page) -> list[_Line]:  # noqa: ANN001 - pdfplumber's Page
    """Text lines outside tables and one line per table row, top to bottom."""
    tables = page.find_tables()
    boxes = [table.bbox for table in tables]

    def outside(obj: dict) -> bool:
        cx, cy = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= cx <= x1 and top <= cy <= bottom for x0, top, x1, bottom in boxes)

    text_page = page.filter(outside) if boxes else page
    order = {(c["x0"], c["top"], c["text"]): i for i, c in enumerate(page.chars)}
    lines = []
    for found in text_page.extract_text_lines(return_chars=True):
        chars = [c for c in found["chars"] if c["text"].strip()]
        if not chars:
            continue
        last = order.get((chars[-1]["x0"], chars[-1]["top"], chars[-1]["text"]))
        following = page.chars[last + 1]["text"] if last is not None and last + 1 < len(page.chars) else " "
        lines.append(
            _Line(
                text=" ".join(found["text"].split()),
                x0=found["x0"],
                x1=found["x1"],
                top=found["top"],
                bottom=found["bottom"],
                size=statistics.median(c["size"] for c in chars),
                space_after=not following.strip(),
            )
        )
    for table in tables:
        size = statistics.median([c["size"] for c in page.within_bbox(table.bbox).chars] or [0.0])
        x0, top, x1, bottom = table.bbox
        for row in table.extract():
            cells = [" ".join((cell or "").split()) for cell in row]
            text = CELL_SEPARATOR.join(cell for cell in cells if cell)
            if text:
                lines.append(_Line(text, x0, x1, top, bottom, size, True, table=True))
    return sorted(lines, key=lambda line: line.top)  # sorted() is stable: table rows keep their order


def _drop_furniture(pages: list[list[_Line]]) -> list[Dropped]:
    """Remove running headers, footers and page numbers in place; return them as dropped."""
    found = furniture([[line.text for line in lines] for lines in pages])
    dropped = [Dropped(HEADER_FOOTER, pages[p][i].text, p + 1) for p, i in sorted(found)]
    for p, lines in enumerate(pages):
        pages[p] = [line for i, line in enumerate(lines) if (p, i) not in found]
    return dropped


def _body_size(pages: list[list[_Line]]) -> float:
    """The font size most characters are set in."""
    sizes = Counter()
    for lines in pages:
        for line in lines:
            sizes[round(line.size, 1)] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def _heading_sizes(pages: list[list[_Line]], body: float) -> dict[float, int]:
    """Heading level per font size: sizes of title-shaped lines well above the body, largest first."""
    sizes = {
        round(line.size, 1)
        for lines in pages
        for line in lines
        if not line.table and line.size >= body * HEADING_RATIO and _title_shaped(line.text)
    }
    return {size: level for level, size in enumerate(sorted(sizes, reverse=True), start=1)}


def _title_shaped(text: str) -> bool:
    return len(text) <= HEADING_MAX_CHARS and not SENTENCE_END.search(text) and bool(re.search(r"[^\W\d_]", text))


def _starts_item(text: str) -> bool:
    return bool(ITEM_START.match(text) or any(pattern.match(text) for _, pattern in NUMBERED_STYLES))


def _paragraphs(lines: list[_Line], right: float, heading_sizes: dict[float, int]) -> list[Paragraph]:
    """Join wrapped lines, then group lines into paragraphs by gaps, sizes, tables and headings."""
    paragraphs: list[Paragraph] = []
    block: list[str] = []
    previous: _Line | None = None

    def close() -> None:
        if block:
            paragraphs.append(Paragraph("\n".join(block)))
            block.clear()

    for line in lines:
        level = None if line.table else heading_sizes.get(round(line.size, 1))
        if level is not None and _title_shaped(line.text):
            close()
            paragraphs.append(Paragraph(line.text, level))
            previous = None
            continue
        if previous is not None and _continues(previous, line, right):
            block[-1] += _joint(previous, line) + line.text
            previous = _Line(block[-1], previous.x0, line.x1, previous.top, line.bottom, line.size, line.space_after)
            continue
        if previous is None or _breaks_paragraph(previous, line):
            close()
        block.append(line.text)
        previous = line
    close()
    return paragraphs


def _continues(previous: _Line, line: _Line, right: float) -> bool:
    """`line` carries on the sentence or list item `previous` ran out of room for."""
    return (
        not previous.table
        and not line.table
        and abs(previous.size - line.size) <= SIZE_TOLERANCE
        and line.top - previous.bottom <= PARAGRAPH_GAP * line.size
        and previous.x1 >= right - FULL_LINE_CHARS * previous.size
        and not _starts_item(line.text)
    )


def _joint(previous: _Line, line: _Line) -> str:
    """What goes between two joined lines: nothing only inside a Korean word the layout broke
    (no space drawn, Hangul on both sides), else a space."""
    inside_word = HANGUL.match(previous.text[-1]) and HANGUL.match(line.text[0])
    return "" if inside_word and not previous.space_after else " "


def _breaks_paragraph(previous: _Line, line: _Line) -> bool:
    return (
        previous.table != line.table
        or abs(previous.size - line.size) > SIZE_TOLERANCE
        or line.top - previous.bottom > PARAGRAPH_GAP * line.size
    )
