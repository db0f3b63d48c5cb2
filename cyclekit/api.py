"""cyclekit as a Python library: the schedule and the cycle folder, one method per command.

    import cyclekit

    schedule = cyclekit.Schedule("workbooks/schedule.xlsx", config="examples/cyclekit.toml")
    schedule.write("examples/inventory.csv", locations="examples/locations.csv")
    cycle = cyclekit.Cycle.start("workbooks/cycle-1", schedule=schedule, inventory="examples/inventory.csv")
    cycle.ingest(["inbox/WH-A-01-01 - counted.xlsx"])
    cycle.status().blocking
    cycle.finalize(schedule)
    cycle.verify().ok
    cyclekit.report(["workbooks/cycle-1"], "report.xlsx").headline.accuracy

Every method returns a report (a dataclass: the figures and files a command prints) and raises a
`CyclekitError` subclass for what it refuses; the `cyclekit` command is a thin layer that calls
these methods and prints their reports. The stage modules (cyclekit.stages.*) are imported when a
method first needs them, so `import cyclekit` stays quick.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from cyclekit.config import Config, load_config
from cyclekit.errors import CyclekitError

if TYPE_CHECKING:
    from cyclekit.backends.gsheets import GoogleTarget
    from cyclekit.folder.cycle import Manifest
    from cyclekit.layouts.schedule_reader import ScheduleFile
    from cyclekit.stages.calendar import CalendarReport
    from cyclekit.stages.finalize import FinalizeReport
    from cyclekit.stages.ingest import IngestReport
    from cyclekit.stages.remind import RemindReport
    from cyclekit.stages.report import TrendReport
    from cyclekit.stages.schedule import ScheduleReport
    from cyclekit.stages.send import SendReport
    from cyclekit.stages.sheets import CycleReport
    from cyclekit.stages.status import CycleStatus
    from cyclekit.stages.verify import Verification

ConfigLike: TypeAlias = "Config | Path | str | None"
"""A loaded Config, a path to a cyclekit.toml, or None: cyclekit.toml in the working folder if
there is one, else the defaults (as the `cyclekit` command does without --config)."""

PathLike: TypeAlias = "Path | str"
BY = ("location", "part")  # what a schedule has a row per


def as_config(config: ConfigLike) -> Config:
    """The Config a method runs with (see ConfigLike)."""
    return config if isinstance(config, Config) else load_config(config)


@dataclass(frozen=True)
class GoogleSheets:
    """Write to Google Sheets instead of xlsx files (needs `pip install 'cyclekit[gsheets]'`).

    credentials: a service-account JSON (default: GOOGLE_APPLICATION_CREDENTIALS, else gspread's
    OAuth desktop flow); folder_id: the Drive folder to create spreadsheets in (a service account
    has no Drive storage of its own); share_with: e-mails also given writer access."""

    credentials: str | None = None
    folder_id: str | None = None
    share_with: tuple[str, ...] = ()

    def connect(self) -> GoogleTarget:
        """A signed-in session: credentials are read and checked here, before anything is written."""
        from cyclekit.backends import gsheets

        session = gsheets.GoogleSession(gsheets.google_client(self.credentials))
        return gsheets.GoogleTarget(session, self.folder_id, tuple(self.share_with))


GoogleLike: TypeAlias = "GoogleSheets | GoogleTarget | None"


def _names(values: Iterable[str] | str) -> list[str]:
    """A name given alone is a list of one, never a list of its characters."""
    return [values] if isinstance(values, str) else list(values)


def _paths(values: Iterable[PathLike] | PathLike) -> list[Path]:
    """A path given alone is a list of one, never a list of its characters."""
    return [Path(values)] if isinstance(values, str | Path) else [Path(value) for value in values]


def _google(google: GoogleLike) -> GoogleTarget | None:
    return google.connect() if isinstance(google, GoogleSheets) else google


class Schedule:
    """The master schedule: a workbook file (or, with Google Sheets, 'google:<id>' or its URL)."""

    def __init__(self, path: PathLike, *, config: ConfigLike = None) -> None:
        self.path = path
        self._config: ConfigLike = config

    @property
    def config(self) -> Config:
        """Loaded when a method first needs it: a bad config file is that method's error."""
        self._config = as_config(self._config)
        return self._config

    def __repr__(self) -> str:
        return f"Schedule({str(self.path)!r})"

    def write(self, inventory: PathLike, *, locations: PathLike | None = None, as_of: dt.date | None = None,
              by: str = "location", force: bool = False, google: GoogleLike = None,
              today: dt.date | None = None) -> ScheduleReport:
        """Write the schedule from an inventory export (and a locations file), keeping what a
        schedule already there holds; `force` writes over it although the export takes out more
        than half of its rows with stock or of its value (`cyclekit schedule`)."""
        from cyclekit.stages.schedule import write_schedule

        if by not in BY:  # anything else would be read as one of them: a guess
            raise CyclekitError(f"a schedule is by {' or by '.join(BY)}, not by {by!r}; nothing was written")
        return write_schedule(inventory, self.path, self.config, locations=locations, as_of=as_of, by=by,
                              today=today, google=_google(google), force=force)

    def read(self) -> ScheduleFile:
        """The schedule as people left it: its rows (`entries`), typed cadences and dates, History."""
        from cyclekit.backends.reader import use_limits
        from cyclekit.layouts.schedule_reader import read_schedule

        use_limits(self.config.limits)
        return read_schedule(self.path)

    def calendar(self, output: PathLike, *, owner: str | None = None,
                 as_of: dt.date | None = None) -> CalendarReport:
        """Write the planned counts of the next 12 months as an iCalendar file (`cyclekit calendar`)."""
        from cyclekit.stages.calendar import write_calendar

        return write_calendar(self.path, output, self.config, owner=owner, as_of=as_of)

    def remind(self, *, days: int = 3, as_of: dt.date | None = None, send: bool = False,
               dry_run: PathLike | None = None, template: PathLike | None = None) -> RemindReport:
        """Counts overdue and due within `days`; with `send` one e-mail per owner, with `dry_run`
        .eml files in that folder (`cyclekit remind`)."""
        from cyclekit.stages.remind import remind

        return remind(self.path, self.config, days=days, as_of=as_of, send=send,
                      dry_run=None if dry_run is None else Path(dry_run),
                      template=None if template is None else Path(template))


class Cycle:
    """A cycle folder: its manifest, frozen snapshot, count sheets, results and adjustment files.

    `Cycle(folder)` opens one that `Cycle.start` (or `cyclekit sheets`) made; the properties read
    its manifest afresh each time, so they follow the commands run on it."""

    def __init__(self, folder: PathLike, *, config: ConfigLike = None) -> None:
        self.folder = Path(folder)
        self._config: ConfigLike = config
        self.started: CycleReport | None = None  # set by Cycle.start: what it wrote

    def __repr__(self) -> str:
        return f"Cycle({str(self.folder)!r})"

    @property
    def config(self) -> Config:
        """Loaded when a method first needs it (verify needs none)."""
        self._config = as_config(self._config)
        return self._config

    @classmethod
    def start(cls, folder: PathLike, *, schedule: Schedule | PathLike, inventory: PathLike,
              config: ConfigLike = None, due_within: int | None = 7, all_locations: bool = False,
              locations: Iterable[str] | str = (), as_of: dt.date | None = None, count_date: dt.date | None = None,
              show_system_qty: bool = False, packets: bool = False, pdf: bool = False,
              cycle_id: str | None = None, force: bool = False, google: GoogleLike = None,
              week: dt.date | None = None) -> Cycle:
        """Start a cycle in a new folder: the locations due (or `all_locations`, or the `locations`
        named, or those the schedule's Calendar plans for the `week` of a day), the inventory frozen,
        a blind count sheet each (`cyclekit sheets`). Without a config, a Schedule's own is used.
        What was written is in the returned cycle's `started` report (`chosen` says why, in words)."""
        from cyclekit.stages.sheets import Selection, start_cycle

        chosen = tuple(_names(locations))
        if sum((all_locations, bool(chosen), week is not None)) > 1:
            raise CyclekitError("choose all locations, name some or give a week: one of them, not both; "
                                "nothing was written")
        if due_within is not None and due_within < 0:
            raise CyclekitError(f"due_within is a number of days from 0, not {due_within}; nothing was written")
        if config is None and isinstance(schedule, Schedule):
            config = schedule.config
        cycle = cls(folder, config=config)
        source = schedule.path if isinstance(schedule, Schedule) else schedule
        cycle.started = start_cycle(
            source, inventory, cycle.folder, cycle.config,
            selection=Selection(due_within=due_within, all=all_locations, locations=chosen, week=week),
            as_of=as_of, count_date=count_date, show_system_qty=show_system_qty, packets=packets, pdf=pdf,
            cycle_id=cycle_id, google=_google(google), force=force)
        return cycle

    def ingest(self, files: Iterable[PathLike] | PathLike = (), *, pdf: bool = False, google: GoogleLike = None,
               today: dt.date | None = None, sheets_google: GoogleLike = None,
               movements: PathLike | None = None) -> IngestReport:
        """Read the filled sheets (the cycle's own folders, or the `files` given, e.g. from e-mail)
        and write results.xlsx; with `google`, the results go to Google Sheets (`cyclekit ingest`).
        Count sheets made in Google Sheets are read there whatever the results' format: with
        `google`'s session, else `sheets_google`'s, else the default credentials.
        movements: the ERP's export of stock movements since the snapshot (kept with the cycle)."""
        from cyclekit.stages.ingest import ingest_cycle

        config, target = self.config, _google(google)
        given = _paths(files)
        reads_google = target is None and "count_sheets" in self.manifest.google
        reader = _google(sheets_google) if reads_google else None
        report: IngestReport = ingest_cycle(self.folder, config, given or None, today=today, google=target,
                                            results_to_google=target is not None, pdf=pdf, sheets_google=reader,
                                            movements=None if movements is None else Path(movements))
        return report

    def finalize(self, schedule: Schedule | PathLike, *, targets: Iterable[str] | str = (),
                 templates: Iterable[PathLike] | PathLike = (), partial: bool = False, google: GoogleLike = None,
                 today: dt.date | None = None, signed_off_by: str | None = None,
                 movements: PathLike | None = None, odoo_quants: PathLike | None = None) -> FinalizeReport:
        """Check approvals, write the ERP import files, move the schedule on and lock the cycle
        (`cyclekit finalize`). No targets: [count] default_targets of the config, else generic.
        signed_off_by: the lead who signs the cycle off (required with [approvals]).
        movements: a later movements export (up to the import), for the absolute quantities.
        odoo_quants: Odoo's update-by-ID export of the counted locations, completed as the odoo file."""
        from cyclekit.stages.finalize import finalize_cycle

        path = schedule.path if isinstance(schedule, Schedule) else schedule
        report: FinalizeReport = finalize_cycle(self.folder, path, self.config, targets=_names(targets),
                                                templates=_paths(templates), partial=partial,
                                                today=today, google=_google(google),
                                                signed_off_by=signed_off_by,
                                                movements=None if movements is None else Path(movements),
                                                odoo_quants=None if odoo_quants is None else Path(odoo_quants))
        return report

    def send(self, *, dry_run: PathLike | None = None, resend: bool = False, template: PathLike | None = None,
             to: Iterable[str] = ()) -> SendReport:
        """E-mail each counter their sheets not sent yet, or write them as .eml files in `dry_run`
        (`cyclekit send`); `to`: only these addresses."""
        from cyclekit.stages.send import send_cycle

        return send_cycle(self.folder, self.config, dry_run=None if dry_run is None else Path(dry_run),
                          resend=resend, template=None if template is None else Path(template), only=tuple(to))

    def status(self, today: dt.date | None = None) -> CycleStatus:
        """Where the cycle stands, and what would stop finalize today (`cyclekit status`)."""
        from cyclekit.stages.status import cycle_status

        return cycle_status(self.folder, self.config, today=today)

    def verify(self) -> Verification:
        """Every record of the cycle against its checksum; `.ok` is False when one changed or is
        missing (`cyclekit verify`)."""
        from cyclekit.stages.verify import verify_cycle

        return verify_cycle(self.folder)

    @property
    def manifest(self) -> Manifest:
        """manifest.json as it is now."""
        from cyclekit.folder.cycle import load_manifest

        return load_manifest(self.folder)

    @property
    def id(self) -> str:
        return self.manifest.cycle_id

    @property
    def as_of(self) -> dt.date:
        return dt.date.fromisoformat(self.manifest.as_of)

    @property
    def count_date(self) -> dt.date:
        return dt.date.fromisoformat(self.manifest.count_date)

    @property
    def locations(self) -> list[str]:
        """The locations the cycle counts, in the order of their sheets."""
        return [record.location for record in self.manifest.locations]

    @property
    def sheet_files(self) -> list[Path]:
        """The count and recount sheets cyclekit wrote, as files (none when they are in Google)."""
        return sorted({self.folder / record.file for record in self.manifest.sheets
                       if (self.folder / record.file).is_file()})

    @property
    def results(self) -> Path | None:
        """results.xlsx, once an ingest wrote it."""
        from cyclekit.folder.cycle import RESULTS

        path = self.folder / RESULTS
        return path if path.is_file() else None

    @property
    def finalized(self) -> bool:
        return bool(self.manifest.finalized)


def report(cycles: Iterable[PathLike] | PathLike, output: PathLike, *, config: ConfigLike = None,
           top: int = 20) -> TrendReport:
    """Trends across finalized cycles, from their counted lines, written as a workbook: discrepancy
    rate and record accuracy by cycle, location, zone, part, counter and root cause, the `top`
    locations and parts most often off (`cyclekit report`; needs `pip install 'cyclekit[report]'`)."""
    from cyclekit.stages.report import write_report

    return write_report(_paths(cycles), output, as_config(config), top=top)
