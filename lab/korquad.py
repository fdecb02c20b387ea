"""External retrieval benchmark on a SQuAD-v1 file (KorQuAD 1.0 dev by default).

The benchmark's text goes through the product's own pipeline and is scored in one of three units:

- `chunk` (default): every distinct paragraph is a document, sectioned and chunked like any user
  document (a long paragraph becomes several chunks); a paragraph's rank is that of its best chunk.
- `passage`: every paragraph is one chunk embedded whole, as published retrieval results do.
- `article`: an article's paragraphs joined into one long document and chunked, the shape of a real
  report; a retrieved chunk is a hit when it overlaps the gold paragraph's span.

Each unit has its own named index in the data home, reused while the file and model are the same.
The file is only ever read: KorQuAD's licence forbids derivatives. `limit` takes the first N
questions in file order but indexes every paragraph, so a subset is searched against every
distractor; `articles` instead keeps only the first N articles (corpus and questions), a small
benchmark for tests and sweeps.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from reportqa.errors import IndexDamaged, IndexMismatch, IndexMissing, ReportQAError
from reportqa.eval import metrics
from reportqa.eval.report import fmt, table
from reportqa.index import store
from reportqa.index.build import assemble, embed_documents
from reportqa.index.embedder import Embedder, load_embedder
from reportqa.index.search import Searcher
from reportqa.index.store import IndexData
from reportqa.index.types import Hit
from reportqa.limits import MODES, Mode
from reportqa.ingest.chunk import ChunkingConfig, split_document
from reportqa.ingest.sections import find_sections
from reportqa.ingest.types import Chunk, Document, SplitDocument
from reportqa.paths import PROJECT_ROOT
from tqdm import tqdm

log = logging.getLogger(__name__)

KORQUAD_SHA256 = "25ffeb51e6c51ec02c071b60a10188e10005c144110f0d876b26079d80a35bdf"
Unit = Literal["chunk", "passage", "article"]
UNITS: tuple[Unit, ...] = ("chunk", "passage", "article")
PARAGRAPH_SEPARATOR = "\n\n"  # between an article's paragraphs, as between paragraphs of any text file
KS = (1, 5, 10)
SEARCH_DEPTH = 100  # chunks fetched per question, enough to leave max(KS) distinct paragraphs
BATCH_SIZE = 64


@dataclass(frozen=True)
class GoldQuestion:
    """A benchmark question and the doc_id of the one paragraph that answers it."""

    id: str
    question: str
    gold: str


@dataclass(frozen=True)
class SquadSet:
    """A SQuAD-v1 file read into passages and questions; `name` also names its index.

    `articles` lists, per article in file order, the positions in `documents` of its paragraphs.
    """

    name: str
    path: Path
    sha256: str
    documents: list[Document]
    questions: list[GoldQuestion]
    articles: list[list[int]] = field(default_factory=list)


@dataclass(frozen=True)
class GoldSpan:
    """Where a gold paragraph lies in the indexed documents."""

    doc_id: str
    start: int
    end: int

    def holds(self, chunk: Chunk) -> bool:
        """A chunk of the same document overlapping the span."""
        return chunk.doc_id == self.doc_id and chunk.start < self.end and chunk.end > self.start


@dataclass(frozen=True)
class BenchmarkCorpus:
    """The documents one unit indexes, and where each gold paragraph lies in them."""

    name: str  # of its index
    unit: Unit
    documents: list[Document]
    gold: dict[str, GoldSpan]  # paragraph doc_id -> span
    questions: list[GoldQuestion]
    chunking: dict  # what the manifest records


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
    grouping: list[list[int]] = []
    for article in articles:
        grouping.append([])
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            if context not in doc_ids:
                doc_ids[context] = f"{name}-p{len(doc_ids) + 1:04d}"
                grouping[-1].append(len(documents))
                documents.append(_passage(doc_ids[context], article["title"], context, path, sha256))
            questions += [GoldQuestion(qa["id"], qa["question"], doc_ids[context]) for qa in paragraph["qas"]]
    return SquadSet(name, path, sha256, documents, questions, [group for group in grouping if group])


def passage_chunk(document: Document) -> Chunk:
    """The whole paragraph as one chunk (title as heading, no section)."""
    end = len(document.text)
    return Chunk(Chunk.make_id(document.doc_id, 0, end), document.doc_id, document.title, "", 0, end, document.text)


def _article(squad: SquadSet, number: int, positions: list[int]) -> tuple[Document, dict[str, GoldSpan]]:
    """One article's paragraphs joined into one document, and each paragraph's span in it."""
    doc_id = f"{squad.name}-a{number:04d}"
    paragraphs = [squad.documents[i] for i in positions]
    spans: dict[str, GoldSpan] = {}
    offset = 0
    for paragraph in paragraphs:
        spans[paragraph.doc_id] = GoldSpan(doc_id, offset, offset + len(paragraph.text))
        offset += len(paragraph.text) + len(PARAGRAPH_SEPARATOR)
    text = PARAGRAPH_SEPARATOR.join(p.text for p in paragraphs)
    document = Document(doc_id, str(squad.path), paragraphs[0].title, text, squad.sha256, find_sections(text))
    return document, spans


def benchmark_corpus(squad: SquadSet, unit: Unit = "chunk", articles: int | None = None) -> BenchmarkCorpus:
    """What `unit` indexes, restricted to the first `articles` articles when given."""
    if unit not in UNITS:
        raise ReportQAError(f"unknown unit {unit!r}; choose one of {', '.join(UNITS)}")
    if articles is not None and articles < 1:
        raise ReportQAError("--articles must be at least 1")
    groups = squad.articles[:articles]
    kept = [squad.documents[i] for group in groups for i in group]
    suffix = {"passage": "", "chunk": "-chunks", "article": "-articles"}[unit] + (f"-first{articles}" if articles else "")
    if unit == "article":
        documents, gold = [], {}
        for number, group in enumerate(groups, start=1):
            document, spans = _article(squad, number, group)
            documents.append(document)
            gold.update(spans)
    else:
        documents = kept if unit == "passage" else [replace(d, sections=find_sections(d.text)) for d in kept]
        gold = {d.doc_id: GoldSpan(d.doc_id, 0, len(d.text)) for d in kept}
    chunking = {"unit": "paragraph"} if unit == "passage" else {"unit": unit, **asdict(ChunkingConfig())}
    questions = [q for q in squad.questions if q.gold in gold]
    return BenchmarkCorpus(squad.name + suffix, unit, documents, gold, questions, chunking)


def build_benchmark_index(squad: SquadSet, corpus: BenchmarkCorpus, embedder: Embedder, progress: bool = True) -> IndexData:
    """Chunk (or keep whole) and embed every document in one batch; save under the corpus's name."""
    if corpus.unit == "passage":
        pending = [SplitDocument(d, [passage_chunk(d)], []) for d in corpus.documents]
    else:
        pending = [split_document(d, ChunkingConfig()) for d in corpus.documents]
    with_sentences = corpus.unit != "passage"
    parts = embed_documents(pending, embedder, progress)
    data = assemble(parts, embedder, corpus.chunking, [str(squad.path)], with_sentences=with_sentences)
    with store.build_lock(corpus.name):
        store.save(data, corpus.name)
    return data


def reusable_index(squad: SquadSet, corpus: BenchmarkCorpus, embedder: Embedder) -> IndexData | None:
    """The saved index when it was built from this very file, unit, model and weights."""
    try:
        data = store.load(corpus.name, model=embedder.name, chunking=corpus.chunking, quantize=embedder.quantize)
    except (IndexMissing, IndexMismatch, IndexDamaged) as error:
        log.info("benchmark index not reusable: %s", error)
        return None
    fresh = data.manifest.documents == {d.doc_id: squad.sha256 for d in corpus.documents}
    return data if fresh else None


def ranked_relevance(hits: Sequence[Hit], gold: GoldSpan, unit: Unit) -> list[bool]:
    """Per ranked unit: is it the gold paragraph? Chunks of one paragraph count once, at their best rank."""
    if unit == "article":
        return [gold.holds(h.chunk) for h in hits]
    first = dict.fromkeys(h.chunk.doc_id for h in hits)
    return [doc_id == gold.doc_id for doc_id in first]


def score_mode(searcher: Searcher, corpus: BenchmarkCorpus, questions: Sequence[GoldQuestion], mode: Mode, progress: bool = True) -> dict[str, float | None]:
    """recall@1/5/10, MRR and per-question latency (a batch's time shared by its questions)."""
    recalls: dict[int, list[float]] = {k: [] for k in KS}
    reciprocal: list[float] = []
    latencies: list[float] = []
    for start in tqdm(range(0, len(questions), BATCH_SIZE), desc=f"{corpus.name} {mode}", unit="batch", disable=not progress):
        batch = questions[start : start + BATCH_SIZE]
        started = time.perf_counter()
        results = searcher.search_many([q.question for q in batch], k=SEARCH_DEPTH, mode=mode)
        latencies += [(time.perf_counter() - started) * 1000 / len(batch)] * len(batch)
        for q, hits in zip(batch, results):
            relevant = ranked_relevance(hits, corpus.gold[q.gold], corpus.unit)
            for k in KS:
                recalls[k].append(metrics.hit_at_k(relevant, k))
            reciprocal.append(metrics.reciprocal_rank(relevant[: max(KS)]))
    scores: dict[str, float | None] = {f"recall@{k}": metrics.mean(recalls[k]) for k in KS}
    scores["mrr"] = metrics.mean(reciprocal)
    scores["p50_ms"] = metrics.percentile(latencies, 50)
    return scores


def open_benchmark(
    path: Path | None, embedder: Embedder, unit: Unit = "chunk", articles: int | None = None, progress: bool = True
) -> tuple[BenchmarkCorpus, IndexData]:
    """The corpus of `unit` and its index, reused when fresh, else built and saved."""
    squad = read_squad(path or default_path())
    corpus = benchmark_corpus(squad, unit, articles)
    data = reusable_index(squad, corpus, embedder) or build_benchmark_index(squad, corpus, embedder, progress)
    return corpus, data


def run_benchmark(
    path: Path | None = None,
    embedder: Embedder | None = None,
    modes: Sequence[Mode] = MODES,
    limit: int | None = None,
    progress: bool = True,
    unit: Unit = "chunk",
    articles: int | None = None,
) -> dict[str, Any]:
    """Index (or reuse) the benchmark in `unit`, then score the first `limit` questions per mode.

    Returns {"benchmark", "unit", "questions", "paragraphs", "documents", "chunks", "modes": {mode:
    {recall@1, recall@5, recall@10, mrr, p50_ms}}, "seconds": {"index", <mode>…}}.
    """
    if limit is not None and limit < 1:
        raise ReportQAError("--limit must be at least 1")
    embedder = embedder or load_embedder()
    started = time.perf_counter()
    corpus, data = open_benchmark(path, embedder, unit, articles, progress)
    seconds = {"index": round(time.perf_counter() - started, 2)}
    searcher = Searcher(data, embedder)
    questions = corpus.questions[:limit]
    scores = {}
    for mode in modes:
        started = time.perf_counter()
        scores[mode] = score_mode(searcher, corpus, questions, mode, progress)
        seconds[mode] = round(time.perf_counter() - started, 2)
    log.info("%s: %d questions over %d chunks scored in %s", corpus.name, len(questions), len(data.chunks), seconds)
    return {
        "benchmark": corpus.name,
        "unit": unit,
        "questions": len(questions),
        "paragraphs": len(corpus.gold),
        "documents": len(corpus.documents),
        "chunks": len(data.chunks),
        "modes": scores,
        "seconds": seconds,
    }


def benchmark_table(result: dict[str, Any]) -> str:
    """Markdown table of a `run_benchmark` result, one row per mode."""
    names = [*(f"recall@{k}" for k in KS), "mrr", "p50_ms"]
    rows = [
        [mode, *(fmt(values[n], 1 if n == "p50_ms" else 3) for n in names), fmt(result["seconds"][mode], 1)]
        for mode, values in result["modes"].items()
    ]
    title = (
        f"{result['benchmark']} ({result['unit']} unit): {result['questions']} questions over {result['paragraphs']} "
        f"paragraphs in {result['documents']} documents, {result['chunks']} chunks (index ready in {result['seconds']['index']:.1f}s)"
    )
    target = "chunk overlapping the gold paragraph" if result["unit"] == "article" else "gold paragraph (its best chunk)"
    legend = (
        f"recall@k: share of questions with a {target} among the top k; mrr: mean 1/rank of the first "
        f"(0 past rank {max(KS)}); p50_ms: median time per question, searched in batches of {BATCH_SIZE}."
    )
    return "\n".join([title, "", *table(["mode", *names, "seconds"], rows), "", legend]) + "\n"
