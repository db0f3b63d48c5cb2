"""Every field a count sheet prints for a line is held to what was sent: a line whose serial, unit,
description (or part, revision, lot) was changed on the sheet is a problem naming the file and the
cell, and its count is not taken."""

from __future__ import annotations

import pytest

from cyclekit.config import Config
from cyclekit.stages.ingest import ingest_cycle
from cyclekit.stages.sheets import Selection
from tests.helpers import fill_sheet
from tests.test_cycle_flow import fill_all_right, plant, rows_of, sheet_file, start  # noqa: F401 (plant is a fixture)

# CAGE-01 line 1, its one line: =SUM(A1) rev A, "Gold contact", ea, serial SN-0001 (a sheet with a Serial column)
CHANGES = {"Serial": "SN-FAKE", "UoM": "box", "Description": "Gold contact, 24 ct (new)", "Part Number": "PN-FAKE",
           "Revision": "Z", "Lot": "L-FAKE"}


def _edited(cycle_dir, tmp_path, changes: dict[str, str]):
    """CAGE-01's sheet counted right, line 1's fields changed as `changes` (header -> text);
    returns the file and the cell of each header on line 1."""
    cells = {}

    def edit(sheet):
        header = next(r for r in range(1, 20) if sheet.cell(r, 1).value == "Line")
        columns = {sheet.cell(header, c).value: c for c in range(1, sheet.max_column + 1)}
        row = next(r for r in range(header + 1, sheet.max_row + 1) if sheet.cell(r, 1).value == "1")
        for name, text in changes.items():
            sheet.cell(row, columns[name]).value = text
        cells.update({name: sheet.cell(row, columns[name]).coordinate for name in columns if name})

    filled = fill_sheet(sheet_file(cycle_dir, "CAGE-01"), tmp_path / "back" / "cage.xlsx", {1: 1},
                        counted_by="Ana Ruiz", edit=edit)
    return filled, cells


@pytest.mark.parametrize("field", list(CHANGES))
def test_each_printed_field_changed_on_the_sheet_is_a_problem_naming_file_and_cell(plant, tmp_path, field):  # noqa: F811
    report = start(plant, tmp_path, selection=Selection(locations=("CAGE-01",)))
    filled, cells = _edited(report.cycle_dir, tmp_path, {field: CHANGES[field]})
    result = ingest_cycle(report.cycle_dir, Config(), [filled])
    [problem] = result.problems
    assert (problem.kind, problem.cell, problem.line_id) == ("altered-line", cells[field], "CAGE-01/1")
    assert problem.file.endswith("cage.xlsx") and problem.sheet
    assert f"{field} was printed" in problem.message and f"reads '{CHANGES[field]}'" in problem.message
    assert (result.figures.lines_counted, result.figures.lines_not_counted) == (0, 1)  # a count of something else


def test_serial_unit_and_description_changed_together_are_one_problem_naming_each(plant, tmp_path):  # noqa: F811
    report = start(plant, tmp_path, selection=Selection(locations=("CAGE-01",)))
    changes = {name: CHANGES[name] for name in ("Serial", "UoM", "Description")}
    filled, cells = _edited(report.cycle_dir, tmp_path, changes)
    result = ingest_cycle(report.cycle_dir, Config(), [filled])
    [problem] = result.problems
    assert problem.kind == "altered-line" and problem.cell == cells["Description"]  # the first in the row
    assert all(f"{name} was printed" in problem.message for name in changes)
    assert "Serial was printed 'SN-0001' and reads 'SN-FAKE'" in problem.message
    assert "UoM was printed 'ea' and reads 'box'" in problem.message


def test_a_long_description_typed_over_is_cut_in_the_message(plant, tmp_path):  # noqa: F811
    report = start(plant, tmp_path, selection=Selection(locations=("CAGE-01",)))
    filled, cells = _edited(report.cycle_dir, tmp_path, {"Description": "\ufeff" + "x" * 5000})
    [problem] = ingest_cycle(report.cycle_dir, Config(), [filled]).problems
    # an unseen character shown as an escape, the text cut at 100 characters
    assert problem.cell == cells["Description"] and "reads '\\ufeff" + "x" * 99 + "…'" in problem.message
    assert len(problem.message) < 400


def test_a_description_rewrapped_and_a_unit_in_capitals_still_read_as_sent(plant, tmp_path):  # noqa: F811
    report = start(plant, tmp_path, selection=Selection(locations=("CAGE-01",)))
    filled, _ = _edited(report.cycle_dir, tmp_path, {"Description": " Gold\ncontact ", "UoM": "EA"})
    result = ingest_cycle(report.cycle_dir, Config(), [filled])
    assert result.problems == [] and result.figures.lines_counted == 1


def test_a_found_item_printed_on_a_recount_with_its_unit_changed_is_not_recounted(plant, tmp_path):  # noqa: F811
    report = start(plant, tmp_path, selection=Selection(locations=("LS-1",)))
    files = fill_all_right(report.cycle_dir, tmp_path / "back", **{"LS-1": {"found": [("NEW-999", "", "", "ea", 7)]}})
    first = ingest_cycle(report.cycle_dir, Config(), files)
    [recount_file] = [f for f in first.recount_files if "LS-1" in f.name]
    recounted = fill_sheet(recount_file, tmp_path / "back" / "recount LS-1.xlsx",
                           found=[("NEW-999", "", "", "box", 6)], counted_by="Cy Park")
    again = ingest_cycle(report.cycle_dir, Config(), [*files, recounted])
    [problem] = [p for p in again.problems if p.kind == "altered-line"]
    assert problem.line_id == "LS-1/F1" and problem.cell.startswith("F") and problem.file.endswith("recount LS-1.xlsx")
    assert "(UoM was printed 'ea' and reads 'box'); it was not recounted" in problem.message
    variance = {r["Line ID"]: r for r in rows_of(again.results, "Variance")}
    assert variance["LS-1/F1"]["Counted Qty"] == 7  # the first count stands


def _row_of(sheet, label):
    header = next(r for r in range(1, 20) if sheet.cell(r, 1).value == "Line")
    columns = {sheet.cell(header, c).value: c for c in range(1, sheet.max_column + 1)}
    return next(r for r in range(header + 1, sheet.max_row + 1) if str(sheet.cell(r, 1).value) == label), columns


def test_two_lines_with_their_part_numbers_swapped_are_a_problem_each(plant, tmp_path):  # noqa: F811
    report = start(plant, tmp_path, selection=Selection(locations=("WH-A-01",)))

    def swap(sheet):  # lines 1 (000812) and 3 (1E5): the counts typed against the parts as swapped
        (one, columns), (three, _) = _row_of(sheet, "1"), _row_of(sheet, "3")
        c = columns["Part Number"]
        sheet.cell(one, c).value, sheet.cell(three, c).value = sheet.cell(three, c).value, sheet.cell(one, c).value

    filled = fill_sheet(sheet_file(report.cycle_dir, "WH-A-01"), tmp_path / "back" / "a01.xlsx",
                        {1: 40, 2: 10, 3: 1234}, counted_by="Ana Ruiz", edit=swap)
    result = ingest_cycle(report.cycle_dir, Config(), [filled])
    assert sorted((p.kind, p.line_id, p.cell) for p in result.problems) == [
        ("altered-line", "WH-A-01/1", "B8"), ("altered-line", "WH-A-01/3", "B10")]
    assert all(p.file.endswith("a01.xlsx") and p.sheet == "WH-A-01" for p in result.problems)
    assert "Part Number was printed '000812' and reads '1E5'" in result.problems[0].message
    assert (result.figures.lines_counted, result.figures.lines_not_counted) == (1, 2)


def test_a_line_row_pasted_twice_with_two_counts_is_a_problem_and_neither_count_is_taken(plant, tmp_path):  # noqa: F811
    report = start(plant, tmp_path, selection=Selection(locations=("WH-A-01",)))

    def paste(sheet):  # line 2's row copied into a row inserted above it, with another count
        r, columns = _row_of(sheet, "2")
        sheet.insert_rows(r)
        for c in range(1, sheet.max_column + 1):
            sheet.cell(r, c).value = sheet.cell(r + 1, c).value
        sheet.cell(r, columns["Floor Count"]).value = 99

    filled = fill_sheet(sheet_file(report.cycle_dir, "WH-A-01"), tmp_path / "back" / "a01.xlsx",
                        {1: 1234, 2: 10, 3: 40}, counted_by="Ana Ruiz", edit=paste)
    result = ingest_cycle(report.cycle_dir, Config(), [filled])
    [problem] = result.problems
    assert (problem.kind, problem.line_id, problem.cell, problem.sheet) == ("altered-sheet", "WH-A-01/2", "A10",
                                                                           "WH-A-01")
    assert problem.file.endswith("a01.xlsx") and "(row 9: 99, row 10: 10)" in problem.message
    assert (result.figures.lines_counted, result.figures.lines_not_counted) == (2, 1)  # neither 99 nor 10 taken
