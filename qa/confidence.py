"""How sure an answer is: the best sentence's score, and whether the question names things the documents never mention.

Cross-lingual similarities run lower than Korean–Korean ones for the same model,
so the midpoint of the curve is per question language. A question naming a
company, a year or a figure that occurs nowhere in the indexed text ("삼성전자",
"in 2015") cannot be answered from it, however similar the nearest sentence is; nor can a
question asking for a quantity whose best sentence's paragraph (numbers preferred) holds no number of the kind
asked ("몇 장" wants a count of sheets, qa/quantity.py). Names are matched ignoring spaces and punctuation ("용감한 형제"
is "용감한형제"); a missing number counts half a missing name, since numbers are written in many ways
("17대" may be "제십칠대") while a name the documents never spell is never in them. A name of three
letters or more that the retrieved passages spell with one jamo (or Latin letter) wrong, missing or
extra is a typo of theirs and counts as found ("벤쿠버" is "밴쿠버", "뉘르루르크링" is "뉘르부르크링"):
retrieval, by meaning, finds the passage a typo was meant for, and looking only there keeps the cost
and the chance of a stray near-match the same however large the index. Shorter names and numbers must
match exactly ("1145" is not "115").
"""
from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import regex
from reportqa.errors import InvalidConfig
from reportqa.index.names import squeezed
from reportqa.index.protocol import Evidence
from reportqa.ingest.types import Chunk
from reportqa.qa.evidence import Scored
from reportqa.qa.question import Question

SPELLINGS_KEPT = 10_000  # names looked up, kept per index (a chat asks about the same names again)


def _default_midpoints() -> dict[str, float]:
    return {"ko": 0.86, "en": 0.77}


@dataclass(frozen=True)
class Calibration:
    """Fitted on eval/questions.jsonl and KorQuAD together (docs/evaluation.md, "The sweep"); the
    number and typo settings were set by hand (rounds 3 and 5) and are in the sweep's grid since."""

    midpoints: dict[str, float] = field(default_factory=_default_midpoints)  # best score at confidence 0.5
    named_shift: float = 0.02  # the midpoint drops this much when every proper noun of the question is found
    passage_offset: float | None = -0.02  # added to the best chunk's cosine to compare it with sentence scores
    scale: float = 0.02  # score distance that moves confidence from 0.5 to 0.73
    threshold: float = 0.5  # below this the answer abstains
    # A quantity question ("얼마", "how many") whose best sentence's paragraph holds no such number is not answered by it.
    number_penalty: float = 0.3
    number_name_weight: float = 0.5  # a missing number weighs this much of a missing name
    # A name of at least this many letters (and this many jamo, Hangul syllables being decomposed) may be
    # found with one jamo wrong: a one-jamo slip in a long name is a typo, in a short one another name.
    typo_min_letters: int = 3
    typo_min_jamo: int = 6

    def __post_init__(self) -> None:
        if self.scale <= 0 or not 0.0 <= self.threshold <= 1.0:
            raise InvalidConfig("calibration needs a positive scale and a threshold in [0, 1]")
        if not (0.0 <= self.number_penalty <= 1.0 and 0.0 <= self.number_name_weight <= 1.0):
            raise InvalidConfig("number_penalty and number_name_weight must lie in [0, 1]")


class NameCheck:
    """Finds the names and numbers of a question that occur in no indexed document (text or title);
    the store looks them up (index/names.py), so nothing of the index is read here."""

    def __init__(self, evidence: Evidence):
        self._evidence = evidence
        self._spellings: dict[str, str | None] = {}

    @staticmethod
    def _names(question: Question, lang: str, calibration: Calibration) -> list[tuple[str, float]]:
        """The question's proper nouns and numbers (and, in Korean questions, Latin words), each with its
        weight: numbers weigh `number_name_weight`. (Kiwi tags every English word SL: English questions
        offer numbers only.)"""
        tags = ("NNP", "SN", "SL") if lang == "ko" else ("SN",)
        number = calibration.number_name_weight
        return [(squeezed(form), number if tag == "SN" else 1.0) for form, tag in question.forms(tags)]

    def spelling(self, name: str, near: str = "", calibration: Calibration = Calibration()) -> str | None:
        """How the documents spell a (squeezed) name of the question: itself, without a particle Kiwi
        glued on ("빅뱅이"), or, for a long name, as the passages `near` (the retrieved text) spell it
        with one jamo changed ("벤쿠버" → "밴쿠버"); None when they never mention it."""
        return self._spelling(name, unicodedata.normalize("NFD", squeezed(near)), calibration)

    def _spelling(self, name: str, jamo_near: str, calibration: Calibration) -> str | None:
        if name not in self._spellings:
            if len(self._spellings) >= SPELLINGS_KEPT:
                self._spellings = {}  # replaced, not cleared: a lookup in another thread keeps its dict
            self._spellings[name] = _unglued(name, self._evidence.mentions)
        return self._spellings[name] or _typo_of(name, jamo_near, calibration)

    def read(self, question: Question, lang: str, near: str, calibration: Calibration) -> QuestionNames:
        """The question's names and numbers as the documents spell them (`near`: the retrieved passages'
        text, where a misspelt name may be found), read in `lang`'s tags; the passages are prepared
        once, whichever checks follow."""
        jamo_near = unicodedata.normalize("NFD", squeezed(near))
        return QuestionNames(tuple((self._spelling(name, jamo_near, calibration), weight) for name, weight in self._names(question, lang, calibration)))


@dataclass(frozen=True)
class QuestionNames:
    """A question's names and numbers, each as the documents spell it (None: found nowhere), with its weight."""

    spelt: tuple[tuple[str | None, float], ...]

    @property
    def missing_share(self) -> float:
        """Weighted share of the question's names and numbers not found."""
        total = sum(weight for _, weight in self.spelt)
        return sum(weight for spelling, weight in self.spelt if spelling is None) / total if total else 0.0

    @property
    def all_named(self) -> bool:
        """Does the question name something (a proper noun, not a number) and is every name found?

        Such a question is about the documents' own subjects, so a lower similarity still answers it."""
        return any(weight == 1.0 for _, weight in self.spelt) and all(spelling is not None for spelling, _ in self.spelt)

    def all_in(self, text: str) -> bool:
        """Does `text` mention every proper noun of the question that the documents mention (as they spell it)?"""
        here = squeezed(text)
        return all(_unglued(spelling, here.__contains__) is not None for spelling, weight in self.spelt if weight == 1.0 and spelling is not None)


def _typo_of(name: str, jamo_near: str, calibration: Calibration) -> str | None:
    """The spelling, in `jamo_near` (squeezed text, Hangul decomposed), of a long name with one jamo
    wrong, missing or extra."""
    jamo = unicodedata.normalize("NFD", name)
    if len(name) < calibration.typo_min_letters or len(jamo) < calibration.typo_min_jamo or any(ch.isdigit() for ch in name):
        return None
    match = regex.search(f"(?:{regex.escape(jamo)}){{e<=1}}", jamo_near)
    return None if match is None else unicodedata.normalize("NFC", match.group())


# Kiwi may read an unknown name with its particle as one proper noun ("빅뱅이 … 데뷔한 해는?" → "빅뱅이").
_PARTICLE_END = frozenset("이가은는을를의도와과")


def _unglued(name: str, found: Callable[[str], bool]) -> str | None:
    """The name as the (squeezed) text has it, or, when it ends in a particle, without it; else None."""
    if found(name):
        return name
    if len(name) > 2 and name[-1] in _PARTICLE_END and found(name[:-1]):
        return name[:-1]
    return None


@dataclass(frozen=True)
class Signals:
    """What confidence reads of one question and its retrieved evidence."""

    best_score: float  # the best sentence's relevance
    passage: float | None  # the best retrieved chunk's cosine (None when the store keeps no chunk vectors)
    missing_share: float  # weighted share of the question's names and numbers found nowhere
    lacks_number: bool = False  # a quantity question whose best sentence's paragraph holds no such number about its names
    all_named: bool = False  # every proper noun of the question is found


def confidence(signals: Signals, lang: str, calibration: Calibration) -> float:
    """Logistic in the support (the best sentence's score, or the best passage's cosine plus
    `passage_offset` when higher: a table or a list has no sentence close to the question, while its
    chunk, embedded with its title, is), its midpoint lower when every name of the question is found;
    scaled down by the share of unknown names, and by `number_penalty` when the question asks for a
    quantity and the best sentence's paragraph holds no number of that kind."""
    midpoint = calibration.midpoints.get(lang, calibration.midpoints["ko"]) - (calibration.named_shift if signals.all_named else 0.0)
    support = signals.best_score
    if signals.passage is not None and calibration.passage_offset is not None:
        support = max(support, signals.passage + calibration.passage_offset)
    z = (support - midpoint) / calibration.scale
    penalty = calibration.number_penalty if signals.lacks_number else 1.0
    return penalty * (1.0 - signals.missing_share) / (1.0 + math.exp(-z))


def evidence_confidence(names: NameCheck, asked: Question, searched: Question, scored: Scored, calibration: Calibration) -> float:
    """How sure the answer to `asked` is, from its scored evidence (`searched`: the query retrieved
    with, whose names must be found)."""
    if not scored.candidates:
        return 0.0
    table = scored.table
    best = max(scored.candidates, key=lambda c: c.score)  # relevance, not choice: the calibration reads it
    found = names.read(searched, asked.lang, scored.near, calibration)
    # The number must be about what the question names: "2012년 한국의 중소기업 수" is not answered
    # by a paragraph counting Japan's firms in 2012, nor "How many … does Germany have?" by one
    # about a firm's exports (`named`: an English question's names in the passages' Korean).
    # The number may sit in a sentence next to the best one, so the best sentence's paragraph is read.
    lacks_number = False
    if asked.quantity is not None:
        paragraph = table.paragraph_text(best.position)
        holds_number = any(asked.quantity.held_by(table.text(r)) for r in table.paragraph_rows(best.position))
        about_names = found.all_in(paragraph) and all(name in paragraph for name in scored.named)
        lacks_number = not (holds_number and about_names)
    signals = Signals(best.score, scored.passage, found.missing_share, lacks_number, found.all_named)
    return confidence(signals, asked.lang, calibration)


def after_recognition(confidence: float, chunks: Sequence[Chunk]) -> float:
    """An answer quoting text OCR read from a scan is as sure as the recognition, at most: the
    confidence is scaled by the lowest Tesseract confidence of the quoted scanned pages."""
    recognised = [chunk.recognised for chunk in chunks if chunk.recognised is not None]
    return confidence * min(recognised) if recognised else confidence
