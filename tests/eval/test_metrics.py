"""Metrics on hand-made ranked lists, with the values worked out by hand."""
from __future__ import annotations

import math

import pytest
from reportqa.eval import metrics

QUOTE_A = "일본 안경테 생산의 96%"
QUOTE_B = "30개 이상의 선진국"
TEXTS = [
    "아무 관련 없는 문단이다.",
    "사바에시는 일본 안경테\n생산의  96%를 차지한다.",  # holds A once whitespace is normalised
    "또 다른 문단.",
    "타스크사는 30개 이상의 선진국 및 신흥국에 수출한다.",  # holds B
]


def test_relevance_normalises_whitespace() -> None:
    assert metrics.relevance(TEXTS, [QUOTE_A, QUOTE_B]) == [False, True, False, True]


def test_first_relevant_rank_is_one_based_or_none() -> None:
    assert metrics.first_relevant_rank([False, False, True]) == 3
    assert metrics.first_relevant_rank([False, False]) is None
    assert metrics.first_relevant_rank([]) is None


@pytest.mark.parametrize(("k", "expected"), [(1, 0.0), (2, 1.0), (10, 1.0)])
def test_hit_at_k(k: int, expected: float) -> None:
    assert metrics.hit_at_k([False, True, False], k) == expected


def test_reciprocal_rank() -> None:
    assert metrics.reciprocal_rank([False, False, False, True]) == 0.25
    assert metrics.reciprocal_rank([True, True]) == 1.0
    assert metrics.reciprocal_rank([False]) == 0.0


def test_evidence_recall_counts_each_quote_once() -> None:
    ranks = metrics.quote_ranks(TEXTS, [QUOTE_A, QUOTE_B, "어디에도 없는 인용문입니다"])
    assert ranks == [2, 4, None]
    assert metrics.recall_at_k(ranks, 1) == 0.0
    assert metrics.recall_at_k(ranks, 2) == pytest.approx(1 / 3)
    assert metrics.recall_at_k(ranks, 10) == pytest.approx(2 / 3)
    assert metrics.recall_at_k([], 5) is None


def test_gold_recall() -> None:
    ids = ["p3", "p7", "p1"]
    assert metrics.gold_recall_at_k(ids, ["p7"], 1) == 0.0
    assert metrics.gold_recall_at_k(ids, ["p7"], 2) == 1.0
    assert metrics.gold_recall_at_k(ids, ["p7", "p9"], 5) == 0.5


def test_ndcg_single_quote() -> None:
    assert metrics.ndcg_at_k([True, False, False], n_quotes=1) == 1.0
    assert metrics.ndcg_at_k([False, False, True], n_quotes=1) == pytest.approx(0.5)  # 1/log2(4) over 1
    assert metrics.ndcg_at_k([False] * 10, n_quotes=1) == 0.0


def test_ndcg_overlapping_chunks_stay_within_one() -> None:
    # one quote held by two overlapping chunks at ranks 1 and 2: the ideal list has two relevant
    assert metrics.ndcg_at_k([True, True, False], n_quotes=1) == 1.0


def test_ndcg_missing_quotes_lower_the_score() -> None:
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert metrics.ndcg_at_k([True, False, False], n_quotes=3) == pytest.approx(1 / ideal)


def test_ndcg_ignores_ranks_past_k() -> None:
    assert metrics.ndcg_at_k([False] * 10 + [True], n_quotes=1, k=10) == 0.0


class TestBudget:
    """budget@N: a quote counts when it ends within the first N characters of the joined texts."""

    texts = ["a" * 10, "xx 정답 문장 yy", "b" * 50]  # joined: 10 a's, space, then the second text

    def test_quote_ending_exactly_at_the_budget_counts(self) -> None:
        end = 11 + len("xx 정답 문장")  # 10 a's + separator, then the quote's end inside text 2
        assert metrics.budget_hit(self.texts, ["정답 문장"], budget=end) == 1.0

    def test_quote_cut_by_the_budget_does_not_count(self) -> None:
        end = 11 + len("xx 정답 문장")
        assert metrics.budget_hit(self.texts, ["정답 문장"], budget=end - 1) == 0.0

    def test_zero_budget(self) -> None:
        assert metrics.budget_hit(["정답 문장"], ["정답 문장"], budget=0) == 0.0

    def test_any_quote_is_enough(self) -> None:
        assert metrics.budget_hit(self.texts, ["b" * 50, "a" * 10], budget=10) == 1.0

    def test_whitespace_is_normalised_before_counting(self) -> None:
        # 10 spaces collapse to one, so the quote ends at character 9, not 18
        assert metrics.budget_hit(["ab" + " " * 10 + "정답 문장"], ["ab 정답 문장"], budget=9) == 1.0

    def test_not_retrieved(self) -> None:
        assert metrics.budget_hit(self.texts, ["없는 문장"], budget=10_000) == 0.0

    def test_later_occurrence_within_budget_counts(self) -> None:
        texts = ["b" * 2000, "정답"]  # first chunk fills the budget
        assert metrics.budget_hit(texts, ["정답"], budget=1200) == 0.0
        assert metrics.budget_hit(list(reversed(texts)), ["정답"], budget=1200) == 1.0


def test_fact_coverage_uses_the_answer_text_only() -> None:
    assert metrics.fact_coverage("사바에시는 안경테의 96%를 만든다", ["96%", "사바에", "20%"]) == pytest.approx(2 / 3)
    assert metrics.fact_coverage("무엇이든", []) is None


def test_precision() -> None:
    assert metrics.precision([True, False, False, True]) == 0.5
    assert metrics.precision([]) is None


def test_abstention_scores() -> None:
    abstained = [True, True, False, False, True]
    answerable = [False, True, False, True, False]  # 3 unanswerable: indices 0, 2, 4
    precision, recall = metrics.abstention_scores(abstained, answerable)
    assert precision == pytest.approx(2 / 3)
    assert recall == pytest.approx(2 / 3)
    assert metrics.abstention_scores([False, False], [True, True]) == (None, None)


def test_mean_skips_undefined_and_percentile() -> None:
    assert metrics.mean([1.0, None, 0.0]) == 0.5
    assert metrics.mean([None]) is None
    assert metrics.percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert metrics.percentile([], 95) is None


def test_answer_accuracy_reads_the_quoted_sentences() -> None:
    quotes = ["사바에시는 안경테의 96%를 만든다", "이마바리는 수건 산지다"]
    assert metrics.answer_accuracy(["사바에시는  안경테의 96%를 만든다."], quotes, per_item=False) == 1.0
    assert metrics.answer_accuracy(["사바에시는 안경테의 96%를 만든다."], quotes, per_item=True) == 0.5
    assert metrics.answer_accuracy(["사바에시는 안경테의", "96%를 만든다."], quotes[:1], per_item=False) == 1.0  # consecutive
    assert metrics.answer_accuracy([], quotes, per_item=False) == 0.0  # an abstention quotes nothing
    assert metrics.answer_accuracy(["무엇이든"], [], per_item=False) is None
