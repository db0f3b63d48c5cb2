"""Trust I, finance's side: money rounded one way, what finance typed carried over, unsigned
sheets, dates as typed, found items valued or flagged."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import openpyxl
import pytest
from click.testing import CliRunner

from cyclekit.backends.libreoffice import recalculate
from cyclekit.config import Config
from cyclekit.domain.money import amount_display, amount_text, cents, price_text
from cyclekit.domain.variance import CountedLine
from cyclekit.stages import schedule as api
from cyclekit.stages.ingest import ingest_cycle
from cyclekit.stages.sheets import Selection
from tests.helpers import INVENTORY_HEADER, write_csv, write_manifest
from tests.test_cycle_flow import AS_OF, fill_all_right, plant, rows_of, start  # noqa: F401

# ---- money -------------------------------------------------------------------------------


@pytest.mark.parametrize("amount, expected", [
    ("492303.945", "492303.95"), ("0.125", "0.13"), ("-0.125", "-0.13"), ("2.675", "2.68"),
    ("1.005", "1.01"), ("-4.405", "-4.41"), ("0.124999", "0.12"), ("-0.004", "0.00"), ("7", "7.00")])
def test_money_rounds_half_up_to_cents(amount, expected):
    assert amount_text(Decimal(amount)) == expected
    assert cents(Decimal(amount)) == Decimal(expected)


def test_money_display_and_prices():
    assert amount_display(Decimal("492303.945")) == "492,303.95"
    assert amount_display(Decimal("-1234.565")) == "-1,234.57"
    assert price_text(Decimal("0.0125")) == "0.0125"  # a unit cost is a price: never rounded
    assert price_text(Decimal("1.5")) == "1.50"
    assert amount_text(None) == price_text(None) == ""


def _line(system, counted, cost):
    return CountedLine("L/1", "L", "P", "", "", "", "", "ea", "A", Decimal(system),
                       None if cost is None else Decimal(cost), counted_qty=Decimal(counted))


def test_a_line_value_is_in_cents_half_up():
    assert _line(1, 2, "0.125").variance_value == Decimal("0.13")
    assert _line(2, 1, "0.125").variance_value == Decimal("-0.13")
    assert _line(0, 3, "164101.315").variance_value == Decimal("492303.95")
    assert _line(0, 3, None).variance_value is None


def test_total_inventory_value_is_rounded_half_up(tmp_path):
    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, [
        ["WH-A-01", "000812", "", "Bolt", "ea", "", "", "available", "3", "164101.315"]])
    schedule = tmp_path / "schedule.xlsx"
    report = api.write_schedule(inventory, schedule, Config(), as_of=AS_OF)
    settings = openpyxl.load_workbook(schedule)["Settings"]
    values = {row[0]: row[1] for row in settings.iter_rows(values_only=True) if row and row[0]}
    assert values["Total inventory value"] == pytest.approx(492303.95, abs=1e-9)
    assert amount_display(report.total_value) == "492,303.95"
    from cyclekit.cli import cli

    result = CliRunner().invoke(cli, ["schedule", str(inventory), "-o", str(tmp_path / "again.xlsx"),
                                       "--as-of", AS_OF.isoformat()])
    assert "value 492,303.95;" in result.output, result.output


def test_variance_values_agree_with_libreoffice_at_half_a_cent(soffice, plant, tmp_path):  # noqa: F811
    # 0.7 kg counted of 0.75 at 88.10: -4.405, which is -4.41 half-up (-4.40 half-even)
    report = start(plant, tmp_path, selection=Selection(locations=("WH-A-02",)))
    files = fill_all_right(report.cycle_dir, tmp_path / "back", {"WH-A-02": {2: 0.7}})
    result = ingest_cycle(report.cycle_dir, Config(), files)
    cached = {r["Line ID"]: r for r in rows_of(result.results, "Variance")}
    [recalculated] = recalculate([result.results], tmp_path / "lo")
    fresh = {r["Line ID"]: r for r in rows_of(recalculated, "Variance")}
    assert cached["WH-A-02/2"]["Variance Value"] == fresh["WH-A-02/2"]["Variance Value"] == -4.41
    discrepancies = {r["Line ID"]: r for r in rows_of(result.results, "Discrepancies")}
    assert discrepancies["WH-A-02/2"]["Variance Value"] == -4.41


# ---- unsigned sheets ---------------------------------------------------------------------


def test_an_unsigned_first_count_is_not_credited_to_the_printed_owner(plant, tmp_path):  # noqa: F811
    from tests.helpers import fill_sheet
    from tests.test_cycle_flow import sheet_file

    report = start(plant, tmp_path, selection=Selection(locations=("WH-A-01", "WH-A-02")))
    unsigned = fill_sheet(sheet_file(report.cycle_dir, "WH-A-01"), tmp_path / "back" / "a01.xlsx",
                          {1: 1200, 2: 10, 3: 40}, counted_by="")  # line 1: -34, Major
    signed = fill_sheet(sheet_file(report.cycle_dir, "WH-A-02"), tmp_path / "back" / "a02.xlsx",
                        {1: 12.5, 2: 0.75}, counted_by="Ana Ruiz")
    result = ingest_cycle(report.cycle_dir, Config(), [unsigned, signed])
    variance = {r["Line ID"]: r for r in rows_of(result.results, "Variance")}
    assert variance["WH-A-01/1"]["Counted By"] == "(not signed)"
    assert variance["WH-A-02/1"]["Counted By"] == "Ana Ruiz"
    counters = {g.name: g for g in result.figures.by_counter}
    others = {g.name: g for g in result.figures.counter_others}
    assert counters["Ana Ruiz"].lines_sent == 2  # WH-A-02 only: WH-A-01 was printed for her, not signed
    assert others["(not signed)"].lines_sent == 3 and others["(not signed)"].discrepancies == 1
    [problem] = [p for p in result.problems if p.kind == "not-signed"]
    assert "WH-A-01/1" in problem.message and problem.file.endswith("a01.xlsx")
    assert problem in result.open_problems


def test_an_unsigned_sheet_without_a_major_line_is_no_problem(plant, tmp_path):  # noqa: F811
    from tests.helpers import fill_sheet
    from tests.test_cycle_flow import sheet_file

    report = start(plant, tmp_path, selection=Selection(locations=("WH-A-01",)))
    unsigned = fill_sheet(sheet_file(report.cycle_dir, "WH-A-01"), tmp_path / "back" / "a01.xlsx",
                          {1: 1234, 2: 11, 3: 40}, counted_by="")
    result = ingest_cycle(report.cycle_dir, Config(), [unsigned])
    assert not [p for p in result.problems if p.kind == "not-signed"]
    assert {r["Counted By"] for r in rows_of(result.results, "Variance")} == {"(not signed)"}


# ---- found items -------------------------------------------------------------------------


def test_a_major_found_item_is_recounted_and_flagged_unvalued(plant, tmp_path):  # noqa: F811
    from cyclekit.folder.cycle import load_manifest, read_frozen
    from cyclekit.stages.ingest import count_state
    from tests.helpers import fill_sheet

    report = start(plant, tmp_path, selection=Selection(locations=("LS-1", "WH-A-02")))
    files = fill_all_right(report.cycle_dir, tmp_path / "back", **{
        "LS-1": {"found": [("NEW-999", "", "", "ea", 7)]},  # +7 ea, no cost anywhere: Major, unvalued
        "WH-A-02": {"found": [("PCB-0007", "B", "", "ea", 1)]}})  # costed at LS-1 (125.50)
    result = ingest_cycle(report.cycle_dir, Config(), files)
    variance = {r["Line ID"]: r for r in rows_of(result.results, "Variance")}
    assert variance["LS-1/F1"]["Variance Value"] == "unvalued"
    assert variance["WH-A-02/F1"]["Variance Value"] == pytest.approx(125.50)
    discrepancies = {r["Line ID"]: r for r in rows_of(result.results, "Discrepancies")}
    assert discrepancies["LS-1/F1"]["Variance Value"] == "unvalued"
    manifest = load_manifest(report.cycle_dir)
    _, lines, _ = count_state(manifest, read_frozen(report.cycle_dir, manifest), files, Config())
    by_id = {ln.line_id: ln for ln in lines}
    assert by_id["LS-1/F1"].unvalued and by_id["LS-1/F1"].unit_cost is None
    assert not by_id["WH-A-02/F1"].unvalued

    # found items follow the recount rule: both are outside tolerance (system 0)
    recount_tabs = {r["Line ID"]: r for r in rows_of(result.results, "Recount")}
    assert set(recount_tabs) >= {"LS-1/F1", "WH-A-02/F1"}
    [recount_file] = [f for f in result.recount_files if "LS-1" in f.name]
    sheet = openpyxl.load_workbook(recount_file).worksheets[0]
    printed = [[c.value for c in row] for row in sheet.iter_rows()]
    assert any(row[0] == "F1" and "NEW-999" in row for row in printed)

    recounted = fill_sheet(recount_file, tmp_path / "back" / "recount LS-1.xlsx",
                           found=[("NEW-999", "", "", "ea", 6)], counted_by="Cy Park")
    again = ingest_cycle(report.cycle_dir, Config(), [*files, recounted])
    variance = {r["Line ID"]: r for r in rows_of(again.results, "Variance")}
    row = variance["LS-1/F1"]
    assert (row["Counted Qty"], row["First Count"], row["Recounted By"]) == (6, 7, "Cy Park")
    assert "LS-1/F1-" + row["Sheet"] not in variance  # the recount's row is this item, not a new find
    assert not [p for p in again.problems if p.kind in ("altered-sheet", "found-without-quantity")]


# ---- what finance typed in the results ---------------------------------------------------


@pytest.fixture
def counted(plant, tmp_path):  # noqa: F811
    """A cycle counted once: WH-A-01 line 1 short by 34 (Major), line 2 one over (Minor)."""
    report = start(plant, tmp_path)
    files = fill_all_right(report.cycle_dir, tmp_path / "back",
                           {"WH-A-01": {1: 1200, 2: 11}, "CAGE-01": {1: 1}})
    result = ingest_cycle(report.cycle_dir, Config(), files)
    return report.cycle_dir, files, result


def _header_column(sheet, name):
    return next(c for c in range(1, sheet.max_column + 1) if sheet.cell(1, c).value == name)


def _row_of(sheet, line_id):
    column = _header_column(sheet, "Line ID")
    return next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, column).value == line_id)


def _finance_edits(results):
    """Finance in Excel (openpyxl stands in): a GL Account column, a tab of notes, a note beside
    the Summary, a Root Cause."""
    book = openpyxl.load_workbook(results)
    sheet = book["Discrepancies"]
    gl = sheet.max_column + 1
    sheet.cell(1, gl).value = "GL Account"
    sheet.cell(_row_of(sheet, "WH-A-01/1"), gl).value = "5100-INV"
    sheet.cell(_row_of(sheet, "WH-A-01/2"), gl).value = "000812"  # an identifier: stays text
    sheet.cell(_row_of(sheet, "WH-A-01/1"), _header_column(sheet, "Root Cause")).value = "Theft or loss"
    notes = book.create_sheet("Finance notes")
    notes["A1"], notes["B1"], notes["C1"] = "Account", "Amount", "Checked"
    notes["A2"], notes["B2"], notes["C2"] = "000812", 12.5, dt.datetime(2026, 11, 26)
    notes["A3"] = "=SUM(A1)"
    notes["A3"].data_type = "s"  # text that looks like a formula, as typed after an apostrophe
    notes["B3"] = 1234567.891
    book["Summary"]["E5"] = "Checked by the CFO, see notes"
    book.save(results)


def test_added_columns_tabs_and_notes_are_carried_and_the_old_results_kept(counted):
    cycle_dir, files, result = counted
    _finance_edits(result.results)
    before = result.results.read_bytes()
    again = ingest_cycle(cycle_dir, Config(), files)

    book = openpyxl.load_workbook(again.results)
    sheet = book["Discrepancies"]
    gl = _header_column(sheet, "GL Account")
    assert sheet.cell(_row_of(sheet, "WH-A-01/1"), gl).value == "5100-INV"
    assert sheet.cell(_row_of(sheet, "WH-A-01/2"), gl).value == "000812"
    assert sheet.cell(_row_of(sheet, "WH-A-01/1"), _header_column(sheet, "Root Cause")).value == "Theft or loss"
    notes = book["Finance notes"]
    assert [c.value for c in notes[1]] == ["Account", "Amount", "Checked"]
    assert [c.value for c in notes[2]] == ["000812", 12.5, dt.datetime(2026, 11, 26)]
    assert notes["A3"].value == "=SUM(A1)" and notes["A3"].data_type == "s"
    assert notes["B3"].value == 1234567.891
    kept = rows_of(again.results, "Kept from previous results")
    assert [(r["Tab"], r["Cell"], r["Value"]) for r in kept] == [("Summary", "E5", "Checked by the CFO, see notes")]
    assert any("GL Account" in w for w in again.notes) and any("Finance notes" in w for w in again.notes)

    [backup] = cycle_dir.glob("results-*.xlsx")
    assert backup.read_bytes() == before  # the workbook as finance left it

    # and again: nothing doubles, nothing is lost, no backup is overwritten
    third = ingest_cycle(cycle_dir, Config(), files)
    assert [(r["Tab"], r["Cell"]) for r in rows_of(third.results, "Kept from previous results")] == [("Summary", "E5")]
    assert rows_of(third.results, "Finance notes")[0]["Account"] == "000812"
    rows = {r["Line ID"]: r for r in rows_of(third.results, "Discrepancies")}
    assert rows["WH-A-01/1"]["GL Account"] == "5100-INV"
    assert len(list(cycle_dir.glob("results-*.xlsx"))) == 2
    assert backup.read_bytes() == before


def test_a_backup_is_never_overwritten(tmp_path):
    from cyclekit.layouts.results_carry import keep_backup

    results = tmp_path / "results.xlsx"
    results.write_bytes(b"first")
    moment = dt.datetime(2026, 11, 25, 10, 0, 0)
    first = keep_backup(results, moment)
    results.write_bytes(b"second")
    second = keep_backup(results, moment)  # the same second
    assert first != second and first.read_bytes() == b"first" and second.read_bytes() == b"second"
    assert keep_backup(tmp_path / "none.xlsx") is None


def test_headers_match_whatever_their_case_and_a_renamed_tab_is_found(counted):
    cycle_dir, files, result = counted
    book = openpyxl.load_workbook(result.results)
    sheet = book["Discrepancies"]
    cause = _header_column(sheet, "Root Cause")
    sheet.cell(1, cause).value = "Root cause"
    sheet.cell(1, _header_column(sheet, "Approved By")).value = "  approved  BY "
    sheet.cell(_row_of(sheet, "WH-A-01/1"), cause).value = "Theft or loss"
    sheet.cell(_row_of(sheet, "WH-A-01/1"), _header_column(sheet, "  approved  BY ")).value = "Dana"
    sheet.title = "Finance review"
    book.save(result.results)
    again = ingest_cycle(cycle_dir, Config(), files)
    rows = {r["Line ID"]: r for r in rows_of(again.results, "Discrepancies")}
    assert (rows["WH-A-01/1"]["Root Cause"], rows["WH-A-01/1"]["Approved By"]) == ("Theft or loss", "Dana")
    assert "Finance review" not in openpyxl.load_workbook(again.results).sheetnames  # it was Discrepancies
    assert any("'Finance review' as Discrepancies" in w for w in again.notes)


@pytest.mark.parametrize("damage", ["no Line ID column", "no Discrepancies tab"])
def test_documentation_that_cannot_be_found_stops_the_ingest_writing_nothing(counted, damage):
    from cyclekit.errors import InputError

    cycle_dir, files, result = counted
    book = openpyxl.load_workbook(result.results)
    sheet = book["Discrepancies"]
    sheet.cell(_row_of(sheet, "WH-A-01/1"), _header_column(sheet, "Root Cause")).value = "Theft or loss"
    if damage == "no Line ID column":
        sheet.delete_cols(_header_column(sheet, "Line ID"))
    else:
        del book["Discrepancies"]
    book.save(result.results)
    before = {p: p.read_bytes() for p in cycle_dir.rglob("*") if p.is_file()}
    with pytest.raises(InputError, match="nothing was written") as caught:
        ingest_cycle(cycle_dir, Config(), [*files])
    assert ("Line ID" if damage == "no Line ID column" else "no Discrepancies tab") in str(caught.value.problems[0])
    assert {p: p.read_bytes() for p in cycle_dir.rglob("*") if p.is_file()} == before


def test_a_line_id_column_missing_without_documentation_is_no_reason_to_stop(counted):
    cycle_dir, files, result = counted
    book = openpyxl.load_workbook(result.results)
    book["Discrepancies"].delete_cols(_header_column(book["Discrepancies"], "Line ID"))
    book.save(result.results)
    again = ingest_cycle(cycle_dir, Config(), files)
    assert "Kept from previous results" not in openpyxl.load_workbook(again.results).sheetnames  # nothing typed


# ---- dates as typed ----------------------------------------------------------------------


def _type_dates(results, **dates):
    book = openpyxl.load_workbook(results)
    sheet = book["Discrepancies"]
    for line_id, (column, value) in dates.items():
        sheet.cell(_row_of(sheet, line_id.replace("_", "/")), _header_column(sheet, column)).value = value
    book.save(results)


def test_dates_typed_as_text_are_read_or_listed_at_ingest(counted):
    from cyclekit.folder.cycle import load_manifest
    from cyclekit.stages.ingest import previous_documentation

    cycle_dir, files, result = counted
    _type_dates(result.results, **{"WH-A-01_1": ("Approval Date", "11/25/2026"),
                                   "WH-A-01_2": ("Investigated On", "03/04/2026")})
    docs, _ = previous_documentation(cycle_dir, load_manifest(cycle_dir), None)  # as finalize reads them
    assert docs["WH-A-01/1"]["Approval Date"] == dt.date(2026, 11, 25)
    again = ingest_cycle(cycle_dir, Config(), files)
    rows = {r["Line ID"]: r for r in rows_of(again.results, "Discrepancies")}
    assert rows["WH-A-01/1"]["Approval Date"] == dt.datetime(2026, 11, 25)  # a real date now
    assert rows["WH-A-01/2"]["Investigated On"] == "03/04/2026"  # kept as typed, and listed:
    [problem] = [p for p in again.problems if p.kind == "bad-date"]
    assert (problem.sheet, problem.cell, problem.value) == ("Discrepancies", "R3", "03/04/2026")
    assert "March 4 or 3 April" in problem.message and problem in again.open_problems
    assert "bad-date" in {r["Kind"] for r in rows_of(again.results, "Problems")}


def test_the_date_order_setting_reads_an_ambiguous_date(counted):
    from dataclasses import replace

    cycle_dir, files, result = counted
    _type_dates(result.results, **{"WH-A-01_2": ("Investigated On", "03/04/2026")})
    config = Config(count=replace(Config().count, date_order="DMY"))
    again = ingest_cycle(cycle_dir, config, files)
    rows = {r["Line ID"]: r for r in rows_of(again.results, "Discrepancies")}
    assert rows["WH-A-01/2"]["Investigated On"] == dt.datetime(2026, 4, 3)
    assert not [p for p in again.problems if p.kind == "bad-date"]


@pytest.mark.parametrize("typed, expected", [
    ("2026-11-25", dt.date(2026, 11, 25)), ("11/25/2026", dt.date(2026, 11, 25)),
    ("25.11.2026", dt.date(2026, 11, 25)), ("25 Nov 2026", dt.date(2026, 11, 25)),
    ("Nov 25, 2026", dt.date(2026, 11, 25)), (46351, dt.date(2026, 11, 25)), ("4/4/2026", dt.date(2026, 4, 4))])
def test_dates_as_people_type_them(typed, expected):
    from cyclekit.domain.typed_dates import read_typed_date

    assert read_typed_date(typed) == expected


@pytest.mark.parametrize("typed", ["03/04/2026", "11/25/26", "31/02/2026", "next week"])
def test_dates_never_guessed(typed):
    from cyclekit.domain.typed_dates import read_typed_date

    with pytest.raises(ValueError):
        read_typed_date(typed)


def test_history_headers_are_read_whatever_their_case():
    from cyclekit.layouts.history import read_history

    rows = [["Cycle", "count date", "Finalized On", "Locations", "Lines Counted", "Discrepancies",
             "Discrepancy Rate", "Target Rate", "Net variance value", "ABSOLUTE VARIANCE VALUE", "Accuracy"],
            ["CC-1", dt.datetime(2026, 11, 23), dt.datetime(2026, 11, 25), 3, 10, 2, 0.2, 0.05, -4.41, 12.5, 0.9]]
    [row] = read_history(rows, "schedule.xlsx")
    assert (row.count_date, row.net_value, row.absolute_value) == (dt.date(2026, 11, 23), Decimal("-4.41"),
                                                                   Decimal("12.5"))


def test_text_below_a_table_and_a_column_of_a_cleared_line_are_kept(counted, tmp_path):
    from tests.helpers import fill_sheet
    from tests.test_cycle_flow import sheet_file

    cycle_dir, files, result = counted
    book = openpyxl.load_workbook(result.results)
    sheet = book["Discrepancies"]
    gl = sheet.max_column + 1
    sheet.cell(1, gl).value = "GL Account"
    sheet.cell(_row_of(sheet, "WH-A-01/2"), gl).value = "5100-INV"
    sheet.cell(_row_of(sheet, "WH-A-01/2"), _header_column(sheet, "Root Cause")).value = "Miscounted"
    variance = book["Variance"]
    variance.cell(variance.max_row + 3, 1).value = "Totals agreed with the GL on 11/26"
    book.save(result.results)
    # WH-A-01 line 2 corrected: its discrepancy is gone, its documentation moves to Cleared
    corrected = fill_sheet(sheet_file(cycle_dir, "WH-A-01"), tmp_path / "back" / "WH-A-01 filled.xlsx",
                           {1: 1200, 2: 10, 3: 40}, counted_by="Ana Ruiz")
    again = ingest_cycle(cycle_dir, Config(), [f for f in files if f != corrected] + [corrected])
    cleared = {r["Line ID"]: r for r in rows_of(again.results, "Cleared")}
    assert cleared["WH-A-01/2"]["GL Account"] == "5100-INV"
    assert "GL Account" in rows_of(again.results, "Discrepancies")[0]  # its own tab keeps the column
    kept = rows_of(again.results, "Kept from previous results")
    assert [(r["Tab"], r["Value"]) for r in kept] == [("Variance", "Totals agreed with the GL on 11/26")]


def test_a_note_beside_a_summary_written_before_layouts_were_recorded_is_kept(counted):
    import json

    cycle_dir, files, result = counted
    manifest_path = cycle_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    del manifest["ingests"][-1]["summary_layout"]  # as an earlier cyclekit left it
    write_manifest(cycle_dir, manifest)
    book = openpyxl.load_workbook(result.results)
    book["Summary"]["E5"] = "Checked by the CFO"
    book["Summary"]["K2"] = "Q4 close"
    book.save(result.results)
    again = ingest_cycle(cycle_dir, Config(), files)
    kept = rows_of(again.results, "Kept from previous results")
    assert sorted((r["Cell"], r["Value"]) for r in kept) == [("E5", "Checked by the CFO"), ("K2", "Q4 close")]


def test_a_renamed_problems_tab_keeps_its_resolutions(plant, tmp_path):  # noqa: F811
    report = start(plant, tmp_path, selection=Selection(locations=("WH-A-02",)))
    files = fill_all_right(report.cycle_dir, tmp_path / "back", {"WH-A-02": {1: "12 m"}})
    result = ingest_cycle(report.cycle_dir, Config(), files)
    assert len(result.open_problems) == 1
    book = openpyxl.load_workbook(result.results)
    sheet = book["Problems"]
    sheet.cell(2, _header_column(sheet, "Resolution")).value = "Counted again by hand: 12.5"
    sheet.title = "Issues"
    book.save(result.results)
    again = ingest_cycle(report.cycle_dir, Config(), files)
    assert again.open_problems == []
    assert rows_of(again.results, "Problems")[0]["Resolution"] == "Counted again by hand: 12.5"
