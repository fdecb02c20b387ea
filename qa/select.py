"""Which sentences an answer quotes, once its candidates are scored: one place or several, and what
each chosen sentence brings along (a close second, the neighbour holding what it only announces or
restates, the enumerated items it stands for, the subject it refers back to)."""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

from reportqa.errors import InvalidConfig
from reportqa.qa.evidence import Candidate, SentenceTable
from reportqa.qa.intent import Intent
from reportqa.qa.places import best_per_place, enumeration_after, frames
from reportqa.qa.quantity import Quantity
from reportqa.qa.question import Question
from reportqa.qa.subject import moved_to, with_subject


@dataclass(frozen=True)
class Selection:
    """How many sentences an answer quotes and how close to the best they must be (swept: docs/evaluation.md, "The sweep")."""

    max_sentences: int = 3  # for a single answer
    list_items: int = 6  # for a list answer
    margin: float = 0.02  # a sentence joins a single answer when it is chosen within this of the best
    place_margin: float = 0.1  # …or within this, when it sits in the best sentence's paragraph
    list_margin: float = 0.04  # a list answer needs a second place whose best sentence is within this of the best
    section_margin: float = 0.15  # …and its items are the best place's section's places within this of the best (round 6)
    restating: float = 0.2  # a best sentence whose share of words the question lacks is at most this brings its neighbour
    look_back: int = 3  # sentences before a quote that refers back searched for the name it means, within its paragraph
    min_framed: int = 3  # paragraphs a section needs before its first one counts as an introduction (never a list item)

    def __post_init__(self) -> None:
        if min(self.max_sentences, self.list_items, self.look_back, self.min_framed) < 1:
            raise InvalidConfig("an answer needs at least one sentence and one list item; look_back and min_framed are at least 1")
        for field in fields(self):
            if field.type == "float" and not 0.0 <= getattr(self, field.name) <= 1.0:
                raise InvalidConfig(f"{field.name} must lie in [0, 1], not {getattr(self, field.name)}")


def select(
    table: SentenceTable, candidates: list[Candidate], asked: Question, wants_list: bool, selection: Selection, retrieval_cost: float
) -> tuple[list[Candidate], bool]:
    """The sentences to quote, in answer order, and whether they are a list's items. `candidates`
    come best first by choice; `retrieval_cost` is the part of their choice that a list ignores."""
    items = _list_items(table, _uncosted(candidates, retrieval_cost), asked.intent, selection) if wants_list else []
    as_list = len(items) >= 2
    picked = items if as_list else _best_sentences(table, candidates, asked, selection)
    picked = _with_enumerations(table, picked, selection.list_items)
    # A sentence still opening with "이들은"/"it" after this (its subject lies in another excerpt)
    # is quoted all the same: passing over it for the other chosen sentences cost KorQuAD 17
    # answers of 5,774 and changed nothing else (docs/lab-notebook.md, 2026-12-07).
    return _distinct([with_subject(c, table, selection.look_back) for c in picked]), as_list


def _uncosted(candidates: list[Candidate], cost: float) -> list[Candidate]:
    """Candidates chosen without the retrieval cost, best first: a list gathers the places that answer
    comparably, wherever retrieval ranked them; the cost only decides which one place a single answer quotes."""
    return sorted((replace(c, choice=c.choice + cost * c.behind) for c in candidates), key=lambda c: -c.choice)


def _with_enumerations(table: SentenceTable, chosen: list[Candidate], most: int) -> list[Candidate]:
    """Each chosen sentence followed by the (at most `most`) enumerated sentences it announces ("4가지
    유형으로 정리할 수 있다. 첫째, … 둘째, …"): the announcement alone names none of the items."""
    out: list[Candidate] = []
    for candidate in chosen:
        out.append(candidate)
        rows = enumeration_after(table, candidate.position)[:most]
        out += [m for m in (moved_to(table, candidate, r) for r in rows) if m is not None and m.position not in {c.position for c in chosen}]
    return out


def _best_sentences(table: SentenceTable, candidates: list[Candidate], asked: Question, selection: Selection) -> list[Candidate]:
    """The best sentence and close seconds, by choice, without repeats."""
    best, paragraph = candidates[0].choice, table.paragraph
    chosen: list[Candidate] = []
    for candidate in candidates:
        if candidate.choice < best - max(selection.margin, selection.place_margin) or len(chosen) == selection.max_sentences:
            break
        same_place = paragraph[candidate.position] == paragraph[candidates[0].position]
        close = candidate.choice >= best - (selection.place_margin if same_place else selection.margin)
        if close and candidate.text not in {c.text for c in chosen}:
            chosen.append(candidate)
    return _with_news(table, chosen, candidates, asked, selection)


def _with_news(table: SentenceTable, chosen: list[Candidate], candidates: list[Candidate], asked: Question, selection: Selection) -> list[Candidate]:
    """A best sentence that cannot hold what is asked is quoted with the neighbour that may.

    Either it only restates the question (at most `restating` of its words are new: "백령도 근해에 …
    기뢰에 의해 천안함이 침몰했다는 주장이다." for "… 기뢰에 의해 천안함이 침몰했다고 주장하는 가설은?"), and
    its best-chosen neighbour comes along ("기뢰사고설로는 …"). Or no chosen sentence holds the kind of
    thing asked — a name beyond the question's own, a number of the kind — and the best one's
    best neighbour that does comes along ("그러나 전쟁과 같은 비상 시국일 경우, … 모든 정당이 내각에
    참여하는 경우가 있다." for "…을 무엇이라고 하는가?" brings "이때 세워지는 정부 내각을 거국일치내각
    (擧國一致內閣)이라고 부른다.")."""
    best = chosen[0]
    restates = best.novelty <= selection.restating
    if not restates and any(_holds_kind(table, c.position, asked.intent, asked.quantity) for c in chosen):
        return chosen
    rows = {r for r in table.neighbours(best.position) if restates or _holds_kind(table, r, asked.intent, asked.quantity)}
    rows -= {c.position for c in chosen}
    scored = [c for c in candidates if c.position in rows]
    neighbour = scored[0] if scored else next((m for m in (moved_to(table, best, r) for r in sorted(rows)) if m is not None), None)
    if neighbour is None:
        return chosen
    return [best, neighbour, *chosen[1:]][: selection.max_sentences]


def _list_items(table: SentenceTable, candidates: list[Candidate], intent: Intent, selection: Selection) -> list[Candidate]:
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
    places = best_per_place([c for c in candidates if not frames(table, c.position, selection.min_framed)], table)
    if intent.wants_entity:
        places = [named for named in (_naming_sentence(table, p) for p in places) if named is not None]
    if len(places) < 2 or places[1].choice < places[0].choice - selection.list_margin:
        return []
    top = places[0]
    siblings = [
        p
        for p in places
        if (p.chunk.doc_id, p.chunk.section) == (top.chunk.doc_id, top.chunk.section) and p.choice >= top.choice - selection.section_margin
    ]
    return sorted(siblings[: selection.list_items], key=lambda c: (c.chunk.doc_id, c.start)) if len(siblings) >= 2 else []


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
