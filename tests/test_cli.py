import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from cyclekit import __version__
from cyclekit.cli import cli
from tests.helpers import INVENTORY_HEADER, inventory_rows, write_csv


@pytest.fixture
def runner():
    return CliRunner()


def test_every_command_has_help_with_an_example(runner):
    assert cli.commands, "no commands registered"
    for name, command in cli.commands.items():
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, name
        assert command.help and "Example" in command.help, f"{name} help has no example"


def test_version(runner):
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_python_dash_m():
    result = subprocess.run([sys.executable, "-m", "cyclekit", "--help"], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0 and "schedule" in result.stdout


def test_schedule_writes_the_workbook(runner, tmp_path):
    inventory = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER, inventory_rows())
    out = tmp_path / "out" / "schedule.xlsx"
    result = runner.invoke(cli, ["schedule", str(inventory), "--as-of", "2026-11-23", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file()
    assert f"Wrote {out}: 5 rows" in result.output


def test_schedule_is_written_as_xlsx_only(runner, tmp_path):
    inventory = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER, inventory_rows())
    result = runner.invoke(cli, ["schedule", str(inventory), "-o", str(tmp_path / "schedule.csv")])
    assert result.exit_code == 1 and "give a file name ending in .xlsx" in result.output
    assert not (tmp_path / "schedule.csv").exists()


def test_schedule_bad_input_lists_every_problem_and_writes_nothing(runner, tmp_path):
    inventory = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER, [
        ["", "P1", "", "", "ea", "", "", "available", "1", "1"],
        ["A1", "P2", "", "", "ea", "", "", "available", "12 ea", "1"],
    ])
    out = tmp_path / "schedule.xlsx"
    result = runner.invoke(cli, ["schedule", str(inventory), "-o", str(out)])
    assert result.exit_code == 1
    assert "row 2, column 'location': location is empty" in result.output
    assert "row 3, column 'quantity': quantity is not a number" in result.output
    assert "nothing was written" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_problems_as_json(runner, tmp_path):
    inventory = write_csv(tmp_path / "inv.csv", ["location", "part_number"], [["A1", "P1"]])
    result = runner.invoke(cli, ["schedule", str(inventory), "--problems", "json",
                                 "-o", str(tmp_path / "s.xlsx")])
    assert result.exit_code == 1
    problems = json.loads(result.stdout)
    assert problems[0]["kind"] == "missing-column" and problems[0]["column"] == "quantity"


def test_bad_config_is_one_line(runner, tmp_path):
    inventory = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER, inventory_rows())
    config = tmp_path / "cyclekit.toml"
    config.write_text("[inventory.columns]\nbin = 'Bin'\n")
    result = runner.invoke(cli, ["schedule", str(inventory), "--config", str(config),
                                 "-o", str(tmp_path / "s.xlsx")])
    assert result.exit_code == 1
    assert result.output.strip().startswith("Error:") and "unknown field(s) bin" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_bad_date_option(runner, tmp_path):
    result = runner.invoke(cli, ["schedule", "x.csv", "--as-of", "23/11/2026"])
    assert result.exit_code == 2 and "write YYYY-MM-DD" in result.output


def test_config_found_in_working_directory(runner, tmp_path, monkeypatch):
    write_csv(tmp_path / "erp.csv", ["Bin", "Item", "On Hand"], [["A1", "000812", "3"]])
    (tmp_path / "cyclekit.toml").write_text(
        '[inventory.columns]\nlocation = "Bin"\npart_number = "Item"\nquantity = "On Hand"\n')
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["schedule", "erp.csv", "-o", "s.xlsx"])
    assert result.exit_code == 0, result.output


def test_sheets_and_ingest_commands(runner, tmp_path):
    inventory = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER, inventory_rows())
    schedule = tmp_path / "schedule.xlsx"
    assert runner.invoke(cli, ["schedule", str(inventory), "--as-of", "2026-11-23", "-o", str(schedule)]).exit_code == 0
    cycle = tmp_path / "cycle"
    result = runner.invoke(cli, ["sheets", str(schedule), str(inventory), "--all", "--as-of", "2026-11-23",
                                 "--cycle-id", "CC-TEST", "-o", str(cycle)])
    assert result.exit_code == 0, result.output
    assert "Cycle CC-TEST: 5 locations, 8 lines, 5 count sheets" in result.output
    again = runner.invoke(cli, ["sheets", str(schedule), str(inventory), "--all", "-o", str(cycle)])
    assert again.exit_code == 1 and "already exists" in again.output and "Traceback" not in again.output

    result = runner.invoke(cli, ["ingest", str(cycle)])
    assert result.exit_code == 0, result.output
    assert "0 of 8 lines counted" in result.output and "Not returned yet" in result.output
    assert (cycle / "results.xlsx").is_file()


def test_sheets_usage_errors(runner, tmp_path):
    result = runner.invoke(cli, ["sheets", "s.xlsx", "i.csv", "--all", "--location", "A", "-o", str(tmp_path / "c")])
    assert result.exit_code == 2 and "--all or --location" in result.output
    result = runner.invoke(cli, ["sheets", str(tmp_path / "missing.xlsx"), "i.csv", "-o", str(tmp_path / "c")])
    assert result.exit_code == 1 and "missing.xlsx" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "c").exists()


def test_ingest_on_a_folder_that_is_not_a_cycle(runner, tmp_path):
    result = runner.invoke(cli, ["ingest", str(tmp_path)])
    assert result.exit_code == 1 and "not a cycle folder" in result.output
    as_json = runner.invoke(cli, ["ingest", str(tmp_path), "--problems", "json"])
    assert as_json.exit_code == 1
    [error] = json.loads(as_json.stdout)
    assert error["kind"] == "error" and "not a cycle folder" in error["message"]


def test_ingest_problems_as_json(runner, tmp_path):
    from tests.helpers import fill_sheet

    inventory = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER, inventory_rows())
    schedule = tmp_path / "schedule.xlsx"
    runner.invoke(cli, ["schedule", str(inventory), "--as-of", "2026-11-23", "-o", str(schedule)])
    cycle = tmp_path / "cycle"
    runner.invoke(cli, ["sheets", str(schedule), str(inventory), "--location", "WH-A-01", "--as-of", "2026-11-23",
                        "-o", str(cycle)])
    filled = fill_sheet(next((cycle / "sheets").glob("*.xlsx")), tmp_path / "back" / "a.xlsx", {1: "12 ea"})
    result = runner.invoke(cli, ["ingest", str(cycle), str(filled), "--problems", "json"])
    assert result.exit_code == 0, result.output
    problems = json.loads(result.stdout)  # the summary lines went to stderr
    assert [p["kind"] for p in problems] == ["bad-count"] and problems[0]["value"] == "12 ea"


def test_finalize_verify_status_commands(runner, tmp_path):
    from tests.helpers import fill_sheet

    inventory = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER, inventory_rows())
    schedule = tmp_path / "schedule.xlsx"
    cycle = tmp_path / "cycle"
    runner.invoke(cli, ["schedule", str(inventory), "--as-of", "2026-11-23", "-o", str(schedule)])
    runner.invoke(cli, ["sheets", str(schedule), str(inventory), "--location", "WH-A-02", "--as-of",
                        "2026-11-23", "-o", str(cycle)])
    filled = fill_sheet(cycle / "sheets" / "WH-A-02.xlsx", tmp_path / "back.xlsx", {1: 12.5, 2: 0.75})
    assert runner.invoke(cli, ["ingest", str(cycle), str(filled)]).exit_code == 0

    status = runner.invoke(cli, ["status", str(cycle)])
    assert status.exit_code == 0 and "1 of 1 returned" in status.output and "open" in status.output
    assert "nothing blocks finalize" in status.output

    result = runner.invoke(cli, ["finalize", str(cycle), "--schedule", str(schedule), "--target", "nope"])
    assert result.exit_code == 1 and "unknown target 'nope'" in result.output

    result = runner.invoke(cli, ["finalize", str(cycle), "--schedule", str(schedule), "--target", "generic"])
    assert result.exit_code == 0, result.output
    assert "0 adjustments" in result.output and "generic.csv" in result.output

    assert runner.invoke(cli, ["verify", str(cycle)]).exit_code == 0
    runner.invoke(cli, ["schedule", str(inventory), "--as-of", "2026-12-23", "-o", str(schedule)])
    result = runner.invoke(cli, ["verify", str(cycle)])  # the schedule moved on: information only
    assert result.exit_code == 0 and "UPDATED" in result.output and "schedule.xlsx" in result.output
    (cycle / "results.xlsx").write_bytes(b"tampered")
    result = runner.invoke(cli, ["verify", str(cycle)])
    assert result.exit_code == 1 and "CHANGED" in result.output and "results.xlsx" in result.output

    result = runner.invoke(cli, ["finalize", str(cycle), "--schedule", str(schedule)])
    assert result.exit_code == 1 and "already finalized" in result.output


def test_finalize_refusal_lists_each_line(runner, tmp_path):
    from tests.helpers import fill_sheet

    inventory = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER, inventory_rows())
    schedule, cycle = tmp_path / "schedule.xlsx", tmp_path / "cycle"
    runner.invoke(cli, ["schedule", str(inventory), "--as-of", "2026-11-23", "-o", str(schedule)])
    runner.invoke(cli, ["sheets", str(schedule), str(inventory), "--location", "CAGE-01", "--as-of",
                        "2026-11-23", "-o", str(cycle)])
    filled = fill_sheet(cycle / "sheets" / "CAGE-01.xlsx", tmp_path / "back.xlsx", {1: 0})
    runner.invoke(cli, ["ingest", str(cycle), str(filled)])
    result = runner.invoke(cli, ["finalize", str(cycle), "--schedule", str(schedule)])
    assert result.exit_code == 1
    assert "Major discrepancy CAGE-01/1 (=SUM(A1), variance -1) has no Approved By" in result.output
    assert "nothing was written" in result.output and not (cycle / "adjustments").exists()
