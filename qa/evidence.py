"""Candidate sentences for an answer: how close each is to the question (relevance, which confidence
reads) and how well it answers it (choice, which picks the quoted sentences).

Each sentence was embedded at index time twice, alone and with its neighbours in the paragraph (its
context window), so scoring a question's candidates costs two dot products each; Kiwi reads a
sentence when a question first touches it (kept for the next). A Korean question reads a sentence in
place (mostly its window's cosine): a sentence whose subject or time lies in the sentence before
("그의 본명은 … 1979년에 태어났다.") scores with it.
Choice adds to relevance what cosine similarity misses: the sentence's neighbours (a fact sits in a
passage about it), the question's own names and numbers, a name when the question asks for one, and
a definition when it asks what a term stands for. The weights are fitted on the report's question set
and KorQuAD together (docs/evaluation.md, "The sweep").
"""
from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, replace

import numpy as np
from reportqa.index.names import names_of
from reportqa.index.protocol import DocumentSentences, Evidence
from reportqa.index.tokenize import content_forms
from reportqa.index.types import Hit
from reportqa.ingest.korean import kiwi, one_paragraph
from reportqa.ingest.types import Chunk, Document, SentenceSpan
from reportqa.qa.intent import Intent
from reportqa.qa.quantity import Quantity

_HANGUL_WORD = re.compile(r"[가-힣]{2,}")
_DEFINES = re.compile(
    r"[A-Za-z]{2,}\s*[:：]\s*[A-Z]|\b[A-Z]{2,}\s*\(\s*[A-Z][a-z]|의 약자|약칭|줄임말|(이)?란\s|(이)?라(고|는)\s*(한다|부른다|불린다|일컫)"
    r"|(을|를)\s*(말|뜻|의미)한다|stands? for",
)


@dataclass(frozen=True)
class ChoiceWeights:
    """How a sentence's relevance is made (the first three: what confidence reads too), and how much
    each cue adds to it when choosing what to quote."""

    lexical: float = 0.1  # relevance: the cosine read in place, plus this per unit of lexical overlap (share of the question's morphemes it holds)
    context_share: float = 0.7  # read in place, this share of the cosine is its context window's (swept: docs/lab-notebook.md, round 6)
    number_bonus: float = 0.08  # a quantity question prefers sentences holding a number of the kind asked by this much
    context: float = 0.05  # times the best cosine of its neighbours in the same paragraph (swept)
    names: float = 0.0  # times the share of the question's names and numbers it contains (swept: hurts)
    entity: float = 0.02  # when the question asks for a name and it names something specific
    definition: float = 0.05  # when the question asks for a definition and it is shaped like one (0 and .05 tie in the sweep)
    rank: float = 0.005  # times the rank of its chunk among the hits, minus one (a cost)
    retrieval: float = 0.02  # times how far its chunk's retrieval score lies below the top hit's, as a share of it (a cost)
    bridge_cosine: float = 0.4  # an English word's Korean translation needs at least this centred cosine (qa/bridge.py)…
    bridge_margin: float = 0.1  # …and this much above the runner-up


@dataclass(frozen=True)
class Candidate:
    """A sentence of the document, seen through the chunk that will be cited for it."""

    position: int  # row in the index's sentence table
    chunk: Chunk
    hit_rank: int
    start: int  # offsets into the cleaned document
    end: int
    score: float  # relevance: what confidence reads
    dense: float
    lexical: float
    choice: float = 0.0  # relevance plus the answer cues: what picks the quoted sentences
    novelty: float = 1.0  # share of its content words the question lacks (0: it only restates the question)
    behind: float = 0.0  # how far its chunk's retrieval score lies below the top hit's, as a share of it

    @property
    def highlight(self) -> tuple[int, int]:
        """The sentence's span inside the chunk text."""
        return max(self.start, self.chunk.start) - self.chunk.start, min(self.end, self.chunk.end) - self.chunk.start

    @property
    def text(self) -> str:
        s, e = self.highlight
        return self.chunk.text[s:e].strip()


@dataclass(frozen=True)
class Scored:
    """One question's evidence, scored: what deciding how sure and selecting read."""

    table: SentenceTable
    candidates: list[Candidate]  # best first by choice
    near: str  # the retrieved passages' text, where a misspelt name of the question may be found
    passage: float | None  # the best cosine of the hits' chunk vectors (None when the store keeps none)
    named: tuple[str, ...] = ()  # an English quantity question's names, in the passages' Korean


@dataclass(frozen=True)
class SentenceFacts:
    """What scoring needs of one sentence."""

    tokens: frozenset[str]  # content morphemes (as BM25 matches them)
    names: frozenset[str]  # proper nouns, foreign words, hanja, numbers (lower-cased)
    defines: bool  # shaped like a definition ("GNT : Global Niche Top", "…의 약자")


FACTS_KEPT = 50_000  # sentences analysed, kept per answerer (a chat asks about the same passages again)
PARAGRAPHS_KEPT = 1_000  # documents whose paragraphs are numbered, kept per answerer


class Readings:
    """What answering reads of sentences and documents once and keeps, per answerer: Kiwi's reading
    of each sentence (by text, analysed in one batch when a question first touches it) and each
    document's paragraph numbers (by document and content hash)."""

    def __init__(self) -> None:
        self._facts: dict[str, SentenceFacts] = {}
        self._paragraphs: dict[tuple[str, str], list[int]] = {}

    def paragraphs(self, document: Document, spans: list[tuple[int, int]]) -> list[int]:
        """Per sentence of the document, a paragraph number from 0: sentences share one when no
        blank line lies between them."""
        key = (document.doc_id, document.sha256)
        known = self._paragraphs
        if key not in known:
            if len(known) >= PARAGRAPHS_KEPT:
                known = {}  # replaced, not cleared: a lookup in another thread keeps its dict
            numbers, current = [], 0
            for i, (start, _) in enumerate(spans):
                current += bool(i) and not one_paragraph(document.text, spans[i - 1][1], start)
                numbers.append(current)
            known[key] = numbers
            self._paragraphs = known
        return known[key]

    def facts(self, texts: Collection[str]) -> dict[str, SentenceFacts]:
        known = self._facts
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            if len(known) + len(missing) > FACTS_KEPT:
                known = {}  # replaced, not cleared: a lookup in another thread keeps its dict
            for text, tokens in zip(missing, kiwi().tokenize(missing)):
                content = frozenset(content_forms((t.form, t.tag) for t in tokens))
                known[text] = SentenceFacts(content, names_of(tokens), bool(_DEFINES.search(text)))
            self._facts = known
        return {t: known[t] for t in texts}


class SentenceTable:
    """The sentences of the documents one question touches, with their morphemes and names, looked up
    by chunk span. Vectors are fetched from the store for the rows scored, Kiwi reads a sentence when
    first needed: nothing is read of documents the question does not touch."""

    def __init__(self, documents: dict[str, DocumentSentences], evidence: Evidence, readings: Readings):
        self.documents = {d: v.document for d, v in documents.items()}
        self.spans = [SentenceSpan(d, start, end) for d, v in documents.items() for start, end in v.spans]
        self._evidence = evidence
        self._readings = readings
        # Paragraph numbers, distinct across the documents (each one's run after the previous one's).
        self.paragraph: list[int] = []
        for v in documents.values():
            start = self.paragraph[-1] + 1 if self.paragraph else 0
            self.paragraph += [start + n for n in readings.paragraphs(v.document, v.spans)]
        self._rows_by_doc: dict[str, list[int]] = {}
        for row, span in enumerate(self.spans):
            self._rows_by_doc.setdefault(span.doc_id, []).append(row)
        self._own: dict[int, np.ndarray] = {}
        self._context: dict[int, np.ndarray | None] = {}

    @classmethod
    def of(cls, evidence: Evidence, doc_ids: Collection[str], readings: Readings | None = None) -> SentenceTable:
        """The table of the given documents (in the order given)."""
        return cls(evidence.documents(list(dict.fromkeys(doc_ids))), evidence, readings or Readings())

    def fetch(self, rows: Collection[int]) -> None:
        """Fetch the vectors of these rows in one request, and read them with Kiwi in one batch."""
        self._fetch_vectors(rows)
        self._readings.facts([self.text(r) for r in rows])

    def _fetch_vectors(self, rows: Collection[int]) -> None:
        missing = sorted(set(rows) - set(self._own))
        if missing:
            own, context = self._evidence.sentence_vectors([self.spans[r] for r in missing])
            for i, row in enumerate(missing):
                self._own[row] = own[i]
                self._context[row] = None if context is None else context[i]

    def vector(self, row: int) -> np.ndarray:
        if row not in self._own:
            self._fetch_vectors([row])
        return self._own[row]

    def cosine(self, row: int, vector: np.ndarray, context_share: float, in_place: bool = True) -> float:
        """The sentence's cosine to `vector`, read in place: `context_share` of it its context
        window's, so a sentence that answers only with its neighbour ("그의 본명은 … 1979년에
        태어났다.") scores with it. Its own cosine alone when not `in_place` or when the index has
        no context vectors."""
        own = float(self.vector(row) @ vector)
        context = self._context[row]
        if not in_place or context is None:
            return own
        return (1.0 - context_share) * own + context_share * float(context @ vector)

    def text(self, row: int) -> str:
        span = self.spans[row]
        return self.documents[span.doc_id].text[span.start : span.end]

    def facts(self, row: int) -> SentenceFacts:
        text = self.text(row)
        return self._readings.facts([text])[text]

    def specific_names(self, row: int) -> frozenset[str]:
        """The sentence's proper nouns that are rare in the index: names of particular things."""
        common = self._evidence.common_names
        return frozenset(n for n in self.facts(row).names if n not in common and not n.isdigit())

    def paragraph_rows(self, row: int) -> list[int]:
        """The sentences of the row's paragraph, in text order."""
        first = last = row
        while first > 0 and self.paragraph[first - 1] == self.paragraph[row]:
            first -= 1
        while last + 1 < len(self.paragraph) and self.paragraph[last + 1] == self.paragraph[row]:
            last += 1
        return list(range(first, last + 1))

    def paragraph_text(self, row: int) -> str:
        """The row's paragraph, after its document's title (which names what the paragraph is about)."""
        title = self.documents[self.spans[row].doc_id].title
        return "\n".join([title, *(self.text(r) for r in self.paragraph_rows(row))])

    def neighbours(self, row: int) -> list[int]:
        """The sentences just before and after, within the same paragraph."""
        return [r for r in (row - 1, row + 1) if 0 <= r < len(self.paragraph) and self.paragraph[r] == self.paragraph[row]]

    def rows_within(self, doc_id: str, start: int, end: int) -> list[int]:
        """Sentences overlapping [start, end) of a document, in text order."""
        return [r for r in self._rows_by_doc.get(doc_id, []) if self.spans[r].start < end and self.spans[r].end > start]

    def section_chunks(self, doc_id: str, section: str) -> list[Chunk]:
        """Every chunk of one section of a document, in text order (from the store)."""
        return self._evidence.section_chunks(doc_id, section)

    def korean_words(self, hits: list[Hit]) -> set[str]:
        """The Hangul content morphemes (two syllables or more) of the hits' sentences."""
        rows = {r for hit in hits for r in self.rows_within(hit.chunk.doc_id, hit.chunk.start, hit.chunk.end)}
        return {w for r in rows for w in self.facts(r).tokens if _HANGUL_WORD.fullmatch(w)}

    def candidate(
        self,
        row: int,
        chunk: Chunk,
        hit_rank: int,
        vector: np.ndarray,
        wanted: set[str],
        weights: ChoiceWeights,
        behind: float = 0.0,
        in_place: bool = True,
    ) -> Candidate:
        """Relevance of one sentence: its cosine to the question (read in place unless told not to), plus lexical overlap."""
        span = self.spans[row]
        tokens = self.facts(row).tokens
        dense = self.cosine(row, vector, weights.context_share, in_place)
        lexical = _share(wanted, tokens, wanted)
        score = dense + weights.lexical * lexical
        novelty = len(tokens - wanted) / len(tokens) if tokens and wanted else 1.0
        return Candidate(row, chunk, hit_rank, span.start, span.end, score, dense, lexical, score, novelty, behind)

    def score(
        self,
        vector: np.ndarray,
        question_tokens: list[str],
        hits: list[Hit],
        quantity: Quantity | None = None,
        intent: Intent | None = None,
        weights: ChoiceWeights = ChoiceWeights(),
        translated: Collection[str] = (),
        choice_vector: np.ndarray | None = None,
        in_place: bool = True,
    ) -> list[Candidate]:
        """Every sentence of the hits' chunks, best choice first; a sentence in two chunks is cited from the better-ranked.

        `translated`: Korean words an English question's words translate to (qa/bridge.py); they count in
        the lexical overlap for choice only, so confidence keeps reading what the question itself shares.
        `choice_vector`: another embedding of the question whose cosines choose instead of `vector`'s
        (an English question embedded as a passage, qa/answer.py); relevance still reads `vector`.
        `in_place`: read each sentence with its context window (`cosine`); an English question reads
        sentences alone (qa/answer.py)."""
        wanted = set(question_tokens)
        top = max((hit.score for hit in hits), default=0.0)
        within = {hit.chunk.id: self.rows_within(hit.chunk.doc_id, hit.chunk.start, hit.chunk.end) for hit in hits}
        rows = {r for found in within.values() for r in found}
        self.fetch(rows | {n for r in rows for n in self.neighbours(r)} if weights.context else rows)
        seen: dict[int, Candidate] = {}
        for hit in hits:
            behind = 1.0 - hit.score / top if top > 0 else 0.0
            for row in within[hit.chunk.id]:
                if row not in seen:
                    seen[row] = self.candidate(row, hit.chunk, hit.rank, vector, wanted, weights, behind, in_place)
        candidates = list(seen.values())
        if quantity is not None:
            candidates = [replace(c, score=c.score + weights.number_bonus) if quantity.held_by(c.text) else c for c in candidates]
        chooser = vector if choice_vector is None else choice_vector
        bridged = set(translated) - wanted
        candidates = [
            replace(
                c,
                choice=c.score
                + (float(self.vector(c.position) @ chooser) - c.dense if choice_vector is not None else 0.0)
                + weights.lexical * _share(bridged, self.facts(c.position).tokens, wanted | bridged)
                + self._cues(c, intent, weights, chooser if weights.context else None),
            )
            for c in candidates
        ]
        return sorted(candidates, key=lambda c: -c.choice)

    def _cues(self, c: Candidate, intent: Intent | None, weights: ChoiceWeights, chooser: np.ndarray | None) -> float:
        """What the answer cues add to a candidate's relevance (`chooser`: the vector neighbours are read against)."""
        bonus = -weights.rank * (c.hit_rank - 1) - weights.retrieval * c.behind
        if chooser is not None:
            bonus += weights.context * max((float(self.vector(r) @ chooser) for r in self.neighbours(c.position)), default=0.0)
        if intent is None:
            return bonus
        facts = self.facts(c.position)
        text = self.text(c.position).lower()
        if intent.names:
            bonus += weights.names * sum(name in text for name in intent.names) / len(intent.names)
        if intent.wants_entity and self.specific_names(c.position) - set(intent.names):
            bonus += weights.entity
        if intent.wants_definition and facts.defines:
            bonus += weights.definition
        return bonus


def _share(words: set[str], tokens: frozenset[str], among: set[str]) -> float:
    """How many of `words` the sentence's `tokens` hold, as a share of `among` (0 when there are no words)."""
    return len(words & tokens) / len(among) if words else 0.0
