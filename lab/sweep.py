"""Fit the few weights that choose an answer's sentences, on the report's set and KorQuAD together.

Retrieval does not depend on these weights, so every question is searched once and only the
sentence choice is replayed per setting: a grid costs seconds per point, not a full evaluation.
The objective is the mean of five groups weighted equally: answer accuracy on the report's
answerable questions, KorQuAD end to end and KorQuAD given the gold paragraph (a refusal scores 0),
the report's citation precision (per question: the share of its cards holding evidence) and the share
of the report's unanswerable questions that abstain. So no single set, let alone a single question,
decides a weight; longer answers cannot buy accuracy with cards that hold nothing, nor the
calibration buy answers with false ones. Run: `python -m reportqa.lab.sweep` (prints the table for docs/evaluation.md, "The sweep").
"""
from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, fields, replace

import numpy as np
from reportqa.eval import metrics
from reportqa.lab.korquad import default_path, read_squad
from reportqa.lab.korquad_answers import GoldSpan, gold_sentence, quotes_gold, sample, sample_index
from reportqa.eval.questions import load_questions
from reportqa.index.api import open_searcher
from reportqa.index.search import Searcher
from reportqa.index.types import Hit
from reportqa.qa.answer import AnswerConfig, Answerer
from reportqa.qa.types import Answer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Case:
    """One question, searched once, and how to score its answer."""

    group: str
    question: str
    vector: np.ndarray
    hits: list[Hit]
    score: Callable[[Answer], float | None]


def _searched(searcher: Searcher, question: str, k: int) -> tuple[np.ndarray, list[Hit]]:
    vector = searcher.embedder.embed_queries([question])[0]
    return vector, searcher.rank(question, vector, k, "hybrid")


def report_cases(answerer: Answerer) -> list[Case]:
    cases = []
    for q in load_questions():
        vector, hits = _searched(answerer.searcher, q.question, answerer.config.k)
        if q.answerable:
            cases.append(Case("report", q.question, vector, hits, lambda a, q=q: metrics.answer_accuracy(a.quoted, q.evidence, q.type == "list")))
            cases.append(Case("report citations", q.question, vector, hits, lambda a, q=q: _citation_precision(a, q.evidence)))
        else:
            cases.append(Case("report abstains", q.question, vector, hits, lambda a: float(not a.answerable)))
    return cases


def _citation_precision(answer: Answer, evidence: list[str]) -> float | None:
    """Share of the answer's cards whose excerpt holds an evidence quote (None when it cites nothing)."""
    return metrics.precision(metrics.relevance([c.chunk.text for c in answer.citations], evidence))


def korquad_cases(answerer: Answerer, golds: list[GoldSpan]) -> list[Case]:
    chunks: dict[str, list] = {}
    for chunk in answerer.searcher.data.chunks:
        chunks.setdefault(chunk.doc_id, []).append(chunk)
    cases = []
    for gold in golds:
        vector, hits = _searched(answerer.searcher, gold.question, answerer.config.k)
        scored = lambda a, g=gold, t=gold_sentence(answerer, gold): float(quotes_gold(a, g, t))  # noqa: E731
        cases.append(Case("korquad e2e", gold.question, vector, hits, scored))
        given = [Hit(rank, 1.0, c) for rank, c in enumerate(chunks[gold.doc_id], 1)]
        cases.append(Case("korquad gold", gold.question, vector, given, scored))
    return cases


def replay(pairs: list[tuple[Answerer, Case]], config: AnswerConfig) -> dict[str, float]:
    """Mean accuracy per group, and their mean ("objective"), under `config`."""
    groups: dict[str, list[float | None]] = {}
    for answerer, case in pairs:
        answerer.config = config
        answer = answerer.answer_hits(case.question, case.question, case.vector, case.hits)
        groups.setdefault(case.group, []).append(case.score(answer))
    means = {group: metrics.mean(values) or 0.0 for group, values in groups.items()}
    return {**means, "objective": float(np.mean(list(means.values())))}


def coordinate_search(pairs: list[tuple[Answerer, Case]], grid: dict[str, list[float | None]], rounds: int = 2) -> tuple[AnswerConfig, list[dict]]:
    """Each weight in turn set to its best grid value (ties keep the current one), the others held;
    `rounds` passes. Returns the final configuration and the log."""
    config = AnswerConfig()
    history = [{"setting": "start", **replay(pairs, config)}]
    for _, (name, values) in itertools.product(range(rounds), grid.items()):
        trials = []
        for value in values:
            trial = _with(config, name, value)
            trials.append((replay(pairs, trial), value, trial))
        # A tie keeps the current setting: a flat objective is no reason to move a weight.
        best = max(trials, key=lambda t: (t[0]["objective"], t[2] == config))
        for scores, value, _ in trials:
            history.append({"setting": f"{name}={value}", **scores})
        config = best[2]
        log.info("%s=%s → %.3f", name, best[1], best[0]["objective"])
    return config, history


def _with(config: AnswerConfig, name: str, value: float | None) -> AnswerConfig:
    """`config` with one answer setting, or one field of its selection, weights or calibration, changed."""
    for part in ("selection", "weights", "calibration"):
        inner = getattr(config, part)
        if name in {f.name for f in fields(inner)}:
            return replace(config, **{part: replace(inner, **{name: value})})
    return replace(config, **{name: value})


GRID: dict[str, list[float | None]] = {
    "lexical": [0.0, 0.05, 0.1, 0.2],
    "context_share": [0.5, 0.6, 0.7, 0.8],
    "number_bonus": [0.0, 0.04, 0.08, 0.12],
    "context": [0.0, 0.05, 0.1, 0.2],
    "names": [0.0, 0.05, 0.1, 0.2],
    "entity": [0.0, 0.02, 0.05, 0.1],
    "definition": [0.0, 0.05, 0.1, 0.2],
    "rank": [0.0, 0.005, 0.01, 0.02],
    "retrieval": [0.0, 0.01, 0.02, 0.03, 0.05],
    "margin": [0.01, 0.02, 0.03],
    "place_margin": [0.03, 0.05, 0.08, 0.1],
    "list_margin": [0.02, 0.04, 0.06, 0.08],
    "restating": [0.0, 0.1, 0.2, 0.3],
    "look_back": [1, 2, 3, 4],
    "bridge_cosine": [0.3, 0.35, 0.4, 0.45, 0.5],
    "bridge_margin": [0.05, 0.1, 0.15],
    "named_shift": [0.0, 0.01, 0.02, 0.03, 0.04],
    "passage_offset": [None, -0.04, -0.02, 0.0],
    "number_penalty": [0.0, 0.3, 0.6, 1.0],
    "number_name_weight": [0.25, 0.5, 1.0],
}


def main(articles: int = 30, questions: int | None = None, rounds: int = 1) -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    report = Answerer(open_searcher())
    path = default_path()
    answer_sample = sample(read_squad(path), path, articles)
    korquad = Answerer(Searcher(sample_index(answer_sample, report.searcher.embedder), report.searcher.embedder))
    pairs = [(report, c) for c in report_cases(report)] + [(korquad, c) for c in korquad_cases(korquad, answer_sample.golds[:questions])]
    config, history = coordinate_search(pairs, GRID, rounds)
    groups = ["report", "report citations", "report abstains", "korquad e2e", "korquad gold", "objective"]
    print("| setting | " + " | ".join(groups) + " |\n|---|" + "---:|" * len(groups))
    for row in history:
        print(f"| {row['setting']} | " + " | ".join(f"{row[g]:.3f}" for g in groups) + " |")
    print(config)


if __name__ == "__main__":
    main()
