"""Adaptive cadence: a row that misses is counted more often, a run of clean counts returns it to its
class's cadence, a cadence a person chose is never changed, and the schedule says why."""

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import openpyxl
import pytest

from cyclekit.config import CadenceConfig, ConfigError, parse_config
from cyclekit.domain.scheduling import CountResult, Learned, due_status, learn_cadence
from cyclekit.stages import schedule as api
from cyclekit.stages.finalize import finalize_cycle
from tests.test_finalize import CONFIG, TODAY, approve_all, cycle  # noqa: F401 (the fixture)

RULE = CadenceConfig(adaptive=True)
ADAPTIVE = replace(CONFIG, cadence=RULE)
DAY = dt.date(2026, 1, 5)


def count(day: int, lines: int = 10, within: int = 10, majors: int = 0) -> CountResult:
    return CountResult(DAY + dt.timedelta(days=day), lines, within, majors)


def test_misses_shorten_down_to_the_floor_and_clean_runs_restore():
    learned = Learned()
    cadence = learn_cadence(learned, count(0, within=9, majors=1), 91, 91, RULE)
    assert cadence == 46 and learned.cadence == 46 and "Major discrepancy on 2026-01-05" in learned.reason
    cadence = learn_cadence(learned, count(50, within=9, majors=1), cadence, 91, RULE)
    assert cadence == 23
    cadence = learn_cadence(learned, count(80), cadence, 91, RULE)
    assert cadence == 23 and "1 of 2 clean" in learned.reason
    cadence = learn_cadence(learned, count(100), cadence, 91, RULE)
    assert cadence == 91 and learned.cadence is None and "back to the class cadence" in learned.reason
    learn_cadence(learned, count(200), cadence, 91, RULE)
    assert learned.reason == ""
    floor = Learned()
    assert learn_cadence(floor, count(0, majors=1), 10, 30, RULE) == 7


def test_accuracy_below_target_over_the_window_shortens_without_a_major():
    learned = Learned()
    assert learn_cadence(learned, count(0, within=9), 91, 91, RULE) == 46
    assert learned.reason.startswith("accuracy 90 % on its count on 2026-01-05, target 95 %: counted every 46 days")
    assert learn_cadence(learned, count(30, within=9), 46, 91, RULE) == 23
    assert learned.reason.startswith("accuracy 90 % over its last 2 counts on 2026-02-04")
    # one count a little off after clean ones: the window's accuracy holds, the cadence too
    steady = Learned([count(0), count(10)])
    assert learn_cadence(steady, count(20, within=9), 91, 91, RULE) == 91 and steady.reason == ""


def test_the_rule_is_checked_in_the_config():
    config = parse_config({"cadence": {"adaptive": True, "major_factor": 0.25, "window": 4}})
    assert config.cadence.major_factor == Decimal("0.25") and config.cadence.window == 4
    for bad in ({"major_factor": 1.5}, {"accuracy_target": 95}, {"floor_days": 0}, {"windows": 3}):
        with pytest.raises(ConfigError, match="cadence"):
            parse_config({"cadence": bad})


def _schedule_rows(path):
    rows = list(openpyxl.load_workbook(path)["Schedule"].iter_rows(values_only=True))
    return {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}


def test_finalize_counts_a_major_location_more_often_and_says_why(cycle):  # noqa: F811
    cycle_dir, schedule, _ = cycle
    before = _schedule_rows(schedule)
    approve_all(cycle_dir)
    finalize_cycle(cycle_dir, schedule, ADAPTIVE, targets=["generic"], today=TODAY)
    after = _schedule_rows(schedule)
    class_cadence = before["BIN-1"]["Cadence (days)"]
    assert after["BIN-1"]["Cadence (days)"] == max(7, round(class_cadence / 2))
    assert after["BIN-1"]["Cadence Reason"].startswith("Major discrepancy on 2026-11-23: counted every")
    assert after["BIN-2"]["Cadence (days)"] == before["BIN-2"]["Cadence (days)"]
    assert after["BIN-2"]["Cadence Reason"] is None
    record = list(openpyxl.load_workbook(schedule)["Count Record"].iter_rows(values_only=True))
    assert openpyxl.load_workbook(schedule)["Count Record"].sheet_state == "hidden"
    assert {r[0]: r[4] for r in record[1:]}["BIN-2"] == "2026-11-23 1/1 M0"
    # `schedule` written over it again keeps the learned cadence and its reason
    api.write_schedule(cycle_dir.parent / "inventory.csv", schedule, ADAPTIVE,
                       locations=cycle_dir.parent / "locations.csv", as_of=TODAY, today=TODAY)
    again = _schedule_rows(schedule)
    assert again["BIN-1"]["Cadence (days)"] == after["BIN-1"]["Cadence (days)"]
    assert again["BIN-1"]["Cadence Reason"] == after["BIN-1"]["Cadence Reason"]


def test_a_cadence_a_person_typed_is_never_changed(cycle):  # noqa: F811
    cycle_dir, schedule, _ = cycle
    book = openpyxl.load_workbook(schedule)
    sheet = book["Schedule"]
    column = [c.value for c in sheet[1]].index("Cadence (days)") + 1
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == "BIN-1")
    sheet.cell(row, column).value = 45
    book.save(schedule)
    approve_all(cycle_dir)
    finalize_cycle(cycle_dir, schedule, ADAPTIVE, targets=["generic"], today=TODAY)
    after = _schedule_rows(schedule)
    assert after["BIN-1"]["Cadence (days)"] == 45 and after["BIN-1"]["Cadence Reason"] is None


def test_libreoffice_counts_the_learned_cadence(soffice, cycle, lo_out):  # noqa: F811
    """Next Count, Days Until Due and Status, evaluated by LibreOffice, follow the learned cadence
    (the Cadence Reason column moves the columns after it)."""
    from cyclekit.backends.libreoffice import recalculate

    cycle_dir, schedule, _ = cycle
    approve_all(cycle_dir)
    finalize_cycle(cycle_dir, schedule, ADAPTIVE, targets=["generic"], today=TODAY)
    [result] = recalculate([schedule], lo_out)
    rows = list(openpyxl.load_workbook(result, data_only=True)["Schedule"].iter_rows(values_only=True))
    by = {r[0]: dict(zip(rows[0], r)) for r in rows[1:] if r[0]}
    learned = by["BIN-1"]
    assert learned["Cadence Reason"].startswith("Major discrepancy")
    due = learned["Last Count"].date() + dt.timedelta(days=learned["Cadence (days)"])
    assert learned["Next Count"].date() == due
    assert learned["Days Until Due"] == (due - dt.date.today()).days
    assert learned["Status"] == due_status((due - dt.date.today()).days, 7)
