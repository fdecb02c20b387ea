"""Question sets (JSONL or CSV) and batch inputs; evidence is matched by containment."""
from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TypeVar

from reportqa.errors import InvalidInput, ReportQAError

BUNDLED_SET = Path(__file__).resolve().parent / "questions.jsonl"
STDIN = Path("-")
_SPACE = re.compile(r"\s+")
T = TypeVar("T")


@dataclass(frozen=True)
class Question:
    """One row of a question set (format: eval/README.md); its fields are checked on construction."""

    id: str
    question: str
    lang: str = "ko"
    type: str = "factoid"
    evidence: list[str] = field(default_factory=list)
    answer_facts: list[str] = field(default_factory=list)
    answerable: bool = True

    def __post_init__(self) -> None:
        for name in ("id", "question", "lang", "type"):
            _expect(isinstance(getattr(self, name), str), name, "text")
        _expect(bool(self.question.strip()), "question", "a non-empty question")
        for name in ("evidence", "answer_facts"):
            value = getattr(self, name)
            _expect(isinstance(value, list) and all(isinstance(v, str) for v in value), name, "a list of strings")
        _expect(isinstance(self.answerable, bool), "answerable", "true or false")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class BatchItem:
    """One line of a `--batch` file: a question, its optional id and the earlier questions of its chat."""

    id: str
    question: str
    history: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        _expect(isinstance(self.id, str), "id", "text")
        _expect(isinstance(self.question, str) and bool(self.question.strip()), "question", "a non-empty question")
        _expect(isinstance(self.history, list) and all(isinstance(h, str) for h in self.history), "history", "a list of strings")


def _expect(ok: bool, field_name: str, what: str) -> None:
    """A row check: names the field; the loader adds the file and line."""
    if not ok:
        raise InvalidInput(f"field {field_name!r} must be {what}")


def normalise(text: str) -> str:
    """Whitespace-insensitive form used for every evidence comparison."""
    return _SPACE.sub(" ", text).strip()


def holds(text: str, quote: str) -> bool:
    """Does a passage contain an evidence quote (chunking-agnostic)?"""
    return normalise(quote) in normalise(text)


def _read_json_lines(path: Path) -> list[tuple[int, dict]]:
    """Each non-blank line's number and object; `-` is standard input."""
    try:
        lines = (sys.stdin.read() if path == STDIN else path.read_text(encoding="utf-8")).splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ReportQAError(f"cannot read {path}: {error.__class__.__name__}") from error
    rows = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise InvalidInput(f"{path}:{number}: not a JSON object ({error.msg})") from error
        if not isinstance(row, dict):
            raise InvalidInput(f"{path}:{number}: not a JSON object")
        rows.append((number, row))
    return rows


def _build(path: Path, number: int, make: Callable[..., T], row: dict) -> T:
    """One typed row, or an error naming the file, the line and the field."""
    try:
        return make(**{key: value for key, value in row.items() if key in make.__dataclass_fields__})
    except InvalidInput as error:
        raise InvalidInput(f"{path}:{number}: {error}") from None


def read_batch(path: Path) -> list[BatchItem]:
    """Batch input lines {"id"?, "question", "history"?}; the id defaults to the line's position.

    `-` (or a pipe such as /dev/stdin) reads standard input: `… | reportqa ask --batch - --json`.
    """
    if path != STDIN and (not path.exists() or path.is_dir()):
        raise ReportQAError(f"batch file not found: {path}")
    items = [
        _build(path, number, BatchItem, {"id": str(position), **row})
        for position, (number, row) in enumerate(_read_json_lines(path), 1)
    ]
    if not items:
        raise ReportQAError(f"{path}: no questions in the file")
    return items


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split("|") if part.strip()]


def _from_csv(path: Path) -> list[tuple[int, dict]]:
    """Rows with their line numbers (the header is line 1); `|` separates list items."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ReportQAError(f"cannot read {path}: {error}") from error
    for row in rows:
        row["evidence"] = _split(row.get("evidence") or "")
        row["answer_facts"] = _split(row.get("answer_facts") or "")
        row["answerable"] = _csv_bool(row.get("answerable") or "true")
    return list(enumerate(rows, 2))


def _csv_bool(value: str) -> bool | str:
    """true/false, 1/0, yes/no; anything else stays text so the row check names it."""
    word = value.strip().lower()
    return True if word in ("true", "1", "yes") else False if word in ("false", "0", "no") else value


def load_questions(path: Path = BUNDLED_SET) -> list[Question]:
    """A question set from JSONL or CSV (same columns); a row of the wrong shape names its line and field."""
    if not path.is_file():
        raise ReportQAError(f"question set not found: {path}")
    rows = _from_csv(path) if path.suffix.lower() == ".csv" else _read_json_lines(path)
    questions = [
        _build(path, number, Question, {**row, "id": str(row.get("id") or position)})
        for position, (number, row) in enumerate(rows, 1)
    ]
    if not questions:
        raise ReportQAError(f"{path}: no questions in the file")
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        duplicate = next(i for i in ids if ids.count(i) > 1)
        raise InvalidInput(f"{path}: the id {duplicate!r} appears more than once")
    return questions
