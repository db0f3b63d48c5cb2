"""Recount sheets: a second, blind count of the lines that are Major or outside tolerance."""

from __future__ import annotations

from pathlib import Path

from cyclekit.config import Config
from cyclekit.countsheets import SheetHeader, SheetLine, count_sheet
from cyclekit.cycle import Manifest, SheetRecord, checksum, safe_name, safe_tab
from cyclekit.reconcile import CountedLine, needs_recount
from cyclekit.workbook.spec import WorkbookSpec
from cyclekit.workbook.xlsx import render_many

RECOUNT_FOLDER = "recounts"


def write_recount_sheets(cycle_dir: Path, manifest: Manifest, lines: list[CountedLine],
                         config: Config, returned: set[str]) -> list[Path]:
    """New recount sheets for lines not yet on one; existing sheets are never overwritten."""
    already = {(s.location, n) for s in manifest.sheets if s.kind == "recount" for n in s.lines}
    wanted: dict[str, list[CountedLine]] = {}
    for line in lines:
        if line.found:
            continue  # a found item has no line on the sheet to recount
        number = int(line.line_id.rsplit("/", 1)[1])
        if (line.location, number) not in already and needs_recount(line, config.count,
                                                                     line.location in returned):
            wanted.setdefault(line.location, []).append(line)
    jobs = []
    used = {p.stem.lower() for p in (cycle_dir / RECOUNT_FOLDER).glob("*.xlsx")}
    for location, recount in wanted.items():
        sheet_id = manifest.next_sheet_id("R")
        file = f"{RECOUNT_FOLDER}/{safe_name(f'{location}-{sheet_id}', used)}.xlsx"
        first_counters = sorted({ln.counted_by for ln in recount if ln.counted_by})
        counter = f"not {', '.join(first_counters)}" if first_counters else ""
        header = SheetHeader("recount", manifest.cycle_id, sheet_id, location,
                             manifest.location(location).zone, counter, manifest.count_date)
        numbers = [int(line.line_id.rsplit("/", 1)[1]) for line in recount]
        sheet_lines = [SheetLine(n, ln.part_number, ln.revision, ln.description, ln.lot, ln.uom,
                                 serial=ln.serial)
                       for n, ln in zip(numbers, recount, strict=True)]
        tab = safe_tab(location, set())
        sheet = count_sheet(header, sheet_lines, tab, show_system_qty=False, found_rows=0,
                            whole_uoms=config.inventory.whole_number_uoms, paper=config.count.paper)
        jobs.append((WorkbookSpec([sheet], title=f"Recount {location} {manifest.cycle_id}"), cycle_dir / file))
        manifest.sheets.append(SheetRecord(sheet_id, "recount", location, file, tab, numbers))
    written = render_many(jobs)
    for record in manifest.sheets[len(manifest.sheets) - len(jobs):]:
        record.sha256 = checksum(cycle_dir, record.file)
    return written
