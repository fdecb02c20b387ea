"""English question words → the Korean words of the retrieved passages they translate to.

An English question shares no morpheme with a Korean report, so the lexical overlap that picks the
sentence holding "경쟁력" among sentences about the same firms is lost. The multilingual embedding
model places a word near its translation, but single-word vectors share one large common direction
(any two lie at cosine ≈ 0.8). Centred on the passages' own vocabulary, an English word's nearest
Korean word is kept as its translation when it stands out: cosine at least `min_cosine` and `margin`
above the runner-up (`ChoiceWeights.bridge_cosine`, `bridge_margin`) ("competitiveness" → 경쟁력 0.50 against 0.26; "Germany" → 독일). Words that
translate to nothing clearly ("towel", "hydrogen") are left out rather than guessed. The thresholds lie
in the middle of a plateau measured on the bundled set's English questions (docs/how-it-works.md, "English questions").
"""
from __future__ import annotations

import re
from collections.abc import Callable, Collection

import numpy as np
from bm25s.stopwords import STOPWORDS_EN

# A capitalised word that does not open the question or a sentence: a name ("Germany", "Toyota").
_ENGLISH_NAME = re.compile(r"(?<!^)(?<![.?!] )\b[A-Z][a-z]+")
_ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")  # as written: "Germany" lies nearer 독일 than "germany"
_STOPWORDS = frozenset(STOPWORDS_EN)


class WordBridge:
    """Translates an English question's content words into Korean words of given passages; word vectors
    are cached (a chat asks about the same passages again)."""

    def __init__(self, embed: Callable[[list[str]], np.ndarray], cache_size: int = 50_000):
        self.embed = embed  # words → passage vectors (Searcher.embed_passages: thread-safe)
        self.cache_size = cache_size
        self._vectors: dict[str, np.ndarray] = {}

    def translations(self, question: str, korean_words: Collection[str], min_cosine: float, margin: float) -> dict[str, str]:
        """The question's English words that clearly translate to one of `korean_words`, with it."""
        english = [w for w in dict.fromkeys(_ENGLISH_WORD.findall(question)) if w.lower() not in _STOPWORDS]
        vocabulary = sorted(korean_words)
        if not english or len(vocabulary) < 2:
            return {}
        korean = self._embedded(vocabulary)
        centre = korean.mean(axis=0)
        korean = _unit(korean - centre)
        similarity = _unit(self._embedded(english) - centre) @ korean.T
        translated = {}
        for word, row in zip(english, similarity):
            second, first = np.argsort(row)[-2:]
            if row[first] >= min_cosine and row[first] - row[second] >= margin:
                translated[word] = vocabulary[first]
        return translated

    def _embedded(self, words: list[str]) -> np.ndarray:
        """The words' vectors, cached. A full cache is replaced, not cleared, so a chat answering in
        another thread keeps the dictionary it is reading."""
        cache = self._vectors
        missing = [w for w in words if w not in cache]
        if missing:
            fresh = dict(zip(missing, self.embed(missing)))
            if len(cache) + len(fresh) > self.cache_size:
                cache = {w: cache[w] for w in words if w in cache}
                self._vectors = cache
            cache.update(fresh)
        return np.array([cache[w] for w in words])


def names(question: str) -> list[str]:
    """The question's capitalised words that do not open it or a sentence: its names ("Germany")."""
    return _ENGLISH_NAME.findall(question)


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
