"""Where a sentence sits: one place per paragraph, and whether it frames a section rather than answering.

A list answer gives one item per place that answers comparably well. A section's introduction
("이처럼 어려운 상황 가운데에서 …") and its closing summary announce or recap cases without being
one, so they never become items.
"""
from __future__ import annotations

import re

from reportqa.qa.evidence import Candidate, SentenceTable

# Openings that summarise what came before or announce what follows.
_FRAMING = re.compile(r"^\s*(이처럼|이와 같이|이와 같은|이렇듯|이상과 같이|이상에서|요컨대|결국|다음과 같|아래와 같|in short|in sum|overall|as (shown|seen) above)", re.IGNORECASE)
# Enumerated sentences ("첫째, …", "둘째, …") are places of their own, even within one paragraph.
_ENUMERATED = re.compile(r"^\s*(첫째|둘째|셋째|넷째|다섯째|여섯째|first(ly)?|second(ly)?|third(ly)?|fourth(ly)?|fifth(ly)?|[①-⑩])\b|^\s*(첫째|둘째|셋째|넷째|다섯째|여섯째)", re.IGNORECASE)


def frames(table: SentenceTable, row: int, min_paragraphs: int) -> bool:
    """Is the sentence a summary opening, or part of the introduction (first paragraph) of a section
    with at least `min_paragraphs` paragraphs?"""
    if _FRAMING.search(table.text(row)):
        return True
    span = table.spans[row]
    document = table.documents[span.doc_id]
    section = next((s for s in document.sections if s.start <= span.start < s.end), None)
    if section is None:
        return False
    paragraphs = sorted({table.paragraph[r] for r in table.rows_within(span.doc_id, section.start, section.end)})
    return len(paragraphs) >= min_paragraphs and table.paragraph[row] == paragraphs[0]


def best_per_place(candidates: list[Candidate], table: SentenceTable) -> list[Candidate]:
    """The best-chosen sentence of each paragraph (or enumerated item), best first (candidates come best first)."""
    seen: set[tuple[int, int]] = set()
    places = []
    for candidate in candidates:
        row = candidate.position
        place = (table.paragraph[row], row if _ENUMERATED.search(table.text(row)) else -1)
        if place not in seen:
            seen.add(place)
            places.append(candidate)
    return places


def enumeration_after(table: SentenceTable, row: int) -> list[int]:
    """The enumerated sentences ("첫째, …", "둘째, …") right after `row` in its paragraph, when two or
    more: the items a sentence announcing them ("4가지 유형으로 정리할 수 있다") stands for."""
    rows = []
    following = row + 1
    while following < len(table.paragraph) and table.paragraph[following] == table.paragraph[row] and _ENUMERATED.search(table.text(following)):
        rows.append(following)
        following += 1
    return rows if len(rows) >= 2 else []
