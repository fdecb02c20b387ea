"""KorQuAD answer accuracy: does the answer quote the sentence that holds the gold answer?

Two figures separate retrieval from sentence choice: *end to end* (the question is searched over the
indexed paragraphs, as `reportqa ask` would) and *given the gold paragraph* (the answerer reads only
that paragraph's chunks). Paragraphs are indexed like user files: chunked, with sentence embeddings.

A deterministic sample of articles (ordered by a hash of their title) keeps the index small enough
for tests and weight sweeps; every question of a sampled article is asked, against all of the
sample's paragraphs. The file is only read (no-derivatives licence); the index lives in the data home.
"""
from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from reportqa.errors import IndexMismatch, IndexMissing, ReportQAError
from reportqa.eval import metrics
from reportqa.lab.korquad import SquadSet, default_path, read_squad
from reportqa.eval.questions import normalise
from reportqa.eval.report import fmt, table
from reportqa.index import store
from reportqa.index.build import assemble, embed_documents
from reportqa.index.embedder import Embedder, load_embedder
from reportqa.index.search import Searcher
from reportqa.index.store import IndexData
from reportqa.ingest.chunk import ChunkingConfig, split_document
from reportqa.ingest.types import Document
from reportqa.qa.answer import AnswerConfig, Answerer
from reportqa.qa.types import Answer
from tqdm import tqdm

log = logging.getLogger(__name__)

DEFAULT_ARTICLES = 12


@dataclass(frozen=True)
class GoldSpan:
    """A question, its gold paragraph and where the gold answer lies in it."""

    id: str
    question: str
    doc_id: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class AnswerSample:
    """The sampled paragraphs (as documents) and their questions."""

    name: str
    documents: list[Document]
    golds: list[GoldSpan]


def _answer_spans(path: Path) -> dict[str, tuple[int, str]]:
    """Question id → (answer_start, text) of its first gold answer."""
    articles = json.loads(path.read_bytes())["data"]
    return {
        qa["id"]: (qa["answers"][0]["answer_start"], qa["answers"][0]["text"])
        for article in articles
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
        if qa.get("answers")
    }


def _title_order(title: str) -> str:
    return hashlib.sha1(title.encode("utf-8")).hexdigest()


def sample(squad: SquadSet, path: Path, articles: int) -> AnswerSample:
    """The first `articles` articles in title-hash order, their paragraphs and their questions."""
    if articles < 1:
        raise ReportQAError("--articles must be at least 1")
    return sample_titles(squad, path, title_order(squad)[:articles], f"{squad.name}-answers-{articles}")


def title_order(squad: SquadSet) -> list[str]:
    """The articles' titles in title-hash order: a fixed order that no property of the articles decides."""
    return sorted({d.title for d in squad.documents}, key=_title_order)


def sample_titles(squad: SquadSet, path: Path, titles: Sequence[str], name: str) -> AnswerSample:
    """The paragraphs of the articles titled `titles` and their questions, as a sample called `name`."""
    documents = [d for d in squad.documents if d.title in set(titles)]
    texts = {d.doc_id: d.text for d in documents}
    spans = _answer_spans(path)
    golds = []
    for q in squad.questions:
        if q.gold not in texts or q.id not in spans:
            continue
        start, text = spans[q.id]
        if texts[q.gold][start : start + len(text)] != text:
            log.warning("%s: gold answer not at its offset; skipped", q.id)
            continue
        golds.append(GoldSpan(q.id, q.question, q.gold, start, start + len(text), text))
    return AnswerSample(name, documents, golds)


def _reusable(name: str, embedder: Embedder, documents: list[Document]) -> IndexData | None:
    try:
        data = store.load(name, model=embedder.name, chunking=asdict(ChunkingConfig()), quantize=embedder.quantize)
    except (IndexMissing, IndexMismatch) as error:
        log.info("answer benchmark index not reusable: %s", error)
        return None
    return data if set(data.documents) == {d.doc_id for d in documents} and data.sentence_embeddings is not None else None


def sample_index(answer_sample: AnswerSample, embedder: Embedder, progress: bool = True) -> IndexData:
    """The sample's paragraphs chunked and embedded like user files (built once, then reused)."""
    config = ChunkingConfig()
    reused = _reusable(answer_sample.name, embedder, answer_sample.documents)
    if reused is not None:
        return reused
    parts = embed_documents([split_document(d, config) for d in answer_sample.documents], embedder, progress)
    data = assemble(parts, embedder, asdict(config), [d.source for d in answer_sample.documents[:1]], with_sentences=True)
    store.save(data, answer_sample.name)
    return data


def gold_sentence(answerer: Answerer, gold: GoldSpan) -> str:
    """The text of the gold paragraph's sentence (or sentences) holding the gold answer."""
    table = answerer.table([gold.doc_id])
    rows = table.rows_within(gold.doc_id, gold.start, gold.end)
    if not rows:
        return ""
    return table.documents[gold.doc_id].text[table.spans[rows[0]].start : table.spans[rows[-1]].end].strip()


def quotes_gold(answer: Answer, gold: GoldSpan, sentence: str = "") -> bool:
    """Does a quoted span cover the gold answer? In the gold paragraph; or, given the gold `sentence`,
    a quoted span of another paragraph holding that sentence word for word: KorQuAD repeats some
    paragraphs almost unchanged (an article's paragraphs about 2009 appear twice, one of them a few
    characters longer), and quoting the repeat says the same."""
    for citation in answer.citations:
        same_paragraph = citation.chunk.doc_id == gold.doc_id
        for span, quoted in zip(citation.document_spans(), citation.sentences):
            if same_paragraph and span[0] <= gold.start and gold.end <= span[1]:
                return True
            if not same_paragraph and sentence and sentence in quoted:
                return True
    return False


def _score(answer: Answer, gold: GoldSpan, sentence: str) -> dict[str, float]:
    cited = [c.chunk.doc_id for c in answer.citations]
    return {
        "answer_accuracy": float(quotes_gold(answer, gold, sentence)),
        "gold_text_quoted": float(normalise(gold.text) in normalise(" ".join(answer.quoted))),
        "gold_cited": float(gold.doc_id in cited),
        "refused": float(not answer.answerable),
    }


def score_answers(answerer: Answerer, golds: Sequence[GoldSpan], given_gold: bool, progress: bool = True) -> dict[str, Any]:
    """Mean scores over `golds`, answered end to end or from the gold paragraph's chunks alone."""
    chunks_of: dict[str, list] = {}
    for chunk in answerer.searcher.data.chunks:
        chunks_of.setdefault(chunk.doc_id, []).append(chunk)
    rows, misses = [], []
    label = "given gold" if given_gold else "end to end"
    for gold in tqdm(golds, desc=f"korquad answers: {label}", unit="q", disable=not progress):
        answer = answerer.answer_from(gold.question, chunks_of[gold.doc_id]) if given_gold else answerer.answer(gold.question)
        row = _score(answer, gold, gold_sentence(answerer, gold))
        rows.append(row)
        if not row["answer_accuracy"]:
            misses.append({"id": gold.id, "question": gold.question, "gold": gold.text, "quoted": answer.quoted})
    summary: dict[str, Any] = {name: metrics.mean([r[name] for r in rows]) for name in rows[0]} if rows else {}
    return {**summary, "misses": misses}


def run_answer_benchmark(
    path: Path | None = None,
    embedder: Embedder | None = None,
    articles: int = DEFAULT_ARTICLES,
    limit: int | None = None,
    config: AnswerConfig = AnswerConfig(),
    progress: bool = True,
) -> dict[str, Any]:
    """Index a sample of articles (or reuse it), then answer their questions both ways."""
    path = path or default_path()
    answer_sample = sample(read_squad(path), path, articles)
    embedder = embedder or load_embedder()
    answerer = Answerer(Searcher(sample_index(answer_sample, embedder, progress), embedder), config)
    golds = answer_sample.golds[:limit]
    return {
        "benchmark": answer_sample.name,
        "articles": articles,
        "paragraphs": len(answer_sample.documents),
        "questions": len(golds),
        "end_to_end": score_answers(answerer, golds, given_gold=False, progress=progress),
        "given_gold": score_answers(answerer, golds, given_gold=True, progress=progress),
    }


def answer_benchmark_table(result: dict[str, Any]) -> str:
    """Markdown table of a `run_answer_benchmark` result: one row per way of answering."""
    names = ["answer_accuracy", "gold_text_quoted", "gold_cited", "refused"]
    rows = [[way, *(fmt(result[way].get(n)) for n in names)] for way in ("end_to_end", "given_gold")]
    title = (
        f"{result['benchmark']}: {result['questions']} questions of {result['articles']} articles "
        f"({result['paragraphs']} paragraphs indexed)"
    )
    legend = (
        "answer_accuracy: a quoted sentence covers the gold answer span (or is the gold sentence, repeated word for word "
        "in another paragraph); gold_text_quoted: the gold answer text "
        "occurs in the quoted sentences; gold_cited: the gold paragraph is cited; refused: the answer abstained."
    )
    return "\n".join([title, "", *table(["answered", *names], rows), "", legend]) + "\n"


def summary_only(result: dict[str, Any]) -> dict[str, Any]:
    """The result without the per-question misses (for a one-line summary)."""
    return {k: ({n: v for n, v in r.items() if n != "misses"} if isinstance(r, dict) else r) for k, r in result.items()}

