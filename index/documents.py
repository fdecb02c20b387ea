"""The user's own documents: copies kept in the data home and indexed beside the bundled corpus.

`<data home>/documents/<id>/<original file name>` holds an untouched copy of each added file
(so the index can always be rebuilt from them) and `<id>/added.json` the date it was added; the
id is the start of the file's sha256, so adding the same file twice is noticed. The default
index covers corpus/ and this folder; adding or removing rebuilds it incrementally (only a new
document is embedded, see `index.build`). A file that cannot be read is refused before anything
is copied or indexed, so a failed add never loses or changes what was there.
"""
from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reportqa.errors import ReportQAError, UnreadableDocument
from reportqa.index import store
from reportqa.index.build import BuildReport, build_index
from reportqa.index.embedder import Embedder
from reportqa.ingest.load import read_document
from reportqa.ingest.read import read_bytes
from reportqa.paths import data_home, default_corpus

log = logging.getLogger(__name__)

ID_CHARS = 10
STAGES = ("reading", "cleaning", "embedding")  # what a progress callback is told, in order


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


def documents_folder() -> Path:
    return data_home() / "documents"


def default_sources() -> list[Path]:
    """What the default index is built from: the bundled corpus and the user's documents."""
    folder = documents_folder()
    added = folder.is_dir() and any(not entry.name.startswith(".") for entry in folder.iterdir())  # not one being removed
    return [default_corpus(), folder] if added else [default_corpus()]


def doc_id_of(folder: Path) -> str:
    """The index's doc_id of an added document: its path inside the documents folder."""
    file = _file_in(folder)
    return f"{folder.name}/{file.name}"


def list_documents(data: store.IndexData | None = None) -> list[UserDocument]:
    """Added documents, oldest first, with their index figures when `data` is given."""
    rows = []
    for folder in sorted(documents_folder().glob("*/added.json")):
        folder = folder.parent
        meta = json.loads((folder / "added.json").read_text(encoding="utf-8"))
        doc_id = doc_id_of(folder)
        document = data.documents.get(doc_id) if data else None
        rows.append(
            UserDocument(
                id=folder.name,
                name=meta["name"],
                added=meta["added"],
                title=document.title if document else "",
                pages=len(document.page_starts) if document and document.page_starts else None,
                sections=len(document.sections) if document else 0,
                chunks=sum(c.doc_id == doc_id for c in data.chunks) if data else 0,
            )
        )
    return sorted(rows, key=lambda row: row.added)


def add_document(
    path: Path, embedder: Embedder, progress: Callable[[str], None] = log.info, name: str | None = None
) -> tuple[UserDocument, BuildReport]:
    """Copy `path` into the documents folder and index it; `name` overrides the file name shown
    (an upload's temporary path has a meaningless one)."""
    name = Path(name or path.name).name
    progress("reading")
    raw = read_bytes(path)
    digest = hashlib.sha256(raw).hexdigest()
    folder = documents_folder() / digest[:ID_CHARS]
    if folder.exists():
        raise ReportQAError(f"{name} is already added (id {folder.name}).")
    staging = documents_folder() / f".adding-{digest[:ID_CHARS]}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        copy = staging / Path(name).name
        copy.write_bytes(raw)
        progress("cleaning")
        try:
            read_document(copy)  # refuse an unreadable file before it joins the index
        except UnreadableDocument as error:
            raise UnreadableDocument(str(error).replace(str(copy), name)) from None
        (staging / "added.json").write_text(
            json.dumps({"name": name, "added": time.strftime("%Y-%m-%d %H:%M:%S"), "sha256": digest}, ensure_ascii=False),
            encoding="utf-8",
        )
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    progress("embedding")
    try:
        report = build_index(default_sources(), embedder, progress=False)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # the previous index is untouched: store.save is atomic
        raise
    log.info("added %s as %s", name, folder.name)
    data = store.load()
    return next(d for d in list_documents(data) if d.id == folder.name), report


def remove_document(document_id: str, embedder: Embedder) -> BuildReport:
    """Drop an added document from the index, then delete its copy."""
    folder = documents_folder() / document_id
    if not document_id or "/" in document_id or not (folder / "added.json").is_file():
        known = ", ".join(d.id for d in list_documents()) or "none"
        raise ReportQAError(f"no added document with id {document_id!r} (added: {known}).")
    hidden = folder.with_name(f".removing-{document_id}")
    folder.rename(hidden)  # out of the sources, still restorable if the rebuild fails
    try:
        report = build_index(default_sources(), embedder, progress=False)
    except BaseException:
        hidden.rename(folder)
        raise
    shutil.rmtree(hidden, ignore_errors=True)
    return report


def _file_in(folder: Path) -> Path:
    return next(f for f in folder.iterdir() if f.is_file() and f.name != "added.json")
