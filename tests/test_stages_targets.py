"""The stages behind one workbook-target interface (backends/targets.py): a file or a Google
spreadsheet, resolved in one place, with no stage reaching into the Google backend itself; one
module per command; small functions."""

import ast
import importlib
from pathlib import Path

import pytest

from cyclekit.backends.gsheets import GoogleSession, GoogleTarget
from cyclekit.backends.spec import Sheet, WorkbookSpec
from cyclekit.backends.targets import GoogleSpreadsheet, XlsxFile, new_spreadsheet, workbook_at, workbook_to_write
from cyclekit.errors import CyclekitError
from tests import sheets_fake as fake_module

sheets_fake = fake_module.sheets_fake
gspread_client = fake_module.gspread_client

PACKAGE = Path(__file__).resolve().parent.parent / "cyclekit"
STAGES = sorted((PACKAGE / "stages").glob("*.py"))


@pytest.fixture
def google(gspread_client):
    return GoogleTarget(GoogleSession(gspread_client, sleep=lambda s: None, progress=lambda t: None),
                        share_with=("lead@plant.example.com",))


def _spec(value: str) -> WorkbookSpec:
    return WorkbookSpec([Sheet("Schedule", rows=[["Location", "Note"], ["000812", value]])], title="Schedule")


# ---- one module per command -----------------------------------------------------------------

@pytest.mark.parametrize("command, function", [
    ("schedule", "write_schedule"), ("sheets", "start_cycle"), ("ingest", "ingest_cycle"),
    ("finalize", "finalize_cycle"), ("verify", "verify_cycle"), ("status", "cycle_status"),
    ("send", "send_cycle"), ("calendar", "write_calendar"), ("remind", "remind"), ("report", "write_report")])
def test_each_command_has_a_stage_module_named_as_the_command(command, function):
    assert callable(getattr(importlib.import_module(f"cyclekit.stages.{command}"), function))


def test_no_stage_module_is_named_otherwise():
    names = {p.stem for p in STAGES} - {"__init__"}
    assert names == {"schedule", "sheets", "ingest", "finalize", "verify", "status", "send", "calendar", "remind",
                     "report"}


# ---- stages stop branching on Google ---------------------------------------------------------

def _imports(path: Path) -> list[tuple[str, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found += [(node.module, alias.name) for alias in node.names]
    return found


@pytest.mark.parametrize("path", STAGES, ids=lambda p: p.name)
def test_stages_reach_google_only_through_the_target_interface(path):
    """The Google backend's readers and writers are the target's business: a stage names at most
    GoogleTarget (the credentials and sharing a caller passes in)."""
    reached = [name for module, name in _imports(path) if module == "cyclekit.backends.gsheets"]
    assert set(reached) <= {"GoogleTarget"}, f"{path.name} imports {reached} from the Google backend"
    text = path.read_text(encoding="utf-8")
    for name in ("GoogleReader(", "metadata_tabs(", "render_gsheets(", "replace_gsheets("):
        assert name not in text, f"{path.name} calls {name}..."


def test_a_schedule_is_resolved_and_read_in_one_place():
    """'google:<id>', a URL or a file: resolved by the target module, read by one stage function."""
    resolved = [p.name for p in STAGES if "google_id(" in p.read_text(encoding="utf-8")]
    read = [p.name for p in STAGES if "read_schedule(" in p.read_text(encoding="utf-8")]
    assert resolved == [] and read == ["schedule.py"]


def test_sources_unchanged_since_ingest_are_checked_in_one_place():
    said = [p.name for p in STAGES if "changed after the last ingest" in p.read_text(encoding="utf-8")]
    hashed = [p.name for p in STAGES if "!= entry.sha256" in p.read_text(encoding="utf-8")]
    # the files: folder.cycle.changed_since_ingest; the Google count sheets: ingest.last_ingest_sources
    assert said == [] and hashed == ["ingest.py"]


# ---- the targets ------------------------------------------------------------------------------

def test_a_file_target_writes_reads_back_and_keeps_a_copy_never_over_another(tmp_path):
    target = workbook_at(tmp_path / "schedule.xlsx", None)
    assert isinstance(target, XlsxFile) and not target.exists() and target.file == tmp_path / "schedule.xlsx"
    assert target.keep_backup("Schedule before") is None  # nothing to copy yet
    written = target.write(_spec("first"))
    assert written.address == tmp_path / "schedule.xlsx" and written.name == str(tmp_path / "schedule.xlsx")
    assert target.read().rows("Schedule")[1] == ["000812", "first"]
    copies = [target.keep_backup("Schedule before"), target.keep_backup("Schedule before")]
    target.write(_spec("second"))
    assert None not in copies and len(set(copies)) == 2  # the same second: -2, never over the first
    assert all(XlsxFile(c).read().rows("Schedule")[1] == ["000812", "first"] for c in copies)
    assert target.read().rows("Schedule")[1] == ["000812", "second"]


@pytest.mark.parametrize("name", ["google:abc123", "https://docs.google.com/spreadsheets/d/abc123/edit#gid=0"])
def test_a_spreadsheet_named_without_credentials_is_refused_by_name(name):
    with pytest.raises(CyclekitError, match="is a Google spreadsheet: give --format gsheets"):
        workbook_at(name, None)


def test_a_spreadsheet_name_resolves_to_its_id(google):
    target = workbook_at("https://docs.google.com/spreadsheets/d/abc123/edit#gid=0", google)
    assert isinstance(target, GoogleSpreadsheet) and target.spreadsheet_id == "abc123"
    assert target.name == "google:abc123" and target.file is None and target.exists()
    assert new_spreadsheet(None) is None


def test_a_new_spreadsheet_is_shared_with_the_people_given_and_the_target_s(google, sheets_fake):
    target = new_spreadsheet(google)
    assert target is not None and not target.exists()
    written = target.write(_spec("first"), share_with={"ana@plant.example.com"})
    assert written.name == f"google:{written.spreadsheet_id}" and target.exists()
    assert written.record() == {"id": written.spreadsheet_id, "url": written.address, "tabs": ["Schedule"],
                                "requests": written.requests}
    assert sheets_fake.count("drive.permissions.create") == 2  # ana and the lead
    assert target.read().rows("Schedule")[1] == ["000812", "first"]


def test_a_spreadsheet_replaced_keeps_its_id_and_a_copy_only_when_asked(google, sheets_fake):
    target = new_spreadsheet(google)
    first = target.write(_spec("first"))
    again = target.write(_spec("second"))
    assert again.spreadsheet_id == first.spreadsheet_id and sheets_fake.count("drive.files.copy") == 0
    assert target.keep_backup("Schedule before 2026-11-23") is None  # made by the write, in Drive
    target.write(_spec("third"))
    assert sheets_fake.count("drive.files.copy") == 1
    assert workbook_at(first.name, google).read().rows("Schedule")[1] == ["000812", "third"]


def test_a_spreadsheet_not_yet_made_cannot_be_read(google):
    with pytest.raises(CyclekitError, match="not yet created"):
        GoogleSpreadsheet(google).read()


def test_a_workbook_to_write_is_a_spreadsheet_with_credentials_else_an_xlsx_file(tmp_path, google):
    with pytest.raises(CyclekitError, match="add --format gsheets"):
        workbook_to_write("https://docs.google.com/spreadsheets/d/abc123", None, "the schedule")
    with pytest.raises(CyclekitError, match="the schedule is an Excel workbook; give a file name ending in .xlsx"):
        workbook_to_write(tmp_path / "schedule.csv", None, "the schedule")
    assert workbook_to_write(tmp_path / "schedule.xlsx", None, "the schedule").file == tmp_path / "schedule.xlsx"
    assert workbook_to_write(tmp_path / "schedule.xlsx", google, "the schedule").exists() is False  # a new one
    assert workbook_to_write("google:abc123", google, "the schedule").name == "google:abc123"


# ---- small functions --------------------------------------------------------------------------

def test_no_stage_function_is_over_60_lines():
    long = [f"{p.name}:{f.name} ({f.end_lineno - f.lineno + 1})"
            for p in [*STAGES, PACKAGE / "backends" / "targets.py"]
            for f in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
            if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef) and f.end_lineno - f.lineno + 1 > 60]
    assert long == []



def test_stages_and_targets_are_clean_under_mypy_strict():
    """Only these modules' own errors count here: the modules they import have their owners' checks."""
    import subprocess
    import sys

    pytest.importorskip("mypy")
    checked = ["cyclekit/stages", "cyclekit/backends/targets.py"]
    run = subprocess.run([sys.executable, "-m", "mypy", "--strict", *checked], capture_output=True, text=True,
                         cwd=PACKAGE.parent, timeout=600)
    own = [line for line in run.stdout.splitlines() if line.startswith(tuple(checked))]
    assert own == []
