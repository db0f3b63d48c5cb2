"""What counters, leads and finance see on paper: pages rendered by LibreOffice, read back by poppler."""

import datetime as dt
import re
import subprocess

import openpyxl
from click.testing import CliRunner

from cyclekit.backends.libreoffice import to_pdf
from cyclekit.backends.spec import WorkbookSpec
from cyclekit.backends.xlsx import render_xlsx
from cyclekit.cli import cli
from cyclekit.config import Config
from cyclekit.errors import Problem
from cyclekit.layouts import results
from cyclekit.layouts.adjustments import Adjustment, review_workbook
from cyclekit.layouts.results_carry import KeptCell
from cyclekit.stages import schedule as api
from cyclekit.stages.ingest import ingest_cycle
from cyclekit.stages.sheets import Selection, start_cycle
from tests.helpers import INVENTORY_HEADER, fill_sheet, write_csv
from tests.test_cycle_flow import plant, sheet_file, start  # noqa: F401
from tests.test_print import pdf_pages
from tests.test_results_print import column_text, pages_of, pdf_words


def word_heights(pdf, word):
    """Heights (points) of each occurrence of a word on the first page, from poppler's boxes."""
    html = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    heights = []
    for line in html.splitlines():
        if f">{word}</word>" in line:
            box = dict(re.findall(r'(\w+)="([\d.]+)"', line))
            heights.append(float(box["yMax"]) - float(box["yMin"]))
    return heights


def test_a_300_character_location_prints_at_full_size_and_whole(soffice, tmp_path):
    location = "RACK-" + "X" * 290 + "-END"
    rows = [[location, "LONG-1", "", "Bracket", "ea", "", "", "available", "7", "10.00"],
            ["B-02", "P-B", "", "Nut", "ea", "", "", "available", "3", "1.00"]]
    inventory = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER, rows)
    schedule = tmp_path / "schedule.xlsx"
    api.write_schedule(inventory, schedule, Config(), as_of=dt.date(2026, 11, 23))
    report = start_cycle(schedule, inventory, tmp_path / "cycle", Config(), selection=Selection(all=True),
                         as_of=dt.date(2026, 11, 23), pdf=True)
    pdf = next(p for p in report.pdfs if p.name.startswith("RACK-"))
    _, pages = pdf_pages(pdf)
    text = pages[0]
    # the title wraps and shows the whole location; LibreOffice shrank the page to a sixth for a
    # title running past it, so that 12 pt headers printed about 2 pt high
    assert "".join(text.split()).count("X" * 290 + "-END") >= 1
    assert min(word_heights(pdf, "Floor")) > 8
    # page header and footer: the location's start and end, not 300 characters wrapped over the page
    assert "RACK-XXXXXXXX…XXXXXXXX-END" in text
    assert "Page 1 of 1" in text


def test_an_unsigned_sheet_problem_names_the_counted_by_cell(plant, tmp_path):  # noqa: F811
    report = start(plant, tmp_path, selection=Selection(locations=("WH-A-01",)))
    unsigned = fill_sheet(sheet_file(report.cycle_dir, "WH-A-01"), tmp_path / "back" / "a01.xlsx",
                          {1: 1200, 2: 10, 3: 40}, counted_by="")  # line 1: -34, Major
    result = ingest_cycle(report.cycle_dir, Config(), [unsigned])
    [problem] = [p for p in result.problems if p.kind == "not-signed"]
    cell = openpyxl.load_workbook(unsigned).active[problem.cell]
    left = cell.offset(column=-1).value
    assert left == "Counted by", problem  # the cell where the counter signs
    assert "write who counted it in Counted by" in problem.message


def test_long_problems_get_rows_tall_enough_to_print_apart(soffice, tmp_path):
    long = ("a row inserted below line 1 holds part INSERTED-P with count 4: it is not a line of this "
            "sheet and was not counted; line 1 goes on a recount. If the item is on the shelf, write it "
            "in a Found row and ingest the sheet again")
    problems = [Problem("inserted-row", "a.xlsx", long, sheet="A", cell="A9", value="INSERTED-P | 4"),
                Problem("ambiguous-count", "a.xlsx", "Floor Count is ambiguous: '228,461' is 228461 with a "
                        "decimal point but 228.461 with a decimal comma; write it without a thousands "
                        "separator (e.g. 228461 or 228.461); the line was not counted", sheet="A", cell="G12")]
    sheet = results._problems_sheet(problems, {}, {})
    render_xlsx(WorkbookSpec([sheet]), tmp_path / "problems.xlsx")
    [pdf] = to_pdf([tmp_path / "problems.xlsx"], tmp_path / "pdf")
    words = column_text(pages_of(pdf_words(pdf))[1], "Problem", "Resolution")
    # rows of the default height printed these messages over each other, word by word
    assert "write it in a Found row and ingest the sheet again" in words
    assert "decimal comma; write it without a thousands separator" in words


def test_a_recount_of_an_unsigned_sheet_names_no_first_counter(plant, tmp_path):  # noqa: F811
    report = start(plant, tmp_path, selection=Selection(locations=("WH-A-01",)))
    unsigned = fill_sheet(sheet_file(report.cycle_dir, "WH-A-01"), tmp_path / "back" / "a01.xlsx",
                          {1: 1200, 2: 10, 3: 40}, counted_by="")  # line 1: -34, Major
    ingest_cycle(report.cycle_dir, Config(), [unsigned])
    [recount] = (report.cycle_dir / "recounts").glob("*.xlsx")
    instructions = openpyxl.load_workbook(recount).active["A5"].value
    assert instructions.startswith("Recount: count each line below again")
    # it read "by a different person than the first count ((not signed))"
    assert "not signed" not in instructions and "((" not in instructions
    assert "by a different person than the first count, and write" in instructions


def test_the_results_summary_prints_at_full_size_beside_a_300_character_location(soffice, tmp_path):
    location = "RACK-" + "X" * 290 + "-END"
    rows = [[location, "LONG-1", "", "Bracket", "ea", "", "", "available", "7", "10.00"],
            ["B-02", "P-B", "", "Nut", "ea", "", "", "available", "3", "1.00"]]
    inventory = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER, rows)
    schedule = tmp_path / "schedule.xlsx"
    api.write_schedule(inventory, schedule, Config(), as_of=dt.date(2026, 11, 23))
    report = start_cycle(schedule, inventory, tmp_path / "cycle", Config(), selection=Selection(all=True),
                         as_of=dt.date(2026, 11, 23))
    filled = [fill_sheet(sheet_file(report.cycle_dir, loc), tmp_path / "back" / f"{n}.xlsx", {1: 5},
                         counted_by="Ann") for n, loc in enumerate((location, "B-02"))]
    result = ingest_cycle(report.cycle_dir, Config(), filled)
    [pdf] = to_pdf([result.results], tmp_path / "pdf")
    # the Line ID and the chart's label ran past the Summary: LibreOffice printed it at a fifth
    assert min(word_heights(pdf, "Largest")) > 8
    _, pages = pdf_pages(pdf)
    assert "RACK-" + "X" * 10 + "…" + "X" * 10 + "-END" in "\n".join(pages)  # the chart's data, shortened


def test_a_long_note_kept_from_the_previous_results_prints_whole(soffice, tmp_path):
    note = "Finance: check the rack location with the lead before approving anything here, it looks wrong"
    sheet = results._kept_sheet([KeptCell("Summary", "K3", note, "typed on the Summary tab"),
                                 KeptCell("Problems", "B30", "below the table", "typed below the table")])
    render_xlsx(WorkbookSpec([sheet]), tmp_path / "kept.xlsx")
    [pdf] = to_pdf([tmp_path / "kept.xlsx"], tmp_path / "pdf")
    _, pages = pdf_pages(pdf)
    words = " ".join(pages[0].split())
    # the carried text's own style did not wrap: the note was cut at the column's edge
    assert "before approving anything here, it looks wrong" in words
    assert "below the table" in words


def test_what_schedule_kept_names_locations_readably_on_one_line(tmp_path):
    location = "RACK-" + "X" * 290 + "-END"
    rows = [[" A-01 ", "P1", "", "Bolt", "ea", "", "", "available", "5", "2.00"],
            [location, "LONG-1", "", "Bracket", "ea", "", "", "available", "7", "10.00"]]
    inventory = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER, rows)
    schedule = tmp_path / "schedule.xlsx"
    args = ["schedule", str(inventory), "--as-of", "2026-11-23", "-o", str(schedule)]
    assert CliRunner().invoke(cli, args).exit_code == 0
    book = openpyxl.load_workbook(schedule)
    sheet = book["Schedule"]
    cadence = [c.column for c in sheet[1] if c.value == "Cadence (days)"][0]
    for row in (2, 3):
        sheet.cell(row, cadence).value = 45
    book.save(schedule)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    [kept] = [line for line in result.output.splitlines() if line.startswith("Kept as typed")]
    # the location's spaces were invisible, and the 300 characters made the line wrap over the screen
    assert "␣A-01␣" in kept and "RACK-XXXXXXXXXXXXXXX…XXXXXXXXXXXXXXX-END" in kept
    assert len(kept) < 140


def test_the_review_workbook_shows_whole_root_causes_and_says_unvalued(soffice, tmp_path):
    def adjustment(line_id, cost, value, cause):
        return Adjustment(location="LS-1", part_number="000777", revision="", description="Spacer", lot="",
                          serial="", uom="ea", system_qty="0", counted_qty="24", adjust_qty="24",
                          unit_cost=cost, adjust_value=value, reason="", root_cause=cause, resolution="",
                          status="Resolved", severity="Major", approved_by="Dana Whitfield (Finance Manager)",
                          approval_date="2026-11-25", line_id=line_id)

    lines = [adjustment("LS-1/F1", "", "", "Part status incorrect (installed, on_order, unavailable)"),
             adjustment("LS-1/2", "0.50", "12.00", "Parts moved physically but not digitally")]
    render_xlsx(review_workbook(lines, "CC-1", "$#,##0.00"), tmp_path / "review.xlsx")
    [pdf] = to_pdf([tmp_path / "review.xlsx"], tmp_path / "pdf")
    _, pages = pdf_pages(pdf)
    words = " ".join(" ".join(pages).split())
    # cut at the column's edge: "Parts moved physically but not digit", "Dana Whitfield (Finar"
    assert "Parts moved physically but not digitally" in words
    assert "Manager)" in words  # wrapped onto a second line, not cut
    assert "unavailable)" in words
    # a found item with no cost: its value was blank, as if there were nothing to post
    assert words.count("unvalued") == 1


def test_the_lead_can_write_the_recount_counter_and_date(plant, tmp_path):  # noqa: F811
    report = start(plant, tmp_path, selection=Selection(locations=("WH-A-01",)))
    filled = fill_sheet(sheet_file(report.cycle_dir, "WH-A-01"), tmp_path / "back" / "a01.xlsx",
                        {1: 1200, 2: 10, 3: 40}, counted_by="Ann")  # line 1: -34, Major
    ingest_cycle(report.cycle_dir, Config(), [filled])
    [recount] = (report.cycle_dir / "recounts").glob("*.xlsx")
    sheet = openpyxl.load_workbook(recount).active
    assert sheet.protection.sheet
    for label in ("Counter", "Count date"):
        [value] = [c.offset(column=1) for row in sheet.iter_rows(max_row=5) for c in row if c.value == label]
        # left blank "for the lead to fill in", but locked on a protected sheet
        assert value.value is None and value.protection.locked is False, label
