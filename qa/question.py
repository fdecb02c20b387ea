"""A question read once: Kiwi analyses it one time, and every stage takes what it needs from here
(the search its morphemes, choice its cues, confidence its names), instead of each reading the text again."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from reportqa.index.tokenize import content_forms
from reportqa.ingest.korean import kiwi
from reportqa.qa.compose import is_list_question
from reportqa.qa.intent import Intent, read_intent
from reportqa.qa.lang import detect_lang
from reportqa.qa.quantity import Quantity, asked_quantity


@dataclass(frozen=True)
class Question:
    """What the answer path reads of one question's text."""

    text: str
    lang: str
    morphemes: tuple[tuple[str, str], ...]  # Kiwi's (form, tag) pairs, in order
    intent: Intent
    quantity: Quantity | None  # the quantity it asks for; None also when it asks for a name
    wants_list: bool  # it asks for several items (firms, cases, types)

    @property
    def tokens(self) -> list[str]:
        """Its morphemes as BM25 matches them."""
        return content_forms(self.morphemes)

    def forms(self, tags: tuple[str, ...]) -> list[tuple[str, str]]:
        """Its (form, tag) pairs with one of these tags."""
        return [(form, tag) for form, tag in self.morphemes if tag in tags]


@lru_cache(maxsize=1024)
def read_question(text: str) -> Question:
    """Read `text` (cached: a chat or an evaluation asks the same question again, and a follow-up's
    query is read beside the question it came from)."""
    stripped = text.strip()
    morphemes = tuple((t.form, t.tag) for t in kiwi().tokenize(stripped))
    intent = read_intent(stripped, morphemes)
    # "몇 천명의 학생들이 시위를 벌인 곳은?" names a quantity but asks for a place.
    quantity = None if intent.wants_entity else asked_quantity(text)
    return Question(text, detect_lang(text), morphemes, intent, quantity, is_list_question(text))
