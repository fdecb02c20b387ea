"""Text from page images (scanned PDF pages, PNG/JPEG/TIFF) with Tesseract, through tesserocr.

Settings chosen by measurement on rendered Korean pages (docs/formats.md, "Scanned pages"):
the Korean model alone ("kor+eng" doubled the character errors on Korean pages), page
segmentation 4, one column of text of variable sizes (automatic segmentation left out whole
blocks of a page), and one OpenMP thread (on 2 cores Tesseract's own threads made a page up to
ten times slower beside the model). The page text Tesseract composes is used as it is: it knows
where Korean words are spaced; the line boxes only give each line its place and size.

OCR is optional: without Tesseract's Korean model a scanned page gets `ocr_missing`'s one line
saying what to install, and every other file reads as before.
"""
from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from reportqa.errors import UnreadableDocument

LANGUAGE = "kor"
RENDER_DPI = 300  # scanned PDF pages are rendered at this resolution (docs/formats.md: 200 vs 300)
SMOOTHING_INCHES = 1 / 300  # Gaussian blur before recognition: one pixel at 300 dpi (docs/formats.md)
POINTS_PER_INCH = 72
TESSDATA_VARIABLE = "TESSDATA_PREFIX"
TESSDATA_DIRS = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata", "/usr/share/tessdata")
INSTALL_HINT = "install Tesseract with its Korean model (Debian/Ubuntu: apt-get install tesseract-ocr tesseract-ocr-kor)"

PageProgress = Callable[[str, int, int], None]  # (file name, pages recognised, pages to recognise)


@dataclass(frozen=True)
class OcrLine:
    """A recognised line, with its box in points (72 per inch) like a PDF's text."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float


@dataclass(frozen=True)
class RecognisedPage:
    lines: list[OcrLine]
    confidence: float  # Tesseract's mean word confidence for the page, 0–1


def tessdata_dir() -> Path | None:
    """The folder holding Tesseract's Korean model: $TESSDATA_PREFIX, else Debian's places."""
    candidates = [os.environ[TESSDATA_VARIABLE]] if os.environ.get(TESSDATA_VARIABLE) else []
    for folder in map(Path, [*candidates, *TESSDATA_DIRS]):
        if all((folder / f"{language}.traineddata").is_file() for language in LANGUAGE.split("+")):
            return folder
    return None


def ocr_missing(path: Path) -> UnreadableDocument:
    return UnreadableDocument(f"Cannot read {path}: it is a scanned image and needs OCR; {INSTALL_HINT}.")


@contextmanager
def recogniser(path: Path) -> Iterator[Callable[[object], RecognisedPage]]:
    """One loaded Tesseract for the pages of `path`: a function from a PIL image to its page."""
    folder = tessdata_dir()
    if folder is None:
        raise ocr_missing(path)
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # read when the library starts its threads
    try:
        from tesserocr import PSM, PyTessBaseAPI
    except ImportError:
        raise ocr_missing(path) from None
    with PyTessBaseAPI(path=f"{folder}/", lang=LANGUAGE, psm=PSM.SINGLE_COLUMN) as api:
        yield lambda image: _recognise(api, image)


def recognise_pages(path: Path, images: Iterable[object], count: int, on_page: PageProgress | None) -> Iterator[RecognisedPage]:
    """The `count` page images of `path` recognised in turn by one loaded Tesseract, with a bar of
    pages and `on_page(name, done, count)` after each (images may be rendered lazily)."""
    with recogniser(path) as recognise:
        for done, image in enumerate(tqdm(images, total=count, desc=f"recognising {path.name}", unit="page", disable=count < 2), start=1):
            yield recognise(image)
            if on_page is not None:
                on_page(path.name, done, count)


def _recognise(api, image) -> RecognisedPage:  # noqa: ANN001 - tesserocr's API and a PIL image
    """The page's lines in reading order, each with its box; its text as Tesseract's page text spaces it.

    The page is smoothed first: thin serifs and scanner noise broke characters apart (measured on
    clean and noisy scans of two typefaces, docs/benchmarks.md#scanned-pages)."""
    from PIL import ImageFilter
    from tesserocr import RIL, iterate_level

    dpi = round((image.info.get("dpi") or (RENDER_DPI, RENDER_DPI))[1] or RENDER_DPI)
    api.SetImage(image.convert("L").filter(ImageFilter.GaussianBlur(SMOOTHING_INCHES * dpi)))
    api.SetSourceResolution(int(dpi))  # without it Tesseract guesses, and its line finding splits lines into jamo
    api.Recognize()
    spaced: dict[str, deque[str]] = {}
    for line in _text(api.GetUTF8Text).splitlines():
        spaced.setdefault(_unspaced(line), deque()).append(line.strip())
    scale = POINTS_PER_INCH / float(dpi)
    lines = []
    for found in iterate_level(api.GetIterator(), RIL.TEXTLINE):
        text, box = _text(lambda: found.GetUTF8Text(RIL.TEXTLINE)).strip(), found.BoundingBox(RIL.TEXTLINE)
        if not text or box is None:
            continue
        same = spaced.get(_unspaced(text))
        x0, top, x1, bottom = box
        lines.append(OcrLine(same.popleft() if same else text, x0 * scale, x1 * scale, top * scale, bottom * scale))
    return RecognisedPage(lines, max(api.MeanTextConf(), 0) / 100)


def _text(read: Callable[[], str | None]) -> str:
    """Recognised text, or "" where tesserocr raises for a box that holds none (a speck, a rule)."""
    try:
        return read() or ""
    except RuntimeError:
        return ""


def _unspaced(text: str) -> str:
    """A line's characters without spaces: how a line box's text (which spaces every Korean
    syllable apart) is matched to the page text's line (which spaces words as printed)."""
    return "".join(text.split())
