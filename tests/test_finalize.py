"""Finalize: approvals, ERP files (golden), schedule moved on with user edits kept, lock, verify."""

import datetime as dt
import os
import shutil
from pathlib import Path

import openpyxl
import pytest

from cyclekit.backends.libreoffice import recalculate
from cyclekit.config import Config, CountConfig
from cyclekit.errors import CycleError, CyclekitError, InputError
from cyclekit.layouts.adjustments import shipped_targets
from cyclekit.stages import schedule as api
from cyclekit.stages.finalize import finalize_cycle
from cyclekit.stages.ingest import ingest_cycle
from cyclekit.stages.sheets import Selection, start_cycle
from cyclekit.stages.status import cycle_status
from cyclekit.stages.verify import verify_cycle
from tests.helpers import INVENTORY_HEADER, LOCATIONS_HEADER, fill_sheet, write_csv
from tests.test_results import document

GOLDEN = Path(__file__).parent / "golden"
AS_OF = dt.date(2026, 11, 23)
TODAY = dt.date(2026, 11, 24)
CONFIG = Config(adjustments={"netsuite": {"account": "5100 Shrinkage, inventory", "subsidiary": "Plant 1"},
                             "odoo": {"location_prefix": "WH/Stock/"},
                             "erpnext": {"company": "Example Plant Ltd", "expense_account": "Stock Adjustment - EP"},
                             "business-central": {"location_code": "MAIN"},
                             "fishbowl": {"location_group": "Main", "lot_tracking": "Lot Number"}})
ROWS = [
    ["BIN-1", "=SUM(A1)", "01", 'Contact, gold "hard"', "ea", "0042", "", "available", "10", "12.50"],
    ["BIN-1", "000812", "1", "Bolt M6", "ea", "", "", "available", "1,234", "0.15"],
    ["BIN-1", "1E5", "", "Adhesive", "kg", "L7", "", "available", "0.3", "88.10"],
    ["BIN-2", "1.50", "A", "Cable", "m", "", "", "available", "12.5", "3.20"],
]


@pytest.fixture
def cycle(tmp_path):
    """One cycle counted: =SUM(A1) 10 -> 4 (Major), 000812 one over, 1E5 0.3 -> 0.1, cable exact."""
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
    files = [fill_sheet(cycle_dir / "sheets" / "BIN-1.xlsx", back / "one.xlsx", {1: 4, 2: 1235, 3: "0.1"},
                        counted_by="Ana Ruiz"),
             fill_sheet(cycle_dir / "sheets" / "BIN-2.xlsx", back / "two.xlsx", {1: 12.5}, counted_by="Bo Lind")]
    ingest_cycle(cycle_dir, CONFIG, files, today=AS_OF)
    return cycle_dir, schedule, files


def approve_all(cycle_dir):
    document(cycle_dir / "results.xlsx", "BIN-1/1", Root_Cause="Theft or loss", Status="Resolved",
             Approved_By="Dana Whitfield", Approval_Date=dt.datetime(2026, 11, 24))
    document(cycle_dir / "results.xlsx", "BIN-1/2", Root_Cause="Miscounted during cycle count",
             Status="Under Investigation")


def test_refuses_without_approval_and_writes_nothing(cycle):
    cycle_dir, schedule, _ = cycle
    before = schedule.read_bytes()
    with pytest.raises(InputError) as caught:
        finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=TODAY)
    messages = [p.message for p in caught.value.problems]
    assert len(messages) == 1 and "BIN-1/1" in messages[0] and "Approved By and no Approval Date" in messages[0]
    assert "cannot be finalized yet" in str(caught.value)
    assert schedule.read_bytes() == before
    assert not (cycle_dir / "adjustments").exists()
    assert not any(p.name.startswith("schedule-before") for p in cycle_dir.iterdir())
    assert cycle_status(cycle_dir, CONFIG).finalized_at is None


def test_unresolved_problem_blocks_until_resolved(cycle, tmp_path):
    cycle_dir, schedule, files = cycle
    bad = fill_sheet(cycle_dir / "sheets" / "BIN-2.xlsx", tmp_path / "back" / "two.xlsx", {1: "12.5 m"})
    ingest_cycle(cycle_dir, CONFIG, [files[0], bad], today=AS_OF)
    approve_all(cycle_dir)
    with pytest.raises(InputError, match="write a Resolution in the Problems tab"):
        finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=TODAY)
    book = openpyxl.load_workbook(cycle_dir / "results.xlsx")
    book["Problems"]["G2"] = "Counter confirmed 12.5 m; recount next cycle"
    book.save(cycle_dir / "results.xlsx")
    report = finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=TODAY)
    assert report.adjustments == 3
    assert report.history.lines_counted == 3
    assert report.locations_moved == ["BIN-1"]  # BIN-2's only line was not counted: it stays due


def test_changed_sheet_after_ingest_needs_a_new_ingest(cycle):
    cycle_dir, schedule, files = cycle
    approve_all(cycle_dir)
    fill_sheet(files[1], cycle_dir / "returned" / files[1].name, {1: 12})  # the copy the cycle keeps
    with pytest.raises(CycleError, match="changed after the last ingest"):
        finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=TODAY)


# odoo: its file for lines Odoo holds is Odoo's own export completed (tests/test_odoo_quants.py)
@pytest.mark.parametrize("target", ["generic", "netsuite", "erpnext", "business-central", "fishbowl"])
def test_adjustment_files_match_golden(cycle, target):
    cycle_dir, schedule, _ = cycle
    approve_all(cycle_dir)
    report = finalize_cycle(cycle_dir, schedule, CONFIG, targets=[target], today=TODAY)
    [path] = report.files
    golden = GOLDEN / path.name
    if os.environ.get("CYCLEKIT_UPDATE_GOLDEN") == "1":
        shutil.copy(path, golden)
    assert path.read_bytes() == golden.read_bytes(), f"{path.name} differs from {golden}"


def test_every_shipped_target_is_tested():
    assert shipped_targets() == sorted(["generic", "netsuite", "odoo", "erpnext", "business-central", "fishbowl"])


def test_exact_values_in_generic_file(cycle):
    cycle_dir, schedule, _ = cycle
    approve_all(cycle_dir)
    text = finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=TODAY).files[0].read_text()
    lines = text.splitlines()
    assert len(lines) == 4  # header + three discrepancies; the exact cable line is not adjusted
    assert lines[1].startswith("BIN-1,=SUM(A1),01,0042,ea,10,4,-6,12.50,-75.00,")
    assert lines[2].startswith("BIN-1,000812,1,,ea,1234,1235,1,0.15,0.15,")
    assert lines[3].startswith("BIN-1,1E5,,L7,kg,0.3,0.1,-0.2,88.10,-17.62,")
    assert "0.30000000000000004" not in text and "e-" not in text


def test_finalize_reuses_the_counts_of_the_last_ingest_only_while_they_hold(cycle, monkeypatch, tmp_path):
    import cyclekit.stages.finalize

    cycle_dir, schedule, _ = cycle
    approve_all(cycle_dir)
    read_again = []
    real = cyclekit.stages.finalize.count_state
    monkeypatch.setattr(cyclekit.stages.finalize, "count_state", lambda *a: read_again.append(1) or real(*a))

    def finalize_copy(name, config=CONFIG, edit=None):
        copy = tmp_path / name
        shutil.copytree(cycle_dir, copy / "cycle")
        shutil.copy2(schedule, copy / "schedule.xlsx")
        if edit:
            edit(copy / "cycle" / "counts.json")
        return finalize_cycle(copy / "cycle", copy / "schedule.xlsx", config, targets=["generic"],
                              today=TODAY).files[0].read_text()

    assert "BIN-1,=SUM(A1),01,0042,ea,10,4,-6," in finalize_copy("as-ingested")
    assert read_again == []  # unchanged sheets, unchanged rules: the saved counts were used
    tampered = finalize_copy("tampered", edit=lambda p: p.write_text(p.read_text().replace('"4"', '"9"')))
    assert read_again == [1] and "BIN-1,=SUM(A1),01,0042,ea,10,4,-6," in tampered
    other_rules = Config(adjustments=CONFIG.adjustments, count=CountConfig(max_snapshot_age_days=99))
    finalize_copy("other-rules", other_rules)
    assert read_again == [1, 1]


def test_user_template(cycle, tmp_path):
    cycle_dir, schedule, _ = cycle
    approve_all(cycle_dir)
    template = tmp_path / "mine.csv.j2"
    template.write_text('{%- set mode = "absolute" -%}\n{{ csv_row(["Item", "Qty"]) }}\n'
                        '{% for a in adjustments %}\n{{ csv_row([a.part_number, a.counted_qty]) }}\n{% endfor %}\n')
    report = finalize_cycle(cycle_dir, schedule, CONFIG, templates=[template], today=TODAY)
    assert report.files[0].name == "mine.csv"
    assert report.files[0].read_text() == "Item,Qty\n=SUM(A1),4\n000812,1235\n1E5,0.1\n"


def test_old_snapshot_warns_for_absolute_targets(cycle):
    cycle_dir, schedule, _ = cycle
    approve_all(cycle_dir)
    config = Config(count=CountConfig(max_snapshot_age_days=0), adjustments=CONFIG.adjustments)
    report = finalize_cycle(cycle_dir, schedule, config, targets=["generic", "fishbowl"],
                            today=dt.date.today() + dt.timedelta(days=2))
    absolute = [w for w in report.warnings if "sets absolute" in w]
    assert len(absolute) == 1 and absolute[0].startswith("fishbowl sets absolute quantities")
    # BIN-1's Major line was sent for a recount that never came back: said, not blocking
    assert any(w.startswith("1 recount sheet(s) came back with no line recounted") for w in report.warnings)


def test_schedule_moves_on_and_keeps_what_the_user_changed(soffice, cycle, tmp_path):
    cycle_dir, schedule, _ = cycle
    approve_all(cycle_dir)
    # the lead changed a cadence and an owner, wrote a note and added a column (in LibreOffice)
    book = openpyxl.load_workbook(schedule)
    sheet = book["Schedule"]
    sheet["I3"], sheet["C3"], sheet["N2"], sheet["O1"], sheet["O2"] = 45, "Cy Park", "gate code 1234", "Aisle", "07"
    book.save(schedule)
    [saved] = recalculate([schedule], tmp_path / "lo")
    shutil.copy(saved, schedule)

    report = finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=TODAY)
    assert sorted(report.locations_moved) == ["BIN-1", "BIN-2"]
    assert (cycle_dir / "schedule-before-CC-TEST-0001.xlsx").is_file()
    [fresh] = recalculate([schedule], tmp_path / "lo2")
    rows = list(openpyxl.load_workbook(fresh, data_only=True)["Schedule"].iter_rows(values_only=True))
    header, by = rows[0], {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert header[-1] == "Aisle"
    assert by["BIN-1"]["Notes"] == "gate code 1234" and by["BIN-1"]["Aisle"] == "07"
    assert (by["BIN-2"]["Owner"], by["BIN-2"]["Cadence (days)"]) == ("Cy Park", 45)
    assert by["BIN-1"]["Last Count"].date() == AS_OF
    # moved by up to [schedule] level_tolerance_days to level the weeks (BIN-2's typed cadence is never moved)
    levelled = by["BIN-1"].get("Levelled (days)") or 0
    assert abs(levelled) <= 7 and "Levelled (days)" in header
    assert by["BIN-1"]["Next Count"].date() == AS_OF + dt.timedelta(days=by["BIN-1"]["Cadence (days)"] + levelled)
    assert by["BIN-2"]["Next Count"].date() == AS_OF + dt.timedelta(days=45)
    assert by["BIN-2"]["Days Until Due"] == (AS_OF + dt.timedelta(days=45) - dt.date.today()).days

    history_book = openpyxl.load_workbook(schedule)
    history = list(history_book["History"].iter_rows(values_only=True))
    assert history[0][:7] == ("Cycle", "Count Date", "Finalized On", "Locations", "Lines Counted",
                              "Discrepancies", "Discrepancy Rate")
    assert history[1][0] == "CC-TEST-0001" and history[1][4:7] == (4, 3, 0.75)
    assert history_book["History"]._charts, "the History tab has its discrepancy-rate chart"


def test_history_accumulates_across_cycles(cycle, tmp_path):
    cycle_dir, schedule, _ = cycle
    approve_all(cycle_dir)
    finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=TODAY)
    inventory = tmp_path / "inventory.csv"
    second = start_cycle(schedule, inventory, tmp_path / "cycle2", CONFIG, selection=Selection(locations=("BIN-2",)),
                         as_of=dt.date(2026, 12, 23), cycle_id="CC-TEST-0002")
    filled = fill_sheet(second.cycle_dir / "sheets" / "BIN-2.xlsx", tmp_path / "back2" / "b.xlsx", {1: 12.5})
    ingest_cycle(second.cycle_dir, CONFIG, [filled])
    finalize_cycle(second.cycle_dir, schedule, CONFIG, targets=["generic"], today=dt.date(2026, 12, 24))
    history = list(openpyxl.load_workbook(schedule, data_only=True)["History"].iter_rows(values_only=True))
    assert [row[0] for row in history[1:]] == ["CC-TEST-0001", "CC-TEST-0002"]
    assert history[2][6] == 0


def test_lock_and_verify(cycle):
    cycle_dir, schedule, files = cycle
    approve_all(cycle_dir)
    finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=TODAY)
    assert verify_cycle(cycle_dir).ok
    with pytest.raises(CycleError, match="finalized"):
        ingest_cycle(cycle_dir, CONFIG, files)
    with pytest.raises(CycleError, match="already finalized"):
        finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=TODAY)
    adjustments = cycle_dir / "adjustments" / "generic.csv"
    adjustments.write_text(adjustments.read_text().replace("-6", "-5"))
    kept = cycle_dir / "returned" / files[0].name  # the copy of the filled sheet the cycle keeps
    kept.unlink()
    result = verify_cycle(cycle_dir)
    assert result.changed == [str(adjustments)] and result.missing == [str(kept)]
    assert cycle_status(cycle_dir, CONFIG).finalized_at


def test_status_reads_the_saved_counts_while_the_sheets_are_unchanged(cycle, monkeypatch):
    import cyclekit.stages.status

    cycle_dir, _, files = cycle
    read_again = []
    real = cyclekit.stages.status.count_state
    monkeypatch.setattr(cyclekit.stages.status, "count_state", lambda *a: read_again.append(1) or real(*a))
    saved = cycle_status(cycle_dir, CONFIG)
    assert read_again == []
    (cycle_dir / "counts.json").unlink()
    assert cycle_status(cycle_dir, CONFIG) == saved and read_again == [1]
    assert (saved.sheets_returned, saved.lines_counted, saved.open) == (2, 4, 3)


def test_a_schedule_written_over_a_finalized_one_keeps_its_counts_and_history(cycle, tmp_path):
    cycle_dir, schedule, _ = cycle
    approve_all(cycle_dir)
    finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=TODAY)
    book = openpyxl.load_workbook(schedule)
    sheet = book["Schedule"]
    header = [c.value for c in sheet[1]]
    sheet.cell(sheet.max_row + 1, header.index("Location") + 1).value = "NEW-BIN"  # a row typed by hand
    book.save(schedule)
    # next month: a new export, the same locations file (its last counts are older than finalize's)
    report = api.write_schedule(tmp_path / "inventory.csv", schedule, CONFIG, locations=tmp_path / "locations.csv",
                                as_of=dt.date(2026, 12, 20), today=dt.date(2026, 12, 20))
    assert (report.kept_last_counts, report.kept_rows, report.kept_history) == (2, 1, 1)
    rows = list(openpyxl.load_workbook(schedule, data_only=True)["Schedule"].iter_rows(values_only=True))
    by = {row[header.index("Location")]: dict(zip(rows[0], row, strict=False)) for row in rows[1:] if row[0]}
    assert by["BIN-1"]["Last Count"].date() == AS_OF and by["BIN-2"]["Last Count"].date() == AS_OF
    assert "NEW-BIN" in by
    history = list(openpyxl.load_workbook(schedule, data_only=True)["History"].iter_rows(values_only=True))
    assert [row[0] for row in history[1:]] == ["CC-TEST-0001"]


def test_a_schedule_is_never_written_over_a_file_that_is_not_one(tmp_path):
    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, ROWS)
    other = tmp_path / "budget.xlsx"
    book = openpyxl.Workbook()
    book.active["A1"] = "Q4 budget"
    book.save(other)
    before = other.read_bytes()
    with pytest.raises(CyclekitError, match="not a cyclekit schedule"):
        api.write_schedule(inventory, other, CONFIG, as_of=AS_OF)
    assert other.read_bytes() == before


def test_a_location_not_returned_blocks_finalize_unless_partial(tmp_path):
    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, ROWS)
    schedule = tmp_path / "schedule.xlsx"
    api.write_schedule(inventory, schedule, CONFIG, as_of=AS_OF, today=AS_OF)
    cycle_dir = tmp_path / "cycle"
    start_cycle(schedule, inventory, cycle_dir, CONFIG, selection=Selection(all=True), as_of=AS_OF)
    filled = fill_sheet(cycle_dir / "sheets" / "BIN-2.xlsx", tmp_path / "back" / "two.xlsx", {1: 12.5},
                        counted_by="Bo Lind")
    ingest_cycle(cycle_dir, CONFIG, [filled], today=AS_OF)
    before = sorted(p.name for p in cycle_dir.rglob("*"))
    with pytest.raises(InputError) as refused:
        finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=TODAY)
    [problem] = refused.value.problems
    assert problem.kind == "not-returned" and "BIN-1" in problem.message and "--partial" in problem.message
    assert sorted(p.name for p in cycle_dir.rglob("*")) == before
    report = finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=TODAY, partial=True)
    assert report.locations_moved == ["BIN-2"]
    assert any("never returned their sheet (BIN-1)" in w for w in report.warnings)


def test_an_approval_from_the_future_or_an_unknown_status_blocks(cycle):
    cycle_dir, schedule, _ = cycle
    approve_all(cycle_dir)
    document(cycle_dir / "results.xlsx", "BIN-1/1", Approval_Date=dt.datetime(2030, 1, 1))
    document(cycle_dir / "results.xlsx", "BIN-1/2", Status="Donezo")
    with pytest.raises(InputError) as refused:
        finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=TODAY)
    assert sorted((p.kind, p.value) for p in refused.value.problems) == [
        ("bad-date", "2030-01-01"), ("bad-status", "Donezo")]


def test_finalize_says_what_it_posts_undocumented(cycle):
    cycle_dir, schedule, _ = cycle
    approve_all(cycle_dir)  # BIN-1/3 (0.3 kg -> 0.1) is left without a Root Cause
    report = finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=TODAY)
    assert any(w.startswith("1 discrepancy(ies) posted with no Root Cause (BIN-1/3)") for w in report.warnings)


def test_the_adjustments_come_as_a_workbook_to_review_too(cycle):
    cycle_dir, schedule, _ = cycle
    approve_all(cycle_dir)
    report = finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=TODAY)
    assert report.review == cycle_dir / "adjustments" / "review.xlsx"
    assert [p.name for p in report.files] == ["generic.csv"]
    sheet = openpyxl.load_workbook(report.review)["Adjustments"]
    header = [c.value for c in sheet[1]]
    rows = {r[0]: dict(zip(header, r)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    bolt = rows["BIN-1/2"]
    assert (bolt["Part Number"], bolt["Revision"], bolt["Adjustment Qty"]) == ("000812", "1", 1)  # text stays text
    assert rows["BIN-1/1"]["Part Number"] == "=SUM(A1)" and rows["BIN-1/1"]["Adjustment Qty"] == -6
    assert sheet.cell(2, header.index("Part Number") + 1).data_type == "s"


def test_an_approval_date_typed_after_the_last_ingest_is_read_as_ingest_reads_it(cycle):
    cycle_dir, schedule, _ = cycle
    approve_all(cycle_dir)
    document(cycle_dir / "results.xlsx", "BIN-1/1", Approval_Date="03/04/2026")  # March 4 or April 3?
    with pytest.raises(InputError) as refused:
        finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=TODAY)
    [problem] = refused.value.problems
    assert problem.kind == "bad-date" and "date_order" in problem.message and problem.value == "03/04/2026"
    document(cycle_dir / "results.xlsx", "BIN-1/1", Approval_Date="11/24/2026")  # one reading only
    report = finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=TODAY)
    assert report.adjustments
