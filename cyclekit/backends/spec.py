"""One description of a workbook, rendered by every backend (xlsx, Google Sheets, PDF).

Layout code (what a schedule, a count sheet or a results tab looks like) builds these
objects once; renderers know nothing about cycle counting. Rows and columns are
zero-based here; formulas are A1 text as a person would type them, each with the value
it evaluates to, so readers that do not recalculate still show the right thing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, overload

from xlsxwriter.utility import xl_cell_to_rowcol, xl_col_to_name, xl_rowcol_to_cell


@dataclass(frozen=True)
class Style:
    num_format: str | None = None
    bold: bool = False
    italic: bool = False
    font_size: float | None = None
    font_color: str | None = None
    bg_color: str | None = None
    align: str | None = None  # left, center, right
    valign: str | None = "vcenter"
    wrap: bool = False
    border: bool = False  # thin border all round
    indent: int = 0  # levels of indent: room between a text and the number printed right-aligned beside it
    locked: bool = True  # only matters on a protected sheet

    def but(self, **changes: Any) -> Style:
        return replace(self, **changes)


@dataclass(slots=True, unsafe_hash=True)  # not frozen: a frozen init costs twice as much, a results
class Formula:                             # workbook makes 200,000 of them (nothing changes one)
    expr: str  # "=A2+B2"
    value: Any = None  # what the formula evaluates to when written (str, number, date, None)


@dataclass(frozen=True)
class Cell:
    value: Any
    style: Style | None = None


CellValue = None | str | int | float | Decimal | bool | dt.date | Formula | Cell


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    style: Style = Style()  # style of the cells written in this column (None cells stay empty)
    key: str = ""  # a stable name layouts use to find the column


@dataclass(frozen=True)
class Range:
    first_row: int
    first_col: int
    last_row: int
    last_col: int


@dataclass(frozen=True)
class Validation:
    range: Range
    kind: str  # "decimal", "whole", "list", "date"
    minimum: float | None = None
    choices: tuple[str, ...] = ()
    source: str = ""  # a list from a range instead of choices, e.g. "=Lists!$A$2:$A$20"
    input_title: str = ""
    input_message: str = ""
    error_title: str = ""
    error_message: str = ""
    ignore_blank: bool = True


@dataclass(frozen=True)
class ConditionalFormat:
    range: Range
    formula: str  # relative to the range's top-left cell, e.g. '=$M2="Overdue"'
    style: Style  # only fill, font colour and bold are applied


@dataclass(frozen=True)
class DataBar:
    range: Range
    color: str = "#5B9BD5"


@dataclass(frozen=True)
class Series:
    name: str
    categories: Range  # on the chart's own sheet unless sheet is given
    values: Range
    color: str | None = None
    sheet: str | None = None
    kind: str | None = None  # overrides the chart kind for a combined chart (e.g. a target line)


@dataclass(frozen=True)
class Chart:
    kind: str  # column, bar, line
    title: str
    series: tuple[Series, ...]
    anchor_row: int
    anchor_col: int
    x_title: str = ""
    y_title: str = ""
    y_format: str | None = None
    x_date_format: str | None = None  # categories are dates: show them so
    label_low: bool = False  # category labels at the low end, clear of negative bars
    reverse_categories: bool = False  # a bar chart lists its first category at the top
    gap: int | None = None  # gap between bars, percent of a bar's width
    width: int = 720
    height: int = 360


@dataclass(frozen=True)
class PrintSetup:
    landscape: bool = False
    fit_width: int = 1
    fit_height: int = 0  # 0: as many pages tall as needed
    repeat_rows: tuple[int, int] | None = None
    repeat_columns: tuple[int, int] | None = None  # on every page across: what identifies a row
    header: str = ""  # &L &C &R sections, &P page, &N pages (Excel codes)
    footer: str = ""
    gridlines: bool = True
    paper: int = 1  # 1 letter, 9 A4
    margins: tuple[float, float, float, float] = (0.4, 0.4, 0.6, 0.6)  # left, right, top, bottom
    center_horizontally: bool = True
    area: Range | None = None  # what prints (e.g. the table without a chart beside it)
    # pages decided by the layout: a break before each of these rows, page numbers from 1 on each
    # sheet (a workbook's sheets otherwise number on)
    page_breaks: tuple[int, ...] = ()
    first_page_number: int | None = None
    across_first: bool = False  # pages across before pages down: both halves of a row print one after the other


class LazyRows(Sequence[list[CellValue]]):
    """A tab's rows laid out as they are read instead of held: a table of 50,000 lines is written
    without all its rows in memory at once (they took as much as the rest of an ingest).

    make(start, stop) lays out rows start..stop-1, afresh at every read. Reading is what a list
    offers for reading (len, iteration, an index, a slice, which is lazy too); a layout that
    changes the rows makes them a list first (`held`). styles: every Style the rows' Cells may
    carry, for a renderer to register before the rows are laid out elsewhere.
    """

    def __init__(self, count: int, make: Callable[[int, int], Iterable[list[CellValue]]],
                 styles: tuple[Style, ...] = (), offset: int = 0):
        self.size, self.make, self.styles, self.offset = count, make, styles, offset

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[list[CellValue]]:
        return iter(self.make(self.offset, self.offset + self.size))

    @overload
    def __getitem__(self, index: int) -> list[CellValue]: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[list[CellValue]]: ...

    def __getitem__(self, index: int | slice) -> list[CellValue] | Sequence[list[CellValue]]:
        if isinstance(index, slice):
            start, stop, step = index.indices(self.size)
            if step != 1:
                return list(self)[index]
            return LazyRows(max(stop - start, 0), self.make, self.styles, self.offset + start)
        if index < 0:
            index += self.size
        if not 0 <= index < self.size:
            raise IndexError(index)
        return next(iter(self.make(self.offset + index, self.offset + index + 1)))


def held(sheet: Sheet) -> list[list[CellValue]]:
    """The sheet's rows as a list it holds (laid out now if they were lazy), to change them."""
    rows: Sequence[list[CellValue]] = sheet.rows  # a list to the type checker: see Sheet.rows
    if not isinstance(rows, list):
        sheet.rows = list(rows)
    return sheet.rows


@dataclass
class Sheet:
    name: str
    columns: list[Column] = field(default_factory=list)
    rows: list[list[CellValue]] = field(default_factory=list)  # or LazyRows, read only (see held)
    row_heights: dict[int, float] = field(default_factory=dict)
    merges: list[tuple[Range, CellValue]] = field(default_factory=list)
    freeze: tuple[int, int] | None = None
    autofilter: Range | None = None
    validations: list[Validation] = field(default_factory=list)
    conditional_formats: list[ConditionalFormat] = field(default_factory=list)
    data_bars: list[DataBar] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    protect: bool = False
    print_setup: PrintSetup | None = None
    tab_color: str | None = None
    hidden: bool = False
    header_row: int | None = None  # row of the main table's headers

    def column_index(self, key: str) -> int:
        for index, column in enumerate(self.columns):
            if column.key == key or column.header == key:
                return index
        raise KeyError(key)


@dataclass
class WorkbookSpec:
    sheets: list[Sheet]
    defined_names: dict[str, str] = field(default_factory=dict)  # name -> "=Settings!$B$2"
    title: str = ""
    subject: str = ""

    def sheet(self, name: str) -> Sheet:
        for sheet in self.sheets:
            if sheet.name == name:
                return sheet
        raise KeyError(name)


def col_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    return str(xl_col_to_name(index))


def col_index(letters: str) -> int:
    """A -> 0, Z -> 25, AA -> 26: the inverse of col_letter (XFD, Excel's last column, at most)."""
    return int(xl_cell_to_rowcol(f"{letters}1")[1])


def a1(row: int, col: int, absolute: bool = False) -> str:
    """The A1 reference of a zero-based cell: a1(0, 0) -> A1, with absolute=True $A$1."""
    return str(xl_rowcol_to_cell(row, col, row_abs=absolute, col_abs=absolute))
