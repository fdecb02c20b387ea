"""Every index file truncated, garbled or removed in turn: IndexDamaged naming it, or the same result."""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from reportqa.cli import main
from reportqa.errors import IndexDamaged, IndexMissing
from reportqa.index import store
from reportqa.index.embedder import Embedder
from reportqa.index.search import Searcher

NAME = "damage"
QUESTION = "사바에시는 일본 안경테 생산에서 어느 정도 비중을 차지하나?"


def _truncate(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _garble(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes(b ^ 0x5A for b in data[middle : middle + 16]) + data[middle + 16 :]


def _empty(data: bytes) -> bytes:
    return b""


def _ranking(embedder: Embedder) -> list[tuple[str, float]]:
    return [(h.chunk.id, round(h.score, 5)) for h in Searcher(store.load(NAME), embedder).search(QUESTION)]


@pytest.fixture(scope="module")
def copy(report_index: store.IndexData) -> Iterator[Path]:
    """A copy of the session's report index under its own name, so damage never reaches other tests."""
    target = store.index_folder(NAME)
    shutil.copytree(store.index_folder(), target)
    yield target
    shutil.rmtree(target, ignore_errors=True)


def _files(folder: Path) -> list[str]:
    version = folder / (folder / "CURRENT").read_text().strip()
    return ["CURRENT", *sorted(p.relative_to(folder).as_posix() for p in version.rglob("*") if p.is_file())]


def test_every_file_damaged_in_turn_is_diagnosed_or_harmless(copy: Path, embedder: Embedder) -> None:
    baseline = _ranking(embedder)
    outcomes: dict[str, str] = {}
    for relative in _files(copy):
        path = copy / relative
        original = path.read_bytes()
        for damage in (_truncate, _garble, _empty):
            path.write_bytes(damage(original))
            try:
                result = _ranking(embedder)
            except IndexDamaged as error:
                message = str(error)
                assert "\n" not in message and f"reportqa index --index {NAME}" in message
                assert Path(relative).name in message, message
                outcomes[f"{relative} {damage.__name__}"] = "damaged"
            else:
                assert result == baseline, f"{relative} {damage.__name__}: silently different hits"
                outcomes[f"{relative} {damage.__name__}"] = "unchanged"
            finally:
                path.write_bytes(original)
        path.unlink()
        with pytest.raises(IndexMissing if relative == "CURRENT" else IndexDamaged, match=f"reportqa index --index {NAME}"):
            store.load(NAME)
        path.write_bytes(original)
    assert _ranking(embedder) == baseline
    # Data files are covered by a size and hash check; the manifest may survive a garbled description field.
    harmless = {case for case, outcome in outcomes.items() if outcome == "unchanged"}
    assert all(case.startswith("v-") and "/manifest.json " in case for case in harmless), harmless


def test_files_are_hashed_once_per_process(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store.load(NAME)
    hashed: list[Path] = []
    real = store._digest
    monkeypatch.setattr(store, "_digest", lambda path: hashed.append(path) or real(path))
    store.load(NAME)
    assert hashed == []


def test_index_check_reports_intact_and_damaged(copy: Path) -> None:
    result = CliRunner().invoke(main, ["index", "--check", "--index", NAME])
    assert result.exit_code == 0 and "intact" in result.stdout
    version = copy / (copy / "CURRENT").read_text().strip()
    target = version / "dense.faiss"
    original = target.read_bytes()
    target.write_bytes(_garble(original))
    try:
        result = CliRunner().invoke(main, ["index", "--check", "--index", NAME])
    finally:
        target.write_bytes(original)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "dense.faiss" in result.stderr and f"reportqa index --index {NAME}" in result.stderr
