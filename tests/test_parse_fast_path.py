"""Reading a filled sheet takes quick paths (every field of a row taken in one C loop when all are
texts, a typed number taken as it is, only the cells past a line's last column looked at): each
reads exactly what the straightforward cell-by-cell reading reads, on the rows that are hard to
read (identifiers that look like numbers, formulas, end spaces, altered fields, non-ASCII)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from cyclekit.backends.spec import Cell, Sheet
from cyclekit.layouts import count_sheet as cs
from cyclekit.layouts.count_sheet import SheetHeader, SheetLine, count_sheet, parse_sheet

TRICKY = ["000812", "1E5", "=SUM(A1)", "1.50", " end spaces ", "\u00a0WH\u00a0", "Ünïcødé ✓ 部品", "",
          "   ", None, 1.5, 100000.0, 0.0, -0.0, 1e-05, float("inf"), True, False, 12, Decimal("1.50"),
          dt.date(2026, 11, 23), dt.datetime(2026, 11, 23, 8, 30), "multi\nline", "tab\tinside", "␣000812␣"]


def general(values: list[Any]) -> list[str]:
    """The straightforward reading: each cell as a person sees it."""
    return [cs._text(value) for value in values]


@pytest.mark.parametrize("values", [TRICKY, [v for v in TRICKY if type(v) is str], [None] * 3, [], ["0812"]])
def test_texts_read_as_each_cell_reads(values: list[Any]) -> None:
    assert cs._texts(values) == general(values)


@pytest.mark.parametrize("value", TRICKY)
def test_one_value_among_texts_reads_as_it_does_alone(value: Any) -> None:
    values = ["000812", value, " 1E5 "]
    assert cs._texts(values) == general(values)


HEADER = SheetHeader("count", "C-1", "S001", "WH-A-01", "Warehouse A", "Dee", "2026-11-23")


def built(serials: bool = False) -> Sheet:
    lines = [SheetLine(i + 1, pn, "01", f"Part {i}, ünïcødé", "L-01", "ea", serial="SN-1" if serials and i == 0 else "")
             for i, pn in enumerate(["000812", "1E5", "=SUM(A1)", "1.50", " 0042-07 ", "部品-1", "A", "B"])]
    return count_sheet(HEADER, lines, "WH-A-01", show_system_qty=False, found_rows=3, whole_uoms=("ea",))


def rows_of(sheet: Sheet) -> list[list[Any]]:
    rows = [[c.value if isinstance(c, Cell) else c for c in row] for row in sheet.rows]
    for merged, cell in sheet.merges:
        rows[merged.first_row][merged.first_col] = cell.value if isinstance(cell, Cell) else cell
    return [["" if v is None else v for v in row] for row in rows]  # blank cells as calamine gives them


def tricky_rows(sheet: Sheet, trim: bool) -> list[list[Any]]:
    rows = rows_of(sheet)
    columns = {c.key: i for i, c in enumerate(sheet.columns)}
    floor, counts = columns["floor_count"], iter([12.0, "3.5", " 7 ", "=SUM(A1)", 0.0, True, " ", 1e-05, None])
    for row in rows:
        label = str(row[0])
        if label.isdigit():
            row[floor] = next(counts, 4.0)
        if label == "3":  # printed fields altered: a number where a part number was, spaces, a date
            row[columns["part_number"]], row[columns["lot"]] = 1000.0, dt.date(2026, 1, 2)
            row[columns["revision"]], row[columns["uom"]] = " 01 ", "EA"
        if label == "5":  # something written past the layout's last column, and a note
            row.extend(["", "past the table", 3.0])
            row[columns["notes"]] = "  boxed ✓ "
        if label == "F1":
            row[columns["part_number"]], row[floor] = "000813", 2.0
    rows[1].append("beside the header")
    if trim:  # rows as a reader that drops trailing blanks gives them, blanks as None
        rows = [[None if v == "" else v for v in row] for row in rows]
        rows = [row[:max((i + 1 for i, v in enumerate(row) if v is not None), default=0)] for row in rows]
    return rows


def straightforward(parsed: cs.FilledSheet, rows: list[list[Any]]) -> None:
    """Each entry read cell by cell, each nonblank cell past a line's columns reported."""
    width = max(len(row) for row in rows) + 2
    padded = [[*row, *([None] * (width - len(row)))] for row in rows]
    at = {key: parsed.columns.get(key) for key in cs.PRINTED}
    for entry in [*parsed.entries, *parsed.found]:
        row = padded[entry.row]
        for key, column in at.items():
            assert getattr(entry, key) == (cs._text(row[column]) if column is not None else "")
        raw = row[entry.floor_col]
        assert entry.floor_count == (None if cs._text(raw) == "" else raw)
        assert type(entry.floor_count) is type(raw) or entry.floor_count is None
    reported = {p.cell for p in parsed.problems if p.kind == "unexpected-cell"}
    layout_width = len(parsed.columns) + 3  # line, floor count, notes
    for entry in parsed.entries:
        beyond = {f"{chr(65 + c)}{entry.row + 1}" for c, v in enumerate(rows[entry.row])
                  if c >= layout_width and cs._text(v)}
        assert beyond <= reported


@pytest.mark.parametrize("trim", [False, True])
@pytest.mark.parametrize("serials", [False, True])
def test_quick_reading_equals_the_cell_by_cell_reading(trim: bool, serials: bool,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    sheet = built(serials)
    rows = tricky_rows(sheet, trim)
    parsed = parse_sheet(rows, "a.xlsx", "WH-A-01")
    assert parsed is not None
    straightforward(parsed, rows)
    line3 = next(e for e in parsed.entries if e.line_no == 3)
    assert (line3.part_number, line3.lot, line3.revision) == ("1000", "2026-01-02", "01")  # never a number
    assert [e.part_number for e in parsed.entries][:2] == ["000812", "1E5"]
    assert [e.floor_count for e in parsed.entries][:4] == [12.0, "3.5", " 7 ", "=SUM(A1)"]
    assert {p.cell for p in parsed.problems if p.kind == "unexpected-cell"} >= {f"{chr(65 + len(sheet.columns))}2"}
    assert any(p.kind == "unexpected-cell" and p.value == "past the table" for p in parsed.problems)
    # the whole reading, every field and problem, as with each cell read on its own
    monkeypatch.setattr(cs, "_texts", general)
    assert dataclasses.asdict(parse_sheet(rows, "a.xlsx", "WH-A-01")) == dataclasses.asdict(parsed)  # type: ignore[arg-type]


def altered_by_the_rules(entry: cs.Entry, sent: dict[str, str]) -> list[tuple[str, str, str]]:
    """Each printed field compared by its rule alone, without the shortcut for a field read as printed."""
    altered = []
    for key in cs.PRINTED:
        printed, read = sent.get(key, ""), getattr(entry, key)
        if key in cs._IDENTIFIERS:
            same = read == printed or cs.unshow_spaces(read) == printed
        elif key == "uom":
            same = cs.unit_key(read) == cs.unit_key(printed)
        else:
            same = cs._description(read) == cs._description(printed)
        if not same:
            altered.append((key, printed, read))
    return altered


FIELD_VALUES = ["000812", "812", "1E5", "100000", "=SUM(A1)", "1.50", "1.5", " 0042-07 ", "␣0042-07␣", "0042-07",
                "EA", "ea", " ea", "Bolt,  M6\nx 20", "Bolt, M6 x 20", "Ünïcødé ✓ 部品", "\x01ctl", "", "ctl"]


@pytest.mark.parametrize("read", FIELD_VALUES)
def test_a_line_read_as_printed_or_altered_is_judged_by_the_rules(read: str) -> None:
    for printed in FIELD_VALUES:
        sent = dict.fromkeys(cs.PRINTED, printed)
        entry = cs.Entry(1, "1", read, read, read, read, read, 3.0, "", 7, 7, "", read, "")
        assert cs.altered_fields(entry, sent) == altered_by_the_rules(entry, sent)
        partly = {**sent, "part_number": read, "uom": read}  # some fields as printed, others not
        assert cs.altered_fields(entry, partly) == altered_by_the_rules(entry, partly)
    assert cs.altered_fields(cs.Entry(1, "1", "000812", "", "d", "", "ea", 3.0, "", 7, 7), {}) == [
        ("part_number", "", "000812"), ("description", "", "d"), ("uom", "", "ea")]
