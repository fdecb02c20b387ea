"""The input rules every front end shares (library, CLI, app): checked once, here, with one message each.

Limits are configurable through the environment so a deployment can widen them without code:
    REPORTQA_MAX_QUESTION_CHARS  longest question accepted (default 2,000 characters)
    REPORTQA_MAX_FILE_MB         largest document file read (default 200 MB)
    REPORTQA_MAX_TEXT_CHARS      most characters a document may hold after extraction (default 3,000,000)
A question over the limit is refused, not cut: a cut question would be answered as a different one.
"""
from __future__ import annotations

import os
import unicodedata
from pathlib import Path
from typing import Literal

from reportqa.errors import EmptyQuestion, InvalidInput, UnreadableDocument

Mode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "bm25")  # how search ranks: fused, embeddings only, BM25 only
# Chats the app answers at once. The searcher is shared (query embedding takes a lock, the rest is
# read-only numpy that releases the GIL); more than a few per core only adds memory, not speed.
CHAT_CONCURRENCY = 4
MAX_K = 100
DEFAULT_MAX_QUESTION_CHARS = 2_000
# A 500-page report: ~1,000,000 characters of text; as a PDF with figures, tens of megabytes.
DEFAULT_MAX_FILE_MB = 200
DEFAULT_MAX_TEXT_CHARS = 3_000_000


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number, not {raw!r}") from None
    if value < 1:
        raise InvalidInput(f"{name} must be at least 1, not {value}")
    return value


def max_question_chars() -> int:
    return _env_int("REPORTQA_MAX_QUESTION_CHARS", DEFAULT_MAX_QUESTION_CHARS)


def max_file_bytes() -> int:
    return _env_int("REPORTQA_MAX_FILE_MB", DEFAULT_MAX_FILE_MB) * 1024 * 1024


def max_text_chars() -> int:
    return _env_int("REPORTQA_MAX_TEXT_CHARS", DEFAULT_MAX_TEXT_CHARS)


def clean_text(text: str) -> str:
    """Text safe to tokenise, print and send as JSON: lone surrogates dropped, control characters spaced.

    Invalid UTF-8 in argv arrives as lone surrogates (Python's surrogateescape), and JSON may
    carry escaped ones; no tokenizer or encoder accepts them. Dropping them keeps every real
    character the user typed.
    """
    return "".join(
        " " if unicodedata.category(ch) == "Cc" and ch not in "\t\n" else ch
        for ch in text
        if not 0xD800 <= ord(ch) <= 0xDFFF
    )


def question(text: object) -> str:
    """The question to search for: cleaned and stripped; empty or too long is refused."""
    if not isinstance(text, str):
        raise InvalidInput(f"a question must be text, not {type(text).__name__}")
    cleaned = clean_text(text).strip()
    if not cleaned:
        raise EmptyQuestion()
    limit = max_question_chars()
    if len(cleaned) > limit:
        raise InvalidInput(
            f"the question has {len(cleaned):,} characters, more than the limit of {limit:,}; "
            "shorten it (or raise REPORTQA_MAX_QUESTION_CHARS)"
        )
    return cleaned


def k(value: object) -> int:
    """Passages to retrieve: a whole number in 1…MAX_K."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_K:
        raise InvalidInput(f"k must be a whole number from 1 to {MAX_K}, not {value!r}")
    return value


def mode(value: object) -> str:
    if value not in MODES:
        raise InvalidInput(f"unknown search mode {value!r}; choose one of {', '.join(MODES)}")
    return str(value)


def file_size(path: Path, size: int) -> None:
    """Refuse a document file too large to index in reasonable time."""
    limit = max_file_bytes()
    if size > limit:
        _refuse(path, f"{size / 2**20:,.1f} MB", f"{limit / 2**20:,.0f} MB", "REPORTQA_MAX_FILE_MB")


def text_length(path: Path, chars: int) -> None:
    """Refuse extracted text far beyond a long report (about 1,500 pages: minutes to embed)."""
    limit = max_text_chars()
    if chars > limit:
        _refuse(path, f"{chars:,} characters of text", f"{limit:,}", "REPORTQA_MAX_TEXT_CHARS")


def _refuse(path: Path, found: str, limit: str, variable: str) -> None:
    raise UnreadableDocument(f"Cannot read {path}: {found}, above the limit of {limit} (raise {variable} to allow it)")
