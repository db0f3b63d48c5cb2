"""The plan and the sheets agree: `sheets --week` issues the Calendar tab's week; every selection
is said in one sentence."""

import datetime as dt
import json

import openpyxl
from click.testing import CliRunner

from cyclekit.cli import cli
from cyclekit.config import Config
from cyclekit.layouts.schedule_reader import read_schedule
from cyclekit.stages import schedule as api
from cyclekit.stages.sheets import Selection, select_locations, start_cycle
from tests.helpers import INVENTORY_HEADER, LOCATIONS_HEADER, write_csv

AS_OF = dt.date(2026, 11, 23)


def plant_files(folder, locations=60):
    """A plant whose locations were counted on many different days (some never, some long ago), a
    few to nine lines each: its Calendar's weeks differ from a due-within-7-days selection."""
    inventory, places = [], []
    for n in range(locations):
        name = f"LOC-{n:03d}"
        for k in range(1 + n * 7 % 9):
            inventory.append([name, f"P{n:03d}-{k}", "", "Part", "ea", "", "", "available", "5",
                              f"{(n * 37 % 50) + 1}.00"])
        last = "" if n % 11 == 0 else (AS_OF - dt.timedelta(days=n * 13 % 400)).isoformat()
        places.append([name, f"Zone {n % 4}", f"Owner {n % 5}", f"o{n % 5}@plant.example.com", "", "", last])
    return (write_csv(folder / "inventory.csv", INVENTORY_HEADER, inventory),
            write_csv(folder / "locations.csv", LOCATIONS_HEADER, places))


def calendar_tab(path):
    sheet = openpyxl.load_workbook(path)["Calendar"]
    rows = list(sheet.iter_rows(values_only=True))
    out = {}
    for row in rows[1:]:
        keys = [k.strip() for k in (row[5] or "").replace("\n", " ").split(",") if k.strip()]
        out[row[0].date()] = (keys, row[3])
    return out


def test_every_week_the_sheets_issue_is_the_week_the_calendar_plans(tmp_path):
    inventory, locations = plant_files(tmp_path)
    schedule = tmp_path / "schedule.xlsx"
    api.write_schedule(inventory, schedule, Config(), locations=locations, as_of=AS_OF)
    planned = calendar_tab(schedule)
    assert len(planned) == 52
    file = read_schedule(schedule)
    lines_of = {e.key: int(e.cells["Lines"]) for e in file.entries}
    differs = 0
    for monday, (keys, lines) in planned.items():
        chosen = select_locations(file, Selection(week=monday + dt.timedelta(days=3)), AS_OF)  # any day of it
        assert [e.key for e in chosen.entries] == keys, monday
        assert sum(lines_of[e.key] for e in chosen.entries) == lines, monday
        due = select_locations(file, Selection(due_within=7), monday)
        differs += {e.key for e in due.entries} != set(keys)
    assert differs  # the two selections are not the same rule: the test would see one in place of the other
    assert sum(bool(keys) for keys, _ in planned.values()) > 20


def test_sheets_week_issues_the_calendars_week_and_says_so(tmp_path):
    inventory, locations = plant_files(tmp_path)
    schedule = tmp_path / "schedule.xlsx"
    api.write_schedule(inventory, schedule, Config(), locations=locations, as_of=AS_OF)
    monday = dt.date(2027, 1, 4)
    keys, lines = calendar_tab(schedule)[monday]
    assert keys
    result = CliRunner().invoke(cli, ["sheets", str(schedule), str(inventory), "-o", str(tmp_path / "cycle"),
                                      "--week", "2027-01-04", "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "cycle" / "manifest.json").read_text())
    assert [r["location"] for r in manifest["locations"]] == keys
    noun = "location" if len(keys) == 1 else "locations"
    assert (f"Issuing {len(keys)} {noun} the Calendar plans for the week of 2027-01-04 to 2027-01-10, "
            f"{lines} lines.") in result.output


def test_the_default_selection_is_said_in_one_sentence(tmp_path):
    inventory, locations = plant_files(tmp_path)
    schedule = tmp_path / "schedule.xlsx"
    api.write_schedule(inventory, schedule, Config(), locations=locations, as_of=AS_OF)
    report = start_cycle(schedule, inventory, tmp_path / "cycle", Config(), as_of=AS_OF)
    due = [e for e in read_schedule(schedule).entries if e.next_count is None or e.next_count <= dt.date(2026, 11, 30)]
    assert report.locations == len(due)
    assert report.chosen == (f"Issuing {len(due)} locations due by 2026-11-30 (Next Count within 7 days of "
                             f"2026-11-23, overdue included), {report.lines} lines.")


def test_a_week_outside_the_calendar_is_refused_in_one_line(tmp_path):
    inventory, locations = plant_files(tmp_path, locations=5)
    schedule = tmp_path / "schedule.xlsx"
    api.write_schedule(inventory, schedule, Config(), locations=locations, as_of=AS_OF)
    result = CliRunner().invoke(cli, ["sheets", str(schedule), str(inventory), "-o", str(tmp_path / "cycle"),
                                      "--week", "2030-01-07"])
    assert result.exit_code != 0
    assert "not in the schedule's Calendar, which plans the weeks from 2026-11-23 to 2027-11-21" in result.output
    assert not (tmp_path / "cycle").exists()
    both = CliRunner().invoke(cli, ["sheets", str(schedule), str(inventory), "-o", str(tmp_path / "c"),
                                    "--week", "2026-11-23", "--all"])
    assert both.exit_code != 0 and "--all or --location or --week" in both.output


def test_sheets_help_shows_a_week_example():
    result = CliRunner().invoke(cli, ["sheets", "--help"])
    assert "--week 2026-11-30" in result.output
