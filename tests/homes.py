"""A throw-away $REPORTQA_HOME, so no test touches the user's data folder."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def temporary_home(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Path]:
    path = tmp_path_factory.mktemp(name)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REPORTQA_HOME", str(path))
        yield path
