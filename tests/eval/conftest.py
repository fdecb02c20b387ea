"""One real evaluation of the bundled question set (searcher and answerer come from tests/conftest.py)."""
from __future__ import annotations

import pytest
from reportqa.eval.questions import load_questions
from reportqa.eval.run import EvalResult, evaluate
from reportqa.index.search import Searcher
from reportqa.qa.answer import Answerer


@pytest.fixture(scope="session")
def eval_result(searcher: Searcher) -> EvalResult:
    """The bundled set in all three modes, retrieval only."""
    return evaluate(load_questions(), searcher, progress=False, name="bundled")


@pytest.fixture(scope="session")
def answered_result(searcher: Searcher, answerer: Answerer) -> EvalResult:
    """The bundled set answered by the real answerer (hybrid retrieval)."""
    return evaluate(load_questions(), searcher, modes=("hybrid",), answer_fn=answerer.answer, progress=False, name="bundled")
