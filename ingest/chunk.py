"""Document → citable chunks and the sentences they are packed from, never across a section.

Chunks are exact substrings of `Document.text`, so a citation's offsets always point at the
words that were retrieved.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from langchain_text_splitters import RecursiveCharacterTextSplitter, TextSplitter
from reportqa.errors import InvalidConfig
from reportqa.ingest.korean import sentence_spans
from reportqa.ingest.types import Chunk, Document, Section, SentenceSpan, SplitDocument

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChunkingConfig:
    """Characters per chunk and carried over between neighbours; tuned on the question set."""

    size: int = 400
    overlap: int = 80

    def __post_init__(self) -> None:
        if self.size < 50:
            raise InvalidConfig(f"chunk size must be at least 50 characters, not {self.size}")
        if not 0 <= self.overlap < self.size:
            raise InvalidConfig(f"chunk overlap must lie in [0, size), not {self.overlap}")


class KoreanSentenceTextSplitter(TextSplitter):
    """Kiwi sentences merged by langchain, built like its NLTK/spaCy splitters.

    A split is a sentence plus the whitespace after it, so joining splits with "" reproduces the
    text exactly. Only a sentence longer than `chunk_size` is cut, at spaces.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._long_sentence_splitter = RecursiveCharacterTextSplitter(
            chunk_size=self._chunk_size,
            chunk_overlap=0,
            separators=["\n", " ", ""],
            keep_separator="end",
            strip_whitespace=False,
        )

    def split_text(self, text: str) -> list[str]:
        return [piece for _, piece in self.pack(text, sentence_spans(text))]

    def pack(self, text: str, spans: list[tuple[int, int]]) -> list[tuple[int, str]]:
        """The chunks of `text` merged from its sentence `spans`, each with its offset in `text`.

        A chunk starts no earlier than where the previous one's overlap could begin, so a
        repeated phrase is found at its own place, not at an earlier copy.
        """
        placed: list[tuple[int, str]] = []
        start = length = 0
        for piece in self._merge_splits(self._sentence_splits(text, spans), separator=""):
            start = text.find(piece, max(0, start + length - self._chunk_overlap))
            length = len(piece)
            placed.append((start, piece))
        return placed

    def _sentence_splits(self, text: str, spans: list[tuple[int, int]]) -> list[str]:
        if not spans:
            return []
        bounds = [0, *(start for start, _ in spans[1:]), len(text)]
        splits: list[str] = []
        for start, end in zip(bounds, bounds[1:]):
            sentence = text[start:end]
            if self._length_function(sentence) > self._chunk_size:
                log.debug("cutting a %d-character sentence", len(sentence))
                splits.extend(self._long_sentence_splitter.split_text(sentence))
            else:
                splits.append(sentence)
        return splits


def split_document(doc: Document, config: ChunkingConfig) -> SplitDocument:
    """Chunks and sentences of `doc` from one Kiwi pass per section.

    Every section body is cut separately, so each chunk carries exactly one section path, and the
    sentences an answer quotes are the very ones the chunks were packed from (headings are in no
    section body, so they are neither chunked nor quoted).
    """
    splitter = KoreanSentenceTextSplitter(chunk_size=config.size, chunk_overlap=config.overlap)
    sections = doc.sections or [Section(path="", start=0, end=len(doc.text))]
    chunks: list[Chunk] = []
    sentences: list[SentenceSpan] = []
    for section in sections:
        body = doc.text[section.start : section.end]
        spans = sentence_spans(body)
        sentences += [SentenceSpan(doc.doc_id, section.start + s, section.start + e) for s, e in spans]
        chunks += [_chunk(doc, section.path, section.start + offset, piece) for offset, piece in splitter.pack(body, spans)]
    log.info("%s: %d chunks, %d sentences from %d sections", doc.doc_id, len(chunks), len(sentences), len(sections))
    return SplitDocument(doc, chunks, sentences)


def chunk_document(doc: Document, config: ChunkingConfig) -> list[Chunk]:
    """The chunks of `split_document`, for callers that quote nothing (`reportqa ingest`)."""
    return split_document(doc, config).chunks


def _chunk(doc: Document, section: str, start: int, piece: str) -> Chunk:
    end = start + len(piece)
    page = doc.page_at(start)
    return Chunk(
        id=Chunk.make_id(doc.doc_id, start, end),
        doc_id=doc.doc_id,
        title=doc.title,
        section=section,
        start=start,
        end=end,
        text=doc.text[start:end],
        page=page,
        recognised=doc.recognised.get(page) if page is not None else None,
    )
