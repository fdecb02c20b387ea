"""The feedback log in one place: its format, path, writing (the app's thumbs) and reading.

Read back, the ratings become candidate question-set rows for a human to review.

A thumbs-up says the cited sentences answered the question, so they become its evidence. A
thumbs-down says something was wrong, which the log cannot tell, so the row is flagged
`needs_review` with no evidence (so is a thumbs-up without citations). When a question was rated more than once, the latest rating wins.
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from reportqa.errors import InvalidInput, ReportQAError
from reportqa.eval.questions import normalise
from reportqa.paths import data_home
from reportqa.qa.lang import detect_lang
from reportqa.qa.types import Answer

log = logging.getLogger(__name__)

FEEDBACK_FILE = "feedback.jsonl"
RATINGS = ("up", "down")


def feedback_path() -> Path:
    """The one feedback log: `<data home>/feedback.jsonl`, written by the app, read here."""
    return data_home() / FEEDBACK_FILE


@dataclass(frozen=True)
class FeedbackEntry:
    """One thumbs up or down on one answer, as the app logs it."""

    time: str
    question: str
    answer: str
    citations: list[dict[str, Any]]
    rating: str

    def __post_init__(self) -> None:
        for name in ("time", "question", "answer"):
            if not isinstance(getattr(self, name), str):
                raise InvalidInput(f"field {name!r} must be text")
        if not self.question.strip():
            raise InvalidInput("field 'question' must be a non-empty question")
        if not isinstance(self.citations, list) or not all(isinstance(c, dict) for c in self.citations):
            raise InvalidInput("field 'citations' must be a list of objects")
        if self.rating not in RATINGS:
            raise InvalidInput(f"field 'rating' must be one of {', '.join(RATINGS)}")

    @classmethod
    def of(cls, answer: Answer, rating: str) -> FeedbackEntry:
        return cls(
            time=time.strftime("%Y-%m-%dT%H:%M:%S"),
            question=answer.question,
            answer=answer.text,
            citations=[c.to_dict() for c in answer.citations],
            rating=rating,
        )


def append_feedback(entry: FeedbackEntry, path: Path | None = None) -> Path:
    """Add one JSON line to the log; the app's queue runs one vote at a time, so lines never interleave."""
    path = path or feedback_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(asdict(entry), ensure_ascii=False) + "\n")
    log.info("feedback %s on %r saved to %s", entry.rating, entry.question, path)
    return path


def read_feedback(path: Path) -> list[FeedbackEntry]:
    """The logged ratings. A line that is not a well-formed entry (an interrupted write, a hand edit)
    is skipped with a warning naming its line and field: one bad vote must not hide the others."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ReportQAError(f"cannot read feedback {path}: {error.__class__.__name__}") from error
    entries = []
    fields = FeedbackEntry.__dataclass_fields__
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise InvalidInput("not a JSON object")
            entries.append(FeedbackEntry(**{"time": "", "answer": "", "citations": [], **{k: v for k, v in row.items() if k in fields}}))
        except (json.JSONDecodeError, InvalidInput, TypeError) as error:
            log.warning("%s:%d: skipped (%s)", path, number, error)
    return entries


def cited_sentences(citations: list[dict[str, Any]]) -> list[str]:
    """The highlighted sentence of each citation (the whole excerpt without a highlight), deduplicated."""
    sentences = []
    for citation in citations:
        text = citation.get("text") or ""
        start, end = citation.get("highlight") or (0, len(text))
        sentence = normalise(text[start:end])
        if sentence and sentence not in sentences:
            sentences.append(sentence)
    return sentences


def candidate(entry: FeedbackEntry) -> dict[str, Any]:
    """One question-set row (eval/README.md format) from one rating."""
    question = normalise(entry.question)
    up = entry.rating == "up"
    row: dict[str, Any] = {
        "id": "fb-" + hashlib.sha1(question.encode()).hexdigest()[:8],
        "question": question,
        "lang": detect_lang(question),
        "type": "factoid",
        "evidence": cited_sentences(entry.citations) if up else [],
        "answer_facts": [],
        "answerable": True,
    }
    if not row["evidence"]:  # a thumbs-down, or a thumbs-up that cited nothing
        row["needs_review"] = True
    return row


def feedback_to_candidates(log_path: Path, out_path: Path) -> int:
    """Write one candidate row per distinct question to `out_path` (JSONL); returns how many."""
    latest = {normalise(e.question): e for e in read_feedback(log_path)}
    rows = [candidate(entry) for entry in latest.values()]
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with out_path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    log.info("%d candidate questions from %s written to %s", len(rows), log_path, out_path)
    return len(rows)
