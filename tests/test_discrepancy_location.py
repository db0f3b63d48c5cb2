"""[finalize] discrepancy_location: an unexplained shortage is moved into that location (ION's last
resort), as import lines of its own, instead of written off."""

import csv
import dataclasses

import pytest

from cyclekit.config import FinalizeConfig, load_config
from cyclekit.errors import ConfigError
from cyclekit.stages.finalize import finalize_cycle
from tests.test_finalize import CONFIG, TODAY, approve_all, cycle  # noqa: F401 (the fixture)
from tests.test_results import document

MOVING = dataclasses.replace(CONFIG, finalize=FinalizeConfig(discrepancy_location="DISCREPANCY"))


def rows(report):
    [path] = report.files
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_an_unexplained_shortage_is_moved_into_the_discrepancy_location(cycle):  # noqa: F811
    cycle_dir, schedule, _ = cycle
    approve_all(cycle_dir)  # BIN-1/1 explained (Theft or loss), BIN-1/2 Under Investigation; BIN-1/3 no cause
    report = finalize_cycle(cycle_dir, schedule, MOVING, targets=["generic"], today=TODAY)
    lines = [(r["location"], r["part_number"], r["system_qty"], r["counted_qty"], r["adjust_qty"], r["adjust_value"],
              r["reason"]) for r in rows(report)]
    assert lines == [
        ("BIN-1", "=SUM(A1)", "10", "4", "-6", "-75.00", "Cycle count CC-TEST-0001: Theft or loss"),  # written off
        # a gain under investigation: nothing to move, posted as found
        ("BIN-1", "000812", "1234", "1235", "1", "0.15", "Cycle count CC-TEST-0001: Miscounted during cycle count"),
        ("BIN-1", "1E5", "0.3", "0.1", "-0.2", "-17.62", "Cycle count CC-TEST-0001: unexplained, moved to DISCREPANCY"),
        ("DISCREPANCY", "1E5", "", "", "0.2", "17.62",
         "Cycle count CC-TEST-0001: unexplained shortage of BIN-1 moved here"),
    ]
    assert report.adjustments == 4
    assert any(w.startswith("1 unexplained shortage(s) moved into DISCREPANCY") for w in report.warnings)


def test_a_shortage_under_investigation_is_moved_too(cycle):  # noqa: F811
    cycle_dir, schedule, _ = cycle
    approve_all(cycle_dir)
    document(cycle_dir / "results.xlsx", "BIN-1/1", Status="Under Investigation")
    report = finalize_cycle(cycle_dir, schedule, MOVING, targets=["generic"], today=TODAY)
    assert [r["location"] for r in rows(report) if r["part_number"] == "=SUM(A1)"] == ["BIN-1", "DISCREPANCY"]


def test_without_the_setting_the_shortage_is_written_off(cycle):  # noqa: F811
    cycle_dir, schedule, _ = cycle
    approve_all(cycle_dir)
    report = finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=TODAY)
    assert "DISCREPANCY" not in {r["location"] for r in rows(report)} and report.adjustments == 3
    assert [r["reason"] for r in rows(report) if r["part_number"] == "1E5"] == [
        "Cycle count CC-TEST-0001: cause not documented"]


def test_a_move_is_refused_for_files_that_set_absolute_quantities(cycle):  # noqa: F811
    cycle_dir, schedule, _ = cycle
    approve_all(cycle_dir)
    with pytest.raises(ConfigError, match="odoo set absolute quantities.*moved into DISCREPANCY"):
        finalize_cycle(cycle_dir, schedule, MOVING, targets=["generic", "odoo"], today=TODAY)
    assert not (cycle_dir / "adjustments").exists()


def test_the_setting_is_read_and_checked(tmp_path):
    path = tmp_path / "cyclekit.toml"
    path.write_text('[finalize]\ndiscrepancy_location = "CC-DISCREPANCY"\n', encoding="utf-8")
    assert load_config(path).finalize.discrepancy_location == "CC-DISCREPANCY"
    for text in ('[finalize]\ndiscrepancy_location = ""\n', '[finalize]\ndiscrepancy_location = " X"\n',
                 '[finalize]\nlocation = "X"\n'):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match="finalize"):
            load_config(path)
