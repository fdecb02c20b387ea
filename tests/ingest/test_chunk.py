"""Chunks of the real report: exact offsets, stable ids, sections respected, sentences whole."""
from __future__ import annotations

import re

import pytest
from reportqa.ingest.chunk import ChunkingConfig, chunk_document
from reportqa.ingest.load import load_document
from reportqa.ingest.types import Chunk, Document, Section

SENTENCE_END = re.compile(r"[.?!][\"'”’)]*$")
CONFIGS = [ChunkingConfig(), ChunkingConfig(size=200, overlap=40), ChunkingConfig(size=800, overlap=0)]


def section_of(doc: Document, chunk: Chunk) -> Section:
    (section,) = [s for s in doc.sections if s.start <= chunk.start and chunk.end <= s.end]
    return section


@pytest.mark.parametrize("config", CONFIGS)
def test_chunks_are_exact_substrings(report: Document, config: ChunkingConfig) -> None:
    chunks = chunk_document(report, config)
    assert chunks
    for chunk in chunks:
        assert report.text[chunk.start : chunk.end] == chunk.text
        assert chunk.text == chunk.text.strip()
        assert chunk.doc_id == report.doc_id and chunk.title == report.title
        assert chunk.id == Chunk.make_id(report.doc_id, chunk.start, chunk.end)
        assert chunk.page is None


def test_ids_are_stable_and_unique(report: Document, report_path) -> None:
    again = chunk_document(load_document(report_path), ChunkingConfig())
    first = chunk_document(report, ChunkingConfig())
    assert [c.id for c in first] == [c.id for c in again]
    assert len({c.id for c in first}) == len(first)


@pytest.mark.parametrize("config", CONFIGS)
def test_no_chunk_crosses_a_section(report: Document, config: ChunkingConfig) -> None:
    for chunk in chunk_document(report, config):
        assert section_of(report, chunk).path == chunk.section


@pytest.mark.parametrize("config", CONFIGS)
def test_sentences_are_not_cut(report: Document, config: ChunkingConfig) -> None:
    """The report has no sentence longer than 200 characters, so every chunk is whole sentences.

    A chunk starts and ends at a sentence end or a line break (table-of-contents lines have no
    punctuation).
    """
    text = report.text
    for chunk in chunk_document(report, config):
        section = section_of(report, chunk)
        assert len(chunk.text) <= config.size
        ends_well = chunk.end == section.end or text[chunk.end] == "\n" or SENTENCE_END.search(chunk.text)
        assert ends_well, chunk.text[-40:]
        before = text[section.start : chunk.start]
        starts_well = chunk.start == section.start or before.endswith("\n") or SENTENCE_END.search(before.rstrip())
        assert starts_well, chunk.text[:40]


@pytest.mark.parametrize("config", CONFIGS)
def test_only_heading_lines_are_left_out(report: Document, config: ChunkingConfig) -> None:
    covered = [False] * len(report.text)
    for chunk in chunk_document(report, config):
        covered[chunk.start : chunk.end] = [True] * (chunk.end - chunk.start)
    left_out = "".join("\n" if seen else ch for ch, seen in zip(report.text, covered))
    headings = {part for section in report.sections for part in section.path.split(" > ") if part}
    assert {line.strip() for line in left_out.splitlines() if line.strip()} == headings


def test_overlap_is_bounded_and_within_a_section(report: Document) -> None:
    chunks = chunk_document(report, ChunkingConfig(size=400, overlap=120))
    overlaps = [(a, b) for a, b in zip(chunks, chunks[1:]) if b.start < a.end]
    assert overlaps
    assert all(a.end - b.start <= 120 and a.section == b.section for a, b in overlaps)


def test_a_sentence_longer_than_the_size_is_cut_at_spaces() -> None:
    sentence = " ".join(["장기불황을"] * 60) + " 극복했다."
    text = f"짧은 문장이다. {sentence} 마지막 문장이다."
    doc = Document(doc_id="long", source="long", title="", text=text, sha256="", sections=[Section("", 0, len(text))])
    chunks = chunk_document(doc, ChunkingConfig(size=100, overlap=0))
    assert all(len(c.text) <= 100 and text[c.start : c.end] == c.text for c in chunks)
    assert all(not c.text.startswith("을") for c in chunks)  # cut between words, not inside one
    assert "".join(c.text for c in chunks).replace(" ", "") == text.replace(" ", "")
