"""`cyclekit schedule`: the master schedule written from an export, keeping what people typed in the last one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

from cyclekit.backends.reader import use_limits
from cyclekit.backends.targets import WorkbookTarget, workbook_to_write
from cyclekit.config import Config
from cyclekit.domain.money import amount_display
from cyclekit.domain.problems import ProblemKind
from cyclekit.domain.review import ABC_CLASSES
from cyclekit.domain.scheduling import Schedule, build_schedule, with_totals
from cyclekit.domain.stock import Snapshot
from cyclekit.domain.values import cell_text
from cyclekit.errors import CycleError, CyclekitError, InputError, some_of
from cyclekit.inputs.inventory import load_inventory, snapshot_warnings
from cyclekit.inputs.locations import load_locations
from cyclekit.inputs.tables import file_sha256
from cyclekit.layouts.schedule import SourceFile, schedule_workbook
from cyclekit.layouts.schedule_reader import ScheduleFile, read_schedule
from cyclekit.layouts.schedule_update import carry_over, first_records

if TYPE_CHECKING:
    from cyclekit.backends.gsheets import GoogleTarget
    from cyclekit.layouts.schedule_update import CarriedOver


@dataclass(frozen=True)
class ScheduleReport:
    output: Path | str  # a file, or a Google spreadsheet's URL
    rows: int
    lines: int
    total_value: Decimal
    classes: dict[str, int]
    overdue: int
    due_soon: int
    kept_last_counts: int = 0  # from the schedule workbook that was there before
    kept_rows: int = 0
    kept_history: int = 0
    kept_tabs: tuple[str, ...] = ()  # tabs a person added, carried into the new schedule
    warnings: tuple[str, ...] = ()  # what the user should know, though nothing stopped
    kept: dict[str, list[str]] = field(default_factory=dict)  # column -> rows whose typed value stayed
    changed: dict[str, list[str]] = field(default_factory=dict)  # column -> rows the locations file changed
    replaced: dict[str, list[str]] = field(default_factory=dict)  # ...over a value typed in the workbook
    backup: Path | None = None  # the schedule as it was, when this one replaced it


def write_schedule(
    inventory: Path | str,
    output: Path | str,
    config: Config,
    *,
    locations: Path | str | None = None,
    as_of: dt.date | None = None,
    by: str = "location",
    today: dt.date | None = None,
    google: GoogleTarget | None = None,
    force: bool = False,
) -> ScheduleReport:
    """Load the snapshot (and locations), apply the rules, write the schedule workbook.

    Written over an existing schedule (a file, or with `google` a spreadsheet named
    'google:<id>' or by its URL), it keeps what that holds (see carry_over) and refuses an
    export that would take more than half of its rows with stock or of its value out, unless
    `force`."""
    today = today or dt.date.today()
    use_limits(config.limits)  # every workbook this command opens
    as_of = as_of or today
    target = workbook_to_write(output, google, "the schedule")
    existing = _existing_schedule(target, by)  # read before the long work
    snapshot = load_inventory(inventory, config.inventory)
    if not len(snapshot):
        raise CyclekitError(_nothing_to_count(snapshot))
    places = load_locations(locations, as_of=as_of, inventory=snapshot.locations()) if locations else {}
    schedule = build_schedule(snapshot, places, config.schedule, as_of, by=by)
    if existing is not None and not force:
        _refuse_a_shrunken_export(existing, schedule, inventory, output)
    kept = carry_over(schedule, existing, locations_given=bool(locations)) if existing is not None else None
    schedule.cycles = with_totals(schedule.rows, schedule.cycles)  # a typed cadence takes its row out of its cycle
    spec = schedule_workbook(schedule, config, _sources(snapshot, locations), snapshot.skipped, today,
                             history=kept.history if kept else None,
                             last_run=kept.last_run if kept else first_records(schedule, bool(locations)),
                             added_tabs=existing.added_tabs if existing is not None else [])
    backup = target.keep_backup(f"Schedule before {today.isoformat()}") if existing is not None else None
    written = target.write(spec, share_with={r.owner_email for r in schedule.rows if r.owner_email})
    return _report(written.address, schedule, snapshot, existing, kept, backup, as_of, config)


def _sources(snapshot: Snapshot, locations: Path | str | None) -> list[SourceFile]:
    """The files the schedule was made from, by name and checksum (its Sources)."""
    sources = [SourceFile("Inventory", Path(snapshot.file).name, snapshot.sha256)]
    if locations:
        sources.append(SourceFile("Locations", Path(locations).name, file_sha256(Path(locations))))
    return sources


def _report(output: Path | str, schedule: Schedule, snapshot: Snapshot, existing: ScheduleFile | None,
            kept: CarriedOver | None, backup: Path | None, as_of: dt.date, config: Config) -> ScheduleReport:
    classes = {c: sum(1 for r in schedule.rows if r.abc_class == c) for c in ABC_CLASSES}
    due = [(day - as_of).days for r in schedule.rows if (day := r.next_count())]
    return ScheduleReport(
        output=output, rows=len(schedule.rows), lines=len(snapshot),
        total_value=schedule.total_value, classes=classes,
        overdue=sum(1 for d in due if d < 0),
        due_soon=sum(1 for d in due if 0 <= d <= config.schedule.due_soon_days),
        kept_last_counts=kept.last_counts if kept else 0, kept_rows=kept.rows_kept if kept else 0,
        kept_history=len(kept.history) if kept else 0,
        kept_tabs=tuple(name for name, _ in existing.added_tabs) if existing is not None else (),
        kept=kept.kept if kept else {}, changed=kept.changed if kept else {},
        replaced=kept.replaced if kept else {},
        backup=backup,
        warnings=tuple(snapshot_warnings(snapshot)),
    )


def _nothing_to_count(snapshot: Snapshot) -> str:
    left_out = sum(snapshot.skipped.values())
    why = (f"all {left_out} of its lines have a status left out ("
           + ", ".join(f"{status} {count}" for status, count in sorted(snapshot.skipped.items()))
           + "; see [inventory] skip_statuses)") if left_out else "it has a header and no line"
    return f"{snapshot.file}: no line to count: {why}; nothing was written"


def _refuse_a_shrunken_export(existing: ScheduleFile, schedule: Schedule, inventory: Path | str,
                              output: Path | str) -> None:
    """An export that lost most of the plant (a header only, a filtered report, another site's) would
    reset the schedule's values and classes: refuse when it takes out more than half of the rows
    with stock, or more than half of the value."""
    before = {e.key: _amount(e.cells.get("Inventory Value")) for e in existing.entries
              if _amount(e.cells.get("Lines")) > 0}
    stocked = {row.key for row in schedule.rows if row.lines > 0}
    gone = [key for key in before if key not in stocked]
    old_value, new_value = sum(before.values(), Decimal(0)), schedule.total_value
    lost_value = old_value - new_value
    if len(gone) * 2 <= len(before) and (old_value <= 0 or lost_value * 2 <= old_value):
        return
    noun = "locations" if existing.by == "location" else "part numbers"
    share = f" ({lost_value / old_value:.0%} less)" if old_value > 0 and lost_value > 0 else ""
    raise CyclekitError(
        f"{inventory} would take {len(gone)} of the {len(before)} {noun} with stock out of {output}"
        + (f" ({some_of(gone, 5)})" if gone else "")
        + f" and its inventory value from {amount_display(old_value)} to {amount_display(new_value)}{share}; "
        "nothing was written. "
        "Check that the export is whole and of this plant, or give --force to write it anyway")


def _amount(value: object) -> Decimal:
    """A value cyclekit wrote in the schedule; a text or a number no plant holds (`n/a`, `1e300`,
    `inf`) typed over it counts for nothing here (the new schedule writes the export's value)."""
    try:
        amount = Decimal(cell_text(value).replace(",", "") or 0)
    except InvalidOperation:
        return Decimal(0)
    return amount if amount.is_finite() and abs(amount) < 10**15 else Decimal(0)


def _existing_schedule(target: WorkbookTarget, by: str) -> ScheduleFile | None:
    """The schedule already at the target, whose contents a new one keeps (see carry_over); a
    workbook there that is not a cyclekit schedule (by the same rows) is never overwritten."""
    if not target.exists():
        return None
    return _checked(lambda: read_schedule_at(target), target.name, by)


def read_schedule_at(target: WorkbookTarget) -> ScheduleFile:
    """The schedule a target holds: a file read as a file (so a finalize moving it on is said), a
    spreadsheet through its tabs."""
    return read_schedule(target.file or target.read())


def _checked(read: Callable[[], ScheduleFile], name: str, by: str) -> ScheduleFile:
    try:
        existing = read()
    except CycleError:
        raise  # a finalize moving it on: said as it is
    except InputError as exc:
        if all(p.kind == ProblemKind.BAD_VALUE for p in exc.problems):  # a schedule, with cells to correct
            raise InputError(exc.problems, summary=f"{exc.summary} (correct them, then run schedule "
                                                   "again)") from None
        raise CyclekitError(f"{name} exists and is not a cyclekit schedule ({exc.summary}: "
                            f"{'; '.join(p.message for p in exc.problems[:3])}); nothing was written: "
                            "give another file with -o") from None
    except CyclekitError as exc:
        raise CyclekitError(f"{name} exists and is not a cyclekit schedule ({exc}); nothing was written: "
                            "give another file with -o") from None
    if existing.by != by:
        raise CyclekitError(f"{name} is a schedule by {existing.by}, not by {by}; "
                            "nothing was written: give another file with -o")
    return existing
