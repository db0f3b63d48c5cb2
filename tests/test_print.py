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
