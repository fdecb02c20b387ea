"""The bytes of a text file that is not UTF-8 → the most plausible text, and a doubt when it is a guess.

charset-normalizer proposes readings (each encoding that decodes the bytes without much "mess"), but
its own best guess weighs the mess and how well the text's most frequent letters fit a language,
which hardly sees the few accented letters on which single-byte code pages differ: it reads
Latin-1 "très bon à Paris" as CP1250 "trčs bon ŕ Paris". Its list can also miss the right encoding
(a Finnish Latin-1 text, "ää" and all, gets only Mac and HP readings).

So each reading it proposes, and those of the encodings reportqa expects (`EXPECTED_ENCODINGS`), is
scored on the characters where readings differ, the non-ASCII ones (`plausibility`), and the best
is kept. It is a guess, and `doubt` says so, when another reading scores within `CLEAR_LEAD` of it
or when fewer than `MIN_EVIDENCE` non-ASCII characters decided it.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from itertools import islice

from charset_normalizer import CharsetMatch, from_bytes
from charset_normalizer.constant import FREQUENCIES
from charset_normalizer.md import mess_ratio

# Always tried, named first when another encoding gives the same text, and kept first on a tie:
# Korean (what reportqa reads), then Windows-1252, the superset of Latin-1 and the most used legacy code page.
EXPECTED_ENCODINGS = ("cp949", "cp1252")
CLEAR_LEAD = 3  # points (about characters) a reading must lead every other by to be taken without a doubt
MIN_EVIDENCE = 20  # non-ASCII characters below which any reading is a guess
MISPLACED_WEIGHT = 2  # a misplaced pair is a surer sign of a misreading than a letter outside a language's 26 most common
MESS_LIMIT = 0.2  # charset-normalizer's own limit (from_bytes' threshold), applied to the expected encodings' readings
COMMON_LETTERS = {language: frozenset(letters) for language, letters in FREQUENCIES.items()}  # charset-normalizer's tables

_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_NON_ASCII_LETTER = re.compile(r"[^\x00-\x7f\W\d_]")
# Two touching characters worth a look (overlapping): a letter and a non-ASCII sign, or an ASCII letter
# and a non-ASCII letter.
_TOUCHING = re.compile(
    r"(?=([^\W\d_][^\x00-\x7f\w\s]|[^\x00-\x7f\w\s][^\W\d_]|[A-Za-z][^\x00-\x7f\W\d_]|[^\x00-\x7f\W\d_][A-Za-z]))"
)
_NOT_TEXT = re.compile(r"[\x80-\x9f\ue000-\uf8ff]")  # C1 controls and private use: never in a text
_WORD_SYMBOLS = frozenset("°™®©²³")  # symbols that do touch words in real text ("25°C", "Word™", "m²")
_LOOSE_PUNCTUATION = frozenset("¶§†‡")  # punctuation that does not ("przyszedłe¶" is a misread "ś")
_ATTACHING_SCRIPTS = frozenset({"HANGUL", "CJK", "HIRAGANA", "KATAKANA"})  # written right after a Latin word: "GDP는"


@dataclass(frozen=True)
class Reading:
    """One way to decode the bytes: the text, an encoding that gives it, its score and the language it fits best."""

    text: str
    encoding: str
    score: int
    language: str


def readings(raw: bytes) -> list[Reading]:
    """Each distinct text the bytes decode to, the most plausible first; empty when nothing decodes them."""
    found: dict[str, Reading] = {}
    covered: set[str] = set()
    for match in from_bytes(raw):  # least mess first: the order ties keep
        covered.update(match.could_be_from_charset)
        try:
            text = str(match)
        except UnicodeDecodeError:  # a large file is checked on samples; the whole may not decode
            continue
        if text not in found:
            found[text] = Reading(text, _name(match), *plausibility(text))
    for encoding in EXPECTED_ENCODINGS:
        if encoding in covered:
            continue
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        # Binary bytes decode too, as a mess. Measured to the end: stopped at the limit, the measure
        # refuses a Finnish text on its first "ää", as from_bytes does.
        if mess_ratio(text, maximum_threshold=1.0) < MESS_LIMIT:
            found.setdefault(text, Reading(text, encoding, *plausibility(text)))
    return sorted(found.values(), key=lambda reading: (-reading.score, _preference(reading.encoding)))


def doubt(ranked: list[Reading]) -> str:
    """Why the first of `ranked` (as `readings` returns them) is a guess, or "" when it is not."""
    best, *others = ranked
    rivals = [other.encoding for other in others if best.score - other.score < CLEAR_LEAD]
    if rivals:
        also = ", ".join(rivals[:3]) + (", …" if len(rivals) > 3 else "")
        return f"encoding uncertain: read as {best.encoding} (also possible: {also})"
    evidence = sum(1 for _ in islice(_NON_ASCII.finditer(best.text), MIN_EVIDENCE))
    if evidence < MIN_EVIDENCE:
        return f"encoding uncertain: read as {best.encoding} (guessed from {evidence} non-ASCII characters)"
    return ""


def plausibility(text: str) -> tuple[int, str]:
    """How well `text` reads as one language, on its non-ASCII characters, and that language.

    +1 for each non-ASCII letter among the language's common letters, -1 for each other one, -1 for
    each control character, and -`MISPLACED_WEIGHT` for each misplaced pair of touching characters
    (`_misplaced`), which real text hardly ever has.
    """
    letters = Counter(letter.lower() for letter in _NON_ASCII_LETTER.findall(text))
    total = sum(letters.values())
    score, language = -total, ""
    for name, common in COMMON_LETTERS.items():
        fitting = 2 * sum(n for letter, n in letters.items() if letter in common) - total
        if fitting > score:
            score, language = fitting, name
    misplaced = sum(n for pair, n in Counter(_TOUCHING.findall(text)).items() if _misplaced(pair))
    return score - MISPLACED_WEIGHT * misplaced - len(_NOT_TEXT.findall(text)), language


def _misplaced(pair: str) -> bool:
    """Two touching characters real text does not have: a capital after a small letter ("niĄo"),
    letters of two scripts in one word ("caffК", but Korean, Chinese or Japanese may follow a Latin
    word: "GDP는"), a letter and a symbol ("tr×s") or a combining mark not of the letter's script
    (a Thai tone mark or a lone accent on "e")."""
    first, second = pair
    if first.isalpha() and second.isalpha():
        scripts = _script(first), _script(second)
        mixed = scripts[0] != scripts[1] and not (first.isascii() and scripts[1] in _ATTACHING_SCRIPTS)
        return mixed or (first.islower() and second.isupper())
    sign, letter = (second, first) if first.isalpha() else (first, second)
    category = unicodedata.category(sign)
    if category.startswith("P"):
        return sign in _LOOSE_PUNCTUATION
    if category.startswith("M"):
        return _script(sign) != _script(letter)
    return sign not in _WORD_SYMBOLS


def _script(character: str) -> str:
    """The first word of the character's Unicode name: LATIN, CYRILLIC, HANGUL, CJK, THAI …"""
    return unicodedata.name(character, "").split(" ", 1)[0]


def _name(match: CharsetMatch) -> str:
    """An expected encoding when it gives the same text (CP1250 and Latin-1 read "Größe" alike), else charset-normalizer's."""
    return next((name for name in EXPECTED_ENCODINGS if name in match.could_be_from_charset), match.encoding)


def _preference(encoding: str) -> int:
    """Where a tie puts a reading: the expected encodings first, in their order."""
    return EXPECTED_ENCODINGS.index(encoding) if encoding in EXPECTED_ENCODINGS else len(EXPECTED_ENCODINGS)
