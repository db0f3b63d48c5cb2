"""The schedule's formulas, evaluated by a real spreadsheet engine (LibreOffice Calc)."""

import datetime as dt
import shutil

import openpyxl

from cyclekit.backends.libreoffice import recalculate
from cyclekit.config import Config
from cyclekit.domain.scheduling import due_status
from cyclekit.stages import schedule as api
from tests.helpers import INVENTORY_HEADER, inventory_rows, write_csv
from tests.test_schedule_workbook import AS_OF, as_date

LOCATIONS = [["WH-A-01", "Warehouse A", "Ana Ruiz", "ana@plant.example.com", "low", "", "2026-10-01"],
             ["WH-A-02", "Warehouse A", "Ana Ruiz", "ana@plant.example.com", "", "", "2025-06-30"],
             ["LS-1", "Lineside", "Bo Lind", "bo@plant.example.com", "high", "14", "2026-11-20"],
             ["EMPTY-9", "Warehouse B", "Bo Lind", "bo@plant.example.com", "", "", ""]]


def expected(last, cadence, today):
    nxt = last + dt.timedelta(days=cadence) if last else AS_OF
    days = (nxt - today).days
    return nxt, days, due_status(days, 7)


def recalculated_rows(path, out):
    [result] = recalculate([path], out)
    sheet = openpyxl.load_workbook(result, data_only=True)["Schedule"]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:] if row[0]]


def test_libreoffice_agrees_with_python(soffice, tmp_path, lo_out):
    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, inventory_rows())
    locations = write_csv(tmp_path / "locations.csv", ["location", "zone", "owner", "owner_email",
                                                       "consumption", "cadence_days", "last_count"],
                          LOCATIONS)
    path = tmp_path / "schedule.xlsx"
    api.write_schedule(inventory, path, Config(), locations=locations, as_of=AS_OF)
    today = dt.date.today()
    rows = recalculated_rows(path, lo_out)
    assert len(rows) == 6
    for row in rows:
        nxt, days, status = expected(as_date(row["Last Count"]), row["Cadence (days)"], today)
        assert as_date(row["Next Count"]) == nxt, row["Location"]
        assert row["Days Until Due"] == days, row["Location"]
        assert row["Status"] == status, row["Location"]

    # a lead edits a Last Count, a Cadence, and clears a Last Count (a test stands in for Excel)
    edited = tmp_path / "edited" / "schedule.xlsx"
    edited.parent.mkdir()
    shutil.copy(path, edited)
    book = openpyxl.load_workbook(edited)
    sheet = book["Schedule"]
    places = {sheet.cell(r, 1).value: r for r in range(2, sheet.max_row + 1)}
    sheet.cell(places["WH-A-01"], 10).value = dt.datetime(2026, 11, 1)
    sheet.cell(places["WH-A-01"], 9).value = 7
    sheet.cell(places["LS-1"], 10).value = None
    sheet.cell(places["CAGE-01"], 9).value = 400
    sheet.cell(places["CAGE-01"], 10).value = dt.datetime(2026, 1, 15)
    book.save(edited)

    rows = {r["Location"]: r for r in recalculated_rows(edited, lo_out / "second")}
    assert as_date(rows["WH-A-01"]["Next Count"]) == dt.date(2026, 11, 8)
    assert rows["WH-A-01"]["Days Until Due"] == (dt.date(2026, 11, 8) - today).days
    assert as_date(rows["LS-1"]["Next Count"]) == AS_OF  # never counted again: as-of date
    assert as_date(rows["CAGE-01"]["Next Count"]) == dt.date(2027, 2, 19)
    for row in rows.values():
        assert row["Status"] == due_status(row["Days Until Due"], 7)
