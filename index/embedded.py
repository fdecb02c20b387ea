"""The default store: FAISS and bm25s files in the data home, searched in this process."""
from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import cached_property

import numpy as np
from reportqa.errors import IndexMissing
from reportqa.index.fusion import SectionShape, section_shapes
from reportqa.index.names import common_names, name_counts, searchable
from reportqa.index.protocol import DocumentSentences
from reportqa.index.store import IndexData, Manifest
from reportqa.ingest.types import Chunk, SentenceSpan


class EmbeddedStore:
    """`ChunkStore` and `Evidence` over a loaded `IndexData`; BM25 scores the whole index once per question."""

    def __init__(self, data: IndexData):
        if data.dense is None or data.bm25 is None:
            raise IndexMissing("this index is served by a search engine, not by local files")
        self.manifest: Manifest = data.manifest
        self._data = data
        self._dense = data.dense
        self._bm25 = data.bm25
        self._shapes = section_shapes([(c.doc_id, c.section) for c in data.chunks], range(len(data.chunks)))
        self._section_ids = np.array([shape.section for shape in self._shapes], dtype=np.int64)
        self._doc_ids = np.array([c.doc_id for c in data.chunks], dtype=object)
        self._last: tuple[tuple[str, ...], np.ndarray] | None = None

    def _bm25_all(self, tokens: list[str]) -> np.ndarray:
        """Scores of every chunk; remembered for the question, whose top-n and candidates both need them."""
        key = tuple(tokens)
        last = self._last
        if last is None or last[0] != key:
            last = (key, self._bm25.scores(tokens))
            self._last = last
        return last[1]

    def refresh(self) -> None:
        """A loaded version of the files never changes (a new build is opened anew, index/documents.py)."""

    def chunks(self, positions: np.ndarray) -> list[Chunk]:
        return [self._data.chunks[int(p)] for p in positions]

    def first_positions(self, n: int) -> np.ndarray:
        return np.arange(min(n, len(self._data.chunks)))

    def positions_of(self, doc_ids: Collection[str]) -> np.ndarray:
        return np.flatnonzero(np.isin(self._doc_ids, list(doc_ids)))

    def sections(self, positions: np.ndarray) -> list[SectionShape]:
        return [self._shapes[int(p)] for p in positions]

    def best_sentences(self, vector: np.ndarray, positions: np.ndarray) -> np.ndarray | None:
        if self._data.sentence_embeddings is None:
            return None
        scores = self._data.sentence_embeddings @ vector
        return np.array([scores[lo:hi].max() if hi > lo else np.nan for lo, hi in self._sentence_ranges[positions]], dtype=np.float32)

    @cached_property
    def _sentence_ranges(self) -> np.ndarray:
        """For each chunk, the [lo, hi) rows of the sentences overlapping it (a document's sentences
        are stored in text order, so a chunk's are contiguous)."""
        data = self._data
        ranges = np.zeros((len(data.chunks), 2), dtype=np.int64)
        bounds = {
            doc_id: (rows[0], np.array([data.sentences[r].start for r in rows]), np.array([data.sentences[r].end for r in rows]))
            for doc_id, rows in self._rows.items()
        }
        for i, chunk in enumerate(data.chunks):
            if chunk.doc_id in bounds:
                first, starts, ends = bounds[chunk.doc_id]
                lo = int(np.searchsorted(ends, chunk.start, side="right"))
                hi = int(np.searchsorted(starts, chunk.end, side="left"))
                ranges[i] = (first + lo, first + hi)
        return ranges

    def dense_top(self, vector: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        return self._dense.search(vector, n)

    def bm25_top(self, tokens: list[str], n: int) -> tuple[np.ndarray, np.ndarray]:
        scores = self._bm25_all(tokens)
        positions = np.argsort(-scores, kind="stable")[:n]
        positions = positions[scores[positions] > 0]
        return positions, scores[positions]

    def scores(self, vector: np.ndarray | None, tokens: list[str], positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        dense = np.zeros(len(positions), dtype=np.float32) if vector is None else self._dense.similarity(vector, positions)
        return dense, self._bm25_all(tokens)[positions]

    def coverage(self, tokens: list[str]) -> float:
        return self._bm25.coverage(tokens)

    def section_members(self, positions: np.ndarray) -> np.ndarray:
        sections = np.unique(self._section_ids[positions])
        return np.flatnonzero(np.isin(self._section_ids, sections))

    @cached_property
    def _rows(self) -> dict[str, list[int]]:
        """doc_id -> its sentences' rows in the loaded table, in text order."""
        rows: dict[str, list[int]] = {}
        for row, span in enumerate(self._data.sentences):
            rows.setdefault(span.doc_id, []).append(row)
        return rows

    @cached_property
    def _chunk_rows(self) -> dict[str, int]:
        return {chunk.id: row for row, chunk in enumerate(self._data.chunks)}

    @cached_property
    def common_names(self) -> frozenset[str]:
        """Counted over every sentence once, when first asked (Kiwi reads the whole index)."""
        spans, documents = self._data.sentences, self._data.documents
        return common_names(name_counts([documents[s.doc_id].text[s.start : s.end] for s in spans]), len(spans))

    @cached_property
    def _searchable(self) -> list[str]:
        return [searchable(d.title, d.text) for d in self._data.documents.values()]

    @cached_property
    def _documents(self) -> dict[str, DocumentSentences]:
        spans = self._data.sentences
        return {d: DocumentSentences(document, [(spans[r].start, spans[r].end) for r in self._rows.get(d, [])]) for d, document in self._data.documents.items()}

    def documents(self, doc_ids: Collection[str]) -> dict[str, DocumentSentences]:
        return {d: self._documents[d] for d in doc_ids if d in self._documents}

    @cached_property
    def _sentence_rows(self) -> dict[SentenceSpan, int]:
        return {span: row for row, span in enumerate(self._data.sentences)}

    def sentence_vectors(self, spans: Sequence[SentenceSpan]) -> tuple[np.ndarray, np.ndarray | None]:
        if self._data.sentence_embeddings is None:
            raise IndexMissing("this index has no sentence embeddings; rebuild it with `reportqa index`")
        at = [self._sentence_rows[span] for span in spans]
        contexts = self._data.context_embeddings
        return self._data.sentence_embeddings[at], None if contexts is None else contexts[at]

    def chunk_vectors(self, chunks: Sequence[Chunk]) -> np.ndarray | None:
        embeddings = self._data.embeddings
        if embeddings is None:
            return None
        return embeddings[[self._chunk_rows[c.id] for c in chunks if c.id in self._chunk_rows]]

    @cached_property
    def _sections(self) -> dict[tuple[str, str], list[Chunk]]:
        sections: dict[tuple[str, str], list[Chunk]] = {}
        for chunk in self._data.chunks:
            sections.setdefault((chunk.doc_id, chunk.section), []).append(chunk)
        return sections

    def section_chunks(self, doc_id: str, section: str) -> list[Chunk]:
        return list(self._sections.get((doc_id, section), []))

    def mentions(self, name: str) -> bool:
        return any(name in text for text in self._searchable)
