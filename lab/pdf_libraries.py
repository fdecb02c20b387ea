"""Which PDF text library: pypdf, pypdfium2 and pdfplumber side by side on the same PDFs.

`python -m reportqa.lab.pdf_libraries FILE.pdf …` prints, per file and library, the median
seconds over three runs and what the reading keeps: whether table cells run together
("17:008월"), whether characters carry positions and font sizes (needed to rejoin wrapped lines,
drop running headers by position and take headings from sizes) and whether tables are found.
"""
from __future__ import annotations

import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

RUNS = 3


def _pypdf(raw: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(raw)).pages)


def _pypdfium2(raw: bytes) -> str:
    import pypdfium2

    document = pypdfium2.PdfDocument(raw)
    return "\n".join(document[i].get_textpage().get_text_bounded() for i in range(len(document)))


def _pdfplumber(raw: bytes) -> str:
    """As ingest reads it: tables and lines with positions and sizes."""
    import pdfplumber

    with pdfplumber.open(io.BytesIO(raw)) as pdf:
        parts = []
        for page in pdf.pages:
            parts += [" | ".join(c or "" for c in row) for table in page.find_tables() for row in table.extract()]
            parts += [line["text"] for line in page.extract_text_lines(return_chars=True)]
        return "\n".join(parts)


LIBRARIES: dict[str, tuple[Callable[[bytes], str], str]] = {
    "pypdf": (_pypdf, "text only"),
    "pypdfium2": (_pypdfium2, "char boxes, no tables"),
    "pdfplumber": (_pdfplumber, "char boxes + sizes, tables"),
}


def compare(paths: list[Path]) -> list[dict[str, str]]:
    rows = []
    for path in paths:
        raw = path.read_bytes()
        for name, (read, keeps) in LIBRARIES.items():
            seconds = []
            for _ in range(RUNS):
                started = time.perf_counter()
                text = read(raw)
                seconds.append(time.perf_counter() - started)
            run_together = any(glued in text for glued in ("17:008월", "14:0010월"))
            rows.append({
                "file": path.name,
                "library": name,
                "median s": f"{statistics.median(seconds):.3f}",
                "cells run together": "yes" if run_together else "no",
                "layout": keeps,
            })
    return rows


def main(argv: list[str]) -> None:
    rows = compare([Path(arg) for arg in argv])
    if not rows:
        return
    widths = {key: max(len(key), *(len(row[key]) for row in rows)) for key in rows[0]}
    print("  ".join(key.ljust(width) for key, width in widths.items()))
    for row in rows:
        print("  ".join(row[key].ljust(width) for key, width in widths.items()))


if __name__ == "__main__":
    main(sys.argv[1:])
