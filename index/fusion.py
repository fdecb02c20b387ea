"""Query-aware fusion of dense and BM25 scores, and the section lift.

The dense score of a chunk mixes its own cosine with that of its best sentence
(a precise sentence match should not be diluted by the rest of the chunk).
Scores of the two methods live on different scales, so each is turned into a
z-score over the candidate set and the two are mixed convexly. The BM25 weight is a
prior scaled by the share of the question's morphemes the corpus contains: an English
question over Korean text gets a pure dense ranking, a Korean one gains BM25's precision.
`sureness` can move the weight per question towards the retriever whose best candidate
stands further above its runners-up; swept on every set we have, it did not beat the
fixed prior, so it is off by default (docs/how-it-works.md, "Hybrid fusion"). A real section whose chunks
score high then lifts its siblings, so passages that sit under a relevant heading but
never repeat its words rise; a "section" that is no section (no heading, a running
header repeated over pages, most of its document) lifts nothing.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from reportqa.errors import InvalidConfig


@dataclass(frozen=True)
class FusionConfig:
    """Tuned on eval/questions.jsonl, KorQuAD paragraphs and KorQuAD articles together (docs/how-it-works.md, "Hybrid fusion")."""

    bm25_weight: float = 0.4  # prior BM25 share for a question whose morphemes all occur in the corpus
    sureness: float = 0.0  # exponent on each retriever's margin: 0 keeps the prior (chosen: docs/lab-notebook.md, the fusion sweep), higher trusts the surer side more
    margin_runners_up: int = 5  # a margin is the top z-score minus the mean of this many next ones
    sentence_weight: float = 0.3  # share of a chunk's dense score taken from its best sentence
    section_lift: float = 0.5  # how far a chunk is pulled towards its section's best score
    section_max_share: float = 0.5  # a "section" holding more of its document's chunks is the document
    candidates: int = 100  # per method, before fusion

    def __post_init__(self) -> None:
        for name in ("bm25_weight", "sentence_weight", "section_lift", "section_max_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise InvalidConfig(f"{name} must lie in [0, 1]")
        if self.sureness < 0.0:
            raise InvalidConfig("sureness must not be negative")
        if self.candidates < 1 or self.margin_runners_up < 1:
            raise InvalidConfig("candidates and margin_runners_up must be positive")


def zscore(scores: np.ndarray) -> np.ndarray:
    """Standardise; a constant score list (no signal) becomes all zeros."""
    std = float(scores.std())
    if std < 1e-9:
        return np.zeros_like(scores, dtype=np.float32)
    return ((scores - scores.mean()) / std).astype(np.float32)


def margin(z: np.ndarray, runners_up: int) -> float:
    """How far the best z-score stands above the mean of the next `runners_up`: a retriever's sureness."""
    if len(z) < 2:
        return 0.0
    top = np.sort(z)[::-1][: runners_up + 1]
    return float(top[0] - top[1:].mean())


def bm25_share(z_dense: np.ndarray, z_bm25: np.ndarray, coverage: float, config: FusionConfig) -> float:
    """The BM25 weight for one question: prior × coverage, moved towards the surer retriever.

    With margins m_b, m_d the prior odds p : (1 - p) become p·m_b^s : (1 - p)·m_d^s
    (s = `sureness`; s = 0 is the fixed prior).
    """
    prior = config.bm25_weight
    if config.sureness > 0.0:
        sure_bm25 = max(margin(z_bm25, config.margin_runners_up), 1e-6) ** config.sureness
        sure_dense = max(margin(z_dense, config.margin_runners_up), 1e-6) ** config.sureness
        prior = prior * sure_bm25 / (prior * sure_bm25 + (1.0 - prior) * sure_dense)
    return prior * coverage


def fuse(dense: np.ndarray, bm25: np.ndarray, coverage: float, config: FusionConfig) -> np.ndarray:
    """Convex mix of z-scores, BM25 weighted by its coverage of the question and relative sureness."""
    z_dense, z_bm25 = zscore(dense), zscore(bm25)
    weight = bm25_share(z_dense, z_bm25, coverage, config)
    return (1.0 - weight) * z_dense + weight * z_bm25


@dataclass(frozen=True)
class SectionShape:
    """A chunk's section as the lift sees it, known from its document alone (so a store computes it
    when the document is indexed): its id and whether it is a real section.

    A real section has a heading, holds at least two chunks in one contiguous run (a heading met
    again further on is a running header or a form's label, not an outline) and no more than
    `max_share` of its document's chunks (otherwise it is the document itself).
    """

    section: int  # position of the section's first chunk: the section's id
    chunks: int
    runs: int
    document_chunks: int
    headed: bool

    def liftable(self, max_share: float) -> bool:
        return self.headed and self.chunks >= 2 and self.runs == 1 and self.chunks <= max_share * self.document_chunks


def section_shapes(keys: Sequence[tuple[str, str]], positions: Sequence[int]) -> list[SectionShape]:
    """Per chunk (keys: its (doc_id, section path); positions: its position in the index, in text
    order), the shape of its section."""
    first: dict[tuple[str, str], int] = {}
    chunks: dict[tuple[str, str], int] = {}
    runs: dict[tuple[str, str], int] = {}
    per_doc: dict[str, int] = {}
    previous = None
    for key, position in zip(keys, positions):
        first.setdefault(key, position)
        chunks[key] = chunks.get(key, 0) + 1
        runs[key] = runs.get(key, 0) + (key != previous)
        per_doc[key[0]] = per_doc.get(key[0], 0) + 1
        previous = key
    return [SectionShape(first[key], chunks[key], runs[key], per_doc[key[0]], bool(key[1])) for key in keys]


def lift_sections(scores: np.ndarray, sections: np.ndarray, liftable: np.ndarray, lift: float) -> np.ndarray:
    """Pull each chunk of a real section towards its section's best score (sections: an id per chunk;
    liftable: per chunk, whether its section is real).

    `(1 - lift) * own + lift * best`: a section's best chunk keeps its score, its
    siblings rise with it, so the top hit never changes but a relevant section's
    other passages outrank stray matches elsewhere. Chunks of no real section keep their score.
    """
    if lift == 0.0 or len(scores) == 0:
        return scores
    distinct, group = np.unique(sections, return_inverse=True)
    best = np.full(len(distinct), -np.inf, dtype=np.float32)
    np.maximum.at(best, group, scores)
    lifted = (1.0 - lift) * scores + lift * best[group]
    return np.where(liftable, lifted, scores)
