"""The master schedule workbook: Schedule, Calendar, (Cycles), Settings tabs.

Next Count, Days Until Due and Status are live formulas, each written with the value
`cyclekit.domain.scheduling` computes for it, so Excel, LibreOffice, Google Sheets and readers
that never recalculate all show the same dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from xlsxwriter.utility import xl_col_to_name, xl_range_abs, xl_rowcol_to_cell

from cyclekit import __version__
from cyclekit.backends.spec import (
    Cell,
    CellValue,
    Chart,
    Column,
    ConditionalFormat,
    DataBar,
    Formula,
    PrintSetup,
    Range,
    Series,
    Sheet,
    Validation,
    WorkbookSpec,
)
from cyclekit.config import Config
from cyclekit.domain.money import cents
from cyclekit.domain.review import ABC_CLASSES
from cyclekit.domain.scheduling import (
    CalendarWeek,
    CountResult,
    Schedule,
    ScheduleRow,
    calendar,
    days_until_due,
    due_status,
    due_status_label,
)
from cyclekit.layouts import styles
from cyclekit.layouts.added_tabs import added_tab_sheet
from cyclekit.layouts.history import HISTORY_TAB, HistoryRow, history_sheet
from cyclekit.layouts.text_fit import Measure, lines_of, room_of, row_height, wrap_words, wrapped_line_lines

SCHEDULE_TAB = "Schedule"
CALENDAR_TAB = "Calendar"
CYCLES_TAB = "Cycles"
SETTINGS_TAB = "Settings"
LAST_RUN_TAB = "Last Run"  # hidden: what the locations file and the rules gave each row at the last run
COUNT_RECORD_TAB = "Count Record"  # hidden: each row's recent counts and the cadence cyclekit set from them
# the tabs cyclekit writes; any other tab in a schedule is a person's, carried as it was
WRITTEN_TABS = (SCHEDULE_TAB, CALENDAR_TAB, CYCLES_TAB, HISTORY_TAB, SETTINGS_TAB, LAST_RUN_TAB, COUNT_RECORD_TAB)
COUNT_RECORD_HEADERS = ("Adapted Cadence", "Class Cadence", "Reason", "Recent Counts")
CADENCE_REASON = "Cadence Reason"
LAST_RUN_HEADERS = ("Zone", "Owner", "Owner Email", "Last Count", "Cadence (locations file)", "Cadence (rules)")
AS_OF_NAME = "AsOfDate"
MOVED_ON_LABEL = "Last moved on (a cycle finalized)"
LEVELLED = "Levelled (days)"  # days a Next Count was moved to level the weeks; a person may type over it
DUE_SOON_NAME = "DueSoonDays"

# Wrapped text (Calendar and Schedule tabs), measured as the renderers draw it (text_fit.Measure.RENDERED)
LINE_POINTS = 15  # a line of 11 pt text as Excel spaces it; LibreOffice's are a little tighter
ROW_GAP = 3  # points below the text of a row of several lines, so that it never runs into the next
CONTINUED = "    "  # starts the wrapped lines of a counter: not to be read as another counter


@dataclass(frozen=True)
class SourceFile:
    label: str
    name: str
    sha256: str


def as_of_words(schedule: Schedule) -> str:
    """The date the schedule stands at: the day a finalize last moved it on (its Last Counts and
    Calendar are of that day), else the as-of date it was made for."""
    if schedule.moved_on is None:
        return f"as of {schedule.as_of.isoformat()}"
    return f"as of {schedule.moved_on.isoformat()} (moved on by a finalize; made as of {schedule.as_of.isoformat()})"


def _page_header(title: str, schedule: Schedule, printed_note: str = "") -> str:
    """The printed page header: what the page is and the date it stands at, on the left; the day
    it was printed on the right (the two differ when a saved schedule prints later)."""
    return (f'&L&"Calibri,Bold"{title}&"Calibri,Regular" {as_of_words(schedule)}'
            f"&RPrinted &D{printed_note}")


# Schedule cells that wrap: a part lies in several locations, so its Zones, Owner and Owner Email
# list several, and any one may be longer than its column; a row is as tall as the most lines
WRAPPED = ("zone", "owner", "owner_email", "notes", "reason")


LEGIBLE_WIDTH = 205  # column width a landscape page prints in type a lead reads (about 7 pt)


def _schedule_columns(schedule: Schedule, config: Config) -> list[Column]:
    money = styles.money(config.count.currency_format)
    key_header = "Location" if schedule.by == "location" else "Part Number"
    wrapped = styles.TEXT.but(wrap=True)
    columns = [
        Column(key_header, 16, styles.TEXT, "key"),
        Column("Zone" if schedule.by == "location" else "Zones", 14, wrapped, "zone"),
        Column("Owner", 16, wrapped, "owner"),
        # a first.last@ e-mail address on a line of its own; Notes, which wraps, gave up the width,
        # so the table prints as wide (fit to the page's width, its text as large) as before
        Column("Owner Email", 36, wrapped, "owner_email"),
        Column("Lines", 7, styles.WHOLE, "lines"),
        Column("Inventory Value", 15, money, "value"),
        Column("ABC Class", 7, styles.BODY.but(align="center"), "abc"),
        Column("Counts / Year", 8, styles.WHOLE, "counts"),
        Column("Cadence (days)", 9, styles.WHOLE, "cadence"),
        Column("Last Count", 12, styles.DATE, "last_count"),
        Column("Next Count", 12, styles.DATE.but(font_color="#1F3864"), "next_count"),
        Column("Days Until Due", 9, styles.WHOLE.but(font_color="#1F3864", align="center"), "days"),
        Column("Status", 14, styles.BODY, "status"),
    ]
    if config.cadence.adaptive:
        columns.append(Column(CADENCE_REASON, 30, styles.BODY.but(wrap=True), "reason"))
    if schedule.cycles:
        columns.append(Column("Cycle", 7, styles.WHOLE, "cycle"))
    if any(row.shift for row in schedule.rows):  # a finalize levelled the weeks (scheduling.level_next_counts)
        columns.append(Column(LEVELLED, 9, styles.WHOLE, "shift"))
    columns.append(Column("Notes", 26, styles.BODY.but(wrap=True), "notes"))
    columns += [Column(name, 16, styles.BODY, f"extra:{name}") for name in schedule.extra_columns]
    # a row of several lines reads across from its top line, as the Calendar's weeks do
    return [replace(c, style=c.style.but(valign="top")) for c in columns]


def _schedule_sheet(schedule: Schedule, config: Config, today: dt.date) -> Sheet:
    columns = _schedule_columns(schedule, config)
    sheet = Sheet(SCHEDULE_TAB, columns=columns, header_row=0, freeze=(1, 1))
    col = {c.key: xl_col_to_name(i) for i, c in enumerate(columns)}
    sheet.rows.append([Cell(c.header, styles.HEADER) for c in columns])
    rooms = {c.key: room_of(c.width) for c in columns if c.key in WRAPPED}
    wrapped = list(rooms)
    for index, row in enumerate(schedule.rows):
        n = index + 2  # spreadsheet row number
        values = _schedule_values(schedule, row, config, today, {key: f"{letter}{n}" for key, letter in col.items()})
        sheet.rows.append([values[c.key] for c in columns])
        lines = max(lines_of(str(values[key] or ""), rooms[key], Measure.RENDERED) for key in wrapped)
        if lines > 1:  # a row of one line keeps the default height
            sheet.row_heights[n - 1] = row_height(lines, LINE_POINTS, ROW_GAP)
    _schedule_rules(sheet, len(schedule.rows), f"${col['status']}2", due_status_label(config.schedule.due_soon_days))
    sheet.row_heights[0] = 32
    # Days Until Due and Status count from TODAY(): the day it prints, not the as-of date
    # a table wider than a page holds legibly prints two pages across, its key on both: fitted to one,
    # the Cadence Reason and Levelled columns shrank every row to type about 5 pt tall
    across = 1 if sum(c.width for c in columns) <= LEGIBLE_WIDTH else 2
    sheet.print_setup = PrintSetup(landscape=True, repeat_rows=(0, 0), fit_width=across,
                                   repeat_columns=(0, 0) if across > 1 else None, across_first=across > 1,
                                   header=_page_header("Cycle count schedule", schedule,
                                                       " (Days Until Due and Status as of that day)"),
                                   footer="&CPage &P of &N", gridlines=False)
    return sheet


def _schedule_values(schedule: Schedule, row: ScheduleRow, config: Config, today: dt.date,
                     cell: dict[str, str]) -> dict[str, Any]:
    """A row's values by column key; cell: each column's cell in this row (A1), for the formulas."""
    due_soon = config.schedule.due_soon_days
    last, cadence, nxt, days = cell["last_count"], cell["cadence"], cell["next_count"], cell["days"]
    first_due = row.first_due or schedule.as_of
    never = AS_OF_NAME if first_due == schedule.as_of else (
        f"DATE({first_due.year},{first_due.month},{first_due.day})")
    next_date = row.next_count()
    days_left = days_until_due(next_date, today)
    plain = f"{last}+{cadence}"
    shift = f"+{cell['shift']}" if "shift" in cell else ""
    if schedule.cycles:  # Foreman: the first start of its cycle after the Last Count (scheduling.next_count)
        n = len(schedule.cycles)
        found = f'MATCH({cell["cycle"]},{CYCLES_TAB}!{xl_range_abs(1, 0, n, 0)},0)'
        anchor = f"INDEX({CYCLES_TAB}!{xl_range_abs(1, 1, n, 1)},{found})"
        plain = f"IF(ISNUMBER({found}),{anchor}+{cadence}*(INT(({last}-{anchor})/{cadence})+1),{plain})"
    return {
        "key": row.key, "zone": row.zone, "owner": row.owner, "owner_email": row.owner_email,
        "lines": row.lines, "value": cents(row.value),
        "abc": row.abc_class, "counts": row.counts_per_year, "cadence": row.cadence_days,
        "last_count": row.last_count or Cell(None, styles.DATE),
        "next_count": Formula(f'=IF({last}="",{never},IF({cadence}="","",{plain}{shift}))', next_date),
        "days": Formula(f'=IF({nxt}="","",{nxt}-TODAY())', days_left),
        "status": Formula(
            f'=IF({days}="","",IF({days}<0,"Overdue",'
            f'IF({days}<={DUE_SOON_NAME},"{due_status_label(due_soon)}","Scheduled")))',
            due_status(days_left, due_soon)),
        "cycle": row.cycle, "shift": row.shift or None, "notes": row.notes or None,
        "reason": row.cadence_reason or None,
        **{f"extra:{name}": row.extra.get(name) for name in schedule.extra_columns},
    }


def _schedule_rules(sheet: Sheet, last_row: int, status_ref: str, soon_label: str) -> None:
    """Overdue and due-soon rows coloured, a filter, and what Cadence and Last Count accept."""
    last_col = len(sheet.columns) - 1
    body = Range(1, 0, max(last_row, 1), last_col)
    sheet.conditional_formats += [
        ConditionalFormat(body, f'={status_ref}="Overdue"', styles.BAD),
        ConditionalFormat(body, f'={status_ref}="{soon_label}"', styles.WARN),
    ]
    sheet.autofilter = Range(0, 0, last_row, last_col)
    cadence_col = sheet.column_index("cadence")
    sheet.validations.append(Validation(
        Range(1, cadence_col, max(last_row, 1) + 500, cadence_col), "whole", minimum=1,
        input_title="Cadence (days)", input_message="Days between two counts of this row.",
        error_message="Cadence is a whole number of days, at least 1."))
    last_col_index = sheet.column_index("last_count")
    sheet.validations.append(Validation(
        Range(1, last_col_index, max(last_row, 1) + 500, last_col_index), "date",
        error_message="Last Count is a date, e.g. 2026-03-31."))


def _calendar_sheet(schedule: Schedule, weeks: list[CalendarWeek]) -> Sheet:
    noun = "Locations" if schedule.by == "location" else "Parts"
    # a row reads across from its top line; counts centered, clear of the Counters text beside them
    top: dict[str, Any] = {"valign": "top"}
    date, count_style = styles.DATE.but(**top), styles.WHOLE.but(align="center", **top)
    columns = [
        Column("Week Starting", 12, date, "start"),
        Column("Week Ending", 12, date, "end"),
        Column(f"{noun} Due", 10, count_style, "due"),
        Column("Lines to Count", 10, count_style, "lines"),
        Column("Counters", 40, styles.BODY.but(wrap=True, **top), "counters"),
        Column(noun, 66, styles.TEXT.but(wrap=True, **top), "keys"),
    ]
    sheet = Sheet(CALENDAR_TAB, columns=columns, header_row=0, freeze=(1, 0))
    sheet.rows.append([Cell(c.header, styles.HEADER.but(align=c.style.align)) for c in columns])
    counters_room, keys_room = room_of(columns[4].width), room_of(columns[5].width)
    for week in weeks:
        counters = [line for owner, rows, lines in week.owners() for line in wrap_words(
            f"{owner}: {rows} {noun.lower() if rows != 1 else noun.lower()[:-1]}, {lines} lines".split(" "),
            counters_room, CONTINUED)]
        keys = [row.key for row in week.rows]
        keys = wrap_words([f"{key}," for key in keys[:-1]] + keys[-1:], keys_room)
        sheet.rows.append([week.start, week.end, len(week.rows), week.lines, "\n".join(counters),
                           "\n".join(keys)])
        # the height of its lines and a gap; a line wraps again only where one word is too long
        text_lines = max(sum(wrapped_line_lines(line, counters_room) for line in counters),
                         sum(wrapped_line_lines(line, keys_room) for line in keys), 1)
        sheet.row_heights[len(sheet.rows) - 1] = row_height(text_lines, LINE_POINTS, ROW_GAP)
    count = len(weeks)
    sheet.data_bars.append(DataBar(Range(1, 3, count, 3)))
    sheet.autofilter = Range(0, 0, count, len(columns) - 1)
    sheet.charts.append(Chart(
        "column", "Lines to count per week",
        (Series("Lines to count", Range(1, 0, count, 0), Range(1, 3, count, 3), "#2E75B6"),),
        anchor_row=1, anchor_col=len(columns) + 1, x_title="Week starting", y_title="Lines",
        x_date_format="mmm d", gap=40, width=900, height=320))
    sheet.row_heights[0] = 32
    sheet.print_setup = PrintSetup(landscape=True, repeat_rows=(0, 0),
                                   header=_page_header("Cycle count calendar", schedule),
                                   footer="&CPage &P of &N", gridlines=False,
                                   area=Range(0, 0, count, len(columns) - 1))
    return sheet


def _cycles_sheet(schedule: Schedule) -> Sheet:
    columns = [
        Column("Cycle", 8, styles.WHOLE), Column("Starts", 13, styles.DATE),
        Column("Ends", 13, styles.DATE), Column("Rows", 8, styles.WHOLE),
        Column("Lines to Count", 12, styles.WHOLE), Column("Share of Lines", 12, styles.PERCENT),
    ]
    sheet = Sheet(CYCLES_TAB, columns=columns, header_row=0, freeze=(1, 0))
    sheet.rows.append([Cell(c.header, styles.HEADER) for c in columns])
    total = sum(c.lines for c in schedule.cycles) or 1
    lines_col = sheet.column_index("Lines to Count")
    lines = xl_col_to_name(lines_col)
    every = xl_range_abs(1, lines_col, len(schedule.cycles), lines_col)
    for n, cycle in enumerate(schedule.cycles, start=2):
        sheet.rows.append([cycle.number, cycle.start, cycle.end, cycle.rows, cycle.lines,
                           Formula(f"={lines}{n}/SUM({every})", cycle.lines / total)])
    sheet.data_bars.append(DataBar(Range(1, lines_col, len(schedule.cycles), lines_col)))
    return sheet


def weekly_balance(weeks: list[CalendarWeek]) -> str:
    """The Calendar's lines a week in words: how level the plan is."""
    if not weeks:
        return "no week planned"
    lines = [w.lines for w in weeks]  # each week's rows added up once
    most, busiest = max(zip(lines, weeks), key=lambda pair: (pair[0], -pair[1].start.toordinal()))
    average = sum(lines) / len(weeks)
    return (f"average {average:,.1f}, busiest {most:,} (week of {busiest.start.isoformat()}), "
            f"quietest {min(lines):,}")


def _settings_sheet(schedule: Schedule, config: Config, sources: list[SourceFile],
                    skipped: dict[str, int], today: dt.date, weeks: list[CalendarWeek]) -> tuple[Sheet, dict[str, str]]:
    s = config.schedule
    columns = [Column("Setting", 34, styles.LABEL), Column("Value", 70, styles.TEXT)]
    sheet = Sheet(SETTINGS_TAB, columns=columns, header_row=0)
    rows: list[list[CellValue]] = [[Cell("Setting", styles.HEADER), Cell("Value", styles.HEADER)]]
    names: dict[str, str] = {}

    def add(label: str, value: CellValue, name: str | None = None) -> None:
        if name:
            names[name] = f"={SETTINGS_TAB}!{xl_rowcol_to_cell(len(rows), 1, row_abs=True, col_abs=True)}"
        rows.append([label, value])

    date, whole = styles.DATE.but(align="left"), styles.WHOLE.but(align="left")
    add("As-of date (Next Count of never-counted rows)", Cell(schedule.as_of, date), AS_OF_NAME)
    if schedule.moved_on is not None:
        add(MOVED_ON_LABEL, Cell(schedule.moved_on, date))
    add("Days ahead that count as due soon", Cell(s.due_soon_days, whole), DUE_SOON_NAME)
    add("Rows are", "locations" if schedule.by == "location" else "part numbers")
    add("Scheduling model", "ABC class (cadence by class)" if s.model == "abc"
        else f"{s.counts_per_timeframe} count(s) per {s.timeframe} year, "
             f"{s.cycles_per_count} cycles per count")
    add("Class A: rows ranked above hold less than", f"{s.a_share}% of total value")
    add("Class B: rows ranked above hold less than", f"{s.b_share}% of total value")
    add("Class C", "the rest; a high-consumption row moves up one class")
    for cls in ABC_CLASSES:
        per_year = s.counts_per_year[cls]
        add(f"Class {cls} counts per year / cadence", f"{per_year} / {round(365 / per_year)} days")
    add("Next counts levelled within (days; 0: off)", Cell(s.level_tolerance_days, whole))
    add("Lines a week on the Calendar", weekly_balance(weeks))
    add("Lines counted (statuses on the shelf)", Cell(sum(r.lines for r in schedule.rows), whole))
    for status, count in sorted(skipped.items()):
        add(f"Lines left out: status {status}", Cell(count, whole))
    add("Total inventory value", Cell(cents(schedule.total_value),
                                      styles.money(config.count.currency_format).but(align="left")))
    for source in sources:
        add(f"{source.label} file", source.name)
        add(f"{source.label} SHA-256", source.sha256)
    if config.source:
        add("Config file", config.source)
    add("Written on", Cell(today, date))
    add("Written by", f"cyclekit {__version__}")
    sheet.rows = rows
    sheet.columns[0] = Column("Setting", 48, styles.LABEL)
    sheet.print_setup = PrintSetup(landscape=False, gridlines=False, footer="&CPage &P of &N",
                                   header=_page_header("Cycle count schedule settings", schedule))
    return sheet, names


def _last_run_sheet(schedule: Schedule, last_run: dict[str, dict[str, str]]) -> Sheet:
    """Hidden: per row, what the locations file and the rules gave at this run, so that the next
    run can tell a value a person typed from one the locations file changed since (all text)."""
    key_header = "Location" if schedule.by == "location" else "Part Number"
    columns = [Column(key_header, 16, styles.TEXT), *(Column(h, 16, styles.TEXT) for h in LAST_RUN_HEADERS)]
    sheet = Sheet(LAST_RUN_TAB, columns=columns, header_row=0, hidden=True)
    sheet.rows.append([Cell(c.header, styles.HEADER) for c in columns])
    for key, record in last_run.items():
        sheet.rows.append([key, *(record.get(h, "") or None for h in LAST_RUN_HEADERS)])
    return sheet


def recent_text(recent: Sequence[CountResult]) -> str:
    """A row's recent counts as the Count Record tab keeps them: `2026-11-23 10/12 M1; ...` (date,
    lines within tolerance / lines counted, Major discrepancies)."""
    return "; ".join(f"{r.date.isoformat()} {r.within}/{r.lines} M{r.majors}" for r in recent)


def _count_record_sheet(schedule: Schedule) -> Sheet:
    """Hidden: what each row's counts taught (adaptive cadence), read back by the next finalize."""
    key_header = "Location" if schedule.by == "location" else "Part Number"
    columns = [Column(key_header, 16, styles.TEXT), *(Column(h, 16, styles.TEXT) for h in COUNT_RECORD_HEADERS)]
    sheet = Sheet(COUNT_RECORD_TAB, columns=columns, header_row=0, hidden=True)
    sheet.rows.append([Cell(c.header, styles.HEADER) for c in columns])
    for row in schedule.rows:
        learned = row.learned
        if learned is not None and (learned.recent or learned.cadence):
            sheet.rows.append([row.key, learned.cadence, learned.class_cadence, learned.reason or None,
                               recent_text(learned.recent) or None])
    return sheet


def schedule_workbook(
    schedule: Schedule, config: Config, sources: list[SourceFile],
    skipped: dict[str, int], today: dt.date, history: list[HistoryRow] | None = None,
    last_run: dict[str, dict[str, str]] | None = None,
    added_tabs: Sequence[tuple[str, list[list[Any]]]] = (),  # tabs a person added: carried as they were
) -> WorkbookSpec:
    weeks = calendar(schedule, config.schedule.calendar_weeks)
    settings, names = _settings_sheet(schedule, config, sources, skipped, today, weeks)
    sheets = [_schedule_sheet(schedule, config, today), _calendar_sheet(schedule, weeks)]
    if schedule.cycles:
        sheets.append(_cycles_sheet(schedule))
    if history:
        sheets.append(history_sheet(history, config))
    sheets.append(settings)
    sheets += [added_tab_sheet(name, rows) for name, rows in added_tabs]
    if last_run is not None:
        sheets.append(_last_run_sheet(schedule, last_run))
    if config.cadence.adaptive or any(row.learned for row in schedule.rows):
        sheets.append(_count_record_sheet(schedule))
    return WorkbookSpec(sheets, defined_names=names, title="Cycle count schedule",
                        subject=as_of_words(schedule))
