"""Quantity questions: what kind of number answers them, and whether a sentence holds one.

"몇 장인가?" is answered by a count of sheets, not by any number: a sentence about the same towels
that gives a year ("2010년") or a share ("96%") does not answer it, so the answer should abstain.
Likewise "매출액은 얼마인가?" wants an amount of money. The counter after 몇 (and a money word
before 얼마) names the unit; an unknown counter, or "how many" in English, accepts any number.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_QUANTITY = re.compile(r"얼마|몇|비중|비율|how (much|many)|what (share|percentage|proportion|year)|which year", re.IGNORECASE)
_DIGIT = re.compile(r"\d")
_COUNTER = re.compile(r"몇\s*([가-힣]+)")
_MONEY_QUESTION = re.compile(r"(매출|예산|가격|비용|이익|금액|자본금|투자액|투자금|연봉|임금|수익|손실)[가-힣]*\s*(은|는|이|가)?\s*얼마")
# Counter in the question → how a sentence may write it (longest counters first).
_UNITS: dict[str, tuple[str, ...]] = {
    "퍼센트": ("%", "퍼센트", "프로"),
    "프로": ("%", "퍼센트", "프로"),
    "개국": ("개국", "개 나라", "개"),
    "개사": ("개사", "개 회사", "개 기업", "개", "곳"),
    "번째": ("번째", "째"),
    "가지": ("가지", "개", "종"),
    "시간": ("시간",),
    "차례": ("차례", "번", "회"),
    "개": ("개", "곳"),
    "곳": ("곳", "개"),
    "장": ("장",),
    "명": ("명", "인"),
    "년": ("년",),
    "월": ("월",),
    "일": ("일",),
    "살": ("살", "세"),
    "세": ("세", "살"),
    "배": ("배",),
    "권": ("권",),
    "번": ("번", "회"),
    "회": ("회", "번"),
    "위": ("위",),
    "마리": ("마리",),
    "층": ("층",),
    "곡": ("곡",),
    "편": ("편",),
    "점": ("점",),
}
_MONEY_UNITS = ("원", "엔", "달러", "유로", "위안", "파운드", "$", "¥", "￦", "€")
# A count written in digits or Korean numerals, with an optional multiplier and "about".
_AMOUNT = r"(\d[\d,.]*|[한두세네첫]|다섯|여섯|일곱|여덟|아홉|열|스무|수십|수백|수천|수만)\s*(만|천|백|억|조)?\s*(여|가량|남짓|여\s?개)?\s*"


@dataclass(frozen=True)
class Quantity:
    """What a quantity question wants: a number, written in one of `units` when any are given."""

    units: tuple[str, ...] = ()

    @property
    def _pattern(self) -> re.Pattern[str]:
        return _unit_pattern(self.units)

    def held_by(self, sentence: str) -> bool:
        """Does the sentence hold a number of the kind asked for?"""
        if not self.units:
            return bool(_DIGIT.search(sentence))
        return bool(self._pattern.search(sentence))


@lru_cache(maxsize=64)
def _unit_pattern(units: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(_AMOUNT + "(" + "|".join(re.escape(u) for u in units) + ")")


def asked_quantity(question: str) -> Quantity | None:
    """The quantity a question asks for ("몇 장", "매출액은 얼마"), or None when it asks for none."""
    if not _QUANTITY.search(question):
        return None
    if _MONEY_QUESTION.search(question):
        return Quantity(_MONEY_UNITS)
    counter = _COUNTER.search(question)
    if counter:
        word = counter.group(1)
        known = next((c for c in _UNITS if word.startswith(c)), None)
        if known is not None:
            return Quantity(_UNITS[known])
    return Quantity()
