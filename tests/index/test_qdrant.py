"""The Qdrant store in local mode: same answers as the embedded files, incremental updates, refusals."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from reportqa.cli import main
from reportqa.errors import IndexBusy, IndexMismatch, IndexMissing
from reportqa.lab.korquad import default_path, passage_chunk, read_squad
from reportqa.eval.questions import load_questions
from reportqa.eval.run import evaluate
from reportqa.index import store
from reportqa.index.build import assemble, build_index, previous_parts
from reportqa.index.protocol import DocumentParts, indexed_text
from reportqa.index.embedder import Embedder
from reportqa.index.qdrant_store import QdrantStore, QdrantTarget, QdrantWriter
from reportqa.index.search import Searcher
from reportqa.lab.qdrant_bench import CountingClient
from reportqa.ingest.chunk import ChunkingConfig
from reportqa.ingest.types import Chunk, Document, SentenceSpan
from reportqa.paths import default_corpus
from reportqa.qa.answer import Answerer

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

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._embedder.embed_passages(texts)


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
    yield Searcher(None, remembering, store=engine)  # type: ignore[arg-type]
    engine.close()


def recall_at_5(results: list[list], gold: list[str]) -> float:
    return float(np.mean([g in [h.chunk.doc_id for h in hits[:5]] for hits, g in zip(results, gold)]))


def mrr(results: list[list], gold: list[str]) -> float:
    ranks = [next((h.rank for h in hits if h.chunk.doc_id == g), None) for hits, g in zip(results, gold)]
    return float(np.mean([1 / r if r else 0.0 for r in ranks]))


def same_top5(a: list[list], b: list[list]) -> float:
    return np.mean([[h.chunk.id for h in x] == [h.chunk.id for h in y] for x, y in zip(a, b)])


def test_holds_the_same_chunks_documents_and_sentences(embedded_searcher: Searcher, qdrant_searcher: Searcher) -> None:
    files, served = embedded_searcher.store, qdrant_searcher.store
    doc_ids = list(files.manifest.documents)
    assert files.chunks(files.positions_of(doc_ids)) == served.chunks(served.positions_of(doc_ids))
    assert served.documents(doc_ids) == files.documents(doc_ids)
    spans = embedded_searcher.data.sentences
    for ours, theirs in zip(files.sentence_vectors(spans), served.sentence_vectors(spans)):
        assert np.allclose(ours, theirs, atol=1e-6)
    assert served.common_names == files.common_names and "일본" in served.common_names


def test_sparse_vectors_with_server_idf_score_like_bm25s(embedded_searcher: Searcher, qdrant_searcher: Searcher) -> None:
    """Same morphemes, same BM25: every chunk's score agrees with bm25s, and so does coverage."""
    searcher = embedded_searcher
    tokens = ["사바에", "안경테", "생산", "비중", "없는말"]
    doc_ids = list(searcher.store.manifest.documents)
    zero = np.zeros(searcher.embedder.dim, dtype=np.float32)
    _, embedded = searcher.store.scores(zero, tokens, searcher.store.positions_of(doc_ids))
    _, served = qdrant_searcher.store.scores(zero, tokens, qdrant_searcher.store.positions_of(doc_ids))
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
    served = Searcher(None, remembering, store=engine)  # type: ignore[arg-type]
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
    texts = " ".join(c.text for c in engine.chunks(engine.positions_of(["notes.txt"])))
    assert "해바라기" in texts and "라벤더" not in texts
    assert len(engine.bm25_top(["라벤더"], 10)[0]) == 0 and len(engine.bm25_top(["해바라기"], 10)[0]) == 1
    engine.close()
    sources.pop()
    assert build() == ([], [report_id])
    engine = QdrantStore(target, "default", embedder.name, CHUNKING)
    assert list(engine.manifest.documents) == [report_id] and len(engine.bm25_top(["해바라기"], 10)[0]) == 0
    assert not engine.mentions("해바라기") and engine.mentions("사바에")
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


def test_same_answers_as_the_files_on_the_question_set(embedded_searcher: Searcher, qdrant_searcher: Searcher) -> None:
    """Answered from what each question fetches of the collection: the same text, citations and confidence."""
    questions = [q.question for q in load_questions()]
    ours, theirs = Answerer(embedded_searcher), Answerer(qdrant_searcher)
    for question in questions:
        a, b = ours.answer(question), theirs.answer(question)
        assert (a.text, [(c.chunk.id, c.highlights) for c in a.citations]) == (b.text, [(c.chunk.id, c.highlights) for c in b.citations]), question
        assert abs(a.confidence - b.confidence) < 1e-4, question


def _unrelated(n: int, dim: int, rng: np.random.Generator) -> DocumentParts:
    """A document of 100 chunks and sentences that answers nothing: random vectors, Latin nonsense words, no headings."""
    doc_id = f"unrelated-{n}.txt"
    lines = [" ".join(f"zq{w}" for w in rng.integers(0, 10**6, 12)) + "." for _ in range(100)]
    text = "\n\n".join(lines)
    starts = [sum(len(line) + 2 for line in lines[:i]) for i in range(len(lines))]
    chunks = [Chunk(Chunk.make_id(doc_id, a, a + len(line)), doc_id, doc_id, "", a, a + len(line), line) for a, line in zip(starts, lines)]
    spans = [SentenceSpan(doc_id, c.start, c.end) for c in chunks]

    def vectors() -> np.ndarray:
        v = rng.normal(size=(len(chunks), dim)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    return DocumentParts(Document(doc_id, doc_id, doc_id, text, f"sha-{n}"), chunks, vectors(), spans, vectors(), vectors())


def test_a_question_fetches_what_it_needs_however_large_the_collection(report_parts: list[DocumentParts], embedder: Embedder) -> None:
    """Opening reads one point; a question reads its candidates' scores, its hits and their documents,
    never the collection: beside 1,000 or 3,000 chunks that answer nothing (more than the fusion's
    candidates either way), every question receives about as many points."""
    questions = [q.question for q in load_questions()][:12]
    rng = np.random.default_rng(7)
    received = []
    for extra in (10, 30):
        target = QdrantTarget(in_memory=True)
        parts = [*report_parts, *(_unrelated(n, embedder.dim, rng) for n in range(extra))]
        writer = QdrantWriter(target, "default", embedder.name, embedder.dim, CHUNKING)
        for p in parts:
            writer.put(p)
        writer.commit([p.document.doc_id for p in parts], ["test"])
        client = CountingClient(writer.client)
        answerer = Answerer(Searcher(None, embedder, store=QdrantStore(target, "default", embedder.name, CHUNKING, client=client)))
        assert client.points == 1  # the manifest
        counts = []
        for question in questions:
            client.points = 0
            answerer.answer(question)
            counts.append(client.points)
        received.append(counts)
    small, large = received
    assert max(large) <= 1.15 * max(small) and sum(large) <= 1.15 * sum(small), received


def test_a_document_another_server_adds_is_searchable_at_the_next_question(report_parts: list[DocumentParts], embedder: Embedder) -> None:
    """Two app servers over one collection: what one adds, the other finds without reopening (the manifest's version)."""
    target = QdrantTarget(in_memory=True)
    writer = QdrantWriter(target, "default", embedder.name, embedder.dim, CHUNKING)
    for p in report_parts:
        writer.put(p)
    writer.commit([p.document.doc_id for p in report_parts], ["test"])
    serving = Searcher(None, embedder, store=QdrantStore(target, "default", embedder.name, CHUNKING, client=writer.client))
    question = "해바라기 축제 참가는 언제 결정했나?"
    assert all(h.chunk.doc_id != "notes.txt" for h in serving.search(question))
    notes = Document("notes.txt", "notes.txt", "회의록", "회의록\n\n오늘 회의에서 해바라기 축제 참가를 결정했다.", "sha-notes")
    chunk = Chunk(Chunk.make_id("notes.txt", 5, len(notes.text)), "notes.txt", "회의록", "", 5, len(notes.text), notes.text[5:])
    spans = [SentenceSpan("notes.txt", chunk.start, chunk.end)]
    vector = embedder.embed_passages([indexed_text(chunk)])
    other = QdrantWriter(target, "default", embedder.name, embedder.dim, CHUNKING, client=writer.client)
    other.put(DocumentParts(notes, [chunk], vector, spans, vector, vector))
    other.commit([*(p.document.doc_id for p in report_parts), "notes.txt"], ["test"])
    assert serving.search(question)[0].chunk.doc_id == "notes.txt"
    assert serving.store.manifest.n_chunks == sum(len(p.chunks) for p in report_parts) + 1
    found = serving.store.positions_of(["notes.txt"])  # a question finds it; then a build removes it
    other = QdrantWriter(target, "default", embedder.name, embedder.dim, CHUNKING, client=writer.client)
    other.remove("notes.txt")
    other.commit([p.document.doc_id for p in report_parts], ["test"])
    with pytest.raises(IndexBusy, match="changed while answering"):
        serving.store.chunks(found)
