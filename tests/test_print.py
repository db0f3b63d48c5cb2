"""Count sheets as printed: LibreOffice renders the PDF, poppler reads it back."""

import datetime as dt
import subprocess

from cyclekit.config import Config
from cyclekit.stages import schedule as api
from cyclekit.stages.sheets import Selection, start_cycle
from tests.helpers import INVENTORY_HEADER, write_csv


def pdf_pages(path):
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    texts = [subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(path), "-"],
                            capture_output=True, text=True, check=True).stdout for n in range(1, pages + 1)]
    return info, texts


def test_long_sheet_prints_header_on_every_page_and_fits_width(soffice, tmp_path):
    rows = [["WH-Z-01", f"{n:06d}", "01", f"Washer, flat M{n % 12 + 2} zinc", "ea", f"L{n}", "", "available",
             str(n), "0.05"] for n in range(1, 121)]
    rows.append(["WH-Z-02", "1E5", "1", "Resistor", "ea", "", "", "available", "5", "0.02"])
    inventory = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER, rows)
    schedule = tmp_path / "schedule.xlsx"
    api.write_schedule(inventory, schedule, Config(), as_of=dt.date(2026, 11, 23))
    report = start_cycle(schedule, inventory, tmp_path / "cycle", Config(), selection=Selection(all=True),
                         as_of=dt.date(2026, 11, 23), pdf=True)
    assert sorted(p.name for p in report.pdfs) == ["WH-Z-01.pdf", "WH-Z-02.pdf"]
    info, pages = pdf_pages(report.cycle_dir / "pdf" / "WH-Z-01.pdf")
    assert "612 x 792" in info  # US letter, portrait
    assert 3 <= len(pages) <= 6
    for number, text in enumerate(pages, start=1):
        assert "WH-Z-01" in text, number  # location in the page header
        assert f"Page {number} of {len(pages)}" in text
        for header in ("Part Number", "Revision", "Floor Count", "Notes"):
            assert header in text, (number, header)  # header row repeated, all columns on the page
    everything = "\n".join(pages)
    assert "000001" in everything and "000120" in everything
    assert "Counted by" in pages[-1] and "Found on the shelf" in everything
    _, single = pdf_pages(report.cycle_dir / "pdf" / "WH-Z-02.pdf")
    assert len(single) == 1 and "1E5" in single[0]


def test_long_identifiers_print_whole(soffice, tmp_path):
    long_part, long_lot = "VERYLONGPARTNUMBER-0000123456", "LOT-2026-11-XYZ-00042"
    rows = [["WH-Y-01", long_part, "01", "Bracket, mounting, stainless steel, for 19 inch rack rails, "
             "left and right, with screws", "ea", long_lot, "", "available", "4", "1.00"],
            ["WH-Y-01", "000812", "1", "Nut", "ea", "", "", "available", "9", "0.01"]]
    inventory = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER, rows)
    schedule = tmp_path / "schedule.xlsx"
    api.write_schedule(inventory, schedule, Config(), as_of=dt.date(2026, 11, 23))
    report = start_cycle(schedule, inventory, tmp_path / "cycle", Config(), selection=Selection(all=True),
                         as_of=dt.date(2026, 11, 23), pdf=True)
    _, pages = pdf_pages(report.cycle_dir / "pdf" / "WH-Y-01.pdf")
    words = "".join("".join(pages).split())
    # every piece of a wrapped identifier is on the page, none clipped by a short row
    for piece in ("VERYLONGPART", "0000123456", "LOT-2026-", "00042", "screws"):
        assert piece in words, piece
    assert all("2026-11-23" in page for page in pages)  # the count date on every page


def sheet_pages(pages):
    """Each printed page's location and its "Page i of n", as the page header says."""
    import re

    found = []
    for text in pages:
        first = next(line for line in text.splitlines() if line.strip())
        match = re.search(r"^\s*(\S+).*Page (\d+) of (\d+)", first)
        assert match, first
        found.append((match[1], int(match[2]), int(match[3])))
    return found


def test_a_packet_numbers_each_locations_pages_on_its_own(soffice, tmp_path):
    """A packet holds an owner's locations, a tab each: a one-page location prints "Page 1 of 1",
    never "Page 2 of 2" because another location came first; a long one "Page 1 of 3" ..."""
    rows = [["LS-03", f"{n:06d}", "01", f"Washer, flat M{n % 12 + 2} zinc", "ea", f"L{n}", "", "available",
             str(n), "0.05"] for n in range(1, 46)]
    rows += [["LS-04", "1E5", "1", "Resistor", "ea", "", "", "available", "5", "0.02"],
             ["LS-05", f"{7:06d}", "A", "Bracket, mounting, stainless steel, for 19 inch rack rails, left and right, "
              "with screws and washers", "ea", "", "", "available", "2", "1.00"]]
    inventory = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER, rows)
    schedule = tmp_path / "schedule.xlsx"
    api.write_schedule(inventory, schedule, Config(), as_of=dt.date(2026, 11, 23))
    report = start_cycle(schedule, inventory, tmp_path / "cycle", Config(), selection=Selection(all=True),
                         as_of=dt.date(2026, 11, 23), pdf=True, packets=True)
    [packet] = report.pdfs
    _, pages = pdf_pages(report.cycle_dir / packet)
    printed = sheet_pages(pages)
    long = [p for p in printed if p[0] == "LS-03"]
    assert len(long) >= 2 and long == [("LS-03", n, len(long)) for n in range(1, len(long) + 1)]
    assert [p for p in printed if p[0] != "LS-03"] == [("LS-04", 1, 1), ("LS-05", 1, 1)]
    for location in ("LS-03", "LS-04"):
        text = "\n".join(t for t, p in zip(pages, printed) if p[0] == location)
        assert text.count("Counted by") == 1  # the sign-off only, not on every page's footer too


def test_every_line_row_of_a_sheet_is_as_tall_and_the_found_unit_box_takes_a_word(tmp_path):
    """Room to write: a long description makes no row shorter than its neighbours; UoM is written by
    hand on a found item's row."""
    from cyclekit.layouts.count_sheet import HEADER_ROW, SheetHeader, SheetLine, count_sheet

    lines = [SheetLine(1, "000812", "01", "Nut", "", "ea"),
             SheetLine(2, "1E5", "A", "Bracket, mounting, stainless steel, for 19 inch rack rails, left and "
                                      "right, with screws and washers, and a long tail of words", "L2", "ea"),
             SheetLine(3, "PCB-0007", "B", "PCB bare board, motor controller", "", "ea")]
    header = SheetHeader("count", "C-1", "S001", "LS-04", "Lineside", "Kenji", "2026-11-23")
    sheet = count_sheet(header, lines, "LS-04", show_system_qty=False, found_rows=5, whole_uoms=("ea",))
    heights = [sheet.row_heights[HEADER_ROW + n] for n in (1, 2, 3)]
    assert len(set(heights)) == 1 and heights[0] >= 27
    assert sheet.columns[sheet.column_index("uom")].width >= 7
    assert "Counted by" not in sheet.print_setup.footer and "Counted by" not in sheet.print_setup.header
