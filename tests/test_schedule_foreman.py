"""The Foreman model's Next Count follows the cycle the row was assigned to, in Python and in the
schedule's formulas (LibreOffice recalculates them); Counts / Year agrees with Cadence."""

import datetime as dt
import shutil

import openpyxl

from cyclekit.backends.libreoffice import recalculate
from cyclekit.backends.xlsx import render_xlsx
from cyclekit.config import Config, ScheduleConfig
from cyclekit.domain.scheduling import YEAR_DAYS, cadence_for
from cyclekit.layouts.history import HistoryRow
from cyclekit.layouts.schedule_reader import read_schedule
from cyclekit.layouts.schedule_update import updated_schedule
from cyclekit.stages import schedule as api
from tests.helpers import INVENTORY_HEADER, LOCATIONS_HEADER, write_csv
from tests.test_schedule_workbook import as_date

AS_OF = dt.date(2026, 11, 23)
FOREMAN = Config(schedule=ScheduleConfig(model="foreman", timeframe="rolling", counts_per_timeframe=1,
                                         cycles_per_count=4))


def foreman_plant(folder):
    """50 locations counted on many days (some never); OWN-30 counted every 30 days, the plant's choice."""
    inventory, places = [], []
    for n in range(50):
        name = f"LOC-{n:02d}"
        inventory += [[name, f"P{n}-{k}", "", "Part", "ea", "", "", "available", "3", "2.00"]
                      for k in range(1 + n % 6)]
        last = "" if n % 10 == 0 else (AS_OF - dt.timedelta(days=n * 17 % 500)).isoformat()
        places.append([name, "Zone", f"Owner {n % 3}", "", "", "", last])
    inventory.append(["OWN-30", "X", "", "Part", "ea", "", "", "available", "3", "2.00"])
    places.append(["OWN-30", "Zone", "Owner 0", "", "", "30", "2026-11-01"])
    inventory_file = write_csv(folder / "inventory.csv", INVENTORY_HEADER, inventory)
    schedule = folder / "schedule.xlsx"
    api.write_schedule(inventory_file, schedule, FOREMAN, locations=write_csv(
        folder / "locations.csv", LOCATIONS_HEADER, places), as_of=AS_OF, today=AS_OF)
    return inventory_file, schedule


def recalculated(path, out):
    [result] = recalculate([path], out)
    book = openpyxl.load_workbook(result, data_only=True)
    rows = list(book["Schedule"].iter_rows(values_only=True))
    cycles = {r[0]: (as_date(r[1]), as_date(r[2])) for r in list(book["Cycles"].iter_rows(values_only=True))[1:]}
    return [dict(zip(rows[0], row)) for row in rows[1:] if row[0]], cycles


def in_its_cycle(day, window):
    """In the window's occurrence of some count (windows repeat each count: 365 days here)."""
    start, end = window
    shift = (day - start).days // YEAR_DAYS * YEAR_DAYS
    return start + dt.timedelta(days=shift) <= day <= end + dt.timedelta(days=shift)


def check(rows, cycles, python):
    """Every row in a cycle falls due in it, after its Last Count; LibreOffice's Next Count is Python's."""
    assert len(rows) == 51
    for row in rows:
        key, nxt, last = row["Location"], as_date(row["Next Count"]), as_date(row["Last Count"])
        assert nxt == python[key], key
        assert row["Cadence (days)"] == cadence_for(row["Counts / Year"]) or \
            row["Counts / Year"] == round(YEAR_DAYS / row["Cadence (days)"]), key
        if row["Cycle"] is None:
            continue
        assert in_its_cycle(nxt, cycles[row["Cycle"]]), (key, nxt, cycles[row["Cycle"]])
        assert last is None or last < nxt <= last + dt.timedelta(days=row["Cadence (days)"]), key


def test_next_count_falls_in_the_rows_cycle_in_libreoffice(soffice, tmp_path, lo_out):
    _, schedule = foreman_plant(tmp_path)
    rows, cycles = recalculated(schedule, lo_out)
    check(rows, cycles, {e.key: e.next_count for e in read_schedule(schedule).entries})
    own = next(r for r in rows if r["Location"] == "OWN-30")
    assert (own["Cadence (days)"], own["Counts / Year"], own["Cycle"]) == (30, 12, None)
    assert as_date(own["Next Count"]) == dt.date(2026, 12, 1)
    assert sum(1 for r in rows if r["Cycle"]) == 50


def test_after_finalize_and_a_typed_cadence_the_rows_still_follow_their_cycles(soffice, tmp_path, lo_out):
    _, schedule = foreman_plant(tmp_path)
    book = openpyxl.load_workbook(schedule)  # a lead types a cadence (openpyxl stands in for Excel)
    sheet = book["Schedule"]
    where = {sheet.cell(r, 1).value: r for r in range(2, sheet.max_row + 1)}
    header = {c.value: c.column for c in sheet[1]}
    sheet.cell(where["LOC-07"], header["Cadence (days)"]).value = 30
    book.save(schedule)
    counted = {f"LOC-{n:02d}": dt.date(2026, 11, 25) for n in range(1, 50, 3)}
    history = HistoryRow("CC-1", dt.date(2026, 11, 25), dt.date(2026, 11, 27), 1, 3, 0, 0.0, 0, 0, 1.0)
    spec, moved = updated_schedule(read_schedule(schedule), counted, history, FOREMAN, dt.date(2026, 11, 27))
    assert moved
    moved_on = tmp_path / "moved" / "schedule.xlsx"
    moved_on.parent.mkdir()
    render_xlsx(spec, moved_on)
    rows, cycles = recalculated(moved_on, lo_out)
    assert len(cycles) == 4  # the Cycles tab and the Cycle column stay
    check(rows, cycles, {e.key: e.next_count for e in read_schedule(moved_on).entries})
    typed = next(r for r in rows if r["Location"] == "LOC-07")
    assert (typed["Cadence (days)"], typed["Counts / Year"], typed["Cycle"]) == (30, 12, None)
    assert sum(1 for r in rows if r["Cycle"]) == 49
    # a schedule run over it keeps the typed cadence, out of the cycles, Counts / Year following it
    again = tmp_path / "again" / "schedule.xlsx"
    again.parent.mkdir()
    shutil.copy(moved_on, again)
    inventory = tmp_path / "inventory.csv"
    api.write_schedule(inventory, again, FOREMAN, as_of=AS_OF, today=dt.date(2026, 11, 28))
    row = {r["Location"]: r for r in recalculated(again, lo_out / "again")[0]}["LOC-07"]
    assert (row["Cadence (days)"], row["Counts / Year"], row["Cycle"]) == (30, 12, None)
