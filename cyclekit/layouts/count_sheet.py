"""Count sheet and recount sheet: the layout (a workbook Sheet) and its inverse (parse).

Blind by default: the system quantity is not in the file at all. Only Floor Count, Notes,
the found-item rows, "confirmed empty" and the sign-off cells are editable.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from operator import attrgetter, itemgetter
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell

from cyclekit.backends.spec import (
    Cell,
    Column,
    PrintSetup,
    Range,
    Sheet,
    Style,
    Validation,
    WorkbookSpec,
)
from cyclekit.domain.lines import FOUND_PREFIX, unit_key
from cyclekit.domain.values import XML_ILLEGAL, cell_text, show_spaces, unshow_spaces
from cyclekit.errors import Problem
from cyclekit.layouts import styles
from cyclekit.layouts.paging import DEFAULT_ROW_POINTS, page_breaks
from cyclekit.layouts.text_fit import lines_of, row_height

TITLE = {"count": "Cycle count sheet", "recount": "Recount sheet"}
LOCATION, ZONE, COUNTER, PART = "Location", "Zone", "Counter", "Part"
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
INPUT_CENTER = INPUT_TEXT.but(align="center")
HEAD = styles.HEADER.but(font_size=BIG)
LABEL = Style(bold=True, font_size=BIG, align="right")
VALUE = Style(font_size=BIG, num_format="@", border=True)
SECTION = Style(bold=True, font_size=BIG, bg_color="#D9E1F2", border=True)
NOTE = Style(font_size=10, wrap=True, valign="top")
TITLE_STYLE = Style(bold=True, font_size=18, wrap=True, valign="top")
TITLE_FIT = 0.5  # characters of 18 pt bold per unit of column width
TITLE_LINE_POINTS = 23
PAGES = "&N"  # in the page header until the sheet's own number of pages is known
PAGE_HEADER_CHARS = 26  # a longer location is shortened in page headers and footers (14 pt bold)


@dataclass(frozen=True)
class SheetLine:
    line_no: int | str  # "F1": a found item, on a recount sheet
    part_number: str
    revision: str
    description: str
    lot: str
    uom: str
    system_qty: Decimal | None = None
    serial: str = ""
    location: str = ""  # shown on a part's sheet, which lists every location holding the part


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
    part: str = ""  # a part's sheet (counting by part): its lines are at several locations


def whole_units(uom: str, whole_uoms: tuple[str, ...]) -> bool:
    return uom.strip().lower() in whole_uoms


# ---- the column map: where the layout writes and the parser reads -------------------------------
# the header block and the sign-off: two label/value pairs a row
TITLE_COLUMN = 0  # the title, instructions and section texts; in the table, the line number (or F1, F2)
LEFT_LABEL, LEFT_VALUE, LEFT_VALUE_END = 1, 2, 3  # "Location" / "Counted by" and its value (merged)
RIGHT_LABEL, RIGHT_VALUE = 4, 5  # "Cycle" / "Date" and its value (merged to the last column)
VALUE_OF = {LEFT_LABEL: LEFT_VALUE, RIGHT_LABEL: RIGHT_VALUE}
HEADER_BLOCK_COLUMNS = frozenset({TITLE_COLUMN, LEFT_LABEL, LEFT_VALUE, RIGHT_LABEL, RIGHT_VALUE})
SIGN_OFF_COLUMNS = frozenset({LEFT_LABEL, LEFT_VALUE, RIGHT_LABEL, RIGHT_VALUE})
# the table: each column's header by key (a sheet has some of them, in this order)
HEADERS = {"line": LINE, "location": LOCATION, "part_number": "Part Number", "revision": "Revision",
           "description": "Description", "lot": "Lot", "serial": "Serial", "uom": "UoM", "system_qty": SYSTEM_QTY,
           "floor_count": FLOOR_COUNT, "notes": "Notes"}


def _columns(show_system_qty: bool, serials: bool, by_part: bool = False) -> list[Column]:
    return list(_column_set(show_system_qty, serials, by_part))


@functools.cache  # the same few column sets for a thousand sheets (Columns are frozen)
def _column_set(show_system_qty: bool, serials: bool, by_part: bool) -> tuple[Column, ...]:
    # widths add up to about 95 characters: Letter/A4 portrait at close to 100 % scale
    narrow = serials or show_system_qty or by_part  # make room for the extra column and stay portrait
    # UoM is written by hand on a found item's row: room for "box" or "roll" in a pen's hand
    widths = {"line": 5, "location": 12, "part_number": 15, "revision": 8, "description": 18 if narrow else 23,
              "lot": 10 if narrow else 11, "serial": 12, "uom": 7, "system_qty": 10, "floor_count": 12,
              "notes": 12 if narrow else 15}
    styles_of = {"description": WRAP.but(font_size=DESCRIPTION_SIZE), "line": CENTER,
                 "location": TEXT.but(bold=True, wrap=True), "revision": CENTER.but(wrap=True),
                 "uom": CENTER, "system_qty": BODY,
                 "floor_count": INPUT, "notes": INPUT_TEXT}
    # identical rows in a cage are told apart by serial number only
    left_out = {key for key, shown in (("serial", serials), ("system_qty", show_system_qty),
                                       ("location", by_part)) if not shown}
    return tuple(Column(header, widths[key], styles_of.get(key, WRAP), key)
                 for key, header in HEADERS.items() if key not in left_out)


def _escape_header(text: str) -> str:
    return text.replace("&", "&&")


WRAPPED = ("location", "part_number", "revision", "description", "lot", "serial")
LINE_POINTS = 15.5  # one line of 12 pt text
# characters of a column's width (in Excel's units: digits of 11 pt Calibri) that fit at 12 pt:
# identifiers run to capitals and digits, descriptions to narrower lower case
FIT = {"description": 1.0, "location": 0.8, "part_number": 0.85, "revision": 0.85, "lot": 0.85, "serial": 0.85}


TEXT_FIELDS = ("location", "part_number", "revision", "description", "lot", "serial", "uom")
SHOWN_SPACES = ("location", "part_number", "revision", "lot", "serial")  # identifiers: outer spaces shown as ␣
FLOOR_INPUT, NOTES_INPUT = Cell(None, INPUT), Cell(None, INPUT_TEXT)  # a line's blank cells to write in


def _spaces_shown(texts: list[str]) -> list[str]:
    """show_spaces of each text; most columns have no text with spaces at its ends (one C loop says so)."""
    return texts if list(map(str.strip, texts)) == texts else list(map(show_spaces, texts))


ROW_POINTS = 27  # a line's row: room to write a count by hand, and two lines of description
DESCRIPTION_SIZE, DESCRIPTION_LINE_POINTS = 10, 12  # a description is read, not written: smaller type


def _height(lines: int, described: int) -> float:
    """A line's row: room for every wrapped cell (a part number, lot or description is never cut off)
    and to write a count by hand. `lines`: of its tallest identifier; `described`: of its description."""
    return max(ROW_POINTS, row_height(lines, LINE_POINTS, 6), row_height(described, DESCRIPTION_LINE_POINTS, 3))


def _rooms(columns: list[Column]) -> list[tuple[str, float]]:
    """The wrapped columns but the description, each with the characters a line of it holds."""
    return [(c.key, c.width * FIT[c.key]) for c in columns if c.key in WRAPPED and c.key != "description"]


def _description_room(columns: list[Column]) -> float:
    return next((c.width for c in columns if c.key == "description"), 0) * FIT["description"] * BIG / DESCRIPTION_SIZE


def _most_lines(texts: list[str], room: float) -> int:
    """The lines the longest-wrapping of `texts` takes; a text no longer than a line takes one, so
    only the longer ones (each once) are measured."""
    chars = max(int(room), 1)  # as text_fit counts a line's room
    if not texts or max(map(len, texts)) <= chars:
        return 1
    return max(lines_of(text, room, paragraphs=False) for text in {text for text in texts if len(text) > chars})


def _lines_height(lines: list[SheetLine], columns: list[Column], texts: dict[str, list[str]]) -> float:
    """The height of every line's row: that of the line needing the most room. The height grows
    with each count of lines, so it is that of the most lines of any identifier and of any description."""
    if not lines:
        return 0
    wrapped = max([_most_lines(texts[key], room) for key, room in _rooms(columns)], default=1)
    return _height(wrapped, _most_lines(texts["description"], _description_room(columns)))


@dataclass
class _Layout:
    """A count sheet as it is laid out, row after row."""

    sheet: Sheet
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    keep: list[tuple[int, int]] = field(default_factory=list)  # runs of rows printed on one page

    @property
    def last(self) -> int:
        return len(self.columns) - 1

    @property
    def floor(self) -> int:
        return next(i for i, c in enumerate(self.columns) if c.key == "floor_count")

    def blank_row(self) -> list[Any]:
        return [None] * len(self.columns)

    def add(self, row: list[Any] | None = None, height: float | None = None) -> int:
        """Appends a row (blank by default); returns its index."""
        r = len(self.rows)
        self.rows.append(self.blank_row() if row is None else row)
        if height is not None:
            self.sheet.row_heights[r] = height
        return r

    def merge(self, r: int, first: int, last: int, cell: Cell) -> None:
        self.sheet.merges.append((Range(r, first, r, last), cell))

    def pair_row(self, left: tuple[str, Cell], right: tuple[str, Cell], height: float | None = None) -> None:
        """Two labels, each with its value merged beside it (header block, sign-off)."""
        row = self.blank_row()
        row[LEFT_LABEL], row[RIGHT_LABEL] = Cell(left[0], LABEL), Cell(right[0], LABEL)
        r = self.add(row, height)
        self.merge(r, LEFT_VALUE, LEFT_VALUE_END, left[1])
        self.merge(r, RIGHT_VALUE, self.last, right[1])


def count_sheet(header: SheetHeader, lines: list[SheetLine], tab: str, *, show_system_qty: bool,
                found_rows: int, whole_uoms: tuple[str, ...], paper: int = 1) -> Sheet:
    """A location's sheet, or with `header.part` a part's: a row per line at each location holding
    it, in walk order, without found rows nor a confirmation (they belong to a location)."""
    columns = _columns(show_system_qty, any(item.serial for item in lines), by_part=bool(header.part))
    layout = _Layout(Sheet(tab, columns=columns, header_row=HEADER_ROW, protect=True), columns)
    # ' X ' and 'X' are two locations: the spaces show
    shown_location = f"part {show_spaces(header.part)}" if header.part else show_spaces(header.location)
    _header_block(layout, header, shown_location, show_system_qty)
    _line_rows(layout, lines, whole_uoms)
    if found_rows and not header.part:
        _found_rows(layout, found_rows)
    closing = len(layout.rows)
    if header.kind != "recount" and not header.part:
        _confirmed_empty_row(layout)
    _sign_off(layout)
    layout.keep.append((closing, len(layout.rows) - 1))  # the confirmation with the signatures
    sheet = layout.sheet
    sheet.rows = layout.rows
    sheet.freeze = (HEADER_ROW + 1, 0)
    for r in range(len(layout.rows)):  # every row's height set: the pages are counted from them
        sheet.row_heights.setdefault(r, DEFAULT_ROW_POINTS)
    landscape = sum(c.width for c in columns) > 100
    sheet.print_setup = _paginated(sheet, _print_setup(header, shown_location, landscape=landscape, paper=paper),
                                   layout.keep)
    return sheet


def laid_out_book(layouts: Sequence[Callable[[], Sheet]], title: str, subject: str) -> WorkbookSpec:
    """A workbook of sheets laid out now (count_sheet partials): in the process that writes it."""
    return WorkbookSpec([layout() for layout in layouts], title=title, subject=subject)


def _paginated(sheet: Sheet, setup: PrintSetup, keep: list[tuple[int, int]]) -> PrintSetup:
    """Pages as the layout decides them, numbered on the sheet itself ("Page 1 of 2") whatever other
    locations share its workbook (a packet, a recount workbook): &N would count the workbook's."""
    heights = [sheet.row_heights.get(r, DEFAULT_ROW_POINTS) for r in range(len(sheet.rows))]
    breaks = page_breaks(heights, heights[HEADER_ROW], setup.margins, setup.paper, setup.landscape, keep)
    return replace(setup, page_breaks=tuple(breaks), first_page_number=1,
                   header=setup.header.replace(PAGES, str(len(breaks) + 1)))


def _header_block(layout: _Layout, header: SheetHeader, shown_location: str, show_system_qty: bool) -> None:
    """Rows 0-5: the title, who counts what and when, the instructions."""
    title = f"{TITLE[header.kind]}: {shown_location}"
    # wrapped, never overflowing: LibreOffice shrinks the whole page to fit a title that runs past it
    title_lines = lines_of(title, sum(c.width for c in layout.columns) * TITLE_FIT, paragraphs=False)
    layout.merge(layout.add(height=row_height(title_lines, TITLE_LINE_POINTS, 6, single=28)), TITLE_COLUMN,
                 layout.last, Cell(title, TITLE_STYLE))
    first = (PART, show_spaces(header.part)) if header.part else (LOCATION, shown_location)
    pairs = [(first, (CYCLE, header.cycle_id)),
             ((ZONE, header.zone), (SHEET, header.sheet_id)),
             ((COUNTER, header.counter), (COUNT_DATE, header.count_date))]
    widths = [c.width for c in layout.columns]
    rooms = (sum(widths[LEFT_VALUE:LEFT_VALUE_END + 1]), sum(widths[RIGHT_VALUE:]))
    for (left_label, left_value), (right_label, right_value) in pairs:
        # a part's sheet names every zone and owner of its locations: wrapped, never cut off (the
        # location is whole in the title above)
        lines = max(lines_of(value, room * FIT["description"], paragraphs=False)
                    for value, room in zip((left_value, right_value), rooms, strict=True)) if left_label in (
            ZONE, COUNTER) else 1
        height, wrap = (row_height(lines, LINE_POINTS, 4), {"wrap": True}) if lines > 1 else (None, {})
        layout.pair_row((left_label, Cell(left_value, _wrapped(_header_style(left_label, left_value), wrap))),
                        (right_label, Cell(right_value, _wrapped(_header_style(right_label, right_value), wrap))),
                        height)
    # three lines of instructions
    layout.merge(layout.add(height=44), TITLE_COLUMN, layout.last,
                 Cell(_instructions(header, show_system_qty), NOTE))
    layout.add()


def _wrapped(style: Style, wrap: dict[str, bool]) -> Style:
    return style.but(**wrap) if wrap else style  # the same Style object: a workbook looks it up by identity


def _instructions(header: SheetHeader, show_system_qty: bool) -> str:
    if header.kind == "recount":
        first = f" ({header.first_counted_by})" if header.first_counted_by else ""
        return (f"Recount: count each line below again, by a different person than the first "
                f"count{first}, and write the quantity in {FLOOR_COUNT} (digits only, in the unit "
                f"shown; 0 if there is none). The first count is not shown.")
    blind = "" if show_system_qty else " The system quantity is not shown: count what you see."
    if header.part:
        return (f"Go to each location below in order and count part {show_spaces(header.part)} there; write "
                f"the quantity in {FLOOR_COUNT} in the unit shown (digits only, no units). Leave it blank if "
                f"you could not count the line; write 0 if there is none.{blind} Anything else you find, "
                "write in Notes.")
    return (f"Count every line on the shelf and write the quantity in {FLOOR_COUNT} in the unit "
            f"shown (digits only, no units). Leave it blank if you could not count the line; "
            f"write 0 if there is none.{blind} Write anything on the shelf that is not "
            f"listed under Found.")


def _line_rows(layout: _Layout, lines: list[SheetLine], whole_uoms: tuple[str, ...]) -> None:
    """The table's header and a row per line (or a note that there is none), from HEADER_ROW."""
    columns = layout.columns
    layout.add([Cell(c.header, HEAD) for c in columns], height=20)
    # a column at a time (a sheet has up to a few thousand lines); the blank input cells are shared
    texts = {key: list(map(attrgetter(key), lines)) for key in TEXT_FIELDS}
    values: dict[str, Sequence[Any]] = {
        "line": [str(item.line_no) for item in lines], "system_qty": [item.system_qty for item in lines],
        "floor_count": [FLOOR_INPUT] * len(lines), "notes": [NOTES_INPUT] * len(lines),
        "description": texts["description"], "uom": texts["uom"],
        **{key: _spaces_shown(texts[key]) for key in SHOWN_SPACES if any(c.key == key for c in columns)}}
    # every row of a sheet as tall as its tallest: the same room to write on each line
    height = _lines_height(lines, columns, texts)
    first = len(layout.rows)
    layout.rows += map(list, zip(*(values[c.key] for c in columns), strict=True))
    layout.sheet.row_heights.update(dict.fromkeys(range(first, len(layout.rows)), height))
    if not lines:
        layout.merge(layout.add(height=30), TITLE_COLUMN, layout.last, Cell(
            "No stock in the system for this location: confirm it is empty below, or write what you "
            "find under Found.", BODY.but(italic=True, wrap=True)))
    first_line = HEADER_ROW + 1
    whole = {uom: whole_units(uom, whole_uoms) for uom in set(texts["uom"])}
    _quantity_validations(layout.sheet, [(first_line + i, whole[uom]) for i, uom in enumerate(texts["uom"])],
                          layout.floor)


def _found_rows(layout: _Layout, found_rows: int) -> None:
    """Found on the shelf, not listed: a section title, a header and `found_rows` rows to fill in."""
    layout.add()
    title = layout.add()
    layout.merge(title, TITLE_COLUMN, layout.last, Cell(
        "Found on the shelf but not listed above: write each item on a row below", SECTION))
    layout.add([Cell("#" if c.key == "line" else c.header, HEAD)
                if c.key not in ("system_qty",) else Cell(None, HEAD) for c in layout.columns])
    first_found = len(layout.rows)
    typed = {"system_qty": BODY, "floor_count": INPUT}
    for n in range(1, found_rows + 1):
        layout.add([Cell(f"{FOUND_PREFIX}{n}", CENTER),
                    *(Cell(None, typed.get(column.key, INPUT_TEXT)) for column in layout.columns[1:])],
                   height=24)
    layout.keep.append((title, len(layout.rows) - 1))  # the section's title and header with its rows
    _quantity_validations(layout.sheet, [(first_found + n, False) for n in range(found_rows)], layout.floor)


def _confirmed_empty_row(layout: _Layout) -> None:
    layout.add()
    floor = layout.floor
    row = layout.blank_row()
    row[floor] = Cell(None, INPUT_CENTER)
    empty_row = layout.add(row)
    layout.merge(empty_row, TITLE_COLUMN, floor - 1, Cell(
        f"{CONFIRMED_EMPTY} (nothing on the shelf at all): write YES", LABEL))
    layout.sheet.validations.append(Validation(
        Range(empty_row, floor, empty_row, floor), "list", choices=("YES",),
        error_message="Write YES only when the location is empty; otherwise leave it blank."))


def _sign_off(layout: _Layout) -> None:
    layout.add()
    for label in (COUNTED_BY, CHECKED_BY):
        layout.pair_row((label, Cell(None, INPUT_TEXT)), (DATE, Cell(None, INPUT_TEXT)), height=26)


def _print_setup(header: SheetHeader, shown_location: str, *, landscape: bool, paper: int) -> PrintSetup:
    location = _escape_header(styles.shortened(shown_location, PAGE_HEADER_CHARS))
    return PrintSetup(
        landscape=landscape, repeat_rows=(HEADER_ROW, HEADER_ROW),
        header=f"&L&\"Calibri,Bold\"&14{location}&C{_escape_header(header.cycle_id)} "
               f"{header.sheet_id}&R&12Page &P of {PAGES}",
        # who counts and when on every page: the pages of a long location get separated
        footer=f"&L{TITLE[header.kind]} {location}"
               + "".join(f"  |  {_escape_header(part)}" for part in (header.counter, header.count_date) if part),
        gridlines=False, paper=paper, margins=(0.4, 0.4, 0.7, 0.6))


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

# every field a line prints, in the table's order: a line that no longer reads as it was printed
# was changed on the sheet (its count may be of another item: a serial, a unit, a description)
PRINTED = ("part_number", "revision", "description", "lot", "serial", "uom")
_IDENTIFIERS = ("part_number", "revision", "lot", "serial")  # printed with their end spaces shown (␣)


def _description(text: str) -> str:
    # wrapped, re-typed or saved by another program, a description keeps its words: only they count
    return " ".join(XML_ILLEGAL.sub("", text).split())


def altered_fields(entry: Entry, sent: dict[str, str]) -> list[tuple[str, str, str]]:
    """The printed fields (PRINTED) of a line that read otherwise than they were sent, as
    (field, as sent, as read); `sent` holds the line's fields as they are in the cycle."""
    altered = []
    for key in PRINTED:
        printed, read = sent.get(key, ""), getattr(entry, key)
        if read == printed:
            continue  # read as printed (nearly every field of every line): the same by every rule below
        if key in _IDENTIFIERS:
            same = read == printed or unshow_spaces(read) == printed
        elif key == "uom":
            same = unit_key(read) == unit_key(printed)  # 'EA' and 'ea' are one unit
        else:
            same = _description(read) == _description(printed)
        if not same:
            altered.append((key, printed, read))
    return altered

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
    serial: str = ""
    location: str = ""  # on a part's sheet: the location of the line, as shown


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
    columns: dict[str, int] = field(default_factory=dict)  # where the table's printed fields are (see PRINTED)

    @property
    def cycle_id(self) -> str:
        return self.labels.get(CYCLE, "")

    @property
    def sheet_id(self) -> str:
        return self.labels.get(SHEET, "")


def _text(value: Any) -> str:
    return value.strip() if type(value) is str else cell_text(value)


def _texts(values: Sequence[Any]) -> list[str]:
    """[_text(v) for v in values], in one C loop when every value is a text (as nearly every cell
    of a returned sheet is); a number, a date or a blank None reads the way `_text` reads it."""
    try:
        return list(map(str.strip, values))
    except TypeError:  # not all texts: each one as a person sees it
        return [_text(value) for value in values]


def _at(rows: list[list[Any]], r: int, c: int) -> Any:
    return rows[r][c] if r < len(rows) and c < len(rows[r]) else None


def _labels_and_header(rows: list[list[Any]]) -> tuple[dict[str, str], int | None]:
    """The header block's values by label, and the row of the table's header (None: no table)."""
    labels: dict[str, str] = {}
    for r in range(min(len(rows), 12)):
        if cell_text(_at(rows, r, TITLE_COLUMN)) == LINE:  # a part's sheet has a Location column
            return labels, r
        for c, text in enumerate(_texts(rows[r])):
            if text in (LOCATION, PART, ZONE, COUNTER, CYCLE, SHEET, COUNT_DATE) and c in VALUE_OF:
                labels.setdefault(text, cell_text(_at(rows, r, VALUE_OF[c])))
    return labels, None


ENTRY_TEXTS = ("part_number", "revision", "description", "lot", "uom", "notes", "serial", "location")


class _Reading:
    """A filled sheet read row by row: where its columns are, what each row may hold, the rows
    someone inserted."""

    def __init__(self, sheet: FilledSheet, headers: list[str], header_row: int,
                 blank: set[tuple[int, int]]):
        col = {name: i for i, name in enumerate(headers) if name}
        self.sheet, self.blank = sheet, blank
        self.floor = col[FLOOR_COUNT]
        self.layout_width = max(c for c, name in enumerate(headers) if name) + 1
        width = max(len(headers), self.floor + 1, RIGHT_VALUE + 1)
        # a column the sheet lacks reads from one past the row's end, which is always blank
        self.at = {key: col.get(HEADERS[key], width) for key in (*PRINTED, "location", "notes")}
        # an entry's text fields in Entry's order, picked from a row in one call
        self.fields = itemgetter(*(self.at[key] for key in ENTRY_TEXTS))
        sheet.columns = {key: col[HEADERS[key]] for key in PRINTED if HEADERS[key] in col}
        self.width = width + 1
        # what a short row is padded with: blank cells, and "" one past the end (read as the text
        # of a column the sheet lacks: "" as a blank reads, and the quick path of _texts holds)
        self.padding: list[Any] = [*([None] * width), ""]
        self.system_at = col.get(SYSTEM_QTY)
        self.expected: dict[int, Collection[int]] = {}  # row -> the columns where something may be written
        for r in range(header_row):
            self.expected[r] = HEADER_BLOCK_COLUMNS  # title, instructions, the labels and their values
        self.expected[header_row] = range(self.layout_width)
        self.last_line: int | None = None
        self.after_lines = False  # past the listed lines: found rows, the confirmation, the sign-off
        self.inserted: list[tuple[int, list[Any]]] = []

    def entry(self, row: list[Any], r: int, line_no: int | None, label: str) -> Entry:
        raw = row[self.floor]
        unreadable = BLANK_FORMULA if (r, self.floor) in self.blank else ""
        part_number, revision, description, lot, uom, notes, serial, location = _texts(self.fields(row))
        # a number typed is never blank (what a float reads as is never empty): only others are read
        count = raw if type(raw) is float else None if _text(raw) == "" else raw
        return Entry(line_no, label, part_number, revision, description, lot, uom,
                     count, notes, r, self.floor, unreadable, serial, location)

    def read(self, r: int, row: list[Any]) -> None:
        """One row below the table's header: a line, a found item, the confirmation, a signature, or
        something the layout has no place for."""
        if len(row) < self.width:
            row = [*row, *self.padding[len(row):]]
        label = _text(row[TITLE_COLUMN])
        if label.isascii() and label.isdigit() and not self.after_lines:  # "²" is a digit to Python, not to int()
            self._line(r, row, label)
        elif _FOUND.match(label):
            self.after_lines = True
            found = self.entry(row, r, None, label)
            if found.part_number or found.floor_count is not None or found.unreadable:
                self.sheet.found.append(found)
            self.expected[r] = set(range(self.layout_width)) - {self.system_at}
        elif label.startswith(CONFIRMED_EMPTY):
            self.after_lines = True
            self.sheet.confirmed_empty = _text(row[self.floor])
            self.sheet.confirmed_empty_cell = (r, self.floor)
            self.expected[r] = {TITLE_COLUMN, self.floor}
        elif _text(row[LEFT_LABEL]) in (COUNTED_BY, CHECKED_BY) and label == "":
            self._signature(r, row)
        elif label.startswith(FOUND_SECTION):
            self.after_lines = True
            self.expected[r] = {TITLE_COLUMN}
        elif label == "#" and self.after_lines:  # the found rows' header
            self.expected[r] = range(self.layout_width)
        elif label.startswith(NO_STOCK) and not self.sheet.entries:
            self.expected[r] = {TITLE_COLUMN}
        elif any(_text(value) for value in row):
            if self.last_line is None and not self.after_lines:
                self.inserted.append((r, row))  # said once the line below it is known
            else:
                self._inserted(r, row, self.last_line, None)

    def _line(self, r: int, row: list[Any], label: str) -> None:
        line = self.entry(row, r, int(label), label)
        self.sheet.entries.append(line)
        if self.last_line is None:  # rows inserted above the first line: that line is their neighbour
            for r_inserted, cells in self.inserted:
                self._inserted(r_inserted, cells, None, line.line_no)
            self.inserted = []
        self.last_line = line.line_no
        self.expected[r] = range(self.layout_width)

    def _signature(self, r: int, row: list[Any]) -> None:
        self.after_lines = True
        if _text(row[LEFT_LABEL]) == COUNTED_BY:
            self.sheet.counted_by = _text(row[LEFT_VALUE])
            self.sheet.counted_by_cell = xl_rowcol_to_cell(r, LEFT_VALUE)
            self.sheet.counted_on = row[RIGHT_VALUE]
        else:
            self.sheet.checked_by = _text(row[LEFT_VALUE])
        self.expected[r] = SIGN_OFF_COLUMNS

    def _inserted(self, r: int, row: list[Any], above: int | None, below: int | None) -> None:
        _inserted_row(self.sheet, r, row, self.at["part_number"], self.floor, above, below, self.after_lines)

    def finish(self, rows: list[list[Any]]) -> None:
        """What is left to say once every row is read: rows inserted on a sheet without lines,
        cells written outside the layout, formulas saved without a value."""
        for r_inserted, cells in self.inserted:  # a sheet without lines
            self._inserted(r_inserted, cells, None, None)
        sheet = self.sheet
        for r, row in enumerate(rows):
            allowed = self.expected.get(r)
            if allowed is None:
                continue  # an inserted row: said above, as a whole
            # a line's row may hold something in every column up to the layout's last: only
            # the cells past it are looked at
            start = allowed.stop if type(allowed) is range and allowed.start == 0 and allowed.step == 1 else 0
            for c in range(start, len(row)):
                value = row[c]
                if c not in allowed and _text(value):
                    sheet.problems.append(Problem(
                        "unexpected-cell", sheet.file, "something is written where the sheet has no place for "
                        "it; it was not read (write counts in Floor Count, anything else in Notes)",
                        sheet=sheet.tab, cell=xl_rowcol_to_cell(r, c), value=_text(value)[:200]))
        for r, c in sorted(self.blank):
            if c != self.floor or not any(e.row == r for e in [*sheet.entries, *sheet.found]):
                sheet.problems.append(Problem("formula-without-value", sheet.file, BLANK_FORMULA,
                                              sheet=sheet.tab, cell=xl_rowcol_to_cell(r, c)))


def parse_sheet(rows: list[list[Any]], file: str, tab: str,
                blank_formulas: Collection[tuple[int, int]] = ()) -> FilledSheet | None:
    """The inverse of `count_sheet`; None when the tab is not a cyclekit count sheet.

    blank_formulas: zero-based (row, column) of formulas saved without a value, which read as
    blank: each one is a problem, never a line left blank."""
    labels, header_row = _labels_and_header(rows)
    if header_row is None or CYCLE not in labels or SHEET not in labels:
        return None
    headers = [cell_text(v) for v in rows[header_row]]
    if FLOOR_COUNT not in headers:
        return None
    reading = _Reading(FilledSheet(file, tab, labels), headers, header_row, set(blank_formulas))
    for r in range(header_row + 1, len(rows)):
        reading.read(r, rows[r])
    reading.finish(rows)
    return reading.sheet


def location_views(sheet: FilledSheet) -> list[FilledSheet]:
    """A part's sheet read as one sheet per location it lists, each as that location's sheet
    `S001/LOCATION` (as `sheets` records it): its lines keep their Line IDs and checks. Any other
    sheet is itself. What the tab says outside the lines is said once, by the first location."""
    if PART not in sheet.labels:
        return [sheet]
    groups: dict[str, list[Entry]] = {}
    for entry in sheet.entries:
        groups.setdefault(unshow_spaces(entry.location), []).append(entry)
    held = set(sheet.held_lines.values())
    views: list[FilledSheet] = []
    for location, entries in groups.items():
        labels = {**sheet.labels, SHEET: f"{sheet.sheet_id}/{location}", LOCATION: show_spaces(location)}
        views.append(replace(sheet, labels=labels, entries=entries, found=[],
                             problems=[] if views else [p for p in sheet.problems if p not in held],
                             held_lines=_held_among(sheet, entries)))
    return views or [sheet]


def _held_among(sheet: FilledSheet, entries: list[Entry]) -> dict[int, Problem]:
    """The held lines of a part's sheet that are among `entries`: line numbers repeat from one
    location to the next, the held one is the nearest to the row inserted."""
    held = {}
    for line_no, problem in sheet.held_lines.items():
        inserted = (problem.row or 1) - 1
        nearest = min((e for e in sheet.entries if e.line_no == line_no), key=lambda e: abs(e.row - inserted))
        if any(e is nearest for e in entries):
            held[line_no] = problem
    return held


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
                      f"not counted{then}", sheet=sheet.tab, cell=xl_rowcol_to_cell(r, TITLE_COLUMN), row=r + 1,
                      value=shown[:200])
    sheet.problems.append(problem)
    if not after_lines and neighbour is not None:
        sheet.held_lines.setdefault(neighbour, problem)
