"""Per-question and answer tables of an evaluation, for the app's Evaluation tab."""
from __future__ import annotations

from itertools import groupby
from typing import Any

from reportqa.eval.plots import preferred_k
from reportqa.eval.report import fmt, table
from reportqa.eval.run import EvalResult

NOT_SCORED = "—"  # unanswerable questions, or ones without evidence quotes


def answers_table(result: EvalResult) -> str:
    """The answer metrics as a markdown table (retrieval has `summary_table`)."""
    answers = result.summary()["answers"] or {}
    rows = [[name, fmt(value, 1 if name.endswith("_ms") else 3)] for name, value in answers.items()]
    return "\n".join(table(["answer metric", "value"], rows))


def question_table(result: EvalResult) -> dict[str, list]:
    """One row per question: whether and where search found its evidence, the answer and what it cites.

    Search is shown for hybrid, the mode the chat uses, when it was evaluated. The Dataframe shows
    its cells as text, so the question set's text needs no escaping here.
    """
    mode = "hybrid" if "hybrid" in result.modes else result.modes[0]
    k = preferred_k(result.ks)
    search = [f"{mode}: evidence in top {k}", f"{mode}: rank of first evidence"]
    headers = ["id", "question", *search, "answer", "citations"]
    rows = [
        [
            record.id,
            record.question,
            _found(record.metrics.get(f"hit@{k}")),
            _rank(record.first_rank, record.scored, result.depth),
            answer.text,
            _citations(answer.citations),
        ]
        for record, answer in zip(result.records(mode), result.answers or [])
    ]
    return {"headers": headers, "data": rows}


def _found(hit: float | None) -> str:
    return NOT_SCORED if hit is None else ("yes" if hit else "no")


def _rank(rank: int | None, scored: bool, depth: int) -> str:
    if not scored:
        return NOT_SCORED
    return f"not in top {depth}" if rank is None else str(rank)


def _citations(citations: list[dict[str, Any]]) -> str:
    """Citation numbers grouped by section ("[1, 2] section; [3] other"): answers often cite one section twice."""
    groups = groupby(citations, key=lambda c: c["section"] or "no section")
    return "; ".join(f"[{', '.join(str(c['n']) for c in group)}] {section}" for section, group in groups)
