"""Optional generation through an OpenAI-compatible chat endpoint (Ollama, llama.cpp, vLLM …).

The model sees only the numbered excerpts and must cite them as [n]; the caller
keeps what is verifiable and falls back to the extractive answer otherwise. The model is also the
reader the extractive step lacks: it is asked to reply NOT_COVERED when the excerpts do not answer,
and the caller then abstains ("DeNA가 소유한 프로야구팀의 이름은?" finds a sentence naming DeNA and its
team, but not the team's name).
"""
from __future__ import annotations

import json
import logging
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, replace

from reportqa.errors import LlmUnavailable
from reportqa.ingest.types import Chunk
from reportqa.qa.compose import NOT_COVERED
from reportqa.qa.evidence import Candidate
from reportqa.qa.types import CITATION_MARKER, Answer, Citation

log = logging.getLogger(__name__)


DECLINE_WORD = "NOT_COVERED"  # the model's whole reply when the excerpts do not answer
_DECLINES = re.compile(rf"^\W*{DECLINE_WORD}\b", re.IGNORECASE)


@dataclass(frozen=True)
class LlmConfig:
    url: str  # base URL, e.g. http://127.0.0.1:11434/v1
    model: str = "default"
    api_key: str | None = None
    timeout: float = 30.0

    @property
    def endpoint(self) -> str:
        base = self.url.rstrip("/")
        return base if base.endswith("/chat/completions") else f"{base}/chat/completions"

    @classmethod
    def from_env(cls, url: str | None = None, model: str | None = None) -> LlmConfig | None:
        """`--llm-url`/`REPORTQA_LLM_URL`, `REPORTQA_LLM_MODEL`, `REPORTQA_LLM_API_KEY`; None when unset."""
        url = url or os.environ.get("REPORTQA_LLM_URL")
        if not url:
            return None
        return cls(
            url=url,
            model=model or os.environ.get("REPORTQA_LLM_MODEL", "default"),
            api_key=os.environ.get("REPORTQA_LLM_API_KEY"),
            timeout=float(os.environ.get("REPORTQA_LLM_TIMEOUT", "30")),
        )


def build_messages(question: str, excerpts: list[Chunk], lang: str) -> list[dict]:
    """A prompt that allows only the numbered excerpts as sources."""
    numbered = "\n\n".join(f"[{i}] ({c.section or c.title})\n{c.text}" for i, c in enumerate(excerpts, 1))
    language = "Korean" if lang == "ko" else "English (quote Korean phrases as they are)"
    system = (
        "You answer questions about a report using only the numbered excerpts given. "
        "End every sentence with the number of the excerpt that supports it, like [1]. "
        f"If the excerpts do not answer the question, reply with only the word {DECLINE_WORD}. "
        f"Answer in {language}, in at most four sentences."
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": f"Excerpts:\n{numbered}\n\nQuestion: {question}"}]


def complete(config: LlmConfig, messages: list[dict]) -> str:
    """One chat completion; any failure becomes LlmUnavailable with a one-line reason."""
    body = json.dumps({"model": config.model, "messages": messages, "temperature": 0}).encode()
    headers = {"Content-Type": "application/json"}
    if config.api_key:
        headers["Authorization"] = f"Bearer {config.api_key}"
    request = urllib.request.Request(config.endpoint, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=config.timeout) as response:
            payload = json.loads(response.read().decode("utf-8"))
        return str(payload["choices"][0]["message"]["content"]).strip()
    except TimeoutError as error:
        raise LlmUnavailable(f"the LLM at {config.endpoint} did not answer within {config.timeout:g}s") from error
    except (urllib.error.URLError, OSError) as error:
        raise LlmUnavailable(f"the LLM at {config.endpoint} failed: {error}") from error
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise LlmUnavailable(f"the LLM at {config.endpoint} sent an unexpected reply") from error


def declines(reply: str) -> bool:
    """Does the reply say the excerpts do not answer (NOT_COVERED, maybe quoted or followed by a reason)?"""
    return bool(_DECLINES.match(reply))


def keep_valid_citations(text: str, count: int) -> tuple[str, list[int]]:
    """Drop markers that point at no excerpt; return the cleaned text and the cited numbers in order."""
    cited: list[int] = []

    def check(match: re.Match) -> str:
        n = int(match.group(1))
        if 1 <= n <= count:
            if n not in cited:
                cited.append(n)
            return match.group(0)
        return ""

    cleaned = CITATION_MARKER.sub(check, text)
    return re.sub(r"[ \t]+([.,!?])", r"\1", re.sub(r"[ \t]{2,}", " ", cleaned)).strip(), cited


def renumber(text: str, order: list[int]) -> str:
    """Excerpt numbers → citation numbers in order of first appearance."""
    mapping = {old: new for new, old in enumerate(order, 1)}
    return CITATION_MARKER.sub(lambda m: f"[{mapping[int(m.group(1))]}]", text)


def rewritten(config: LlmConfig, extractive: Answer, excerpts: list[Chunk], candidates: list[Candidate]) -> Answer:
    """The LLM's answer when it cites valid excerpts; an abstention when it finds no answer in them
    (it reads what the sentences say, which similarity cannot); otherwise the extractive one with a notice."""
    try:
        raw = complete(config, build_messages(extractive.question, excerpts, extractive.lang))
    except LlmUnavailable as error:
        log.warning("%s", error)
        return replace(extractive, notice=f"LLM unavailable ({error}); showing the extractive answer.")
    if declines(raw):
        return replace(
            extractive,
            text=NOT_COVERED[extractive.lang],
            answerable=False,
            confidence=0.0,
            citations=[],
            method="llm",
            notice="The LLM found no answer in the excerpts.",
        )
    text, cited = keep_valid_citations(raw, len(excerpts))
    if not cited:
        return replace(extractive, notice="The LLM answer cited no excerpt; showing the extractive answer.")
    best_in: dict[str, Candidate] = {}
    for candidate in candidates:  # best first, so the first seen per chunk is its best sentence
        best_in.setdefault(candidate.chunk.id, candidate)
    citations = []
    for new, old in enumerate(cited, 1):
        chunk = excerpts[old - 1]
        top = best_in.get(chunk.id)
        highlight = top.highlight if top else (0, len(chunk.text))
        citations.append(Citation(new, chunk, highlight, top.score if top else 0.0))
    return replace(extractive, text=renumber(text, cited), citations=citations, method="llm")
