"""Google Sheets through gspread's real code, against the offline fake (validated against the
published Sheets v4 discovery document): same workbooks, same results, few requests."""

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from cyclekit import api
from cyclekit.cli import cli
from cyclekit.config import Config
from cyclekit.errors import CyclekitError
from cyclekit.finalize import finalize_cycle
from cyclekit.ingest import ingest_cycle
from cyclekit.start_cycle import Selection, start_cycle
from cyclekit.workbook import gsheets
from cyclekit.workbook.gsheets import GoogleError, GoogleSession, GoogleTarget, chunked
from tests import sheets_fake as fake_module
from tests.helpers import INVENTORY_HEADER, LOCATIONS_HEADER, fill_sheet, inventory_rows, write_csv
from tests.test_cycle_flow import rows_of

sheets_fake = fake_module.sheets_fake
gspread_client = fake_module.gspread_client

AS_OF = dt.date(2026, 11, 23)
LOCATIONS = [["WH-A-01", "Warehouse A", "Ana Ruiz", "ana@plant.example.com", "", "", "2026-11-01"],
             ["WH-A-02", "Warehouse A", "Ana Ruiz", "ana@plant.example.com", "", "", "2025-01-05"],
             ["CAGE-01", "Cage", "Bo Lind", "bo@plant.example.com", "", "", ""],
             ["LS-1", "Lineside", "Bo Lind", "bo@plant.example.com", "high", "", "2026-11-20"],
             ["MRB-01", "MRB", "Cy Park", "cy@plant.example.com", "", "", "2026-09-01"]]


@pytest.fixture
def plant(tmp_path):
    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, inventory_rows())
    locations = write_csv(tmp_path / "locations.csv", LOCATIONS_HEADER, LOCATIONS)
    schedule = tmp_path / "schedule.xlsx"
    api.write_schedule(inventory, schedule, Config(), locations=locations, as_of=AS_OF)
    return inventory, locations, schedule


@pytest.fixture
def google(gspread_client):
    return GoogleTarget(GoogleSession(gspread_client, sleep=lambda s: None, progress=lambda t: None))


def test_schedule_in_two_requests_plus_sharing(plant, google, sheets_fake):
    inventory, locations, _ = plant
    report = api.write_schedule(inventory, None, Config(), locations=locations, as_of=AS_OF, google=google)
    assert report.output.startswith("https://docs.google.com/spreadsheets/d/")
    assert sheets_fake.count("spreadsheets.create") == 1
    assert sheets_fake.count("spreadsheets.batchUpdate") == 1
    assert sheets_fake.count("drive.permissions.create") == 3  # ana, bo, cy
    [book] = sheets_fake.spreadsheets.values()
    assert book.properties["locale"] == "en_US"
    schedule = book.sheet("Schedule")
    assert schedule.cell("K2")["userEnteredValue"]["formulaValue"].startswith('=IF(J2="",AsOfDate')
    assert schedule.frozen_row_count == 1 and schedule.basic_filter
    named = {n["name"]: n["range"] for n in book.named_ranges}
    assert set(named) == {"AsOfDate", "DueSoonDays"}
    assert named["AsOfDate"]["startRowIndex"] == 1 and named["AsOfDate"]["startColumnIndex"] == 1
    assert len(schedule.conditional_formats) == 2


def test_identifiers_are_typed_text_never_parsed(plant, google, sheets_fake):
    inventory, locations, _ = plant
    api.write_schedule(inventory, None, Config(), locations=locations, as_of=AS_OF, by="part", google=google)
    [book] = sheets_fake.spreadsheets.values()
    keys = [book.sheet("Schedule").cell(f"A{r}").get("userEnteredValue") for r in range(2, 9)]
    assert {"stringValue": "=SUM(A1)"} in keys and {"stringValue": "000812"} in keys
    assert {"stringValue": "1E5"} in keys and {"stringValue": "1.50"} in keys


def test_count_sheets_and_ingest_match_the_xlsx_path(plant, google, sheets_fake, tmp_path):
    inventory, _, schedule = plant
    selection = Selection(locations=("WH-A-01", "WH-A-02", "CAGE-01", "LS-1"))
    start_cycle(schedule, inventory, tmp_path / "x", Config(), selection=selection, as_of=AS_OF,
                       cycle_id="CC-SAME")
    report = start_cycle(schedule, inventory, tmp_path / "g", Config(), selection=selection, as_of=AS_OF,
                         cycle_id="CC-SAME", google=google)
    assert sheets_fake.count("spreadsheets.create") == 1 and sheets_fake.count("spreadsheets.batchUpdate") == 1
    assert sheets_fake.count("drive.permissions.create") == 2  # each owner once
    manifest = json.loads((report.cycle_dir / "manifest.json").read_text())
    spreadsheet_id = manifest["google"]["count_sheets"]["id"]
    book = sheets_fake.spreadsheets[spreadsheet_id]
    tab = book.sheet("WH-A-01")
    assert tab.protected_ranges and tab.protected_ranges[0]["unprotectedRanges"]

    # counters type into the Google tabs (USER_ENTERED, as a person types) and into the xlsx
    typed = {"WH-A-01": {1: "1,200", 2: "12 ea", 3: "40"}, "WH-A-02": {1: "12.75"}, "CAGE-01": {1: "0"},
             "LS-1": {1: "25"}}
    sheet = google.session.client.open_by_key(spreadsheet_id)
    for location, counts in typed.items():
        ws = sheet.worksheet(location)
        column = chr(65 + ws.row_values(7).index("Floor Count"))  # a Serial column moves it right
        for line, value in counts.items():
            ws.update([[value]], f"{column}{7 + line}", value_input_option="USER_ENTERED")
    files = [fill_sheet(tmp_path / "x" / "sheets" / f"{loc}.xlsx", tmp_path / "back" / f"{loc}.xlsx",
                        {n: _typed_as_excel(v) for n, v in counts.items()}) for loc, counts in typed.items()]

    sheets_fake.reset_counts()
    from_google = ingest_cycle(report.cycle_dir, Config(), google=google)
    assert sheets_fake.count("values.batchGet") == 1 and sheets_fake.count("read") == 1
    from_xlsx = ingest_cycle(tmp_path / "x", Config(), files)
    assert _variance(from_google.results) == _variance(from_xlsx.results)
    assert [(p.kind, p.cell, p.value) for p in from_google.problems] == [("bad-count", "G9", "12 ea")]
    assert from_google.figures.lines_counted == from_xlsx.figures.lines_counted == 5


def _typed_as_excel(text):
    try:
        return float(text.replace(",", "")) if text.replace(",", "").replace(".", "").isdigit() else text
    except ValueError:
        return text


def _variance(path):
    return [(r["Line ID"], r["Part Number"], r["Counted Qty"], r["Variance Qty"]) for r in rows_of(path, "Variance")]


def test_results_in_google_and_finalize_reads_the_documentation_there(plant, google, sheets_fake, tmp_path):
    inventory, _, schedule = plant
    report = start_cycle(schedule, inventory, tmp_path / "c", Config(), selection=Selection(locations=("CAGE-01",)),
                         as_of=AS_OF, google=google)
    spreadsheet_id = json.loads((report.cycle_dir / "manifest.json").read_text())["google"]["count_sheets"]["id"]
    google.session.client.open_by_key(spreadsheet_id).worksheet("CAGE-01").update(
        [["0"]], "H8", value_input_option="USER_ENTERED")  # Floor Count: after the Serial column
    result = ingest_cycle(report.cycle_dir, Config(), google=google, results_to_google=True)
    assert result.url
    with pytest.raises(CyclekitError, match="no Approved By"):
        finalize_cycle(report.cycle_dir, schedule, Config(), targets=["generic"], google=google)
    results_id = json.loads((report.cycle_dir / "manifest.json").read_text())["google"]["results"]["id"]
    ws = google.session.client.open_by_key(results_id).worksheet("Discrepancies")
    header = ws.row_values(1)
    for name, value in {"Root Cause": "Theft or loss", "Approved By": "Dana", "Approval Date": "2026-11-25"}.items():
        col = header.index(name) + 1
        ws.update([[value]], f"{chr(64 + col)}2", value_input_option="USER_ENTERED")
    done = finalize_cycle(report.cycle_dir, schedule, Config(), targets=["generic"], google=google)
    text = done.files[0].read_text()
    assert "=SUM(A1)" in text and "Theft or loss" in text and "Dana" in text


def test_429_is_retried_with_a_progress_line(gspread_client, sheets_fake):
    waits, lines = [], []
    session = GoogleSession(gspread_client, sleep=waits.append, progress=lines.append)
    sheets_fake.inject_fault(429, times=2)
    spec = _tiny_spec()
    made = gsheets.render_gsheets(spec, session)
    assert made.spreadsheet_id and len(waits) == 2 and "429" in lines[0]
    assert waits[1] > waits[0] * 0.5  # backs off


def test_quota_403_is_one_clear_sentence_at_once(gspread_client, sheets_fake):
    session = GoogleSession(gspread_client, sleep=lambda s: pytest.fail("must not wait"), progress=lambda t: None)
    sheets_fake.inject_fault("storageQuotaExceeded")
    with pytest.raises(GoogleError, match="service account has no Drive storage.*--folder"):
        gsheets.render_gsheets(_tiny_spec(), session, folder_id="abc")


def test_retries_are_bounded(gspread_client, sheets_fake):
    session = GoogleSession(gspread_client, sleep=lambda s: None, progress=lambda t: None, max_wait=5)
    sheets_fake.inject_fault(503, times=50)
    with pytest.raises(GoogleError, match="kept answering 503"):
        gsheets.render_gsheets(_tiny_spec(), session)


def test_folder_path(gspread_client, sheets_fake):
    folder = sheets_fake.new_folder("Cycle counts")
    session = GoogleSession(gspread_client, sleep=lambda s: None, progress=lambda t: None)
    made = gsheets.render_gsheets(_tiny_spec(two_tabs=True), session, folder_id=folder)
    assert made.requests == 2  # Drive create in the folder + one batchUpdate
    book = sheets_fake.spreadsheets[made.spreadsheet_id]
    assert [s.title for s in book.sheets] == ["One", "Two"]


def test_big_batches_are_split_under_the_payload_guidance():
    requests = [{"updateCells": {"rows": [{"values": [{"userEnteredValue": {"stringValue": "x" * 1000}}]}],
                                 "fields": "userEnteredValue", "start": {"sheetId": 0}}}] * 5000
    chunks = chunked(requests)
    assert len(chunks) == 4 and sum(len(c) for c in chunks) == 5000  # 5.5 MB in parts under 1.8 MB
    assert all(len(json.dumps(c)) < 2_000_000 for c in chunks)


def test_missing_extra_says_what_to_install(monkeypatch):
    import builtins

    real = builtins.__import__

    def no_gspread(name, *args, **kwargs):
        if name == "gspread":
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_gspread)
    with pytest.raises(CyclekitError, match=r"pip install 'cyclekit\[gsheets\]'"):
        gsheets.gspread_module()


def test_cli_format_gsheets_and_bad_credentials(plant, gspread_client, sheets_fake, monkeypatch, tmp_path):
    inventory, locations, _ = plant
    monkeypatch.setattr(gsheets, "google_client", lambda credentials=None: gspread_client)
    result = CliRunner().invoke(cli, ["schedule", str(inventory), "--locations", str(locations), "--as-of",
                                      "2026-11-23", "--format", "gsheets"])
    assert result.exit_code == 0, result.output
    assert "https://docs.google.com/spreadsheets/d/" in result.output
    monkeypatch.undo()
    result = CliRunner().invoke(cli, ["schedule", str(inventory), "--format", "gsheets",
                                      "--credentials", str(tmp_path / "missing.json")])
    assert result.exit_code == 1 and "credentials file not found" in result.output
    assert "Traceback" not in result.output


def _tiny_spec(two_tabs=False):
    from cyclekit.workbook.spec import Column, Sheet, WorkbookSpec

    sheets = [Sheet("One", columns=[Column("A", 10)], rows=[["000812", 1.5]])]
    if two_tabs:
        sheets.append(Sheet("Two", columns=[Column("B", 10)], rows=[["x"]]))
    return WorkbookSpec(sheets, title="tiny")


def test_the_whole_cycle_in_google_moves_the_google_schedule_on(plant, google, sheets_fake, tmp_path):
    inventory, locations, _ = plant
    url = api.write_schedule(inventory, None, Config(), locations=locations, as_of=AS_OF, google=google).output
    schedule_id = url.rsplit("/", 1)[1]
    # the lead edits the Google schedule: a cadence and a note
    sheet = google.session.client.open_by_key(schedule_id).worksheet("Schedule")
    where = {name: n for n, name in enumerate(sheet.col_values(1), start=1)}
    sheet.update([["45"]], f"I{where['LS-1']}", value_input_option="USER_ENTERED")
    sheet.update([["ask for the key"]], f"N{where['CAGE-01']}", value_input_option="USER_ENTERED")
    report = start_cycle(f"google:{schedule_id}", inventory, tmp_path / "c", Config(),
                         selection=Selection(locations=("LS-1",)), as_of=AS_OF, google=google)
    sheets_id = json.loads((report.cycle_dir / "manifest.json").read_text())["google"]["count_sheets"]["id"]
    google.session.client.open_by_key(sheets_id).worksheet("LS-1").update(
        [["25"]], "G8", value_input_option="USER_ENTERED")
    ingest_cycle(report.cycle_dir, Config(), google=google, results_to_google=True)
    sheets_fake.reset_counts()
    finalize_cycle(report.cycle_dir, f"google:{schedule_id}", Config(), targets=["generic"], google=google)
    book = sheets_fake.spreadsheets[schedule_id]
    assert [s.title for s in book.sheets] == ["Schedule", "Calendar", "History", "Settings"]
    schedule = book.sheet("Schedule")
    rows = {schedule.cell(f"A{r}").get("userEnteredValue", {}).get("stringValue"): r for r in range(2, 8)}
    ls = rows["LS-1"]
    assert schedule.cell(f"J{ls}")["userEnteredValue"]["numberValue"] == (AS_OF - dt.date(1899, 12, 30)).days
    assert schedule.cell(f"I{ls}")["userEnteredValue"]["numberValue"] == 45  # the lead's cadence stays
    assert schedule.cell(f"N{rows['CAGE-01']}")["userEnteredValue"]["stringValue"] == "ask for the key"
    assert {n["name"] for n in book.named_ranges} == {"AsOfDate", "DueSoonDays"}
    assert sheets_fake.count("drive.files.copy") == 1  # the schedule as it was, kept in Drive
    assert sheets_fake.count("spreadsheets.batchUpdate") == 1


def test_google_count_sheets_still_print(soffice, plant, google, tmp_path):
    inventory, _, schedule = plant
    report = start_cycle(schedule, inventory, tmp_path / "c", Config(), as_of=AS_OF, google=google, pdf=True,
                         selection=Selection(locations=("WH-A-01", "LS-1")))
    assert sorted(p.name for p in report.pdfs) == ["LS-1.pdf", "WH-A-01.pdf"]
    assert all(p.stat().st_size > 1000 for p in report.pdfs)
