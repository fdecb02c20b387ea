"""Question → short cited answer, in stages: read the question (qa/question.py), score the retrieved
sentences (qa/evidence.py), decide how sure (qa/confidence.py), select what to quote (qa/select.py),
compose with citations (qa/cards.py, qa/compose.py), optionally rewrite with an LLM (qa/llm.py)."""
from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from reportqa import limits
from reportqa.errors import InvalidConfig
from reportqa.index.protocol import Evidence
from reportqa.index.search import Searcher
from reportqa.index.types import Hit
from reportqa.limits import MODES, Mode
from reportqa.ingest.types import Chunk
from reportqa.qa import llm as llm_client
from reportqa.qa.bridge import WordBridge, names as english_names
from reportqa.qa.cards import cite
from reportqa.qa.compose import NOT_COVERED, compose
from reportqa.qa.confidence import Calibration, NameCheck, after_recognition, evidence_confidence
from reportqa.qa.evidence import Candidate, ChoiceWeights, Readings, Scored, SentenceTable
from reportqa.qa.followup import resolve
from reportqa.qa.lang import detect_lang
from reportqa.qa.question import Question, read_question
from reportqa.qa.reader import load_reader, row_pair
from reportqa.qa.select import Selection, select
from reportqa.qa.types import Answer


@dataclass(frozen=True)
class AnswerConfig:
    """Defaults fitted on eval/questions.jsonl and KorQuAD together (docs/evaluation.md, "The sweep")."""

    k: int = 5  # chunks retrieved
    mode: Mode = "hybrid"
    # Times the reader's probability, added to a candidate's choice. 0: the shipped reader lowers every
    # set at every weight tried (docs/lab-notebook.md, 2026-12-07), so it is off unless asked for.
    reader_weight: float = 0.0
    read_candidates: int = 8  # the best candidates by the other cues that the reader reads
    reranker: Path | None = None  # a sentence-transformers CrossEncoder folder read instead of the shipped reader (qa/reader/)
    selection: Selection = field(default_factory=Selection)
    weights: ChoiceWeights = field(default_factory=ChoiceWeights)
    calibration: Calibration = field(default_factory=Calibration)

    def __post_init__(self) -> None:
        if not 1 <= self.k <= limits.MAX_K:
            raise InvalidConfig(f"k must lie in 1…{limits.MAX_K}, not {self.k}")
        if self.mode not in MODES:
            raise InvalidConfig(f"unknown mode {self.mode!r}; choose from {', '.join(MODES)}")
        if self.reader_weight < 0 or self.read_candidates < 1:
            raise InvalidConfig("reader_weight cannot be negative, and the reader reads at least one candidate")
        if self.reranker is not None and not self.reader_weight:
            raise InvalidConfig("a reranker is read only with reader_weight above 0")


# A user's reranker all but decides the choice: its probabilities span 0…1 where the other cues differ by hundredths.
USER_READER_WEIGHT = 1.0


def answer_config(reranker: str | Path | None) -> AnswerConfig:
    """The default answer settings, reading with the user's reranker folder when one is given."""
    return AnswerConfig(reranker=Path(reranker), reader_weight=USER_READER_WEIGHT) if reranker else AnswerConfig()


class Answerer:
    """Answers questions over one loaded index."""

    def __init__(self, searcher: Searcher, config: AnswerConfig = AnswerConfig(), llm: llm_client.LlmConfig | None = None):
        self.searcher = searcher
        self.config = config
        self.llm = llm
        self.reader = load_reader(config.reranker) if config.reader_weight else None
        self.evidence: Evidence = searcher.store
        self.names = NameCheck(self.evidence)
        self.readings = Readings()
        self.bridge = WordBridge(searcher.embed_passages)

    def answer(
        self,
        question: str,
        history: Sequence[Answer] = (),
        k: int | None = None,
        mode: Mode | None = None,
        use_llm: bool = True,
        docs: Collection[str] | None = None,
    ) -> Answer:
        """Answer `question`; `history` holds the chat's earlier answers, oldest first;
        `docs` limits the search to those documents (doc_ids)."""
        question = limits.question(question)
        k = limits.k(self.config.k if k is None else k)
        mode = limits.mode(self.config.mode if mode is None else mode)
        context = resolve(question, history)
        query = context.query
        if context.orphaned:
            lang = detect_lang(question)
            return Answer(question=question, text=NOT_COVERED[lang], answerable=False, confidence=0.0, lang=lang, query=query)
        # A follow-up retrieves with its context but picks sentences by what it asks now.
        texts = [query, question] if query != question else [query]
        vectors = self.searcher.embed(texts)
        hits = self.searcher.rank(query, vectors[0], k, mode, docs, read_question(query).tokens)
        return self.answer_hits(question, query, vectors[-1], hits, use_llm)

    def conversation(self, questions: Sequence[str], k: int | None = None, mode: Mode | None = None, use_llm: bool = True) -> list[Answer]:
        """Answer questions in turn as one chat: each sees the earlier answers as its history."""
        answers: list[Answer] = []
        for question in questions:
            answers.append(self.answer(question, history=answers, k=k, mode=mode, use_llm=use_llm))
        return answers

    def answer_from(self, question: str, chunks: list[Chunk]) -> Answer:
        """Answer from given passages instead of retrieved ones (evaluation: the answer step alone)."""
        vector = self.searcher.embed([limits.question(question)])[0]
        hits = [Hit(rank, 1.0, chunk) for rank, chunk in enumerate(chunks, 1)]
        return self.answer_hits(question, question, vector, hits, use_llm=False)

    def table(self, doc_ids: Collection[str]) -> SentenceTable:
        """The sentences of these documents, as an answer reads them (fetched from the store)."""
        return SentenceTable.of(self.evidence, doc_ids, self.readings)

    def answer_hits(self, question: str, query: str, vector: np.ndarray, hits: list[Hit], use_llm: bool = False) -> Answer:
        """Choose and compose sentences of retrieved `hits` (query: what was searched), or abstain:
        read the question, score the candidate sentences, decide how sure, select, compose."""
        asked, searched = read_question(question), read_question(query)
        scored = self._score(asked, vector, hits)
        sure = evidence_confidence(self.names, asked, searched, scored, self.config.calibration)
        base = Answer(question=question, text=NOT_COVERED[asked.lang], answerable=False, confidence=sure, lang=asked.lang, query=query)
        if sure < self.config.calibration.threshold:
            return base
        chosen, as_list = select(scored.table, scored.candidates, asked, searched.wants_list, self.config.selection, self.config.weights.retrieval)
        citations, numbers = cite(chosen, scored.table.documents)
        text = compose([(c.text, n) for c, n in zip(chosen, numbers)], asked.lang, as_list)
        extractive = replace(base, text=text, answerable=True, citations=citations, confidence=after_recognition(sure, [c.chunk for c in citations]))
        if self.llm is None or not use_llm:
            return extractive
        return llm_client.rewritten(self.llm, extractive, [h.chunk for h in hits], scored.candidates)

    def _score(self, asked: Question, vector: np.ndarray, hits: list[Hit]) -> Scored:
        """The candidate sentences of the hits, best first."""
        table = self.table(h.chunk.doc_id for h in hits)
        english = asked.lang == "en"
        # An English question's words, translated to the passages' Korean, count in the lexical overlap;
        # its names, translated, must stand by the number a quantity question is answered with.
        weights = self.config.weights
        translations = self.bridge.translations(asked.text, table.korean_words(hits), weights.bridge_cosine, weights.bridge_margin) if english else {}
        named = tuple(translations[n] for n in english_names(asked.text) if n in translations) if asked.quantity is not None else ()
        # Comparing an English question with Korean sentences is symmetric, sentence with sentence: embedded
        # as a passage too, the question chooses its translation more often than as a query. It reads
        # sentences alone, not in their context windows: its cross-lingual cosines to a three-sentence
        # Korean window separate answerable from unanswerable and right from wrong less well (docs/how-it-works.md, "Relevance and choice").
        choice_vector = self.searcher.embed_passages([asked.text])[0] if english else None
        scored = table.score(
            vector, asked.tokens, hits, asked.quantity, asked.intent, weights, translations.values(), choice_vector, in_place=not english
        )
        near = "\n".join(hit.chunk.text for hit in hits)
        return Scored(table, self._read(asked.text, table, scored), near, self._passage_support(vector, hits), named)

    def _read(self, question: str, table: SentenceTable, candidates: list[Candidate]) -> list[Candidate]:
        """The reader's probability that each of the best candidates answers, added to their choice."""
        if self.reader is None or not candidates:
            return candidates
        best, rest = candidates[: self.config.read_candidates], candidates[self.config.read_candidates :]
        probabilities = self.reader.probabilities([row_pair(question, table, c.position) for c in best])
        read = [replace(c, choice=c.choice + self.config.reader_weight * float(p)) for c, p in zip(best, probabilities)]
        return sorted([*read, *rest], key=lambda c: -c.choice)

    def _passage_support(self, vector: np.ndarray, hits: list[Hit]) -> float | None:
        """The best cosine of the hits' chunk vectors (None when the store keeps none)."""
        embeddings = self.evidence.chunk_vectors([h.chunk for h in hits]) if hits else None
        return float(np.max(embeddings @ vector)) if embeddings is not None and len(embeddings) else None
