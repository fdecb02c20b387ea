"""`--benchmark squad:PATH`: any SQuAD-v1 file, here one written from the report and our own questions."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from reportqa.cli import main
from reportqa.eval.questions import holds, load_questions
from reportqa.index.embedder import Embedder
from reportqa.ingest.load import load_document
from reportqa.paths import default_corpus


@pytest.fixture(scope="module")
def squad_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Paragraphs of the cleaned report as contexts; each answerable Korean question asks its evidence's paragraph."""
    document = load_document(default_corpus() / "lgeri-japan-sme-long-recession.txt")
    paragraphs = [p.strip() for p in document.text.split("\n\n") if len(p.strip()) > 80]
    qas: dict[int, list[dict]] = {}
    for q in load_questions():
        if q.answerable and q.lang == "ko" and q.type != "list":
            gold = next(i for i, p in enumerate(paragraphs) if holds(p, q.evidence[0]))
            qas.setdefault(gold, []).append({"id": q.id, "question": q.question, "answers": [{"text": q.evidence[0], "answer_start": 0}]})
    data = {"version": "1", "data": [{"title": "report", "paragraphs": [{"context": p, "qas": qas.get(i, [])} for i, p in enumerate(paragraphs)]}]}
    path = tmp_path_factory.mktemp("squad") / "report-squad.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_squad_file_benchmark_from_the_cli(squad_file: Path, home: Path, embedder: Embedder) -> None:
    before = squad_file.read_bytes()
    result = CliRunner().invoke(main, ["eval", "--benchmark", f"squad:{squad_file}", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    assert payload["benchmark"].startswith("squad-") and payload["questions"] >= 30
    assert list(payload["modes"]) == ["hybrid", "dense", "bm25"]
    for mode, scores in payload["modes"].items():
        assert {"recall@1", "recall@5", "recall@10", "mrr"} <= set(scores), mode
    assert payload["modes"]["hybrid"]["recall@5"] >= 0.9
    assert payload["modes"]["hybrid"]["mrr"] >= payload["modes"]["bm25"]["mrr"]
    assert squad_file.read_bytes() == before  # read in place, never rewritten


def test_unknown_benchmark_is_a_one_line_error(home: Path) -> None:
    result = CliRunner().invoke(main, ["eval", "--benchmark", "mystery"])
    assert result.exit_code == 1 and result.stderr.strip() == "Error: unknown benchmark 'mystery'; use korquad, korquad-articles or squad:PATH"
