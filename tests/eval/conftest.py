"""The real index of the bundled report, built once per session in a temporary data home."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from eval.questions import load_questions
from eval.run import EvalResult, evaluate
from index import store
from index.build import build_index
from index.embedder import Embedder, load_embedder
from index.search import Searcher
from ingest.home import default_corpus


@pytest.fixture(scope="session")
def eval_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """$REPORTQA_HOME for the whole eval session, so nothing lands in the user's data."""
    home = tmp_path_factory.mktemp("reportqa-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REPORTQA_HOME", str(home))
        yield home


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return load_embedder()


@pytest.fixture(scope="session")
def searcher(eval_home: Path, embedder: Embedder) -> Searcher:
    build_index([default_corpus()], embedder, progress=False)
    return Searcher(store.load(), embedder)


@pytest.fixture(scope="session")
def eval_result(searcher: Searcher) -> EvalResult:
    """One real run of the bundled question set in all three modes."""
    return evaluate(load_questions(), searcher, progress=False, name="bundled")
