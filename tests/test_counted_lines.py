"""Each finalized cycle keeps its counted lines as Parquet beside its manifest, held to a checksum."""

import datetime as dt
import json
from decimal import Decimal

import pyarrow.parquet as pq

from cyclekit.folder.counted_lines import COUNTED_LINES
from cyclekit.stages.finalize import finalize_cycle
from cyclekit.stages.verify import verify_cycle
from tests.test_finalize import CONFIG, TODAY, approve_all, cycle  # noqa: F401 (the fixture)


def test_finalize_keeps_the_counted_lines_exactly_and_verify_holds_them(cycle):  # noqa: F811
    cycle_dir, schedule, _ = cycle
    approve_all(cycle_dir)
    finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=TODAY)
    path = cycle_dir / COUNTED_LINES
    rows = {row["line_id"]: row for row in pq.read_table(path).to_pylist()}
    assert sorted(rows) == ["BIN-1/1", "BIN-1/2", "BIN-1/3", "BIN-2/1"]
    major = rows["BIN-1/1"]
    assert major["part_number"] == "=SUM(A1)" and major["lot"] == "0042" and major["revision"] == "01"
    assert major["cycle_id"] == "CC-TEST-0001" and major["count_date"] == dt.date(2026, 11, 23)
    assert major["zone"] == "Cage" and major["counted_by"] == "Ana Ruiz" and major["abc_class"]
    assert (major["system_qty"], major["counted_qty"], major["variance_qty"]) == (10, 4, -6)
    assert major["variance_value"] == Decimal("-75.00") and major["system_value"] == Decimal("125.00")
    assert major["severity"] == "Major" and major["root_cause"] == "Theft or loss"
    assert major["approved_by"] == "Dana Whitfield" and not major["within_tolerance"] and major["discrepancy"]
    assert rows["BIN-1/2"]["part_number"] == "000812" and rows["BIN-1/2"]["counted_qty"] == 1235
    assert rows["BIN-1/3"]["part_number"] == "1E5" and rows["BIN-1/3"]["counted_qty"] == Decimal("0.1")
    assert rows["BIN-2/1"]["variance_qty"] == 0 and rows["BIN-2/1"]["within_tolerance"]
    assert not rows["BIN-2/1"]["discrepancy"] and rows["BIN-2/1"]["uom"] == "m"
    manifest = json.loads((cycle_dir / "manifest.json").read_text())
    recorded = [name for name in manifest["finalized"]["outputs"] if name.endswith(COUNTED_LINES)]
    assert len(recorded) == 1
    result = verify_cycle(cycle_dir)
    assert result.ok and not result.updated
    path.write_bytes(path.read_bytes() + b"\0")
    assert verify_cycle(cycle_dir).changed == [str(path)]
    path.unlink()
    assert verify_cycle(cycle_dir).missing == [str(path)]


def test_a_recount_keeps_the_first_count_and_judges_the_first_counter_by_it():
    from cyclekit.config import CountConfig
    from cyclekit.domain.variance import CountedLine
    from cyclekit.folder.counted_lines import accuracy_by, counted_lines_table

    def line(n, system, counted, **more):
        return CountedLine(f"A/{n}", "A", f"P{n}", "", "", "", "", "ea", "A", Decimal(system), Decimal("2.00"),
                           counted_qty=Decimal(counted), counted_by="Ana", **more)

    lines = [line(1, 10, 10, first_count=Decimal(7), recounted_by="Bo", recount_sheet="R001"),  # Ana was off
             line(2, 10, 8),  # off, no recount
             line(3, 10, 10),
             line(4, 0, 3, found=True),  # a found item: no first count
             CountedLine("A/5", "A", "P5", "", "", "", "", "ea", "A", Decimal(1), None)]  # not counted
    table = counted_lines_table("C1", dt.date(2026, 1, 5), lines, {}, {}, CountConfig())
    rows = {r["line_id"]: r for r in table.to_pylist()}
    assert sorted(rows) == ["A/1", "A/2", "A/3", "A/4"]
    assert rows["A/1"]["first_count_qty"] == 7 and rows["A/1"]["counted_qty"] == 10 and rows["A/1"]["recounted"]
    assert rows["A/1"]["first_discrepancy"] and not rows["A/1"]["first_within_tolerance"]
    assert not rows["A/1"]["discrepancy"] and rows["A/1"]["within_tolerance"] and rows["A/1"]["recounted_by"] == "Bo"
    assert rows["A/4"]["first_count_qty"] is None and rows["A/4"]["first_discrepancy"] is None
    final = accuracy_by(table, ["counted_by"]).to_pylist()[0]
    first = accuracy_by(table, ["counted_by"], first=True).to_pylist()[0]
    assert (final["lines"], final["discrepancies"], final["within_tolerance"]) == (4, 2, 2)
    assert (first["lines"], first["discrepancies"], first["within_tolerance"]) == (3, 2, 1)
