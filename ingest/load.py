"""Paths → Documents: the entry point of ingest (read, clean, find sections)."""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from reportqa.errors import UnreadableDocument
from reportqa.ingest.blocks import Dropped
from reportqa.ingest.clean import CleanText, clean_pages, clean_paragraphs
from reportqa.ingest.ocr import PageProgress
from reportqa.ingest.read import SUPPORTED_SUFFIXES, RawText, read_bytes, read_source
from reportqa.ingest.sections import HEADING_MAX_CHARS, find_sections
from reportqa.ingest.types import Document

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Loaded:
    """A cleaned document, every line the cleaning left out and what reading it was unsure of (for `ingest --explain`)."""

    document: Document
    dropped: list[Dropped]
    notes: list[str]


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes, as `Document.sha256` records it: whether an index holds it as it is."""
    return hashlib.sha256(read_bytes(path)).hexdigest()


def load_document(path: Path, doc_id: str | None = None, on_page: PageProgress | None = None) -> Document:
    """Read and clean one file; `doc_id` defaults to the file name. The file is only read."""
    return read_document(path, doc_id, on_page).document


def read_document(path: Path, doc_id: str | None = None, on_page: PageProgress | None = None) -> Loaded:
    """`load_document` that also says what was dropped and why; `on_page` follows OCR's pages."""
    source = read_source(path, on_page)
    if source.paragraphs is None:
        cleaned = clean_pages(source.pages)
    else:
        cleaned = clean_paragraphs(source.paragraphs, source.dropped)
    if not cleaned.text:
        raise UnreadableDocument(f"Cannot read {path}: no text left after cleaning.")
    document = Document(
        doc_id=doc_id or path.name,
        source=str(path),
        title=_title(cleaned, source) or path.stem,
        text=cleaned.text,
        sha256=hashlib.sha256(source.raw).hexdigest(),
        sections=find_sections(cleaned.text, cleaned.headings, text_rules=not source.outline),
        page_starts=cleaned.page_starts if source.paged else None,
        recognised=source.recognised,
    )
    log.info("loaded %s: %d characters, %d sections", document.doc_id, len(document.text), len(document.sections))
    return Loaded(document, cleaned.dropped, source.notes)


def _title(cleaned: CleanText, source: RawText) -> str:
    """The cleaning's title, else the format's own title unless it is a bare file name ("report_v2.pdf"),
    else the first structural heading, else a short first line."""
    hint = source.title_hint.strip()
    if cleaned.title:
        return cleaned.title
    if hint and (source.paragraphs is None or any(ch.isspace() for ch in hint)):
        return hint
    if cleaned.headings:
        start, end, _ = cleaned.headings[0]
        return cleaned.text[start:end]
    first = cleaned.text.split("\n", 1)[0]
    return first if len(first) <= HEADING_MAX_CHARS else ""


def iter_sources(paths: list[Path]) -> list[tuple[Path, str]]:
    """(file, doc_id) for every path; folders expand to their supported, non-hidden files.

    A file named directly is kept whatever its suffix, so loading it reports why it is unreadable
    instead of it being skipped in silence. Paths that give nothing to read (a folder without
    supported files, a device, a broken link) are refused here, so `ingest` and `index` agree.
    """
    sources: list[tuple[Path, str]] = []
    for path in paths:
        _check_path(path)
        if path.is_file():
            sources.append((path, path.name))
            continue
        found = [
            (file, file.relative_to(path).as_posix())
            for file in sorted(path.rglob("*"))
            if file.is_file() and file.suffix.lower() in SUPPORTED_SUFFIXES and not _is_hidden(file.relative_to(path))
        ]
        if not found:
            supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
            raise UnreadableDocument(f"Cannot read {path}: the folder holds no supported files ({supported}).")
        sources += found
    return sources


def _check_path(path: Path) -> None:
    """A regular file or a folder; anything else gets a message saying what it is."""
    try:
        path.stat()
    except FileNotFoundError:
        broken = path.is_symlink()
        raise UnreadableDocument(f"Cannot read {path}: {'a broken symbolic link' if broken else 'no such file or folder'}.") from None
    except OSError as error:
        raise UnreadableDocument(f"Cannot read {path}: {error.strerror or error}.") from None
    if not (path.is_file() or path.is_dir()):
        raise UnreadableDocument(f"Cannot read {path}: not a regular file or folder (a device, pipe or socket).")


def _is_hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)
