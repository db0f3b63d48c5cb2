"""The schedule's History tab: one row per finalized cycle, and the discrepancy-rate chart."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cyclekit.backends.spec import Cell, Chart, Column, PrintSetup, Range, Series, Sheet, Style
from cyclekit.config import Config
from cyclekit.domain.review import DISCREPANCY_RATE_TARGET as TARGET_RATE
from cyclekit.domain.review import RATE_TARGET_TEXT
from cyclekit.domain.values import cell_text, parse_date
from cyclekit.errors import InputError, Problem
from cyclekit.layouts import styles

HISTORY_TAB = "History"


@dataclass(frozen=True)
class HistoryRow:
    cycle_id: str
    count_date: dt.date
    finalized_on: dt.date
    locations: int
    lines_counted: int
    discrepancies: int
    discrepancy_rate: Decimal | None
    net_value: Decimal
    absolute_value: Decimal
    accuracy: Decimal | None
    signed_off_by: str = ""  # the lead who signed the cycle off (finalize --signed-off-by)


HEADERS = ("Cycle", "Count Date", "Finalized On", "Locations", "Lines Counted", "Discrepancies",
           "Discrepancy Rate", "Target Rate", "Net Variance Value", "Absolute Variance Value", "Accuracy",
           "Signed Off By")


def history_sheet(history: list[HistoryRow], config: Config) -> Sheet:
    money = styles.money(config.count.currency_format)
    pct = Style(num_format="0.0%")
    formats = [styles.TEXT, styles.DATE, styles.DATE, styles.WHOLE, styles.WHOLE, styles.WHOLE, pct, pct,
               money, money, pct, styles.TEXT]
    columns = [Column(h, w, f) for h, w, f in zip(HEADERS, (20, 12, 12, 10, 10, 12, 12, 10, 15, 15, 10, 20),
                                                   formats, strict=True)]
    sheet = Sheet(HISTORY_TAB, columns=columns, header_row=0, freeze=(1, 1))
    sheet.rows.append([Cell(h, styles.HEADER) for h in HEADERS])
    ordered = sorted(history, key=lambda h: (h.count_date, h.cycle_id))
    for h in ordered:
        sheet.rows.append([h.cycle_id, h.count_date, h.finalized_on, h.locations, h.lines_counted,
                           h.discrepancies, h.discrepancy_rate, TARGET_RATE, h.net_value,
                           h.absolute_value, h.accuracy, h.signed_off_by or None])
    last = len(ordered)
    rate, target = HEADERS.index("Discrepancy Rate"), HEADERS.index("Target Rate")
    sheet.row_heights[0] = 32
    sheet.charts.append(Chart(
        "line", f"Discrepancy rate by cycle (target under {RATE_TARGET_TEXT})",
        (Series("Discrepancy rate", Range(1, 0, last, 0), Range(1, rate, last, rate), "#2E75B6"),
         Series("Target", Range(1, 0, last, 0), Range(1, target, last, target), "#C00000")),
        anchor_row=last + 3, anchor_col=0, x_title="Cycle", y_title="Discrepancy rate",
        y_format="0%", width=760, height=340))
    sheet.print_setup = PrintSetup(landscape=True, repeat_rows=(0, 0), gridlines=False,
                                   header="&L&\"Calibri,Bold\"Cycle count history", footer="&CPage &P of &N")
    return sheet


def _decimal(value: Any) -> Decimal | None:
    text = cell_text(value)
    if not text:
        return None
    try:
        return Decimal(text)
    except ArithmeticError:
        return None


def read_history(rows: list[list[Any]], file: str) -> list[HistoryRow]:
    """History rows as earlier finalizes left them; a row that cannot be read stops the update."""
    if not rows:
        return []
    from cyclekit.layouts.results_carry import header_key

    col: dict[str, int] = {}
    for i, h in enumerate(rows[0]):  # "Net variance value" is Net Variance Value: case and spacing aside
        col.setdefault(header_key(h), i)
    result = []
    for number, row in enumerate(rows[1:], start=2):
        def get(name: str) -> Any:
            i = col.get(header_key(name))
            return row[i] if i is not None and i < len(row) else None
        if not cell_text(get("Cycle")):
            continue
        try:
            result.append(HistoryRow(
                cycle_id=cell_text(get("Cycle")), count_date=parse_date(get("Count Date")),
                finalized_on=parse_date(get("Finalized On")),
                locations=int(_decimal(get("Locations")) or 0),
                lines_counted=int(_decimal(get("Lines Counted")) or 0),
                discrepancies=int(_decimal(get("Discrepancies")) or 0),
                discrepancy_rate=_decimal(get("Discrepancy Rate")),
                net_value=_decimal(get("Net Variance Value")) or Decimal(0),
                absolute_value=_decimal(get("Absolute Variance Value")) or Decimal(0),
                accuracy=_decimal(get("Accuracy")), signed_off_by=cell_text(get("Signed Off By"))))
        except ValueError as exc:
            raise InputError([Problem("bad-history", file, f"History row cannot be read ({exc})",
                                      sheet=HISTORY_TAB, row=number)]) from None
    return result



