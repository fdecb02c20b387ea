"""The vocabulary ingest produces: a cleaned document, the chunks and sentences cut from it."""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Section:
    """A heading and the span of cleaned text it governs (body only, heading excluded)."""

    path: str  # "2. 장기불황을 극복한 중소기업 사례 > ④ 지역적 강점의 활용"
    start: int
    end: int


@dataclass
class Document:
    """One source file after cleaning; every offset in the project points into `text`."""

    doc_id: str  # stable name inside an index, e.g. the file name
    source: str  # path the document was read from
    title: str
    text: str  # cleaned text
    sha256: str  # of the raw bytes, so re-indexing can tell what changed
    sections: list[Section] = field(default_factory=list)
    page_starts: list[int] | None = None  # PDF: offset in `text` where each page begins
    recognised: dict[int, float] = field(default_factory=dict)  # scanned pages (1-based) → OCR confidence (0–1)

    def page_at(self, offset: int) -> int | None:
        """1-based page number holding `offset`, or None for documents without pages."""
        if not self.page_starts:
            return None
        page = 0
        for number, start in enumerate(self.page_starts):
            if start <= offset:
                page = number
        return page + 1


@dataclass(frozen=True)
class SentenceSpan:
    """A sentence of a document, the unit an answer quotes; cut with the chunks (`ingest/chunk.py`)."""

    doc_id: str
    start: int
    end: int


SCANNED_NOTE = "scanned page, text recognised"


@dataclass(frozen=True)
class Chunk:
    """A citable excerpt: `clean_text[start:end] == text` for its document."""

    id: str
    doc_id: str
    title: str
    section: str
    start: int
    end: int
    text: str
    page: int | None = None
    recognised: float | None = None  # read by OCR from a scanned page: Tesseract's confidence for it (0–1)

    @staticmethod
    def make_id(doc_id: str, start: int, end: int) -> str:
        """Stable id from the document and the span, so re-chunking the same text keeps ids."""
        return hashlib.sha1(f"{doc_id}:{start}:{end}".encode()).hexdigest()[:16]

    @property
    def scanned_note(self) -> str:
        """What a citation says of an excerpt OCR read, so the reader knows to check the page."""
        return SCANNED_NOTE if self.recognised is not None else ""

    @property
    def heading(self) -> str:
        """Title and section path: what is indexed beside the text but never cited."""
        return " > ".join(part for part in (self.title, self.section) if part)

    def to_dict(self) -> dict:
        return asdict(self)

    def public_dict(self) -> dict:
        """The fields every JSON output shows for an excerpt (search hits, answer citations)."""
        return {
            "chunk_id": self.id,
            "doc": self.doc_id,
            "title": self.title,
            "section": self.section,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "recognised": self.recognised,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Chunk:
        return cls(**data)


@dataclass(frozen=True)
class SplitDocument:
    """A document cut for indexing: its chunks and its sentences (`ingest/chunk.py: split_document`)."""

    document: Document
    chunks: list[Chunk]
    sentences: list[SentenceSpan]
