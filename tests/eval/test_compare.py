"""compare(): per-question rank moves and summary deltas between two results files."""
from __future__ import annotations

import copy
import json
from pathlib import Path

from reportqa.eval.compare import RankChange, compare
from reportqa.eval.run import EvalResult


def _record(qid: str, mode: str, rank: int | None, answerable: bool = True) -> dict:
    evidence = ["인용문"] if answerable else []
    return {"id": qid, "mode": mode, "first_rank": rank, "answerable": answerable, "evidence": evidence}


def _results(ranks: dict[str, int | None], mrr: float) -> dict:
    return {
        "summary": {"set": "tiny", "questions": len(ranks), "modes": {"hybrid": {"mrr": mrr, "p50_ms": 10.0}}, "answers": None},
        "retrieval": [_record(qid, "hybrid", rank) for qid, rank in ranks.items()] + [_record("q9", "hybrid", None, False)],
    }


def _write(path: Path, results: dict) -> Path:
    path.write_text(json.dumps(results, ensure_ascii=False), encoding="utf-8")
    return path


def test_rank_change_kinds() -> None:
    assert [RankChange("q", "bm25", b, a).kind for b, a in [(1, 1), (2, None), (None, 4), (5, 2), (1, 3), (None, None)]] == [
        "same", "lost", "found", "better", "worse", "same"]


def test_compare_hand_made(tmp_path: Path) -> None:
    old = _write(tmp_path / "old.json", _results({"q1": 1, "q2": 3, "q3": None, "q4": 2}, mrr=0.5))
    new = _write(tmp_path / "new.json", _results({"q1": None, "q2": 1, "q3": 4, "q5": 1}, mrr=0.625))
    text = compare(old, new)
    assert "| retrieval hybrid | mrr | 0.500 | 0.625 | +0.125 |" in text
    assert "| retrieval hybrid | p50_ms | 10.0 | 10.0 | +0.0 |" in text
    assert "1 lost, 0 worse, 1 found, 1 better, 0 same (of 3 question × mode pairs)." in text
    rows = [line for line in text.splitlines() if line.startswith("| q") and not line.startswith("| question")]
    assert rows == ["| q1 | hybrid | 1 | — | lost |", "| q3 | hybrid | — | 4 | found |", "| q2 | hybrid | 3 | 1 | better |"]
    assert "Questions only in the old run: q4." in text
    assert "Questions only in the new run: q5." in text
    assert "q9" not in text  # unanswerable: not scored, never compared


def test_compare_real_run_against_itself_and_a_regression(eval_result: EvalResult, tmp_path: Path) -> None:
    old_dict = eval_result.to_dict()
    old = _write(tmp_path / "results.json", old_dict)
    unchanged = compare(old, eval_result)
    assert "| question |" not in unchanged  # nothing moved: no per-question table
    assert "+0.000" in unchanged and "-0." not in unchanged

    regressed = copy.deepcopy(old_dict)
    record = next(r for r in regressed["retrieval"] if r["mode"] == "dense" and r["first_rank"] is not None)
    record["first_rank"] = None
    text = compare(old, _write(tmp_path / "new.json", regressed))
    assert f"| {record['id']} | dense | {old_dict['retrieval'][regressed['retrieval'].index(record)]['first_rank']} | — | lost |" in text
