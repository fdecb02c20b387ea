"""Question → short cited answer: retrieve, score sentences, compose, or abstain."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import numpy as np
from reportqa import limits
from reportqa.errors import InvalidConfig, LlmUnavailable
from reportqa.index.search import Searcher
from reportqa.index.types import MODES, Mode
from reportqa.ingest.types import Chunk
from reportqa.qa import llm as llm_client
from reportqa.qa.compose import NOT_COVERED, asks_quantity, compose, holds_number, is_list_question
from reportqa.qa.confidence import Calibration, NameCheck, confidence
from reportqa.qa.evidence import Candidate, SentenceTable
from reportqa.qa.followup import contextual_query
from reportqa.qa.lang import detect_lang
from reportqa.qa.types import Answer, Citation

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnswerConfig:
    """Defaults measured on eval/questions.jsonl (README "Answers")."""

    k: int = 5  # chunks retrieved
    mode: Mode = "hybrid"
    max_sentences: int = 3  # for a single answer
    list_items: int = 6  # for a list answer
    margin: float = 0.02  # a sentence joins the answer when it scores within this of the best
    calibration: Calibration = field(default_factory=Calibration)

    def __post_init__(self) -> None:
        if not 1 <= self.k <= limits.MAX_K:
            raise InvalidConfig(f"k must lie in 1…{limits.MAX_K}, not {self.k}")
        if self.mode not in MODES:
            raise InvalidConfig(f"unknown mode {self.mode!r}; choose from {', '.join(MODES)}")
        if self.max_sentences < 1 or self.list_items < 1:
            raise InvalidConfig("an answer needs at least one sentence and one list item")
        if not 0.0 <= self.margin <= 1.0:
            raise InvalidConfig(f"margin must lie in [0, 1], not {self.margin}")


class Answerer:
    """Answers questions over one loaded index."""

    def __init__(self, searcher: Searcher, config: AnswerConfig = AnswerConfig(), llm: llm_client.LlmConfig | None = None):
        self.searcher = searcher
        self.config = config
        self.llm = llm
        self.sentences = SentenceTable(searcher.data)
        self.names = NameCheck(searcher.data)

    def answer(
        self,
        question: str,
        history: list[str] | None = None,
        k: int | None = None,
        mode: Mode | None = None,
        use_llm: bool = True,
    ) -> Answer:
        """Answer `question`; `history` holds the earlier retrieval queries of a chat, newest last."""
        question = limits.question(question)
        k = limits.k(self.config.k if k is None else k)
        mode = limits.mode(self.config.mode if mode is None else mode)
        query = contextual_query(question, history or [])
        lang = detect_lang(question)
        # A follow-up retrieves with its context but picks sentences by what it asks now.
        texts = [query, question] if query != question else [query]
        vectors = self.searcher.embed(texts)
        hits = self.searcher.rank(query, vectors[0], k, mode)
        tokens = self.searcher.data.bm25.tokenize(question)
        wants_number = asks_quantity(question)
        candidates = self.sentences.score(vectors[-1], tokens, hits, wants_number)
        sure = self._confidence(question, lang, candidates, wants_number)
        base = Answer(question=question, text=NOT_COVERED[lang], answerable=False, confidence=sure, lang=lang, query=query)
        if sure < self.config.calibration.threshold:
            return base
        extractive = self._extractive(base, candidates, hits[0].chunk, query, vectors[-1], tokens)
        if self.llm is None or not use_llm:
            return extractive
        return self._generated(extractive, [h.chunk for h in hits], candidates)

    def _confidence(self, question: str, lang: str, candidates: list[Candidate], wants_number: bool) -> float:
        if not candidates:
            return 0.0
        best = candidates[0]
        missing = self.names.missing_share(question, lang)
        return confidence(best.score, lang, missing, self.config.calibration, wants_number and not holds_number(best.text))

    def _extractive(
        self, base: Answer, candidates: list[Candidate], top: Chunk, query: str, vector: np.ndarray, tokens: list[str]
    ) -> Answer:
        as_list = is_list_question(query)
        chosen = self._list_items(candidates, top, vector, set(tokens)) if as_list else self._best_sentences(candidates)
        citations = [Citation(n, c.chunk, c.highlight, c.score) for n, c in enumerate(chosen, 1)]
        text = compose([c.text for c in chosen], base.lang, as_list)
        return replace(base, text=text, answerable=True, citations=citations)

    def _best_sentences(self, candidates: list[Candidate]) -> list[Candidate]:
        """The best sentence and close seconds, by relevance, without repeats."""
        best = candidates[0].score
        chosen: list[Candidate] = []
        for candidate in candidates:
            if candidate.score < best - self.config.margin or len(chosen) == self.config.max_sentences:
                break
            if candidate.text not in {c.text for c in chosen}:
                chosen.append(candidate)
        return chosen

    def _list_items(self, candidates: list[Candidate], top: Chunk, vector: np.ndarray, wanted: set[str]) -> list[Candidate]:
        """One item per paragraph of the top hit's section: its lead sentence, in report order.

        A list's items sit in sibling paragraphs under one heading (the section lift
        put that section first); a paragraph's first sentence names its case even
        when another of its sentences matched better. A section with more paragraphs
        than `list_items` keeps those whose best sentence is closest to the question
        (by cosine: lexical overlap favours the paragraph repeating the heading's words).
        """
        document = self.searcher.data.documents[top.doc_id]
        section = next((s for s in document.sections if s.path == top.section and s.start <= top.start < s.end), None)
        if section is None:
            return self._best_sentences(candidates)
        items: list[tuple[float, Candidate]] = []
        for start, end in _paragraphs(document.text, section.start, section.end):
            rows = self.sentences.rows_within(top.doc_id, start, end)
            if not rows or not _is_sentence(document.text[start:end]):
                continue
            scored = [self.sentences.candidate(r, self._chunk_for(r), 0, vector, wanted) for r in rows]
            items.append((max(c.dense for c in scored), scored[0]))
        keep = sorted(range(len(items)), key=lambda i: -items[i][0])[: self.config.list_items]
        return [items[i][1] for i in sorted(keep)]

    def _chunk_for(self, row: int) -> Chunk:
        """The first chunk holding a sentence's start: what a list item cites."""
        span = self.searcher.data.sentences[row]
        return next(c for c in self.searcher.data.chunks if c.doc_id == span.doc_id and c.start <= span.start < c.end)

    def _generated(self, extractive: Answer, excerpts: list[Chunk], candidates: list[Candidate]) -> Answer:
        """The LLM's answer when it cites valid excerpts; otherwise the extractive one with a notice."""
        assert self.llm is not None
        try:
            raw = llm_client.complete(self.llm, llm_client.build_messages(extractive.question, excerpts, extractive.lang))
        except LlmUnavailable as error:
            log.warning("%s", error)
            return replace(extractive, notice=f"LLM unavailable ({error}); showing the extractive answer.")
        text, cited = llm_client.keep_valid_citations(raw, len(excerpts))
        if not cited:
            return replace(extractive, notice="The LLM answer cited no excerpt; showing the extractive answer.")
        best_in = {}
        for candidate in candidates:  # best first, so the first seen per chunk is its best sentence
            best_in.setdefault(candidate.chunk.id, candidate)
        citations = []
        for new, old in enumerate(cited, 1):
            chunk = excerpts[old - 1]
            top = best_in.get(chunk.id)
            highlight = top.highlight if top else (0, len(chunk.text))
            citations.append(Citation(new, chunk, highlight, top.score if top else 0.0))
        return replace(extractive, text=llm_client.renumber(text, cited), citations=citations, method="llm")


def _is_sentence(paragraph: str) -> bool:
    """Prose, not a table of contents or a label: long enough and ending like a sentence."""
    text = paragraph.strip()
    return len(text) >= 20 and text[-1] in ".?!다)”’\""


def _paragraphs(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of the blank-line separated paragraphs inside [start, end)."""
    spans, cursor = [], start
    for block in text[start:end].split("\n\n"):
        stripped = block.strip()
        if stripped:
            offset = text.index(stripped, cursor)
            spans.append((offset, offset + len(stripped)))
            cursor = offset + len(stripped)
        else:
            cursor += len(block)
    return spans
