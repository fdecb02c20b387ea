"""Persistence: round trip, refusing a mismatched index, incremental updates, atomic writes."""
from __future__ import annotations

import shutil
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from reportqa.errors import IndexMismatch, IndexMissing, UnreadableDocument
from reportqa.index import store
from reportqa.index.build import build_index, window_rows
from reportqa.index.dense import DenseIndex, build_faiss
from reportqa.index.embedder import Embedder
from reportqa.index.search import Searcher
from reportqa.ingest.chunk import ChunkingConfig
from reportqa.paths import default_corpus

REPORT = default_corpus() / "lgeri-japan-sme-long-recession.txt"
SECOND = "도쿄의 한 금속 가공 회사는 2019년에 새로운 공장을 세웠다. 이 회사는 정밀 부품을 유럽에 수출한다.\n"


def test_round_trip_keeps_chunks_vectors_and_rankings(report_index: store.IndexData, embedder: Embedder) -> None:
    again = store.load()
    assert [c.to_dict() for c in again.chunks] == [c.to_dict() for c in report_index.chunks]
    np.testing.assert_array_equal(again.embeddings, report_index.embeddings)
    question = "사바에시는 일본 안경테 생산에서 어느 정도 비중을 차지하나?"
    before = [h.chunk.id for h in Searcher(report_index, embedder).search(question)]
    assert [h.chunk.id for h in Searcher(again, embedder).search(question)] == before


def test_manifest_records_model_chunking_and_hashes(report_index: store.IndexData) -> None:
    manifest = report_index.manifest
    assert manifest.format_version == store.FORMAT_VERSION
    assert manifest.model == "intfloat/multilingual-e5-small" and manifest.dim == 384
    assert manifest.chunking == asdict(ChunkingConfig())
    assert len(manifest.documents[REPORT.name]) == 64  # sha256 hex


def test_each_sentence_is_also_read_with_its_neighbours_in_the_paragraph(report_index: store.IndexData, embedder: Embedder) -> None:
    document = report_index.documents[REPORT.name]
    spans = [s for s in report_index.sentences if s.doc_id == REPORT.name]
    windows = [document.text[spans[a].start : spans[b].end] for a, b in window_rows(document, spans)]
    assert report_index.context_embeddings.shape == report_index.sentence_embeddings.shape == (len(spans), 384)
    for row, (span, window) in enumerate(zip(spans, windows)):
        sentence = document.text[span.start : span.end]
        assert sentence in window
        assert "\n\n" not in window.strip()  # never across a paragraph break
    # A sentence inside a paragraph is read with the one before and the one after it: its window's
    # vector is pooled from their token states, close to the window embedded on its own.
    middle = [i for i in range(1, len(spans) - 1) if windows[i].startswith(document.text[spans[i - 1].start : spans[i - 1].end]) and windows[i].endswith(document.text[spans[i + 1].start : spans[i + 1].end])]
    embedded = embedder.embed_passages([windows[i] for i in middle])
    assert (report_index.context_embeddings[middle] * embedded).sum(axis=1).min() >= 0.95
    # A sentence alone in its paragraph is its own window.
    alone = [i for i, (span, window) in enumerate(zip(spans, windows)) if window == document.text[span.start : span.end]]
    np.testing.assert_array_equal(report_index.context_embeddings[alone], report_index.sentence_embeddings[alone])
    np.testing.assert_array_equal(store.load().context_embeddings, report_index.context_embeddings)


def test_cleaned_text_is_saved_for_citations_in_context(report_index: store.IndexData) -> None:
    document = report_index.documents[REPORT.name]
    for chunk in report_index.chunks:
        assert document.text[chunk.start : chunk.end] == chunk.text


def test_index_of_another_model_is_refused_with_the_rebuild_command(report_index: store.IndexData) -> None:
    with pytest.raises(IndexMismatch, match=r"rebuild it: reportqa index --model other/model"):
        store.load(model="other/model")


def test_index_of_another_chunking_is_refused(report_index: store.IndexData) -> None:
    with pytest.raises(IndexMismatch, match="reportqa index"):
        store.load(model=report_index.manifest.model, chunking={"size": 999, "overlap": 0})


def test_missing_index_names_the_build_command(home: Path) -> None:
    with pytest.raises(IndexMissing, match="reportqa index --index nothing-here"):
        store.load("nothing-here")


def test_changing_one_document_re_embeds_only_that_document(tmp_path: Path, home: Path, embedder: Embedder) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    shutil.copy(REPORT, folder / REPORT.name)
    (folder / "second.txt").write_text(SECOND, encoding="utf-8")
    first = build_index([folder], embedder, name="incremental", progress=False)
    assert sorted(first.embedded_documents) == [REPORT.name, "second.txt"]
    old = store.load("incremental")

    (folder / "second.txt").write_text(SECOND + "이 회사는 2023년에 직원을 두 배로 늘렸다.\n", encoding="utf-8")
    second = build_index([folder], embedder, name="incremental", progress=False)
    assert second.embedded_documents == ["second.txt"]
    assert second.reused_documents == [REPORT.name]
    new = store.load("incremental")
    report_rows = [i for i, c in enumerate(new.chunks) if c.doc_id == REPORT.name]
    old_rows = [i for i, c in enumerate(old.chunks) if c.doc_id == REPORT.name]
    np.testing.assert_array_equal(new.embeddings[report_rows], old.embeddings[old_rows])
    assert "두 배로" in " ".join(c.text for c in new.chunks if c.doc_id == "second.txt")


def test_failed_build_leaves_the_previous_index_untouched(tmp_path: Path, home: Path, embedder: Embedder) -> None:
    good = tmp_path / "good.txt"
    good.write_text(SECOND, encoding="utf-8")
    build_index([good], embedder, name="atomic", progress=False)
    before = (store.index_folder("atomic") / "CURRENT").read_text()
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"not a pdf at all")
    with pytest.raises(UnreadableDocument, match="broken.pdf"):
        build_index([good, broken], embedder, name="atomic", progress=False)
    assert (store.index_folder("atomic") / "CURRENT").read_text() == before
    assert [p.name for p in store.index_folder("atomic").iterdir() if p.name.startswith(".tmp")] == []
    assert store.load("atomic").manifest.documents.keys() == {"good.txt"}


def test_euc_kr_report_is_indexed_and_found(tmp_path: Path, home: Path, embedder: Embedder) -> None:
    text = REPORT.read_text(encoding="utf-8")
    legacy = tmp_path / "report-euckr.txt"
    legacy.write_bytes(text.encode("cp949", errors="replace"))
    build_index([legacy], embedder, name="euckr", progress=False)
    searcher = Searcher(store.load("euckr"), embedder)
    assert "96%" in searcher.search("사바에시 안경테 비중", k=1)[0].chunk.text


def test_large_corpora_switch_to_hnsw_and_still_find_neighbours() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(500, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    dense = DenseIndex(vectors, build_faiss(vectors, hnsw_threshold=100))
    assert dense.kind == "hnsw"
    ids, scores = dense.search(vectors[42], 5)
    assert ids[0] == 42 and scores[0] == pytest.approx(1.0, abs=1e-5)
