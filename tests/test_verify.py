"""Verify (and status) read the cycle folder they are given, wherever they run and however it is typed."""

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cyclekit import api
from cyclekit.audit import cycle_status, verify_cycle
from cyclekit.cli import cli
from cyclekit.cycle import load_manifest, save_manifest
from cyclekit.finalize import finalize_cycle
from cyclekit.ingest import ingest_cycle
from cyclekit.start_cycle import Selection, start_cycle
from cyclekit.tables import file_sha256
from tests.helpers import INVENTORY_HEADER, fill_sheet, write_csv
from tests.test_finalize import AS_OF, CONFIG, ROWS, TODAY, approve_all

# cyclekit's own files in the cycle folder, checked once finalized; BIN-1's sheet was filled in place
INSIDE = 6  # sheets/BIN-1.xlsx, snapshot, part costs, results, adjustments/generic.csv, schedule backup
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


def _finalized(root: Path, monkeypatch) -> None:
    """A cycle made from `root` with relative paths, as a user types them; BIN-2 returned outside it."""
    monkeypatch.chdir(root)
    inventory = write_csv(Path("inventory.csv"), INVENTORY_HEADER, ROWS)
    api.write_schedule(inventory, Path("schedule.xlsx"), CONFIG, as_of=AS_OF, today=AS_OF)
    start_cycle(Path("schedule.xlsx"), inventory, Path("cycle"), CONFIG, selection=Selection(all=True),
                as_of=AS_OF, cycle_id="CC-TEST-0001")
    one = fill_sheet(Path("cycle/sheets/BIN-1.xlsx"), Path("cycle/sheets/BIN-1.xlsx"), {1: 4, 2: 1235, 3: "0.1"})
    two = fill_sheet(Path("cycle/sheets/BIN-2.xlsx"), Path("back/two.xlsx"), {1: 12.5})
    ingest_cycle(Path("cycle"), CONFIG, [one, two], today=AS_OF)
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
    manifest.ingests[-1]["files"] = [{"file": name, "sha256": digest} for name, digest in read.items()]
    in_cycle = [f"{cycle_dir}/{name}" for name in ("snapshot.csv", "part_costs.csv", "results.xlsx")]
    manifest.finalized["inputs"] = {**read, **entries(finalize_in, in_cycle)}
    manifest.finalized["outputs"] = entries(finalize_in, [f"{cycle_dir}/adjustments/generic.csv", schedule,
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
    # the schedule and BIN-2's sheet lie outside: checked at an absolute path, or listed as not checked
    assert checked == INSIDE + len(outside) and checked + len(not_checked) == INSIDE + 2


def test_a_copied_cycle_is_checked_not_the_original(tmp_path, monkeypatch):
    _finalized(tmp_path, monkeypatch)
    _only_the_copy_is_reported(tmp_path, _tamper_with_a_copy(tmp_path), monkeypatch)


@pytest.mark.parametrize("typed", RECORDED.values(), ids=RECORDED.keys())
def test_paths_recorded_as_typed_are_found_in_the_cycle_folder(tmp_path, monkeypatch, typed):
    ingest, finalize, not_checked, outside = typed
    _finalized(tmp_path, monkeypatch)
    _recorded_as_typed(tmp_path, ingest, finalize)
    checked, seen_outside, seen_not_checked = _verified_everywhere(tmp_path, monkeypatch)
    assert (checked, seen_outside) == (INSIDE + len(outside), [p.format(root=tmp_path) for p in outside])
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
    schedule = tmp_path / "schedule.xlsx"
    schedule.write_bytes(b"changed")
    monkeypatch.chdir(tmp_path / "elsewhere")
    result = verify_cycle("../cycle")
    assert result.changed == [str(schedule)] and str(schedule) in result.outside
    schedule.unlink()
    assert verify_cycle("../cycle").missing == [str(schedule)]


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
    assert checked >= INSIDE and f"Cycle CC-TEST-0001: all {checked} recorded files are unchanged." in result.output

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
    fill_sheet(Path("cycle/sheets/BIN-1.xlsx"), Path("cycle/sheets/BIN-1.xlsx"), {1: 4})
    ingest_cycle(Path("cycle"), CONFIG, today=AS_OF)  # reads the sheets in the cycle folder
    seen = [cycle_status("cycle", CONFIG)]
    monkeypatch.chdir(tmp_path / "cycle")
    seen.append(cycle_status(".", CONFIG))
    assert seen[0] == seen[1] and (seen[0].sheets_returned, seen[0].lines_counted) == (1, 1)
