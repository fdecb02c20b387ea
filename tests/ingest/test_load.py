"""Turning paths into (file, doc_id) pairs and Documents."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from reportqa.errors import UnreadableDocument
from reportqa.ingest.load import iter_sources, load_document
from reportqa.ingest.types import Document


def test_document_identity(report: Document, report_path: Path) -> None:
    assert report.doc_id == report_path.name
    assert report.source == str(report_path)
    assert report.sha256 == hashlib.sha256(report_path.read_bytes()).hexdigest()
    assert report.page_starts is None
    assert load_document(report_path, doc_id="reports/japan.txt").doc_id == "reports/japan.txt"


def test_folders_expand_to_sorted_supported_visible_files(tmp_path: Path) -> None:
    for name in ["b.txt", "a.md", "sub/c.pdf", "sub/d.HTML", "notes.odt", ".hidden.txt", ".git/e.txt", "sub/.f.md"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    single = tmp_path / "notes.odt"
    sources = iter_sources([tmp_path, single])
    assert [doc_id for _, doc_id in sources] == ["a.md", "b.txt", "sub/c.pdf", "sub/d.HTML", "notes.odt"]
    assert [path for path, _ in sources][:2] == [tmp_path / "a.md", tmp_path / "b.txt"]


def test_missing_source_path_is_unreadable(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    with pytest.raises(UnreadableDocument, match="no-such-folder"):
        iter_sources([missing])
