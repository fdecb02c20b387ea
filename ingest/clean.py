"""Page texts → the report body: web chrome, footers and personal data removed by generic rules.

Saved web pages wrap a report in navigation, widgets, calendars and a footer with the site owner's
business details. None of that may be indexed or cited, and none of it is found by matching this
or that site's strings. The rules are positional and shape-based:

* the body starts at the first *substantial* line (long, with sentence punctuation) and ends at
  the last one; the short line right before the body is the title, other short lines before it
  and all short lines after it are chrome;
* wherever they occur, lines with an e-mail address, a phone number or a business-registration
  number are personal data, and calendar grids / "»" widget lines are chrome: never kept;
* end markers such as "<끝>" are dropped;
* image placeholders a word processor leaves in the text ("그림입니다.", "원본 그림의 이름: …")
  are never kept.

Formats with structure (HWPX, DOCX, laid-out PDF) arrive as paragraphs (`clean_paragraphs`): their
body is the whole document, so only the line rules apply, and their headings keep their spans.
Every line left out is reported as a `Dropped` with its reason.

Whitespace is normalised: inner runs of spaces collapse, lines are stripped, paragraphs are
separated by exactly one blank line.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from reportqa.ingest.blocks import CHROME, PERSONAL, PLACEHOLDER, Dropped, Paragraph

from tqdm import tqdm

log = logging.getLogger(__name__)

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<!\d)(?:\+82[-. ]?|0)\d{1,2}[-. )]\d{3,4}[-. ]\d{4}(?!\d)")
BUSINESS_NUMBER = re.compile(r"(?<!\d)\d{3}-\d{2}-\d{5}(?!\d)")  # 사업자 등록번호 shape
CALENDAR_DAYS = re.compile(r"(?:(?:[1-9]|[12]\d|3[01])\s+){2,}(?:[1-9]|[12]\d|3[01])")
MONTH_HEADER = re.compile(r"[«‹<]\s*\d{4}\s*[/.년-]\s*\d{1,2}\s*월?\s*[»›>]")
WIDGET = re.compile(r".{0,40}(?:[»›]|>>)")  # "Recent Post»", "더보기 ›", "Archive >>"
END_MARKER = re.compile(r"\s*(?:<\s*끝\s*>|\(\s*끝\s*\)|\[\s*끝\s*\]|-\s*끝\s*-)\s*$")
SENTENCE_END = re.compile(r"[.?!。](?=$|\s|[\"'”’)\]])")
SPACES = re.compile(r"[^\S\n]+")
PRIVATE_USE = re.compile(r"[\ue000-\uf8ff\U000f0000-\U0010ffff]")  # word processors' own glyphs
PLACEHOLDER_LINE = re.compile(r"그림입니다\.?|원본 그림의 (?:이름|크기)\s*:.*")

PROGRESS_LINES = 100_000  # a progress bar from here on (a 500-page report has ~30,000 lines)
SUBSTANTIAL_CHARS = 60  # longer than any title or heading, shorter than a one-sentence paragraph


@dataclass(frozen=True)
class CleanText:
    text: str
    title: str
    page_starts: list[int]  # offset in `text` where each page begins (one entry per input page)
    headings: list[tuple[int, int, int]] = field(default_factory=list)  # (start, end, level) from the format
    dropped: list[Dropped] = field(default_factory=list)


@dataclass(frozen=True)
class _Line:
    page: int
    text: str  # stripped, "" for a blank line


def clean_pages(pages: list[str]) -> CleanText:
    """Clean the concatenated pages and report where each page starts in the result."""
    dropped: list[Dropped] = []
    lines = [_Line(page, line) for page, text in enumerate(pages) for line in _normalised_lines(text)]
    progress = tqdm(lines, desc="cleaning", unit="line", disable=len(lines) < PROGRESS_LINES, leave=False)
    lines = [line for line in progress if not _dropped_anywhere(line.text, dropped)]
    substantial = [i for i, line in enumerate(lines) if _is_substantial(line.text)]
    if not substantial:
        log.warning("no substantial paragraph found; keeping all text")
        return _assemble(lines, title="", page_count=len(pages), dropped=dropped)
    first, last = substantial[0], substantial[-1]
    before = [i for i in range(first) if lines[i].text]
    title = lines[before[-1]].text if before else ""
    outside = [line for line in lines[:first] + lines[last + 1 :] if line.text and line.text != title]
    dropped += [Dropped(CHROME, line.text) for line in outside]
    log.info("title %r; body is lines %d-%d of %d after chrome removal", title, first, last, len(lines))
    return _assemble(lines[first : last + 1], title=title, page_count=len(pages), dropped=dropped)


def clean_paragraphs(pages: list[list[Paragraph]], dropped: list[Dropped] | None = None) -> CleanText:
    """Paragraphs of a structured format, joined with one blank line; headings keep their level.

    `dropped` holds what the reader already left out (page headers, picture descriptions).
    """
    dropped = list(dropped or [])
    parts: list[str] = []
    page_starts: list[int] = []
    headings: list[tuple[int, int, int]] = []
    offset = 0
    for page, paragraphs in enumerate(pages):
        for paragraph in paragraphs:
            lines = [line for line in _normalised_lines(paragraph.text) if line]
            text = "\n".join(line for line in lines if not _dropped_anywhere(line, dropped))
            if not text:
                continue
            if parts:
                offset += 2
            while len(page_starts) <= page:
                page_starts.append(offset)
            if paragraph.heading_level is not None:
                headings.append((offset, offset + len(text), paragraph.heading_level))
            parts.append(text)
            offset += len(text)
    while len(page_starts) < len(pages):
        page_starts.append(offset)
    return CleanText("\n\n".join(parts), title="", page_starts=page_starts, headings=headings, dropped=dropped)


def _normalised_lines(text: str) -> list[str]:
    """Stripped lines with collapsed spaces and end markers removed."""
    return [END_MARKER.sub("", SPACES.sub(" ", PRIVATE_USE.sub("", line))).strip() for line in text.splitlines()]


def _is_personal(line: str) -> bool:
    return bool(EMAIL.search(line) or PHONE.search(line) or BUSINESS_NUMBER.search(line))


def _is_chrome_anywhere(line: str) -> bool:
    """Lines that are never report text, wherever they stand."""
    return bool(CALENDAR_DAYS.fullmatch(line) or MONTH_HEADER.fullmatch(line) or WIDGET.fullmatch(line))


def _dropped_anywhere(line: str, dropped: list[Dropped]) -> bool:
    """True (and the line recorded in `dropped`) for personal data, chrome and placeholders."""
    reason = (
        PERSONAL if _is_personal(line)
        else PLACEHOLDER if PLACEHOLDER_LINE.fullmatch(line)
        else CHROME if _is_chrome_anywhere(line)
        else None
    )
    if reason:
        dropped.append(Dropped(reason, line))
    return reason is not None


def _is_substantial(line: str) -> bool:
    return len(line) >= SUBSTANTIAL_CHARS and bool(SENTENCE_END.search(line))


def _assemble(lines: list[_Line], title: str, page_count: int, dropped: list[Dropped]) -> CleanText:
    """Join lines into paragraphs (one blank line between) and record page starts.

    A page break also ends a paragraph, so every page starts at a paragraph start.
    """
    paragraphs: list[tuple[int, list[str]]] = []
    for line in lines:
        if not line.text:
            if paragraphs and paragraphs[-1][1]:
                paragraphs.append((line.page, []))
            continue
        if not paragraphs or paragraphs[-1][0] != line.page:
            paragraphs.append((line.page, []))
        paragraphs[-1][1].append(line.text)
    parts: list[str] = []
    page_starts: list[int] = []
    offset = 0
    for page, body in (p for p in paragraphs if p[1]):
        if parts:
            offset += 2  # the "\n\n" joining it to the previous paragraph
        while len(page_starts) <= page:
            page_starts.append(offset)
        text = "\n".join(body)
        parts.append(text)
        offset += len(text)
    while len(page_starts) < page_count:
        page_starts.append(offset)
    return CleanText(text="\n\n".join(parts), title=title, page_starts=page_starts, dropped=dropped)
