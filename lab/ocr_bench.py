"""`reportqa bench --ocr`: how well scanned pages are read, and what a scan costs retrieval.

Scans are made here from text whose every character is known, then read back through the product
(`read_document`, the same path as `reportqa documents add scan.pdf`):
- the two-page insurance terms (`../shared/documents/korean_texts_two_page.pdf`), rendered from its
  text layer, and the bundled report typeset in NanumGothic, page by page;
- each as a clean render and as a mildly degraded one (grey noise, a blur, a skew of under a degree:
  a flatbed scan of a printout), wrapped as an image-only PDF, at each resolution measured.

Character error rate (CER) is the edit distance between the recognised text and the reference,
both without whitespace (OCR's word spacing is not what is measured), over the reference length.
Retrieval: the bundled question set against an index of the text report and one of its scan;
an excerpt is relevant when it holds an evidence quote to within OCR's noise (rapidfuzz partial
ratio ≥ `FUZZY_HOLD` on space-free text), the same test for both indexes.
"""
from __future__ import annotations

import io
import logging
import random
import time
import unicodedata
from pathlib import Path

from reportqa.eval.questions import load_questions
from reportqa.index.api import open_searcher
from reportqa.index.build import build_index
from reportqa.index.embedder import load_embedder
from reportqa.ingest.load import load_document, read_document
from reportqa.lab.bench import BenchResult, scratch_home
from reportqa.paths import PROJECT_ROOT, default_corpus

log = logging.getLogger(__name__)

INSURANCE = PROJECT_ROOT.parent / "shared" / "documents" / "korean_texts_two_page.pdf"
NANUM = "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"  # Debian fonts-nanum (Makefile: browser)
RESOLUTIONS = (200, 300)
FUZZY_HOLD = 90
A4_INCHES = (8.27, 11.69)
MARGIN_INCHES = 0.8
BODY_POINTS, HEADING_POINTS = 10, 14


def character_error_rate(reference: str, recognised: str) -> float:
    """Edit distance over the reference length, whitespace and Unicode compatibility forms ignored."""
    from rapidfuzz.distance import Levenshtein

    ref, got = (_bare(text) for text in (reference, recognised))
    return Levenshtein.distance(ref, got) / max(1, len(ref))


def holds_fuzzily(text: str, quote: str) -> bool:
    """Does `text` hold `quote`, allowing the few characters OCR gets wrong?"""
    from rapidfuzz import fuzz

    return fuzz.partial_ratio(_bare(quote), _bare(text)) >= FUZZY_HOLD


def _bare(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def rendered_pages(pdf: Path, dpi: int) -> list:
    """Each page of a PDF as a greyscale image, as a scanner would see the printout."""
    import pdfplumber

    with pdfplumber.open(pdf) as document:
        return [page.to_image(resolution=dpi).original.convert("L") for page in document.pages]


def typeset(paragraphs: list[tuple[str, int]], dpi: int) -> list:
    """Paragraphs (text, points) set on A4 pages in NanumGothic, wrapped at the margin: a printout."""
    from PIL import Image, ImageDraw, ImageFont

    width, height = (round(side * dpi) for side in A4_INCHES)
    margin = round(MARGIN_INCHES * dpi)
    fonts = {size: ImageFont.truetype(NANUM, round(size * dpi / 72)) for size in {size for _, size in paragraphs}}
    pages, page, y = [], None, height
    for text, size in paragraphs:
        font, step = fonts[size], round(size * 1.7 * dpi / 72)
        for line in _wrapped(text, font, width - 2 * margin):
            if y + step > height - margin:
                page = Image.new("L", (width, height), 255)
                pages.append(page)
                y = margin
            ImageDraw.Draw(page).text((margin, y), line, font=font, fill=0)
            y += step
        y += step // 2
    return pages


def _wrapped(text: str, font, room: float) -> list[str]:  # noqa: ANN001 - a PIL font
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and font.getlength(candidate) > room:
            lines.append(line)
            line = word
        else:
            line = candidate
    return [*lines, line] if line else lines


def degraded(image, seed: int):  # noqa: ANN001, ANN201 - PIL images
    """A mild scan: a skew under a degree, a slight blur and grey noise (fixed seed)."""
    import numpy as np
    from PIL import Image, ImageFilter

    rng = random.Random(seed)
    skewed = image.rotate(rng.uniform(-0.8, 0.8), resample=Image.BICUBIC, expand=False, fillcolor=255)
    blurred = skewed.filter(ImageFilter.GaussianBlur(0.6))
    noise = np.random.default_rng(seed).normal(0, 18, (blurred.height, blurred.width))
    return Image.fromarray(np.clip(np.asarray(blurred, dtype=np.float32) + noise, 0, 255).astype(np.uint8))


def image_pdf(pages: list, dpi: int) -> bytes:
    """An image-only PDF of the pages (no text layer), as a scanner writes it."""
    out = io.BytesIO()
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=dpi)
    return out.getvalue()


def report_paragraphs() -> tuple[list[tuple[str, int]], str]:
    """The bundled report's cleaned text as paragraphs to typeset (headings larger), and that text."""
    document = load_document(next(path for path in sorted(default_corpus().iterdir()) if path.is_file()))
    headings = {section.path.split(" > ")[-1] for section in document.sections}
    paragraphs = [(line, HEADING_POINTS if line in headings else BODY_POINTS) for line in document.text.split("\n") if line.strip()]
    return paragraphs, document.text


def recognised_text(pages: list, dpi: int, folder: Path, name: str) -> tuple[str, float, float]:
    """Text, seconds per page and mean Tesseract confidence of a scan read as a user's PDF."""
    path = folder / name
    path.write_bytes(image_pdf(pages, dpi))
    started = time.perf_counter()
    loaded = read_document(path)
    seconds = (time.perf_counter() - started) / len(pages)
    confidences = loaded.document.recognised.values()
    return loaded.document.text, seconds, sum(confidences) / len(confidences)


def ocr_bench(resolutions: tuple[int, ...] = RESOLUTIONS, retrieval_dpi: int | None = None) -> BenchResult:
    """CER and seconds per page for each scan and resolution; hit@5 of the scanned report."""
    import pdfplumber

    result = BenchResult()
    with pdfplumber.open(INSURANCE) as document:
        insurance_text = "\n".join(page.extract_text() for page in document.pages)
    paragraphs, report_text = report_paragraphs()
    with scratch_home() as home:
        for dpi in resolutions:
            scans = {"insurance": rendered_pages(INSURANCE, dpi), "report": typeset(paragraphs, dpi)}
            references = {"insurance": insurance_text, "report": report_text}
            for name, pages in scans.items():
                for kind, images in (("clean", pages), ("noisy", [degraded(page, seed) for seed, page in enumerate(pages)])):
                    text, seconds, confidence = recognised_text(images, dpi, home, f"{name}-{kind}-{dpi}.pdf")
                    result.add(f"CER {name} {kind} {dpi} dpi", character_error_rate(references[name], text), "")
                    result.add(f"OCR {name} {kind} {dpi} dpi", seconds, "s/page")
                    result.add(f"Tesseract confidence {name} {kind} {dpi} dpi", confidence, "")
        _retrieval(result, paragraphs, retrieval_dpi or max(resolutions), home)
    return result


def _retrieval(result: BenchResult, paragraphs: list[tuple[str, int]], dpi: int, home: Path) -> None:
    """hit@5 on the bundled set: the report's text against its clean and noisy scans."""
    questions = [q for q in load_questions() if q.answerable and q.evidence]
    pages = typeset(paragraphs, dpi)
    folders = {"text": [default_corpus()]}
    for kind, images in (("scan clean", pages), ("scan noisy", [degraded(page, seed) for seed, page in enumerate(pages)])):
        folder = home / kind.replace(" ", "-")
        folder.mkdir()
        (folder / "report-scan.pdf").write_bytes(image_pdf(images, dpi))
        folders[kind] = [folder]
    embedder = load_embedder()
    for kind, sources in folders.items():
        name = kind.replace(" ", "-")
        build_index(sources, embedder, name=name, progress=False)
        searcher = open_searcher(name, build_if_missing=False)
        hits = [any(any(holds_fuzzily(h.chunk.text, quote) for quote in q.evidence) for h in searcher.search(q.question, 5)) for q in questions]
        result.add(f"hit@5 bundled set, report as {kind} ({dpi} dpi)", sum(hits) / len(hits), "")
