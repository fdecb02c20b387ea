"""Keep the subject: a quoted sentence that refers back ("이 회사는", "동사는", "그는", "it") gets the earlier
sentence naming what it refers to, so the answer says which company it means. A field, a market or a
product pointed at ("이 분야는 시장규모 자체가 크지 않고 …") is a subject too: the reader cannot tell
which field without the sentence before (round 7)."""
from __future__ import annotations

import re
from dataclasses import replace

from reportqa.ingest.types import Chunk
from reportqa.qa.cards import touching, union_chunk
from reportqa.qa.evidence import Candidate, SentenceTable

_CONNECTIVE = r"(또한|한편|특히|그리고|게다가|실제로|이후|현재|최근|이를 통해|이를 바탕으로|이에 따라|이로써)?\s*,?\s*"
_REFERS_BACK_KO = re.compile(
    "^" + _CONNECTIVE + r"((이|그|동|해당|같은)\s?(회사|기업|업체|곳|지역|도시|단체|기관|인물|분야|산업|제품|기술|사업|시장|과정|제도|정책|방식)(들)?|(이들|그들)(\s?(회사|기업|업체|곳|지역|도시))?|그녀?)(은|는|이|가|의|도|에서|에게|으로|로)\s"
    r"|^" + _CONNECTIVE + r"(同社|동사)"
)
_REFERS_BACK_EN = re.compile(r"^(it|its|they|their|he|his|she|her|the (company|firm|city|region)|this (company|firm|city|region)|these (firms|companies))\b", re.IGNORECASE)


def refers_back(sentence: str) -> bool:
    """Does the sentence open by pointing at something named before it?"""
    text = sentence.strip()
    return bool(_REFERS_BACK_KO.search(text) or _REFERS_BACK_EN.search(text))


def with_subject(candidate: Candidate, table: SentenceTable, look_back: int) -> Candidate:
    """The candidate, its span reaching back to the nearest earlier sentence (same paragraph, up to
    `look_back`) that names something specific — or to the sentence just before — when it refers back;
    cited from a chunk holding both (unchanged when none does)."""
    if not refers_back(table.text(candidate.position)):
        return candidate
    row = candidate.position
    same = [r for r in range(row - 1, max(row - look_back, 0) - 1, -1) if table.paragraph[r] == table.paragraph[row]]
    if not same:
        return candidate
    # The nearest earlier sentence naming something specific; else the one just before (a group
    # such as "이들" is named by a common noun: "GNT 기업").
    earlier = next((r for r in same if table.specific_names(r)), same[0])
    start = table.spans[earlier].start
    chunk = candidate.chunk if candidate.chunk.start <= start else chunk_holding(table, candidate, start)
    return candidate if chunk is None else replace(candidate, start=start, chunk=chunk)


def chunk_holding(table: SentenceTable, candidate: Candidate, start: int) -> Chunk | None:
    """The first chunk of the candidate's section holding [start, candidate.end) (a subject or a
    neighbour lies in the candidate's paragraph, so in its section); else the union of the
    section's chunks that cover it together, overlapping or apart by whitespace only (a subject
    sentence may end where the next chunk begins); None when text lies between them."""
    doc, end = candidate.chunk.doc_id, candidate.end
    chunks = table.section_chunks(doc, candidate.chunk.section)
    whole = next((c for c in chunks if c.start <= start and end <= c.end), None)
    if whole is not None:
        return whole
    text = table.documents[doc].text
    covering = sorted((c for c in chunks if c.start < end and start < c.end), key=lambda c: c.start)
    if not covering or covering[0].start > start:
        return None
    for before, after in zip(covering, covering[1:]):
        if not touching(before, after, text):
            return None
    return union_chunk(covering, table.documents[doc]) if max(c.end for c in covering) >= end else None


def moved_to(table: SentenceTable, candidate: Candidate, row: int) -> Candidate | None:
    """The candidate moved to another sentence of its document (keeping its scores), cited from its
    chunk when that holds the sentence, else from one that does (None when none does)."""
    span = table.spans[row]
    moved = replace(candidate, position=row, start=span.start, end=span.end)
    if candidate.chunk.start <= span.start and span.end <= candidate.chunk.end:
        return moved
    chunk = chunk_holding(table, moved, span.start)
    return None if chunk is None else replace(moved, chunk=chunk)
