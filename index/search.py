"""Search an index in one of three modes; hybrid is the default users get."""
from __future__ import annotations

import threading
from collections.abc import Collection

import numpy as np
from reportqa import limits
from reportqa.index.embedded import EmbeddedStore
from reportqa.index.embedder import Embedder
from reportqa.index.fusion import FusionConfig, fuse, lift_sections
from reportqa.index.protocol import IndexReader
from reportqa.index.store import IndexData
from reportqa.index.tokenize import bm25_tokens
from reportqa.index.types import Hit
from reportqa.limits import Mode


class Searcher:
    """An index's store, which finds, scores and fetches its chunks, and the model that embeds questions for it.

    `store`: the embedded files (`data`, loaded in memory) by default, or a search engine holding the
    same index (then `data` is None). Search and answering ask the store only; `data` is for the lab.
    """

    def __init__(
        self, data: IndexData | None, embedder: Embedder, fusion: FusionConfig = FusionConfig(), store: IndexReader | None = None
    ):
        self.data = data
        self.embedder = embedder
        self.fusion = fusion
        if store is None:
            assert data is not None, "a Searcher needs loaded files or a store"
            store = EmbeddedStore(data)
        self.store: IndexReader = store
        self._embed_lock = threading.Lock()

    def search(self, question: str, k: int = 5, mode: Mode = "hybrid", docs: Collection[str] | None = None) -> list[Hit]:
        return self.search_many([question], k=k, mode=mode, docs=docs)[0]

    def search_many(
        self, questions: list[str], k: int = 5, mode: Mode = "hybrid", docs: Collection[str] | None = None
    ) -> list[list[Hit]]:
        """Batch search: questions are embedded together, then ranked one by one (within `docs`, if given)."""
        mode = limits.mode(mode)
        k = limits.k(k)
        questions = [limits.question(q) for q in questions]
        vectors = self.embed(questions) if mode != "bm25" else None
        return [
            self.rank(q, None if vectors is None else vectors[i], k, mode, docs) for i, q in enumerate(questions)
        ]

    def embed(self, texts: list[str]) -> np.ndarray:
        """Query vectors; one thread at a time, as the tokenizer keeps per-call state (chats share a searcher)."""
        with self._embed_lock:
            return self.embedder.embed_queries(texts)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Passage vectors (e.g. single words, qa/bridge.py), under the same lock as `embed`."""
        with self._embed_lock:
            return self.embedder.embed_passages(texts)

    def rank(
        self,
        question: str,
        vector: np.ndarray | None,
        k: int,
        mode: Mode = "hybrid",
        docs: Collection[str] | None = None,
        tokens: list[str] | None = None,
    ) -> list[Hit]:
        """Rank with an already embedded question (answering reuses the vector for sentences) and,
        when given, its already read BM25 morphemes.

        With `docs`, only chunks of those documents compete: every one of them is a candidate
        (a chosen document may be small beside the rest of the index).
        """
        n = self.fusion.candidates
        self.store.refresh()
        allowed = None if docs is None else self.store.positions_of(docs)
        if mode == "dense":
            if allowed is not None:
                scores, _ = self.store.scores(vector, [], allowed)
                return self._hits(allowed, scores, {"dense": scores}, k)
            positions, scores = self.store.dense_top(vector, max(n, k))
            return self._hits(positions, scores, {"dense": scores}, k)
        tokens = bm25_tokens(question) if tokens is None else tokens
        if mode == "bm25":
            # Only chunks sharing a morpheme with the question: a zero score is no match, not a rank.
            if allowed is None:
                positions, scores = self.store.bm25_top(tokens, max(n, k))
            else:
                _, pool = self.store.scores(None, tokens, allowed)
                order = np.argsort(-pool, kind="stable")[: max(n, k)]
                order = order[pool[order] > 0]
                positions, scores = allowed[order], pool[order]
            return self._hits(positions, scores, {"bm25": scores}, k)
        positions = self._candidates(vector, tokens, n) if allowed is None else allowed
        chunk_dense, bm25 = self.store.scores(vector, tokens, positions)
        dense = self._with_sentences(chunk_dense, vector, positions)
        fused = fuse(dense, bm25, self.store.coverage(tokens), self.fusion)
        shapes = self.store.sections(positions)
        sections = np.array([shape.section for shape in shapes], dtype=np.int64)
        liftable = np.array([shape.liftable(self.fusion.section_max_share) for shape in shapes], dtype=bool)
        final = lift_sections(fused, sections, liftable, self.fusion.section_lift)
        return self._hits(positions, final, {"dense": dense, "bm25": bm25, "fused": fused}, k)

    def _with_sentences(self, dense: np.ndarray, vector: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Chunk cosine mixed with the cosine of the chunk's best sentence (when sentences are indexed)."""
        weight = self.fusion.sentence_weight
        best = self.store.best_sentences(vector, positions) if weight else None
        if best is None:
            return dense
        return (1.0 - weight) * dense + weight * np.where(np.isnan(best), dense, best).astype(np.float32)

    def _candidates(self, vector: np.ndarray, tokens: list[str], n: int) -> np.ndarray:
        """Top-n of each method plus every sibling of their real sections (so the lift can reach them).

        When fewer than n chunks share a morpheme, BM25's list is filled up with unmatched chunks in
        index order, as a full ranking of zero scores lists them.
        """
        dense_top, _ = self.store.dense_top(vector, n)
        bm25_top, _ = self.store.bm25_top(tokens, n)
        if len(bm25_top) < n:
            unmatched = np.setdiff1d(self.store.first_positions(n + len(bm25_top)), bm25_top)
            bm25_top = np.concatenate([bm25_top, unmatched[: n - len(bm25_top)]])
        seeds = np.union1d(dense_top, bm25_top)
        lifted = seeds[[shape.liftable(self.fusion.section_max_share) for shape in self.store.sections(seeds)]]
        return np.union1d(seeds, self.store.section_members(lifted)) if len(lifted) else seeds

    def _hits(self, positions: np.ndarray, scores: np.ndarray, signals: dict[str, np.ndarray], k: int) -> list[Hit]:
        order = np.argsort(-scores, kind="stable")[:k]
        chunks = self.store.chunks(positions[order])
        return [
            Hit(rank=rank + 1, score=float(scores[i]), chunk=chunk, signals={name: float(values[i]) for name, values in signals.items()})
            for rank, (i, chunk) in enumerate(zip(order, chunks))
        ]

