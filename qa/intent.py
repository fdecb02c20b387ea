"""What a question asks for, read from its wording: a name, a definition, its own names and numbers.

These cues only shift how sentences are scored (qa/evidence.py); which sentences answer is still
decided by their similarity to the question and by where they sit.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from reportqa.index.names import NAME_TAGS

# "회사는?", "어디", "누구", "who", "which (Japanese) company", "…을 무엇이라 하는가?": the answer is a name.
_ENTITY_KO = re.compile(
    r"누구|어디|무엇이?라고?\s*(하|부르|불리|일컫)|어느\s?(회사|기업|업체|곳|도시|지역|나라|국가|단체|기관|팀|학교)"
    r"|(회사|기업|업체|곳|인물|사람|단체|기관|도시|지역|나라|국가|팀|학교|선수|이름|제목|명칭|작품|단체명)(들)?(은|는|이|가)?\s*(무엇|어디|누구)?\s*(인가|인지|일까|입니까|이야)?\s*\??\s*$"
)
_ENTITY_EN = re.compile(
    r"\b(who|whom|whose|where)\b|\bwhich ([a-z-]+ ){0,2}(company|companies|firm|firms|city|cities|region|country|person|team|organi[sz]ation)\b"
    r"|\bwhat ([a-z-]+ ){0,2}(company|firm|city|region|country)\b|\bwhat is the name\b|\bname (of )?the\b",
    re.IGNORECASE,
)
# "GNT는 무엇의 약자인가?", "What does GNT stand for?", "셔터 마을이란?": the answer spells a term out.
_DEFINITION_Q = re.compile(r"약자|줄임말|뜻|의미하|(이)?란\s*(무엇|뭐|\?|$)|stand(s)? for|abbreviat|\bmean(s|ing)?\b|\bdefin", re.IGNORECASE)


@dataclass(frozen=True)
class Intent:
    """The cues of one question."""

    wants_entity: bool
    wants_definition: bool
    names: tuple[str, ...]  # its proper nouns, foreign words, hanja and numbers, lower-cased


def read_intent(text: str, morphemes: Sequence[tuple[str, str]]) -> Intent:
    """The cues of a question's (stripped) text and its Kiwi (form, tag) pairs (qa/question.py)."""
    names = tuple(dict.fromkeys(form.lower() for form, tag in morphemes if tag in NAME_TAGS))
    return Intent(
        wants_entity=bool(_ENTITY_KO.search(text) or _ENTITY_EN.search(text)),
        wants_definition=bool(_DEFINITION_Q.search(text)),
        names=names,
    )
