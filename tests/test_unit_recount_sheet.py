"""layouts/recount_sheet.py through write_recount_sheets: which lines go on a recount sheet, how
they are grouped into workbooks, what the sheet shows and hides, and what the manifest records."""

from decimal import Decimal

import openpyxl
import pytest

from cyclekit.config import Config
from cyclekit.domain.variance import NOT_SIGNED, CountedLine
from cyclekit.folder.cycle import LocationRecord, Manifest, SheetRecord
from cyclekit.inputs.tables import file_sha256
from cyclekit.layouts.recount_sheet import write_recount_sheets

RETURNED = {"WH-A-01", "WH-A-02", "CAGE-01"}  # LS-1's sheet is still out on the floor


def line(line_id, system, counted, **extra):
    location = line_id.split("/")[0]
    return CountedLine(line_id, location, f"P-{line_id}", "01", "Part", "", "", "ea", "C", Decimal(system),
                       Decimal("1"), counted_qty=None if counted is None else Decimal(counted), **extra)


def manifest():
    return Manifest("CC-1", "2026-11-23", "2026-11-23", "2026-11-23T08:00:00", False, {}, "", [
        LocationRecord("WH-A-01", "Warehouse A"), LocationRecord("WH-A-02", "Warehouse A"),
        LocationRecord("CAGE-01", "Cage"), LocationRecord("LS-1", "Lineside")],
        [SheetRecord("R001", "recount", "CAGE-01", "recounts/CAGE-01-R001.xlsx", "CAGE-01", [1])])


def lines():
    return [
        line("WH-A-01/1", 10, 4, counted_by="Ana Ruiz"),  # Major: 6 short
        line("WH-A-01/2", 10, 10, counted_by="Ana Ruiz"),  # right: no recount
        line("WH-A-01/F1", 0, 3, found=True, counted_by="Ana Ruiz"),  # found: outside any tolerance
        line("WH-A-02/1", 10, None),  # left blank on a returned sheet
        line("WH-A-02/2", 100, 96, counted_by=NOT_SIGNED),  # 4 short: Minor, within C's 5 %: no recount
        line("WH-A-02/3", 100, 90, counted_by=NOT_SIGNED),  # 10 short: Major
        line("CAGE-01/1", 10, 1, counted_by="Bo Lind"),  # Major, on recount R001 already
        line("CAGE-01/2", 10, 1, counted_by="Bo Lind"),  # Major, not yet on a recount
        line("LS-1/1", 5, None),  # blank, but the sheet has not come back
        line("WH-A-01/F2-R001", 0, 1, found=True, recount_sheet="R001"),  # found by a recount: counted twice
    ]


@pytest.fixture
def written(tmp_path):
    record = manifest()
    finish = write_recount_sheets(tmp_path, record, lines(), Config(), RETURNED)
    return tmp_path, record, finish


def test_the_lines_to_recount_and_the_sheets_recorded_at_once(written):
    _, record, _ = written
    new = [(s.sheet_id, s.kind, s.location, s.tab, s.lines) for s in record.sheets[1:]]
    assert new == [("R002", "recount", "WH-A-01", "WH-A-01", [1, -1]),  # found item F1 is -1
                   ("R003", "recount", "WH-A-02", "WH-A-02", [1, 3]),
                   ("R004", "recount", "CAGE-01", "CAGE-01", [2])]


def test_a_workbook_per_zone_a_tab_per_location_and_checksums_once_written(written):
    cycle_dir, record, finish = written
    by_id = record.sheets_by_id()
    # a zone of several locations is one workbook named after the zone; a single location keeps its name
    assert by_id["R002"].file == by_id["R003"].file == "recounts/Recount_Warehouse_A-R002.xlsx"
    assert by_id["R004"].file == "recounts/CAGE-01-R004.xlsx"
    assert all(not s.sha256 for s in record.sheets[1:])  # written in the background: no checksum yet
    paths = finish()
    assert sorted(p.relative_to(cycle_dir).as_posix() for p in paths) == [
        "recounts/CAGE-01-R004.xlsx", "recounts/Recount_Warehouse_A-R002.xlsx"]
    for s in record.sheets[1:]:
        assert s.sha256 == file_sha256(cycle_dir / s.file)
    assert record.sheets[0].sha256 == ""  # an earlier recount sheet is left as it was
    assert openpyxl.load_workbook(cycle_dir / by_id["R002"].file).sheetnames == ["WH-A-01", "WH-A-02"]


def _values(path, tab):
    sheet = openpyxl.load_workbook(path)[tab]
    return [c.value for row in sheet.iter_rows() for c in row if c.value is not None]


def test_a_recount_sheet_is_blind_and_names_who_must_not_recount(written):
    cycle_dir, record, finish = written
    finish()
    first = _values(cycle_dir / "recounts/Recount_Warehouse_A-R002.xlsx", "WH-A-01")
    assert "Recount sheet: WH-A-01" in first and "R002" in first
    assert ["1", "P-WH-A-01/1"] == first[first.index("P-WH-A-01/1") - 1:first.index("P-WH-A-01/1") + 1]
    assert "F1" in first and "P-WH-A-01/F1" in first and "P-WH-A-01/2" not in first
    assert not any(isinstance(v, int | float) and v in (10, 4, 3) for v in first)  # no system or first count
    assert any("(Ana Ruiz)" in str(v) for v in first)
    unsigned = _values(cycle_dir / "recounts/Recount_Warehouse_A-R002.xlsx", "WH-A-02")
    assert not any(NOT_SIGNED in str(v) for v in unsigned)  # "(not signed)" is nobody to avoid


def test_nothing_new_on_a_second_run_and_an_existing_file_is_never_written_over(tmp_path):
    record = manifest()
    write_recount_sheets(tmp_path, record, lines(), Config(), RETURNED)()
    count = len(record.sheets)
    again = write_recount_sheets(tmp_path, record, lines(), Config(), RETURNED)
    assert again() == [] and len(record.sheets) == count  # every line is on a recount sheet already

    fresh = manifest()
    taken = tmp_path / "other" / "recounts" / "CAGE-01-R004.xlsx"
    taken.parent.mkdir(parents=True)
    taken.write_bytes(b"someone's own file")
    write_recount_sheets(tmp_path / "other", fresh, lines(), Config(), RETURNED)()
    assert taken.read_bytes() == b"someone's own file"
    assert fresh.sheet("R004").file == "recounts/CAGE-01-R004_2.xlsx"


def test_the_counter_and_count_date_of_a_recount_can_be_typed_on_the_protected_sheet(written):
    """The lead writes who recounts and when: Excel refuses typing in a locked cell of a protected
    sheet, so those cells (and the rest of their merged areas) must be unlocked, the labels not."""
    cycle_dir, record, finish = written
    finish()
    book = openpyxl.load_workbook(cycle_dir / "recounts/Recount_Warehouse_A-R002.xlsx")
    for sheet in book.worksheets:
        assert sheet.protection.sheet  # protected: only the unlocked cells take typing
        where = {sheet.cell(r, c).value: (r, c) for r in range(1, 6) for c in range(1, 6)
                 if sheet.cell(r, c).value in ("Counter", "Count date", "Location", "Cycle")}
        for label in ("Counter", "Count date"):
            r, c = where[label]
            area = next(m for m in sheet.merged_cells.ranges if (r, c + 1) == (m.min_row, m.min_col))
            assert sheet.cell(r, c).protection.locked  # the label itself stays as printed
            assert all(not sheet.cell(r, col).protection.locked for col in range(area.min_col, area.max_col + 1))
        for label in ("Location", "Cycle"):  # what identifies the sheet stays locked
            r, c = where[label]
            assert sheet.cell(r, c + 1).protection.locked
