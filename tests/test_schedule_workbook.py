import datetime as dt

import openpyxl
import pytest

from cyclekit import api
from cyclekit.config import Config, ScheduleConfig
from cyclekit.schedule import due_status
from tests.helpers import INVENTORY_HEADER, inventory_rows, write_csv

AS_OF = dt.date(2026, 11, 23)
TODAY = dt.date.today()
SCHEDULE_HEADERS = ["Location", "Zone", "Owner", "Owner Email", "Lines", "Inventory Value",
                    "ABC Class", "Counts / Year", "Cadence (days)", "Last Count", "Next Count",
                    "Days Until Due", "Status", "Notes"]


@pytest.fixture
def plant(tmp_path):
    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, inventory_rows())
    locations = write_csv(tmp_path / "locations.csv",
                          ["location", "zone", "owner", "owner_email", "consumption", "cadence_days",
                           "last_count"],
                          [["WH-A-01", "Warehouse A", "Ana Ruiz", "ana@plant.example.com", "low", "", "2026-10-01"],
                           ["WH-A-02", "Warehouse A", "Ana Ruiz", "ana@plant.example.com", "", "", "2025-06-30"],
                           ["LS-1", "Lineside", "Bo Lind", "bo@plant.example.com", "high", "14", "2026-11-20"],
                           ["EMPTY-9", "Warehouse B", "Bo Lind", "bo@plant.example.com", "", "", ""]])
    return inventory, locations


def write(plant, tmp_path, **kwargs):
    inventory, locations = plant
    output = tmp_path / "schedule.xlsx"
    api.write_schedule(inventory, output, kwargs.pop("config", Config()), locations=locations,
                       as_of=AS_OF, today=TODAY, **kwargs)
    return output


def table(path, tab="Schedule", data_only=True):
    sheet = openpyxl.load_workbook(path, data_only=data_only)[tab]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]], rows[0]


def as_date(value):
    return value.date() if isinstance(value, dt.datetime) else value


def test_schedule_tab_columns_and_rows(plant, tmp_path):
    rows, header = table(write(plant, tmp_path))
    assert list(header) == SCHEDULE_HEADERS
    assert [r["Location"] for r in rows] == ["CAGE-01", "EMPTY-9", "LS-1", "MRB-01", "WH-A-01", "WH-A-02"]
    by = {r["Location"]: r for r in rows}
    assert by["EMPTY-9"]["Lines"] == 0 and by["EMPTY-9"]["Owner"] == "Bo Lind"
    assert by["LS-1"]["Cadence (days)"] == 14  # override
    assert by["WH-A-01"]["Inventory Value"] == pytest.approx(1234 * 0.15 + 10 * 0.15 + 40 * 12)


def test_formula_cells_carry_correct_cached_values(plant, tmp_path):
    rows, _ = table(write(plant, tmp_path))
    for row in rows:
        last, cadence = as_date(row["Last Count"]), row["Cadence (days)"]
        expected = last + dt.timedelta(days=cadence) if last else AS_OF
        assert as_date(row["Next Count"]) == expected, row["Location"]
        days = (expected - TODAY).days
        assert row["Days Until Due"] == days
        assert row["Status"] == due_status(days, 7)


def test_formulas_are_live_and_portable(plant, tmp_path):
    rows, _ = table(write(plant, tmp_path), data_only=False)
    first = rows[0]
    assert first["Next Count"] == '=IF(J2="",AsOfDate,IF(I2="","",J2+I2))'
    assert first["Days Until Due"] == '=IF(K2="","",K2-TODAY())'
    assert "DueSoonDays" in first["Status"]
    for forbidden in ("XLOOKUP", "LET(", "IFS(", "_xlfn"):
        assert all(forbidden not in str(v) for row in rows for v in row.values())


def test_date_and_money_formats(plant, tmp_path):
    sheet = openpyxl.load_workbook(write(plant, tmp_path))["Schedule"]
    assert sheet["J2"].number_format == sheet["K2"].number_format == "yyyy-mm-dd"
    assert "#,##0.00" in sheet["F2"].number_format
    assert sheet.freeze_panes == "B2"
    assert sheet.auto_filter.ref == "A1:N7"
    rules = [r.formula[0] for cf in sheet.conditional_formatting for r in cf.rules]
    assert '$M2="Overdue"' in rules and '$M2="Due this week"' in rules


def test_settings_tab_records_thresholds_and_sources(plant, tmp_path):
    book = openpyxl.load_workbook(write(plant, tmp_path))
    settings = {row[0]: row[1] for row in book["Settings"].iter_rows(min_row=2, values_only=True)}
    assert as_date(settings["As-of date (Next Count of never-counted rows)"]) == AS_OF
    assert settings["Inventory file"] == "inventory.csv"
    assert len(settings["Inventory SHA-256"]) == 64
    assert settings["Lines left out: status installed"] == 1
    assert book.defined_names["AsOfDate"].attr_text == "Settings!$B$2"


def test_calendar_tab(plant, tmp_path):
    rows, header = table(write(plant, tmp_path), tab="Calendar")
    assert header[:4] == ("Week Starting", "Week Ending", "Locations Due", "Lines to Count")
    assert len(rows) == 52
    assert as_date(rows[0]["Week Starting"]) == dt.date(2026, 11, 23)
    first_week = rows[0]["Locations"].split(", ")
    assert "WH-A-02" in first_week and "EMPTY-9" in first_week  # overdue and never counted
    assert "Bo Lind: 1 location, 0 lines" in rows[0]["Counters"]


def test_rows_by_part(plant, tmp_path):
    rows, header = table(write(plant, tmp_path, by="part"))
    assert header[0] == "Part Number"
    parts = [r["Part Number"] for r in rows]
    assert "000812" in parts and "=SUM(A1)" in parts and "1E5" in parts
    by = {r["Part Number"]: r for r in rows}
    assert by["000812"]["Lines"] == 3


def test_identifiers_are_written_as_text_never_formulas(plant, tmp_path):
    sheet = openpyxl.load_workbook(write(plant, tmp_path, by="part"))["Schedule"]
    cells = {c.value: c for c in sheet["A"]}
    assert cells["=SUM(A1)"].data_type == "s"
    assert cells["1E5"].data_type == "s" and cells["000812"].data_type == "s"


def test_foreman_model_adds_cycles(plant, tmp_path):
    config = Config(schedule=ScheduleConfig(model="foreman", cycles_per_count=4))
    path = write(plant, tmp_path, config=config)
    book = openpyxl.load_workbook(path, data_only=True)
    assert book.sheetnames == ["Schedule", "Calendar", "Cycles", "Settings"]
    cycles = list(book["Cycles"].iter_rows(min_row=2, values_only=True))
    assert [c[0] for c in cycles] == [1, 2, 3, 4]
    assert sum(c[4] for c in cycles) == 8
    assert sum(c[5] for c in cycles) == pytest.approx(1.0)


def test_bad_input_writes_nothing(tmp_path):
    inventory = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER,
                          [["A1", "P1", "", "", "ea", "", "", "available", "x", "1"]])
    with pytest.raises(Exception, match="quantity is not a number"):
        api.write_schedule(inventory, tmp_path / "out.xlsx", Config(), as_of=AS_OF)
    assert list(tmp_path.iterdir()) == [inventory]
