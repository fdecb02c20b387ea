"""Page images (PNG, JPEG, TIFF; a multi-page TIFF is a document of pages) → paragraphs by OCR.

The recognised lines go through the same layout as a PDF's (`read_pdf.lay_out`): wrapped lines
rejoined, headings by size, running headers of a multi-page scan dropped.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path


from reportqa.errors import UnreadableDocument
from reportqa.ingest.blocks import Dropped, Paragraph
from reportqa.ingest.ocr import PageProgress, recognise_pages
from reportqa.ingest.read_pdf import lay_out, ocr_lines


@dataclass
class ImageText:
    pages: list[list[Paragraph]]
    dropped: list[Dropped]
    recognised: dict[int, float]  # 1-based page → OCR confidence (0–1)


def read_image(raw: bytes, path: Path, on_page: PageProgress | None = None) -> ImageText:
    """Recognise every frame of the image file; refused in one line when it is not an image."""
    from PIL import Image, ImageSequence, UnidentifiedImageError

    try:  # Pillow refuses an image of more than ~179 million pixels (a decompression bomb)
        image = Image.open(io.BytesIO(raw))
        frames = [frame.copy() for frame in ImageSequence.Iterator(image)]
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as error:
        raise UnreadableDocument(f"Cannot read {path}: not a readable image ({type(error).__name__}).") from None
    for frame in frames:
        frame.info.setdefault("dpi", image.info.get("dpi"))
    recognised = list(recognise_pages(path, frames, len(frames), on_page))
    lines = [ocr_lines(page) for page in recognised]
    if not any(lines):
        raise UnreadableDocument(f"Cannot read {path}: OCR found no text in the image.")
    pages, dropped = lay_out(lines)
    return ImageText(pages, dropped, {number: page.confidence for number, page in enumerate(recognised, start=1)})
