"""Open a ready-to-search index, building the default one on first use."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING

from reportqa.errors import IndexDamaged, IndexMismatch, IndexMissing
from reportqa.index import store
from reportqa.index.build import BuildReport, build_index
from reportqa.index.documents import default_sources
from reportqa.index.embedder import DEFAULT_MODEL, Embedder, load_embedder
from reportqa.index.fusion import FusionConfig
from reportqa.index.search import Searcher
from reportqa.ingest.chunk import ChunkingConfig
from reportqa.paths import default_corpus

if TYPE_CHECKING:
    from reportqa.index.qdrant_store import QdrantTarget

log = logging.getLogger(__name__)


def build_default(model: str | None = None, progress: bool = True) -> BuildReport:
    """Index the bundled corpus/ folder and the user's added documents into the default index."""
    return build_index(default_sources(), builder_embedder(store.DEFAULT_INDEX, model), ChunkingConfig(), store.DEFAULT_INDEX, progress)


def built_quantize(name: str) -> str | None:
    """The weights index `name` was built with: None (float32) for an index not built yet, or of a
    format this reportqa does not read (it is rebuilt whole)."""
    try:
        return store.read_manifest(name).quantize
    except (IndexMissing, IndexDamaged, IndexMismatch):
        return None


def _older_format(name: str) -> bool:
    """Is the index of a format this reportqa does not read? (Other damage is for `store.load` to report.)"""
    try:
        store.read_manifest(name)
    except IndexMismatch:
        return True
    except IndexDamaged:
        pass
    return False


def builder_embedder(name: str, model: str | None = None, quantize: str | None = None) -> Embedder:
    """The embedder that (re)builds index `name`: `quantize` when given ("none": float32), else the
    weights the index already has, so adding a document never re-embeds the others differently."""
    chosen = built_quantize(name) if quantize is None else quantize
    return load_embedder(model, quantize=None if chosen == "none" else chosen)


def open_searcher(
    name: str = store.DEFAULT_INDEX,
    model: str | None = None,
    build_if_missing: bool = True,
    notify: Callable[[str], None] = log.info,
    fusion: FusionConfig = FusionConfig(),
    chunking: ChunkingConfig | None = ChunkingConfig(),
    qdrant: QdrantTarget | None = None,
) -> Searcher:
    """Load index `name` for `model` (refusing another chunking); the default index is built when absent,
    and rebuilt when an older reportqa made it (the app and the CLI keep working after an upgrade).

    Questions are embedded with the weights the index was built with (float32, or int8 after
    `reportqa index --quantize int8`). With `qdrant`, the index is the collection there (built by
    `reportqa index --store qdrant`).
    """
    expected = None if chunking is None else asdict(chunking)
    if qdrant is not None:
        from reportqa.index.qdrant_store import QdrantStore

        engine = QdrantStore(qdrant, name, model or DEFAULT_MODEL, expected)
        return Searcher(None, load_embedder(model, quantize=engine.manifest.quantize), fusion, store=engine)
    builds_default = build_if_missing and name == store.DEFAULT_INDEX
    if not store.exists(name):
        if not builds_default:
            raise IndexMissing(f"no index named {name!r}; build it: {store.rebuild_hint(name)}")
        notify(f"No index yet: building the index of {default_corpus()} (first use)…")
        build_default(model)
    elif builds_default and _older_format(name):
        notify(f"The index was made by an older reportqa: rebuilding the index of {default_corpus()} and your added documents…")
        build_default(model)
    quantize = built_quantize(name)
    data = store.load(name, model=model or DEFAULT_MODEL, chunking=expected, quantize=quantize)
    return Searcher(data, load_embedder(model, quantize=quantize), fusion)
