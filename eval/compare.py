"""What changed between two evaluations: per question and mode, and in the summary numbers."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportqa.errors import ReportQAError
from reportqa.eval.report import fmt, table
from reportqa.eval.run import EvalResult

# Order of the per-question table: regressions first.
CHANGE_ORDER = ("lost", "worse", "found", "better")


@dataclass(frozen=True)
class RankChange:
    """The rank of a question's first evidence in one mode, before and after (None: not retrieved)."""

    id: str
    mode: str
    before: int | None
    after: int | None

    @property
    def kind(self) -> str:
        """lost / found (left or entered the retrieved list), worse / better (moved), same."""
        if self.before == self.after:
            return "same"
        if self.after is None:
            return "lost"
        if self.before is None:
            return "found"
        return "better" if self.after < self.before else "worse"


def load_results(source: EvalResult | Path) -> dict[str, Any]:
    """The results.json shape of an evaluation, from memory or from a file."""
    if isinstance(source, EvalResult):
        return source.to_dict()
    try:
        return json.loads(Path(source).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ReportQAError(f"cannot read evaluation results {source}: {error}") from error


def _scored_ranks(results: dict[str, Any]) -> dict[tuple[str, str], int | None]:
    """(question id, mode) -> first evidence rank, for the questions retrieval is scored on."""
    return {
        (r["id"], r["mode"]): r["first_rank"]
        for r in results["retrieval"]
        if r["answerable"] and r["evidence"]
    }


def rank_changes(old: dict[str, Any], new: dict[str, Any]) -> list[RankChange]:
    """Every (question, mode) present in both runs, in the new run's order."""
    before = _scored_ranks(old)
    return [
        RankChange(qid, mode, before[(qid, mode)], rank)
        for (qid, mode), rank in _scored_ranks(new).items()
        if (qid, mode) in before
    ]


def summary_deltas(old: dict[str, Any], new: dict[str, Any]) -> list[list[str]]:
    """Rows (scope, metric, before, after, delta) for every number both summaries have."""
    scopes = {f"retrieval {mode}": (old["modes"].get(mode), values) for mode, values in new["modes"].items()}
    scopes["answers"] = (old.get("answers"), new.get("answers"))
    rows = []
    for scope, (a, b) in scopes.items():
        if not a or not b:
            continue
        for metric, after in b.items():
            before = a.get(metric)
            delta = None if before is None or after is None else after - before
            digits = 1 if metric.endswith("_ms") else 3
            sign = "" if delta is None or delta < 0 else "+"
            rows.append([scope, metric, fmt(before, digits), fmt(after, digits), sign + fmt(delta, digits)])
    return rows


def _rank_text(rank: int | None) -> str:
    return "—" if rank is None else str(rank)


def _question_lines(changes: list[RankChange], old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    moved = sorted((c for c in changes if c.kind != "same"), key=lambda c: (CHANGE_ORDER.index(c.kind), c.id, c.mode))
    counts = {kind: sum(c.kind == kind for c in changes) for kind in (*CHANGE_ORDER, "same")}
    lines = [
        "## Per question (rank of the first chunk holding evidence; — means not retrieved)",
        "",
        ", ".join(f"{n} {kind}" for kind, n in counts.items()) + f" (of {len(changes)} question × mode pairs).",
        "",
    ]
    if moved:
        rows = [[c.id, c.mode, _rank_text(c.before), _rank_text(c.after), c.kind] for c in moved]
        lines += table(["question", "mode", "before", "after", "change"], rows, left=2)
    old_ids = {r["id"] for r in old["retrieval"]}
    new_ids = {r["id"] for r in new["retrieval"]}
    for label, ids in (("only in the old run", old_ids - new_ids), ("only in the new run", new_ids - old_ids)):
        if ids:
            lines += ["", f"Questions {label}: {', '.join(sorted(ids))}."]
    return lines


def compare(old_results_json: Path, new: EvalResult | Path) -> str:
    """Markdown: summary deltas, then every question whose evidence rank moved in some mode."""
    old, fresh = load_results(old_results_json), load_results(new)
    lines = [
        "# Evaluation comparison",
        "",
        f"Before: {old_results_json} ({old['summary']['set']}, {old['summary']['questions']} questions). "
        f"After: {new if isinstance(new, Path) else 'this run'} ({fresh['summary']['set']}, "
        f"{fresh['summary']['questions']} questions).",
        "",
        "## Summary",
        "",
        *table(["scope", "metric", "before", "after", "Δ"], summary_deltas(old["summary"], fresh["summary"]), left=2),
        "",
        *_question_lines(rank_changes(old, fresh), old, fresh),
    ]
    return "\n".join(lines) + "\n"
