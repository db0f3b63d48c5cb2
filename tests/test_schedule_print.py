"""The schedule on paper, as the lead prints it: rendered by LibreOffice, read back by poppler.

With the example plant's settings (adaptive cadence: a Cadence Reason column) the Schedule tab,
fitted to one page's width, printed its rows in type about 5 points tall."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cyclekit.backends.libreoffice import to_pdf
from cyclekit.config import load_config
from cyclekit.stages import schedule as api
from tests.test_results_print import pages_of, pdf_words, reading

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
LEGIBLE = 7.5  # points: the box poppler gives a word of about 7 pt type


def test_the_schedule_prints_in_legible_type_with_its_location_on_every_page(soffice: str, tmp_path: Path) -> None:
    config = load_config(EXAMPLES / "cyclekit.toml")
    assert config.cadence.adaptive, "the example plant learns its cadences: the widest Schedule tab"
    schedule = tmp_path / "schedule.xlsx"
    api.write_schedule(EXAMPLES / "inventory.csv", schedule, config, as_of=dt.date(2026, 11, 23),
                       locations=EXAMPLES / "locations.csv")
    [pdf] = to_pdf([schedule], tmp_path / "pdf")
    pages = [p for p in pages_of(pdf_words(pdf)).values() if reading(p).startswith("Cycle count schedule as of")]
    assert pages
    for number, page in enumerate(pages, start=1):
        text = reading(page)
        assert "CAGE-01" in text or "WH-" in text, f"page {number}: no location says whose row it is"
        keys = [w for w in page if w.text.startswith(("WH-", "CAGE-", "LS-"))]
        assert keys and min(w.height for w in keys) >= LEGIBLE, (
            f"page {number}: rows print {min(w.height for w in keys):.1f} pt tall")
    everything = " ".join(reading(p) for p in pages)
    for header in ("Owner Email", "Next Count", "Cadence Reason", "Notes"):
        assert header in everything, f"{header} does not print"
    # a row's two halves print one after the other, not a whole column of pages apart
    assert "Next Count" in reading(pages[1]), "page 2 is not the right half of page 1"
