"""The optional LLM path against a tiny OpenAI-compatible server on 127.0.0.1."""
from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from reportqa.cli import main
from reportqa.index.store import IndexData
from reportqa.qa.answer import Answerer
from reportqa.qa.compose import NOT_COVERED
from reportqa.qa.llm import LlmConfig

from tests.fake_llm import fake_llm

QUESTION = "사바에시는 일본 안경테 생산에서 어느 정도 비중을 차지하나?"


@pytest.fixture()
def server() -> Iterator[ThreadingHTTPServer]:
    with fake_llm() as httpd:
        yield httpd


def llm_answerer(answerer: Answerer, server: ThreadingHTTPServer, timeout: float = 5.0) -> Answerer:
    return Answerer(answerer.searcher, answerer.config, LlmConfig(url=server.url, model="fake", timeout=timeout))


def test_valid_citations_are_kept_and_renumbered(answerer: Answerer, server: ThreadingHTTPServer) -> None:
    server.reply = "사바에시는 일본 안경테의 96%를 생산한다 [2]. 세계 시장의 20%로 추정된다 [2]."
    answer = llm_answerer(answerer, server).answer(QUESTION)
    assert answer.method == "llm" and answer.notice is None
    assert answer.text == "사바에시는 일본 안경테의 96%를 생산한다 [1]. 세계 시장의 20%로 추정된다 [1]."
    assert len(answer.citations) == 1
    prompt = server.requests[0]["messages"][1]["content"]
    assert f"[2] ({answer.citations[0].chunk.section})" in prompt  # the cited excerpt is the one numbered 2


def test_citations_to_excerpts_not_given_are_removed(answerer: Answerer, server: ThreadingHTTPServer) -> None:
    server.reply = "사바에시는 안경테의 96%를 만든다 [1]. 도요타도 그렇다 [9]."
    answer = llm_answerer(answerer, server).answer(QUESTION)
    assert answer.method == "llm"
    assert "[9]" not in answer.text and answer.text.endswith("도요타도 그렇다.")
    assert [c.n for c in answer.citations] == [1]


@pytest.mark.parametrize("reply", ["사바에시는 안경테를 많이 만든다.", "답은 [7]에 있다."])
def test_answer_without_a_valid_citation_falls_back(answerer: Answerer, server: ThreadingHTTPServer, reply: str) -> None:
    server.reply = reply
    answer = llm_answerer(answerer, server).answer(QUESTION)
    assert answer.method == "extractive" and "96%" in answer.text
    assert answer.notice == "The LLM answer cited no excerpt; showing the extractive answer."


def test_timeout_falls_back_with_a_notice(answerer: Answerer, server: ThreadingHTTPServer) -> None:
    server.reply, server.delay = "늦은 답 [1].", 2.0
    answer = llm_answerer(answerer, server, timeout=0.5).answer(QUESTION)
    assert answer.method == "extractive" and "96%" in answer.text
    assert answer.notice and "did not answer within 0.5s" in answer.notice


def test_unreachable_server_falls_back(answerer: Answerer) -> None:
    dead = Answerer(answerer.searcher, answerer.config, LlmConfig(url="http://127.0.0.1:9/v1", timeout=1.0))
    answer = dead.answer(QUESTION)
    assert answer.method == "extractive" and answer.notice and "failed" in answer.notice


@pytest.mark.parametrize("reply", ["NOT_COVERED", "**NOT_COVERED** — the excerpts say DeNA owns a team, not what it is called."])
def test_the_llm_finding_no_answer_in_the_excerpts_makes_the_answer_abstain(answerer: Answerer, server: ThreadingHTTPServer, reply: str) -> None:
    """The extractive step answers this at high confidence from a sentence naming DeNA and its team;
    the LLM reads that the team's name is not there, and the answer abstains."""
    question = "DeNA가 소유한 프로야구팀의 이름은?"
    assert answerer.answer(question).answerable
    server.reply = reply
    answer = llm_answerer(answerer, server).answer(question)
    assert not answer.answerable and answer.citations == [] and answer.method == "llm"
    assert answer.text == NOT_COVERED["ko"] and answer.notice == "The LLM found no answer in the excerpts."
    assert "reply with only the word NOT_COVERED" in server.requests[0]["messages"][0]["content"]


def test_ask_json_says_the_llm_declined(report_index: IndexData, server: ThreadingHTTPServer) -> None:
    server.reply = "NOT_COVERED"
    result = CliRunner().invoke(main, ["ask", "DeNA가 소유한 프로야구팀의 이름은?", "--json", "--llm-url", server.url])
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert (payload["answerable"], payload["method"], payload["citations"]) == (False, "llm", [])
    assert payload["notice"] == "The LLM found no answer in the excerpts."


def test_eval_scores_the_answers_the_llm_writes_or_declines(report_index: IndexData, server: ThreadingHTTPServer, tmp_path: Path) -> None:
    """`reportqa eval --llm-url`: the reader's abstentions count, and the summary says how many answers were the LLM's."""
    questions = tmp_path / "llm.jsonl"
    rows = [
        {"id": "a", "question": QUESTION, "evidence": ["일본 안경테 생산의 96%"], "answer_facts": ["96%"]},
        {"id": "u1", "question": "DeNA가 소유한 프로야구팀의 이름은?", "answerable": False},
        {"id": "u2", "question": "What was Toyota's operating profit in 2015?", "answerable": False},
    ]
    questions.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    server.reply = lambda question: "NOT_COVERED" if "DeNA" in question else "사바에시는 일본 안경테의 96%를 생산한다 [1]."
    result = CliRunner().invoke(main, ["eval", "--set", str(questions), "--modes", "hybrid", "--json", "--llm-url", server.url])
    assert result.exit_code == 0, result.stderr
    answers = json.loads(result.stdout)["answers"]
    assert answers["abstention_recall"] == 1.0 and answers["refused_answerable"] == 0.0
    assert answers["answer_accuracy"] == 1.0
    assert answers["by_llm"] == 2 / 3  # Toyota's question is refused before the LLM is asked
    assert not any("Toyota" in request["messages"][1]["content"] for request in server.requests)


def test_unanswerable_question_never_reaches_the_llm(answerer: Answerer, server: ThreadingHTTPServer) -> None:
    server.reply = "도요타의 영업이익은 2조 엔이다 [1]."
    answer = llm_answerer(answerer, server).answer("What was Toyota's operating profit in 2015?")
    assert not answer.answerable and server.requests == []


def test_config_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REPORTQA_LLM_URL", raising=False)
    assert LlmConfig.from_env() is None
    monkeypatch.setenv("REPORTQA_LLM_URL", "http://127.0.0.1:8080/v1/")
    monkeypatch.setenv("REPORTQA_LLM_MODEL", "qwen")
    monkeypatch.setenv("REPORTQA_LLM_API_KEY", "secret")
    config = LlmConfig.from_env()
    assert config is not None
    assert (config.endpoint, config.model, config.api_key) == ("http://127.0.0.1:8080/v1/chat/completions", "qwen", "secret")
