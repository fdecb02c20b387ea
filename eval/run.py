"""Run a question set against a searcher (and optionally an answerer) and score it.

Retrieval is scored per mode on the answerable questions that have evidence; every question is
still searched, so results.json shows what unanswerable questions retrieve. Latency is timed
around each single search call after one untimed warm-up call per mode.
"""
from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from reportqa.errors import ReportQAError
from reportqa.eval import metrics
from reportqa.eval.questions import Question
from reportqa.index.search import Searcher
from reportqa.index.types import Hit
from reportqa.limits import MODES, Mode
from reportqa.qa.types import Answer
from tqdm import tqdm

log = logging.getLogger(__name__)

AnswerFn = Callable[[str], Answer]
R = TypeVar("R")
HIT_PREVIEW = 200  # characters of each hit kept in the records
NDCG_K = 10


@dataclass(frozen=True)
class HitRecord:
    """What one retrieved chunk was, enough to see why a question failed."""

    chunk_id: str
    section: str
    score: float
    text: str  # the first HIT_PREVIEW characters


@dataclass
class RetrievalRecord:
    """One question searched in one mode; `metrics` holds its per-question terms (None: unscored)."""

    id: str
    question: str
    lang: str
    type: str
    mode: str
    answerable: bool
    evidence: list[str]
    first_rank: int | None
    hits: list[HitRecord]
    latency_ms: float
    metrics: dict[str, float | None] = field(default_factory=dict)

    @property
    def scored(self) -> bool:
        return self.answerable and bool(self.evidence)


@dataclass
class AnswerRecord:
    """One question answered: the answer, its citations and how they score."""

    id: str
    question: str
    lang: str
    type: str
    answerable: bool  # what the question set says
    abstained: bool  # what the answerer did
    text: str
    citations: list[dict[str, Any]]  # n, chunk_id, section, sentence, holds_evidence
    latency_ms: float
    fact_coverage: float | None
    answer_accuracy: float | None = None  # do the quoted sentences hold the evidence (metrics.answer_accuracy)
    confidence: float | None = None  # the answerer's, kept so an abstention miss shows how near the threshold it was
    method: str = "extractive"  # "llm" when the LLM's answer (or its finding no answer) was kept


@dataclass
class EvalResult:
    """Everything one evaluation produced; `summary()` is the headline, `to_dict()` the archive."""

    name: str
    n_questions: int
    modes: tuple[str, ...]
    ks: tuple[int, ...]
    budget: int
    index: dict[str, Any]
    retrieval: list[RetrievalRecord]
    answers: list[AnswerRecord] | None = None

    @property
    def depth(self) -> int:
        return search_depth(self.ks)

    @property
    def languages(self) -> list[str]:
        return sorted({r.lang for r in self.retrieval})

    def records(self, mode: str, lang: str | None = None) -> list[RetrievalRecord]:
        return [r for r in self.retrieval if r.mode == mode and (lang is None or r.lang == lang)]

    def summary(self) -> dict[str, Any]:
        """Headline numbers: per mode, per language and mode, and for answers."""
        return {
            "set": self.name,
            "questions": self.n_questions,
            "modes": {mode: mode_summary(self.records(mode), self.ks, self.budget) for mode in self.modes},
            "by_lang": {
                lang: {mode: mode_summary(self.records(mode, lang), self.ks, self.budget) for mode in self.modes}
                for lang in self.languages
            },
            "answers": None if self.answers is None else answer_summary(self.answers),
        }

    def to_dict(self) -> dict[str, Any]:
        """The results.json shape: configuration, summary and every record."""
        return {
            "summary": self.summary(),
            "config": {"modes": list(self.modes), "ks": list(self.ks), "budget": self.budget, "index": self.index},
            "retrieval": [asdict(r) for r in self.retrieval],
            "answers": None if self.answers is None else [asdict(a) for a in self.answers],
        }


def search_depth(ks: Sequence[int]) -> int:
    """How many chunks each search returns: enough for every k and for nDCG@10."""
    return max(*ks, NDCG_K)


def metric_names(ks: Sequence[int], budget: int) -> list[str]:
    """Summary keys of the per-question retrieval metrics, in display order."""
    return [*(f"hit@{k}" for k in ks), *(f"recall@{k}" for k in ks), "mrr", f"ndcg@{NDCG_K}", f"budget@{budget}"]


def question_metrics(texts: list[str], evidence: list[str], ks: Sequence[int], budget: int) -> dict[str, float | None]:
    """Per-question terms whose means are the summary metrics ("mrr" holds the reciprocal rank)."""
    relevant = metrics.relevance(texts, evidence)
    ranks = metrics.quote_ranks(texts, evidence)
    values: dict[str, float | None] = {f"hit@{k}": metrics.hit_at_k(relevant, k) for k in ks}
    values.update({f"recall@{k}": metrics.recall_at_k(ranks, k) for k in ks})
    values["mrr"] = metrics.reciprocal_rank(relevant)
    values[f"ndcg@{NDCG_K}"] = metrics.ndcg_at_k(relevant, len(evidence), NDCG_K)
    values[f"budget@{budget}"] = metrics.budget_hit(texts, evidence, budget)
    return values


def mode_summary(records: list[RetrievalRecord], ks: Sequence[int], budget: int) -> dict[str, float | None]:
    """Means over the scored records, latency percentiles over all searches."""
    scored = [r for r in records if r.scored]
    summary = {name: metrics.mean([r.metrics[name] for r in scored]) for name in metric_names(ks, budget)}
    latencies = [r.latency_ms for r in records]
    summary["p50_ms"] = metrics.percentile(latencies, 50)
    summary["p95_ms"] = metrics.percentile(latencies, 95)
    return summary


def answer_summary(answers: list[AnswerRecord]) -> dict[str, float | None]:
    """Answer accuracy, fact coverage and citation precision over answerable questions; abstention over all."""
    answerable = [a for a in answers if a.answerable]
    precision, recall = metrics.abstention_scores([a.abstained for a in answers], [a.answerable for a in answers])
    return {
        "answer_accuracy": metrics.mean([a.answer_accuracy for a in answerable]),
        **_accuracy_by(answerable, "lang"),
        **_accuracy_by(answerable, "type"),
        "refused_answerable": metrics.precision([a.abstained for a in answerable]),
        "fact_coverage": metrics.mean([a.fact_coverage for a in answerable]),
        "citation_precision": metrics.precision([c["holds_evidence"] for a in answerable for c in a.citations]),
        "abstention_precision": precision,
        "abstention_recall": recall,
        "by_llm": metrics.precision([a.method == "llm" for a in answers]),
        "p50_ms": metrics.percentile([a.latency_ms for a in answers], 50),
    }


def _accuracy_by(answers: list[AnswerRecord], key: str) -> dict[str, float | None]:
    """Mean answer accuracy per value of a record field, as flat keys "answer_accuracy[ko]"."""
    groups: dict[str, list[float | None]] = {}
    for answer in answers:
        groups.setdefault(getattr(answer, key), []).append(answer.answer_accuracy)
    return {f"answer_accuracy[{value}]": metrics.mean(scores) for value, scores in sorted(groups.items())}


def _hit_record(hit: Hit) -> HitRecord:
    return HitRecord(hit.chunk.id, hit.chunk.section, round(hit.score, 6), hit.chunk.text[:HIT_PREVIEW])


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    value = call()
    return value, (time.perf_counter() - started) * 1000


def _search_one(searcher: Searcher, q: Question, *, mode: Mode, depth: int, ks: Sequence[int], budget: int) -> RetrievalRecord:
    results, ms = _timed(lambda: searcher.search_many([q.question], k=depth, mode=mode))
    hits: list[Hit] = results[0]
    texts = [h.chunk.text for h in hits]
    record = RetrievalRecord(
        id=q.id,
        question=q.question,
        lang=q.lang,
        type=q.type,
        mode=mode,
        answerable=q.answerable,
        evidence=list(q.evidence),
        first_rank=metrics.first_relevant_rank(metrics.relevance(texts, q.evidence)),
        hits=[_hit_record(h) for h in hits],
        latency_ms=round(ms, 3),
    )
    if record.scored:
        record.metrics = question_metrics(texts, record.evidence, ks, budget)
    return record


def _answer_one(answer_fn: AnswerFn, q: Question) -> AnswerRecord:
    answer, ms = _timed(lambda: answer_fn(q.question))
    citations = [
        {
            "n": c.n,
            "chunk_id": c.chunk.id,
            "section": c.chunk.section,
            "sentence": c.sentence,
            "holds_evidence": metrics.relevance([c.chunk.text], q.evidence)[0],
        }
        for c in answer.citations
    ]
    return AnswerRecord(
        id=q.id,
        question=q.question,
        lang=q.lang,
        type=q.type,
        answerable=q.answerable,
        abstained=not answer.answerable,
        text=answer.text,
        citations=citations,
        latency_ms=round(ms, 3),
        fact_coverage=metrics.fact_coverage(answer.text, q.answer_facts) if q.answerable else None,
        answer_accuracy=metrics.answer_accuracy(answer.quoted, q.evidence, q.type == "list") if q.answerable else None,
        confidence=round(answer.confidence, 4),
        method=answer.method,
    )


def _each(questions: list[Question], one: Callable[[Question], R], label: str, bar: tqdm) -> list[R]:
    """`one` over every question, after one untimed warm-up call (model and caches load there)."""
    one(questions[0])
    bar.set_postfix_str(label)
    results = []
    for q in questions:
        results.append(one(q))
        bar.update()
    return results


def _index_info(searcher: Searcher) -> dict[str, Any]:
    manifest = searcher.store.manifest
    return {
        "model": manifest.model,
        "documents": sorted(manifest.documents),
        "chunks": manifest.n_chunks,
        "chunking": manifest.chunking,
    }


def evaluate(
    questions: list[Question],
    searcher: Searcher,
    modes: Sequence[Mode] = MODES,
    ks: Sequence[int] = (1, 3, 5, 10),
    budget: int = 1200,
    answer_fn: AnswerFn | None = None,
    progress: bool = True,
    name: str = "questions",
) -> EvalResult:
    """Search every question in every mode (and answer it when `answer_fn` is given), then score."""
    if not questions:
        raise ReportQAError("the question set is empty: nothing to evaluate")
    if not ks or min(ks) < 1 or budget < 1:
        raise ReportQAError("cut-offs k and the character budget must be positive")
    ks = tuple(sorted(set(ks)))
    unscored = sum(q.answerable and not q.evidence for q in questions)
    if unscored:
        log.warning("%d answerable questions have no evidence; retrieval metrics skip them", unscored)
    total = len(questions) * (len(modes) + (answer_fn is not None))
    depth = search_depth(ks)
    retrieval: list[RetrievalRecord] = []
    answers: list[AnswerRecord] | None = None
    with tqdm(total=total, desc=f"eval {name}", unit="q", disable=not progress) as bar:
        for mode in modes:
            search = functools.partial(_search_one, searcher, mode=mode, depth=depth, ks=ks, budget=budget)
            retrieval += _each(questions, search, mode, bar)
        if answer_fn is not None:
            answers = _each(questions, functools.partial(_answer_one, answer_fn), "answers", bar)
    return EvalResult(name, len(questions), tuple(modes), ks, budget, _index_info(searcher), retrieval, answers)
