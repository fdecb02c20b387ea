"""Thumbs up/down log → candidate question-set rows."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from reportqa.eval.feedback import feedback_to_candidates
from reportqa.eval.questions import load_questions

CHUNK = "후쿠이현의 사바에시는 일본 안경테 생산의 96%를 차지하고 있다. 인구는 증가세를 유지하고 있다."
HIGHLIGHT = [0, CHUNK.index(".") + 1]


def _line(question: str, rating: str, citations: list[dict] | None = None) -> str:
    entry = {"time": "2025-01-01T10:00:00", "question": question, "answer": "…", "citations": citations or [], "rating": rating}
    return json.dumps(entry, ensure_ascii=False)


@pytest.fixture
def converted(tmp_path: Path) -> tuple[int, list[dict]]:
    citation = {"n": 1, "chunk_id": "abc", "text": CHUNK, "highlight": HIGHLIGHT}
    log = tmp_path / "feedback.jsonl"
    log.write_text(
        "\n".join(
            [
                _line("사바에시의 안경테 점유율은?", "down"),
                _line("What does Task make?", "down"),
                '{"question": "broken',  # an interrupted write
                _line("사바에시의  안경테 점유율은? ", "up", [citation, citation]),  # rated again: latest wins
                _line("빈 질문", "maybe"),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out" / "candidates.jsonl"
    count = feedback_to_candidates(log, out)
    return count, [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_one_row_per_distinct_question(converted: tuple[int, list[dict]]) -> None:
    count, rows = converted
    assert count == len(rows) == 2
    assert [r["question"] for r in rows] == ["사바에시의 안경테 점유율은?", "What does Task make?"]
    assert all(r["id"].startswith("fb-") for r in rows) and len({r["id"] for r in rows}) == 2


def test_up_takes_the_highlighted_sentences_as_evidence(converted: tuple[int, list[dict]]) -> None:
    up = converted[1][0]
    assert up["evidence"] == ["후쿠이현의 사바에시는 일본 안경테 생산의 96%를 차지하고 있다."]
    assert up["lang"] == "ko" and up["type"] == "factoid" and up["answerable"] is True
    assert up["answer_facts"] == [] and "needs_review" not in up


def test_down_needs_review(converted: tuple[int, list[dict]]) -> None:
    down = converted[1][1]
    assert down["lang"] == "en"
    assert down["evidence"] == [] and down["answerable"] is True and down["needs_review"] is True


def test_rows_load_as_a_question_set(converted: tuple[int, list[dict]], tmp_path: Path) -> None:
    questions = load_questions(tmp_path / "out" / "candidates.jsonl")
    assert [q.lang for q in questions] == ["ko", "en"]
