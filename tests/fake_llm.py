"""A tiny OpenAI-compatible chat server on 127.0.0.1: the LLM endpoint that does not exist here."""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeChat(BaseHTTPRequestHandler):
    """Answers /v1/chat/completions with whatever the test put in `server.reply` (or sleeps); a callable
    reply is given the prompt's question."""

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers["Content-Length"])
        request = json.loads(self.rfile.read(length))
        self.server.requests.append(request)
        if self.path != "/v1/chat/completions":
            self.send_error(404)
            return
        if self.server.delay:
            time.sleep(self.server.delay)
        reply = self.server.reply
        content = reply(request["messages"][1]["content"].rsplit("Question: ", 1)[1]) if callable(reply) else reply
        body = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except BrokenPipeError:  # the client gave up waiting: what the timeout test wants
            pass

    def log_message(self, *args: object) -> None:
        """Quiet: the test output is not the place for access logs."""


@contextmanager
def fake_llm(reply: object = "") -> Iterator[ThreadingHTTPServer]:
    """The server, serving in a thread; its `url` attribute is the endpoint's base URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeChat)
    httpd.requests, httpd.reply, httpd.delay = [], reply, 0.0
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
