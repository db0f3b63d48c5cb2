"""Move the schedule on after a cycle: regenerate it from what the user left, never patch it.

Every value a person changed or added (cadences, owners, notes, extra columns, history) is
read, the counted locations get the cycle's count date as Last Count, and the workbook is
written anew, so its formulas, formats and validations are whole again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from cyclekit.config import Config
from cyclekit.history import HistoryRow, read_history
from cyclekit.schedule import Schedule, ScheduleRow
from cyclekit.schedule_book import SourceFile, schedule_workbook
from cyclekit.schedule_reader import ScheduleFile
from cyclekit.values import cell_text
from cyclekit.workbook.spec import WorkbookSpec


def _number(value: Any, default: Decimal = Decimal(0)) -> Decimal:
    try:
        return Decimal(cell_text(value).replace(",", "")) if cell_text(value) else default
    except InvalidOperation:
        return default


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


def updated_schedule(file: ScheduleFile, counted_on: dict[str, dt.date], history_row: HistoryRow,
                     config: Config, today: dt.date) -> tuple[WorkbookSpec, list[str]]:
    """The schedule with Last Count moved on for `counted_on` locations and History extended."""
    as_of = file.as_of or today
    rows = []
    for entry in file.entries:
        cells = entry.cells
        last = counted_on.get(entry.key, entry.last_count)
        cycle = cells.get("Cycle")
        rows.append(ScheduleRow(
            key=entry.key, zone=entry.zone, owner=entry.owner, owner_email=entry.owner_email,
            lines=int(_number(cells.get("Lines"))), value=_number(cells.get("Inventory Value")),
            abc_class=entry.abc_class, counts_per_year=int(_number(cells.get("Counts / Year"), Decimal(1))),
            cadence_days=entry.cadence_days, last_count=last,
            first_due=entry.next_count if entry.last_count is None and entry.next_count else as_of,
            cycle=int(_number(cycle)) if cell_text(cycle) else None,
            notes=cell_text(cells.get("Notes")),
            extra={name: cells.get(name) for name in file.extra_columns}))
    moved = [e.key for e in file.entries if e.key in counted_on]
    history = [h for h in read_history(file.history, str(file.path)) if h.cycle_id != history_row.cycle_id]
    schedule = Schedule(by=file.by, as_of=as_of, rows=rows, extra_columns=file.extra_columns)
    spec = schedule_workbook(schedule, config, _sources(file.settings), _skipped(file.settings), today,
                             history=[*history, history_row])
    return spec, moved


@dataclass(frozen=True)
class CarriedOver:
    last_counts: int  # rows whose Last Count came from the existing workbook
    rows_kept: int  # rows only the existing workbook had (added by a person)
    history: list[HistoryRow]


def carry_over(schedule: Schedule, file: ScheduleFile) -> CarriedOver:
    """What the existing schedule workbook holds that a new one must keep: Last Count dates
    (moved on by finalize, or typed), notes, added columns, added rows and the History.

    The later of the two Last Count dates wins: the locations file may hold a newer one.
    """
    old = {entry.key: entry for entry in file.entries}
    moved = 0
    for row in schedule.rows:
        entry = old.pop(row.key, None)
        if entry is None:
            continue
        if entry.last_count and (row.last_count is None or entry.last_count > row.last_count):
            row.last_count = entry.last_count
            moved += 1
        row.notes = row.notes or cell_text(entry.cells.get("Notes"))
        row.extra = {name: entry.cells.get(name) for name in file.extra_columns}
    for entry in old.values():  # a row a person added: kept, with nothing in stock
        schedule.rows.append(ScheduleRow(
            key=entry.key, zone=entry.zone, owner=entry.owner, owner_email=entry.owner_email,
            abc_class=entry.abc_class, cadence_days=entry.cadence_days, last_count=entry.last_count,
            first_due=entry.next_count if entry.last_count is None else None,
            notes=cell_text(entry.cells.get("Notes")),
            extra={name: entry.cells.get(name) for name in file.extra_columns}))
    schedule.extra_columns = list(dict.fromkeys([*schedule.extra_columns, *file.extra_columns]))
    return CarriedOver(moved, len(old), read_history(file.history, str(file.path)))
