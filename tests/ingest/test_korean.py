"""Sentence spans are character offsets into the text given, paragraph by paragraph."""
from __future__ import annotations

from reportqa.ingest.korean import kiwi, sentence_spans


def test_spans_are_character_offsets_across_paragraphs() -> None:
    text = "첫 문장입니다. 😀 이모지 뒤 電極劑 문장입니다.\n\n  \n제목 같은 줄\n\n새 문단이 시작된다. 끝이다!\n"
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == [
        "첫 문장입니다.",
        "😀 이모지 뒤 電極劑 문장입니다.",
        "제목 같은 줄",
        "새 문단이 시작된다.",
        "끝이다!",
    ]


def test_a_boundary_without_whitespace_is_not_a_sentence_end() -> None:
    """Kiwi alone cuts this (from the report) after the closing quote, inside "수건’이라는"."""
    text = "친환경성을 강조한 제품을 개발하고 있다. ‘유기 원료로 만든 피부에 부드러운 수건’이라는 이미지로 일본 소비자의 호응을 얻고 있다."
    assert any(sentence.text.startswith("이라는") for sentence in kiwi().split_into_sents(text))
    assert not any(text[s:e].startswith("이라는") for s, e in sentence_spans(text))


def test_blank_text_has_no_sentences() -> None:
    assert sentence_spans("") == []
    assert sentence_spans(" \n\n ") == []


def test_kiwi_is_loaded_once() -> None:
    assert kiwi() is kiwi()
