"""What kind of number a quantity question asks for, and which sentences hold one."""
from __future__ import annotations

import pytest
from reportqa.qa.quantity import asked_quantity


@pytest.mark.parametrize(
    ("question", "sentence", "held"),
    [
        ("이마바리 수건의 연간 생산량은 몇 장인가?", "연간 1억 장을 생산한다.", True),
        ("이마바리 수건의 연간 생산량은 몇 장인가?", "2010년 인구 6만 7,463명이다.", False),
        ("도카이전자의 연간 매출액은 얼마인가?", "매출은 20억 엔이다.", True),
        ("도카이전자의 연간 매출액은 얼마인가?", "종업원 89명, 1979년 창업.", False),
        ("본경선 여론조사를 몇 퍼센트로 하기로 했나?", "여론조사는 10%로 정했다.", True),
        ("장기불황을 견딘 기업은 몇 가지 유형인가?", "네 가지 유형으로 나뉜다.", True),
        ("How many employees does it have?", "종업원 89명", True),  # English: any number
        ("How many employees does it have?", "종업원이 많다", False),
    ],
)
def test_a_quantity_is_held_only_in_the_unit_asked(question: str, sentence: str, held: bool) -> None:
    quantity = asked_quantity(question)
    assert quantity is not None and quantity.held_by(sentence) is held


def test_a_question_without_a_quantity_asks_for_none() -> None:
    assert asked_quantity("타스크사는 어떤 제품을 만드나?") is None
