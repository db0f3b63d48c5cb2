"""The schedule after a finalize moved it on: its title and Calendar stand at that day."""

import datetime as dt

import openpyxl

from cyclekit.stages.finalize import finalize_cycle
from tests.test_finalize import CONFIG, approve_all, cycle  # noqa: F401 (a fixture)

LATER = dt.date(2026, 12, 9)  # a Wednesday, two weeks after the as-of date


def test_the_title_shows_the_day_the_schedule_was_last_moved_on(cycle):  # noqa: F811
    cycle_dir, schedule, _ = cycle
    approve_all(cycle_dir)
    finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=LATER)
    book = openpyxl.load_workbook(schedule)
    for tab in ("Schedule", "Calendar", "Settings"):
        header = book[tab].oddHeader.left.text
        assert "as of 2026-12-09 (moved on by a finalize; made as of 2026-11-23)" in header, tab
    assert book.properties.subject.startswith("as of 2026-12-09")
    settings = {row[0]: row[1] for row in book["Settings"].iter_rows(values_only=True)}
    assert settings["Last moved on (a cycle finalized)"].date() == LATER
    first_week = book["Calendar"]["A2"].value.date()
    assert first_week == dt.date(2026, 12, 7)  # the plan starts in the week it was moved on
