"""Archives: a folder added in one build, kept in sync, read in worker processes, resumed after a kill."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from reportqa.cli import main
from reportqa.index import partial, store
from reportqa.index.build import build_index, previous_parts
from reportqa.index.documents import documents_folder, list_documents
from reportqa.index.embedder import Embedder
from reportqa.index.partial import PartialParts
from reportqa.lab.korquad import default_path, read_squad
from reportqa.paths import PROJECT_ROOT

PRESS_RELEASE = PROJECT_ROOT.parent / "shared" / "documents" / "public_official_table.hwpx"
SMALL_GROUPS = "1200"  # characters per embedding group: several checkpoints for a handful of paragraphs


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def paragraphs() -> list[str]:
    """Real Korean paragraphs: KorQuAD's first distinct contexts."""
    return [d.text for d in read_squad(default_path()).documents[:12]]


def write_paragraphs(folder: Path, texts: list[str], first: int = 1) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, text in enumerate(texts, first):
        paths.append(folder / f"p{number:02d}.txt")
        paths[-1].write_text(text, encoding="utf-8")
    return paths


@pytest.fixture
def own_home(report_index: store.IndexData, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A data home of its own holding a copy of the session's report index."""
    shutil.copytree(home / "indexes", tmp_path / "home" / "indexes")
    monkeypatch.setenv("REPORTQA_HOME", str(tmp_path / "home"))
    yield tmp_path / "home"


def listed_names() -> list[str]:
    return sorted(d.name for d in list_documents(store.load()))


def test_a_folder_goes_in_with_one_build_and_sync_follows_it(own_home: Path, tmp_path: Path, paragraphs: list[str]) -> None:
    folder = tmp_path / "archive"
    write_paragraphs(folder, paragraphs[:3])
    write_paragraphs(folder / "2024", paragraphs[3:4], first=4)  # folders are read recursively
    (folder / "broken.hwpx").write_bytes(PRESS_RELEASE.read_bytes()[:4000])
    code, out, err = run("documents", "add", str(folder))
    assert code == 1 and err.count("Error:") == 1 and "Cannot read broken.hwpx" in err  # refused, the rest went in
    assert out.count("Added ") == 4 and listed_names() == ["p01.txt", "p02.txt", "p03.txt", "p04.txt"]
    (folder / "broken.hwpx").unlink()

    code, out, _ = run("documents", "sync", str(folder))
    assert code == 0 and "0 added, 0 updated, 0 removed, 4 unchanged" in out

    (folder / "p01.txt").write_text(paragraphs[0] + " 이 문단은 동기화 시험을 위해 덧붙였다.", encoding="utf-8")
    (folder / "p02.txt").unlink()
    write_paragraphs(folder, paragraphs[4:5], first=5)
    before = {d.name: d.id for d in list_documents(store.load())}
    code, out, _ = run("documents", "sync", str(folder), "--dry-run")
    assert code == 0 and listed_names() == ["p01.txt", "p02.txt", "p03.txt", "p04.txt"]  # a dry run changes nothing
    assert f"add     {folder / 'p05.txt'}" in out and f"update  {folder / 'p01.txt'} (replaces {before['p01.txt']})" in out
    assert f"remove  {before['p02.txt']}" in out and "1 to add, 1 to update, 1 to remove, 2 unchanged" in out

    code, out, _ = run("documents", "sync", str(folder))
    assert code == 0 and "Synced" in out and "1 added, 1 updated, 1 removed, 2 unchanged" in out
    assert listed_names() == ["p01.txt", "p03.txt", "p04.txt", "p05.txt"]
    data = store.load()
    updated = next(d for d in data.documents.values() if d.doc_id.endswith("/p01.txt"))
    assert updated.text.endswith("동기화 시험을 위해 덧붙였다.")
    assert not (documents_folder() / before["p01.txt"]).exists() and not (documents_folder() / before["p02.txt"]).exists()
    assert not [p for p in documents_folder().iterdir() if p.name.startswith(".")]


def manifest_without_times(name: str) -> dict:
    manifest = json.loads((store.index_folder(name) / (store.index_folder(name) / "CURRENT").read_text() / "manifest.json").read_text())
    manifest.pop("created")
    return manifest


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, paragraphs: list[str]) -> Path:
    folder = tmp_path_factory.mktemp("archive")
    write_paragraphs(folder, paragraphs[:8])
    return folder


def test_reading_in_worker_processes_builds_the_same_index(
    archive: Path, embedder: Embedder, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPORTQA_CHECKPOINT_CHARS", SMALL_GROUPS)
    build_index([archive], embedder, name="serial", progress=False, readers=0)
    build_index([archive], embedder, name="parallel", progress=False, readers=2)
    serial = manifest_without_times("serial")
    assert serial["counts"]["documents"] == 8
    assert manifest_without_times("parallel") == serial  # every file's size and hash: byte for byte


def test_a_killed_build_resumes_where_it_stopped(archive: Path, embedder: Embedder, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """kill -9 once the first groups are kept; the next build embeds only the rest, and the index
    is byte for byte the one an uninterrupted build makes."""
    monkeypatch.setenv("REPORTQA_CHECKPOINT_CHARS", SMALL_GROUPS)
    monkeypatch.setenv("REPORTQA_READERS", "1")  # the killed build reads in a worker process
    build_index([archive], embedder, name="whole", progress=False, readers=0)
    partial = store.index_folder("resumed") / "partial"
    child = subprocess.Popen(
        [sys.executable, "-c", "from reportqa.cli import main; main()", "index", "--index", "resumed", str(archive)],
        env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 600
    while len(list(partial.glob("*/*.npz"))) < 2 and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    readers = children_of(child.pid)
    child.send_signal(signal.SIGKILL)
    child.wait()
    kept = len(list(partial.glob("*/*.npz")))
    assert 2 <= kept < 8 and not store.exists("resumed")  # stopped part way: nothing went live
    assert readers and wait_until_gone(readers)  # its reading workers leave with it

    report = build_index([archive], embedder, name="resumed", progress=False)
    assert len(report.resumed_documents) == kept and len(report.embedded_documents) == 8 - kept
    assert manifest_without_times("resumed") == manifest_without_times("whole")
    assert not partial.exists()


def test_groups_kept_by_another_index_format_are_embedded_again(archive: Path, embedder: Embedder, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stopped build's kept groups are taken only by a reportqa of the same index format: one of
    another format cut its sentences and BM25 terms another way (format 5: Kiwi's dictionaries)."""
    build_index([archive], embedder, name="source", progress=False)
    chunking = store.read_manifest("source").chunking
    documents = list(previous_parts("source", embedder, chunking).values())

    def kept_then_built(name: str, format_version: int) -> tuple[int, int]:
        with monkeypatch.context() as patched:
            patched.setattr(partial, "FORMAT_VERSION", format_version)
            kept = PartialParts(name, embedder.name, embedder.quantize, chunking)
            for parts in documents:
                kept.save(parts)
        report = build_index([archive], embedder, name=name, progress=False)
        return len(report.resumed_documents), len(report.embedded_documents)

    assert kept_then_built("same-format", store.FORMAT_VERSION) == (8, 0)
    assert kept_then_built("older-format", store.FORMAT_VERSION - 1) == (0, 8)


def children_of(pid: int) -> set[int]:
    """Live processes whose parent is `pid` (from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def wait_until_gone(pids: set[int], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(Path(f"/proc/{pid}").exists() for pid in pids):
            return True
        time.sleep(0.1)
    return False


def test_a_file_read_with_an_uncertain_encoding_goes_in_with_a_note(own_home: Path, tmp_path: Path) -> None:
    """Read anyway, never silently: `documents add` says which encoding it took and what else it could be."""
    latin = tmp_path / "paris.txt"
    latin.write_bytes("très bon à Paris".encode("latin-1"))
    code, out, _ = run("documents", "add", str(latin))
    assert code == 0
    assert "Added" in out and "  note: encoding uncertain: read as cp1252 (also possible: cp1250" in out
