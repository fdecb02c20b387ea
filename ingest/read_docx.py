"""DOCX → paragraphs in reading order, through python-docx.

Paragraphs and tables come in body order (`Document.iter_inner_content`); a table becomes one
line per row with its cells separated by " | " (a merged cell once); a heading is a paragraph
whose style is "Title" or "Heading N" (Word's built-in names, whatever the UI language) or that
carries an outline level. Page headers and footers are not part of the body and are reported.
"""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from reportqa.errors import UnreadableDocument
from reportqa.ingest.blocks import CELL_SEPARATOR, HEADER_FOOTER, Dropped, FlowText, Paragraph

HEADING_STYLE = re.compile(r"(?:Heading|제목)\s*(\d)")


def read_docx(raw: bytes, path: Path) -> FlowText:
    """Paragraphs, title and dropped page furniture of a DOCX file's bytes."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(raw))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise UnreadableDocument(f"Cannot read {path}: not a readable DOCX file ({error}).") from None
    paragraphs: list[Paragraph] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            rows = [_row_text(row) for row in block.rows]
            text = "\n".join(row for row in rows if row)
            if text:
                paragraphs.append(Paragraph(text))
            continue
        text = " ".join(block.text.split())
        if text:
            paragraphs.append(Paragraph(text, _heading_level(block)))
    title = document.core_properties.title or next((p.text for p in paragraphs if p.heading_level), "")
    return FlowText(paragraphs, " ".join(title.split()), _page_furniture(document))


def _row_text(row) -> str:  # noqa: ANN001 - python-docx's _Row
    """Cells of a row, each merged cell once, empty ones left out."""
    seen, texts = set(), []
    for cell in row.cells:
        if id(cell._tc) in seen:
            continue
        seen.add(id(cell._tc))
        text = " ".join(cell.text.split())
        if text:
            texts.append(text)
    return CELL_SEPARATOR.join(texts)


def _heading_level(paragraph) -> int | None:  # noqa: ANN001 - python-docx's Paragraph
    """1 for Title and Heading 1, N for Heading N; else the paragraph's outline level, if any."""
    style = paragraph.style
    while style is not None:
        name = style.name or ""
        if name == "Title":
            return 1
        match = HEADING_STYLE.fullmatch(name)
        if match:
            return int(match.group(1))
        style = style.base_style
    outline = paragraph._p.find(".//{http://schemas.openxmlformats.org/wordprocessingml/2006/main}outlineLvl")
    if outline is not None:
        value = outline.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val", "9")
        return int(value) + 1 if value.isdigit() and int(value) < 9 else None
    return None


def _page_furniture(document) -> list[Dropped]:  # noqa: ANN001 - python-docx's Document
    """Header and footer text of every section, once each."""
    texts: dict[str, None] = {}
    for section in document.sections:
        for part in (section.header, section.footer):
            if part.is_linked_to_previous:
                continue
            for paragraph in part.paragraphs:
                text = " ".join(paragraph.text.split())
                if text:
                    texts[text] = None
    return [Dropped(HEADER_FOOTER, text) for text in texts]
