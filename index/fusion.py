"""Query-aware fusion of dense and BM25 scores, and the section lift.

The dense score of a chunk mixes its own cosine with that of its best sentence
(a precise sentence match should not be diluted by the rest of the chunk).
Scores of the two methods live on different scales, so each is turned into a
z-score over the candidate set and the two are mixed convexly. The BM25 weight
grows with the share of the question's morphemes the corpus contains: an English
question over Korean text gets a pure dense ranking, a Korean question gains
BM25's precision. A section whose chunks score high then lifts its siblings,
so passages that sit under a relevant heading but never repeat its words rise.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from reportqa.errors import InvalidConfig


@dataclass(frozen=True)
class FusionConfig:
    """Tuned on eval/questions.jsonl and KorQuAD together (README "Fusion")."""

    bm25_weight: float = 0.5  # BM25 share for a question whose morphemes all occur in the corpus
    sentence_weight: float = 0.3  # share of a chunk's dense score taken from its best sentence
    section_lift: float = 0.5  # how far a chunk is pulled towards its section's best score
    candidates: int = 100  # per method, before fusion

    def __post_init__(self) -> None:
        if not 0.0 <= self.bm25_weight <= 1.0:
            raise InvalidConfig("bm25_weight must lie in [0, 1]")
        if not 0.0 <= self.sentence_weight <= 1.0:
            raise InvalidConfig("sentence_weight must lie in [0, 1]")
        if not 0.0 <= self.section_lift <= 1.0:
            raise InvalidConfig("section_lift must lie in [0, 1]")
        if self.candidates < 1:
            raise InvalidConfig("candidates must be positive")


def zscore(scores: np.ndarray) -> np.ndarray:
    """Standardise; a constant score list (no signal) becomes all zeros."""
    std = float(scores.std())
    if std < 1e-9:
        return np.zeros_like(scores, dtype=np.float32)
    return ((scores - scores.mean()) / std).astype(np.float32)


def fuse(dense: np.ndarray, bm25: np.ndarray, coverage: float, config: FusionConfig) -> np.ndarray:
    """Convex mix of z-scores, BM25 weighted by how much of the question it can see."""
    weight = config.bm25_weight * coverage
    return (1.0 - weight) * zscore(dense) + weight * zscore(bm25)


def lift_sections(scores: np.ndarray, sections: np.ndarray, lift: float) -> np.ndarray:
    """Pull each chunk towards its section's best score (sections: an id per chunk).

    `(1 - lift) * own + lift * best`: a section's best chunk keeps its score, its
    siblings rise with it, so the top hit never changes but a relevant section's
    other passages outrank stray matches elsewhere.
    """
    if lift == 0.0 or len(scores) == 0:
        return scores
    best = np.full(int(sections.max()) + 1, -np.inf, dtype=np.float32)
    np.maximum.at(best, sections, scores)
    return (1.0 - lift) * scores + lift * best[sections]
