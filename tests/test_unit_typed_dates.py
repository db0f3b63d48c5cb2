"""inputs/typed_dates.py: the cases tests/test_trust_finance.py and tests/test_review_numbers.py leave
out: the date order setting, date cells, the edges of the years accepted, and what is never a date."""

import datetime as dt

import pytest

from cyclekit.domain.typed_dates import EARLIEST, LATEST, read_typed_date


@pytest.mark.parametrize(("order", "expected"), [("MDY", dt.date(2026, 3, 4)), ("DMY", dt.date(2026, 4, 3))])
def test_the_date_order_setting_reads_digits_that_could_be_either(order, expected):
    assert read_typed_date("03/04/2026", order) == expected
    assert read_typed_date("03-04-2026", order) == expected
    assert read_typed_date("25/11/2026", order) == dt.date(2026, 11, 25)  # only one reading: the setting is moot


def test_a_day_and_month_alike_need_no_setting():
    assert read_typed_date("04/04/2026") == dt.date(2026, 4, 4)


def test_date_cells_are_read_as_their_day():
    assert read_typed_date(dt.datetime(2026, 11, 25, 17, 45)) == dt.date(2026, 11, 25)
    assert read_typed_date(dt.date(2026, 11, 25)) == dt.date(2026, 11, 25)


def test_the_years_accepted_end_where_they_say():
    assert read_typed_date(EARLIEST) == EARLIEST and read_typed_date(LATEST) == LATEST
    for outside in (EARLIEST - dt.timedelta(days=1), LATEST + dt.timedelta(days=1)):
        with pytest.raises(ValueError, match="not a date between 1970 and 2199"):
            read_typed_date(outside)


@pytest.mark.parametrize(("typed", "why"), [
    ("", "is empty"), ("   ", "is empty"), (None, "is empty"),
    (True, "not a date"), ("2026-02-30", "not a date"), ("25 Smarch 2026", "not a date"),
    ("03/04/2026", "could be March 4 or 3 April 2026"), ("11/25/26", "two-digit year"),
])
def test_what_is_never_read_as_a_date_says_why(typed, why):
    with pytest.raises(ValueError, match=why):
        read_typed_date(typed)
