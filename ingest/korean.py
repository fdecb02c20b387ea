"""Korean language tools shared by chunking, BM25 tokenising and answer scoring."""
from __future__ import annotations

import re
from functools import lru_cache

from kiwipiepy import Kiwi

PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")


def one_paragraph(text: str, end: int, start: int) -> bool:
    """Do a sentence ending at `end` and the next one starting at `start` share a paragraph (no blank
    line between)? The index's context windows and the answer's paragraphs must agree on it."""
    return not PARAGRAPH_BREAK.search(text[end:start])


@lru_cache(maxsize=1)
def kiwi() -> Kiwi:
    """One Kiwi per process: loading its model takes about a second.

    Without Kiwi's multi-word dictionary (WikiData names written in several words, "알렉산더 헤이그"
    read as one proper noun): loading it and the first analysis after cost about 2.5 s of every
    process that reads Korean, and without it such a name is two proper nouns, which BM25 and the
    name check read as well (docs/lab-notebook.md, 2026-12-07, "Kiwi without its multi-word
    dictionary": retrieval and answers within 0.005 of before everywhere)."""
    return Kiwi(load_multi_dict=False)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of the sentences of `text`; `text[start:end]` is a sentence.

    Paragraphs are split separately, so no sentence spans a blank line even when the paragraph
    before it ends without punctuation (headings, list items). Kiwi sometimes ends a sentence
    inside a word after a closing quote ("…수건’|이라는 …"); a boundary with no whitespace is
    never a real one in Korean prose, so such pieces are joined back.
    """
    paragraphs = _paragraph_spans(text)
    spans: list[tuple[int, int]] = []
    for (start, _), sentences in zip(paragraphs, kiwi().split_into_sents(text[s:e] for s, e in paragraphs)):
        for sentence in sentences:
            begin, end = start + sentence.start, start + sentence.end
            if spans and spans[-1][1] == begin:
                begin = spans.pop()[0]
            spans.append((begin, end))
    return spans


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the non-blank paragraphs of `text`, separated by blank lines."""
    spans = []
    start = 0
    for match in PARAGRAPH_BREAK.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]
