"""The results workbook: Summary, Variance, Discrepancies, Recount, Problems (+ Cleared, Lists).

Finance works in the Discrepancies tab; on every re-ingest the documentation people typed
there is read back first and carried over, matched by Line ID. Documentation of a line
that no longer has a discrepancy moves to the Cleared tab, never silently dropped. When a
line's variance changed since it was documented (a recount), its texts are kept but its
approval is not: Status goes back to Open and Notes say what changed, to approve again.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from xlsxwriter.utility import xl_col_to_name, xl_range_abs, xl_rowcol_to_cell

from cyclekit.backends.reader import WorkbookReader
from cyclekit.backends.spec import (
    Cell,
    CellValue,
    Chart,
    Column,
    ConditionalFormat,
    Formula,
    LazyRows,
    PrintSetup,
    Range,
    Series,
    Sheet,
    Style,
    Validation,
    WorkbookSpec,
    held,
)
from cyclekit.config import Config
from cyclekit.domain.authority import allowed_roles
from cyclekit.domain.causes import (
    CAUSE_DETAILS,
    ROOT_CAUSES,
    SYSTEM_HIGHER,
    SYSTEM_LOWER,
    fix_and_verify,
    suggested_causes,
)
from cyclekit.domain.money import cents, round_formula
from cyclekit.domain.movements import (
    ACCEPT,
    AFTER_COUNT,
    BEFORE_COUNT,
    BEFORE_SNAPSHOT,
    DECISIONS,
    REJECT,
    SAME_DAY,
    MovementUse,
    Transfer,
    suggest_transfers,
    transfer_ids,
)
from cyclekit.domain.problems import ProblemKind
from cyclekit.domain.review import (
    DISCREPANCY_RATE_TARGET,
    OPEN,
    RATE_TARGET_TEXT,
    STATUSES,
    ProblemKey,
    problem_key,
    problem_status,
)
from cyclekit.domain.values import QuantityError, cell_text, format_decimal, parse_date, parse_quantity
from cyclekit.domain.variance import (
    FOUND_ROW,
    MAJOR,
    NO_COUNTER,
    ROUNDING,
    CountedLine,
    Figures,
    GroupFigures,
    Judgement,
    fixed_by_recount,
    judge,
    needs_recount,
    sheet_line_number,
    tolerance,
)
from cyclekit.errors import Problem, some_of
from cyclekit.folder.cycle import Manifest, SheetRecord
from cyclekit.layouts import styles
from cyclekit.layouts.added_tabs import added_tab_sheet, carried_cell
from cyclekit.layouts.results_carry import KEPT, KeptCell, PreviousResults, read_previous
from cyclekit.layouts.text_fit import Measure, char_width, lines_of, room_of, row_height

SUMMARY, VARIANCE, DISCREPANCIES = "Summary", "Variance", "Discrepancies"
RECOUNT, PROBLEMS, CLEARED, LISTS = "Recount", "Problems", "Cleared", "Lists"
NOT_COUNTED = "Not Counted"
UNVALUED = "unvalued"  # the Variance Value of a line whose part has no known unit cost
DOC_COLUMNS = ("Root Cause", "Resolution", "Status", "Investigated By", "Investigated On",
               "Approved By", "Approval Date", "Notes")
LINE_ID = "Line ID"
SUGGESTED_CAUSES = "Suggested Causes"
SUGGESTED_FIX, HOW_TO_VERIFY = "Suggested Fix", "How to Verify"  # of the Root Cause picked: looked up
VARIANCE_QTY = "Variance Qty"  # in documentation read back: the variance the row showed when documented
DOCUMENTED_VARIANCE = "Documented Variance"  # the Cleared tab's column of it
MOVED_QTY, EXPECTED_QTY, COUNTED_AT = "Moved Qty", "Expected Qty", "Counted At"  # with a movements export
MOVEMENTS, TRANSFERS, TRANSFER = "Movements", "Transfers", "Transfer"
MOVED = Style(bg_color="#DDEBF7", font_color="#1F3864")  # a line whose stock moved while the count ran
CHANGED = "VARIANCE CHANGED:"  # starts the note of a row whose variance changed since it was documented
PAGE_WIDTH = 150  # characters of column width a landscape page holds at a legible scale (7.5 pt type)
CHART_LOCATIONS = 20  # bars in the Summary's chart: a bar per location is unreadable past that
QTY = styles.quantity(0)  # a tab's quantity columns: see _Quantities
PCT = Style(num_format="0.0%")
LINE_POINTS = 15  # a line of 11 pt text


def _header(columns: list[Column]) -> list[CellValue]:
    return [Cell(c.header, styles.HEADER) for c in columns]


def _spaced(columns: list[Column]) -> list[Column]:
    """A text column right of a number column starts an indent in: on paper, without gridlines,
    "-$97,170.80" printed against "Digital > physical" read as one word."""
    spaced = columns[:1]
    for before, column in zip(columns, columns[1:]):
        style = column.style
        if styles.right_aligned(before.style) and not styles.right_aligned(style) and style.align != "center":
            column = replace(column, style=style.but(indent=1))
        spaced.append(column)
    return spaced


def _pages_across(widths: list[float]) -> int:
    """Pages across for columns of these widths, the first two printed on every page: a page holds
    PAGE_WIDTH, a tenth or so over it shrinks the type a little rather than add a page."""
    total, repeated = sum(widths), sum(widths[:2])
    if total <= PAGE_WIDTH:
        return 1
    return max(1, math.ceil((total - repeated) / (PAGE_WIDTH - repeated) - 0.15))


def _table_sheet(name: str, columns: list[Column], rows: list[list[Any]] | LazyRows, *, protect: bool = False,
                 landscape: bool = True, unprinted: int = 0, legend: str = "",
                 heights: dict[int, float] | None = None) -> Sheet:
    """unprinted: columns at the right left off paper (shown on screen only); legend: what the
    tab's fills mean, printed at the foot of every page; heights: every data row's height, when
    the tab fits its rows itself."""
    columns = _spaced(columns)
    sheet = Sheet(name, columns=columns, header_row=0, freeze=(1, 2), protect=protect)
    if isinstance(rows, LazyRows):  # the header held, the rows laid out as they are written
        sheet.rows = cast(list[list[CellValue]], LazyRows(len(rows) + 1, _Headed(_header(columns), rows.make),
                                                          rows.styles))
    else:
        sheet.rows = [_header(columns), *rows]
    sheet.row_heights[0] = 32
    if heights is not None:
        sheet.row_heights.update(heights)
    else:
        # a row's height is not fitted to wrapped text when the file is opened: a long problem or
        # reason would print over the rows below it
        fit = _RowFit(columns)
        for r, row in enumerate(rows, start=1):
            if (lines := fit.lines(row)) > 1:
                sheet.row_heights[r] = row_height(lines, LINE_POINTS, 4)
    sheet.autofilter = Range(0, 0, max(len(rows), 1), len(columns) - 1)
    # a wide tab prints as many pages across as keep it legible: the first two columns (what the
    # row is) repeat on every page across, so each page holds less of the rest
    printed = len(columns) - unprinted
    pages_across = _pages_across([c.width for c in columns[:printed]])
    sheet.print_setup = PrintSetup(landscape=landscape, repeat_rows=(0, 0), fit_width=pages_across,
                                   repeat_columns=(0, 1) if pages_across > 1 else None,
                                   header=f"&L&\"Calibri,Bold\"{name}&R&D",
                                   footer=f"&L{legend}&RPage &P of &N" if legend else "&CPage &P of &N",
                                   gridlines=False,
                                   area=Range(0, 0, max(len(rows), 1), printed - 1) if unprinted else None)
    return sheet


class _Headed:
    """Row 0 a header, then rows 1.. of `make` (its rows 0..): see LazyRows."""

    def __init__(self, header: list[CellValue], make: Callable[[int, int], Iterable[list[CellValue]]]):
        self.header, self.make = header, make

    def __call__(self, start: int, stop: int) -> Iterator[list[CellValue]]:
        if start == 0 and stop > 0:
            yield self.header
        if stop > 1:
            yield from self.make(max(start - 1, 0), stop - 1)


class _Quantities:
    """The format of each unit of measure's quantities: thousands separated, with as many decimals
    as its quantities in the cycle have (kg to the gram: 0.750, 1.375), none for a unit counted
    whole. A tab's quantity columns take the commonest unit's format; other cells carry their own."""

    def __init__(self, lines: list[CountedLine]):
        quantities: dict[str, set[Decimal | None]] = {}
        for line in lines:  # each distinct quantity of a unit measured once: most repeat
            quantities.setdefault(line.uom, set()).update((line.system_qty, line.counted_qty, line.first_count))
        self.by_uom = {uom: styles.quantity(max((_places(q) for q in values if q is not None and q.is_finite()),
                                                default=0))
                       for uom, values in quantities.items()}
        commonest = Counter(line.uom for line in lines).most_common(1)
        self.column = self.by_uom.get(commonest[0][0], QTY) if commonest else QTY

    def cell(self, value: Any, uom: str) -> Any:
        style = self.by_uom.get(uom, self.column)
        return value if style is self.column or value is None else Cell(value, style)


def _places(quantity: Decimal) -> int:
    exponent = quantity.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


VARIANCE_LEGEND = "Red: outside tolerance.  Amber: a variance within tolerance."
DISCREPANCY_LEGEND = ("Red Severity: Major.  Green: Resolved.  Amber: the variance changed since it was "
                      "documented; approve again.  Yellow: to fill in.")
MOVED_LEGEND = "Blue Moved Qty: the stock moved while the count ran."  # with a movements export
TRANSFER_LEGEND = ("Green: accepted.  Amber: the quantity changed since it was decided; decide again.  "
                   "Yellow: to fill in.")
MOVEMENT_LEGEND = "Amber: the movement changed no counted line (its location or part is not in this cycle)."


def _with_moved(legend: str, moves: bool) -> str:
    """On a line of its own: one line ran into the page number."""
    return f"{legend}\n{MOVED_LEGEND}" if moves else legend


def _moved_columns(moves: bool, qty: Style = QTY) -> list[Column]:
    """Beside the snapshot's quantity when the cycle has a movements export: the stock moved
    between the snapshot and the count, and what the shelf should then hold."""
    return [Column(MOVED_QTY, 11, qty), Column(EXPECTED_QTY, 11, qty)] if moves else []


def _variance_sheet(lines: list[CountedLine], config: Config, moves: bool = False) -> Sheet:
    money = styles.money(config.count.currency_format)
    qty = _Quantities(lines)
    columns = [
        Column("Location", 14, styles.TEXT), Column("Part Number", 16, styles.TEXT),
        Column("Revision", 8, styles.TEXT), Column("Lot", 12, styles.TEXT),
        Column("UoM", 6, styles.TEXT), Column("System Qty", 12, qty.column), *_moved_columns(moves, qty.column),
        Column("Counted Qty", 12, qty.column), Column("Variance Qty", 11, qty.column),
        Column("Variance %", 10, PCT), Column("Unit Cost", 11, money),
        Column("Variance Value", 14, money.but(align="right")),  # "unvalued" too, apart from what follows
        Column("Within Tolerance", 10, Style(align="center")),
        Column("ABC Class", 7, Style(align="center")), Column("Tolerance", 9, PCT),
        Column("Counted By", 16, styles.TEXT), Column("Recounted By", 16, styles.TEXT),
        Column("First Count", 11, qty.column), Column("Sheet", 8, styles.TEXT),
        Column(LINE_ID, 16, styles.TEXT), Column("Description", 30, styles.TEXT),
        Column("Serial", 14, styles.TEXT), *([Column(COUNTED_AT, 16, styles.TEXT)] if moves else []),
    ]
    # no column wraps, nor do the quantities' own formats: every row is one line high, none fitted
    rows = _VarianceRows([line for line in lines if line.counted], config, _letters(columns), qty, moves)
    sheet = _table_sheet(VARIANCE, columns, rows.lazy(), legend=_with_moved(VARIANCE_LEGEND, moves), heights={})
    letter = _letters(columns)
    within, variance = letter["Within Tolerance"], letter["Variance Qty"]
    body = Range(1, 0, max(len(sheet.rows) - 1, 1), len(columns) - 1)
    sheet.conditional_formats += [
        ConditionalFormat(body, f'=${within}2="No"', styles.BAD),
        ConditionalFormat(body, f'=AND(${variance}2<>0,${within}2="Yes")', styles.WARN),
    ]
    if moves:
        sheet.conditional_formats.append(_moved_mark(letter, len(sheet.rows)))
    return sheet


def _moved_mark(letter: dict[str, str], rows: int) -> ConditionalFormat:
    """The Moved Qty of a line that moved while the count ran, marked (blank: it did not move)."""
    column = _index_of(letter, MOVED_QTY)
    return ConditionalFormat(Range(1, column, max(rows - 1, 1), column), f'=${letter[MOVED_QTY]}2<>""', MOVED)


def _index_of(letter: dict[str, str], header: str) -> int:
    return list(letter).index(header)


def _letters(columns: list[Column]) -> dict[str, str]:
    """Each column's letter by its header: the formulas name columns through it."""
    return {c.header: xl_col_to_name(i) for i, c in enumerate(columns)}


def _expected(line: CountedLine, letter: dict[str, str], n: int, moves: bool) -> list[Any]:
    """The Moved Qty and Expected Qty cells of a row (none without a movements export)."""
    if not moves:
        return []
    system, moved = letter["System Qty"], letter[MOVED_QTY]
    return [line.moved_qty if line.moved else None, Formula(f"={system}{n}+N({moved}{n})", line.expected_qty)]


class _VarianceRows:
    """The Variance tab's data rows, laid out from the counted lines when the tab is written (see
    LazyRows): a row per line counted, held all at once they took as much as the rest of an ingest."""

    def __init__(self, counted: list[CountedLine], config: Config, letter: dict[str, str], qty: _Quantities,
                 moves: bool):
        self.counted, self.config, self.letter, self.qty, self.moves = counted, config, letter, qty, moves

    def lazy(self) -> LazyRows:
        return LazyRows(len(self.counted), self, tuple(self.qty.by_uom.values()))

    def __call__(self, start: int, stop: int) -> Iterator[list[Any]]:
        return _variance_rows(self.counted[start:stop], self.config, self.letter, self.qty, self.moves, start + 2)


def _variance_rows(counted_lines: list[CountedLine], config: Config, letter: dict[str, str],
                   qty: _Quantities, moves: bool = False, first: int = 2) -> Iterator[list[Any]]:
    """The rows of these counted lines, the first on spreadsheet row `first`."""
    system = letter[EXPECTED_QTY] if moves else letter["System Qty"]  # what the count is compared with
    counted, variance_at = letter["Counted Qty"], letter["Variance Qty"]
    cost, allowed_at = letter["Unit Cost"], letter["Tolerance"]
    count = config.count
    tolerances: dict[str, Decimal] = {}  # by ABC class: the same for every line of a class
    zeros: dict[str, Any] = {}  # see _alike
    for n, line in enumerate(counted_lines, start=first):
        allowed = tolerances.get(line.abc_class)
        if allowed is None:
            allowed = tolerances[line.abc_class] = tolerance(line, count)
        # the line's properties worked out once (a Variance tab has a row per line counted)
        expected = line.system_qty + line.moved_qty
        variance = cast(Decimal, line.counted_qty) - expected  # the line's variance_qty: it is counted
        # in cents, half-up: what ROUND(...,2) shows (cyclekit.domain.money)
        value = None if line.unit_cost is None else cents(variance * line.unit_cost)
        pct: Any = "" if expected == 0 else variance / expected
        if variance == 0:  # nearly every line: its zeros shared, spelled exactly as worked out
            variance, pct, value = (_alike(zeros, v) for v in (variance, pct, value))
        within = variance == 0 or judge(line, count).within_tolerance
        own = qty.column is not qty.by_uom.get(line.uom, qty.column)  # quantities in their unit's own format
        yield [  # None, not "", where a read-only cell is empty: nothing to write at all
            line.location, line.part_number, line.revision or None, line.lot or None, line.uom or None,
            qty.cell(line.system_qty, line.uom) if own else line.system_qty,
            *[qty.cell(v, line.uom) for v in _expected(line, letter, n, moves)],
            qty.cell(line.counted_qty, line.uom) if own else line.counted_qty,
            qty.cell(Formula(f"=ROUND({counted}{n}-{system}{n},6)", variance), line.uom),
            Formula(f'=IF({system}{n}=0,"",{variance_at}{n}/{system}{n})', pct),
            line.unit_cost,  # blank for a found part with no known cost: unvalued, never $0
            Formula(f'=IF({cost}{n}="","{UNVALUED}",{round_formula(f"{variance_at}{n}*{cost}{n}")})',
                    UNVALUED if value is None else value),
            Formula(f'=IF(ROUND(ABS({variance_at}{n}),6)<=ROUND({system}{n}*{allowed_at}{n},6),"Yes","No")',
                    "Yes" if within else "No"),
            line.abc_class, allowed, line.counted_by or None, line.recounted_by or None,
            qty.cell(line.first_count, line.uom) if own else line.first_count,
            line.recount_sheet or line.sheet_id, line.line_id,
            line.description or None,
            line.serial or None, *([line.counted_at.replace("T", " ") or None] if moves else []),
        ]


def _alike(seen: dict[str, Any], value: Any) -> Any:
    """One object for every Decimal of the same spelling (0, 0.0 and 0.00 apart, as written): a
    Decimal cannot change, and 50,000 lines without a variance held 150,000 zeros."""
    return seen.setdefault(str(value), value) if type(value) is Decimal else value


def _variance(line: CountedLine) -> Decimal:
    """The variance of a counted line (only a line not counted has none)."""
    return cast(Decimal, line.variance_qty)


def _wrapped_lines(row: list[Any], columns: list[Column]) -> float:
    """Lines (of 11 pt) the longest wrapped text of a row needs, measured as the renderers draw it:
    counted in characters, a long problem printed over its header where the wider fonts of
    LibreOffice (DejaVu Sans, without Carlito) took a line more."""
    lines = 1.0
    for value, column in zip(row, columns):
        if type(value) is Cell:
            text, style = value.value, value.style or column.style
        elif column.style.wrap:
            text, style = value, column.style
        else:
            continue  # most cells: a value in a column that does not wrap (a Variance tab of 100,000 rows)
        text = text.value if isinstance(text, Formula) else text  # a looked-up fix: its text as written
        if isinstance(text, str) and style.wrap:
            size = style.font_size or 11
            room = room_of(column.width - 2 * style.indent) * 11 / size
            lines = max(lines, lines_of(text, room, Measure.RENDERED) * size / 11)
    return lines


class _RowFit:
    """`_wrapped_lines` of every row of one table, the same answer for less work: each column's
    room is worked out once, and a text that fits its line even if every character were of the
    widest class (2 digits) is one line without measuring it (most of them: 100,000 rows)."""

    WIDEST = 2.0  # text_fit.char_width's widest character

    def __init__(self, columns: list[Column]):
        self.columns = columns
        self.plain = [self._fit(c.style, c.width) if c.style.wrap else None for c in columns]
        # by the style's id (hashing a Style hashes its every field), the style kept so the id stays its own
        self.styled: dict[tuple[int, float], tuple[Style, tuple[float, float] | None]] = {}

    @staticmethod
    def _fit(style: Style, width: float) -> tuple[float, float] | None:
        """The room a line of the column holds in this style's font, and the font's size."""
        if not style.wrap:
            return None
        size = style.font_size or 11
        return room_of(width - 2 * style.indent) * 11 / size, size

    def lines(self, row: list[Any]) -> float:
        lines = 1.0
        for value, column, fit in zip(row, self.columns, self.plain):
            if type(value) is Cell:
                style = value.style or column.style
                key = (id(style), column.width)
                known = self.styled.get(key)
                if known is None:
                    known = self.styled[key] = (style, self._fit(style, column.width))
                fit = known[1]
                text = value.value
            elif fit is None:
                continue  # a value in a column that does not wrap
            else:
                text = value
            if fit is None:
                continue
            text = text.value if isinstance(text, Formula) else text
            if isinstance(text, str):
                room, size = fit
                n = 1 if self._one_line(text, room) else lines_of(text, room, Measure.RENDERED)
                lines = max(lines, n * size / 11)
        return lines


    def _one_line(self, text: str, room: float) -> bool:
        """Whether the text surely fits one line: the widths of all its characters together fit it
        (a hair under the room, so that no rounding of the sums differs from text_fit's)."""
        if "\n" in text:
            return False
        return len(text) * self.WIDEST <= room or sum(map(char_width, text)) + 1e-9 <= room


def _discrepancy_height(row: list[Any], columns: list[Column], fit: _RowFit | None = None) -> float:
    """Room for the longest wrapped text of a row (the suggested causes, a typed resolution),
    and for two typed lines at least: text taller than its row prints over the next one."""
    lines = fit.lines(row) if fit is not None else _wrapped_lines(row, columns)
    return row_height(lines, LINE_POINTS, 4, at_least=2)


def _doc_value(doc: dict[str, Any], name: str, default: Any = None) -> Any:
    value = doc.get(name)
    return default if value is None or value == "" else value


def _quantity_or_none(value: Any) -> Decimal | None:
    try:
        return parse_quantity(value, allow_negative=True).quantize(ROUNDING)
    except (QuantityError, ArithmeticError):
        return None


def _signed(quantity: Decimal) -> str:
    return ("+" if quantity > 0 else "") + format_decimal(quantity)


def _typed(doc: dict[str, Any], line: CountedLine) -> bool:
    """Whether a person documented the line (a note copied from the count sheet is not that)."""
    if cell_text(doc.get("Status")) not in ("", "Open"):
        return True
    if cell_text(doc.get("Notes")) not in ("", cell_text(line.notes)):
        return True
    return any(cell_text(doc.get(n)) for n in DOC_COLUMNS if n not in ("Status", "Notes"))


def _recheck(doc: dict[str, Any], line: CountedLine) -> dict[str, Any]:
    """The documentation of a line whose variance changed since it was documented (a recount
    turned +4 into -1): every text kept, but the approval was of another amount, so it is
    cleared, Status is Open again, and Notes start by saying so (naming what was cleared)."""
    documented = _quantity_or_none(doc.get(VARIANCE_QTY))
    variance = line.variance_qty
    if documented is None or variance is None or documented == variance.quantize(ROUNDING):
        return doc
    if not _typed(doc, line):
        return doc
    cleared = []
    approver, approved_on = cell_text(doc.get("Approved By")), doc.get("Approval Date")
    if approver or cell_text(approved_on):
        try:  # a date typed in Excel, a serial number read from Google Sheets, or ISO text
            when = parse_date(approved_on).isoformat() if cell_text(approved_on) else ""
        except ValueError:
            when = cell_text(approved_on)
        cleared.append("approval (" + ", ".join(filter(None, [approver, when])) + ") cleared")
    status = cell_text(doc.get("Status"))
    if status and status != "Open":
        cleared.append(f"Status was {status}")
    note = (f"{CHANGED} {_signed(documented)} when documented, {_signed(variance)} now"
            + "".join(f"; {part}" for part in cleared) + ". Check the documentation and approve again.")
    before = _doc_value(doc, "Notes", line.notes)
    return {**doc, "Status": "Open", "Approved By": None, "Approval Date": None,
            "Notes": note if not before else f"{note}\n{before}"}


def _discrepancy_columns(config: Config, qty: Style = QTY, moves: bool = False,
                         transfers: bool = False) -> list[Column]:
    """Suggested Causes last, one line on screen, left off paper: the same few causes for every
    line of a direction wrapped each row four lines tall; the Summary's legend prints them once."""
    money = styles.money(config.count.currency_format)
    edit = styles.INPUT.but(border=False)
    edit_date = edit.but(num_format=styles.DATE_FORMAT)
    return [
        Column("Location", 14, styles.TEXT), Column("Part Number", 16, styles.TEXT),
        Column("Revision", 8, styles.TEXT), Column("Lot", 12, styles.TEXT),
        Column("System Qty", 11, qty), *_moved_columns(moves, qty), Column("Counted Qty", 11, qty),
        Column("Variance Qty", 10, qty), Column("Variance Value", 14, money.but(align="right")),
        Column("Direction", 18, styles.TEXT), Column("Severity", 8, Style(align="center")),
        Column("Approver Role", 21, Style(wrap=True)),
        Column("Root Cause", 28, edit.but(wrap=True)),
        Column(SUGGESTED_FIX, 30, Style(wrap=True, valign="top")),
        Column(HOW_TO_VERIFY, 26, Style(wrap=True, valign="top")),
        Column("Resolution", 32, edit.but(wrap=True)),
        Column("Status", 20, edit), Column("Investigated By", 18, edit.but(wrap=True)),
        Column("Investigated On", 13, edit_date), Column("Approved By", 18, edit.but(wrap=True)),
        Column("Approval Date", 13, edit_date), Column("Notes", 30, edit.but(wrap=True)),
        Column(LINE_ID, 16, styles.TEXT), Column("Description", 30, Style(wrap=True)),
        Column("UoM", 6, styles.TEXT), Column("Serial", 14, styles.TEXT),
        Column("Unit Cost", 11, money), Column("Counted By", 16, styles.TEXT),
        Column("Recounted By", 16, styles.TEXT),
        *([Column(TRANSFER, 40, Style(wrap=True))] if transfers else []),
        Column(SUGGESTED_CAUSES, 60, styles.TEXT),
    ]


def _cause_lookups(doc: dict[str, Any], row: int, letter: dict[str, str]) -> list[Formula]:
    """The suggested fix and how to verify the Root Cause of the row, looked up in the Lists tab:
    a formula, so they follow the cause a person picks (Excel, LibreOffice, Google Sheets)."""
    last = len(ROOT_CAUSES) + 1
    causes = f"{LISTS}!$A$2:$A${last}"
    found = _fix_and_verify(cell_text(doc.get("Root Cause")))
    return [Formula(f'=IFERROR(INDEX({LISTS}!${column}$2:${column}${last},'
                    f'MATCH({letter["Root Cause"]}{row},{causes},0)),"")', value or "")
            for column, value in zip(LOOKUP_COLUMNS, found, strict=True)]


def _discrepancy_row(line: CountedLine, doc: dict[str, Any], config: Config, columns: list[Column],
                     qty: _Quantities, row: int, transfer: str = "",
                     letter: dict[str, str] | None = None, style: dict[str, Style] | None = None,
                     shared: dict[tuple[Any, int], Cell] | None = None) -> list[Any]:
    """A line with a variance, with the documentation typed for it (its typed columns editable);
    row: its row as the spreadsheet numbers it; transfer: the suggested transfers it is part of
    (see the Transfers tab); letter, style: each column's letter and style by header, worked out
    once for the tab; shared: the tab's blank typed cells (see _typed_cell)."""
    j = judge(line, config.count)
    style = style if style is not None else {c.header: c.style for c in columns}
    letter = letter if letter is not None else _letters(columns)
    shared = shared if shared is not None else {}
    sign = 1 if _variance(line) > 0 else -1
    typed = [_typed_cell(_doc_value(doc, name, "Open" if name == "Status" else None), style[name], shared)
             for name in DOC_COLUMNS[:-1]]
    moved = [line.moved_qty if line.moved else None, line.expected_qty] if MOVED_QTY in style else []
    return [
        line.location, line.part_number, line.revision, line.lot, qty.cell(line.system_qty, line.uom),
        *[qty.cell(v, line.uom) for v in moved],
        qty.cell(line.counted_qty, line.uom), qty.cell(line.variance_qty, line.uom),
        Cell(UNVALUED, styles.WARN.but(align="right")) if line.unvalued else line.variance_value,
        j.direction, j.severity, _approver_roles(line, config) or j.approver_role,
        typed[0], *_cause_lookups(doc, row, letter), *typed[1:],
        _typed_cell(_doc_value(doc, "Notes", line.notes), style["Notes"], shared), line.line_id, line.description,
        line.uom, line.serial, line.unit_cost, line.counted_by, line.recounted_by,
        *([transfer or None] if TRANSFER in style else []), _causes_text(sign),
    ]


def _typed_cell(value: Any, style: Style, shared: dict[tuple[Any, int], Cell]) -> Cell:
    """A typed column's cell. Those still blank or Open (every one, on a first ingest) are one
    object per column: a cell cannot change, and 24,000 rows made 190,000 alike."""
    if value is None or (type(value) is str and value in ("", "Open")):
        key = (value, id(style))  # the style lives as long as the tab's columns
        cell = shared.get(key)
        if cell is None:
            cell = shared[key] = Cell(value, style)
        return cell
    return Cell(value, style)


@functools.lru_cache(maxsize=2)
def _causes_text(sign: int) -> str:
    """The suggested causes of a direction, as the Discrepancies tab shows them: one text each."""
    return "; ".join(suggested_causes(sign))


@functools.lru_cache(maxsize=1024)
def _fix_and_verify(cause: str) -> tuple[str, str]:
    """causes.fix_and_verify, looked up once per cause text (it walks the causes)."""
    return fix_and_verify(cause)


def _approver_roles(line: CountedLine, config: Config) -> str:
    """With [approvals]: the roles whose limits cover the line ("" without [approvals])."""
    if config.approvals is None:
        return ""
    return ", ".join(role.name for role in allowed_roles(config.approvals, line)) or "No role in [approvals]"


def _discrepancy_sheet(lines: list[CountedLine], documentation: dict[str, dict[str, Any]],
                       config: Config, causes_range: str, approvers_range: str = "", moves: bool = False,
                       transfers: dict[str, str] | None = None) -> tuple[Sheet, set[str]]:
    """transfers: Line ID -> the suggested transfers the line is part of."""
    listed = [line for line in lines if line.counted and line.variance_qty != 0]
    qty = _Quantities(listed)
    columns = _discrepancy_columns(config, qty.column, moves, transfers is not None)
    rows: list[list[Any]] = []
    used: set[str] = set()
    heights: dict[int, float] = {}
    letter, fit, style = _letters(columns), _RowFit(columns), {c.header: c.style for c in columns}
    shared: dict[tuple[Any, int], Cell] = {}
    for line in listed:
        used.add(line.line_id)
        rows.append(_discrepancy_row(line, _recheck(documentation.get(line.line_id, {}), line), config, columns,
                                     qty, len(rows) + 2, (transfers or {}).get(line.line_id, ""), letter, style,
                                     shared))
        heights[len(rows)] = _discrepancy_height(rows[-1], columns, fit)
    sheet = _table_sheet(DISCREPANCIES, columns, rows, protect=True, unprinted=1,
                         legend=_with_moved(DISCREPANCY_LEGEND, moves), heights=heights)
    _discrepancy_rules(sheet, max(len(rows), 1), causes_range, approvers_range)
    if moves:
        sheet.conditional_formats.append(_moved_mark(_letters(columns), len(sheet.rows)))
    return sheet, used


def _discrepancy_rules(sheet: Sheet, last: int, causes_range: str, approvers_range: str = "") -> None:
    """What the typed columns accept; Major, Resolved and changed rows coloured."""
    index = {c.header: i for i, c in enumerate(sheet.columns)}

    def rows_of(header: str) -> Range:
        return Range(1, index[header], last, index[header])

    sheet.validations += [
        Validation(rows_of("Root Cause"), "list", source=causes_range,
                   error_message="Pick a root cause from the list (Other if none fits)."),
        Validation(rows_of("Status"), "list", choices=STATUSES,
                   error_message="Open, Under Investigation or Resolved."),
        Validation(rows_of("Investigated On"), "date", error_message="A date, e.g. 2026-11-30."),
        Validation(rows_of("Approval Date"), "date", error_message="A date, e.g. 2026-11-30."),
    ]
    if approvers_range:  # [approvals]: only the people it names; finalize checks each one's limits
        sheet.validations.append(Validation(
            rows_of("Approved By"), "list", source=approvers_range,
            input_title="Approved By", input_message="Approver Role says whose limits cover this line.",
            error_message="Pick an approver from the list (cyclekit.toml [approvals] names them)."))
    letter = _letters(sheet.columns)
    body = Range(1, 0, last, len(sheet.columns) - 1)
    sheet.conditional_formats += [
        ConditionalFormat(rows_of("Severity"), f'=${letter["Severity"]}2="Major"', styles.BAD.but(bold=True)),
        ConditionalFormat(body, f'=${letter["Status"]}2="Resolved"', styles.GOOD),
        ConditionalFormat(body, f'=LEFT(${letter["Notes"]}2,{len(CHANGED)})="{CHANGED}"', styles.WARN),
    ]


def _movements_columns() -> list[Column]:
    # where, what, how many and when print on the first page across; lot, serial and source on the next
    return [Column("Status", 44, Style(wrap=True)), Column(LINE_ID, 16, styles.TEXT),
            Column("Location", 14, styles.TEXT), Column("Part Number", 16, styles.TEXT),
            Column("Quantity", 10, QTY), Column("UoM", 6, styles.TEXT), Column("Time", 16, styles.TEXT),
            Column("Revision", 8, styles.TEXT), Column("Lot", 12, styles.TEXT), Column("Serial", 14, styles.TEXT),
            Column("File", 30, styles.TEXT), Column("Row", 7, styles.WHOLE)]


def movements_headers() -> tuple[str, ...]:
    return tuple(c.header for c in _movements_columns())


def _movements_sheet(uses: list[MovementUse]) -> Sheet:
    """Every movement of the export and where it went: none is left out, those that changed no
    counted line first (they may be stock nobody counted)."""
    placed = (BEFORE_COUNT, SAME_DAY, AFTER_COUNT, BEFORE_SNAPSHOT)
    ordered = sorted(uses, key=lambda u: (u.status in placed, u.movement.file, u.movement.row))
    rows = [[use.status, use.line_id or None, use.movement.location, use.movement.part_number,
             use.movement.quantity, use.movement.uom or None, use.movement.at.isoformat(sep=" ", timespec="minutes"),
             use.movement.revision or None, use.movement.lot or None, use.movement.serial or None,
             use.movement.file, use.movement.row] for use in ordered]
    sheet = _table_sheet(MOVEMENTS, _movements_columns(), rows, legend=MOVEMENT_LEGEND)
    body = Range(1, 0, max(len(rows), 1), 0)
    sheet.conditional_formats.append(ConditionalFormat(body, '=$B2=""', styles.WARN))  # matched no line
    return sheet


TRANSFER_DOC = ("Decision", "Decided By", "Notes")  # what the reviewer types in the Transfers tab
QUANTITY_CHANGED = "QUANTITY CHANGED:"
NOT_A_DECISION = "NOT A DECISION:"


def _unreadable_decision(doc: dict[str, Any]) -> str:
    """What was typed (or pasted past the dropdown) in Decision that is neither Accept nor Reject:
    'yes', 'Accepted', 1. Never taken for either, never erased."""
    typed = cell_text(doc.get("Decision"))
    return typed if typed and typed.capitalize() not in DECISIONS else ""


def decision_problems(transfers: list[Transfer], decided: dict[tuple[str, str], dict[str, Any]],
                      results: Path) -> list[Problem]:
    """A Decision typed that is neither Accept nor Reject: finalize cannot tell which was meant."""
    ids = transfer_ids(transfers)
    return [Problem(ProblemKind.BAD_DECISION, str(results), (
        f"Decision of transfer {ids[t.key]} ({t.from_line} to {t.to_line}) must be {' or '.join(DECISIONS)} "
        "(blank: not decided)"), sheet=TRANSFERS, value=typed[:100])
        for t in transfers if (typed := _unreadable_decision(decided.get(t.key, {})))]


def transfer_decision(transfer: Transfer, decided: dict[tuple[str, str], dict[str, Any]]) -> str:
    """Accept, Reject or '' (not decided): a decision taken for another quantity no longer holds."""
    doc = decided.get(transfer.key, {})
    decision = cell_text(doc.get("Decision")).capitalize()
    if decision not in DECISIONS or _quantity_or_none(doc.get("Quantity")) != transfer.quantity.quantize(ROUNDING):
        return ""
    return decision


def transfer_notes(transfers: list[Transfer], decided: dict[tuple[str, str], dict[str, Any]]) -> dict[str, str]:
    """Line ID -> the transfers it is part of, for its row in Discrepancies."""
    ids, notes = transfer_ids(transfers), dict[str, str]()
    for t in transfers:
        state = {ACCEPT: "accepted", REJECT: "rejected"}.get(transfer_decision(t, decided),
                                                           "suggested: accept or reject it in Transfers")
        quantity = format_decimal(t.quantity)
        for line_id, text in ((t.from_line, f"{quantity} moved to {t.to_location}"),
                              (t.to_line, f"{quantity} moved from {t.from_location}")):
            said = f"{ids[t.key]}: {text}, {state}"
            notes[line_id] = f"{notes[line_id]}; {said}" if line_id in notes else said
    return notes


def _transfer_columns(config: Config) -> list[Column]:
    money = styles.money(config.count.currency_format)
    edit = styles.INPUT.but(border=False)
    # what moved, its value and the decision print on the first page across; the details on the next
    return [Column(TRANSFER, 8, styles.TEXT), Column("From Location", 14, styles.TEXT),
            Column("To Location", 14, styles.TEXT), Column("Part Number", 16, styles.TEXT),
            Column("Quantity", 10, QTY), Column("UoM", 6, styles.TEXT), Column("Value", 12, money),
            Column("Decision", 11, edit), Column("Decided By", 16, edit), Column("Notes", 30, edit.but(wrap=True)),
            Column("Revision", 8, styles.TEXT), Column("Lot", 12, styles.TEXT), Column("Serial", 14, styles.TEXT),
            Column("Unit Cost", 11, money), Column("From Line ID", 16, styles.TEXT),
            Column("To Line ID", 16, styles.TEXT), Column("Description", 30, styles.TEXT)]


def transfer_headers() -> tuple[str, ...]:
    return tuple(c.header for c in _transfer_columns(Config()))


def _transfer_row(t: Transfer, tid: str, doc: dict[str, Any], decision: str, style: dict[str, Any]) -> list[Any]:
    notes = _doc_value(doc, "Notes")
    documented = _quantity_or_none(doc.get("Quantity"))
    if cell_text(doc.get("Decision")) and not decision and documented is not None \
            and documented != t.quantity.quantize(ROUNDING):
        note = (f"{QUANTITY_CHANGED} {format_decimal(documented)} when decided "
                f"({cell_text(doc.get('Decision'))}), {format_decimal(t.quantity)} now; decide again.")
        notes = note if not notes else f"{note}\n{notes}"
    shown: Any = decision or None
    typed = _unreadable_decision(doc)
    if typed:  # kept as typed, and said, until a person picks Accept or Reject
        note = f"{NOT_A_DECISION} {typed[:100]!r} is neither {' nor '.join(DECISIONS)}; pick one."
        notes = notes if notes and note in notes else (note if not notes else f"{note}\n{notes}")
        shown = doc.get("Decision")
    return [tid, t.from_location, t.to_location, t.part_number, t.quantity, t.uom or None,
            Cell(UNVALUED, styles.WARN) if t.value is None else t.value,
            Cell(shown, style["Decision"]), Cell(_doc_value(doc, "Decided By"), style["Decided By"]),
            Cell(notes, style["Notes"]), t.revision or None, t.lot or None, t.serial or None, t.unit_cost,
            t.from_line, t.to_line, t.description or None]


def transfers_sheet(transfers: list[Transfer], decided: dict[tuple[str, str], dict[str, Any]],
                    config: Config) -> Sheet:
    """Moved, not missing: each suggested transfer with its value, for the reviewer to accept or
    reject; an accepted one is posted as a transfer instead of a write-off and a write-on."""
    columns = _transfer_columns(config)
    style = {c.header: c.style for c in columns}
    ids = transfer_ids(transfers)
    rows = [_transfer_row(t, ids[t.key], decided.get(t.key, {}), transfer_decision(t, decided), style)
            for t in transfers]
    sheet = _table_sheet(TRANSFERS, columns, rows, protect=True, legend=TRANSFER_LEGEND)
    index = {c.header: i for i, c in enumerate(columns)}
    last = max(len(rows), 1)
    sheet.validations.append(Validation(Range(1, index["Decision"], last, index["Decision"]), "list",
                                        choices=DECISIONS, error_message="Accept or Reject (blank: not decided)."))
    letter = _letters(columns)
    body = Range(1, 0, last, len(columns) - 1)
    sheet.conditional_formats += [
        ConditionalFormat(body, f'=${letter["Decision"]}2="{ACCEPT}"', styles.GOOD),
        ConditionalFormat(body, f'=LEFT(${letter["Notes"]}2,{len(QUANTITY_CHANGED)})="{QUANTITY_CHANGED}"',
                          styles.WARN),
    ]
    return sheet


def _cleared_columns() -> list[Column]:
    return [Column(LINE_ID, 16, styles.TEXT), Column("Location", 14, styles.TEXT),
            Column("Part Number", 16, styles.TEXT), Column("Why Here", 40, Style(wrap=True)),
            Column(DOCUMENTED_VARIANCE, 11, QTY), *[Column(name, 20, Style(wrap=True)) for name in DOC_COLUMNS]]


def _cleared_sheet(documentation: dict[str, dict[str, Any]], used: set[str]) -> Sheet | None:
    left = {k: v for k, v in documentation.items() if k not in used}
    if not left:
        return None
    columns = _cleared_columns()
    rows = []
    for line_id, doc in sorted(left.items()):
        reason = doc.get("Why Here") or "No discrepancy on the latest ingest; documentation kept"
        rows.append([line_id, doc.get("Location"), doc.get("Part Number"), reason,
                     _documented_quantity(doc.get(VARIANCE_QTY)), *[doc.get(name) for name in DOC_COLUMNS]])
    return _table_sheet(CLEARED, columns, rows)


def _documented_quantity(value: Any) -> Any:
    quantity = _quantity_or_none(value)
    return quantity if quantity is None or not _places(quantity) else Cell(quantity, styles.quantity(_places(quantity)))


def _not_counted_sheet(lines: list[CountedLine], returned: set[str]) -> Sheet:
    columns = [Column("Location", 14, styles.TEXT), Column("Part Number", 16, styles.TEXT),
               Column("Revision", 8, styles.TEXT), Column("Lot", 12, styles.TEXT),
               Column("Serial", 14, styles.TEXT), Column("UoM", 6, styles.TEXT),
               Column("Why", 40, Style(wrap=True)), Column(LINE_ID, 16, styles.TEXT),
               Column("Description", 30, styles.TEXT)]
    rows = []
    for line in lines:
        if line.counted or line.found:
            continue
        if line.problem:
            why = f"Problem: {line.problem} (see Problems)"
        elif line.location in returned:
            why = "Left blank on the returned sheet"
        else:
            why = "Sheet not returned yet"
        rows.append([line.location, line.part_number, line.revision, line.lot, line.serial, line.uom, why,
                     line.line_id, line.description])
    return _table_sheet(NOT_COUNTED, columns, rows)


def _recount_sheet(records: list[SheetRecord], lines: list[CountedLine], config: Config,
                   problems: list[Problem]) -> Sheet:
    on_sheet: dict[tuple[str, int | None], SheetRecord] = {
        (s.location, n): s for s in records if s.kind == "recount" for n in s.lines}
    places = {location for location, _ in on_sheet}  # a line elsewhere is on no recount sheet: not parsed
    recounted = [(line, record) for line in lines if line.location in places
                 and (record := on_sheet.get((line.location, sheet_line_number(line)))) is not None]
    qty = _Quantities([line for line, _ in recounted])
    columns = [
        Column("Location", 14, styles.TEXT), Column("Part Number", 16, styles.TEXT),
        Column("Revision", 8, styles.TEXT), Column("Lot", 12, styles.TEXT),
        Column("System Qty", 11, qty.column), Column("First Count", 11, qty.column),
        Column("Counted By", 16, styles.TEXT), Column("Reason", 18, styles.TEXT.but(wrap=True)),
        # the file as written, relative to the cycle folder, and its tab: a workbook holds a zone's sheets
        Column("Recount Sheet", 9, styles.TEXT), Column("File", 30, styles.TEXT.but(wrap=True)),
        Column("Tab", 14, styles.TEXT), Column("Recount Qty", 11, qty.column),
        Column("Recounted By", 16, styles.TEXT), Column(LINE_ID, 16, styles.TEXT),
    ]
    first_problems = {p.line_id: p.message for p in problems if p.line_id}
    rows = []
    for line, record in recounted:
        first = line.first_count if line.recounted_by else line.counted_qty
        reason = _recount_reason(line, config, first_problems.get(line.line_id, ""))
        rows.append([line.location, line.part_number, line.revision, line.lot, qty.cell(line.system_qty, line.uom),
                     qty.cell(first, line.uom), line.counted_by, reason, record.sheet_id, record.file, record.tab,
                     qty.cell(line.counted_qty if line.recounted_by else None, line.uom), line.recounted_by,
                     line.line_id])
    return _table_sheet(RECOUNT, columns, rows)


def _recount_reason(line: CountedLine, config: Config, problem: str) -> str:
    """Why the line was put on a recount sheet: what its first count said. problem: the one
    reported for the line, which a recount that counted it cleared from the line itself."""
    first_qty = line.first_qty
    # a first count that was read leaves any problem to the recount sheet (its entry unreadable)
    problem = "" if first_qty is not None else line.problem or problem
    first = replace(line, counted_qty=first_qty, recounted_by="", recount_sheet="", problem=problem)
    return needs_recount(first, config.count) or "Requested"


def _shown_file(file: str, folder: Path | None) -> str:
    """A file in the cycle's folder by its path from there (returned/WH-A-01.xlsx): the full path
    took most of a printed row. A Resolution is matched by the file's name, the same either way."""
    if folder is None or not file:
        return file
    try:
        return Path(file).resolve().relative_to(folder.resolve()).as_posix()
    except (ValueError, OSError):
        return file


def _problems_sheet(problems: list[Problem], resolutions: dict[ProblemKey, str], fixed: dict[str, str],
                    folder: Path | None = None) -> Sheet:
    # one landscape page across: the file's path and the problem wrap within their columns
    columns = [Column("Kind", 14, styles.TEXT.but(wrap=True)), Column("File", 26, styles.TEXT.but(wrap=True)),
               Column("Tab", 11, styles.TEXT.but(wrap=True)), Column("Cell", 6, styles.TEXT),
               Column("Value", 11, styles.TEXT.but(wrap=True)), Column("Problem", 44, Style(wrap=True)),
               Column("Resolution", 24, styles.INPUT.but(wrap=True, border=False)),
               Column("Status", 14, styles.TEXT.but(wrap=True))]
    rows, still_open = [], False
    for p in problems:
        status = problem_status(p, fixed, resolutions)
        still_open = still_open or status == OPEN
        rows.append([p.kind, _shown_file(p.file, folder), p.sheet, p.cell, p.value, p.message,
                     Cell(resolutions.get(problem_key(p)), columns[6].style),
                     Cell(status, styles.TEXT if status == OPEN else styles.GOOD.but(num_format="@"))])
    sheet = _table_sheet(PROBLEMS, columns, rows)
    sheet.freeze = (1, 0)
    if still_open:
        sheet.tab_color = "#C00000"
    return sheet


APPROVERS = "Approvers"  # the Lists column of the people [approvals] names, written afresh from the config
LISTS_HEADERS = ("Root Causes", "Statuses", APPROVERS, SUGGESTED_FIX, HOW_TO_VERIFY)
LOOKUP_COLUMNS = ("D", "E")  # the Lists columns of each cause's fix and how to verify it, beside the causes


def lists_rows(approvers: tuple[str, ...] = ()) -> list[list[Any]]:
    """What the hidden Lists tab holds: the dropdowns' choices under their headers, and each
    root cause's suggested fix and how to verify it (the Discrepancies tab looks them up)."""
    details = [CAUSE_DETAILS[cause] for cause in ROOT_CAUSES]
    columns = (ROOT_CAUSES, STATUSES, approvers, tuple(d[0] for d in details), tuple(d[1] for d in details))
    rows: list[list[Any]] = [list(LISTS_HEADERS)]
    for k in range(max(len(c) for c in columns)):
        rows.append([c[k] if k < len(c) else None for c in columns])
    return rows


def _lists_sheet(config: Config) -> tuple[Sheet, str, str]:
    """The Lists tab, the Root Cause dropdown's range and the Approved By dropdown's ("" without
    [approvals]: anyone may be typed, as the authority is not enforced)."""
    approvers = config.approvals.people() if config.approvals else ()
    sheet = Sheet(LISTS, columns=[Column("Root Causes", 50), Column("Statuses", 22), Column(APPROVERS, 30),
                                  Column(SUGGESTED_FIX, 60), Column(HOW_TO_VERIFY, 50)], hidden=True)
    rows = lists_rows(approvers)
    sheet.rows = [[Cell(h, styles.HEADER) for h in rows[0]], *rows[1:]]
    approvers_range = f"={LISTS}!{xl_range_abs(1, 2, len(approvers), 2)}" if approvers else ""
    return sheet, f"={LISTS}!{xl_range_abs(1, 0, len(ROOT_CAUSES), 0)}", approvers_range


LEGEND = (  # a fill, then what it means in each tab: a line each, within the Summary's printed width
    ("Red", styles.BAD, ("Variance: the line is outside its tolerance",
                         "Discrepancies: Severity Major, for Finance to approve",
                         "Summary: the discrepancy rate is at or over the target")),
    ("Amber", styles.WARN, ("Variance: a variance within tolerance",
                            "Discrepancies: the variance changed since it was documented; approve again",
                            "Variance Value unvalued: no unit cost is known for the part")),
    ("Green", styles.GOOD, ("Discrepancies: Resolved", "Problems: resolved, or fixed by a recount",
                            "Summary: the discrepancy rate is under the target")),
    ("Yellow", styles.INPUT, ("Cells to fill in: the documentation of a discrepancy, the resolution of a problem",)),
)
DIRECTION_MEANS = {SYSTEM_HIGHER: "counted less than the system holds",
                   SYSTEM_LOWER: "counted more than the system holds"}
CHART_LABEL_CHARS = 30  # a longer location is shortened on the chart: its label took the whole chart


WHOLE_RIGHT = styles.WHOLE.but(align="right")
SUMMARY_NOTE = styles.NOTE.but(indent=1)  # apart from the figure printed right-aligned before it
GROUP_HEADERS = ("Lines Sent", "Lines Counted", "Found Items", "Discrepancies", "Discrepancy Rate",
                 "Net Variance Value", "Absolute Variance Value")


def _largest_first(pair: tuple[CountedLine, Judgement]) -> tuple[bool, bool, Decimal, Decimal, str]:
    """Major lines first, then valued before not valued, then by value, then by quantity."""
    line, judged = pair
    return (judged.severity != MAJOR, line.variance_value is None, -abs(line.variance_value or Decimal(0)),
            -abs(_variance(line)), line.line_id)


class _Summary:
    """The Summary tab, written top to bottom: headline figures, the largest variances, the chart's
    room, the tables by location and by counter."""

    def __init__(self, manifest: Manifest, totals: Figures, config: Config):
        self.totals, self.config = totals, config
        self.money = styles.money(config.count.currency_format)
        columns = [Column("", 32), Column("", 16), Column("", 14), Column("", 14), Column("", 14),
                   Column("", 14), Column("", 16), Column("", 16)]
        self.sheet = Sheet(SUMMARY, columns=columns)
        self.rows: list[list[Any]] = []

    def add(self, name: str, value: Any, style: Style = WHOLE_RIGHT, note: str = "") -> None:
        self.rows.append([Cell(name, styles.LABEL), Cell(value, style), Cell(note or None, SUMMARY_NOTE)])

    def table(self, title: str, headers: list[str], body: list[list[Any]]) -> tuple[int, int]:
        """A titled table; returns its first and last body rows (zero-based)."""
        self.rows.append([])
        self.rows.append([Cell(title, styles.TITLE.but(font_size=12))])
        self.sheet.row_heights[len(self.rows)] = 32
        self.rows.append([Cell(h, styles.HEADER) for h in headers])
        first = len(self.rows)
        self.rows.extend(body)
        return first, len(self.rows) - 1

    def headline(self, manifest: Manifest, today: dt.date, statuses: list[str]) -> None:
        totals = self.totals
        self.rows.append([Cell(f"Cycle {manifest.cycle_id}: results", styles.TITLE)])
        self.rows.append([Cell(f"Count date {manifest.count_date}, snapshot as of {manifest.as_of}, "
                               f"ingested {today.isoformat()}", styles.NOTE)])
        self.rows.append([])
        self.add("Locations sent", totals.locations_sent)
        self.add("Locations returned", totals.locations_counted, note="counted, or confirmed empty")
        self.add("Lines sent", totals.lines_sent)
        self.add("Lines counted", totals.lines_counted)
        self.add("Lines not counted", totals.lines_not_counted, note="see the Not Counted tab")
        self.add("Items found, not in the system", totals.found_items, note="counted; system quantity 0")
        if totals.found_not_valued:
            self.add("Found items not valued", totals.found_not_valued, note="no unit cost known for the part")
        self._problem_counts(statuses)
        self.add("Items with a discrepancy", totals.discrepancies)
        self._rates()
        self.add("Net variance value", totals.net_value, self.money)
        self.add("Absolute variance value", totals.absolute_value, self.money)

    def _problem_counts(self, statuses: list[str]) -> None:
        fixed = sum(1 for status in statuses if status.startswith("Fixed by recount"))
        resolved = sum(1 for status in statuses if status == "Resolved")
        self.add("Problems open", len(statuses) - fixed - resolved,
                 note="see the Problems tab: correct the sheet and ingest again, or write a Resolution")
        if fixed:
            self.add("Problems fixed by a recount", fixed, note="the line was counted on a recount sheet")
        if resolved:
            self.add("Problems resolved", resolved, note="a Resolution is written in the Problems tab")

    def _rates(self) -> None:
        totals = self.totals
        rate = totals.discrepancy_rate
        rate_row = len(self.rows)
        self.add("Discrepancy rate", rate if rate is not None else "", PCT.but(bold=True, align="right"),
                 note="items with a discrepancy / items counted (lines counted + found); "
                      f"target under {RATE_TARGET_TEXT}")
        self.add("Record accuracy", totals.accuracy if totals.accuracy is not None else "", PCT.but(align="right"),
                 note="items within tolerance (A 0 %, B 2 %, C 5 % by default) / items counted")
        ref = xl_rowcol_to_cell(rate_row, 1, row_abs=True, col_abs=True)
        cell = Range(rate_row, 1, rate_row, 1)
        self.sheet.conditional_formats += [
            ConditionalFormat(cell, f"=AND(ISNUMBER({ref}),{ref}>={DISCREPANCY_RATE_TARGET})", styles.BAD),
            ConditionalFormat(cell, f"=AND(ISNUMBER({ref}),{ref}<{DISCREPANCY_RATE_TARGET})", styles.GOOD),
        ]

    def largest(self, lines: list[CountedLine]) -> None:
        """Major lines first (they need Finance's approval), then by value: a found item with no known
        unit cost has no value to sort by, so it comes after the valued lines of its severity, its
        value left blank (never text in a currency column) and named in a note below."""
        judged = [(ln, judge(ln, self.config.count)) for ln in lines if ln.counted and ln.variance_qty != 0]
        largest = sorted(judged, key=_largest_first)[:10]
        money = self.money
        qty = _Quantities([ln for ln, _ in largest])
        moved = any(ln.moved for ln in lines)  # the variance is then against what the shelf held when counted

        def quantity(value: Decimal | None, uom: str) -> Cell:
            return Cell(value, qty.by_uom.get(uom, QTY))

        self.table("Largest variances: Major first, then by value", [
            "Location", "Part Number", EXPECTED_QTY if moved else "System Qty", "Counted Qty", "Variance Qty",
            "Variance Value", "Severity", "Line ID"],
            [[ln.location, ln.part_number, quantity(ln.expected_qty, ln.uom), quantity(ln.counted_qty, ln.uom),
              quantity(ln.variance_qty, ln.uom), Cell(ln.variance_value, money),
              Cell(j.severity, styles.TEXT.but(indent=1)), ln.line_id]
             for ln, j in largest] or [["No discrepancies"]])
        not_valued = [ln.line_id for ln, _ in largest if ln.variance_value is None]
        if not_valued:
            named = some_of(not_valued, 3)
            self.rows.append([Cell(f"Variance Value blank: not valued, no unit cost is known for the part "
                                   f"({named})", styles.NOTE)])

    def group_table(self, title: str, first: str, groups: list[GroupFigures],
                    others: list[GroupFigures] | None = None, notes: tuple[str, ...] = ()) -> None:
        """The groups, then rows that are no group (their rate left blank), then a Total row of
        formulas: the headline figures above, to the unit."""
        every = [*groups, *(others or [])]
        # a counter's row, or one that stands for counters (NO_COUNTER): the others show no rate,
        # and no count where they have none to add
        like_counter = [True] * len(groups) + [g.name == NO_COUNTER for g in others or []]

        def count(value: int, shown: bool) -> Cell:
            return Cell(value if value or shown else None, styles.WHOLE)

        body = [[g.name, count(g.lines_sent, group), count(g.listed_counted, group),
                 count(g.found_items, group), count(g.discrepancies, group),
                 Cell(g.rate if g.rate is not None and group else "", PCT),
                 Cell(g.net_value, self.money), Cell(g.absolute_value, self.money)]
                for g, group in zip(every, like_counter, strict=True)]
        top, bottom = self.table(title, [first, *GROUP_HEADERS], body or [["None"]])
        if body:
            self.rows.append(self._total_row(every, top, bottom))
            self.rows.extend([Cell(note, styles.NOTE)] for note in notes)

    def _total_row(self, every: list[GroupFigures], top: int, bottom: int) -> list[Any]:
        """Sums of the group table's columns, each with its value; the rate of the sums."""
        letter = {h: xl_col_to_name(i) for i, h in enumerate(GROUP_HEADERS, start=1)}
        n = bottom + 2  # the Total row, as the spreadsheet numbers it
        bold = styles.WHOLE.but(bold=True)

        def total(header: str, value: Any, style: Style) -> Cell:
            column = letter[header]
            return Cell(Formula(f"=SUM({column}{top + 1}:{column}{bottom + 1})", value), style)

        counted = sum(g.lines_counted for g in every)
        discrepancies = sum(g.discrepancies for g in every)
        listed, found, bad = (f"{letter[h]}{n}" for h in ("Lines Counted", "Found Items", "Discrepancies"))
        return [Cell("Total", styles.LABEL),
                total("Lines Sent", sum(g.lines_sent for g in every), bold),
                total("Lines Counted", sum(g.listed_counted for g in every), bold),
                total("Found Items", sum(g.found_items for g in every), bold),
                total("Discrepancies", discrepancies, bold),
                Cell(Formula(f'=IF({listed}+{found}=0,"",{bad}/({listed}+{found}))',
                             Decimal(discrepancies) / counted if counted else ""), PCT.but(bold=True)),
                total("Net Variance Value", sum(g.net_value for g in every), self.money.but(bold=True)),
                total("Absolute Variance Value", sum(g.absolute_value for g in every), self.money.but(bold=True))]

    def groups_and_chart(self) -> None:
        """The chart shows the locations that matter most, under the largest variances: on screen
        it comes before the long tables, on paper it keeps the page one table wide."""
        totals = self.totals
        charted = sorted((g for g in totals.by_location if g.net_value != 0),
                         key=lambda g: (-abs(g.net_value), g.name))[:CHART_LOCATIONS]
        height = max(300, 26 * len(charted) + 110)
        chart_row = len(self.rows) + 1
        if charted:
            self.rows.extend([] for _ in range(height // 20 + 2))  # rows of 15 pt (20 px) the chart covers
        self.group_table("By location", "Location", totals.by_location)
        self.group_table("By counter: their first count, before any recount", "Counter", totals.by_counter,
                         totals.counter_others, notes=(
                             "Each counter is charged every line of their sheet, counted or not, "
                             "and judged on their first count.",
                             f"{FOUND_ROW} (not a counter's miscount) and what recounts changed have rows of "
                             "their own: the totals are the figures at the top."))
        if charted:
            self._chart(charted, chart_row, height)

    def legend(self) -> None:
        """What the fills of every tab mean, and the suggested causes of each direction, printed once
        (the Discrepancies tab shows them on screen, in its last column)."""
        self.rows.append([])
        self.rows.append([Cell("Legend: what the colours mean", styles.TITLE.but(font_size=12))])
        for sample, style, meanings in LEGEND:
            self.rows.extend([Cell(sample, style) if n == 0 else None, Cell(meaning, styles.NOTE)]
                             for n, meaning in enumerate(meanings))
        for name, sign in ((SYSTEM_HIGHER, -1), (SYSTEM_LOWER, 1)):
            self.rows.append([])
            self.rows.append([Cell(f"Suggested causes, {name} ({DIRECTION_MEANS[name]})", styles.LABEL)])
            self.rows.extend([None, Cell(cause, styles.NOTE)] for cause in suggested_causes(sign))

    def _chart(self, charted: list[GroupFigures], chart_row: int, height: int) -> None:
        title = ("Net variance value by location" if len(charted) < CHART_LOCATIONS
                 else f"Net variance value: the {CHART_LOCATIONS} locations with the largest")
        first, last = self.table(f"{title} (chart data)", ["Location", "Net Variance Value"],
                                 [[styles.shortened(g.name, CHART_LABEL_CHARS), Cell(g.net_value, self.money)]
                                  for g in charted])
        self.sheet.charts.append(Chart(
            "bar", title,
            (Series("Net variance value", Range(first, 0, last, 0), Range(first, 1, last, 1), "#2E75B6"),),
            anchor_row=chart_row, anchor_col=0, y_format=self.config.count.currency_format, label_low=True,
            reverse_categories=True, width=760, height=height))


def _summary_sheet(manifest: Manifest, totals: Figures, lines: list[CountedLine], config: Config,
                   today: dt.date, statuses: list[str]) -> Sheet:
    """statuses: problem_status of each problem."""
    summary = _Summary(manifest, totals, config)
    summary.headline(manifest, today, statuses)
    summary.largest(lines)
    summary.groups_and_chart()
    summary.legend()
    sheet, rows = summary.sheet, summary.rows
    sheet.rows = rows
    # the print area holds the Summary's columns: LibreOffice shrinks the page to fit a long Line ID
    # or location running past them
    sheet.print_setup = PrintSetup(landscape=True, fit_width=1, gridlines=False,
                                   header=f"&L&\"Calibri,Bold\"Cycle {manifest.cycle_id}&R&D",
                                   footer="&CPage &P of &N",
                                   area=Range(0, 0, len(rows) - 1, len(sheet.columns) - 1))
    return sheet


def results_workbook(manifest: Manifest, lines: list[CountedLine], totals: Figures,
                     problems: list[Problem], documentation: dict[str, dict[str, Any]],
                     config: Config, today: dt.date,
                     resolutions: dict[ProblemKey, str] | None = None,
                     returned: set[str] | None = None,
                     previous: PreviousResults | None = None, folder: Path | None = None,
                     movements: list[MovementUse] | None = None) -> WorkbookSpec:
    """The lines come charged to their sheet's counter (see ingest.charged_to_counters).
    previous: what a person added to the last results (carry.read_previous), carried over;
    folder: the cycle's, whose files the Problems tab names by their path from there;
    movements: where each movement of the movements export went (None: no export given)."""
    resolutions = resolutions or {}
    fixed = fixed_by_recount(lines)
    statuses = [problem_status(p, fixed, resolutions) for p in problems]
    lists, causes_range, approvers_range = _lists_sheet(config)
    moves = movements is not None
    pairs = suggest_transfers(lines)
    decided = previous.transfers if previous is not None else {}
    discrepancies, used = _discrepancy_sheet(lines, documentation, config, causes_range, approvers_range, moves,
                                             transfer_notes(pairs, decided) if pairs else None)
    sheets = [_summary_sheet(manifest, totals, lines, config, today, statuses), _variance_sheet(lines, config, moves),
              discrepancies, _recount_sheet(manifest.sheets, lines, config, problems),
              _not_counted_sheet(lines, returned if returned is not None else set()),
              _problems_sheet(problems, resolutions, fixed, folder)]
    if pairs:
        sheets.append(transfers_sheet(pairs, decided, config))
    if movements is not None:
        sheets.append(_movements_sheet(movements))
    cleared = _cleared_sheet(documentation, used)
    if cleared:
        sheets.append(cleared)
    if previous is not None:
        sheets += _carried(previous, sheets, [problem_key(p) for p in problems])
    sheets.append(lists)
    return WorkbookSpec(sheets, title=f"Cycle count results {manifest.cycle_id}")


def _row_keys(sheet: Sheet, problem_keys: list[ProblemKey]) -> list[Any]:
    """The key of each data row of a table tab: its Line ID (Problems: the problem's key)."""
    if sheet.name == PROBLEMS:
        return problem_keys
    index = next(i for i, c in enumerate(sheet.columns) if c.header == LINE_ID)
    return [row[index] if index < len(row) else None for row in sheet.rows[1:]]


def _add_column(sheet: Sheet, header: str, values: list[Any]) -> None:
    sheet.columns.append(Column(header, 18, Style(locked=False)))
    rows = held(sheet)
    rows[0].append(Cell(header, styles.HEADER))
    width = len(sheet.columns)
    for row, value in zip(rows[1:], values, strict=True):
        row.extend([None] * (width - 1 - len(row)))
        row.append(carried_cell(value))
    if sheet.autofilter is not None:
        sheet.autofilter = replace(sheet.autofilter, last_col=width - 1)
    setup = sheet.print_setup
    if setup is not None and setup.area is not None:  # a column a person added prints too
        sheet.print_setup = replace(setup, area=replace(setup.area, last_col=width - 1))


def _carried(previous: PreviousResults, sheets: list[Sheet], problem_keys: list[ProblemKey]) -> list[Sheet]:
    """The columns a person added to the tables (each row's value by its Line ID), and the tabs
    to add: the tabs a person added, and what was typed outside the tables (KEPT)."""
    by_name = {sheet.name: sheet for sheet in sheets}
    kept = list(previous.kept)
    if previous.unplaced:  # no record of the last Summary's layout: its texts written again are ours
        ours = {cell_text(v.value if isinstance(v, Cell) else v) for row in by_name[SUMMARY].rows for v in row}
        kept += [cell for cell in previous.unplaced if cell_text(cell.value) not in ours]
    for column in previous.added_columns:
        left = dict(column.values)
        homes = [by_name.get(column.tab)]
        if column.tab == DISCREPANCIES:
            homes.append(by_name.get(CLEARED))  # a line documented, then cleared, keeps its column
        for n, home in enumerate(homes):
            if home is None:
                continue
            keys = _row_keys(home, problem_keys)
            if n and not any(key in left for key in keys):
                continue  # its own tab always gets the column back, to fill in for new rows
            _add_column(home, column.header, [left.pop(key, None) for key in keys])
        kept += [KeptCell(column.tab, column.cells[key], value,
                          f"{column.header} of {key if not isinstance(key, tuple) else ' '.join(key)}: "
                          f"no longer in the {column.tab} tab")
                 for key, value in left.items()]
    added = [added_tab_sheet(name, rows) for name, rows in previous.added_tabs]
    return added + ([_kept_sheet(kept)] if kept else [])


def _kept_sheet(kept: list[KeptCell]) -> Sheet:
    columns = [Column("Tab", 16, styles.TEXT), Column("Cell", 8, styles.TEXT),
               Column("Value", 40, Style(wrap=True, locked=False)), Column("Why", 50, Style(wrap=True))]
    seen, rows = set(), []
    for cell in kept:
        key = (cell.tab, cell.cell, cell_text(cell.value), cell.why)
        if key in seen:
            continue
        seen.add(key)
        rows.append([cell.tab, cell.cell, _wrapped(carried_cell(cell.value)), cell.why])
    sheet = _table_sheet(KEPT, columns, rows)
    sheet.freeze = (1, 0)
    return sheet


def _wrapped(cell: Cell | None) -> Cell | None:
    """A kept text wraps in its column (the carried style alone cut a long note at the column's edge)."""
    return Cell(cell.value, (cell.style or Style()).but(wrap=True)) if cell is not None else None


def _reader(source: Any) -> Any:
    return source if hasattr(source, "rows") else WorkbookReader(source)


def read_resolutions(source: Any) -> dict[ProblemKey, str]:
    """What people wrote in the Problems tab's Resolution column (a problem accepted as is)."""
    return read_previous(_reader(source)).resolutions


def read_documentation(source: Any) -> dict[str, dict[str, Any]]:
    """What people typed in Discrepancies (and kept in Cleared), by Line ID (xlsx path or reader);
    headers and tab names matched without regard to case and spacing, dates read as typed."""
    return read_previous(_reader(source)).documentation


OPTIONAL_HEADERS = (MOVED_QTY, EXPECTED_QTY, COUNTED_AT, TRANSFER)  # written with movements or transfers


def table_headers() -> dict[str, tuple[str, ...]]:
    """The headers of each table tab, as written (carry.py tells added columns from them)."""
    config = Config()
    sheets = [_variance_sheet([], config), _discrepancy_sheet([], {}, config, "")[0],
              _recount_sheet([], [], config, []), _not_counted_sheet([], set()),
              _problems_sheet([], {}, {})]
    headers = {sheet.name: tuple(c.header for c in sheet.columns) for sheet in sheets}
    headers[CLEARED] = tuple(c.header for c in _cleared_columns())
    return headers
