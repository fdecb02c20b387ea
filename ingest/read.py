"""Raw files → page texts: decoding and format extraction only, no cleaning.

Every failure a user can cause (missing file, unknown suffix, undecodable bytes, a PDF without a
text layer) becomes an `UnreadableDocument` whose one-line message names the file.
"""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes
from reportqa import limits
from reportqa.errors import UnreadableDocument
from tqdm import tqdm

log = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".txt", ".md"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
PDF_SUFFIXES = frozenset({".pdf"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES


@dataclass(frozen=True)
class RawText:
    """What a file holds before cleaning: one string per page (a single page unless PDF)."""

    raw: bytes  # the bytes as read, kept so the caller can hash exactly what was indexed
    pages: list[str]
    title_hint: str = ""  # a title the format itself declares (HTML <title>), if any
    paged: bool = False  # True when `pages` are real pages whose numbers should be cited


def read_source(path: Path) -> RawText:
    """Read `path` read-only and return its text; the reader is chosen by the file suffix."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise UnreadableDocument(f"Cannot read {path}: unsupported file type '{suffix}' (supported: {supported}).")
    try:
        limits.file_size(path, path.stat().st_size)
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UnreadableDocument(f"Cannot read {path}: no such file.") from None
    except OSError as error:
        raise UnreadableDocument(f"Cannot read {path}: {error.strerror or error}.") from None
    if suffix in PDF_SUFFIXES:
        return RawText(raw=raw, pages=_pdf_pages(raw, path), paged=True)
    text = _decode_text(raw, path)
    limits.text_length(path, len(text))
    if suffix in HTML_SUFFIXES:
        body, title = _html_main_text(text, path)
        return RawText(raw=raw, pages=[body], title_hint=title)
    return RawText(raw=raw, pages=[text])


def _decode_text(raw: bytes, path: Path) -> str:
    """UTF-8 (BOM or not) first because it is unambiguous; else let charset-normalizer guess.

    Korean files saved by older Windows tools are CP949/EUC-KR, which charset-normalizer detects.
    NUL bytes are refused up front: no text encoding we accept produces them, binaries do.
    """
    if b"\x00" in raw:
        raise UnreadableDocument(f"Cannot read {path}: it looks like a binary file, not text.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    best = from_bytes(raw).best()
    if best is None:
        raise UnreadableDocument(f"Cannot read {path}: the text encoding could not be detected.")
    log.info("%s decoded as %s", path, best.encoding)
    return str(best)


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


def _pdf_pages(raw: bytes, path: Path) -> list[str]:
    """Text of every page, in order, so each chunk can cite its page."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(raw))
        pages = [
            page.extract_text() or ""
            for page in tqdm(reader.pages, desc=f"reading {path.name}", unit="page", disable=len(reader.pages) < 50, leave=False)
        ]
    except (PyPdfError, ValueError, KeyError, TypeError) as error:
        raise UnreadableDocument(f"Cannot read {path}: not a readable PDF ({error}).") from None
    limits.text_length(path, sum(map(len, pages)))
    if not any(page.strip() for page in pages):
        raise UnreadableDocument(f"Cannot read {path}: the PDF has no text layer (scanned images need OCR first).")
    return pages
