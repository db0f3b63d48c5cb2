"""Dates as people type them in a results workbook (Approval Date, Investigated On).

A date cell (Excel, LibreOffice), an Excel serial number (Google Sheets), ISO text
(2026-11-25, 2026/11/25), a month spelled out (25 Nov 2026, Nov 25, 2026), or day, month and
year in digits (11/25/2026, 25.11.2026). Digits whose order cannot be told apart
(03/04/2026: March 4 or 3 April) are never guessed: they are an error unless the setting
`[count] date_order` says "MDY" or "DMY". A two-digit year is never guessed either.
"""

from __future__ import annotations

import datetime as dt
import re

from cyclekit.values import cell_text, parse_date

DATE_ORDERS = ("", "MDY", "DMY")
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_DIGITS = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})$")
_NAMED = ("%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y", "%d-%b-%Y", "%d-%B-%Y")
HOW = "write it as YYYY-MM-DD, e.g. 2026-11-25"


def _day(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def read_typed_date(value: object, order: str = "") -> dt.date:
    """The date a person meant, or ValueError saying why it cannot be read (in a user's words).

    order: "MDY" or "DMY" reads 03/04/2026 that way; "" leaves it an error."""
    if isinstance(value, dt.date | int | float) and not isinstance(value, bool):
        return parse_date(value)  # a date cell, or an Excel serial number
    text = cell_text(value)
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
