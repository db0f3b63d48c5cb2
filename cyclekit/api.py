"""One library function per command: what the CLI calls, and what a script imports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from cyclekit.config import Config
from cyclekit.errors import CyclekitError
from cyclekit.inventory import load_inventory
from cyclekit.locations import load_locations
from cyclekit.schedule import build_schedule
from cyclekit.schedule_book import SourceFile, schedule_workbook
from cyclekit.schedule_reader import ScheduleFile, read_schedule
from cyclekit.schedule_update import carry_over
from cyclekit.tables import file_sha256
from cyclekit.workbook.xlsx import render_xlsx

if TYPE_CHECKING:
    from cyclekit.workbook.gsheets import GoogleTarget


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
    warnings: tuple[str, ...] = ()  # what the user should know, though nothing stopped


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
) -> ScheduleReport:
    """Load the snapshot (and locations), apply the rules, write the schedule workbook."""
    today = today or dt.date.today()
    as_of = as_of or today
    if google is None and Path(output).suffix.lower() != ".xlsx":
        raise CyclekitError(f"{output}: the schedule is an Excel workbook; give a file name ending in .xlsx")
    existing = None if google is not None else _existing_schedule(Path(output), by)  # before the long work
    snapshot = load_inventory(inventory, config.inventory)
    places = load_locations(locations, as_of=as_of, inventory=snapshot.locations()) if locations else {}
    schedule = build_schedule(snapshot, places, config.schedule, as_of, by=by)
    kept = carry_over(schedule, existing) if existing is not None else None
    sources = [SourceFile("Inventory", Path(snapshot.file).name, snapshot.sha256)]
    if locations:
        sources.append(SourceFile("Locations", Path(locations).name, file_sha256(Path(locations))))
    spec = schedule_workbook(schedule, config, sources, snapshot.skipped, today,
                             history=kept.history if kept else None)
    if google is not None:
        from cyclekit.workbook.gsheets import render_gsheets

        owners = sorted({r.owner_email for r in schedule.rows if r.owner_email} | set(google.share_with))
        path = render_gsheets(spec, google.session, folder_id=google.folder_id,
                              share_with=[(email, "writer") for email in owners]).url
    else:
        path = render_xlsx(spec, output)
    classes = {c: sum(1 for r in schedule.rows if r.abc_class == c) for c in "ABC"}
    due = [(r.next_count() - as_of).days for r in schedule.rows if r.next_count()]
    return ScheduleReport(
        output=path, rows=len(schedule.rows), lines=len(snapshot),
        total_value=schedule.total_value, classes=classes,
        overdue=sum(1 for d in due if d < 0),
        due_soon=sum(1 for d in due if 0 <= d <= config.schedule.due_soon_days),
        kept_last_counts=kept.last_counts if kept else 0, kept_rows=kept.rows_kept if kept else 0,
        kept_history=len(kept.history) if kept else 0,
        warnings=tuple(snapshot.warnings()),
    )


def _existing_schedule(output: Path, by: str) -> ScheduleFile | None:
    """The schedule already at `output`, whose contents a new one keeps (see carry_over); a file
    there that is not a cyclekit schedule (by the same rows) is never overwritten."""
    if not output.exists():
        return None
    try:
        existing = read_schedule(output)
    except CyclekitError as exc:
        raise CyclekitError(f"{output} exists and is not a cyclekit schedule ({exc}); nothing was written: "
                            "give another file with -o") from None
    if existing.by != by:
        raise CyclekitError(f"{output} is a schedule by {existing.by}, not by {by}; "
                            "nothing was written: give another file with -o")
    return existing
