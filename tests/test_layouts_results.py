"""layouts/results.py directly: the results WorkbookSpec built from counted lines, its cells and formulas."""

from __future__ import annotations

import datetime as dt
import textwrap
from decimal import Decimal
from typing import Any

import pytest
from xlsxwriter.utility import xl_col_to_name

from cyclekit.backends.spec import Cell, Formula, Sheet, WorkbookSpec
from cyclekit.config import Config
from cyclekit.domain.variance import CountedLine, figures
from cyclekit.errors import Problem
from cyclekit.folder.cycle import LocationRecord, Manifest, SheetRecord
from cyclekit.layouts import text_fit
from cyclekit.layouts.results import results_workbook, table_headers

TODAY = dt.date(2026, 11, 25)


def line(number: int, system: str, counted: str | None, *, location: str = "WH-A-01", cost: str | None = "2.00",
         **changes: Any) -> CountedLine:
    return CountedLine(line_id=f"{location}/{number}", location=location, part_number=f"P-{number:03}",
                       revision="A", description=f"Part {number}", lot="", serial="", uom="ea", abc_class="C",
                       system_qty=Decimal(system), unit_cost=None if cost is None else Decimal(cost),
                       counted_qty=None if counted is None else Decimal(counted), counted_by="Dee",
                       sheet_id="S001", **changes)


def manifest(sheets: list[SheetRecord] | None = None) -> Manifest:
    return Manifest(cycle_id="C-1", as_of="2026-11-23", count_date="2026-11-23", created="2026-11-23T08:00:00",
                    show_system_qty=False, sources={}, snapshot_sha256="", locations=[LocationRecord("WH-A-01")],
                    sheets=sheets or [SheetRecord("S001", "count", "WH-A-01", "sheets/a.xlsx", "WH-A-01", [1, 2, 3])])


def workbook(lines: list[CountedLine], problems: list[Problem] | None = None,
             documentation: dict[str, dict[str, Any]] | None = None, sheets: list[SheetRecord] | None = None
             ) -> WorkbookSpec:
    config = Config()
    totals = figures(lines, ["WH-A-01"], len(problems or []), config.count)
    return results_workbook(manifest(sheets), lines, totals, problems or [], documentation or {}, config, TODAY)


def column(sheet: Sheet, header: str) -> list[Any]:
    index = sheet.column_index(header)
    return [row[index] if index < len(row) else None for row in sheet.rows[1:]]


def value(cell: Any) -> Any:
    return cell.value if isinstance(cell, Cell) else cell


def test_tabs_in_order() -> None:
    spec = workbook([line(1, "10", "10")])
    assert [s.name for s in spec.sheets] == ["Summary", "Variance", "Discrepancies", "Recount", "Not Counted",
                                            "Problems", "Lists"]
    assert spec.sheet("Lists").hidden and spec.title == "Cycle count results C-1"


def test_variance_formulas_name_their_columns() -> None:
    spec = workbook([line(1, "10", "7"), line(2, "0", "3", cost=None)])
    sheet = spec.sheet("Variance")
    letter = {c.header: xl_col_to_name(i) for i, c in enumerate(sheet.columns)}
    g, f, h, j, n = (letter[k] for k in ("Counted Qty", "System Qty", "Variance Qty", "Unit Cost", "Tolerance"))
    variance, pct, amount, within = (column(sheet, k) for k in ("Variance Qty", "Variance %", "Variance Value",
                                                                "Within Tolerance"))
    assert variance[0] == Formula(f"=ROUND({g}2-{f}2,6)", Decimal("-3"))
    assert pct[0] == Formula(f'=IF({f}2=0,"",{h}2/{f}2)', Decimal("-0.3"))
    assert amount[0].expr == f'=IF({j}2="","unvalued",ROUND({h}2*{j}2,2))' and amount[0].value == Decimal("-6.00")
    assert within[0] == Formula(f'=IF(ROUND(ABS({h}2),6)<=ROUND({f}2*{n}2,6),"Yes","No")', "No")
    # a found part with no known cost: unvalued, never $0; a system quantity of 0 has no percentage
    assert amount[1].value == "unvalued" and pct[1].value == ""
    rules = [c.formula for c in sheet.conditional_formats]
    assert rules == [f'=${letter["Within Tolerance"]}2="No"', f'=AND(${h}2<>0,${letter["Within Tolerance"]}2="Yes")']


def test_discrepancies_only_lines_with_a_variance_and_documentation_kept() -> None:
    lines = [line(1, "10", "7"), line(2, "5", "5"), line(3, "4", None)]
    spec = workbook(lines, documentation={"WH-A-01/1": {"Root Cause": "Miscount", "Status": "Resolved"}})
    sheet = spec.sheet("Discrepancies")
    assert column(sheet, "Line ID") == ["WH-A-01/1"]
    assert value(column(sheet, "Root Cause")[0]) == "Miscount" and value(column(sheet, "Status")[0]) == "Resolved"
    assert column(sheet, "Root Cause")[0].style.locked is False  # typed by finance on a protected tab
    letter = {c.header: xl_col_to_name(i) for i, c in enumerate(sheet.columns)}
    assert [c.formula for c in sheet.conditional_formats] == [
        f'=${letter["Severity"]}2="Major"', f'=${letter["Status"]}2="Resolved"',
        f'=LEFT(${letter["Notes"]}2,17)="VARIANCE CHANGED:"']
    ranges = {v.kind + (v.choices[0] if v.choices else ""): v.range.first_col for v in sheet.validations}
    assert ranges["listOpen"] == sheet.column_index("Status")
    assert sheet.row_heights[1] >= 34  # room for two typed lines at least


def test_discrepancy_rows_stay_two_lines_with_their_causes_on_screen_only() -> None:
    sheet = workbook([line(1, "10", "7")]).sheet("Discrepancies")
    causes = sheet.columns[-1]
    # the same causes for every line of a direction wrapped each row four lines tall on paper: the
    # column is last, on one line, and outside the print area (the Summary's legend prints them)
    assert causes.header == "Suggested Causes" and not causes.style.wrap and "Theft or loss" in value(column(
        sheet, "Suggested Causes")[0])
    assert sheet.print_setup.area.last_col == len(sheet.columns) - 2
    assert sheet.row_heights[1] == 34  # two typed lines
    resolution = "Adjusted to the physical count after checking the repair bay, the open tickets and MRB"
    long = workbook([line(1, "10", "7")], documentation={"WH-A-01/1": {"Resolution": resolution}})
    width = next(c.width for c in sheet.columns if c.header == "Resolution")
    lines = text_fit.lines_of(resolution, text_fit.room_of(width), text_fit.Measure.RENDERED)
    assert lines > 2 and long.sheet("Discrepancies").row_heights[1] == lines * 15 + 4


def test_a_changed_variance_reopens_its_approval() -> None:
    doc = {"Variance Qty": "+4", "Status": "Resolved", "Approved By": "Fay", "Approval Date": "2026-11-24"}
    sheet = workbook([line(1, "10", "7")], documentation={"WH-A-01/1": doc}).sheet("Discrepancies")
    assert value(column(sheet, "Status")[0]) == "Open" and value(column(sheet, "Approved By")[0]) is None
    assert value(column(sheet, "Notes")[0]).startswith("VARIANCE CHANGED: +4 when documented, -3 now")


def test_summary_total_rows_sum_their_columns() -> None:
    spec = workbook([line(1, "10", "7"), line(2, "5", "6"), line(3, "4", "4")])
    rows = spec.sheet("Summary").rows
    headline = {value(r[0]): value(r[1]) for r in rows if len(r) > 1}
    assert headline["Lines counted"] == 3 and headline["Items with a discrepancy"] == 2
    total = next(r for r in rows if r and value(r[0]) == "Total")
    top = next(i for i, r in enumerate(rows) if r and value(r[0]) == "By location") + 3  # its first row (A1)
    n = rows.index(total) + 1
    assert [c.value.expr for c in total[1:5]] == [f"=SUM({c}{top}:{c}{n - 1})" for c in "BCDE"]
    assert total[5].value.expr == f'=IF(C{n}+D{n}=0,"",E{n}/(C{n}+D{n}))'
    assert total[5].value.value == Decimal(2) / 3
    rate = next(i for i, r in enumerate(rows) if r and value(r[0]) == "Discrepancy rate")
    assert spec.sheet("Summary").conditional_formats[0].formula == f"=AND(ISNUMBER($B${rate + 1}),$B${rate + 1}>=0.05)"


def test_largest_variances_major_first_then_by_value() -> None:
    # line 1: Minor ($40); line 2: Major (10 off), worth less; line 3: Minor, no known cost (after the valued)
    lines = [line(1, "100", "99", cost="40"), line(2, "10", "0", cost="0.01"), line(3, "5", "6", cost=None),
             line(4, "5", "4", cost="1")]
    rows = workbook(lines).sheet("Summary").rows
    start = next(i for i, r in enumerate(rows) if r and value(r[0]) == "Largest variances: Major first, then by value")
    assert [value(r[-1]) for r in rows[start + 2:start + 6]] == ["WH-A-01/2", "WH-A-01/1", "WH-A-01/4", "WH-A-01/3"]


def test_recount_tab_lists_lines_on_a_recount_sheet() -> None:
    recount = SheetRecord("R001", "recount", "WH-A-01", "recounts/a.xlsx", "WH-A-01", [1])
    lines = [line(1, "10", "9", first_count=Decimal(7), recounted_by="Eve", recount_sheet="R001"),
             line(2, "5", "5")]
    sheet = workbook(lines, sheets=[*manifest().sheets, recount]).sheet("Recount")
    assert column(sheet, "Line ID") == ["WH-A-01/1"]
    assert column(sheet, "First Count") == [Decimal(7)] and column(sheet, "Recount Qty") == [Decimal(9)]
    assert column(sheet, "Recount Sheet") == ["R001"]
    assert column(sheet, "File") == ["recounts/a.xlsx"] and column(sheet, "Tab") == ["WH-A-01"]


def test_problems_tab_status_and_colour() -> None:
    problem = Problem("bad-count", "back/WH-A-01.xlsx", "Floor Count is not a number", sheet="WH-A-01", cell="G8",
                      value="12 boxes")
    sheet = workbook([line(1, "10", None, problem="bad-count")], problems=[problem]).sheet("Problems")
    assert value(column(sheet, "Status")[0]) == "Open" and sheet.tab_color == "#C00000"
    assert column(sheet, "Kind") == ["bad-count"]


def test_table_headers_match_the_tabs_written() -> None:
    spec = workbook([line(1, "10", "7")])
    for name, headers in table_headers().items():
        if name != "Cleared":
            assert headers == tuple(c.header for c in spec.sheet(name).columns), name


def test_wrapped_texts_are_measured_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every line off by the same amount: the same suggested causes row after row are wrapped once,
    not once a row (the estimate is memoised on the text and the room)."""
    calls = []
    wrap = textwrap.wrap

    def counting(*args: Any, **kwargs: Any) -> list[str]:
        calls.append(args[0])
        return wrap(*args, **kwargs)

    monkeypatch.setattr(textwrap, "wrap", counting)
    text_fit.lines_of.cache_clear()
    workbook([line(n, "10", "7") for n in range(1, 201)])
    assert len(calls) < 20


def test_row_heights_measured_the_quick_way_are_those_measured_cell_by_cell() -> None:
    """The tabs fit their rows through results._RowFit (each column's room worked out once, a text
    that surely fits one line not measured): every row must get what _wrapped_lines measures."""
    from cyclekit.backends.spec import Column, Style
    from cyclekit.layouts import results

    wrap, small, big = Style(wrap=True), Style(wrap=True, font_size=9), Style(wrap=True, font_size=14, indent=1)
    columns = [Column("Id", 8), Column("Text", 12, wrap), Column("Small", 10, small), Column("Big", 16, big),
               Column("Plain", 6)]
    texts = ["", "000812", "1E5", "=SUM(A1)", "short", "a text that is far too long for its column",
             "two\nlines", "\n", "東京都港区芝公園四丁目", "Ünïcödé wörds wïth äccents everywhere here",
             "WH-B-02-01-XYZ", "x" * 11, "x" * 12, "W" * 6, "–" * 40, "line one\nline two is longer than the room"]
    rows: list[list[Any]] = []
    for n, text in enumerate(texts):
        rows.append([text, text, text, text, text])
        rows.append([Cell(text, wrap), Formula("=A1", text), Cell(Formula("=B1", text), big), Cell(text), None])
        rows.append([1, Decimal("1.5"), Cell(None, small), Cell(text, Style(wrap=False)), Cell(text, wrap)])
        rows.append([text, Cell(text, None), texts[(n + 3) % len(texts)]])  # short rows and a row of no text
    fit = results._RowFit(columns)
    got = [fit.lines(row) for row in rows]
    assert got == [results._wrapped_lines(row, columns) for row in rows]
    assert max(got) > 2  # the tricky texts did wrap


def test_variance_tab_zeros_keep_their_own_spelling() -> None:
    """The Variance tab shares one object per zero (most lines have no variance) but each zero is
    written as it was worked out: 0, 0.0 and 0.000 are different numbers on the page."""
    lines = [line(1, "5", "5"), line(2, "5.0", "5"), line(3, "2.500", "2.5"), line(4, "5", "5.00", cost="2.5"),
             line(5, "0", "0"), line(6, "4", "3"), line(7, "5", "5", cost=None)]
    sheet = workbook(lines).sheet("Variance")
    for ln, variance, pct, money in zip(lines, column(sheet, "Variance Qty"), column(sheet, "Variance %"),
                                        column(sheet, "Variance Value"), strict=True):
        expected = ln.counted_qty - ln.system_qty
        assert str(value(variance).value) == str(expected)
        assert str(value(pct).value) == ("" if ln.system_qty == 0 else str(expected / ln.system_qty))
        assert str(value(money).value) == ("unvalued" if ln.unit_cost is None else str(ln.variance_value))
