"""Progress bars: silent by default, tqdm on a terminal only, --quiet on every stage command."""

from __future__ import annotations

import io
import threading
import time

import pytest
from click.testing import CliRunner

from cyclekit import progress
from cyclekit.cli import cli
from cyclekit.stages import schedule as api
from tests.helpers import INVENTORY_HEADER, inventory_rows, write_csv

STAGE_COMMANDS = ["schedule", "sheets", "ingest", "finalize"]


class FakeTTY(io.StringIO):
    """A stream that says it is a terminal, and keeps what was written to it."""

    def isatty(self) -> bool:
        return True


class Recorder:
    """A reporter that notes each task and its advances."""

    def __init__(self) -> None:
        self.tasks: list[list] = []

    def task(self, description, total=None, unit="it"):
        record = [description, total, 0]
        self.tasks.append(record)

        class _Task:
            def __enter__(self_inner):
                return self_inner

            def __exit__(self_inner, *exc):
                return None

            def advance(self_inner, n=1):
                record[2] += n

        return _Task()


def _progress_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "cyclekit-progress"]


# --- The library API --------------------------------------------------------------------------


def test_default_is_silent_even_on_a_terminal(monkeypatch, capfd):
    tty = FakeTTY()
    monkeypatch.setattr("sys.stderr", tty)
    monkeypatch.setattr("sys.stdout", tty)
    monkeypatch.setattr(progress, "DEFAULT_DELAY", 0.0)
    with progress.task("Writing count sheets", total=3) as bar:
        bar.advance()
        bar.advance(2)
    assert list(progress.track([1, 2, 3], "Reading filled sheets")) == [1, 2, 3]
    assert tty.getvalue() == ""
    assert capfd.readouterr() == ("", "")


def test_default_costs_nothing_to_speak_of():
    items = [1, 2, 3]
    # no reporter: track is the plain iterator, task one shared do-nothing object
    assert type(progress.track(items, "Reading")) is type(iter(items))
    assert progress.task("a") is progress.task("b", total=5)


def test_use_installs_a_reporter_for_the_block_only():
    recorder = Recorder()
    with progress.use(recorder):
        with progress.task("Writing count sheets", total=4) as bar:
            bar.advance(3)
        assert list(progress.track(range(5), "Reading filled sheets")) == [0, 1, 2, 3, 4]
        assert list(progress.track(iter("ab"), "Unsized")) == ["a", "b"]
        with progress.use(None):
            with progress.task("Silenced") as bar:
                bar.advance()
        with progress.task("Reporting again") as bar:
            bar.advance()
    with progress.task("After the block") as bar:
        bar.advance()
    assert recorder.tasks == [["Writing count sheets", 4, 3], ["Reading filled sheets", 5, 5], ["Unsized", None, 2],
                              ["Reporting again", None, 1]]


def test_a_forked_worker_does_not_report_on_the_parents_terminal(monkeypatch):
    recorder = Recorder()
    with progress.use(recorder):
        real_pid = progress.os.getpid()
        monkeypatch.setattr(progress.os, "getpid", lambda: real_pid + 1)
        with progress.task("In a worker") as bar:
            bar.advance()
    assert recorder.tasks == []


# --- The terminal reporter --------------------------------------------------------------------


def test_terminal_reporter_draws_a_bar_on_a_terminal_and_clears_it():
    tty = FakeTTY()
    with progress.use(progress.TerminalReporter(tty, delay=0)):
        with progress.task("Writing count sheets", total=3, unit="sheet") as bar:
            for _ in range(3):
                time.sleep(0.12)  # past tqdm's minimum interval between draws
                bar.advance()
    out = tty.getvalue()
    assert "Writing count sheets" in out
    assert "0/3" in out and "3/3" in out and "sheet" in out
    assert out.split("\r")[-2].strip() == ""  # the last thing drawn blanks the line: no bar left behind
    assert not _progress_threads()


def test_track_draws_its_total_from_len():
    tty = FakeTTY()
    with progress.use(progress.TerminalReporter(tty, delay=0)):
        assert list(progress.track(["a", "b"], "Reading filled sheets")) == ["a", "b"]
    assert "Reading filled sheets" in tty.getvalue() and "0/2" in tty.getvalue()


def test_nothing_is_drawn_for_a_stage_shorter_than_the_delay():
    tty = FakeTTY()
    with progress.use(progress.TerminalReporter(tty, delay=5.0)):
        with progress.task("Quick", total=100) as bar:
            for _ in range(100):
                bar.advance()
    assert tty.getvalue() == ""
    assert not _progress_threads()


def test_a_stage_longer_than_the_delay_shows_even_without_advancing():
    tty = FakeTTY()
    with progress.use(progress.TerminalReporter(tty, delay=0.1, tick=0.05)):
        with progress.task("Exporting PDFs"):  # one long call, never advanced
            time.sleep(0.5)
    out = tty.getvalue()
    assert "Exporting PDFs: 00:00" in out
    assert out.split("\r")[-2].strip() == ""
    assert not _progress_threads()


def test_the_default_delay_is_about_two_seconds():
    assert progress.TerminalReporter().delay == progress.DEFAULT_DELAY == 2.0


def test_nothing_is_written_when_not_a_terminal(monkeypatch, capfd):
    stream = io.StringIO()
    with progress.use(progress.TerminalReporter(stream, delay=0)):
        with progress.task("Writing count sheets", total=3) as bar:
            time.sleep(0.12)
            bar.advance(3)
    assert stream.getvalue() == ""
    # the default stream is sys.stderr at the time the stage starts
    with progress.use(progress.TerminalReporter(delay=0)):
        for _ in progress.track(range(3), "Reading filled sheets"):
            time.sleep(0.05)
    assert capfd.readouterr() == ("", "")
    assert not _progress_threads()


def test_a_failing_stage_closes_its_bar():
    tty = FakeTTY()
    with pytest.raises(RuntimeError), progress.use(progress.TerminalReporter(tty, delay=0, tick=0.05)):
        with progress.task("Writing count sheets", total=3):
            raise RuntimeError("disk full")
    assert tty.getvalue().split("\r")[-2].strip() == ""
    assert not _progress_threads()


# --- The command line -------------------------------------------------------------------------


@pytest.mark.parametrize("command", STAGE_COMMANDS)
def test_every_stage_command_takes_quiet(command):
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "-q, --quiet" in result.output


@pytest.fixture
def schedule_with_a_stage(monkeypatch, tmp_path):
    """`cyclekit schedule` whose library call runs a stage that would draw at once on a terminal."""
    monkeypatch.setattr(progress, "DEFAULT_DELAY", 0.0)
    real = api.write_schedule

    def write_schedule(*args, **kwargs):
        with progress.task("Classing locations", total=2) as bar:
            bar.advance(2)
        return real(*args, **kwargs)

    monkeypatch.setattr(api, "write_schedule", write_schedule)
    inventory = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER, inventory_rows())

    def run(*options: str):
        out = tmp_path / "schedule.xlsx"
        result = CliRunner().invoke(cli, ["schedule", str(inventory), "--as-of", "2026-11-23", "-o", str(out),
                                          *options])
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith(f"Wrote {out}: 5 rows")
        return result

    return run


def test_cli_run_off_a_terminal_prints_no_progress(schedule_with_a_stage):
    result = schedule_with_a_stage()  # CliRunner's streams are not terminals
    assert "Classing" not in result.output
    assert result.stderr == ""


def test_cli_on_a_terminal_shows_progress_on_stderr_only(schedule_with_a_stage, monkeypatch):
    monkeypatch.setattr(progress, "_isatty", lambda stream: True)
    result = schedule_with_a_stage()
    assert "Classing locations" in result.stderr
    assert "Classing" not in result.stdout
    assert result.stdout.count("\n") == 1  # the one-line result, untouched


@pytest.mark.parametrize("flag", ["--quiet", "-q"])
def test_cli_quiet_on_a_terminal_shows_no_progress(schedule_with_a_stage, monkeypatch, flag):
    monkeypatch.setattr(progress, "_isatty", lambda stream: True)
    result = schedule_with_a_stage(flag)
    assert result.stderr == ""
    assert "Classing" not in result.output
