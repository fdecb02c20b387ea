"""Turn the app's thumbs up/down log into candidate question-set rows for a human to review.

A thumbs-up says the cited sentences answered the question, so they become its evidence. A
thumbs-down says something was wrong, which the log cannot tell, so the row is flagged
`needs_review` with no evidence (so is a thumbs-up without citations). When a question was rated more than once, the latest rating wins.
"""
from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from reportqa.errors import ReportQAError
from reportqa.eval.questions import normalise
from reportqa.qa.lang import detect_lang

log = logging.getLogger(__name__)

def read_feedback(path: Path) -> list[dict[str, Any]]:
    """The logged ratings; a line the app left broken (e.g. an interrupted write) is skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise ReportQAError(f"cannot read feedback {path}: {error}") from error
    entries = []
    for number, line in enumerate(lines, 1):
        try:
            entry = json.loads(line) if line.strip() else None
        except json.JSONDecodeError:
            log.warning("%s:%d: not JSON, skipped", path, number)
            continue
        if isinstance(entry, dict) and str(entry.get("question") or "").strip() and entry.get("rating") in ("up", "down"):
            entries.append(entry)
        elif entry is not None:
            log.warning("%s:%d: no question or rating, skipped", path, number)
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


def candidate(entry: dict[str, Any]) -> dict[str, Any]:
    """One question-set row (eval/README.md format) from one rating."""
    question = normalise(entry["question"])
    up = entry["rating"] == "up"
    row: dict[str, Any] = {
        "id": "fb-" + hashlib.sha1(question.encode()).hexdigest()[:8],
        "question": question,
        "lang": detect_lang(question),
        "type": "factoid",
        "evidence": cited_sentences(entry.get("citations") or []) if up else [],
        "answer_facts": [],
        "answerable": True,
    }
    if not row["evidence"]:  # a thumbs-down, or a thumbs-up that cited nothing
        row["needs_review"] = True
    return row


def feedback_to_candidates(feedback_path: Path, out_path: Path) -> int:
    """Write one candidate row per distinct question to `out_path` (JSONL); returns how many."""
    latest = {normalise(e["question"]): e for e in read_feedback(feedback_path)}
    rows = [candidate(entry) for entry in latest.values()]
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with out_path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    log.info("%d candidate questions from %s written to %s", len(rows), feedback_path, out_path)
    return len(rows)
