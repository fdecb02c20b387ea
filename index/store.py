"""The index on disk: one folder per version, a manifest, and an atomic switch.

Layout of `<data home>/indexes/<name>/`:
    CURRENT            name of the live version folder (replaced atomically)
    v-<stamp>/         manifest.json, documents.jsonl, chunks.jsonl, embeddings.npy,
                       dense.faiss, bm25/, sentences.jsonl, sentence_embeddings.npy
A build writes a new version folder completely, then replaces CURRENT; an
interrupted build leaves the previous index untouched.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from reportqa.errors import IndexMismatch, IndexMissing
from reportqa.index.bm25 import Bm25Index
from reportqa.index.dense import DenseIndex
from reportqa.ingest.types import Chunk, Document, Section
from reportqa.paths import data_home

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
DEFAULT_INDEX = "default"


@dataclass(frozen=True)
class SentenceSpan:
    """A sentence of a document, the unit an answer quotes."""

    doc_id: str
    start: int
    end: int


@dataclass
class Manifest:
    """What an index was built from and with; a mismatch means rebuild."""

    model: str
    dim: int
    chunking: dict
    documents: dict[str, str]  # doc_id -> sha256 of the raw file
    sources: list[str]
    dense_kind: str
    n_chunks: int
    with_sentences: bool
    format_version: int = FORMAT_VERSION
    created: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S"))


@dataclass
class IndexData:
    """Everything search and answering need, loaded in memory.

    `embeddings`, `dense` and `bm25` are None when a search engine (index/qdrant_store.py) ranks.
    """

    manifest: Manifest
    documents: dict[str, Document]
    chunks: list[Chunk]
    embeddings: np.ndarray | None
    dense: DenseIndex | None
    bm25: Bm25Index | None
    sentences: list[SentenceSpan]
    sentence_embeddings: np.ndarray | None


def index_folder(name: str = DEFAULT_INDEX) -> Path:
    return data_home() / "indexes" / name


def rebuild_hint(name: str) -> str:
    return "reportqa index" if name == DEFAULT_INDEX else f"reportqa index --index {name} PATH ..."


def _current(folder: Path) -> Path | None:
    pointer = folder / "CURRENT"
    if not pointer.is_file():
        return None
    version = folder / pointer.read_text().strip()
    return version if (version / "manifest.json").is_file() else None


def exists(name: str = DEFAULT_INDEX) -> bool:
    return _current(index_folder(name)) is not None


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _document_row(doc: Document) -> dict:
    return asdict(doc)


def document_from_row(row: dict) -> Document:
    row = dict(row)
    row["sections"] = [Section(**s) for s in row["sections"]]
    return Document(**row)


def save(data: IndexData, name: str = DEFAULT_INDEX) -> Path:
    """Write a complete new version, then switch CURRENT to it; returns the version folder."""
    folder = index_folder(name)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".tmp-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        (tmp / "manifest.json").write_text(json.dumps(asdict(data.manifest), ensure_ascii=False, indent=2))
        _write_jsonl(tmp / "documents.jsonl", [_document_row(d) for d in data.documents.values()])
        _write_jsonl(tmp / "chunks.jsonl", [c.to_dict() for c in data.chunks])
        np.save(tmp / "embeddings.npy", data.embeddings)
        data.dense.save(tmp / "dense.faiss")
        data.bm25.save(tmp / "bm25")
        _write_jsonl(tmp / "sentences.jsonl", [asdict(s) for s in data.sentences])
        if data.sentence_embeddings is not None:
            np.save(tmp / "sentence_embeddings.npy", data.sentence_embeddings)
        version = folder / f"v-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
        tmp.rename(version)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    pointer_tmp = folder / f".CURRENT-{uuid.uuid4().hex}"
    pointer_tmp.write_text(version.name)
    os.replace(pointer_tmp, folder / "CURRENT")
    _remove_stale(folder, keep=version)
    log.info("index %r saved to %s", name, version)
    return version


def _remove_stale(folder: Path, keep: Path) -> None:
    """Old versions and leftovers of interrupted builds."""
    for child in folder.iterdir():
        if child.is_dir() and child != keep and (child.name.startswith("v-") or child.name.startswith(".tmp-")):
            shutil.rmtree(child, ignore_errors=True)


def read_manifest(name: str = DEFAULT_INDEX) -> Manifest:
    version = _current(index_folder(name))
    if version is None:
        raise IndexMissing(f"no index named {name!r} in {index_folder(name)}; build it: {rebuild_hint(name)}")
    raw = json.loads((version / "manifest.json").read_text())
    if raw.get("format_version") != FORMAT_VERSION:
        raise IndexMismatch(
            f"index {name!r} has format {raw.get('format_version')}, this reportqa reads {FORMAT_VERSION}; "
            f"rebuild it: {rebuild_hint(name)}"
        )
    return Manifest(**raw)


def check_compatible(manifest: Manifest, name: str, model: str, chunking: dict | None, hint: str | None = None) -> None:
    """Refuse an index made with another model or chunking, naming the command (`hint`) that fixes it."""
    hint = hint or rebuild_hint(name)
    if manifest.model != model:
        raise IndexMismatch(
            f"index {name!r} was built with model {manifest.model!r}, not {model!r}; "
            f"rebuild it: {hint} --model {model}"
        )
    if chunking is not None and manifest.chunking != chunking:
        raise IndexMismatch(
            f"index {name!r} was built with chunking {manifest.chunking}, not {chunking}; "
            f"rebuild it: {hint}"
        )


def load(name: str = DEFAULT_INDEX, model: str | None = None, chunking: dict | None = None) -> IndexData:
    """Load the live version; with `model`/`chunking`, refuse an index made differently."""
    manifest = read_manifest(name)
    if model is not None:
        check_compatible(manifest, name, model, chunking)
    version = _current(index_folder(name))
    assert version is not None  # read_manifest raised otherwise
    embeddings = np.load(version / "embeddings.npy")
    sentence_path = version / "sentence_embeddings.npy"
    return IndexData(
        manifest=manifest,
        documents={d.doc_id: d for d in map(document_from_row, _read_jsonl(version / "documents.jsonl"))},
        chunks=[Chunk.from_dict(row) for row in _read_jsonl(version / "chunks.jsonl")],
        embeddings=embeddings,
        dense=DenseIndex.load(version / "dense.faiss", embeddings),
        bm25=Bm25Index.load(version / "bm25"),
        sentences=[SentenceSpan(**row) for row in _read_jsonl(version / "sentences.jsonl")],
        sentence_embeddings=np.load(sentence_path) if sentence_path.is_file() else None,
    )
