"""Any question, k and mode: an Answer (or hits) or a ReportQAError, never anything else."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reportqa import limits
from reportqa.errors import EmptyQuestion, InvalidInput, ReportQAError
from reportqa.index.search import Searcher
from reportqa.limits import MODES
from reportqa.qa.answer import Answerer
from reportqa.qa.types import Answer

# Every code point, lone surrogates included (what invalid UTF-8 in argv becomes), short or near the limit.
ANY_CHAR = st.characters(exclude_categories=())
QUESTIONS = st.one_of(
    st.text(ANY_CHAR, max_size=60),
    st.builds(lambda head, n: head * n, st.text(ANY_CHAR, min_size=1, max_size=3), st.integers(600, 1100)),
    st.sampled_from(["사바에시는 안경테 생산에서 어느 정도 비중을 차지하나?", "Which firms used regional strengths?"]),
)
KS = st.one_of(st.none(), st.integers(-3, limits.MAX_K + 3), st.sampled_from([True, 2.5, "5"]))
ANY_MODES = st.one_of(st.none(), st.sampled_from([*MODES, "", "nope", "HYBRID"]))
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _legal(k: object, mode: object) -> bool:
    k_ok = k is None or (type(k) is int and 1 <= k <= limits.MAX_K)
    return k_ok and (mode is None or mode in MODES)


@SETTINGS
@given(question=QUESTIONS, k=KS, mode=ANY_MODES)
def test_answer_is_an_answer_or_a_typed_error(answerer: Answerer, question: str, k: object, mode: object) -> None:
    try:
        answer = answerer.answer(question, k=k, mode=mode, use_llm=False)  # type: ignore[arg-type]
    except ReportQAError as error:
        assert "\n" not in str(error)
        if not _legal(k, mode):
            assert isinstance(error, (InvalidInput, EmptyQuestion))  # whichever rule is checked first
        return
    assert _legal(k, mode), f"accepted k={k!r} mode={mode!r}"
    assert isinstance(answer, Answer)
    answer.text.encode("utf-8")  # printable and JSON-safe: no lone surrogate survives


@SETTINGS
@given(question=QUESTIONS, k=st.integers(-3, limits.MAX_K + 3), mode=st.sampled_from([*MODES, "nope"]))
def test_search_returns_at_most_k_hits_or_a_typed_error(searcher: Searcher, question: str, k: int, mode: str) -> None:
    try:
        hits = searcher.search(question, k=k, mode=mode)  # type: ignore[arg-type]
    except ReportQAError:
        return
    assert _legal(k, mode)
    assert len(hits) <= k


def test_question_over_the_limit_is_refused_not_cut(answerer: Answerer, monkeypatch) -> None:
    monkeypatch.setenv("REPORTQA_MAX_QUESTION_CHARS", "50")
    try:
        answerer.answer("가" * 51)
    except InvalidInput as error:
        assert "51 characters" in str(error) and "REPORTQA_MAX_QUESTION_CHARS" in str(error)
    else:
        raise AssertionError("a question over the limit was answered")
    assert answerer.answer("가" * 50, use_llm=False).question == "가" * 50


def test_invalid_utf8_from_argv_is_cleaned_to_the_real_question(answerer: Answerer) -> None:
    question = "사바에시는 일본 안경테 생산에서 어느 정도 비중을 차지하나?"
    garbled = question + "\udcff\udcfe"  # how Python hands over invalid UTF-8 bytes in argv
    assert answerer.answer(garbled, use_llm=False).text == answerer.answer(question, use_llm=False).text
