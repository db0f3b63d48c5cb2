"""Counting by part (ION's second method): a schedule by part, a sheet per part listing every
location that holds it, filled as a counter would, ingested and finalized as any cycle."""

import datetime as dt
import json

import openpyxl
import pytest

from cyclekit.config import Config
from cyclekit.layouts.schedule_reader import read_schedule
from cyclekit.stages import schedule as api
from cyclekit.stages.finalize import finalize_cycle
from cyclekit.stages.ingest import ingest_cycle
from cyclekit.stages.sheets import Selection, start_cycle
from tests import sheets_fake as fake_module
from tests.helpers import INVENTORY_HEADER, LOCATIONS_HEADER, inventory_rows, location_rows, write_csv
from tests.test_results import document

sheets_fake = fake_module.sheets_fake
gspread_client = fake_module.gspread_client
AS_OF = dt.date(2026, 11, 23)
PARTS = ("000812", "0042-01")  # 000812 at WH-A-01 (two revisions) and MRB-01; 0042-01 at WH-A-02 (LS-1's is on order)


@pytest.fixture
def by_part(tmp_path):
    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, inventory_rows())
    locations = write_csv(tmp_path / "locations.csv", LOCATIONS_HEADER, location_rows())
    schedule = tmp_path / "schedule.xlsx"
    api.write_schedule(inventory, schedule, Config(), locations=locations, as_of=AS_OF, by="part")
    report = start_cycle(schedule, inventory, tmp_path / "cycle", Config(), as_of=AS_OF,
                         selection=Selection(locations=PARTS), cycle_id="CC-PART-1")
    return report, schedule


def table(path, tab=None):
    """The sheet's table as a counter reads it: the header row's names, each row by name."""
    sheet = openpyxl.load_workbook(path)[tab] if tab else openpyxl.load_workbook(path).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = next(r for r, row in enumerate(rows) if row[0] == "Line")
    names = rows[header]
    lines = [dict(zip(names, row)) for row in rows[header + 1:] if str(row[0] or "").isdigit()]
    return rows, lines


def fill(source, target, counts, counted_by):
    """The counter walks the locations and writes each count beside its location and line (openpyxl
    stands in for Excel), then signs."""
    book = openpyxl.load_workbook(source)
    sheet = book.worksheets[0]
    header = next(r for r in range(1, 20) if sheet.cell(r, 1).value == "Line")
    cols = {sheet.cell(header, c).value: c for c in range(1, sheet.max_column + 1)}
    for r in range(header + 1, sheet.max_row + 1):
        key = (sheet.cell(r, cols["Location"]).value, str(sheet.cell(r, 1).value))
        if key in counts:
            sheet.cell(r, cols["Floor Count"]).value = counts.pop(key)
        elif sheet.cell(r, 2).value == "Counted by":
            sheet.cell(r, 3).value = counted_by
    assert not counts, f"not on the sheet: {counts}"
    target.parent.mkdir(parents=True, exist_ok=True)
    book.save(target)
    return target


def by_line_id(results, tab):
    rows = list(openpyxl.load_workbook(results)[tab].iter_rows(values_only=True))
    return {row[rows[0].index("Line ID")]: dict(zip(rows[0], row)) for row in rows[1:] if any(row)}


def test_a_sheet_per_part_lists_every_location_holding_it_blind(by_part):
    report, _ = by_part
    assert (report.parts, report.locations, report.lines) == (2, 3, 4)
    assert sorted(p.relative_to(report.cycle_dir).as_posix() for p in report.files) == [
        "sheets/000812.xlsx", "sheets/0042-01.xlsx"]
    rows, lines = table(report.cycle_dir / "sheets/000812.xlsx")
    assert rows[0][0] == "Cycle count sheet: part 000812"
    assert [(r["Location"], r["Line"], r["Part Number"], r["Revision"]) for r in lines] == [
        ("WH-A-01", "1", "000812", "01"), ("WH-A-01", "2", "000812", "1"), ("MRB-01", "1", "000812", "01")]
    assert "System Qty" not in rows[6]
    numbers = {v for row in rows for v in row if isinstance(v, int | float)}
    assert not numbers & {1234, 10, 100}  # no system quantity anywhere in the file
    texts = [str(v) for row in rows for v in row if v is not None]
    assert not any(t.startswith("Found on the shelf") or t.startswith("Location confirmed empty") for t in texts)
    manifest = json.loads((report.cycle_dir / "manifest.json").read_text())
    assert [(s["sheet_id"], s["location"], s["tab"], s["lines"]) for s in manifest["sheets"]] == [
        ("S001/WH-A-01", "WH-A-01", "000812", [1, 2]), ("S001/MRB-01", "MRB-01", "000812", [1]),
        ("S002/WH-A-02", "WH-A-02", "0042-01", [1])]
    frozen = (report.cycle_dir / "snapshot.csv").read_text().splitlines()[1:]
    assert [line.split(",")[:3] for line in frozen] == [
        ["WH-A-01", "1", "000812"], ["WH-A-01", "2", "000812"], ["WH-A-02", "1", "0042-01"], ["MRB-01", "1", "000812"]]


def test_a_cycle_by_part_from_sheets_to_finalize(by_part, tmp_path):
    report, schedule = by_part
    cycle = report.cycle_dir
    back = tmp_path / "back"
    files = [fill(cycle / "sheets/000812.xlsx", back / "bolts.xlsx",
                  {("WH-A-01", "1"): 1234, ("WH-A-01", "2"): 7, ("MRB-01", "1"): 100}, "Ana Ruiz"),
             fill(cycle / "sheets/0042-01.xlsx", back / "adhesive.xlsx", {("WH-A-02", "1"): "0.75"}, "Bo Lind")]
    result = ingest_cycle(cycle, Config(), files, today=AS_OF)
    assert result.problems == [] and result.missing == []
    assert (result.figures.lines_sent, result.figures.lines_counted) == (4, 4)
    counted = by_line_id(result.results, "Variance")
    got = {line_id: (r["Counted Qty"], r["Counted By"], r["Sheet"]) for line_id, r in counted.items()}
    assert got == {"WH-A-01/1": (1234, "Ana Ruiz", "S001/WH-A-01"), "WH-A-01/2": (7, "Ana Ruiz", "S001/WH-A-01"),
                   "MRB-01/1": (100, "Ana Ruiz", "S001/MRB-01"), "WH-A-02/1": (0.75, "Bo Lind", "S002/WH-A-02")}
    assert counted["WH-A-01/2"]["System Qty"] == 10 and counted["MRB-01/1"]["System Qty"] == 100
    assert list(by_line_id(result.results, "Discrepancies")) == ["WH-A-01/2"]
    document(result.results, "WH-A-01/2", Root_Cause="Miscounted during cycle count", Status="Resolved",
             Approved_By="Dana Whitfield", Approval_Date=dt.datetime(2026, 11, 24))
    done = finalize_cycle(cycle, schedule, Config(), targets=["generic"], today=dt.date(2026, 11, 24))
    adjustments = done.files[0].read_text().splitlines()
    assert len(adjustments) == 2  # the header and the one line that differs
    assert adjustments[1].startswith("WH-A-01,000812,1,,ea,10,7,-3,0.15,-0.45,")
    moved = {e.key: e.last_count for e in read_schedule(schedule).entries}
    assert moved["000812"] == moved["0042-01"] == AS_OF  # the parts counted move on
    assert all(moved[part] != AS_OF for part in moved if part not in PARTS)


def test_a_row_inserted_on_a_part_sheet_holds_the_line_next_to_it_at_its_location(by_part, tmp_path):
    """Line numbers repeat from one location to the next (WH-A-01's line 1, MRB-01's line 1): a row
    inserted below MRB-01's line holds that line, not WH-A-01's."""
    report, _ = by_part
    filled = fill(report.cycle_dir / "sheets/000812.xlsx", tmp_path / "bolts.xlsx",
                  {("WH-A-01", "1"): 1234, ("WH-A-01", "2"): 10, ("MRB-01", "1"): 100}, "Ana Ruiz")
    book = openpyxl.load_workbook(filled)
    sheet = book.worksheets[0]
    sheet.protection.sheet = False
    mrb = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 2).value == "MRB-01")
    sheet.insert_rows(mrb + 1)
    sheet.cell(mrb + 1, 3).value, sheet.cell(mrb + 1, 9).value = "000812", 4
    book.save(filled)
    result = ingest_cycle(report.cycle_dir, Config(), [filled], today=AS_OF)
    [inserted] = [p for p in result.problems if p.kind == "inserted-row"]
    assert inserted.line_id == "MRB-01/1" and "below line 1" in inserted.message
    counted = by_line_id(result.results, "Variance")
    assert counted["WH-A-01/1"]["Counted Qty"] == 1234 and counted["WH-A-01/2"]["Counted Qty"] == 10
    assert "MRB-01/1" not in counted  # held: not counted


def test_the_command_says_how_many_parts_at_how_many_locations(tmp_path):
    from click.testing import CliRunner

    from cyclekit.cli import cli

    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, inventory_rows())
    schedule = tmp_path / "schedule.xlsx"
    runner = CliRunner()
    made = runner.invoke(cli, ["schedule", str(inventory), "--by", "part", "--as-of", "2026-11-23",
                               "-o", str(schedule)])
    assert made.exit_code == 0, made.output
    result = runner.invoke(cli, ["sheets", str(schedule), str(inventory), "--as-of", "2026-11-23",
                                 "--location", "000812", "-o", str(tmp_path / "cycle")])
    assert result.exit_code == 0, result.output
    assert "1 part at 2 locations, 3 lines" in result.output


def test_a_line_of_a_part_sheet_is_recounted_on_its_locations_recount_sheet(by_part, tmp_path):
    from tests.helpers import fill_sheet

    report, _ = by_part
    counted = fill(report.cycle_dir / "sheets/000812.xlsx", tmp_path / "bolts.xlsx",
                   {("WH-A-01", "1"): 1234, ("WH-A-01", "2"): 10, ("MRB-01", "1"): 50}, "Ana Ruiz")
    first = ingest_cycle(report.cycle_dir, Config(), [counted], today=AS_OF)
    [workbook] = first.recount_files
    assert openpyxl.load_workbook(workbook).sheetnames == ["MRB-01"]  # half the stock missing: Major
    recounted = fill_sheet(workbook, tmp_path / "recount.xlsx", {1: 98}, counted_by="Bo Lind", tab="MRB-01")
    again = ingest_cycle(report.cycle_dir, Config(), [recounted], today=AS_OF)
    line = by_line_id(again.results, "Variance")["MRB-01/1"]
    assert (line["Counted Qty"], line["Recounted By"], line["First Count"]) == (98, "Bo Lind", 50)
    assert by_line_id(again.results, "Variance")["WH-A-01/1"]["Counted Qty"] == 1234  # the first count stands


def test_a_part_sheet_in_google_sheets_is_read_back_location_by_location(tmp_path, gspread_client, sheets_fake):
    from cyclekit.backends.gsheets import GoogleSession, GoogleTarget

    google = GoogleTarget(GoogleSession(gspread_client, sleep=lambda s: None, progress=lambda t: None))
    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, inventory_rows())
    schedule = tmp_path / "schedule.xlsx"
    api.write_schedule(inventory, schedule, Config(), as_of=AS_OF, by="part")
    report = start_cycle(schedule, inventory, tmp_path / "cycle", Config(), as_of=AS_OF,
                         selection=Selection(locations=("000812",)), google=google)
    spreadsheet = json.loads((report.cycle_dir / "manifest.json").read_text())["google"]["count_sheets"]["id"]
    tab = google.session.client.open_by_key(spreadsheet).worksheet("000812")
    header = tab.row_values(7)
    floor = chr(65 + header.index("Floor Count"))
    typed = {("WH-A-01", "1"): "1234", ("WH-A-01", "2"): "9", ("MRB-01", "1"): "100"}
    for r, row in enumerate(tab.get_all_values()[7:], start=8):
        key = (row[header.index("Location")], row[0])
        if key in typed:
            tab.update([[typed[key]]], f"{floor}{r}", value_input_option="USER_ENTERED")
    result = ingest_cycle(report.cycle_dir, Config(), google=google, today=AS_OF)
    variance = by_line_id(result.results, "Variance")
    assert {k: v["Counted Qty"] for k, v in variance.items()} == {"WH-A-01/1": 1234, "WH-A-01/2": 9,
                                                                  "MRB-01/1": 100}


def test_a_part_sheet_whose_locations_have_several_owners_is_named_once_and_not_sent(by_part, tmp_path):
    """000812 lies at WH-A-01 (Ana) and MRB-01 (Cy): its one sheet has no single address to go to,
    and is named once by its tab, not once per location; 0042-01 goes to Ana."""
    from email import message_from_bytes, policy

    from cyclekit.stages.send import send_cycle

    report, _ = by_part
    sent = send_cycle(report.cycle_dir, Config(), dry_run=tmp_path / "out")
    assert sent.no_address == ["000812"]
    [message] = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in (tmp_path / "out").glob("*.eml")]
    assert message["To"] == "Ana Ruiz <ana@plant.example.com>"
    assert [part.get_filename() for part in message.iter_attachments()] == ["0042-01.xlsx"]
