"""kill -9 during `documents add DIR` and `documents sync DIR` at random moments: the list and the
index never disagree, no listed document is empty, and running the command again finishes the job."""
from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from reportqa.index import store
from reportqa.index.documents import list_documents
from reportqa.lab.korquad import default_path, read_squad

from tests.index.test_folders import write_paragraphs

TRIALS = 3
SEED = 21


@pytest.fixture
def own_home(report_index: store.IndexData, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    shutil.copytree(home / "indexes", tmp_path / "home" / "indexes")
    monkeypatch.setenv("REPORTQA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("REPORTQA_CHECKPOINT_CHARS", "1500")
    yield tmp_path / "home"


def reportqa(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from reportqa.cli import main; main()", *args],
        env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def finished(*args: str) -> str:
    child = reportqa(*args)
    out, err = child.communicate(timeout=900)
    assert child.returncode in (0, 1) and "Traceback" not in err, err
    return out


def killed_at_random(rng: random.Random, *args: str) -> float:
    """Start the command, SIGKILL it after a random delay (or let it end first); returns the delay."""
    delay = rng.uniform(1.0, 25.0)
    child = reportqa(*args)
    try:
        child.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        child.send_signal(signal.SIGKILL)
        child.wait()
    return delay


def assert_consistent() -> set[str]:
    """The index loads and verifies, and the documents list is exactly its added documents, none empty."""
    data = store.load()
    listed = list_documents(data)
    indexed = {doc_id.split("/", 1)[0] for doc_id in data.documents if "/" in doc_id}
    assert {d.id for d in listed} == indexed
    assert all(d.chunks > 0 and d.sections >= 0 for d in listed)
    return {d.name for d in listed}


def test_kill_9_during_folder_add_and_sync(own_home: Path, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    texts = [d.text for d in read_squad(default_path()).documents[:14]]
    folder = tmp_path / "archive"
    write_paragraphs(folder, texts[:10])
    for _ in range(TRIALS):
        killed_at_random(rng, "documents", "add", str(folder))
        assert_consistent()
    finished("documents", "add", str(folder))  # again: what was finished is kept, the rest goes in
    assert assert_consistent() == {f"p{n:02d}.txt" for n in range(1, 11)}

    (folder / "p01.txt").write_text(texts[0] + " 덧붙인 문장이다.", encoding="utf-8")
    (folder / "p02.txt").unlink()
    write_paragraphs(folder, texts[10:14], first=11)
    for _ in range(TRIALS):
        killed_at_random(rng, "documents", "sync", str(folder))
        assert_consistent()
    out = finished("documents", "sync", str(folder))
    assert "Synced" in out
    names = assert_consistent()
    assert names == {f"p{n:02d}.txt" for n in [1, *range(3, 15)]}
    updated = next(d for d in store.load().documents.values() if d.doc_id.endswith("/p01.txt"))
    assert updated.text.endswith("덧붙인 문장이다.")
    assert finished("documents", "sync", str(folder)).strip().endswith("0 added, 0 updated, 0 removed, 13 unchanged.")
