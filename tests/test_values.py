import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cyclekit.domain.values import (
    QuantityError,
    cell_text,
    format_decimal,
    parse_date,
    parse_quantity,
)


@pytest.mark.parametrize("text, expected", [
    ("12", Decimal(12)), ("1,200", Decimal(1200)), ("12.0", Decimal(12)), ("12.500", Decimal("12.5")),
    (" 7 ", Decimal(7)), (".5", Decimal("0.5")), ("1,234,567.25", Decimal("1234567.25")),
    (12.0, Decimal(12)), (3, Decimal(3)), (0.1, Decimal("0.1")), ("0", Decimal(0)),
])
def test_quantities_people_write_are_read(text, expected):
    assert parse_quantity(text) == expected


@pytest.mark.parametrize("text, reason", [
    ("12 ea", "not a number"), ("twelve", "not a number"), ("-3", "negative"), ("", "empty"),
    ("1,2", "not a number"), ("12,34.5", "not a number"), ("1e3", "not a number"), (True, "TRUE"),
    (float("nan"), "not a number"),
])
def test_bad_quantities_say_why(text, reason):
    with pytest.raises(QuantityError, match=reason):
        parse_quantity(text)


def test_quantity_sums_have_no_float_noise():
    total = parse_quantity("0.1") + parse_quantity("0.2")
    assert format_decimal(total) == "0.3"
    assert format_decimal(parse_quantity(1e2)) == "100"


@given(st.decimals(min_value=0, max_value=10**9, places=4, allow_nan=False))
def test_every_decimal_round_trips_through_its_text(number):
    assert parse_quantity(format_decimal(number)) == number


@pytest.mark.parametrize("value, text", [
    ("  000812 ", "000812"), (812.0, "812"), (1.5, "1.5"), (None, ""), (True, "TRUE"),
    (dt.datetime(2026, 1, 5), "2026-01-05"), ("=SUM(A1)", "=SUM(A1)"),
])
def test_cell_text_is_what_a_person_sees(value, text):
    assert cell_text(value) == text


def test_dates_from_cells():
    assert parse_date("2026-03-01") == dt.date(2026, 3, 1)
    assert parse_date(46082) == dt.date(2026, 3, 1)
    assert parse_date(dt.datetime(2026, 3, 1, 0, 0)) == dt.date(2026, 3, 1)
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_date("03/01/2026")


@pytest.mark.parametrize(("text", "expected"), [
    ("1,850", "1.85"), ("1.234,5", "1234.5"), ("12", "12"), (",5", "0.5"), ("1.234.567,00", "1234567")])
def test_decimal_comma_quantities(text, expected):
    assert parse_quantity(text, decimal_comma=True) == Decimal(expected)


@pytest.mark.parametrize("text", ["12.5", "1,2,3", "1.23,4", "12 ea"])
def test_decimal_comma_refuses_what_it_cannot_read(text):
    with pytest.raises(QuantityError, match="e.g. 12 or 1.200 or 12,5"):
        parse_quantity(text, decimal_comma=True)
