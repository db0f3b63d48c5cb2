"""layouts/count_sheet.py directly: the sheet's layout (a Sheet of the workbook model) and its parser
reading the layout's own rows back, through one column map."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from cyclekit.backends.spec import Cell, Sheet
from cyclekit.layouts import count_sheet as cs
from cyclekit.layouts.count_sheet import SheetHeader, SheetLine, count_sheet, parse_sheet

HEADER = SheetHeader("count", "C-1", "S001", "WH-A-01", "Warehouse A", "Dee", "2026-11-23")
LINES = [SheetLine(1, "000812", "01", "Bolt, M6 x 20", "", "ea"),
         SheetLine(2, "1E5", "A", "Panel 19\" rack, powder-coated steel, with cable management arms and rails",
                   "L2026-01-LONG-LOT-NUMBER", "m")]


def sheet(lines: list[SheetLine] = LINES, **options: Any) -> Sheet:
    kwargs: dict[str, Any] = {"show_system_qty": False, "found_rows": 2, "whole_uoms": ("ea",)} | options
    header = kwargs.pop("header", HEADER)
    return count_sheet(header, lines, "WH-A-01", **kwargs)


def values(built: Sheet) -> list[list[Any]]:
    """The sheet as a reader sees it: merged values in their first cell, styles gone."""
    rows = [[c.value if isinstance(c, Cell) else c for c in row] for row in built.rows]
    for merged, cell in built.merges:
        rows[merged.first_row][merged.first_col] = cell.value if isinstance(cell, Cell) else cell
    return rows


def test_header_block_uses_the_column_map() -> None:
    built = sheet()
    rows = values(built)
    assert rows[1][cs.LEFT_LABEL] == "Location" and rows[1][cs.LEFT_VALUE] == "WH-A-01"
    assert rows[1][cs.RIGHT_LABEL] == "Cycle" and rows[1][cs.RIGHT_VALUE] == "C-1"
    assert rows[3][cs.RIGHT_LABEL] == "Count date" and rows[3][cs.RIGHT_VALUE] == "2026-11-23"
    assert [c.header for c in built.columns] == [cs.HEADERS[k] for k in
                                                ("line", "part_number", "revision", "description", "lot", "uom",
                                                 "floor_count", "notes")]
    assert rows[cs.HEADER_ROW][0] == cs.LINE and built.protect


def test_blind_unless_asked_and_serials_get_a_column() -> None:
    assert cs.SYSTEM_QTY not in [c.header for c in sheet().columns]
    shown = sheet([SheetLine(1, "P", "", "d", "", "ea", Decimal(7), serial="SN-1")], show_system_qty=True)
    headers = [c.header for c in shown.columns]
    assert headers.index("Serial") < headers.index("UoM") < headers.index(cs.SYSTEM_QTY) < headers.index(cs.FLOOR_COUNT)
    assert values(shown)[cs.HEADER_ROW + 1][headers.index(cs.SYSTEM_QTY)] == Decimal(7)


def test_identifiers_stay_text_and_rows_fit_their_wrapped_cells() -> None:
    built = sheet()
    first = cs.HEADER_ROW + 1
    assert values(built)[first][1] == "000812"
    # the long lot wraps: every line's row as tall as its row, the same room to write on each
    assert built.row_heights[first] == built.row_heights[first + 1] > cs.ROW_POINTS


def test_floor_count_rules_follow_the_unit() -> None:
    rules = {(v.range.first_row, v.kind) for v in sheet().validations}
    first = cs.HEADER_ROW + 1
    assert (first, "whole") in rules and (first + 1, "decimal") in rules  # ea whole, m decimal
    assert any(v.kind == "list" and v.choices == ("YES",) for v in sheet().validations)


def test_a_recount_has_no_found_rows_nor_confirmation_and_names_the_first_counter() -> None:
    header = SheetHeader("recount", "C-1", "R001", "WH-A-01", "Warehouse A", "", "", first_counted_by="Dee")
    built = sheet(header=header, found_rows=0)
    texts = [v for row in values(built) for v in row if isinstance(v, str)]
    assert texts[0] == "Recount sheet: WH-A-01"
    assert any("(Dee)" in t for t in texts)
    assert not any(t.startswith(cs.CONFIRMED_EMPTY) for t in texts)
    counter = next(c for m, c in built.merges if m.first_row == 3 and m.first_col == cs.LEFT_VALUE)
    assert isinstance(counter, Cell) and counter.style is not None and counter.style.locked is False


def test_a_location_without_stock_says_so() -> None:
    rows = values(sheet([]))
    assert str(rows[cs.HEADER_ROW + 1][0]).startswith(cs.NO_STOCK)


def filled(built: Sheet, counts: dict[int, Any], **cells: Any) -> list[list[Any]]:
    rows = [list(row) for row in values(built)]
    floor = built.column_index("floor_count")
    for row in rows:
        label = str(row[0] or "")
        if label.isdigit() and int(label) in counts:
            row[floor] = counts[int(label)]
        if row[cs.LEFT_LABEL] == cs.COUNTED_BY:
            row[cs.LEFT_VALUE], row[cs.RIGHT_VALUE] = cells.get("counted_by"), cells.get("counted_on")
    return rows


def test_parse_reads_back_what_the_layout_wrote() -> None:
    built = sheet()
    parsed = parse_sheet(filled(built, {1: 12, 2: "3.5"}, counted_by="Dee", counted_on="2026-11-23"),
                         "a.xlsx", "WH-A-01")
    assert parsed is not None and (parsed.cycle_id, parsed.sheet_id) == ("C-1", "S001")
    assert [(e.line_no, e.part_number, e.floor_count) for e in parsed.entries] == [(1, "000812", 12), (2, "1E5", "3.5")]
    assert parsed.counted_by == "Dee" and parsed.counted_on == "2026-11-23"
    signed = next(r for r, row in enumerate(built.rows) if row[cs.LEFT_LABEL] == Cell(cs.COUNTED_BY, cs.LABEL))
    assert parsed.counted_by_cell == f"C{signed + 1}"
    assert parsed.problems == []


def test_parse_reports_a_cell_outside_the_layout_and_an_inserted_row() -> None:
    rows = filled(sheet(), {1: 1})
    rows[1][3] = "scribble"  # inside the merged Location value, outside the label/value columns
    rows.insert(cs.HEADER_ROW + 2, [None, "X-9", None, None, None, None, 4, None])
    parsed = parse_sheet(rows, "a.xlsx", "WH-A-01")
    assert parsed is not None
    kinds = {(p.kind, p.cell) for p in parsed.problems}
    assert ("unexpected-cell", "D2") in kinds and ("inserted-row", f"A{cs.HEADER_ROW + 3}") in kinds
    assert set(parsed.held_lines) == {1}


@pytest.mark.parametrize("rows", [[], [["just a table"]], [[None, "Location", "X"], ["Line", "Part Number"]]])
def test_not_a_count_sheet(rows: list[list[Any]]) -> None:
    assert parse_sheet(rows, "a.xlsx", "Sheet1") is None


def test_page_breaks_fill_each_page_and_keep_a_run_together() -> None:
    from cyclekit.layouts.paging import page_breaks

    margins = (0.4, 0.4, 0.7, 0.6)  # Letter portrait: 698 pt between the margins, 677 of them filled
    assert page_breaks([100.0] * 6, 20, margins, 1, False) == []  # 600 pt: one page
    assert page_breaks([100.0] * 7, 20, margins, 1, False) == [6]  # the seventh row starts page 2
    # rows 5 and 6 (a sign-off) go together: the break comes before 5, page 2 repeats the 20 pt header
    assert page_breaks([100.0] * 5 + [90.0, 90.0], 20, margins, 1, False, keep=[(5, 6)]) == [5]
    assert page_breaks([100.0] * 5 + [90.0, 90.0], 20, margins, 1, False) == [6]
    assert page_breaks([100.0] * 7, 20, margins, 9, False) == []  # A4 is taller: 748 pt


def _straightforward_rows(lines: list[SheetLine], built: Sheet) -> tuple[list[list[Any]], float]:
    """A line's row and height worked out line by line, every text measured (as the layout did
    before it took a column at a time)."""
    from cyclekit.domain.values import show_spaces
    from cyclekit.layouts.text_fit import lines_of, row_height

    columns = built.columns
    rows, heights = [], []
    for item in lines:
        shown = {key: show_spaces(getattr(item, key)) for key in cs.SHOWN_SPACES}
        values = {**shown, "line": str(item.line_no), "description": item.description, "uom": item.uom,
                  "system_qty": item.system_qty, "floor_count": Cell(None, cs.INPUT),
                  "notes": Cell(None, cs.INPUT_TEXT)}
        rows.append([values[c.key] for c in columns])
        wrapped = max([lines_of(getattr(item, c.key), c.width * cs.FIT[c.key], paragraphs=False)
                       for c in columns if c.key in cs.WRAPPED and c.key != "description"], default=1)
        room = next(c.width for c in columns if c.key == "description") * cs.FIT["description"] * cs.BIG
        described = lines_of(item.description, room / cs.DESCRIPTION_SIZE, paragraphs=False)
        heights.append(max(cs.ROW_POINTS, row_height(wrapped, cs.LINE_POINTS, 6),
                           row_height(described, cs.DESCRIPTION_LINE_POINTS, 3)))
    return rows, max(heights)


@pytest.mark.parametrize("options", [{}, {"show_system_qty": True}, {"header": SheetHeader(
    "count", "C-1", "S001", "", "A, B", "Dee, Lee", "2026-11-23", part=" 000812 ")}])
def test_line_rows_taken_a_column_at_a_time_are_those_made_line_by_line(options: dict[str, Any]) -> None:
    odd = ["000812", "1E5", "=SUM(A1)", " PN ", "PN ", "  ", "", "Écrou M8 ½\"", "x" * 40, "\u00a0N\u00a0",
           "WH-B-02-01-A-VERY-LONG-BIN", "a b c d e f g h i j k l m n o p q r s t u v w x y z", "1.50", "ea"]
    lines = [SheetLine(n + 1, odd[n % len(odd)], odd[(n * 3) % len(odd)], odd[(n * 5) % len(odd)],
                       odd[(n * 7) % len(odd)], odd[(n * 11) % len(odd)], Decimal(n) / 4,
                       odd[(n * 13) % len(odd)] if n % 2 else "", odd[(n * 2) % len(odd)]) for n in range(60)]
    for some in (lines, lines[:1], [line for line in lines if len(line.description) < 5][:3]):
        built = sheet(some, **options)
        rows, height = _straightforward_rows(some, built)
        first = cs.HEADER_ROW + 1
        assert built.rows[first:first + len(some)] == rows
        assert {built.row_heights[r] for r in range(first, first + len(some))} == {height}
