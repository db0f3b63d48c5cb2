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
