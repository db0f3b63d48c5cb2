"""Edge cases of the inputs a user review found: location spellings, future last counts,
a schedule with nothing to count, and a schedule file that is missing or not an .xlsx."""

import datetime as dt

import openpyxl
import pytest
from click.testing import CliRunner

from cyclekit.backends.reader import WorkbookReader
from cyclekit.cli import cli
from cyclekit.config import Config
from cyclekit.errors import InputError
from cyclekit.inputs.locations import load_locations
from cyclekit.stages import schedule as api
from tests.helpers import INVENTORY_HEADER, LOCATIONS_HEADER, inventory_rows, write_csv

AS_OF = dt.date(2026, 11, 23)


@pytest.fixture
def runner():
    return CliRunner()


def location_row(location, last_count="", cadence_days=""):
    return [location, "Warehouse A", "Ana Ruiz", "ana@plant.example.com", "", cadence_days, last_count]


def problems_of(path, **kwargs):
    with pytest.raises(InputError) as caught:
        load_locations(path, **kwargs)
    return caught.value


# --- 1. one location, two spellings -----------------------------------------------------------


def test_location_that_differs_only_in_case_is_a_problem(tmp_path):
    path = write_csv(tmp_path / "locations.csv", LOCATIONS_HEADER,
                     [location_row("WH-A-01-01", "2026-11-01"), location_row("wh-a-01-01")])
    error = problems_of(path)
    assert [(p.kind, p.row, p.column, p.value) for p in error.problems] == [
        ("location-spelling", 3, "location", "wh-a-01-01")]
    assert "locations.csv, row 3, column 'location': same location as row 2 ('WH-A-01-01')" in str(error)


def test_location_spelled_otherwise_than_in_the_inventory_is_a_problem(tmp_path):
    path = write_csv(tmp_path / "locations.csv", LOCATIONS_HEADER,
                     [location_row("wh-a-01-01", "2026-11-01"), location_row("WH-A-01-02")])
    error = problems_of(path, inventory=["WH-A-01-01", "WH-A-01-02"])
    assert [(p.kind, p.row, p.value) for p in error.problems] == [("location-spelling", 2, "wh-a-01-01")]
    assert "the inventory spells this location 'WH-A-01-01'" in str(error)


def test_locations_stay_exactly_as_typed(tmp_path):
    path = write_csv(tmp_path / "locations.csv", LOCATIONS_HEADER,
                     [location_row("wh-a-01-01"), location_row("Cage 1")])
    assert list(load_locations(path, inventory=["wh-a-01-01", "CAGE-01"])) == ["wh-a-01-01", "Cage 1"]


def test_location_listed_twice_names_the_first_row(tmp_path):
    # locations are exact: ' X ' is another spelling of 'X' (a problem), 'X' twice is listed twice
    path = write_csv(tmp_path / "locations.csv", LOCATIONS_HEADER,
                     [location_row("wh-a-01-01"), location_row(" WH-A-01-01 "), location_row("wh-a-01-01")])
    error = problems_of(path)
    assert [(p.kind, p.row) for p in error.problems] == [("location-spelling", 3), ("duplicate-location", 4)]
    assert "row 4, column 'location': location is listed twice (first on row 2)" in str(error)


def test_schedule_command_reports_a_location_spelled_otherwise(runner, tmp_path):
    inventory = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER, inventory_rows())
    locations = write_csv(tmp_path / "locations.csv", LOCATIONS_HEADER, [location_row("wh-a-01", "2026-12-01")])
    out = tmp_path / "schedule.xlsx"
    result = runner.invoke(cli, ["schedule", str(inventory), "--locations", str(locations), "--as-of",
                                 AS_OF.isoformat(), "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert "the inventory spells this location 'WH-A-01'" in result.output
    assert "last_count is after the schedule's as-of date 2026-11-23" in result.output
    assert not out.exists()


# --- 2. a last count in the future ------------------------------------------------------------


def test_last_count_after_the_as_of_date_is_a_problem(tmp_path):
    path = write_csv(tmp_path / "locations.csv", LOCATIONS_HEADER,
                     [location_row("WH-A-01", AS_OF.isoformat()), location_row("WH-A-02", "2026-12-01")])
    error = problems_of(path, as_of=AS_OF)
    assert [(p.kind, p.row, p.column, p.value) for p in error.problems] == [
        ("future-date", 3, "last_count", "2026-12-01")]
    assert ("locations.csv, row 3, column 'last_count': last_count is after the schedule's as-of date 2026-11-23"
            in str(error))
    assert load_locations(path, as_of=dt.date(2026, 12, 1))["WH-A-02"].last_count == dt.date(2026, 12, 1)


# --- 3. nothing to count ----------------------------------------------------------------------


def schedule_of(tmp_path, inventory_lines, locations=None):
    inventory = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER, inventory_lines)
    schedule = tmp_path / "schedule.xlsx"
    api.write_schedule(inventory, schedule, Config(), locations=locations, as_of=AS_OF, today=AS_OF)
    return schedule, inventory


def sheets(runner, schedule, inventory, cycle, *options):
    return runner.invoke(cli, ["sheets", str(schedule), str(inventory), *options, "--as-of", AS_OF.isoformat(),
                               "-q", "-o", str(cycle)])


def test_sheets_all_on_a_schedule_with_no_rows_says_so(runner, tmp_path):
    schedule, inventory = schedule_of(tmp_path, inventory_rows())
    book = openpyxl.load_workbook(schedule)  # a person deleted every row (schedule refuses an empty export)
    book["Schedule"].delete_rows(2, book["Schedule"].max_row)
    book.save(schedule)
    result = sheets(runner, schedule, inventory, tmp_path / "cycle", "--all")
    assert result.exit_code == 1
    assert "schedule.xlsx has no rows" in result.output
    assert "--due-within" not in result.output and "Traceback" not in result.output
    assert not (tmp_path / "cycle").exists()


def test_sheets_names_a_location_not_in_the_schedule(runner, tmp_path):
    schedule, inventory = schedule_of(tmp_path, inventory_rows())
    result = sheets(runner, schedule, inventory, tmp_path / "cycle", "--location", "WH-A-01", "--location", "NOPE")
    assert result.exit_code == 1 and "not in the schedule: NOPE" in result.output
    assert not (tmp_path / "cycle").exists()


def test_nothing_due_still_points_to_the_options(runner, tmp_path):
    locations = write_csv(tmp_path / "locations.csv", LOCATIONS_HEADER,
                          [location_row(name, AS_OF.isoformat(), "30")
                           for name in ("WH-A-01", "WH-A-02", "CAGE-01", "LS-1", "MRB-01")])
    schedule, inventory = schedule_of(tmp_path, inventory_rows(), locations)
    result = sheets(runner, schedule, inventory, tmp_path / "cycle")
    assert result.exit_code == 1
    assert "no location is due within 7 days of 2026-11-23; use --all, --location" in result.output


# --- 4. a schedule file that is missing or not an .xlsx ---------------------------------------

OLD_XLS_START = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@pytest.mark.parametrize(("content", "message"), [
    (None, "file not found"),
    (OLD_XLS_START + b"\0" * 504, "is an old Excel 97-2003 (.xls) file or has a password, though named .xlsx"),
    (b"<html><table><tr><td>WH-A-01</td></tr></table></html>", "is not an Excel workbook"),
    (b"", "is an empty file (0 bytes), not a workbook"),
])
def test_unreadable_workbook_is_one_clear_line(tmp_path, content, message):
    path = tmp_path / "schedule.xlsx"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        WorkbookReader(path)
    [problem] = caught.value.problems
    assert problem.kind == "file" and problem.file == str(path)
    assert problem.message.startswith(message)
    assert "\n" not in problem.message
    assert not any(word in problem.message for word in ("os error", "Zip", "OLE", "Cfb"))


def test_an_old_xls_under_its_own_name_is_still_read(tmp_path, soffice, lo_out):
    """The first bytes only explain a refusal: a real .xls named .xls reads as before."""
    import xlsxwriter

    from cyclekit.backends.libreoffice import convert

    book = xlsxwriter.Workbook(tmp_path / "book.xlsx")
    book.add_worksheet("Counts").write(0, 0, "Line")
    book.close()
    [old] = convert([tmp_path / "book.xlsx"], lo_out, "xls:MS Excel 97")
    assert WorkbookReader(old).tabs == ["Counts"]
    renamed = old.rename(lo_out / "book.xlsx")
    with pytest.raises(InputError, match=r"is an old Excel 97-2003 \(\.xls\) file or has a password"):
        WorkbookReader(renamed)


def test_sheets_on_a_missing_or_old_schedule_prints_the_plain_message(runner, tmp_path):
    inventory = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER, inventory_rows())
    result = sheets(runner, tmp_path / "missing.xlsx", inventory, tmp_path / "cycle", "--all")
    assert result.exit_code == 1
    assert "missing.xlsx: file not found" in result.output and "os error" not in result.output
    (tmp_path / "old.xlsx").write_bytes(OLD_XLS_START + b"\0" * 504)
    result = sheets(runner, tmp_path / "old.xlsx", inventory, tmp_path / "cycle", "--all")
    assert result.exit_code == 1
    assert "old.xlsx: is an old Excel 97-2003 (.xls) file" in result.output
    assert "Error: cannot read" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "cycle").exists()
