"""The trends report workbook (`cyclekit report`): a Summary, a tab per way of looking at the counts,
and charts where a person would rather look than read."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from cyclekit import __version__
from cyclekit.backends.spec import Cell, CellValue, Chart, Column, PrintSetup, Range, Series, Sheet, Style, WorkbookSpec
from cyclekit.config import Config
from cyclekit.domain.review import RATE_TARGET_TEXT
from cyclekit.layouts import styles
from cyclekit.layouts.text_fit import FILL, Measure, lines_of, room_of, row_height, text_width

SUMMARY = "Summary"
BY_CYCLE, BY_LOCATION, BY_ZONE, BY_PART = "By Cycle", "By Location", "By Zone", "By Part"
BY_COUNTER, BY_CAUSE, MOST_OFF = "By Counter", "By Root Cause", "Most Often Off"
MAX_ROWS = 5_000  # a longer table shows its first rows (most often off first) and says how many more there are
PERCENT = Style(num_format="0.0%")
CHARTS_BELOW_ROWS = 40  # a table this long or shorter has its charts below it
BOLD = 1.1  # a bold header's text is about a tenth wider than the body's
HEADER_LINE = 15.0  # points a line of header text takes

# per tab: (header, frame column, width, kind); kinds: text, date, whole, pct, money
Layout = list[tuple[str, str, float, str]]
_FIGURES: Layout = [
    ("Lines Counted", "lines", 10, "whole"), ("Discrepancies", "discrepancies", 12, "whole"),
    ("Discrepancy Rate", "discrepancy_rate", 12, "pct"), ("Record Accuracy", "accuracy", 11, "pct"),
    ("Value-Weighted Accuracy", "value_accuracy", 13, "pct"), ("Major Discrepancies", "majors", 11, "whole"),
    ("Absolute Variance Value", "absolute_value", 15, "money")]
_TIMES: Layout = [("Counts", "counts", 8, "whole"), ("Times Off", "times_off", 8, "whole")]
LAYOUT: dict[str, Layout] = {
    BY_CYCLE: [("Cycle", "cycle_id", 20, "text"), ("Count Date", "count_date", 12, "date"), *_FIGURES[:3],
               ("Target Rate", "target", 10, "pct"), *_FIGURES[3:]],
    BY_LOCATION: [("Location", "location", 16, "text"), ("Zone", "zone", 14, "text"), *_TIMES, *_FIGURES],
    BY_ZONE: [("Zone", "zone", 16, "text"), *_FIGURES],
    BY_PART: [("Part Number", "part_number", 18, "text"), *_TIMES, *_FIGURES],
    BY_COUNTER: [("Counter", "counted_by", 22, "text"), ("First Counts", "lines", 10, "whole"),
                 ("Off on First Count", "discrepancies", 12, "whole"),
                 ("Discrepancy Rate on First Count", "discrepancy_rate", 14, "pct"),
                 ("Accuracy on First Count", "accuracy", 12, "pct")],
    BY_CAUSE: [("Root Cause", "root_cause", 40, "text"), ("Discrepancies", "discrepancies", 12, "whole"),
               ("Share of Discrepancies", "share", 12, "pct"), ("Major Discrepancies", "majors", 11, "whole"),
               ("Absolute Variance Value", "absolute_value", 15, "money")],
}
_MOST_OFF_LOCATIONS: Layout = [("Location", "location", 16, "text"), ("Zone", "zone", 14, "text"), *_TIMES,
                               ("Discrepancies", "discrepancies", 12, "whole")]
_MOST_OFF_PARTS: Layout = [("Part Number", "part_number", 18, "text"), *_TIMES,
                           ("Discrepancies", "discrepancies", 12, "whole")]


def _plain(value: Any) -> CellValue:
    """A frame's value as a cell holds it: NaN blank, a timestamp its date, numpy scalars as Python's."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "to_pydatetime"):
        return None if value != value else value.to_pydatetime().date()  # NaT != NaT
    if hasattr(value, "item"):
        value = value.item()
    return value  # type: ignore[no-any-return]


@dataclass
class ReportTable:
    """One table of the report: headers, their kinds and widths, and its rows as plain values."""

    name: str
    columns: list[tuple[str, float, str]]  # header, width, kind
    rows: list[list[CellValue]]
    more: int = 0  # rows left out past MAX_ROWS
    second: ReportTable | None = None  # Most Often Off: the parts beside the locations

    @classmethod
    def of(cls, name: str, frame: Any, layout: Layout | None = None) -> ReportTable:
        layout = layout or LAYOUT[name]
        shown = frame.head(MAX_ROWS)
        values = [[_plain(v) for v in shown[column].tolist()] for _, column, _, _ in layout]
        rows = [list(row) for row in zip(*values)] if values else []
        return cls(name, [(h, w, k) for h, _, w, k in layout], rows, max(0, len(frame) - MAX_ROWS))

    @classmethod
    def most_off(cls, locations: Any, parts: Any) -> ReportTable:
        table = cls.of(MOST_OFF, locations, _MOST_OFF_LOCATIONS)
        table.second = cls.of(MOST_OFF, parts, _MOST_OFF_PARTS)
        return table

    def column(self, header: str) -> list[CellValue]:
        index = [h for h, _, _ in self.columns].index(header)
        return [row[index] for row in self.rows]


@dataclass(frozen=True)
class Headline:
    cycles: int
    lines: int
    discrepancies: int
    discrepancy_rate: float | None
    accuracy: float | None
    value_accuracy: float | None
    absolute_value: float
    majors: int
    target: float


def _style(kind: str, config: Config) -> Style:
    return {"text": styles.TEXT, "date": styles.DATE, "whole": styles.WHOLE, "pct": PERCENT,
            "money": styles.money(config.count.currency_format)}[kind]


def _bold_fit(texts: list[str], width: float) -> float:
    """`width`, widened so that each of `texts` fits a line of it in bold."""
    longest = max(text_width(text) for text in texts) * BOLD
    return max(width, math.ceil((longest + 1) / FILL))


def _header_width(header: str, width: float) -> float:
    """`width`, widened so that the header's longest word fits a line: a renderer breaks a word
    wider than its column anywhere ("Discrepancie" / "s")."""
    return _bold_fit(header.split(), width)


def _header_height(columns: list[Column]) -> float:
    """Points the header row needs for its most wrapped header, so that no header prints over its row."""
    lines = max(lines_of(c.header, room_of(c.width) / BOLD, Measure.RENDERED) for c in columns if c.header)
    return row_height(lines, HEADER_LINE, 4, at_least=2)


def _write(sheet: Sheet, table: ReportTable, config: Config, first_col: int = 0) -> None:
    """The table's header and rows from column `first_col` (the rows of `sheet` grow as needed)."""
    for header, width, kind in table.columns:
        sheet.columns.append(Column(header, _header_width(header, width), _style(kind, config)))
    if len(sheet.rows) < 1:
        sheet.rows.append([])
    sheet.rows[0] += [None] * (first_col - len(sheet.rows[0])) + [Cell(h, styles.HEADER) for h, _, _ in table.columns]
    styled = [_style(kind, config) for _, _, kind in table.columns]
    for number, row in enumerate(table.rows, start=1):
        if len(sheet.rows) <= number:
            sheet.rows.append([])
        cells = sheet.rows[number]
        cells += [None] * (first_col - len(cells))
        cells += [Cell(v, s) if first_col else v for v, s in zip(row, styled)]
    if table.more:
        sheet.rows.append([f"{table.more:,} more rows not shown (the first {MAX_ROWS:,}, most often off first)"])


def _chart_for(name: str, rows: int, columns: list[str]) -> list[Chart]:
    """The charts of a tab, beside its table (`columns`: its headers)."""
    if not rows:
        return []
    # below a short table, so the page fitted to the paper's width holds the table at a legible
    # size (beside it, the tables printed in type about 5 pt tall); beside a long one, in sight
    row, at = (rows + 3, 0) if rows <= CHARTS_BELOW_ROWS else (1, len(columns) + 1)

    def series(header: str, color: str, key: int = 0, kind: str | None = None) -> Series:
        col = columns.index(header)
        return Series(header, Range(1, key, rows, key), Range(1, col, rows, col), color, kind=kind)

    if name == BY_CYCLE:
        return [Chart("line", f"Discrepancy rate by cycle (target under {RATE_TARGET_TEXT})",
                      (series("Discrepancy Rate", "#2E75B6"), series("Target Rate", "#C00000")), row, at,
                      x_title="Cycle", y_title="Discrepancy rate", y_format="0%", width=760, height=340),
                Chart("line", "Record accuracy by cycle", (series("Record Accuracy", "#548235"),
                                                           series("Value-Weighted Accuracy", "#BF8F00")),
                      row + 18, at, x_title="Cycle", y_title="Accuracy", y_format="0%", width=760, height=340)]
    shown = min(rows, 15)
    bars = {BY_ZONE: ("Record accuracy by zone", "Record Accuracy", "0%"),
            BY_COUNTER: ("Counters' accuracy on first counts", "Accuracy on First Count", "0%"),
            BY_CAUSE: ("Discrepancies by root cause", "Discrepancies", None),
            MOST_OFF: ("Locations most often off (cycles with a discrepancy)", "Times Off", None)}
    if name not in bars:
        return []
    title, header, number_format = bars[name]
    col = columns.index(header)
    return [Chart("bar", title, (Series(header, Range(1, 0, shown, 0), Range(1, col, shown, col), "#2E75B6"),),
                  row, at, y_format=number_format, reverse_categories=True, gap=40, width=640,
                  height=max(240, 28 * shown + 80))]


def _table_sheet(table: ReportTable, config: Config) -> Sheet:
    sheet = Sheet(table.name, header_row=0, freeze=(1, 1))
    _write(sheet, table, config)
    headers = [h for h, _, _ in table.columns]
    if table.second is not None:
        _write(sheet, table.second, config, first_col=len(table.columns) + 1)
        sheet.columns.insert(len(table.columns), Column("", 3))
        headers += ["", *[h for h, _, _ in table.second.columns]]
    sheet.autofilter = Range(0, 0, max(len(table.rows), 1), len(table.columns) - 1)
    sheet.row_heights[0] = _header_height(sheet.columns)
    sheet.charts += _chart_for(table.name, len(table.rows), headers)
    sheet.print_setup = PrintSetup(landscape=True, repeat_rows=(0, 0), gridlines=False,
                                   header=f'&L&"Calibri,Bold"Cycle count trends: {table.name}',
                                   footer="&CPage &P of &N")
    return sheet


def _summary_sheet(headline: Headline, tables: dict[str, ReportTable], config: Config) -> Sheet:
    sheet = Sheet(SUMMARY, columns=[Column("Figure", 44, styles.LABEL), Column("Value", 16, styles.TEXT)],
                  header_row=0)
    whole, money = styles.WHOLE.but(align="left"), styles.money(config.count.currency_format).but(align="left")
    pct = PERCENT.but(align="left")
    cycles = tables[BY_CYCLE]
    dates = [d for d in cycles.column("Count Date") if isinstance(d, dt.date)]
    sheet.rows = [
        [Cell("Figure", styles.HEADER), Cell("Value", styles.HEADER)],
        ["Cycles", Cell(headline.cycles, whole)],
        ["First count date", Cell(min(dates), styles.DATE.but(align="left")) if dates else None],
        ["Last count date", Cell(max(dates), styles.DATE.but(align="left")) if dates else None],
        ["Lines counted", Cell(headline.lines, whole)],
        ["Discrepancies", Cell(headline.discrepancies, whole)],
        ["Discrepancy rate (discrepancies / lines counted)", Cell(headline.discrepancy_rate, pct)],
        ["Target discrepancy rate (under)", Cell(headline.target, pct)],
        ["Record accuracy (lines within tolerance / lines counted)", Cell(headline.accuracy, pct)],
        ["Value-weighted accuracy (1 - absolute variance value / system value)", Cell(headline.value_accuracy, pct)],
        ["Major discrepancies", Cell(headline.majors, whole)],
        ["Absolute variance value", Cell(headline.absolute_value, money)],
        ["Cycles over the target rate", Cell(sum(1 for r in cycles.column("Discrepancy Rate")
                                                 if isinstance(r, float) and r >= headline.target), whole)],
        ["Written by", f"cyclekit {__version__}"],
    ]
    # the longest label prints whole, apart from its value (not "...variance va100.0%")
    sheet.columns[0] = Column("Figure", _bold_fit([str(row[0]) for row in sheet.rows[1:]], 44), styles.LABEL)
    sheet.print_setup = PrintSetup(gridlines=False, header='&L&"Calibri,Bold"Cycle count trends',
                                   footer="&CPage &P of &N")
    return sheet


def report_workbook(headline: Headline, tables: dict[str, ReportTable], config: Config) -> WorkbookSpec:
    sheets = [_summary_sheet(headline, tables, config),
              *(_table_sheet(tables[name], config) for name in (BY_CYCLE, BY_LOCATION, BY_ZONE, BY_PART,
                                                                BY_COUNTER, BY_CAUSE, MOST_OFF))]
    return WorkbookSpec(sheets, title="Cycle count trends", subject=f"{headline.cycles} cycle(s)")



