"""Open a ready-to-search index, building the default one on first use."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict

from reportqa.errors import IndexMissing
from reportqa.index import store
from reportqa.index.build import BuildReport, build_index
from reportqa.index.documents import default_sources
from reportqa.index.embedder import DEFAULT_MODEL, load_embedder
from reportqa.index.fusion import FusionConfig
from reportqa.index.search import Searcher
from reportqa.ingest.chunk import ChunkingConfig
from reportqa.paths import default_corpus

log = logging.getLogger(__name__)


def build_default(model: str | None = None, progress: bool = True) -> BuildReport:
    """Index the bundled corpus/ folder and the user's added documents into the default index."""
    return build_index(default_sources(), load_embedder(model), ChunkingConfig(), store.DEFAULT_INDEX, progress)


def open_searcher(
    name: str = store.DEFAULT_INDEX,
    model: str | None = None,
    build_if_missing: bool = True,
    notify: Callable[[str], None] = log.info,
    fusion: FusionConfig = FusionConfig(),
    chunking: ChunkingConfig | None = ChunkingConfig(),
) -> Searcher:
    """Load index `name` for `model` (refusing another chunking); the default index is built when absent."""
    if not store.exists(name):
        if not (build_if_missing and name == store.DEFAULT_INDEX):
            raise IndexMissing(f"no index named {name!r}; build it: {store.rebuild_hint(name)}")
        notify(f"No index yet: building the index of {default_corpus()} (first use)…")
        build_default(model)
    expected = None if chunking is None else asdict(chunking)
    data = store.load(name, model=model or DEFAULT_MODEL, chunking=expected)
    return Searcher(data, load_embedder(model), fusion)
