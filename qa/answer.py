"""Question → short cited answer: retrieve, score sentences, compose, or abstain."""
from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from reportqa import limits
from reportqa.errors import InvalidConfig, LlmUnavailable
from reportqa.index.protocol import Evidence
from reportqa.index.search import Searcher
from reportqa.index.types import Hit
from reportqa.limits import MODES, Mode
from reportqa.ingest.types import Chunk
from reportqa.qa import llm as llm_client
from reportqa.qa.compose import NOT_COVERED, compose
from reportqa.qa.confidence import Calibration, NameCheck, Signals, after_recognition, confidence
from reportqa.qa.bridge import WordBridge, names as english_names
from reportqa.qa.cards import cite
from reportqa.qa.evidence import Candidate, ChoiceWeights, Readings, SentenceTable
from reportqa.qa.followup import resolve
from reportqa.qa.intent import Intent
from reportqa.qa.places import best_per_place, enumeration_after, frames
from reportqa.qa.quantity import Quantity
from reportqa.qa.question import Question, read_question
from reportqa.qa.reader import load_reader, row_pair
from reportqa.qa.subject import moved_to, with_subject
from reportqa.qa.lang import detect_lang
from reportqa.qa.types import Answer, Citation

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnswerConfig:
    """Defaults fitted on eval/questions.jsonl and KorQuAD together (docs/evaluation.md, "The sweep")."""

    k: int = 5  # chunks retrieved
    mode: Mode = "hybrid"
    max_sentences: int = 3  # for a single answer
    list_items: int = 6  # for a list answer
    margin: float = 0.02  # a sentence joins a single answer when it is chosen within this of the best
    place_margin: float = 0.1  # …or within this, when it sits in the best sentence's paragraph
    list_margin: float = 0.04  # a list answer needs a second place whose best sentence is within this of the best
    section_margin: float = 0.15  # …and its items are the best place's section's places within this of the best (round 6)
    restating: float = 0.2  # a best sentence whose share of words the question lacks is at most this brings its neighbour
    # Times the reader's probability, added to a candidate's choice. 0: the shipped reader lowers every
    # set at every weight tried (docs/lab-notebook.md, 2026-12-07), so it is off unless asked for.
    reader_weight: float = 0.0
    read_candidates: int = 8  # the best candidates by the other cues that the reader reads
    reranker: Path | None = None  # a sentence-transformers CrossEncoder folder read instead of the shipped reader (qa/reader/)
    weights: ChoiceWeights = field(default_factory=ChoiceWeights)
    calibration: Calibration = field(default_factory=Calibration)

    def __post_init__(self) -> None:
        if not 1 <= self.k <= limits.MAX_K:
            raise InvalidConfig(f"k must lie in 1…{limits.MAX_K}, not {self.k}")
        if self.mode not in MODES:
            raise InvalidConfig(f"unknown mode {self.mode!r}; choose from {', '.join(MODES)}")
        if self.max_sentences < 1 or self.list_items < 1:
            raise InvalidConfig("an answer needs at least one sentence and one list item")
        if self.reader_weight < 0 or self.read_candidates < 1:
            raise InvalidConfig("reader_weight cannot be negative, and the reader reads at least one candidate")
        if self.reranker is not None and not self.reader_weight:
            raise InvalidConfig("a reranker is read only with reader_weight above 0")
        for name in ("margin", "place_margin", "list_margin", "section_margin", "restating"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise InvalidConfig(f"{name} must lie in [0, 1], not {getattr(self, name)}")


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
        self.names = NameCheck(self.evidence, config.calibration)
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
        """Choose and compose sentences of retrieved `hits` (query: what was searched), or abstain."""
        asked, searched = read_question(question), read_question(query)
        lang, intent, quantity = asked.lang, asked.intent, asked.quantity
        several = searched.wants_list or intent.wants_entity
        pool = [*hits, *self._section_siblings(hits)] if several else hits
        table = self.table(h.chunk.doc_id for h in pool)
        tokens = asked.tokens
        # An English question's words, translated to the passages' Korean, count in the lexical overlap;
        # its names, translated, must stand by the number a quantity question is answered with.
        translations = self.bridge.translations(question, table.korean_words(pool)) if lang == "en" else {}
        named = [translations[name] for name in english_names(question) if name in translations] if quantity is not None else []
        # Comparing an English question with Korean sentences is symmetric, sentence with sentence: embedded
        # as a passage too, the question chooses its translation more often than as a query. It reads
        # sentences alone, not in their context windows: its cross-lingual cosines to a three-sentence
        # Korean window separate answerable from unanswerable and right from wrong less well (docs/how-it-works.md, "Relevance and choice").
        choice_vector = self.searcher.embed_passages([question])[0] if lang == "en" else None
        candidates = self._read(question, table, table.score(
            vector, tokens, pool, quantity, intent, self.config.weights, translations.values(), choice_vector, in_place=lang != "en"
        ))
        near = "\n".join(hit.chunk.text for hit in pool)
        sure = self._confidence(searched, lang, table, candidates, quantity, self._passage_support(vector, hits), near, named)
        base = Answer(question=question, text=NOT_COVERED[lang], answerable=False, confidence=sure, lang=lang, query=query)
        if sure < self.config.calibration.threshold:
            return base
        extractive = self._extractive(base, table, candidates, searched.wants_list, intent, quantity)
        if self.llm is None or not use_llm:
            return extractive
        return self._generated(extractive, [h.chunk for h in hits], candidates)

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

    def _confidence(
        self,
        question: Question,
        lang: str,
        table: SentenceTable,
        candidates: list[Candidate],
        quantity: Quantity | None,
        passage: float | None,
        near: str,
        named: Sequence[str] = (),
    ) -> float:
        """`near`: the retrieved passages' text, where a misspelt name of the question may be found."""
        if not candidates:
            return 0.0
        best = max(candidates, key=lambda c: c.score)  # relevance, not choice: the calibration reads it
        names = self.names.read(question, lang, near)
        # The number must be about what the question names: "2012년 한국의 중소기업 수" is not answered
        # by a paragraph counting Japan's firms in 2012, nor "How many … does Germany have?" by one
        # about a firm's exports (`named`: an English question's names in the passages' Korean).
        # The number may sit in a sentence next to the best one, so the best sentence's paragraph is read.
        lacks_number = False
        if quantity is not None:
            paragraph = table.paragraph_text(best.position)
            holds_number = any(quantity.held_by(table.text(r)) for r in table.paragraph_rows(best.position))
            about_names = names.all_in(paragraph) and all(name in paragraph for name in named)
            lacks_number = not (holds_number and about_names)
        signals = Signals(best.score, passage, names.missing_share, lacks_number, names.all_named)
        return confidence(signals, lang, self.config.calibration)

    def _extractive(
        self, base: Answer, table: SentenceTable, candidates: list[Candidate], wants_list: bool, intent: Intent, quantity: Quantity | None
    ) -> Answer:
        items = self._list_items(table, self._uncosted(candidates), intent) if wants_list else []
        as_list = len(items) >= 2
        picked = self._with_enumerations(table, items if as_list else self._best_sentences(table, candidates, intent, quantity))
        # A sentence still opening with "이들은"/"it" after this (its subject lies in another excerpt)
        # is quoted all the same: passing over it for the other chosen sentences cost KorQuAD 17
        # answers of 5,774 and changed nothing else (docs/lab-notebook.md, 2026-12-07).
        chosen = _distinct([with_subject(c, table) for c in picked])
        citations, numbers = cite(chosen, table.documents)
        text = compose([(c.text, n) for c, n in zip(chosen, numbers)], base.lang, as_list)
        sure = after_recognition(base.confidence, [c.chunk for c in citations])
        return replace(base, text=text, answerable=True, citations=citations, confidence=sure)

    def _uncosted(self, candidates: list[Candidate]) -> list[Candidate]:
        """Candidates chosen without the retrieval cost, best first: a list gathers the places that answer
        comparably, wherever retrieval ranked them; the cost only decides which one place a single answer quotes."""
        cost = self.config.weights.retrieval
        return sorted((replace(c, choice=c.choice + cost * c.behind) for c in candidates), key=lambda c: -c.choice)

    def _with_enumerations(self, table: SentenceTable, chosen: list[Candidate]) -> list[Candidate]:
        """Each chosen sentence followed by the enumerated sentences it announces ("4가지 유형으로 정리할
        수 있다. 첫째, … 둘째, …"): the announcement alone names none of the items."""
        out: list[Candidate] = []
        for candidate in chosen:
            out.append(candidate)
            rows = enumeration_after(table, candidate.position)[: self.config.list_items]
            out += [m for m in (moved_to(table, candidate, r) for r in rows) if m is not None and m.position not in {c.position for c in chosen}]
        return out

    def _section_siblings(self, hits: list[Hit]) -> list[Hit]:
        """The other chunks of the top hit's section, ranked with it: a question asking for several
        names or cases finds them in sibling paragraphs under one heading."""
        if not hits:
            return []
        top, taken = hits[0], {h.chunk.id for h in hits}
        return [Hit(top.rank, top.score, c) for c in self.evidence.section_chunks(top.chunk.doc_id, top.chunk.section) if c.id not in taken]

    def _best_sentences(self, table: SentenceTable, candidates: list[Candidate], intent: Intent, quantity: Quantity | None) -> list[Candidate]:
        """The best sentence and close seconds, by choice, without repeats."""
        best, paragraph = candidates[0].choice, table.paragraph
        chosen: list[Candidate] = []
        for candidate in candidates:
            if candidate.choice < best - max(self.config.margin, self.config.place_margin) or len(chosen) == self.config.max_sentences:
                break
            same_place = paragraph[candidate.position] == paragraph[candidates[0].position]
            close = candidate.choice >= best - (self.config.place_margin if same_place else self.config.margin)
            if close and candidate.text not in {c.text for c in chosen}:
                chosen.append(candidate)
        return self._with_news(table, chosen, candidates, intent, quantity)

    def _with_news(
        self, table: SentenceTable, chosen: list[Candidate], candidates: list[Candidate], intent: Intent, quantity: Quantity | None
    ) -> list[Candidate]:
        """A best sentence that cannot hold what is asked is quoted with the neighbour that may.

        Either it only restates the question (at most `restating` of its words are new: "백령도 근해에 …
        기뢰에 의해 천안함이 침몰했다는 주장이다." for "… 기뢰에 의해 천안함이 침몰했다고 주장하는 가설은?"), and
        its best-chosen neighbour comes along ("기뢰사고설로는 …"). Or no chosen sentence holds the kind of
        thing asked — a name beyond the question's own, a number of the kind — and the best one's
        best neighbour that does comes along ("그러나 전쟁과 같은 비상 시국일 경우, … 모든 정당이 내각에
        참여하는 경우가 있다." for "…을 무엇이라고 하는가?" brings "이때 세워지는 정부 내각을 거국일치내각
        (擧國一致內閣)이라고 부른다.")."""
        best = chosen[0]
        restates = best.novelty <= self.config.restating
        if not restates and any(_holds_kind(table, c.position, intent, quantity) for c in chosen):
            return chosen
        rows = {r for r in table.neighbours(best.position) if restates or _holds_kind(table, r, intent, quantity)}
        rows -= {c.position for c in chosen}
        scored = [c for c in candidates if c.position in rows]
        neighbour = scored[0] if scored else next((m for m in (moved_to(table, best, r) for r in sorted(rows)) if m is not None), None)
        if neighbour is None:
            return chosen
        return [best, neighbour, *chosen[1:]][: self.config.max_sentences]

    def _list_items(self, table: SentenceTable, candidates: list[Candidate], intent: Intent) -> list[Candidate]:
        """One item per place, in document order, when at least two places of one section answer comparably; else empty.

        A place is a paragraph, ranked by its best sentence; sentences framing a section (its
        introduction, a closing summary) are never items. Once two places are within `list_margin`,
        the items are the places of the best one's section within `section_margin`, when there are
        two or more: a list's cases sit under one heading. Places in different sections or documents
        that answer alike ("…을 수상한 곳은?" over several paragraphs about one person) are one answer
        found again, not several cases, and get a single answer. When the question asks for names, a
        place must name something specific, and its item is the first sentence of the paragraph that
        does (it names the case).
        """
        places = best_per_place([c for c in candidates if not frames(table, c.position)], table)
        if intent.wants_entity:
            places = [named for named in (_naming_sentence(table, p) for p in places) if named is not None]
        if len(places) < 2 or places[1].choice < places[0].choice - self.config.list_margin:
            return []
        top = places[0]
        siblings = [
            p
            for p in places
            if (p.chunk.doc_id, p.chunk.section) == (top.chunk.doc_id, top.chunk.section) and p.choice >= top.choice - self.config.section_margin
        ]
        return sorted(siblings[: self.config.list_items], key=lambda c: (c.chunk.doc_id, c.start)) if len(siblings) >= 2 else []

    def _generated(self, extractive: Answer, excerpts: list[Chunk], candidates: list[Candidate]) -> Answer:
        """The LLM's answer when it cites valid excerpts; an abstention when it finds no answer in them
        (it reads what the sentences say, which similarity cannot); otherwise the extractive one with a notice."""
        assert self.llm is not None
        try:
            raw = llm_client.complete(self.llm, llm_client.build_messages(extractive.question, excerpts, extractive.lang))
        except LlmUnavailable as error:
            log.warning("%s", error)
            return replace(extractive, notice=f"LLM unavailable ({error}); showing the extractive answer.")
        if llm_client.declines(raw):
            return replace(
                extractive,
                text=NOT_COVERED[extractive.lang],
                answerable=False,
                confidence=0.0,
                citations=[],
                method="llm",
                notice="The LLM found no answer in the excerpts.",
            )
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


def _holds_kind(table: SentenceTable, row: int, intent: Intent, quantity: Quantity | None) -> bool:
    """Does the sentence hold the kind of thing the question asks for (a number of the kind, a new name)?"""
    if quantity is not None:
        return quantity.held_by(table.text(row))
    if intent.wants_entity:
        return bool(table.specific_names(row) - set(intent.names))
    return True


def _naming_sentence(table: SentenceTable, place: Candidate) -> Candidate | None:
    """The first sentence of the place's paragraph that names something specific, cited with the place's score."""
    row = next((r for r in table.paragraph_rows(place.position) if table.specific_names(r)), None)
    return None if row is None else moved_to(table, place, row)


def _distinct(chosen: list[Candidate]) -> list[Candidate]:
    """Each sentence once: one that another chosen span already quotes (a subject brought in may be one
    of them) gives way to that span, which takes the earlier of their places in the answer."""
    out: list[Candidate] = []
    for c in chosen:
        container = next(
            (d for d in chosen if d.chunk.doc_id == c.chunk.doc_id and d.start <= c.start and c.end <= d.end and (d.start, d.end) != (c.start, c.end)),
            c,
        )
        if container not in out:
            out.append(container)
    return out
