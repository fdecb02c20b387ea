"""Follow-up questions ("그 회사는 어느 나라에 수출하나?") borrow the subject of the previous turn, when it had one."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from reportqa.qa.types import Answer

# Words that point back at something named earlier instead of naming it.
_KOREAN_ANAPHORA = re.compile(r"(^|\s)(그|이|저|해당)\s?(회사|기업|업체|곳|도시|지역|제품|사례|나라|기술)|(^|\s)(그곳|거기|그들|이들|그것|이것|그는|그의)")
_ENGLISH_ANAPHORA = re.compile(
    r"\b(it|its|they|their|them|he|she|his|her)\b"
    r"|\b(this|that|the|these|those) (company|companies|firm|firms|city|region|product|case)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Context:
    """What a question is searched with, and whether it points back at a turn that found nothing."""

    query: str
    orphaned: bool = False  # refers back, but the previous turn abstained: nothing to inherit


def is_followup(question: str) -> bool:
    """Does the question refer back to an earlier turn?"""
    return bool(_KOREAN_ANAPHORA.search(question) or _ENGLISH_ANAPHORA.search(question))


def resolve(question: str, history: Sequence[Answer]) -> Context:
    """The retrieval query: the question, prefixed by the previous answered turn's query when it refers back.

    A subject is inherited only from an answered turn: after an abstention the report said nothing
    about that subject, so a question pointing back at it cannot be answered either.
    """
    if not history or not is_followup(question):
        return Context(question)
    last = history[-1]
    if not last.answerable:
        return Context(question, orphaned=True)
    return Context(f"{last.query or last.question} {question}")
