"""Property-based tests of the filled-sheet reader: whatever the rows, the layout or the bytes,
the only exceptions out of it are CyclekitErrors (a problem naming the file)."""

from __future__ import annotations

import functools
import io
import os
import resource
import tempfile
import traceback
import warnings
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyclekit.backends.reader import WorkbookReader
from cyclekit.backends.spec import WorkbookSpec
from cyclekit.backends.xlsx import render_xlsx
from cyclekit.config import Config
from cyclekit.domain.values import cell_text
from cyclekit.errors import CyclekitError
from cyclekit.folder.cycle import load_manifest, read_frozen
from cyclekit.layouts.count_sheet import Entry, FilledSheet, SheetHeader, SheetLine, count_sheet, parse_sheet
from cyclekit.stages.ingest import _quantity, build_lines
from cyclekit.stages.sheets import Selection

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

cell_values = st.one_of(
    st.none(), st.text(max_size=30), st.integers(-10**20, 10**20), st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True), st.dates(), st.datetimes(),
    st.sampled_from(["Line", "Cycle", "Sheet", "Location", "Floor Count", "Counted by", "Checked by",
                     "F1", "F99", "12", "0", "Location confirmed empty", "YES", "Part Number", "UoM",
                     "Notes", "#", "Found on the shelf", "No stock in the system", " 7 ", "1e400", "-0",
                     "²", "F²", "١٢", "F١", "\x00", "12\n", "9" * 30]),
)


@functools.lru_cache(maxsize=1)
def sheet_workbook() -> bytes:
    """A real count sheet with found rows and the sign-off, as cyclekit writes it."""
    header = SheetHeader("count", "C-2026-11-23", "S0001", "WH-A-01", "Warehouse A", "Ana", "2026-11-23")
    lines = [SheetLine(n, f"PN-{n}", "A", "Bolt", "", "ea" if n % 2 else "kg") for n in range(1, 5)]
    sheet = count_sheet(header, lines, "WH-A-01", show_system_qty=False, found_rows=3,
                        whole_uoms=("ea",))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sheet.xlsx"
        render_xlsx(WorkbookSpec([sheet]), path)
        return path.read_bytes()


@functools.lru_cache(maxsize=1)
def sheet_rows() -> list[list[object]]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sheet.xlsx"
        path.write_bytes(sheet_workbook())
        return WorkbookReader(path).rows("WH-A-01")


def in_bounded_child(function, *args) -> None:
    """function(*args) in a forked copy of this process whose memory is capped at 1 GB more than
    it has: a file that gets past the checks and makes calamine ask for 549 GB aborts the copy
    (a failed test), not the test run.

    By now this process runs threads (pyarrow's allocator starts its own when it is imported), and
    Python 3.12+ warns of any fork then: this copy only reads one file and ends with os._exit, and
    the allocators take their locks across a fork (pthread_atfork), so the warning is silenced
    here alone; cyclekit itself never forks a process with threads (cyclekit.parallel)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "This process .* is multi-threaded, use of fork", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the copy
        code = 2
        try:
            size = next(int(line.split()[1]) * 1024 for line in Path("/proc/self/status").read_text().splitlines()
                        if line.startswith("VmSize:"))
            resource.setrlimit(resource.RLIMIT_AS, (size + (1 << 30), size + (1 << 30)))
            function(*args)
            code = 0
        except BaseException:  # noqa: BLE001  (shown, and the exit code says so)
            traceback.print_exc()
            code = 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, f"reading the file ended with {os.waitstatus_to_exitcode(status)}"


def read_all(path: Path) -> None:
    """What ingest does with a file: every tab read, and parsed as a count sheet."""
    try:
        reader = WorkbookReader(path)
        for tab in reader.tabs:
            try:
                rows = reader.rows(tab)
            except CyclekitError:
                continue
            parse_sheet(rows, str(path), tab, reader.blank_formulas(tab))
    except CyclekitError:
        pass


@SETTINGS
@given(st.lists(st.lists(cell_values, max_size=14), max_size=40))
def test_random_rows_never_raise(rows):
    parse_sheet(rows, "x.xlsx", "Sheet1")


edits = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 14), cell_values), max_size=12)
row_changes = st.lists(st.tuples(st.sampled_from(["insert", "delete", "truncate"]), st.integers(0, 40),
                                 st.lists(cell_values, max_size=14)), max_size=4)
formulas = st.sets(st.tuples(st.integers(0, 40), st.integers(0, 14)), max_size=5)


@SETTINGS
@given(edits, row_changes, formulas)
def test_a_real_sheet_edited_anyhow_never_raises(edits, changes, blank_formulas):
    rows = [list(row) for row in sheet_rows()]
    for r, c, value in edits:
        if r < len(rows):
            row = rows[r]
            if c >= len(row):
                row.extend([None] * (c + 1 - len(row)))
            row[c] = value
    for change, r, cells in changes:
        if change == "insert":
            rows.insert(min(r, len(rows)), cells)
        elif change == "delete" and r < len(rows):
            del rows[r]
        elif r < len(rows):
            rows[r] = rows[r][: len(cells)]
    sheet = parse_sheet(rows, "x.xlsx", "WH-A-01", blank_formulas)
    if sheet is not None:
        for entry in [*sheet.entries, *sheet.found]:
            assert entry.row < len(rows)


numberish = st.text(alphabet=st.sampled_from("0123456789²³①١٢٣໒Ⅻ F#-.,e\u00a0")
                   | st.characters(categories=("Nd", "No", "Nl", "Zs")), max_size=5)


@SETTINGS
@given(st.lists(st.tuples(st.integers(7, 18), st.sampled_from([0, 6]), numberish), min_size=1, max_size=6))
def test_labels_and_counts_in_any_script_never_raise(edits):
    """Line labels and counts written with digits of any script (², ١٢, Ⅻ) or none."""
    rows = [list(row) for row in sheet_rows()]
    for r, c, value in edits:
        rows[r][c] = value
    parse_sheet(rows, "x.xlsx", "WH-A-01")


def test_the_real_sheet_reads_back_without_problems():
    sheet = parse_sheet(sheet_rows(), "x.xlsx", "WH-A-01")
    assert sheet is not None and [e.line_no for e in sheet.entries] == [1, 2, 3, 4]
    assert sheet.problems == []


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=3000))
def test_random_bytes_never_raise(tmp_path, data):
    path = tmp_path / "random.xlsx"
    path.write_bytes(data)
    in_bounded_child(read_all, path)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=8),
       st.one_of(st.none(), st.integers(0, 10**6)))
def test_a_real_workbook_with_bytes_changed_never_raises(tmp_path, flips, cut):
    data = bytearray(sheet_workbook())
    for at, byte in flips:
        data[at % len(data)] = byte
    if cut is not None:
        data = data[: cut % len(data)]
    path = tmp_path / "mutated.xlsx"
    path.write_bytes(bytes(data))
    in_bounded_child(read_all, path)


xml_edits = st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 40),
                               st.sampled_from(["", "<", ">", "&", '"', "</c>", "<c>", "<row>", "</row>",
                                                "<v>1</v>", "<f>1+1</f>", 'r="XFD1048576"', ' r="XFD1048576" ',
                                                'r="A0"', 'r="1A"', "<!DOCTYPE x>", "\x00", "&#0;", "&#xD800;",
                                                "<c r=\"ZZZZ1\">", "<is><t>x</t></is>", "é", "\ufffe"])),
                     min_size=1, max_size=5)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(xml_edits, st.sampled_from(["xl/worksheets/sheet1.xml", "xl/workbook.xml", "xl/styles.xml",
                                   "xl/_rels/workbook.xml.rels", "[Content_Types].xml"]))
def test_a_real_workbook_with_its_xml_damaged_never_raises(tmp_path, changes, part):
    """The archive stays valid and the XML inside is damaged: calamine's parser is reached."""
    source = zipfile.ZipFile(io.BytesIO(sheet_workbook()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == part:
                text = data.decode("utf-8")
                for at, length, insert in changes:
                    at %= len(text) + 1
                    text = text[:at] + insert + text[at + length:]
                data = text.encode("utf-8", "surrogatepass")
            archive.writestr(info.filename, data)
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(out.getvalue())
    in_bounded_child(read_all, path)


@SETTINGS
@given(st.one_of(cell_values, numberish, st.text(alphabet="0123456789.,", min_size=4000, max_size=6000),
                 st.integers(-10**40, 10**40)),
       st.sampled_from(["ea", "kg", "m"]))
def test_any_floor_count_is_a_number_or_a_problem(value, uom):
    """Whatever is in Floor Count reads as a quantity, or as a problem naming the cell."""
    entry = Entry(1, "1", "PN", "", "", "", uom, value, "", 7, 6)
    sheet = FilledSheet("x.xlsx", "WH-A-01", {})
    problems: list = []
    quantity = _quantity(entry, sheet, uom, ("ea",), problems, "WH-A-01/1")
    assert (quantity is None) == bool(problems) or value is None or cell_text(value) == ""
    assert all(p.cell == "G8" for p in problems)


@pytest.fixture(scope="module")
def a_cycle(tmp_path_factory):
    """A real cycle of the test plant, and the rows of one of its count sheets as sent."""
    from tests.test_cycle_flow import plant as plant_fixture
    from tests.test_cycle_flow import sheet_file, start

    folder = tmp_path_factory.mktemp("cycle")
    report = start(plant_fixture.__wrapped__(folder), folder, selection=Selection(all=True))
    manifest = load_manifest(report.cycle_dir)
    record = next(s for s in manifest.sheets if s.location == "WH-A-01" and s.kind == "count")
    rows = WorkbookReader(sheet_file(report.cycle_dir, "WH-A-01")).rows(record.tab)
    assert [e.line_no for e in parse_sheet(rows, "x.xlsx", record.tab).entries] == [1, 2, 3]
    return manifest, read_frozen(report.cycle_dir, manifest), record, rows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits, row_changes)
def test_a_sheet_edited_anyhow_gives_lines_and_problems_never_an_error(a_cycle, edits, changes):
    """From the filled sheet to the counted lines: whatever was typed or moved, lines and
    problems come out (each problem names the file and tab)."""
    manifest, frozen, record, sent = a_cycle
    rows = [list(row) for row in sent]
    for r, c, value in edits:
        if r < len(rows):
            rows[r].extend([None] * (c + 1 - len(rows[r])))
            rows[r][c] = value
    for change, r, cells in changes:
        if change == "insert":
            rows.insert(min(r, len(rows)), cells)
        elif change == "delete" and r < len(rows):
            del rows[r]
        elif r < len(rows):
            rows[r] = rows[r][: len(cells)]
    sheet = parse_sheet(rows, "x.xlsx", record.tab)
    if sheet is None:
        return
    problems: list = []
    lines = build_lines(manifest, frozen, [(sheet, record)], Config(), problems)
    assert all(p.file == "x.xlsx" for p in problems)
    assert {line.location for line in lines} >= {"WH-A-01"}
