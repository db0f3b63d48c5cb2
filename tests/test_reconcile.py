from decimal import Decimal

import pytest

from cyclekit.config import CountConfig
from cyclekit.domain.causes import SYSTEM_HIGHER, SYSTEM_LOWER
from cyclekit.domain.variance import CountedLine, figures, judge, needs_recount

CONFIG = CountConfig()


def line(system, counted, cost="1", abc="C", **extra):
    return CountedLine(extra.pop("line_id", "L/1"), extra.pop("location", "L"), "P", "", "", "", "", "ea",
                       abc, Decimal(system), Decimal(cost),
                       counted_qty=None if counted is None else Decimal(counted), **extra)


@pytest.mark.parametrize("system, counted, cost, severity", [
    (10, 5, "100", "Minor"),      # 5 units, 500 value: both at the limit
    (10, 4, "1", "Major"),        # 6 units
    (10, 9, "500.01", "Major"),   # 1 unit but 500.01 value
    (10, 15, "0.10", "Minor"),
    (10, 10, "9999", None),
])
def test_severity_by_quantity_and_value(system, counted, cost, severity):
    assert judge(line(system, counted, cost), CONFIG).severity == severity


def test_approver_and_direction():
    minor, major = judge(line(10, 9), CONFIG), judge(line(10, 30), CONFIG)
    assert (minor.approver_role, minor.direction) == ("Inventory Coordinator", SYSTEM_HIGHER)
    assert (major.approver_role, major.direction) == ("Operations Manager / Finance", SYSTEM_LOWER)


@pytest.mark.parametrize("abc, system, counted, within", [
    ("A", 100, 100, True), ("A", 100, 99, False), ("B", 100, 98, True), ("B", 100, 97.9, False),
    ("C", 100, 105, True), ("C", 100, 105.01, False), ("C", 0, 1, False), ("B", "10.1", "10.302", True),
])
def test_tolerance_by_class(abc, system, counted, within):
    assert judge(line(system, str(counted), abc=abc), CONFIG).within_tolerance is within


def test_no_float_noise_in_variance():
    assert line("0.3", "0.1").variance_qty + Decimal("0.2") == 0


def test_recount_for_major_or_outside_tolerance_once():
    assert needs_recount(line(10, 4), CONFIG) == "Major discrepancy"
    assert needs_recount(line(100, 98, abc="A"), CONFIG) == "Outside tolerance"
    assert needs_recount(line(100, 98, abc="B"), CONFIG) == ""
    assert needs_recount(line(10, 4, recounted_by="Riley"), CONFIG) == ""
    assert needs_recount(line(10, None), CONFIG) == "Left blank"
    assert needs_recount(line(10, None), CONFIG, returned=False) == ""  # the sheet is still out
    assert needs_recount(line(10, None, problem="floor count unreadable"), CONFIG) == "Entry unreadable"
    assert needs_recount(line(0, 3, found=True), CONFIG) == ""


def test_figures_follow_foremans_formula():
    lines = [line(10, 10, line_id="A/1", location="A", counted_by="Ana"),
             line(10, 8, "2", line_id="A/2", location="A", counted_by="Ana"),
             line(5, 6, "3", line_id="B/1", location="B", counted_by="Bo"),
             line(5, None, line_id="B/2", location="B"),
             line(0, 2, "1", line_id="B/F1", location="B", found=True, counted_by="Bo")]
    f = figures(lines, ["A", "B"], problems=1, config=CONFIG)
    assert (f.lines_sent, f.lines_counted, f.lines_not_counted, f.found_items) == (4, 3, 1, 1)
    assert f.items_counted == 4
    assert f.discrepancies == 3 and f.discrepancy_rate == Decimal("0.75")
    assert f.net_value == Decimal(-4 + 3 + 2) and f.absolute_value == Decimal(4 + 3 + 2)
    assert f.accuracy == Decimal(1) / 4  # only A/1: A/2 is 20 % short, B/1 20 % over (C allows 5 %)
    by_location = {g.name: g for g in f.by_location}
    assert (by_location["B"].lines_sent, by_location["B"].lines_counted) == (2, 2)
    assert [(g.name, g.lines_sent, g.lines_counted, g.discrepancies) for g in f.by_counter] == [
        ("Ana", 2, 2, 1), ("Bo", 1, 1, 1)]  # found items are not a counter's miscount


def test_counter_is_judged_on_the_first_count():
    recounted = line(10, 10, line_id="A/1", counted_by="Ana", first_count=Decimal(7), recounted_by="Riley")
    f = figures([recounted], ["L"], problems=0, config=CONFIG)
    assert [(g.name, g.discrepancies, g.net_value) for g in f.by_counter] == [("Ana", 1, Decimal(-3))]
    assert f.discrepancies == 0  # the record itself is right after the recount


def test_found_item_without_cost_is_not_valued():
    found = line(0, 5, line_id="L/F1", found=True)
    found.unit_cost = None
    f = figures([found], ["L"], problems=0, config=CONFIG)
    assert found.variance_value is None and f.found_not_valued == 1 and f.net_value == 0
    assert judge(found, CONFIG).severity == "Minor"
