"""The same hybrid index in one Qdrant collection: local mode (a folder) or a server/cluster (a URL).

Points of one collection, told apart by the payload field `kind`:
    chunk     vectors `dense` (the chunk embedding) and `bm25` (sparse, IDF on the server);
              payload: the chunk, its document and its section key
    sentence  vector `sentence`; payload: document, start, end (what answers quote)
    document  no vector; payload: the cleaned document (text, sections, pages)
    manifest  no vector; payload: the manifest, the schema version, the BM25 mean length and
              whether the last build completed
Qdrant ranks and filters; fusion and the section lift stay in the searcher, as for the files.
"""
from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from reportqa.errors import IndexMismatch, IndexMissing, ReportQAError, StoreUnavailable
from reportqa.index.protocol import DocumentParts, indexed_text
from reportqa.index.sparse import document_vector, query_vector, term_id
from reportqa.index.store import IndexData, Manifest, check_compatible, document_from_row
from reportqa.index.tokenize import bm25_tokens_many
from reportqa.ingest.types import Chunk, SentenceSpan

log = logging.getLogger(__name__)

SCHEMA_VERSION = 3  # of the collection and its payloads; a reader of another version refuses it (2: context vectors; 3: pooled)
DENSE, SENTENCE, CONTEXT, SPARSE = "dense", "sentence", "context", "bm25"
BATCH = 256  # points per upsert request
_NAMESPACE = uuid.UUID("5b0f3a52-9b7c-4f7e-9a55-3c1d2e0a7b61")
_MANIFEST_ID = str(uuid.uuid5(_NAMESPACE, "manifest"))


@dataclass(frozen=True)
class QdrantTarget:
    """Where the collection lives: a local-mode folder, or a server URL (with an optional API key).

    `in_memory`: local mode without a folder (the benchmark; nothing persists).
    """

    path: Path | None = None
    url: str | None = None
    api_key: str | None = None
    in_memory: bool = False
    shards: int | None = None  # of a new collection on a cluster (docs/scale.md); None: the server's default
    replicas: int | None = None

    @classmethod
    def from_options(cls, path: Path | None, url: str | None) -> QdrantTarget:
        """CLI flags first, then REPORTQA_QDRANT_URL / REPORTQA_QDRANT_API_KEY."""
        url = url or os.environ.get("REPORTQA_QDRANT_URL") or None
        if path is not None and url is not None:
            raise ReportQAError("give either --qdrant-path or --qdrant-url (REPORTQA_QDRANT_URL), not both")
        if path is None and url is None:
            raise ReportQAError("--store qdrant needs --qdrant-path DIR (local mode) or --qdrant-url URL")
        return cls(
            path=path,
            url=url,
            api_key=os.environ.get("REPORTQA_QDRANT_API_KEY") or None,
            shards=_positive_env("REPORTQA_QDRANT_SHARDS"),
            replicas=_positive_env("REPORTQA_QDRANT_REPLICAS"),
        )

    def connect(self) -> Any:
        """A client that has answered once: a missing package, a dead server or a locked folder is one line."""
        try:
            from qdrant_client import QdrantClient
        except ImportError as error:
            raise StoreUnavailable("the Qdrant store needs qdrant-client: pip install 'reportqa[qdrant]'") from error
        try:
            if self.url is not None:
                client = QdrantClient(url=self.url, api_key=self.api_key, timeout=30)
            elif self.in_memory:
                client = QdrantClient(location=":memory:")
            else:
                assert self.path is not None
                self.path.mkdir(parents=True, exist_ok=True)
                client = QdrantClient(path=str(self.path))
            client.get_collections()
        except Exception as error:  # connection refused, auth, or "already accessed by another instance"
            raise StoreUnavailable(f"cannot open qdrant {self.describe()}: {str(error).splitlines()[0] if str(error) else type(error).__name__}") from error
        return client

    def describe(self) -> str:
        return self.url or ("(in memory)" if self.in_memory else str(self.path))

    def flags(self) -> str:
        return f"--qdrant-url {self.url}" if self.url else f"--qdrant-path {self.path}"


def _positive_env(name: str) -> int | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ReportQAError(f"{name} must be a whole number of at least 1, not {value!r}")
    return int(value)


def collection_name(index_name: str) -> str:
    return f"reportqa-{index_name}"


def rebuild_command(index_name: str, target: QdrantTarget) -> str:
    name = "" if index_name == "default" else f" --index {index_name}"
    return f"reportqa index --store qdrant {target.flags()}{name} PATH ..."


def _point_id(*parts: object) -> str:
    return str(uuid.uuid5(_NAMESPACE, ":".join(map(str, parts))))


def _doc_filter(doc_id: str) -> Any:
    from qdrant_client import models

    return models.Filter(must=[models.FieldCondition(key="doc_id", match=models.MatchValue(value=doc_id))])


def _kind_filter(kind: str) -> Any:
    from qdrant_client import models

    return models.Filter(must=[models.FieldCondition(key="kind", match=models.MatchValue(value=kind))])


def _section_key(chunk: Chunk) -> str:
    return f"{chunk.doc_id}\x1f{chunk.section}"


def _read_state(client: Any, collection: str) -> dict | None:
    """The manifest point's payload, or None when the collection does not exist."""
    if not client.collection_exists(collection):
        return None
    found = client.retrieve(collection, ids=[_MANIFEST_ID], with_payload=True)
    return found[0].payload if found else None


class QdrantWriter:
    """`StoreWriter` into one collection: a changed document is deleted by filter and upserted.

    `tokenize` turns chunk texts into BM25 morphemes (Kiwi; the benchmark's synthetic text splits on spaces).
    """

    def __init__(
        self,
        target: QdrantTarget,
        index_name: str,
        model: str,
        dim: int,
        chunking: dict,
        tokenize: Callable[[list[str]], list[list[str]]] = bm25_tokens_many,
        quantize: str | None = None,
    ):
        self.target = target
        self.index_name = index_name
        self.collection = collection_name(index_name)
        self.location = f"qdrant {target.describe()} collection {self.collection}"
        self._model, self._dim, self._quantize = model, dim, quantize
        self._chunking = chunking
        self._tokenize = tokenize
        self._pending: dict[str, DocumentParts] = {}
        self._removed: list[str] = []
        self.client = target.connect()
        self._state = self._reusable_state()

    def _reusable_state(self) -> dict | None:
        """The stored state when its schema, model and chunking match; else the collection is recreated."""
        state = _read_state(self.client, self.collection)
        if state is None:
            return None
        manifest = state["manifest"]
        same = (
            state.get("schema") == SCHEMA_VERSION
            and state.get("complete")
            and manifest["model"] == self._model
            and manifest.get("quantize") == self._quantize
            and manifest["chunking"] == self._chunking
        )
        if not same:
            log.info("collection %s is not reusable (schema, model, weights, chunking or an interrupted build): recreating", self.collection)
        return state if same else None

    def stored(self) -> dict[str, str]:
        """Stored documents, unless stored without sentence vectors (a build indexes sentences)."""
        manifest = self._state["manifest"] if self._state else None
        return dict(manifest["documents"]) if manifest and manifest["with_sentences"] else {}

    def put(self, parts: DocumentParts) -> None:
        self._pending[parts.document.doc_id] = parts

    def remove(self, doc_id: str) -> None:
        self._removed.append(doc_id)

    def commit(self, order: list[str], sources: list[str]) -> Manifest:
        """Mark the collection incomplete, replace changed documents, then write the manifest."""
        kept = {d: (self._state["lengths"][d]) for d in order if d not in self._pending} if self._state else {}
        tokens = {d: self._tokenize([indexed_text(c) for c in p.chunks]) for d, p in self._pending.items()}
        lengths = {**kept, **{d: [sum(map(len, t)), len(t)] for d, t in tokens.items()}}
        n_chunks = sum(n for _, n in lengths.values())
        if n_chunks == 0:
            raise IndexMissing("nothing to index: the documents given hold no text")
        mean_length = sum(total for total, _ in lengths.values()) / n_chunks
        documents = {**(self._state["manifest"]["documents"] if self._state else {})}
        if self._state is None:
            self._create()
        else:
            self._write_state(self._state["manifest"], self._state["mean_length"], self._state["lengths"], complete=False)
        for doc_id in [*self._removed, *self._pending]:
            if doc_id in documents:  # stored before: its old points go (a filter scan per document)
                self.client.delete(self.collection, points_selector=_doc_filter(doc_id), wait=True)
                documents.pop(doc_id)
        for doc_id, parts in self._pending.items():
            self._upsert(parts, tokens[doc_id], mean_length)
            documents[doc_id] = parts.document.sha256
        manifest = Manifest(
            model=self._model,
            dim=self._dim,
            quantize=self._quantize,
            chunking=self._chunking,
            documents={d: documents[d] for d in order},
            sources=sources,
            dense_kind="qdrant-hnsw",
            n_chunks=n_chunks,
            with_sentences=all(p.sentence_embeddings is not None for p in self._pending.values())
            and (not kept or self._state["manifest"]["with_sentences"]),
        )
        self._write_state(asdict(manifest), mean_length, {d: lengths[d] for d in order}, complete=True)
        if not self.target.in_memory:  # a local-mode folder admits one client at a time: free it for readers
            self.client.close()
        return manifest

    def _create(self) -> None:
        from qdrant_client import models

        if self.client.collection_exists(self.collection):
            self.client.delete_collection(self.collection)
        dense = models.VectorParams(size=self._dim, distance=models.Distance.COSINE)
        # Sentence vectors are read once when an app server opens the index, never searched:
        # no HNSW graph for them, and on disk rather than in the server's memory.
        sentence = models.VectorParams(
            size=self._dim, distance=models.Distance.COSINE, hnsw_config=models.HnswConfigDiff(m=0), on_disk=True
        )
        self.client.create_collection(
            self.collection,
            vectors_config={DENSE: dense, SENTENCE: sentence, CONTEXT: sentence},
            sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
            shard_number=self.target.shards,
            replication_factor=self.target.replicas,
        )
        if self.target.url is not None:  # local mode has no payload indexes (and says so)
            for field in ("kind", "doc_id", "section_key", "chunk_id"):
                self.client.create_payload_index(self.collection, field, models.PayloadSchemaType.KEYWORD)

    def _write_state(self, manifest: dict, mean_length: float, lengths: dict, complete: bool) -> None:
        from qdrant_client import models

        payload = {
            "kind": "manifest",
            "schema": SCHEMA_VERSION,
            "complete": complete,
            "manifest": manifest,
            "mean_length": mean_length,
            "lengths": lengths,  # doc_id -> [morphemes, chunks]: the BM25 mean length after a change
        }
        self.client.upsert(self.collection, [models.PointStruct(id=_MANIFEST_ID, vector={}, payload=payload)], wait=True)

    def _upsert(self, parts: DocumentParts, tokens: list[list[str]], mean_length: float) -> None:
        from qdrant_client import models

        doc = parts.document
        points = [models.PointStruct(id=_point_id("document", doc.doc_id), vector={}, payload={"kind": "document", "doc_id": doc.doc_id, "document": asdict(doc)})]
        for chunk, vector, terms in zip(parts.chunks, parts.embeddings, tokens):
            indices, values = document_vector(terms, mean_length)
            points.append(
                models.PointStruct(
                    id=_point_id("chunk", chunk.id),
                    vector={DENSE: vector.tolist(), SPARSE: models.SparseVector(indices=indices, values=values)},
                    payload={"kind": "chunk", "doc_id": doc.doc_id, "chunk_id": chunk.id, "section_key": _section_key(chunk), "chunk": chunk.to_dict()},
                )
            )
        vectors = parts.sentence_embeddings if parts.sentence_embeddings is not None else []
        contexts = parts.context_embeddings if parts.context_embeddings is not None else []
        for span, vector, context in zip(parts.sentences, vectors, contexts):
            points.append(
                models.PointStruct(
                    id=_point_id("sentence", doc.doc_id, span.start, span.end),
                    vector={SENTENCE: vector.tolist(), CONTEXT: context.tolist()},
                    payload={"kind": "sentence", **asdict(span)},
                )
            )
        for start in range(0, len(points), BATCH):
            self.client.upsert(self.collection, points[start : start + BATCH], wait=True)


class QdrantStore:
    """`ChunkStore` answered by Qdrant; `data` holds what answering reads, loaded once from the collection."""

    def __init__(self, target: QdrantTarget, index_name: str, model: str | None, chunking: dict | None, client: Any = None):
        self.collection = collection_name(index_name)
        self.client = client or target.connect()  # an in-memory collection is only reachable through its writer's client
        hint = rebuild_command(index_name, target)
        state = _read_state(self.client, self.collection)
        if state is None:
            raise IndexMissing(f"no collection {self.collection!r} in qdrant {target.describe()}; build it: {hint}")
        if state.get("schema") != SCHEMA_VERSION:
            raise IndexMismatch(f"collection {self.collection!r} has schema {state.get('schema')}, this reportqa reads {SCHEMA_VERSION}; rebuild it: {hint}")
        if not state.get("complete"):
            raise IndexMismatch(f"the last build of collection {self.collection!r} did not finish; rebuild it: {hint}")
        self.manifest = Manifest(**state["manifest"])
        if model is not None:  # questions follow the weights the collection was built with
            check_compatible(self.manifest, index_name, model, chunking, hint, quantize=self.manifest.quantize)
        self.data = self._load()
        self._positions = {c.id: i for i, c in enumerate(self.data.chunks)}
        self._point_ids = [_point_id("chunk", c.id) for c in self.data.chunks]

    def _scroll(self, kind: str, with_vectors: bool | list[str] = False) -> list[Any]:
        points, offset = [], None
        while True:
            batch, offset = self.client.scroll(self.collection, scroll_filter=_kind_filter(kind), limit=1024, offset=offset, with_payload=True, with_vectors=with_vectors)
            points += batch
            if offset is None:
                return points

    def _load(self) -> IndexData:
        """Documents, chunks and sentences in build order (documents as the manifest lists them, text order within)."""
        order = {d: i for i, d in enumerate(self.manifest.documents)}
        documents = {p.payload["doc_id"]: document_from_row(p.payload["document"]) for p in self._scroll("document")}
        chunks = sorted((Chunk.from_dict(p.payload["chunk"]) for p in self._scroll("chunk")), key=lambda c: (order[c.doc_id], c.start, c.end))
        sentences = sorted(self._scroll("sentence", with_vectors=[SENTENCE, CONTEXT]), key=lambda p: (order[p.payload["doc_id"]], p.payload["start"]))
        spans = [SentenceSpan(p.payload["doc_id"], p.payload["start"], p.payload["end"]) for p in sentences]
        vectors, contexts = (
            np.array([p.vector[kind] for p in sentences], dtype=np.float32).reshape(len(sentences), self.manifest.dim) for kind in (SENTENCE, CONTEXT)
        )
        return IndexData(
            manifest=self.manifest,
            documents={d: documents[d] for d in self.manifest.documents},
            chunks=chunks,
            embeddings=None,
            dense=None,
            bm25=None,
            sentences=spans,
            sentence_embeddings=vectors if self.manifest.with_sentences else None,
            context_embeddings=contexts if self.manifest.with_sentences else None,
        )

    def _ranked(self, response: Any) -> tuple[np.ndarray, np.ndarray]:
        """Positions and scores, best first; ties in index order, as the embedded store breaks them."""
        positions = np.array([self._positions[p.payload["chunk_id"]] for p in response.points], dtype=np.int64)
        scores = np.array([p.score for p in response.points], dtype=np.float32)
        order = np.lexsort((positions, -scores))
        return positions[order], scores[order]

    def dense_top(self, vector: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        return self._ranked(self.client.query_points(self.collection, query=vector.tolist(), using=DENSE, limit=n, with_payload=["chunk_id"]))

    def bm25_top(self, tokens: list[str], n: int) -> tuple[np.ndarray, np.ndarray]:
        if not tokens:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        return self._ranked(self.client.query_points(self.collection, query=_sparse(tokens), using=SPARSE, limit=n, with_payload=["chunk_id"]))

    def scores(self, vector: np.ndarray, tokens: list[str], positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Both scores of the candidates in one round trip: two queries restricted to their ids."""
        from qdrant_client import models

        if len(positions) == 0:  # documents chosen that the index does not hold
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.float32)

        only = models.Filter(must=[models.HasIdCondition(has_id=[self._point_ids[int(p)] for p in positions])])
        queries = {DENSE: None if vector is None else vector.tolist(), SPARSE: _sparse(tokens) if tokens else None}
        asked = [name for name, query in queries.items() if query is not None]
        requests = [
            models.QueryRequest(query=queries[name], using=name, filter=only, limit=len(positions), with_payload=["chunk_id"])
            for name in asked
        ]
        answers = dict(zip(asked, self.client.query_batch_points(self.collection, requests))) if requests else {}
        where = {int(p): i for i, p in enumerate(positions)}
        columns = []
        for name in (DENSE, SPARSE):
            column = np.zeros(len(positions), dtype=np.float32)
            if name in answers:
                found, values = self._ranked(answers[name])
                column[[where[int(p)] for p in found]] = values
            columns.append(column)
        return columns[0], columns[1]

    def coverage(self, tokens: list[str]) -> float:
        """Share of morphemes some chunk holds: one single-term sparse query per distinct morpheme, batched."""
        from qdrant_client import models

        if not tokens:
            return 0.0
        distinct = sorted(set(tokens))
        requests = [
            models.QueryRequest(query=models.SparseVector(indices=[term_id(t)], values=[1.0]), using=SPARSE, limit=1)
            for t in distinct
        ]
        present = {t for t, r in zip(distinct, self.client.query_batch_points(self.collection, requests)) if r.points}
        return sum(t in present for t in tokens) / len(tokens)

    def section_members(self, positions: np.ndarray) -> np.ndarray:
        """Every chunk of the seeds' sections, fetched with a payload filter on the section key."""
        from qdrant_client import models

        keys = sorted({_section_key(self.data.chunks[int(p)]) for p in positions})
        section = models.Filter(must=[models.FieldCondition(key="section_key", match=models.MatchAny(any=keys))])
        members, offset = [], None
        while True:
            batch, offset = self.client.scroll(self.collection, scroll_filter=section, limit=1024, offset=offset, with_payload=["chunk_id"])
            members += [self._positions[p.payload["chunk_id"]] for p in batch]
            if offset is None:
                return np.array(sorted(members), dtype=np.int64)

    def close(self) -> None:
        self.client.close()


def _sparse(tokens: list[str]) -> Any:
    from qdrant_client import models

    indices, values = query_vector(tokens)
    return models.SparseVector(indices=indices, values=values)
