"""Shared inputs for the ingest tests: the real report, loaded and chunked once per session."""
from __future__ import annotations

from pathlib import Path

import pytest
from reportqa.ingest.chunk import ChunkingConfig, chunk_document
from reportqa.ingest.load import load_document
from reportqa.ingest.types import Chunk, Document
from reportqa.paths import default_corpus

REPORT = default_corpus() / "lgeri-japan-sme-long-recession.txt"


@pytest.fixture(scope="session")
def report_path() -> Path:
    return REPORT


@pytest.fixture(scope="session")
def report() -> Document:
    return load_document(REPORT)


@pytest.fixture(scope="session")
def report_chunks(report: Document) -> list[Chunk]:
    return chunk_document(report, ChunkingConfig())
