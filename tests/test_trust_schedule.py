"""The schedule re-run: an export that lost the plant is refused, and what a person typed in the
schedule survives unless the locations file changed that field since the last run."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from click.testing import CliRunner

from cyclekit.backends.xlsx import render_xlsx
from cyclekit.cli import cli
from cyclekit.config import Config
from cyclekit.errors import CyclekitError
from cyclekit.layouts.history import HistoryRow
from cyclekit.layouts.schedule_reader import read_schedule
from cyclekit.layouts.schedule_update import updated_schedule
from cyclekit.stages import schedule as api
from tests import sheets_fake as fake_module
from tests.helpers import INVENTORY_HEADER, LOCATIONS_HEADER, inventory_rows, write_csv
from tests.test_gsheets import LOCATIONS

sheets_fake = fake_module.sheets_fake
gspread_client = fake_module.gspread_client

AS_OF = "2026-11-23"


def plant_rows(count: int = 50) -> list[list[object]]:
    """`count` locations, one line each, values from 10 to 10 x count."""
    return [[f"BIN-{i:02}", f"P-{i:03}", "", "part", "ea", "", "", "available", str(i), "10.00"]
            for i in range(1, count + 1)]


def run(*args: object) -> object:
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def big_schedule(tmp_path):
    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, plant_rows())
    schedule = tmp_path / "schedule.xlsx"
    assert run("schedule", inventory, "--as-of", AS_OF, "-o", schedule).exit_code == 0
    return schedule


def test_a_header_only_export_is_refused_and_the_schedule_is_untouched(big_schedule, tmp_path):
    before = big_schedule.read_bytes()
    empty = write_csv(tmp_path / "empty.csv", INVENTORY_HEADER, [])
    result = run("schedule", empty, "--as-of", AS_OF, "-o", big_schedule)
    assert result.exit_code == 1
    assert "no line to count" in result.output and "nothing was written" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert big_schedule.read_bytes() == before
    # a new file is refused as well: an empty schedule is never what was meant
    result = run("schedule", empty, "--as-of", AS_OF, "-o", tmp_path / "new.xlsx")
    assert result.exit_code == 1 and not (tmp_path / "new.xlsx").exists()


def test_an_export_whose_lines_are_all_left_out_says_why(tmp_path):
    rows = [[*row[:7], "installed", *row[8:]] for row in plant_rows(3)]
    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, rows)
    result = run("schedule", inventory, "-o", tmp_path / "s.xlsx")
    assert result.exit_code == 1 and "all 3 of its lines have a status left out (installed 3" in result.output


def test_an_export_that_lost_most_locations_is_refused_unless_forced(big_schedule, tmp_path):
    before = big_schedule.read_bytes()
    partial = write_csv(tmp_path / "partial.csv", INVENTORY_HEADER, plant_rows()[-4:])
    result = run("schedule", partial, "--as-of", AS_OF, "-o", big_schedule)
    assert result.exit_code == 1, result.output
    assert "46 of the 50 locations with stock" in result.output
    assert "BIN-01, BIN-02, BIN-03, BIN-04, BIN-05 and 41 more" in result.output
    assert "--force" in result.output and "nothing was written" in result.output
    assert big_schedule.read_bytes() == before
    result = run("schedule", partial, "--as-of", AS_OF, "-o", big_schedule, "--force")
    assert result.exit_code == 0, result.output
    assert len(read_schedule(big_schedule).entries) == 50  # the rows stay (added by hand or not)


def test_an_export_that_lost_most_of_the_value_is_refused(big_schedule, tmp_path):
    rows = plant_rows()
    rows = [row if int(row[8]) <= 30 else [*row[:8], "1", "10.00"] for row in rows]  # every location is there
    result = run("schedule", write_csv(tmp_path / "low.csv", INVENTORY_HEADER, rows), "--as-of", AS_OF,
                 "-o", big_schedule)
    assert result.exit_code == 1 and "0 of the 50 locations" in result.output
    assert "from 12,750.00 to 4,850.00 (62% less)" in result.output


def test_a_normal_rerun_is_not_refused(big_schedule, tmp_path):
    rows = plant_rows()[:-10]  # a fifth of the locations emptied: the plant moved stock
    result = run("schedule", write_csv(tmp_path / "next.csv", INVENTORY_HEADER, rows), "--as-of", AS_OF,
                 "-o", big_schedule)
    assert result.exit_code == 0, result.output


def test_sheets_refuses_an_export_with_no_line_at_the_chosen_locations(big_schedule, tmp_path):
    other_site = write_csv(tmp_path / "other.csv", INVENTORY_HEADER, inventory_rows())
    result = run("sheets", big_schedule, other_site, "--as-of", AS_OF, "--location", "BIN-01",
                 "--location", "BIN-02", "-o", tmp_path / "cycle")
    assert result.exit_code == 1
    assert "no line at any of the chosen locations (2 chosen: BIN-01, BIN-02)" in result.output
    assert not (tmp_path / "cycle").exists()
    empty = write_csv(tmp_path / "empty.csv", INVENTORY_HEADER, [])
    result = run("sheets", big_schedule, empty, "--as-of", AS_OF, "--all", "-o", tmp_path / "cycle")
    assert result.exit_code == 1 and "has no line to count" in result.output
    result = run("sheets", big_schedule, other_site, "--as-of", AS_OF, "--location", "BIN-01",
                 "-o", tmp_path / "cycle", "--force")
    assert result.exit_code == 0, result.output  # confirmed-empty sheets, as asked


# ---- what a person typed ---------------------------------------------------------------------



@pytest.fixture
def plant(tmp_path):
    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, inventory_rows())
    locations = write_csv(tmp_path / "locations.csv", LOCATIONS_HEADER, LOCATIONS)
    schedule = tmp_path / "schedule.xlsx"
    result = run("schedule", inventory, "--locations", locations, "--as-of", AS_OF, "-o", schedule)
    assert result.exit_code == 0, result.output
    return inventory, locations, schedule


def edit(schedule, changes: dict[tuple[str, str], object], drop_tab: str | None = None) -> None:
    """A person edits the schedule in Excel (openpyxl stands in for Excel here)."""
    book = openpyxl.load_workbook(schedule)
    sheet = book["Schedule"]
    headers = [c.value for c in sheet[1]]
    rows = {sheet.cell(r, 1).value: r for r in range(2, sheet.max_row + 1)}
    for (key, column), value in changes.items():
        sheet.cell(rows[key], headers.index(column) + 1).value = value
    if drop_tab:
        del book[drop_tab]
    book.save(schedule)


def rows_by_key(schedule) -> dict[str, dict[str, object]]:
    return {e.key: e.cells for e in read_schedule(schedule).entries}


def new_export(tmp_path):
    """The next week's export: quantities moved, the same locations."""
    rows = [[*row[:8], "30", row[9]] if row[1] == "PCB-0007" else row for row in inventory_rows()]
    return write_csv(tmp_path / "inventory-next.csv", INVENTORY_HEADER, rows)


def test_a_typed_cadence_and_owner_survive_a_rerun_on_a_new_export(plant, tmp_path):
    inventory, locations, schedule = plant
    assert rows_by_key(schedule)["WH-A-02"]["Cadence (days)"] == 365  # class C
    edit(schedule, {("WH-A-02", "Cadence (days)"): 45, ("CAGE-01", "Owner"): "Dee Marsh",
                    ("MRB-01", "Notes"): "count with QA", ("LS-1", "Zone"): "Line 2"})
    result = run("schedule", new_export(tmp_path), "--locations", locations, "--as-of", AS_OF, "-o", schedule)
    assert result.exit_code == 0, result.output
    rows = rows_by_key(schedule)
    assert rows["WH-A-02"]["Cadence (days)"] == 45
    assert rows["WH-A-02"]["Counts / Year"] == 8  # follows the typed cadence, not class C's 1
    assert rows["CAGE-01"]["Owner"] == "Dee Marsh" and rows["LS-1"]["Zone"] == "Line 2"
    assert rows["MRB-01"]["Notes"] == "count with QA"
    assert rows["WH-A-01"]["Cadence (days)"] == 365  # not typed: the rules' value
    assert "Kept as typed in the schedule: Cadence (days) at 1 location (WH-A-02)" in result.output
    assert "Kept as typed in the schedule: Owner at 1 location (CAGE-01)" in result.output
    assert "Kept as typed in the schedule: Zone at 1 location (LS-1)" in result.output
    # and again: a kept value stays kept run after run
    result = run("schedule", inventory, "--locations", locations, "--as-of", AS_OF, "-o", schedule)
    rows = rows_by_key(schedule)
    assert rows["WH-A-02"]["Cadence (days)"] == 45 and rows["CAGE-01"]["Owner"] == "Dee Marsh"


def test_a_field_the_locations_file_changed_since_the_last_run_replaces_the_typed_one(plant, tmp_path):
    inventory, _, schedule = plant
    edit(schedule, {("CAGE-01", "Owner"): "Dee Marsh", ("WH-A-02", "Cadence (days)"): 45})
    changed = [[*LOCATIONS[0][:2], "Eve Stone", *LOCATIONS[0][3:]], LOCATIONS[1],
               [*LOCATIONS[2][:2], "Fay Holt", "fay@plant.example.com", "", "60", ""], *LOCATIONS[3:]]
    locations = write_csv(tmp_path / "locations-2.csv", LOCATIONS_HEADER, changed)
    result = run("schedule", inventory, "--locations", locations, "--as-of", AS_OF, "-o", schedule)
    assert result.exit_code == 0, result.output
    rows = rows_by_key(schedule)
    assert rows["WH-A-01"]["Owner"] == "Eve Stone"  # not typed: follows the file
    assert rows["CAGE-01"]["Owner"] == "Fay Holt"  # typed, but the file changed it since: the file's
    assert rows["CAGE-01"]["Cadence (days)"] == 60
    assert rows["WH-A-02"]["Cadence (days)"] == 45  # typed, the file did not change it: kept
    assert ("Changed by the locations file since the last run: Owner at 2 locations (CAGE-01, WH-A-01), "
            "over what was typed at CAGE-01") in result.output
    assert "Kept as typed in the schedule: Cadence (days) at 1 location (WH-A-02)" in result.output


def test_a_cadence_nobody_typed_follows_the_class(plant, tmp_path):
    inventory, locations, schedule = plant
    assert rows_by_key(schedule)["WH-A-02"]["ABC Class"] == "C"
    rows = [[*row[:8], "5000", row[9]] if row[0] == "WH-A-02" else row for row in inventory_rows()]
    richer = write_csv(tmp_path / "richer.csv", INVENTORY_HEADER, rows)
    result = run("schedule", richer, "--locations", locations, "--as-of", AS_OF, "-o", schedule)
    assert result.exit_code == 0, result.output
    row = rows_by_key(schedule)["WH-A-02"]
    assert (row["ABC Class"], row["Cadence (days)"]) == ("A", 30)
    assert "Kept as typed" not in result.output


def test_a_rerun_without_the_locations_file_keeps_owners_and_zones(plant):
    inventory, _, schedule = plant
    result = run("schedule", inventory, "--as-of", AS_OF, "-o", schedule)
    assert result.exit_code == 0, result.output
    row = rows_by_key(schedule)["CAGE-01"]
    assert (row["Owner"], row["Zone"], row["Owner Email"]) == ("Bo Lind", "Cage", "bo@plant.example.com")


def test_a_schedule_written_before_the_last_run_tab_keeps_what_was_typed(plant, tmp_path):
    inventory, locations, schedule = plant
    edit(schedule, {("WH-A-02", "Cadence (days)"): 45, ("CAGE-01", "Owner"): "Dee Marsh"}, drop_tab="Last Run")
    result = run("schedule", new_export(tmp_path), "--locations", locations, "--as-of", AS_OF, "-o", schedule)
    assert result.exit_code == 0, result.output
    rows = rows_by_key(schedule)
    assert rows["WH-A-02"]["Cadence (days)"] == 45 and rows["CAGE-01"]["Owner"] == "Dee Marsh"
    assert rows["WH-A-01"]["Cadence (days)"] == 365


def test_finalize_keeps_the_last_run_tab_so_typed_values_stay_known(plant, tmp_path):
    inventory, locations, schedule = plant
    edit(schedule, {("WH-A-02", "Cadence (days)"): 45})
    history = HistoryRow("CC-1", dt.date(2026, 11, 23), dt.date(2026, 11, 24), 1, 3, 0, 0.0, 0, 0, 1.0)
    spec, _ = updated_schedule(read_schedule(schedule), {"WH-A-01": dt.date(2026, 11, 23)}, history,
                               Config(), dt.date(2026, 11, 24))
    render_xlsx(spec, schedule)
    assert "Last Run" in openpyxl.load_workbook(schedule).sheetnames
    result = run("schedule", inventory, "--locations", locations, "--as-of", AS_OF, "-o", schedule)
    assert result.exit_code == 0, result.output
    rows = rows_by_key(schedule)
    assert rows["WH-A-02"]["Cadence (days)"] == 45
    assert {e.key: e.last_count for e in read_schedule(schedule).entries}["WH-A-01"] == dt.date(2026, 11, 23)


def test_the_last_run_tab_is_hidden(plant):
    book = openpyxl.load_workbook(plant[2])
    assert book["Last Run"].sheet_state == "hidden"
    assert book.active.title == "Schedule"


def test_api_refuses_too_with_a_one_line_error(big_schedule, tmp_path):
    partial = write_csv(tmp_path / "partial.csv", INVENTORY_HEADER, plant_rows()[:3])
    with pytest.raises(CyclekitError) as caught:
        api.write_schedule(partial, big_schedule, Config(), as_of=dt.date(2026, 11, 23))
    assert "\n" not in str(caught.value)


# ---- the same in Google Sheets ----------------------------------------------------------------

def test_a_google_schedule_rerun_keeps_what_was_typed_in_place(plant, gspread_client, sheets_fake, tmp_path):
    from cyclekit.backends.gsheets import GoogleSession, GoogleTarget

    client, fake = gspread_client, sheets_fake
    google = GoogleTarget(GoogleSession(client, sleep=lambda s: None, progress=lambda t: None))
    inventory, locations, _ = plant
    as_of = dt.date(2026, 11, 23)
    url = api.write_schedule(inventory, None, Config(), locations=locations, as_of=as_of, google=google).output
    schedule_id = url.rsplit("/", 1)[1]
    sheet = client.open_by_key(schedule_id).worksheet("Schedule")
    where = {name: n for n, name in enumerate(sheet.col_values(1), start=1)}
    sheet.update([["45"]], f"I{where['WH-A-02']}", value_input_option="USER_ENTERED")
    sheet.update([["Dee Marsh"]], f"C{where['CAGE-01']}", value_input_option="USER_ENTERED")
    report = api.write_schedule(new_export(tmp_path), f"google:{schedule_id}", Config(), locations=locations,
                                as_of=as_of, google=google)
    assert report.output == url  # the same spreadsheet, updated in place
    assert report.kept == {"Owner": ["CAGE-01"], "Cadence (days)": ["WH-A-02"]}
    book = fake.spreadsheets[schedule_id]
    assert [s.title for s in book.sheets] == ["Schedule", "Calendar", "Settings", "Last Run"]
    assert book.sheet("Last Run").hidden
    schedule = book.sheet("Schedule")
    rows = {schedule.cell(f"A{r}").get("userEnteredValue", {}).get("stringValue"): r for r in range(2, 7)}
    assert schedule.cell(f"I{rows['WH-A-02']}")["userEnteredValue"]["numberValue"] == 45
    assert schedule.cell(f"C{rows['CAGE-01']}")["userEnteredValue"]["stringValue"] == "Dee Marsh"
    assert fake.count("drive.files.copy") == 1  # the schedule as it was, kept in Drive
    # an export that lost the plant is refused there too, before anything is sent
    fake.reset_counts()
    with pytest.raises(CyclekitError, match="nothing was written"):
        api.write_schedule(write_csv(tmp_path / "part.csv", INVENTORY_HEADER, inventory_rows()[:1]),
                           url, Config(), locations=locations, as_of=as_of, google=google)
    assert fake.count("spreadsheets.batchUpdate") == 0 and fake.count("drive.files.copy") == 0


def test_the_schedule_replaced_is_kept_beside_it(plant, tmp_path):
    inventory, locations, schedule = plant
    edit(schedule, {("MRB-01", "Notes"): "typed before the re-run"})
    before = schedule.read_bytes()
    result = run("schedule", inventory, "--locations", locations, "--as-of", AS_OF, "-o", schedule)
    assert result.exit_code == 0, result.output
    copies = sorted(tmp_path.glob("schedule-*.xlsx"))
    assert len(copies) == 1 and copies[0].read_bytes() == before
    assert f"The schedule as it was: {copies[0]}" in result.output
    run("schedule", inventory, "--locations", locations, "--as-of", AS_OF, "-o", schedule)
    assert len(list(tmp_path.glob("schedule-*.xlsx"))) == 2  # a copy never written over


def test_a_google_schedule_named_without_format_gsheets_says_what_to_add(tmp_path):
    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, inventory_rows())
    result = run("schedule", inventory, "-o", "google:1AbCdEf")
    assert result.exit_code == 1 and "add --format gsheets" in result.output


def _add_a_tab(schedule):
    book = openpyxl.load_workbook(schedule)  # openpyxl stands in for a person in Excel
    sheet = book.create_sheet("Audit notes")
    sheet["A1"], sheet["B1"], sheet["A2"], sheet["B2"] = "Part", "Note", "000812", "=SUM(A1) is a part"
    sheet["B2"].data_type = "s"  # typed as text (a leading ' in Excel), not a formula
    sheet["C2"] = 12.5
    book.save(schedule)


def _added_tab(schedule):
    book = openpyxl.load_workbook(schedule)
    assert "Audit notes" in book.sheetnames, book.sheetnames
    sheet = book["Audit notes"]
    return [[c.value for c in row] for row in sheet.iter_rows(min_row=1, max_row=2, max_col=3)]


def test_a_tab_a_person_added_to_the_schedule_survives_a_rerun_and_finalize(plant, tmp_path):
    inventory, locations, schedule = plant
    _add_a_tab(schedule)
    result = run("schedule", new_export(tmp_path), "--locations", locations, "--as-of", AS_OF, "-o", schedule)
    assert result.exit_code == 0, result.output
    assert "Kept the tab(s) added to the schedule: 'Audit notes'" in result.output
    expected = [["Part", "Note", None], ["000812", "=SUM(A1) is a part", 12.5]]
    assert _added_tab(schedule) == expected  # text stays text, never a number or a formula
    history = HistoryRow("CC-1", dt.date(2026, 11, 23), dt.date(2026, 11, 24), 1, 3, 0, 0.0, 0, 0, 1.0)
    spec, _ = updated_schedule(read_schedule(schedule), {"WH-A-01": dt.date(2026, 11, 23)}, history,
                               Config(), dt.date(2026, 11, 24))
    render_xlsx(spec, schedule)  # finalize moving the schedule on
    assert _added_tab(schedule) == expected
