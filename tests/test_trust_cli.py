"""Every command's error paths (csvkit style: the same bad inputs against every command that takes
them): a one-line message and a non-zero exit, never a traceback; and --problems json honoured by
every command that offers it."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from cyclekit.cli import cli
from tests.helpers import INVENTORY_HEADER, LOCATIONS_HEADER, fill_sheet, inventory_rows, write_csv

AS_OF = "2026-11-23"


def invoke(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def plant(tmp_path_factory) -> dict[str, Path]:
    """A plant and a cycle at each stage, built once: copied by the tests that change them."""
    root = tmp_path_factory.mktemp("plant")
    inventory = write_csv(root / "inventory.csv", INVENTORY_HEADER, inventory_rows())
    locations = write_csv(root / "locations.csv", LOCATIONS_HEADER, [["WH-A-02", "A", "Ana", "", "", "", ""]])
    schedule = root / "schedule.xlsx"
    assert invoke("schedule", inventory, "--as-of", AS_OF, "-o", schedule).exit_code == 0
    cycle = root / "cycle"
    assert invoke("sheets", schedule, inventory, "--location", "WH-A-02", "--as-of", AS_OF,
                  "-o", cycle).exit_code == 0
    filled = fill_sheet(cycle / "sheets" / "WH-A-02.xlsx", root / "back.xlsx", {1: 12.5, 2: 0.75})
    assert invoke("ingest", cycle, filled).exit_code == 0
    config = root / "cyclekit.toml"
    config.write_text("[schedule]\ndue_soon_days = 7\n")
    template = root / "mine.csv.j2"
    template.write_text("{% for line in lines %}{{ line.part_number }}\n{% endfor %}")
    return {"inventory": inventory, "locations": locations, "schedule": schedule, "cycle": cycle,
            "filled": filled, "config": config, "template": template, "root": root}


def _xlsx_without(path: Path, column: str) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Schedule"
    headers = ["Location", "Zone", "Cadence (days)", "Last Count"]
    sheet.append([h for h in headers if h != column])
    sheet.append(["WH-A-02", "A", 91, None][: len(headers) - (column in headers)])
    book.save(path)


def _zip_that_is_not_xlsx(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")


def _bad(kind: str, slot: str, folder: Path) -> Path:
    """A bad input of `kind` for the command's `slot` (which kind of file it expects)."""
    suffix = {"inventory": ".csv", "locations": ".csv", "schedule": ".xlsx", "output": ".xlsx",
              "filled": ".xlsx", "config": ".toml", "template": ".j2"}[slot]
    path = folder / f"bad-{slot}-{kind}{suffix}"
    if kind == "missing":
        return path
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "binary":
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    elif kind == "pdf":
        path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer <<>>\n%%EOF\n")
    elif kind == "zip":
        _zip_that_is_not_xlsx(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "missing-column":
        if slot == "schedule" or slot == "output":
            _xlsx_without(path, "Cadence (days)")
        elif slot == "inventory":
            header = [h for h in INVENTORY_HEADER if h != "quantity"]
            write_csv(path, header, [["A", "P", "", "", "ea", "", "", "", "1"]])
        elif slot == "locations":
            write_csv(path, ["zone", "owner"], [["A", "Ana"]])
        elif slot == "filled":
            book = openpyxl.Workbook()
            book.active.append(["Line", "Part Number"])
            book.save(path)
        else:
            raise ValueError(slot)
    elif kind == "utf16-garbage":
        path.write_bytes("[schedule]\ndue_soon_days = 'x'\n".encode("utf-16") + b"\xff\xfe\x00\xd8")
    elif kind == "bad-toml":
        path.write_text("[schedule\nthis is = not toml = at all\n")
    elif kind == "latin1":
        path.write_bytes("[count]\nreviewers = ['Jos\xe9']\n".encode("latin-1"))
    elif kind == "latin1-csv":
        path.write_bytes("location,zone,owner\nWH-A-02,Entrep\xf4t,Jos\xe9\n".encode("latin-1"))
    elif kind == "other-xlsx":
        book = openpyxl.Workbook()
        book.active.title = "Budget"
        book.active.append(["Month", "Spend"])
        book.active.append(["Jan", 1200])
        book.save(path)
    elif kind == "unknown-key":
        path.write_text("[schedule]\ndue_son_days = 7\n")
    elif kind == "wrong-type":
        path.write_text("[schedule]\ndue_soon_days = 'soon'\n[count]\ntolerance_percent = 5\n")
    elif kind == "bad-template":
        path.write_text("{% for line in lines %}{{ line.part_number }")
    else:
        raise ValueError(kind)
    return path


def _command(name: str, slot: str, bad: Path, plant: dict[str, Path], work: Path) -> list[object]:
    """The command line of `name` with `bad` in `slot` and good inputs everywhere else."""
    cycle = work / "cycle"
    shutil.copytree(plant["cycle"], cycle)
    schedule = work / "schedule.xlsx"
    shutil.copy(plant["schedule"], schedule)
    pick = {k: (bad if k == slot else v) for k, v in plant.items()}
    if name == "schedule":
        out = bad if slot == "output" else work / "new-schedule.xlsx"
        args = ["schedule", pick["inventory"], "--locations", pick["locations"], "--as-of", AS_OF, "-o", out]
    elif name == "sheets":
        args = ["sheets", bad if slot == "schedule" else schedule, pick["inventory"], "--all", "--as-of", AS_OF,
                "-o", work / "new-cycle"]
    elif name == "ingest":
        args = ["ingest", cycle, pick["filled"]]
    elif name == "finalize":
        args = ["finalize", cycle, "--schedule", bad if slot == "schedule" else schedule]
        args += ["--template", pick["template"]] if slot == "template" else ["--target", "generic"]
    elif name == "status":
        args = ["status", cycle]
    else:
        raise ValueError(name)
    if slot == "config" or name != "verify":
        args += ["--config", pick["config"]]
    return args


SLOTS = {  # command -> the inputs it takes
    "schedule": ["inventory", "locations", "output", "config"],
    "sheets": ["schedule", "inventory", "config"],
    "ingest": ["filled", "config"],
    "finalize": ["schedule", "template", "config"],
    "status": ["config"],
}
KINDS = {
    "inventory": ["missing", "empty", "binary", "pdf", "zip", "folder", "missing-column", "latin1-csv",
                  "other-xlsx"],
    "locations": ["missing", "empty", "binary", "pdf", "folder", "missing-column", "other-xlsx"],  # cp1252 is read
    "schedule": ["missing", "empty", "binary", "pdf", "zip", "folder", "missing-column", "other-xlsx"],
    "output": ["empty", "binary", "pdf", "zip", "folder", "missing-column", "other-xlsx"],
    "filled": ["missing", "empty", "binary", "pdf", "zip", "folder", "missing-column", "other-xlsx"],
    "config": ["missing", "empty-ok", "binary", "folder", "bad-toml", "utf16-garbage", "latin1", "unknown-key",
               "wrong-type"],
    "template": ["missing", "empty-ok", "binary", "folder", "bad-template"],
}
CASES = [(name, slot, kind) for name, slots in SLOTS.items() for slot in slots for kind in KINDS[slot]
         if not kind.endswith("-ok")]


def assert_one_line_error(result) -> str:
    """Exit 1 (2 for a usage error click caught), no traceback, the error in one line."""
    assert result.exit_code in (1, 2), (result.exit_code, result.output)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1, result.output
    if result.exit_code == 1:  # cyclekit's own message: that line only (problems listed above it)
        assert result.output.splitlines()[-1].startswith("Error"), result.output
    return errors[0]


@pytest.mark.parametrize(("name", "slot", "kind"), CASES, ids=[f"{n}-{s}-{k}" for n, s, k in CASES])
def test_every_command_refuses_a_bad_input_in_one_line(name, slot, kind, plant, tmp_path):
    bad = _bad(kind, slot, tmp_path)
    before = bad.read_bytes() if bad.is_file() else None
    result = invoke(*_command(name, slot, bad, plant, tmp_path))
    line = assert_one_line_error(result)
    if kind != "missing" and bad.exists():
        assert bad.name in line or bad.name in result.output or result.exit_code == 2 or slot == "filled", line
    if before is not None:
        assert bad.read_bytes() == before  # never written over
    assert not (tmp_path / "new-cycle").exists() and not (tmp_path / "new-schedule.xlsx").exists()


@pytest.mark.parametrize("kind", ["missing", "empty-folder", "bad-manifest", "list-manifest", "empty-manifest",
                                  "wrong-manifest", "a-file"])
@pytest.mark.parametrize("name", ["ingest", "finalize", "status", "verify"])
def test_every_cycle_command_refuses_a_folder_that_is_not_a_cycle(name, kind, plant, tmp_path):
    cycle = tmp_path / "cycle"
    if kind == "empty-folder":
        cycle.mkdir()
    elif kind.endswith("-manifest"):
        shutil.copytree(plant["cycle"], cycle)
        manifest = json.loads((cycle / "manifest.json").read_text())
        wrong = {**manifest, "locations": 5, "as_of": 20261123, "sheets": "none"}
        (cycle / "manifest.json").write_bytes({"bad-manifest": b"\x00\xffnot json", "list-manifest": b"[1, 2]",
                                               "empty-manifest": b"{}",
                                               "wrong-manifest": json.dumps(wrong).encode()}[kind])
    elif kind == "a-file":
        cycle.write_text("not a folder")
    args = [name, cycle] + (["--schedule", plant["schedule"]] if name == "finalize" else [])
    assert_one_line_error(invoke(*args))


# ---- --problems json -------------------------------------------------------------------------

def _json_out(result) -> list[dict]:
    problems = json.loads(result.stdout)  # stdout is the JSON and nothing else
    assert isinstance(problems, list)
    return problems


def test_verify_problems_json(plant, tmp_path):
    cycle = tmp_path / "cycle"
    shutil.copytree(plant["cycle"], cycle)
    result = invoke("verify", cycle, "--problems", "json")
    assert result.exit_code == 0 and _json_out(result) == []
    assert "records of the cycle are unchanged" in result.stderr
    (cycle / "snapshot.csv").write_text("tampered")
    (cycle / "sheets" / "WH-A-02.xlsx").unlink()
    result = invoke("verify", cycle, "--problems", "json")
    assert result.exit_code == 1
    kinds = {p["kind"]: p["file"] for p in _json_out(result)}
    assert kinds["changed"].endswith("snapshot.csv") and kinds["missing"].endswith("WH-A-02.xlsx")
    assert "1 file(s) changed and 1 missing" in result.stderr


def test_status_problems_json(plant, tmp_path):
    cycle = tmp_path / "cycle"
    shutil.copytree(plant["cycle"], cycle)
    result = invoke("status", cycle, "--problems", "json")
    assert result.exit_code == 0 and _json_out(result) == []
    assert "1 of 1 returned" in result.stderr
    # a Major line without an approval blocks finalize: a problem in the JSON
    filled = fill_sheet(cycle / "sheets" / "WH-A-02.xlsx", tmp_path / "back.xlsx", {1: 500, 2: 0.75})
    assert invoke("ingest", cycle, filled).exit_code == 0
    result = invoke("status", cycle, "--problems", "json")
    blocking = _json_out(result)
    assert blocking and {p["kind"] for p in blocking} == {"blocks-finalize"}
    assert "blocks finalize" in result.stderr


@pytest.mark.parametrize("name", ["schedule", "sheets", "ingest", "finalize", "status", "verify"])
def test_every_command_gives_json_for_an_error_too(name, plant, tmp_path):
    missing = tmp_path / "nowhere"
    args = {"schedule": ["schedule", missing, "-o", tmp_path / "s.xlsx"],
            "sheets": ["sheets", plant["schedule"], missing, "--all", "-o", tmp_path / "c"],
            "ingest": ["ingest", tmp_path], "finalize": ["finalize", tmp_path, "--schedule", plant["schedule"]],
            "status": ["status", tmp_path], "verify": ["verify", tmp_path]}[name]
    result = invoke(*args, "--problems", "json")
    assert result.exit_code == 1
    problems = _json_out(result)
    assert len(problems) == 1 and problems[0]["message"]
    assert result.stderr.startswith("Error")


@pytest.mark.parametrize("args", [["sheets", "--all", "--location", "X"], ["schedule", "--by", "shelf"],
                                  ["verify"]], ids=["in-command", "bad-choice", "missing-argument"])
def test_a_usage_error_with_problems_json_is_json(args, plant, tmp_path):
    if args[0] == "sheets":
        args = ["sheets", plant["schedule"], plant["inventory"], "-o", tmp_path / "c", *args[1:]]
    elif args[0] == "schedule":
        args = ["schedule", plant["inventory"], *args[1:]]
    result = invoke(*args, "--problems", "json")
    assert result.exit_code == 2
    assert _json_out(result)[0]["kind"] == "usage"


def test_the_success_summary_goes_to_stderr_with_json(plant, tmp_path):
    result = invoke("schedule", plant["inventory"], "--as-of", AS_OF, "-o", tmp_path / "s.xlsx",
                    "--problems", "json")
    assert result.exit_code == 0 and _json_out(result) == [] and "Wrote" in result.stderr
    result = invoke("sheets", tmp_path / "s.xlsx", plant["inventory"], "--location", "WH-A-02", "--as-of", AS_OF,
                    "-o", tmp_path / "c", "--problems", "json")
    assert result.exit_code == 0 and _json_out(result) == [] and "Cycle" in result.stderr


@pytest.mark.parametrize("name", ["schedule", "sheets"])
def test_an_output_where_nothing_can_be_written_is_one_line(name, plant, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where a folder should be")
    if name == "schedule":
        args = ["schedule", plant["inventory"], "-o", blocker / "schedule.xlsx"]
    else:
        args = ["sheets", plant["schedule"], plant["inventory"], "--all", "--as-of", AS_OF, "-o", blocker / "cycle"]
    line = assert_one_line_error(invoke(*args))
    assert "a-file" in line
