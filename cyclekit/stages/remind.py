"""`cyclekit remind`: who has counts overdue or due in the next days, as a table or one e-mail each.

Read from the schedule as people left it (edited cadences and owners count); overdue first, the
longest overdue at the top. Meant for cron: nothing is recorded, each run says what is due then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cyclekit.backends.smtp import MailServer, Outgoing, SendFailed, build_message, usable_address, write_eml
from cyclekit.backends.targets import workbook_at
from cyclekit.config import Config
from cyclekit.folder.cycle import safe_name
from cyclekit.layouts.email_body import render_message
from cyclekit.layouts.schedule_reader import ScheduleEntry
from cyclekit.stages.schedule import read_schedule_at

TEMPLATE = "reminder.txt.j2"


@dataclass(frozen=True)
class Reminder:
    location: str
    zone: str
    owner: str
    owner_email: str
    next_count: dt.date
    days_late: int  # 0 or less: due in -days_late days

    @property
    def overdue(self) -> bool:
        return self.days_late > 0

    def as_row(self) -> dict[str, Any]:
        return {"location": self.location, "zone": self.zone, "next_count": self.next_count.isoformat(),
                "days_late": self.days_late, "owner": self.owner}


@dataclass
class RemindReport:
    reminders: list[Reminder]
    sent: list[str] = field(default_factory=list)  # addresses
    drafts: list[Path] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    no_address: list[str] = field(default_factory=list)  # locations due whose owner has no usable e-mail


def due_reminders(entries: list[ScheduleEntry], as_of: dt.date, days: int) -> list[Reminder]:
    """Overdue (longest first), then due within `days` of `as_of` (soonest first)."""
    horizon = as_of + dt.timedelta(days=days)
    found = [Reminder(e.key, e.zone, e.owner, e.owner_email.strip(), e.next_count, (as_of - e.next_count).days)
             for e in entries if e.next_count is not None and e.next_count <= horizon]
    return sorted(found, key=lambda r: (not r.overdue, -r.days_late if r.overdue else r.next_count.toordinal(),
                                        r.owner, r.location))


def by_address(reminders: list[Reminder], report: RemindReport) -> dict[str, list[Reminder]]:
    grouped: dict[str, list[Reminder]] = {}
    for reminder in reminders:
        if not usable_address(reminder.owner_email):
            report.no_address.append(reminder.location)
            continue
        grouped.setdefault(reminder.owner_email.lower(), []).append(reminder)
    return grouped


def _outgoing(rows: list[Reminder], days: int, as_of: dt.date, template: Path | None) -> Outgoing:
    first = rows[0]
    context = {"owner": first.owner, "to": first.owner_email, "days": days, "as_of": as_of.isoformat(),
               "overdue": [r.as_row() for r in rows if r.overdue], "due": [r.as_row() for r in rows if not r.overdue]}
    text = render_message(TEMPLATE, template, context)
    return Outgoing(first.owner_email, text.subject, text.body, to_name=first.owner)


def _mail(groups: dict[str, list[Reminder]], config: Config, days: int, as_of: dt.date, template: Path | None,
          dry_run: Path | None, report: RemindReport) -> None:
    messages = [_outgoing(rows, days, as_of, template) for rows in groups.values()]  # a bad template: none sent
    if dry_run is not None:
        used: set[str] = set()
        for outgoing in messages:
            path = Path(dry_run) / f"reminder-{safe_name(outgoing.to, used)}.eml"
            write_eml(build_message(outgoing, config.email, dt.datetime.now().astimezone()), path)
            report.drafts.append(path)
        return
    if not messages:
        return
    with MailServer(config.email) as server:
        for outgoing in messages:
            try:
                refused = server.send(build_message(outgoing, config.email, dt.datetime.now().astimezone()))
            except SendFailed as exc:
                report.failed.append((outgoing.to, str(exc)))
                continue
            if outgoing.to in refused:
                report.failed.append((outgoing.to, f"refused: {refused[outgoing.to]}"))
            else:
                report.sent.append(outgoing.to)


def remind(schedule_path: Path | str, config: Config, *, days: int = 3, as_of: dt.date | None = None,
           send: bool = False, dry_run: Path | None = None, template: Path | None = None) -> RemindReport:
    """The reminders due; with `send` (or `dry_run`: .eml files in that folder) one message per owner."""
    as_of = as_of or dt.date.today()
    report = RemindReport(due_reminders(read_schedule_at(workbook_at(str(schedule_path), None)).entries, as_of, days))
    if send or dry_run is not None:
        _mail(by_address(report.reminders, report), config, days, as_of, template, dry_run, report)
    return report
