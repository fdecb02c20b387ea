"""External retrieval benchmark on a SQuAD-v1 file (KorQuAD 1.0 dev by default).

Every distinct paragraph becomes one document holding one chunk, embedded with the product's
embedder into its own named index; each question is scored on whether its gold paragraph is
retrieved (recall@1/5/10, MRR) in each mode. The file is only ever read: KorQuAD's licence
forbids derivatives, and the index lives in the data home, not beside it.

`limit` takes the first N questions in file order but always indexes every paragraph, so a
subset is searched against the same 961 distractors as the full set and reuses its index.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportqa.errors import IndexDamaged, IndexMismatch, IndexMissing, ReportQAError
from reportqa.eval import metrics
from reportqa.eval.report import fmt, table
from reportqa.index import store
from reportqa.index.build import DocumentParts, assemble, indexed_text
from reportqa.index.embedder import Embedder, load_embedder
from reportqa.index.search import Searcher
from reportqa.index.store import IndexData
from reportqa.index.types import MODES, Mode
from reportqa.ingest.types import Chunk, Document
from reportqa.paths import PROJECT_ROOT
from tqdm import tqdm

log = logging.getLogger(__name__)

KORQUAD_SHA256 = "25ffeb51e6c51ec02c071b60a10188e10005c144110f0d876b26079d80a35bdf"
CHUNKING = {"unit": "paragraph"}  # what the manifest records instead of a ChunkingConfig
KS = (1, 5, 10)
BATCH_SIZE = 64


@dataclass(frozen=True)
class GoldQuestion:
    """A benchmark question and the doc_id of the one paragraph that answers it."""

    id: str
    question: str
    gold: str


@dataclass(frozen=True)
class SquadSet:
    """A SQuAD-v1 file read into passages and questions; `name` also names its index."""

    name: str
    path: Path
    sha256: str
    documents: list[Document]
    questions: list[GoldQuestion]


def default_path() -> Path:
    """`$REPORTQA_KORQUAD`, else the shared copy beside the project."""
    env = os.environ.get("REPORTQA_KORQUAD")
    if env:
        return Path(env).expanduser()
    return PROJECT_ROOT.parent / "shared" / "benchmarks" / "korquad" / "KorQuAD_v1.0_dev.json"


def benchmark_name(sha256: str) -> str:
    return "korquad" if sha256 == KORQUAD_SHA256 else f"squad-{sha256[:12]}"


def _passage(doc_id: str, title: str, context: str, path: Path, sha256: str) -> Document:
    return Document(doc_id=doc_id, source=str(path), title=title.replace("_", " "), text=context, sha256=sha256)


def read_squad(path: Path) -> SquadSet:
    """Distinct contexts in file order as documents "<name>-p0001"…, and every question with its gold."""
    try:
        raw = path.read_bytes()
        articles = json.loads(raw)["data"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ReportQAError(f"cannot read SQuAD-v1 benchmark {path}: {error}") from error
    sha256 = hashlib.sha256(raw).hexdigest()
    name = benchmark_name(sha256)
    doc_ids: dict[str, str] = {}
    documents: list[Document] = []
    questions: list[GoldQuestion] = []
    for article in articles:
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            if context not in doc_ids:
                doc_ids[context] = f"{name}-p{len(doc_ids) + 1:04d}"
                documents.append(_passage(doc_ids[context], article["title"], context, path, sha256))
            questions += [GoldQuestion(qa["id"], qa["question"], doc_ids[context]) for qa in paragraph["qas"]]
    return SquadSet(name, path, sha256, documents, questions)


def passage_chunk(document: Document) -> Chunk:
    """The whole paragraph as one chunk (title as heading, no section)."""
    end = len(document.text)
    return Chunk(Chunk.make_id(document.doc_id, 0, end), document.doc_id, document.title, "", 0, end, document.text)


def build_benchmark_index(squad: SquadSet, embedder: Embedder, progress: bool = True) -> IndexData:
    """Embed every paragraph in one batch and save the index under the benchmark's name."""
    chunks = [passage_chunk(d) for d in squad.documents]
    embeddings = embedder.embed_passages([indexed_text(c) for c in chunks], progress=progress)
    parts = [DocumentParts(d, [c], embeddings[i : i + 1], [], None) for i, (d, c) in enumerate(zip(squad.documents, chunks))]
    data = assemble(parts, embedder, CHUNKING, [str(squad.path)], with_sentences=False)
    with store.build_lock(squad.name):
        store.save(data, squad.name)
    return data


def reusable_index(squad: SquadSet, model: str) -> IndexData | None:
    """The saved index when it was built from this very file with this model."""
    try:
        data = store.load(squad.name, model=model, chunking=CHUNKING)
    except (IndexMissing, IndexMismatch, IndexDamaged) as error:
        log.info("benchmark index not reusable: %s", error)
        return None
    fresh = set(data.manifest.documents.values()) == {squad.sha256} and len(data.chunks) == len(squad.documents)
    return data if fresh else None


def score_mode(searcher: Searcher, questions: Sequence[GoldQuestion], mode: Mode, progress: bool = True) -> dict[str, float | None]:
    """recall@1/5/10, MRR and per-question latency (a batch's time shared by its questions)."""
    recalls: dict[int, list[float | None]] = {k: [] for k in KS}
    reciprocal: list[float] = []
    latencies: list[float] = []
    for start in tqdm(range(0, len(questions), BATCH_SIZE), desc=f"korquad {mode}", unit="batch", disable=not progress):
        batch = questions[start : start + BATCH_SIZE]
        started = time.perf_counter()
        results = searcher.search_many([q.question for q in batch], k=max(KS), mode=mode)
        latencies += [(time.perf_counter() - started) * 1000 / len(batch)] * len(batch)
        for q, hits in zip(batch, results):
            ids = [h.chunk.doc_id for h in hits]
            for k in KS:
                recalls[k].append(metrics.gold_recall_at_k(ids, [q.gold], k))
            reciprocal.append(metrics.reciprocal_rank([i == q.gold for i in ids]))
    scores: dict[str, float | None] = {f"recall@{k}": metrics.mean(recalls[k]) for k in KS}
    scores["mrr"] = metrics.mean(reciprocal)
    scores["p50_ms"] = metrics.percentile(latencies, 50)
    return scores


def run_benchmark(
    path: Path | None = None,
    embedder: Embedder | None = None,
    modes: Sequence[Mode] = MODES,
    limit: int | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Index (or reuse) the benchmark's paragraphs, then score the first `limit` questions per mode.

    Returns {"benchmark", "questions", "paragraphs", "modes": {mode: {recall@1, recall@5,
    recall@10, mrr, p50_ms}}, "seconds": {"index", <mode>…}}.
    """
    if limit is not None and limit < 1:
        raise ReportQAError("--limit must be at least 1")
    squad = read_squad(path or default_path())
    embedder = embedder or load_embedder()
    started = time.perf_counter()
    data = reusable_index(squad, embedder.name) or build_benchmark_index(squad, embedder, progress)
    seconds = {"index": round(time.perf_counter() - started, 2)}
    searcher = Searcher(data, embedder)
    questions = squad.questions[:limit]
    scores = {}
    for mode in modes:
        started = time.perf_counter()
        scores[mode] = score_mode(searcher, questions, mode, progress)
        seconds[mode] = round(time.perf_counter() - started, 2)
    log.info("%s: %d questions over %d paragraphs scored in %s", squad.name, len(questions), len(data.chunks), seconds)
    return {"benchmark": squad.name, "questions": len(questions), "paragraphs": len(data.chunks), "modes": scores, "seconds": seconds}


def benchmark_table(result: dict[str, Any]) -> str:
    """Markdown table of a `run_benchmark` result, one row per mode."""
    names = [*(f"recall@{k}" for k in KS), "mrr", "p50_ms"]
    rows = [
        [mode, *(fmt(values[n], 1 if n == "p50_ms" else 3) for n in names), fmt(result["seconds"][mode], 1)]
        for mode, values in result["modes"].items()
    ]
    title = (
        f"{result['benchmark']}: {result['questions']} questions over {result['paragraphs']} paragraphs "
        f"(index ready in {result['seconds']['index']:.1f}s)"
    )
    legend = (
        "recall@k: share of questions whose gold paragraph is among the top k; mrr: mean 1/rank of the gold "
        f"paragraph (0 past rank {max(KS)}); p50_ms: median time per question, searched in batches of {BATCH_SIZE}."
    )
    return "\n".join([title, "", *table(["mode", *names, "seconds"], rows), "", legend]) + "\n"
