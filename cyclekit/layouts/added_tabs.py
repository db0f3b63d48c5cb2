"""Tabs a person added to a workbook cyclekit writes again (the results, the schedule): carried
into the new file with their values as they were read, text kept as text."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cyclekit.backends.spec import Cell, Column, Sheet, Style
from cyclekit.layouts import styles


def carried_style(value: Any) -> Style:
    """A carried cell keeps its kind: text stays text (never read as a number or a formula)."""
    if isinstance(value, dt.datetime) and value.time() != dt.time(0, 0):
        return Style(num_format="yyyy-mm-dd hh:mm", locked=False)
    if isinstance(value, dt.date):
        return Style(num_format=styles.DATE_FORMAT, locked=False)
    if isinstance(value, str):
        return Style(num_format="@", locked=False)
    return Style(locked=False)


def carried_cell(value: Any) -> Cell | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.timedelta):  # a duration read back from a time cell
        value = str(value)
    return Cell(value, carried_style(value))


def added_tab_sheet(name: str, rows: list[list[Any]]) -> Sheet:
    """A tab a person added, carried with its values as they were read (formulas as their values)."""
    width = max((len(row) for row in rows), default=0)
    sheet = Sheet(name, columns=[Column("", 14) for _ in range(max(width, 1))])
    sheet.rows = [[carried_cell(value) for value in row] for row in rows]
    return sheet
