"""domain/variance.py on its own, beyond tests/test_reconcile.py: where the tolerance ends, what a
line without a cost is, the line numbers recount sheets use, whose sheet a blank line is charged
to, and that every table of the figures adds up to the headline."""

from decimal import Decimal

import pytest

from cyclekit.config import CountConfig
from cyclekit.domain.variance import (
    FOUND_ROW,
    MAJOR,
    MINOR,
    NO_COUNTER,
    NOT_COUNTED,
    NOT_RETURNED,
    NOT_SIGNED,
    RECOUNT_ROW,
    CountedLine,
    figures,
    fixed_by_recount,
    judge,
    needs_recount,
    sheet_counters,
    sheet_line_number,
    with_sheet_counters,
)

CONFIG = CountConfig()


def line(line_id, system, counted, cost="1", abc="C", **extra):
    return CountedLine(line_id, line_id.split("/")[0], "P", "", "", "", "", "ea", abc, Decimal(system),
                       None if cost is None else Decimal(cost),
                       counted_qty=None if counted is None else Decimal(str(counted)), **extra)


def test_the_tolerance_includes_its_limit_and_no_more():
    assert judge(line("L/1", 100, 105), CONFIG).within_tolerance  # C: 5 % of 100
    assert not judge(line("L/1", 100, "105.000001"), CONFIG).within_tolerance
    assert judge(line("L/1", 100, "94.9999999"), CONFIG).within_tolerance  # past the 6 places both sides round to


def test_severity_limits_are_inclusive_and_a_line_with_no_cost_is_judged_on_quantity():
    assert judge(line("L/1", 10, 15, cost="100"), CONFIG).severity == MINOR  # 5 units, 500 value: at both limits
    assert judge(line("L/1", 10, 16, cost="0"), CONFIG).severity == MAJOR
    assert judge(line("L/1", 0, 2, cost=None, found=True), CONFIG).severity == MINOR
    unvalued = line("L/F1", 0, 2, cost=None, found=True)
    assert unvalued.unvalued and unvalued.variance_value is None  # never valued at 0


def test_not_counted_and_problem_lines_have_no_variance():
    assert judge(line("L/1", 10, None), CONFIG) == NOT_COUNTED
    stopped = line("L/1", 10, 4, problem="listed line altered on the sheet")
    assert not stopped.counted and stopped.variance_qty is None and judge(stopped, CONFIG) == NOT_COUNTED


def test_variance_percent_keeps_its_sign_over_a_negative_system_quantity():
    assert line("L/1", -4, -2).variance_pct == Decimal("0.5")
    assert line("L/1", 4, 2).variance_pct == Decimal("-0.5")
    assert line("L/1", 0, 2).variance_pct is None


@pytest.mark.parametrize(("line_id", "found", "number"), [
    ("WH-A-01/3", False, 3), ("WH-A-01/F2", True, -2), ("WH/A/01/12", False, 12),
    ("WH-A-01/F1-R001", True, None),  # found on a recount sheet: no first count to recount
])
def test_the_line_number_a_recount_sheet_records(line_id, found, number):
    assert sheet_line_number(line(line_id, 0, 1, found=found)) == number


def test_a_line_found_by_a_recount_is_never_sent_for_another():
    assert needs_recount(line("L/F1-R001", 0, 50, found=True), CONFIG) == ""
    assert needs_recount(line("L/F1", 0, 50, found=True), CONFIG) == "Major discrepancy"
    assert needs_recount(line("L/1", 10, 4, recount_sheet="R001"), CONFIG) == ""


def test_a_blank_line_is_charged_to_the_counter_of_its_returned_sheet():
    lines = [line("B/F1-R001", 0, 1, found=True, counted_by="Riley"), line("A/1", 10, 10, counted_by="Ana"),
             line("A/2", 10, None), line("B/1", 10, None), line("C/1", 10, None)]
    counters = sheet_counters(lines, {"B": "Bo", "C": ""})
    assert counters == {"A": "Ana", "B": "Bo"}  # a recount's finder is not who had the count sheet
    charged = with_sheet_counters(lines, counters, returned={"A", "B"})
    assert [x.counted_by for x in charged] == ["Riley", "Ana", "Ana", "Bo", ""]
    assert lines[2].counted_by == ""  # copies: the lines given are unchanged
    assert with_sheet_counters(lines, counters, returned={"A"})[3].counted_by == ""  # B's sheet is still out


def test_a_recount_fixes_the_problem_of_the_line_it_counted():
    lines = [line("A/1", 10, 10, recounted_by="Riley", recount_sheet="R001", first_count=None),
             line("A/2", 10, 9), line("A/3", 10, None, recounted_by="Riley", recount_sheet="R001")]
    assert fixed_by_recount(lines) == {"A/1": "R001"}


def test_every_table_of_the_figures_adds_up_to_the_headline():
    lines = [line("A/1", 10, 10, counted_by="Ana"),
             line("A/2", 10, 8, "2", counted_by="Ana"),
             line("A/3", 10, 12, "2", counted_by="Ana", first_count=Decimal(7), recounted_by="Riley"),
             line("B/1", 5, 6, "3", counted_by=NOT_SIGNED),
             line("B/2", 5, None),
             line("C/1", 5, None),
             line("B/F1", 0, 2, "1", found=True, counted_by=NOT_SIGNED)]
    f = figures(lines, ["A", "B", "C"], problems=0, config=CONFIG, returned={"A", "B"})
    counters = f.by_counter + f.counter_others
    assert {g.name for g in f.counter_others} == {NO_COUNTER, NOT_RETURNED, FOUND_ROW, RECOUNT_ROW}
    for attribute in ("lines_sent", "discrepancies", "net_value", "absolute_value"):
        headline = getattr(f, attribute)
        assert sum(getattr(g, attribute) for g in counters) == headline, attribute
        assert sum(getattr(g, attribute) for g in f.by_location) == headline, attribute
    assert sum(g.lines_counted for g in counters) == f.items_counted == 5
    assert (f.locations_sent, f.locations_counted, f.lines_not_counted) == (3, 2, 2)
    assert [g.name for g in f.by_location] == ["A", "B", "C"]


def test_judge_agrees_with_the_line_s_own_figures() -> None:
    """judge works the variance out once (not through the properties): on every kind of line it
    must say what the properties say."""
    from cyclekit.domain.causes import direction
    from cyclekit.domain.variance import APPROVER, ROUNDING, tolerance

    config = CountConfig(minor_max_qty=Decimal(5), minor_max_value=Decimal("100"))
    cases = 0
    for system in ("0", "10", "-4", "1E5", "0.750"):
        for counted in (None, "0", "10", "9.999", "-4", "100006", "1.5"):
            for cost in (None, "0", "2.005", "99.99"):
                for moved in ("0", "-3", "0.25"):
                    for abc, problem in (("A", ""), ("B", ""), ("C", ""), ("Z", ""), ("C", "unreadable")):
                        ln = CountedLine("L/1", "L", "000812", "", "", "", "", "ea", abc, Decimal(system),
                                         None if cost is None else Decimal(cost),
                                         None if counted is None else Decimal(counted), problem=problem,
                                         moved_qty=Decimal(moved))
                        v, value = ln.variance_qty, ln.variance_value
                        got = judge(ln, config)
                        if v is None or v == 0:
                            assert got.severity is None and got.within_tolerance == (v is not None)
                            continue
                        allowed = (abs(ln.expected_qty) * tolerance(ln, config)).quantize(ROUNDING)
                        minor = abs(v) <= config.minor_max_qty and (value is None or abs(value) <= 100)
                        severity = MINOR if minor else MAJOR
                        assert (got.within_tolerance, got.severity, got.approver_role, got.direction) == (
                            abs(v).quantize(ROUNDING) <= allowed, severity, APPROVER[severity],
                            direction(1 if v > 0 else -1))
                        cases += 1
    assert cases > 500
