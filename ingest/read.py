"""Raw files → page texts or paragraphs: decoding and format extraction only, no cleaning.

Every failure a user can cause (missing file, unknown suffix, undecodable bytes, a PDF without a
text layer or with a password, a damaged HWPX or HWP, an encrypted HWP, a file over the size
limit, a scan where Tesseract is missing) becomes an `UnreadableDocument` whose one-line message
names the file. Scanned PDF pages and page images are recognised by OCR (ingest/ocr.py). A text
file whose encoding is a guess is read, and says so (`RawText.notes`, a logged warning).

HWP 5 (the binary .hwp of Hancom Office before HWPX) is read by ingest/read_hwp.py, written here on
olefile because the one maintained Python reader, pyhwp, is AGPL (docs/formats.md).
"""
from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from reportqa import limits
from reportqa.errors import UnreadableDocument
from reportqa.ingest.blocks import Dropped, Paragraph
from reportqa.ingest.encoding import doubt, readings
from reportqa.ingest.ocr import PageProgress

log = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".txt", ".md"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
PDF_SUFFIXES = frozenset({".pdf"})
HWPX_SUFFIXES = frozenset({".hwpx"})
DOCX_SUFFIXES = frozenset({".docx"})
HWP_SUFFIXES = frozenset({".hwp"})
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff"})  # read by OCR (ingest/ocr.py)
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES | HWPX_SUFFIXES | HWP_SUFFIXES | DOCX_SUFFIXES | IMAGE_SUFFIXES


@dataclass(frozen=True)
class RawText:
    """What a file holds before cleaning: one string per page (a single page unless PDF)."""

    raw: bytes  # the bytes as read, kept so the caller can hash exactly what was indexed
    pages: list[str]  # text formats; empty when `paragraphs` holds the text
    title_hint: str = ""  # a title the format itself declares (HTML <title>), if any
    paged: bool = False  # True when the pages are real pages whose numbers should be cited
    paragraphs: list[list[Paragraph]] | None = None  # structured formats: paragraphs per page
    outline: bool = False  # the format's headings are the whole outline (styles), no text rules needed
    dropped: list[Dropped] = field(default_factory=list)  # what the reader already left out
    recognised: dict[int, float] = field(default_factory=dict)  # scanned pages (1-based) → OCR confidence (0–1)
    notes: list[str] = field(default_factory=list)  # what the reader is unsure of (an encoding guessed among close ones)


def read_source(path: Path, on_page: PageProgress | None = None) -> RawText:
    """Read `path` read-only and return its text; the reader is chosen by the file suffix.

    `on_page(name, done, total)` follows the pages OCR recognises, the slow part of a scan.
    """
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise UnreadableDocument(f"Cannot read {path}: unsupported file type '{suffix}' (supported: {supported}).")
    raw = read_bytes(path)
    if suffix in PDF_SUFFIXES:
        from reportqa.ingest.read_pdf import read_pdf

        pdf = read_pdf(raw, path, on_page)
        return RawText(raw, [], pdf.title, paged=True, paragraphs=pdf.pages, dropped=pdf.dropped, recognised=pdf.recognised)
    if suffix in IMAGE_SUFFIXES:
        from reportqa.ingest.read_image import read_image

        image = read_image(raw, path, on_page)
        return RawText(raw, [], paged=True, paragraphs=image.pages, dropped=image.dropped, recognised=image.recognised)
    if suffix in HWPX_SUFFIXES:
        from reportqa.ingest.read_hwpx import read_hwpx

        hwpx = read_hwpx(raw, path)
        return RawText(raw, [], hwpx.title, paragraphs=[hwpx.paragraphs], outline=True, dropped=hwpx.dropped)
    if suffix in HWP_SUFFIXES:
        from reportqa.ingest.read_hwp import read_hwp

        hwp = read_hwp(raw, path)
        return RawText(raw, [], hwp.title, paragraphs=[hwp.paragraphs], outline=True, dropped=hwp.dropped)
    if suffix in DOCX_SUFFIXES:
        from reportqa.ingest.read_docx import read_docx

        docx = read_docx(raw, path)
        return RawText(raw, [], docx.title, paragraphs=[docx.paragraphs], outline=True, dropped=docx.dropped)
    text, notes = _decode_text(raw, path)
    limits.text_length(path, len(text))
    if suffix in HTML_SUFFIXES:
        body, title = _html_main_text(text, path)
        return RawText(raw=raw, pages=[body], title_hint=title, notes=notes)
    return RawText(raw=raw, pages=[text], notes=notes)


def read_bytes(path: Path) -> bytes:
    """The bytes of a regular file, with the size limit applied while reading.

    Opened without blocking and checked on the open descriptor, so a pipe is refused at once instead
    of waiting for a writer, and a link to a device is refused instead of filling memory; at most one
    byte past the limit is ever read, so a file that grows while it is read is refused too.
    """
    limit = limits.max_file_bytes()
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise UnreadableDocument(f"Cannot read {path}: no such file.") from None
    except OSError as error:
        raise UnreadableDocument(f"Cannot read {path}: {error.strerror or error}.") from None
    with os.fdopen(fd, "rb") as file:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise UnreadableDocument(f"Cannot read {path}: it is a folder, not a file.")
        if not stat.S_ISREG(mode):
            raise UnreadableDocument(f"Cannot read {path}: not a regular file (a device, pipe or socket).")
        limits.file_size(path, os.fstat(fd).st_size)
        try:
            raw = file.read(limit + 1)
        except OSError as error:
            raise UnreadableDocument(f"Cannot read {path}: {error.strerror or error}.") from None
    limits.file_size(path, len(raw))
    return raw


def _decode_text(raw: bytes, path: Path) -> tuple[str, list[str]]:
    """The text, and a note when its encoding is a guess (logged as a warning too).

    UTF-8 (BOM or not) first because it is unambiguous; else the most plausible reading
    (ingest/encoding.py), e.g. CP949/EUC-KR for Korean files saved by older Windows tools.
    NUL bytes are refused up front: no text encoding we accept produces them, binaries do.
    """
    if b"\x00" in raw:
        raise UnreadableDocument(f"Cannot read {path}: it looks like a binary file, not text.")
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    ranked = readings(raw)
    if not ranked:
        raise UnreadableDocument(f"Cannot read {path}: the text encoding could not be detected.")
    log.info("%s decoded as %s (%s)", path, ranked[0].encoding, ranked[0].language or "language unknown")
    note = doubt(ranked)
    if not note:
        return ranked[0].text, []
    log.warning("%s: %s", path, note)
    return ranked[0].text, [note]


def _html_main_text(html: str, path: Path) -> tuple[str, str]:
    """Main text via trafilatura (drops scripts, navigation, footers); one block per paragraph."""
    import trafilatura  # imported here: it is slow to import and only HTML needs it

    text = trafilatura.extract(html, output_format="txt", include_comments=False, include_tables=True)
    if not text or not text.strip():
        raise UnreadableDocument(f"Cannot read {path}: no main text found in the HTML page.")
    metadata = trafilatura.extract_metadata(html)
    title = (metadata.title or "") if metadata else ""
    # trafilatura writes one block per line; a blank line between blocks keeps them paragraphs.
    return "\n\n".join(text.splitlines()), title
