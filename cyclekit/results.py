"""The results workbook: Summary, Variance, Discrepancies, Recount, Problems (+ Cleared, Lists).

Finance works in the Discrepancies tab; on every re-ingest the documentation people typed
there is read back first and carried over, matched by Line ID. Documentation of a line
that no longer has a discrepancy moves to the Cleared tab, never silently dropped.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from cyclekit import styles
from cyclekit.causes import ROOT_CAUSES, suggested_causes
from cyclekit.config import Config
from cyclekit.cycle import Manifest
from cyclekit.errors import Problem
from cyclekit.reconcile import CountedLine, Figures, judge, needs_recount, tolerance
from cyclekit.values import cell_text
from cyclekit.workbook.reader import WorkbookReader
from cyclekit.workbook.spec import (
    Cell,
    Chart,
    Column,
    ConditionalFormat,
    Formula,
    PrintSetup,
    Range,
    Series,
    Sheet,
    Style,
    Validation,
    WorkbookSpec,
)

SUMMARY, VARIANCE, DISCREPANCIES = "Summary", "Variance", "Discrepancies"
RECOUNT, PROBLEMS, CLEARED, LISTS = "Recount", "Problems", "Cleared", "Lists"
NOT_COUNTED = "Not Counted"
STATUSES = ("Open", "Under Investigation", "Resolved")
DOC_COLUMNS = ("Root Cause", "Resolution", "Status", "Investigated By", "Investigated On",
               "Approved By", "Approval Date", "Notes")
LINE_ID = "Line ID"
PAGE_WIDTH = 150  # characters of column width a landscape page holds at a legible scale
CHART_LOCATIONS = 20  # bars in the Summary's chart: a bar per location is unreadable past that
QTY = styles.QUANTITY
PCT = Style(num_format="0.0%")


def _header(columns: list[Column]) -> list[Cell]:
    return [Cell(c.header, styles.HEADER) for c in columns]


def _table_sheet(name: str, columns: list[Column], rows: list[list[Any]], *, protect: bool = False,
                 landscape: bool = True) -> Sheet:
    sheet = Sheet(name, columns=columns, header_row=0, freeze=(1, 2), protect=protect)
    sheet.rows = [_header(columns), *rows]
    sheet.row_heights[0] = 32
    sheet.autofilter = Range(0, 0, max(len(rows), 1), len(columns) - 1)
    # a wide tab prints a page across per ~130 characters of columns, never shrunk below
    # legible: the first two columns (what the row is) repeat on every page across
    pages_across = max(1, round(sum(c.width for c in columns) / PAGE_WIDTH))
    sheet.print_setup = PrintSetup(landscape=landscape, repeat_rows=(0, 0), fit_width=pages_across,
                                   repeat_columns=(0, 1) if pages_across > 1 else None,
                                   header=f"&L&\"Calibri,Bold\"{name}&R&D",
                                   footer="&CPage &P of &N", gridlines=False)
    return sheet


def _variance_sheet(lines: list[CountedLine], config: Config) -> Sheet:
    money = styles.money(config.count.currency_format)
    columns = [
        Column("Location", 14, styles.TEXT), Column("Part Number", 16, styles.TEXT),
        Column("Revision", 8, styles.TEXT), Column("Lot", 12, styles.TEXT),
        Column("UoM", 6, styles.TEXT), Column("System Qty", 11, QTY),
        Column("Counted Qty", 11, QTY), Column("Variance Qty", 11, QTY),
        Column("Variance %", 10, PCT), Column("Unit Cost", 11, money),
        Column("Variance Value", 13, money), Column("Within Tolerance", 10, Style(align="center")),
        Column("ABC Class", 7, Style(align="center")), Column("Tolerance", 9, PCT),
        Column("Counted By", 16, styles.TEXT), Column("Recounted By", 16, styles.TEXT),
        Column("First Count", 10, QTY), Column("Sheet", 8, styles.TEXT),
        Column(LINE_ID, 16, styles.TEXT), Column("Description", 30, styles.TEXT),
        Column("Serial", 14, styles.TEXT),
    ]
    rows = []
    count = config.count
    tolerances: dict[str, Decimal] = {}  # by ABC class: the same for every line of a class
    for n, line in enumerate((ln for ln in lines if ln.counted), start=2):
        allowed = tolerances.get(line.abc_class)
        if allowed is None:
            allowed = tolerances[line.abc_class] = tolerance(line, count)
        variance = line.variance_qty
        value = None if line.unit_cost is None else variance * line.unit_cost
        pct = "" if line.system_qty == 0 else variance / line.system_qty
        within = variance == 0 or judge(line, count).within_tolerance
        rows.append([  # None, not "", where a read-only cell is empty: nothing to write at all
            line.location, line.part_number, line.revision or None, line.lot or None, line.uom or None,
            line.system_qty, line.counted_qty,
            Formula(f"=ROUND(G{n}-F{n},6)", variance),
            Formula(f'=IF(F{n}=0,"",H{n}/F{n})', pct),
            line.unit_cost,  # blank for a found part with no known cost: not valued, never $0
            Formula(f'=IF(J{n}="","",H{n}*J{n})', "" if value is None else value),
            Formula(f'=IF(ROUND(ABS(H{n}),6)<=ROUND(F{n}*N{n},6),"Yes","No")', "Yes" if within else "No"),
            line.abc_class, allowed, line.counted_by or None, line.recounted_by or None,
            line.first_count, line.recount_sheet or line.sheet_id, line.line_id, line.description or None,
            line.serial or None,
        ])
    sheet = _table_sheet(VARIANCE, columns, rows)
    body = Range(1, 0, max(len(rows), 1), len(columns) - 1)
    sheet.conditional_formats += [
        ConditionalFormat(body, '=$L2="No"', styles.BAD),
        ConditionalFormat(body, "=AND($H2<>0,$L2=\"Yes\")", styles.WARN),
    ]
    return sheet


def _discrepancy_height(row: list[Any], columns: list[Column]) -> float:
    """Room for the longest wrapped text of a row (the suggested causes, a typed resolution),
    and for two typed lines at least: text taller than its row prints over the next one."""
    lines = 2
    for value, column in zip(row, columns, strict=True):
        text = value.value if isinstance(value, Cell) else value
        if isinstance(text, str) and column.style and column.style.wrap:
            size = column.style.font_size or 11
            chars = max(int(column.width * 1.1 * 11 / size), 1)  # 11 pt text: about 1.1 a width unit
            needed = len(textwrap.wrap(text, chars)) * size / 11
            lines = max(lines, needed)
    return round(lines * 15 + 4, 1)


def _doc_value(doc: dict[str, Any], name: str, default: Any = None) -> Any:
    value = doc.get(name)
    return default if value is None or value == "" else value


def _discrepancy_sheet(lines: list[CountedLine], documentation: dict[str, dict[str, Any]],
                       config: Config, causes_range: str) -> tuple[Sheet, set[str]]:
    money = styles.money(config.count.currency_format)
    edit = styles.INPUT.but(border=False)
    edit_date = edit.but(num_format=styles.DATE_FORMAT)
    columns = [
        Column("Location", 14, styles.TEXT), Column("Part Number", 16, styles.TEXT),
        Column("Revision", 8, styles.TEXT), Column("Lot", 12, styles.TEXT),
        Column("System Qty", 10, QTY), Column("Counted Qty", 10, QTY),
        Column("Variance Qty", 10, QTY), Column("Variance Value", 13, money),
        Column("Direction", 17, styles.TEXT), Column("Severity", 8, Style(align="center")),
        Column("Approver Role", 18, Style(wrap=True)),
        Column("Suggested Causes", 40, Style(wrap=True, font_size=9, valign="top")),
        Column("Root Cause", 28, edit.but(wrap=True)), Column("Resolution", 32, edit.but(wrap=True)),
        Column("Status", 16, edit), Column("Investigated By", 16, edit),
        Column("Investigated On", 13, edit_date), Column("Approved By", 16, edit),
        Column("Approval Date", 13, edit_date), Column("Notes", 30, edit.but(wrap=True)),
        Column(LINE_ID, 16, styles.TEXT), Column("Description", 30, Style(wrap=True)),
        Column("UoM", 6, styles.TEXT), Column("Serial", 14, styles.TEXT),
        Column("Unit Cost", 11, money), Column("Counted By", 16, styles.TEXT),
        Column("Recounted By", 16, styles.TEXT),
    ]
    rows, used = [], set()
    heights: dict[int, float] = {}
    for line in lines:
        if not line.counted or line.variance_qty == 0:
            continue
        j = judge(line, config.count)
        doc = documentation.get(line.line_id, {})
        used.add(line.line_id)
        sign = 1 if line.variance_qty > 0 else -1
        notes = _doc_value(doc, "Notes", line.notes)
        rows.append([
            line.location, line.part_number, line.revision, line.lot, line.system_qty,
            line.counted_qty, line.variance_qty, line.variance_value, j.direction, j.severity,
            j.approver_role, "; ".join(suggested_causes(sign)),
            *[Cell(_doc_value(doc, name, "Open" if name == "Status" else None), columns[12 + k].style)
              for k, name in enumerate(DOC_COLUMNS[:-1])],
            Cell(notes, columns[19].style), line.line_id, line.description, line.uom, line.serial,
            line.unit_cost, line.counted_by, line.recounted_by,
        ])
        heights[len(rows)] = _discrepancy_height(rows[-1], columns)
    sheet = _table_sheet(DISCREPANCIES, columns, rows, protect=True)
    sheet.row_heights.update(heights)
    last = max(len(rows), 1)
    sheet.validations += [
        Validation(Range(1, 12, last, 12), "list", source=causes_range,
                   error_message="Pick a root cause from the list (Other if none fits)."),
        Validation(Range(1, 14, last, 14), "list", choices=STATUSES,
                   error_message="Open, Under Investigation or Resolved."),
        Validation(Range(1, 16, last, 16), "date", error_message="A date, e.g. 2026-11-30."),
        Validation(Range(1, 18, last, 18), "date", error_message="A date, e.g. 2026-11-30."),
    ]
    body = Range(1, 0, last, len(columns) - 1)
    sheet.conditional_formats += [
        ConditionalFormat(Range(1, 9, last, 9), '=$J2="Major"', styles.BAD.but(bold=True)),
        ConditionalFormat(body, '=$O2="Resolved"', styles.GOOD),
    ]
    return sheet, used


def _cleared_sheet(documentation: dict[str, dict[str, Any]], used: set[str]) -> Sheet | None:
    left = {k: v for k, v in documentation.items() if k not in used}
    if not left:
        return None
    columns = [Column(LINE_ID, 16, styles.TEXT), Column("Location", 14, styles.TEXT),
               Column("Part Number", 16, styles.TEXT), Column("Why Here", 40, Style(wrap=True))]
    columns += [Column(name, 20, Style(wrap=True)) for name in DOC_COLUMNS]
    rows = []
    for line_id, doc in sorted(left.items()):
        reason = doc.get("Why Here") or "No discrepancy on the latest ingest; documentation kept"
        rows.append([line_id, doc.get("Location"), doc.get("Part Number"), reason,
                     *[doc.get(name) for name in DOC_COLUMNS]])
    return _table_sheet(CLEARED, columns, rows)


def _not_counted_sheet(lines: list[CountedLine], returned: set[str]) -> Sheet:
    columns = [Column("Location", 14, styles.TEXT), Column("Part Number", 16, styles.TEXT),
               Column("Revision", 8, styles.TEXT), Column("Lot", 12, styles.TEXT),
               Column("Serial", 14, styles.TEXT), Column("UoM", 6, styles.TEXT),
               Column("Why", 40, Style(wrap=True)), Column(LINE_ID, 16, styles.TEXT),
               Column("Description", 30, styles.TEXT)]
    rows = []
    for line in lines:
        if line.counted or line.found:
            continue
        if line.problem:
            why = f"Problem: {line.problem} (see Problems)"
        elif line.location in returned:
            why = "Left blank on the returned sheet"
        else:
            why = "Sheet not returned yet"
        rows.append([line.location, line.part_number, line.revision, line.lot, line.serial, line.uom, why,
                     line.line_id, line.description])
    return _table_sheet(NOT_COUNTED, columns, rows)


def _recount_sheet(manifest: Manifest, lines: list[CountedLine], config: Config) -> Sheet:
    on_sheet = {(s.location, n): s for s in manifest.sheets if s.kind == "recount" for n in s.lines}
    columns = [
        Column("Location", 14, styles.TEXT), Column("Part Number", 16, styles.TEXT),
        Column("Revision", 8, styles.TEXT), Column("Lot", 12, styles.TEXT),
        Column("System Qty", 10, QTY), Column("First Count", 10, QTY),
        Column("Counted By", 16, styles.TEXT), Column("Reason", 18, styles.TEXT),
        Column("Recount Sheet", 30, styles.TEXT), Column("Recount Qty", 10, QTY),
        Column("Recounted By", 16, styles.TEXT), Column(LINE_ID, 16, styles.TEXT),
    ]
    rows = []
    for line in lines:
        if line.found:
            continue
        record = on_sheet.get((line.location, int(line.line_id.rsplit("/", 1)[1])))
        if record is None:
            continue
        first = line.first_count if line.recounted_by else line.counted_qty
        reason = _recount_reason(line, config)
        rows.append([line.location, line.part_number, line.revision, line.lot, line.system_qty,
                     first, line.counted_by, reason, f"{record.sheet_id} {record.file}",
                     line.counted_qty if line.recounted_by else None, line.recounted_by, line.line_id])
    return _table_sheet(RECOUNT, columns, rows)


def _recount_reason(line: CountedLine, config: Config) -> str:
    if not line.recounted_by:
        return needs_recount(line, config.count) or "Requested"
    first = replace(line, counted_qty=line.first_count, recounted_by="", recount_sheet="", problem="")
    return needs_recount(first, config.count) or "Requested"


def problem_key(problem: Problem) -> tuple[str, str, str, str]:
    """Stable across re-ingests: the same problem in the same cell of the same file name."""
    return (problem.kind, Path(problem.file).name, problem.sheet or "", problem.cell or "")


def _problems_sheet(problems: list[Problem], resolutions: dict[tuple, str]) -> Sheet:
    columns = [Column("Kind", 20, styles.TEXT), Column("File", 40, styles.TEXT),
               Column("Tab", 14, styles.TEXT), Column("Cell", 7, styles.TEXT),
               Column("Value", 16, styles.TEXT), Column("Problem", 70, Style(wrap=True)),
               Column("Resolution", 40, styles.INPUT.but(wrap=True, border=False))]
    rows = [[p.kind, p.file, p.sheet, p.cell, p.value, p.message,
             Cell(resolutions.get(problem_key(p)), columns[-1].style)] for p in problems]
    sheet = _table_sheet(PROBLEMS, columns, rows)
    sheet.freeze = (1, 0)
    if problems:
        sheet.tab_color = "#C00000"
    return sheet


def _lists_sheet() -> tuple[Sheet, str]:
    sheet = Sheet(LISTS, columns=[Column("Root Causes", 50), Column("Statuses", 22)], hidden=True)
    sheet.rows = [[Cell("Root Causes", styles.HEADER), Cell("Statuses", styles.HEADER)]]
    for k in range(max(len(ROOT_CAUSES), len(STATUSES))):
        sheet.rows.append([ROOT_CAUSES[k] if k < len(ROOT_CAUSES) else None,
                           STATUSES[k] if k < len(STATUSES) else None])
    return sheet, f"={LISTS}!$A$2:$A${len(ROOT_CAUSES) + 1}"


def _summary_sheet(manifest: Manifest, totals: Figures, lines: list[CountedLine], config: Config,
                   today: dt.date) -> Sheet:
    money = styles.money(config.count.currency_format)
    columns = [Column("", 32), Column("", 16), Column("", 14), Column("", 14), Column("", 14),
               Column("", 14), Column("", 16), Column("", 16)]
    sheet = Sheet(SUMMARY, columns=columns)
    rows: list[list[Any]] = []
    whole = styles.WHOLE.but(align="right")

    def add(name: str, value: Any, style: Style = whole, note: str = "") -> None:
        rows.append([Cell(name, styles.LABEL), Cell(value, style), Cell(note or None, styles.NOTE)])

    rows.append([Cell(f"Cycle {manifest.cycle_id}: results", styles.TITLE)])
    rows.append([Cell(f"Count date {manifest.count_date}, snapshot as of {manifest.as_of}, "
                      f"ingested {today.isoformat()}", styles.NOTE)])
    rows.append([])
    rate = totals.discrepancy_rate
    add("Locations sent", totals.locations_sent)
    add("Locations returned", totals.locations_counted, note="counted, or confirmed empty")
    add("Lines sent", totals.lines_sent)
    add("Lines counted", totals.lines_counted)
    add("Lines not counted", totals.lines_not_counted, note="see the Not Counted tab")
    add("Items found, not in the system", totals.found_items, note="counted; system quantity 0")
    if totals.found_not_valued:
        add("Found items not valued", totals.found_not_valued, note="no unit cost known for the part")
    add("Problems", totals.problems, note="see the Problems tab")
    add("Items with a discrepancy", totals.discrepancies)
    rate_row = len(rows)
    add("Discrepancy rate", rate if rate is not None else "", PCT.but(bold=True, align="right"),
        note="items with a discrepancy / items counted (lines counted + found); target under 5 %")
    add("Record accuracy", totals.accuracy if totals.accuracy is not None else "", PCT.but(align="right"),
        note="items within tolerance (A 0 %, B 2 %, C 5 % by default) / items counted")
    add("Net variance value", totals.net_value, money)
    add("Absolute variance value", totals.absolute_value, money)
    ref = f"$B${rate_row + 1}"
    sheet.conditional_formats += [
        ConditionalFormat(Range(rate_row, 1, rate_row, 1), f"=AND(ISNUMBER({ref}),{ref}>=0.05)", styles.BAD),
        ConditionalFormat(Range(rate_row, 1, rate_row, 1), f"=AND(ISNUMBER({ref}),{ref}<0.05)", styles.GOOD),
    ]

    def table(title: str, headers: list[str], body: list[list[Any]]) -> tuple[int, int]:
        rows.append([])
        rows.append([Cell(title, styles.TITLE.but(font_size=12))])
        sheet.row_heights[len(rows)] = 32
        rows.append([Cell(h, styles.HEADER) for h in headers])
        first = len(rows)
        rows.extend(body)
        return first, len(rows) - 1

    def value_cell(value: Decimal | None) -> Cell:
        return Cell(value if value is not None else "not valued", money)

    largest = sorted((ln for ln in lines if ln.counted and ln.variance_qty != 0),
                     key=lambda ln: (-abs(ln.variance_value or 0), ln.line_id))[:10]
    table("Largest variances", ["Location", "Part Number", "System Qty", "Counted Qty",
                                "Variance Qty", "Variance Value", "Severity", "Line ID"],
          [[ln.location, ln.part_number, Cell(ln.system_qty, QTY), Cell(ln.counted_qty, QTY),
            Cell(ln.variance_qty, QTY), value_cell(ln.variance_value),
            judge(ln, config.count).severity, ln.line_id] for ln in largest] or [["No discrepancies"]])

    def group_rows(groups: list) -> list[list[Any]]:
        return [[g.name, Cell(g.lines_sent, styles.WHOLE), Cell(g.lines_counted, styles.WHOLE),
                 Cell(g.discrepancies, styles.WHOLE),
                 Cell(g.rate if g.rate is not None else "", PCT),
                 Cell(g.net_value, money), Cell(g.absolute_value, money)] for g in groups]

    headers = ["Lines Sent", "Lines Counted", "Discrepancies", "Discrepancy Rate",
               "Net Variance Value", "Absolute Variance Value"]
    # the chart shows the locations that matter most, under the largest variances: on screen
    # it comes before the long tables, on paper it keeps the page one table wide
    charted = sorted((g for g in totals.by_location if g.net_value != 0),
                     key=lambda g: (-abs(g.net_value), g.name))[:CHART_LOCATIONS]
    height = max(300, 26 * len(charted) + 110)
    chart_row = len(rows) + 1
    if charted:
        rows.extend([] for _ in range(height // 20 + 2))  # rows of 15 pt (20 px) the chart covers
    table("By location", ["Location", *headers], group_rows(totals.by_location))
    table("By counter: their first count, before any recount", ["Counter", *headers],
          group_rows(totals.by_counter))
    if charted:
        title = ("Net variance value by location" if len(charted) < CHART_LOCATIONS
                 else f"Net variance value: the {CHART_LOCATIONS} locations with the largest")
        first, last = table(f"{title} (chart data)", ["Location", "Net Variance Value"],
                            [[g.name, Cell(g.net_value, money)] for g in charted])
        sheet.charts.append(Chart(
            "bar", title,
            (Series("Net variance value", Range(first, 0, last, 0), Range(first, 1, last, 1), "#2E75B6"),),
            anchor_row=chart_row, anchor_col=0, y_format=config.count.currency_format, label_low=True,
            reverse_categories=True, width=760, height=height))
    sheet.rows = rows
    sheet.print_setup = PrintSetup(landscape=True, fit_width=1, gridlines=False,
                                   header=f"&L&\"Calibri,Bold\"Cycle {manifest.cycle_id}&R&D",
                                   footer="&CPage &P of &N")
    return sheet


def results_workbook(manifest: Manifest, lines: list[CountedLine], totals: Figures,
                     problems: list[Problem], documentation: dict[str, dict[str, Any]],
                     config: Config, today: dt.date,
                     resolutions: dict[tuple, str] | None = None,
                     returned: set[str] | None = None) -> WorkbookSpec:
    lists, causes_range = _lists_sheet()
    discrepancies, used = _discrepancy_sheet(lines, documentation, config, causes_range)
    sheets = [_summary_sheet(manifest, totals, lines, config, today), _variance_sheet(lines, config),
              discrepancies, _recount_sheet(manifest, lines, config),
              _not_counted_sheet(lines, returned if returned is not None else set()),
              _problems_sheet(problems, resolutions or {})]
    cleared = _cleared_sheet(documentation, used)
    if cleared:
        sheets.append(cleared)
    sheets.append(lists)
    return WorkbookSpec(sheets, title=f"Cycle count results {manifest.cycle_id}")


def _rows_as_dicts(reader: WorkbookReader, tab: str) -> list[dict[str, Any]]:
    rows = reader.rows(tab)
    if not rows:
        return []
    headers = [cell_text(h) for h in rows[0]]
    return [dict(zip(headers, row, strict=False)) for row in rows[1:]]


def _reader(source: Any) -> Any:
    return source if hasattr(source, "rows") else WorkbookReader(source)


def read_resolutions(source: Any) -> dict[tuple[str, str, str, str], str]:
    """What people wrote in the Problems tab's Resolution column (a problem accepted as is)."""
    reader = _reader(source)
    if PROBLEMS not in reader.tabs:
        return {}
    resolutions = {}
    for row in _rows_as_dicts(reader, PROBLEMS):
        text = cell_text(row.get("Resolution"))
        if text:
            key = (cell_text(row.get("Kind")), Path(cell_text(row.get("File"))).name,
                   cell_text(row.get("Tab")), cell_text(row.get("Cell")))
            resolutions[key] = text
    return resolutions


def read_documentation(source: Any) -> dict[str, dict[str, Any]]:
    """What people typed in Discrepancies (and kept in Cleared), by Line ID (xlsx path or reader)."""
    reader = _reader(source)
    documentation: dict[str, dict[str, Any]] = {}
    for tab in (CLEARED, DISCREPANCIES):
        if tab not in reader.tabs:
            continue
        for row in _rows_as_dicts(reader, tab):
            line_id = cell_text(row.get(LINE_ID))
            if not line_id:
                continue
            doc = {name: row.get(name) for name in DOC_COLUMNS}
            if tab == DISCREPANCIES and cell_text(doc.get("Status")) == "Open" and not any(
                    cell_text(doc.get(n)) for n in DOC_COLUMNS if n != "Status"):
                continue  # nothing typed yet: only the default status
            if not any(cell_text(v) for v in doc.values()):
                continue
            doc["Location"] = cell_text(row.get("Location"))
            doc["Part Number"] = cell_text(row.get("Part Number"))
            if tab == CLEARED:
                doc["Why Here"] = cell_text(row.get("Why Here"))
            documentation[line_id] = doc
    return documentation
