"""ARCHITECTURE.md is checked against the code: every path it names exists, every `file.py: name`
is defined there, and its layer diagram is the order tests/test_layers.py enforces."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from reportqa.paths import PROJECT_ROOT

from tests.test_layers import LAYERS

PAGE = PROJECT_ROOT / "ARCHITECTURE.md"
# A code span that names a project path: `index/store.py`, `cli.py`, `tests/ingest`, `lab/`.
PATH = re.compile(r"`((?:[a-z_]+/)*[a-z_]+(?:\.py|/)?)(?:: ([A-Za-z_]+))?`")
TOP_LEVEL = {p.name for p in PROJECT_ROOT.iterdir()}


def named_paths(text: str) -> set[tuple[str, str | None]]:
    """(path, symbol or None) for every code span that starts at a top-level file or folder of the project."""
    found = set()
    for path, symbol in PATH.findall(text):
        head = path.split("/")[0] + ("/" if "/" in path else "")
        if head.rstrip("/") in TOP_LEVEL and (path.endswith((".py", "/")) or "/" in path):
            found.add((path, symbol or None))
    return found


def defined_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


REFERENCES = sorted(named_paths(PAGE.read_text(encoding="utf-8")), key=str)


def test_the_page_names_many_paths() -> None:
    assert len(REFERENCES) > 60  # the map names most modules; a broken pattern would find none


@pytest.mark.parametrize(("path", "symbol"), REFERENCES, ids=[f"{p}:{s}" if s else p for p, s in REFERENCES])
def test_every_named_path_exists(path: str, symbol: str | None) -> None:
    target = PROJECT_ROOT / path
    assert target.exists(), f"ARCHITECTURE.md names {path}, which does not exist"
    if symbol:
        assert symbol in defined_names(target), f"ARCHITECTURE.md names {path}: {symbol}, which is not defined there"


def test_the_checks_notice_a_moved_module() -> None:
    assert ("index/gone.py", "build_index") in named_paths("see `index/gone.py: build_index`")
    assert not (PROJECT_ROOT / "index/gone.py").exists()
    assert "build_index" not in defined_names(PROJECT_ROOT / "index" / "search.py")


def test_the_layer_diagram_is_the_enforced_order() -> None:
    text = PAGE.read_text(encoding="utf-8")
    diagram = re.search(r"```\n(.*?)```", text[text.index("## Layers") :], re.S).group(1)
    drawn = [tuple(part.strip().split(", ")) for part in diagram.splitlines()[-1].split("→")]
    first = tuple(diagram.splitlines()[0].split("  ")[0].strip().split(", "))
    assert [first, *drawn] == LAYERS
