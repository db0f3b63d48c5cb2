"""results.xlsx on paper, as finance prints it: every tab rendered by LibreOffice, read back by poppler.

A cycle of large quantities and values (what made "-$97,170.80Digital > physical" print as one word),
quantities counted whole and by weight, and a problem in a file with a long path.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from cyclekit.backends.libreoffice import to_pdf
from cyclekit.backends.xlsx import render_xlsx
from cyclekit.config import Config
from cyclekit.domain.causes import suggested_causes
from cyclekit.domain.variance import CountedLine, figures
from cyclekit.errors import Problem
from cyclekit.folder.cycle import LocationRecord, Manifest, SheetRecord
from cyclekit.layouts.results import results_workbook

LINES = 60
FOLDER = Path("/srv/finance/cycle-counts/2026/plant-north/cycle-2026-11-23")
LONG_FILE = FOLDER.parent / "inbox-from-the-floor" / "WH-A-01-counted-by-dee-okafor-second-shift.xlsx"
# a number as printed: money, a quantity, a percentage
NUMBER = re.compile(r"^[-+(]?[$€£]?-?\d[\d,]*(\.\d+)?%?\)?$")


@dataclass(frozen=True)
class Word:
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def height(self) -> float:
        return self.y1 - self.y0


def pdf_words(pdf: Path) -> list[Word]:
    """Every word of the PDF with its box (points), page by page, from poppler."""
    xml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    words, page = [], 0
    for line in xml.splitlines():
        if "<page " in line:
            page += 1
        found = re.search(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', line)
        if found:
            x0, y0, x1, y1 = map(float, found.groups()[:4])
            words.append(Word(page, x0, y0, x1, y1, found.group(5).replace("&gt;", ">").replace("&amp;", "&")))
    return words


def pages_of(words: list[Word]) -> dict[int, list[Word]]:
    pages: dict[int, list[Word]] = {}
    for word in words:
        pages.setdefault(word.page, []).append(word)
    return pages


def reading(page: list[Word]) -> str:
    """A page's words line by line, left to right."""
    return " ".join(w.text for w in sorted(page, key=lambda w: (round(w.y0), w.x0)))


def tab_of(page: list[Word]) -> str:
    """The tab a page prints: the page header's first word (the Summary's names the cycle)."""
    return min(page, key=lambda w: (round(w.y0), w.x0)).text


def glued(words: list[Word]) -> list[tuple[int, str, str, float]]:
    """Numbers printed so close to the word after them that they read as one: closer than a wide
    space (within a cell, words are a space apart; between columns, further)."""
    ordered = sorted(words, key=lambda w: (w.page, round(w.y0), w.x0))
    found = []
    for left, right in zip(ordered, ordered[1:]):
        if left.page != right.page or abs(left.y0 - right.y0) > 1 or right.text == "of":  # "Page 2 of 9"
            continue
        if NUMBER.match(left.text) and right.text[:1].isalpha() and right.x0 - left.x1 < 0.4 * left.height:
            found.append((left.page, left.text, right.text, round(right.x0 - left.x1, 1)))
    return found


def column_text(page: list[Word], header: str, next_header: str) -> str:
    """The words printed under `header` (left of `next_header`), top to bottom, as one text."""
    top = min(w.y0 for w in page if w.text == header)
    left = next(w.x0 for w in page if w.text == header and w.y0 == top)
    right = next(w.x0 for w in page if w.text == next_header and abs(w.y0 - top) < 2)
    body = sorted((w for w in page if left - 1 <= w.x0 < right - 1 and w.y0 > top + 2), key=lambda w: (w.y0, w.x0))
    return " ".join(w.text for w in body)


def _line(n: int) -> CountedLine:
    """Whole pieces in the tens of thousands and kilograms to the gram, short of stock by a lot;
    the last line's part has no known cost (its value prints "unvalued")."""
    location = f"WH-A-{n % 7:02}"
    by_weight = n % 3 == 0
    system, counted = ((Decimal("1234.5"), Decimal("1200.125")) if by_weight
                       else (Decimal(12345), Decimal(12345 - 9 * n)))
    return CountedLine(line_id=f"{location}/{n}", location=location, part_number=f"P-{n:03}", revision="A",
                       description="Bracket steel", lot="", serial="", uom="kg" if by_weight else "ea",
                       abc_class="C", system_qty=system,
                       unit_cost=None if n == LINES else Decimal("2830.40" if by_weight else "1079.67"),
                       counted_qty=counted, counted_by="Dee Okafor", sheet_id="S001")


@pytest.fixture(scope="module")
def printed(soffice: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Word], Path]:
    lines = [_line(n) for n in range(1, LINES + 1)]
    config = Config()
    manifest = Manifest(cycle_id="C-1", as_of="2026-11-23", count_date="2026-11-23", created="2026-11-23T08:00:00",
                        show_system_qty=False, sources={}, snapshot_sha256="",
                        locations=[LocationRecord("WH-A-01")],
                        sheets=[SheetRecord("S001", "count", "WH-A-01", "sheets/a.xlsx", "WH-A-01", [1])])
    problems = [Problem("not-signed", str(LONG_FILE), "Nobody signed the sheet: write who counted it in Counted by "
                        "and ingest the sheet again; until then its lines are charged to nobody",
                        sheet="WH-A-01", cell="C6"),
                Problem("bad-count", str(FOLDER / "returned" / "WH-A-02.xlsx"), "Floor Count is not a number: "
                        "write digits only; the line was not counted and goes on a recount sheet",
                        sheet="WH-A-02", cell="G11", value="lots")]
    totals = figures(lines, ["WH-A-01"], len(problems), config.count)
    spec = results_workbook(manifest, lines, totals, problems, {}, config, dt.date(2026, 11, 25), folder=FOLDER)
    folder = tmp_path_factory.mktemp("results-print")
    render_xlsx(spec, folder / "results.xlsx")
    [pdf] = to_pdf([folder / "results.xlsx"], folder / "pdf")
    return pdf_words(pdf), pdf


def test_no_number_prints_against_the_text_beside_it(printed: tuple[list[Word], Path]) -> None:
    words, _ = printed
    printed_tabs = {tab_of(page) for page in pages_of(words).values()}
    assert {"Variance", "Discrepancies", "Recount", "Problems"} <= printed_tabs
    # "-$97,295.00Digital > physical", "2.0%Dee Okafor", "1,200.125Dee", "-540unvalued": two cells
    # read as one word
    assert "unvalued" in {w.text for w in words}
    assert glued(words) == []


def test_discrepancies_print_many_rows_a_page_in_readable_type(printed: tuple[list[Word], Path]) -> None:
    words, _ = printed
    pages = [page for page in pages_of(words).values() if tab_of(page) == "Discrepancies"]
    rows = [sum(1 for w in page if re.fullmatch(r"P-\d{3}", w.text)) for page in pages]
    # every page down but the last of each page across is full: 10 rows a page when the suggested
    # causes in 9 pt type made each row four lines tall
    assert sum(rows) % LINES == 0 and min(r for r in rows if r != LINES % max(rows)) >= 18, rows
    body = [w for page in pages for w in page if re.fullmatch(r"P-\d{3}", w.text)]
    assert min(w.height for w in body) >= 9.5  # 11 pt type printed at 3/4 size at least
    # the causes are not on every row: once, on the Summary's legend
    everything = " ".join(w.text for w in words)
    assert everything.count("Theft or loss") == 1
    assert all(cause in everything for cause in suggested_causes(-1) + suggested_causes(1))


def test_quantities_print_with_thousands_separators_and_their_units_decimals(
        printed: tuple[list[Word], Path]) -> None:
    words, _ = printed
    texts = {w.text for w in words}
    assert {"12,345", "12,336", "1,234.500", "1,200.125", "-34.375", "-9"} <= texts
    assert not texts & {"12345", "12345.000", "1234.5", "-9.000"}


def test_problems_print_whole_below_their_header(printed: tuple[list[Word], Path]) -> None:
    words, _ = printed
    [page] = [page for page in pages_of(words).values() if tab_of(page) == "Problems"]
    header = max(w.y1 for w in page if w.text in ("Kind", "File", "Problem"))
    body = [w for w in page if w.y0 > header - 5 and w.text not in ("Kind", "File", "Problem", "Tab", "Cell",
                                                                     "Value", "Resolution", "Status")]
    assert min(w.y0 for w in body) > header  # a tall message printed over the header row
    # the file's whole path, wrapped in its column; a file of the cycle by its path from the cycle
    files = column_text(page, "File", "Tab").replace(" ", "")
    assert str(LONG_FILE) in files and "returned/WH-A-02.xlsx" in files and str(FOLDER) + "/returned" not in files
    problems = column_text(page, "Problem", "Resolution")
    assert "write who counted it in Counted by and ingest the sheet again; until then its lines are charged" \
        " to nobody" in problems


def test_the_summary_has_a_legend_of_the_fills(printed: tuple[list[Word], Path]) -> None:
    words, _ = printed
    summary = " ".join(reading(page) for page in pages_of(words).values() if tab_of(page) == "Cycle")
    for said in ("Legend: what the colours mean", "Red Variance: the line is outside its tolerance",
                 "Green Discrepancies: Resolved", "Yellow Cells to fill in"):
        assert said in summary
    # and each tab with fills names them at the foot of its pages
    footer = " ".join(reading(page) for page in pages_of(words).values() if tab_of(page) == "Variance")
    assert "Red: outside tolerance." in footer
