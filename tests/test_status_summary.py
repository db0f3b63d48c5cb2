"""`status` on a cycle with a thousand sheets still out: one summary line, and the list on request."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import cyclekit
from cyclekit import api
from cyclekit.cli import cli

MISSING = [f"WH-{n:04d}" for n in range(1000)] + [" 000812 "]


@pytest.fixture
def thousand_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    report = cyclekit.CycleStatus(
        cycle_id="CC-BIG", finalized_at=None, sheets_sent=1200, sheets_returned=199, missing=MISSING,
        lines_sent=48000, lines_counted=7960, problems=0, problems_open=0, open=0, documented=0, approved=0)
    monkeypatch.setattr(api.Cycle, "status", lambda self, today=None: report)


def test_a_thousand_missing_locations_are_summarised_on_one_short_line(tmp_path: Path, thousand_missing: None) -> None:
    result = CliRunner().invoke(cli, ["status", str(tmp_path)])
    assert result.exit_code == 0, result.output
    sheets = result.output.splitlines()[1]
    assert sheets == ("  sheets   199 of 1200 returned; missing: " + ", ".join(MISSING[:10])
                      + " and 991 more (status --missing lists them all)")


def test_status_missing_lists_every_location_exactly_one_a_line(tmp_path: Path, thousand_missing: None) -> None:
    result = CliRunner().invoke(cli, ["status", str(tmp_path), "--missing"])
    assert result.exit_code == 0, result.output
    assert result.output.split("\n")[:-1] == MISSING  # end spaces kept: a list to match against


def test_a_few_missing_locations_are_all_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    report = cyclekit.CycleStatus(
        cycle_id="CC-SMALL", finalized_at=None, sheets_sent=12, sheets_returned=2, missing=MISSING[:10],
        lines_sent=480, lines_counted=80, problems=0, problems_open=0, open=0, documented=0, approved=0)
    monkeypatch.setattr(api.Cycle, "status", lambda self, today=None: report)
    result = CliRunner().invoke(cli, ["status", str(tmp_path)])
    assert result.output.splitlines()[1] == "  sheets   2 of 12 returned; missing: " + ", ".join(MISSING[:10])
