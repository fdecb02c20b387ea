"""FAISS over normalised embeddings: exact inner product while small, HNSW above a size."""
from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

# Below this many vectors an exact scan is both faster to build and fast enough to
# query (measured: see docs/benchmarks.md, "FAISS: exact or HNSW"); above it HNSW keeps queries sub-millisecond.
HNSW_THRESHOLD = 50_000
HNSW_NEIGHBOURS = 32
HNSW_EF_SEARCH = 128


def build_faiss(embeddings: np.ndarray, hnsw_threshold: int = HNSW_THRESHOLD) -> faiss.Index:
    """Inner-product index (cosine, as the embeddings are normalised)."""
    dim = embeddings.shape[1]
    if len(embeddings) < hnsw_threshold:
        index: faiss.Index = faiss.IndexFlatIP(dim)
    else:
        index = faiss.IndexHNSWFlat(dim, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = HNSW_EF_SEARCH
    index.add(np.ascontiguousarray(embeddings, dtype=np.float32))
    return index


class DenseIndex:
    """Chunk embeddings plus the FAISS index searched over them."""

    def __init__(self, embeddings: np.ndarray, index: faiss.Index):
        self.embeddings = embeddings
        self._index = index

    @classmethod
    def build(cls, embeddings: np.ndarray) -> DenseIndex:
        return cls(embeddings, build_faiss(embeddings))

    @property
    def kind(self) -> str:
        return "hnsw" if isinstance(self._index, faiss.IndexHNSWFlat) else "flat"

    @property
    def ntotal(self) -> int:
        """Vectors in the FAISS index (must equal the chunk count)."""
        return int(self._index.ntotal)

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path, embeddings: np.ndarray) -> DenseIndex:
        index = faiss.read_index(str(path))
        if isinstance(index, faiss.IndexHNSWFlat):
            index.hnsw.efSearch = HNSW_EF_SEARCH
        return cls(embeddings, index)

    def search(self, query: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Top `n` chunk positions and their cosine similarities."""
        n = min(n, self._index.ntotal)
        scores, ids = self._index.search(query.reshape(1, -1).astype(np.float32), n)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def similarity(self, query: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Exact cosine for given chunks (fusion needs dense scores of BM25's candidates too)."""
        return self.embeddings[positions] @ query
