"""The same hybrid index in one Qdrant collection: local mode (a folder) or a server/cluster (a URL).

Points of one collection, told apart by the payload field `kind`:
    chunk     id: its position (the document's slot × 2^20 + its number in the document);
              vectors `dense` (the chunk embedding) and `bm25` (sparse, IDF on the server);
              payload: the chunk, its document, its section (key and id) and the section's shape
    sentence  vectors `sentence` and `context`; payload: document, start, end and the positions of
              the chunks holding it (what a chunk's best sentence is grouped by)
    document  no vector; payload: the cleaned document (text, sections, pages), its sentences'
              spans, its name counts, and its squeezed text with that text's 1-3-letter pieces
              (what a question's name is looked up in, index/names.py)
    manifest  no vector; payload: the manifest, the schema version, a version counter, the
              documents' slots, the common names, the BM25 mean length and whether the last build completed
    stats     no vector; payload: the name counts of the whole collection (read by writers only)
Opening the index reads the manifest only; a question fetches its candidates' scores, its hits and
their documents by id or filter, so an app server holds no copy of the collection and sees what
another one added at its next question (the version counter). Fusion and the section lift stay in
the searcher, as for the files.
"""
from __future__ import annotations

import logging
import os
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from reportqa.errors import IndexBusy, IndexMismatch, IndexMissing, ReportQAError, StoreUnavailable
from reportqa.index.fusion import SectionShape, section_shapes
from reportqa.index.names import common_names, name_counts, searchable
from reportqa.index.protocol import DocumentParts, DocumentSentences, indexed_text
from reportqa.index.sparse import document_vector, query_vector, term_id
from reportqa.index.store import Manifest, check_compatible, document_from_row
from reportqa.index.tokenize import bm25_tokens_many
from reportqa.ingest.types import Chunk, SentenceSpan

log = logging.getLogger(__name__)

# Of the collection and its payloads; a reader of another version refuses it
# (2: context vectors; 3: pooled windows; 4: chunk ids are positions, fetched per question;
# 5: Kiwi without its multi-word dictionary, so BM25 terms and sentences as the files have them).
SCHEMA_VERSION = 5
DENSE, SENTENCE, CONTEXT, SPARSE = "dense", "sentence", "context", "bm25"
BATCH = 256  # points per upsert request
PAGE = 1024  # points per scroll request
SLOT_BITS = 20  # a document holds at most 2^20 chunks; its slot numbers the rest of a position
_NAMESPACE = uuid.UUID("5b0f3a52-9b7c-4f7e-9a55-3c1d2e0a7b61")
_MANIFEST_ID = str(uuid.uuid5(_NAMESPACE, "manifest"))
_STATS_ID = str(uuid.uuid5(_NAMESPACE, "stats"))
_HEAVY = ["lengths", "slots"]  # manifest fields only a writer reads


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


def _sentence_id(doc_id: str, start: int, end: int) -> str:
    return _point_id("sentence", doc_id, start, end)


def _document_id(doc_id: str) -> str:
    return _point_id("document", doc_id)


def _match(key: str, value: Any) -> Any:
    from qdrant_client import models

    match = models.MatchAny(any=list(value)) if isinstance(value, list) else models.MatchValue(value=value)
    return models.FieldCondition(key=key, match=match)


def _where(**fields: Any) -> Any:
    """A filter requiring every payload field to equal its value (or one of a list's)."""
    from qdrant_client import models

    return models.Filter(must=[_match(key, value) for key, value in fields.items()])


def _section_key(chunk: Chunk) -> str:
    return f"{chunk.doc_id}\x1f{chunk.section}"


def grams(text: str) -> set[str]:
    """The distinct pieces of 1 to 3 letters of a squeezed text: a name is in a document only if all
    its pieces are (index/names.py looks it up by them, then in the text itself)."""
    return {text[i : i + n] for n in (1, 2, 3) for i in range(len(text) - n + 1)}


def _name_pieces(name: str) -> str:
    """The pieces a document must hold for `name` to be in it: its 3-letter pieces (or itself, when shorter)."""
    return " ".join(sorted({name[i : i + 3] for i in range(len(name) - 2)} or {name}))


def _read_state(client: Any, collection: str, heavy: bool = True) -> dict | None:
    """The manifest point's payload (without the writer's fields unless `heavy`), or None when the collection does not exist."""
    from qdrant_client import models

    if not client.collection_exists(collection):
        return None
    payload = True if heavy else models.PayloadSelectorExclude(exclude=_HEAVY)
    found = client.retrieve(collection, ids=[_MANIFEST_ID], with_payload=payload)
    return found[0].payload if found else None


def _scroll(client: Any, collection: str, where: Any, with_payload: Any = False, with_vectors: Any = False) -> list[Any]:
    """Every point matching a filter, page by page."""
    points, offset = [], None
    while True:
        batch, offset = client.scroll(collection, scroll_filter=where, limit=PAGE, offset=offset, with_payload=with_payload, with_vectors=with_vectors)
        points += batch
        if offset is None:
            return points


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
        client: Any = None,
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
        self.client = client or target.connect()  # an in-memory collection is only reachable through one client
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
        state = self._state
        kept = {d: state["lengths"][d] for d in order if d not in self._pending} if state else {}
        tokens = {d: self._tokenize([indexed_text(c) for c in p.chunks]) for d, p in self._pending.items()}
        lengths = {**kept, **{d: [sum(map(len, t)), len(t)] for d, t in tokens.items()}}
        n_chunks = sum(n for _, n in lengths.values())
        if n_chunks == 0:
            raise IndexMissing("nothing to index: the documents given hold no text")
        mean_length = sum(total for total, _ in lengths.values()) / n_chunks
        documents = {**(state["manifest"]["documents"] if state else {})}
        slots = {d: slot for d, slot in (state["slots"] if state else {}).items() if d in order}
        names, sentences = self._read_stats() if state else (Counter(), 0)
        if state is None:
            self._create()
        else:
            self._write_state(state["manifest"], mean_length=state["mean_length"], lengths=state["lengths"], complete=False, extra=state)
        gone = [d for d in dict.fromkeys([*self._removed, *self._pending]) if d in documents]
        for doc_id, (counts, count) in self._stored_names(gone).items():  # stored before: its counts and points go
            names.subtract(counts)
            sentences -= count
        for doc_id in gone:
            self.client.delete(self.collection, points_selector=_where(doc_id=doc_id), wait=True)
            documents.pop(doc_id)
        for doc_id in order:  # slots in index order: a fresh build's positions order chunks as the files do
            if doc_id in self._pending and doc_id not in slots:
                slots[doc_id] = max(slots.values(), default=-1) + 1
        for doc_id, parts in self._pending.items():
            counts = name_counts([parts.document.text[s.start : s.end] for s in parts.sentences]) if parts.sentences else Counter()
            self._upsert(parts, tokens[doc_id], mean_length, slots[doc_id], counts)
            names.update(counts)
            sentences += len(parts.sentences)
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
            and (not kept or state["manifest"]["with_sentences"]),
        )
        names = +names  # drops the names no document holds any more
        self._write_stats(names, sentences)
        extra = {"slots": slots, "common_names": sorted(common_names(names, sentences)), "version": (state or {}).get("version", 0) + 1}
        self._write_state(asdict(manifest), mean_length=mean_length, lengths={d: lengths[d] for d in order}, complete=True, extra=extra)
        if not self.target.in_memory:  # a local-mode folder admits one client at a time: free it for readers
            self.client.close()
        return manifest

    def _read_stats(self) -> tuple[Counter[str], int]:
        found = self.client.retrieve(self.collection, ids=[_STATS_ID], with_payload=True)
        payload = found[0].payload if found else {"names": {}, "sentences": 0}
        return Counter(payload["names"]), payload["sentences"]

    def _stored_names(self, doc_ids: list[str]) -> dict[str, tuple[Counter[str], int]]:
        """The name counts and sentence counts of stored documents (about to be replaced or removed)."""
        if not doc_ids:
            return {}
        points = self.client.retrieve(self.collection, ids=[_document_id(d) for d in doc_ids], with_payload=["doc_id", "names", "spans"])
        return {p.payload["doc_id"]: (Counter(p.payload["names"]), len(p.payload["spans"])) for p in points}

    def _create(self) -> None:
        from qdrant_client import models

        if self.client.collection_exists(self.collection):
            self.client.delete_collection(self.collection)
        dense = models.VectorParams(size=self._dim, distance=models.Distance.COSINE)
        # Sentence vectors are only scored within a question's candidate chunks (a filtered exact
        # scan), never searched across the collection: no HNSW graph for them, and on disk.
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
            for field in ("section", "chunks"):
                self.client.create_payload_index(self.collection, field, models.PayloadSchemaType.INTEGER)
            pieces = models.TextIndexParams(type=models.TextIndexType.TEXT, tokenizer=models.TokenizerType.WHITESPACE, lowercase=False)
            self.client.create_payload_index(self.collection, "grams", pieces)

    def _write_stats(self, names: Counter[str], sentences: int) -> None:
        from qdrant_client import models

        payload = {"kind": "stats", "names": dict(names), "sentences": sentences}
        self.client.upsert(self.collection, [models.PointStruct(id=_STATS_ID, vector={}, payload=payload)], wait=True)

    def _write_state(self, manifest: dict, mean_length: float, lengths: dict, complete: bool, extra: dict) -> None:
        from qdrant_client import models

        payload = {
            "kind": "manifest",
            "schema": SCHEMA_VERSION,
            "complete": complete,
            "manifest": manifest,
            "mean_length": mean_length,
            "lengths": lengths,  # doc_id -> [morphemes, chunks]: the BM25 mean length after a change
            "slots": extra.get("slots", {}),
            "common_names": extra.get("common_names", []),
            "version": extra.get("version", 0),
        }
        self.client.upsert(self.collection, [models.PointStruct(id=_MANIFEST_ID, vector={}, payload=payload)], wait=True)

    def _upsert(self, parts: DocumentParts, tokens: list[list[str]], mean_length: float, slot: int, names: Counter[str]) -> None:
        from qdrant_client import models

        doc = parts.document
        if len(parts.chunks) >= 1 << SLOT_BITS:
            raise ReportQAError(f"{doc.doc_id}: {len(parts.chunks):,} chunks; the Qdrant store holds at most {1 << SLOT_BITS:,} per document")
        text = searchable(doc.title, doc.text)
        spans = [[s.start, s.end] for s in parts.sentences]
        points = [
            models.PointStruct(
                id=_document_id(doc.doc_id),
                vector={},
                payload={
                    "kind": "document",
                    "doc_id": doc.doc_id,
                    "document": asdict(doc),
                    "spans": spans,
                    "names": dict(names),
                    "searchable": text,
                    "grams": " ".join(sorted(grams(text))),
                },
            )
        ]
        positions = [(slot << SLOT_BITS) + i for i in range(len(parts.chunks))]
        shapes = section_shapes([(c.doc_id, c.section) for c in parts.chunks], positions)
        for chunk, position, shape, vector, terms in zip(parts.chunks, positions, shapes, parts.embeddings, tokens):
            indices, values = document_vector(terms, mean_length)
            payload = {
                "kind": "chunk",
                "doc_id": doc.doc_id,
                "chunk_id": chunk.id,
                "section_key": _section_key(chunk),
                "section": shape.section,
                "shape": asdict(shape),
                "chunk": chunk.to_dict(),
            }
            points.append(models.PointStruct(id=position, vector={DENSE: vector.tolist(), SPARSE: models.SparseVector(indices=indices, values=values)}, payload=payload))
        vectors = parts.sentence_embeddings if parts.sentence_embeddings is not None else []
        contexts = parts.context_embeddings if parts.context_embeddings is not None else []
        for span, vector, context in zip(parts.sentences, vectors, contexts):
            holding = [p for c, p in zip(parts.chunks, positions) if c.start < span.end and span.start < c.end]
            points.append(
                models.PointStruct(
                    id=_sentence_id(doc.doc_id, span.start, span.end),
                    vector={SENTENCE: vector.tolist(), CONTEXT: context.tolist()},
                    payload={"kind": "sentence", **asdict(span), "chunks": holding},
                )
            )
        for start in range(0, len(points), BATCH):
            self.client.upsert(self.collection, points[start : start + BATCH], wait=True)


class QdrantStore:
    """`ChunkStore` and `Evidence` answered by Qdrant: opening reads the manifest only, and each
    question fetches what it needs (its candidates' scores and sections, its hits, their documents
    and sentence vectors) by id or filter."""

    def __init__(self, target: QdrantTarget, index_name: str, model: str | None, chunking: dict | None, client: Any = None):
        self.collection = collection_name(index_name)
        self.client = client or target.connect()  # an in-memory collection is only reachable through its writer's client
        self._hint = rebuild_command(index_name, target)
        self._where = target.describe()
        self._load_state()
        if model is not None:  # questions follow the weights the collection was built with
            check_compatible(self.manifest, index_name, model, chunking, self._hint, quantize=self.manifest.quantize)

    def _load_state(self) -> None:
        state = _read_state(self.client, self.collection, heavy=False)
        if state is None:
            raise IndexMissing(f"no collection {self.collection!r} in qdrant {self._where}; build it: {self._hint}")
        if state.get("schema") != SCHEMA_VERSION:
            raise IndexMismatch(f"collection {self.collection!r} has schema {state.get('schema')}, this reportqa reads {SCHEMA_VERSION}; rebuild it: {self._hint}")
        if not state.get("complete"):
            raise IndexMismatch(f"the last build of collection {self.collection!r} did not finish; rebuild it: {self._hint}")
        self.manifest = Manifest(**state["manifest"])
        self.common_names = frozenset(state["common_names"])
        self.version = state["version"]
        self._shapes: dict[int, SectionShape] = {}  # positions name other chunks after a document is replaced

    def refresh(self) -> None:
        """One small read per question: the version counter; the manifest again when a build changed it."""
        found = self.client.retrieve(self.collection, ids=[_MANIFEST_ID], with_payload=["version", "complete"])
        if found and found[0].payload.get("complete") and found[0].payload.get("version") != self.version:
            self._load_state()

    def _ranked(self, points: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
        """Positions and scores, best first; ties in index order, as the embedded store breaks them."""
        positions = np.array([int(p.id) for p in points], dtype=np.int64)
        scores = np.array([p.score for p in points], dtype=np.float32)
        order = np.lexsort((positions, -scores))
        return positions[order], scores[order]

    def _changed(self) -> IndexBusy:
        """A point the question had found is gone: a build replaced its document meanwhile."""
        return IndexBusy(f"collection {self.collection!r} changed while answering (a build replaced a document); ask again")

    def chunks(self, positions: np.ndarray) -> list[Chunk]:
        found = {int(p.id): p.payload["chunk"] for p in self.client.retrieve(self.collection, ids=[int(p) for p in positions], with_payload=["chunk"])}
        if len(found) < len(set(map(int, positions))):
            raise self._changed()
        return [Chunk.from_dict(found[int(p)]) for p in positions]

    def first_positions(self, n: int) -> np.ndarray:
        batch, _ = self.client.scroll(self.collection, scroll_filter=_where(kind="chunk"), limit=n, with_payload=False)
        return np.array(sorted(int(p.id) for p in batch), dtype=np.int64)

    def positions_of(self, doc_ids: Collection[str]) -> np.ndarray:
        points = _scroll(self.client, self.collection, _where(kind="chunk", doc_id=list(doc_ids)))
        return np.array(sorted(int(p.id) for p in points), dtype=np.int64)

    def sections(self, positions: np.ndarray) -> list[SectionShape]:
        missing = [int(p) for p in positions if int(p) not in self._shapes]
        if missing:
            if len(self._shapes) > 100_000:
                self._shapes = {}
            for point in self.client.retrieve(self.collection, ids=missing, with_payload=["shape"]):
                self._shapes[int(point.id)] = SectionShape(**point.payload["shape"])
        return [self._shapes[int(p)] for p in positions]

    def best_sentences(self, vector: np.ndarray, positions: np.ndarray) -> np.ndarray | None:
        """One grouped query: the best sentence of each candidate chunk, scored by Qdrant."""
        if not self.manifest.with_sentences:
            return None
        best = np.full(len(positions), np.nan, dtype=np.float32)
        if not len(positions):
            return best
        groups = self.client.query_points_groups(
            self.collection,
            group_by="chunks",
            query=vector.tolist(),
            using=SENTENCE,
            query_filter=_where(kind="sentence", chunks=[int(p) for p in positions]),
            limit=len(positions),
            group_size=1,
            with_payload=False,
        ).groups
        where = {int(p): i for i, p in enumerate(positions)}
        for group in groups:
            if int(group.id) in where:
                best[where[int(group.id)]] = group.hits[0].score
        return best

    def dense_top(self, vector: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        return self._ranked(self.client.query_points(self.collection, query=vector.tolist(), using=DENSE, limit=n).points)

    def bm25_top(self, tokens: list[str], n: int) -> tuple[np.ndarray, np.ndarray]:
        if not tokens:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        return self._ranked(self.client.query_points(self.collection, query=_sparse(tokens), using=SPARSE, limit=n).points)

    def scores(self, vector: np.ndarray | None, tokens: list[str], positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Both scores of the candidates in one round trip: two queries restricted to their ids."""
        from qdrant_client import models

        if len(positions) == 0:  # documents chosen that the index does not hold
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.float32)
        only = models.Filter(must=[models.HasIdCondition(has_id=[int(p) for p in positions])])
        queries = {DENSE: None if vector is None else vector.tolist(), SPARSE: _sparse(tokens) if tokens else None}
        asked = [name for name, query in queries.items() if query is not None]
        requests = [models.QueryRequest(query=queries[name], using=name, filter=only, limit=len(positions)) for name in asked]
        answers = dict(zip(asked, self.client.query_batch_points(self.collection, requests))) if requests else {}
        where = {int(p): i for i, p in enumerate(positions)}
        columns = []
        for name in (DENSE, SPARSE):
            column = np.zeros(len(positions), dtype=np.float32)
            if name in answers:
                found, values = self._ranked(answers[name].points)
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
        """Every chunk of the seeds' sections, fetched with a payload filter on the section id."""
        sections = sorted({shape.section for shape in self.sections(positions)})
        members = _scroll(self.client, self.collection, _where(kind="chunk", section=sections))
        return np.array(sorted(int(p.id) for p in members), dtype=np.int64)

    def documents(self, doc_ids: Collection[str]) -> dict[str, DocumentSentences]:
        points = self.client.retrieve(self.collection, ids=[_document_id(d) for d in doc_ids], with_payload=["doc_id", "document", "spans"])
        found = {p.payload["doc_id"]: p.payload for p in points}
        return {
            d: DocumentSentences(document_from_row(found[d]["document"]), [(start, end) for start, end in found[d]["spans"]])
            for d in doc_ids
            if d in found
        }

    def sentence_vectors(self, spans: Sequence[SentenceSpan]) -> tuple[np.ndarray, np.ndarray | None]:
        ids = [_sentence_id(s.doc_id, s.start, s.end) for s in spans]
        found = {str(p.id): p.vector for p in self.client.retrieve(self.collection, ids=ids, with_vectors=[SENTENCE, CONTEXT])}
        if len(found) < len(set(ids)):
            raise self._changed()
        own = np.array([found[i][SENTENCE] for i in ids], dtype=np.float32).reshape(len(ids), self.manifest.dim)
        context = np.array([found[i][CONTEXT] for i in ids], dtype=np.float32).reshape(len(ids), self.manifest.dim)
        return own, context

    def chunk_vectors(self, chunks: Sequence[Chunk]) -> np.ndarray | None:
        points = _scroll(self.client, self.collection, _where(kind="chunk", chunk_id=[c.id for c in chunks]), ["chunk_id"], [DENSE])
        found = {p.payload["chunk_id"]: p.vector[DENSE] for p in points} if points else {}
        return np.array([found[c.id] for c in chunks if c.id in found], dtype=np.float32).reshape(-1, self.manifest.dim)

    def section_chunks(self, doc_id: str, section: str) -> list[Chunk]:
        points = _scroll(self.client, self.collection, _where(kind="chunk", section_key=f"{doc_id}\x1f{section}"), with_payload=["chunk"])
        return [Chunk.from_dict(p.payload["chunk"]) for p in sorted(points, key=lambda p: int(p.id))]

    def mentions(self, name: str) -> bool:
        """Documents holding all the name's 3-letter pieces (a text filter on their pieces), then the name itself in their text."""
        from qdrant_client import models

        pieces = models.Filter(must=[_match("kind", "document"), models.FieldCondition(key="grams", match=models.MatchText(text=_name_pieces(name)))])
        offset = None
        while True:
            batch, offset = self.client.scroll(self.collection, scroll_filter=pieces, limit=4, offset=offset, with_payload=["searchable"])
            if any(name in p.payload["searchable"] for p in batch):
                return True
            if offset is None:
                return False

    def close(self) -> None:
        self.client.close()


def _sparse(tokens: list[str]) -> Any:
    from qdrant_client import models

    indices, values = query_vector(tokens)
    return models.SparseVector(indices=indices, values=values)
