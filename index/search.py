"""Search an index in one of three modes; hybrid is the default users get."""
from __future__ import annotations

from collections.abc import Collection

import numpy as np
from reportqa.errors import EmptyQuestion, ReportQAError
from reportqa.index.embedder import Embedder
from reportqa.index.fusion import FusionConfig, fuse, lift_sections
from reportqa.index.store import IndexData
from reportqa.index.types import MODES, Hit, Mode


class Searcher:
    """A loaded index and the model that embeds questions for it."""

    def __init__(self, data: IndexData, embedder: Embedder, fusion: FusionConfig = FusionConfig()):
        self.data = data
        self.embedder = embedder
        self.fusion = fusion
        keys = [(c.doc_id, c.section) for c in data.chunks]
        ids = {key: i for i, key in enumerate(dict.fromkeys(keys))}
        self._section_ids = np.array([ids[key] for key in keys], dtype=np.int64)
        self._sentence_ranges = _sentence_ranges(data)
        self._doc_ids = np.array([c.doc_id for c in data.chunks], dtype=object)

    def search(self, question: str, k: int = 5, mode: Mode = "hybrid", docs: Collection[str] | None = None) -> list[Hit]:
        return self.search_many([question], k=k, mode=mode, docs=docs)[0]

    def search_many(
        self, questions: list[str], k: int = 5, mode: Mode = "hybrid", docs: Collection[str] | None = None
    ) -> list[list[Hit]]:
        """Batch search: questions are embedded together, then ranked one by one (within `docs`, if given)."""
        if mode not in MODES:
            raise ReportQAError(f"unknown search mode {mode!r}; choose one of {', '.join(MODES)}")
        if k < 1:
            raise ReportQAError("k must be at least 1")
        for question in questions:
            if not question or not question.strip():
                raise EmptyQuestion()
        vectors = self.embedder.embed_queries(questions) if mode != "bm25" else None
        return [
            self.rank(q, None if vectors is None else vectors[i], k, mode, docs) for i, q in enumerate(questions)
        ]

    def rank(
        self, question: str, vector: np.ndarray | None, k: int, mode: Mode = "hybrid", docs: Collection[str] | None = None
    ) -> list[Hit]:
        """Rank with an already embedded question (answering reuses the vector for sentences).

        With `docs`, only chunks of those documents compete: every one of them is a candidate
        (a chosen document may be small beside the rest of the index).
        """
        n = self.fusion.candidates
        allowed = None if docs is None else np.flatnonzero(np.isin(self._doc_ids, list(docs)))
        if mode == "dense":
            if allowed is not None:
                scores = self.data.dense.similarity(vector, allowed)
                return self._hits(allowed, scores, {"dense": scores}, k)
            positions, scores = self.data.dense.search(vector, max(n, k))
            return self._hits(positions, scores, {"dense": scores}, k)
        tokens = self.data.bm25.tokenize(question)
        bm25_all = self.data.bm25.scores(tokens)
        if mode == "bm25":
            # Only chunks sharing a morpheme with the question: a zero score is no match, not a rank.
            pool = np.arange(len(bm25_all)) if allowed is None else allowed
            positions = pool[np.argsort(-bm25_all[pool], kind="stable")[: max(n, k)]]
            positions = positions[bm25_all[positions] > 0]
            return self._hits(positions, bm25_all[positions], {"bm25": bm25_all[positions]}, k)
        positions = self._candidates(vector, bm25_all, n) if allowed is None else allowed
        dense = self._dense_with_sentences(vector, positions)
        bm25 = bm25_all[positions]
        coverage = self.data.bm25.coverage(tokens)
        fused = fuse(dense, bm25, coverage, self.fusion)
        final = lift_sections(fused, self._section_ids[positions], self.fusion.section_lift)
        return self._hits(positions, final, {"dense": dense, "bm25": bm25, "fused": fused}, k)

    def _dense_with_sentences(self, vector: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Chunk cosine mixed with the cosine of the chunk's best sentence (when sentences are indexed)."""
        dense = self.data.dense.similarity(vector, positions)
        weight = self.fusion.sentence_weight
        if self.data.sentence_embeddings is None or weight == 0.0:
            return dense
        sentence_scores = self.data.sentence_embeddings @ vector
        best = np.array(
            [sentence_scores[lo:hi].max() if hi > lo else dense[i] for i, (lo, hi) in enumerate(self._sentence_ranges[positions])],
            dtype=np.float32,
        )
        return (1.0 - weight) * dense + weight * best

    def _candidates(self, vector: np.ndarray, bm25_all: np.ndarray, n: int) -> np.ndarray:
        """Top-n of each method plus every sibling of their sections (so the lift can reach them)."""
        dense_top, _ = self.data.dense.search(vector, n)
        bm25_top = np.argsort(-bm25_all, kind="stable")[:n]
        seeds = np.union1d(dense_top, bm25_top)
        sections = np.unique(self._section_ids[seeds])
        siblings = np.flatnonzero(np.isin(self._section_ids, sections))
        return np.union1d(seeds, siblings)

    def _hits(self, positions: np.ndarray, scores: np.ndarray, signals: dict[str, np.ndarray], k: int) -> list[Hit]:
        order = np.argsort(-scores, kind="stable")[:k]
        return [
            Hit(
                rank=rank + 1,
                score=float(scores[i]),
                chunk=self.data.chunks[int(positions[i])],
                signals={name: float(values[i]) for name, values in signals.items()},
            )
            for rank, i in enumerate(order)
        ]


def _sentence_ranges(data: IndexData) -> np.ndarray:
    """For each chunk, the [lo, hi) positions of the sentences overlapping it.

    Sentences are stored per document in text order, so a chunk's sentences are contiguous.
    """
    ranges = np.zeros((len(data.chunks), 2), dtype=np.int64)
    if not data.sentences:
        return ranges
    rows_by_doc: dict[str, list[int]] = {}
    for row, sentence in enumerate(data.sentences):
        rows_by_doc.setdefault(sentence.doc_id, []).append(row)
    by_doc: dict[str, tuple[int, np.ndarray, np.ndarray]] = {}
    for doc_id, rows in rows_by_doc.items():
        starts = np.array([data.sentences[i].start for i in rows])
        ends = np.array([data.sentences[i].end for i in rows])
        by_doc[doc_id] = (rows[0], starts, ends)
    for i, chunk in enumerate(data.chunks):
        if chunk.doc_id not in by_doc:
            continue
        first, starts, ends = by_doc[chunk.doc_id]
        lo = int(np.searchsorted(ends, chunk.start, side="right"))
        hi = int(np.searchsorted(starts, chunk.end, side="left"))
        ranges[i] = (first + lo, first + hi)
    return ranges
