"""layouts/schedule.py, history.py and text_fit.py directly: the schedule WorkbookSpec, its formulas
and row heights, the History tab, and the text-fit estimator every layout uses."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from xlsxwriter.utility import xl_col_to_name

from cyclekit.backends.spec import Cell, Formula, Sheet
from cyclekit.config import Config
from cyclekit.domain.scheduling import CycleWindow, Schedule, ScheduleRow
from cyclekit.layouts import text_fit
from cyclekit.layouts.history import HISTORY_TAB, TARGET_RATE, HistoryRow, history_sheet, read_history
from cyclekit.layouts.schedule import AS_OF_NAME, DUE_SOON_NAME, SourceFile, schedule_workbook
from cyclekit.layouts.text_fit import Measure, lines_of, row_height

AS_OF = dt.date(2026, 11, 23)


def schedule(*rows: ScheduleRow) -> Schedule:
    return Schedule("location", AS_OF, list(rows) or [
        ScheduleRow("WH-A-01", "Warehouse A", "Ana", "ana@plant.example.com", lines=3, value=Decimal("12.5"),
                    abc_class="A", counts_per_year=12, cadence_days=30, last_count=dt.date(2026, 11, 1)),
        ScheduleRow("CAGE-01", "Cage", "Bo", "bo@plant.example.com", lines=1, first_due=AS_OF)])


def tab(name: str, plan: Schedule | None = None, **options: Any) -> Sheet:
    spec = schedule_workbook(plan or schedule(), Config(), [SourceFile("Inventory", "inv.csv", "ab" * 32)], {},
                             AS_OF, **options)
    return spec.sheet(name)


def cell(sheet: Sheet, row: int, header: str) -> Any:
    return sheet.rows[row][sheet.column_index(header)]


def test_next_count_days_and_status_are_live_formulas_with_values() -> None:
    sheet = tab("Schedule")
    letter = {c.key: xl_col_to_name(i) for i, c in enumerate(sheet.columns)}
    last, cadence, nxt, days = (letter[k] for k in ("last_count", "cadence", "next_count", "days"))
    expected = f'=IF({last}2="",{AS_OF_NAME},IF({cadence}2="","",{last}2+{cadence}2))'
    assert cell(sheet, 1, "Next Count") == Formula(expected, dt.date(2026, 12, 1))
    assert cell(sheet, 1, "Days Until Due") == Formula(f'=IF({nxt}2="","",{nxt}2-TODAY())', 8)
    status = cell(sheet, 1, "Status")
    assert status.expr.startswith(f'=IF({days}2="","",IF({days}2<0,"Overdue",') and DUE_SOON_NAME in status.expr
    assert cell(sheet, 2, "Next Count").value == AS_OF  # never counted: due on the as-of date
    assert sheet.conditional_formats[0].formula == f'=${letter["status"]}2="Overdue"'


def test_a_wrapped_owner_makes_its_row_taller() -> None:
    long = ScheduleRow("LS-1", owner="Bo Lind-Oppenheimer-Volkov, night shift lead, and deputy", lines=1)
    sheet = tab("Schedule", schedule(long, ScheduleRow("X", owner="Bo", lines=1)))
    owner = next(c for c in sheet.columns if c.key == "owner")
    lines = lines_of(long.owner, text_fit.room_of(owner.width), Measure.RENDERED)
    assert lines > 1 and sheet.row_heights[1] == 15 * lines + 3
    assert 2 not in sheet.row_heights  # one line keeps the default height


def test_settings_names_the_as_of_date_and_sources() -> None:
    spec = schedule_workbook(schedule(), Config(), [SourceFile("Inventory", "inv.csv", "ab" * 32)], {"hold": 2},
                             AS_OF)
    settings = {row[0]: row[1] for row in spec.sheet("Settings").rows[1:]}
    assert spec.defined_names[AS_OF_NAME] == "=Settings!$B$2"
    assert settings["Inventory file"] == "inv.csv" and settings["Lines left out: status hold"].value == 2
    assert [s.name for s in spec.sheets] == ["Schedule", "Calendar", "Settings"]


def test_calendar_rows_fit_their_wrapped_lines() -> None:
    sheet = tab("Calendar")
    assert sheet.rows[0][0] == Cell("Week Starting", sheet.rows[0][0].style)
    for r, row in enumerate(sheet.rows[1:], start=1):
        lines = max(len(str(row[4]).split("\n")), len(str(row[5]).split("\n")), 1)
        assert sheet.row_heights[r] >= 15 * lines + 3


HISTORY = [HistoryRow("C-2", dt.date(2026, 11, 23), dt.date(2026, 11, 30), 4, 20, 2, Decimal("0.1"),
                      Decimal("-5"), Decimal("7"), Decimal("0.9")),
           HistoryRow("C-1", dt.date(2026, 10, 1), dt.date(2026, 10, 5), 3, 10, 0, Decimal(0), Decimal(0),
                      Decimal(0), Decimal(1))]


def test_history_tab_in_date_order_with_the_target_rate() -> None:
    sheet = history_sheet(HISTORY, Config())
    assert [row[0] for row in sheet.rows[1:]] == ["C-1", "C-2"]
    assert all(row[7] == TARGET_RATE == Decimal("0.05") for row in sheet.rows[1:])
    chart = sheet.charts[0]
    assert [s.values.first_col for s in chart.series] == [6, 7] and chart.series[1].name == "Target"
    assert tab(HISTORY_TAB, history=HISTORY).name == HISTORY_TAB


def test_history_reads_back_what_it_wrote() -> None:
    sheet = history_sheet(HISTORY, Config())
    rows = [[c.value if isinstance(c, Cell) else c for c in row] for row in sheet.rows]
    assert read_history(rows, "schedule.xlsx") == sorted(HISTORY, key=lambda h: h.count_date)


# ---- text_fit -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "room", "paragraphs", "lines"), [
    ("", 10, True, 0), ("", 10, False, 1), ("short", 10, True, 1), ("one two three four", 9, True, 3),
    ("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 10, True, 3), ("a\nb", 10, True, 2), ("a\nb", 10, False, 1)])
def test_lines_of_characters(text: str, room: float, paragraphs: bool, lines: int) -> None:
    assert lines_of(text, room, paragraphs=paragraphs) == lines


def test_rendered_breaks_after_hyphens_and_counts_wide_letters() -> None:
    assert lines_of("WWWWWWWWWW", 10, Measure.RENDERED) == 2  # W is wider than a digit
    assert lines_of("iiiiiiiiii", 10, Measure.RENDERED) == 1
    assert lines_of("Lind-Oppenheimer", 12, Measure.RENDERED) == 2  # "Lind-" "Oppenheimer"


def test_row_height() -> None:
    assert row_height(1, 15.5, 6, single=24) == 24
    assert row_height(3, 15.5, 6, single=24) == 52.5
    assert row_height(1.2, 15, 4, at_least=2) == 34


def test_lines_of_is_memoised() -> None:
    lines_of.cache_clear()
    for _ in range(100):
        lines_of("the same suggested causes; again and again", 20)
    assert lines_of.cache_info().hits == 99


def test_cycles_tab_shares_of_lines() -> None:
    plan = schedule()
    plan.cycles = [CycleWindow(1, AS_OF, dt.date(2026, 12, 6), 1, 3), CycleWindow(2, dt.date(2026, 12, 7),
                                                                                  dt.date(2026, 12, 20), 1, 1)]
    plan.rows[0].cycle, plan.rows[1].cycle = 1, 2
    sheet = tab("Cycles", plan)
    assert [row[5] for row in sheet.rows[1:]] == [Formula("=E2/SUM($E$2:$E$3)", 0.75),
                                                 Formula("=E3/SUM($E$2:$E$3)", 0.25)]
    assert sheet.data_bars[0].range.first_col == 4


def test_lists_feed_the_root_cause_dropdown() -> None:
    from cyclekit.domain.causes import ROOT_CAUSES
    from cyclekit.layouts.results import _lists_sheet

    lists, source, approvers = _lists_sheet(Config())
    assert source == f"=Lists!$A$2:$A${len(ROOT_CAUSES) + 1}" and lists.hidden
    assert approvers == ""  # no [approvals]: Approved By takes any name
