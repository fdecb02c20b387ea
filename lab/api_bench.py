"""`reportqa bench --api`: the HTTP API under load, one worker against several.

`reportqa serve --workers N` is started as a user starts it, on 127.0.0.1 in a scratch data home
(the bundled report, built once), and sent a bounded load: the bundled set's questions as
OpenAI chat completions, `CONCURRENT` at a time, each question `ROUNDS` times. Figures: requests
a second, p50 and p95 latency, and whether every answer equals the one-worker answer to the same
question. The machine's cores bound what workers can add: on 2 cores one worker already spreads
the model over both.
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from reportqa.eval.questions import load_questions
from reportqa.index.api import open_searcher
from reportqa.lab.bench import BenchResult, _free_port, scratch_home

CONCURRENT = 8
ROUNDS = 2
KEY = "bench"


def api_bench(worker_counts: tuple[int, ...] = (1, 2), questions: int = 20) -> BenchResult:
    import httpx

    asked = [q.question for q in load_questions()[:questions]] * ROUNDS
    result = BenchResult()
    answers: dict[int, list[str]] = {}
    with scratch_home():
        open_searcher()  # built once here, not by the first server
        for workers in worker_counts:
            port = _free_port()
            base = f"http://127.0.0.1:{port}/v1"
            server = subprocess.Popen(
                [str(Path(sys.executable).with_name("reportqa")), "serve", "--workers", str(workers), "--port", str(port), "--api-key", KEY],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                with httpx.Client(headers={"Authorization": f"Bearer {KEY}"}, timeout=600) as client:
                    _wait(client, base)

                    def ask(question: str) -> tuple[str, float]:
                        started = time.perf_counter()
                        body = {"model": "reportqa", "messages": [{"role": "user", "content": question}]}
                        reply = client.post(f"{base}/chat/completions", json=body).json()
                        return reply["choices"][0]["message"]["content"], time.perf_counter() - started

                    with ThreadPoolExecutor(CONCURRENT) as pool:
                        list(pool.map(ask, asked[: CONCURRENT * workers]))  # every worker loads its index
                        started = time.perf_counter()
                        timed = list(pool.map(ask, asked))
                        wall = time.perf_counter() - started
            finally:
                server.terminate()
                server.wait(60)
            answers[workers] = [text for text, _ in timed]
            latencies = sorted(seconds * 1000 for _, seconds in timed)
            result.add(f"{workers} worker(s): requests a second", len(asked) / wall, "req/s")
            result.add(f"{workers} worker(s): p50 latency", statistics.median(latencies), "ms")
            result.add(f"{workers} worker(s): p95 latency", latencies[int(0.95 * (len(latencies) - 1))], "ms")
            result.add(f"{workers} worker(s): answers equal to one worker's", _share_equal(answers[worker_counts[0]], answers[workers]), "")
    return result


def _share_equal(reference: list[str], answers: list[str]) -> float:
    return sum(a == b for a, b in zip(reference, answers)) / len(reference)


def _wait(client, base: str, seconds: float = 600) -> None:  # noqa: ANN001 - an httpx client
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if client.get(f"{base}/models", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(1)
    raise RuntimeError(f"nothing served at {base} within {seconds} s")
