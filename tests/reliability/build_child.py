"""A build in its own process that SIGKILLs itself at the Nth write of the index save (argv: N, name, paths...).

Run by test_builds.py: a real kill -9, at points chosen to cover every step of the save
(writing the version, switching CURRENT, removing old versions).
"""
from __future__ import annotations

import os
import shutil
import signal
import sys
from pathlib import Path

import numpy as np
from reportqa.index import store
from reportqa.index.build import build_index
from reportqa.index.embedder import load_embedder

kill_at, name, paths = int(sys.argv[1]), sys.argv[2], [Path(p) for p in sys.argv[3:]]
state = {"armed": False, "writes": 0}


def killing(function):
    def wrapper(*args, **kwargs):
        if state["armed"]:
            state["writes"] += 1
            if state["writes"] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
        return function(*args, **kwargs)

    return wrapper


real_save = store.save


def armed_save(*args, **kwargs):
    state["armed"] = True
    return real_save(*args, **kwargs)


store.save = armed_save
store._write_jsonl = killing(store._write_jsonl)
np.save = killing(np.save)
os.replace = killing(os.replace)
shutil.rmtree = killing(shutil.rmtree)
build_index(paths, load_embedder(), name=name, progress=False)
print("finished", state["writes"])
