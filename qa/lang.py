"""Which language a question is in decides the answer's wording (Korean or English)."""
from __future__ import annotations


def is_hangul(char: str) -> bool:
    return "\uac00" <= char <= "\ud7a3" or "\u3131" <= char <= "\u318e"


def detect_lang(text: str) -> str:
    """"ko" when Hangul makes up at least a fifth of the letters, else "en"."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return "en"
    return "ko" if sum(map(is_hangul, letters)) / len(letters) >= 0.2 else "en"
