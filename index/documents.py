"""The user's own documents: copies kept in the data home and indexed beside the bundled corpus.

`<data home>/documents/<id>/<original file name>` holds an untouched copy of each added file
(so the index can always be rebuilt from them) and `<id>/added.json` its name, the date it was
added, its sha256 and where it came from; the id is the start of the sha256, so adding the same
file twice is noticed. The default index covers corpus/ and this folder.

Every change — add files or folders, remove one, sync a folder — is one build of the default
index (only new documents are embedded, see `index.build`). The list of documents is read from
the index itself, so the two cannot disagree: a copy whose build was stopped is not listed, and
the next build of the index (any documents command, or `reportqa index`) takes it in, embedding
only what the stopped build had not finished. A file that cannot be read is refused before it is
copied in, and a failed build leaves the documents as they were, so nothing the user gave is lost
or changed.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from reportqa.errors import ReportQAError, UnreadableDocument
from reportqa.index import store
from reportqa.index.build import BuildReport, build_index
from reportqa.index.embedder import Embedder
from reportqa.ingest.chunk import ChunkingConfig
from reportqa.ingest.load import iter_sources
from reportqa.ingest.ocr import PageProgress
from reportqa.ingest.pool import split_files
from reportqa.ingest.read import read_bytes
from reportqa.ingest.types import SplitDocument
from reportqa.paths import data_home, default_corpus

log = logging.getLogger(__name__)

ID_CHARS = 10
META = "added.json"


@dataclass(frozen=True)
class UserDocument:
    """One added document as the Documents list shows it."""

    id: str
    name: str  # the original file name
    added: str  # ISO date and time
    title: str = ""
    pages: int | None = None
    sections: int = 0
    chunks: int = 0
    source: str = ""  # the absolute path it was added from ("" for documents added before this was recorded)


@dataclass
class Changes:
    """What a documents command did: the documents now searchable, removed, left as they were, refused."""

    added: list[UserDocument] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # ids
    unchanged: list[str] = field(default_factory=list)  # file names
    errors: dict[str, str] = field(default_factory=dict)  # file (or folder) name shown → its one-line error
    notes: dict[str, list[str]] = field(default_factory=dict)  # file name → what its reader is unsure of (read anyway)
    report: BuildReport | None = None


@dataclass(frozen=True)
class SyncPlan:
    """What `documents sync FOLDER` does: files new to the index, files whose content changed (with the
    id of the old version), added documents whose file is gone, and files left as they are."""

    new: list[Path]
    changed: list[tuple[Path, str]]
    gone: list[str]  # ids
    unchanged: list[Path]

    def lines(self) -> list[str]:
        return (
            [f"add     {p}" for p in self.new]
            + [f"update  {p} (replaces {old})" for p, old in self.changed]
            + [f"remove  {i}" for i in self.gone]
        )


def documents_folder() -> Path:
    return data_home() / "documents"


def default_sources() -> list[Path]:
    """What the default index is built from: the bundled corpus and the user's documents."""
    folder = documents_folder()
    added = folder.is_dir() and any(not entry.name.startswith(".") for entry in folder.iterdir())  # not one being removed
    return [default_corpus(), folder] if added else [default_corpus()]


def list_documents(data: store.IndexData | None) -> list[UserDocument]:
    """The added documents the index holds, oldest first, with their index figures."""
    if data is None:
        return []
    chunks = Counter(c.doc_id for c in data.chunks)
    rows = []
    for doc_id, document in data.documents.items():
        meta = _meta(doc_id.split("/", 1)[0]) if "/" in doc_id else None
        if meta is None or meta.get("sha256") != document.sha256:
            continue
        rows.append(
            UserDocument(
                id=doc_id.split("/", 1)[0],
                name=meta["name"],
                added=meta["added"],
                title=document.title,
                pages=len(document.page_starts) if document.page_starts else None,
                sections=len(document.sections),
                chunks=chunks[doc_id],
                source=meta.get("source", ""),
            )
        )
    return sorted(rows, key=lambda row: row.added)


def add_documents(
    paths: list[Path],
    embedder: Embedder,
    names: list[str] | None = None,
    on_file: Callable[[int, int], None] | None = None,
    progress: bool = False,
    on_page: PageProgress | None = None,
) -> Changes:
    """Copy files — a folder: its supported files, recursively — into the documents folder and index
    them in one build. A file that cannot be read, or is already added, is reported in `errors` and
    the others still go in; `names` overrides the names shown (an upload's temporary path has a
    meaningless one). `on_page(name, done, total)` follows the pages OCR reads while files are checked."""
    _recover()
    changes = Changes()
    files = _expand(paths, names, changes.errors)
    staged = _stage(files, _indexed_ids(), changes, on_page)
    _commit(staged, [], embedder, changes, on_file, progress)
    return changes


def remove_document(document_id: str, embedder: Embedder) -> Changes:
    """Drop an added document from the index, then delete its copy."""
    _recover()
    listed = {d.id for d in list_documents(_live())}
    if document_id not in listed:
        raise ReportQAError(f"no added document with id {document_id!r} (added: {', '.join(sorted(listed)) or 'none'}).")
    changes = Changes()
    _commit([], [document_id], embedder, changes, None, False)
    return changes


def plan_sync(folder: Path) -> SyncPlan:
    """Compare `folder` (its supported files, recursively) with the documents added from it, by content."""
    root = folder.resolve()
    files = [path for path, _ in iter_sources([folder])]
    added = {Path(d.source): d.id for d in list_documents(_live()) if d.source and Path(d.source).is_relative_to(root)}
    new, changed, unchanged = [], [], []
    for path in files:
        old = added.get(path.resolve())
        if old is None:
            new.append(path)
        elif _short_id(read_bytes(path)) != old:
            changed.append((path, old))
        else:
            unchanged.append(path)
    present = {path.resolve() for path in files}
    gone = sorted(doc_id for source, doc_id in added.items() if source not in present)
    return SyncPlan(new, changed, gone, unchanged)


def sync_folder(
    folder: Path, embedder: Embedder, on_file: Callable[[int, int], None] | None = None, progress: bool = False
) -> tuple[SyncPlan, Changes]:
    """Bring the documents added from `folder` in step with it: add new files, re-embed changed ones,
    remove those deleted from it — in one build."""
    _recover()
    plan = plan_sync(folder)
    changes = Changes(unchanged=[p.name for p in plan.unchanged])
    if not (plan.new or plan.changed or plan.gone):
        return plan, changes
    staged = _stage([(p, p.name) for p in [*plan.new, *(p for p, _ in plan.changed)]], _indexed_ids(), changes)
    _commit(staged, [*plan.gone, *(old for _, old in plan.changed)], embedder, changes, on_file, progress)
    return plan, changes


@dataclass(frozen=True)
class _Staged:
    folder: Path  # documents/<id> once committed
    split: SplitDocument | None  # read and cut while being checked (None: a copy left by a stopped build)


def _expand(paths: list[Path], names: list[str] | None, errors: dict[str, str]) -> list[tuple[Path, str]]:
    """(file, name shown) for every file given or inside a folder given."""
    files = []
    for position, path in enumerate(paths):
        try:
            if path.is_dir():
                files += [(file, file.name) for file, _ in iter_sources([path])]
            else:
                files.append((path, Path(names[position] if names else path.name).name))
        except UnreadableDocument as error:
            errors[str(path)] = str(error)
    return files


def _stage(files: list[tuple[Path, str]], indexed: set[str], changes: Changes, on_page: PageProgress | None = None) -> list[_Staged]:
    """Copy each new file into a hidden staging folder, check it reads (in worker processes), and move
    the good ones into the documents folder; the rest are reported in `changes.errors`."""
    staging: list[tuple[Path, str, str]] = []  # (staging folder, name, id)
    seen: set[str] = set()
    pending = []
    for path, name in files:
        try:
            raw = read_bytes(path)
        except UnreadableDocument as error:
            changes.errors[name] = str(error)
            continue
        document_id = _short_id(raw)
        if document_id in indexed or document_id in seen:
            changes.errors[name] = f"{name} is already added (id {document_id})."
            continue
        seen.add(document_id)
        if (documents_folder() / document_id / META).is_file():  # copied by a build that was stopped: it goes in now
            pending.append(_Staged(documents_folder() / document_id, None))
            continue
        folder = documents_folder() / f".adding-{os.getpid()}-{document_id}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        (folder / name).write_bytes(raw)
        meta = {"name": name, "added": time.strftime("%Y-%m-%d %H:%M:%S"), "sha256": hashlib.sha256(raw).hexdigest(), "source": str(path.resolve())}
        (folder / META).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        staging.append((folder, name, document_id))
    checked = split_files([(folder / name, f"{document_id}/{name}") for folder, name, document_id in staging], ChunkingConfig(), on_page=on_page)
    staged = []
    for (folder, name, document_id), outcome in zip(staging, checked):
        if outcome.error is not None:
            shutil.rmtree(folder, ignore_errors=True)
            changes.errors[name] = str(outcome.error).replace(str(folder / name), name)
            continue
        if outcome.notes:
            changes.notes[name] = list(outcome.notes)
        final = documents_folder() / document_id
        folder.rename(final)
        document = replace(outcome.split.document, source=str(final / name))
        staged.append(_Staged(final, replace(outcome.split, document=document)))
    return [*pending, *staged]


def _commit(
    staged: list[_Staged],
    drop: list[str],
    embedder: Embedder,
    changes: Changes,
    on_file: Callable[[int, int], None] | None,
    progress: bool,
) -> None:
    """One build with the staged copies in and the dropped ids out; on failure, the documents as they were."""
    if not staged and not drop:
        return
    hidden = []
    for document_id in drop:
        folder = documents_folder() / document_id
        hidden.append((folder, folder.with_name(f".removing-{os.getpid()}-{document_id}")))
        folder.rename(hidden[-1][1])
    presplit = {s.split.document.doc_id: s.split for s in staged if s.split is not None}
    try:
        changes.report = build_index(default_sources(), embedder, progress=progress, on_file=on_file, presplit=presplit)
    except BaseException:
        for folder, moved in hidden:
            moved.rename(folder)
        for item in staged:
            if item.split is not None:  # a copy left by a stopped build stays: the next build takes it in
                shutil.rmtree(item.folder, ignore_errors=True)
        raise
    for _, moved in hidden:
        shutil.rmtree(moved, ignore_errors=True)
    changes.removed = list(drop)
    added = {item.folder.name for item in staged}
    changes.added = [d for d in list_documents(store.load()) if d.id in added]


def _recover() -> None:
    """Finish what a stopped command left: staging copies go; a document hidden for removal comes back
    unless the index no longer holds it (the removal's build finished), in which case it goes."""
    folder = documents_folder()
    if not folder.is_dir():
        return
    indexed = _indexed_ids()
    for leftover in folder.iterdir():
        if not leftover.name.startswith((".adding-", ".removing-")) or store.owner_alive(leftover):
            continue
        document_id = leftover.name.split("-", 2)[-1]  # .adding-<pid>-<id>, .removing-<pid>-<id>
        if leftover.name.startswith(".removing-") and document_id in indexed and not (folder / document_id).exists():
            leftover.rename(folder / document_id)
        else:
            shutil.rmtree(leftover, ignore_errors=True)


def _live() -> store.IndexData | None:
    return store.load() if store.exists() else None


def _indexed_ids() -> set[str]:
    """Ids of the added documents the default index holds (its manifest alone: no vectors loaded)."""
    if not store.exists():
        return set()
    return {doc_id.split("/", 1)[0] for doc_id in store.read_manifest().documents if "/" in doc_id}


def _short_id(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:ID_CHARS]


def _meta(document_id: str) -> dict | None:
    """An added document's record: in its folder, or in the hidden folder of a removal whose build has
    not finished (the index still holds the document, so the list still shows it)."""
    folder = documents_folder()
    for path in [folder / document_id / META, *folder.glob(f".removing-*-{document_id}/{META}")]:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    return None
