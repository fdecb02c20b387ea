"""Everything importable lives under `reportqa`: nothing generic lands in site-packages."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def _imports(module: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", f"import {module}"], cwd=cwd, capture_output=True, text=True)


@pytest.mark.parametrize("module", ["ingest", "index", "qa", "eval", "lab", "app", "cli", "errors", "paths"])
def test_no_generic_top_level_module_outside_the_project(module: str, tmp_path: Path) -> None:
    result = _imports(module, tmp_path)
    assert result.returncode != 0
    assert f"No module named '{module}'" in result.stderr


@pytest.mark.parametrize(
    "module", ["reportqa.ingest", "reportqa.index", "reportqa.qa", "reportqa.eval", "reportqa.lab", "reportqa.app", "reportqa.cli"]
)
def test_the_reportqa_namespace_imports_from_anywhere(module: str, tmp_path: Path) -> None:
    result = _imports(module, tmp_path)
    assert result.returncode == 0, result.stderr
