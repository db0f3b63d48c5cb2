"""`cyclekit calendar`: planned counts as iCalendar, parsed back with the icalendar package."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
from click.testing import CliRunner
from icalendar import Calendar

from cyclekit.cli import cli
from cyclekit.config import Config
from cyclekit.layouts.schedule_reader import read_schedule
from cyclekit.stages.calendar import write_calendar
from tests.test_cycle_flow import AS_OF, plant  # noqa: F401 (a fixture)


def events(path: Path) -> dict[str, dict]:
    calendar = Calendar.from_ical(path.read_bytes())
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    found = {}
    for event in calendar.walk("VEVENT"):
        location = str(event["SUMMARY"]).removeprefix("Count ").split(" (")[0]
        found[location] = {"uid": str(event["UID"]), "start": event.decoded("DTSTART"),
                           "end": event.decoded("DTEND"), "rrule": event.get("RRULE"),
                           "sequence": int(event["SEQUENCE"]), "attendee": event.get("ATTENDEE"),
                           "description": str(event["DESCRIPTION"])}
    return found


def test_planned_counts_of_a_year_with_owners_as_attendees(plant, tmp_path):  # noqa: F811
    schedule, _ = plant
    report = write_calendar(schedule, tmp_path / "counts.ics", Config(), as_of=AS_OF)
    found = events(tmp_path / "counts.ics")
    entries = {e.key: e for e in read_schedule(schedule).entries}
    assert set(found) == set(entries) and report.series == len(entries)
    for key, event in found.items():
        entry = entries[key]
        assert event["start"] == max(entry.next_count, AS_OF)  # overdue: due now
        assert event["end"] - event["start"] == dt.timedelta(days=1)
        assert str(event["attendee"]) == f"mailto:{entry.owner_email}"
        assert event["attendee"].params["CN"] == entry.owner
        horizon = AS_OF + dt.timedelta(days=365)
        if event["start"] + dt.timedelta(days=entry.cadence_days) >= horizon:  # one count in the year
            assert event["rrule"] is None
            continue
        assert event["rrule"]["FREQ"] == ["DAILY"] and event["rrule"]["INTERVAL"] == [entry.cadence_days]
        [until] = event["rrule"]["UNTIL"]
        assert until < horizon <= until + dt.timedelta(days=entry.cadence_days)
    assert "Overdue: was due 2026-01-05" in found["WH-A-02"]["description"]  # counted 2025-01-05, yearly
    assert sum(event["rrule"] is not None for event in found.values()) >= 2
    assert len({e["uid"] for e in found.values()}) == len(found)


def test_uids_stay_and_the_sequence_grows_when_the_schedule_moves_on(plant, tmp_path):  # noqa: F811
    schedule, _ = plant
    write_calendar(schedule, tmp_path / "before.ics", Config(), as_of=AS_OF)
    book = openpyxl.load_workbook(schedule)  # a person records a count in Excel
    sheet = book["Schedule"]
    headers = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[headers.index("Location")].value == "WH-A-02":
            row[headers.index("Last Count")].value = dt.date(2026, 11, 24)
    book.save(schedule)
    write_calendar(schedule, tmp_path / "after.ics", Config(), as_of=AS_OF)
    before, after = events(tmp_path / "before.ics"), events(tmp_path / "after.ics")
    assert {k: e["uid"] for k, e in before.items()} == {k: e["uid"] for k, e in after.items()}
    assert after["WH-A-02"]["sequence"] > before["WH-A-02"]["sequence"]
    assert after["WH-A-02"]["start"] == dt.date(2027, 11, 24)  # past the year: still there, to update
    assert after["CAGE-01"] == before["CAGE-01"]


def test_one_owner_from_the_command_line(plant, tmp_path):  # noqa: F811
    schedule, _ = plant
    said = CliRunner().invoke(cli, ["calendar", str(schedule), "-o", str(tmp_path / "bo.ics"),
                                    "--owner", "BO@plant.example.com", "--as-of", "2026-11-23"])
    assert said.exit_code == 0, said.output
    assert set(events(tmp_path / "bo.ics")) == {"CAGE-01", "LS-1"}
    assert "planned count" in said.output
    none = CliRunner().invoke(cli, ["calendar", str(schedule), "-o", str(tmp_path / "x.ics"),
                                    "--owner", "nobody@plant.example.com"])
    assert none.exit_code == 1 and "nobody@plant.example.com" in none.output
    assert not (tmp_path / "x.ics").exists()
