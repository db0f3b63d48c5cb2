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
from cyclekit.atomic import make_work_dir
from cyclekit.backends.reader import use_limits
from cyclekit.backends.spec import Sheet, WorkbookSpec
from cyclekit.backends.targets import WorkbookTarget, new_spreadsheet, workbook_at
from cyclekit.backends.xlsx import render_many
from cyclekit.config import Config
from cyclekit.domain.scheduling import monday_of
from cyclekit.domain.stock import Snapshot
from cyclekit.errors import CycleError, CyclekitError, some_of
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
from cyclekit.inputs.inventory import line_warnings, load_inventory
from cyclekit.inputs.tables import file_sha256
from cyclekit.layouts.count_sheet import SheetHeader, SheetLine, count_sheet, laid_out_book
from cyclekit.layouts.schedule_reader import ScheduleEntry, ScheduleFile, planned_weeks
from cyclekit.stages.schedule import read_schedule_at

if TYPE_CHECKING:
    from cyclekit.backends.gsheets import GoogleTarget

GOOGLE_FILE = "google"


@dataclass(frozen=True)
class Selection:
    due_within: int | None = 7
    all: bool = False
    locations: tuple[str, ...] = ()
    week: dt.date | None = None  # the locations the Calendar plans for the week of this day


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
    parts: int = 0  # counting by part: the parts with a sheet (their lines are at `locations` locations)
    warnings: list[str] = field(default_factory=list)  # of the cycle's lines: see inventory.line_warnings
    chosen: str = ""  # the selection in one sentence: which locations, why, how many lines


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


@dataclass(frozen=True)
class Chosen:
    entries: list[ScheduleEntry]
    why: str  # "due by ... (...)": completes "Issuing N locations ..."

    def sentence(self, lines: int, noun: str = "location") -> str:
        return f"Issuing {_plural(len(self.entries), noun)} {self.why}, {_plural(lines, 'line')}."


def select_locations(schedule: ScheduleFile, selection: Selection, as_of: dt.date, weeks: int = 52) -> Chosen:
    """The locations a cycle counts and why, in words; `weeks`: the Calendar's length when the
    workbook has no Calendar tab to read it from."""
    entries = schedule.entries
    if selection.locations:
        by_key = {e.key: e for e in entries}
        missing = [name for name in selection.locations if name not in by_key]
        if missing:
            raise CyclekitError(f"not in the schedule: {', '.join(missing)}")
        return Chosen([by_key[name] for name in dict.fromkeys(selection.locations)], "as named")
    if selection.all:
        return Chosen(list(entries), "(all in the schedule)")
    if selection.week is not None:
        return _week_of(schedule, selection.week, weeks)
    horizon = as_of + dt.timedelta(days=selection.due_within or 0)
    chosen = [e for e in entries if e.next_count is None or e.next_count <= horizon]
    undated = sum(1 for e in chosen if e.next_count is None)
    why = (f"due by {horizon} (Next Count within {selection.due_within or 0} days of {as_of}, overdue included"
           + (f"; {undated} with no Next Count" if undated else "") + ")")
    return Chosen(chosen, why)


def _week_of(schedule: ScheduleFile, day: dt.date, weeks: int) -> Chosen:
    """The locations the Calendar tab plans for the week of `day`, by the rule that wrote it."""
    plan = planned_weeks(schedule, weeks)
    monday = monday_of(day)
    week = next((w for w in plan if w.start == monday), None)
    if week is None:
        span = f"the weeks from {plan[0].start} to {plan[-1].end}" if plan else "no week"
        raise CyclekitError(f"the week of {day} is not in the schedule's Calendar, which plans {span}; "
                            "nothing was written: choose a week it plans")
    by_key = {e.key: e for e in schedule.entries}
    return Chosen([by_key[row.key] for row in week.rows],
                  f"the Calendar plans for the week of {week.start} to {week.end}")


def _nothing_chosen(schedule_path: Path | str, entries: list[ScheduleEntry], selection: Selection,
                    as_of: dt.date) -> str:
    """Why no location was chosen, in the terms of what was asked (a --location that is not in
    the schedule was already named by select_locations)."""
    if not entries:
        return f"{schedule_path} has no rows: its Schedule tab lists no location to count"
    if selection.week is not None:
        return (f"the schedule's Calendar plans no location for the week of {monday_of(selection.week)}; "
                "use another --week, --due-within, --all or --location")
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
                      s.item.lot, s.item.uom, s.item.quantity, s.item.serial, s.item.location) for s in lines]


def _same(sheet: Sheet) -> Sheet:
    return sheet


def _no_line_at(inventory_path: Path | str, snapshot: Snapshot, chosen: list[ScheduleEntry], by_part: bool) -> str:
    """An export without a line at any chosen location (a header only, another site's, a filtered
    report) would send every counter a sheet that asks to confirm an empty shelf."""
    names = [entry.key for entry in chosen]
    what = ("no line to count" if not len(snapshot)
            else f"no line {'of any of the chosen parts' if by_part else 'at any of the chosen locations'}")
    return (f"{inventory_path} has {what} ({len(names)} chosen: {some_of(names, 5)}); nothing was written. "
            "Check that the export is whole and of this plant, or give --force if these locations are empty")


@dataclass(frozen=True)
class _Making:
    """How start_cycle lays the count sheets out, decided before anything is written."""

    config: Config
    count_date: dt.date
    show_system_qty: bool
    packets: bool  # one workbook per owner, a tab per location
    pdf: bool
    spreadsheet: WorkbookTarget | None  # every sheet in one new spreadsheet (Google Sheets); None: files


Layouts = list[Callable[[], Sheet]]
Books = dict[str, tuple[str, Layouts]]  # file -> (owner, its sheets' layouts)


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
    _check_new_cycle(cycle_dir, cycle_id, config)
    as_of = as_of or dt.date.today()
    making = _Making(config, count_date or as_of, show_system_qty, packets, pdf, new_spreadsheet(google))
    schedule = read_schedule_at(workbook_at(schedule_path, google))
    by_part = schedule.by == "part"  # a sheet per part, listing every location that holds it
    snapshot = load_inventory(inventory_path, config.inventory)
    picked = select_locations(schedule, selection, as_of, config.schedule.calendar_weeks)
    chosen = picked.entries
    if not chosen:
        raise CyclekitError(_nothing_chosen(schedule_path, schedule.entries, selection, as_of))
    numbered = number_lines(snapshot.lines_where("part_number" if by_part else "location",
                                                 {entry.key for entry in chosen}))
    if not numbered and not force:
        raise CyclekitError(_no_line_at(inventory_path, snapshot, chosen, by_part))
    manifest = _new_manifest(cycle_id or _new_cycle_id(as_of), as_of, making, schedule_path, inventory_path,
                             snapshot)
    files, pdfs = _make_cycle_folder(cycle_dir, manifest, numbered, snapshot, chosen, making, by_part)
    held = set(snapshot.columns["part_number" if by_part else "location"])
    unknown = [e.key for e in chosen if e.key not in held]
    lines = sum(r.lines for r in manifest.locations)
    return CycleReport(
        cycle_dir=cycle_dir, cycle_id=manifest.cycle_id, locations=len(manifest.locations),
        lines=lines, chosen=picked.sentence(lines, "part" if by_part else "location"),
        files=[cycle_dir / f for f in files] if making.spreadsheet is None else [],
        pdfs=[cycle_dir / p for p in pdfs], url=manifest.google.get("count_sheets", {}).get("url", ""),
        unknown_to_inventory=[] if by_part else unknown, parts=len(chosen) - len(unknown) if by_part else 0,
        warnings=line_warnings([s.item for s in numbered])
        + [f"part {part} has no stock in the export: no sheet was made for it" for part in unknown if by_part])


def _check_new_cycle(cycle_dir: Path, cycle_id: str | None, config: Config) -> None:
    if cycle_id is not None:
        _check_cycle_id(cycle_id)
    use_limits(config.limits)  # every workbook this command opens
    if cycle_dir.exists() and any(cycle_dir.iterdir()):
        raise CycleError(f"{cycle_dir} already exists and is not empty; "
                         "a new cycle needs a new folder (nothing was changed)")


def _new_manifest(cycle_id: str, as_of: dt.date, making: _Making, schedule_path: Path | str,
                  inventory_path: Path | str, snapshot: Snapshot) -> Manifest:
    schedule_file = Path(schedule_path)
    return Manifest(
        cycle_id=cycle_id, as_of=as_of.isoformat(), count_date=making.count_date.isoformat(),
        created=dt.datetime.now().isoformat(timespec="seconds"), show_system_qty=making.show_system_qty,
        sources={"schedule": {"file": str(schedule_path),
                              "sha256": file_sha256(schedule_file) if schedule_file.is_file() else ""},
                 "inventory": {"file": str(inventory_path), "sha256": snapshot.sha256}},
        snapshot_sha256="", locations=[])


def _make_cycle_folder(cycle_dir: Path, manifest: Manifest, numbered: list[SnapshotLine], snapshot: Snapshot,
                       chosen: list[ScheduleEntry], making: _Making, by_part: bool = False
                       ) -> tuple[list[str], list[Path]]:
    """Everything built in a folder beside the target, then renamed: no half-made cycle. The files
    written (relative to the folder) and the PDFs printed."""
    cycle_dir.parent.mkdir(parents=True, exist_ok=True)
    work = make_work_dir(f".{cycle_dir.name}.", cycle_dir.parent)  # the mode mkdir gives (umask)
    try:
        _write_frozen(work, manifest, numbered, snapshot)
        books = (_lay_out_part_sheets if by_part else _lay_out_sheets)(manifest, numbered, chosen, making)
        if making.spreadsheet is not None:
            books, tabs_of = _into_spreadsheet(making.spreadsheet, books, manifest, making.pdf)
        else:
            tabs_of = {file: [] for file in books}
            for record in manifest.sheets:
                if record.tab not in tabs_of[record.file]:  # a part's tab holds a record per location
                    tabs_of[record.file].append(record.tab)
        _render_books(work, books, tabs_of, manifest)
        pdfs = _print_books(work, list(books)) if making.pdf else []
        save_manifest(work, manifest)
        if cycle_dir.exists():
            cycle_dir.rmdir()  # empty (checked above)
        os.replace(work, cycle_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return list(books), pdfs


def _write_frozen(work: Path, manifest: Manifest, numbered: list[SnapshotLine], snapshot: Snapshot) -> None:
    """The snapshot and the part costs as they are now, with their checksums in the manifest."""
    (work / SNAPSHOT).write_text(snapshot_csv(numbered), encoding="utf-8", newline="")
    manifest.snapshot_sha256 = file_sha256(work / SNAPSHOT)
    (work / PART_COSTS).write_text(part_costs_csv(snapshot.part_costs()), encoding="utf-8", newline="")
    manifest.costs_sha256 = file_sha256(work / PART_COSTS)


def _lay_out_sheets(manifest: Manifest, numbered: list[SnapshotLine], chosen: list[ScheduleEntry],
                    making: _Making) -> Books:
    """A count sheet per chosen location, recorded in the manifest, put in its workbook."""
    by_location: dict[str, list[SnapshotLine]] = {}
    for s in numbered:
        by_location.setdefault(s.item.location, []).append(s)
    books: Books = {}
    used_files: set[str] = set()
    tabs_in: dict[str, set[str]] = {}
    sheet_ids = iter(manifest.next_sheet_ids("S", len(chosen)))
    for entry in chosen:
        lines = by_location.get(entry.key, [])
        manifest.locations.append(LocationRecord(entry.key, entry.zone, entry.owner,
                                                 entry.owner_email, entry.abc_class, len(lines)))
        sheet_id = next(sheet_ids)
        file = _book_for(entry, making, books, used_files)
        tab = safe_tab(entry.key, tabs_in.setdefault(file, set()))
        header = SheetHeader("count", manifest.cycle_id, sheet_id, entry.key, entry.zone, entry.owner,
                             making.count_date.isoformat())
        # laid out where it is rendered (in a worker process): the main process only sends data
        books[file][1].append(functools.partial(
            count_sheet, header, _sheet_lines(lines), tab, show_system_qty=making.show_system_qty,
            found_rows=making.config.count.found_item_rows,
            whole_uoms=making.config.inventory.whole_number_uoms, paper=making.config.count.paper))
        manifest.sheets.append(SheetRecord(sheet_id, "count", entry.key, file, tab,
                                           [s.line_no for s in lines], counter=entry.owner))
    return books


def _lay_out_part_sheets(manifest: Manifest, numbered: list[SnapshotLine], chosen: list[ScheduleEntry],
                         making: _Making) -> Books:
    """A count sheet per chosen part listing every location that holds it, location after location
    in the export's order (the walk). It is recorded as a sheet per location, `S001/LOCATION`, with
    the location's line numbers: ingest, results and finalize read the lines as any location's."""
    order = {location: n for n, location in enumerate(dict.fromkeys(s.item.location for s in numbered))}
    by_part: dict[str, list[SnapshotLine]] = {}
    for s in sorted(numbered, key=lambda s: (order[s.item.location], s.line_no)):
        by_part.setdefault(s.item.part_number, []).append(s)
    held = [entry for entry in chosen if entry.key in by_part]
    manifest.locations.extend(_part_locations(numbered, held))
    books: Books = {}
    used_files: set[str] = set()
    tabs_in: dict[str, set[str]] = {}
    for entry, sheet_id in zip(held, manifest.next_sheet_ids("S", len(held)), strict=True):
        lines = by_part[entry.key]
        file = _book_for(entry, making, books, used_files)
        tab = safe_tab(entry.key, tabs_in.setdefault(file, set()))
        header = SheetHeader("count", manifest.cycle_id, sheet_id, "", entry.zone, entry.owner,
                             making.count_date.isoformat(), part=entry.key)
        books[file][1].append(functools.partial(
            count_sheet, header, _sheet_lines(lines), tab, show_system_qty=making.show_system_qty, found_rows=0,
            whole_uoms=making.config.inventory.whole_number_uoms, paper=making.config.count.paper))
        at: dict[str, list[int]] = {}
        for s in lines:
            at.setdefault(s.item.location, []).append(s.line_no)
        manifest.sheets.extend(SheetRecord(f"{sheet_id}/{location}", "count", location, file, tab, numbers,
                                           counter=entry.owner) for location, numbers in at.items())
    return books


def _part_locations(numbered: list[SnapshotLine], parts: list[ScheduleEntry]) -> list[LocationRecord]:
    """The locations holding the parts counted: each with the owner of the first part counted there
    and the strictest ABC class of them (its tolerance applies to the location's lines)."""
    entry_of = {entry.key: entry for entry in parts}
    records: dict[str, LocationRecord] = {}
    for s in numbered:
        entry = entry_of[s.item.part_number]
        record = records.setdefault(s.item.location, LocationRecord(s.item.location, "", entry.owner,
                                                                    entry.owner_email, entry.abc_class))
        record.abc_class = min(record.abc_class, entry.abc_class or "C")
        record.lines += 1
    return list(records.values())


def _book_for(entry: ScheduleEntry, making: _Making, books: Books, used_files: set[str]) -> str:
    """The workbook a location's sheet goes in: the one spreadsheet, its owner's packet, or its own file."""
    if making.spreadsheet is not None:
        books.setdefault(GOOGLE_FILE, ("google", []))
        return GOOGLE_FILE
    if making.packets:
        owner = entry.owner or "unassigned"
        file = next((f for f, (o, _) in books.items() if o == owner), None)
        if file is None:
            file = f"packets/{safe_name(owner, used_files)}.xlsx"
            books[file] = (owner, [])
        return file
    file = f"sheets/{safe_name(entry.key, used_files)}.xlsx"
    books[file] = (entry.owner, [])
    return file


def _into_spreadsheet(spreadsheet: WorkbookTarget, books: Books, manifest: Manifest, pdf: bool
                      ) -> tuple[Books, dict[str, list[str]]]:
    """Every sheet written to one spreadsheet, shared with the owners; what is left to write here is
    a print copy of each sheet, with `pdf` (the Sheets API has no print settings)."""
    sheets = [layout() for layout in books[GOOGLE_FILE][1]] if books else []
    made = spreadsheet.write(WorkbookSpec(sheets, title=f"Count sheets {manifest.cycle_id}"),
                             share_with={r.owner_email for r in manifest.locations if r.owner_email})
    manifest.google["count_sheets"] = made.record()
    for record in manifest.sheets:
        record.file = made.name
    prints = {f"print/{safe_name(s.name, set())}.xlsx": s for s in sheets} if pdf else {}
    return ({file: ("", [functools.partial(_same, s)]) for file, s in prints.items()},
            {file: [s.name] for file, s in prints.items()})


def _render_books(work: Path, books: Books, tabs_of: dict[str, list[str]], manifest: Manifest) -> None:
    """The workbooks written (on every core when there are many), each sheet's checksum recorded."""
    title = f"Count sheets {manifest.cycle_id}"
    # laid out where it is written: the worker imports layouts.count_sheet alone, not this stage
    render_many([(functools.partial(laid_out_book, layouts, title, ", ".join(tabs_of[file])), work / file)
                 for file, (_, layouts) in books.items()],
                atomic=False, label="Writing count sheets")  # the folder is renamed whole
    digests = {file: checksum(work, file) for file in books}
    for record in manifest.sheets:
        if record.file in digests:
            record.sha256 = digests[record.file]


def _print_books(work: Path, files: list[str]) -> list[Path]:
    from cyclekit.backends.libreoffice import to_pdf

    with progress.task("Printing count sheets to PDF"):
        return [Path("pdf") / p.name for p in to_pdf([work / f for f in files], work / "pdf")]
