"""The index on disk: one folder per version, a manifest, and an atomic switch.

Layout of `<data home>/indexes/<name>/`:
    CURRENT            name of the live version folder (replaced atomically)
    v-<stamp>/         manifest.json, documents.jsonl, chunks.jsonl, embeddings.npy,
                       dense.faiss, bm25/, sentences.jsonl, sentence_embeddings.npy,
                       context_embeddings.npy
    .lock              held (flock, with the builder's pid) while a build runs
A build writes a new version folder completely, then replaces CURRENT; an
interrupted build leaves the previous index untouched. The manifest, written last,
records every file's size and xxh3 hash and the counts that must agree; `load`
checks both, so a truncated or garbled file is `IndexDamaged`, never a wrong answer.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np
import xxhash
from reportqa.errors import IndexBusy, IndexDamaged, IndexMismatch, IndexMissing, StorageFailure
from reportqa.index.bm25 import Bm25Index
from reportqa.index.dense import DenseIndex
from reportqa.ingest.types import Chunk, Document, Section, SentenceSpan
from reportqa.paths import data_home

log = logging.getLogger(__name__)

FORMAT_VERSION = 5  # 2: the manifest records file sizes, hashes and counts; 3: sentences have context vectors; 4: pooled, not embedded; 5: Kiwi without its multi-word dictionary
DEFAULT_INDEX = "default"
VERSION_NAME = re.compile(r"v-\d{8}-\d{6}-[0-9a-f]{6}")
T = TypeVar("T")


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
    files: dict[str, dict] = field(default_factory=dict)  # relative path -> {"size", "xxh3_128"}
    counts: dict[str, int] = field(default_factory=dict)  # rows each part holds; all must agree
    quantize: str | None = None  # "int8": built with the model's int8 graph, and queried with it
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
    context_embeddings: np.ndarray | None = None  # per sentence, the vector of it with its neighbours (index/build.py)


def index_folder(name: str = DEFAULT_INDEX) -> Path:
    return data_home() / "indexes" / name


def rebuild_hint(name: str) -> str:
    return "reportqa index" if name == DEFAULT_INDEX else f"reportqa index --index {name} PATH ..."


def _damaged(name: str, what: str) -> IndexDamaged:
    return IndexDamaged(f"index {name!r} is damaged: {what}; rebuild it: {rebuild_hint(name)}")


def _current(name: str) -> Path | None:
    """The live version folder; None when no build ever finished, IndexDamaged when CURRENT is broken."""
    folder = index_folder(name)
    try:
        pointed = (folder / "CURRENT").read_bytes().decode("ascii").strip()
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise _damaged(name, f"{folder / 'CURRENT'} is garbled") from None
    version = folder / pointed
    if not VERSION_NAME.fullmatch(pointed) or not (version / "manifest.json").is_file():
        raise _damaged(name, f"{folder / 'CURRENT'} names no complete version ({pointed!r})")
    return version


def live_version(name: str = DEFAULT_INDEX) -> str | None:
    """The name of the live version (one small file read): a process holding another one is stale,
    so servers of one index see each other's builds without a restart."""
    try:
        return (index_folder(name) / "CURRENT").read_text(encoding="ascii").strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return None


def exists(name: str = DEFAULT_INDEX) -> bool:
    """A build has finished at least once (its files may still be damaged: `load` checks)."""
    return (index_folder(name) / "CURRENT").is_file()


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
    row["recognised"] = {int(page): confidence for page, confidence in row.get("recognised", {}).items()}  # JSON keys are strings
    return Document(**row)


def _digest(path: Path) -> str:
    """xxh3-128: catches any garbling at memory speed (sha256 would add a second to a large index's load)."""
    digest = xxhash.xxh3_128()
    with path.open("rb") as f:
        while block := f.read(1 << 23):
            digest.update(block)
    return digest.hexdigest()


def _file_records(version: Path) -> dict[str, dict]:
    """Size and hash of every file of a version but the manifest (which holds them)."""
    return {
        p.relative_to(version).as_posix(): {"size": p.stat().st_size, "xxh3_128": _digest(p)}
        for p in sorted(version.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


def _counts(data: IndexData) -> dict[str, int]:
    """What each part holds; chunk rows must agree across chunks, vectors, FAISS and BM25."""
    counts = {
        "documents": len(data.documents),
        "chunks": len(data.chunks),
        "embedding_rows": len(data.embeddings),
        "faiss_vectors": data.dense.ntotal,
        "bm25_documents": data.bm25.n_docs,
        "sentences": len(data.sentences),
    }
    if data.sentence_embeddings is not None:
        counts["sentence_embedding_rows"] = len(data.sentence_embeddings)
    if data.context_embeddings is not None:
        counts["context_embedding_rows"] = len(data.context_embeddings)
    return counts


@contextmanager
def build_lock(name: str = DEFAULT_INDEX) -> Iterator[None]:
    """Hold index `name` for one builder; a second one is refused at once, naming the holder.

    flock, not a bare lock file: the kernel releases it when the holder dies (even by kill -9),
    so a crashed build never blocks the next one.
    """
    folder = index_folder(name)
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            raise IndexBusy(
                f"index {name!r} is being built by process {holder}; wait for it to finish, then retry"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def save(data: IndexData, name: str = DEFAULT_INDEX) -> Path:
    """Write a complete new version, then switch CURRENT to it; returns the version folder.

    Callers hold `build_lock(name)`, so the leftovers removed here belong to no running build.
    """
    folder = index_folder(name)
    folder.mkdir(parents=True, exist_ok=True)
    previous = _current_or_none(name)
    tmp = folder / f".tmp-{os.getpid()}-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        _write_jsonl(tmp / "documents.jsonl", [_document_row(d) for d in data.documents.values()])
        _write_jsonl(tmp / "chunks.jsonl", [c.to_dict() for c in data.chunks])
        np.save(tmp / "embeddings.npy", data.embeddings)
        data.dense.save(tmp / "dense.faiss")
        data.bm25.save(tmp / "bm25")
        _write_jsonl(tmp / "sentences.jsonl", [asdict(s) for s in data.sentences])
        if data.sentence_embeddings is not None:
            np.save(tmp / "sentence_embeddings.npy", data.sentence_embeddings)
        if data.context_embeddings is not None:
            np.save(tmp / "context_embeddings.npy", data.context_embeddings)
        manifest = {**asdict(data.manifest), "files": _file_records(tmp), "counts": _counts(data)}
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        version = folder / f"v-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
        tmp.rename(version)
    except OSError as error:
        shutil.rmtree(tmp, ignore_errors=True)
        if error.errno is None:  # numpy's short write on a full disk: "N requested and M written"
            free = shutil.disk_usage(folder).free
            raise StorageFailure(f"cannot write index {name!r} to {folder} ({error}; {free:,} bytes free: is the disk full?)") from error
        raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    pointer_tmp = folder / f".CURRENT-{os.getpid()}-{uuid.uuid4().hex}"
    pointer_tmp.write_text(version.name)
    os.replace(pointer_tmp, folder / "CURRENT")
    _remove_stale(folder, keep={version, previous})
    log.info("index %r saved to %s", name, version)
    return version


def _current_or_none(name: str) -> Path | None:
    try:
        return _current(name)
    except IndexDamaged:
        return None


def owner_alive(leftover: Path) -> bool:
    """Is the process that named this `.<kind>-<pid>-…` leftover (`.tmp-`, `.CURRENT-`, `.adding-` …) still running?"""
    parts = leftover.name.split("-")
    if len(parts) < 3 or not parts[1].isdigit():
        return False  # an older layout without a pid: no build of ours is writing it
    pid = int(parts[1])
    if pid == os.getpid():
        return False  # this process holds the build lock: it is not writing another version
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale(folder: Path, keep: set[Path | None]) -> None:
    """Versions older than the previous one (a reader may still be loading that) and dead builds' leftovers."""
    for child in folder.iterdir():
        if child in keep:
            continue
        if child.name.startswith("v-") and child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
        elif child.name.startswith((".tmp-", ".CURRENT-")) and not owner_alive(child):
            shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink(missing_ok=True)


def _manifest_of(version: Path, name: str) -> Manifest:
    try:
        raw = json.loads((version / "manifest.json").read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _damaged(name, f"{version / 'manifest.json'} is not valid JSON") from None
    if not isinstance(raw, dict):
        raise _damaged(name, f"{version / 'manifest.json'} is not a JSON object")
    if raw.get("format_version") != FORMAT_VERSION:
        raise IndexMismatch(
            f"index {name!r} has format {raw.get('format_version')}, this reportqa reads {FORMAT_VERSION}; "
            f"rebuild it: {rebuild_hint(name)}"
        )
    try:
        return Manifest(**raw)
    except TypeError:
        raise _damaged(name, f"{version / 'manifest.json'} lacks fields or has unknown ones") from None


def check_compatible(
    manifest: Manifest, name: str, model: str, chunking: dict | None, hint: str | None = None, quantize: str | None = None
) -> None:
    """Refuse an index made with another model, weights or chunking, naming the command (`hint`) that fixes it."""
    hint = hint or rebuild_hint(name)
    if manifest.model != model:
        raise IndexMismatch(
            f"index {name!r} was built with model {manifest.model!r}, not {model!r}; "
            f"rebuild it: {hint} --model {model}"
        )
    if manifest.quantize != quantize:
        raise IndexMismatch(
            f"index {name!r} was built with {weights_name(manifest.quantize)} weights, not {weights_name(quantize)}; "
            f"rebuild it: {hint} --quantize {quantize or 'none'}"
        )
    if chunking is not None and manifest.chunking != chunking:
        raise IndexMismatch(
            f"index {name!r} was built with chunking {manifest.chunking}, not {chunking}; "
            f"rebuild it: {hint}"
        )


def weights_name(quantize: str | None) -> str:
    return quantize or "float32"


# Files whose bytes this process already hashed and found intact, keyed by identity and change stamps.
_verified: set[tuple[str, int, int, int, int]] = set()


def verify_files(version: Path, manifest: Manifest, name: str) -> None:
    """Every recorded file present with its recorded size and hash (each file hashed once per process)."""
    if not manifest.files:
        raise _damaged(name, f"{version / 'manifest.json'} records no files")
    for relative, record in manifest.files.items():
        path = version / relative
        try:
            stat = path.stat()
        except FileNotFoundError:
            raise _damaged(name, f"{path} is missing") from None
        if stat.st_size != record.get("size"):
            raise _damaged(name, f"{path} has {stat.st_size:,} bytes, the manifest recorded {record.get('size')}")
        key = (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
        if key in _verified:
            continue
        if _digest(path) != record.get("xxh3_128"):
            raise _damaged(name, f"{path} does not match its recorded hash (garbled)")
        _verified.add(key)


def _parse(version: Path, name: str, relative: str, reader: Callable[[Path], T]) -> T:
    """Read one part; bytes that passed the hash but still do not parse are damage too."""
    try:
        return reader(version / relative)
    except (ValueError, KeyError, TypeError, IndexError, EOFError, RuntimeError) as error:
        raise _damaged(name, f"{version / relative} cannot be read ({error.__class__.__name__})") from None


def _check_counts(data: IndexData, version: Path, name: str) -> None:
    found = _counts(data)
    expected = data.manifest.counts
    if found != expected:
        wrong = ", ".join(f"{k} {found.get(k)} (recorded {expected.get(k)})" for k in sorted(found.keys() | expected.keys()) if found.get(k) != expected.get(k))
        raise _damaged(name, f"the parts of {version} disagree: {wrong}")
    if found["chunks"] != found["embedding_rows"] or found["chunks"] != found["faiss_vectors"] or found["chunks"] != found["bm25_documents"]:
        raise _damaged(name, f"the parts of {version} hold different numbers of chunks")
    if any(found.get(rows, found["sentences"]) != found["sentences"] for rows in ("sentence_embedding_rows", "context_embedding_rows")):
        raise _damaged(name, f"the sentences of {version} and their vectors disagree")


def read_manifest(name: str = DEFAULT_INDEX) -> Manifest:
    """What the live version was built from and with (its files are not verified here)."""
    version = _current(name)
    if version is None:
        raise IndexMissing(f"no index named {name!r} in {index_folder(name)}; build it: {rebuild_hint(name)}")
    return _manifest_of(version, name)


def load(name: str = DEFAULT_INDEX, model: str | None = None, chunking: dict | None = None, quantize: str | None = None) -> IndexData:
    """Load the live version, verified; with `model`, refuse an index made with other weights or chunking."""
    version = _current(name)
    if version is None:
        raise IndexMissing(f"no index named {name!r} in {index_folder(name)}; build it: {rebuild_hint(name)}")
    manifest = _manifest_of(version, name)
    if model is not None:
        check_compatible(manifest, name, model, chunking, quantize=quantize)
    verify_files(version, manifest, name)
    embeddings = _parse(version, name, "embeddings.npy", np.load)
    sentence_file, context_file = "sentence_embeddings.npy", "context_embeddings.npy"
    data = IndexData(
        manifest=manifest,
        documents={
            d.doc_id: d for d in _parse(version, name, "documents.jsonl", lambda p: list(map(document_from_row, _read_jsonl(p))))
        },
        chunks=_parse(version, name, "chunks.jsonl", lambda p: [Chunk.from_dict(row) for row in _read_jsonl(p)]),
        embeddings=embeddings,
        dense=_parse(version, name, "dense.faiss", lambda p: DenseIndex.load(p, embeddings)),
        bm25=_parse(version, name, "bm25", Bm25Index.load),
        sentences=_parse(version, name, "sentences.jsonl", lambda p: [SentenceSpan(**row) for row in _read_jsonl(p)]),
        sentence_embeddings=_parse(version, name, sentence_file, np.load) if sentence_file in manifest.files else None,
        context_embeddings=_parse(version, name, context_file, np.load) if context_file in manifest.files else None,
    )
    _check_counts(data, version, name)
    return data
