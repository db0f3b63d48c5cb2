"""`cyclekit calendar`: the planned counts of the next 12 months as an iCalendar (.ics) file.

One all-day event per location (or part) that repeats every cadence until the horizon, so each
planned count date shows in the calendar; the owner is the attendee. A location's UID is made
from its name alone, and its SEQUENCE grows with its Last Count: importing a later export
updates each series (moved on by finalize, cadence edited) instead of adding a second one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from icalendar import Calendar, Event, vCalAddress, vText

from cyclekit.atomic import write_bytes_atomic
from cyclekit.backends.targets import workbook_at
from cyclekit.config import Config
from cyclekit.domain.values import cell_text
from cyclekit.errors import CyclekitError
from cyclekit.layouts.schedule_reader import ScheduleEntry
from cyclekit.stages.schedule import read_schedule_at

HORIZON_DAYS = 365
PRODID = "-//cyclekit//cycle counts//EN"
ADDRESS = re.compile(r"[^@\s<>,;:\"()\[\]]+@[^@\s<>,;:\"()\[\]]+\.[^@\s<>,;:\"()\[\]]+")


@dataclass
class CalendarReport:
    output: Path
    series: int  # locations (or parts) with a planned count
    counts: int  # planned count dates in the horizon
    unplanned: list[str] = field(default_factory=list)  # no Next Count, or no cadence and none ahead


def count_uid(by: str, key: str) -> str:
    """The same location always gets the same UID (re-imported: updated, not doubled)."""
    return f"{hashlib.sha256(f'{by}:{key}'.encode('utf-8', 'surrogatepass')).hexdigest()[:32]}@cyclekit"


def first_planned(entry: ScheduleEntry, as_of: dt.date) -> dt.date | None:
    """The next count: an overdue one is due now, on the as-of date."""
    if entry.next_count is None:
        return None
    return max(entry.next_count, as_of)


def planned_dates(entry: ScheduleEntry, as_of: dt.date, horizon: dt.date) -> list[dt.date]:
    """The count dates until the horizon; a next count past it is kept as the one date: the
    location's event must stay in the file, or re-importing would leave its old dates standing."""
    first = first_planned(entry, as_of)
    if first is None:
        return []
    if not entry.cadence_days or first >= horizon:
        return [first]
    step = dt.timedelta(days=entry.cadence_days)
    return [first + step * n for n in range((horizon - first).days // entry.cadence_days + 1)
            if first + step * n < horizon]


def _attendee(entry: ScheduleEntry) -> vCalAddress | None:
    email = entry.owner_email.strip()
    if not ADDRESS.fullmatch(email):
        return None
    attendee = vCalAddress(f"mailto:{email}")
    if entry.owner:
        attendee.params["CN"] = vText(entry.owner)
    attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
    attendee.params["PARTSTAT"] = vText("NEEDS-ACTION")
    return attendee


def _description(entry: ScheduleEntry, as_of: dt.date, by: str) -> str:
    lines = cell_text(entry.cells.get("Lines"))
    parts = [f"Cycle count of {by} {entry.key}" + (f" ({lines} lines)" if lines else ""),
             f"ABC class {entry.abc_class}" + (f", counted every {entry.cadence_days} days" if entry.cadence_days
                                               else ""),
             f"Owner: {entry.owner or '(none)'}"]
    if entry.next_count is not None and entry.next_count < as_of:
        parts.append(f"Overdue: was due {entry.next_count.isoformat()}")
    return "\n".join(parts)


def count_event(entry: ScheduleEntry, dates: list[dt.date], as_of: dt.date, by: str, stamp: dt.datetime,
                organizer: str) -> Event:
    event = Event()
    event.add("uid", count_uid(by, entry.key))
    event.add("dtstamp", stamp)
    event.add("sequence", entry.last_count.toordinal() if entry.last_count else 0)
    event.add("summary", f"Count {entry.key}" + (f" ({entry.zone})" if entry.zone else ""))
    event.add("description", _description(entry, as_of, by))
    event.add("dtstart", dates[0])
    event.add("dtend", dates[0] + dt.timedelta(days=1))
    event.add("transp", "TRANSPARENT")  # a count is work on the floor, not a meeting that blocks time
    if len(dates) > 1 and entry.cadence_days:
        event.add("rrule", {"freq": "daily", "interval": entry.cadence_days, "until": dates[-1]})
    attendee = _attendee(entry)
    if attendee is not None:
        event.add("attendee", attendee, encode=False)
    if organizer:
        event.add("organizer", vCalAddress(f"mailto:{organizer}"), encode=False)
    return event


def _chosen(entries: list[ScheduleEntry], owner: str | None) -> list[ScheduleEntry]:
    if owner is None:
        return entries
    wanted = owner.strip().casefold()
    chosen = [e for e in entries if e.owner_email.strip().casefold() == wanted]
    if not chosen:
        raise CyclekitError(f"no location in the schedule has the owner e-mail {owner!r}")
    return chosen


def counts_calendar(entries: list[ScheduleEntry], by: str, as_of: dt.date, organizer: str = "",
                    stamp: dt.datetime | None = None) -> tuple[Calendar, CalendarReport]:
    horizon = as_of + dt.timedelta(days=HORIZON_DAYS)
    stamp = stamp or dt.datetime.now(dt.UTC)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Cycle counts")
    report = CalendarReport(Path(), 0, 0)
    for entry in entries:
        dates = planned_dates(entry, as_of, horizon)
        if not dates:
            report.unplanned.append(entry.key)
            continue
        calendar.add_component(count_event(entry, dates, as_of, by, stamp, organizer))
        report.series += 1
        report.counts += sum(day < horizon for day in dates)  # a next count past the year is not one of its counts
    return calendar, report


def write_calendar(schedule_path: Path | str, output: Path | str, config: Config, *, owner: str | None = None,
                   as_of: dt.date | None = None) -> CalendarReport:
    """Write `output` (.ics): the schedule's planned counts from `as_of` (today) for a year."""
    schedule = read_schedule_at(workbook_at(str(schedule_path), None))
    chosen = _chosen(schedule.entries, owner)
    calendar, report = counts_calendar(chosen, schedule.by, as_of or dt.date.today(), config.email.sender)
    write_bytes_atomic(Path(output), calendar.to_ical())
    report.output = Path(output)
    return report

