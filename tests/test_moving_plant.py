"""A plant that keeps moving while it is counted: stock in, out, between two counted bins and
into a bin counted later. The movements export puts each line's expected quantity at the
moment its sheet was counted, and the import files carry what the ERP should hold after it."""

import csv
import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

from cyclekit.config import Config
from cyclekit.errors import InputError
from cyclekit.stages import schedule as api
from cyclekit.stages.finalize import finalize_cycle
from cyclekit.stages.ingest import ingest_cycle
from cyclekit.stages.sheets import Selection, start_cycle
from tests.helpers import INVENTORY_HEADER, fill_sheet, write_csv

AS_OF = dt.date(2026, 11, 23)
CONFIG = Config(adjustments={"fishbowl": {"location_group": "Main"}})
ROWS = [
    ["BIN-1", "P-100", "A", "Bracket", "ea", "", "", "available", "50", "2.00"],
    ["BIN-1", "P-200", "", "Motor", "ea", "", "", "available", "10", "10.00"],
    ["BIN-2", "P-100", "A", "Bracket", "ea", "", "", "available", "20", "2.00"],
    ["BIN-3", "P-300", "", "Sensor", "ea", "", "", "available", "5", "40.00"],
]
MOVES_HEADER = ["Bin", "Item", "Rev", "Lot", "Serial", "Unit", "Change", "Posted"]


def rows_of(path, tab):
    sheet = openpyxl.load_workbook(path, data_only=True)[tab]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:] if any(v is not None for v in row)]


def counted_at(when):
    """The counter writes the date and time of the count beside Counted by."""
    def edit(sheet):
        row = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 2).value == "Counted by")
        sheet.cell(row, 6).value = when
    return edit


@pytest.fixture
def plant(tmp_path):
    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, ROWS)
    schedule = tmp_path / "schedule.xlsx"
    api.write_schedule(inventory, schedule, CONFIG, as_of=AS_OF, today=AS_OF)
    cycle_dir = tmp_path / "cycle"
    start_cycle(schedule, inventory, cycle_dir, CONFIG, selection=Selection(all=True), as_of=AS_OF,
                cycle_id="CC-MOVE-0001")
    snapshot = dt.datetime.fromisoformat(json.loads((cycle_dir / "manifest.json").read_text())["created"])
    return cycle_dir, schedule, snapshot


def hours(snapshot, n):
    return snapshot + dt.timedelta(hours=n)


def movements(tmp_path, snapshot, extra=(), name="moves.csv"):
    """In, out, between two counted bins, into a bin counted later, and after the counts."""
    t = lambda n: hours(snapshot, n).isoformat(sep=" ", timespec="minutes")  # noqa: E731
    rows = [
        ["BIN-1", "P-200", "", "", "", "ea", "5", t(1)],      # in, before BIN-1 is counted (at +2 h)
        ["BIN-2", "P-100", "A", "", "", "ea", "-4", t(1)],    # out, before BIN-2 is counted (at +3 h)
        ["BIN-1", "P-100", "A", "", "", "ea", "-10", t(2.5)],  # BIN-1 -> BIN-2: after BIN-1's count,
        ["BIN-2", "P-100", "A", "", "", "ea", "10", t(2.5)],   # before BIN-2's
        ["BIN-3", "P-100", "A", "", "", "ea", "7", t(2.5)],    # into BIN-3, counted later (at +4 h)
        ["BIN-3", "P-300", "", "", "", "ea", "-1", t(5)],      # after every count
        ["BIN-9", "P-100", "A", "", "", "ea", "3", t(1)],      # a bin outside the cycle: listed
        *extra,
    ]
    return write_csv(tmp_path / name, MOVES_HEADER, rows)


MOVES_CONFIG = Config(adjustments=CONFIG.adjustments, movements=Config().movements.__class__(columns={
    "location": "Bin", "part_number": "Item", "revision": "Rev", "lot": "Lot", "serial": "Serial",
    "uom": "Unit", "quantity": "Change", "time": "Posted"}))


def count(plant, tmp_path, bin1=None, bin3_found=()):
    """Every bin counted matching what it held at its count, at +2 h, +3 h and +4 h."""
    cycle_dir, _, snapshot = plant
    back = tmp_path / "back"
    return [
        fill_sheet(cycle_dir / "sheets" / "BIN-1.xlsx", back / "b1.xlsx", bin1 or {1: 50, 2: 15},
                   counted_by="Ana", edit=counted_at(hours(snapshot, 2))),
        fill_sheet(cycle_dir / "sheets" / "BIN-2.xlsx", back / "b2.xlsx", {1: 26}, counted_by="Bo",
                   edit=counted_at(hours(snapshot, 3))),
        fill_sheet(cycle_dir / "sheets" / "BIN-3.xlsx", back / "b3.xlsx", {1: 5},
                   found=[("P-100", "A", "", "ea", 7), *bin3_found], counted_by="Cy",
                   edit=counted_at(hours(snapshot, 4))),
    ]


def test_counts_that_match_the_moved_stock_are_no_discrepancy(plant, tmp_path):
    cycle_dir, _, snapshot = plant
    files = count(plant, tmp_path)
    without = ingest_cycle(cycle_dir, MOVES_CONFIG, files, today=AS_OF)
    assert without.figures.discrepancies == 3  # the snapshot alone: BIN-1 P-200, BIN-2, BIN-3's found P-100
    report = ingest_cycle(cycle_dir, MOVES_CONFIG, today=AS_OF, movements=movements(tmp_path, snapshot))
    assert report.figures.discrepancies == 0 and not report.open_problems
    variance = {r["Line ID"]: r for r in rows_of(report.results, "Variance")}
    assert [(variance[i]["System Qty"], variance[i]["Moved Qty"], variance[i]["Expected Qty"],
             variance[i]["Variance Qty"]) for i in ("BIN-1/1", "BIN-1/2", "BIN-2/1", "BIN-3/F1")] == [
        (50, None, 50, 0), (10, 5, 15, 0), (20, 6, 26, 0), (0, 7, 7, 0)]
    moved = {(r["Location"], r["Quantity"]): r for r in rows_of(report.results, "Movements")}
    assert len(moved) == 7  # every movement listed, none dropped
    assert moved[("BIN-1", -10)]["Status"].startswith("After the count")
    assert moved[("BIN-9", 3)]["Status"] == "Location not in this cycle" and moved[("BIN-9", 3)]["Line ID"] is None
    # a later ingest without the option keeps comparing with the same export (kept in the cycle)
    again = ingest_cycle(cycle_dir, MOVES_CONFIG, today=AS_OF)
    assert again.figures.discrepancies == 0
    assert not any(note.startswith("Kept") for note in again.notes)  # its own columns and tab, not a person's
    from cyclekit.stages.status import cycle_status

    (cycle_dir / "counts.json").unlink()  # status reads the sheets again, with the same movements
    assert cycle_status(cycle_dir, MOVES_CONFIG).discrepancies == 0


def test_a_real_difference_still_shows_against_the_expected_quantity(plant, tmp_path):
    cycle_dir, _, snapshot = plant
    files = count(plant, tmp_path, bin1={1: 50, 2: 12})
    report = ingest_cycle(cycle_dir, MOVES_CONFIG, files, today=AS_OF, movements=movements(tmp_path, snapshot))
    rows = {r["Line ID"]: r for r in rows_of(report.results, "Discrepancies")}
    assert list(rows) == ["BIN-1/2"]
    assert (rows["BIN-1/2"]["System Qty"], rows["BIN-1/2"]["Moved Qty"], rows["BIN-1/2"]["Expected Qty"],
            rows["BIN-1/2"]["Variance Qty"]) == (10, 5, 15, -3)


def test_bad_movement_rows_are_problems_naming_row_and_column(plant, tmp_path):
    cycle_dir, _, snapshot = plant
    bad = [["BIN-1", "P-200", "", "", "", "ea", "1,500", hours(snapshot, 1).isoformat(sep=" ")],
           ["BIN-1", "P-200", "", "", "", "ea", "two", hours(snapshot, 1).isoformat(sep=" ")],
           ["BIN-1", "000812", "", "", "", "ea", "1", hours(snapshot, 1).date().isoformat()]]
    report = ingest_cycle(cycle_dir, MOVES_CONFIG, count(plant, tmp_path), today=AS_OF,
                          movements=movements(tmp_path, snapshot, bad))
    found = [(p.kind, p.row, p.column) for p in report.problems if p.kind == "bad-movement"]
    assert found == [("bad-movement", 9, "Change"), ("bad-movement", 10, "Change"), ("bad-movement", 11, "Posted")]
    assert report.figures.discrepancies == 0  # the rows read are used, the others never guessed


def test_a_movements_export_without_its_columns_is_refused(plant, tmp_path):
    cycle_dir, _, _ = plant
    export = write_csv(tmp_path / "wrong.csv", ["Bin", "Item"], [["BIN-1", "P-200"]])
    with pytest.raises(InputError, match="movements export cannot be read"):
        ingest_cycle(cycle_dir, MOVES_CONFIG, count(plant, tmp_path), today=AS_OF, movements=export)
    assert not (cycle_dir / "results.xlsx").exists()


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_absolute_files_carry_the_stock_moved_after_each_count(plant, tmp_path):
    cycle_dir, schedule, snapshot = plant
    files = count(plant, tmp_path, bin1={1: 48, 2: 15})  # BIN-1 P-100: 2 short of the 50 it held at +2 h
    ingest_cycle(cycle_dir, MOVES_CONFIG, files, today=AS_OF, movements=movements(tmp_path, snapshot))
    # a later export, up to the import: one more movement into BIN-1 after its count
    later = movements(tmp_path, snapshot, [["BIN-1", "P-100", "A", "", "", "ea", "3", hours(snapshot, 6).isoformat(
        sep=" ", timespec="minutes")]], name="later.csv")
    report = finalize_cycle(cycle_dir, schedule, MOVES_CONFIG, targets=["generic", "fishbowl"], today=AS_OF,
                            movements=later)
    fishbowl = {r["Location"]: r for r in read_csv(cycle_dir / "adjustments" / "fishbowl.csv")}
    generic = {r["location"]: r for r in read_csv(cycle_dir / "adjustments" / "generic.csv")}
    # the ERP holds 50 - 10 + 3 after the count; the shelf was 2 short: 41, not the 48 counted
    assert fishbowl["Main-BIN-1"]["Qty"] == "41"
    assert generic["BIN-1"]["adjust_qty"] == "-2"  # a difference holds whatever moved since
    valid = [w for w in report.warnings if w.startswith("fishbowl sets absolute quantities valid up to")]
    assert len(valid) == 1 and hours(snapshot, 6).isoformat(sep=" ", timespec="minutes") in valid[0]
    assert not any("generic sets absolute" in w for w in report.warnings)
    from cyclekit.stages.verify import verify_cycle

    checked = verify_cycle(cycle_dir)
    assert checked.ok and not checked.not_checked
    manifest = json.loads((cycle_dir / "manifest.json").read_text())
    assert "movements/moves.csv" in manifest["finalized"]["inputs"]  # the export the results were made with
    (cycle_dir / "movements" / "moves.csv").write_text("changed")
    assert [Path(p).parts[-2:] for p in verify_cycle(cycle_dir).changed] == [("movements", "moves.csv")]


def test_the_odoo_export_is_completed_with_the_stock_moved_after_each_count(plant, tmp_path):
    """Odoo sets what its export's rows say: the count plus what moved after it, as for any file
    that sets quantities."""
    from dataclasses import replace

    cycle_dir, schedule, snapshot = plant
    ingest_cycle(cycle_dir, MOVES_CONFIG, count(plant, tmp_path, bin1={1: 48, 2: 15}), today=AS_OF,
                 movements=movements(tmp_path, snapshot))
    later = movements(tmp_path, snapshot, [["BIN-1", "P-100", "A", "", "", "ea", "3", hours(snapshot, 6).isoformat(
        sep=" ", timespec="minutes")]], name="later.csv")
    export = write_csv(tmp_path / "quants.csv", ["id", "product_id", "location_id", "lot_id", "inventory_quantity"],
                       [["7", "P-100", "WH/Stock/BIN-1", "", ""], ["8", "P-200", "WH/Stock/BIN-1", "", ""]])
    config = replace(MOVES_CONFIG, adjustments={**MOVES_CONFIG.adjustments, "odoo": {"location_prefix": "WH/Stock/"}})
    report = finalize_cycle(cycle_dir, schedule, config, targets=["odoo"], today=AS_OF, movements=later,
                            odoo_quants=export)
    rows = {r["id"]: r["inventory_quantity"] for r in read_csv(cycle_dir / "adjustments" / "odoo.csv") if r["id"]}
    assert rows == {"7": "41", "8": "15"}  # 48 counted, then 10 out and 3 in; P-200 did not move
    assert any(w.startswith("odoo sets absolute quantities valid up to") for w in report.warnings)


def test_a_later_export_that_rewrites_the_counted_past_is_refused(plant, tmp_path):
    cycle_dir, schedule, snapshot = plant
    ingest_cycle(cycle_dir, MOVES_CONFIG, count(plant, tmp_path), today=AS_OF, movements=movements(tmp_path, snapshot))
    late = movements(tmp_path, snapshot, [["BIN-2", "P-100", "A", "", "", "ea", "-1", hours(snapshot, 1).isoformat(
        sep=" ", timespec="minutes")]], name="late.csv")  # posted late, dated before BIN-2's count
    with pytest.raises(InputError, match=r"other movements before the count of 1 line\(s\) \(BIN-2/1\)"):
        finalize_cycle(cycle_dir, schedule, MOVES_CONFIG, targets=["fishbowl"], today=AS_OF, movements=late)
    assert not (cycle_dir / "adjustments").exists()


def decide(results, from_line, decision, by="Dana Whitfield"):
    """The reviewer picks Accept or Reject in the Transfers tab (openpyxl stands in for Excel)."""
    book = openpyxl.load_workbook(results)
    sheet = book["Transfers"]
    header = [c.value for c in sheet[1]]
    row = next(r for r in range(2, sheet.max_row + 1)
               if sheet.cell(r, header.index("From Line ID") + 1).value == from_line)
    sheet.cell(row, header.index("Decision") + 1).value = decision
    sheet.cell(row, header.index("Decided By") + 1).value = by
    book.save(results)


def finalize_copy(plant, tmp_path, name):
    import shutil

    cycle_dir, schedule, _ = plant
    copy = tmp_path / name
    shutil.copytree(cycle_dir, copy / "cycle")
    shutil.copy2(schedule, copy / "schedule.xlsx")
    report = finalize_cycle(copy / "cycle", copy / "schedule.xlsx", MOVES_CONFIG, targets=["generic", "fishbowl"],
                            today=AS_OF)
    return report, copy / "cycle" / "adjustments"


def test_moved_not_missing_is_suggested_and_once_accepted_written_as_a_transfer(plant, tmp_path):
    cycle_dir, _, snapshot = plant
    # BIN-1 held 50 of P-100 at its count and 3 are missing; BIN-2 held 26 and has 3 too many
    files = count(plant, tmp_path, bin1={1: 47, 2: 15})
    files[1] = fill_sheet(cycle_dir / "sheets" / "BIN-2.xlsx", tmp_path / "back" / "b2.xlsx", {1: 29},
                          counted_by="Bo", edit=counted_at(hours(snapshot, 3)))
    report = ingest_cycle(cycle_dir, MOVES_CONFIG, files, today=AS_OF, movements=movements(tmp_path, snapshot))
    [suggested] = rows_of(report.results, "Transfers")
    assert (suggested["Transfer"], suggested["From Location"], suggested["To Location"], suggested["Part Number"],
            suggested["Quantity"], suggested["Value"], suggested["Decision"]) == (
        "T1", "BIN-1", "BIN-2", "P-100", 3, 6, None)
    notes = {r["Line ID"]: r["Transfer"] for r in rows_of(report.results, "Discrepancies")}
    assert notes["BIN-1/1"].startswith("T1: 3 moved to BIN-2, suggested")
    # nothing paired without the reviewer: a write-off and a write-on, and said
    undecided, folder = finalize_copy(plant, tmp_path, "undecided")
    assert {r["location"]: r["adjust_qty"] for r in read_csv(folder / "generic.csv")} == {"BIN-1": "-3", "BIN-2": "3"}
    assert not (folder / "transfers.csv").exists() and undecided.transfers == 0
    assert any(w.startswith("1 suggested transfer(s) not accepted") for w in undecided.warnings)
    # accepted, and still accepted after another ingest
    decide(report.results, "BIN-1/1", "Accept")
    again = ingest_cycle(cycle_dir, MOVES_CONFIG, today=AS_OF)
    assert rows_of(again.results, "Transfers")[0]["Decision"] == "Accept"
    notes = {r["Line ID"]: r["Transfer"] for r in rows_of(again.results, "Discrepancies")}
    assert notes == {"BIN-1/1": "T1: 3 moved to BIN-2, accepted", "BIN-2/1": "T1: 3 moved from BIN-1, accepted"}
    accepted, folder = finalize_copy(plant, tmp_path, "accepted")
    [transfer] = read_csv(folder / "transfers.csv")
    assert (transfer["quantity"], transfer["from_location"], transfer["to_location"], transfer["from_line_id"],
            transfer["to_line_id"], transfer["value"], transfer["decided_by"]) == (
        "3", "BIN-1", "BIN-2", "BIN-1/1", "BIN-2/1", "6.00", "Dana Whitfield")
    assert read_csv(folder / "generic.csv") == [] and read_csv(folder / "fishbowl.csv") == []
    assert accepted.transfers == 1 and folder / "transfers.csv" in accepted.files
    [reviewed] = rows_of(folder / "review.xlsx", "Transfers")  # beside the adjustments, to read in Excel
    assert (reviewed["Transfer"], reviewed["Quantity"], reviewed["From Line ID"], reviewed["To Line ID"]) == (
        "T1", 3, "BIN-1/1", "BIN-2/1")


def test_a_partly_explained_shortage_adjusts_only_what_the_transfer_leaves(plant, tmp_path):
    cycle_dir, _, snapshot = plant
    files = count(plant, tmp_path, bin1={1: 45, 2: 15})  # 5 short in BIN-1; BIN-3 has 2 it should not
    files[2] = fill_sheet(cycle_dir / "sheets" / "BIN-3.xlsx", tmp_path / "back" / "b3.xlsx", {1: 5},
                          found=[("P-100", "A", "", "ea", 9)], counted_by="Cy", edit=counted_at(hours(snapshot, 4)))
    report = ingest_cycle(cycle_dir, MOVES_CONFIG, files, today=AS_OF, movements=movements(tmp_path, snapshot))
    decide(report.results, "BIN-1/1", "accept")
    _, folder = finalize_copy(plant, tmp_path, "partly")
    assert [(r["from_line_id"], r["to_line_id"], r["quantity"]) for r in read_csv(folder / "transfers.csv")] == [
        ("BIN-1/1", "BIN-3/F1", "2")]
    [left] = read_csv(folder / "generic.csv")
    assert (left["location"], left["adjust_qty"], left["adjust_value"]) == ("BIN-1", "-3", "-6.00")
    assert "2 moved to BIN-3 by transfer T1" in left["reason"]
    # the absolute file, imported after the transfer, sets what the shelf holds (+ moved after the count)
    fishbowl = {r["Location"]: r["Qty"] for r in read_csv(folder / "fishbowl.csv")}
    assert fishbowl == {"Main-BIN-1": "35"}


def test_libreoffice_computes_the_expected_quantities_the_results_show(soffice, plant, tmp_path):
    from cyclekit.backends.libreoffice import recalculate

    cycle_dir, _, snapshot = plant
    report = ingest_cycle(cycle_dir, MOVES_CONFIG, count(plant, tmp_path, bin1={1: 47, 2: 15}), today=AS_OF,
                          movements=movements(tmp_path, snapshot))
    [fresh] = recalculate([report.results], tmp_path / "lo")
    for tab in ("Variance",):
        cached, again = rows_of(report.results, tab), rows_of(fresh, tab)
        assert len(cached) == len(again) == 5
        for before, after in zip(cached, again, strict=True):
            for name in ("Expected Qty", "Variance Qty", "Variance %", "Variance Value", "Within Tolerance"):
                assert after[name] == before[name], (before["Line ID"], name)
    by_id = {r["Line ID"]: r for r in rows_of(fresh, "Variance")}
    assert (by_id["BIN-1/2"]["Expected Qty"], by_id["BIN-1/2"]["Variance Qty"]) == (15, 0)
    assert (by_id["BIN-1/1"]["Expected Qty"], by_id["BIN-1/1"]["Variance Qty"]) == (50, -3)


def test_a_decision_taken_for_another_quantity_is_cleared_and_said(plant, tmp_path):
    cycle_dir, _, snapshot = plant
    files = count(plant, tmp_path, bin1={1: 47, 2: 15})
    files[1] = fill_sheet(cycle_dir / "sheets" / "BIN-2.xlsx", tmp_path / "back" / "b2.xlsx", {1: 29},
                          counted_by="Bo", edit=counted_at(hours(snapshot, 3)))
    report = ingest_cycle(cycle_dir, MOVES_CONFIG, files, today=AS_OF, movements=movements(tmp_path, snapshot))
    decide(report.results, "BIN-1/1", "Accept")
    # BIN-2 corrected: 2 over, not 3; the transfer suggested is now 2, and was accepted for 3
    corrected = fill_sheet(cycle_dir / "sheets" / "BIN-2.xlsx", tmp_path / "back" / "b2.xlsx", {1: 28},
                           counted_by="Bo", edit=counted_at(hours(snapshot, 3)))
    again = ingest_cycle(cycle_dir, MOVES_CONFIG, [corrected], today=AS_OF)
    [row] = rows_of(again.results, "Transfers")
    assert (row["Quantity"], row["Decision"], row["Decided By"]) == (2, None, "Dana Whitfield")
    assert row["Notes"].startswith("QUANTITY CHANGED: 3 when decided (Accept), 2 now")


def test_the_command_line_takes_the_movements_export(plant, tmp_path):
    from click.testing import CliRunner

    from cyclekit.cli import cli

    cycle_dir, schedule, snapshot = plant
    files = count(plant, tmp_path, bin1={1: 47, 2: 15})
    files[1] = fill_sheet(cycle_dir / "sheets" / "BIN-2.xlsx", tmp_path / "back" / "b2.xlsx", {1: 29},
                          counted_by="Bo", edit=counted_at(hours(snapshot, 3)))
    config = tmp_path / "cyclekit.toml"
    config.write_text('[movements.columns]\nlocation = "Bin"\npart_number = "Item"\nrevision = "Rev"\nlot = "Lot"\n'
                      'serial = "Serial"\nuom = "Unit"\nquantity = "Change"\ntime = "Posted"\n', encoding="utf-8")
    moves = movements(tmp_path, snapshot)
    ingested = CliRunner().invoke(cli, ["ingest", str(cycle_dir), *map(str, files), "--movements", str(moves),
                                        "--config", str(config)])
    assert ingested.exit_code == 0, ingested.output
    assert "2 discrepancies" in ingested.output  # BIN-1 3 short, BIN-2 3 over: the moves themselves are none
    decide(cycle_dir / "results.xlsx", "BIN-1/1", "Accept")
    done = CliRunner().invoke(cli, ["finalize", str(cycle_dir), "--schedule", str(schedule), "--config", str(config)])
    assert done.exit_code == 0, done.output
    assert "1 accepted transfer written as transfers: import them before the adjustments." in done.output
    assert "transfers.csv" in done.output


def test_erpnext_gets_its_own_transfer_file_others_the_generic_one(plant, tmp_path):
    cycle_dir, schedule, snapshot = plant
    files = count(plant, tmp_path, bin1={1: 47, 2: 15})
    files[1] = fill_sheet(cycle_dir / "sheets" / "BIN-2.xlsx", tmp_path / "back" / "b2.xlsx", {1: 29},
                          counted_by="Bo", edit=counted_at(hours(snapshot, 3)))
    report = ingest_cycle(cycle_dir, MOVES_CONFIG, files, today=AS_OF, movements=movements(tmp_path, snapshot))
    decide(report.results, "BIN-1/1", "Accept")
    config = Config(movements=MOVES_CONFIG.movements, adjustments={
        **CONFIG.adjustments, "erpnext": {"company": "Example Plant Ltd", "expense_account": "Stock Adjustment - EP",
                                          "warehouse_suffix": " - EP"}})
    done = finalize_cycle(cycle_dir, schedule, config, targets=["erpnext", "fishbowl"], today=AS_OF)
    folder = cycle_dir / "adjustments"
    assert {p.name for p in done.files} >= {"transfers-erpnext.csv", "transfers.csv", "erpnext.csv", "fishbowl.csv"}
    [entry] = read_csv(folder / "transfers-erpnext.csv")
    assert (entry["company"], entry["stock_entry_type"], entry["items.item_code"], entry["items.s_warehouse"],
            entry["items.t_warehouse"], entry["items.qty"], entry["items.conversion_factor"]) == (
        "Example Plant Ltd", "Material Transfer", "P-100", "BIN-1 - EP", "BIN-2 - EP", "3", "1")
    assert read_csv(folder / "erpnext.csv") == []  # both lines explained by the transfer
    assert [r["transfer_id"] for r in read_csv(folder / "transfers.csv")] == ["T1"]  # fishbowl: the generic format


def test_a_count_date_that_cannot_be_read_is_a_problem_and_the_cycles_date_is_taken(plant, tmp_path):
    cycle_dir, _, snapshot = plant
    files = count(plant, tmp_path)
    files[0] = fill_sheet(cycle_dir / "sheets" / "BIN-1.xlsx", tmp_path / "back" / "b1.xlsx", {1: 50, 2: 15},
                          counted_by="Ana", edit=counted_at("after lunch"))
    report = ingest_cycle(cycle_dir, MOVES_CONFIG, files, today=AS_OF, movements=movements(tmp_path, snapshot))
    [problem] = [p for p in report.problems if p.kind == "bad-count-time"]
    assert problem.value == "after lunch" and problem.sheet and "count date" in problem.message
