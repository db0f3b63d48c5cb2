"""Four rule changes the rest of the suite let through (mutation testing): each test here fails
when its rule is changed.

- Overdue starts the day after the due date, in Python and in the schedule's live formula
  (evaluated by LibreOffice on the day the test runs, so the boundary is really hit);
- "Location confirmed empty" takes YES, Y or X (any case, spaces aside); anything else is a problem;
- a shortage suggests the causes of a shortage, an overage those of an overage;
- the History tab's target rate is 5 %, and its chart draws that column.
"""

import datetime as dt
import re
import zipfile

import openpyxl
import pytest

from cyclekit.backends.libreoffice import recalculate
from cyclekit.config import Config
from cyclekit.domain.causes import SYSTEM_HIGHER, SYSTEM_LOWER, direction, suggested_causes
from cyclekit.domain.scheduling import days_until_due, due_status
from cyclekit.stages import schedule as api
from cyclekit.stages.finalize import finalize_cycle
from cyclekit.stages.ingest import ingest_cycle
from cyclekit.stages.sheets import Selection
from tests.helpers import INVENTORY_HEADER, LOCATIONS_HEADER, fill_sheet, write_csv
from tests.test_cycle_flow import plant, rows_of, sheet_file, start  # noqa: F401
from tests.test_finalize import CONFIG, TODAY, approve_all, cycle  # noqa: F401
from tests.test_results import counted  # noqa: F401

# ---- a. Overdue on the due date itself ---------------------------------------------------------

SHORTAGE_ONLY = "Theft or loss"  # Foreman: the system holds more than the shelf
OVERAGE_ONLY = "Parts moved physically but not digitally"  # ION: the shelf holds more
EITHER_WAY = "Miscounted during cycle count"


@pytest.mark.parametrize(("days", "status"), [
    (-1, "Overdue"), (0, "Due this week"), (1, "Due this week"),
    (7, "Due this week"), (8, "Scheduled"),
])
def test_a_row_is_overdue_only_after_its_due_date(days, status):
    today = dt.date(2026, 11, 23)
    assert days_until_due(today + dt.timedelta(days=days), today) == days
    assert due_status(days, 7) == status


CADENCE = 14
# location -> days until due on the day the test runs (Last Count = that day - cadence + days)
DUE_IN = {"LATE-1": -1, "DUE-0": 0, "SOON-1": 1, "SOON-7": 7, "LATER-8": 8}
EXPECTED = {"LATE-1": "Overdue", "DUE-0": "Due this week", "SOON-1": "Due this week",
            "SOON-7": "Due this week", "LATER-8": "Scheduled", "NEVER": "Due this week"}


def _schedule_due_around(folder, today):
    inventory = write_csv(folder / "inventory.csv", INVENTORY_HEADER, [
        [name, "000812", "01", "Bolt", "ea", "", "", "available", "1", "0.15"] for name in [*DUE_IN, "NEVER"]])
    locations = write_csv(folder / "locations.csv", LOCATIONS_HEADER, [
        [name, "Zone", "Ana Ruiz", "ana@plant.example.com", "", str(CADENCE),
         (today - dt.timedelta(days=CADENCE - days)).isoformat()] for name, days in DUE_IN.items()
    ] + [["NEVER", "Zone", "Ana Ruiz", "ana@plant.example.com", "", str(CADENCE), ""]])
    path = folder / "schedule.xlsx"
    # as-of today: a row never counted falls due today, on the boundary too
    api.write_schedule(inventory, path, Config(), locations=locations, as_of=today, today=today)
    return path


def _schedule_rows(path, data_only=True):
    sheet = openpyxl.load_workbook(path, data_only=data_only)["Schedule"]
    rows = list(sheet.iter_rows(values_only=True))
    return {row[0]: dict(zip(rows[0], row)) for row in rows[1:] if row[0]}


def test_the_schedules_status_formula_turns_overdue_the_day_after_the_due_date(soffice, tmp_path, lo_out):
    for attempt in range(2):  # the formulas count from TODAY(): once more if the day changed meanwhile
        today = dt.date.today()
        folder = tmp_path / f"try{attempt}"
        folder.mkdir()
        path = _schedule_due_around(folder, today)
        cached = _schedule_rows(path)  # what Excel shows before it recalculates: the Python rule
        [result] = recalculate([path], lo_out / f"try{attempt}")
        if dt.date.today() == today:
            break
    live = _schedule_rows(result)
    assert set(live) == set(EXPECTED)
    for name, status in EXPECTED.items():
        days = DUE_IN.get(name, 0)
        assert (live[name]["Days Until Due"], live[name]["Status"]) == (days, status), name
        assert (cached[name]["Days Until Due"], cached[name]["Status"]) == (days, status), name
    formulas = _schedule_rows(path, data_only=False)
    assert str(formulas["DUE-0"]["Status"]).startswith("=")  # a live formula, not a value


# ---- b. "Location confirmed empty": which marks count -------------------------------------------

@pytest.mark.parametrize("mark", ["YES", "Y", "X", "yes", "y", "x", " Yes "])
def test_confirmed_empty_accepts_yes_y_or_x(plant, tmp_path, mark):  # noqa: F811
    report = start(plant, tmp_path, selection=Selection(locations=("LS-1",)))
    filled = fill_sheet(sheet_file(report.cycle_dir, "LS-1"), tmp_path / "back" / "c.xlsx", confirmed_empty=mark)
    result = ingest_cycle(report.cycle_dir, Config(), [filled])
    assert [p for p in result.problems if p.kind == "bad-confirmation"] == []
    variance = {r["Line ID"]: r for r in rows_of(result.results, "Variance")}
    assert (variance["LS-1/1"]["Counted Qty"], variance["LS-1/1"]["Variance Qty"]) == (0, -25)
    assert result.figures.lines_not_counted == 0


@pytest.mark.parametrize("mark", ["N", "NO", "0", "empty", "YES!", "XX"])
def test_any_other_confirmed_empty_mark_is_a_problem_and_counts_nothing(plant, tmp_path, mark):  # noqa: F811
    report = start(plant, tmp_path, selection=Selection(locations=("LS-1",)))
    filled = fill_sheet(sheet_file(report.cycle_dir, "LS-1"), tmp_path / "back" / "c.xlsx", confirmed_empty=mark)
    result = ingest_cycle(report.cycle_dir, Config(), [filled])
    [problem] = [p for p in result.problems if p.kind == "bad-confirmation"]
    assert (problem.value, problem.sheet) == (mark, "LS-1") and problem.cell
    assert problem.file.endswith("c.xlsx") and "YES" in problem.message
    variance = {r["Line ID"] for r in rows_of(result.results, "Variance")}
    assert "LS-1/1" not in variance  # never read as empty: the lines stay not counted
    assert result.figures.lines_not_counted == 1  # LS-1 has one line to count


# ---- c. The direction of suggested causes ------------------------------------------------------

def test_a_shortage_suggests_shortage_causes_and_an_overage_overage_causes():
    short, over = suggested_causes(-1), suggested_causes(1)
    assert SHORTAGE_ONLY in short and OVERAGE_ONLY not in short
    assert OVERAGE_ONLY in over and SHORTAGE_ONLY not in over
    assert "Parts not consumed onto aBOM" in short and "Parts not consumed onto aBOM" not in over
    assert EITHER_WAY in short and EITHER_WAY in over
    assert (direction(-1), direction(1)) == (SYSTEM_HIGHER, SYSTEM_LOWER)


def test_the_discrepancies_tab_suggests_causes_in_the_direction_of_each_line(counted):  # noqa: F811
    _, _, result = counted
    rows = {r["Line ID"]: r for r in rows_of(result.results, "Discrepancies")}
    short, over = rows["WH-A-01/1"], rows["WH-A-01/2"]  # 34 short; one over
    assert short["Variance Qty"] < 0 < over["Variance Qty"]
    short_causes, over_causes = short["Suggested Causes"].split("; "), over["Suggested Causes"].split("; ")
    assert short_causes == list(suggested_causes(-1)) and over_causes == list(suggested_causes(1))
    assert SHORTAGE_ONLY in short_causes and OVERAGE_ONLY not in short_causes
    assert OVERAGE_ONLY in over_causes and SHORTAGE_ONLY not in over_causes
    assert (short["Direction"], over["Direction"]) == (SYSTEM_HIGHER, SYSTEM_LOWER)


# ---- d. The History target rate ----------------------------------------------------------------

def test_the_history_tab_targets_a_five_percent_discrepancy_rate_and_charts_it(cycle):  # noqa: F811
    cycle_dir, schedule, _ = cycle
    approve_all(cycle_dir)
    finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=TODAY)
    header, *rows = openpyxl.load_workbook(schedule, data_only=True)["History"].iter_rows(values_only=True)
    target = header.index("Target Rate")
    assert [row[target] for row in rows if row[0]] == [pytest.approx(0.05)]
    column = openpyxl.utils.get_column_letter(target + 1)
    rate_column = openpyxl.utils.get_column_letter(header.index("Discrepancy Rate") + 1)
    with zipfile.ZipFile(schedule) as book:
        charts = [book.read(n).decode() for n in book.namelist() if re.match(r"xl/charts/chart\d+\.xml$", n)]
    [chart] = [c for c in charts if "Discrepancy rate by cycle" in c]
    drawn = re.findall(r"<c:val>.*?<c:f>([^<]+)</c:f>", chart, re.S)  # the values of each series
    # one cycle so far: the series are row 2 of their column ('History!$H$2', or '$H$2:$H$2')
    assert [re.sub(r"^(History!\$([A-Z]+)\$2):\$\2\$2$", r"\1", f) for f in drawn] == [
        f"History!${rate_column}$2", f"History!${column}$2"]
    assert "target under 5 %" in chart
