"""A question read once: what each stage takes from it equals what reading the text again gives."""
from __future__ import annotations

from reportqa.index.tokenize import bm25_tokens
from reportqa.qa.question import read_question


def test_one_reading_gives_the_search_its_morphemes_and_choice_its_cues() -> None:
    text = "사바에시는 일본 안경테 생산에서 어느 정도 비중을 차지하나?"
    question = read_question(text)
    assert question.tokens == bm25_tokens(text)
    assert question.lang == "ko" and question.intent.names == ("사바에시", "일본")
    assert question.quantity is not None and not question.wants_list  # "어느 정도 비중": a share


def test_a_quantity_a_list_and_an_english_question() -> None:
    assert read_question("GNT 기업이란 무엇인가?").quantity is None
    assert read_question("어떤 기업들이 지역적 강점을 활용했나?").wants_list
    english = read_question("Which firms used regional strengths?")
    assert english.lang == "en" and english.intent.wants_entity and english.quantity is None
    assert read_question(" Which firms used regional strengths? ").intent == english.intent  # read stripped
