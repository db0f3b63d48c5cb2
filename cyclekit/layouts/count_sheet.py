"""Count sheet and recount sheet: the layout (a workbook Sheet) and its inverse (parse).

Blind by default: the system quantity is not in the file at all. Only Floor Count, Notes,
the found-item rows, "confirmed empty" and the sign-off cells are editable.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cyclekit.backends.spec import (
    Cell,
    Column,
    PrintSetup,
    Range,
    Sheet,
    Style,
    Validation,
    a1,
)
from cyclekit.domain.lines import FOUND_PREFIX
from cyclekit.errors import Problem
from cyclekit.inputs.values import cell_text, show_spaces
from cyclekit.layouts import styles

TITLE = {"count": "Cycle count sheet", "recount": "Recount sheet"}
LOCATION, ZONE, COUNTER = "Location", "Zone", "Counter"
CYCLE, SHEET, COUNT_DATE = "Cycle", "Sheet", "Count date"
CONFIRMED_EMPTY = "Location confirmed empty"
COUNTED_BY, CHECKED_BY, DATE = "Counted by", "Checked by", "Date"
LINE, FLOOR_COUNT, SYSTEM_QTY = "Line", "Floor Count", "System Qty"
HEADER_ROW = 6

BIG = 12  # point size a counter reads at arm's length
BODY = Style(font_size=BIG, border=True, valign="vcenter")
TEXT = BODY.but(num_format="@")
WRAP = TEXT.but(wrap=True)
CENTER = TEXT.but(align="center")
INPUT = BODY.but(bg_color="#FFF9E0", locked=False)  # General, as styles.QUANTITY: "12", never "12."
INPUT_TEXT = INPUT.but(num_format="@")
HEAD = styles.HEADER.but(font_size=BIG)
LABEL = Style(bold=True, font_size=BIG, align="right")
VALUE = Style(font_size=BIG, num_format="@", border=True)
SECTION = Style(bold=True, font_size=BIG, bg_color="#D9E1F2", border=True)
NOTE = Style(font_size=10, wrap=True, valign="top")
TITLE_STYLE = Style(bold=True, font_size=18, wrap=True, valign="top")
TITLE_FIT = 0.5  # characters of 18 pt bold per unit of column width
TITLE_LINE_POINTS = 23
PAGE_HEADER_CHARS = 26  # a longer location is shortened in page headers and footers (14 pt bold)


@dataclass(frozen=True)
class SheetLine:
    line_no: int
    part_number: str
    revision: str
    description: str
    lot: str
    uom: str
    system_qty: Decimal | None = None
    serial: str = ""


@dataclass(frozen=True)
class SheetHeader:
    kind: str  # "count" or "recount"
    cycle_id: str
    sheet_id: str
    location: str
    zone: str
    counter: str
    count_date: str
    first_counted_by: str = ""  # recount: who counted first (the recount needs someone else)


def whole_units(uom: str, whole_uoms: tuple[str, ...]) -> bool:
    return uom.strip().lower() in whole_uoms


def _columns(show_system_qty: bool, serials: bool) -> list[Column]:
    # widths add up to about 95 characters: Letter/A4 portrait at close to 100 % scale
    narrow = serials or show_system_qty  # make room for the extra column and stay portrait
    columns = [
        Column(LINE, 5, CENTER, "line"),
        Column("Part Number", 15, WRAP, "part_number"),
        Column("Revision", 8, CENTER.but(wrap=True), "revision"),
        Column("Description", 20 if narrow else 25, WRAP, "description"),
        Column("Lot", 10 if narrow else 11, WRAP, "lot"),
    ]
    if serials:  # identical rows in a cage are told apart by serial number only
        columns.append(Column("Serial", 12, WRAP, "serial"))
    columns.append(Column("UoM", 5, CENTER, "uom"))
    if show_system_qty:
        columns.append(Column(SYSTEM_QTY, 10, BODY, "system_qty"))
    columns += [Column(FLOOR_COUNT, 12, INPUT, "floor_count"),
                Column("Notes", 12 if narrow else 15, INPUT_TEXT, "notes")]
    return columns


def _escape_header(text: str) -> str:
    return text.replace("&", "&&")


WRAPPED = ("part_number", "revision", "description", "lot", "serial")
LINE_POINTS = 15.5  # one line of 12 pt text
# characters of a column's width (in Excel's units: digits of 11 pt Calibri) that fit at 12 pt:
# identifiers run to capitals and digits, descriptions to narrower lower case
FIT = {"description": 1.0, "part_number": 0.85, "revision": 0.85, "lot": 0.85, "serial": 0.85}


def _lines_of(text: str, width: float) -> int:
    """Lines a wrapped cell needs: words wrap at spaces, a long identifier breaks anywhere."""
    chars = max(int(width), 1)
    if len(text) <= chars:
        return 1
    return len(textwrap.wrap(text, chars, break_on_hyphens=True)) or 1


def _row_height(item: SheetLine, columns: list[Column]) -> float:
    """Room for every wrapped cell of a line: a part number, lot or description is never cut off."""
    lines = max(_lines_of(getattr(item, c.key), c.width * FIT[c.key]) for c in columns if c.key in WRAPPED)
    return 24 if lines == 1 else round(lines * LINE_POINTS + 6, 1)


def count_sheet(header: SheetHeader, lines: list[SheetLine], tab: str, *, show_system_qty: bool,
                found_rows: int, whole_uoms: tuple[str, ...], paper: int = 1) -> Sheet:
    columns = _columns(show_system_qty, any(item.serial for item in lines))
    landscape = sum(c.width for c in columns) > 100
    width = len(columns)
    recount = header.kind == "recount"
    last = width - 1
    floor = next(i for i, c in enumerate(columns) if c.key == "floor_count")
    sheet = Sheet(tab, columns=columns, header_row=HEADER_ROW, protect=True)
    rows: list[list[Any]] = []
    merges = sheet.merges

    def blank_row() -> list[Any]:
        return [None] * width

    # header block: rows 0-5
    shown_location = show_spaces(header.location)  # ' X ' and 'X' are two locations: the spaces show
    title = f"{TITLE[header.kind]}: {shown_location}"
    rows.append(blank_row())
    # wrapped, never overflowing: LibreOffice shrinks the whole page to fit a title that runs past it
    merges.append((Range(0, 0, 0, last), Cell(title, TITLE_STYLE)))
    pairs = [((LOCATION, shown_location), (CYCLE, header.cycle_id)),
             ((ZONE, header.zone), (SHEET, header.sheet_id)),
             ((COUNTER, header.counter), (COUNT_DATE, header.count_date))]
    for r, ((left_label, left_value), (right_label, right_value)) in enumerate(pairs, start=1):
        row = blank_row()
        row[1] = Cell(left_label, LABEL)
        row[4] = Cell(right_label, LABEL)
        rows.append(row)
        merges.append((Range(r, 2, r, 3), Cell(left_value, _header_style(left_label, left_value))))
        merges.append((Range(r, 5, r, last), Cell(right_value, _header_style(right_label, right_value))))
    rows.append(blank_row())
    blind = "" if show_system_qty else " The system quantity is not shown: count what you see."
    if recount:
        first = f" ({header.first_counted_by})" if header.first_counted_by else ""
        instructions = (f"Recount: count each line below again, by a different person than the first "
                        f"count{first}, and write the quantity in {FLOOR_COUNT} (digits only, in the unit "
                        f"shown; 0 if there is none). The first count is not shown.")
    else:
        instructions = (f"Count every line on the shelf and write the quantity in {FLOOR_COUNT} in the unit "
                        f"shown (digits only, no units). Leave it blank if you could not count the line; "
                        f"write 0 if there is none.{blind} Write anything on the shelf that is not "
                        f"listed under Found.")
    merges.append((Range(4, 0, 4, last), Cell(instructions, NOTE)))
    sheet.row_heights[4] = 44  # three lines of instructions
    rows.append(blank_row())
    title_lines = _lines_of(title, sum(c.width for c in columns) * TITLE_FIT)
    sheet.row_heights[0] = 28 if title_lines == 1 else round(title_lines * TITLE_LINE_POINTS + 6, 1)

    # the lines
    rows.append([Cell(c.header, HEAD) for c in columns])
    sheet.row_heights[HEADER_ROW] = 20
    for item in lines:
        values = {"line": str(item.line_no), "part_number": show_spaces(item.part_number),
                  "revision": show_spaces(item.revision), "description": item.description,
                  "lot": show_spaces(item.lot), "serial": show_spaces(item.serial), "uom": item.uom,
                  "system_qty": item.system_qty, "floor_count": Cell(None, INPUT),
                  "notes": Cell(None, INPUT_TEXT)}
        row: list[Any] = [values[c.key] for c in columns]
        sheet.row_heights[len(rows)] = _row_height(item, columns)
        rows.append(row)
    if not lines:
        r = len(rows)
        rows.append(blank_row())
        merges.append((Range(r, 0, r, last), Cell(
            "No stock in the system for this location: confirm it is empty below, or write what you "
            "find under Found.", BODY.but(italic=True, wrap=True))))
        sheet.row_heights[r] = 30
    first_line = HEADER_ROW + 1
    _quantity_validations(sheet, [(first_line + i, whole_units(item.uom, whole_uoms))
                                  for i, item in enumerate(lines)], floor)

    # found on the shelf, not listed
    if found_rows:
        rows.append(blank_row())
        section = len(rows)
        rows.append(blank_row())
        merges.append((Range(section, 0, section, last), Cell(
            "Found on the shelf but not listed above: write each item on a row below", SECTION)))
        rows.append([Cell("#" if c.key == "line" else c.header, HEAD)
                     if c.key not in ("system_qty",) else Cell(None, HEAD) for c in columns])
        first_found = len(rows)
        for n in range(1, found_rows + 1):
            row = [Cell(f"{FOUND_PREFIX}{n}", CENTER)]
            for column in columns[1:]:
                if column.key == "system_qty":
                    row.append(Cell(None, BODY))
                elif column.key == "floor_count":
                    row.append(Cell(None, INPUT))
                else:
                    row.append(Cell(None, INPUT_TEXT))
            sheet.row_heights[len(rows)] = 24
            rows.append(row)
        _quantity_validations(sheet, [(first_found + n, False) for n in range(found_rows)], floor)


    # confirmed empty and sign-off
    if not recount:
        rows.append(blank_row())
        empty_row = len(rows)
        row = blank_row()
        row[floor] = Cell(None, INPUT_TEXT.but(align="center"))
        rows.append(row)
        merges.append((Range(empty_row, 0, empty_row, floor - 1), Cell(
            f"{CONFIRMED_EMPTY} (nothing on the shelf at all): write YES", LABEL)))
        sheet.validations.append(Validation(
            Range(empty_row, floor, empty_row, floor), "list", choices=("YES",),
            error_message="Write YES only when the location is empty; otherwise leave it blank."))
    rows.append(blank_row())
    for label in (COUNTED_BY, CHECKED_BY):
        r = len(rows)
        row = blank_row()
        row[1] = Cell(label, LABEL)
        row[4] = Cell(DATE, LABEL)
        rows.append(row)
        sheet.row_heights[r] = 26
        merges.append((Range(r, 2, r, 3), Cell(None, INPUT_TEXT)))
        merges.append((Range(r, 5, r, last), Cell(None, INPUT_TEXT)))

    sheet.rows = rows
    sheet.freeze = (HEADER_ROW + 1, 0)
    location = _escape_header(styles.shortened(shown_location, PAGE_HEADER_CHARS))
    sheet.print_setup = PrintSetup(
        landscape=landscape, repeat_rows=(HEADER_ROW, HEADER_ROW),
        header=f"&L&\"Calibri,Bold\"&14{location}&C{_escape_header(header.cycle_id)} "
               f"{header.sheet_id}&R&12Page &P of &N",
        # who counts and when on every page: the pages of a long location get separated
        footer=f"&L{TITLE[header.kind]} {location}"
               + "".join(f"  |  {_escape_header(part)}" for part in (header.counter, header.count_date) if part)
               + "&RCounted by: ________________",
        gridlines=False, paper=paper, margins=(0.4, 0.4, 0.7, 0.6))
    return sheet


def _header_style(label: str, value: str) -> Style:
    """A recount's counter and date are left for the lead to write in: open to typing (the sheet is
    protected, and a locked blank cell could not be filled)."""
    return INPUT_TEXT if label in (COUNTER, COUNT_DATE) and not value else VALUE


def _quantity_validations(sheet: Sheet, rows: list[tuple[int, bool]], col: int) -> None:
    """One validation per run of rows with the same rule (whole or decimal), not one per row."""
    runs: list[tuple[int, int, bool]] = []
    for row, whole in rows:
        if runs and runs[-1][1] == row - 1 and runs[-1][2] == whole:
            runs[-1] = (runs[-1][0], row, whole)
        else:
            runs.append((row, row, whole))
    for first, last, whole in runs:
        sheet.validations.append(Validation(
            Range(first, col, last, col), "whole" if whole else "decimal", minimum=0,
            error_title="Floor Count",
            error_message=("A whole number, 0 or more" if whole else "A number, 0 or more")
            + " (digits only, no units). Leave it blank if you did not count the line."))


# ---- reading a filled sheet back --------------------------------------------------------

_FOUND = re.compile(rf"^{FOUND_PREFIX}(\d+)$", re.ASCII)
BLANK_FORMULA = "is a formula without a value: type the number (the program that saved the file stored none)"
NO_STOCK = "No stock in the system"  # the row that stands in for lines on a sheet with none
FOUND_SECTION = "Found on the shelf"


@dataclass
class Entry:
    """One filled line as read: raw values plus where they sit, for problem reports."""

    line_no: int | None  # None for a found item
    label: str  # "12" or "F1"
    part_number: str
    revision: str
    description: str
    lot: str
    uom: str
    floor_count: Any  # raw cell value, None when blank
    notes: str
    row: int  # zero-based row in the tab
    floor_col: int
    unreadable: str = ""  # why Floor Count cannot be read although something is in it


@dataclass
class FilledSheet:
    file: str
    tab: str
    labels: dict[str, str]
    entries: list[Entry] = field(default_factory=list)
    found: list[Entry] = field(default_factory=list)
    confirmed_empty: str = ""
    confirmed_empty_cell: tuple[int, int] | None = None
    counted_by: str = ""
    counted_by_cell: str = ""  # where the counter signs, for a problem asking for it
    counted_on: Any = None
    checked_by: str = ""
    # something typed where the sheet has no place for it (a cell outside the layout, a row
    # inserted): a problem each; a listed line next to an inserted row is recounted (line -> why)
    problems: list[Problem] = field(default_factory=list)
    held_lines: dict[int, Problem] = field(default_factory=dict)

    @property
    def cycle_id(self) -> str:
        return self.labels.get(CYCLE, "")

    @property
    def sheet_id(self) -> str:
        return self.labels.get(SHEET, "")


def _text(value: Any) -> str:
    return value.strip() if type(value) is str else cell_text(value)


def _at(rows: list[list[Any]], r: int, c: int) -> Any:
    return rows[r][c] if r < len(rows) and c < len(rows[r]) else None


def parse_sheet(rows: list[list[Any]], file: str, tab: str,
                blank_formulas: Collection[tuple[int, int]] = ()) -> FilledSheet | None:
    """The inverse of `count_sheet`; None when the tab is not a cyclekit count sheet.

    blank_formulas: zero-based (row, column) of formulas saved without a value, which read as
    blank: each one is a problem, never a line left blank."""
    labels: dict[str, str] = {}
    header_row = None
    for r in range(min(len(rows), 12)):
        for c, value in enumerate(rows[r]):
            text = cell_text(value)
            if text in (LOCATION, ZONE, COUNTER, CYCLE, SHEET, COUNT_DATE) and c in (1, 4):
                labels.setdefault(text, cell_text(_at(rows, r, c + 1)))
        if cell_text(_at(rows, r, 0)) == LINE:
            header_row = r
            break
    if header_row is None or CYCLE not in labels or SHEET not in labels:
        return None
    headers = [cell_text(v) for v in rows[header_row]]
    col = {name: i for i, name in enumerate(headers) if name}
    if FLOOR_COUNT not in col:
        return None
    sheet = FilledSheet(file, tab, labels)
    floor = col[FLOOR_COUNT]
    layout_width = max(c for c, name in enumerate(headers) if name) + 1
    width = max(len(headers), floor + 1, 6)
    # a column the sheet lacks reads from one past the row's end, which is always blank
    picks = [col.get(name, width) for name in ("Part Number", "Revision", "Description", "Lot", "UoM",
                                                "Notes")]
    width += 1
    part_at, revision_at, description_at, lot_at, uom_at, notes_at = picks
    system_at = col.get(SYSTEM_QTY)
    blank = set(blank_formulas)

    def entry(row: list[Any], r: int, line_no: int | None, label: str) -> Entry:
        raw = row[floor]
        unreadable = BLANK_FORMULA if (r, floor) in blank else ""
        return Entry(line_no, label, _text(row[part_at]), _text(row[revision_at]), _text(row[description_at]),
                     _text(row[lot_at]), _text(row[uom_at]), None if _text(raw) == "" else raw,
                     _text(row[notes_at]), r, floor, unreadable)

    expected: dict[int, set[int] | range] = {}  # row -> the columns where something may be written
    for r in range(header_row):
        expected[r] = {0, 1, 2, 4, 5}  # title, instructions, the labels and their values
    expected[header_row] = range(layout_width)
    last_line: int | None = None
    after_lines = False  # past the listed lines: found rows, the confirmation, the sign-off
    inserted: list[tuple[int, list[Any]]] = []
    for r in range(header_row + 1, len(rows)):
        row = rows[r]
        if len(row) < width:
            row = [*row, *([None] * (width - len(row)))]
        label = _text(row[0])
        first = _text(row[1])
        if label.isascii() and label.isdigit() and not after_lines:  # "²" is a digit to Python, not to int()
            line = entry(row, r, int(label), label)
            sheet.entries.append(line)
            if last_line is None:  # rows inserted above the first line: that line is their neighbour
                for r_inserted, cells in inserted:
                    _inserted_row(sheet, r_inserted, cells, part_at, floor, None, line.line_no, after_lines)
                inserted = []
            last_line = line.line_no
            expected[r] = range(layout_width)
            continue
        if _FOUND.match(label):
            after_lines = True
            found = entry(row, r, None, label)
            if found.part_number or found.floor_count is not None or found.unreadable:
                sheet.found.append(found)
            expected[r] = set(range(layout_width)) - {system_at}
        elif label.startswith(CONFIRMED_EMPTY):
            after_lines = True
            sheet.confirmed_empty = _text(row[floor])
            sheet.confirmed_empty_cell = (r, floor)
            expected[r] = {0, floor}
        elif first in (COUNTED_BY, CHECKED_BY) and label == "":
            after_lines = True
            if first == COUNTED_BY:
                sheet.counted_by = _text(row[2])
                sheet.counted_by_cell = a1(r, 2)
                sheet.counted_on = row[5]
            else:
                sheet.checked_by = _text(row[2])
            expected[r] = {1, 2, 4, 5}
        elif label.startswith(FOUND_SECTION):
            after_lines = True
            expected[r] = {0}
        elif label == "#" and after_lines:  # the found rows' header
            expected[r] = range(layout_width)
        elif label.startswith(NO_STOCK) and not sheet.entries:
            expected[r] = {0}
        elif any(_text(value) for value in row):
            if last_line is None and not after_lines:
                inserted.append((r, row))  # said once the line below it is known
            else:
                _inserted_row(sheet, r, row, part_at, floor, last_line, None, after_lines)
    for r_inserted, cells in inserted:  # a sheet without lines
        _inserted_row(sheet, r_inserted, cells, part_at, floor, None, None, after_lines)
    for r in range(len(rows)):
        allowed = expected.get(r)
        if allowed is None:
            continue  # an inserted row: said above, as a whole
        for c, value in enumerate(rows[r]):
            if c not in allowed and _text(value):
                sheet.problems.append(Problem(
                    "unexpected-cell", file, "something is written where the sheet has no place for it; "
                    "it was not read (write counts in Floor Count, anything else in Notes)",
                    sheet=tab, cell=a1(r, c), value=_text(value)[:200]))
    for r, c in sorted(blank):
        if c != floor or not any(e.row == r for e in [*sheet.entries, *sheet.found]):
            sheet.problems.append(Problem("formula-without-value", file, BLANK_FORMULA, sheet=tab,
                                          cell=a1(r, c)))
    return sheet


def _inserted_row(sheet: FilledSheet, r: int, row: list[Any], part_at: int, floor: int,
                  above: int | None, below: int | None, after_lines: bool) -> None:
    """A row someone inserted or typed outside the layout: a problem naming it; inserted among the
    listed lines, the line next to it is recounted (the shelf may hold the two together)."""
    part, count = _text(row[part_at]), _text(row[floor])
    shown = " | ".join(text for value in row if (text := _text(value)))
    if part and count:
        what = f"holds part {part} with count {count}"
    else:
        what = "has something written in it"
    neighbour = above if above is not None else below
    if not after_lines and neighbour is not None:
        where = f"a row inserted {'below' if above is not None else 'above'} line {neighbour}"
        then = (f"; line {neighbour} goes on a recount. If the item is on the shelf, write it in a "
                "Found row and ingest the sheet again")
    else:
        where = "a row written outside the sheet's rows"
        then = "; if the item is on the shelf, write it in a Found row and ingest the sheet again"
    problem = Problem("inserted-row", sheet.file, f"{where} {what}: it is not a line of this sheet and was "
                      f"not counted{then}", sheet=sheet.tab, cell=a1(r, 0), row=r + 1, value=shown[:200])
    sheet.problems.append(problem)
    if not after_lines and neighbour is not None:
        sheet.held_lines.setdefault(neighbour, problem)
