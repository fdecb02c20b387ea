"""Session fixtures: the real model, and the real report indexed once in a temporary data home."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

# No model hub exists here or on a user's laptop: nothing may try to reach one.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import pytest
from reportqa.index import store
from reportqa.index.build import build_index
from reportqa.index.embedder import Embedder, load_embedder
from reportqa.index.search import Searcher
from reportqa.paths import default_corpus
from reportqa.qa.answer import Answerer

from tests.homes import temporary_home


@pytest.fixture(scope="session")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """$REPORTQA_HOME for the whole session."""
    with temporary_home(tmp_path_factory, "reportqa-home") as path:
        yield path


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return load_embedder()


@pytest.fixture(scope="session")
def report_index(home: Path, embedder: Embedder) -> store.IndexData:
    """The default index of corpus/, built the way `reportqa index` builds it."""
    build_index([default_corpus()], embedder, progress=False)
    return store.load()


@pytest.fixture(scope="session")
def searcher(report_index: store.IndexData, embedder: Embedder) -> Searcher:
    return Searcher(report_index, embedder)


@pytest.fixture(scope="session")
def answerer(searcher: Searcher) -> Answerer:
    return Answerer(searcher)
