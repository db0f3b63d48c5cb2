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


def test_status_missing_read_by_head_stops_quietly(tmp_path: Path) -> None:
    """`cyclekit status CYCLE --missing | head`: the reader stops early; no error is printed."""
    import subprocess
    import sys

    script = (
        "import cyclekit, sys\nfrom cyclekit import api\nfrom cyclekit.cli import main\n"
        "report = cyclekit.CycleStatus(cycle_id='CC-BIG', finalized_at=None, sheets_sent=30000,"
        " sheets_returned=0, missing=[f'WH-{n:05d}' for n in range(30000)], lines_sent=1, lines_counted=0,"
        " problems=0, problems_open=0, open=0, documented=0, approved=0)\n"
        "api.Cycle.status = lambda self, today=None: report\n"
        f"sys.argv = ['cyclekit', 'status', {str(tmp_path)!r}, '--missing']\nmain()\n")
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None and child.stderr is not None
    assert child.stdout.readline() == b"WH-00000\n"
    child.stdout.close()  # as `head -1` does: more than a pipe holds is still to come
    stderr = child.stderr.read().decode()
    assert child.wait(timeout=60) == 0, stderr
    assert stderr == ""
