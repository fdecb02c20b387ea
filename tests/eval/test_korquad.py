"""KorQuAD 1.0 dev as an external benchmark: the real file, the real model, a 50-question subset."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from reportqa.eval.korquad import KORQUAD_SHA256, default_path, read_squad, reusable_index, run_benchmark
from reportqa.index import store
from reportqa.index.embedder import Embedder
from reportqa.index.types import MODES

KORQUAD = default_path()
pytestmark = pytest.mark.skipif(not KORQUAD.is_file(), reason=f"KorQuAD not found at {KORQUAD}")


def test_reads_distinct_paragraphs_and_every_question() -> None:
    squad = read_squad(KORQUAD)
    assert squad.name == "korquad" and squad.sha256 == KORQUAD_SHA256
    assert len(squad.documents) == 961 and len(squad.questions) == 5774
    assert [d.doc_id for d in squad.documents[:2]] == ["korquad-p0001", "korquad-p0002"]
    assert all("_" not in d.title for d in squad.documents)
    doc_ids = {d.doc_id for d in squad.documents}
    assert all(q.gold in doc_ids for q in squad.questions)


def test_env_overrides_the_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REPORTQA_KORQUAD", str(tmp_path / "other.json"))
    assert default_path() == tmp_path / "other.json"


@pytest.fixture(scope="module")
def subset(home: Path, embedder: Embedder) -> dict:
    stat = KORQUAD.stat()
    result = run_benchmark(KORQUAD, embedder, limit=50, progress=False)
    after = KORQUAD.stat()
    assert (after.st_mtime_ns, after.st_size) == (stat.st_mtime_ns, stat.st_size)  # read, never written
    return result


@pytest.mark.slow
def test_subset_scores_are_sane(subset: dict) -> None:
    assert subset["benchmark"] == "korquad" and subset["questions"] == 50 and subset["paragraphs"] == 961
    assert list(subset["modes"]) == list(MODES)
    for mode, scores in subset["modes"].items():
        assert list(scores) == ["recall@1", "recall@5", "recall@10", "mrr", "p50_ms"]
        assert scores["recall@1"] <= scores["recall@5"] <= scores["recall@10"], mode
        assert scores["recall@10"] >= 0.95, mode  # measured 0.975 (dense) to 0.997 (hybrid)
        assert scores["recall@1"] <= scores["mrr"] <= scores["recall@10"], mode


@pytest.mark.slow
def test_index_is_saved_and_reused(subset: dict, embedder: Embedder) -> None:
    squad = read_squad(KORQUAD)
    assert store.exists("korquad")
    data = reusable_index(squad, embedder.name)
    assert data is not None and len(data.chunks) == 961
    assert hashlib.sha256(KORQUAD.read_bytes()).hexdigest() == KORQUAD_SHA256  # the file is unchanged
