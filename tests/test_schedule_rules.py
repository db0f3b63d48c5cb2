import datetime as dt
from decimal import Decimal

from cyclekit.config import ScheduleConfig
from cyclekit.domain.scheduling import build_schedule, calendar, days_until_due, due_status, next_count
from cyclekit.domain.stock import InventoryLine, LocationInfo

AS_OF = dt.date(2026, 11, 23)


def line(location, part, qty, cost, **extra):
    return InventoryLine(location=location, part_number=part, quantity=Decimal(qty),
                         unit_cost=Decimal(cost), **extra)


def by_key(schedule):
    return {row.key: row for row in schedule.rows}


def test_value_is_quantity_times_cost_over_counted_lines():
    rows = by_key(build_schedule([line("A", "P1", "3", "2.50"), line("A", "P2", "0.5", "10")],
                                 {}, ScheduleConfig(), AS_OF))
    assert rows["A"].value == Decimal("12.50")
    assert rows["A"].lines == 2


def test_pareto_classes_on_value_with_ties_by_name():
    # values 50, 30, 10, 5, 5: shares above are 0, 50, 80, 90, 95 percent
    lines = [line("L1", "P", 50, 1), line("L2", "P", 30, 1), line("L3", "P", 10, 1),
             line("L4b", "P", 5, 1), line("L4a", "P", 5, 1)]
    rows = by_key(build_schedule(lines, {}, ScheduleConfig(), AS_OF))
    assert {k: r.abc_class for k, r in rows.items()} == {
        "L1": "A", "L2": "A", "L3": "B", "L4a": "B", "L4b": "C"}


def test_high_consumption_moves_up_one_class():
    lines = [line("L1", "P", 50, 1), line("L2", "P", 30, 1), line("L3", "P", 10, 1),
             line("L4", "P", 5, 1), line("L5", "P", 5, 1)]
    places = {"L3": LocationInfo("L3", consumption="high"), "L5": LocationInfo("L5", consumption="high")}
    rows = by_key(build_schedule(lines, places, ScheduleConfig(), AS_OF))
    assert [rows[k].abc_class for k in ("L3", "L4", "L5")] == ["A", "B", "B"]  # B->A, C->B


def test_cadence_from_counts_per_year_and_override():
    lines = [line("L1", "P", 90, 1), line("L2", "P", 9, 1), line("L3", "P", 1, 1)]
    places = {"L3": LocationInfo("L3", cadence_days=14)}
    rows = by_key(build_schedule(lines, places, ScheduleConfig(), AS_OF))
    assert [(r.abc_class, r.counts_per_year, r.cadence_days) for r in rows.values()] == [
        ("A", 12, 30), ("B", 4, 91), ("C", 26, 14)]  # the override sets the counts a year
    custom = ScheduleConfig(counts_per_year={"A": 52, "B": 6, "C": 2})
    assert by_key(build_schedule(lines, {}, custom, AS_OF))["L1"].cadence_days == 7


def test_next_count_from_last_count_or_as_of():
    places = {"L1": LocationInfo("L1", last_count=dt.date(2026, 10, 1))}
    rows = by_key(build_schedule([line("L1", "P", 1, 1), line("L2", "P", 1, 1)], places,
                                 ScheduleConfig(), AS_OF))
    assert rows["L1"].next_count() == dt.date(2026, 10, 31)
    assert rows["L2"].next_count() == AS_OF  # never counted: due on the as-of date


def test_empty_location_in_locations_file_keeps_its_row():
    places = {"EMPTY": LocationInfo("EMPTY", owner="Ana")}
    rows = by_key(build_schedule([line("L1", "P", 1, 1)], places, ScheduleConfig(), AS_OF))
    assert rows["EMPTY"].lines == 0 and rows["EMPTY"].value == 0 and rows["EMPTY"].owner == "Ana"


def test_rows_by_part_across_locations():
    lines = [line("L1", "000812", 2, 1), line("L2", "000812", 3, 1), line("L2", "1E5", 1, 100)]
    places = {"L1": LocationInfo("L1", zone="WH A", owner="Ana"),
              "L2": LocationInfo("L2", zone="Line", owner="Bo", consumption="high")}
    rows = by_key(build_schedule(lines, places, ScheduleConfig(), AS_OF, by="part"))
    assert set(rows) == {"000812", "1E5"}
    assert (rows["000812"].lines, rows["000812"].value) == (2, Decimal(5))
    assert rows["000812"].zone == "Line, WH A" and rows["000812"].owner == "Ana, Bo"
    assert rows["000812"].consumption == "high"


def test_status_thresholds():
    assert due_status(days_until_due(dt.date(2026, 11, 22), AS_OF), 7) == "Overdue"
    assert due_status(0, 7) == "Due this week"
    assert due_status(7, 7) == "Due this week"
    assert due_status(8, 7) == "Scheduled"
    assert due_status(None, 7) == ""
    assert next_count(dt.date(2026, 1, 1), None, AS_OF) is None


def test_foreman_cycles_balance_lines():
    lines = [line(f"L{i:02d}", f"P{j}", 1, 1) for i in range(12) for j in range(i + 1)]
    config = ScheduleConfig(model="foreman", counts_per_timeframe=1, cycles_per_count=4,
                            timeframe="rolling")
    schedule = build_schedule(lines, {}, config, AS_OF)
    loads = [c.lines for c in schedule.cycles]
    assert sum(loads) == len(lines) == 78
    # largest-first keeps the spread under one row's lines; in file order it would be 45 vs 6
    assert max(loads) - min(loads) <= 3
    assert schedule.cycles[0].start == AS_OF
    assert all(r.cadence_days == 365 for r in schedule.rows)
    # never-counted rows fall due at the start of their cycle
    for row in schedule.rows:
        assert row.next_count() == schedule.cycles[row.cycle - 1].start


def test_foreman_calendar_year_moves_past_cycles_to_next_year():
    config = ScheduleConfig(model="foreman", cycles_per_count=4, timeframe="calendar")
    schedule = build_schedule([line("L1", "P", 1, 1)], {}, config, AS_OF)
    starts = [c.start for c in schedule.cycles]
    assert starts[3] <= AS_OF <= schedule.cycles[3].end  # Q4 is running
    assert starts[0].year == 2027  # Q1 of this year is over: next year's Q1


def test_calendar_weeks_show_who_counts_what():
    places = {"L1": LocationInfo("L1", owner="Ana", cadence_days=14, last_count=dt.date(2026, 11, 20)),
              "L2": LocationInfo("L2", owner="Bo", last_count=dt.date(2025, 1, 1))}
    schedule = build_schedule([line("L1", "P", 1, 1), line("L1", "Q", 1, 1), line("L2", "P", 1, 1)],
                              places, ScheduleConfig(), AS_OF)
    weeks = calendar(schedule, 8)
    assert weeks[0].start == dt.date(2026, 11, 23) and weeks[0].end == dt.date(2026, 11, 29)
    assert [r.key for r in weeks[0].rows] == ["L2"]  # overdue: in the first week
    assert [r.key for r in weeks[1].rows] == ["L1"]  # 2026-12-04
    assert [r.key for r in weeks[3].rows] == ["L1"]  # 2026-12-18
    assert weeks[1].owners() == [("Ana", 1, 2)]


def test_an_overdue_backlog_is_spread_over_the_first_weeks_most_overdue_first():
    # ten locations of 10 lines, each counted every 70 days: an average week is 10 lines
    places = {f"L{n}": LocationInfo(f"L{n}", cadence_days=70, last_count=dt.date(2026, 6, 1) + dt.timedelta(days=n))
              for n in range(10)}
    lines = [line(f"L{n}", f"P{k}", 1, 1) for n in range(10) for k in range(10)]
    schedule = build_schedule(lines, places, ScheduleConfig(), AS_OF)
    assert all(row.next_count() < AS_OF for row in schedule.rows)  # every one overdue
    weeks = calendar(schedule, 12)
    assert [[r.key for r in w.rows] for w in weeks[:10]] == [[f"L{n}"] for n in range(10)]
    assert [r.key for r in weeks[10].rows] == ["L0"]  # and then each again a cadence later


def test_a_foreman_next_count_is_the_first_start_of_its_cycle_after_the_last_count():
    anchor = dt.date(2027, 2, 22)  # cycle 2 of a rolling year from 2026-11-23
    assert next_count(dt.date(2026, 10, 1), 365, None, anchor) == anchor  # counted before it: this count
    assert next_count(dt.date(2027, 3, 1), 365, None, anchor) == dt.date(2028, 2, 22)  # counted in it: the next
    assert next_count(dt.date(2025, 6, 1), 365, None, anchor) == dt.date(2026, 2, 22)  # long ago: overdue
    assert next_count(dt.date(2026, 10, 1), 365, None) == dt.date(2027, 10, 1)  # no cycle: Last Count + cadence
