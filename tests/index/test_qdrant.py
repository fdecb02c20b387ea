"""The Qdrant store in local mode: same answers as the embedded files, incremental updates, refusals."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from reportqa.cli import main
from reportqa.errors import IndexMismatch, IndexMissing
from reportqa.lab.korquad import default_path, passage_chunk, read_squad
from reportqa.eval.questions import load_questions
from reportqa.eval.run import evaluate
from reportqa.index import store
from reportqa.index.build import assemble, build_index, previous_parts
from reportqa.index.protocol import DocumentParts, indexed_text
from reportqa.index.embedder import Embedder
from reportqa.index.qdrant_store import QdrantStore, QdrantTarget, QdrantWriter
from reportqa.index.search import Searcher
from reportqa.ingest.chunk import ChunkingConfig
from reportqa.paths import default_corpus

CHUNKING = asdict(ChunkingConfig())
KORQUAD = default_path()


class RememberingEmbedder:
    """The real model, each question embedded once: both stores are asked the same questions many times."""

    def __init__(self, embedder: Embedder):
        self._embedder = embedder
        self.name, self.dim = embedder.name, embedder.dim
        self._seen: dict[str, np.ndarray] = {}

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._seen]
        if missing:
            self._seen.update(zip(missing, self._embedder.embed_queries(missing)))
        return np.array([self._seen[t] for t in texts], dtype=np.float32)


def copy_into_qdrant(parts: list[DocumentParts], folder: Path, embedder: Embedder, chunking: dict = CHUNKING, name: str = "default") -> QdrantTarget:
    """Write already embedded documents into a local-mode collection, as a build would."""
    target = QdrantTarget(path=folder)
    writer = QdrantWriter(target, name, embedder.name, embedder.dim, chunking)
    for p in parts:
        writer.put(p)
    writer.commit([p.document.doc_id for p in parts], ["test"])
    return target


@pytest.fixture(scope="module")
def report_parts(report_index: store.IndexData, embedder: Embedder) -> list[DocumentParts]:
    return list(previous_parts(store.DEFAULT_INDEX, embedder, CHUNKING).values())


@pytest.fixture(scope="module")
def remembering(embedder: Embedder) -> RememberingEmbedder:
    return RememberingEmbedder(embedder)


@pytest.fixture(scope="module")
def embedded_searcher(report_index: store.IndexData, remembering: RememberingEmbedder) -> Searcher:
    return Searcher(report_index, remembering)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def qdrant_searcher(report_parts: list[DocumentParts], embedder: Embedder, remembering: RememberingEmbedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Searcher]:
    target = copy_into_qdrant(report_parts, tmp_path_factory.mktemp("qdrant"), embedder)
    engine = QdrantStore(target, "default", embedder.name, CHUNKING)
    yield Searcher(engine.data, remembering, store=engine)  # type: ignore[arg-type]
    engine.close()


def recall_at_5(results: list[list], gold: list[str]) -> float:
    return float(np.mean([g in [h.chunk.doc_id for h in hits[:5]] for hits, g in zip(results, gold)]))


def mrr(results: list[list], gold: list[str]) -> float:
    ranks = [next((h.rank for h in hits if h.chunk.doc_id == g), None) for hits, g in zip(results, gold)]
    return float(np.mean([1 / r if r else 0.0 for r in ranks]))


def same_top5(a: list[list], b: list[list]) -> float:
    return np.mean([[h.chunk.id for h in x] == [h.chunk.id for h in y] for x, y in zip(a, b)])


def test_loads_the_same_chunks_and_sentences(embedded_searcher: Searcher, qdrant_searcher: Searcher) -> None:
    searcher = embedded_searcher
    assert [c.id for c in qdrant_searcher.data.chunks] == [c.id for c in searcher.data.chunks]
    assert qdrant_searcher.data.sentences == searcher.data.sentences
    assert np.allclose(qdrant_searcher.data.sentence_embeddings, searcher.data.sentence_embeddings, atol=1e-6)
    assert np.allclose(qdrant_searcher.data.context_embeddings, searcher.data.context_embeddings, atol=1e-6)
    assert qdrant_searcher.data.documents == searcher.data.documents


def test_sparse_vectors_with_server_idf_score_like_bm25s(embedded_searcher: Searcher, qdrant_searcher: Searcher) -> None:
    """Same morphemes, same BM25: every chunk's score agrees with bm25s, and so does coverage."""
    searcher = embedded_searcher
    tokens = ["사바에", "안경테", "생산", "비중", "없는말"]
    everything = np.arange(len(searcher.data.chunks))
    _, embedded = searcher.store.scores(np.zeros(searcher.embedder.dim, dtype=np.float32), tokens, everything)
    _, served = qdrant_searcher.store.scores(np.zeros(searcher.embedder.dim, dtype=np.float32), tokens, everything)
    assert embedded.max() > 0
    assert np.allclose(served, embedded, rtol=1e-4, atol=1e-5)
    assert 0 < qdrant_searcher.store.coverage(tokens) == searcher.store.coverage(tokens) < 1


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_same_answers_on_the_question_set(embedded_searcher: Searcher, qdrant_searcher: Searcher, mode: str) -> None:
    searcher = embedded_searcher
    questions = load_questions()
    texts = [q.question for q in questions]
    assert same_top5(searcher.search_many(texts, mode=mode), qdrant_searcher.search_many(texts, mode=mode)) >= 0.95
    ours = evaluate(questions, searcher, modes=(mode,), progress=False).summary()["modes"][mode]
    theirs = evaluate(questions, qdrant_searcher, modes=(mode,), progress=False).summary()["modes"][mode]
    assert abs(ours["hit@5"] - theirs["hit@5"]) <= 0.01 and abs(ours["mrr"] - theirs["mrr"]) <= 0.01


@pytest.mark.skipif(not KORQUAD.is_file(), reason=f"KorQuAD not found at {KORQUAD}")
def test_same_answers_on_a_korquad_subset(embedder: Embedder, tmp_path: Path) -> None:
    """The first 80 paragraphs and the questions they answer, in both stores from the same embeddings."""
    squad = read_squad(KORQUAD)
    documents = squad.documents[:80]
    chunks = [passage_chunk(d) for d in documents]
    vectors = embedder.embed_passages([indexed_text(c) for c in chunks])
    parts = [DocumentParts(d, [c], vectors[i : i + 1], [], None) for i, (d, c) in enumerate(zip(documents, chunks))]
    chunking = {"benchmark": "korquad-subset"}
    remembering = RememberingEmbedder(embedder)
    embedded = Searcher(assemble(parts, embedder, chunking, ["korquad"], with_sentences=False), remembering)  # type: ignore[arg-type]
    engine = QdrantStore(copy_into_qdrant(parts, tmp_path, embedder, chunking, "korquad"), "korquad", embedder.name, chunking)
    served = Searcher(engine.data, remembering, store=engine)  # type: ignore[arg-type]
    kept = {d.doc_id for d in documents}
    questions = [q for q in squad.questions if q.gold in kept][:60]
    texts = [q.question for q in questions]
    assert len(questions) == 60
    gold = [q.gold for q in questions]
    for mode in ("hybrid", "bm25"):
        ours, theirs = embedded.search_many(texts, k=10, mode=mode), served.search_many(texts, k=10, mode=mode)
        assert same_top5([h[:5] for h in ours], [h[:5] for h in theirs]) >= 0.95, mode
        for metric in (recall_at_5, mrr):
            assert abs(metric(ours, gold) - metric(theirs, gold)) <= 0.01, (mode, metric.__name__)
    engine.close()


def test_a_changed_document_is_replaced_and_a_dropped_one_removed(report_parts: list[DocumentParts], embedder: Embedder, tmp_path: Path) -> None:
    target = copy_into_qdrant(report_parts, tmp_path / "q", embedder)
    notes = tmp_path / "docs" / "notes.txt"
    notes.parent.mkdir()
    notes.write_text("회의록\n\n오늘 회의에서 라벤더 농장 견학을 결정했다.", encoding="utf-8")
    sources = [default_corpus(), notes.parent]

    def build() -> tuple[list[str], list[str]]:
        report = build_index(sources, embedder, progress=False, writer=QdrantWriter(target, "default", embedder.name, embedder.dim, CHUNKING))
        return report.embedded_documents, report.reused_documents

    report_id = report_parts[0].document.doc_id
    assert build() == (["notes.txt"], [report_id])  # the report's vectors are reused from the collection
    notes.write_text("회의록\n\n오늘 회의에서 해바라기 축제 참가를 결정했다.", encoding="utf-8")
    assert build() == (["notes.txt"], [report_id])
    engine = QdrantStore(target, "default", embedder.name, CHUNKING)
    texts = " ".join(c.text for c in engine.data.chunks if c.doc_id == "notes.txt")
    assert "해바라기" in texts and "라벤더" not in texts
    assert len(engine.bm25_top(["라벤더"], 10)[0]) == 0 and len(engine.bm25_top(["해바라기"], 10)[0]) == 1
    engine.close()
    sources.pop()
    assert build() == ([], [report_id])
    engine = QdrantStore(target, "default", embedder.name, CHUNKING)
    assert list(engine.data.documents) == [report_id] and len(engine.bm25_top(["해바라기"], 10)[0]) == 0
    engine.close()


def test_another_model_is_refused_with_the_rebuild_command(report_parts: list[DocumentParts], embedder: Embedder, tmp_path: Path) -> None:
    target = copy_into_qdrant(report_parts, tmp_path, embedder)
    with pytest.raises(IndexMismatch, match=rf"rebuild it: reportqa index --store qdrant --qdrant-path {tmp_path} PATH \.\.\. --model other/model"):
        QdrantStore(target, "default", "other/model", CHUNKING)
    with pytest.raises(IndexMissing, match="no collection 'reportqa-elsewhere'"):
        QdrantStore(target, "elsewhere", embedder.name, CHUNKING)


def test_cli_asks_over_a_collection_and_explains_missing_flags(report_parts: list[DocumentParts], embedder: Embedder, tmp_path: Path) -> None:
    copy_into_qdrant(report_parts, tmp_path, embedder)
    runner = CliRunner()
    result = runner.invoke(main, ["ask", "--store", "qdrant", "--qdrant-path", str(tmp_path), "사바에시는 일본 안경테 생산에서 어느 정도 비중을 차지하나?"])
    assert result.exit_code == 0, result.output
    assert "96%" in result.output and "[1]" in result.output
    missing = runner.invoke(main, ["search", "--store", "qdrant", "사바에"], env={"REPORTQA_QDRANT_URL": ""})
    assert missing.exit_code == 1
    assert missing.output.strip() == "Error: --store qdrant needs --qdrant-path DIR (local mode) or --qdrant-url URL"
