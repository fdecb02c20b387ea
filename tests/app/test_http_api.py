"""The HTTP API beside the chat, through the official `openai` client and plain HTTP, against a real
server on 127.0.0.1 (the real model, the real index)."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

import httpx
import openai
import pytest
from click.testing import CliRunner
from playwright.sync_api import Page, expect
from reportqa.app import launch
from reportqa.cli import main
from reportqa.errors import ReportQAError
from reportqa.http_api import api_schema
from reportqa.index import store
from reportqa.index.build import previous_parts
from reportqa.index.embedder import Embedder
from reportqa.index.qdrant_store import QdrantTarget, QdrantWriter
from reportqa.ingest.chunk import ChunkingConfig
from reportqa.paths import PROJECT_ROOT

from tests.app.driver import Chat, _free_port
from tests.fake_llm import fake_llm

KEY = "test-key-1234"
QUESTION = "사바에시는 일본 안경테 생산에서 어느 정도 비중을 차지하나?"
FOLLOW_UP = ["타스크사는 어떤 제품을 만드나?", "그 회사는 어느 나라에 수출하나?"]
CONCURRENT = 20
MEMO = "사내 메모\n\n올해 연구소의 특허 출원은 37건으로 지난해보다 9건 늘었다.\n"
MEMO_QUESTION = "연구소의 올해 특허 출원은 몇 건인가?"


@pytest.fixture(scope="module")
def url(app_home: Path) -> Iterator[str]:
    port = _free_port()
    demo = launch(port=port, block=False, api_key=KEY)
    try:  # the first question waits for the index (built on first start): the tests then meet it ready
        httpx.post(f"http://127.0.0.1:{port}/v1/search", json={"query": QUESTION}, headers={"Authorization": f"Bearer {KEY}"}, timeout=600)
        yield f"http://127.0.0.1:{port}"
    finally:
        demo.close()


@pytest.fixture(scope="module")
def client(url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=KEY, timeout=300, max_retries=0)


def cli_json(*args: str) -> dict:
    result = CliRunner().invoke(main, [*args, "--json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def expected() -> dict:
    """What `reportqa ask --json` says to the question, on the same index."""
    return cli_json("ask", QUESTION)


def test_chat_completion_carries_the_answer_and_its_citations(client: openai.OpenAI, expected: dict) -> None:
    reply = client.chat.completions.create(model="reportqa", messages=[{"role": "user", "content": QUESTION}])
    assert reply.choices[0].message.content == expected["answer"] and "[1]" in expected["answer"]
    assert reply.choices[0].finish_reason == "stop"
    extra = reply.model_extra or {}
    assert extra["citations"] == expected["citations"] and extra["confidence"] == expected["confidence"]


def test_streamed_reply_is_the_same_text_with_the_citations_at_the_end(client: openai.OpenAI, expected: dict) -> None:
    chunks = list(client.chat.completions.create(model="reportqa", messages=[{"role": "user", "content": QUESTION}], stream=True))
    assert len(chunks) > 2
    assert "".join(chunk.choices[0].delta.content or "" for chunk in chunks) == expected["answer"]
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert (chunks[-1].model_extra or {})["citations"] == expected["citations"]


def test_earlier_user_messages_are_the_chat_history(client: openai.OpenAI) -> None:
    """A follow-up ("그 회사") is resolved against the earlier question, as in the chat and `ask --batch`."""
    messages = [{"role": "user", "content": FOLLOW_UP[0]}, {"role": "assistant", "content": "…"}, {"role": "user", "content": FOLLOW_UP[1]}]
    reply = client.chat.completions.create(model="reportqa", messages=messages)
    result = CliRunner().invoke(main, ["ask", "--batch", "-", "--json"], input=json.dumps({"question": FOLLOW_UP[1], "history": FOLLOW_UP[:1]}) + "\n")
    assert reply.choices[0].message.content == json.loads(result.stdout)["answer"]


def test_a_wrong_or_missing_key_gets_401(url: str) -> None:
    wrong = openai.OpenAI(base_url=f"{url}/v1", api_key="not-the-key", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        wrong.chat.completions.create(model="reportqa", messages=[{"role": "user", "content": QUESTION}])
    response = httpx.post(f"{url}/v1/search", json={"query": QUESTION})
    assert response.status_code == 401 and "API key" in response.json()["error"]["message"]


def test_twenty_concurrent_requests_are_all_answered_alike(client: openai.OpenAI, expected: dict) -> None:
    def ask(_: int) -> str:
        return client.chat.completions.create(model="reportqa", messages=[{"role": "user", "content": QUESTION}]).choices[0].message.content

    with ThreadPoolExecutor(CONCURRENT) as pool:
        answers = list(pool.map(ask, range(CONCURRENT)))
    assert answers == [expected["answer"]] * CONCURRENT


def test_search_and_ask_match_the_cli(url: str, expected: dict) -> None:
    headers = {"Authorization": f"Bearer {KEY}"}
    found = httpx.post(f"{url}/v1/search", json={"query": QUESTION, "k": 3}, headers=headers, timeout=120).json()
    assert found == cli_json("search", QUESTION, "-k", "3") and len(found["hits"]) == 3
    assert httpx.post(f"{url}/v1/ask", json={"question": QUESTION}, headers=headers, timeout=120).json() == {**expected}
    bad = httpx.post(f"{url}/v1/ask", json={"question": "   "}, headers=headers, timeout=120)
    assert bad.status_code == 400 and bad.json()["error"]["message"]


def test_documents_are_added_listed_and_removed(url: str, tmp_path: Path) -> None:
    headers = {"Authorization": f"Bearer {KEY}"}
    note = tmp_path / "memo.txt"
    note.write_text(MEMO, encoding="utf-8")
    with note.open("rb") as file:
        added = httpx.post(f"{url}/v1/documents", files=[("files", ("memo.txt", file)), ("files", ("x.xyz", b"?"))], headers=headers, timeout=300).json()
    assert [d["name"] for d in added["added"]] == ["memo.txt"] and "unsupported file type" in added["errors"]["x.xyz"]
    listed = httpx.get(f"{url}/v1/documents", headers=headers).json()["documents"]
    assert [d["name"] for d in listed] == ["memo.txt"]
    answer = httpx.post(f"{url}/v1/ask", json={"question": MEMO_QUESTION}, headers=headers, timeout=120).json()
    assert "37건" in answer["answer"]
    removed = httpx.delete(f"{url}/v1/documents/{listed[0]['id']}", headers=headers, timeout=300).json()
    assert removed == {"removed": [listed[0]["id"]]}
    assert httpx.get(f"{url}/v1/documents", headers=headers).json()["documents"] == []


def test_a_read_only_server_refuses_uploads(app_home: Path) -> None:
    port = _free_port()
    demo = launch(port=port, block=False, read_only=True)
    try:
        response = httpx.post(f"http://127.0.0.1:{port}/v1/documents", files=[("files", ("a.txt", b"x"))], timeout=60)
        assert response.status_code == 403 and "read-only" in response.json()["error"]["message"]
        assert httpx.delete(f"http://127.0.0.1:{port}/v1/documents/abc", timeout=60).status_code == 403
    finally:
        demo.close()


def test_beyond_loopback_a_key_is_required() -> None:
    with pytest.raises(ReportQAError, match="needs an API key"):
        launch(host="0.0.0.0", port=_free_port(), block=False)
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0"], env={"REPORTQA_API_KEY": ""})
    assert result.exit_code == 1 and "needs an API key" in result.stderr and result.stderr.strip().count("\n") == 0


def test_the_openapi_page_is_the_servers_schema(url: str) -> None:
    """docs/openapi.json is rewritten by `make docs`; a route changed without it fails here."""
    served = httpx.get(f"{url}/v1/openapi.json", headers={"Authorization": f"Bearer {KEY}"}).json()
    assert served == api_schema() == json.loads((PROJECT_ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
    assert {"/v1/chat/completions", "/v1/search", "/v1/ask", "/v1/documents", "/v1/documents/{document_id}"} <= set(served["paths"])


def test_two_workers_answer_alike_and_see_each_others_documents(app_home: Path, url: str, expected: dict, tmp_path: Path, page: Page) -> None:
    """`serve --workers 2`: one port, two processes; a document added through either is found by
    both, and the chat page works there too (in the real browser)."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {KEY}"}
    log = (tmp_path / "serve.log").open("wb")  # a file, not a pipe: a full pipe would stall the server
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("reportqa")), "serve", "--workers", "2", "--port", str(port), "--api-key", KEY],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_serving(base, server, tmp_path / "serve.log")
        question = {"model": "reportqa", "messages": [{"role": "user", "content": QUESTION}]}
        with ThreadPoolExecutor(8) as pool:  # new connections: the kernel spreads them over both workers
            replies = list(pool.map(lambda _: httpx.post(f"{base}/v1/chat/completions", json=question, headers=headers, timeout=300).json(), range(8)))
        assert {r["choices"][0]["message"]["content"] for r in replies} == {expected["answer"]}
        added = httpx.post(f"{base}/v1/documents", files=[("files", ("memo.txt", MEMO.encode()))], headers=headers, timeout=300).json()
        memo = added["added"][0]["id"]
        asked = {"question": MEMO_QUESTION}
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda _: httpx.post(f"{base}/v1/ask", json=asked, headers=headers, timeout=300).json()["answer"], range(8)))
        assert all("37건" in answer for answer in answers)
        httpx.delete(f"{base}/v1/documents/{memo}", headers=headers, timeout=300)
        expect(Chat(page, base).ask(QUESTION)).to_contain_text("96%")
        page.goto("about:blank")
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(60)
        log.close()


def wait_until_serving(base: str, server: subprocess.Popen, log: Path, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text(errors="replace")
        try:
            if httpx.get(f"{base}/v1/models", headers={"Authorization": f"Bearer {KEY}"}, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(1)
    raise AssertionError(f"nothing served at {base} within {seconds} s")


def test_with_an_llm_the_completion_is_the_llms_answer_with_its_citation(app_home: Path) -> None:
    """A server started with --llm-url answers API calls as the chat does (the LLM is the fake on 127.0.0.1)."""
    with fake_llm(lambda question: "사바에시는 일본 안경테의 96%를 생산한다 [1].") as llm:
        port = _free_port()
        demo = launch(port=port, block=False, llm_url=llm.url)
        try:
            client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="unused", timeout=300, max_retries=0)
            reply = client.chat.completions.create(model="reportqa", messages=[{"role": "user", "content": QUESTION}])
            assert reply.choices[0].message.content == "사바에시는 일본 안경테의 96%를 생산한다 [1]."
            assert "96%" in (reply.model_extra or {})["citations"][0]["text"]
            extractive = httpx.post(f"http://127.0.0.1:{port}/v1/ask", json={"question": QUESTION, "use_llm": False}, timeout=120).json()
            assert extractive["method"] == "extractive" and len(llm.requests) == 1
        finally:
            demo.close()


def test_an_app_over_qdrant_answers_as_over_the_files(app_home: Path, expected: dict, embedder: Embedder, tmp_path: Path, page: Page) -> None:
    """`serve --store qdrant`: the app holds only the collection's manifest, and the API and the chat
    (its sources panel reads the cited documents from the store) answer as over the files."""
    chunking = asdict(ChunkingConfig())
    target = QdrantTarget(path=tmp_path / "qdrant")
    writer = QdrantWriter(target, store.DEFAULT_INDEX, embedder.name, embedder.dim, chunking)
    parts = list(previous_parts(store.DEFAULT_INDEX, embedder, chunking).values())
    for p in parts:
        writer.put(p)
    writer.commit([p.document.doc_id for p in parts], ["test"])
    port = _free_port()
    demo = launch(port=port, block=False, qdrant=target, api_key=KEY)
    base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {KEY}"}
    try:
        assert httpx.post(f"{base}/v1/ask", json={"question": QUESTION}, headers=headers, timeout=600).json() == {**expected}
        chat = Chat(page, base)
        expect(chat.ask(QUESTION)).to_contain_text("96%")
        expect(chat.sources).to_contain_text("사바에")
    finally:
        demo.close()
