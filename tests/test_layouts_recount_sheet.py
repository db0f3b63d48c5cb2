"""layouts/recount_sheet.py directly: which lines go on a recount, one workbook per zone with a tab
per location, recorded in the manifest, never a line recounted twice."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl

from cyclekit.config import Config
from cyclekit.domain.variance import NOT_SIGNED, CountedLine
from cyclekit.folder.cycle import LocationRecord, Manifest
from cyclekit.layouts.recount_sheet import RECOUNT_FOLDER, write_recount_sheets


def line(location: str, tail: str, system: str, counted: str, **changes: Any) -> CountedLine:
    fields: dict[str, Any] = {"counted_by": "Dee", "sheet_id": "S001"} | changes
    return CountedLine(line_id=f"{location}/{tail}", location=location, part_number=f"P-{tail}", revision="",
                       description="", lot="", serial="", uom="ea", abc_class="C", system_qty=Decimal(system),
                       unit_cost=Decimal(1), counted_qty=Decimal(counted), **fields)


def manifest() -> Manifest:
    return Manifest(cycle_id="C-1", as_of="2026-11-23", count_date="2026-11-23", created="2026-11-23T08:00:00",
                    show_system_qty=False, sources={}, snapshot_sha256="",
                    locations=[LocationRecord("WH-A-01", "Warehouse A"), LocationRecord("WH-A-02", "Warehouse A"),
                               LocationRecord("CAGE-01", "Cage")])


LINES = [line("WH-A-01", "1", "100", "80"),  # 20 off: Major
         line("WH-A-01", "2", "10", "10"),  # right
         line("WH-A-02", "1", "10", "20", counted_by=NOT_SIGNED),
         line("CAGE-01", "F1", "0", "3", found=True),  # found on the count sheet: recounted as F1
         line("CAGE-01", "F1-R009", "0", "1", found=True)]  # found on a recount: counted twice already


def test_one_workbook_per_zone_a_tab_per_location(tmp_path: Path) -> None:
    book = manifest()
    written = write_recount_sheets(tmp_path, book, LINES, Config(), {"WH-A-01", "WH-A-02", "CAGE-01"})()
    assert sorted(p.parent.name for p in written) == [RECOUNT_FOLDER] * 2
    records = {r.location: r for r in book.sheets}
    assert {loc: r.lines for loc, r in records.items()} == {"WH-A-01": [1], "WH-A-02": [1], "CAGE-01": [-1]}
    assert records["WH-A-01"].file == records["WH-A-02"].file != records["CAGE-01"].file
    assert all(r.kind == "recount" and r.sha256 for r in records.values())
    warehouse = openpyxl.load_workbook(tmp_path / records["WH-A-01"].file)
    assert warehouse.sheetnames == ["WH-A-01", "WH-A-02"]
    texts = [str(c.value) for row in warehouse["WH-A-02"].iter_rows() for c in row if c.value is not None]
    assert not any(NOT_SIGNED in t for t in texts)  # an unsigned first count names nobody to avoid
    assert any("(Dee)" in t for t in [str(c.value) for row in warehouse["WH-A-01"].iter_rows() for c in row])
    cage = openpyxl.load_workbook(tmp_path / records["CAGE-01"].file).worksheets[0]
    assert "F1" in [c.value for row in cage.iter_rows() for c in row]


def test_a_line_already_on_a_recount_is_not_recounted_again(tmp_path: Path) -> None:
    book = manifest()
    write_recount_sheets(tmp_path, book, LINES, Config(), set())()
    before = len(book.sheets)
    assert write_recount_sheets(tmp_path, book, LINES, Config(), set())() == []
    assert len(book.sheets) == before
