"""cyclekit.backends.libreoffice against the real LibreOffice (the `soffice` fixture skips or fails)."""

from __future__ import annotations

import concurrent.futures
import datetime
import random
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from cyclekit.backends import libreoffice
from cyclekit.backends.libreoffice import ConversionError, convert, find_soffice, recalculate, to_pdf
from cyclekit.errors import CyclekitError, MissingToolError


def write_book(path: Path, a1: object = 41, text: str = "Bin WH-A-01") -> Path:
    """A1 = a1, B1 = A1+1 with a wrong cached value 0, C1 = TODAY() cached 0, D1 = text."""
    with xlsxwriter.Workbook(path) as book:
        # a fixed creation time: books written with the same cells are the same size (the batch
        # tests rely on it), whatever second each was written in
        book.set_properties({"created": datetime.datetime(2026, 1, 1)})
        sheet = book.add_worksheet("Count")
        date_format = book.add_format({"num_format": "yyyy-mm-dd"})
        sheet.write("A1", a1)
        sheet.write_formula("B1", "=A1+1", None, 0)
        sheet.write_formula("C1", "=TODAY()", date_format, 0)
        sheet.write("D1", text)
    return path


def cached(path: Path, cell: str) -> object:
    return openpyxl.load_workbook(path, data_only=True)["Count"][cell].value


def test_recalculate_replaces_wrong_cached_values(soffice, tmp_path, lo_out, monkeypatch):
    book = write_book(tmp_path / "book.xlsx")
    assert cached(book, "B1") == 0  # the input really carries the wrong value
    # Profiles go under a folder we can watch, to check they are removed afterwards.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()

    before = datetime.date.today()
    [out] = recalculate([book], lo_out)
    after = datetime.date.today()

    assert out == lo_out / "book.xlsx"
    assert cached(out, "B1") == 42
    today = cached(out, "C1")
    assert isinstance(today, datetime.datetime), today
    assert today.date() in {before, after}
    assert list((tmp_path / "tmp").iterdir()) == [], "throw-away profile left behind"


def test_many_files_in_one_call_come_back_in_order(soffice, tmp_path, lo_out):
    inputs = [write_book(tmp_path / f"{name}.xlsx", a1=value)
              for name, value in [("zeta", 1), ("alpha", 10), ("mid", 100)]]

    outputs = recalculate(inputs, lo_out)

    assert outputs == [lo_out / "zeta.xlsx", lo_out / "alpha.xlsx", lo_out / "mid.xlsx"]
    assert [cached(out, "B1") for out in outputs] == [2, 11, 101]


def test_concurrent_calls_do_not_share_a_profile(soffice, tmp_path):
    # The library may print sheets while a test recalculates: calls at the same time must both
    # convert, each in its own profile. (LibreOffice 7.4 happened to survive a shared profile
    # here too, so this is a regression check, not a proof that profiles are separate.)
    jobs = [([write_book(tmp_path / f"book{n}.xlsx", a1=n)], tmp_path / f"out{n}") for n in (1, 2)]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda job: recalculate(*job), jobs))
    assert [cached(out, "B1") for [out] in results] == [2, 3]


def test_missing_input_is_named(tmp_path, lo_out):
    good = write_book(tmp_path / "good.xlsx")
    ghost = tmp_path / "ghost.xlsx"

    with pytest.raises(ConversionError, match=r"ghost\.xlsx"):
        recalculate([good, ghost], lo_out)


def test_corrupted_file_is_named_and_the_others_still_convert(soffice, tmp_path, lo_out):
    good = write_book(tmp_path / "good.xlsx")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(random.Random(7).randbytes(4096))

    with pytest.raises(ConversionError) as raised:
        recalculate([good, broken], lo_out)

    message = str(raised.value)
    assert isinstance(raised.value, CyclekitError)
    assert str(broken) in message and str(good) not in message.split("soffice said")[0]
    assert "could not be loaded" in message  # soffice's own words are passed on
    assert (lo_out / "good.xlsx").is_file()


def test_stale_output_does_not_hide_a_failure(soffice, tmp_path, lo_out):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(random.Random(8).randbytes(4096))
    (lo_out / "broken.pdf").write_bytes(b"%PDF- from an earlier run")

    with pytest.raises(ConversionError, match=r"broken\.xlsx"):
        to_pdf([broken], lo_out)


def test_to_pdf_prints_one_page_with_the_cell_text(soffice, tmp_path, lo_out):
    book = write_book(tmp_path / "sheet.xlsx", text="Bin WH-A-01 blind count")

    [pdf] = to_pdf([book], lo_out)

    assert pdf == lo_out / "sheet.pdf"
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout
    assert any(line.split() == ["Pages:", "1"] for line in info.splitlines()), info
    text = subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Bin WH-A-01 blind count" in text


def test_out_dir_must_differ_from_the_inputs_folder(tmp_path):
    book = write_book(tmp_path / "book.xlsx")
    with pytest.raises(ValueError, match="must differ"):
        recalculate([book], tmp_path)
    assert cached(book, "B1") == 0  # untouched


def test_two_inputs_with_one_output_name_are_refused(tmp_path, lo_out):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write_book(tmp_path / "a" / "book.xlsx")
    second = write_book(tmp_path / "b" / "book.xlsx")
    with pytest.raises(ValueError, match="both convert to"):
        convert([first, second], lo_out, "pdf")


def test_no_input_runs_nothing(lo_out, monkeypatch):
    monkeypatch.setenv("CYCLEKIT_SOFFICE", "/nonexistent/soffice")
    assert convert([], lo_out, "pdf") == []


def test_find_soffice_missing_raises_missing_tool_error(monkeypatch, tmp_path):
    monkeypatch.setenv("CYCLEKIT_SOFFICE", str(tmp_path / "no-such-soffice"))
    monkeypatch.setenv("PATH", "")
    with pytest.raises(MissingToolError, match="LibreOffice"):
        find_soffice()

    monkeypatch.delenv("CYCLEKIT_SOFFICE")
    with pytest.raises(MissingToolError, match="install") as raised:
        find_soffice()
    assert "libreoffice-calc-nogui" in str(raised.value)


def test_cyclekit_soffice_overrides_path(monkeypatch, tmp_path):
    fake = tmp_path / "my-soffice"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("CYCLEKIT_SOFFICE", str(fake))
    assert find_soffice() == str(fake)


def test_a_hung_soffice_is_stopped_with_a_clear_error(monkeypatch, tmp_path, lo_out):
    # A stand-in soffice whose child hangs, as soffice.bin would: the whole group must go.
    pid_file = tmp_path / "child.pid"
    fake = tmp_path / "hung-soffice"
    sleeper = f'"{sys.executable}" -c "import time; time.sleep(60)"'
    fake.write_text(f"#!/bin/sh\n{sleeper} &\necho $! > {pid_file}\nwait\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("CYCLEKIT_SOFFICE", str(fake))
    monkeypatch.setattr(libreoffice, "BASE_TIMEOUT", 0.5)
    monkeypatch.setattr(libreoffice, "TIMEOUT_PER_FILE", 0.0)
    book = write_book(tmp_path / "book.xlsx")

    with pytest.raises(ConversionError, match=r"did not finish .* in 0\.5 s.*book\.xlsx"):
        to_pdf([book], lo_out)

    assert not running(int(pid_file.read_text()))


def running(pid: int) -> bool:
    """True while `pid` lives (a zombie waiting to be reaped counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


# --- Several soffice processes at once ---------------------------------------------------------


def pdf_page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))


class PopenSpy:
    """Stands in for subprocess.Popen; records each process and which ones ran when it started."""

    def __init__(self, monkeypatch):
        self.started: list[tuple[list[str], subprocess.Popen, int]] = []
        real = subprocess.Popen

        def spy(command, *args, **kwargs):
            running_before = sum(p.poll() is None for _, p, _ in self.started)
            process = real(command, *args, **kwargs)
            self.started.append((list(command), process, running_before))
            return process

        monkeypatch.setattr(libreoffice.subprocess, "Popen", spy)


def test_to_pdf_splits_the_files_between_processes_that_run_at_once(
        soffice, tmp_path, lo_out, monkeypatch):
    monkeypatch.setattr(libreoffice, "_cpus", lambda: 2)  # the same split on any machine
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    count = 2 * libreoffice.MIN_FILES_PER_PROCESS + 1
    names = [f"WH-P-{n:02d}" for n in range(count)]
    books = [write_book(tmp_path / f"{name}.xlsx", text=f"Bin {name}") for name in names]
    spy = PopenSpy(monkeypatch)

    pdfs = to_pdf(books, lo_out)

    assert pdfs == [lo_out / f"{name}.pdf" for name in names]  # input order, same names
    commands = [command for command, _, _ in spy.started]
    assert len(commands) == 2, commands
    assert spy.started[1][2] == 1, "the second soffice started after the first had finished"
    profiles = [next(arg for arg in command if arg.startswith("-env:UserInstallation="))
                for command in commands]
    assert profiles[0] != profiles[1]
    batches = [[arg for arg in command if arg.endswith(".xlsx")] for command in commands]
    assert sorted(len(batch) for batch in batches) == [count // 2, count - count // 2]
    assert sorted(sum(batches, [])) == sorted(str(book) for book in books)
    for name, pdf in zip(names, pdfs):
        assert pdf_page_count(pdf) > 0, pdf
        text = subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True,
                              check=True).stdout
        assert f"Bin {name}" in text, (pdf, text)
    assert sorted(lo_out.iterdir()) == sorted(pdfs), "staging folder or stray file left behind"
    assert list((tmp_path / "tmp").iterdir()) == [], "throw-away profile left behind"


def test_few_files_use_one_process_many_use_every_cpu_up_to_the_cap(monkeypatch):
    monkeypatch.setattr(libreoffice, "_cpus", lambda: 4)
    per = libreoffice.MIN_FILES_PER_PROCESS
    assert libreoffice._process_count(1) == 1
    assert libreoffice._process_count(2 * per - 1) == 1  # a second start-up would not pay
    assert libreoffice._process_count(2 * per) == 2
    assert libreoffice._process_count(100 * per) == 4
    monkeypatch.setattr(libreoffice, "_cpus", lambda: 64)
    assert libreoffice._process_count(100 * per) == libreoffice.MAX_PROCESSES


def test_batches_balance_bytes_and_keep_the_input_order(tmp_path):
    sizes = {"big": 9000, "a": 1000, "b": 1000, "c": 1000, "mid": 5000, "d": 1000, "e": 1000}
    paths = []
    for name, size in sizes.items():
        (tmp_path / name).write_bytes(b"x" * size)
        paths.append(tmp_path / name)

    batches = libreoffice._split(paths, 2)

    assert sorted(p.name for batch in batches for p in batch) == sorted(sizes)
    loads = sorted(sum(sizes[p.name] for p in batch) for batch in batches)
    assert loads == [9000, 10000], batches  # not 4+3 files in input order: 13000 against 6000
    for batch in batches:
        assert batch == sorted(batch, key=paths.index)


FAKE_SOFFICE = """#!{python}
# Writes a PDF per file into --outdir like soffice; "slow" hangs half-written, "truncated" stops
# half-written and exits 0 as if all went well.
import os, pathlib, sys, time
args = sys.argv[1:]
out = pathlib.Path(args[args.index("--outdir") + 1])
with open(os.environ["FAKE_SOFFICE_LOG"], "a") as log:
    log.write(f"{{os.getpid()}}\\n")
for name in (a for a in args if a.endswith(".xlsx")):
    target = out / (pathlib.Path(name).stem + ".pdf")
    if "slow" in name:
        target.write_bytes(b"%PDF-1.7 half")
        time.sleep(60)
    target.write_bytes(b"%PDF-1.7 half" if "truncated" in name else b"%PDF-1.7\\n%%EOF\\n")
"""


@pytest.fixture
def fake_soffice(tmp_path, monkeypatch) -> Path:
    """A stand-in soffice (FAKE_SOFFICE) on two CPUs, one process per file; returns its pid log."""
    fake = tmp_path / "fake-soffice"
    fake.write_text(FAKE_SOFFICE.format(python=sys.executable))
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "fake-soffice.log"
    monkeypatch.setenv("CYCLEKIT_SOFFICE", str(fake))
    monkeypatch.setenv("FAKE_SOFFICE_LOG", str(log))
    monkeypatch.setattr(libreoffice, "_cpus", lambda: 2)
    monkeypatch.setattr(libreoffice, "MIN_FILES_PER_PROCESS", 1)
    return log


def test_a_failed_batch_leaves_no_half_written_pdf_and_the_other_batch_is_kept(
        fake_soffice, tmp_path, lo_out, monkeypatch):
    monkeypatch.setattr(libreoffice, "BASE_TIMEOUT", 3.0)
    monkeypatch.setattr(libreoffice, "TIMEOUT_PER_FILE", 0.0)
    # Equal sizes: the batches are [ok, truncated] and [slow, late].
    books = [write_book(tmp_path / f"{name}.xlsx") for name in ("ok", "slow", "truncated", "late")]

    with pytest.raises(ConversionError) as raised:
        to_pdf(books, lo_out)

    headline = str(raised.value).splitlines()[0]
    assert f"did not finish converting 2 file(s) in 3 s and was stopped (first file: {books[1]})" \
        in headline
    assert f"did not convert 1 of 4 file(s) to pdf (exit code 0): {books[2]}" in headline
    assert str(books[0]) not in headline
    assert list(lo_out.iterdir()) == [lo_out / "ok.pdf"]
    assert (lo_out / "ok.pdf").read_bytes().endswith(b"%%EOF\n")
    assert not any(running(int(pid)) for pid in fake_soffice.read_text().split())


def test_ctrl_c_stops_every_soffice(fake_soffice, tmp_path, lo_out, monkeypatch):
    books = [write_book(tmp_path / f"slow{n}.xlsx") for n in (1, 2)]
    real_wait = subprocess.Popen.wait

    def interrupted_wait(self, timeout=None):
        if timeout is None:
            return real_wait(self)
        for _ in range(200):  # until both fakes are up, so that there are two to stop
            if fake_soffice.exists() and len(fake_soffice.read_text().split()) == 2:
                break
            time.sleep(0.05)
        raise KeyboardInterrupt

    monkeypatch.setattr(subprocess.Popen, "wait", interrupted_wait)

    with pytest.raises(KeyboardInterrupt):
        to_pdf(books, lo_out)

    pids = [int(pid) for pid in fake_soffice.read_text().split()]
    assert len(pids) == 2
    assert not any(running(pid) for pid in pids)
    assert list(lo_out.iterdir()) == []
