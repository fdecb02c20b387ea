"""The few methods the searcher and the build ask of a store, so the embedded files and a search
engine (Qdrant) are two implementations of one protocol and fusion stays in the searcher.

A chunk is named by its position in the loaded index (`IndexData.chunks`), the list answering
reads; each store maps its own ids (FAISS rows, Qdrant points) onto those positions.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
from reportqa.ingest.types import Chunk, Document, SentenceSpan

if TYPE_CHECKING:
    from pathlib import Path

    from reportqa.index.store import Manifest


def indexed_text(chunk: Chunk) -> str:
    """Heading + text: the section path is searchable but never part of the cited excerpt."""
    return f"{chunk.heading}\n{chunk.text}" if chunk.heading else chunk.text


@dataclass
class DocumentParts:
    """One document as a writer stores it: chunks and sentences with their vectors."""

    document: Document
    chunks: list[Chunk]
    embeddings: np.ndarray
    sentences: list[SentenceSpan]
    sentence_embeddings: np.ndarray | None
    context_embeddings: np.ndarray | None = None  # per sentence, its context window's vector (`index/build.py: window_rows`)


class ChunkStore(Protocol):
    """Read side: the candidates and scores hybrid search fuses."""

    manifest: Manifest

    def dense_top(self, vector: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Positions of the `n` chunks nearest the question vector, and their cosines."""
        ...

    def bm25_top(self, tokens: list[str], n: int) -> tuple[np.ndarray, np.ndarray]:
        """Positions and BM25 scores of the best `n` chunks sharing a morpheme with the question."""
        ...

    def scores(self, vector: np.ndarray | None, tokens: list[str], positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exact chunk cosine (0 without a vector: BM25 mode) and BM25 score (0 for no shared morpheme)."""
        ...

    def coverage(self, tokens: list[str]) -> float:
        """Share of the question's morphemes that occur in the indexed chunks at all."""
        ...

    def section_members(self, positions: np.ndarray) -> np.ndarray:
        """Every chunk in the sections of the given chunks (sorted positions)."""
        ...


class StoreWriter(Protocol):
    """Write side: a build replaces changed documents one at a time, then commits."""

    location: Path | str  # where the index lives, for the build report

    def stored(self) -> dict[str, str]:
        """doc_id -> sha256 of the documents already stored and reusable as they are."""
        ...

    def put(self, parts: DocumentParts) -> None:
        """Add or replace one document: its chunks, sentence vectors and BM25 terms."""
        ...

    def remove(self, doc_id: str) -> None:
        """Drop one document and everything indexed from it."""
        ...

    def commit(self, order: list[str], sources: list[str]) -> Manifest:
        """Make the index hold exactly the documents in `order` and go live; returns its manifest."""
        ...
