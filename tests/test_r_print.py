"""What counters, leads and finance see on paper: pages rendered by LibreOffice, read back by poppler."""

import datetime as dt
import re
import subprocess

from cyclekit import api
from cyclekit.config import Config
from cyclekit.start_cycle import Selection, start_cycle
from tests.helpers import INVENTORY_HEADER, write_csv
from tests.test_print import pdf_pages


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
