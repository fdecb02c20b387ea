"""Context-window vectors pooled from the token states of their sentences' own forward passes.

Embedding every sentence and then every sentence's window (the sentence with its neighbours in
the paragraph) ran the model over each text about 3.5 times, the windows costing most. A window's
vector is instead the mean of its sentences' token states, each read in the sentence's own pass:
the token-weighted mean of the sentences' pooled tokens. Only attention across the sentence
boundary is lost; on the bundled report these windows keep a cosine of 0.985 to embedded ones.
"""
from __future__ import annotations

import numpy as np
from reportqa.index.onnx_embedder import SpanSums


def stacked(rows: list[SpanSums]) -> SpanSums:
    """One SpanSums of the spans of many texts, in order."""
    return SpanSums(np.vstack([r.sums for r in rows]), np.concatenate([r.counts for r in rows]))


def window_sums(sentences: SpanSums, windows: list[tuple[int, int]]) -> SpanSums:
    """Sums and counts of each window, given as the rows [first, last] of its sentences."""
    sums = np.stack([sentences.sums[a : b + 1].sum(axis=0) for a, b in windows]) if windows else sentences.sums[:0]
    counts = np.array([sentences.counts[a : b + 1].sum() for a, b in windows], dtype=np.int64)
    return SpanSums(sums, counts)


def unit_rows(sums: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1: the mean pooling's division by the count cancels out."""
    return (sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)).astype(np.float32)
