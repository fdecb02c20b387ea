"""Imports flow down the layers and never in a circle; the chat and `ask` never load the lab.

The layers, lowest first (ARCHITECTURE.md draws them): the shared rules (`errors`, `paths`,
`limits`), `ingest`, `index`, `qa`, `eval`, `lab`, the app (`documents_tab`, `app`), `cli`.
A module may import its own layer or a lower one. Every import counts, also one inside a
function or under `TYPE_CHECKING`: a circle that only type checkers walk is still a circle.
"""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from reportqa.index import store
from reportqa.paths import PROJECT_ROOT

LAYERS = [("errors", "paths", "limits"), ("ingest",), ("index",), ("qa",), ("eval",), ("lab",), ("documents_tab", "http_api", "app"), ("cli",)]
RANK = {top: rank for rank, tops in enumerate(LAYERS) for top in tops}
NOT_CODE = {"tests", "docs", "corpus", "data", "build", "test-output"}


@cache
def modules() -> dict[str, Path]:
    """`reportqa.…` module name → file, for every module of the package."""
    found = {}
    for path in sorted(PROJECT_ROOT.rglob("*.py")):
        parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
        if parts[0] in NOT_CODE or parts[0].startswith("."):
            continue
        name = ".".join(("reportqa", *parts)).removesuffix(".__init__")
        found[name] = path
    return found


def imported(node: ast.AST) -> set[str]:
    """The project's modules an AST imports (`from reportqa.x import y` names y when y is a module)."""
    known = modules()
    names: set[str] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Import):
            names |= {alias.name for alias in child.names}
        elif isinstance(child, ast.ImportFrom) and child.module:
            names |= {child.module, *(f"{child.module}.{alias.name}" for alias in child.names)}
    return {name for name in names if name in known}


@cache
def graph() -> dict[str, set[str]]:
    return {name: imported(ast.parse(path.read_text(encoding="utf-8"))) - {name} for name, path in modules().items()}


def layer(module: str) -> int:
    top = module.split(".")[1] if module != "reportqa" else "errors"
    return RANK[top]


def test_every_module_belongs_to_a_layer() -> None:
    assert {name.split(".")[1] for name in modules() if name != "reportqa"} <= RANK.keys()


def test_no_import_runs_back_up_a_layer() -> None:
    upward = sorted(
        f"{source} imports {target}" for source, targets in graph().items() for target in targets if layer(target) > layer(source)
    )
    assert not upward, "imports from a lower layer to a higher one:\n" + "\n".join(upward)


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: the groups of modules that reach each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return groups


def test_no_import_circles() -> None:
    circles = [group for group in strongly_connected(graph()) if len(group) > 1]
    assert not circles, "modules that import each other: " + "; ".join(" ↔ ".join(group) for group in circles)


def test_the_circle_check_finds_a_circle() -> None:
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"], ["d"]]


def reachable(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo += graph()[module]
    return seen


@pytest.mark.parametrize("entry", ["reportqa.app", "reportqa.qa.answer", "reportqa.index.api"])
def test_the_product_never_reaches_the_lab(entry: str) -> None:
    assert not {m for m in reachable(entry) if m.startswith("reportqa.lab")}


def test_the_cli_imports_the_lab_only_for_benchmarks() -> None:
    tree = ast.parse(modules()["reportqa.cli"].read_text(encoding="utf-8"))
    assert not {m for m in imported(ast.Module(body=[n for n in tree.body if not isinstance(n, ast.FunctionDef)], type_ignores=[])) if ".lab" in m}
    users = {f.name for f in tree.body if isinstance(f, ast.FunctionDef) and any(".lab" in m for m in imported(f))}
    assert users == {"bench", "_benchmark"}


def test_asking_loads_neither_the_lab_nor_gradio(report_index: store.IndexData) -> None:
    """A real `reportqa ask` in a fresh interpreter (the session's data home and index)."""
    script = (
        "import json, sys\n"
        "from reportqa.cli import main\n"
        "main(['ask', '타스크사는 어떤 제품을 만드나?', '--json'], standalone_mode=False)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('reportqa.lab', 'gradio')))))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    answer, loaded = result.stdout.strip().splitlines()
    assert json.loads(answer)["citations"]
    assert json.loads(loaded) == []
