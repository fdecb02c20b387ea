"""BM25 over Kiwi morphemes (bm25s), plus how much of a question it can see at all."""
from __future__ import annotations

import logging
from pathlib import Path

import bm25s
import numpy as np
from reportqa.index.tokenize import bm25_tokens, bm25_tokens_many

# bm25s sets its own logger to DEBUG on import; keep its chatter out of users' terminals.
logging.getLogger("bm25s").setLevel(logging.WARNING)


class Bm25Index:
    """Lexical index over the indexed text of each chunk (heading + text)."""

    def __init__(self, retriever: bm25s.BM25):
        self._retriever = retriever
        self._vocab = set(retriever.vocab_dict)

    @classmethod
    def build(cls, texts: list[str]) -> Bm25Index:
        retriever = bm25s.BM25()  # Lucene variant, k1=1.5, b=0.75
        retriever.index(bm25_tokens_many(texts), show_progress=False)
        return cls(retriever)

    @property
    def n_docs(self) -> int:
        """Documents (chunks) indexed (must equal the chunk count)."""
        return int(self._retriever.scores["num_docs"])

    def save(self, folder: Path) -> None:
        self._retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> Bm25Index:
        return cls(bm25s.BM25.load(str(folder), show_progress=False))

    def scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every chunk for already tokenised query morphemes."""
        known = [t for t in tokens if t in self._vocab]
        if not known:
            return np.zeros(self._retriever.scores["num_docs"], dtype=np.float32)
        return np.asarray(self._retriever.get_scores(known), dtype=np.float32)

    def coverage(self, tokens: list[str]) -> float:
        """Share of the question's morphemes that occur in the corpus at all.

        An English question over Korean text scores 0 here: its BM25 ranking is noise
        and must not drag the dense ranking down.
        """
        if not tokens:
            return 0.0
        return sum(t in self._vocab for t in tokens) / len(tokens)

    @staticmethod
    def tokenize(question: str) -> list[str]:
        return bm25_tokens(question)
