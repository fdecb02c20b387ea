"""Page texts → the report body: web chrome, footers and personal data removed by generic rules.

Saved web pages wrap a report in navigation, widgets, calendars and a footer with the site owner's
business details. None of that may be indexed or cited, and none of it is found by matching this
or that site's strings. The rules are positional and shape-based:

* the body starts at the first *substantial* line (long, with sentence punctuation) and ends at
  the last one; the short line right before the body is the title, other short lines before it
  and all short lines after it are chrome;
* wherever they occur, lines with an e-mail address, a phone number or a business-registration
  number are personal data, and calendar grids / "»" widget lines are chrome: never kept;
* end markers such as "<끝>" are dropped.

Whitespace is normalised: inner runs of spaces collapse, lines are stripped, paragraphs are
separated by exactly one blank line.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass

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

PROGRESS_LINES = 100_000  # a progress bar from here on (a 500-page report has ~30,000 lines)
SUBSTANTIAL_CHARS = 60  # longer than any title or heading, shorter than a one-sentence paragraph


@dataclass(frozen=True)
class CleanText:
    text: str
    title: str
    page_starts: list[int]  # offset in `text` where each page begins (one entry per input page)


@dataclass(frozen=True)
class _Line:
    page: int
    text: str  # stripped, "" for a blank line


def clean_pages(pages: list[str]) -> CleanText:
    """Clean the concatenated pages and report where each page starts in the result."""
    lines = [_Line(page, line) for page, text in enumerate(pages) for line in _normalised_lines(text)]
    progress = tqdm(lines, desc="cleaning", unit="line", disable=len(lines) < PROGRESS_LINES, leave=False)
    lines = [line for line in progress if not _is_chrome_anywhere(line.text)]
    substantial = [i for i, line in enumerate(lines) if _is_substantial(line.text)]
    if not substantial:
        log.warning("no substantial paragraph found; keeping all text")
        return _assemble(lines, title="", page_count=len(pages))
    first, last = substantial[0], substantial[-1]
    before = [i for i in range(first) if lines[i].text]
    title = lines[before[-1]].text if before else ""
    log.info("title %r; body is lines %d-%d of %d after chrome removal", title, first, last, len(lines))
    return _assemble(lines[first : last + 1], title=title, page_count=len(pages))


def _normalised_lines(text: str) -> list[str]:
    """Stripped lines with collapsed spaces and end markers removed."""
    return [END_MARKER.sub("", SPACES.sub(" ", line)).strip() for line in text.splitlines()]


def _is_personal(line: str) -> bool:
    return bool(EMAIL.search(line) or PHONE.search(line) or BUSINESS_NUMBER.search(line))


def _is_chrome_anywhere(line: str) -> bool:
    """Lines that are never report text, wherever they stand."""
    return bool(
        _is_personal(line)
        or CALENDAR_DAYS.fullmatch(line)
        or MONTH_HEADER.fullmatch(line)
        or WIDGET.fullmatch(line)
    )


def _is_substantial(line: str) -> bool:
    return len(line) >= SUBSTANTIAL_CHARS and bool(SENTENCE_END.search(line))


def _assemble(lines: list[_Line], title: str, page_count: int) -> CleanText:
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
    return CleanText(text="\n\n".join(parts), title=title, page_starts=page_starts)
