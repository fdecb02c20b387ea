"""One boundary: the same refusal from `ingest` and `index`, argv and --batch text cleaned, the chat never raw."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from reportqa.app import Engine, reply
from reportqa.cli import main
from reportqa.index import store

QUESTION = "사바에시는 일본 안경테 생산에서 어느 정도 비중을 차지하나?"


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def _one_line(result) -> str:
    assert result.exit_code == 1, result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bad-inputs")
    (root / "empty-folder").mkdir()
    (root / "unsupported").mkdir()
    (root / "unsupported" / "notes.xyz").write_text("text", encoding="utf-8")
    os.mkfifo(root / "fifo")
    (root / "loop").symlink_to(root / "loop")
    (root / "dangling").symlink_to(root / "nowhere.txt")
    (root / "empty.txt").write_text("", encoding="utf-8")
    (root / "binary.txt").write_bytes(b"\x00\x01\x02")
    return {p.name: p for p in root.iterdir()} | {"dev-null": Path("/dev/null")}


@pytest.mark.parametrize("case", ["empty-folder", "unsupported", "fifo", "loop", "dangling", "empty.txt", "binary.txt", "dev-null"])
def test_ingest_refuses_exactly_as_index_does(case: str, bad_inputs: dict[str, Path], report_index: store.IndexData) -> None:
    path = str(bad_inputs[case])
    from_ingest = _one_line(run("ingest", path))
    from_index = _one_line(run("index", "--index", "parity", path))
    assert from_ingest == from_index and path in from_ingest
    assert "no such file" not in from_ingest or case == "dangling"


def test_file_over_the_size_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "big.txt"
    big.write_text("가" * 400_000, encoding="utf-8")  # 1.2 MB
    monkeypatch.setenv("REPORTQA_MAX_FILE_MB", "1")
    assert "REPORTQA_MAX_FILE_MB" in _one_line(run("ingest", str(big)))


@pytest.mark.parametrize("args", [["ask", QUESTION, "-k", "0"], ["ask", QUESTION, "-k", "-1"], ["search", QUESTION, "-k", "101"], ["ask", "가" * 2001]])
def test_out_of_range_input_is_refused_by_every_command(args: list[str], report_index: store.IndexData) -> None:
    assert _one_line(run(*args)).startswith("Error: ")


def test_invalid_utf8_in_argv_and_batch_is_cleaned(tmp_path: Path, report_index: store.IndexData) -> None:
    result = run("search", QUESTION + "\udcff", "--json", "-k", "1")
    assert result.exit_code == 0 and json.loads(result.stdout)["question"] == QUESTION
    batch = tmp_path / "batch.jsonl"
    batch.write_text(json.dumps({"id": "a\ud800", "question": QUESTION + "\udfff"}) + "\n", encoding="utf-8")
    result = run("ask", "--batch", str(batch), "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["id"] == "a"
    batch.write_bytes(b'{"question": "\xff\xfe"}\n')  # not UTF-8 at all
    assert "batch.jsonl" in _one_line(run("search", "--batch", str(batch)))


def test_chat_turns_every_failure_into_a_readable_message(report_index: store.IndexData) -> None:
    engine = Engine(store.DEFAULT_INDEX, None, None)
    engine.start()
    answer, html_text = reply(engine, QUESTION + "\ud800", [], 5, "hybrid", False)
    assert answer is not None and answer.answerable
    for question, k, mode in (("가" * 2001, 5, "hybrid"), (QUESTION, 0, "hybrid"), (QUESTION, 5, "nope"), ("\udcff", 5, "hybrid")):
        answer, html_text = reply(engine, question, [], k, mode, False)
        assert answer is None and html_text.startswith('<p class="answer-error">') and "Traceback" not in html_text
