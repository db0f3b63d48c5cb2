"""`cyclekit sheets`: pick the locations due, freeze the snapshot, write blind count sheets."""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cyclekit import progress
from cyclekit.backends.reader import use_limits
from cyclekit.backends.spec import Sheet, WorkbookSpec
from cyclekit.backends.xlsx import render_many
from cyclekit.config import Config
from cyclekit.errors import CycleError, CyclekitError, some_of
from cyclekit.folder.atomic import make_work_dir
from cyclekit.folder.cycle import (
    PART_COSTS,
    SNAPSHOT,
    LocationRecord,
    Manifest,
    SheetRecord,
    SnapshotLine,
    checksum,
    number_lines,
    part_costs_csv,
    safe_name,
    safe_tab,
    save_manifest,
    snapshot_csv,
)
from cyclekit.folder.lock import holds_cycle_lock
from cyclekit.inputs.inventory import Snapshot, line_warnings, load_inventory
from cyclekit.inputs.tables import file_sha256
from cyclekit.layouts.count_sheet import SheetHeader, SheetLine, count_sheet
from cyclekit.layouts.schedule_reader import ScheduleEntry, read_schedule

if TYPE_CHECKING:
    from cyclekit.backends.gsheets import GoogleTarget

GOOGLE_FILE = "google"


def _schedule_source(schedule_path: Path | str, google: GoogleTarget | None):
    """An xlsx path as is; 'google:<id>' or a spreadsheet URL read through Google."""
    from cyclekit.backends.gsheets import GoogleReader, google_id, metadata_tabs

    spreadsheet = google_id(str(schedule_path))
    if spreadsheet is None:
        return schedule_path
    if google is None:
        raise CyclekitError(f"{schedule_path} is a Google spreadsheet: give --format gsheets and credentials")
    return GoogleReader(google.session, spreadsheet, metadata_tabs(google.session, spreadsheet))


@dataclass(frozen=True)
class Selection:
    due_within: int | None = 7
    all: bool = False
    locations: tuple[str, ...] = ()


@dataclass
class CycleReport:
    cycle_dir: Path
    cycle_id: str
    locations: int
    lines: int
    files: list[Path] = field(default_factory=list)
    pdfs: list[Path] = field(default_factory=list)
    unknown_to_inventory: list[str] = field(default_factory=list)
    url: str = ""  # the Google spreadsheet, when the sheets are in Google Sheets
    warnings: list[str] = field(default_factory=list)  # of the cycle's lines: see inventory.line_warnings


def select_locations(entries: list[ScheduleEntry], selection: Selection, as_of: dt.date) -> list[ScheduleEntry]:
    if selection.locations:
        by_key = {e.key: e for e in entries}
        missing = [name for name in selection.locations if name not in by_key]
        if missing:
            raise CyclekitError(f"not in the schedule: {', '.join(missing)}")
        return [by_key[name] for name in dict.fromkeys(selection.locations)]
    if selection.all:
        return list(entries)
    horizon = as_of + dt.timedelta(days=selection.due_within or 0)
    return [e for e in entries if e.next_count is None or e.next_count <= horizon]


def _nothing_chosen(schedule_path: Path | str, entries: list[ScheduleEntry], selection: Selection,
                    as_of: dt.date) -> str:
    """Why no location was chosen, in the terms of what was asked (a --location that is not in
    the schedule was already named by select_locations)."""
    if not entries:
        return f"{schedule_path} has no rows: its Schedule tab lists no location to count"
    return (f"no location is due within {selection.due_within} days of {as_of}; "
            "use --all, --location or a larger --due-within")


def _new_cycle_id(as_of: dt.date) -> str:
    return f"CC-{as_of:%Y%m%d}-{secrets.token_hex(2).upper()}"


_CYCLE_ID = re.compile(r"[^\W_][\w.-]{0,63}")


def _check_cycle_id(cycle_id: str) -> None:
    """A cycle id names files (schedule-before-<id>.xlsx) and goes into the ERP files as it is:
    a path, a formula or a control character there would fail at finalize or run in a spreadsheet."""
    if not _CYCLE_ID.fullmatch(cycle_id):
        raise CyclekitError(f"cycle id {cycle_id[:80]!r}: use 1 to 64 letters, digits, '-', '_' or '.', "
                            "starting with a letter or digit (it names files and goes into the import files); "
                            "nothing was written")


def _sheet_lines(lines: list[SnapshotLine]) -> list[SheetLine]:
    return [SheetLine(s.line_no, s.item.part_number, s.item.revision, s.item.description,
                      s.item.lot, s.item.uom, s.item.quantity, s.item.serial) for s in lines]


def _book(layouts: list[Callable[[], Sheet]], title: str, subject: str) -> WorkbookSpec:
    return WorkbookSpec([layout() for layout in layouts], title=title, subject=subject)


def _same(sheet: Sheet) -> Sheet:
    return sheet


def _no_line_at(inventory_path: Path | str, snapshot: Snapshot, chosen: list[ScheduleEntry]) -> str:
    """An export without a line at any chosen location (a header only, another site's, a filtered
    report) would send every counter a sheet that asks to confirm an empty shelf."""
    names = [entry.key for entry in chosen]
    what = "no line to count" if not len(snapshot) else "no line at any of the chosen locations"
    return (f"{inventory_path} has {what} ({len(names)} chosen: {some_of(names, 5)}); nothing was written. "
            "Check that the export is whole and of this plant, or give --force if these locations are empty")


@holds_cycle_lock(creating=True)
def start_cycle(
    schedule_path: Path | str,
    inventory_path: Path | str,
    cycle_dir: Path | str,
    config: Config,
    *,
    selection: Selection = Selection(),
    as_of: dt.date | None = None,
    count_date: dt.date | None = None,
    show_system_qty: bool = False,
    packets: bool = False,
    pdf: bool = False,
    cycle_id: str | None = None,
    google: GoogleTarget | None = None,
    force: bool = False,
) -> CycleReport:
    cycle_dir = Path(cycle_dir)
    if cycle_id is not None:
        _check_cycle_id(cycle_id)
    use_limits(config.limits)  # every workbook this command opens
    if cycle_dir.exists() and any(cycle_dir.iterdir()):
        raise CycleError(f"{cycle_dir} already exists and is not empty; "
                         "a new cycle needs a new folder (nothing was changed)")
    as_of = as_of or dt.date.today()
    count_date = count_date or as_of
    schedule = read_schedule(_schedule_source(schedule_path, google))
    if schedule.by != "location":
        raise CyclekitError(f"{schedule_path} has one row per part; count sheets are made per "
                            "location: make the schedule with --by location")
    snapshot = load_inventory(inventory_path, config.inventory)
    chosen = select_locations(schedule.entries, selection, as_of)
    if not chosen:
        raise CyclekitError(_nothing_chosen(schedule_path, schedule.entries, selection, as_of))
    numbered = number_lines(snapshot.lines_at({entry.key for entry in chosen}))
    if not numbered and not force:
        raise CyclekitError(_no_line_at(inventory_path, snapshot, chosen))
    by_location: dict[str, list[SnapshotLine]] = {}
    for s in numbered:
        by_location.setdefault(s.item.location, []).append(s)

    cycle_id = cycle_id or _new_cycle_id(as_of)
    manifest = Manifest(
        cycle_id=cycle_id, as_of=as_of.isoformat(), count_date=count_date.isoformat(),
        created=dt.datetime.now().isoformat(timespec="seconds"), show_system_qty=show_system_qty,
        sources={"schedule": {"file": str(schedule_path),
                              "sha256": file_sha256(Path(schedule_path)) if Path(schedule_path).is_file() else ""},
                 "inventory": {"file": str(inventory_path), "sha256": snapshot.sha256}},
        snapshot_sha256="", locations=[])

    # build everything in a folder beside the target, then rename: no half-made cycle
    cycle_dir.parent.mkdir(parents=True, exist_ok=True)
    work = make_work_dir(f".{cycle_dir.name}.", cycle_dir.parent)  # the mode mkdir gives (umask)
    try:
        (work / SNAPSHOT).write_text(snapshot_csv(numbered), encoding="utf-8", newline="")
        manifest.snapshot_sha256 = file_sha256(work / SNAPSHOT)
        (work / PART_COSTS).write_text(part_costs_csv(snapshot.part_costs()), encoding="utf-8", newline="")
        manifest.costs_sha256 = file_sha256(work / PART_COSTS)
        books: dict[str, tuple[str, list[Sheet]]] = {}  # file -> (owner, sheets)
        if google is not None:
            packets = True  # one spreadsheet, a tab per location
        used_files: set[str] = set()
        tabs_in: dict[str, set[str]] = {}
        sheet_ids = iter(manifest.next_sheet_ids("S", len(chosen)))
        for entry in chosen:
            lines = by_location.get(entry.key, [])
            manifest.locations.append(LocationRecord(entry.key, entry.zone, entry.owner,
                                                     entry.owner_email, entry.abc_class, len(lines)))
            sheet_id = next(sheet_ids)
            if google is not None:
                owner = "google"
                file = GOOGLE_FILE
                books.setdefault(file, (owner, []))
            elif packets:
                owner = entry.owner or "unassigned"
                file = next((f for f, (o, _) in books.items() if o == owner), None)
                if file is None:
                    file = f"packets/{safe_name(owner, used_files)}.xlsx"
                    books[file] = (owner, [])
            else:
                file = f"sheets/{safe_name(entry.key, used_files)}.xlsx"
                books[file] = (entry.owner, [])
            tab = safe_tab(entry.key, tabs_in.setdefault(file, set()))
            header = SheetHeader("count", cycle_id, sheet_id, entry.key, entry.zone, entry.owner,
                                 count_date.isoformat())
            # laid out where it is rendered (in a worker process): the main process only sends data
            books[file][1].append(functools.partial(
                count_sheet, header, _sheet_lines(lines), tab, show_system_qty=show_system_qty,
                found_rows=config.count.found_item_rows,
                whole_uoms=config.inventory.whole_number_uoms, paper=config.count.paper))
            manifest.sheets.append(SheetRecord(sheet_id, "count", entry.key, file, tab,
                                               [s.line_no for s in lines], counter=entry.owner))
        if google is not None:
            from cyclekit.backends.gsheets import render_gsheets

            sheets = [layout() for layout in books[GOOGLE_FILE][1]] if books else []
            emails = sorted({r.owner_email for r in manifest.locations if r.owner_email} | set(google.share_with))
            made = render_gsheets(WorkbookSpec(sheets, title=f"Count sheets {cycle_id}"), google.session,
                                  folder_id=google.folder_id, share_with=[(e, "writer") for e in emails])
            manifest.google["count_sheets"] = {"id": made.spreadsheet_id, "url": made.url, "tabs": made.tabs,
                                               "requests": made.requests}
            for record in manifest.sheets:
                record.file = f"google:{made.spreadsheet_id}"
            # printing stays with xlsx and PDF: the Sheets API has no print settings
            prints = {f"print/{safe_name(s.name, set())}.xlsx": s for s in sheets} if pdf else {}
            books = {file: ("", [functools.partial(_same, s)]) for file, s in prints.items()}
            tabs_of = {file: [s.name] for file, s in prints.items()}
        else:
            tabs_of = {file: [] for file in books}
            for record in manifest.sheets:
                tabs_of[record.file].append(record.tab)
        render_many([(functools.partial(_book, layouts, f"Count sheets {cycle_id}", ", ".join(tabs_of[file])),
                      work / file) for file, (_, layouts) in books.items()],
                    atomic=False, label="Writing count sheets")  # the folder is renamed whole
        digests = {file: checksum(work, file) for file in books}
        for record in manifest.sheets:
            if record.file in digests:
                record.sha256 = digests[record.file]
        pdfs: list[Path] = []
        if pdf:
            from cyclekit.backends.libreoffice import to_pdf

            with progress.task("Printing count sheets to PDF"):
                pdfs = [Path("pdf") / p.name for p in to_pdf([work / f for f in books], work / "pdf")]
        save_manifest(work, manifest)
        if cycle_dir.exists():
            cycle_dir.rmdir()  # empty (checked above)
        os.replace(work, cycle_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    inventory_locations = set(snapshot.columns["location"])
    return CycleReport(
        cycle_dir=cycle_dir, cycle_id=cycle_id, locations=len(chosen),
        lines=sum(r.lines for r in manifest.locations),
        files=[cycle_dir / f for f in books] if google is None else [],
        pdfs=[cycle_dir / p for p in pdfs], url=manifest.google.get("count_sheets", {}).get("url", ""),
        unknown_to_inventory=[e.key for e in chosen if e.key not in inventory_locations],
        warnings=line_warnings([s.item for s in numbered]))
