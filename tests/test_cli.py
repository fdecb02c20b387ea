"""The `reportqa` command as a user types it: exit codes, one-line errors, JSON shapes."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from reportqa.cli import main
from reportqa.index import store

HIT_KEYS = {"rank", "score", "chunk_id", "doc", "title", "section", "start", "end", "text", "recognised"}


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
    assert set(payload) == {"question", "answer", "answerable", "confidence", "citations", "method", "notice"}
    assert payload["answerable"] and "96%" in payload["answer"]
    assert payload["method"] == "extractive" and payload["notice"] is None
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


def test_batch_reads_a_pipe(report_index: store.IndexData) -> None:
    """`… | reportqa search --batch -`: standard input, as shell users pipe a question set."""
    lines = '{"id": "a", "question": "타스크사는 어떤 제품을 만드나?"}\n{"id": "b", "question": "지역적 강점을 활용한 기업은?"}\n'
    result = CliRunner().invoke(main, ["search", "--batch", "-", "-k", "2", "--json"], input=lines)
    assert result.exit_code == 0, result.stderr
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["a", "b"]


def test_batch_reads_dev_stdin_from_a_real_pipe(report_index: store.IndexData) -> None:
    """A real shell pipe into /dev/stdin, in a fresh process (the session's data home and index)."""
    script = "from reportqa.cli import main; main(['search', '--batch', '/dev/stdin', '-k', '1', '--json'])"
    result = subprocess.run(
        [sys.executable, "-c", script], input='{"question": "사바에시는 어디에 있나?"}\n', capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["id"] == "1"


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


def test_search_human_output_names_rank_section_and_offsets(report_index: store.IndexData) -> None:
    code, out, _ = run("search", "지역적 강점을 활용한 기업은?", "-k", "2")
    assert code == 0
    first, *_ = out.splitlines()
    assert first.startswith("1. [") and "④ 지역적 강점의 활용" in first and "lgeri-japan-sme-long-recession" in first
    assert "\n2. [" in out


def test_ask_human_output_ends_with_confidence_and_sources(report_index: store.IndexData) -> None:
    code, out, _ = run("ask", "사바에시는 일본 안경테 생산에서 어느 정도 비중을 차지하나?")
    assert code == 0
    answer, _, tail = out.partition("\nconfidence ")
    assert "96%" in answer and "[1]" in answer
    assert tail.splitlines()[1].startswith("[1] ")  # the first source: section (doc:start-end)


def test_ask_batch_keeps_ids(report_index: store.IndexData, tmp_path: Path) -> None:
    batch = tmp_path / "q.jsonl"
    batch.write_text('{"question": "타스크사는 어떤 제품을 만드나?"}\n{"id": "x", "question": "Which firms used regional strengths?"}\n', encoding="utf-8")
    code, out, _ = run("ask", "--batch", str(batch), "--json")
    assert code == 0
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["1", "x"]


def test_batch_row_of_the_wrong_type_names_line_and_field(report_index: store.IndexData, tmp_path: Path) -> None:
    batch = tmp_path / "q.jsonl"
    batch.write_text('{"question": "타스크사는?"}\n\n{"question": ["a list"]}\n', encoding="utf-8")
    code, _, err = run("ask", "--batch", str(batch))
    assert code == 1
    assert err.strip().splitlines() == [f"Error: {batch}:3: field 'question' must be a non-empty question"]


def test_question_and_batch_together_are_refused(report_index: store.IndexData, tmp_path: Path) -> None:
    code, _, err = run("ask", "질문", "--batch", str(tmp_path / "q.jsonl"))
    assert code == 1 and err.strip() == "Error: give either a QUESTION or --batch FILE, not both"


def test_ingest_shows_title_sections_and_chunk_counts() -> None:
    code, out, _ = run("ingest")
    assert code == 0
    head, *sections = out.splitlines()
    assert head.startswith("lgeri-japan-sme-long-recession.txt: ") and head.endswith(" chunks")
    assert any("④ 지역적 강점의 활용" in line for line in sections)
    counts = [int(line.split("]")[0].strip(" [")) for line in sections]
    assert sum(counts) == int(head.rsplit(", ", 1)[1].split()[0])  # every chunk sits in one listed section


def test_ingest_json_chunks_round_trip_offsets(tmp_path: Path) -> None:
    doc = tmp_path / "note.txt"
    doc.write_text("1. 서론\n\n" + "이것은 검사를 위한 충분히 긴 문장으로, 보고서의 본문처럼 마침표로 끝난다. " * 4 + "\n", encoding="utf-8")
    code, out, _ = run("ingest", str(doc), "--json")
    assert code == 0
    chunks = [json.loads(line) for line in out.splitlines()]
    assert chunks and {"id", "doc_id", "start", "end", "text", "section"} <= set(chunks[0])


def test_ingest_explain_says_when_the_encoding_is_a_guess(tmp_path: Path) -> None:
    doc = tmp_path / "paris.txt"
    doc.write_bytes("Paris\n\nLe repas était très bon à Paris, et nous avons marché le long de la Seine jusqu'au soir.\n".encode("latin-1"))
    code, out, _ = run("ingest", str(doc), "--explain")
    assert code == 0
    assert out.splitlines()[0].startswith("note: encoding uncertain: read as cp1252 (also possible: cp1250")
    assert "très bon à Paris" in run("ingest", str(doc), "--json")[1]


def test_ingest_missing_file_is_a_one_line_error(tmp_path: Path) -> None:
    code, _, err = run("ingest", str(tmp_path / "absent.pdf"))
    assert code == 1 and len(err.strip().splitlines()) == 1 and "absent.pdf" in err


def test_index_reports_what_it_embedded_and_reused(report_index: store.IndexData) -> None:
    code, out, _ = run("index")
    assert code == 0
    assert out.startswith("Indexed 1 document(s)") and "(0 embedded, 1 unchanged, 0 kept from a stopped build)" in out


def test_an_index_of_an_older_format_is_refused_then_rebuilt_by_reportqa_index(home: Path, tmp_path: Path) -> None:
    report = tmp_path / "note.txt"
    report.write_text("도쿄의 한 금속 가공 회사는 2019년에 새로운 공장을 세웠다. 이 회사는 정밀 부품을 유럽에 수출한다.\n", encoding="utf-8")
    assert run("index", "--index", "older", str(report))[0] == 0
    manifest = store.index_folder("older") / (store.index_folder("older") / "CURRENT").read_text().strip() / "manifest.json"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(f'"format_version": {store.FORMAT_VERSION}', '"format_version": 2'), encoding="utf-8")
    code, _, err = run("search", "금속 가공 회사", "--index", "older")
    assert code == 1 and "has format 2" in err and "reportqa index --index older" in err
    code, out, _ = run("index", "--index", "older", str(report))
    assert code == 0 and "(1 embedded, 0 unchanged, 0 kept from a stopped build)" in out
    assert run("search", "금속 가공 회사", "--index", "older")[0] == 0


def test_a_default_index_of_an_older_format_is_rebuilt_on_first_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORTQA_HOME", str(tmp_path / "home"))
    assert run("index")[0] == 0
    manifest = store.index_folder() / (store.index_folder() / "CURRENT").read_text().strip() / "manifest.json"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(f'"format_version": {store.FORMAT_VERSION}', '"format_version": 2'), encoding="utf-8")
    code, out, err = run("search", "사바에시", "--json")
    assert code == 0 and err.startswith("The index was made by an older reportqa: rebuilding") and json.loads(out)["hits"]
    assert store.read_manifest().format_version == store.FORMAT_VERSION


def test_eval_human_output_and_a_new_folder_per_run(report_index: store.IndexData, home: Path, tmp_path: Path) -> None:
    small = tmp_path / "small.jsonl"
    small.write_text(
        '{"id": "a", "question": "사바에시는 일본 안경테 생산에서 어느 정도 비중을 차지하나?", "evidence": ["일본 안경테 생산의 96%"], "answer_facts": ["96%"]}\n',
        encoding="utf-8",
    )
    code, out, _ = run("eval", "--set", str(small), "--modes", "hybrid", "--k", "1,5")
    assert code == 0 and "hybrid" in out and "hit@5" in out
    first = Path(out.strip().splitlines()[-1].removeprefix("Report: "))
    code, out, _ = run("eval", "--set", str(small), "--modes", "bm25", "--json")
    assert code == 0 and set(json.loads(out)["modes"]) == {"bm25"}
    runs = sorted(p for p in (home / "eval" / "small").iterdir() if p.name != "latest")
    assert len(runs) >= 2 and first.parent in runs  # the first run's report was kept
    assert (home / "eval" / "small" / "latest").resolve() == runs[-1].resolve()


def test_eval_out_and_compare(report_index: store.IndexData, tmp_path: Path) -> None:
    small = tmp_path / "small.jsonl"
    small.write_text('{"id": "a", "question": "타스크사는 어떤 제품을 만드나?", "evidence": ["타스크"]}\n', encoding="utf-8")
    code, _, _ = run("eval", "--set", str(small), "--modes", "dense", "--out", str(tmp_path / "old"))
    assert code == 0 and (tmp_path / "old" / "results.json").is_file() and (tmp_path / "old" / "report.md").is_file()
    code, out, _ = run("eval", "--set", str(small), "--modes", "dense", "--out", str(tmp_path / "new"), "--compare", str(tmp_path / "old" / "results.json"))
    assert code == 0 and "a" in out.split("Report:")[1]


def test_eval_refuses_unknown_modes_and_bad_cutoffs(home: Path) -> None:
    code, _, err = run("eval", "--modes", "hybrid,fuzzy")
    assert code == 1 and err.strip() == "Error: unknown mode(s) fuzzy; choose from hybrid, dense, bm25"
    code, _, err = run("eval", "--k", "1,zero")
    assert code == 1 and err.strip() == "Error: --k takes positive whole numbers separated by commas, not '1,zero'"


def test_eval_question_set_with_a_string_for_a_list_names_line_and_field(home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "question": "q?", "evidence": ["x"]}\n{"id": "b", "question": "q?", "evidence": "some text"}\n', encoding="utf-8")
    code, _, err = run("eval", "--set", str(bad))
    assert code == 1
    assert err.strip() == f"Error: {bad}:2: field 'evidence' must be a list of strings"


def test_feedback_to_questions_writes_candidates(home: Path, tmp_path: Path) -> None:
    log = home / "feedback.jsonl"
    log.write_text(
        json.dumps({"time": "t", "question": "사바에시는?", "answer": "96% [1]", "rating": "down", "citations": []}, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "candidates.jsonl"
    code, stdout, _ = run("feedback-to-questions", "--out", str(out))
    assert code == 0 and stdout.startswith("Wrote 1 candidate question(s)")
    row = json.loads(out.read_text(encoding="utf-8"))
    assert row["question"] == "사바에시는?" and row["needs_review"] is True


def test_unknown_benchmark_is_a_one_line_error(home: Path) -> None:
    code, _, err = run("eval", "--benchmark", "nonesuch")
    assert code == 1 and err.strip() == "Error: unknown benchmark 'nonesuch'; use korquad, korquad-articles or squad:PATH"
