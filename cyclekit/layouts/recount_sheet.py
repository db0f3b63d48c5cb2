"""Recount sheets: a second, blind count of the lines that are Major or outside tolerance."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cyclekit.backends.spec import Sheet, WorkbookSpec
from cyclekit.backends.xlsx import render_later
from cyclekit.config import Config
from cyclekit.domain.lines import FOUND_PREFIX
from cyclekit.domain.variance import NOT_SIGNED, CountedLine, needs_recount, sheet_line_number
from cyclekit.folder.cycle import Manifest, SheetRecord, checksum, safe_name, safe_tab
from cyclekit.layouts.count_sheet import SheetHeader, SheetLine, count_sheet

RECOUNT_FOLDER = "recounts"


def _wanted(manifest: Manifest, lines: list[CountedLine], config: Config,
            returned: set[str]) -> dict[str, list[CountedLine]]:
    """The lines to recount by location: those a recount is needed for and not on one yet."""
    already = {(s.location, n) for s in manifest.sheets if s.kind == "recount" for n in s.lines}
    wanted: dict[str, list[CountedLine]] = {}
    for line in lines:
        if line.counted and line.counted_qty == line.system_qty + line.moved_qty:
            continue  # no variance: nothing to recount (needs_recount says so, after more work)
        number = sheet_line_number(line)  # a found item Fk is recounted as -k, printed "Fk"
        if number is None:
            continue  # found by a recount: counted by the second person already
        if (line.location, number) not in already and needs_recount(line, config.count,
                                                                     line.location in returned):
            wanted.setdefault(line.location, []).append(line)
    return wanted


def _recount_tab(manifest: Manifest, location: str, zone: str, recount: list[CountedLine], sheet_id: str,
                 tabs: set[str], config: Config) -> tuple[Sheet, SheetRecord]:
    """A location's recount sheet (a tab of its zone's workbook) and its manifest record."""
    # an unsigned first count names nobody: "(not signed)" is no person to avoid
    first_counters = sorted({ln.counted_by for ln in recount if ln.counted_by not in ("", NOT_SIGNED)})
    # counter and date left for the lead to fill in: a recount is done later, by someone else
    header = SheetHeader("recount", manifest.cycle_id, sheet_id, location, zone, "", "",
                         first_counted_by=", ".join(first_counters))
    numbers = [number for line in recount if (number := sheet_line_number(line)) is not None]
    sheet_lines = [SheetLine(n if n > 0 else f"{FOUND_PREFIX}{-n}", ln.part_number, ln.revision,
                             ln.description, ln.lot, ln.uom,
                             serial=ln.serial)
                   for n, ln in zip(numbers, recount, strict=True)]
    tab = safe_tab(location, tabs)
    sheet = count_sheet(header, sheet_lines, tab, show_system_qty=False, found_rows=0,
                        whole_uoms=config.inventory.whole_number_uoms, paper=config.count.paper)
    return sheet, SheetRecord(sheet_id, "recount", location, "", tab, numbers)


def write_recount_sheets(cycle_dir: Path, manifest: Manifest, lines: list[CountedLine],
                         config: Config, returned: set[str]) -> Callable[[], list[Path]]:
    """New recount sheets for lines not yet on one; existing sheets are never overwritten.

    The sheets are recorded in the manifest at once and written in the background (on another
    core, while the results workbook is written): call the returned function to wait for them.
    """
    wanted = _wanted(manifest, lines, config, returned)
    # one workbook per zone, a tab per location: one file to print or send per recount team,
    # and one workbook to write instead of hundreds (a single location keeps its own name)
    by_zone: dict[str, list[str]] = {}
    for location in wanted:
        by_zone.setdefault(manifest.location(location).zone, []).append(location)
    used = {p.stem.lower() for p in (cycle_dir / RECOUNT_FOLDER).glob("*.xlsx")}
    sheet_ids = iter(manifest.next_sheet_ids("R", len(wanted)))
    jobs: list[tuple[WorkbookSpec | Callable[[], WorkbookSpec], Path]] = []
    for zone, locations in by_zone.items():
        tabs: set[str] = set()
        made = [_recount_tab(manifest, location, zone, wanted[location], next(sheet_ids), tabs, config)
                for location in locations]
        sheets, records = [sheet for sheet, _ in made], [record for _, record in made]
        name = locations[0] if len(locations) == 1 else f"Recount {zone or 'all'}"
        file = f"{RECOUNT_FOLDER}/{safe_name(f'{name}-{records[0].sheet_id}', used)}.xlsx"
        for record in records:
            record.file = file
        manifest.sheets.extend(records)
        title = f"Recount {', '.join(locations) if len(locations) == 1 else zone} {manifest.cycle_id}"
        jobs.append((WorkbookSpec(sheets, title=title, subject=", ".join(locations)), cycle_dir / file))
    pending = render_later(jobs)

    def finish() -> list[Path]:
        written = pending()
        digests = {path: checksum(cycle_dir, str(path.relative_to(cycle_dir))) for path in written}
        for record in manifest.sheets:
            if record.kind == "recount" and not record.sha256 and cycle_dir / record.file in digests:
                record.sha256 = digests[cycle_dir / record.file]
        return written

    return finish
