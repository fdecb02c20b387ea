"""Quality floors on the bundled question set: measured values minus a small margin (docs/evaluation.md, "Floors enforced by make test").

Measured 2026-11-27: hybrid hit@5 0.987, budget@1200 0.987, MRR 0.871 (dense 0.962 / 0.937 / 0.806,
bm25 0.696 / 0.684 / 0.621); answers: fact coverage 0.791, citation precision 0.627, abstention
precision 1.00, recall 0.50 (7 of 14). 2026-11-28 after issue 8 (BM25 weight 0.4): hybrid hit@5
0.987, MRR 0.888.
Measured 2026-11-28 after issue 13: answer accuracy 0.861 (ko 0.880, en 0.828), fact coverage 0.861,
citation precision 0.678, no answerable question refused. After issue 13's second round: answer
accuracy 0.911 (ko 0.940, en 0.862), fact coverage 0.918, citation precision 0.789, abstention
precision 1.00, recall 0.714 (10 of 14); floors one question or so below. 2026-12-06, round 4
(retrieval cost, restating sentences, English words bridged to Korean): answer accuracy 0.937 (ko
0.940, en 0.931), citation precision 0.815, abstention precision 1.00, recall 0.786 (11 of 14).
Round 6 (sentences read in place): answer accuracy 0.949 (ko 0.960, en 0.931), citation precision
0.824; overall and Korean floors raised to two questions or so below.
"""
from __future__ import annotations

import pytest
from reportqa.eval.run import EvalResult


def test_hybrid_retrieval_floors(eval_result: EvalResult) -> None:
    hybrid = eval_result.summary()["modes"]["hybrid"]
    assert hybrid["hit@5"] >= 0.95
    assert hybrid["budget@1200"] >= 0.95
    assert hybrid["mrr"] >= 0.85


@pytest.mark.parametrize("metric", ["budget@1200", "mrr", "hit@5"])
@pytest.mark.parametrize("single", ["dense", "bm25"])
def test_hybrid_is_at_least_each_single_mode(eval_result: EvalResult, metric: str, single: str) -> None:
    modes = eval_result.summary()["modes"]
    assert modes["hybrid"][metric] >= modes[single][metric]


def test_english_questions_are_served_by_the_hybrid(eval_result: EvalResult) -> None:
    english = eval_result.summary()["by_lang"]["en"]
    assert english["hybrid"]["hit@5"] >= 0.95 and english["hybrid"]["hit@5"] >= english["dense"]["hit@5"]


def test_answer_floors(answered_result: EvalResult) -> None:
    answers = answered_result.summary()["answers"]
    assert answers["answer_accuracy"] >= 0.92
    assert answers["answer_accuracy[ko]"] >= 0.92 and answers["answer_accuracy[en]"] >= 0.86
    assert answers["refused_answerable"] == 0.0
    assert answers["fact_coverage"] >= 0.88
    assert answers["citation_precision"] >= 0.78
    assert answers["abstention_precision"] >= 0.9
    assert answers["abstention_recall"] >= 0.71
