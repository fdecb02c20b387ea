"""Follow-up questions ("그 회사는 어느 나라에 수출하나?") borrow the subject of the previous turn."""
from __future__ import annotations

import re

# Words that point back at something named earlier instead of naming it.
_KOREAN_ANAPHORA = re.compile(r"(^|\s)(그|이|저|해당)\s?(회사|기업|업체|곳|도시|지역|제품|사례|나라|기술)|(^|\s)(그곳|거기|그들|이들|그것|이것|그는|그의)")
_ENGLISH_ANAPHORA = re.compile(
    r"\b(it|its|they|their|them|he|she|his|her)\b"
    r"|\b(this|that|the|these|those) (company|companies|firm|firms|city|region|product|case)\b",
    re.IGNORECASE,
)


def is_followup(question: str) -> bool:
    """Does the question refer back to an earlier turn?"""
    return bool(_KOREAN_ANAPHORA.search(question) or _ENGLISH_ANAPHORA.search(question))


def contextual_query(question: str, history: list[str]) -> str:
    """The retrieval query: the question, prefixed by the previous one when it refers back to it."""
    if history and is_followup(question):
        return f"{history[-1]} {question}"
    return question
