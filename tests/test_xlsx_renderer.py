"""The xlsx renderer: what goes in comes back out, through openpyxl, calamine and LibreOffice."""

import datetime as dt
from decimal import Decimal

import openpyxl
from python_calamine import CalamineWorkbook

from cyclekit.libreoffice import recalculate
from cyclekit.workbook.spec import Cell, Column, Formula, Range, Sheet, Style, WorkbookSpec
from cyclekit.workbook.xlsx import render_xlsx

AWKWARD = ["=SUM(A1)", "000812", "1E5", "1.50", " padded ", "a & b < c > d", 'say "hi"', "tab\there",
           "_x0041_ literal", "emoji \u2705", "line\nbreak", "TRUE", "2026-01-05"]


def spec():
    sheet = Sheet("Data", columns=[Column("Text", 20, Style(num_format="@")), Column("Number", 10)])
    sheet.rows.append([Cell("Text", Style(bold=True)), Cell("Number", Style(bold=True))])
    for n, text in enumerate(AWKWARD, start=2):
        sheet.rows.append([text, Decimal("0.1") * n])
    total = len(AWKWARD) + 1
    sheet.rows.append([Cell(None, Style(bg_color="#FFF2CC", locked=False)),
                       Formula(f"=ROUND(SUM(B2:B{total}),6)", sum(Decimal("0.1") * n for n in range(2, total + 1)))])
    sheet.rows.append([Cell(dt.date(2026, 11, 23), Style()), True])  # a date without a date format
    sheet.merges.append((Range(total + 2, 0, total + 2, 1), Cell("merged", Style(bold=True))))
    sheet.row_heights[3] = 30
    return WorkbookSpec([sheet])


def test_awkward_text_survives_every_reader(tmp_path):
    path = render_xlsx(spec(), tmp_path / "w.xlsx")
    sheet = openpyxl.load_workbook(path)["Data"]
    # openpyxl does not undo Excel's escape of a literal "_x0041_" (Excel, LibreOffice and calamine do)
    plain = [t for t in AWKWARD if "_x" not in t]
    assert [sheet.cell(r, 1).value for r in range(2, len(AWKWARD) + 2) if "_x" not in AWKWARD[r - 2]] == plain
    assert all(sheet.cell(r, 1).data_type == "s" for r in range(2, len(AWKWARD) + 2))
    assert sheet.row_dimensions[4].height == 30
    assert sheet.cell(len(AWKWARD) + 2, 1).protection.locked is False
    assert {str(m) for m in sheet.merged_cells.ranges} == {f"A{len(AWKWARD) + 4}:B{len(AWKWARD) + 4}"}
    values = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Data").to_python()
    assert [row[0] for row in values[1:len(AWKWARD) + 1]] == AWKWARD
    assert values[len(AWKWARD) + 1][1] == sum(0.1 * n for n in range(2, len(AWKWARD) + 2))
    assert values[len(AWKWARD) + 2][0] in (dt.date(2026, 11, 23), dt.datetime(2026, 11, 23))
    assert values[len(AWKWARD) + 2][1] is True


def test_libreoffice_reads_the_fast_rows(soffice, tmp_path):
    path = render_xlsx(spec(), tmp_path / "w.xlsx")
    [again] = recalculate([path], tmp_path / "lo")
    sheet = openpyxl.load_workbook(again, data_only=True)["Data"]
    assert [sheet.cell(r, 1).value for r in range(2, len(AWKWARD) + 2)] == AWKWARD
    assert sheet.cell(len(AWKWARD) + 2, 2).value == sum(round(0.1 * n, 1) for n in range(2, len(AWKWARD) + 2))
    assert sheet.cell(len(AWKWARD) + 4, 1).value == "merged"
