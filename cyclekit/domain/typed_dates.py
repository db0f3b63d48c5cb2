"""Dates as people type them in a results workbook (Approval Date, Investigated On).

A date cell (Excel, LibreOffice), an Excel serial number (Google Sheets), ISO text
(2026-11-25, 2026/11/25), a month spelled out (25 Nov 2026, Nov 25, 2026), or day, month and
year in digits (11/25/2026, 25.11.2026). Digits whose order cannot be told apart
(03/04/2026: March 4 or 3 April) are never guessed: they are an error unless the setting
`[count] date_order` says "MDY" or "DMY". A two-digit year is never guessed either.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from cyclekit.domain.values import EXCEL_EPOCH, cell_text

# a date typed for a count's documentation: a number or a year outside these is a slip (5 in a
# date cell is 1900-01-04 to Excel), never a date to guess
EARLIEST, LATEST = dt.date(1970, 1, 1), dt.date(2199, 12, 31)
_SERIALS = ((EARLIEST - EXCEL_EPOCH).days, (LATEST - EXCEL_EPOCH).days + 1)

DATE_ORDERS = ("", "MDY", "DMY")
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_DIGITS = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})$")
_NAMED = ("%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y", "%d-%b-%Y", "%d-%B-%Y")
HOW = "write it as YYYY-MM-DD, e.g. 2026-11-25"
_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")  # 2026-11-25 10:00


def _day(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def read_typed_date(value: object, order: str = "") -> dt.date:
    """The date a person meant, or ValueError saying why it cannot be read (in a user's words).

    order: "MDY" or "DMY" reads 03/04/2026 that way; "" leaves it an error."""
    day = _read(value, order)
    if not EARLIEST <= day <= LATEST:
        if isinstance(value, int | float) and not isinstance(value, bool | dt.date):
            raise ValueError(f"is a number, not a date ({HOW})")
        raise ValueError(f"is not a date between {EARLIEST.year} and {LATEST.year} ({HOW})")
    return day


def _read(value: object, order: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):  # an Excel serial (Google Sheets)
        if not (math.isfinite(value) and _SERIALS[0] <= value < _SERIALS[1]):
            raise ValueError(f"is a number, not a date ({HOW})")
        return EXCEL_EPOCH + dt.timedelta(days=int(value))
    text = cell_text(value)
    if match := _TIME.match(text):  # a date with a time of day: the day is what is asked
        text = match.group(1)
    if not text:
        raise ValueError("is empty")
    if match := _ISO.match(text):
        day = _day(*(int(g) for g in match.groups()))
        if day is None:
            raise ValueError(f"is not a date ({HOW})")
        return day
    if match := _DIGITS.match(text):
        first, second, year_text = match.groups()
        if len(year_text) == 2:
            raise ValueError(f"has a two-digit year ({HOW})")
        a, b, year = int(first), int(second), int(year_text)
        month_first, day_first = _day(year, a, b), _day(year, b, a)
        if month_first and day_first and month_first != day_first:
            if order in ("MDY", "DMY"):
                return month_first if order == "MDY" else day_first
            raise ValueError(f"could be {month_first:%B} {month_first.day} or {day_first.day} {day_first:%B} "
                             f"{year} ({HOW}, or set [count] date_order to MDY or DMY)")
        if month_first or day_first:
            return month_first or day_first  # type: ignore[return-value]
        raise ValueError(f"is not a date ({HOW})")
    cleaned = " ".join(text.replace(",", " ").split())
    for form in _NAMED:
        try:
            return dt.datetime.strptime(cleaned, form).date()
        except ValueError:
            continue
    raise ValueError(f"is not a date ({HOW})")
