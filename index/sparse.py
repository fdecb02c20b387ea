"""Kiwi morphemes as sparse vectors, so a search engine's BM25 ranks like the embedded bm25s index.

BM25 (Lucene variant, as bm25s computes it) is a sum over the question's morphemes of
idf(term) x tf / (tf + k1 * (1 - b + b * length / mean length)). The document side of that product
is fixed at indexing time and becomes the sparse vector's value; the engine multiplies in the IDF
(Qdrant's `Modifier.IDF` uses the same ln(1 + (N - df + 0.5) / (df + 0.5))) and the query side is
the morpheme's count in the question, as bm25s counts a repeated morpheme twice.

Term ids are a 32-bit hash of the morpheme, so no vocabulary has to be kept in step between
machines; with 10^5 distinct morphemes about one pair collides (birthday bound), merging their counts.
"""
from __future__ import annotations

import hashlib
from collections import Counter

K1 = 1.5  # bm25s defaults, as the embedded index uses them
B = 0.75


def term_id(term: str) -> int:
    return int.from_bytes(hashlib.blake2b(term.encode(), digest_size=4).digest(), "little")


def document_vector(tokens: list[str], mean_length: float) -> tuple[list[int], list[float]]:
    """(indices, values) of one chunk: BM25's length-normalised term frequency per morpheme."""
    counts = Counter(term_id(t) for t in tokens)
    norm = K1 * (1 - B + B * len(tokens) / mean_length) if mean_length > 0 else K1
    indices = sorted(counts)
    return indices, [counts[i] / (counts[i] + norm) for i in indices]


def query_vector(tokens: list[str]) -> tuple[list[int], list[float]]:
    """(indices, values) of a question: each morpheme's count."""
    counts = Counter(term_id(t) for t in tokens)
    indices = sorted(counts)
    return indices, [float(counts[i]) for i in indices]
