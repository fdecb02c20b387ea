"""Write an evaluation to a folder: report.md (self-explanatory), results.json and PNG charts."""
from __future__ import annotations

import json
import logging
import math
import time
from collections import Counter
from pathlib import Path

from reportqa.eval.plots import plot_all, preferred_k
from reportqa.eval.run import NDCG_K, EvalResult, RetrievalRecord, metric_names

log = logging.getLogger(__name__)

WORST_LIMIT = 10  # questions listed per mode
TOP_SHOWN = 3  # retrieved chunks shown per failing question
PREVIEW = 100  # characters of each retrieved chunk shown


def metric_help(result: EvalResult) -> dict[str, str]:
    """One line per metric, as the report explains it."""
    ks, budget = result.ks, result.budget
    return {
        "hit@k": f"share of questions with an evidence quote in one of the top k chunks (k = {', '.join(map(str, ks))})",
        "recall@k": "share of a question's evidence quotes found in the top k chunks, averaged over questions "
        "(list questions have one quote per item)",
        "mrr": f"mean reciprocal rank: 1/rank of the first chunk holding evidence, 0 when none of the top {result.depth} does",
        f"ndcg@{NDCG_K}": f"binary nDCG over the top {NDCG_K}: 1.0 when chunks holding evidence fill the first ranks",
        f"budget@{budget}": f"share of questions with an evidence quote lying fully inside the first {budget} characters "
        "of the retrieved chunks read in rank order (what an answerer with that much context sees)",
        "p50_ms / p95_ms": "median / 95th-percentile time of one warm search call for one question, in milliseconds",
    }


def fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def cell(text: str) -> str:
    """Text safe inside a markdown table cell or a one-line list item."""
    return " ".join(text.split()).replace("|", "\\|")


def table(header: list[str], rows: list[list[str]], left: int = 1) -> list[str]:
    """Markdown table lines; the first `left` columns are text (left-aligned), the rest numbers."""
    aligns = ["---"] * left + ["---:"] * (len(header) - left)
    return [f"| {' | '.join(header)} |", f"| {' | '.join(aligns)} |", *(f"| {' | '.join(r)} |" for r in rows)]


def _set_section(result: EvalResult) -> list[str]:
    records = result.records(result.modes[0])
    scored = [r for r in records if r.scored]
    langs = Counter(r.lang for r in records)
    types = Counter(r.type for r in records)
    index = result.index
    return [
        f"Question set **{result.name}**: {result.n_questions} questions, {len(scored)} of them answerable with "
        f"evidence quotes (retrieval is scored on these), {result.n_questions - len(scored)} not scored "
        f"(unanswerable, or without evidence). Languages: {', '.join(f'{n} {l}' for l, n in sorted(langs.items()))}. "
        f"Types: {', '.join(f'{n} {t}' for t, n in types.most_common())}.",
        "",
        f"Index: {index['chunks']} chunks of {len(index['documents'])} document(s) "
        f"({', '.join(index['documents'])}), model `{index['model']}`, chunking {index['chunking']}. "
        f"Each question is searched once per mode for its top {result.depth} chunks. "
        f"Modes: {', '.join(result.modes)} (dense: embedding similarity; bm25: Korean morpheme BM25; "
        "hybrid: the two fused, the default users get).",
        "",
        "Each answerable question comes with evidence quotes: short exact passages of the report that answer it. "
        "A retrieved chunk *holds* evidence when it contains one of them (whitespace normalised), "
        "so the scores do not depend on how the report was chunked.",
    ]


def _metrics_section(result: EvalResult) -> list[str]:
    return ["## What the metrics mean", "", *(f"- **{k}**: {v}." for k, v in metric_help(result).items())]


def summary_table(result: EvalResult) -> str:
    """Markdown table metric × mode: the headline a terminal prints."""
    modes = result.summary()["modes"]
    names = [*metric_names(result.ks, result.budget), "p50_ms", "p95_ms"]
    rows = [[name, *(fmt(modes[m][name], 1 if name.endswith("_ms") else 3) for m in result.modes)] for name in names]
    return "\n".join(table(["metric", *result.modes], rows))


def _language_table(summary: dict, result: EvalResult) -> list[str]:
    k = preferred_k(result.ks)
    names = ["hit@1", f"hit@{k}", f"recall@{k}", "mrr", f"budget@{result.budget}"]
    names = [n for n in dict.fromkeys(names) if n in summary["modes"][result.modes[0]]]
    rows = []
    for lang in result.languages:
        for mode in result.modes:
            n = sum(r.scored for r in result.records(mode, lang))
            rows.append([lang, mode, str(n), *(fmt(summary["by_lang"][lang][mode][name]) for name in names)])
    return table(["language", "mode", "questions", *names], rows, left=2)


def _answers_section(summary: dict) -> list[str]:
    answers = summary["answers"]
    if answers is None:
        return ["## Answers", "", "Answers were not evaluated in this run (no answering function was given)."]
    help_lines = {
        "answer_accuracy": "share of answerable questions whose quoted sentences hold an evidence quote "
        "(list questions: the share of their quotes the items hold); abstaining scores 0",
        **{name: f"answer accuracy of the {name[16:-1]} questions" for name in answers if name.startswith("answer_accuracy[")},
        "refused_answerable": "share of answerable questions the answerer declined",
        "fact_coverage": "share of a question's answer facts contained in the answer text (answerable questions)",
        "citation_precision": "share of citations, pooled over answerable questions, whose excerpt holds an evidence quote",
        "abstention_precision": "of the questions the answerer declined, the share that were truly unanswerable",
        "abstention_recall": "of the unanswerable questions, the share the answerer declined",
        "by_llm": "share of questions the LLM answered or found unanswered (0 without --llm-url, or when it failed)",
        "p50_ms": "median time to answer one question, in milliseconds",
    }
    rows = [[name, text, fmt(answers[name], 1 if name == "p50_ms" else 3)] for name, text in help_lines.items()]
    return ["## Answers", "", *table(["metric", "meaning", "value"], rows, left=2)]


def _abstention_misses(result: EvalResult) -> list[str]:
    """Unanswerable questions answered and answerable ones refused, with the confidence that decided
    it: how far from the threshold a miss was tells a calibration fix from a missing signal."""
    misses = [a for a in result.answers or [] if a.answerable == a.abstained]
    if not misses:
        return []
    rows = [
        [a.id, "refused, answerable" if a.abstained else "answered, unanswerable", cell(a.question), cell(a.text[:PREVIEW]), fmt(a.confidence)]
        for a in misses
    ]
    return ["### Abstention misses", "", *table(["id", "miss", "question", "answer", "confidence"], rows, left=4), ""]


def worst_questions(records: list[RetrievalRecord], k: int = 5) -> list[RetrievalRecord]:
    """Scored questions whose first evidence is not in the top k, worst (not found at all) first."""
    failing = [r for r in records if r.scored and (r.first_rank is None or r.first_rank > k)]
    return sorted(failing, key=lambda r: (-(r.first_rank or math.inf), r.id))


def _worst_entry(record: RetrievalRecord) -> list[str]:
    rank = "not in the retrieved list" if record.first_rank is None else f"rank {record.first_rank}"
    lines = [
        f"**{record.id}** ({record.lang}, {record.type}) — first evidence: {rank}",
        f"- question: {cell(record.question)}",
        f"- expected evidence: {'; '.join(f'“{cell(q)}”' for q in record.evidence)}",
        "- retrieved instead:",
    ]
    for position, hit in enumerate(record.hits[:TOP_SHOWN], 1):
        lines.append(f"  {position}. [{cell(hit.section) or 'no section'}] {cell(hit.text[:PREVIEW])}…")
    return [*lines, ""]


def _worst_section(result: EvalResult) -> list[str]:
    k = preferred_k(result.ks)
    lines = [f"## Worst questions per mode (evidence not in the top {k})", ""]
    for mode in result.modes:
        records = result.records(mode)
        failing = worst_questions(records, k)
        shown = failing[:WORST_LIMIT]
        lines += [f"### {mode}", "", f"{len(failing)} of {sum(r.scored for r in records)} scored questions.", ""]
        for record in shown:
            lines += _worst_entry(record)
        if len(failing) > len(shown):
            lines += [f"…and {len(failing) - len(shown)} more (see results.json).", ""]
    return lines


def render(result: EvalResult, plots: dict[str, Path]) -> str:
    """The whole report.md text; plots are linked relative to the report."""
    summary = result.summary()
    images = {title: f"![{title}]({path.name})" for title, path in plots.items()}
    lines = [
        f"# Retrieval evaluation — {result.name}",
        "",
        f"Written {time.strftime('%Y-%m-%d %H:%M')}.",
        "",
        *_set_section(result),
        "",
        *_metrics_section(result),
        "",
        "## Retrieval by mode",
        "",
        summary_table(result),
        "",
        images["hit@k by mode"],
        "",
        images["metrics by mode"],
        "",
        "## By question language",
        "",
        *_language_table(summary, result),
        "",
        images["by language"],
        "",
        *_answers_section(summary),
        "",
        *_abstention_misses(result),
        *_worst_section(result),
    ]
    return "\n".join(lines).rstrip() + "\n"


def write_report(result: EvalResult, out_dir: Path) -> Path:
    """Write report.md, results.json and the charts into `out_dir`; returns the report's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(result.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    report = out_dir / "report.md"
    report.write_text(render(result, plot_all(result, out_dir)), encoding="utf-8")
    log.info("evaluation report written to %s", report)
    return report
