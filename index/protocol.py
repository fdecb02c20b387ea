"""The few methods the searcher, answering and the build ask of a store, so the embedded files and a
search engine (Qdrant) are two implementations of one protocol and fusion stays in the searcher.

A chunk is named by its position: an integer that orders the index (documents in build order, text
order within one). The files number their chunks 0…n-1; Qdrant uses its point ids, so a question
fetches what it needs by id and no process holds a copy of the collection.
"""
from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
from reportqa.ingest.types import Chunk, Document, SentenceSpan

if TYPE_CHECKING:
    from pathlib import Path

    from reportqa.index.fusion import SectionShape
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

    def refresh(self) -> None:
        """See documents another process added or removed since this view was opened."""
        ...

    def chunks(self, positions: np.ndarray) -> list[Chunk]:
        """The chunks at these positions, in order."""
        ...

    def first_positions(self, n: int) -> np.ndarray:
        """The first `n` chunks in index order (what a ranking of zero scores lists first)."""
        ...

    def positions_of(self, doc_ids: Collection[str]) -> np.ndarray:
        """Every chunk of these documents, in index order."""
        ...

    def sections(self, positions: np.ndarray) -> list[SectionShape]:
        """The section each of these chunks sits in, as the section lift reads it."""
        ...

    def best_sentences(self, vector: np.ndarray, positions: np.ndarray) -> np.ndarray | None:
        """Per chunk, the cosine of its best sentence to `vector` (NaN without sentences); None when
        the index holds no sentence vectors."""
        ...

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


@dataclass(frozen=True)
class DocumentSentences:
    """A document as answering reads it: its text and sections, and its sentences' spans in text order."""

    document: Document
    spans: list[tuple[int, int]]


class Evidence(Protocol):
    """What answering reads beyond the hits, asked for the documents a question touches only.

    The embedded files answer from memory; Qdrant fetches by id and filter, a bounded number of
    points per question, so an app server holds no copy of the archive."""

    common_names: frozenset[str]  # names too common in the index to name a particular thing (index/names.py)

    def documents(self, doc_ids: Collection[str]) -> dict[str, DocumentSentences]:
        """The documents asked for (those the index holds), with their sentences."""
        ...

    def sentence_vectors(self, spans: Sequence[SentenceSpan]) -> tuple[np.ndarray, np.ndarray | None]:
        """Per sentence, its vector and its context window's (None when not indexed)."""
        ...

    def chunk_vectors(self, chunks: Sequence[Chunk]) -> np.ndarray | None:
        """The embeddings of the chunks the index holds, in order (None when the store keeps none)."""
        ...

    def section_chunks(self, doc_id: str, section: str) -> list[Chunk]:
        """Every chunk of one section of a document, in text order."""
        ...

    def mentions(self, name: str) -> bool:
        """Does the (squeezed, index/names.py) name occur in some document's title or text?"""
        ...


class IndexReader(ChunkStore, Evidence, Protocol):
    """A store searched and answered from: what a `Searcher` holds."""
