"""domain.movements on its own: each movement before or after its line's count, and the pairing
of shortages and overages into suggested transfers."""

import datetime as dt
from decimal import Decimal

from cyclekit.domain.movements import (
    AFTER_COUNT,
    BEFORE_COUNT,
    BEFORE_SNAPSHOT,
    NO_LINE,
    SAME_DAY,
    TWO_UNITS,
    Movement,
    apply_movements,
    suggest_transfers,
)
from cyclekit.domain.variance import CountedLine

SNAPSHOT = dt.datetime(2026, 11, 23, 8, 0)


def line(line_id, location, counted, system="10", uom="ea", counted_at="2026-11-23T12:00", part="P-1", **kw):
    return CountedLine(line_id, location, part, "", "", "", "", uom, "C", Decimal(system), Decimal("2"),
                       counted_qty=None if counted is None else Decimal(counted), counted_at=counted_at, **kw)


def move(location, quantity, at, uom="ea", part="P-1"):
    return Movement("moves.csv", 2, location, part, "", "", "", uom, Decimal(quantity), at)


def test_before_the_snapshot_before_and_after_the_count():
    bin1 = line("B1/1", "B1", "13")
    uses = apply_movements([bin1], [move("B1", "5", dt.datetime(2026, 11, 23, 7)),
                                    move("B1", "3", dt.datetime(2026, 11, 23, 9)),
                                    move("B1", "-4", dt.datetime(2026, 11, 23, 13))], SNAPSHOT, {}, {"B1"})
    assert [u.status for u in uses] == [BEFORE_SNAPSHOT, BEFORE_COUNT, AFTER_COUNT]
    assert (bin1.moved_qty, bin1.moved_after, bin1.expected_qty, bin1.variance_qty) == (3, -4, 13, 0)


def test_a_count_without_a_time_takes_the_day_and_says_so():
    bin1 = line("B1/1", "B1", "13", counted_at="2026-11-24")
    [use] = apply_movements([bin1], [move("B1", "3", dt.datetime(2026, 11, 24, 16))], SNAPSHOT, {}, {"B1"})
    assert use.status == SAME_DAY and bin1.variance_qty == 0


def test_a_recounted_line_is_judged_first_against_what_it_held_then():
    bin1 = line("B1/1", "B1", "13", counted_at="2026-11-24T10:00", first_count=Decimal("10"), recounted_by="Bo")
    apply_movements([bin1], [move("B1", "3", dt.datetime(2026, 11, 23, 20))], SNAPSHOT,
                    {"B1/1": "2026-11-23T12:00"}, {"B1"})
    assert (bin1.first_expected, bin1.expected_qty) == (10, 13)


def test_a_movement_without_a_unit_matches_only_one_line():
    lines = [line("B1/1", "B1", "10"), line("B1/2", "B1", "10", uom="box")]
    uses = apply_movements(lines, [move("B1", "1", dt.datetime(2026, 11, 23, 9), uom=""),
                                   move("B1", "1", dt.datetime(2026, 11, 23, 9), part="P-9")], SNAPSHOT, {}, {"B1"})
    assert [u.status for u in uses] == [TWO_UNITS, NO_LINE]


def test_shortages_pair_with_overages_of_the_same_part_elsewhere():
    lines = [line("B1/1", "B1", "5"), line("B2/1", "B2", "12"), line("B3/1", "B3", "13"),
             line("B4/1", "B4", "7", part="P-2"), line("B1/2", "B1", "11", uom="box")]
    pairs = [(t.from_line, t.to_line, t.quantity) for t in suggest_transfers(lines)]
    # 5 short in B1: 3 from B3 (the largest overage) first, then 2 from B2; another part or unit never
    assert pairs == [("B1/1", "B2/1", 2), ("B1/1", "B3/1", 3)]


def test_the_movements_columns_are_checked_like_the_inventorys():
    import pytest

    from cyclekit.config import parse_config
    from cyclekit.errors import ConfigError

    config = parse_config({"movements": {"columns": {"time": "Posted At", "quantity": "Qty Change"}}})
    assert config.movements.header_for("time") == "Posted At" and config.movements.header_for("lot") == "lot"
    with pytest.raises(ConfigError, match=r"\[movements.columns\] maps unknown field\(s\) posted"):
        parse_config({"movements": {"columns": {"posted": "Posted At"}}})
    with pytest.raises(ConfigError, match="movements.decimal_separator"):
        parse_config({"movements": {"decimal_separator": ";"}})
