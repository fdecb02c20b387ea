"""What an unfinished build already embedded, kept so the next build embeds only what is missing.

A build of many files can be stopped at any moment (Ctrl-C, kill, power). Each group of documents
it embeds is written here as soon as it is done, one file per document, renamed into place whole;
the next build of the same index with the same model, weights and chunking takes them instead of
embedding again, and a build that commits clears the folder. Nothing here is ever searched: the
index goes live only through `StoreWriter.commit`, so a half-finished build is never loaded.

Layout: `<index folder>/partial/<settings key>/<document key>.npz`, where the settings key hashes
the index format, the model, weights and chunking, and the document key the doc_id and the file's sha256.
"""
from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import uuid
import zipfile
from dataclasses import asdict
from pathlib import Path

import numpy as np
from reportqa.index.protocol import DocumentParts
from reportqa.index.store import FORMAT_VERSION, document_from_row, index_folder
from reportqa.ingest.types import Chunk, SentenceSpan

log = logging.getLogger(__name__)


def _key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


class PartialParts:
    """The finished documents of an interrupted build of one index with one set of settings."""

    def __init__(self, name: str, model: str, quantize: str | None, chunking: dict) -> None:
        self.root = index_folder(name) / "partial"
        self.folder = self.root / _key(str(FORMAT_VERSION), model, quantize or "float32", json.dumps(chunking, sort_keys=True))

    def _path(self, doc_id: str, sha256: str) -> Path:
        return self.folder / f"{_key(doc_id, sha256)}.npz"

    def save(self, parts: DocumentParts) -> None:
        """Keep one embedded document; written to a temporary name, then renamed, so it is whole or absent."""
        self.folder.mkdir(parents=True, exist_ok=True)
        meta = {
            "document": asdict(parts.document),
            "chunks": [c.to_dict() for c in parts.chunks],
            "sentences": [asdict(s) for s in parts.sentences],
        }
        arrays = {"embeddings": parts.embeddings, "meta": np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), dtype=np.uint8)}
        if parts.sentence_embeddings is not None:
            arrays["sentence_embeddings"] = parts.sentence_embeddings
        if parts.context_embeddings is not None:
            arrays["context_embeddings"] = parts.context_embeddings
        target = self._path(parts.document.doc_id, parts.document.sha256)
        temporary = target.with_name(f".{uuid.uuid4().hex}.tmp")
        try:
            with temporary.open("wb") as file:
                np.savez(file, **arrays)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)  # a full disk leaves no half file behind

    def load(self, doc_id: str, sha256: str) -> DocumentParts | None:
        """The document as an earlier build embedded it, or None (never embedded, or unreadable)."""
        path = self._path(doc_id, sha256)
        if not path.is_file():
            return None
        try:
            with np.load(io.BytesIO(path.read_bytes())) as arrays:
                meta = json.loads(arrays["meta"].tobytes().decode())
                parts = DocumentParts(
                    document=document_from_row(meta["document"]),
                    chunks=[Chunk.from_dict(row) for row in meta["chunks"]],
                    embeddings=arrays["embeddings"],
                    sentences=[SentenceSpan(**row) for row in meta["sentences"]],
                    sentence_embeddings=arrays["sentence_embeddings"] if "sentence_embeddings" in arrays else None,
                    context_embeddings=arrays["context_embeddings"] if "context_embeddings" in arrays else None,
                )
        except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as error:
            log.warning("ignoring an unreadable part of an interrupted build (%s): %s", path, error)
            path.unlink(missing_ok=True)
            return None
        if len(parts.chunks) != len(parts.embeddings) or parts.document.doc_id != doc_id or parts.document.sha256 != sha256:
            path.unlink(missing_ok=True)
            return None
        return parts

    def clear(self) -> None:
        """After a commit: everything here is in the live index now (or belongs to other settings, now stale)."""
        shutil.rmtree(self.root, ignore_errors=True)
