"""The xlsx renderer: what goes in comes back out, through openpyxl, calamine and LibreOffice."""

import datetime as dt
import sys
from decimal import Decimal

import openpyxl
from python_calamine import CalamineWorkbook

from cyclekit.backends.libreoffice import recalculate
from cyclekit.backends.spec import Cell, Column, Formula, Range, Sheet, Style, WorkbookSpec
from cyclekit.backends.xlsx import render_xlsx

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


def _big_sheet_spec() -> WorkbookSpec:
    sheet = Sheet("Lines", columns=[Column("Part", 12, Style(num_format="@")), Column("Qty", 8),
                                    Column("Check", 8)])
    sheet.rows.append([Cell("Part", Style(bold=True)), Cell("Qty", Style(bold=True)), "Check"])
    for n in range(2, 62):
        # a style first met in the second half: the copy must use the workbook's index for it
        flag = Cell("late", Style(bg_color="#FFC7CE")) if n == 55 else AWKWARD[n % len(AWKWARD)]
        sheet.rows.append([flag, Decimal(n) / 4, Formula(f"=B{n}*2", Decimal(n) / 2)])
    sheet.rows.append([])  # an empty row, then one more line
    sheet.rows.append(["000812", 1, Formula("=B63*2", 2)])
    sheet.row_heights[55] = 30  # a tall row in the half the copy writes
    return WorkbookSpec([sheet, Sheet("After", rows=[["a tab after the big one"]])])


def _cells(path) -> list[tuple]:
    """Every cell as Excel shows it: value, type and look (format indices may be numbered apart)."""
    book = openpyxl.load_workbook(path)
    return [(ws.title, cell.coordinate, cell.value, cell.data_type, cell.font.b, cell.fill.fgColor.rgb,
             cell.number_format, cell.protection.locked)
            for ws in book for row in ws.iter_rows() for cell in row]


def test_a_big_sheet_written_on_two_cores_reads_the_same(tmp_path, monkeypatch):
    import cyclekit.backends.xlsx as xlsx

    monkeypatch.setattr(xlsx, "SMALL_WORKBOOK_ROWS", 0)
    monkeypatch.setattr(xlsx, "PARALLEL_ROWS", 10**9)
    serial = _cells(render_xlsx(_big_sheet_spec(), tmp_path / "serial.xlsx"))
    monkeypatch.setattr(xlsx, "PARALLEL_ROWS", 20)
    forks = []
    original = xlsx.in_forked_copy
    monkeypatch.setattr(xlsx, "in_forked_copy", lambda produce: forks.append(original(produce)) or forks[-1])
    split = _cells(render_xlsx(_big_sheet_spec(), tmp_path / "split.xlsx"))
    assert len(forks) == 1 and (forks[0] is not None or not sys.platform.startswith("linux"))
    assert split == serial
    assert [c for c in split if c[2] == "late"][0][5] == "FFFFC7CE"
    assert openpyxl.load_workbook(tmp_path / "split.xlsx")["Lines"].row_dimensions[56].height == 30
    values = CalamineWorkbook.from_path(str(tmp_path / "split.xlsx")).get_sheet_by_name("Lines").to_python()
    assert values[54][0] == "late" and values[-1][0] == "000812" and values[-1][2] == 2.0


def test_a_failed_copy_leaves_the_rows_to_this_process(tmp_path, monkeypatch):
    import cyclekit.backends.xlsx as xlsx

    monkeypatch.setattr(xlsx, "SMALL_WORKBOOK_ROWS", 0)
    monkeypatch.setattr(xlsx, "PARALLEL_ROWS", 10**9)
    serial = _cells(render_xlsx(_big_sheet_spec(), tmp_path / "serial.xlsx"))
    monkeypatch.setattr(xlsx, "PARALLEL_ROWS", 20)
    monkeypatch.setattr(xlsx, "in_forked_copy", lambda produce: lambda: None)  # the copy died
    assert _cells(render_xlsx(_big_sheet_spec(), tmp_path / "split.xlsx")) == serial


def test_a_bar_chart_formats_its_values_and_orders_its_categories(tmp_path):
    import re
    import zipfile

    from cyclekit.backends.spec import Chart, Series

    sheet = Sheet("Data", columns=[Column("Location", 12), Column("Value", 12)])
    sheet.rows = [["Location", "Value"], ["WH-1", Decimal("-8.95")], ["WH-2", Decimal("-0.27")]]
    sheet.charts.append(Chart("bar", "Net variance", (Series("Net", Range(1, 0, 2, 0), Range(1, 1, 2, 1)),),
                              anchor_row=4, anchor_col=0, y_format="$#,##0.00", label_low=True,
                              reverse_categories=True))
    with zipfile.ZipFile(render_xlsx(WorkbookSpec([sheet]), tmp_path / "c.xlsx")) as book:
        xml = book.read("xl/charts/chart1.xml").decode()
    category_axis = re.search(r"<c:catAx>.*?</c:catAx>", xml, re.S).group(0)
    value_axis = re.search(r"<c:valAx>.*?</c:valAx>", xml, re.S).group(0)
    assert 'formatCode="$#,##0.00"' in value_axis and "$#,##0.00" not in category_axis
    assert '<c:orientation val="maxMin"/>' in category_axis  # the first location at the top
    assert '<c:orientation val="minMax"/>' in value_axis  # losses to the left of zero, as a reader expects
    assert '<c:tickLblPos val="low"/>' in category_axis  # names clear of the bars


# every kind of value a layout puts in a cell, twice over so that the second time comes from memory
TRICKY = [*AWKWARD, "", " ", "x" * 3000, "\u00fcn\u00efc\u00f6d\u00e9 \u2705", "\x01control", "a_x005F_b",
          "\ud800lone", Decimal("0"), Decimal("-0"), Decimal("-0.00"), 0, -0.0, 0.0, 1, 1.0, True, False,
          Decimal("1.50"), Decimal("1.5"), 1.5, Decimal("1E+5"), Decimal("-12.345"), 10**20, 2**53 + 1,
          dt.date(2026, 1, 5), dt.datetime(2026, 1, 5, 12, 30), None,
          *(Formula('=A1&"<x>"', cached) for cached in (None, "", "t & <b>", " lead", Decimal("-0"), Decimal("0"),
                                                       Decimal("2.50"), 3, 2.5, True, dt.date(2026, 1, 5),
                                                       "_x0041_"))]


def _straightforward(formats, columns, r: int, values: list) -> str:
    """A row's cells as the renderer wrote them before it kept texts, numbers and styles in memory:
    one `_cell_xml` per cell, the style the cell's own or its column's, a date shown as a date."""
    from cyclekit.backends.spec import col_letter
    from cyclekit.backends.xlsx import DEFAULT_DATE, _cell_xml
    from cyclekit.backends.xlsxwriter_internals import xf_index

    out = []
    for c, value in enumerate(values):
        if value is None:
            continue
        column_style = columns[c].style if c < len(columns) else None
        style = value.style if type(value) is Cell else None
        value = value.value if type(value) is Cell else value
        style = style or column_style
        xf = xf_index(formats.get(style)) if style is not None else 0
        if isinstance(value, dt.date) and not (style and style.num_format):
            xf = xf_index(formats.get(DEFAULT_DATE))
        out.append(_cell_xml(f"{col_letter(c)}{r + 1}", xf, value))
    return "".join(out)


def test_the_cells_kept_in_memory_are_written_as_each_cell_alone_would_be():
    from cyclekit.backends.xlsx import _Formats, _RowCells
    from cyclekit.backends.xlsxwriter_internals import FastZipWorkbook

    columns = [Column("Text", 10, Style(num_format="@")), Column("Plain", 10, Style(valign=None)),
               Column("Day", 10, Style(num_format="yyyy-mm-dd")), Column("Any", 10)]
    bold, money = Style(bold=True), Style(num_format="0.00")
    rows = []
    for values in (TRICKY, list(reversed(TRICKY))) * 2:  # each value after every other, 0 before -0 and after
        for value in values:
            rows.append([value, value, value, value, Cell(value, bold), Cell(value), Cell(value, money), value])
    formats = _Formats(FastZipWorkbook("unused.xlsx", {"in_memory": True}))
    cells = _RowCells(formats, Sheet("Tricky", columns=columns, rows=rows))
    for r, values in enumerate(rows):
        assert cells(r, values) == _straightforward(formats, columns, r, values), values[0]


def test_an_empty_row_keeps_its_height_in_small_and_big_workbooks(tmp_path, monkeypatch):
    import cyclekit.backends.xlsx as xlsx

    for small in (0, 5000):  # rows streamed to a temp file, and kept in memory
        monkeypatch.setattr(xlsx, "SMALL_WORKBOOK_ROWS", small)
        sheet = Sheet("Gaps", rows=[["a"], [], ["b"]], row_heights={1: 30, 2: 20, 4: 40})
        path = render_xlsx(WorkbookSpec([sheet]), tmp_path / f"gaps-{small}.xlsx")
        rows = openpyxl.load_workbook(path)["Gaps"].row_dimensions
        assert [rows[r].height for r in (1, 2, 3, 5)] == [None, 30, 20, 40]
        assert CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Gaps").to_python()[:3] == [["a"], [""], ["b"]]
