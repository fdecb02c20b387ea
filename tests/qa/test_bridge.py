"""English question words translated to the report's Korean words through the real model."""
from __future__ import annotations

from reportqa.qa.answer import Answerer
from reportqa.qa.bridge import WordBridge
from reportqa.qa.evidence import ChoiceWeights

ACCEPTED = (ChoiceWeights().bridge_cosine, ChoiceWeights().bridge_margin)  # the shipped thresholds


def _report_words(answerer: Answerer) -> set[str]:
    table = answerer.table(answerer.searcher.data.documents)
    return {w for row in range(len(table.spans)) for w in table.facts(row).tokens if len(w) >= 2 and "가" <= w[0] <= "힣"}


def test_content_words_translate_to_the_reports_words(answerer: Answerer) -> None:
    bridge = WordBridge(answerer.searcher.embed_passages)
    translated = bridge.translations("How did the competitiveness of Germany's battery exports change?", _report_words(answerer), *ACCEPTED).values()
    assert {"경쟁력", "독일", "배터리"} <= set(translated)


def test_words_without_a_clear_translation_are_left_out(answerer: Answerer) -> None:
    bridge = WordBridge(answerer.searcher.embed_passages)
    assert list(bridge.translations("What is it and where are they?", _report_words(answerer), *ACCEPTED).values()) == []  # stopwords only
    assert list(bridge.translations("competitiveness", ["경쟁력"], *ACCEPTED).values()) == []  # one word: nothing to stand out from


def test_an_english_question_quotes_the_sentence_holding_its_translated_words(answerer: Answerer) -> None:
    # Cross-lingual cosine alone ranked this sentence fourth; 특허 and 개발 are what it shares.
    answer = answerer.answer("In hydrogen-related patents, which kind of joint development worked better?")
    assert "대기업-중소기업의 공동개발" in " ".join(answer.quoted)
