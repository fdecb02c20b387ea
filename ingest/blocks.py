"""What a format reader hands to cleaning: pages of paragraphs, structural headings, dropped lines.

Formats with structure (HWPX, DOCX, a laid-out PDF) know where a paragraph ends, which paragraph
is a heading and which text is page furniture; plain text and web pages do not. Readers of the
former return `Paragraph`s so cleaning never has to guess what the format already said.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Why a line was left out of the cleaned text (shown by `reportqa ingest --explain`).
PLACEHOLDER = "placeholder"  # image descriptions, empty form fields
HEADER_FOOTER = "header/footer"  # running headers, footers, page numbers
CHROME = "chrome"  # web navigation, widgets, lines before/after the body
PERSONAL = "personal data"  # e-mail addresses, phone and business numbers
NOT_RECOGNISED = "scanned page, not recognised"  # OCR unavailable: the page has no text layer

CELL_SEPARATOR = " | "  # between the cells of a table row, in every format


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of a structured format; a table is one paragraph of row lines."""

    text: str  # no blank lines inside; table rows are separated by single newlines
    heading_level: int | None = None  # 1 = top level, from the format's own outline/styles


@dataclass(frozen=True)
class Dropped:
    """A line the cleaning left out, and why."""

    reason: str
    text: str
    page: int | None = None  # 1-based, for paged formats


@dataclass
class FlowText:
    """What the reader of an unpaged format (HWPX, HWP, DOCX) returns: one flow of paragraphs."""

    paragraphs: list[Paragraph]
    title: str
    dropped: list[Dropped] = field(default_factory=list)
