"""finalize --target odoo --odoo-quants: Odoo's update-by-ID export written back with the cycle's
counts (golden), refused without it for lines Odoo holds, and the export read as hostile input."""

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from cyclekit.errors import ConfigError, InputError
from cyclekit.layouts import odoo_quants
from cyclekit.layouts.adjustments import render_target
from cyclekit.stages import schedule as api
from cyclekit.stages.finalize import CycleInfo, build_adjustments, finalize_cycle
from cyclekit.stages.ingest import ingest_cycle
from cyclekit.stages.sheets import Selection, start_cycle
from tests.helpers import INVENTORY_HEADER, LOCATIONS_HEADER, fill_sheet, write_csv
from tests.test_finalize import AS_OF, CONFIG, ROWS, TODAY, approve_all

GOLDEN = Path(__file__).parent / "golden"
HEADER = ["id", "product_id", "location_id", "lot_id", "inventory_quantity"]
EXPORT = [  # as Odoo exports the counted locations, Counted Quantity still blank
    ["__export__.stock_quant_11_5f1a", '[=SUM(A1)] Contact, gold "hard"', "WH/Stock/BIN-1", "0042", ""],
    ["__export__.stock_quant_12_5f1b", "[000812] Bolt M6", "WH/Stock/BIN-1", "", ""],
    ["__export__.stock_quant_14_5f1d", "[1.50] Cable", "WH/Stock/BIN-2", "", "12.5"],
    ["__export__.stock_quant_15_5f1e", "[0099] Washer", "WH/Stock/BIN-1", "", ""],  # not in the cycle
    ["__export__.stock_quant_16_5f1f", "[000812] Bolt M6", "WH/Stock/BIN-9", "", ""],  # not counted here
]


@pytest.fixture
def counted(tmp_path):
    """=SUM(A1) counted 0 (10 held), 000812 one over, 1E5 (lot L7) 0.3 -> 0.1 but not in Odoo's export,
    the cable exact, and a part found in BIN-2 that nobody holds."""
    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, ROWS)
    locations = write_csv(tmp_path / "locations.csv", LOCATIONS_HEADER, [
        ["BIN-1", "Cage", "Ana Ruiz", "ana@plant.example.com", "", "", "2026-01-10"],
        ["BIN-2", "Row A", "Bo Lind", "bo@plant.example.com", "", "", "2026-02-01"]])
    schedule = tmp_path / "schedule.xlsx"
    api.write_schedule(inventory, schedule, CONFIG, locations=locations, as_of=AS_OF, today=AS_OF)
    cycle_dir = tmp_path / "cycle"
    start_cycle(schedule, inventory, cycle_dir, CONFIG, selection=Selection(all=True), as_of=AS_OF,
                cycle_id="CC-TEST-0001")
    back = tmp_path / "back"
    files = [fill_sheet(cycle_dir / "sheets" / "BIN-1.xlsx", back / "one.xlsx", {1: 0, 2: 1235, 3: "0.1"},
                        counted_by="Ana Ruiz"),
             fill_sheet(cycle_dir / "sheets" / "BIN-2.xlsx", back / "two.xlsx", {1: 12.5}, counted_by="Bo Lind",
                        found=[("7001", "", "", "ea", 3)])]
    ingest_cycle(cycle_dir, CONFIG, files, today=AS_OF)
    approve_all(cycle_dir)
    return cycle_dir, schedule


def _export(tmp_path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    return write_csv(tmp_path / "odoo-export.csv", header, rows)


def test_the_completed_export_matches_golden(counted, tmp_path):
    cycle_dir, schedule = counted
    report = finalize_cycle(cycle_dir, schedule, CONFIG, targets=["odoo"], today=TODAY,
                            odoo_quants=_export(tmp_path, EXPORT))
    [path] = report.files
    golden = GOLDEN / "odoo-quants.csv"
    if os.environ.get("CYCLEKIT_UPDATE_GOLDEN") == "1":
        shutil.copy(path, golden)
    assert path.read_bytes() == golden.read_bytes(), f"{path.name} differs from {golden}"
    text = path.read_text()
    assert "__export__.stock_quant_11_5f1a" in text and ",WH/Stock/BIN-1,0042,0\n" in text  # the zero is written
    assert "stock_quant_15" not in text and "stock_quant_16" not in text
    assert ",7001,WH/Stock/BIN-2,,3\n" in text  # found: a new row without ID
    notes = " | ".join(report.warnings)
    assert "row 5 ([0099] Washer in WH/Stock/BIN-1, not in the cycle)" in notes
    assert "BIN-1/3" in notes and "ADDS to Odoo's stock" in notes  # held stock, absent from the export
    assert "1 exported row(s) in locations not counted left out" in notes


def test_without_the_export_odoo_is_refused_naming_the_option(counted, tmp_path):
    cycle_dir, schedule = counted
    with pytest.raises(ConfigError) as caught:
        finalize_cycle(cycle_dir, schedule, CONFIG, targets=["odoo"], today=TODAY)
    message = str(caught.value)
    assert "--odoo-quants" in message and "BIN-1/1" in message and "nothing was written" in message
    assert not (cycle_dir / "adjustments").exists()


def test_the_export_without_odoo_among_the_targets_is_refused(counted, tmp_path):
    cycle_dir, schedule = counted
    with pytest.raises(ConfigError, match="add --target odoo"):
        finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=TODAY,
                       odoo_quants=_export(tmp_path, EXPORT))


@pytest.mark.parametrize("rows, header, says", [
    (EXPORT + [["__export__.stock_quant_17", "[000812] Bolt M6", "WH/Stock/BIN-1", "", ""]], HEADER,
     "matches rows 3, 7"),  # two quants (packages, owners): which one holds the count is not guessed
    (EXPORT + [["__export__.stock_quant_12_5f1b", "[0100] Nut", "WH/Stock/BIN-1", "", ""]], HEADER, "twice"),
    (EXPORT + [["", "[0100] Nut", "WH/Stock/BIN-1", "", ""]], HEADER, "without ID"),
    ([[r[0], "product_product_7", *r[2:]] for r in EXPORT], ["id", "product_id/id", *HEADER[2:]], "External IDs"),
    ([r[1:] for r in EXPORT], HEADER[1:], "no ID column"),
])
def test_an_export_a_count_cannot_be_put_on_surely_is_refused(counted, tmp_path, rows, header, says):
    cycle_dir, schedule = counted
    with pytest.raises(InputError) as caught:
        finalize_cycle(cycle_dir, schedule, CONFIG, targets=["odoo"], today=TODAY,
                       odoo_quants=_export(tmp_path, rows, header))
    assert says in str(caught.value) + " ".join(p.message for p in caught.value.problems)
    assert not (cycle_dir / "adjustments").exists()


def test_an_export_too_large_is_refused_before_it_is_read(counted, tmp_path, monkeypatch):
    cycle_dir, schedule = counted
    monkeypatch.setattr(odoo_quants, "MAX_EXPORT_BYTES", 100)
    with pytest.raises(InputError, match="larger than"):
        finalize_cycle(cycle_dir, schedule, CONFIG, targets=["odoo"], today=TODAY,
                       odoo_quants=_export(tmp_path, EXPORT))


def test_labels_and_identifiers_are_kept_exactly(counted, tmp_path):
    """An export with English labels; lot ' 0042' with a space is another lot, never trimmed to match."""
    cycle_dir, schedule = counted
    labels = ["ID", "Product", "Location", "Lot/Serial Number", "Counted Quantity", "Note"]
    rows = [[*EXPORT[0][:3], " 0042", "", "keep, me"], [*EXPORT[1], "=1+1"]]
    report = finalize_cycle(cycle_dir, schedule, CONFIG, targets=["odoo"], today=TODAY,
                            odoo_quants=_export(tmp_path, rows, labels))
    lines = report.files[0].read_text().splitlines()
    assert lines[0] == ",".join(labels)
    assert lines[1] == "__export__.stock_quant_12_5f1b,[000812] Bolt M6,WH/Stock/BIN-1,,1235,=1+1"
    assert "=SUM(A1)" not in "\n".join(lines)  # counted 0, no row to set: written nowhere, warned
    assert any("BIN-1/1" in note and "count of 0 is not written" in note for note in report.warnings)
    assert any(" 0042" in note for note in report.warnings)


def test_the_plain_template_for_parts_odoo_does_not_hold(counted):
    """Without the export the template's file still serves lines Odoo has no quant for (golden)."""
    from cyclekit.config import Config
    from cyclekit.folder.cycle import load_manifest
    from cyclekit.stages.finalize import _last_counts

    cycle_dir, _ = counted
    manifest = load_manifest(cycle_dir)
    lines = _last_counts(cycle_dir, manifest, Config(), None).lines
    adjustments = build_adjustments(lines, {}, manifest, CONFIG)
    cycle = CycleInfo("CC-TEST-0001", dt.date(2026, 11, 23), AS_OF)
    text = render_target("odoo", adjustments, {"cycle": cycle, "targets": CONFIG.adjustments}).text
    golden = GOLDEN / "odoo.csv"
    if os.environ.get("CYCLEKIT_UPDATE_GOLDEN") == "1":
        golden.write_text(text)
    assert text == golden.read_text()
    assert "7001,WH/Stock/BIN-2,,3" in text


def test_the_command_takes_the_export_and_names_the_option_without_it(counted, tmp_path):
    from click.testing import CliRunner

    from cyclekit.cli import cli

    cycle_dir, schedule = counted
    config = tmp_path / "cyclekit.toml"
    config.write_text('[adjustments.odoo]\nlocation_prefix = "WH/Stock/"\n')
    command = ["finalize", str(cycle_dir), "--schedule", str(schedule), "--config", str(config), "--target", "odoo"]
    refused = CliRunner().invoke(cli, command)
    assert refused.exit_code == 1 and "--odoo-quants EXPORT.csv" in refused.output
    done = CliRunner().invoke(cli, [*command, "--odoo-quants", str(_export(tmp_path, EXPORT))])
    assert done.exit_code == 0, done.output
    assert (cycle_dir / "adjustments" / "odoo.csv").read_bytes() == (GOLDEN / "odoo-quants.csv").read_bytes()
    assert "not in the cycle" in done.output
