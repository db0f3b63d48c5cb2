"""What people type in the schedule and the results survives, or the command refuses naming the
cell; a finalize killed midway is undone by the next command that writes the cycle."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from cyclekit.cli import cli
from cyclekit.errors import CycleError, InputError
from cyclekit.layouts.schedule_reader import read_schedule
from cyclekit.stages.finalize import finalize_cycle
from cyclekit.stages.ingest import ingest_cycle
from tests.test_trust_finalize import FULL, TODAY, build_cycle


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_cycle(tmp_path_factory.mktemp("keep"))


@pytest.fixture
def cycle(built, tmp_path):
    cycle_dir, schedule = built
    shutil.copytree(cycle_dir, tmp_path / "cycle")
    shutil.copy2(schedule, tmp_path / "schedule.xlsx")
    shutil.copy2(schedule.parent / "inventory.csv", tmp_path / "inventory.csv")
    return tmp_path / "cycle", tmp_path / "schedule.xlsx"


def type_in_schedule(schedule: Path, typed: dict[str, object], row: int = 2) -> None:
    """A person typing in the Schedule tab (openpyxl playing Excel)."""
    book = openpyxl.load_workbook(schedule)
    sheet = book["Schedule"]
    headers = [c.value for c in sheet[1]]
    for column, value in typed.items():
        sheet.cell(row, headers.index(column) + 1).value = value
    book.save(schedule)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_line_errors(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("Error:")]


# --- text typed where the schedule holds numbers --------------------------------------------------

def test_text_typed_in_the_schedules_numbers_is_a_problem_at_finalize_naming_the_cell(cycle):
    cycle_dir, schedule = cycle
    type_in_schedule(schedule, {"Inventory Value": "n/a", "Lines": "many"})
    before = digest(schedule)
    with pytest.raises(InputError) as raised:
        finalize_cycle(cycle_dir, schedule, FULL, targets=["generic"], today=TODAY)
    cells = {(p.column, p.cell, p.value) for p in raised.value.problems}
    assert cells == {("Inventory Value", "F2", "n/a"), ("Lines", "E2", "many")}
    assert digest(schedule) == before  # not written as 0
    assert json.loads((cycle_dir / "manifest.json").read_text())["finalized"] is None
    assert not (cycle_dir / "adjustments").exists()


def test_a_number_no_row_holds_typed_in_the_schedule_is_one_line_at_schedule_and_finalize(cycle):
    cycle_dir, schedule = cycle
    type_in_schedule(schedule, {"Inventory Value": "1e300"})
    runner = CliRunner()
    again = runner.invoke(cli, ["schedule", str(schedule.parent / "inventory.csv"), "-o", str(schedule)])
    assert again.exception is None or isinstance(again.exception, SystemExit), again.exception
    assert again.exit_code == 0, again.output  # the new schedule writes the export's value
    type_in_schedule(schedule, {"Inventory Value": "1e300"})
    done = runner.invoke(cli, ["finalize", str(cycle_dir), "--schedule", str(schedule), "--target", "generic"])
    assert done.exit_code == 1 and "Traceback" not in done.output
    assert "cell F2" in done.output and len(one_line_errors(done.output)) == 1


@pytest.mark.parametrize("typed", ["1e300", "0", "-7", "45.5", "inf", "45 days", "1E3"])
def test_a_cadence_that_is_not_a_whole_number_of_days_in_range_is_a_problem_naming_the_cell(cycle, typed):
    cycle_dir, schedule = cycle
    type_in_schedule(schedule, {"Cadence (days)": typed})
    with pytest.raises(InputError) as raised:
        read_schedule(schedule)
    [problem] = raised.value.problems
    assert (problem.column, problem.cell, problem.value) == ("Cadence (days)", "I2", typed)
    out = CliRunner().invoke(cli, ["sheets", str(schedule), str(schedule.parent / "inventory.csv"),
                                   "-o", str(schedule.parent / "next")])
    assert out.exit_code == 1 and "Traceback" not in out.output and "cell I2" in out.output
    out = CliRunner().invoke(cli, ["schedule", str(schedule.parent / "inventory.csv"), "-o", str(schedule)])
    assert out.exit_code == 1 and "cell I2" in out.output and "is not a cyclekit schedule" not in out.output


def test_a_whole_cadence_typed_as_a_number_or_text_is_read(cycle):
    _, schedule = cycle
    type_in_schedule(schedule, {"Cadence (days)": 45})
    assert read_schedule(schedule).entries[0].cadence_days == 45
    type_in_schedule(schedule, {"Cadence (days)": "3660"})
    assert read_schedule(schedule).entries[0].cadence_days == 3660


def test_a_last_count_at_the_end_of_the_calendar_is_a_problem_not_a_traceback(cycle):
    _, schedule = cycle
    type_in_schedule(schedule, {"Last Count": "9999-12-30"})
    with pytest.raises(InputError) as raised:
        read_schedule(schedule)
    assert [p.column for p in raised.value.problems] == ["Last Count"]


# --- what an ingest carried is a note, not a warning ------------------------------------------------

def test_the_kept_copy_of_the_results_is_a_note_not_a_warning(cycle):
    cycle_dir, _ = cycle
    out = CliRunner().invoke(cli, ["ingest", str(cycle_dir)])
    assert out.exit_code == 0, out.output
    assert "Warning" not in out.output
    [note] = [line for line in out.output.splitlines() if line.startswith("The previous results as they were:")]
    assert Path(note.split(": ", 1)[1]).is_file()


# --- a finalize killed midway ----------------------------------------------------------------------

def interrupted_after_the_schedule_moved(built: Path, tmp_path: Path) -> tuple[Path, bytes]:
    """A case where finalize was killed after it put the moved schedule in place and before the
    manifest: the cycle is open while the schedule has moved on."""
    from tests.test_trust_finalize_crash import CONFIG_TEXT, copy_case, run_child

    base = built[0].parent
    (base / "cyclekit.toml").write_text(CONFIG_TEXT)
    pre_cycle = (base / "schedule.xlsx").read_bytes()
    for kill_at in range(1, 60):
        case = copy_case(base, tmp_path / f"k{kill_at}")
        out = run_child(case, kill_at=kill_at)
        assert "done" not in out, "finalize ran to the end before the schedule moved"
        manifest = json.loads((case / "cycle" / "manifest.json").read_text())
        if (case / "schedule.xlsx").read_bytes() != pre_cycle and manifest["finalized"] is None:
            return case, pre_cycle
        shutil.rmtree(case)
    raise AssertionError("no kill left the schedule moved on and the cycle open")


def test_an_ingest_after_a_killed_finalize_puts_the_schedule_back_first(built, tmp_path):
    case, pre_cycle = interrupted_after_the_schedule_moved(built, tmp_path)
    assert (case / "cycle" / "finalize-intent.json").exists()
    ingest_cycle(case / "cycle", FULL, today=TODAY)
    assert (case / "schedule.xlsx").read_bytes() == pre_cycle
    assert not (case / "cycle" / "finalize-intent.json").exists()
    assert not (case / "cycle" / "adjustments").exists()
    assert [p.name for p in case.iterdir() if p.name.startswith(".schedule")] == []
    assert not (case / "cycle" / "schedule-before-CC-TRUST-1.xlsx").exists()
    finalize_cycle(case / "cycle", case / "schedule.xlsx", FULL, targets=["generic"], today=TODAY)
    assert (case / "cycle" / "schedule-before-CC-TRUST-1.xlsx").read_bytes() == pre_cycle
    sheet = openpyxl.load_workbook(io.BytesIO((case / "schedule.xlsx").read_bytes()))["History"]
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True) if r[0]].count("CC-TRUST-1") == 1


def test_a_schedule_half_moved_on_by_a_killed_finalize_is_neither_read_nor_written_over(built, tmp_path):
    case, pre_cycle = interrupted_after_the_schedule_moved(built, tmp_path)
    moved = (case / "schedule.xlsx").read_bytes()
    out = CliRunner().invoke(cli, ["schedule", str(built[0].parent / "inventory.csv"), "-o",
                                   str(case / "schedule.xlsx")])
    assert out.exit_code == 1 and "finalize of cycle CC-TRUST-1" in out.output and "Traceback" not in out.output
    assert len(one_line_errors(out.output)) == 1
    out = CliRunner().invoke(cli, ["sheets", str(case / "schedule.xlsx"), str(built[0].parent / "inventory.csv"),
                                   "-o", str(tmp_path / "next")])
    assert out.exit_code == 1 and "finalize of cycle CC-TRUST-1" in out.output and not (tmp_path / "next").exists()
    assert (case / "schedule.xlsx").read_bytes() == moved  # untouched until the cycle's next command
    with pytest.raises(CycleError, match="run `cyclekit finalize`"):
        read_schedule(case / "schedule.xlsx")
    CliRunner().invoke(cli, ["finalize", str(case / "cycle"), "--schedule", str(case / "schedule.xlsx"),
                             "--config", str(case / "cyclekit.toml"), "--target", "generic"])
    assert json.loads((case / "cycle" / "manifest.json").read_text())["finalized"]
    assert (case / "cycle" / "schedule-before-CC-TRUST-1.xlsx").read_bytes() == pre_cycle


# --- what finance typed in the hidden Lists tab ------------------------------------------------------

def test_a_cause_added_to_the_hidden_lists_tab_is_kept(cycle):
    cycle_dir, _ = cycle
    book = openpyxl.load_workbook(cycle_dir / "results.xlsx")
    lists = book["Lists"]
    lists.cell(lists.max_row + 1, 1).value = "Supplier short-shipped"
    lists["E2"] = "ask Ana before using Other"
    book.save(cycle_dir / "results.xlsx")
    report = ingest_cycle(cycle_dir, FULL, today=TODAY)
    kept = openpyxl.load_workbook(report.results)["Kept from previous results"]
    values = {row[2] for row in kept.iter_rows(min_row=2, values_only=True)}
    assert {"Supplier short-shipped", "ask Ana before using Other"} <= values
    assert any("Kept 2 cell(s)" in note for note in report.notes)
