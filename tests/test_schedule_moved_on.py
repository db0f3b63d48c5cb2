"""The schedule after a finalize moved it on: its title and Calendar stand at that day."""

import datetime as dt

import openpyxl

from cyclekit.backends.libreoffice import recalculate
from cyclekit.backends.xlsx import render_xlsx
from cyclekit.config import Config, ScheduleConfig
from cyclekit.layouts.history import HistoryRow
from cyclekit.layouts.schedule_reader import read_schedule
from cyclekit.layouts.schedule_update import updated_schedule
from cyclekit.stages import schedule as api
from cyclekit.stages.finalize import finalize_cycle
from cyclekit.stages.sheets import Selection, select_locations
from tests.helpers import INVENTORY_HEADER, LOCATIONS_HEADER, write_csv
from tests.test_finalize import AS_OF, CONFIG, approve_all, cycle  # noqa: F401 (a fixture)
from tests.test_plan_week import calendar_tab

LATER = dt.date(2026, 12, 9)  # a Wednesday, two weeks after the as-of date
COUNTED = dt.date(2026, 11, 25)


def test_the_title_shows_the_day_the_schedule_was_last_moved_on(cycle):  # noqa: F811
    cycle_dir, schedule, _ = cycle
    approve_all(cycle_dir)
    finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=LATER)
    book = openpyxl.load_workbook(schedule)
    for tab in ("Schedule", "Calendar", "Settings"):
        header = book[tab].oddHeader.left.text
        assert "as of 2026-12-09 (moved on by a finalize; made as of 2026-11-23)" in header, tab
    assert book.properties.subject.startswith("as of 2026-12-09")
    settings = {row[0]: row[1] for row in book["Settings"].iter_rows(values_only=True)}
    assert settings["Last moved on (a cycle finalized)"].date() == LATER
    first_week = book["Calendar"]["A2"].value.date()
    assert first_week == dt.date(2026, 12, 7)  # the plan starts in the week it was moved on


# ---- load levelling -------------------------------------------------------------------------

def level_plant(folder):
    """40 locations of equal value (most class A, a 30-day cadence), all counted in one cycle."""
    inventory = [[f"L{n:02d}", f"P{k}", "", "Part", "ea", "", "", "available", "10", "1.00"]
                 for n in range(40) for k in range(1 + n % 5)]
    places = [[f"L{n:02d}", "Zone", f"Owner {n % 4}", "", "", "", "2026-10-01"] for n in range(40)]
    inventory_file = write_csv(folder / "inventory.csv", INVENTORY_HEADER, inventory)
    schedule = folder / "schedule.xlsx"
    api.write_schedule(inventory_file, schedule, Config(), locations=write_csv(
        folder / "locations.csv", LOCATIONS_HEADER, places), as_of=AS_OF, today=AS_OF)
    return schedule


def moved_on(schedule, out, tolerance, counted):
    config = Config(schedule=ScheduleConfig(level_tolerance_days=tolerance))
    history = HistoryRow("CC-1", COUNTED, dt.date(2026, 11, 27), 1, 3, 0, 0.0, 0, 0, 1.0)
    spec, _ = updated_schedule(read_schedule(schedule), counted, history, config, dt.date(2026, 11, 27))
    out.parent.mkdir(exist_ok=True)
    render_xlsx(spec, out)
    return out


def weekly_lines(path):
    rows = list(openpyxl.load_workbook(path)["Calendar"].iter_rows(values_only=True))[1:]
    return [row[3] for row in rows]


def test_finalize_levels_the_weeks_it_moved_on_within_the_tolerance(soffice, tmp_path, lo_out):
    schedule = level_plant(tmp_path)
    book = openpyxl.load_workbook(schedule)  # a lead typed L05's cadence: never levelled
    sheet = book["Schedule"]
    where = {sheet.cell(r, 1).value: r for r in range(2, sheet.max_row + 1)}
    sheet.cell(where["L05"], 9).value = 28
    book.save(schedule)
    counted = {f"L{n:02d}": COUNTED for n in range(40) if n != 39}  # L39 was not counted this cycle
    plain = moved_on(schedule, tmp_path / "plain" / "schedule.xlsx", 0, counted)
    level = moved_on(schedule, tmp_path / "level" / "schedule.xlsx", 14, counted)
    before, after = weekly_lines(plain), weekly_lines(level)
    assert abs(sum(before) - sum(after)) <= sum(before) * 0.05  # the same counts, spread (a few move past the end)
    # the bound: without levelling all the class A lines fall in one week a month; with it, the
    # busiest week carries at most half of that, and at most 1.5 times an average week
    average = sum(after) / len(after)
    assert max(after) <= max(before) / 2 and max(after) <= 1.5 * average, (max(before), max(after), average)
    entries = {e.key: e for e in read_schedule(level).entries}
    shifts = {key: e.shift for key, e in entries.items()}
    assert any(shifts.values()) and all(abs(s) <= 14 for s in shifts.values())
    assert shifts["L05"] == 0 and shifts["L39"] == 0  # typed cadence; not counted this cycle
    for key, entry in entries.items():
        assert key not in counted or entry.next_count >= dt.date(2026, 11, 27)  # never moved into the past
        assert entry.next_count == entry.last_count + dt.timedelta(days=entry.cadence_days + entry.shift), key
    settings = {row[0]: row[1] for row in openpyxl.load_workbook(level)["Settings"].iter_rows(values_only=True)}
    assert settings["Lines a week on the Calendar"].startswith(f"average {average:,.1f}, busiest {max(after)} ")
    # the formulas agree (LibreOffice recalculates them)
    [result] = recalculate([level], lo_out)
    rows = list(openpyxl.load_workbook(result, data_only=True)["Schedule"].iter_rows(values_only=True))
    header = rows[0]
    for row in rows[1:]:
        values = dict(zip(header, row))
        assert values["Next Count"].date() == entries[values["Location"]].next_count, values["Location"]
    # the Calendar and sheets --week still agree on a levelled schedule
    file = read_schedule(level)
    for monday, (keys, _) in calendar_tab(level).items():
        assert [e.key for e in select_locations(file, Selection(week=monday), AS_OF).entries] == keys


def test_levelling_off_moves_nothing(tmp_path):
    schedule = level_plant(tmp_path)
    plain = moved_on(schedule, tmp_path / "plain" / "schedule.xlsx", 0, {f"L{n:02d}": COUNTED for n in range(40)})
    assert "Levelled (days)" not in [c.value for c in openpyxl.load_workbook(plain)["Schedule"][1]]


def test_the_tolerance_is_a_setting_with_a_range(tmp_path):
    from cyclekit.config import load_config
    from cyclekit.errors import ConfigError

    path = tmp_path / "cyclekit.toml"
    path.write_text("[schedule]\nlevel_tolerance_days = 0\n")
    assert load_config(path).schedule.level_tolerance_days == 0
    path.write_text("[schedule]\nlevel_tolerance_days = 90\n")
    try:
        load_config(path)
    except ConfigError as error:
        assert "level_tolerance_days must be from 0 (off) to 60 days" in str(error)
    else:
        raise AssertionError("a tolerance of 90 days was accepted")


def test_a_text_typed_in_levelled_days_is_a_problem_naming_the_cell(tmp_path):
    from cyclekit.errors import InputError

    schedule = level_plant(tmp_path)
    level = moved_on(schedule, tmp_path / "level" / "schedule.xlsx", 14, {f"L{n:02d}": COUNTED for n in range(40)})
    book = openpyxl.load_workbook(level)
    sheet = book["Schedule"]
    column = next(c.column_letter for c in sheet[1] if c.value == "Levelled (days)")
    sheet[f"{column}3"] = "a week"
    sheet[f"{column}4"] = 5  # typed: kept, and in its Next Count
    book.save(level)
    try:
        read_schedule(level)
    except InputError as error:
        [problem] = error.problems
        assert problem.cell == f"{column}3" and "whole number of days" in problem.message
    else:
        raise AssertionError("a text in Levelled (days) was read")
    sheet[f"{column}3"] = None
    book.save(level)
    entry = read_schedule(level).entries[2]
    assert entry.shift == 5 and entry.next_count == entry.last_count + dt.timedelta(days=entry.cadence_days + 5)
