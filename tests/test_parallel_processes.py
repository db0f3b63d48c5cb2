"""Processes on every supported Python: no fork while threads run, an explicit start method for
workers, the background recount writer starts no thread here, workers end with their starter."""

from __future__ import annotations

import functools
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from cyclekit import parallel
from cyclekit.backends.spec import Sheet, WorkbookSpec
from cyclekit.backends.xlsx import render_later
from tests import parallel_victims

ROOT = Path(__file__).resolve().parents[1]
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a copy of the process: Linux only")


@pytest.fixture
def a_thread_running():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="a library's thread", daemon=True)
    thread.start()
    yield thread
    stop.set()
    thread.join()


@pytest.fixture
def two_cores(monkeypatch):
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)


def test_workers_start_afresh_not_as_copies_of_this_process(monkeypatch, two_cores):
    assert parallel.START_METHOD in ("forkserver", "spawn")
    monkeypatch.setattr(parallel_victims, "MARK", "set in the parent")
    seen = parallel.map_on_cores(parallel_victims.mark, range(8), "marks")
    assert seen == ["as imported"] * 8  # a forked worker would have seen the parent's value


@linux_only
def test_no_fork_while_a_thread_runs_the_work_goes_to_a_fresh_worker(monkeypatch, two_cores, a_thread_running):
    monkeypatch.setattr(parallel.os, "fork", lambda: pytest.fail("forked while a thread runs"))
    wait = parallel.in_forked_copy(functools.partial(parallel_victims.lines, 3))
    assert wait is not None and wait() == "<row r='0'/><row r='1'/><row r='2'/>"


@linux_only
def test_a_closure_with_a_thread_running_is_left_to_the_caller(monkeypatch, two_cores, a_thread_running):
    monkeypatch.setattr(parallel.os, "fork", lambda: pytest.fail("forked while a thread runs"))
    assert parallel.in_forked_copy(lambda: iter(["x"])) is None  # only a copy could run a closure


@linux_only
def test_a_failing_worker_leaves_the_work_to_the_caller(two_cores, a_thread_running):
    wait = parallel.in_forked_copy(functools.partial(parallel_victims.fail, "no"))
    assert wait is not None and wait() is None


def test_the_background_writer_starts_no_thread_here_and_returns_the_paths(tmp_path, two_cores):
    before = set(threading.enumerate())
    wait = render_later([(WorkbookSpec([Sheet("R", rows=[["000812"]])], title="r"), tmp_path / "r.xlsx")])
    assert set(threading.enumerate()) == before  # a copy of this process can still be made meanwhile
    assert wait() == [tmp_path / "r.xlsx"] and (tmp_path / "r.xlsx").stat().st_size > 0


def test_a_background_error_is_raised_where_the_result_is_asked_for(two_cores):
    wait = parallel.in_background(parallel_victims.fail, "disk full")
    with pytest.raises(ValueError, match="disk full"):
        wait()


def test_workers_run_no_thread_of_this_process(two_cores, a_thread_running):
    assert parallel.threads_running() >= 2
    assert parallel.map_on_cores(parallel_victims.threads_seen, range(8), "threads") == [1] * 8 or \
        parallel.START_METHOD == "forkserver"  # a fork server's worker also watches its starter


SCRIPT = textwrap.dedent("""
    import warnings
    warnings.simplefilter("error", DeprecationWarning)  # Python 3.12+: a fork with threads running
    import os, threading
    os.cpu_count = lambda: 2
    import pyarrow  # starts threads of its own, as reading a big export does
    from cyclekit.backends import xlsx
    from cyclekit.backends.spec import Column, Sheet, Style, WorkbookSpec
    xlsx.PARALLEL_ROWS = 100
    rows = [[f"{n:06d}", n * 1.5] for n in range(400)]
    spec = WorkbookSpec([Sheet("Lines", columns=[Column("Part", 10, Style(num_format="@"))], rows=rows)])
    later = xlsx.render_later([(spec, "{out}/later.xlsx")])
    xlsx.render_xlsx(spec, "{out}/now.xlsx")
    xlsx.render_many([(spec, "{out}/" + str(n) + ".xlsx") for n in range(8)])
    later()
    print("threads", len(os.listdir("/proc/self/task")))
""")


@linux_only
def test_a_command_with_library_threads_writes_everything_without_a_fork_warning(tmp_path):
    done = subprocess.run([sys.executable, "-c", SCRIPT.replace("{out}", str(tmp_path))], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "multi-threaded" not in done.stderr and "threads" in done.stdout
    assert len(list(tmp_path.glob("*.xlsx"))) == 10


@linux_only
def test_a_big_sheet_laid_out_by_a_fresh_worker_reads_as_the_serial_one(tmp_path, monkeypatch, two_cores,
                                                                         a_thread_running):
    """With a thread running, the second half of a big sheet goes to a worker given the rows and the
    style numbers pickled (a style first met in that half included): every cell reads the same."""
    import cyclekit.backends.xlsx as xlsx
    from tests.test_xlsx_renderer import _big_sheet_spec, _cells

    monkeypatch.setattr(xlsx, "SMALL_WORKBOOK_ROWS", 0)
    monkeypatch.setattr(xlsx, "PARALLEL_ROWS", 10**9)
    serial = xlsx.render_xlsx(_big_sheet_spec(), tmp_path / "serial.xlsx")
    monkeypatch.setattr(xlsx, "PARALLEL_ROWS", 20)
    monkeypatch.setattr(parallel.os, "fork", lambda: pytest.fail("forked while a thread runs"))
    waits = []
    original = xlsx.in_forked_copy
    monkeypatch.setattr(xlsx, "in_forked_copy", lambda produce: waits.append(original(produce)) or waits[-1])
    split = xlsx.render_xlsx(_big_sheet_spec(), tmp_path / "split.xlsx")
    assert len(waits) == 1 and waits[0] is not None
    assert _cells(split) == _cells(serial)
    assert [c for c in _cells(split) if c[2] == "late"][0][5] == "FFFFC7CE"  # the style met in the second half


def test_a_worker_asked_for_a_copy_of_itself_does_the_work_itself_or_forks_single_threaded(two_cores):
    seen = parallel.map_on_cores(parallel_victims.copy_in_a_worker, range(8), "copies")
    assert all(text.endswith(":<row r='0'/><row r='1'/>") for text in seen)
