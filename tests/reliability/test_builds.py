"""Builds never step on each other and never leave a half index: kill -9, two builders, a full disk."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from reportqa.cli import main
from reportqa.index import store
from reportqa.index.build import build_index
from reportqa.index.embedder import Embedder
from reportqa.paths import PROJECT_ROOT, default_corpus

FIRST = "도쿄의 한 금속 가공 회사는 2019년에 새로운 공장을 세웠다. 이 회사는 정밀 부품을 유럽에 수출한다.\n"
SECOND = "오사카의 한 섬유 회사는 2021년에 친환경 원단을 개발했다. 이 원단은 미국과 독일에 팔린다.\n"
CHILD = Path(__file__).with_name("build_child.py")
# Writes during a save: documents, chunks, embeddings, sentences, sentence vectors, CURRENT switch,
# then removal of versions older than the previous one.
KILL_POINTS = [1, 3, 5, 6, 7]


@pytest.fixture
def sources(tmp_path: Path) -> tuple[Path, Path]:
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text(FIRST, encoding="utf-8")
    second.write_text(SECOND, encoding="utf-8")
    return first, second


def _leftovers(name: str) -> list[str]:
    """What a finished build must not leave: leftovers of dead builds, or more than current + previous."""
    names = sorted(p.name for p in store.index_folder(name).iterdir())
    versions = [n for n in names if n.startswith("v-")]
    stray = [n for n in names if n.startswith((".tmp-", ".CURRENT-"))]
    return stray + (versions if len(versions) > 2 else [])


def _kill_during_build(name: str, kill_at: int, sources: list[Path]) -> int:
    child = subprocess.run(
        [sys.executable, str(CHILD), str(kill_at), name, *map(str, sources)],
        cwd=PROJECT_ROOT, env=os.environ.copy(), capture_output=True, text=True, timeout=600,
    )
    return child.returncode


@pytest.mark.parametrize("kill_at", KILL_POINTS[::2])
def test_kill_9_during_a_build_leaves_the_old_or_the_new_index(
    kill_at: int, sources: tuple[Path, Path], home: Path, embedder: Embedder
) -> None:
    name = f"killed-{kill_at}"
    first, second = sources
    build_index([first], embedder, name=name, progress=False)
    build_index([first], embedder, name=name, progress=False)  # two versions: the kill may hit removing one
    assert _kill_during_build(name, kill_at, [first, second]) == -signal.SIGKILL
    assert store.load(name).manifest.documents.keys() in ({"first.txt"}, {"first.txt", "second.txt"})
    build_index([first, second], embedder, name=name, progress=False)
    assert store.load(name).manifest.documents.keys() == {"first.txt", "second.txt"}
    assert _leftovers(name) == []


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(8))
def test_kill_9_at_a_random_moment_soak(round_: int, sources: tuple[Path, Path], home: Path, embedder: Embedder) -> None:
    """Longer soak: a real external kill -9 at a random moment of a whole `reportqa index` run."""
    name = "soak"
    first, second = sources
    build_index([first], embedder, name=name, progress=False)
    command = [sys.executable, "-m", "reportqa.cli", "index", "--index", name, str(first), str(second)]
    child = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2 + round_ * 1.5)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert store.load(name).manifest.documents.keys() in ({"first.txt"}, {"first.txt", "second.txt"})
    build_index([first, second], embedder, name=name, progress=False)
    assert _leftovers(name) == []


def test_a_second_builder_is_refused_with_one_line(sources: tuple[Path, Path], home: Path, report_index) -> None:
    first, _ = sources
    with store.build_lock("race"):
        result = CliRunner().invoke(main, ["index", "--index", "race", str(first)])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: index 'race' is being built by process {os.getpid()}; wait for it to finish, then retry"
    ]
    assert not store.exists("race")
    assert CliRunner().invoke(main, ["index", "--index", "race", str(first)]).exit_code == 0  # the lock is gone


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path | None]:
    """A 300 KB tmpfs (the report's index needs more); None where mounting is not permitted."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        yield None
        return
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_full_disk_is_one_line_and_leaves_no_half_index(
    small_disk: Path | None, monkeypatch: pytest.MonkeyPatch, report_index
) -> None:
    if small_disk is None:  # no tmpfs: the error a full disk raises, at the first vector written
        import errno

        def no_space(*args, **kwargs):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr("numpy.save", no_space)
        home = Path(os.environ["REPORTQA_HOME"])
    else:
        home = small_disk
        monkeypatch.setenv("REPORTQA_HOME", str(home))
    result = CliRunner().invoke(main, ["index", "--index", "full", str(default_corpus())])
    assert result.exit_code == 1
    messages = [line for line in re.split(r"[\r\n]", result.stderr) if line.strip() and "%|" not in line]  # progress bars aside
    assert len(messages) == 1 and re.search("no space left|disk full", messages[0]), messages
    folder = home / "indexes" / "full"
    assert sorted(p.name for p in folder.iterdir()) in ([".lock"], [".lock", "partial"])  # no version, no pointer
    kept = [p.name for p in folder.glob("partial/*/*")]
    assert all(name.endswith(".npz") and not name.startswith(".") for name in kept)  # whole documents only, for a resumed build


def test_read_only_data_home_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, report_index) -> None:
    mount = tmp_path / "ro"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("mounting a read-only tmpfs is not permitted here")
    try:
        monkeypatch.setenv("REPORTQA_HOME", str(mount))
        result = CliRunner().invoke(main, ["search", "사바에시"])  # first use builds the default index
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
    assert result.exit_code == 1
    notice, error = result.stderr.strip().splitlines()  # "No index yet: building …", then the reason
    assert notice.startswith("No index yet") and error.startswith("Error: ") and "read-only" in error
