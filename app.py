"""The chat UI: ask the report, read a cited answer, check every excerpt in its document.

A thin Gradio layer over `index.api` and `qa.answer` (answers become HTML in `qa.render`),
with an evaluation tab over `eval`. The index loads (on first start: is built) in a
background thread, so the page is up at once. Every piece of document text and every
question is HTML-escaped before it reaches the page (`qa.render`, and here for status
lines): `gr.HTML` renders raw markup, and the chat's own sanitizer is no reason to trust it.
The evaluation tab shows question-set text only in Markdown and Dataframe cells, as text.
"""
from __future__ import annotations

import html
import json
import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Collection, Iterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr
from fastapi import FastAPI
from reportqa.errors import ReportQAError, as_user_error
from reportqa.documents_tab import documents_tab
from reportqa.http_api import add_api, require_key
from reportqa.eval.feedback import FeedbackEntry, append_feedback
from reportqa.eval.flow import EvalRun, evaluate_set
from reportqa.eval.report import summary_table
from reportqa.eval.run import EvalResult
from reportqa.eval.tables import answers_table, question_table
from reportqa.index import store
from reportqa.index.api import open_searcher
from reportqa.index.search import Searcher
from reportqa.limits import CHAT_CONCURRENCY, MODES, Mode, clean_text
from reportqa.ingest.types import Document
from reportqa.paths import data_home
from reportqa.qa.answer import AnswerConfig, Answerer, answer_config
from reportqa.qa.llm import LlmConfig
from reportqa.qa.render import NO_SOURCES, answer_html, sources_html
from reportqa.qa.types import Answer

if TYPE_CHECKING:
    from reportqa.index.qdrant_store import QdrantTarget

log = logging.getLogger(__name__)

EXAMPLES = [
    "Which firms used regional strengths?",
    "지역적 강점을 활용한 기업은?",
    "사바에시는 일본 안경테 생산에서 어느 정도 비중을 차지하나?",
    "타스크사는 어떤 제품을 만드나?",
    "그 회사는 어느 나라에 수출하나?",
]
BUILDING_NOTE = "Building the index … (first start). The answer follows as soon as it is ready."
LOADING_NOTE = "Loading the index …"

# System fonts only: the app is offline, and NanumGothic renders Korean on Debian.
THEME = gr.themes.Default(
    font=("system-ui", "Apple SD Gothic Neo", "Malgun Gothic", "NanumGothic", "Noto Sans CJK KR", "sans-serif"),
    font_mono=("ui-monospace", "NanumGothicCoding", "monospace"),
)
CSS = """
#sources-column { position: sticky; top: .5rem; align-self: flex-start; }
#sources { max-height: calc(100vh - 5rem); overflow-y: auto !important; }  /* gradio sets visible */
.turn > summary { cursor: pointer; font-weight: 600; margin: .4em 0; }
.source { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .5em .8em;
          margin: .5em 0; scroll-margin-top: .5em; transition: box-shadow .3s, background .3s; }
.source:target, .source.cited { border-color: #f59e0b; box-shadow: 0 0 0 3px rgba(245, 158, 11, .45);
                 background: rgba(254, 243, 199, .35); }
.source-head { font-size: .85em; color: var(--body-text-color-subdued); }
.source-n { font-weight: 700; color: var(--color-accent); margin-right: .3em; }
.excerpt, .context { white-space: pre-wrap; margin: .4em 0; line-height: 1.6; }
.excerpt { border-left: 3px solid var(--border-color-primary); padding-left: .7em; }
.in-document > summary { cursor: pointer; font-size: .85em; color: var(--color-accent); }
.context { font-size: .9em; color: var(--body-text-color-subdued); }
.excerpt-in-doc { color: var(--body-text-color); background: rgba(254, 243, 199, .45);
                  border-bottom: 1px dashed #f59e0b; }
#sources mark, #chat mark { background: #fde68a; color: #1f2937; padding: 0 .1em; border-radius: 2px; }
#chat .message-content ul { padding-left: 1.3em; margin: .3em 0; }
a.cite { text-decoration: none; font-weight: 700; font-size: .8em; vertical-align: super; padding: 0 .1em; }
a.cite:hover { text-decoration: underline; }
.answer-meta { font-size: .8em; color: var(--body-text-color-subdued); margin-top: .6em; }
.answer-notice { font-size: .85em; color: #b45309; margin-top: .4em; }
.doc-error { color: #b91c1c; }
"""
# A click on [n] scrolls its excerpt into view without jumping the page (the plain #cite-… link,
# styled by :target, is the fallback without script: it puts the excerpt at the top of the window),
# unfolding an older turn's sources when needed.
HEAD = """<script>
document.addEventListener("click", (event) => {
  const link = event.target.closest("a.cite");
  const source = link && document.getElementById(link.hash.slice(1));
  if (!source) return;
  event.preventDefault();
  const turn = source.closest("details.turn");
  if (turn) turn.open = true;
  document.querySelectorAll(".source.cited").forEach((other) => other.classList.remove("cited"));
  source.classList.add("cited");
  source.scrollIntoView({ behavior: "smooth", block: "nearest" });
});
</script>"""


class Engine:
    """The answerer of one index, loaded in a background thread so the page is up at once."""

    def __init__(
        self, index_name: str, model: str | None, llm: LlmConfig | None, qdrant: QdrantTarget | None = None, config: AnswerConfig = AnswerConfig()
    ) -> None:
        self.index_name = index_name
        self.model = model
        self.llm = llm
        self.config = config
        self.qdrant = qdrant
        self.first_start = qdrant is None and index_name == store.DEFAULT_INDEX and not store.exists(index_name)
        self._loaded = threading.Event()
        self._answerer: Answerer | None = None
        self._error: str | None = None
        self._shown: dict[str, Document] = {}
        self._version: str | None = None  # the live version loaded (embedded files; Qdrant keeps none)
        self._reloading = threading.Lock()

    def start(self) -> None:
        threading.Thread(target=self._load, name=f"load-index-{self.index_name}", daemon=True).start()

    def _load(self) -> None:
        try:
            version = self._live_version()
            searcher = open_searcher(self.index_name, self.model, notify=log.info, qdrant=self.qdrant)
            self._version = version or self._live_version()  # read before loading: a build meanwhile is seen next time
            self._answerer = Answerer(searcher, self.config, self.llm)
            log.info("index %r ready: %d chunks", self.index_name, searcher.store.manifest.n_chunks)
        except Exception as error:  # whatever failed must reach the page instead of leaving it waiting
            unexpected = not isinstance(error, ReportQAError)  # typed errors say what to do; no traceback
            log.error("loading index %r failed: %s", self.index_name, error, exc_info=unexpected)
            self._error = str(error)
        finally:
            self._loaded.set()

    @property
    def ready(self) -> bool:
        return self._loaded.is_set()

    def answerer(self) -> Answerer:
        """The loaded answerer, waiting for the load; a failed load raises its reason. When another
        process (a second server, `reportqa documents add`) made a newer version, it is loaded first."""
        self._loaded.wait()
        if self._answerer is None:
            raise ReportQAError(f"the index {self.index_name!r} could not be loaded: {self._error}")
        if self._live_version() != self._version:
            with self._reloading:
                if self._live_version() != self._version:
                    self.reload()
        return self._answerer

    def _live_version(self) -> str | None:
        return None if self.qdrant is not None else store.live_version(self.index_name)

    def documents(self, doc_ids: Collection[str]) -> dict[str, Document]:
        """The documents asked for (cited by the chat's answers), also those removed since: earlier
        answers still show their excerpts."""
        current = {d: v.document for d, v in self.answerer().searcher.store.documents(doc_ids).items()}
        self._shown.update(current)
        return {d: self._shown[d] for d in doc_ids if d in self._shown}

    def searcher(self) -> Searcher:
        return self.answerer().searcher

    def reload(self) -> None:
        """Load the index again after documents were added or removed (the model stays loaded)."""
        assert self._answerer is not None, "reload() follows a load"
        searcher = self._answerer.searcher
        version = self._live_version()
        data = store.load(self.index_name, model=searcher.embedder.name, quantize=searcher.embedder.quantize)
        self._version = version
        self._answerer = Answerer(Searcher(data, searcher.embedder, searcher.fusion), self.config, self.llm)
        log.info("index %r reloaded: %d documents", self.index_name, len(data.documents))

    def waiting_note(self) -> str:
        return f"⏳ {BUILDING_NOTE if self.first_start else LOADING_NOTE}"

    def status(self) -> str:
        """One line of markdown on the state of the index."""
        name = html.escape(self.index_name)
        if not self.ready:
            return self.waiting_note()
        if self._answerer is None:
            return f"⚠️ The index **{name}** could not be loaded: {html.escape(self._error or '')}"
        manifest = self._answerer.searcher.store.manifest
        llm = f" · LLM {html.escape(self.llm.model)} at {html.escape(self.llm.url)}" if self.llm else ""
        return f"Index **{name}**: {len(manifest.documents)} document(s), {manifest.n_chunks} excerpts{llm}"

    def status_updates(self) -> Iterator[str]:
        """The status now and, if the index is still loading, once more when it is ready."""
        yield self.status()
        if not self.ready:
            self._loaded.wait()
            yield self.status()


# ---------------------------------------------------------------- rendering


def _bot(content: str) -> dict[str, str]:
    return {"role": "assistant", "content": content}


# ---------------------------------------------------------------- events


def retrieval_history(turns: list[Answer | None]) -> list[Answer]:
    """The earlier answers, oldest first (failed turns left out): what follow-ups resolve against."""
    return [answer for answer in turns if answer is not None]


def reply(
    engine: Engine,
    question: str,
    turns: list[Answer | None],
    k: int,
    mode: Mode,
    use_llm: bool,
    docs: list[str] | None = None,
) -> tuple[Answer | None, str]:
    """The answer and its chat HTML, or None and the error a user can act on; `docs` (doc_ids)
    limits the search, none ticked means every document."""
    try:
        history = retrieval_history(turns)
        answer = engine.answerer().answer(question, history=history, k=k, mode=mode, use_llm=use_llm, docs=docs or None)
    except Exception as error:  # the chat must say what went wrong, never show a bare "Error"
        user_error = as_user_error(error)
        if user_error is None:
            log.error("answering %r failed", question, exc_info=True)
            message = "Something went wrong while answering (details are in the server log); please try again."
        else:
            message = str(user_error)
        return None, f'<p class="answer-error">{html.escape(message)}</p>'
    return answer, answer_html(answer, len(turns) + 1)


def answer_at(turns: list[Answer | None], message_index: int) -> Answer | None:
    """The answer shown as chat message `message_index`: every turn is a question and one reply."""
    turn, is_reply = divmod(message_index, 2)
    return turns[turn] if is_reply and turn < len(turns) else None


def chat_tab(engine: Engine) -> gr.CheckboxGroup:
    """The chat, its settings and the sources panel: one tab, so others (evaluation) can sit beside it.

    Returns the choice of documents to search, which the Documents tab keeps current."""
    turns = gr.State([])  # list[Answer | None], one per question; follow-ups read their retrieval queries
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            chat = gr.Chatbot(
                elem_id="chat",
                label="Chat",
                height=560,
                render_markdown=False,  # answers arrive as escaped HTML built here, not as markdown
                latex_delimiters=[],
                buttons=["copy"],
                placeholder="Ask about the report in Korean or English. Click a [n] to see its excerpt.",
            )
            with gr.Row():
                question = gr.Textbox(
                    elem_id="question", show_label=False, placeholder="Ask a question …", scale=5, max_lines=3
                )
                send = gr.Button("Ask", variant="primary", scale=1, min_width=80)
            examples_label = "Examples (the last one follows up the 타스크사 question)"
            gr.Examples([[q] for q in EXAMPLES], inputs=[question], label=examples_label)
            documents = gr.CheckboxGroup(
                [], label="Search in (none ticked: all documents)", elem_id="chat-documents"
            )
            with gr.Accordion("Settings", open=False):
                k = gr.Slider(1, 20, value=AnswerConfig().k, step=1, label="Excerpts retrieved (top-k)")
                mode = gr.Radio(list(MODES), value=AnswerConfig().mode, label="Search mode")
                use_llm = gr.Checkbox(value=True, label="Write the answer with the LLM", visible=engine.llm is not None)
        with gr.Column(scale=2, elem_id="sources-column"):
            gr.Markdown("### Sources")
            sources = gr.HTML(NO_SOURCES, elem_id="sources")

    def ask(
        text: str,
        messages: list[dict],
        past: list[Answer | None],
        top_k: float,
        search_mode: Mode,
        llm_on: bool,
        docs: list[str],
    ) -> Iterator[tuple[Any, ...]]:
        """Outputs: question box, chat, turns, sources. While the index loads, the chat says so first."""
        text = clean_text(text or "").strip()  # no lone surrogate may reach the page's JSON
        if not text:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        messages = [*messages, {"role": "user", "content": html.escape(text)}]
        if not engine.ready:
            yield "", [*messages, _bot(f"<p>{engine.waiting_note()}</p>")], gr.skip(), gr.skip()
        answer, content = reply(engine, text, past, int(top_k), search_mode, llm_on, docs)
        past = [*past, answer]
        cited = {c.chunk.doc_id for a in past if a is not None for c in a.citations}
        panel = sources_html(past, engine.documents(cited)) if answer is not None else gr.skip()
        yield "", [*messages, _bot(content)], past, panel

    def vote(past: list[Answer | None], data: gr.LikeData) -> None:
        """Thumbs up/down; taking a thumb back (liked == "") records nothing."""
        answer = answer_at(past, data.index) if isinstance(data.index, int) else None  # messages: an int
        if answer is not None and isinstance(data.liked, bool):
            append_feedback(FeedbackEntry.of(answer, "up" if data.liked else "down"))

    inputs = [question, chat, turns, k, mode, use_llm, documents]
    gr.on([question.submit, send.click], ask, inputs, [question, chat, turns, sources], concurrency_limit=CHAT_CONCURRENCY)
    chat.like(vote, [turns], None)
    chat.clear(lambda: ([], NO_SOURCES), None, [turns, sources])
    return documents


# ---------------------------------------------------------------- evaluation

# The charts eval.report.write_report draws (their titles are drawn in), with their alt texts.
PLOT_FILES = {
    "hit_at_k.png": "hit@k by mode",
    "metrics.png": "recall, MRR, nDCG and budget by mode",
    "by_language.png": "hit@k and budget by question language",
}
PLOT_HEIGHT = 280  # px: the two-panel language chart keeps the size of the others
EVAL_HINT = (
    "Every question is searched in each chosen mode and answered as the chat answers it; "
    "the bundled set (93 questions) takes well under a minute. The report lands in the data folder."
)
CELL_CHARS = 240  # answer text shown per table cell; a click on the cell shows all of it


def run_evaluation(engine: Engine, upload: str | None, modes: list[Mode]) -> EvalRun:
    """The evaluation flow on the chat's own answerer (no second model); errors name the uploaded
    file by its own name, not by the server's temporary path."""
    path = Path(upload) if upload else None
    try:
        return evaluate_set(engine.answerer(), path, modes, name=path.stem if path else None)
    except ReportQAError as error:
        raise ReportQAError(str(error).replace(str(path), path.name) if path else str(error)) from error


def finished_note(result: EvalResult, folder: Path, seconds: float) -> str:
    """The status line after a run: what was evaluated, how long it took, where the report is."""
    modes = ", ".join(result.modes)
    return (
        f"Finished **{html.escape(result.name)}**: {result.n_questions} questions, mode(s) {modes}, "
        f"{seconds:.0f} s. Report: `{folder}`"
    )


def _plot(alt_text: str) -> gr.Image:
    return gr.Image(
        show_label=False,
        alt_text=alt_text,
        type="filepath",
        interactive=False,
        height=PLOT_HEIGHT,
        buttons=["fullscreen", "download"],
    )


def eval_tab(engine: Engine) -> None:
    """Run a question set (uploaded, or the bundled one) and show its scores, charts and answers."""
    with gr.Row(equal_height=False):
        upload = gr.File(
            label="Question set (JSONL or CSV, format in eval/README.md); empty: the bundled set",
            elem_id="eval-upload",
            scale=2,
            height=170,
        )
        with gr.Column(scale=1):
            modes = gr.CheckboxGroup(list(MODES), value=list(MODES), label="Search modes", elem_id="eval-modes")
            run = gr.Button("Run evaluation", variant="primary", elem_id="eval-run")
    status = gr.Markdown(EVAL_HINT, elem_id="eval-status")
    with gr.Column(visible=False, elem_id="eval-results") as results:
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=300):
                summary = gr.Markdown(elem_id="eval-summary")
                answers = gr.Markdown(elem_id="eval-answers")
            with gr.Column(scale=3, elem_id="eval-plots"):
                hits_alt, metrics_alt, language_alt = PLOT_FILES.values()
                with gr.Row():
                    plots = [_plot(hits_alt), _plot(metrics_alt)]
                plots.append(_plot(language_alt))
        per_question = gr.Dataframe(
            label="Per question",
            elem_id="eval-questions",
            interactive=False,
            wrap=True,
            max_height=520,
            max_chars=CELL_CHARS,
            show_search="search",
            column_widths=["6%", "22%", "9%", "9%", "34%", "20%"],
        )
        download = gr.File(label="Report files", elem_id="eval-download", interactive=False)
    shown = [summary, answers, *plots, per_question, download]

    def on_run(
        upload_path: str | None, chosen: list[Mode], progress: gr.Progress = gr.Progress(track_tqdm=True)
    ) -> tuple[Any, ...]:
        """Outputs: status, results column, summary, answers, the charts, per-question table, files."""
        started = time.monotonic()
        progress(0, desc="Loading the index …")
        try:
            run = run_evaluation(engine, upload_path, chosen)
        except Exception as error:  # a malformed upload (say a list where text belongs) gets one line too
            if not isinstance(error, ReportQAError):  # typed errors say what to do; others need the traceback
                log.error("evaluation failed: %s", error, exc_info=True)
            failed = f"**Could not evaluate:** {html.escape(str(error))}"
            return failed, gr.Column(visible=False), *[gr.skip()] * len(shown)
        return (
            finished_note(run.result, run.folder, time.monotonic() - started),
            gr.Column(visible=True),
            summary_table(run.result),
            answers_table(run.result),
            *(str(run.folder / name) for name in PLOT_FILES),
            question_table(run.result),
            [str(run.folder / "results.json"), str(run.folder / "report.md")],
        )

    run.click(on_run, [upload, modes], [status, results, *shown])


def build_app(engine: Engine, read_only: bool = False) -> gr.Blocks:
    """The page: a header with the index status, then tabs (the chat first); `read_only` hides
    adding and removing documents."""
    with gr.Blocks(title="reportqa", analytics_enabled=False) as demo:
        gr.Markdown("# reportqa\nCited answers from the report, offline. Every [n] links to the excerpt it quotes.")
        status = gr.Markdown(engine.status(), elem_id="status")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat-tab"):
                chat_documents = chat_tab(engine)
            with gr.Tab("Documents", id="documents-tab"):
                listed, fill = documents_tab(engine, read_only, chat_documents)
            with gr.Tab("Evaluation", id="eval-tab"):
                eval_tab(engine)
        demo.load(engine.status_updates, None, status, concurrency_limit=None, show_progress="hidden")
        demo.load(fill, None, listed, concurrency_limit=None, show_progress="hidden")
    return demo


SERVE_VARIABLE = "REPORTQA_SERVE"  # what `serve --workers N` hands each worker process (JSON)
STOP_SECONDS = 5


@dataclass(frozen=True)
class ServeSettings:
    """What a server serves: one index, its model and LLM, and who may change and ask it."""

    index_name: str = store.DEFAULT_INDEX
    model: str | None = None
    llm_url: str | None = None
    llm_model: str | None = None
    read_only: bool = False
    api_key: str | None = None
    qdrant_url: str | None = None  # a Qdrant server shared by the workers (local mode is one process's)
    qdrant_key: str | None = None
    reranker: str | None = None  # a CrossEncoder folder that reads the best candidate sentences

    def engine(self) -> Engine:
        from reportqa.index.qdrant_store import QdrantTarget

        qdrant = QdrantTarget(url=self.qdrant_url, api_key=self.qdrant_key) if self.qdrant_url else None
        return Engine(self.index_name, self.model, LlmConfig.from_env(self.llm_url, self.llm_model), qdrant, answer_config(self.reranker))


def launch(
    host: str = "127.0.0.1",
    port: int = 7860,
    share: bool = False,
    index_name: str = store.DEFAULT_INDEX,
    model: str | None = None,
    llm_url: str | None = None,
    llm_model: str | None = None,
    block: bool = True,
    read_only: bool | None = None,
    qdrant: QdrantTarget | None = None,
    api_key: str | None = None,
    reranker: str | Path | None = None,
) -> gr.Blocks:
    """Serve the chat on index `index_name` (in Qdrant with `qdrant`); with block=False return at once (tests), then close() it.

    `read_only` (by default: when shared) hides adding and removing documents. The HTTP API
    (http_api.py) is served beside the chat, under /v1; behind a public share link only with `api_key`."""
    require_key(host, api_key)
    engine = Engine(index_name, model, LlmConfig.from_env(llm_url, llm_model), qdrant, answer_config(reranker))
    read_only = share if read_only is None else read_only
    demo = build_app(engine, read_only)
    demo.launch(
        server_name=host,
        server_port=port,
        share=share,
        theme=THEME,
        css=CSS,
        head=HEAD,
        prevent_thread_lock=True,
        allowed_paths=allowed_paths(),
    )
    if share and not api_key:
        log.warning("the HTTP API is off behind a public share link without an API key (--api-key)")
    else:
        add_api(demo.app, engine, read_only, api_key)
    # Loading starts once the server is up: loading the tokenizer holds the GIL for a second or
    # more, and gradio's start-up check of its own URL must not wait behind it.
    engine.start()
    if block:
        demo.block_thread()
    return demo


def allowed_paths() -> list[str]:
    """Files the page may serve: the evaluation tab offers its reports for download."""
    return [str(data_home() / "eval")]


def serve_workers(settings: ServeSettings, workers: int, host: str = "127.0.0.1", port: int = 7860) -> None:
    """Serve with `workers` processes on one port (uvicorn's workers; the kernel spreads connections).

    Each worker loads its own model and index; they share the index on disk (or one Qdrant server),
    and each sees the others' added documents at its next question (`Engine.answerer`). The default
    index is built here first when missing, so the workers do not race to build it.
    """
    import uvicorn

    require_key(host, settings.api_key)
    if settings.qdrant_url is None and settings.index_name == store.DEFAULT_INDEX and not store.exists(settings.index_name):
        open_searcher(settings.index_name, settings.model, notify=log.info)
    os.environ[SERVE_VARIABLE] = json.dumps(asdict(settings))
    # An open chat page keeps a connection: Ctrl-C waits for it at most STOP_SECONDS, not for ever.
    uvicorn.run(
        "reportqa.app:worker_app", factory=True, host=host, port=port, workers=workers, log_level="warning", timeout_graceful_shutdown=STOP_SECONDS
    )


def worker_app() -> FastAPI:
    """One worker of `serve_workers`: the API and the chat on one FastAPI app, settings from the parent."""
    settings = ServeSettings(**json.loads(os.environ[SERVE_VARIABLE]))
    engine = settings.engine()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        engine.start()
        yield

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    add_api(app, engine, settings.read_only, settings.api_key)
    demo = build_app(engine, settings.read_only)
    return gr.mount_gradio_app(app, demo, path="", theme=THEME, css=CSS, head=HEAD, allowed_paths=allowed_paths())


if __name__ == "__main__":
    # `python app.py` serves the default chat; `reportqa serve --help` lists the options.
    launch()
