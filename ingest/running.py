"""Running headers, footers and page numbers: found by position and repetition, not by content.

A line is page furniture when it stands among the first or last few lines of a page and
either looks like a page number ("3", "- 3 -", "3 / 12", "Page 3", "3쪽") or, with its digits
normalised, recurs at that end of most pages (a report title over every page, "기관명 | 2024").
"""
from __future__ import annotations

import re
from collections import Counter

EDGE_LINES = 2  # how deep into the top and bottom of a page furniture may sit
MIN_PAGES = 3  # repetition means something only over this many pages
MOST = 0.5  # a line recurring at the same edge of more than this share of pages is furniture
PAGE_NUMBER = re.compile(
    r"[-–—(\[]?\s*(?:page|p\.|페이지)?\s*\d{1,4}\s*(?:/\s*\d{1,4}|of\s+\d{1,4}|쪽|페이지)?\s*[-–—)\]]?",
    re.IGNORECASE,
)
DIGITS = re.compile(r"\d+")


def furniture(pages: list[list[str]]) -> set[tuple[int, int]]:
    """(page, line) positions of running headers, footers and page numbers in `pages` of lines."""
    edges = [_edge_positions(lines) for lines in pages]
    top_counts = Counter(key for page, (top, _) in enumerate(edges) for key in {_key(pages[page][i]) for i in top})
    bottom_counts = Counter(key for page, (_, bottom) in enumerate(edges) for key in {_key(pages[page][i]) for i in bottom})
    repeated = len(pages) >= MIN_PAGES
    found: set[tuple[int, int]] = set()
    for page, (top, bottom) in enumerate(edges):
        for positions, counts in ((top, top_counts), (bottom, bottom_counts)):
            for i in positions:
                line = pages[page][i].strip()
                if PAGE_NUMBER.fullmatch(line) or (repeated and counts[_key(line)] > MOST * len(pages)):
                    found.add((page, i))
    return found


def _edge_positions(lines: list[str]) -> tuple[list[int], list[int]]:
    """Indices of the first and last EDGE_LINES non-blank lines of a page."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return filled[:EDGE_LINES], filled[-EDGE_LINES:]


def _key(line: str) -> str:
    """Digits normalised, so "2024 보고서 3" and "2024 보고서 4" are the same running line."""
    return DIGITS.sub("#", " ".join(line.split()))
