"""HWPX (Hancom's OWPML: a zip of XML) → paragraphs in reading order.

Section files are read in the order the package's spine lists them. Paragraph text is the text of
its runs; a table becomes one line per row with its cells separated by " | " (a one-cell table
is a box around paragraphs and keeps them as paragraphs); text boxes are read where they stand;
footnotes and endnotes follow the body. Page headers and footers and the descriptions Hancom
stores for every picture ("그림입니다. 원본 그림의 이름: …") are dropped and reported. Headings
come from the paragraph's outline level (paraPr heading type OUTLINE) or an "개요 N" style.
"""
from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from reportqa.errors import UnreadableDocument
from reportqa.ingest.blocks import CELL_SEPARATOR, HEADER_FOOTER, PLACEHOLDER, Dropped, FlowText, Paragraph

HP = "{http://www.hancom.co.kr/hwpml/2011/paragraph}"
HH = "{http://www.hancom.co.kr/hwpml/2011/head}"
OPF = "{http://www.idpf.org/2007/opf/}"
SECTION_FILE = re.compile(r"Contents/section(\d+)\.xml")
OUTLINE_STYLE = re.compile(r"(?:개요|Outline)\s*(\d+)")
PICTURES = {f"{HP}pic", f"{HP}ole", f"{HP}video", f"{HP}chart"}
PAGE_FURNITURE = {f"{HP}header", f"{HP}footer"}
NOTES = {f"{HP}footNote", f"{HP}endNote"}
TEXT_BOXES = {f"{HP}rect", f"{HP}ellipse", f"{HP}polygon", f"{HP}curve", f"{HP}container", f"{HP}textart"}


@dataclass
class _Reader:
    """Walks one package; `levels` maps paraPr ids and style ids to outline levels."""

    para_levels: dict[str, int]
    style_levels: dict[str, int]
    paragraphs: list[Paragraph] = field(default_factory=list)
    notes: list[Paragraph] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)

    def body(self, container: etree._Element, out: list[Paragraph]) -> None:
        """Every <hp:p> directly under `container`, in order."""
        for p in container.iterchildren(f"{HP}p"):
            self.paragraph(p, out)

    def paragraph(self, p: etree._Element, out: list[Paragraph]) -> None:
        """One paragraph; tables, boxes and notes inside it become paragraphs of their own."""
        pieces: list[str] = []

        def flush() -> None:
            text = "\n".join(" ".join(line.split()) for line in "".join(pieces).splitlines())
            pieces.clear()
            if text:
                out.append(Paragraph(text, self.level(p)))

        for run in p.iterchildren(f"{HP}run"):
            for item in run.iterchildren():
                tag = item.tag
                if tag == f"{HP}t":
                    pieces.append(_run_text(item))
                elif tag == f"{HP}tbl":
                    flush()
                    self.table(item, out)
                elif tag in PICTURES:
                    comment = item.findtext(f"{HP}shapeComment") or ""
                    if comment.strip():
                        self.dropped.append(Dropped(PLACEHOLDER, " ".join(comment.split())))
                elif tag in TEXT_BOXES:
                    flush()
                    for sub in item.iter(f"{HP}subList"):
                        self.body(sub, out)
                elif tag == f"{HP}ctrl":
                    self.control(item)
        flush()

    def control(self, ctrl: etree._Element) -> None:
        for item in ctrl.iterchildren():
            if item.tag in PAGE_FURNITURE:
                text = " ".join("".join(item.itertext()).split())
                if text:
                    self.dropped.append(Dropped(HEADER_FOOTER, text))
            elif item.tag in NOTES:
                for sub in item.iter(f"{HP}subList"):
                    self.body(sub, self.notes)

    def table(self, tbl: etree._Element, out: list[Paragraph]) -> None:
        """One line per row, cells joined; a layout table (one cell, or tables in its cells) is a
        frame around paragraphs and keeps them as paragraphs."""
        cells = list(tbl.iter(f"{HP}tc"))
        if len(cells) == 1 or any(cell.find(f".//{HP}tbl") is not None for cell in cells):
            for cell in tbl.iterchildren(f"{HP}tr"):
                for tc in cell.iterchildren(f"{HP}tc"):
                    for sub in tc.iterchildren(f"{HP}subList"):
                        self.body(sub, out)
            return
        rows = []
        for tr in tbl.iterchildren(f"{HP}tr"):
            texts = []
            for tc in tr.iterchildren(f"{HP}tc"):
                inner: list[Paragraph] = []
                for sub in tc.iterchildren(f"{HP}subList"):
                    self.body(sub, inner)
                text = " ".join(" ".join(par.text.split()) for par in inner)
                if text:
                    texts.append(text)
            if texts:
                rows.append(CELL_SEPARATOR.join(texts))
        if rows:
            out.append(Paragraph("\n".join(rows)))

    def level(self, p: etree._Element) -> int | None:
        return self.para_levels.get(p.get("paraPrIDRef", "")) or self.style_levels.get(p.get("styleIDRef", ""))


def _run_text(t: etree._Element) -> str:
    """Text of <hp:t>: a line break ends a line, tabs and special spaces are spaces."""
    parts = [t.text or ""]
    for child in t:
        parts.append("\n" if child.tag == f"{HP}lineBreak" else " ")
        parts.append(child.tail or "")
    return "".join(parts)


def read_hwpx(raw: bytes, path: Path) -> FlowText:
    """Paragraphs, title and dropped lines of an HWPX file's bytes."""
    import io

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as package:
            names = set(package.namelist())
            sections = _section_files(package, names)
            if not sections:
                raise UnreadableDocument(f"Cannot read {path}: not an HWPX document (no section files inside).")
            header = _parse(package, "Contents/header.xml", path) if "Contents/header.xml" in names else None
            reader = _Reader(*_outline_levels(header))
            for name in sections:
                reader.body(_parse(package, name, path), reader.paragraphs)
            title = _title(package, names, path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as error:
        raise UnreadableDocument(f"Cannot read {path}: not a readable HWPX file ({error}).") from None
    return FlowText(reader.paragraphs + reader.notes, title, reader.dropped)


def _parse(package: zipfile.ZipFile, name: str, path: Path) -> etree._Element:
    try:
        return etree.fromstring(package.read(name), etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    except etree.XMLSyntaxError as error:
        raise UnreadableDocument(f"Cannot read {path}: {name} inside it is not well-formed XML ({error}).") from None


def _section_files(package: zipfile.ZipFile, names: set[str]) -> list[str]:
    """Section files in spine order when the manifest says it, else by number."""
    found = sorted((n for n in names if SECTION_FILE.fullmatch(n)), key=lambda n: int(SECTION_FILE.fullmatch(n).group(1)))
    if "Contents/content.hpf" not in names:
        return found
    try:
        root = etree.fromstring(package.read("Contents/content.hpf"))
    except etree.XMLSyntaxError:
        return found
    hrefs = {item.get("id"): item.get("href") for item in root.iter(f"{OPF}item")}
    spine = [hrefs.get(ref.get("idref")) for ref in root.iter(f"{OPF}itemref")]
    ordered = [href for href in spine if href in found]
    return ordered + [name for name in found if name not in ordered]


def _outline_levels(header: etree._Element | None) -> tuple[dict[str, int], dict[str, int]]:
    """paraPr ids whose heading is an OUTLINE level, and styles named "개요 N" (both 1-based)."""
    if header is None:
        return {}, {}
    para_levels = {}
    for para_pr in header.iter(f"{HH}paraPr"):
        heading = para_pr.find(f"{HH}heading")
        if heading is not None and heading.get("type") == "OUTLINE":
            para_levels[para_pr.get("id", "")] = int(heading.get("level", "0")) + 1
    style_levels = {}
    for style in header.iter(f"{HH}style"):
        match = OUTLINE_STYLE.fullmatch(style.get("name", "")) or OUTLINE_STYLE.fullmatch(style.get("engName", ""))
        if match:
            style_levels[style.get("id", "")] = int(match.group(1))
    return para_levels, style_levels


def _title(package: zipfile.ZipFile, names: set[str], path: Path) -> str:
    if "Contents/content.hpf" not in names:
        return ""
    root = _parse(package, "Contents/content.hpf", path)
    title = root.find(f".//{OPF}metadata/{OPF}title")
    return " ".join((title.text or "").split()) if title is not None else ""
