"""The HTTP API `reportqa serve` offers beside the chat, for tools a team already uses.

- `POST /v1/chat/completions`: OpenAI's chat completions, so any OpenAI client, Open WebUI or a
  messenger bot can ask. The last user message is the question, the earlier user messages its chat
  history (they resolve follow-ups, as in the chat). The reply's text carries the `[n]` markers;
  the response adds a `citations` array, the same objects as `reportqa ask --json`; with an LLM
  (`serve --llm-url`) the answer is the LLM's, from the same excerpts, as in the chat. With
  `"stream": true` the text comes as server-sent `chat.completion.chunk` events, the citations in
  the last one. The `model` asked for is ignored: there is one, `reportqa`.
- `POST /v1/search`, `POST /v1/ask`: `reportqa search --json` and `reportqa ask --json` over HTTP.
- `GET /v1/documents`, `POST /v1/documents` (multipart upload of one or more files),
  `DELETE /v1/documents/{id}`: the Documents tab; adding and removing obey `--read-only`.
- `GET /v1/models`, `GET /v1/openapi.json` (the schema of all of the above; docs/openapi.json).

With an API key (`--api-key` or $REPORTQA_API_KEY) every /v1 call needs `Authorization: Bearer
KEY`, else 401; serving beyond loopback without a key is refused at start (`require_key`). Errors
are OpenAI-shaped: `{"error": {"message", "type"}}`, the message the CLI would print.
"""
from __future__ import annotations

import hmac
import json
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal, Protocol

from fastapi import APIRouter, Depends, FastAPI, File, Request, UploadFile
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from reportqa.errors import ReportQAError
from reportqa.index.documents import add_documents, list_documents, remove_document
from reportqa.index.search import Searcher
from reportqa.limits import CHAT_CONCURRENCY, MAX_K, Mode
from reportqa.qa.answer import Answerer
from reportqa.qa.types import Answer

MODEL_ID = "reportqa"
KEY_VARIABLE = "REPORTQA_API_KEY"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
STREAM_PIECE_CHARS = 24  # characters of the answer per streamed event


class ApiEngine(Protocol):
    """What the API needs from the app's engine (app.py: Engine)."""

    def answerer(self) -> Answerer: ...

    def searcher(self) -> Searcher: ...

    def reload(self) -> None: ...


class ApiError(Exception):
    def __init__(self, status: int, message: str, kind: str) -> None:
        super().__init__(message)
        self.status, self.message, self.kind = status, message, kind


def require_key(host: str, api_key: str | None) -> None:
    """Serving beyond this machine without a key would open the archive to the network: refused."""
    if host not in LOOPBACK and not api_key:
        raise ReportQAError(f"serving on {host} needs an API key: give --api-key KEY or set ${KEY_VARIABLE} (loopback needs none).")


class SearchRequest(BaseModel):
    query: str
    k: int = Field(5, ge=1, le=MAX_K)
    mode: Mode = "hybrid"
    docs: list[str] | None = None  # doc_ids to search in; none: every document


class AskRequest(BaseModel):
    question: str
    history: list[str] = []  # the chat's earlier questions, oldest first
    k: int | None = Field(None, ge=1, le=MAX_K)
    mode: Mode | None = None
    docs: list[str] | None = None
    use_llm: bool = True  # when the server has an LLM (`serve --llm-url`), it writes the answer from the cited sentences


class Message(BaseModel):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    model: str = MODEL_ID
    messages: list[Message]
    stream: bool = False


def api_router(engine: ApiEngine, read_only: bool, api_key: str | None) -> APIRouter:
    """The /v1 routes over `engine`; answers run CHAT_CONCURRENCY at a time, like the chat's."""
    answering = threading.BoundedSemaphore(CHAT_CONCURRENCY)

    def authorised(request: Request) -> None:
        if api_key is None:
            return
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {api_key}".encode()):
            raise ApiError(401, "missing or wrong API key: send 'Authorization: Bearer KEY'.", "invalid_api_key")

    def writable() -> None:
        if read_only:
            raise ApiError(403, "this server is read-only: documents cannot be added or removed.", "permission_denied")

    router = APIRouter(prefix="/v1", dependencies=[Depends(authorised)], route_class=_ErrorsAsJson)

    def ask(request: AskRequest) -> Answer:
        with answering:
            answerer = engine.answerer()
            if request.history:
                earlier = answerer.conversation(request.history, k=request.k, mode=request.mode, use_llm=request.use_llm)
            else:
                earlier = []
            return answerer.answer(request.question, history=earlier, k=request.k, mode=request.mode, use_llm=request.use_llm, docs=request.docs)

    @router.get("/models")
    def models() -> dict:
        return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "reportqa"}]}

    @router.post("/search")
    def search(request: SearchRequest) -> dict:
        with answering:
            hits = engine.searcher().search(request.query, k=request.k, mode=request.mode, docs=request.docs)
        return {"question": request.query, "hits": [hit.to_dict() for hit in hits]}

    @router.post("/ask")
    def ask_route(request: AskRequest) -> dict:
        return ask(request).to_dict()

    @router.post("/chat/completions", response_model=None)
    def chat_completions(request: ChatRequest) -> dict | StreamingResponse:
        questions = [_text(m.content) for m in request.messages if m.role == "user"]
        if not questions or not questions[-1].strip():
            raise ApiError(400, "the messages hold no user question.", "invalid_request_error")
        answer = ask(AskRequest(question=questions[-1], history=questions[:-1]))
        reply = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time()), "model": MODEL_ID}
        if request.stream:
            return StreamingResponse(_events(reply, answer), media_type="text/event-stream")
        return {
            **reply,
            "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            **_extras(answer),
        }

    @router.get("/documents")
    def documents() -> dict:
        return {"documents": [asdict(d) for d in list_documents(engine.searcher().data)]}

    @router.post("/documents", dependencies=[Depends(writable)])
    def add(files: list[UploadFile] = File(...)) -> dict:
        with tempfile.TemporaryDirectory(prefix="reportqa-upload-") as folder:
            paths = []
            for number, upload in enumerate(files):
                path = Path(folder) / str(number) / Path(upload.filename or f"upload-{number}").name
                path.parent.mkdir()
                with path.open("wb") as out:
                    shutil.copyfileobj(upload.file, out)
                paths.append(path)
            changes = add_documents(paths, engine.searcher().embedder, names=[p.name for p in paths])
        if changes.added:
            engine.reload()
        return {"added": [asdict(d) for d in changes.added], "errors": changes.errors, "notes": changes.notes}

    @router.delete("/documents/{document_id}", dependencies=[Depends(writable)])
    def remove(document_id: str) -> dict:
        changes = remove_document(document_id, engine.searcher().embedder)
        engine.reload()
        return {"removed": changes.removed}

    return router


class _ErrorsAsJson(APIRoute):
    """Errors a caller can act on become OpenAI-shaped JSON with their one-line message. Done in the
    route, not with app exception handlers: the API joins Gradio's app after it started, when its
    middleware (which holds the handlers) is already built."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except ApiError as error:
                return _error(error.status, error.message, error.kind)
            except ReportQAError as error:
                return _error(400, str(error), "invalid_request_error")

        return handle


def _error(status: int, message: str, kind: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind}}, status_code=status)


def _text(content: str | list[dict[str, Any]] | None) -> str:
    """A message's text: a string, or the text parts of OpenAI's list form."""
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content if part.get("type") == "text")
    return content or ""


def _extras(answer: Answer) -> dict:
    """What the reply carries beyond OpenAI's fields: the citations and how sure the answer is."""
    shown = answer.to_dict()
    return {"citations": shown["citations"], "answerable": shown["answerable"], "confidence": shown["confidence"]}


def _events(reply: dict, answer: Answer) -> Iterator[str]:
    """Server-sent events of OpenAI's streaming form: the role, the text in pieces, then the end
    with the citations, then [DONE]."""

    def event(delta: dict, finish: str | None = None, **more: Any) -> str:
        chunk = {**reply, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **more}
        return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

    yield event({"role": "assistant", "content": ""})
    for start in range(0, len(answer.text), STREAM_PIECE_CHARS):
        yield event({"content": answer.text[start : start + STREAM_PIECE_CHARS]})
    yield event({}, "stop", **_extras(answer))
    yield "data: [DONE]\n\n"


def add_api(app: FastAPI, engine: ApiEngine, read_only: bool, api_key: str | None) -> None:
    """Put the API on the app the chat is served by (after Gradio made it: its routes do not overlap)."""
    app.include_router(api_router(engine, read_only, api_key))

    @app.get("/v1/openapi.json", include_in_schema=False)
    def openapi() -> dict:
        return api_schema()



def api_schema() -> dict:
    """The OpenAPI schema of the /v1 routes (docs/openapi.json is this, checked by a test). The
    routes read their engine only when called, so the schema needs none."""
    from fastapi.openapi.utils import get_openapi

    routes = [route for route in api_router(None, False, None).routes if isinstance(route, APIRoute)]  # type: ignore[arg-type]
    return get_openapi(title="reportqa", version="1", description=__doc__.split("\n\n")[0], routes=routes)
