"""What people typed in the previous results workbook, read back so the next one keeps it.

Finance works in the results workbook between ingests: documentation in Discrepancies,
Resolutions in Problems, and anything else they need: a column of their own on a table
("GL Account"), a tab of their own ("Finance notes"), a note typed beside the Summary.
An ingest writes a new workbook; this module reads the old one (values only, never re-saved)
so nothing of that is lost:

- tabs and headers are matched without regard to case and spacing ("Root cause", "discrepancies");
  a table tab that was renamed is recognised by its headers;
- documentation and Resolutions go back where they were (results.py);
- a column added to a table is carried, matched by Line ID (Problems: by the problem);
- a tab added is carried whole, values as they were (formulas as their last values);
- text typed on a generated tab outside its table (beside the Summary, below a table, in a
  column with no header) is carried to the "Kept from previous results" tab, naming the tab and
  cell it came from, and stays there on every later ingest;
- when the documentation cannot be found (no Discrepancies tab, no Line ID column in a tab that
  holds documentation) the ingest refuses, writing nothing, and says what is missing.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell

from cyclekit.atomic import keep_a_copy
from cyclekit.domain.authority import DOC_ROW, DOC_TAB
from cyclekit.domain.review import ProblemKey, problem_key_of
from cyclekit.domain.typed_dates import DATE_ORDERS, read_typed_date
from cyclekit.domain.values import cell_text, exact_text
from cyclekit.errors import ConfigError, InputError, Problem

KEPT = "Kept from previous results"
DATE_COLUMNS = ("Investigated On", "Approval Date")
SUMMARY_WIDTH = 8  # the Summary's columns, when the last ingest left no record of its layout


def header_key(value: Any) -> str:
    """A header or tab name as compared: case and spacing do not matter."""
    if type(value) is str:
        return _text_key(value)
    return "".join(cell_text(value).split()).casefold()


@functools.lru_cache(maxsize=4096)
def _text_key(value: str) -> str:
    # the same few header names are looked up for every row of a carried-over tab
    return "".join(cell_text(value).split()).casefold()


@dataclass
class AddedColumn:
    tab: str  # the generated tab it was added to (its name as cyclekit writes it)
    header: str
    values: dict[Any, Any] = field(default_factory=dict)  # by row key: Line ID, or a problem's key
    cells: dict[Any, str] = field(default_factory=dict)  # row key -> the cell it was in


@dataclass
class KeptCell:
    tab: str
    cell: str
    value: Any
    why: str


@dataclass
class PreviousResults:
    """What the previous results workbook holds that a person typed."""

    file: str = ""
    documentation: dict[str, dict[str, Any]] = field(default_factory=dict)
    resolutions: dict[ProblemKey, str] = field(default_factory=dict)
    added_columns: list[AddedColumn] = field(default_factory=list)
    added_tabs: list[tuple[str, list[list[Any]]]] = field(default_factory=list)
    kept: list[KeptCell] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # documentation that cannot be read (dates)
    renamed: dict[str, str] = field(default_factory=dict)  # cyclekit's tab name -> the name found
    unplaced: list[KeptCell] = field(default_factory=list)  # Summary text, kept unless written again
    # the reviewer's decision on each suggested transfer, by (From Line ID, To Line ID): Decision,
    # Decided By, Notes, and the Quantity it was taken for
    transfers: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def notices(self) -> list[str]:
        """What an ingest tells the user it carried (nothing silent)."""
        said = [f"Read the previous results' tab {found!r} as {name}" for name, found in self.renamed.items()]
        if self.added_columns:
            names = ", ".join(f"{c.tab}: {c.header!r}" for c in self.added_columns)
            said.append(f"Kept the column(s) added to the results ({names})")
        if self.added_tabs:
            said.append("Kept the tab(s) added to the results: " + ", ".join(repr(n) for n, _ in self.added_tabs))
        if self.kept:
            said.append(f"Kept {len(self.kept)} cell(s) typed outside the tables in the tab {KEPT!r}")
        return said


@functools.cache
def _tables() -> dict[str, tuple[str, ...]]:
    from cyclekit.layouts.results import table_headers

    return table_headers()


def _generated_names() -> tuple[str, ...]:
    from cyclekit.layouts.results import LISTS, MOVEMENTS, SUMMARY, TRANSFERS

    return (SUMMARY, LISTS, KEPT, MOVEMENTS, TRANSFERS, *_tables())


def _headers(rows: list[list[Any]]) -> dict[str, int]:
    """Header key -> column, from a tab's first row (the first of two alike wins)."""
    found: dict[str, int] = {}
    for index, value in enumerate(rows[0] if rows else []):
        key = header_key(value)
        if key:
            found.setdefault(key, index)
    return found


def match_tabs(reader: Any) -> tuple[dict[str, str], list[str]]:
    """cyclekit's tab name -> the tab holding it in the workbook, and the tabs a person added.

    A tab matches by name (case and spacing aside), else a table tab by its headers: a tab
    renamed in Excel still holds its columns."""
    names = _generated_names()
    by_key = {header_key(n): n for n in names}
    matched: dict[str, str] = {}
    others = []
    for tab in reader.tabs:
        name = by_key.get(header_key(tab))
        if name is not None and name not in matched:
            matched[name] = tab
        else:
            others.append(tab)
    from cyclekit.layouts.results import LINE_ID, PROBLEMS

    for name, headers in _tables().items():
        if name in matched:
            continue
        wanted = {header_key(h) for h in headers}
        key = header_key("Kind" if name == PROBLEMS else LINE_ID)  # what ties its rows to the counts
        candidates = []
        for tab in others:
            keys = set(_headers(reader.rows(tab)[:1]))
            if key in keys and len(wanted & keys) >= 0.75 * len(wanted):
                candidates.append(tab)
        if len(candidates) == 1:
            matched[name] = candidates[0]
            others.remove(candidates[0])
    return matched, others


def _value(row: list[Any], column: int | None) -> Any:
    if column is None or column >= len(row):
        return None
    value = row[column]
    return None if value == "" else value


def _documented(row: list[Any], columns: dict[str, int]) -> bool:
    """Whether a row of Discrepancies or Cleared holds documentation a person typed."""
    return _typed_in(row, _doc_columns(columns))


def _doc_columns(columns: dict[str, int]) -> list[tuple[str, int]]:
    """The documentation's headers and their columns in a tab (those it has), in DOC_COLUMNS' order."""
    from cyclekit.layouts.results import DOC_COLUMNS

    return [(name, column) for name in DOC_COLUMNS if (column := columns.get(header_key(name))) is not None]


def _typed_in(row: list[Any], doc_columns: list[tuple[str, int]]) -> bool:
    width = len(row)
    for name, column in doc_columns:
        value = row[column] if column < width else None
        if value is None or value == "":
            continue
        text = cell_text(value)
        if text and not (name == "Status" and text == "Open"):
            return True
    return False


def read_previous(reader: Any, *, layout: list[int] | None = None, date_order: str = "",
                  strict: bool = False) -> PreviousResults:
    """Everything a person typed in a results workbook (an open reader: xlsx or Google).

    layout: the cells the last ingest wrote on the Summary (summary_layout), so that text typed
    there is told apart; strict: refuse (InputError) when documentation cannot be found."""
    from cyclekit.layouts.results import (
        DISCREPANCIES,
        LISTS,
        MOVEMENTS,
        SUMMARY,
        TRANSFERS,
        lists_rows,
        movements_headers,
    )

    if date_order not in DATE_ORDERS:
        raise ConfigError(f"count.date_order must be MDY, DMY or empty, not {date_order!r}")
    previous = PreviousResults(file=str(reader.path))
    matched, others = match_tabs(reader)
    previous.renamed = {name: tab for name, tab in matched.items() if header_key(name) != header_key(tab)}
    if strict and DISCREPANCIES not in matched:
        raise InputError([Problem("missing-tab", previous.file, (
            f"has no {DISCREPANCIES} tab (renamed or deleted?), where the documentation of the discrepancies "
            f"is: name the tab {DISCREPANCIES} again, or move the file aside to start the documentation "
            "afresh"))], summary="the previous results cannot be carried over; nothing was written")
    tables = _tables()
    for name, tab in matched.items():
        rows = reader.rows(tab)
        if name in tables:
            _read_table(previous, name, tab, rows, tables[name], date_order, strict)
        elif name == SUMMARY:
            _read_outside(previous, tab, rows, layout)
        elif name == KEPT:
            _read_kept(previous, rows)
        elif name == LISTS:
            _read_changed(previous, tab, rows, lists_rows(_approvers(rows)))
        elif name == MOVEMENTS:  # written whole from the movements export: only what is beside it is typed
            _read_beside(previous, tab, rows, len(movements_headers()))
        elif name == TRANSFERS:
            _read_transfers(previous, tab, rows)
    previous.added_tabs = [(tab, reader.rows(tab)) for tab in others]
    return previous


def read_decisions(reader: Any) -> PreviousResults:
    """What finalize acts on in a results workbook (an open reader: xlsx or Google): the
    documentation, the Resolutions and the transfer decisions, read as read_previous reads them.
    The tabs that hold none of them are not read, nor what was added to the tables: an ingest
    carries that over, finalize posts nothing of it."""
    from cyclekit.layouts.results import CLEARED, DISCREPANCIES, PROBLEMS, TRANSFERS

    previous = PreviousResults(file=str(reader.path))
    matched, _ = match_tabs(reader)
    previous.renamed = {name: tab for name, tab in matched.items() if header_key(name) != header_key(tab)}
    for name, tab in matched.items():
        if name in (DISCREPANCIES, CLEARED, PROBLEMS):
            rows = reader.rows(tab)
            _read_decided(previous, name, tab, rows, _headers(rows), "")
        elif name == TRANSFERS:
            _read_transfers(previous, tab, reader.rows(tab), keep=False)
    return previous


def _read_decided(previous: PreviousResults, name: str, tab: str, rows: list[list[Any]], columns: dict[str, int],
                  date_order: str) -> None:
    """A table's documentation (Discrepancies, Cleared: by Line ID) or Resolutions (Problems)."""
    from cyclekit.layouts.results import CLEARED, DISCREPANCIES, LINE_ID, PROBLEMS

    if name in (DISCREPANCIES, CLEARED) and columns.get(header_key(LINE_ID)) is not None:
        _read_documentation(previous, name, tab, rows, columns, date_order)
    if name == PROBLEMS:
        _read_resolutions(previous, rows, columns)


def _read_table(previous: PreviousResults, name: str, tab: str, rows: list[list[Any]],
                headers: tuple[str, ...], date_order: str, strict: bool) -> None:
    from cyclekit.layouts.results import CLEARED, DISCREPANCIES, LINE_ID, OPTIONAL_HEADERS, PROBLEMS

    columns = _headers(rows)
    known = {header_key(h) for h in (*headers, *OPTIONAL_HEADERS)}  # ours, not a column a person added
    key_column = columns.get(header_key(LINE_ID))
    holds_docs = name in (DISCREPANCIES, CLEARED)
    if key_column is None and name != PROBLEMS:
        documented = holds_docs and any(_documented(row, columns) for row in rows[1:])
        if documented and strict:
            raise InputError([Problem("missing-column", previous.file, (
                f"the {tab} tab has no {LINE_ID} column, which ties its documentation to the lines: "
                f"put the {LINE_ID} column back (its header in the first row), or move the file aside"),
                sheet=tab)], summary="the previous results cannot be carried over; nothing was written")
    added = [(index, cell_text(rows[0][index])) for index in range(len(rows[0]) if rows else 0)
             if header_key(rows[0][index]) and header_key(rows[0][index]) not in known
             and columns.get(header_key(rows[0][index])) == index]
    added_columns = [AddedColumn(name, header) for _, header in added]
    added_at = {index: column for (index, _), column in zip(added, added_columns)}
    _read_decided(previous, name, tab, rows, columns, date_order)
    keyed = key_column is not None or name == PROBLEMS  # else its own cells cannot be told from typed ones
    headed = [bool(header_key(header)) for header in rows[0]] if rows else []
    # in a row with a key, only these columns (and those past the header row) can hold typed cells
    watched = [index for index, has in enumerate(headed) if index in added_at or not has]
    for r, row in enumerate(rows[1:], start=1):
        key = _row_key(name, row, columns, key_column)
        indexes = range(len(row)) if keyed and not key else itertools.chain(watched, range(len(headed), len(row)))
        for index in indexes:
            value = row[index] if index < len(row) else None
            if value == "" or value is None:
                continue
            if index in added_at and key:
                column = added_at[index]
                column.values[key] = value
                column.cells[key] = xl_rowcol_to_cell(r, index)
            elif index in added_at or not key and keyed or index >= len(headed) or not headed[index]:
                why = ("typed in a row with no Line ID" if not key else "typed in a column with no header")
                previous.kept.append(KeptCell(tab, xl_rowcol_to_cell(r, index), value, why))
    previous.added_columns += [c for c in added_columns if c.values]


def _row_key(name: str, row: list[Any], columns: dict[str, int], key_column: int | None) -> Any:
    from cyclekit.layouts.results import PROBLEMS

    if name == PROBLEMS:
        kind = cell_text(_value(row, columns.get("kind")))
        return problem_key_of(kind, cell_text(_value(row, columns.get("file"))),
                              cell_text(_value(row, columns.get("tab"))),
                              cell_text(_value(row, columns.get("cell")))) if kind else None
    key = _value(row, key_column)
    return exact_text(key) if cell_text(key) else None  # a location's end spaces are part of a Line ID


def _read_documentation(previous: PreviousResults, name: str, tab: str, rows: list[list[Any]],
                        columns: dict[str, int], date_order: str) -> None:
    from cyclekit.layouts.results import (
        CLEARED,
        DISCREPANCIES,
        DOC_COLUMNS,
        DOCUMENTED_VARIANCE,
        LINE_ID,
        VARIANCE_QTY,
    )

    at: dict[str, int | None] = {}  # header -> its column, looked up once per tab, not per row

    def get(row: list[Any], header: str) -> Any:
        if header not in at:
            at[header] = columns.get(header_key(header))
        column = at[header]
        if column is None or column >= len(row):
            return None
        value = row[column]
        return None if value == "" else value

    doc_columns = _doc_columns(columns)
    for r, row in enumerate(rows[1:], start=1):
        if not _typed_in(row, doc_columns):  # most rows: nothing typed
            continue
        line_id = exact_text(get(row, LINE_ID))  # a location's end spaces are part of its Line ID
        if not line_id.strip():
            continue
        doc: dict[str, Any] = {header: get(row, header) for header in DOC_COLUMNS}
        for header in DATE_COLUMNS:
            typed = doc[header]
            if typed is None or cell_text(typed) == "":
                continue
            try:
                doc[header] = read_typed_date(typed, date_order)
            except ValueError as exc:
                previous.problems.append(Problem("bad-date", previous.file, (
                    f"{header} of {line_id} {exc}; it was kept as typed"), sheet=tab,
                    cell=xl_rowcol_to_cell(r, columns[header_key(header)]), value=cell_text(typed), line_id=None))
        # the variance the row showed as it was documented: an approval is of that amount
        doc[VARIANCE_QTY] = get(row, VARIANCE_QTY if name == DISCREPANCIES else DOCUMENTED_VARIANCE)
        doc[DOC_TAB], doc[DOC_ROW] = tab, r + 1  # where finalize points when it refuses the line
        doc["Location"] = cell_text(get(row, "Location"))
        doc["Part Number"] = cell_text(get(row, "Part Number"))
        if name == CLEARED:
            doc["Why Here"] = cell_text(get(row, "Why Here"))
        # Discrepancies is read after Cleared: a line documented in both is documented as it is now
        if name == DISCREPANCIES or line_id not in previous.documentation:
            previous.documentation[line_id] = doc


def _read_resolutions(previous: PreviousResults, rows: list[list[Any]], columns: dict[str, int]) -> None:
    for row in rows[1:]:
        text = cell_text(_value(row, columns.get("resolution")))
        if text:
            key = problem_key_of(*(cell_text(_value(row, columns.get(h))) for h in ("kind", "file", "tab", "cell")))
            previous.resolutions[key] = text


def _read_outside(previous: PreviousResults, tab: str, rows: list[list[Any]], layout: list[int] | None) -> None:
    """Cells of a generated tab that cyclekit did not write (layout: a bitmask of written columns
    per row). Without a layout (results written before cyclekit recorded it), text right of the
    tab's own columns is kept, and text within them is kept unless the new Summary writes it too
    (unplaced, settled by results.py)."""
    for r, row in enumerate(rows):
        written = layout[r] if layout is not None and r < len(layout) else 0
        for c, value in enumerate(row):
            if value == "" or value is None:
                continue
            kept = KeptCell(tab, xl_rowcol_to_cell(r, c), value, f"typed on the {tab} tab")
            if layout is not None and not (written >> c) & 1 or layout is None and c >= SUMMARY_WIDTH:
                previous.kept.append(kept)
            elif layout is None and isinstance(value, str):
                previous.unplaced.append(kept)


def _read_changed(previous: PreviousResults, tab: str, rows: list[list[Any]], written: list[list[Any]]) -> None:
    """Cells of a tab cyclekit fills whole (the hidden Lists) that hold anything but what it wrote
    there: a cause added to the list, a note; kept, since the new tab is written afresh."""
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value == "" or value is None:
                continue
            ours = written[r][c] if r < len(written) and c < len(written[r]) else None
            if cell_text(value) != cell_text(ours):
                previous.kept.append(KeptCell(tab, xl_rowcol_to_cell(r, c), value, f"typed on the {tab} tab"))


def _approvers(rows: list[list[Any]]) -> tuple[str, ...]:
    """The Approvers column of a Lists tab: the config's people, written afresh, never kept."""
    from cyclekit.layouts.results import APPROVERS, LISTS_HEADERS

    column = LISTS_HEADERS.index(APPROVERS)
    if not rows or header_key(_value(rows[0], column)) != header_key(APPROVERS):
        return ()
    return tuple(cell_text(_value(row, column)) for row in rows[1:])


def _read_transfers(previous: PreviousResults, tab: str, rows: list[list[Any]], keep: bool = True) -> None:
    """The reviewer's decisions in the Transfers tab, by the two lines of each transfer; what was
    typed in a column of their own, or in a row with no lines, is kept aside (keep)."""
    from cyclekit.layouts.results import TRANSFER_DOC, transfer_headers

    columns = _headers(rows)
    ours = {header_key(h) for h in transfer_headers()}
    for r, row in enumerate(rows[1:], start=1):
        ends = (exact_text(_value(row, columns.get("fromlineid"))), exact_text(_value(row, columns.get("tolineid"))))
        doc = {h: _value(row, columns.get(header_key(h))) for h in TRANSFER_DOC}
        if all(ends) and any(cell_text(v) for v in doc.values()):
            previous.transfers[ends] = {**doc, "Quantity": _value(row, columns.get("quantity"))}
        if not keep:
            continue
        for c, value in enumerate(row):
            header = header_key(rows[0][c]) if c < len(rows[0]) else ""
            if value not in ("", None) and (header not in ours or not all(ends) and header in map(
                    header_key, TRANSFER_DOC)):
                previous.kept.append(KeptCell(tab, xl_rowcol_to_cell(r, c), value, f"typed on the {tab} tab"))


def _read_beside(previous: PreviousResults, tab: str, rows: list[list[Any]], width: int) -> None:
    """Cells typed right of a tab cyclekit writes whole (Movements): kept."""
    for r, row in enumerate(rows):
        for c, value in enumerate(row[width:], start=width):
            if value != "" and value is not None:
                previous.kept.append(KeptCell(tab, xl_rowcol_to_cell(r, c), value, f"typed on the {tab} tab"))


def _read_kept(previous: PreviousResults, rows: list[list[Any]]) -> None:
    columns = _headers(rows)
    for row in rows[1:]:
        tab, cell = cell_text(_value(row, columns.get("tab"))), cell_text(_value(row, columns.get("cell")))
        value, why = _value(row, columns.get("value")), cell_text(_value(row, columns.get("why")))
        if tab or cell or value is not None:
            previous.kept.append(KeptCell(tab, cell, value, why))


def layout_of(rows: list[list[Any]]) -> list[int]:
    """The cells written on a tab, row by row, as bitmasks of columns (stored by the ingest)."""
    from cyclekit.backends.spec import Cell

    masks = []
    for row in rows:
        mask = 0
        for c, value in enumerate(row):
            shown = value.value if isinstance(value, Cell) else value
            if shown is not None and shown != "":
                mask |= 1 << c
        masks.append(mask)
    return masks


def keep_backup(path: Path, now: dt.datetime | None = None) -> Path | None:
    """A copy of a results workbook about to be replaced, as results-<timestamp>.xlsx beside it,
    never over an earlier one."""
    return keep_a_copy(path, "%Y%m%dT%H%M%S", now)
