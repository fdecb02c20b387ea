"""Read, clean and cut many files in worker processes, in order, while the caller embeds the ones done.

Reading is the slow part of ingest for PDFs, and Kiwi's sentence cutting is CPU work too; both
run beside the model instead of before it. Results come back in the order of the files given,
whatever order the workers finish in, so a build with workers gives exactly what a serial one
gives. Only a few files are read ahead of the caller, so memory stays bounded however large the
archive.
"""
from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice
from multiprocessing import get_context
from pathlib import Path

from reportqa.errors import UnreadableDocument
from reportqa.ingest.chunk import ChunkingConfig, split_document
from reportqa.ingest.load import read_document
from reportqa.ingest.ocr import PageProgress
from reportqa.ingest.types import SplitDocument

READERS_VARIABLE = "REPORTQA_READERS"
FILES_PER_WORKER = 4  # below this many files a worker's start-up (a second: Kiwi, pdfplumber) costs more than it saves
READ_AHEAD = 2  # files in flight per worker
PARENT_CHECK_SECONDS = 0.5


@dataclass(frozen=True)
class Outcome:
    """One file read and cut, or why it could not be."""

    path: Path
    doc_id: str
    split: SplitDocument | None = None
    error: UnreadableDocument | None = None
    notes: tuple[str, ...] = ()  # what the reader is unsure of (an encoding it guessed among close ones)


def split_file(path: Path, doc_id: str, chunking: ChunkingConfig, on_page: PageProgress | None = None) -> Outcome:
    """Load and cut one file; a file the user can fix becomes an `Outcome` with its error."""
    try:
        loaded = read_document(path, doc_id, on_page)
        return Outcome(path, doc_id, split=split_document(loaded.document, chunking), notes=tuple(loaded.notes))
    except UnreadableDocument as error:
        return Outcome(path, doc_id, error=error)


def reading_workers(files: int) -> int:
    """Worker processes for `files` files: $REPORTQA_READERS, else one per core beyond the two the
    model embeds on, and none for a handful of files.

    Measured on 2 cores (300 KorQuAD paragraphs as .txt files): one worker made the build slower
    (63.5 s against 59.3 s serial: it competes with the model's threads) and added 550 MB (each
    worker loads its own Kiwi). So a 2-core machine reads in the build's own process.
    """
    value = os.environ.get(READERS_VARIABLE, "").strip()
    if value.isdigit():
        return int(value)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return 0 if files < FILES_PER_WORKER else max(0, min(cores - 2, files // FILES_PER_WORKER))


def split_files(
    files: list[tuple[Path, str]], chunking: ChunkingConfig, workers: int | None = None, on_page: PageProgress | None = None
) -> Iterator[Outcome]:
    """An `Outcome` per (path, doc_id), in the order given; `workers` 0 reads in this process.

    `on_page` follows OCR's pages when files are read in this process (workers report whole files).
    """
    workers = reading_workers(len(files)) if workers is None else workers
    if workers == 0:
        yield from (split_file(path, doc_id, chunking, on_page) for path, doc_id in files)
        return
    # spawn, not fork: the caller may hold ONNX Runtime's threads, which a forked child would inherit stuck.
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_leave_with, initargs=(os.getpid(),)) as pool:
        queued = iter(files)
        window: deque[Future[Outcome]] = deque(
            pool.submit(split_file, path, doc_id, chunking) for path, doc_id in islice(queued, READ_AHEAD * workers)
        )
        while window:
            outcome = window.popleft().result()
            for path, doc_id in islice(queued, 1):
                window.append(pool.submit(split_file, path, doc_id, chunking))
            yield outcome


def _leave_with(parent: int) -> None:
    """In a worker: exit as soon as the build that started it is gone. A worker holds both ends of its
    task pipe, so a parent killed with -9 would otherwise leave it waiting for work forever."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
