"""The embedding model on ONNX Runtime: tokenizers + one exported BertModel graph + mean pooling.

A sentence-transformers folder that holds `onnx/model.onnx` (the converter writes one for the
default model) is run without torch: a question is embedded in about half the torch path's time,
and a running app never imports torch or sentence-transformers.
"""
from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from reportqa.errors import ReportQAError

log = logging.getLogger(__name__)

ONNX_GRAPH = Path("onnx") / "model.onnx"
THREADS_VARIABLE = "REPORTQA_THREADS"
# Prompt names SentenceTransformer.encode_document considers, in its order.
DOCUMENT_PROMPT_NAMES = ("document", "passage", "corpus")


@dataclass(frozen=True)
class FolderConfig:
    """What a sentence-transformers folder says about running its model by hand."""

    query_prompt: str
    passage_prompt: str
    max_seq_length: int
    mean_pooling: bool


def passage_prompt(prompts: dict[str, str]) -> str:
    """The first non-empty document prompt: encode_document alone would pick an empty "document"."""
    return next((prompts[n] for n in DOCUMENT_PROMPT_NAMES if prompts.get(n)), "")


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def read_folder_config(folder: Path) -> FolderConfig:
    """Prompts, sequence length and pooling from the folder's sentence-transformers files."""
    prompts = _read_json(folder / "config_sentence_transformers.json").get("prompts") or {}
    max_length = _read_json(folder / "sentence_bert_config.json").get("max_seq_length") or 512
    pooling = _read_json(folder / "1_Pooling" / "config.json")
    mean = pooling.get("pooling_mode") == "mean" or bool(pooling.get("pooling_mode_mean_tokens"))
    return FolderConfig(prompts.get("query") or "", passage_prompt(prompts), int(max_length), mean)


def intra_op_threads() -> int:
    """Threads for one embedding call: $REPORTQA_THREADS, else every core this process may use."""
    value = os.environ.get(THREADS_VARIABLE, "").strip()
    if value:
        if not value.isdigit() or int(value) < 1:
            raise ReportQAError(f"{THREADS_VARIABLE} must be a positive whole number, not {value!r}")
        return int(value)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass(frozen=True)
class SpanSums:
    """Token-state sums and token counts of character spans of one passage: the mean-pooled vector
    of any union of disjoint spans is the sum of their sums over the sum of their counts."""

    sums: np.ndarray  # (spans, dim) float32
    counts: np.ndarray  # (spans,) int64


def token_batches(lengths: list[int], max_tokens: int, max_rows: int) -> list[tuple[int, int]]:
    """[start, end) runs of `lengths` (sorted longest first) whose rows × first length stay within
    `max_tokens` (one row at least) and `max_rows`."""
    batches, start = [], 0
    while start < len(lengths):
        rows = max(1, min(max_rows, max_tokens // max(lengths[start], 1)))
        batches.append((start, min(start + rows, len(lengths))))
        start += rows
    return batches


class OnnxEmbedder:
    """The same vectors as the torch path (cosine ≥ 0.9999), from onnxruntime and tokenizers alone."""

    backend = "onnx"
    batch_size = 32
    # Rows × padded width per call. Attention holds rows × heads × width² scores: 32 chunks of 512
    # tokens make 400 MB and run slower per token than a few rows at a time (docs/benchmarks.md, "ONNX Runtime settings").
    batch_tokens = 1024

    def __init__(self, name: str, folder: Path, graph: Path | None = None, quantize: str | None = None) -> None:
        from tokenizers import Tokenizer

        started = time.perf_counter()
        self.name = name
        self.quantize = quantize
        self.graph = graph or folder / ONNX_GRAPH
        self._config = read_folder_config(folder)
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=self._config.max_seq_length)
        self._tokenizer.no_padding()
        self._session = cpu_session(self.graph)
        self._inputs = {i.name for i in self._session.get_inputs()}
        self.dim = int(self._session.get_outputs()[0].shape[-1])
        log.info(
            "loaded %s on ONNX Runtime (%s, %s, %d threads) in %.1f s",
            name, self.graph, quantize or "float32", intra_op_threads(), time.perf_counter() - started,
        )

    def embed_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Unit vectors (n, dim) float32 for document text, with the model's passage prompt."""
        return self._encode([self._config.passage_prompt + t for t in texts], progress)[0]

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Unit vectors (n, dim) float32 for questions, with the model's query prompt."""
        return self._encode([self._config.query_prompt + t for t in texts], progress=False)[0]

    def count_tokens(self, texts: list[str]) -> int:
        """Tokens the model reads for these passages: prompt and specials included, truncated alike."""
        encodings = self._tokenizer.encode_batch([self._config.passage_prompt + t for t in texts])
        return sum(len(e.ids) for e in encodings)

    def embed_passage_spans(
        self, texts: list[str], spans: list[list[tuple[int, int]]], progress: bool = False
    ) -> tuple[np.ndarray, list[SpanSums]]:
        """`embed_passages` of `texts`, plus the token-state sums of character spans of each text
        (offsets into the text, prompt excluded) from the same forward pass, so a longer text's
        vector can be pooled from its parts' passes (`index/pooling.py`)."""
        prompt = self._config.passage_prompt
        return self._encode([prompt + t for t in texts], progress, shifted_spans(spans, len(prompt)))

    def _encode(
        self, texts: list[str], progress: bool, spans: list[list[tuple[int, int]]] | None = None
    ) -> tuple[np.ndarray, list[SpanSums]]:
        """Length-sorted batches (little padding), returned in the caller's order; with `spans`,
        each text's span sums are read off the token states before they are dropped."""
        from tqdm.auto import tqdm

        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        span_sums: list[SpanSums] = []
        if not texts:
            return vectors, span_sums
        encodings = self._tokenizer.encode_batch(texts)
        order = np.argsort([-len(e.ids) for e in encodings], kind="stable")
        batches = token_batches([len(encodings[i].ids) for i in order], self.batch_tokens, self.batch_size)
        by_text: dict[int, SpanSums] = {}
        for start, end in tqdm(batches, desc="embedding", unit="batch", disable=not progress):
            rows = order[start:end]
            hidden, mask = self._run([encodings[i] for i in rows])
            vectors[rows] = mean_pool(hidden, mask)
            if spans is not None:
                for row, i in enumerate(rows):
                    states = hidden[row, : len(encodings[i].ids)]
                    by_text[int(i)] = span_token_sums(states, encodings[i].offsets, spans[i])
        if spans is not None:
            span_sums = [by_text[i] for i in range(len(texts))]
        return vectors, span_sums

    def _run(self, encodings: list) -> tuple[np.ndarray, np.ndarray]:
        """Token states (rows, width, dim) of one padded batch and its attention mask."""
        ids, mask = padded([e.ids for e in encodings])
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        (hidden,) = self._session.run(None, feeds)[:1]
        return hidden, mask


def padded(sequences: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Token ids of a batch padded to the longest sequence, and the attention mask. Padding
    positions are masked out of attention and pooling, so their id does not matter."""
    width = max(len(s) for s in sequences)
    ids = np.zeros((len(sequences), width), dtype=np.int64)
    mask = np.zeros((len(sequences), width), dtype=np.int64)
    for row, sequence in enumerate(sequences):
        ids[row, : len(sequence)] = sequence
        mask[row, : len(sequence)] = 1
    return ids, mask


def cpu_session(graph: Path) -> Any:
    """An ONNX Runtime session on the CPU with the project's thread settings."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = intra_op_threads()
    options.inter_op_num_threads = 1
    # Idle workers that spin steal the cores other processes need, and lose them under load.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Unit mean of the unmasked token states of each row: the sentence-transformers vector."""
    weights = mask[:, :, None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def shifted_spans(spans: list[list[tuple[int, int]]], shift: int) -> list[list[tuple[int, int]]]:
    """Spans of texts as offsets into the prompted texts the tokenizer reads."""
    return [[(a + shift, b + shift) for a, b in text_spans] for text_spans in spans]


def span_token_sums(states: np.ndarray, offsets: list[tuple[int, int]], spans: list[tuple[int, int]]) -> SpanSums:
    """Sum and count of the token states whose characters overlap each span.

    A token "▁word" starts at the space before its word, so overlap (not containment) is the test;
    special tokens have empty offsets and belong to no span. Tokens cut off by truncation are
    missing, so a span past the model's length counts 0 tokens.
    """
    offsets_array = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
    starts, ends = offsets_array[:, 0], offsets_array[:, 1]
    sums = np.zeros((len(spans), states.shape[-1]), dtype=np.float32)
    counts = np.zeros(len(spans), dtype=np.int64)
    for i, (a, b) in enumerate(spans):
        inside = (starts < b) & (ends > a) & (ends > starts)
        sums[i] = states[inside].sum(axis=0)
        counts[i] = int(inside.sum())
    return SpanSums(sums, counts)
