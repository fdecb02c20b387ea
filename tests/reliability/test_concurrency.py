"""Chats share one answerer: answers given side by side equal the ones given one at a time."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from reportqa.limits import CHAT_CONCURRENCY
from reportqa.eval.questions import load_questions
from reportqa.qa.answer import Answerer


def test_simultaneous_answers_equal_serial_ones(answerer: Answerer) -> None:
    questions = [q.question for q in load_questions()][:12]
    serial = [answerer.answer(q, use_llm=False).to_dict() for q in questions]
    with ThreadPoolExecutor(max_workers=CHAT_CONCURRENCY) as pool:
        together = list(pool.map(lambda q: answerer.answer(q, use_llm=False).to_dict(), questions))
    assert together == serial
