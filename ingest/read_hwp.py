"""HWP 5 (Hancom's binary .hwp) → paragraphs in reading order, kept and dropped as read_hwpx does.

Written here from Hancom's published "HWP 5.0 file format" document on olefile (BSD) and zlib,
because the maintained Python reader, pyhwp, is AGPL (docs/formats.md). Password, distribution and
DRM documents are refused; the preview text (PrvText, the first page or so) is never used.
"""
from __future__ import annotations

import io
import logging
import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import olefile
from reportqa import limits
from reportqa.errors import UnreadableDocument
from reportqa.ingest.blocks import CELL_SEPARATOR, HEADER_FOOTER, PLACEHOLDER, Dropped, FlowText, Paragraph
from reportqa.ingest.read_hwpx import OUTLINE_STYLE

log = logging.getLogger(__name__)

SIGNATURE = b"HWP Document File"
COMPRESSED, PASSWORD, DISTRIBUTION, DRM = 1, 2, 4, 16  # FileHeader property bits
PROTECTIONS = (
    (PASSWORD, "password-protected HWP; save it without a password in Hancom Office and add that"),
    (DISTRIBUTION, "distribution-protected HWP (배포용 문서), its text is encrypted"),
    (DRM, "DRM-protected HWP, its text is encrypted"),
)
SECTION = re.compile(r"Section(\d+)")
SUMMARY = "\x05HwpSummaryInformation"
TITLE_PROPERTY, UNICODE_STRING = 2, 0x1F  # property id and type (VT_LPWSTR) of the summary's title

# Record tags (HWPTAG_BEGIN = 0x10 plus the number the format document gives).
BEGIN = 0x10
PARA_SHAPE, STYLE = BEGIN + 9, BEGIN + 10  # DocInfo
PARA_HEADER, PARA_TEXT, CTRL_HEADER, LIST_HEADER, TABLE = BEGIN + 50, BEGIN + 51, BEGIN + 55, BEGIN + 56, BEGIN + 61
OUTLINE = 1  # a paragraph shape's heading type (property bits 23-24): 1 = outline level (bits 25-27)

# Control characters in paragraph text: inline and extended ones take 8 UTF-16 units (their id
# and parameters follow the code); each extended one stands for the paragraph's next CTRL_HEADER.
INLINE_CONTROLS = frozenset({4, 5, 6, 7, 8, 9, 19, 20})
EXTENDED_CONTROLS = frozenset({1, 2, 3, 11, 12, 14, 15, 16, 17, 18, 21, 22, 23})
CONTROL_WIDTH = 8
CONTROL_TEXT = {9: " ", 10: "\n", 24: "-", 30: " ", 31: " "}  # tab, line break, hyphen, bound and fixed-width spaces

TABLE_CONTROL, SHAPE_CONTROL, AUTO_NUMBER = "tbl ", "gso ", "atno"
NOTE_CONTROLS = frozenset({"fn  ", "en  "})
FURNITURE_CONTROLS = frozenset({"head", "foot"})
DESCRIPTION_AT = 44  # a drawing object's description follows its common properties (id … page-break flag)
CELL_ADDRESS_AT = 8  # a cell's column and row follow its list header's count and properties


class _Broken(Exception):
    """The file is not what the format describes; the message says where."""


@dataclass
class _Record:
    tag: int
    level: int
    payload: bytes
    children: list[_Record] = field(default_factory=list)


@dataclass
class _List:
    """A paragraph list: a table cell, a text box, a note, a header or footer, a caption."""

    header: _Record
    paragraphs: list[_Record] = field(default_factory=list)


@dataclass
class _Reader:
    """Walks the records of the sections; the levels map paragraph shape and style ids to outline levels."""

    para_levels: dict[int, int]
    style_levels: dict[int, int]
    paragraphs: list[Paragraph] = field(default_factory=list)
    notes: list[Paragraph] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)

    def body(self, paragraphs: list[_Record], out: list[Paragraph]) -> None:
        for paragraph in paragraphs:
            self.paragraph(paragraph, out)

    def paragraph(self, para: _Record, out: list[Paragraph]) -> None:
        """One paragraph; tables and text boxes inside it become paragraphs of their own where they stand."""
        level = self.level(para)
        pieces: list[str] = []

        def flush() -> None:
            lines = (" ".join(line.split()) for line in "".join(pieces).splitlines())
            text = "\n".join(line for line in lines if line)
            pieces.clear()
            if text:
                out.append(Paragraph(text, level))

        def place(control: _Record) -> None:
            pieces.append(_number(control))
            inserted = self.control(control)
            if inserted:
                flush()
                out.extend(inserted)

        controls = iter([child for child in para.children if child.tag == CTRL_HEADER])
        for item in _text_items(para):
            if isinstance(item, str):
                pieces.append(item)
            elif (control := next(controls, None)) is not None:
                place(control)
        for control in controls:
            place(control)
        flush()

    def control(self, control: _Record) -> list[Paragraph]:
        """The paragraphs of a table or text box, to stand where it stands; notes go after the body,
        headers and footers to `dropped`. Other controls (fields, section and column definitions,
        page numbers, hidden comments) have no text of their own to read."""
        kind = _control_id(control)
        inserted: list[Paragraph] = []
        if kind == TABLE_CONTROL:
            self.table(control, inserted)
        elif kind == SHAPE_CONTROL:
            self.shape(control, inserted)
        elif kind in NOTE_CONTROLS:
            self.lists(_lists(control.children), self.notes)
        elif kind in FURNITURE_CONTROLS:
            text = self.joined(_lists(control.children))
            if text:
                self.dropped.append(Dropped(HEADER_FOOTER, text))
        return inserted

    def shape(self, control: _Record, out: list[Paragraph]) -> None:
        """A drawing object: the text in it (a text box) is read, its description is dropped."""
        description = _description(control.payload)
        if description:
            self.dropped.append(Dropped(PLACEHOLDER, description))
        self.lists(_lists(control.children), out)

    def table(self, control: _Record, out: list[Paragraph]) -> None:
        """One line per row, cells joined in their row and column order; a layout table (one cell,
        or a table or heading in its cells) is a frame around paragraphs and keeps them as paragraphs.
        The caption, a paragraph list before the TABLE record, comes first."""
        at = next((i for i, child in enumerate(control.children) if child.tag == TABLE), len(control.children))
        self.lists(_lists(control.children[:at]), out)
        cells = sorted(_lists(control.children[at + 1 :]), key=_cell_address)
        if len(cells) == 1 or any(self.frames(cell) for cell in cells):
            self.lists(cells, out)
            return
        rows: dict[int, list[str]] = {}
        for cell in cells:
            text = self.joined([cell])
            if text:
                rows.setdefault(_cell_address(cell)[0], []).append(text)
        if rows:
            out.append(Paragraph("\n".join(CELL_SEPARATOR.join(texts) for texts in rows.values())))

    def frames(self, cell: _List) -> bool:
        """True when the cell holds a table or a heading: it lays out the page, it is not data."""
        return any(
            (node.tag == CTRL_HEADER and _control_id(node) == TABLE_CONTROL) or (node.tag == PARA_HEADER and self.level(node))
            for paragraph in cell.paragraphs
            for node in _walk(paragraph)
        )

    def lists(self, lists: list[_List], out: list[Paragraph]) -> None:
        for paragraph_list in lists:
            self.body(paragraph_list.paragraphs, out)

    def joined(self, lists: list[_List]) -> str:
        """The text of paragraph lists on one line (a table cell, a header)."""
        inner: list[Paragraph] = []
        self.lists(lists, inner)
        return " ".join(" ".join(paragraph.text.split()) for paragraph in inner)

    def level(self, para: _Record) -> int | None:
        shape, style = struct.unpack_from("<HB", para.payload, 8)
        return self.para_levels.get(shape) or self.style_levels.get(style)


def read_hwp(raw: bytes, path: Path) -> FlowText:
    """Paragraphs, title and dropped lines of an HWP 5 file's bytes."""
    try:
        with olefile.OleFileIO(io.BytesIO(raw)) as ole:
            return _read(ole, path)
    except (_Broken, OSError, EOFError, ValueError, IndexError, struct.error, RecursionError) as error:
        log.debug("%s: not readable as HWP", path, exc_info=True)
        raise UnreadableDocument(f"Cannot read {path}: not a readable HWP file ({_reason(error)}).") from None


def _read(ole: olefile.OleFileIO, path: Path) -> FlowText:
    flags = _flags(ole, path)
    compressed = bool(flags & COMPRESSED)
    sections = _section_streams(ole)
    if not sections:
        raise _Broken("no BodyText/Section streams")
    reader = _Reader(*_outline_levels(_stream(ole, "DocInfo", compressed)))
    for name in sections:
        paragraphs = _tree(_stream(ole, name, compressed))
        if any(node.tag != PARA_HEADER for node in paragraphs):
            raise _Broken(f"{name} holds records outside paragraphs")
        reader.body(paragraphs, reader.paragraphs)
    log.info("%s: %d sections, %d paragraphs, %d notes", path, len(sections), len(reader.paragraphs), len(reader.notes))
    return FlowText(reader.paragraphs + reader.notes, _title(ole, path), reader.dropped)


def _flags(ole: olefile.OleFileIO, path: Path) -> int:
    """FileHeader's property bits, after its signature and version are checked; encrypted text is refused."""
    header = _stream(ole, "FileHeader", compressed=False)
    if not header.startswith(SIGNATURE):
        raise _Broken("no HWP signature in FileHeader")
    version, flags = struct.unpack_from("<II", header, 32)
    if version >> 24 != 5:
        raise _Broken(f"HWP version {version >> 24}, only 5 is read")
    for bit, why in PROTECTIONS:
        if flags & bit:
            raise UnreadableDocument(f"Cannot read {path}: {why}.")
    return flags


def _section_streams(ole: olefile.OleFileIO) -> list[str]:
    """BodyText/Section0, Section1 … in number order."""
    numbered = []
    for entry in ole.listdir():
        match = SECTION.fullmatch(entry[-1]) if len(entry) == 2 and entry[0] == "BodyText" else None
        if match:
            numbered.append((int(match.group(1)), "/".join(entry)))
    return [name for _, name in sorted(numbered)]


def _stream(ole: olefile.OleFileIO, name: str, compressed: bool) -> bytes:
    if not ole.exists(name):
        raise _Broken(f"no {name} stream")
    data = ole.openstream(name).read()
    return _inflate(data, name) if compressed else data


def _inflate(data: bytes, name: str) -> bytes:
    """A raw deflate stream, whole and no larger than the file size limit (a deflate bomb is refused)."""
    limit = limits.max_file_bytes()
    inflater = zlib.decompressobj(-15)
    try:
        inflated = inflater.decompress(data, limit)
    except zlib.error as error:
        raise _Broken(f"{name} does not inflate: {error}") from None
    if inflater.unconsumed_tail:
        raise _Broken(f"{name} inflates to more than {limit // 2**20} MB")
    if not inflater.eof:
        raise _Broken(f"{name} is cut short")
    return inflated


def _records(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(tag, level, payload) of each record: a 32-bit header of tag (10 bits), level (10) and size
    (12; 0xFFF means a 32-bit size follows)."""
    position = 0
    while position < len(data):
        (header,) = struct.unpack_from("<I", data, position)
        position += 4
        tag, level, size = header & 0x3FF, (header >> 10) & 0x3FF, header >> 20
        if size == 0xFFF:
            (size,) = struct.unpack_from("<I", data, position)
            position += 4
        if position + size > len(data):
            raise _Broken(f"record tag {tag} runs past the end of its stream")
        yield tag, level, data[position : position + size]
        position += size


def _tree(data: bytes) -> list[_Record]:
    """The records of a stream as a tree: a record's children are the records one level below it that follow it."""
    roots: list[_Record] = []
    stack: list[_Record] = []
    for tag, level, payload in _records(data):
        while stack and stack[-1].level >= level:
            stack.pop()
        if level != (stack[-1].level + 1 if stack else 0):
            raise _Broken(f"record tag {tag} at level {level} has no parent")
        node = _Record(tag, level, payload)
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    return roots


def _walk(node: _Record) -> Iterator[_Record]:
    yield node
    for child in node.children:
        yield from _walk(child)


def _lists(nodes: list[_Record]) -> list[_List]:
    """Every paragraph list among `nodes`: a LIST_HEADER and the paragraphs after it, also inside
    drawing records (a text box's list is below its shape component); not inside paragraphs."""
    found: list[_List] = []
    current: _List | None = None
    for node in nodes:
        if node.tag == LIST_HEADER:
            current = _List(node)
            found.append(current)
        elif node.tag == PARA_HEADER:
            if current is not None:
                current.paragraphs.append(node)
        elif node.tag != CTRL_HEADER:
            found.extend(_lists(node.children))
    return found


def _text_items(para: _Record) -> Iterator[str | None]:
    """A paragraph's text in pieces, None where an extended control (table, box, note …) stands.

    Every inline and extended control is skipped by its whole width: read as text, its id and
    parameters are what prints as CJK garbage ("捤獥" is "secd", a section definition).
    """
    payload = next((child.payload for child in para.children if child.tag == PARA_TEXT), b"")
    if len(payload) % 2:
        raise _Broken("a paragraph's text has an odd number of bytes")
    codes = struct.unpack(f"<{len(payload) // 2}H", payload)
    start = index = 0
    while index < len(codes):
        code = codes[index]
        if code >= 32:
            index += 1
            continue
        yield payload[2 * start : 2 * index].decode("utf-16-le")
        yield None if code in EXTENDED_CONTROLS else CONTROL_TEXT.get(code, "")
        index += CONTROL_WIDTH if code in EXTENDED_CONTROLS or code in INLINE_CONTROLS else 1
        start = index
    yield payload[2 * start :].decode("utf-16-le")


def _control_id(control: _Record) -> str:
    """The four characters of a CTRL_HEADER's id ("tbl ", "gso ", "head" …), stored byte-reversed."""
    return control.payload[:4][::-1].decode("latin-1")


def _number(control: _Record) -> str:
    """The number an automatic number control shows ("표 3", a note's "1)"), as saved; else nothing."""
    if _control_id(control) != AUTO_NUMBER:
        return ""
    (number,) = struct.unpack_from("<H", control.payload, 8)  # after the id and the properties
    return str(number)


def _description(payload: bytes) -> str:
    """A drawing object's description ("그림입니다. 원본 그림의 이름: …"), if it carries one."""
    if len(payload) < DESCRIPTION_AT + 2:
        return ""
    (length,) = struct.unpack_from("<H", payload, DESCRIPTION_AT)
    start = DESCRIPTION_AT + 2
    return " ".join(payload[start : start + 2 * length].decode("utf-16-le").split())


def _cell_address(cell: _List) -> tuple[int, int]:
    """(row, column) of a table cell, from its list header."""
    column, row = struct.unpack_from("<HH", cell.header.payload, CELL_ADDRESS_AT)
    return row, column


def _outline_levels(docinfo: bytes) -> tuple[dict[int, int], dict[int, int]]:
    """Paragraph shape ids whose heading type is an outline level, and styles named "개요 N" (1-based).

    Only a style's own name counts: its English name stays "Outline N" when a built-in outline
    style is renamed and used for body text (the sample's "본문 1 에코" is "Outline 2").
    """
    records = list(_records(docinfo))
    shapes = [payload for tag, _, payload in records if tag == PARA_SHAPE]
    styles = [payload for tag, _, payload in records if tag == STYLE]
    para_levels = {}
    for shape_id, payload in enumerate(shapes):
        (properties,) = struct.unpack_from("<I", payload)
        if (properties >> 23) & 3 == OUTLINE:
            para_levels[shape_id] = ((properties >> 25) & 7) + 1
    style_levels = {}
    for style_id, payload in enumerate(styles):
        (length,) = struct.unpack_from("<H", payload)
        match = OUTLINE_STYLE.fullmatch(payload[2 : 2 + 2 * length].decode("utf-16-le"))
        if match:
            style_levels[style_id] = int(match.group(1))
    return para_levels, style_levels


def _title(ole: olefile.OleFileIO, path: Path) -> str:
    """The title in HwpSummaryInformation, an OLE property set read here: olefile 0.47 starts a
    Unicode string at its length field. A damaged summary gives no title, not a refusal."""
    if not ole.exists(SUMMARY):
        return ""
    data = ole.openstream(SUMMARY).read()
    try:
        (section,) = struct.unpack_from("<I", data, 44)  # after the set's header and first FMTID
        (count,) = struct.unpack_from("<I", data, section + 4)
        for index in range(count):
            property_id, offset = struct.unpack_from("<II", data, section + 8 + 8 * index)
            if property_id == TITLE_PROPERTY:
                kind, length = struct.unpack_from("<II", data, section + offset)
                start = section + offset + 8
                text = data[start : start + 2 * length].decode("utf-16-le") if kind == UNICODE_STRING else ""
                return " ".join(text.replace("\x00", " ").split())
    except (struct.error, UnicodeDecodeError) as error:
        log.warning("%s: summary information unreadable (%s); no title from it", path, error)
    return ""


def _reason(error: Exception) -> str:
    """One line saying what is wrong, in the user's terms where the library's are cryptic."""
    if isinstance(error, struct.error):
        return "a record is shorter than its fields"
    if isinstance(error, RecursionError):
        return "its records nest too deep"
    return " ".join(str(error).split()) or type(error).__name__
