"""Names in an index: which proper nouns are too common to name a particular thing, and whether a
question's name occurs in the documents at all. Both are corpus-wide facts, so a store answers them
(index/embedded.py from memory, index/qdrant_store.py from what its build stored) and answering
never reads the whole index for them.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from reportqa.ingest.korean import kiwi

NAME_TAGS = ("NNP", "SL", "SH", "SN")  # proper nouns, foreign words, hanja, numbers
# A name in more than this share of the index's sentences ("일본") names no particular thing.
COMMON_NAME_SHARE = 0.02


def names_of(tokens: Iterable) -> frozenset[str]:
    """The names among Kiwi tokens of one text, lower-cased."""
    return frozenset(t.form.lower() for t in tokens if t.tag in NAME_TAGS)


def name_counts(sentences: Sequence[str]) -> Counter[str]:
    """In how many of the sentences each name occurs: what `common_names` reads, kept per document."""
    return Counter(name for tokens in kiwi().tokenize(list(sentences)) for name in names_of(tokens))


def common_names(counts: Counter[str], n_sentences: int) -> frozenset[str]:
    """The names occurring in more than COMMON_NAME_SHARE of the sentences (and in more than two)."""
    limit = max(2.0, COMMON_NAME_SHARE * n_sentences)
    return frozenset(name for name, count in counts.items() if count > limit)


def squeezed(text: str) -> str:
    """Lower-cased, without whitespace and punctuation: names are compared however they are spaced
    or punctuated ("쇼 음악중심" is "쇼! 음악중심")."""
    return re.sub(r"[\W_]+", "", text).lower()


def searchable(title: str, text: str) -> str:
    """What a question's name is looked for in: the title counts (a document titled "용감한 형제" is
    about that name even where its text omits it)."""
    return squeezed(f"{title}\n{text}")
