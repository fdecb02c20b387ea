"""What answering produces: a short answer whose sentences point at cited excerpts."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from reportqa.ingest.types import Chunk

CITATION_MARKER = re.compile(r"\[(\d+)\]")  # how an answer's sentence points at excerpt n


@dataclass(frozen=True)
class Citation:
    """Excerpt `[n]`: a chunk, and the span of the supporting sentence inside its text."""

    n: int
    chunk: Chunk
    highlight: tuple[int, int]  # offsets into chunk.text
    score: float
    also: tuple[tuple[int, int], ...] = ()  # further supporting spans when one card serves several sentences

    @property
    def highlights(self) -> list[tuple[int, int]]:
        """Every supporting span inside chunk.text, in text order."""
        return sorted([self.highlight, *self.also])

    @property
    def sentence(self) -> str:
        return self.chunk.text[self.highlight[0] : self.highlight[1]]

    @property
    def sentences(self) -> list[str]:
        return [self.chunk.text[s:e] for s, e in self.highlights]

    def document_spans(self) -> list[tuple[int, int]]:
        """The supporting spans as offsets into the cleaned document."""
        return [(self.chunk.start + s, self.chunk.start + e) for s, e in self.highlights]

    def to_dict(self) -> dict:
        return {
            "n": self.n,
            **self.chunk.public_dict(),
            "highlight": list(self.highlight),
            "highlights": [list(span) for span in self.highlights],
            "score": round(self.score, 6),
        }


@dataclass(frozen=True)
class Answer:
    """The reply to one question; `text` cites `citations` as [n]."""

    question: str
    text: str
    answerable: bool
    confidence: float
    citations: list[Citation] = field(default_factory=list)
    lang: str = "ko"
    method: str = "extractive"  # or "llm"
    notice: str | None = None  # e.g. why the LLM answer was replaced by the extractive one
    query: str | None = None  # the retrieval query, when a follow-up was resolved with context

    @property
    def quoted(self) -> list[str]:
        """The document sentences the answer quotes, in citation order (empty when it abstains)."""
        return [sentence for c in self.citations for sentence in c.sentences]

    def to_dict(self) -> dict:
        """The JSON shape of `reportqa ask --json`."""
        return {
            "question": self.question,
            "answer": self.text,
            "answerable": self.answerable,
            "confidence": round(self.confidence, 4),
            "citations": [c.to_dict() for c in self.citations],
            "method": self.method,
            "notice": self.notice,
        }
