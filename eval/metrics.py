"""Retrieval and answer metrics as plain functions over ranked texts and evidence quotes.

Conventions, chosen once here so every caller scores the same way:

- A retrieved passage is *relevant* when it holds (contains, whitespace normalised) at least one
  evidence quote of the question (`eval.questions.holds`). Relevance is binary.
- Ranks are 1-based. A question scores 0 on a rank metric when no retrieved passage is relevant.
- budget@N: the ranked passages are normalised (`eval.questions.normalise`) and joined with one
  space, in rank order. A quote counts when it lies *fully inside* the first N characters of
  that concatenation (an answerer that reads N characters sees the whole quote). The question
  counts when *any* of its quotes does, like hit@k.
- Metrics of a question with nothing to score (no quotes, no facts, no citations) are None, so
  averages skip them instead of counting them as 0 or 1.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from reportqa.eval.questions import holds, normalise


def relevance(texts: Sequence[str], evidence: Sequence[str]) -> list[bool]:
    """Per ranked passage: does it hold one of the quotes?"""
    return [any(holds(text, quote) for quote in evidence) for text in texts]


def first_relevant_rank(relevant: Sequence[bool]) -> int | None:
    """1-based rank of the first relevant passage, None when there is none."""
    return next((rank for rank, flag in enumerate(relevant, 1) if flag), None)


def hit_at_k(relevant: Sequence[bool], k: int) -> float:
    """1.0 when a relevant passage is among the first k."""
    return float(any(relevant[:k]))


def reciprocal_rank(relevant: Sequence[bool]) -> float:
    """1 / rank of the first relevant passage (0 when none): the per-question term of MRR."""
    rank = first_relevant_rank(relevant)
    return 0.0 if rank is None else 1.0 / rank


def quote_ranks(texts: Sequence[str], evidence: Sequence[str]) -> list[int | None]:
    """Per quote: the rank of the first passage that holds it (None when none does)."""
    return [first_relevant_rank([holds(text, quote) for text in texts]) for quote in evidence]


def recall_at_k(target_ranks: Sequence[int | None], k: int) -> float | None:
    """Share of targets (quotes, gold passages) first found at rank ≤ k; None without targets."""
    if not target_ranks:
        return None
    return sum(rank is not None and rank <= k for rank in target_ranks) / len(target_ranks)


def gold_recall_at_k(ranked_ids: Sequence[str], gold_ids: Sequence[str], k: int) -> float | None:
    """recall@k for a gold-passage benchmark: share of the gold passage ids among the first k ids."""
    return recall_at_k([first_relevant_rank([i == gold for i in ranked_ids]) for gold in gold_ids], k)


def ndcg_at_k(relevant: Sequence[bool], n_quotes: int, k: int = 10) -> float:
    """Binary nDCG@k.

    The number of relevant passages in the whole index is unknown to a chunking-agnostic set, so
    the ideal list puts max(number of quotes, relevant passages retrieved) relevant passages
    first: each quote needs at least one passage, and overlapping chunks may hold a quote twice.
    The result stays within [0, 1].
    """
    gains = [1.0 / math.log2(rank + 1) for rank, flag in enumerate(relevant[:k], 1) if flag]
    ideal_count = min(k, max(n_quotes, len(gains)))
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, ideal_count + 1))
    return sum(gains) / ideal if ideal else 0.0


def budget_hit(texts: Sequence[str], evidence: Sequence[str], budget: int = 1200) -> float:
    """1.0 when a quote ends within the first `budget` characters of the ranked texts joined.

    Texts are whitespace-normalised and joined by one space (see the module docstring).
    """
    quotes = [normalise(quote) for quote in evidence]
    offset = 0
    for text in texts:
        if offset >= budget:
            break
        passage = normalise(text)
        for quote in quotes:
            position = passage.find(quote)
            if position >= 0 and offset + position + len(quote) <= budget:
                return 1.0
        offset += len(passage) + 1
    return 0.0


def fact_coverage(answer_text: str, facts: Sequence[str]) -> float | None:
    """Share of answer facts the answer text contains; cited excerpts do not count (they are not the answer)."""
    if not facts:
        return None
    return sum(holds(answer_text, fact) for fact in facts) / len(facts)


def answer_accuracy(quoted: Sequence[str], evidence: Sequence[str], per_item: bool) -> float | None:
    """Do the answer's quoted sentences contain the evidence?

    A quote counts when one quoted sentence, or consecutive quoted sentences joined, hold it
    (whitespace normalised). With `per_item` (list questions, one quote per item) the score is the
    share of quotes held; otherwise 1.0 when any quote is. An abstention quotes nothing and scores 0.
    """
    if not evidence:
        return None
    joined = " ".join(quoted)
    held = [any(holds(sentence, quote) for sentence in quoted) or holds(joined, quote) for quote in evidence]
    return sum(held) / len(held) if per_item else float(any(held))


def precision(flags: Sequence[bool]) -> float | None:
    """Share of true flags, e.g. citation precision over `relevance(citation excerpts, quotes)`."""
    return sum(flags) / len(flags) if flags else None


def abstention_scores(abstained: Sequence[bool], answerable: Sequence[bool]) -> tuple[float | None, float | None]:
    """(precision, recall) of abstaining, the positive class, against unanswerable questions."""
    correct = sum(a and not ok for a, ok in zip(abstained, answerable, strict=True))
    n_abstained = sum(abstained)
    n_unanswerable = sum(not ok for ok in answerable)
    return (
        correct / n_abstained if n_abstained else None,
        correct / n_unanswerable if n_unanswerable else None,
    )


def mean(values: Sequence[float | None]) -> float | None:
    """Average of the defined values; None when none is defined."""
    defined = [v for v in values if v is not None]
    return float(np.mean(defined)) if defined else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """q-th percentile (linear interpolation); None for no values."""
    return float(np.percentile(values, q)) if len(values) else None
