"""cyclekit.libreoffice against the real LibreOffice (the `soffice` fixture skips or fails)."""

from __future__ import annotations

import concurrent.futures
import datetime
import random
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from cyclekit import libreoffice
from cyclekit.errors import CyclekitError, MissingToolError
from cyclekit.libreoffice import ConversionError, convert, find_soffice, recalculate, to_pdf


def write_book(path: Path, a1: object = 41, text: str = "Bin WH-A-01") -> Path:
    """A1 = a1, B1 = A1+1 with a wrong cached value 0, C1 = TODAY() cached 0, D1 = text."""
    with xlsxwriter.Workbook(path) as book:
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
