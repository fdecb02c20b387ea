"""`reportqa documents` and `ingest --explain`: the user's own files added, listed, searched, removed."""
from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from reportqa.cli import main
from reportqa.index import store
from reportqa.index.documents import add_documents, documents_folder, list_documents, remove_document
from reportqa.index.embedder import Embedder
from reportqa.index.search import Searcher
from reportqa.paths import PROJECT_ROOT

SHARED = PROJECT_ROOT.parent / "shared" / "documents"
KBO = SHARED / "kbo_table_text.pdf"
PRESS_RELEASE = SHARED / "public_official_table.hwpx"
REPORT_ID = "lgeri-japan-sme-long-recession.txt"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def short_id(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


@pytest.fixture
def own_home(report_index: store.IndexData, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A data home of its own holding a copy of the session's report index (so the report is reused, not embedded)."""
    shutil.copytree(home / "indexes", tmp_path / "indexes")
    monkeypatch.setenv("REPORTQA_HOME", str(tmp_path))
    yield tmp_path


def test_add_embeds_only_the_new_document_then_remove_embeds_nothing(own_home: Path, embedder: Embedder) -> None:
    changes = add_documents([KBO], embedder)
    (added,), report = changes.added, changes.report
    doc_id = f"{short_id(KBO)}/{KBO.name}"
    assert report.embedded_documents == [doc_id] and REPORT_ID in report.reused_documents
    assert (added.title, added.pages, added.sections) == ("제21조 주·야간경기 및 경기개시 시간", 1, 3)
    copy = documents_folder() / added.id / KBO.name
    assert copy.read_bytes() == KBO.read_bytes()

    searcher = Searcher(store.load(), embedder)
    hits = searcher.search("일몰시간 몇 분 전에 새로운 이닝에 들어갈 수 없나?", k=3, docs=[doc_id])
    assert {h.chunk.doc_id for h in hits} == {doc_id} and hits[0].chunk.page == 1
    assert "일몰시간 15분 전에" in hits[0].chunk.text
    assert {h.chunk.doc_id for h in searcher.search("일본 중소기업", k=5, docs=[REPORT_ID])} == {REPORT_ID}

    report = remove_document(added.id, embedder).report
    assert report.embedded_documents == [] and report.documents == 1
    assert doc_id not in store.load().documents and not copy.parent.exists()


def test_cli_add_list_remove_and_bad_files(own_home: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.hwpx"
    broken.write_bytes(PRESS_RELEASE.read_bytes()[:4000])
    code, out, err = run("documents", "add", str(PRESS_RELEASE), str(broken))
    assert code == 1  # one file was refused …
    assert out.startswith(f"Added {short_id(PRESS_RELEASE)}  행정안전부는 12월 2일")  # … the other is in
    errors = [line for line in err.splitlines() if line.startswith("Error:")]
    assert errors == [line for line in errors if "Cannot read broken.hwpx" in line] and len(errors) == 1
    assert not list(documents_folder().glob(".adding-*"))

    code, out, err = run("documents", "add", str(PRESS_RELEASE))
    assert code == 1 and "already added" in err

    code, out, _ = run("documents", "list")
    assert code == 0 and out.startswith(short_id(PRESS_RELEASE)) and "chunks" in out
    assert [d.name for d in list_documents(store.load())] == [PRESS_RELEASE.name]

    code, _, err = run("documents", "remove", "nope")
    assert code == 1 and err.strip().splitlines() == [f"Error: no added document with id 'nope' (added: {short_id(PRESS_RELEASE)})."]
    code, out, _ = run("documents", "remove", short_id(PRESS_RELEASE))
    assert code == 0 and "1 document(s)" in out
    assert list(store.load().documents) == [REPORT_ID]


def test_ingest_explain_lists_what_was_dropped() -> None:
    code, out, _ = run("ingest", "--explain", str(PRESS_RELEASE))
    assert code == 0
    dropped = [line for line in out.splitlines() if line.startswith("dropped")]
    assert sum(line.startswith("dropped (placeholder): 그림입니다.") for line in dropped) == 3
    assert any(line.startswith("dropped (personal data):") and "044-205" in line for line in dropped)
    code, out, _ = run("ingest", "--explain", str(KBO))
    assert "dropped (header/footer p.1): 12" in out.splitlines()
