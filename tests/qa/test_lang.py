"""The question's language picks the answer's wording."""
from __future__ import annotations

import pytest
from reportqa.qa.lang import detect_lang


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("지역적 강점을 활용한 기업은?", "ko"),
        ("Which firms used regional strengths?", "en"),
        ("GNT는 무엇인가?", "ko"),
        ("What was 라쿠텐's revenue in 2014?", "en"),
        ("2014?", "en"),
    ],
)
def test_detect_lang(text: str, lang: str) -> None:
    assert detect_lang(text) == lang
