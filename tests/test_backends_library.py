"""The backends use the libraries' public API: xlsxwriter.utility for A1 references, tqdm's
public methods for bars, gspread's retry client; what is private is checked in one place."""

from __future__ import annotations

import ast
import threading
import time
from pathlib import Path

import pytest
import xlsxwriter.utility as utility

from cyclekit import progress
from cyclekit.backends import spec
from cyclekit.backends.gsheets import quote_tab
from tests import sheets_fake as fake_module

ROOT = Path(__file__).resolve().parents[1]
sheets_fake = fake_module.sheets_fake  # the Sheets API fake, as a fixture
gspread_client = fake_module.gspread_client


# ---- A1 references: xlsxwriter.utility, not a copy ------------------------------------------

@pytest.mark.parametrize("index", [0, 1, 25, 26, 27, 51, 52, 701, 702, 703, 16383, 18277])
def test_column_letters_are_xlsxwriters(index):
    assert spec.col_letter(index) == utility.xl_col_to_name(index)
    assert spec.col_index(spec.col_letter(index)) == index


def test_every_excel_column_round_trips():
    assert [spec.col_index(spec.col_letter(i)) for i in range(16384)] == list(range(16384))
    assert (spec.col_letter(0), spec.col_letter(25), spec.col_letter(26), spec.col_letter(16383)) == \
        ("A", "Z", "AA", "XFD")


@pytest.mark.parametrize(("row", "col", "absolute", "expected"),
                         [(0, 0, False, "A1"), (0, 0, True, "$A$1"), (1048575, 16383, False, "XFD1048576"),
                          (9, 27, True, "$AB$10")])
def test_a1_is_xlsxwriters(row, col, absolute, expected):
    assert spec.a1(row, col, absolute) == expected == utility.xl_rowcol_to_cell(row, col, absolute, absolute)


def test_the_backends_write_no_column_letters_of_their_own():
    """The letters come from xlsxwriter.utility: no base-26 arithmetic left in the backends."""
    for path in (ROOT / "cyclekit" / "backends").glob("*.py"):
        text = path.read_text()
        assert "divmod(" not in text or "26" not in text, path
        assert "ord(ch)" not in text and "chr(65" not in text, path


def test_a_google_tab_is_always_quoted_unlike_xlsxwriters_excel_rule():
    """Google's A1 ranges are always quoted here: xlsxwriter's quote_sheetname follows Excel's
    rule (plain names unquoted) and leaves a name that starts with an apostrophe as it is,
    which in a Google range would read as a different tab."""
    assert quote_tab("Counts") == "'Counts'" and utility.quote_sheetname("Counts") == "Counts"
    assert quote_tab("'Q3' bay") == "'''Q3'' bay'" and utility.quote_sheetname("'Q3' bay") == "'Q3' bay"
    assert quote_tab("Bay 'B'") == utility.quote_sheetname("Bay 'B'") == "'Bay ''B'''"


# ---- tqdm: public API only, no monitor thread ------------------------------------------------

class _FakeTTY:
    def __init__(self) -> None:
        self.text: list[str] = []

    def write(self, text: str) -> int:
        self.text.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return True


def test_progress_touches_only_tqdms_public_methods():
    tree = ast.parse((ROOT / "cyclekit" / "progress.py").read_text())
    used = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute) and node.value.attr == "_bar"}
    assert used <= {"update", "close", "set_postfix_str"}, used
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.Attribute)
                and node.attr in ("start_t", "last_print_t", "last_print_n", "bar_format")]


def test_a_bar_runs_no_tqdm_monitor_thread_and_no_thread_in_no_threads():
    before = set(threading.enumerate())
    with progress.use(progress.TerminalReporter(_FakeTTY(), delay=0, tick=0.05)):
        with progress.task("Writing results", total=3) as bar:
            bar.advance()
            extra = set(threading.enumerate()) - before
            assert [t.name for t in extra] == ["cyclekit-progress"]  # ours only: no tqdm monitor
            with progress.no_threads():
                assert set(threading.enumerate()) == before
            assert [t.name for t in set(threading.enumerate()) - before] == ["cyclekit-progress"]
            bar.advance(2)
    assert set(threading.enumerate()) == before


def test_a_stage_without_a_total_shows_its_count_once_advanced():
    tty = _FakeTTY()
    with progress.use(progress.TerminalReporter(tty, delay=0, tick=0.05)):
        with progress.task("Reading sheets", unit="sheet") as bar:
            time.sleep(0.15)
            bar.advance(2)
            time.sleep(0.15)
            bar.advance()
            time.sleep(0.15)
    out = "".join(tty.text)
    assert "Reading sheets: 00:00" in out and "3 sheet" in out
    assert out.split("\r")[-2].strip() == ""


# ---- Google: gspread's retry client, paced by the session -------------------------------------

def test_the_session_retries_through_gspreads_backoff_client(gspread_client):
    from gspread.http_client import BackOffHTTPClient

    from cyclekit.backends.gsheets import GoogleSession

    session = GoogleSession(gspread_client, sleep=lambda s: None, progress=lambda t: None)
    assert isinstance(session.http, BackOffHTTPClient)
    assert session.http.session is gspread_client.http_client.session  # same connection and credentials


@pytest.mark.parametrize("fault", ["userRateLimitExceeded", "rateLimitExceeded"])
def test_a_drive_rate_limit_403_is_waited_out_not_called_a_refusal(gspread_client, sheets_fake, fault):
    from cyclekit.backends import gsheets
    from cyclekit.backends.spec import Sheet, WorkbookSpec

    waits, lines = [], []
    session = gsheets.GoogleSession(gspread_client, sleep=waits.append, progress=lines.append)
    sheets_fake.inject_fault(fault, times=2)
    made = gsheets.render_gsheets(WorkbookSpec([Sheet("One", rows=[["000812"]])], title="t"), session)
    assert made.spreadsheet_id and len(waits) == 2 and "403" in lines[0]
    assert session.log.writes == 4  # two refused attempts and two that went through, all counted


def test_a_wait_is_bounded_per_request_not_per_session(gspread_client, sheets_fake):
    from cyclekit.backends import gsheets
    from cyclekit.backends.spec import Sheet, WorkbookSpec

    session = gsheets.GoogleSession(gspread_client, sleep=lambda s: None, progress=lambda t: None, max_wait=3)
    spec = WorkbookSpec([Sheet("One", rows=[["a"]])], title="t")
    for _ in range(3):  # each request may wait up to max_wait again
        sheets_fake.inject_fault(503, times=2)
        assert gsheets.render_gsheets(spec, session).spreadsheet_id
