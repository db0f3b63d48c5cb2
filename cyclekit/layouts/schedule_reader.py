"""Read the schedule workbook as the user left it: edited cadences, owners, dates, extra columns."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell

from cyclekit.backends.reader import WorkbookReader
from cyclekit.domain.scheduling import CalendarWeek, CycleWindow, ScheduleRow, monday_of, next_count, plan_weeks
from cyclekit.domain.values import cell_text, exact_text, parse_date
from cyclekit.errors import CycleError, InputError, Problem
from cyclekit.inputs.locations import MAX_CADENCE_DAYS
from cyclekit.layouts.history import HISTORY_TAB
from cyclekit.layouts.results_carry import header_key
from cyclekit.layouts.schedule import (
    CALENDAR_TAB,
    COUNT_RECORD_TAB,
    CYCLES_TAB,
    LAST_RUN_TAB,
    LEVELLED,
    SCHEDULE_TAB,
    SETTINGS_TAB,
    WRITTEN_TABS,
)

REQUIRED = ("Cadence (days)", "Last Count")
STANDARD = {"Location", "Part Number", "Zone", "Zones", "Owner", "Owner Email", "Lines", "Inventory Value",
            "ABC Class", "Counts / Year", "Cadence (days)", "Last Count", "Next Count", "Days Until Due",
            "Status", "Cycle", "Notes", LEVELLED, "Cadence Reason"}


@dataclass
class ScheduleEntry:
    key: str
    zone: str
    owner: str
    owner_email: str
    abc_class: str
    cadence_days: int | None
    last_count: dt.date | None
    next_count: dt.date | None
    cells: dict[str, Any] = field(default_factory=dict)  # every column as read, extras included
    row: int = 0  # its row in the Schedule tab (1: the header)
    cycle: int | None = None  # Foreman model: its cycle, when the Cycles tab has it
    shift: int = 0  # Levelled (days): in its Next Count
    anchor: dt.date | None = None  # that cycle's start (see scheduling.next_count)


@dataclass
class ScheduleFile:
    path: Path
    by: str  # "location" or "part"
    as_of: dt.date | None
    headers: list[str]
    entries: list[ScheduleEntry]
    settings: list[tuple[str, Any]] = field(default_factory=list)  # Settings tab, label and value
    history: list[list[Any]] = field(default_factory=list)  # History tab rows as read
    last_run: list[list[Any]] | None = None  # the hidden Last Run tab's rows, None without one
    added_tabs: list[tuple[str, list[list[Any]]]] = field(default_factory=list)  # tabs a person added
    calendar_start: dt.date | None = None  # the Calendar tab's first Monday, None without one
    calendar_weeks: int = 0  # the weeks the Calendar tab plans
    cycles: list[CycleWindow] = field(default_factory=list)  # the Cycles tab (Foreman model)
    count_record: list[list[Any]] = field(default_factory=list)  # the hidden Count Record tab's rows

    @property
    def extra_columns(self) -> list[str]:
        """Columns a person added to the Schedule tab: kept through every regeneration."""
        return [h for h in self.headers if h and h not in STANDARD]


def _settings(reader: WorkbookReader) -> list[tuple[str, Any]]:
    if SETTINGS_TAB not in reader.tabs:
        return []
    return [(cell_text(row[0]), row[1] if len(row) > 1 else None)
            for row in reader.rows(SETTINGS_TAB)[1:] if row and cell_text(row[0])]


def _settings_as_of(settings: list[tuple[str, Any]]) -> dt.date | None:
    for label, value in settings:
        if label.startswith("As-of date"):
            try:
                return parse_date(value)
            except ValueError:
                return None
    return None


def _cadence(raw: Any) -> int | None | str:
    """A typed cadence: a whole number of days in range, None when blank, "bad" otherwise
    (`45 days`, `1e300`, `1E3` typed as text, `0`, `-7`, `45.5`: reading them would be a guess)."""
    text = cell_text(raw).strip()
    if not text:
        return None
    if isinstance(raw, str):
        if not text.isascii() or not text.isdigit():
            return "bad"
        number = Decimal(text)
    else:
        try:
            number = Decimal(str(raw))
        except InvalidOperation:
            return "bad"
    if not number.is_finite() or number != number.to_integral_value() or not 1 <= number <= MAX_CADENCE_DAYS:
        return "bad"
    return int(number)


def finalize_underway(path: Path) -> str | None:
    """The cycle id of a finalize that is moving this schedule on, or was killed doing it (its
    staged copies lie beside the schedule, see finalize_commit): reading the schedule now would
    read it half moved on."""
    prefix = f".{path.name}.finalize-"
    with contextlib.suppress(OSError):
        for beside in path.parent.iterdir():
            name = beside.name
            if name.startswith(prefix) and name.endswith((".new", ".old")):
                return name[len(prefix):-len(".new")]
    return None


def _open(path: Path | str | Any) -> Any:
    """A reader of the schedule: `path` itself when it is one (a Google spreadsheet)."""
    if hasattr(path, "rows"):
        return path
    cycle_id = finalize_underway(Path(path))
    if cycle_id is not None:
        raise CycleError(
            f"a finalize of cycle {cycle_id} is moving {path} on, or was stopped doing it; nothing was "
            f"changed: run `cyclekit finalize` (or `cyclekit ingest`) on that cycle first, which finishes "
            "or undoes it, then this command again")
    return WorkbookReader(path)


def _key_header(headers: list[str], file: str) -> str:
    """The column the rows are keyed by; the columns a schedule cannot be read without."""
    key_header = "Location" if "Location" in headers else "Part Number" if "Part Number" in headers else None
    problems = [Problem("missing-column", file, f"column {name!r} is missing", sheet=SCHEDULE_TAB,
                        row=1, column=name)
                for name in ((key_header or "Location"), *REQUIRED) if name not in headers]
    if problems or key_header is None:
        raise InputError(problems, summary=f"{file} is not a cyclekit schedule")
    return key_header


class _Rows:
    """The Schedule tab's rows read as entries; what cannot be read, a problem naming its cell."""

    def __init__(self, file: str, headers: list[str], key_header: str, as_of: dt.date | None,
                 cycles: list[CycleWindow]):
        self.file, self.key_header, self.as_of = file, key_header, as_of
        self.anchors = {c.number: c.start for c in cycles}
        self.col = {name: headers.index(name) for name in headers if name}
        self.problems: list[Problem] = []

    def problem(self, r: int, cells: dict[str, Any], name: str, message: str) -> None:
        self.problems.append(Problem("bad-value", self.file, message, sheet=SCHEDULE_TAB,
                                     cell=xl_rowcol_to_cell(r, self.col[name]), row=r + 1, column=name,
                                     value=cell_text(cells[name])))

    def _date(self, r: int, cells: dict[str, Any], name: str, report: bool) -> dt.date | None:
        if not cell_text(cells.get(name)):
            return None
        try:
            return parse_date(cells[name])
        except ValueError as exc:
            if report:
                self.problem(r, cells, name, f"{name} {exc}")
            return None

    def _shift(self, r: int, cells: dict[str, Any]) -> int:
        """Levelled (days): a whole number of days, as the Next Count formula adds it."""
        raw = cells.get(LEVELLED)
        if raw is None or cell_text(raw).strip() == "":
            return 0
        if isinstance(raw, int | float) and not isinstance(raw, bool) and abs(raw) <= 366 and raw == int(raw):
            return int(raw)
        self.problem(r, cells, LEVELLED, f"{LEVELLED} must be a whole number of days from -366 to 366, or blank")
        return 0

    def entry(self, r: int, row: list[Any]) -> ScheduleEntry | None:
        cells = {name: (row[i] if i < len(row) else None) for name, i in self.col.items()}
        key = exact_text(cells[self.key_header])  # a location or part is matched exactly: ' X ' is not 'X'
        if not key.strip():
            return None
        cadence = _cadence(cells["Cadence (days)"])
        if isinstance(cadence, str):  # "bad"
            cadence = None
            self.problem(r, cells, "Cadence (days)",
                         f"cadence must be a whole number of days from 1 to {MAX_CADENCE_DAYS}")
        last = self._date(r, cells, "Last Count", report=True)
        cached_next = self._date(r, cells, "Next Count", report=False)
        # the cycle as the formula finds it: a number in the Cycles tab (a text "2" is not found)
        raw_cycle = cells.get("Cycle")
        cycle = (int(raw_cycle) if isinstance(raw_cycle, int | float) and not isinstance(raw_cycle, bool)
                 and raw_cycle in self.anchors else None)
        anchor = self.anchors.get(cycle) if cycle is not None else None
        # recompute from the inputs a person edits; the cached value only for never-counted rows
        try:
            # without a cached value (a file saved by a tool that drops them), never counted falls due
            # at the as-of date, or at its cycle's start (as the schedule wrote it)
            first = cached_next or (max(anchor, self.as_of) if anchor and self.as_of else self.as_of)
            due = next_count(last, cadence, first, anchor)
            shift = self._shift(r, cells)
            if due is not None and last is not None:
                due += dt.timedelta(days=shift)
        except OverflowError:  # a Last Count near the calendar's end (9999-12-31)
            self.problem(r, cells, "Last Count", "Last Count plus the cadence is past the last date a calendar holds")
            return None
        return ScheduleEntry(
            key=key, zone=cell_text(cells.get("Zone", cells.get("Zones"))),
            owner=cell_text(cells.get("Owner")), owner_email=cell_text(cells.get("Owner Email")),
            abc_class=cell_text(cells.get("ABC Class")).upper() or "C",
            cadence_days=cadence, last_count=last, next_count=due, cells=cells, row=r + 1,
            cycle=cycle, anchor=anchor, shift=shift)


def read_schedule(path: Path | str | Any) -> ScheduleFile:
    """From an xlsx path, or from an open reader (a Google spreadsheet)."""
    reader = _open(path)
    path = reader.path
    rows = reader.rows(SCHEDULE_TAB)
    file = str(path)
    if not rows:
        raise InputError([Problem("empty", file, "the Schedule tab is empty", sheet=SCHEDULE_TAB)])
    headers = [cell_text(h) for h in rows[0]]
    key_header = _key_header(headers, file)
    settings = _settings(reader)
    cycles = _cycles(reader)
    read = _Rows(file, headers, key_header, _settings_as_of(settings), cycles)
    entries = [entry for r, row in enumerate(rows[1:], start=1) if (entry := read.entry(r, row)) is not None]
    if read.problems:
        raise InputError(read.problems, summary=f"{len(read.problems)} problem(s) in {file}")
    history = reader.rows(HISTORY_TAB) if HISTORY_TAB in reader.tabs else []
    by = "location" if key_header == "Location" else "part"
    last_run = reader.rows(LAST_RUN_TAB) if LAST_RUN_TAB in reader.tabs else None
    count_record = reader.rows(COUNT_RECORD_TAB) if COUNT_RECORD_TAB in reader.tabs else []
    written = {header_key(tab) for tab in WRITTEN_TABS}
    added = [(tab, reader.rows(tab)) for tab in reader.tabs if header_key(tab) not in written]
    start, weeks = _calendar_span(reader)
    return ScheduleFile(path if isinstance(path, Path) else Path(str(path)), by,
                        read.as_of, headers, entries, settings, history, last_run, added, start, weeks, cycles,
                        count_record)


def _cycles(reader: WorkbookReader) -> list[CycleWindow]:
    """The Cycles tab's windows as cyclekit wrote them (number, start, end); a row a person broke is left out."""
    if CYCLES_TAB not in reader.tabs:
        return []
    cycles = []
    for row in reader.rows(CYCLES_TAB)[1:]:
        number = row[0] if row else None
        if not isinstance(number, int | float) or number != int(number) or len(row) < 3:
            continue
        try:
            cycles.append(CycleWindow(int(number), parse_date(row[1]), parse_date(row[2]), 0, 0))
        except ValueError:
            continue
    return cycles


def _calendar_span(reader: WorkbookReader) -> tuple[dt.date | None, int]:
    """The first week and the number of weeks of the Calendar tab (None, 0 when it has none)."""
    if CALENDAR_TAB not in reader.tabs:
        return None, 0
    weeks = [row[0] for row in reader.rows(CALENDAR_TAB)[1:] if row and cell_text(row[0])]
    try:
        return (parse_date(weeks[0]), len(weeks)) if weeks else (None, 0)
    except ValueError:
        return None, 0


def _lines(value: Any) -> int:
    """A row's Lines as cyclekit wrote them; anything a person typed over them weighs nothing."""
    try:
        number = Decimal(cell_text(value).replace(",", "") or 0)
    except InvalidOperation:
        return 0
    return int(number) if number.is_finite() and 0 <= number < 10**12 else 0


def planned_weeks(file: ScheduleFile, weeks: int) -> list[CalendarWeek]:
    """The plan the Calendar tab shows, made again from the Schedule tab as it is now: from the
    Calendar's first week (or the as-of week) over its weeks (or `weeks`), by the one planning rule
    (domain.scheduling.plan_weeks) that wrote the Calendar."""
    rows = [ScheduleRow(key=e.key, owner=e.owner, lines=_lines(e.cells.get("Lines")), cadence_days=e.cadence_days,
                        last_count=e.last_count, first_due=e.next_count, anchor=e.anchor, shift=e.shift)
            for e in file.entries]
    start = file.calendar_start or monday_of(file.as_of or dt.date.today())
    return plan_weeks(rows, start, file.calendar_weeks or weeks)
