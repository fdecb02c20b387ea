"""Where reportqa keeps data: the index folder and the converted model cache."""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent


def data_home() -> Path:
    """Index data: `$REPORTQA_HOME`, else the git-ignored `data/` folder of the project."""
    env = os.environ.get("REPORTQA_HOME")
    return Path(env).expanduser() if env else PROJECT_ROOT / "data"


def model_cache() -> Path:
    """Converted models live in the user's cache, shared by every index and test run."""
    env = os.environ.get("REPORTQA_MODEL_CACHE")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "reportqa" / "models"


def default_corpus() -> Path:
    """The bundled report(s) indexed when the user names no files."""
    return PROJECT_ROOT / "corpus"
