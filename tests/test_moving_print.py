"""results.xlsx of a plant that moved while it was counted, on paper: the Moved/Expected columns,
the Transfers and Movements tabs, rendered by LibreOffice and read back by poppler.

Finance printing it found fills no page explained: the blue of a line that moved, the green of an
accepted transfer, the amber of a movement that changed no counted line."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from cyclekit.backends.libreoffice import to_pdf
from cyclekit.stages import schedule as api
from cyclekit.stages.ingest import ingest_cycle
from cyclekit.stages.sheets import Selection, start_cycle
from tests import test_moving_plant as moving
from tests.helpers import INVENTORY_HEADER, fill_sheet, write_csv
from tests.test_results_print import Word, pages_of, pdf_words, reading, tab_of


@pytest.fixture(scope="module")
def printed(soffice: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[list[Word]]]:
    """Each tab's printed pages: BIN-1 short by 3 and BIN-2 over by 3 (a suggested transfer), stock
    moved in and out during the count, and a movement in a bin outside the cycle."""
    tmp = tmp_path_factory.mktemp("moving-print")
    inventory = write_csv(tmp / "inventory.csv", INVENTORY_HEADER, moving.ROWS)
    schedule = tmp / "schedule.xlsx"
    api.write_schedule(inventory, schedule, moving.CONFIG, as_of=moving.AS_OF, today=moving.AS_OF)
    cycle_dir = tmp / "cycle"
    start_cycle(schedule, inventory, cycle_dir, moving.CONFIG, selection=Selection(all=True), as_of=moving.AS_OF,
                cycle_id="CC-MOVE-0001")
    snapshot = dt.datetime.fromisoformat(json.loads((cycle_dir / "manifest.json").read_text())["created"])
    files = moving.count((cycle_dir, schedule, snapshot), tmp, bin1={1: 47, 2: 15})
    files[1] = fill_sheet(cycle_dir / "sheets" / "BIN-2.xlsx", tmp / "back" / "b2.xlsx", {1: 29}, counted_by="Bo",
                          edit=moving.counted_at(moving.hours(snapshot, 3)))
    report = ingest_cycle(cycle_dir, moving.MOVES_CONFIG, files, today=moving.AS_OF,
                          movements=moving.movements(tmp, snapshot))
    [pdf] = to_pdf([report.results], tmp / "pdf")
    tabs: dict[str, list[list[Word]]] = {}
    for page in pages_of(pdf_words(pdf)).values():
        tabs.setdefault(tab_of(page), []).append(page)
    return tabs


@pytest.mark.parametrize(("tab", "legend"), [
    ("Variance", "Blue Moved Qty: the stock moved while the count ran."),
    ("Discrepancies", "Blue Moved Qty: the stock moved while the count ran."),
    ("Transfers", "Green: accepted."),
    ("Transfers", "Amber: the quantity changed since it was decided; decide again."),
    ("Movements", "Amber: the movement changed no counted line"),
])
def test_every_page_of_a_tab_with_fills_says_what_they_mean(
        printed: dict[str, list[list[Word]]], tab: str, legend: str) -> None:
    pages = printed[tab]
    assert pages, f"no {tab} page printed"
    for number, page in enumerate(pages, start=1):
        assert legend in reading(page), f"{tab} page {number} of {len(pages)} does not say {legend!r}"


def test_a_transfer_prints_what_moved_and_its_decision_on_one_page(printed: dict[str, list[list[Word]]]) -> None:
    """Finance reads where from, where to, how many, what it is worth and who decided, together:
    Decided By printed a page after the Decision, To Location and the quantity apart from them."""
    [page] = [p for p in printed["Transfers"] if "Decision" in {w.text for w in p}]
    text = reading(page)
    for header in ("From Location", "To Location", "Part Number", "Quantity", "UoM", "Value", "Decision",
                   "Decided By", "Notes"):
        assert header in text, f"{header} prints on another page than the Decision"


def test_a_movement_prints_where_what_how_many_and_when_on_one_page(printed: dict[str, list[list[Word]]]) -> None:
    [page] = [p for p in printed["Movements"] if "Quantity" in {w.text for w in p}]
    text = reading(page)
    for header in ("Status", "Location", "Part Number", "UoM", "Quantity", "Time"):
        assert header in text, f"{header} prints on another page than the movement's Quantity"
