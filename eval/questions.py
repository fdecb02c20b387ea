"""Question sets (JSONL or CSV) and batch inputs; evidence is matched by containment."""
from __future__ import annotations

import csv
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from reportqa.errors import ReportQAError

BUNDLED_SET = Path(__file__).resolve().parent / "questions.jsonl"
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Question:
    """One row of a question set (format: eval/README.md)."""

    id: str
    question: str
    lang: str = "ko"
    type: str = "factoid"
    evidence: list[str] = field(default_factory=list)
    answer_facts: list[str] = field(default_factory=list)
    answerable: bool = True

    def to_dict(self) -> dict:
        return asdict(self)


def normalise(text: str) -> str:
    """Whitespace-insensitive form used for every evidence comparison."""
    return _SPACE.sub(" ", text).strip()


def holds(text: str, quote: str) -> bool:
    """Does a passage contain an evidence quote (chunking-agnostic)?"""
    return normalise(quote) in normalise(text)


def _read_json_lines(path: Path) -> list[dict]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ReportQAError(f"cannot read {path}: {error.__class__.__name__}") from error
    rows = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise ReportQAError(f"{path}:{number}: not a JSON object ({error.msg})") from error
        if not isinstance(row, dict):
            raise ReportQAError(f"{path}:{number}: not a JSON object")
        rows.append(row)
    return rows


def read_batch(path: Path) -> list[dict]:
    """Batch input lines {"id", "question", "history"?}; the id defaults to the line's position.

    `history` lists the chat's earlier questions, oldest first, so a follow-up can be asked alone.
    """
    items = []
    for position, row in enumerate(_read_json_lines(path), 1):
        question = row.get("question")
        if not isinstance(question, str) or not question.strip():
            raise ReportQAError(f"{path}: entry {position} has no question")
        history = row.get("history", [])
        if not isinstance(history, list) or not all(isinstance(h, str) and h.strip() for h in history):
            raise ReportQAError(f"{path}: entry {position}: history must be a list of earlier questions")
        items.append({"id": row.get("id", str(position)), "question": question, **({"history": history} if history else {})})
    if not items:
        raise ReportQAError(f"{path}: no questions in the file")
    return items


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split("|") if part.strip()]


def _from_csv(path: Path) -> list[dict]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ReportQAError(f"cannot read {path}: {error}") from error
    for row in rows:
        row["evidence"] = _split(row.get("evidence") or "")
        row["answer_facts"] = _split(row.get("answer_facts") or "")
        row["answerable"] = (row.get("answerable") or "true").strip().lower() not in ("false", "0", "no")
    return rows


def load_questions(path: Path = BUNDLED_SET) -> list[Question]:
    """A question set from JSONL or CSV (same columns)."""
    if not path.is_file():
        raise ReportQAError(f"question set not found: {path}")
    rows = _from_csv(path) if path.suffix.lower() == ".csv" else _read_json_lines(path)
    known = set(Question.__dataclass_fields__)
    questions = []
    for position, row in enumerate(rows, 1):
        if not str(row.get("question") or "").strip():
            raise ReportQAError(f"{path}: entry {position} has no question")
        fields = {key: value for key, value in row.items() if key in known}
        fields["id"] = str(fields.get("id") or position)
        questions.append(Question(**fields))
    if not questions:
        raise ReportQAError(f"{path}: no questions in the file")
    return questions
