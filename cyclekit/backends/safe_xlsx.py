"""Checks on a workbook before any parser sees it: sizes, compression, how far its cells reach.

A workbook is a zip archive, and a few KB of it can inflate to GB (a zip bomb) or put one cell at
XFD1048576, which a values reader then fills out into a 17-billion-cell rectangle. So, before
python-calamine opens a file, every part is inflated here once, in blocks, counting the bytes
that really come out (a part may say it is smaller than it is), and each tab's XML is scanned for
the last row and column that hold a value. The work is bounded by the limits (`[limits]` in
cyclekit.toml); beyond them the file is refused with a message naming it.

The `<dimension>` a tab declares is not trusted (any tool may write it, and calamine ignores it):
the cells themselves are scanned.
"""

from __future__ import annotations

import html
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from typing import BinaryIO

from cyclekit.config import LimitsConfig

MB = 1024 * 1024
BLOCK = 1 << 20  # bytes inflated at a time
MAX_PARTS = 100_000  # an Excel workbook has tens of parts; a tab per location is a few thousand
RATIO_FROM = MB  # parts smaller than this are not held to the compression ratio (too small to matter)
END_OF_ARCHIVE = b"PK\x05\x06"
KEPT_FORMULAS = 100_000  # formula cells without a value remembered per tab (enough for any count sheet)


class Refused(Exception):
    """The workbook is beyond a limit or damaged; the message says why, in the user's terms."""


@dataclass
class SheetScan:
    """How far a tab's values reach (1-based: a tab with a value in B3 has rows 3, columns 2)."""

    rows: int = 0
    columns: int = 0
    blank_formulas: set[tuple[int, int]] = field(default_factory=set)  # zero-based (row, column)


def column_number(letters: str | bytes) -> int:
    """A -> 1, Z -> 26, AA -> 27, XFD -> 16384."""
    if isinstance(letters, bytes):
        letters = letters.decode("ascii")
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return number


# ---- the archive ---------------------------------------------------------------------------


def _parts_declared(handle: BinaryIO) -> int | None:
    """The number of parts the archive's end record declares (None when it has none: not a zip,
    or cut short), read before zipfile builds an object for each one."""
    handle.seek(0, 2)
    size = handle.tell()
    handle.seek(max(0, size - (65536 + 22)))
    tail = handle.read()
    at = tail.rfind(END_OF_ARCHIVE)
    if at < 0 or len(tail) - at < 22:
        return None
    (entries,) = struct.unpack("<H", tail[at + 10:at + 12])
    return int(entries)  # 0xFFFF for a zip64 archive: more than any workbook needs, refused below


def _check_name(name: str) -> None:
    parts = name.replace("\\", "/").split("/")
    if not name:  # zipfile itself fails on a part with no name
        raise Refused("holds a part with no name: not a workbook Excel wrote")
    if name.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", name):
        raise Refused(f"holds a part named {name!r}, which points outside the workbook: "
                      "not a workbook Excel wrote")


def _check_declared(infos: list[zipfile.ZipInfo], limits: LimitsConfig) -> None:
    budget = limits.workbook_mb * MB
    total = 0
    for info in infos:
        _check_name(info.filename)
        if info.flag_bits & 0x1:
            raise Refused("is encrypted (it has a password): open it in Excel and save it without one")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise Refused(f"uses a compression Excel does not write (part {info.filename!r}): "
                          "open it in Excel and save it as .xlsx")
        total += info.file_size
        if info.file_size > budget or total > budget:
            raise Refused(f"inflates to more than {limits.workbook_mb} MB ({_mb(total)} MB or more), "
                          "the limit set by limits.workbook_mb")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= RATIO_FROM and ratio > limits.compression_ratio:
            raise Refused(f"part {info.filename!r} inflates {ratio:,.0f} times (from {_mb(info.compress_size)} "
                          f"to {_mb(info.file_size)} MB), more than limits.compression_ratio "
                          f"({limits.compression_ratio}): not a workbook Excel wrote")


def _mb(size: int) -> str:
    return f"{size / MB:,.1f}"


LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature ... name length, extra length


def _damaged(info: zipfile.ZipInfo, why: str) -> Refused:
    return Refused(f"is damaged (part {info.filename!r}: {why}): open it in Excel and save it again")


def _inflate(handle: BinaryIO, info: zipfile.ZipInfo, budget: int) -> Iterator[bytes]:
    """The part's bytes, a block at a time, inflated here from the raw archive (what a reader
    that trusts the headers would inflate): stopping past `budget`, or past the size the archive
    says the part has (a lying header), and checking the part's CRC."""
    handle.seek(info.header_offset)
    header = handle.read(LOCAL_HEADER.size)
    if len(header) < LOCAL_HEADER.size:
        raise _damaged(info, "cut short")
    signature, name_length, extra_length = LOCAL_HEADER.unpack(header)
    if signature != b"PK\x03\x04":
        raise _damaged(info, "not where the archive says")
    handle.seek(info.header_offset + LOCAL_HEADER.size + name_length + extra_length)
    left = info.compress_size
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    produced = crc = 0
    while True:
        if inflater is not None and inflater.unconsumed_tail:
            block = inflater.decompress(inflater.unconsumed_tail, BLOCK)
        else:
            raw = handle.read(min(BLOCK, left))
            left -= len(raw)
            if not raw and (inflater is None or not inflater.eof):
                if left > 0 or (inflater is not None and not inflater.eof):
                    raise _damaged(info, "cut short")
                break
            block = raw if inflater is None else inflater.decompress(raw, BLOCK)
        produced += len(block)
        if produced > info.file_size:
            raise Refused(f"part {info.filename!r} holds more than the archive says "
                          f"({info.file_size:,} bytes): the file is damaged or was made to mislead")
        if produced > budget:
            raise Refused("inflates to more than the limit set by limits.workbook_mb")
        crc = zlib.crc32(block, crc)
        if block:
            yield block
        if inflater is not None and inflater.eof and not inflater.unconsumed_tail:
            break
        if inflater is None and left <= 0:
            break
    if produced != info.file_size or crc != info.CRC:
        raise _damaged(info, "its contents do not match the archive's record of them")


# ---- which tab is which part ---------------------------------------------------------------

_ATTRIBUTE = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_SHEET_TAG = re.compile(rb"<(?:[\w.-]+:)?sheet\s((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
_RELATION_TAG = re.compile(rb"<(?:[\w.-]+:)?Relationship\s((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")


def _attributes(text: bytes) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, double, single in _ATTRIBUTE.findall(text):
        key = name.decode("utf-8", "replace").rsplit(":", 1)[-1]
        found.setdefault(key, html.unescape((double or single).decode("utf-8", "replace")))
    return found


def _tab_parts(parts: dict[str, bytes]) -> dict[str, str]:
    """Tab name -> the part holding its cells, from xl/workbook.xml and its relationships."""
    workbook = parts.get("xl/workbook.xml", b"")
    relations = parts.get("xl/_rels/workbook.xml.rels", b"")
    targets = {}
    for tag in _RELATION_TAG.findall(relations):
        attributes = _attributes(tag)
        target = attributes.get("Target", "")
        if target.startswith("/"):
            target = target[1:]
        else:
            target = posixpath.normpath(posixpath.join("xl", target))
        targets[attributes.get("Id", "")] = target
    tabs = {}
    for tag in _SHEET_TAG.findall(workbook):
        attributes = _attributes(tag)
        if "name" in attributes and attributes.get("id") in targets:
            tabs[attributes["name"]] = targets[attributes["id"]]
    return tabs


# ---- how far a tab's cells reach -----------------------------------------------------------

# what Excel, LibreOffice, openpyxl and xlsxwriter write: the reference first, no prefix
_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"')
_SPACED_EQUALS = re.compile(rb"r +=")
_ODD_CELL = re.compile(rb"<c[>/\t\r\n]")
_PREFIXED_CELL = re.compile(rb":c[\s/>]")
_TAG = re.compile(rb"""<(/?)(?:[\w.-]+:)?(row|c|f|v|is)(\s(?:[^>"']|"[^"]*"|'[^']*')*|/)?>""")
_REFERENCE = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")
# a formula cell as Excel, LibreOffice and xlsxwriter write it: plain attributes, the formula, its value
_PLAIN_ATTRIBUTES = rb'(?: [a-z]+="[^"<>]*")*'
_FORMULA_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"' + _PLAIN_ATTRIBUTES + rb">"
                           rb"<f" + _PLAIN_ATTRIBUTES + rb"(?:/>|>[^<]*</f>)"
                           rb"(?:<v>([^<]*)</v>|<v/>)?</c>")
# a formula tag, <f> or <x:f>, found in two C passes that copy nothing (an empty group): those
# without a prefix (a literal start: fast), and those with one only where one can be (":f")
_PLAIN_FORMULA = re.compile(rb"<f[\s/>]()")
_PREFIXED_FORMULA = re.compile(rb"<[\w.-]+:f[\s/>]()")


def _has_formula(text: bytes) -> bool:
    """A formula tag in the text, with or without a prefix."""
    return _PLAIN_FORMULA.search(text) is not None or (b":f" in text and _PREFIXED_FORMULA.search(text) is not None)


def _formula_tags(text: bytes) -> int:
    return len(_PLAIN_FORMULA.findall(text)) + (len(_PREFIXED_FORMULA.findall(text)) if b":f" in text else 0)


_ROW_TAG = re.compile(rb"<row[\s/>]")


def _last_row_tag(text: bytes) -> int:
    """Where the last <row> tag starts (-1: none); <rowBreaks> after the rows, on any sheet with
    page breaks, is not one (taking it for one sent every sheet's end on the walk)."""
    at = text.rfind(b"<row")
    while at >= 0 and not _ROW_TAG.match(text, at):
        at = text.rfind(b"<row", 0, at)
    return at


class _SheetScanner:
    """Fed the tab's XML in blocks cut after a closing tag; the quick path counts references with
    C-speed regexes, and a block it cannot vouch for (a cell without a reference, a prefix, a
    formula) is walked tag by tag, as calamine places cells."""

    def __init__(self, limits: LimitsConfig, where: str):
        self.limits = limits
        self.where = where
        self.scan = SheetScan()
        self.row = -1  # zero-based row of the last <row>, for cells without a reference
        self.column = -1
        self.in_cell: tuple[int, int] | None = None
        self.cell_formula = False
        self.cell_value = False
        self.value_from = -1
        self.started = False

    def check_prolog(self, text: bytes) -> None:
        if b"<!DOCTYPE" in text or b"<!ENTITY" in text:  # only before the root element
            raise Refused(f"{self.where} declares XML entities, which no spreadsheet writes")
        self.started = True

    def feed(self, text: bytes) -> None:
        where_before = (self.row, self.column)
        if self.in_cell is not None or not self._quick(text):
            self._walk(text)
        elif _has_formula(text) and not self._quick_formulas(text):
            self.row, self.column = where_before  # walked from where the block began
            self._walk(text)
        self._check()

    def _quick_formulas(self, text: bytes) -> bool:
        """Formulas saved without a value, when every formula in the block is written plainly
        (the walk finds the same cells, tag by tag, for anything else)."""
        cells = _FORMULA_CELL.findall(text)
        if len(cells) != _formula_tags(text):
            return False
        for letters, number, value in cells:
            if not value.strip() and len(self.scan.blank_formulas) < KEPT_FORMULAS:
                self.scan.blank_formulas.add((int(number) - 1, column_number(letters) - 1))
        return True

    def _quick(self, text: bytes) -> bool:
        """Every cell written `<c r="B12"`, the way Excel, LibreOffice, openpyxl and xlsxwriter
        write them: the last row and column from the references alone (an empty cell counts)."""
        references = _CELL.findall(text)
        if (text.count(b"<c ") != len(references) or _ODD_CELL.search(text)
                or _PREFIXED_CELL.search(text)
                # one r= per cell and per row, none spaced out: a second r= in a tag goes unseen here
                or text.count(b" r=") != len(references) + text.count(b'<row r="')
                or _SPACED_EQUALS.search(text) or b"\n" in text or b"\t" in text or b"\r" in text
                or b'"r=' in text or b"'r=" in text or b":r=" in text):
            return False  # cells without a reference, or written otherwise: walk it
        if references:
            rows = max(map(int, set(map(itemgetter(1), references))))
            columns = max(map(column_number, set(map(itemgetter(0), references))))
            self._reach(rows, columns)
            self.row = int(references[-1][1]) - 1  # where a later cell without a reference goes on
            self.column = column_number(references[-1][0]) - 1
        last_row = _last_row_tag(text)
        if last_row >= 0 and last_row > text.rfind(b"<c r="):
            match = re.match(rb'<row r="([0-9]{1,7})"', text[last_row:last_row + 30])
            if match is None:
                return False
            self.row, self.column = int(match.group(1)) - 1, -1
        return True

    def _reach(self, rows: int, columns: int) -> None:
        self.scan.rows = max(self.scan.rows, rows)
        self.scan.columns = max(self.scan.columns, columns)

    def _walk(self, text: bytes) -> None:
        for match in _TAG.finditer(text):
            closing, name, rest = match.group(1), match.group(2), match.group(3) or b""
            empty = rest.rstrip().endswith(b"/")
            if name == b"row" and not closing:
                reference = self._reference(rest)
                self.row = self._number(reference) - 1 if reference is not None else self.row + 1
                self.column = -1
            elif name == b"c" and not closing:
                reference = self._reference(rest)
                if reference is None:
                    self.column += 1
                else:
                    found = _REFERENCE.fullmatch(reference)
                    if not found:
                        raise Refused(f"{self.where} has a cell with an unreadable reference "
                                      f"{reference[:20]!r}: the file is damaged")
                    self.row = int(found.group(2)) - 1
                    self.column = column_number(found.group(1)) - 1
                if not empty:
                    self._reach(self.row + 1, self.column + 1)
                    self.in_cell = (self.row, self.column)
                    self.cell_formula = self.cell_value = False
            elif name == b"c" and closing:
                self._end_cell()
            elif self.in_cell is not None and name == b"f" and not closing:
                self.cell_formula = True
            elif self.in_cell is not None and name in (b"v", b"is"):
                if not closing and not empty:
                    self.value_from = match.end()
                elif closing and text[self.value_from:match.start()].strip():
                    self.cell_value = True

    def _reference(self, tag: bytes) -> str | None:
        """The tag's r attribute; two of them (a reader takes the last, another the first) is a
        file made to mislead."""
        names = [name.rsplit(b":", 1)[-1] for name, _, _ in _ATTRIBUTE.findall(tag)]
        if names.count(b"r") > 1:
            raise Refused(f"{self.where} has a cell or row with two references: the file is damaged or "
                          "was made to mislead")
        return _attributes(tag).get("r")

    def _end_cell(self) -> None:
        if self.in_cell is not None and self.cell_formula and not self.cell_value:
            if len(self.scan.blank_formulas) < KEPT_FORMULAS:
                self.scan.blank_formulas.add(self.in_cell)
        self.in_cell = None

    def _number(self, reference: str) -> int:
        if not reference.isdigit() or len(reference) > 7:
            raise Refused(f"{self.where} has a row with an unreadable number {reference[:20]!r}: "
                          "the file is damaged")
        return int(reference)

    def _check(self) -> None:
        check_reach(self.scan.rows, self.scan.columns, self.limits, self.where)


def check_reach(rows: int, columns: int, limits: LimitsConfig, where: str) -> None:
    """Refuse a tab whose values reach past the limits: a values reader fills out the whole
    rectangle from A1, so rows x columns is what it holds in memory."""
    if rows > limits.rows:
        raise Refused(f"{where} has values down to row {rows:,}, past limits.rows ({limits.rows:,})")
    if columns > limits.columns:
        raise Refused(f"{where} has values out to column {columns:,}, past limits.columns "
                      f"({limits.columns:,})")
    if rows * columns > limits.cells:
        raise Refused(f"{where} reaches {rows:,} rows by {columns:,} columns ({rows * columns:,} cells), "
                      f"past limits.cells ({limits.cells:,})")


def _scan_sheet(blocks: Iterable[bytes], limits: LimitsConfig, where: str) -> SheetScan:
    """Cells count from <sheetData> on (a part without one, styles or a drawing, holds no values
    a reader gives); from there the XML is fed in pieces cut after a closing tag."""
    scanner = _SheetScanner(limits, where)
    pending = b""
    data_from = -1
    for block in blocks:
        if data_from < 0:
            probe = pending + block
            scanner.check_prolog(probe)  # a DTD comes before any element: before <sheetData>
            data_from = probe.find(b"sheetData")
            pending = probe[data_from:] if data_from >= 0 else probe[-16:]
            if data_from < 0:
                continue
        else:
            pending += block
        cut = max(pending.rfind(b"</row>"), pending.rfind(b"</c>"))
        if cut < 0:
            if len(pending) > 16 * MB:  # no row ends in 16 MB: no spreadsheet writes that
                raise Refused(f"{where} has a row longer than 16 MB: not a workbook Excel wrote")
            continue
        cut = pending.index(b">", cut) + 1
        scanner.feed(pending[:cut])
        pending = pending[cut:]
    if pending and data_from >= 0:
        scanner.feed(pending)
    return scanner.scan


# ---- OpenDocument (.ods): rows and cells repeated by a number ---------------------------

_ODS_TAG = re.compile(rb"""<(/?)(?:[\w.-]+:)?(table-row|table-cell|covered-table-cell|table)"""
                      rb"""(\s(?:[^>"']|"[^"]*"|'[^']*')*|/)?>""")


def _repeat(attributes: dict[str, str], name: str) -> int:
    text = attributes.get(name, "1")
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise Refused(f"has a repeat count {text[:20]!r} that is not a number: the file is damaged")
    return max(int(text), 1)


def _scan_ods(blocks: Iterable[bytes], limits: LimitsConfig) -> dict[str, SheetScan]:
    """How far each table's values reach, rows and cells repeated as a reader repeats them (a
    row repeated a million times is a million rows; an empty one is none)."""
    scans: dict[str, SheetScan] = {}
    scan = SheetScan()
    tab = where = ""
    row = rows_repeat = 0
    column = row_reach = 0
    pending = b""
    for block in blocks:
        pending += block
        cut = pending.rfind(b">") + 1
        text, pending = pending[:cut], pending[cut:]
        if len(pending) > 16 * MB:
            raise Refused("content.xml has a tag longer than 16 MB: the file is damaged")
        if b"<!DOCTYPE" in text or b"<!ENTITY" in text:
            raise Refused("content.xml declares XML entities, which no spreadsheet writes")
        for match in _ODS_TAG.finditer(text):
            closing, name, rest = match.group(1), match.group(2), match.group(3) or b""
            empty = rest.rstrip().endswith(b"/")
            if name == b"table" and not closing:
                tab = _attributes(rest).get("name", f"table {len(scans) + 1}")
                where = f"tab {tab!r}"
                scan = scans.setdefault(tab, SheetScan())
                row = 0
            elif name == b"table-row" and not closing:
                rows_repeat = _repeat(_attributes(rest), "number-rows-repeated")
                column = row_reach = 0
                if empty:
                    row += rows_repeat
            elif name == b"table-row":  # the row's end: its values reach row_reach columns
                if row_reach:
                    scan.rows = max(scan.rows, row + rows_repeat)
                    scan.columns = max(scan.columns, row_reach)
                    check_reach(scan.rows, scan.columns, limits, where)
                row += rows_repeat
            elif not closing:  # a cell
                attributes = _attributes(rest)
                repeat = _repeat(attributes, "number-columns-repeated")
                if not empty or "value-type" in attributes:
                    row_reach = column + repeat
                    check_reach(row + 1, row_reach, limits, where)
                column += repeat
    return scans


# ---- the whole check -------------------------------------------------------------------------

SMALL_PARTS = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")  # read whole, to name the tabs
SMALL_PART_LIMIT = 16 * MB


@dataclass
class WorkbookScan:
    tabs: dict[str, SheetScan]  # by tab name, where the workbook's relationships say which part
    parts: dict[str, SheetScan]  # by part name, every worksheet part

    def reach(self, tab: str) -> SheetScan:
        """The tab's scan; a tab the relationships did not name gets the widest of all."""
        if tab in self.tabs:
            return self.tabs[tab]
        widest = SheetScan()
        for scan in self.parts.values():
            widest.rows = max(widest.rows, scan.rows)
            widest.columns = max(widest.columns, scan.columns)
        return widest


def scan_workbook(path: str, limits: LimitsConfig) -> WorkbookScan:
    """Every part of an xlsx checked against the limits, every tab's reach measured.

    Raises `Refused` (beyond a limit, damaged, or not a zip archive at all)."""
    with open(path, "rb") as handle:
        return _scan_archive(handle, limits)


def _scan_archive(handle: BinaryIO, limits: LimitsConfig) -> WorkbookScan:
    declared = _parts_declared(handle)
    if declared is None:
        raise Refused("is not a complete workbook (the archive's end is missing: cut short while "
                      "copying or downloading?)")
    if declared > MAX_PARTS:
        raise Refused(f"holds {declared:,} parts, more than any workbook ({MAX_PARTS:,}): "
                      "not a workbook Excel wrote")
    try:
        with zipfile.ZipFile(handle) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_PARTS:
                raise Refused(f"holds {len(infos):,} parts, more than any workbook ({MAX_PARTS:,})")
            _check_declared(infos, limits)
            budget = limits.workbook_mb * MB
            small = {}
            for info in infos:
                if info.filename in SMALL_PARTS:
                    if info.file_size > SMALL_PART_LIMIT:
                        raise Refused(f"part {info.filename!r} is {_mb(info.file_size)} MB, more than any "
                                      "workbook's list of tabs: not a workbook Excel wrote")
                    small[info.filename] = b"".join(_inflate(handle, info, SMALL_PART_LIMIT))
                    if b"<!DOCTYPE" in small[info.filename] or b"<!ENTITY" in small[info.filename]:
                        raise Refused(f"part {info.filename!r} declares XML entities, which no spreadsheet writes")
            tab_of = {part: tab for tab, part in _tab_parts(small).items()}
            sheets: dict[str, SheetScan] = {}
            for info in infos:
                name = info.filename
                if info.is_dir() or name in SMALL_PARTS:
                    budget -= info.file_size
                    continue
                blocks = _inflate(handle, info, budget)
                lower = name.lower()
                if lower.endswith("sharedstrings.xml"):
                    _check_strings(blocks, limits, name)
                elif lower == "content.xml":  # an OpenDocument spreadsheet (.ods): every table in it
                    for tab, scan in _scan_ods(blocks, limits).items():
                        tab_of[f"{name}#{tab}"] = tab
                        sheets[f"{name}#{tab}"] = scan
                elif lower.endswith(".bin") and lower.startswith("xl/worksheets/"):
                    raise Refused("is an Excel binary workbook (.xlsb): open it in Excel and save it as .xlsx")
                else:  # any part may be read as a tab (names are not trusted): cells count from <sheetData>
                    where = f"tab {tab_of[name]!r}" if name in tab_of else f"part {name!r}"
                    sheets[name] = _scan_sheet(blocks, limits, where)
                budget -= info.file_size
    except Refused:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError, RuntimeError,
            OverflowError, struct.error) as exc:
        raise Refused(f"is damaged ({exc}): open it in Excel and save it again") from None
    tabs = {tab: sheets[part] for part, tab in tab_of.items() if part in sheets}
    return WorkbookScan(tabs, sheets)


def _check_strings(blocks: Iterable[bytes], limits: LimitsConfig, name: str) -> None:
    """Each shared string is an object in memory: no more of them than cells may hold."""
    count = 0
    tail = b""
    for block in blocks:
        text = tail + block
        count += text.count(b"<si>") + text.count(b"<si ") + len(re.findall(rb"<[\w.-]+:si[\s>]", text))
        if b"<!DOCTYPE" in text or b"<!ENTITY" in text:
            raise Refused(f"part {name!r} declares XML entities, which no spreadsheet writes")
        tail = text[-8:]
        count -= tail.count(b"<si>") + tail.count(b"<si ")  # counted again with the next block
        if count > limits.cells:
            raise Refused(f"holds more than {limits.cells:,} texts, past limits.cells")
