"""Each shipped ERP file against what its importer takes (layouts.target_checks and the templates):
ERPNext's serial rows and valuation rates, Business Central's Entry Type and unit, NetSuite's bins
and lots, Fishbowl's tracking and unverified points; golden files of a plant with serials, lots,
two units of one part and found items."""

import datetime as dt
import os
import shutil
from pathlib import Path

import openpyxl
import pytest

from cyclekit.config import Config
from cyclekit.errors import ConfigError
from cyclekit.stages import schedule as api
from cyclekit.stages.finalize import finalize_cycle
from cyclekit.stages.ingest import ingest_cycle
from cyclekit.stages.sheets import Selection, start_cycle
from tests.helpers import INVENTORY_HEADER, LOCATIONS_HEADER, fill_sheet, write_csv
from tests.test_finalize import AS_OF, CONFIG, TODAY

GOLDEN = Path(__file__).parent / "golden"
ROWS = [  # line: what the counter finds
    ["BIN-1", "SRV-1", "", "Servo", "ea", "", "SN-1", "available", "1", "400.00"],  # 1: there
    ["BIN-1", "SRV-1", "", "Servo", "ea", "", "SN-2", "available", "1", "400.00"],  # 2: missing
    ["BIN-1", "SRV-1", "", "Servo", "ea", "", "SN-3", "available", "1", "400.00"],  # 3: there
    ["BIN-1", "GLUE", "", "Glue", "kg", "L7", "", "available", "2", "10.00"],  # 4: 1.5 kg
    ["BIN-1", "BOLT", "", "Bolt", "ea", "", "", "available", "100", "0.10"],  # 5: 90
    ["BIN-1", "BOLT", "", "Bolt, box of 50", "box", "", "", "available", "2", "5.00"],  # 6: 3 boxes
]
COUNTS = {1: 1, 2: 0, 3: 1, 4: "1.5", 5: 90, 6: 3}
FOUND = [("GLUE", "", "L9", "kg", 1)]  # found, costed from the part's other line


def _approve_everything(results: Path) -> None:
    book = openpyxl.load_workbook(results)
    sheet = book["Discrepancies"]
    header = [c.value for c in sheet[1]]
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row, header.index("Line ID") + 1).value:
            for name, value in (("Root Cause", "Miscounted during cycle count"), ("Approved By", "Dana Whitfield"),
                                ("Approval Date", dt.datetime(2026, 11, 24))):
                sheet.cell(row, header.index(name) + 1).value = value
    book.save(results)


def _write_found(tab, found: list) -> None:
    """Found rows typed under the sheet's own headers (this sheet has a Serial column)."""
    header = next(r for r in range(1, tab.max_row + 1) if tab.cell(r, 1).value == "#")
    columns = {tab.cell(header, c).value: c for c in range(1, tab.max_column + 1)}
    for offset, (part, revision, lot, uom, qty) in enumerate(found, start=1):
        for name, value in (("Part Number", part), ("Revision", revision), ("Lot", lot), ("UoM", uom),
                            ("Floor Count", qty)):
            tab.cell(header + offset, columns[name]).value = value


def _plant(tmp_path: Path, rows: list[list[str]] = ROWS, counts: dict = COUNTS, found: list = FOUND):
    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, rows)
    locations = write_csv(tmp_path / "locations.csv", LOCATIONS_HEADER,
                          [["BIN-1", "Cage", "Ana Ruiz", "ana@plant.example.com", "", "", "2026-01-10"]])
    schedule = tmp_path / "schedule.xlsx"
    api.write_schedule(inventory, schedule, CONFIG, locations=locations, as_of=AS_OF, today=AS_OF)
    cycle_dir = tmp_path / "cycle"
    start_cycle(schedule, inventory, cycle_dir, CONFIG, selection=Selection(all=True), as_of=AS_OF,
                cycle_id="CC-ERP-0001")
    sheet = fill_sheet(cycle_dir / "sheets" / "BIN-1.xlsx", tmp_path / "back" / "one.xlsx", counts,
                       counted_by="Ana Ruiz", edit=lambda tab: _write_found(tab, found))
    ingest_cycle(cycle_dir, CONFIG, [sheet], today=AS_OF)
    _approve_everything(cycle_dir / "results.xlsx")
    return cycle_dir, schedule


@pytest.fixture
def plant(tmp_path):
    return _plant(tmp_path)


def _golden(path: Path, name: str) -> None:
    golden = GOLDEN / name
    if os.environ.get("CYCLEKIT_UPDATE_GOLDEN") == "1":
        shutil.copy(path, golden)
    assert path.read_bytes() == golden.read_bytes(), f"{path.name} differs from {golden}"


def _warned(report, *texts: str) -> str:
    found = [w for w in report.warnings if all(t in w for t in texts)]
    assert found, f"no warning with {texts}: {report.warnings}"
    return found[0]


def test_erpnext_serials_one_row_and_rates_only_where_nothing_was_held(plant):
    cycle_dir, schedule = plant
    report = finalize_cycle(cycle_dir, schedule, CONFIG, targets=["erpnext"], today=TODAY)
    _golden(report.files[0], "erpnext-serials.csv")
    text = report.files[0].read_text()
    assert '"SN-1\nSN-3"' in text and text.count("SRV-1") == 1  # the serials found, one row
    assert ",GLUE,BIN-1,1.5,,L7," in text  # held: no rate, ERPNext keeps its own
    assert ",GLUE,BIN-1,1,10.00,L9," in text  # found where nothing was held: a rate is needed
    _warned(report, "erpnext", "more than one unit", "BIN-1/5", "BIN-1/6")


def test_erpnext_refuses_a_found_line_without_cost_unless_told(tmp_path):
    cycle_dir, schedule = _plant(tmp_path, found=[("NEW-1", "", "", "ea", 4)])
    with pytest.raises(ConfigError) as caught:
        finalize_cycle(cycle_dir, schedule, CONFIG, targets=["erpnext"], today=TODAY)
    assert "Valuation Rate required" in str(caught.value) and "BIN-1/F1" in str(caught.value)
    assert not (cycle_dir / "adjustments").exists()
    config = Config(adjustments={**CONFIG.adjustments,
                                 "erpnext": {**CONFIG.adjustments["erpnext"], "post_without_cost": True}})
    report = finalize_cycle(cycle_dir, schedule, config, targets=["erpnext"], today=TODAY)
    _warned(report, "erpnext", "BIN-1/F1", "without a valuation rate")
    assert ",NEW-1,BIN-1,4,,,,0" in report.files[0].read_text()


def test_erpnext_refuses_serials_none_of_which_was_found(tmp_path):
    cycle_dir, schedule = _plant(tmp_path, counts={**COUNTS, 1: 0, 3: 0})
    with pytest.raises(ConfigError, match="serial numbers and a quantity of 0") as caught:
        finalize_cycle(cycle_dir, schedule, CONFIG, targets=["erpnext"], today=TODAY)
    assert "BIN-1/1, BIN-1/2, BIN-1/3" in str(caught.value)


def test_business_central_sets_entry_type_and_unit_and_names_lot_lines(plant):
    cycle_dir, schedule = plant
    report = finalize_cycle(cycle_dir, schedule, CONFIG, targets=["business-central"], today=TODAY)
    _golden(report.files[0], "business-central-units.csv")
    header, *rows = report.files[0].read_text().splitlines()
    columns = header.split(",")
    assert columns.index("Entry Type") < columns.index("Item No.") < columns.index("Unit of Measure Code") \
        < columns.index("Phys. Inventory")
    assert any(",Negative Adjmt.,CC-ERP-0001,BOLT,MAIN,BIN-1,ea," in row for row in rows)
    assert any(",Positive Adjmt.,CC-ERP-0001,BOLT,MAIN,BIN-1,box," in row for row in rows)
    _warned(report, "business-central", "lot", "BIN-1/4", "BIN-1/F1", "Item Tracking Lines")
    _warned(report, "business-central", "serial", "BIN-1/2")


def test_netsuite_refuses_a_bin_with_a_lot_and_warns_a_new_bin(tmp_path):
    cycle_dir, schedule = _plant(tmp_path)
    config = Config(adjustments={**CONFIG.adjustments,
                                 "netsuite": {**CONFIG.adjustments["netsuite"], "location": "Plant 1"}})
    with pytest.raises(ConfigError) as caught:
        finalize_cycle(cycle_dir, schedule, config, targets=["netsuite"], today=TODAY)
    assert "bin and a lot or serial" in str(caught.value)
    assert "BIN-1/2, BIN-1/4, BIN-1/F1" in str(caught.value)
    report = finalize_cycle(cycle_dir, schedule, CONFIG, targets=["netsuite"], today=TODAY)  # no bins
    _warned(report, "netsuite", "more than one unit")


def test_netsuite_warns_a_found_item_in_a_bin(tmp_path):
    rows = [r for r in ROWS if not (r[5] or r[6])]
    cycle_dir, schedule = _plant(tmp_path, rows, {1: 90, 2: 3}, [("NUT", "", "", "ea", 5)])
    config = Config(adjustments={**CONFIG.adjustments, "netsuite": {
        **CONFIG.adjustments["netsuite"], "location": "Plant 1", "post_without_cost": True}})
    report = finalize_cycle(cycle_dir, schedule, config, targets=["netsuite"], today=TODAY)
    _warned(report, "netsuite", "BIN-1/F1", "associated")


def test_fishbowl_refuses_lots_without_tracking_names(plant):
    cycle_dir, schedule = plant
    config = Config(adjustments={**CONFIG.adjustments, "fishbowl": {"location_group": "Main"}})
    with pytest.raises(ConfigError) as caught:
        finalize_cycle(cycle_dir, schedule, config, targets=["fishbowl"], today=TODAY)
    message = str(caught.value)
    assert "fishbowl cannot carry the lot of 2 line(s) (BIN-1/4, BIN-1/F1)" in message and "lot_tracking" in message
    assert "serial of 1 line(s) (BIN-1/2)" in message and "nothing was written" in message
    assert not (cycle_dir / "adjustments").exists()


def test_fishbowl_carries_tracking_and_warns_what_is_unverified(plant):
    cycle_dir, schedule = plant
    config = Config(adjustments={**CONFIG.adjustments, "fishbowl": {
        "location_group": "Main", "lot_tracking": "Lot Number", "serial_tracking": "Serial Number"}})
    report = finalize_cycle(cycle_dir, schedule, config, targets=["fishbowl"], today=TODAY)
    _golden(report.files[0], "fishbowl-tracking.csv")
    assert not [w for w in report.warnings if "cannot carry" in w]
    _warned(report, "fishbowl", "BIN-1", "unverified", "location")
    _warned(report, "fishbowl", "fraction", "BIN-1/4")
    _warned(report, "fishbowl", "same part and place", "BIN-1/5, BIN-1/6")


def test_generic_names_the_serials_it_has_no_column_for(plant):
    cycle_dir, schedule = plant
    report = finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=TODAY)
    _warned(report, "generic", "serial", "BIN-1/2")
    assert not [w for w in report.warnings if "generic: the file cannot carry the lot" in w]


def test_rows_an_absolute_file_cannot_tell_apart_are_named(plant):
    """BOLT counted in ea and in boxes: one item and warehouse twice for ERPNext, one part and
    location twice for Fishbowl."""
    cycle_dir, schedule = plant
    report = finalize_cycle(cycle_dir, schedule, CONFIG, targets=["erpnext"], today=TODAY)
    _warned(report, "erpnext", "same part and place", "BIN-1/5, BIN-1/6", "Duplicate entry")
    assert not [w for w in report.warnings if "same part and place" in w and "BIN-1/4" in w]  # its lot differs
