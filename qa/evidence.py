"""Candidate sentences for an answer and how well each answers the question.

Sentence embeddings were computed at index time, so scoring a question's
candidates costs one matrix-vector product; Kiwi morphemes of every sentence are
computed once per loaded index for the lexical overlap Korean questions need.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
from reportqa.index.store import IndexData
from reportqa.index.tokenize import bm25_tokens_many
from reportqa.index.types import Hit
from reportqa.ingest.types import Chunk
from reportqa.qa.compose import holds_number

# A sentence's score: cosine to the question, plus this much per unit of
# lexical overlap (share of the question's morphemes the sentence contains).
LEXICAL_WEIGHT = 0.1
# A question asking for a quantity prefers sentences that hold a number by this much.
NUMBER_BONUS = 0.08


@dataclass(frozen=True)
class Candidate:
    """A sentence of the document, seen through the chunk that will be cited for it."""

    position: int  # row in the index's sentence table
    chunk: Chunk
    hit_rank: int
    start: int  # offsets into the cleaned document
    end: int
    score: float
    dense: float
    lexical: float

    @property
    def highlight(self) -> tuple[int, int]:
        """The sentence's span inside the chunk text."""
        return max(self.start, self.chunk.start) - self.chunk.start, min(self.end, self.chunk.end) - self.chunk.start

    @property
    def text(self) -> str:
        s, e = self.highlight
        return self.chunk.text[s:e].strip()


class SentenceTable:
    """The index's sentences, with their morphemes, looked up by chunk span."""

    def __init__(self, data: IndexData):
        if data.sentence_embeddings is None:
            raise ValueError("this index has no sentence embeddings; rebuild it with `reportqa index`")
        self.data = data
        self._rows_by_doc: dict[str, list[int]] = {}
        for row, span in enumerate(data.sentences):
            self._rows_by_doc.setdefault(span.doc_id, []).append(row)

    @cached_property
    def tokens(self) -> list[set[str]]:
        texts = [self.data.documents[s.doc_id].text[s.start : s.end] for s in self.data.sentences]
        return [set(t) for t in bm25_tokens_many(texts)]

    def rows_within(self, doc_id: str, start: int, end: int) -> list[int]:
        """Sentences overlapping [start, end) of a document, in text order."""
        return [r for r in self._rows_by_doc.get(doc_id, []) if self.data.sentences[r].start < end and self.data.sentences[r].end > start]

    def candidate(self, row: int, chunk: Chunk, hit_rank: int, vector: np.ndarray, wanted: set[str]) -> Candidate:
        """Score one sentence: cosine to the question plus lexical overlap."""
        span = self.data.sentences[row]
        dense = float(self.data.sentence_embeddings[row] @ vector)
        lexical = len(wanted & self.tokens[row]) / len(wanted) if wanted else 0.0
        return Candidate(row, chunk, hit_rank, span.start, span.end, dense + LEXICAL_WEIGHT * lexical, dense, lexical)

    def score(self, vector: np.ndarray, question_tokens: list[str], hits: list[Hit], wants_number: bool = False) -> list[Candidate]:
        """Every sentence of the hits' chunks, best first; a sentence in two chunks is cited from the better-ranked."""
        wanted = set(question_tokens)
        seen: dict[int, Candidate] = {}
        for hit in hits:
            for row in self.rows_within(hit.chunk.doc_id, hit.chunk.start, hit.chunk.end):
                if row not in seen:
                    seen[row] = self.candidate(row, hit.chunk, hit.rank, vector, wanted)
        candidates = seen.values()
        if wants_number:
            candidates = [replace(c, score=c.score + NUMBER_BONUS) if holds_number(c.text) else c for c in candidates]
        return sorted(candidates, key=lambda c: -c.score)
