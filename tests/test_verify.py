"""Verify (and status) read the cycle folder they are given, wherever they run and however it is typed.

Verify fails on the cycle's records only; results.xlsx and the schedule live on after finalize and are
reported as updated. Status counts discrepancies by their Status and names what blocks finalize."""

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from cyclekit.cli import cli
from cyclekit.errors import InputError
from cyclekit.folder.cycle import SourceFile, load_manifest, save_manifest
from cyclekit.inputs.tables import file_sha256
from cyclekit.stages import schedule as api
from cyclekit.stages.finalize import finalize_cycle
from cyclekit.stages.ingest import ingest_cycle
from cyclekit.stages.sheets import Selection, start_cycle
from cyclekit.stages.status import cycle_status
from cyclekit.stages.verify import verify_cycle
from tests.helpers import INVENTORY_HEADER, fill_sheet, write_csv
from tests.test_finalize import AS_OF, CONFIG, ROWS, TODAY, approve_all
from tests.test_results import document

# the cycle's records in its folder, checked once finalized: BIN-1's sheet was filled in place (checked
# as read), BIN-2's and the recount sheet as sent, snapshot, part costs, adjustments/generic.csv,
# adjustments/review.xlsx and counted_lines.parquet
INSIDE = 8
# in the cycle folder too, living on after finalize: results.xlsx, the schedule backup (reported, not failing)
LIVING_INSIDE = 2
BACKUP = "schedule-before-CC-TEST-0001.xlsx"

# How a manifest may hold a cycle's paths: as typed, relative to the folder each command ran in (as
# earlier versions did), or relative to the cycle folder itself (as from inside it), outside files
# absolute. id -> ((ingest ran in, files typed), (finalize ran in, cycle folder typed, schedule typed),
#                  not checked (typed relative, outside the cycle folder), checked outside the folder)
RECORDED = {
    "relative": (("", ["cycle/sheets/BIN-1.xlsx", "back/two.xlsx"]), ("", "cycle", "schedule.xlsx"),
                 ["back/two.xlsx", "schedule.xlsx"], []),
    "finalized-from-inside": (("", ["cycle/sheets/BIN-1.xlsx", "back/two.xlsx"]), ("cycle", ".", "../schedule.xlsx"),
                              ["../schedule.xlsx", "back/two.xlsx"], []),
    "ingested-from-inside": (("cycle", ["sheets/BIN-1.xlsx", "../back/two.xlsx"]), ("", "cycle", "schedule.xlsx"),
                             ["../back/two.xlsx", "schedule.xlsx"], []),
    "with-dotdot": (("back", ["../cycle/sheets/BIN-1.xlsx", "two.xlsx"]),
                    ("back", "../cycle/../cycle", "./../schedule.xlsx"), ["../schedule.xlsx", "two.xlsx"], []),
    "relative-to-the-cycle-folder": (("cycle", ["sheets/BIN-1.xlsx", "{root}/back/two.xlsx"]),
                                     ("cycle", ".", "{root}/schedule.xlsx"), [],
                                     ["{root}/back/two.xlsx", "{root}/schedule.xlsx"]),
    "absolute": (("", ["{root}/cycle/sheets/BIN-1.xlsx", "{root}/back/two.xlsx"]),
                 ("", "{root}/cycle", "{root}/schedule.xlsx"), [], ["{root}/back/two.xlsx", "{root}/schedule.xlsx"]),
}
# where verify is run from, and the cycle folder as typed there
VERIFY_TYPED = [("", "cycle"), ("", "./cycle/"), ("", "cycle/../cycle"), ("", "{root}/cycle"), ("cycle", "."),
                ("cycle/sheets", ".."), ("elsewhere", "../cycle"), ("elsewhere", "./../cycle"), ("/", "{root}/cycle")]


def _counted(root: Path, monkeypatch, two_counts: dict | None = None) -> None:
    """A cycle made from `root` with relative paths, as a user types them; BIN-2 returned outside it.
    BIN-1/1 is Major (10 -> 4), BIN-1/2 and BIN-1/3 Minor, BIN-2 exact (`two_counts` None: not returned)."""
    monkeypatch.chdir(root)
    inventory = write_csv(Path("inventory.csv"), INVENTORY_HEADER, ROWS)
    api.write_schedule(inventory, Path("schedule.xlsx"), CONFIG, as_of=AS_OF, today=AS_OF)
    start_cycle(Path("schedule.xlsx"), inventory, Path("cycle"), CONFIG, selection=Selection(all=True),
                as_of=AS_OF, cycle_id="CC-TEST-0001")
    one = fill_sheet(Path("cycle/sheets/BIN-1.xlsx"), Path("cycle/sheets/BIN-1.xlsx"), {1: 4, 2: 1235, 3: "0.1"},
                     counted_by="Sam Lee")
    two = [fill_sheet(Path("cycle/sheets/BIN-2.xlsx"), Path("back/two.xlsx"), two_counts,
                      counted_by="Sam Lee")] if two_counts else []
    ingest_cycle(Path("cycle"), CONFIG, [one, *two], today=AS_OF)


def _finalized(root: Path, monkeypatch) -> None:
    """The cycle of `_counted`, documented as finance does (BIN-1/2 still Under Investigation), finalized."""
    _counted(root, monkeypatch, {1: 12.5})
    approve_all(Path("cycle"))
    finalize_cycle(Path("cycle"), Path("schedule.xlsx"), CONFIG, targets=["generic"], today=TODAY)
    (root / "elsewhere").mkdir()


def _recorded_as_typed(root: Path, ingest: tuple, finalize: tuple) -> None:
    """Rewrite the manifest's paths as typed where each command ran (as earlier versions recorded them)."""
    (ingest_in, files), (finalize_in, cycle_dir, schedule) = ingest, finalize

    def entries(ran_in: str, names: list[str]) -> dict[str, str]:
        typed = [Path(name.format(root=root)) for name in names]  # Path() drops "./" as the commands did
        return {str(path): file_sha256(root / ran_in / path) for path in typed}

    manifest = load_manifest(root / "cycle")
    read = entries(ingest_in, files)
    manifest.ingests[-1].files = [SourceFile(name, digest) for name, digest in read.items()]
    in_cycle = [f"{cycle_dir}/{name}" for name in ("snapshot.csv", "part_costs.csv", "results.xlsx")]
    manifest.finalized.inputs = {**read, **entries(finalize_in, in_cycle)}
    manifest.finalized.outputs = entries(finalize_in, [f"{cycle_dir}/adjustments/generic.csv",
                                                          f"{cycle_dir}/adjustments/review.xlsx",
                                                          f"{cycle_dir}/counted_lines.parquet", schedule,
                                                          f"{cycle_dir}/{BACKUP}"])
    save_manifest(root / "cycle", manifest)


def _verified_everywhere(root: Path, monkeypatch) -> tuple:
    """What verify says of the cycle from every folder and spelling: it must be one answer."""
    seen = []
    for where, cycle_dir in VERIFY_TYPED:
        monkeypatch.chdir(root / where)
        result = verify_cycle(cycle_dir.format(root=root))
        assert result.ok, (where, cycle_dir, result)
        seen.append((result.checked, result.outside, result.not_checked))
    assert all(s == seen[0] for s in seen), "the same cycle gives the same answer, however it is typed"
    return seen[0]


def _tamper_with_a_copy(root: Path) -> Path:
    copy = root / "elsewhere" / "copy"
    shutil.copytree(root / "cycle", copy)
    generic = copy / "adjustments" / "generic.csv"
    generic.write_text(generic.read_text().replace("-6", "-5"))
    (copy / "sheets" / "BIN-1.xlsx").unlink()
    return copy


def _only_the_copy_is_reported(root: Path, copy: Path, monkeypatch) -> None:
    for where, cycle_dir in [("", copy), ("elsewhere", "copy"), ("elsewhere/copy", ".")]:
        monkeypatch.chdir(root / where)
        result = verify_cycle(cycle_dir)
        assert result.changed == [str(Path(cycle_dir) / "adjustments" / "generic.csv")], (where, result)
        assert result.missing == [str(Path(cycle_dir) / "sheets" / "BIN-1.xlsx")]
    assert verify_cycle(root / "cycle").ok, "the original is untouched"


def test_untouched_cycle_verifies_from_any_folder(tmp_path, monkeypatch):
    _finalized(tmp_path, monkeypatch)
    checked, outside, not_checked = _verified_everywhere(tmp_path, monkeypatch)
    # the schedule lies outside: checked at an absolute path, but it is no record of the cycle; BIN-2's
    # sheet, returned outside, was read from its copy in returned/: a record inside the folder
    assert len(outside) + len(not_checked) == 1
    assert checked == INSIDE + 1


def test_a_copied_cycle_is_checked_not_the_original(tmp_path, monkeypatch):
    _finalized(tmp_path, monkeypatch)
    _only_the_copy_is_reported(tmp_path, _tamper_with_a_copy(tmp_path), monkeypatch)


@pytest.mark.parametrize("typed", RECORDED.values(), ids=RECORDED.keys())
def test_paths_recorded_as_typed_are_found_in_the_cycle_folder(tmp_path, monkeypatch, typed):
    ingest, finalize, not_checked, outside = typed
    _finalized(tmp_path, monkeypatch)
    _recorded_as_typed(tmp_path, ingest, finalize)
    checked, seen_outside, seen_not_checked = _verified_everywhere(tmp_path, monkeypatch)
    assert seen_outside == [p.format(root=tmp_path) for p in outside]
    assert checked == INSIDE + sum(1 for name in outside if "two.xlsx" in name)  # the schedule is no record
    assert list(seen_not_checked) == not_checked
    assert all(why.startswith("outside the cycle folder") for why in seen_not_checked.values())
    _only_the_copy_is_reported(tmp_path, _tamper_with_a_copy(tmp_path), monkeypatch)


def test_a_relative_path_outside_the_cycle_is_never_checked_against_the_working_folder(tmp_path, monkeypatch):
    _finalized(tmp_path, monkeypatch)
    ingest, finalize, not_checked, _ = RECORDED["relative"]
    _recorded_as_typed(tmp_path, ingest, finalize)
    (tmp_path / "back" / "two.xlsx").write_bytes(b"changed after the cycle was finalized")
    (tmp_path / "elsewhere" / "schedule.xlsx").write_bytes(b"some other schedule")
    for where, cycle_dir in [("", "cycle"), ("elsewhere", "../cycle")]:
        monkeypatch.chdir(tmp_path / where)
        result = verify_cycle(cycle_dir)
        assert result.ok and result.checked == INSIDE and list(result.not_checked) == not_checked


def test_a_file_recorded_at_its_absolute_path_outside_the_cycle_is_checked_there(tmp_path, monkeypatch):
    _finalized(tmp_path, monkeypatch)
    ingest, finalize, _, _ = RECORDED["absolute"]
    _recorded_as_typed(tmp_path, ingest, finalize)
    two = tmp_path / "back" / "two.xlsx"
    two.write_bytes(b"changed")
    monkeypatch.chdir(tmp_path / "elsewhere")
    result = verify_cycle("../cycle")
    assert result.changed == [str(two)] and str(two) in result.outside
    two.unlink()
    assert verify_cycle("../cycle").missing == [str(two)]
    # the schedule is looked at where it was, and reported as moved on or gone, never failing
    schedule = tmp_path / "schedule.xlsx"
    schedule.write_bytes(b"changed")
    result = verify_cycle("../cycle")
    assert str(schedule) in result.outside and "moved on" in result.updated[str(schedule)]
    assert str(schedule) not in result.changed
    schedule.unlink()
    result = verify_cycle("../cycle")
    assert "no longer where" in result.updated[str(schedule)] and result.missing == [str(two)]


def test_an_open_cycle_verifies_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    inventory = write_csv(Path("inventory.csv"), INVENTORY_HEADER, ROWS)
    api.write_schedule(inventory, Path("schedule.xlsx"), CONFIG, as_of=AS_OF, today=AS_OF)
    start_cycle(Path("schedule.xlsx"), inventory, Path("cycle"), CONFIG, selection=Selection(all=True),
                as_of=AS_OF, cycle_id="CC-TEST-0001")
    (tmp_path / "elsewhere").mkdir()
    results = [verify_cycle("cycle"), verify_cycle(tmp_path / "cycle")]
    monkeypatch.chdir(tmp_path / "elsewhere")
    results.append(verify_cycle("../cycle/../cycle"))
    assert all(r.ok and r.checked == 4 for r in results)  # snapshot, part costs, two sheets


def test_verify_command_from_another_folder(tmp_path, monkeypatch):
    _finalized(tmp_path, monkeypatch)
    shutil.copytree(tmp_path / "cycle", tmp_path / "copy")
    generic = tmp_path / "copy" / "adjustments" / "generic.csv"
    generic.write_text(generic.read_text().replace("-6", "-5"))
    monkeypatch.chdir(tmp_path / "elsewhere")
    runner = CliRunner()

    result = runner.invoke(cli, ["verify", "../cycle"])
    assert result.exit_code == 0, result.output
    checked = verify_cycle("../cycle").checked
    assert checked >= INSIDE and f"Cycle CC-TEST-0001: all {checked} " in result.output

    result = runner.invoke(cli, ["verify", "../copy"])
    assert result.exit_code == 1, result.output
    assert f"CHANGED  {Path('../copy/adjustments/generic.csv')}" in result.output
    assert "1 file(s) changed and 0 missing" in result.output and "Traceback" not in result.output


def test_status_finds_the_sheets_in_the_cycle_folder_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    inventory = write_csv(Path("inventory.csv"), INVENTORY_HEADER, ROWS)
    api.write_schedule(inventory, Path("schedule.xlsx"), CONFIG, as_of=AS_OF, today=AS_OF)
    start_cycle(Path("schedule.xlsx"), inventory, Path("cycle"), CONFIG, selection=Selection(all=True),
                as_of=AS_OF, cycle_id="CC-TEST-0001")
    fill_sheet(Path("cycle/sheets/BIN-1.xlsx"), Path("cycle/sheets/BIN-1.xlsx"), {1: 4}, counted_by="Sam Lee")
    ingest_cycle(Path("cycle"), CONFIG, today=AS_OF)  # reads the sheets in the cycle folder
    seen = [cycle_status("cycle", CONFIG)]
    monkeypatch.chdir(tmp_path / "cycle")
    seen.append(cycle_status(".", CONFIG))
    assert seen[0] == seen[1] and (seen[0].sheets_returned, seen[0].lines_counted) == (1, 1)


# --- after finalize: the cycle's records fail, the files that live on are reported -----------------


def test_documentation_continued_after_finalize_is_reported_not_failed(tmp_path, monkeypatch):
    _finalized(tmp_path, monkeypatch)
    results = Path("cycle/results.xlsx")
    # finance closes the line it kept under investigation, as it may once the cycle is locked
    document(results, "BIN-1/2", Status="Resolved", Resolution="Recounted by the lead: 1235 is right",
             Investigated_By="Dana Whitfield")
    result = verify_cycle("cycle")
    assert result.ok and not result.changed and not result.missing
    assert list(result.updated) == [str(results)]
    assert result.updated[str(results)].startswith("documentation continued after finalize")
    assert result.checked == INSIDE + 1  # BIN-2's sheet, read at its absolute path
    outcome = CliRunner().invoke(cli, ["verify", "cycle"])
    assert outcome.exit_code == 0, outcome.output
    assert "CHANGED" not in outcome.output and "MISSING" not in outcome.output


def test_results_gone_or_replaced_by_another_workbook_still_fails(tmp_path, monkeypatch):
    _finalized(tmp_path, monkeypatch)
    results = Path("cycle/results.xlsx")
    kept = results.read_bytes()
    results.unlink()  # the cycle's approvals and resolutions were in it
    assert verify_cycle("cycle").missing == [str(results)]
    book = openpyxl.Workbook()
    book.active.title, book.active["A1"] = "Budget", "Q4"
    book.save(results)
    result = verify_cycle("cycle")
    assert result.changed == [str(results)] and not result.ok
    results.write_bytes(kept)
    assert verify_cycle("cycle").ok


def test_the_next_cycles_finalize_leaves_a_past_cycle_verified(tmp_path, monkeypatch):
    _finalized(tmp_path, monkeypatch)
    second = start_cycle(Path("schedule.xlsx"), Path("inventory.csv"), Path("cycle2"), CONFIG,
                         selection=Selection(locations=("BIN-2",)), as_of=dt.date(2026, 12, 23),
                         cycle_id="CC-TEST-0002")
    filled = fill_sheet(second.cycle_dir / "sheets" / "BIN-2.xlsx", Path("back2/b.xlsx"), {1: 12.5})
    ingest_cycle(second.cycle_dir, CONFIG, [filled], today=dt.date(2026, 12, 23))
    finalize_cycle(second.cycle_dir, Path("schedule.xlsx"), CONFIG, targets=["generic"], today=dt.date(2026, 12, 24))
    # someone opened the first cycle's copy of the schedule and saved it again
    backup = Path("cycle") / BACKUP
    book = openpyxl.load_workbook(backup)
    book.save(backup)

    result = verify_cycle("cycle")
    assert result.ok and not result.changed and not result.missing, result
    schedule = str((tmp_path / "schedule.xlsx").resolve())
    assert set(result.updated) == {schedule, str(backup)}
    assert "the schedule has moved on since" in result.updated[schedule]
    assert "not one of the cycle's records" in result.updated[str(backup)]
    assert verify_cycle("cycle2").ok and not verify_cycle("cycle2").updated
    outcome = CliRunner().invoke(cli, ["verify", "cycle"])
    assert outcome.exit_code == 0 and "CHANGED" not in outcome.output, outcome.output


@pytest.mark.parametrize("record", ["adjustments/generic.csv", "snapshot.csv", "part_costs.csv",
                                    "sheets/BIN-1.xlsx", "sheets/BIN-2.xlsx", "recounts/BIN-1-R001.xlsx"])
def test_a_changed_record_of_the_cycle_fails(tmp_path, monkeypatch, record):
    """Whatever finance does in results.xlsx, the records still fail: the filled sheet read, the sheets
    as sent that came back from elsewhere (BIN-2) or not at all (the recount), what was posted."""
    _finalized(tmp_path, monkeypatch)
    document(Path("cycle/results.xlsx"), "BIN-1/2", Status="Resolved")
    path = Path("cycle") / record
    path.write_bytes(path.read_bytes() + b"\n")
    result = verify_cycle("cycle")
    assert result.changed == [str(path)] and not result.ok
    assert list(result.updated) == ["cycle/results.xlsx"]
    path.unlink()
    assert verify_cycle("cycle").missing == [str(path)]
    outcome = CliRunner().invoke(cli, ["verify", "cycle"])
    assert outcome.exit_code == 1 and f"MISSING  {path}" in outcome.output


# --- status: discrepancies by their Status, and what blocks finalize -----------------------------


def test_status_counts_discrepancies_by_their_status_and_majors_by_their_approval(tmp_path, monkeypatch):
    _counted(tmp_path, monkeypatch, {1: 12.5})
    s = cycle_status("cycle", CONFIG, today=TODAY)
    assert (s.open, s.under_investigation, s.resolved, s.discrepancies) == (3, 0, 0, 3)
    assert (s.major, s.approved, s.documented) == (1, 0, 0)
    assert s.blocking == ["Major discrepancy BIN-1/1 (=SUM(A1), variance -6) has no Approved By and no "
                          "Approval Date"]
    # Resolved with no Root Cause is resolved; a Root Cause on an open line leaves it open
    document(Path("cycle/results.xlsx"), "BIN-1/3", Status="Resolved")
    document(Path("cycle/results.xlsx"), "BIN-1/2", Root_Cause="Miscounted during cycle count")
    s = cycle_status("cycle", CONFIG, today=TODAY)
    assert (s.open, s.under_investigation, s.resolved, s.documented) == (2, 0, 1, 1)
    # an approver without a date is no approval, for status as for finalize
    document(Path("cycle/results.xlsx"), "BIN-1/1", Approved_By="Dana Whitfield")
    s = cycle_status("cycle", CONFIG, today=TODAY)
    assert (s.major, s.approved) == (1, 0) and s.blocking == [
        "Major discrepancy BIN-1/1 (=SUM(A1), variance -6) has no Approval Date"]
    approve_all(Path("cycle"))
    s = cycle_status("cycle", CONFIG, today=TODAY)
    assert (s.open, s.under_investigation, s.resolved, s.approved, s.documented) == (0, 1, 2, 1, 2)
    assert s.blocking == []
    finalize_cycle(Path("cycle"), Path("schedule.xlsx"), CONFIG, targets=["generic"], today=TODAY)


def test_status_of_a_locked_cycle_follows_the_documentation(tmp_path, monkeypatch):
    _finalized(tmp_path, monkeypatch)
    s = cycle_status("cycle", CONFIG, today=TODAY)
    assert s.finalized_at and s.blocking == []
    assert (s.open, s.under_investigation, s.resolved, s.major, s.approved) == (1, 1, 1, 1, 1)
    document(Path("cycle/results.xlsx"), "BIN-1/2", Status="Resolved", Resolution="Recount confirmed 1235")
    document(Path("cycle/results.xlsx"), "BIN-1/3", Status="Under Investigation")
    s = cycle_status("cycle", CONFIG, today=TODAY)
    assert (s.open, s.under_investigation, s.resolved) == (0, 1, 2)
    assert verify_cycle("cycle").ok


def test_status_lists_what_finalize_refuses_by_finalizes_rules(tmp_path, monkeypatch):
    _counted(tmp_path, monkeypatch, {1: "12.5 m"})  # BIN-2 came back with a count finalize cannot use
    results = Path("cycle/results.xlsx")
    document(results, "BIN-1/1", Approved_By="Dana Whitfield", Approval_Date=dt.datetime(2030, 1, 1))
    document(results, "BIN-1/2", Status="Donezo")
    s = cycle_status("cycle", CONFIG, today=TODAY)
    with pytest.raises(InputError) as refused:
        finalize_cycle(Path("cycle"), Path("schedule.xlsx"), CONFIG, targets=["generic"], today=TODAY)
    kinds = sorted(p.kind for p in refused.value.problems)
    assert kinds == ["bad-date", "bad-status", "unresolved-problem"]
    assert len(s.blocking) == len(refused.value.problems)
    for problem in refused.value.problems:
        assert any(problem.message in item for item in s.blocking), (problem.message, s.blocking)
    assert any(item.startswith("two.xlsx") for item in s.blocking)  # where the problem is
    assert (s.major, s.approved, s.open) == (1, 0, 3)  # a status not in the list is not closed

    # resolved, corrected and approved: nothing blocks, and finalize agrees
    book = openpyxl.load_workbook(results)
    book["Problems"]["G2"] = "Counter confirmed 12.5 m; recount next cycle"
    book.save(results)
    document(results, "BIN-1/1", Approval_Date=dt.datetime(2026, 11, 24))
    document(results, "BIN-1/2", Status="Under Investigation")
    assert cycle_status("cycle", CONFIG, today=TODAY).blocking == []
    finalize_cycle(Path("cycle"), Path("schedule.xlsx"), CONFIG, targets=["generic"], today=TODAY)


def test_status_names_a_location_not_returned_and_a_sheet_changed_since_ingest(tmp_path, monkeypatch):
    _counted(tmp_path, monkeypatch)  # BIN-2 never came back
    approve_all(Path("cycle"))
    s = cycle_status("cycle", CONFIG, today=TODAY)
    assert s.missing == ["BIN-2"] and len(s.blocking) == 1
    assert "1 location(s) have not returned their count sheet: BIN-2" in s.blocking[0]
    assert "--partial" in s.blocking[0]
    fill_sheet(Path("cycle/sheets/BIN-1.xlsx"), Path("cycle/sheets/BIN-1.xlsx"), {1: 5}, counted_by="Sam Lee")
    s = cycle_status("cycle", CONFIG, today=TODAY)
    assert any("changed after the last ingest" in item and "sheets/BIN-1.xlsx" in item for item in s.blocking)


def test_status_of_a_cycle_not_ingested_says_so(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    inventory = write_csv(Path("inventory.csv"), INVENTORY_HEADER, ROWS)
    api.write_schedule(inventory, Path("schedule.xlsx"), CONFIG, as_of=AS_OF, today=AS_OF)
    start_cycle(Path("schedule.xlsx"), inventory, Path("cycle"), CONFIG, selection=Selection(all=True),
                as_of=AS_OF, cycle_id="CC-TEST-0001")
    s = cycle_status("cycle", CONFIG)
    assert s.blocking[0] == "cycle CC-TEST-0001 has not been ingested; run `cyclekit ingest` first"
    assert (s.open, s.discrepancies, s.major) == (0, 0, 0)
