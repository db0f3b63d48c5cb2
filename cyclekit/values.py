"""Exact values: quantities as Decimal, identifiers as text, dates as ISO text.

Spreadsheet readers hand back floats, dates and booleans; everything that identifies
a part (part number, revision, lot) is turned back into the text a person typed, and
every quantity into a Decimal so sums never pick up float noise.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal, InvalidOperation

_PLAIN_NUMBER = re.compile(r"^(\d+(\.\d*)?|\.\d+)$")
_GROUPED_NUMBER = re.compile(r"^\d{1,3}(,\d{3})+(\.\d*)?$")
# where a comma is the decimal mark (a CSV saved by Excel with ';' between columns): 1234,5 1.234,5
_COMMA_PLAIN_NUMBER = re.compile(r"^(\d+(,\d*)?|,\d+)$")
_COMMA_GROUPED_NUMBER = re.compile(r"^\d{1,3}(\.\d{3})+(,\d*)?$")

EXCEL_EPOCH = dt.date(1899, 12, 30)


class QuantityError(ValueError):
    """A quantity that cannot be read; the message says why, in a user's words."""


def cell_text(value: object) -> str:
    """The text a person sees in a cell, for identifiers and free text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def parse_quantity(value: object, *, allow_negative: bool = False, decimal_comma: bool = False) -> Decimal:
    """Read a quantity: 12, 12.0, '1,200', '12.5'. Refuses '12 ea', 'twelve', negatives.

    decimal_comma: text uses a comma as the decimal mark and dots between thousands
    ('1.234,5'), as Excel writes numbers where the CSV separator is ';'.
    """
    if isinstance(value, bool):
        raise QuantityError("is TRUE/FALSE, not a number")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise QuantityError("is not a number")
        if value.is_integer() and value >= 0:
            return Decimal(int(value))  # a whole count, as spreadsheets store most of them
        number = Decimal(repr(value))
    elif isinstance(value, Decimal):
        number = value
    else:
        text = cell_text(value)
        if text.isascii() and text.isdigit():  # the common case, a plain whole number: no regex
            return Decimal(int(text))
        if not text:
            raise QuantityError("is empty")
        negative = text.startswith("-")
        digits = text[1:].strip() if negative or text.startswith("+") else text
        if decimal_comma:
            if not (_COMMA_PLAIN_NUMBER.match(digits) or _COMMA_GROUPED_NUMBER.match(digits)):
                raise QuantityError("is not a number (write digits only, e.g. 12 or 1.200 or 12,5)")
            digits = digits.replace(".", "").replace(",", ".")
        elif not (_PLAIN_NUMBER.match(digits) or _GROUPED_NUMBER.match(digits)):
            raise QuantityError("is not a number (write digits only, e.g. 12 or 1,200 or 12.5)")
        try:
            number = Decimal(digits.replace(",", ""))
        except InvalidOperation:  # pragma: no cover - the patterns above rule it out
            raise QuantityError("is not a number") from None
        if negative:
            number = -number
    if number < 0 and not allow_negative:
        raise QuantityError("is negative")
    return normalize(number)


def normalize(number: Decimal) -> Decimal:
    """12.500 -> 12.5, 1E+2 -> 100: one spelling per value, never an exponent."""
    if number == 0:
        return Decimal(0)
    normal = number.normalize()
    if normal.as_tuple().exponent > 0:
        normal = normal.quantize(Decimal(1))
    return normal


def format_decimal(number: Decimal) -> str:
    """Plain text of a Decimal, without exponent or trailing zeros."""
    return format(normalize(number), "f")


def is_whole(number: Decimal) -> bool:
    return number == number.to_integral_value()


def parse_date(value: object) -> dt.date:
    """A date from a cell: a real date, an Excel serial number, or YYYY-MM-DD text."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2958466:
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise ValueError("is not a date")
    text = cell_text(value)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError("is not a date (write YYYY-MM-DD)") from None


def excel_serial(day: dt.date) -> int:
    return (day - EXCEL_EPOCH).days
