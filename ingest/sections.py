"""Cleaned text → sections: which heading path governs each span of body text.

Headings are short lines without sentence punctuation, standing as their own paragraph. Numbered
ones ("1.", "1.2", "①", "가.", "Ⅱ.", "(3)", markdown "#") get their level from the order in which
their numbering style first appears, the way a reader infers an outline; unnumbered short lines
sit one level below every numbered style. In a run of heading-like lines with no body between
them, only the trailing chain of strictly deepening levels introduces the body; what comes before
(a table of contents, a "< 목 차 >" label) is body text, not headings.

A format that marks its headings (DOCX styles, HWPX outline levels, PDF font sizes) passes them
as spans with levels; then those are the headings and the text rules stay out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from reportqa.ingest.types import Section

HEADING_MAX_CHARS = 50
PATH_SEPARATOR = " > "
SENTENCE_END = re.compile(r"[.?!。:;,]$")

# (style name, pattern). A style's level is fixed by its first appearance; DECIMAL's depth is part
# of its style so "1." and "1.1" are distinct levels.
NUMBERED_STYLES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("markdown", re.compile(r"(#{1,6})\s+\S")),
    ("part", re.compile(r"제\s*\d{1,3}\s*[편장관절]\s*\S")),  # Korean statutes, terms and rulebooks
    ("article", re.compile(r"제\s*\d{1,3}\s*조(?:의\s*\d+)?\s*\S")),
    ("decimal", re.compile(r"(\d{1,2}(?:\.\d{1,2})+\.?|\d{1,2}\.)\s+\S")),
    ("roman", re.compile(r"([ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ]\.?|[IVX]{1,4}\.)\s+\S")),
    ("circled", re.compile(r"[①-⑳]\s*\S")),
    ("hangul", re.compile(r"[가나다라마바사아자차카타파하]\.\s+\S")),
    ("parenthesised", re.compile(r"\(\d{1,2}\)\s*\S")),
    ("half-paren", re.compile(r"\d{1,2}\)\s*\S")),
)
UNNUMBERED = "unnumbered"
PARENTHESISED = re.compile(r"[(\[（].*[)\]）]")  # "(2019.3.19 개정)", "(단위: 억 원)": a note


@dataclass(frozen=True)
class _Line:
    start: int
    end: int
    text: str
    style: str | None  # None for a body line


def find_sections(
    text: str, structure: list[tuple[int, int, int]] | None = None, text_rules: bool = True
) -> list[Section]:
    """Non-empty body spans with their heading paths; text before the first heading has path "".

    `structure`: (start, end, level) of the headings the format itself marks, if it marks any.
    With `text_rules`, headings found by the text rules outside them nest below the deepest
    structural level (a PDF's font sizes give the chapters, numbering the clauses inside).
    """
    marked = [(start, end, level, " ".join(text[start:end].split())) for start, end, level in structure or []]
    found: list[tuple[int, int, int, str]] = []
    if text_rules or not marked:
        inside = {start for start, _, _, _ in marked}
        lines = [line for line in _lines(text) if line.start not in inside]
        levels = _style_levels(lines)
        below = max((level for _, _, level, _ in marked), default=0)
        found = [(h.start, h.end, below + levels[h.style], _title(h)) for h in _headings(lines, levels)]
    headings = sorted(marked + found)
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    body_start, path = 0, ""
    for start, end, level, title in headings:
        _append(sections, text, body_start, start, path)
        stack = [entry for entry in stack if entry[0] < level] + [(level, title)]
        body_start, path = end, PATH_SEPARATOR.join(name for _, name in stack)
    _append(sections, text, body_start, len(text), path)
    return sections


def _lines(text: str) -> list[_Line]:
    """Non-blank lines with offsets and heading styles.

    An unnumbered short line counts as heading-like only when it is its own paragraph (a wrapped
    line of a PDF paragraph is short too); a numbered one also inside a block, since PDF text
    and tables of contents put headings on consecutive lines. A numbered line next to a body
    line of the same numbering is an item of a list of sentences ("3. 계약자가 … 경우" between
    "2. … 지급합니다." and "4. … 지급합니다."), not a heading.
    """
    matches = list(re.finditer(r"[^\n]*\S[^\n]*", text))
    numbering = [_numbering(match.group().strip()) for match in matches]
    lines = []
    for i, match in enumerate(matches):
        start, end = match.span()
        style = _style(match.group().strip())
        alone = (start == 0 or text.endswith("\n\n", 0, start)) and (end == len(text) or text.startswith("\n\n", end))
        if style == UNNUMBERED and not alone:
            style = None
        neighbours = [j for j in (i - 1, i + 1) if 0 <= j < len(matches)]
        if style and style != UNNUMBERED and any(
            numbering[j] == style and _style(matches[j].group().strip()) is None for j in neighbours
        ):
            style = None
        lines.append(_Line(start, end, match.group(), style))
    return lines


def _style(line: str) -> str | None:
    """The heading style of a line, or None for body text."""
    if len(line) > HEADING_MAX_CHARS or SENTENCE_END.search(line) or not re.search(r"[^\W\d_]", line):
        return None
    return _numbering(line) or (None if PARENTHESISED.fullmatch(line) else UNNUMBERED)


def _numbering(line: str) -> str | None:
    """The numbering style a line starts with ("decimal-2", "hangul" …), whatever its length."""
    for name, pattern in NUMBERED_STYLES:
        match = pattern.match(line)
        if match:
            if name == "decimal":
                return f"decimal-{match.group(1).rstrip('.').count('.') + 1}"
            if name == "markdown":
                return f"markdown-{len(match.group(1))}"
            return name
    return None


def _style_levels(lines: list[_Line]) -> dict[str, int]:
    """Numbered styles ranked by first appearance; unnumbered headings below all of them."""
    order: list[str] = []
    for line in lines:
        if line.style and line.style != UNNUMBERED and line.style not in order:
            order.append(line.style)
    levels = {style: rank for rank, style in enumerate(order, start=1)}
    levels[UNNUMBERED] = len(order) + 1
    return levels


def _headings(lines: list[_Line], levels: dict[str, int]) -> list[_Line]:
    """Heading-like lines that really introduce body text (see the module docstring)."""
    headings: list[_Line] = []
    run: list[_Line] = []
    for line in lines:
        if line.style:
            run.append(line)
            continue
        chain: list[_Line] = []
        for candidate in reversed(run):
            if chain and levels[candidate.style] >= levels[chain[0].style]:
                break
            chain.insert(0, candidate)
        headings.extend(chain)
        run = []
    return headings


def _title(heading: _Line) -> str:
    return heading.text.strip().lstrip("#").strip()


def _append(sections: list[Section], text: str, start: int, end: int, path: str) -> None:
    """Add the span trimmed of surrounding whitespace, unless nothing is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        sections.append(Section(path=path, start=start, end=end))
