"""Extractive answers on the real report: citations, lists, numbers, follow-ups, abstention."""
from __future__ import annotations

import re

import pytest
from reportqa.eval.questions import holds, load_questions
from reportqa.qa.answer import Answerer

MARKER = re.compile(r"\[(\d+)\]")


def test_showcase_list_cites_all_three_regional_cases(answerer: Answerer) -> None:
    answer = answerer.answer("Which firms used regional strengths?")
    assert answer.answerable and answer.text.startswith("The report gives these cases:")
    for name, product in [("이마바리", "수건"), ("사바에", "안경테"), ("오타구", "기계가공")]:
        cited = [c for c in answer.citations if any(name in sentence for sentence in c.sentences)]
        assert cited, f"{name} not cited"
        assert product in cited[0].chunk.text
        assert f"[{cited[0].n}]" in answer.text


def test_korean_list_question_gathers_the_section(answerer: Answerer) -> None:
    answer = answerer.answer("지역적 강점을 활용한 기업은?")
    sentences = " ".join(answer.quoted)
    assert all(name in sentences for name in ("이마바리", "사바에", "오타구"))
    assert {c.chunk.section for c in answer.citations} == {"2. 장기불황을 극복한 중소기업 사례 > ④ 지역적 강점의 활용"}


def test_every_sentence_ends_with_a_valid_citation(answerer: Answerer) -> None:
    answer = answerer.answer("타스크사는 어떤 제품을 만드나?")
    numbers = [int(n) for n in MARKER.findall(answer.text)]
    # One card per place: several sentences may cite the same card; cards are numbered by first use.
    assert list(dict.fromkeys(numbers)) == [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    for citation in answer.citations:
        start, end = citation.highlight
        assert citation.sentence == citation.chunk.text[start:end]
        assert all(sentence.strip() in answer.text for sentence in citation.sentences)
    assert "바늘" in " ".join(answer.citations[0].sentences)


@pytest.mark.parametrize(
    ("question", "number"),
    [
        ("사바에시는 일본 안경테 생산에서 어느 정도 비중을 차지하나?", "96%"),
        ("타스크사는 스페인에서 점유율이 얼마나 되나?", "60%"),
        ("How much did Japan's vacant store rate rise by 2012?", "14.6%"),
        # The report writes "사바에시" and "타스크사": a name one jamo off is a typo of a name it mentions.
        pytest.param("사바애시는 일본 안경테 생산에서 어느 정도 비중을 차지하나?", "96%", id="typo-vowel"),
        pytest.param("타스끄사는 스페인에서 점유율이 얼마나 되나?", "60%", id="typo-consonant"),
    ],
)
def test_numeric_questions_cite_the_sentence_holding_the_number(answerer: Answerer, question: str, number: str) -> None:
    answer = answerer.answer(question)
    assert answer.answerable
    assert number in answer.citations[0].sentence


def test_english_question_gets_english_lead_in_and_korean_quotes(answerer: Answerer) -> None:
    answer = answerer.answer("What share of Japan's eyeglass frames does Sabae produce?")
    assert answer.lang == "en" and answer.text.startswith("According to the report:")
    assert "“" in answer.text and "96%" in answer.text


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("What was Toyota's operating profit in 2015?", "The report does not cover this question."),
        ("삼성전자의 반도체 투자 규모는?", "보고서에서 이 질문에 답하는 내용을 찾지 못했습니다."),
    ],
)
def test_unanswerable_questions_abstain_in_their_language(answerer: Answerer, question: str, message: str) -> None:
    answer = answerer.answer(question)
    assert not answer.answerable and answer.text == message and answer.citations == []
    assert answer.confidence < 0.5


@pytest.mark.parametrize(
    ("name", "spelling"),
    [
        ("사바애시", "사바에시"),  # one vowel off
        ("도카이전기", None),  # two jamo off "도카이전자": another company
        ("삼성전자", None),
        ("1979", "1979"),
        ("1978", None),  # numbers match exactly
    ],
)
def test_names_are_spelt_as_the_documents_spell_them(answerer: Answerer, name: str, spelling: str | None) -> None:
    report = "\n".join(d.text for d in answerer.searcher.data.documents.values())
    assert answerer.names.spelling(name, near=report) == spelling
    if spelling != name:  # a typo is looked for only in the retrieved passages
        assert answerer.names.spelling(name, near="") is None


def test_follow_up_is_resolved_with_the_conversation(answerer: Answerer) -> None:
    first = answerer.answer("타스크사는 어떤 제품을 만드나?")
    follow = answerer.answer("그 회사는 어느 나라에 수출하나?", history=[first])
    assert "타스크사" in follow.query
    assert "스페인" in " ".join(follow.citations[0].sentences) or "30개" in " ".join(follow.citations[0].sentences)
    alone = answerer.answer("그 회사는 어느 나라에 수출하나?")
    assert alone.query == "그 회사는 어느 나라에 수출하나?"


def test_answers_on_the_question_set_cite_evidence(answerer: Answerer) -> None:
    """Floor from measured values (docs/evaluation.md, "Current figures"): most first citations hold the evidence."""
    questions = [q for q in load_questions() if q.answerable]
    good = 0
    for question in questions:
        answer = answerer.answer(question.question)
        good += any(holds(c.chunk.text, e) for c in answer.citations for e in question.evidence)
    assert good / len(questions) >= 0.85
