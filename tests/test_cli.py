"""The `reportqa` command as a user types it: exit codes, one-line errors, JSON shapes."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from reportqa.cli import main
from reportqa.index import store

HIT_KEYS = {"rank", "score", "chunk_id", "doc", "title", "section", "start", "end", "text"}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_search_json_returns_ranked_hits(report_index: store.IndexData) -> None:
    code, out, _ = run("search", "지역적 강점을 활용한 기업은?", "-k", "5", "--json")
    assert code == 0
    payload = json.loads(out)
    assert payload["question"] == "지역적 강점을 활용한 기업은?"
    assert [h["rank"] for h in payload["hits"]] == [1, 2, 3, 4, 5]
    assert set(payload["hits"][0]) == HIT_KEYS
    assert "④ 지역적 강점의 활용" in payload["hits"][0]["section"]


def test_search_batch_prints_one_line_per_question(report_index: store.IndexData, tmp_path: Path) -> None:
    batch = tmp_path / "questions.jsonl"
    batch.write_text('{"id": "a", "question": "Which firms used regional strengths?"}\n{"id": "b", "question": "타스크사는 어떤 제품을 만드나?"}\n', encoding="utf-8")
    code, out, _ = run("search", "--batch", str(batch), "-k", "3", "--mode", "dense", "--json")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["id"] for line in lines] == ["a", "b"]
    assert all(len(line["hits"]) == 3 for line in lines)


def test_ask_json_shape(report_index: store.IndexData) -> None:
    code, out, _ = run("ask", "사바에시는 일본 안경테 생산에서 어느 정도 비중을 차지하나?", "--json")
    assert code == 0
    payload = json.loads(out)
    assert set(payload) == {"question", "answer", "answerable", "confidence", "citations"}
    assert payload["answerable"] and "96%" in payload["answer"]
    citation = payload["citations"][0]
    assert set(citation) == HIT_KEYS - {"rank"} | {"n", "highlight"}
    start, end = citation["highlight"]
    assert "96%" in citation["text"][start:end]


def test_empty_question_is_a_one_line_error(report_index: store.IndexData) -> None:
    code, out, err = run("search", "  ")
    assert code == 1 and out == ""
    assert err.strip().splitlines() == ["Error: the question is empty; ask something about the documents"]


def test_missing_index_is_a_one_line_error(home: Path) -> None:
    code, _, err = run("search", "질문", "--index", "absent")
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and "reportqa index --index absent" in err


def test_unreadable_file_is_a_one_line_error_and_changes_nothing(report_index: store.IndexData, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.txt"
    before = (store.index_folder() / "CURRENT").read_text()
    code, _, err = run("index", str(missing))
    assert code == 1 and "nowhere.txt" in err and len(err.strip().splitlines()) == 1
    assert (store.index_folder() / "CURRENT").read_text() == before


def test_batch_file_with_bad_json_is_a_one_line_error(report_index: store.IndexData, tmp_path: Path) -> None:
    batch = tmp_path / "bad.jsonl"
    batch.write_text("{not json\n", encoding="utf-8")
    code, _, err = run("search", "--batch", str(batch))
    assert code == 1 and "bad.jsonl:1" in err and len(err.strip().splitlines()) == 1
