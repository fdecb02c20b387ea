"""An answer as safe HTML: linked [n] markers, and source cards with the supporting sentence marked.

Everything from a document or a question is HTML-escaped here: the page renders this
markup as it is, so nothing a document holds may become markup or script.
"""
from __future__ import annotations

import html
import re
from itertools import groupby

from reportqa.ingest.types import Chunk, Document
from reportqa.qa.types import CITATION_MARKER, Answer, Citation

NO_SOURCES = "<p>The excerpts an answer cites appear here.</p>"
CONTEXT_CHARS = 300  # document text shown on each side of an excerpt in "Show in document"


def cite_id(turn: int, n: int) -> str:
    """Anchor of excerpt [n] of a turn: unique on the page, so older answers keep their links."""
    return f"cite-{turn}-{n}"


def answer_html(answer: Answer, turn: int) -> str:
    """The answer escaped, each valid [n] a link to its excerpt, then confidence and any notice."""
    linked = _linked_markers(html.escape(answer.text), turn, len(answer.citations))
    return _blocks(linked) + _meta_html(answer)


def _linked_markers(escaped: str, turn: int, count: int) -> str:
    def link(match: re.Match) -> str:
        n = int(match.group(1))
        return f'<a class="cite" href="#{cite_id(turn, n)}">[{n}]</a>' if 1 <= n <= count else match.group(0)

    return CITATION_MARKER.sub(link, escaped)


def _blocks(text: str) -> str:
    """Lines starting "- " become a list (how list answers are written), other lines paragraphs."""
    parts: list[str] = []
    for is_item, lines in groupby(text.splitlines(), key=lambda line: line.startswith("- ")):
        if is_item:
            parts.append("<ul>" + "".join(f"<li>{line[2:]}</li>" for line in lines) + "</ul>")
        else:
            parts.extend(f"<p>{line}</p>" for line in lines if line.strip())
    return "".join(parts)


def _meta_html(answer: Answer) -> str:
    facts = [f"confidence {answer.confidence:.0%}", "LLM answer" if answer.method == "llm" else "extractive answer"]
    if answer.query and answer.query != answer.question:
        facts.append(f"searched for “{html.escape(answer.query)}”")
    notice = f'<div class="answer-notice">{html.escape(answer.notice)}</div>' if answer.notice else ""
    return f'<div class="answer-meta">{" · ".join(facts)}</div>{notice}'


def sources_html(turns: list[Answer | None], documents: dict[str, Document]) -> str:
    """Every turn's excerpts, newest first and open; older turns folded, their links still land."""
    latest = len(turns)
    sections = [
        _turn_html(answer, turn, documents, turn == latest)
        for turn, answer in reversed(list(enumerate(turns, 1)))
        if answer is not None and answer.citations
    ]
    return "".join(sections) or NO_SOURCES


def _turn_html(answer: Answer, turn: int, documents: dict[str, Document], is_open: bool) -> str:
    cards = "".join(_citation_html(c, turn, documents[c.chunk.doc_id].text) for c in answer.citations)
    summary = f"Sources for “{html.escape(answer.question)}”"
    return f'<details class="turn"{" open" if is_open else ""}><summary>{summary}</summary>{cards}</details>'


def _citation_html(citation: Citation, turn: int, document_text: str) -> str:
    return (
        f'<div class="source" id="{cite_id(turn, citation.n)}">'
        f'<div class="source-head"><span class="source-n">[{citation.n}]</span>{_location(citation.chunk)}</div>'
        f'<div class="excerpt">{_marked(citation.chunk.text, citation.highlights)}</div>'
        '<details class="in-document"><summary>Show in document</summary>'
        f"{_context_html(citation, document_text)}</details>"
        "</div>"
    )


def _location(chunk: Chunk) -> str:
    page = f" · p. {chunk.page}" if chunk.page is not None else ""
    scanned = f" · {chunk.scanned_note}" if chunk.scanned_note else ""
    return html.escape(chunk.heading or chunk.doc_id) + page + scanned


def _marked(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` escaped, with every supporting sentence span (sorted, disjoint) in <mark>."""
    parts, cursor = [], 0
    for start, end in spans:
        start = max(start, cursor)
        parts.append(f"{html.escape(text[cursor:start])}<mark>{html.escape(text[start:end])}</mark>")
        cursor = max(cursor, end)
    return "".join(parts) + html.escape(text[cursor:])


def _context_html(citation: Citation, document_text: str) -> str:
    """The excerpt inside CONTEXT_CHARS of cleaned document text on each side."""
    chunk = citation.chunk
    start, end = max(0, chunk.start - CONTEXT_CHARS), min(len(document_text), chunk.end + CONTEXT_CHARS)
    before = ("…" if start > 0 else "") + html.escape(document_text[start : chunk.start])
    after = html.escape(document_text[chunk.end : end]) + ("…" if end < len(document_text) else "")
    excerpt = f'<span class="excerpt-in-doc">{_marked(chunk.text, citation.highlights)}</span>'
    return f'<div class="context">{before}{excerpt}{after}</div>'
