"""Build or update an index: only new or changed documents are chunked and embedded."""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm
from reportqa.errors import IndexDamaged, IndexMismatch, IndexMissing
from reportqa.index import store
from reportqa.index.bm25 import Bm25Index
from reportqa.index.dense import DenseIndex
from reportqa.index.embedder import Embedder
from reportqa.index.onnx_embedder import SpanSums
from reportqa.index.partial import PartialParts
from reportqa.index.pooling import stacked, unit_rows, window_sums
from reportqa.index.protocol import DocumentParts, StoreWriter, indexed_text
from reportqa.index.store import IndexData, Manifest
from reportqa.ingest.chunk import ChunkingConfig
from reportqa.ingest.korean import one_paragraph
from reportqa.ingest.load import file_sha256, iter_sources
from reportqa.ingest.pool import Outcome, split_files
from reportqa.ingest.types import Document, SentenceSpan, SplitDocument

log = logging.getLogger(__name__)

# Text embedded per call and per checkpoint: about half a minute on two cores, so a stopped build
# loses at most that, while each call still batches many documents by length.
GROUP_CHARACTERS = 100_000
GROUP_VARIABLE = "REPORTQA_CHECKPOINT_CHARS"  # a smaller group for a slow machine (or a test that stops builds)


@dataclass(frozen=True)
class BuildReport:
    """What a build did, for the CLI to print and tests to check."""

    documents: int
    chunks: int
    embedded_documents: list[str]
    reused_documents: list[str]
    seconds: float
    folder: Path | str  # the version folder, or where a search engine holds the index
    resumed_documents: list[str] = field(default_factory=list)  # embedded by an interrupted build, taken from `index.partial`


def previous_parts(name: str, embedder: Embedder, chunking: dict) -> dict[str, DocumentParts]:
    """Per-document pieces of the live index, when it was made with the same model, weights and chunking."""
    try:
        old = store.load(name, model=embedder.name, chunking=chunking, quantize=embedder.quantize)
    except (IndexMissing, IndexMismatch, IndexDamaged) as error:
        log.info("no reusable index: %s", error)
        return {}
    chunk_rows: dict[str, list[int]] = {}
    for row, chunk in enumerate(old.chunks):
        chunk_rows.setdefault(chunk.doc_id, []).append(row)
    sentence_rows: dict[str, list[int]] = {}
    for row, sentence in enumerate(old.sentences):
        sentence_rows.setdefault(sentence.doc_id, []).append(row)
    parts: dict[str, DocumentParts] = {}
    for doc_id, document in old.documents.items():
        rows = chunk_rows.get(doc_id, [])
        sent_rows = sentence_rows.get(doc_id, [])
        parts[doc_id] = DocumentParts(
            document=document,
            chunks=[old.chunks[i] for i in rows],
            embeddings=old.embeddings[rows],
            sentences=[old.sentences[i] for i in sent_rows],
            sentence_embeddings=None if old.sentence_embeddings is None else old.sentence_embeddings[sent_rows],
            context_embeddings=None if old.context_embeddings is None else old.context_embeddings[sent_rows],
        )
    return parts


def window_rows(document: Document, sentences: list[SentenceSpan]) -> list[tuple[int, int]]:
    """Each sentence's context window as rows [first, last] of `sentences`: the sentence with the
    ones just before and after it in its paragraph, which tells what it says in place. "그의 본명은 …
    이며, 잉글랜드 버밍엄에서 1979년에 태어났다." tells whose birth only together with the sentence
    before it, which names 미스터 허드슨."""
    text = document.text
    joined = [one_paragraph(text, a.end, b.start) for a, b in zip(sentences, sentences[1:])]
    return [
        (i - 1 if i > 0 and joined[i - 1] else i, i + 1 if i + 1 < len(sentences) and joined[i] else i)
        for i in range(len(sentences))
    ]


def embed_documents(pending: list[SplitDocument], embedder: Embedder, progress: bool) -> list[DocumentParts]:
    """Chunks and sentences of all documents in one call, each distinct text once; the context
    windows are pooled from their sentences' token states (`index/pooling.py`), not embedded again.
    The embedder batches texts by length across documents (many small files cost no more than one
    big one), then they are split back."""
    texts: list[str] = []
    for item in pending:
        texts += [indexed_text(c) for c in item.chunks]
        texts += [item.document.text[s.start : s.end] for s in item.sentences]
    # Titles and short lines repeat: each distinct text is embedded once.
    distinct = {text: row for row, text in enumerate(dict.fromkeys(texts))}
    unique_vectors, unique_sums = embedder.embed_passage_spans(list(distinct), [[(0, len(t))] for t in distinct], progress=progress)
    rows = [distinct[text] for text in texts]
    vectors, sums = unique_vectors[rows], [unique_sums[row] for row in rows]
    parts, at = [], 0
    for item in pending:
        n_chunks, n_sentences = len(item.chunks), len(item.sentences)
        chunk_vectors, at = vectors[at : at + n_chunks], at + n_chunks
        sentence_vectors, sentence_sums, at = vectors[at : at + n_sentences], sums[at : at + n_sentences], at + n_sentences
        context_vectors = _window_vectors(item, sentence_vectors, sentence_sums)
        parts.append(DocumentParts(item.document, item.chunks, chunk_vectors, item.sentences, sentence_vectors, context_vectors))
    return parts


def _window_vectors(item: SplitDocument, sentence_vectors: np.ndarray, sentence_sums: list[SpanSums]) -> np.ndarray:
    """Each window's vector from its sentences' token sums; a sentence alone in its window keeps
    its own vector (the one with its prompt and special tokens), as it did when windows were embedded."""
    if not item.sentences:
        return sentence_vectors
    rows = window_rows(item.document, item.sentences)
    vectors = unit_rows(window_sums(stacked(sentence_sums), rows).sums)
    alone = [i for i, (a, b) in enumerate(rows) if a == b]
    vectors[alone] = sentence_vectors[alone]
    return vectors


def assemble(
    parts: list[DocumentParts], embedder: Embedder, chunking: dict, sources: list[str], with_sentences: bool
) -> IndexData:
    """Stack per-document pieces into one searchable index (FAISS and BM25 are rebuilt: cheap)."""
    chunks = [c for p in parts for c in p.chunks]
    if not chunks:
        raise IndexMissing("nothing to index: the documents given hold no text")
    embeddings = np.vstack([p.embeddings for p in parts]).astype(np.float32)
    sentence_embeddings = (
        np.vstack([p.sentence_embeddings for p in parts]).astype(np.float32) if with_sentences else None
    )
    context_embeddings = (
        np.vstack([p.context_embeddings for p in parts]).astype(np.float32) if with_sentences else None
    )
    dense = DenseIndex.build(embeddings)
    manifest = Manifest(
        model=embedder.name,
        dim=embedder.dim,
        quantize=embedder.quantize,
        chunking=chunking,
        documents={p.document.doc_id: p.document.sha256 for p in parts},
        sources=sources,
        dense_kind=dense.kind,
        n_chunks=len(chunks),
        with_sentences=with_sentences,
    )
    return IndexData(
        manifest=manifest,
        documents={p.document.doc_id: p.document for p in parts},
        chunks=chunks,
        embeddings=embeddings,
        dense=dense,
        bm25=Bm25Index.build([indexed_text(c) for c in chunks]),
        sentences=[s for p in parts for s in p.sentences],
        sentence_embeddings=sentence_embeddings,
        context_embeddings=context_embeddings,
    )


class EmbeddedWriter:
    """`StoreWriter` of the embedded files: the live version's parts, saved as a new version on commit."""

    def __init__(self, name: str, embedder: Embedder, chunking: dict):
        self.name = name
        self._embedder = embedder
        self._chunking = chunking
        self._parts = previous_parts(name, embedder, chunking)
        self.location: Path = store.index_folder(name)

    def stored(self) -> dict[str, str]:
        return {d: p.document.sha256 for d, p in self._parts.items() if p.sentence_embeddings is not None}

    def put(self, parts: DocumentParts) -> None:
        self._parts[parts.document.doc_id] = parts

    def remove(self, doc_id: str) -> None:
        self._parts.pop(doc_id, None)

    def commit(self, order: list[str], sources: list[str]) -> Manifest:
        data = assemble([self._parts[d] for d in order], self._embedder, self._chunking, sources, with_sentences=True)
        self.location = store.save(data, self.name)
        return data.manifest


def build_index(
    sources: list[Path],
    embedder: Embedder,
    chunking: ChunkingConfig = ChunkingConfig(),
    name: str = store.DEFAULT_INDEX,
    progress: bool = True,
    writer: StoreWriter | None = None,
    on_file: Callable[[int, int], None] | None = None,
    readers: int | None = None,
    presplit: dict[str, SplitDocument] | None = None,
) -> BuildReport:
    """Index the files and folders given; the index goes live only when every document is in.

    `writer` is where the index goes: the embedded files by default, or a search engine. Unchanged
    documents (same doc_id and sha256) are taken from the live index without being read; the rest
    are read and cut by `readers` worker processes (default: `ingest.pool.reading_workers`) while
    the model embeds, a group of about GROUP_CHARACTERS at a time. Each embedded group is kept
    (`index.partial`), so a build stopped at any moment embeds only what is missing when run
    again. `on_file(done, total)` follows the files to embed, for a progress bar. `presplit` holds
    documents the caller has already read and cut (by doc_id; used while its sha256 matches the file).

    One builder per index name at a time (`store.build_lock`): a second one is refused at once.
    """
    with store.build_lock(name):
        return _build_locked(sources, embedder, chunking, name, progress, writer, on_file, readers, presplit or {})


def _build_locked(
    sources: list[Path],
    embedder: Embedder,
    chunking: ChunkingConfig,
    name: str,
    progress: bool,
    writer: StoreWriter | None,
    on_file: Callable[[int, int], None] | None,
    readers: int | None,
    presplit: dict[str, SplitDocument],
) -> BuildReport:
    started = time.perf_counter()
    files = iter_sources(sources)
    digests = {doc_id: file_sha256(path) for path, doc_id in files}
    writer = writer or EmbeddedWriter(name, embedder, asdict(chunking))
    stored = writer.stored()
    partial = PartialParts(name, embedder.name, embedder.quantize, asdict(chunking))
    reused, resumed, todo = [], [], []
    for path, doc_id in files:
        if stored.get(doc_id) == digests[doc_id]:
            reused.append(doc_id)
            continue
        parts = partial.load(doc_id, digests[doc_id])
        if parts is None:
            todo.append((path, doc_id))
        else:
            writer.put(parts)
            resumed.append(doc_id)
    embedded: list[str] = []
    with tqdm(total=len(todo), desc="indexing", unit="file", disable=not progress or len(todo) < 2) as bar:
        for group in _groups(_splits(todo, digests, presplit, chunking, readers)):
            # One group (a report or a few files): the embedding's own batches are the progress to show.
            for parts in embed_documents(group, embedder, progress=progress and len(group) == len(todo)):
                partial.save(parts)
                writer.put(parts)
                embedded.append(parts.document.doc_id)
            bar.update(len(group))
            if on_file is not None:
                on_file(len(embedded), len(todo))
    order = [doc_id for _, doc_id in files]
    for doc_id in stored.keys() - set(order):
        writer.remove(doc_id)
    manifest = writer.commit(order, [str(s) for s in sources])
    partial.clear()
    seconds = time.perf_counter() - started
    log.info(
        "indexed %d documents (%d embedded, %d reused, %d resumed) in %.2fs", len(order), len(embedded), len(reused), len(resumed), seconds
    )
    return BuildReport(len(order), manifest.n_chunks, embedded, reused, seconds, writer.location, resumed)


def _splits(
    todo: list[tuple[Path, str]], digests: dict[str, str], presplit: dict[str, SplitDocument], chunking: ChunkingConfig, readers: int | None
) -> Iterator[Outcome]:
    """The files to embed, read and cut in order: by the caller already (`presplit`), else by the workers."""
    ready = {doc_id for _, doc_id in todo if doc_id in presplit and presplit[doc_id].document.sha256 == digests[doc_id]}
    read = split_files([(path, doc_id) for path, doc_id in todo if doc_id not in ready], chunking, readers)
    for path, doc_id in todo:
        yield Outcome(path, doc_id, split=presplit[doc_id]) if doc_id in ready else next(read)


def _groups(outcomes: Iterable[Outcome]) -> Iterator[list[SplitDocument]]:
    """Consecutive documents of about GROUP_CHARACTERS ($REPORTQA_CHECKPOINT_CHARS): one embedding call
    (batched by length across them) and one checkpoint each. Groups depend only on the documents and
    that size, so the vectors do too."""
    limit = int(os.environ.get(GROUP_VARIABLE) or GROUP_CHARACTERS)
    group: list[SplitDocument] = []
    size = 0
    for outcome in outcomes:
        if outcome.error is not None:
            raise outcome.error
        group.append(outcome.split)
        size += len(outcome.split.document.text)
        if size >= limit:
            yield group
            group, size = [], 0
    if group:
        yield group
