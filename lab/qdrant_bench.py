"""`reportqa bench --store qdrant`: the Qdrant store at archive scale, on synthetic chunks.

Chunks are random unit vectors with Zipf-distributed synthetic terms (no model, no Kiwi: the
figures are the engine's), grouped 10 to a section and 100 to a document like real reports.
Build = every point written through `QdrantWriter`; open = `QdrantStore` reading the manifest,
with the process's resident memory before and after; a query = the store calls one hybrid question
makes (version check, dense top-n, BM25 top-n, sections, section siblings, candidate scores,
coverage, its hits), with the points it received counted.
"""
from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
from reportqa.lab.bench import BenchResult
from reportqa.index.protocol import DocumentParts
from reportqa.index.qdrant_store import QdrantStore, QdrantTarget, QdrantWriter
from reportqa.ingest.types import Chunk, Document

CHUNKS_PER_SECTION = 10
CHUNKS_PER_DOCUMENT = 100
TERMS_PER_CHUNK = 40
VOCABULARY = 50_000
CANDIDATES = 100  # FusionConfig.candidates


def _terms(rng: np.random.Generator, count: int) -> list[str]:
    return [f"t{i}" for i in np.minimum(rng.zipf(1.2, count), VOCABULARY)]


def synthetic_parts(chunks: int, dim: int, seed: int = 0) -> list[DocumentParts]:
    """Documents of 100 chunks in sections of 10; chunk text is its space-separated terms."""
    rng = np.random.default_rng(seed)
    parts = []
    for d in range(0, chunks, CHUNKS_PER_DOCUMENT):
        size = min(CHUNKS_PER_DOCUMENT, chunks - d)
        doc_id = f"doc{d // CHUNKS_PER_DOCUMENT:06d}"
        vectors = rng.normal(size=(size, dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        made = []
        for i in range(size):
            text = " ".join(_terms(rng, TERMS_PER_CHUNK))
            made.append(Chunk(Chunk.make_id(doc_id, i, i + 1), doc_id, "", f"s{i // CHUNKS_PER_SECTION}", i, i + 1, text))
        document = Document(doc_id, "synthetic", doc_id, "", f"sha-{doc_id}")
        parts.append(DocumentParts(document, made, vectors, [], None))
    return parts


class CountingClient:
    """A Qdrant client that counts the points it receives (and the requests that read them)."""

    READS = {
        "retrieve": len,
        "scroll": lambda r: len(r[0]),
        "query_points": lambda r: len(r.points),
        "query_batch_points": lambda r: sum(len(x.points) for x in r),
        "query_points_groups": lambda r: sum(len(g.hits) for g in r.groups),
    }

    def __init__(self, client: Any):
        self.client, self.points, self.requests = client, 0, 0

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.client, name)
        if name not in self.READS:
            return method

        def counted(*args: Any, **kwargs: Any) -> Any:
            result = method(*args, **kwargs)
            self.points += self.READS[name](result)
            self.requests += 1
            return result

        return counted


def resident_mb() -> float:
    """This process's resident memory now (VmRSS)."""
    status = Path("/proc/self/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))) / 1024


def qdrant_scale(chunks: int = 100_000, dim: int = 384, queries: int = 20, folder: Path | None = None) -> BenchResult:
    """Build a local-mode collection of `chunks` synthetic chunks, reopen it, time `queries` questions.

    In memory unless `folder` is given: a local-mode folder commits every point to SQLite on its
    own, which is what makes it slow to fill (docs/scale.md has both figures).
    """
    result = BenchResult()
    parts = synthetic_parts(chunks, dim)
    where = "local mode, in memory" if folder is None else "local mode, folder"
    target = QdrantTarget(in_memory=True) if folder is None else QdrantTarget(path=folder)
    started, cpu = time.perf_counter(), time.process_time()
    writer = QdrantWriter(target, "bench", "synthetic", dim, {"synthetic": True}, tokenize=lambda texts: [t.split() for t in texts])
    for p in parts:
        writer.put(p)
    writer.commit([p.document.doc_id for p in parts], ["synthetic"])
    result.add(f"{chunks:,} chunks: build ({where})", time.perf_counter() - started, "s")
    result.add(f"{chunks:,} chunks: build CPU time (steadier on a shared machine)", time.process_time() - cpu, "s")
    client = CountingClient(writer.client if folder is None else target.connect())  # a folder's client loads it whole (local mode)
    resident, started = resident_mb(), time.perf_counter()
    engine = QdrantStore(target, "bench", None, None, client=client)
    result.add(f"{chunks:,} chunks: open (reads the manifest)", (time.perf_counter() - started) * 1000, "ms")
    result.add(f"{chunks:,} chunks: resident memory the open adds", resident_mb() - resident, "MB")
    rng = np.random.default_rng(1)
    latencies, received, cpu = [], [], time.process_time()
    for _ in range(queries):
        vector = rng.normal(size=dim).astype(np.float32)
        vector /= np.linalg.norm(vector)
        tokens = _terms(rng, 5)
        client.points, started = 0, time.perf_counter()
        engine.refresh()
        dense, _ = engine.dense_top(vector, CANDIDATES)
        lexical, _ = engine.bm25_top(tokens, CANDIDATES)
        seeds = np.union1d(dense, lexical)
        candidates = np.union1d(seeds, engine.section_members(seeds))
        engine.sections(candidates)
        engine.scores(vector, tokens, candidates)
        engine.coverage(tokens)
        engine.chunks(candidates[:5])
        latencies.append((time.perf_counter() - started) * 1000)
        received.append(client.points)
    cpu_ms = (time.process_time() - cpu) * 1000 / queries
    engine.close()
    result.add(f"{chunks:,} chunks: points received per question (median)", statistics.median(received), "points")
    result.add(f"{chunks:,} chunks: hybrid query p50", statistics.median(latencies), "ms")
    result.add(f"{chunks:,} chunks: hybrid query p95", float(np.percentile(latencies, 95)), "ms")
    result.add(f"{chunks:,} chunks: hybrid query mean CPU time", cpu_ms, "ms")
    return result
