"""Move the schedule on after a cycle: regenerate it from what the user left, never patch it.

Every value a person changed or added (cadences, owners, notes, extra columns, history) is
read, the counted locations get the cycle's count date as Last Count, and the workbook is
written anew, so its formulas, formats and validations are whole again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell

from cyclekit.backends.spec import WorkbookSpec
from cyclekit.config import Config
from cyclekit.domain.scheduling import (
    CountResult,
    Learned,
    Schedule,
    ScheduleRow,
    cadence_for,
    learn_cadence,
    leave_cycle,
    level_next_counts,
    with_totals,
)
from cyclekit.domain.values import cell_text, exact_text
from cyclekit.errors import InputError, Problem
from cyclekit.layouts.history import HistoryRow, read_history
from cyclekit.layouts.schedule import SCHEDULE_TAB, SourceFile, schedule_workbook
from cyclekit.layouts.schedule_reader import ScheduleEntry, ScheduleFile


def _number(value: Any, default: Decimal = Decimal(0)) -> Decimal:
    """A number cyclekit wrote (a count in the Settings tab, a Counts / Year); anything else: `default`."""
    try:
        number = Decimal(cell_text(value).replace(",", "")) if cell_text(value) else default
    except InvalidOperation:
        return default
    return number if number.is_finite() and abs(number) < 10**15 else default


class _Numbers:
    """The numbers of the Schedule tab's rows that finalize writes again (Lines, Inventory Value,
    Counts / Year, Cycle): a text typed there (`n/a`, `45 days`) or a number no row can hold is a
    problem naming the cell; written as 0 it would drop what the person typed."""

    LIMITS: dict[str, int | Decimal] = {"Lines": 10**12, "Inventory Value": Decimal(10) ** 15, "Counts / Year": 366,
              "Cycle": 10**6}

    def __init__(self, file: ScheduleFile):
        self.file = file
        self.problems: list[Problem] = []

    def get(self, entry: ScheduleEntry, name: str, default: Decimal, whole: bool = True) -> Decimal:
        value = entry.cells.get(name)
        text = cell_text(value).strip()
        if not text:
            return default
        try:
            number = Decimal(text.replace(",", "")) if isinstance(value, str) else Decimal(str(value))
        except InvalidOperation:
            number = Decimal("NaN")
        if (not number.is_finite() or abs(number) > self.LIMITS[name]
                or (whole and number != number.to_integral_value()) or number < 0):
            kind = "a whole number" if whole else "a number"
            self.problems.append(Problem(
                "bad-value", str(self.file.path), f"{name} must be {kind} from 0 to {self.LIMITS[name]:,}: "
                "correct it or clear the cell (cyclekit fills it again)", sheet=SCHEDULE_TAB,
                cell=xl_rowcol_to_cell(entry.row - 1, self.file.headers.index(name)), row=entry.row, column=name,
                value=text))
            return default
        return number


def _sources(settings: list[tuple[str, Any]]) -> list[SourceFile]:
    values = dict(settings)
    sources = []
    for label, _ in settings:
        if label.endswith(" file") and label != "Config file":
            name = label[: -len(" file")]
            sources.append(SourceFile(name, cell_text(values[label]), cell_text(values.get(f"{name} SHA-256"))))
    return sources


def _skipped(settings: list[tuple[str, Any]]) -> dict[str, int]:
    prefix = "Lines left out: status "
    return {label[len(prefix):]: int(_number(value)) for label, value in settings if label.startswith(prefix)}


_RECENT = re.compile(r"(\d{4}-\d{2}-\d{2}) (\d+)/(\d+) M(\d+)")


def _whole(value: Any) -> int | None:
    number = _number(value, Decimal(0))
    return int(number) if number >= 1 and number == number.to_integral_value() else None


def read_learned(file: ScheduleFile) -> dict[str, Learned]:
    """The hidden Count Record tab by row key: what earlier counts taught (a cell a person spoiled
    reads as nothing learned, never as a cadence)."""
    learned = {}
    rows = file.count_record
    headers = [cell_text(h) for h in rows[0]] if rows else []
    for row in rows[1:]:
        cells = dict(zip(headers, row))
        key = exact_text(row[0]) if row else ""
        if not key.strip():
            continue
        recent = []
        for match in _RECENT.finditer(cell_text(cells.get("Recent Counts"))):
            with contextlib.suppress(ValueError):
                recent.append(CountResult(dt.date.fromisoformat(match[1]), int(match[3]), int(match[2]),
                                          int(match[4])))
        learned[key] = Learned(recent, _whole(cells.get("Adapted Cadence")), _whole(cells.get("Class Cadence")),
                               cell_text(cells.get("Reason")))
    return learned


def _rules_cadence(entry: ScheduleEntry, record: dict[str, str] | None, learned: Learned) -> int | None:
    """The cadence the rules give the row (its class's), as the last run recorded it."""
    if record is not None and record.get("Cadence (rules)", "").isdigit():
        return int(record["Cadence (rules)"])
    if learned.class_cadence:
        return learned.class_cadence
    per_year = _number(entry.cells.get("Counts / Year"), Decimal(0))
    return cadence_for(int(per_year)) if per_year >= 1 else None


def _learn(row: ScheduleRow, entry: ScheduleEntry, learned: Learned, result: CountResult | None,
           record: dict[str, str] | None, config: Config) -> None:
    """Adaptive cadence: the row's cadence after this cycle, unless a person chose it (typed in the
    schedule or given in the locations file): that one is never changed."""
    row.learned = learned
    rules = _rules_cadence(entry, record, learned)
    in_force = learned.cadence is not None and entry.cadence_days == learned.cadence
    chosen = bool(record and record.get("Cadence (locations file)")) or entry.cadence_days is None or (
        not in_force and entry.cadence_days != rules)
    if chosen or rules is None or not config.cadence.adaptive:
        if result is not None:
            learned.recent = [*learned.recent, result][-max(config.cadence.window,
                                                            config.cadence.clean_runs_to_restore):]
        if chosen:
            learned.cadence, learned.reason = None, ""
        row.cadence_reason = learned.reason
        return
    if not in_force:
        learned.cadence = None
    if result is not None:
        row.cadence_days = learn_cadence(learned, result, row.cadence_days or rules, rules, config.cadence)
    row.cadence_reason = learned.reason


def updated_schedule(file: ScheduleFile, counted_on: dict[str, dt.date], history_row: HistoryRow,
                     config: Config, today: dt.date, results: dict[str, CountResult] | None = None
                     ) -> tuple[WorkbookSpec, list[str]]:
    """The schedule with Last Count moved on for `counted_on` locations and History extended;
    results: this cycle's count of each row, from which the adaptive cadence learns."""
    as_of = file.as_of or today
    rows = []
    numbers = _Numbers(file)
    anchors = {c.number: c.start for c in file.cycles}
    learned = read_learned(file)
    run_records = last_run_records(file) or {}
    for entry in file.entries:
        cells = entry.cells
        last = counted_on.get(entry.key, entry.last_count)
        cycle = numbers.get(entry, "Cycle", Decimal(-1))
        rows.append(row := ScheduleRow(
            key=entry.key, zone=entry.zone, owner=entry.owner, owner_email=entry.owner_email,
            lines=int(numbers.get(entry, "Lines", Decimal(0))),
            value=numbers.get(entry, "Inventory Value", Decimal(0), whole=False),
            abc_class=entry.abc_class, counts_per_year=int(numbers.get(entry, "Counts / Year", Decimal(1))),
            cadence_days=entry.cadence_days, last_count=last,
            first_due=entry.next_count if entry.last_count is None and entry.next_count else as_of,
            cycle=int(cycle) if cycle >= 0 else None, anchor=anchors.get(int(cycle)),
            shift=0 if entry.key in counted_on else entry.shift,  # a count moved on starts from its new Last Count
            notes=cell_text(cells.get("Notes")),
            extra={name: cells.get(name) for name in file.extra_columns}))
        if entry.key in learned or (results and entry.key in results):
            _learn(row, entry, learned.get(entry.key) or Learned(), (results or {}).get(entry.key),
                   run_records.get(entry.key), config)
        if row.cadence_days and row.cadence_days != cadence_for(max(row.counts_per_year, 1)):
            leave_cycle(row)  # a cadence a person typed (or learned): counted on it, Counts / Year follow it
    if numbers.problems:
        raise InputError(numbers.problems, summary=f"{len(numbers.problems)} problem(s) in {file.path}")
    moved = [e.key for e in file.entries if e.key in counted_on]
    records = last_run_records(file)
    level_next_counts(rows, {e.key for e in file.entries if e.key in counted_on and _cadence_by_rules(e, records)},
                      config.schedule.level_tolerance_days, today, config.schedule.calendar_weeks, file.cycles)
    history = [h for h in read_history(file.history, str(file.path)) if h.cycle_id != history_row.cycle_id]
    # its title and Calendar stand at the day it was moved on; never-counted rows keep the as-of date
    schedule = Schedule(by=file.by, as_of=as_of, rows=rows, extra_columns=file.extra_columns, moved_on=today,
                        cycles=with_totals(rows, file.cycles))
    spec = schedule_workbook(schedule, config, _sources(file.settings), _skipped(file.settings), today,
                             history=[*history, history_row], last_run=records,
                             added_tabs=file.added_tabs)
    return spec, moved


# The columns a person may edit that the locations file or the rules also fill (Notes and added
# columns have no other source: the workbook's are always kept).
FIELDS = {"zone": "Zone", "owner": "Owner", "owner_email": "Owner Email", "cadence": "Cadence (days)",
          "last_count": "Last Count"}


@dataclass
class CarriedOver:
    last_counts: int  # rows whose Last Count came from the existing workbook
    rows_kept: int  # rows only the existing workbook had (added by a person)
    history: list[HistoryRow]
    last_run: dict[str, dict[str, str]]  # for the hidden Last Run tab of the new workbook
    kept: dict[str, list[str]] = field(default_factory=dict)  # column -> rows whose typed value stayed
    changed: dict[str, list[str]] = field(default_factory=dict)  # column -> rows the locations file changed
    replaced: dict[str, list[str]] = field(default_factory=dict)  # ...of which a typed value was replaced


def last_run_records(file: ScheduleFile) -> dict[str, dict[str, str]] | None:
    """The hidden Last Run tab by row key (None when the workbook has none: an older schedule)."""
    if file.last_run is None:
        return None
    rows = file.last_run
    headers = [cell_text(h) for h in rows[0]] if rows else []
    records = {}
    for row in rows[1:]:
        cells = [cell_text(v) for v in row]
        if cells and cells[0]:
            records[cells[0]] = {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(headers) if i}
    return records


def _date_text(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def _cadence_text(value: int | None) -> str:
    return "" if value is None else str(value)


def new_record(row: ScheduleRow, previous: dict[str, str] | None, locations_given: bool) -> dict[str, str] | None:
    """What the locations file and the rules gave `row` at this run. Without a locations file
    the previous record's locations values stand (the file did not change by being left out)."""
    rules = _cadence_text(row.cadence_days)
    if not locations_given:
        if previous is None:
            return None  # nothing known: the next run keeps what is typed
        return {**previous, "Cadence (rules)": rules}
    return {"Zone": row.zone, "Owner": row.owner, "Owner Email": row.owner_email,
            "Last Count": _date_text(row.last_count),
            "Cadence (locations file)": _cadence_text(row.cadence_days) if row.cadence_override else "",
            "Cadence (rules)": rules}


def first_records(schedule: Schedule, locations_given: bool) -> dict[str, dict[str, str]]:
    """The Last Run tab of a schedule written where there was none."""
    records = {row.key: new_record(row, None, locations_given) for row in schedule.rows}
    return {key: record for key, record in records.items() if record is not None}


def carry_over(schedule: Schedule, file: ScheduleFile, *, locations_given: bool = True) -> CarriedOver:
    """What the existing schedule workbook holds that a new one must keep: every value a person
    typed in a column they may edit (Zone, Owner, Owner Email, Cadence, Last Count), unless the
    locations file changed that field since the last run; notes, added columns, added rows and
    the History.

    "Typed" and "changed since the last run" are told apart by the hidden Last Run tab. An
    older workbook without it keeps what differs from the new values (nothing typed is lost),
    except Last Count, where the later of the two dates wins as before.
    """
    old = {entry.key: entry for entry in file.entries}
    learned = read_learned(file)
    records = last_run_records(file)
    out = CarriedOver(0, 0, read_history(file.history, str(file.path)), {})

    def note(kind: dict[str, list[str]], name: str, key: str) -> None:
        kind.setdefault(FIELDS[name], []).append(key)

    for row in schedule.rows:
        entry = old.pop(row.key, None)
        record = records.get(row.key) if records is not None else None
        new = new_record(row, record, locations_given)
        if new is not None:
            out.last_run[row.key] = new
        if entry is None:
            continue
        for name in ("zone", "owner", "owner_email"):
            _merge_text(row, entry, name, record, locations_given, out, note)
        if not _keep_learned(row, entry, learned.get(row.key)):
            _merge_cadence(row, entry, record, locations_given, out, note)
        _merge_last_count(row, entry, record, locations_given, out, note)
        if row.last_count == entry.last_count:  # a levelled Next Count stays while its Last Count does
            row.shift = entry.shift
        row.notes = row.notes or cell_text(entry.cells.get("Notes"))
        row.extra = {name: entry.cells.get(name) for name in file.extra_columns}
    for entry in old.values():  # a row a person added: kept, with nothing in stock
        schedule.rows.append(ScheduleRow(
            key=entry.key, zone=entry.zone, owner=entry.owner, owner_email=entry.owner_email,
            abc_class=entry.abc_class, cadence_days=entry.cadence_days, last_count=entry.last_count,
            first_due=entry.next_count if entry.last_count is None else None,
            notes=cell_text(entry.cells.get("Notes")),
            extra={name: entry.cells.get(name) for name in file.extra_columns}))
        if records is not None and entry.key in records:
            out.last_run[entry.key] = records[entry.key]
    schedule.extra_columns = list(dict.fromkeys([*schedule.extra_columns, *file.extra_columns]))
    out.rows_kept = len(old)
    return out


Note = Any  # note(kind, field name, row key)


def _keep_learned(row: ScheduleRow, entry: ScheduleEntry, learned: Learned | None) -> bool:
    """A cadence the adaptive cadence set stays, with its reason, while the locations file chooses
    none; the class cadence it returns to is the rules' of this run. True when it stays."""
    if learned is None:
        return False
    row.learned = learned
    if learned.cadence is None:
        row.cadence_reason = learned.reason
        return False
    if entry.cadence_days != learned.cadence or row.cadence_override:
        learned.cadence, learned.reason = None, ""  # typed over, or chosen in the locations file
        return False
    learned.class_cadence = row.cadence_days
    row.cadence_days, row.cadence_reason = learned.cadence, learned.reason
    return True


def _merge_text(row: ScheduleRow, entry: ScheduleEntry, name: str, record: dict[str, str] | None,
                locations_given: bool, out: CarriedOver, note: Note) -> None:
    new, typed = getattr(row, name), getattr(entry, name)
    header = FIELDS[name]
    if locations_given and record is not None and new != record.get(header, ""):
        note(out.changed, name, row.key)  # the locations file changed it since the last run
        if typed not in (new, record.get(header, "")):
            note(out.replaced, name, row.key)
        return
    if record is None and not typed:
        return  # nothing typed, nothing known: the new value
    if typed != new:
        setattr(row, name, typed)
        note(out.kept, name, row.key)


def _written_by_rules(entry: ScheduleEntry) -> bool:
    """In a workbook without a Last Run tab: the Cadence is the one the rules wrote for its Counts /
    Year (a typed cadence rarely is: 45 days against 4 counts a year, 91)."""
    per_year = _number(entry.cells.get("Counts / Year"), Decimal(0))
    return entry.cadence_days is not None and per_year >= 1 and entry.cadence_days == cadence_for(int(per_year))


def _cadence_by_rules(entry: ScheduleEntry, records: dict[str, dict[str, str]] | None) -> bool:
    """The row's Cadence is the one the rules gave it: neither typed nor from the locations file
    (a row whose cadence a person chose is never levelled)."""
    record = records.get(entry.key) if records is not None else None
    if record is None:
        return _written_by_rules(entry)
    return not record.get("Cadence (locations file)") and _cadence_text(entry.cadence_days) == record.get(
        "Cadence (rules)", "")


def _merge_cadence(row: ScheduleRow, entry: ScheduleEntry, record: dict[str, str] | None,
                   locations_given: bool, out: CarriedOver, note: Note) -> None:
    typed = entry.cadence_days
    from_file = _cadence_text(row.cadence_days) if row.cadence_override else ""
    if locations_given and record is not None and from_file != record.get("Cadence (locations file)", ""):
        note(out.changed, "cadence", row.key)
        if _cadence_text(typed) not in (_cadence_text(row.cadence_days), record.get("Cadence (rules)", "")):
            note(out.replaced, "cadence", row.key)
        return
    if record is not None:
        edited = _cadence_text(typed) != record.get("Cadence (rules)", "")
    else:
        edited = not _written_by_rules(entry)
    if not edited or typed == row.cadence_days:
        return
    # a typed cadence stands: Counts / Year follows it, as for a cadence from the locations file
    row.cadence_days, row.cadence_override = typed, True
    leave_cycle(row)
    note(out.kept, "cadence", row.key)


def _merge_last_count(row: ScheduleRow, entry: ScheduleEntry, record: dict[str, str] | None,
                      locations_given: bool, out: CarriedOver, note: Note) -> None:
    new, typed = row.last_count, entry.last_count
    later = new is not None and (typed is None or new > typed)
    if locations_given and record is not None and _date_text(new) != record.get("Last Count", ""):
        if later:  # the locations file has a later date (finalize may have moved it on since: the later wins)
            note(out.changed, "last_count", row.key)
            if _date_text(typed) != record.get("Last Count", ""):
                note(out.replaced, "last_count", row.key)
            return
    elif record is None and later:
        return  # no record of the last run: the later date wins, as it always did
    if typed != new:
        row.last_count = typed
        out.last_counts += 1
        note(out.kept, "last_count", row.key)
