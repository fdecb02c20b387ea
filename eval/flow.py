"""The evaluation flow that `reportqa eval` and the app's Evaluation tab both run.

Choices are checked here once (modes, cut-offs), the set is loaded, searched and answered with
the caller's own answerer (no second model), and the report is written. Folder policy: every
run gets a new folder `<data home>/eval/<set>/<YYYYmmdd-HHMMSS>/`, so earlier reports stay, and
`<data home>/eval/<set>/latest` points at the newest; `out` (the CLI's `--out`) writes exactly
where the user said instead.
"""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from reportqa.errors import InvalidInput
from reportqa.eval.questions import BUNDLED_SET, load_questions
from reportqa.eval.report import write_report
from reportqa.eval.run import EvalResult, evaluate
from reportqa.limits import MODES, Mode
from reportqa.paths import data_home
from reportqa.qa.answer import Answerer

log = logging.getLogger(__name__)

DEFAULT_CUTOFFS = (1, 3, 5, 10)
DEFAULT_BUDGET = 1200
LATEST = "latest"


@dataclass(frozen=True)
class EvalRun:
    """A finished evaluation and the folder holding its report.md, results.json and charts."""

    result: EvalResult
    folder: Path


def parse_modes(chosen: str | Iterable[str]) -> list[Mode]:
    """`"hybrid,bm25"` or a list of modes; an unknown or empty choice is refused with the known ones."""
    names = [m.strip() for m in (chosen.split(",") if isinstance(chosen, str) else chosen) if m.strip()]
    unknown = [m for m in names if m not in MODES]
    if unknown or not names:
        raise InvalidInput(f"unknown mode(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(MODES)}")
    return names  # type: ignore[return-value]  # checked against MODES above


def parse_cutoffs(text: str) -> list[int]:
    """`"1,3,5,10"` → [1, 3, 5, 10]; every cut-off a positive whole number."""
    try:
        cutoffs = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        cutoffs = []
    if not cutoffs or min(cutoffs) < 1:
        raise InvalidInput(f"--k takes positive whole numbers separated by commas, not {text!r}")
    return cutoffs


def run_folder(set_name: str) -> Path:
    """A new, empty folder for one run of `set_name` (a second run in the same second gets a suffix)."""
    base = data_home() / "eval" / set_name
    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder, n = base / stamp, 1
    while folder.exists():
        n += 1
        folder = base / f"{stamp}-{n}"
    folder.mkdir(parents=True)
    return folder


def point_latest(folder: Path) -> None:
    """Swap `<set>/latest` to `folder` atomically (a relative link, so the data home can move)."""
    link = folder.parent / LATEST
    tmp = folder.parent / f".{LATEST}-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(folder.name)
    os.replace(tmp, link)


def evaluate_set(
    answerer: Answerer,
    path: Path | None = None,
    modes: str | Iterable[str] = MODES,
    cutoffs: Iterable[int] = DEFAULT_CUTOFFS,
    budget: int = DEFAULT_BUDGET,
    out: Path | None = None,
    name: str | None = None,
) -> EvalRun:
    """Search every question of the set in each mode, answer it, score both and write the report.

    `name` is how the set is called in the report and its folder (default: the file's stem; the
    app passes the uploaded file's own name rather than the server's temporary one).
    """
    chosen = parse_modes(modes)
    path = path or BUNDLED_SET
    name = name or path.stem
    questions = load_questions(path)
    result = evaluate(questions, answerer.searcher, chosen, tuple(cutoffs), budget, answer_fn=answerer.answer, name=name)
    folder = out or run_folder(name)
    write_report(result, folder)
    if out is None:
        point_latest(folder)
    log.info("evaluation of %s written to %s", name, folder)
    return EvalRun(result, folder)
