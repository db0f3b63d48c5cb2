"""A cycle whose count sheets are in Google Sheets, ingested with its results in results.xlsx: the
manifest says where the sheets are, --format only where the results go (against the Sheets fake)."""

# ruff: noqa: F811 (the Sheets fake's fixtures, imported from test_gsheets, are test arguments)
import json

from click.testing import CliRunner

from cyclekit import Cycle
from cyclekit.backends import gsheets
from cyclekit.cli import cli
from cyclekit.config import Config
from cyclekit.stages.sheets import Selection, start_cycle
from tests.test_cycle_flow import rows_of
from tests.test_gsheets import AS_OF, google, gspread_client, plant, sheets_fake  # noqa: F401


def _google_cycle(plant, google, tmp_path):
    """CAGE-01's count sheet made in Google Sheets, counted and signed there by Bo."""
    inventory, _, schedule = plant
    report = start_cycle(schedule, inventory, tmp_path / "c", Config(), selection=Selection(locations=("CAGE-01",)),
                         as_of=AS_OF, google=google)
    spreadsheet_id = json.loads((report.cycle_dir / "manifest.json").read_text())["google"]["count_sheets"]["id"]
    ws = google.session.client.open_by_key(spreadsheet_id).worksheet("CAGE-01")
    ws.update([["3"]], "H8", value_input_option="USER_ENTERED")  # Floor Count: after the Serial column
    signed_at = next(n for n, row in enumerate(ws.get_all_values(), start=1) if row[1:2] == ["Counted by"])
    ws.update([["Bo Lind"]], f"C{signed_at}", value_input_option="USER_ENTERED")
    return report.cycle_dir


def _results_only_in_xlsx(cycle_dir, sheets_fake):
    manifest = json.loads((cycle_dir / "manifest.json").read_text())
    assert "results" not in manifest["google"]  # nothing moved to Google
    assert len(sheets_fake.spreadsheets) == 1  # the count sheets only: no results spreadsheet made
    [row] = rows_of(cycle_dir / "results.xlsx", "Variance")
    assert (row["Location"], row["Counted Qty"], row["Counted By"]) == ("CAGE-01", 3, "Bo Lind")


def test_the_python_api_reads_google_count_sheets_and_writes_results_xlsx(plant, google, sheets_fake,
                                                                         tmp_path):
    cycle_dir = _google_cycle(plant, google, tmp_path)
    sheets_fake.reset_counts()
    report = Cycle(cycle_dir, config=Config()).ingest(sheets_google=google)
    assert report.results == cycle_dir / "results.xlsx" and not report.url
    assert sheets_fake.count("values.batchGetByDataFilter") == 1 and sheets_fake.count("spreadsheets.create") == 0
    _results_only_in_xlsx(cycle_dir, sheets_fake)


def test_ingest_reads_google_count_sheets_with_the_default_credentials(plant, google, gspread_client,
                                                                       sheets_fake, monkeypatch, tmp_path):
    cycle_dir = _google_cycle(plant, google, tmp_path)
    signed_in_with = []

    def default_credentials(credentials=None):  # what gspread would sign in with, here the fake
        signed_in_with.append(credentials)
        return gspread_client

    monkeypatch.setattr(gsheets, "google_client", default_credentials)
    result = CliRunner().invoke(cli, ["ingest", str(cycle_dir)])  # --format xlsx, the default
    assert result.exit_code == 0, result.output
    assert "1 of 1 line counted" in result.output and signed_in_with == [None]
    _results_only_in_xlsx(cycle_dir, sheets_fake)


def test_a_local_cycle_never_signs_in_to_google(plant, monkeypatch, tmp_path):
    inventory, _, schedule = plant
    report = start_cycle(schedule, inventory, tmp_path / "c", Config(), selection=Selection(locations=("CAGE-01",)),
                         as_of=AS_OF)

    def no_google(credentials=None):
        raise AssertionError("signed in to Google for a cycle that has nothing there")

    monkeypatch.setattr(gsheets, "google_client", no_google)
    result = CliRunner().invoke(cli, ["ingest", str(report.cycle_dir), "--credentials", str(tmp_path / "key.json")])
    assert result.exit_code == 0, result.output


def test_without_credentials_ingest_says_where_the_sheets_are_and_what_is_missing(plant, google,
                                                                                  monkeypatch, tmp_path):
    cycle_dir = _google_cycle(plant, google, tmp_path)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    result = CliRunner().invoke(cli, ["ingest", str(cycle_dir)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "count sheets are in Google Sheets (https://docs.google.com/spreadsheets/d/" in result.output
    assert "credentials file not found" in result.output and "--format gsheets" not in result.output
    assert not (cycle_dir / "results.xlsx").exists()
