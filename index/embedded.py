"""The default store: FAISS and bm25s files in the data home, searched in this process."""
from __future__ import annotations

import numpy as np
from reportqa.errors import IndexMissing
from reportqa.index.store import IndexData, Manifest
from reportqa.ingest.types import Chunk


def section_ids(chunks: list[Chunk]) -> np.ndarray:
    """A small integer per (document, section), one per chunk: what the section lift groups by."""
    keys = [(c.doc_id, c.section) for c in chunks]
    ids = {key: i for i, key in enumerate(dict.fromkeys(keys))}
    return np.array([ids[key] for key in keys], dtype=np.int64)


class EmbeddedStore:
    """`ChunkStore` over a loaded `IndexData`; BM25 scores the whole index once per question."""

    def __init__(self, data: IndexData):
        if data.dense is None or data.bm25 is None:
            raise IndexMissing("this index is served by a search engine, not by local files")
        self.manifest: Manifest = data.manifest
        self._dense = data.dense
        self._bm25 = data.bm25
        self._section_ids = section_ids(data.chunks)
        self._last: tuple[tuple[str, ...], np.ndarray] | None = None

    def _bm25_all(self, tokens: list[str]) -> np.ndarray:
        """Scores of every chunk; remembered for the question, whose top-n and candidates both need them."""
        key = tuple(tokens)
        last = self._last
        if last is None or last[0] != key:
            last = (key, self._bm25.scores(tokens))
            self._last = last
        return last[1]

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
