"""Kiwi morphemes for BM25: content-bearing forms only, so particles and endings do not match."""
from __future__ import annotations

from collections.abc import Iterable

from reportqa.ingest.korean import kiwi

# Nouns (common, proper, numerals), verb/adjective stems, roots, foreign words,
# hanja and numbers carry the meaning of a Korean question; particles (J*),
# endings (E*), suffixes (XS*) and punctuation (S* except SL/SH/SN) do not.
# Counter nouns (NNB: 년, 개, 명) are left out: they match almost every passage.
CONTENT_TAGS = ("NNG", "NNP", "NR", "VV", "VA", "XR", "SL", "SH", "SN", "MAG")


def _keep(tag: str) -> bool:
    return tag.split("-")[0] in CONTENT_TAGS


def _form(form: str, tag: str) -> str:
    return form.lower() if tag == "SL" else form


def content_forms(morphemes: Iterable[tuple[str, str]]) -> list[str]:
    """The (form, tag) pairs of an analysed text that BM25 indexes or matches, as it writes them."""
    return [_form(form, tag) for form, tag in morphemes if _keep(tag)]


def bm25_tokens(text: str) -> list[str]:
    """The morphemes of one text that BM25 indexes or matches."""
    return content_forms((t.form, t.tag) for t in kiwi().tokenize(text))


def bm25_tokens_many(texts: Iterable[str]) -> list[list[str]]:
    """Batch form of `bm25_tokens` (Kiwi analyses a list faster than one text at a time)."""
    return [content_forms((t.form, t.tag) for t in tokens) for tokens in kiwi().tokenize(list(texts))]
