"""A real run of the bundled question set, and the report written from it."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from matplotlib.image import imread
from reportqa.eval.questions import load_questions
from reportqa.eval.report import write_report
from reportqa.eval.run import AnswerFn, EvalResult, evaluate
from reportqa.index.search import Searcher
from reportqa.limits import MODES
from reportqa.qa.confidence import Calibration
from reportqa.qa.types import Answer, Citation

MODE_KEYS = ["hit@1", "hit@3", "hit@5", "hit@10", "recall@1", "recall@3", "recall@5", "recall@10",
             "mrr", "ndcg@10", "budget@1200", "p50_ms", "p95_ms"]


def test_summary_shape(eval_result: EvalResult) -> None:
    summary = eval_result.summary()
    assert list(summary) == ["set", "questions", "modes", "by_lang", "answers"]
    assert summary["set"] == "bundled" and summary["questions"] == len(load_questions())
    assert list(summary["modes"]) == list(MODES)
    for values in summary["modes"].values():
        assert list(values) == MODE_KEYS
    assert set(summary["by_lang"]) == {"ko", "en"}
    assert summary["answers"] is None


def test_metrics_are_consistent(eval_result: EvalResult) -> None:
    for mode, values in eval_result.summary()["modes"].items():
        hits = [values[f"hit@{k}"] for k in (1, 3, 5, 10)]
        assert hits == sorted(hits), mode  # hit@k never drops as k grows
        assert values["recall@10"] <= values["hit@10"]  # all quotes found implies one quote found
        assert values["hit@1"] <= values["mrr"] <= values["hit@10"]
        assert 0 < values["p50_ms"] <= values["p95_ms"]


def test_every_question_is_searched_but_only_answerable_ones_scored(eval_result: EvalResult) -> None:
    questions = load_questions()
    for mode in MODES:
        records = eval_result.records(mode)
        assert [r.id for r in records] == [q.id for q in questions]
        # bm25 returns only chunks sharing a morpheme with the question (none for most English ones)
        assert all(len(r.hits) == 10 or (mode == "bm25" and len(r.hits) < 10) for r in records)
        assert all(len(h.text) <= 200 for r in records for h in r.hits)
        assert all(bool(r.metrics) == r.scored for r in records)
        assert all(r.first_rank is None for r in records if not r.answerable)


def test_showcase_questions_find_their_evidence(eval_result: EvalResult) -> None:
    """q003 (사바에 96%) and q005 (타스크 30개국) are the product demo: evidence in the hybrid top 3."""
    ranks = {r.id: r.first_rank for r in eval_result.records("hybrid")}
    assert ranks["q003"] is not None and ranks["q003"] <= 3
    assert ranks["q005"] is not None and ranks["q005"] <= 3


@pytest.fixture(scope="module")
def report(eval_result: EvalResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(eval_result, tmp_path_factory.mktemp("eval-out"))


def test_report_files(report: Path) -> None:
    folder = report.parent
    assert report.name == "report.md"
    for name in ("hit_at_k.png", "metrics.png", "by_language.png"):
        assert (folder / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        image = imread(folder / name)
        assert image.shape[0] > 200 and image.shape[1] > 400


def test_report_embeds_plots_and_names_every_mode(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    linked = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert sorted(linked) == ["by_language.png", "hit_at_k.png", "metrics.png"]
    for mode in MODES:
        assert f"### {mode}" in text  # its worst questions
        assert f"| {mode} |" in text  # its per-language rows
    for metric in ("hit@k", "recall@k", "mrr", "ndcg@10", "budget@1200"):
        assert f"**{metric}**" in text  # explained


def test_results_json_holds_every_hit(report: Path, eval_result: EvalResult) -> None:
    results = json.loads((report.parent / "results.json").read_text(encoding="utf-8"))
    assert results["summary"] == json.loads(json.dumps(eval_result.summary()))
    assert len(results["retrieval"]) == len(eval_result.retrieval)
    first = results["retrieval"][0]
    assert {"id", "question", "lang", "type", "mode", "first_rank", "hits"} <= set(first)
    assert {"chunk_id", "section", "score", "text"} == set(first["hits"][0])


def cite_top_hit(searcher: Searcher) -> AnswerFn:
    """The simplest real answerer: quote the top hybrid chunk, cite it, never abstain."""

    def answer(question: str) -> Answer:
        top = searcher.search(question, k=1, mode="hybrid")[0]
        citation = Citation(1, top.chunk, (0, len(top.chunk.text)), top.score)
        return Answer(question, f"{top.chunk.text} [1]", answerable=True, confidence=1.0, citations=[citation])

    return answer


@pytest.fixture(scope="module")
def answered(searcher: Searcher) -> EvalResult:
    return evaluate(load_questions(), searcher, modes=("hybrid",), answer_fn=cite_top_hit(searcher), progress=False)


def test_answer_metrics(answered: EvalResult) -> None:
    answers = answered.summary()["answers"]
    by = [name for name in answers if name.startswith("answer_accuracy[")]
    assert by == [f"answer_accuracy[{v}]" for v in ("en", "ko", "factoid", "how", "list", "number", "why")]
    assert [n for n in answers if n not in by] == [
        "answer_accuracy", "refused_answerable", "fact_coverage", "citation_precision", "abstention_precision", "abstention_recall", "by_llm", "p50_ms"
    ]
    assert answers["refused_answerable"] == 0.0 and answers["by_llm"] == 0.0
    # quoting the whole top chunk holds the evidence exactly when that chunk does (lists: per quote)
    assert answers["answer_accuracy[number]"] == pytest.approx(
        sum(a.citations[0]["holds_evidence"] for a in answered.answers if a.type == "number") / sum(a.type == "number" for a in answered.answers)
    )
    # one citation per answerable question, the top hybrid chunk: its precision is hybrid hit@1
    assert answers["citation_precision"] == pytest.approx(answered.summary()["modes"]["hybrid"]["hit@1"])
    assert answers["abstention_precision"] is None  # it never abstained
    assert answers["abstention_recall"] == 0.0
    questions = {q.id: q for q in load_questions()}
    for a in answered.answers:  # facts lie inside the quote: a cited chunk holding the only quote covers them all
        if a.answerable and len(questions[a.id].evidence) == 1 and a.citations[0]["holds_evidence"]:
            assert a.fact_coverage == 1.0, a.id
    assert answers["p50_ms"] > 0
    assert len(answered.answers) == len(load_questions())
    assert all(a.citations and a.citations[0]["n"] == 1 for a in answered.answers)


def test_report_shows_answer_metrics(answered: EvalResult, tmp_path: Path) -> None:
    text = write_report(answered, tmp_path).read_text(encoding="utf-8")
    for name in ("answer_accuracy", "answer_accuracy[ko]", "fact_coverage", "citation_precision", "abstention_precision", "abstention_recall"):
        assert f"| {name} |" in text
    assert "not evaluated" not in text


def test_report_lists_abstention_misses_with_their_confidence(answered: EvalResult, tmp_path: Path) -> None:
    """The top-hit answerer never abstains: every unanswerable question is a miss, at confidence 1.0."""
    text = write_report(answered, tmp_path).read_text(encoding="utf-8")
    section = text.split("### Abstention misses", 1)[1].split("\n## ", 1)[0]
    unanswerable = [q for q in load_questions() if not q.answerable]
    rows = [line for line in section.splitlines() if line.startswith("| q")]
    assert [row.split(" | ")[0][2:] for row in rows] == [q.id for q in unanswerable]
    assert all(row.split(" | ")[1] == "answered, unanswerable" and row.endswith(" | 1.000 |") for row in rows)


def test_answer_records_keep_the_confidence_that_decided(answered_result: EvalResult) -> None:
    threshold = Calibration().threshold
    assert all((a.confidence < threshold) == a.abstained for a in answered_result.answers)
