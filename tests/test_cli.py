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
    assert set(citation) == HIT_KEYS - {"rank"} | {"n", "highlight", "highlights"}
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


def test_ask_batch_lines_carry_their_history(report_index: store.IndexData, tmp_path: Path) -> None:
    batch = tmp_path / "follow-ups.jsonl"
    lines = [
        {"id": "after-answer", "question": "그 회사는 어느 나라에 수출하나?", "history": ["타스크사는 어떤 제품을 만드나?"]},
        {"id": "after-abstention", "question": "What products does it make?", "history": ["삼성전자의 반도체 투자 규모는 얼마인가?"]},
    ]
    batch.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines), encoding="utf-8")
    code, out, _ = run("ask", "--batch", str(batch), "--json")
    assert code == 0
    answered, refused = [json.loads(line) for line in out.splitlines()]
    assert answered["id"] == "after-answer" and answered["answerable"]
    assert "스페인" in answered["answer"] or "30개" in answered["answer"]
    assert refused["id"] == "after-abstention" and not refused["answerable"] and refused["citations"] == []


def test_ask_batch_history_must_be_a_list_of_questions(report_index: store.IndexData, tmp_path: Path) -> None:
    batch = tmp_path / "bad.jsonl"
    batch.write_text('{"question": "그 회사는?", "history": "타스크사"}\n', encoding="utf-8")
    code, _, err = run("ask", "--batch", str(batch))
    assert code == 1 and len(err.strip().splitlines()) == 1 and "history" in err


def test_chat_keeps_the_conversation(report_index: store.IndexData) -> None:
    result = CliRunner().invoke(main, ["chat"], input="타스크사는 어떤 제품을 만드나?\n그 회사는 어느 나라에 수출하나?\n")
    assert result.exit_code == 0, result.stderr
    replies = result.stdout.split("confidence ")
    assert len(replies) == 3  # two answers, each followed by its confidence
    assert "바늘" in replies[0] and ("스페인" in replies[1] or "30개" in replies[1])
