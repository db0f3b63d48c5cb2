"""The public API: a whole cycle driven from Python with `import cyclekit` alone, what it exports,
and the CLI as a thin layer over it."""

from __future__ import annotations

import ast
import csv
import datetime as dt
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

import cyclekit
from tests.helpers import INVENTORY_HEADER, LOCATIONS_HEADER, fill_sheet, inventory_rows, location_rows, write_csv

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 11, 23)
sys.path.insert(0, str(ROOT / "examples"))
from simulate_review import review  # noqa: E402  (finance, typing into results.xlsx with openpyxl)


@pytest.fixture
def plant(tmp_path: Path) -> tuple[Path, Path]:
    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, inventory_rows())
    locations = write_csv(tmp_path / "locations.csv", LOCATIONS_HEADER, location_rows())
    return inventory, locations


def count_the_floor(cycle: cyclekit.Cycle, inbox: Path) -> list[Path]:
    """Every counter signs and counts what the snapshot holds, but the cage's first line is not
    there (a Major discrepancy); the empty location is confirmed empty."""
    with open(cycle.folder / "snapshot.csv", encoding="utf-8", newline="") as handle:
        shelf = {(row["location"], int(row["line"])): row["quantity"] for row in csv.DictReader(handle)}
    filled = []
    for record in cycle.manifest.sheets:
        counts = {line: shelf[(record.location, line)] for line in record.lines}
        if record.location == "CAGE-01":
            counts[1] = 0
        filled.append(fill_sheet(cycle.folder / record.file, inbox / f"{record.location} done.xlsx", counts,
                                 confirmed_empty=None if counts else "YES", counted_by="Sam Okafor"))
    return filled


def test_a_whole_cycle_through_the_public_api(tmp_path: Path, plant: tuple[Path, Path]) -> None:
    inventory, locations = plant
    schedule = cyclekit.Schedule(tmp_path / "schedule.xlsx", config=cyclekit.Config())
    written = schedule.write(inventory, locations=locations, as_of=AS_OF)
    assert isinstance(written, cyclekit.ScheduleReport) and written.rows == 6
    assert {row.key for row in schedule.read().entries} == {"WH-A-01", "WH-A-02", "CAGE-01", "LS-1", "MRB-01",
                                                           "EMPTY-9"}

    cycle = cyclekit.Cycle.start(tmp_path / "cycle", schedule=schedule, inventory=inventory, as_of=AS_OF,
                                 all_locations=True)
    assert isinstance(cycle.started, cyclekit.CycleReport) and cycle.started.cycle_id == cycle.id
    assert sorted(cycle.locations) == sorted(row.key for row in schedule.read().entries)
    assert (cycle.as_of, cycle.count_date, cycle.finalized, cycle.results) == (AS_OF, AS_OF, False, None)
    assert len(cycle.sheet_files) == 6

    counted = cycle.ingest(count_the_floor(cycle, tmp_path / "inbox"))
    assert isinstance(counted, cyclekit.IngestReport) and isinstance(counted.figures, cyclekit.Figures)
    assert counted.figures.discrepancies == 1 and counted.figures.lines_counted == counted.figures.lines_sent
    assert counted.open_problems == [] and cycle.results == tmp_path / "cycle" / "results.xlsx"

    before = cycle.status()
    assert isinstance(before, cyclekit.CycleStatus) and before.major == 1 and before.approved == 0
    assert any("CAGE-01/1" in item for item in before.blocking)
    with pytest.raises(cyclekit.InputError, match="cannot be finalized yet") as refused:  # writing nothing
        cycle.finalize(schedule, targets=["generic"])
    assert [p.line_id or p.value for p in refused.value.problems] == ["CAGE-01/1"]
    assert not cycle.finalized and not (cycle.folder / "adjustments").exists()

    review(cycle.folder)
    assert cycle.status().blocking == []
    closed = cycle.finalize(schedule, targets="generic")  # one target given alone
    assert isinstance(closed, cyclekit.FinalizeReport) and isinstance(closed.history, cyclekit.HistoryRow)
    assert closed.adjustments == 1 and [p.name for p in closed.files] == ["generic.csv"]
    assert cycle.finalized and set(closed.locations_moved) == set(cycle.locations)
    assert {row.key: row.last_count for row in schedule.read().entries}["CAGE-01"] == AS_OF

    check = cycle.verify()
    assert isinstance(check, cyclekit.Verification) and check.ok and check.checked > 0
    with pytest.raises(cyclekit.CyclekitError, match="finalized"):
        cycle.ingest()


def test_a_cycle_folder_opened_again_reads_its_manifest(tmp_path: Path, plant: tuple[Path, Path]) -> None:
    inventory, locations = plant
    schedule = cyclekit.Schedule(tmp_path / "schedule.xlsx", config=cyclekit.Config())
    schedule.write(inventory, locations=locations, as_of=AS_OF)
    started = cyclekit.Cycle.start(tmp_path / "cycle", schedule=schedule, inventory=inventory, as_of=AS_OF,
                                   locations=["LS-1", "CAGE-01"], cycle_id="CC-API-1")
    again = cyclekit.Cycle(tmp_path / "cycle")
    assert again.started is None and again.id == "CC-API-1" and again.locations == started.locations
    assert sorted(again.locations) == ["CAGE-01", "LS-1"]


def test_one_location_or_file_given_alone_is_one(tmp_path: Path, plant: tuple[Path, Path]) -> None:
    """Never a list of its characters ('L', 'S', '-', '1')."""
    inventory, locations = plant
    schedule = cyclekit.Schedule(tmp_path / "schedule.xlsx", config=cyclekit.Config())
    schedule.write(inventory, locations=locations, as_of=AS_OF)
    cycle = cyclekit.Cycle.start(tmp_path / "cycle", schedule=schedule, inventory=inventory, as_of=AS_OF,
                                 locations="LS-1")
    assert cycle.locations == ["LS-1"]
    filled = count_the_floor(cycle, tmp_path / "inbox")
    assert len(filled) == 1 and cycle.ingest(str(filled[0])).sheets_read == 1


def test_the_library_refuses_with_cyclekit_errors(tmp_path: Path, plant: tuple[Path, Path]) -> None:
    inventory, _ = plant
    with pytest.raises(cyclekit.CyclekitError, match="not both"):
        cyclekit.Cycle.start(tmp_path / "c", schedule=tmp_path / "s.xlsx", inventory=inventory,
                             all_locations=True, locations=["LS-1"])
    with pytest.raises(cyclekit.CyclekitError, match="from 0"):  # the command's --due-within is checked too
        cyclekit.Cycle.start(tmp_path / "c", schedule=tmp_path / "s.xlsx", inventory=inventory, due_within=-1)
    assert not (tmp_path / "c").exists()
    with pytest.raises(cyclekit.CyclekitError, match="not by 'bin'"):  # never read as by part
        cyclekit.Schedule(tmp_path / "s.xlsx").write(inventory, by="bin")
    assert not (tmp_path / "s.xlsx").exists()
    with pytest.raises(cyclekit.ConfigError, match="not found"):
        cyclekit.Schedule(tmp_path / "s.xlsx", config=tmp_path / "missing.toml").write(inventory)
    export = write_csv(tmp_path / "bad.csv", ["location", "part_number", "quantity"], [["WH-1", "000812", "twelve"]])
    with pytest.raises(cyclekit.InputError) as refused:
        cyclekit.Schedule(tmp_path / "s.xlsx").write(export)
    assert [(p.kind, p.row, p.value) for p in refused.value.problems][0][1:] == (2, "twelve")
    assert isinstance(refused.value.problems[0], cyclekit.Problem) and not (tmp_path / "s.xlsx").exists()


def test_a_config_is_read_only_by_the_methods_that_need_it(tmp_path: Path) -> None:
    """As the command: verify reads no config, so a broken one does not stop it."""
    cycle = cyclekit.Cycle(tmp_path, config=tmp_path / "missing.toml")
    with pytest.raises(cyclekit.CycleError):  # no manifest here: the folder is not a cycle
        cycle.verify()
    with pytest.raises(cyclekit.ConfigError):
        cycle.status()


def test_every_export_resolves_and_star_import_gives_them() -> None:
    namespace: dict[str, object] = {}
    exec("from cyclekit import *", namespace)
    for name in cyclekit.__all__:
        assert getattr(cyclekit, name) is namespace[name]
        assert name in dir(cyclekit)
    assert {"Schedule", "Cycle", "load_config", "Config", "Problem", "CyclekitError", "InputError"} <= set(
        cyclekit.__all__)
    assert all(issubclass(getattr(cyclekit, e), cyclekit.CyclekitError)
               for e in ("ConfigError", "CycleError", "InputError", "MissingToolError"))
    with pytest.raises(AttributeError):
        cyclekit.no_such_name  # noqa: B018


def test_import_cyclekit_loads_no_stage() -> None:
    """The API classes are loaded on first use: a worker process or `cyclekit --version` that imports
    a part of cyclekit does not pay for the stages, xlsxwriter or pyarrow."""
    code = ("import sys, cyclekit; print(sorted(m for m in sys.modules if m.startswith(('cyclekit.stages', "
            "'cyclekit.api', 'xlsxwriter', 'pyarrow'))))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_the_version_has_one_place() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert cyclekit.__version__ == project["project"]["version"] == "0.2.0"
    from cyclekit.cli import cli

    assert CliRunner().invoke(cli, ["--version"]).output.strip() == f"cyclekit, version {cyclekit.__version__}"


def test_type_hints_ship_with_the_package() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "py.typed" in project["tool"]["setuptools"]["package-data"]["cyclekit"]
    assert (ROOT / "cyclekit" / "py.typed").is_file()


def _runtime_imports(path: Path) -> list[str]:
    """What a module imports when it runs (not the imports for type checkers only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    checking_only = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
                     and ast.unparse(block.test) == "TYPE_CHECKING" for stmt in block.body for node in ast.walk(stmt)}
    names = []
    for node in ast.walk(tree):
        if id(node) in checking_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            names += [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return names


def test_the_cli_calls_the_public_api_only() -> None:
    """cli.py parses options and prints reports: the work is the API's (no stage, no config loading)."""
    imported = _runtime_imports(ROOT / "cyclekit" / "cli.py")
    assert "cyclekit.api.Cycle" in imported and "cyclekit.api.Schedule" in imported
    assert [name for name in imported if name.startswith(("cyclekit.stages", "cyclekit.config"))] == []


def test_the_cli_prints_the_report_the_api_returns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cyclekit import api
    from cyclekit.cli import cli

    report = cyclekit.CycleStatus(
        cycle_id="CC-FAKE", finalized_at=None, sheets_sent=3, sheets_returned=2, missing=["LS-9"], lines_sent=30,
        lines_counted=20, problems=2, problems_open=1, open=4, documented=1, approved=0, major=1,
        blocking=["Major discrepancy X/1 has no Approved By"])
    monkeypatch.setattr(api.Cycle, "status", lambda self, today=None: report)
    result = CliRunner().invoke(cli, ["status", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:3] == ["Cycle CC-FAKE: open", "  sheets   2 of 3 returned; missing: LS-9",
                                              "  lines    20 of 30 counted; 1 open problem (1 more fixed by a "
                                              "recount or resolved)"]
    assert "    - Major discrepancy X/1 has no Approved By" in result.output
