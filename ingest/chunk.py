"""Document → citable chunks: Korean sentences packed to a size, never across a section.

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
from reportqa.ingest.types import Chunk, Document, Section

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
        super().__init__(add_start_index=True, **kwargs)
        self._long_sentence_splitter = RecursiveCharacterTextSplitter(
            chunk_size=self._chunk_size,
            chunk_overlap=0,
            separators=["\n", " ", ""],
            keep_separator="end",
            strip_whitespace=False,
        )

    def split_text(self, text: str) -> list[str]:
        return self._merge_splits(self._sentence_splits(text), separator="")

    def _sentence_splits(self, text: str) -> list[str]:
        starts = [start for start, _ in sentence_spans(text)]
        if not starts:
            return []
        bounds = [0, *starts[1:], len(text)]
        splits: list[str] = []
        for start, end in zip(bounds, bounds[1:]):
            sentence = text[start:end]
            if self._length_function(sentence) > self._chunk_size:
                log.debug("cutting a %d-character sentence", len(sentence))
                splits.extend(self._long_sentence_splitter.split_text(sentence))
            else:
                splits.append(sentence)
        return splits


def chunk_document(doc: Document, config: ChunkingConfig) -> list[Chunk]:
    """Chunk every section body separately so each chunk carries exactly one section path."""
    splitter = KoreanSentenceTextSplitter(chunk_size=config.size, chunk_overlap=config.overlap)
    sections = doc.sections or [Section(path="", start=0, end=len(doc.text))]
    chunks = [chunk for section in sections for chunk in _chunk_section(doc, section, splitter)]
    log.info("%s: %d chunks from %d sections", doc.doc_id, len(chunks), len(sections))
    return chunks


def _chunk_section(doc: Document, section: Section, splitter: TextSplitter) -> list[Chunk]:
    chunks = []
    for piece in splitter.create_documents([doc.text[section.start : section.end]]):
        start = section.start + piece.metadata["start_index"]
        end = start + len(piece.page_content)
        chunks.append(
            Chunk(
                id=Chunk.make_id(doc.doc_id, start, end),
                doc_id=doc.doc_id,
                title=doc.title,
                section=section.path,
                start=start,
                end=end,
                text=doc.text[start:end],
                page=doc.page_at(start),
            )
        )
    return chunks
