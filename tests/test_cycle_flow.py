"""A cycle end to end on a small plant: sheets, filled sheets, ingest, results."""

import datetime as dt
import json
import os
import re
import shutil
from pathlib import Path

import openpyxl
import pytest

from cyclekit.config import Config
from cyclekit.errors import CycleError, CyclekitError, InputError
from cyclekit.stages import schedule as api
from cyclekit.stages.ingest import ingest_cycle
from cyclekit.stages.sheets import Selection, start_cycle
from tests.helpers import (
    INVENTORY_HEADER,
    LOCATIONS_HEADER,
    fill_sheet,
    inventory_rows,
    location_rows,
    write_csv,
)

AS_OF = dt.date(2026, 11, 23)


@pytest.fixture
def plant(tmp_path):
    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, inventory_rows())
    locations = write_csv(tmp_path / "locations.csv", LOCATIONS_HEADER, location_rows())
    schedule = tmp_path / "schedule.xlsx"
    api.write_schedule(inventory, schedule, Config(), locations=locations, as_of=AS_OF)
    return schedule, inventory


def start(plant, tmp_path, name="cycle", **kwargs):
    schedule, inventory = plant
    kwargs.setdefault("selection", Selection(all=True))
    return start_cycle(schedule, inventory, tmp_path / name, Config(), as_of=AS_OF, **kwargs)


def manifest(cycle_dir):
    return json.loads((cycle_dir / "manifest.json").read_text())


def sheet_file(cycle_dir, location):
    record = next(s for s in manifest(cycle_dir)["sheets"] if s["location"] == location and s["kind"] == "count")
    return cycle_dir / record["file"]


def rows_of(path, tab, data_only=True):
    sheet = openpyxl.load_workbook(path, data_only=data_only)[tab]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:] if any(v is not None for v in row)]


# ---- sheets ------------------------------------------------------------------------------

def test_due_selection_reads_the_schedule(plant, tmp_path):
    report = start(plant, tmp_path, selection=Selection(due_within=7))
    names = [r["location"] for r in manifest(report.cycle_dir)["locations"]]
    # due: never counted (as-of), overdue WH-A-02 (2025) and MRB-01 (91 days from 2026-09-01 is after)
    assert "CAGE-01" in names and "EMPTY-9" in names and "WH-A-02" in names
    assert "LS-1" not in names  # counted 2026-11-20, 30-day cadence


def test_named_locations_and_unknown_location(plant, tmp_path):
    report = start(plant, tmp_path, selection=Selection(locations=("LS-1",)))
    assert [r["location"] for r in manifest(report.cycle_dir)["locations"]] == ["LS-1"]
    with pytest.raises(CyclekitError, match="not in the schedule: NOPE"):
        start(plant, tmp_path, name="other", selection=Selection(locations=("NOPE",)))
    assert not (tmp_path / "other").exists()


def test_sheets_are_blind(plant, tmp_path):
    report = start(plant, tmp_path)
    book = openpyxl.load_workbook(sheet_file(report.cycle_dir, "WH-A-01"))
    values = [c.value for ws in book for row in ws.iter_rows() for c in row if c.value is not None]
    assert "System Qty" not in values
    assert 1234 not in values and "1234" not in values and not any("1234" in str(v) for v in values)
    assert "000812" in values and "Floor Count" in values


def test_show_system_qty_adds_the_column(plant, tmp_path):
    report = start(plant, tmp_path, show_system_qty=True)
    sheet = openpyxl.load_workbook(sheet_file(report.cycle_dir, "WH-A-01")).worksheets[0]
    header = [c.value for c in sheet[7]]
    assert header[6] == "System Qty" and sheet.cell(8, 7).value == 1234
    assert sheet.page_setup.orientation == "portrait"  # narrower columns make room for it


def test_sheet_is_protected_and_only_inputs_are_editable(plant, tmp_path):
    report = start(plant, tmp_path)
    sheet = openpyxl.load_workbook(sheet_file(report.cycle_dir, "WH-A-01")).worksheets[0]
    assert sheet.protection.sheet
    assert sheet["G8"].protection.locked is False  # floor count of line 1
    assert sheet["H8"].protection.locked is False  # notes
    assert sheet["B8"].protection.locked is True and sheet["B8"].value == "000812"
    rules = {str(dv.sqref): (dv.type, dv.operator, dv.formula1) for dv in sheet.data_validations.dataValidation}
    assert rules["G8:G10"] == ("whole", "greaterThanOrEqual", "0")


def test_print_setup(plant, tmp_path):
    report = start(plant, tmp_path)
    sheet = openpyxl.load_workbook(sheet_file(report.cycle_dir, "WH-A-01")).worksheets[0]
    # OOXML default for fitToWidth is 1, so xlsxwriter leaves it out
    assert (sheet.page_setup.fitToWidth or 1) == 1 and sheet.page_setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$7:$7"
    # the sheet's own pages, numbered from 1 whatever tab it is in a workbook
    assert "WH-A-01" in sheet.oddHeader.left.text and "&P of 1" in sheet.oddHeader.right.text
    assert sheet.page_setup.useFirstPageNumber


def test_cycle_folder_manifest_and_frozen_snapshot(plant, tmp_path):
    report = start(plant, tmp_path)
    data = manifest(report.cycle_dir)
    assert data["cycle_id"] == report.cycle_id and data["as_of"] == "2026-11-23"
    snapshot = (report.cycle_dir / "snapshot.csv").read_text()
    assert "WH-A-01,1,000812,01," in snapshot and ",=SUM(A1)," in snapshot
    for record in data["sheets"]:
        assert len(record["sha256"]) == 64 and (report.cycle_dir / record["file"]).is_file()
    empty = next(r for r in data["locations"] if r["location"] == "EMPTY-9")
    assert empty["lines"] == 0
    assert report.unknown_to_inventory == ["EMPTY-9"]


def test_refuses_an_existing_cycle_folder(plant, tmp_path):
    start(plant, tmp_path)
    with pytest.raises(CycleError, match="already exists"):
        start(plant, tmp_path)


def test_packets_one_workbook_per_owner(plant, tmp_path):
    report = start(plant, tmp_path, packets=True)
    files = sorted(p.name for p in (report.cycle_dir / "packets").iterdir())
    assert files == ["Ana_Ruiz.xlsx", "Bo_Lind.xlsx", "Cy_Park.xlsx"]
    assert openpyxl.load_workbook(report.cycle_dir / "packets" / "Ana_Ruiz.xlsx").sheetnames == [
        "WH-A-01", "WH-A-02"]


# ---- ingest ------------------------------------------------------------------------------

def fill_all_right(cycle_dir, out_dir, changes=None, **extra):
    """Every listed line counted at its system quantity, with changes per location."""
    changes = changes or {}
    snapshot = {}
    for line in (cycle_dir / "snapshot.csv").read_text().splitlines()[1:]:
        import csv
        row = next(csv.reader([line]))
        snapshot.setdefault(row[0], {})[int(row[1])] = row[9]
    written = []
    for record in manifest(cycle_dir)["locations"]:
        name = record["location"]
        counts = {n: (int(float(q)) if float(q).is_integer() else float(q))
                  for n, q in snapshot.get(name, {}).items()}
        options = extra.get(name, {})
        counts.update(changes.get(name, {}))
        if not counts and "confirmed_empty" not in options:
            options = {**options, "confirmed_empty": "YES"}
        written.append(fill_sheet(sheet_file(cycle_dir, name), out_dir / f"{name} filled.xlsx",
                                  counts, counted_by=record["owner"] or "Dee", **options))
    return written


def test_ingest_all_right_has_no_discrepancy(plant, tmp_path):
    report = start(plant, tmp_path)
    files = fill_all_right(report.cycle_dir, tmp_path / "back")
    result = ingest_cycle(report.cycle_dir, Config(), files)
    f = result.figures
    assert (f.lines_sent, f.lines_counted, f.discrepancies, result.problems) == (8, 8, 0, [])
    assert f.discrepancy_rate == 0 and f.accuracy == 1
    assert result.missing == []
    assert rows_of(result.results, "Discrepancies") == []


def test_values_people_write(plant, tmp_path):
    report = start(plant, tmp_path, selection=Selection(locations=("WH-A-01", "WH-A-02")))
    back = tmp_path / "back"
    files = [
        fill_sheet(sheet_file(report.cycle_dir, "WH-A-01"), back / "a.xlsx",
                   {1: "1,200", 2: "12 ea", 3: "40.5"}, counted_by="Ana Ruiz"),
        fill_sheet(sheet_file(report.cycle_dir, "WH-A-02"), back / "b.xlsx",
                   {1: "twelve", 2: -1}, counted_by="Ana Ruiz"),
    ]
    result = ingest_cycle(report.cycle_dir, Config(), files)
    found = {(p.kind, p.cell, p.value) for p in result.problems}
    assert found == {("bad-count", "G9", "12 ea"), ("fraction-of-whole-unit", "G10", "40.5"),
                     ("bad-count", "G8", "twelve"), ("bad-count", "G9", "-1")}
    assert all(p.file.endswith(("a.xlsx", "b.xlsx")) and p.sheet for p in result.problems)
    variance = rows_of(result.results, "Variance")
    assert [(r["Part Number"], r["Counted Qty"]) for r in variance] == [("000812", 1200)]
    problems = rows_of(result.results, "Problems")
    assert len(problems) == 4 and problems[0]["Cell"] and problems[0]["Tab"] == "WH-A-01"


def test_blank_is_not_zero_and_confirmed_empty_is(plant, tmp_path):
    report = start(plant, tmp_path, selection=Selection(locations=("WH-A-02", "EMPTY-9", "LS-1")))
    back = tmp_path / "back"
    files = [fill_sheet(sheet_file(report.cycle_dir, "WH-A-02"), back / "a.xlsx", {1: 12.5}),
             fill_sheet(sheet_file(report.cycle_dir, "EMPTY-9"), back / "b.xlsx", confirmed_empty="YES"),
             fill_sheet(sheet_file(report.cycle_dir, "LS-1"), back / "c.xlsx", confirmed_empty="YES")]
    result = ingest_cycle(report.cycle_dir, Config(), files)
    variance = {r["Line ID"]: r for r in rows_of(result.results, "Variance")}
    assert "WH-A-02/2" not in variance  # left blank: not counted
    assert variance["LS-1/1"]["Counted Qty"] == 0 and variance["LS-1/1"]["Variance Qty"] == -25
    assert result.figures.lines_not_counted == 1
    assert result.missing == []


def test_found_item_has_system_zero(plant, tmp_path):
    report = start(plant, tmp_path, selection=Selection(locations=("LS-1",)))
    files = [fill_sheet(sheet_file(report.cycle_dir, "LS-1"), tmp_path / "back" / "c.xlsx", {1: 25},
                        found=[("0042-01", "02", "L9", "kg", 1.5)])]
    result = ingest_cycle(report.cycle_dir, Config(), files)
    found = next(r for r in rows_of(result.results, "Variance") if r["Line ID"] == "LS-1/F1")
    assert (found["Part Number"], found["System Qty"], found["Counted Qty"]) == ("0042-01", 0, 1.5)
    assert found["Unit Cost"] == pytest.approx(88.10)  # valued at the part's cost in the snapshot
    assert result.figures.found_items == 1
    # only the cycle's location is frozen line by line; the price list covers the whole export
    frozen = (report.cycle_dir / "snapshot.csv").read_text().splitlines()[1:]
    assert frozen and all(line.startswith("LS-1,") for line in frozen)
    costs = report.cycle_dir / "part_costs.csv"
    assert "0042-01,02,88.1,kg" in costs.read_text().splitlines()
    costs.write_text(costs.read_text().replace("0042-01,02,88.1,kg", "0042-01,02,1,kg"))
    with pytest.raises(CycleError, match="part_costs.csv is missing or changed"):
        ingest_cycle(report.cycle_dir, Config(), files)


def test_sheet_from_another_cycle_and_duplicates(plant, tmp_path):
    first = start(plant, tmp_path, name="one", selection=Selection(locations=("LS-1",)))
    second = start(plant, tmp_path, name="two", selection=Selection(locations=("LS-1",)))
    back = tmp_path / "back"
    foreign = fill_sheet(sheet_file(second.cycle_dir, "LS-1"), back / "foreign.xlsx", {1: 25})
    with pytest.raises(InputError) as refused:  # nothing of this cycle: nothing changes
        ingest_cycle(first.cycle_dir, Config(), [foreign])
    assert [p.kind for p in refused.value.problems] == ["other-cycle"]
    assert not (first.cycle_dir / "results.xlsx").exists()

    copy1 = fill_sheet(sheet_file(first.cycle_dir, "LS-1"), back / "copy1.xlsx", {1: 25})
    copy2 = fill_sheet(sheet_file(first.cycle_dir, "LS-1"), back / "copy2.xlsx", {1: 24})
    result = ingest_cycle(first.cycle_dir, Config(), [copy1, copy2])
    assert [p.kind for p in result.problems] == ["duplicate-sheet"]
    assert "copy1.xlsx" in result.problems[0].message and result.figures.lines_counted == 0
    # an untouched copy beside a filled one is not a duplicate
    result = ingest_cycle(first.cycle_dir, Config(), [sheet_file(first.cycle_dir, "LS-1"), copy2])
    assert result.problems == [] and result.figures.lines_counted == 1


def test_altered_listed_line_is_reported(plant, tmp_path):
    report = start(plant, tmp_path, selection=Selection(locations=("WH-A-01",)))

    def change_part(sheet):
        sheet["B8"].value = "000813"

    files = [fill_sheet(sheet_file(report.cycle_dir, "WH-A-01"), tmp_path / "back" / "a.xlsx",
                        {1: 1234, 2: 10, 3: 40}, edit=change_part)]
    result = ingest_cycle(report.cycle_dir, Config(), files)
    assert [(p.kind, p.cell) for p in result.problems] == [("altered-line", "B8")]
    assert result.figures.lines_counted == 2


def test_odd_identifiers_round_trip(plant, tmp_path):
    report = start(plant, tmp_path, selection=Selection(locations=("CAGE-01", "WH-A-01")))
    files = fill_all_right(report.cycle_dir, tmp_path / "back", {"CAGE-01": {1: 0}})
    result = ingest_cycle(report.cycle_dir, Config(), files)
    book = openpyxl.load_workbook(result.results)
    parts = [c for c in book["Discrepancies"]["B"] if c.value == "=SUM(A1)"]
    assert parts and parts[0].data_type == "s"
    variance = rows_of(result.results, "Variance")
    assert [(r["Part Number"], r["Revision"]) for r in variance][:3] == [
        ("=SUM(A1)", "A"), ("000812", "01"), ("000812", "1")]


def test_ingest_refuses_a_changed_snapshot_and_a_missing_manifest(plant, tmp_path):
    report = start(plant, tmp_path)
    path = report.cycle_dir / "snapshot.csv"
    path.write_text(path.read_text().replace("1234", "1300"))
    with pytest.raises(CycleError, match="changed since the sheets were made"):
        ingest_cycle(report.cycle_dir, Config())
    with pytest.raises(CycleError, match="not a cycle folder"):
        ingest_cycle(tmp_path, Config())


def test_outputs_are_readable_by_others_as_the_umask_allows(plant, tmp_path):
    report = start(plant, tmp_path)
    mode = (report.cycle_dir / "manifest.json").stat().st_mode & 0o777
    results = ingest_cycle(report.cycle_dir, Config(), fill_all_right(report.cycle_dir, tmp_path / "back")).results
    umask = os.umask(0)
    os.umask(umask)
    assert mode == results.stat().st_mode & 0o777 == 0o666 & ~umask


# ---- ingesting in several goes -----------------------------------------------------------

def test_a_late_sheet_adds_to_the_counts_it_does_not_replace_them(plant, tmp_path, monkeypatch):
    report = start(plant, tmp_path)
    files = fill_all_right(report.cycle_dir, tmp_path / "back")
    late = next(f for f in files if "LS-1" in f.name)
    first = ingest_cycle(report.cycle_dir, Config(), [f for f in files if f != late])
    assert first.missing == ["LS-1"]
    monkeypatch.chdir(tmp_path / "back")  # from wherever the lead happens to be
    again = ingest_cycle(report.cycle_dir, Config(), [Path(late.name)])
    assert again.missing == [] and again.problems == []
    assert again.figures.lines_counted == first.figures.lines_counted + 1
    recorded = [f["file"] for f in manifest(report.cycle_dir)["ingests"][-1]["files"]]
    # from outside the cycle: read from its copy in it, recorded relative to the folder
    assert sorted(recorded) == sorted(f"returned/{f.name}" for f in files)


def test_a_corrected_sheet_given_again_replaces_its_earlier_copy(plant, tmp_path):
    report = start(plant, tmp_path, selection=Selection(locations=("WH-A-01", "LS-1")))
    files = fill_all_right(report.cycle_dir, tmp_path / "back", {"WH-A-01": {1: 1200}})
    ingest_cycle(report.cycle_dir, Config(), files)
    fixed = fill_sheet(sheet_file(report.cycle_dir, "WH-A-01"), tmp_path / "fixed" / "WH-A-01 again.xlsx",
                       {1: 1234, 2: 10, 3: 40}, counted_by="Ana Ruiz")
    again = ingest_cycle(report.cycle_dir, Config(), [fixed])
    assert again.problems == [] and again.figures.discrepancies == 0
    assert again.figures.lines_counted == 4


def test_the_same_sheet_twice_is_one_sheet(plant, tmp_path):
    report = start(plant, tmp_path, selection=Selection(locations=("LS-1",)))
    [filled] = fill_all_right(report.cycle_dir, tmp_path / "back")
    copy = tmp_path / "back" / "LS-1 (copy).xlsx"
    shutil.copy(filled, copy)
    result = ingest_cycle(report.cycle_dir, Config(), [filled, filled, copy])
    assert result.problems == [] and result.figures.lines_counted == 1


def test_a_sheet_read_before_and_gone_now_is_reported(plant, tmp_path):
    report = start(plant, tmp_path, selection=Selection(locations=("WH-A-01", "LS-1")))
    files = fill_all_right(report.cycle_dir, tmp_path / "back")
    ingest_cycle(report.cycle_dir, Config(), files)
    (report.cycle_dir / "returned" / files[0].name).unlink()
    again = ingest_cycle(report.cycle_dir, Config())
    assert [(p.kind, p.file) for p in again.problems] == [("source-gone", f"returned/{files[0].name}")]


def test_quantities_show_as_typed_in_excel(plant, tmp_path):
    # "#,##0.###" shows 1234 as "1,234." in Excel and Google Sheets: count sheets are General
    report = start(plant, tmp_path, selection=Selection(locations=("WH-A-01",)))
    sheet = openpyxl.load_workbook(sheet_file(report.cycle_dir, "WH-A-01")).worksheets[0]
    header_row = next(r for r in range(1, 20) if sheet.cell(r, 1).value == "Line")
    floor = [c.value for c in sheet[header_row]].index("Floor Count") + 1
    assert sheet.cell(header_row + 1, floor).number_format == "General"
    files = fill_all_right(report.cycle_dir, tmp_path / "back", {"WH-A-01": {1: 1200}})
    result = ingest_cycle(report.cycle_dir, Config(), files)
    variance = openpyxl.load_workbook(result.results)["Variance"]
    header = [c.value for c in variance[1]]
    for name in ("System Qty", "Counted Qty", "Variance Qty"):
        cell = variance.cell(2, header.index(name) + 1)
        # results: thousands separated, a fixed number of decimals (never a "#" after the point)
        assert re.fullmatch(r"#,##0(\.0+)?", cell.number_format), name


def test_every_file_the_recount_tab_names_exists_with_the_tab_it_names(plant, tmp_path):
    """A lead looks a recount sheet up from the Recount tab: its File and Tab are the workbook and tab
    it was written to, through several ingests (a zone's workbook, a location's own file)."""
    report = start(plant, tmp_path, packets=True)
    back = tmp_path / "back"
    short = {"WH-A-01": {1: 1000, 2: 10, 3: 40}, "WH-A-02": {1: 1, 2: 0.75}, "CAGE-01": {1: 1, 2: 2}}
    files = [fill_sheet(sheet_file(report.cycle_dir, name), back / f"{name}.xlsx", counts, counted_by="Dee",
                        tab=name) for name, counts in short.items()]
    ingest_cycle(report.cycle_dir, Config(), files[:2])
    late = fill_sheet(sheet_file(report.cycle_dir, "LS-1"), back / "LS-1.xlsx", {1: 2, 2: 5}, counted_by="Bo",
                      tab="LS-1")
    result = ingest_cycle(report.cycle_dir, Config(), [files[2], late])
    rows = rows_of(result.results, "Recount")
    assert {r["Line ID"] for r in rows} >= {"WH-A-01/1", "WH-A-02/1", "LS-1/1"}
    assert len({r["File"] for r in rows}) >= 2  # written by two ingests
    for row in rows:
        path = report.cycle_dir / row["File"]
        assert path.is_file(), row
        tab = openpyxl.load_workbook(path, read_only=True)[row["Tab"]]
        labels = {r[1]: r[2] for r in tab.iter_rows(min_row=2, max_row=4, values_only=True)}
        header = {r[4]: r[5] for r in tab.iter_rows(min_row=2, max_row=4, values_only=True)}
        assert labels["Location"] == row["Location"] and header["Sheet"] == row["Recount Sheet"]
