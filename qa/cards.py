"""One source card per place: quoted sentences whose excerpts overlap or touch share one citation.

Overlapping chunks would otherwise show the same paragraph twice ([1] and [2]). Connected excerpts
of one section (overlapping, or apart by whitespace only) become one card spanning their union, with every supporting sentence highlighted;
cards are numbered in the order the answer first cites them.
"""
from __future__ import annotations

from reportqa.ingest.types import Chunk, Document
from reportqa.qa.evidence import Candidate
from reportqa.qa.types import Citation


def touching(a: Chunk, b: Chunk, text: str) -> bool:
    """Do two chunks of one document overlap, or lie apart by whitespace only (chunks end at sentence ends)?"""
    first, second = (a, b) if a.start <= b.start else (b, a)
    return a.doc_id == b.doc_id and not text[first.end : second.start].strip()


def _groups(chosen: list[Candidate], documents: dict[str, Document]) -> list[int]:
    """Per chosen sentence, the index of its group's first member (transitively connected excerpts)."""
    owner = list(range(len(chosen)))

    def root(i: int) -> int:
        while owner[i] != i:
            i = owner[i]
        return i

    for i in range(len(chosen)):
        for j in range(i):
            a, b = chosen[i].chunk, chosen[j].chunk
            if a.section == b.section and touching(a, b, documents[a.doc_id].text):
                owner[max(root(i), root(j))] = min(root(i), root(j))
    return [root(i) for i in range(len(chosen))]


def union_chunk(chunks: list[Chunk], document: Document) -> Chunk:
    """One excerpt spanning connected chunks of a document (the chunk itself when there is one)."""
    if len({c.id for c in chunks}) == 1:
        return chunks[0]
    first = min(chunks, key=lambda c: c.start)
    start, end = first.start, max(c.end for c in chunks)
    return Chunk(Chunk.make_id(first.doc_id, start, end), first.doc_id, first.title, first.section, start, end, document.text[start:end], first.page)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans in text order, overlapping ones joined (a subject brought in may overlap a quoted sentence)."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def cite(chosen: list[Candidate], documents: dict[str, Document]) -> tuple[list[Citation], list[int]]:
    """The citations (one per place, numbered by first use) and, per chosen sentence, its citation number."""
    groups = _groups(chosen, documents)
    order = list(dict.fromkeys(groups))
    citations = []
    for n, group in enumerate(order, 1):
        members = [c for c, g in zip(chosen, groups) if g == group]
        chunk = union_chunk([m.chunk for m in members], documents[members[0].chunk.doc_id])
        spans = [(max(m.start, chunk.start) - chunk.start, min(m.end, chunk.end) - chunk.start) for m in members]
        spans = _merged(spans)
        citations.append(Citation(n, chunk, spans[0], max(m.score for m in members), tuple(spans[1:])))
    return citations, [order.index(g) + 1 for g in groups]
