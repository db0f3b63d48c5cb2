"""Hostile and damaged workbooks: zip bombs, far cells, lying archives, damaged XML, formulas
saved without a value, cells typed outside the layout. Every file is built here, never downloaded.
"""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cyclekit.backends.reader import WorkbookReader
from cyclekit.config import Config, parse_config
from cyclekit.errors import ConfigError, InputError
from cyclekit.stages.ingest import ingest_cycle
from cyclekit.stages.sheets import Selection
from tests.helpers import INVENTORY_HEADER, fill_sheet, inventory_rows
from tests.test_cycle_flow import plant, sheet_file, start  # noqa: F401  (plant is a fixture)
from tests.test_hostile_properties import in_bounded_child, sheet_workbook

# ruff: noqa: F811  (the plant fixture, imported above, is an argument of the tests below)

MB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[1]

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="Inventory" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                 '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                 '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                 'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
SHEET_START = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
               '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
               '<dimension ref="A1:J11"/><sheetData>')
SHEET_END = "</sheetData></worksheet>"


def cell(reference: str, value: str) -> str:
    return f'<c r="{reference}" t="inlineStr"><is><t>{value}</t></is></c>'


def inventory_sheet_xml(rows: list[list[object]]) -> str:
    letters = "ABCDEFGHIJ"
    out = []
    for r, row in enumerate(rows, start=1):
        out.append(f'<row r="{r}">' + "".join(cell(f"{letters[c]}{r}", str(v)) for c, v in enumerate(row)
                                             if v != "") + "</row>")
    return "".join(out)


def write_workbook(path: Path, sheet_xml: str | None = None, *, extra: dict[str, bytes] | None = None,
                   stream=None) -> Path:
    """A minimal xlsx, part by part; `stream` writes the sheet's XML in pieces (a bomb)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        if stream is None:
            archive.writestr("xl/worksheets/sheet1.xml", SHEET_START + (sheet_xml or "") + SHEET_END)
        else:
            with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
                stream(part)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def inventory_workbook(path: Path) -> Path:
    return write_workbook(path, inventory_sheet_xml([INVENTORY_HEADER, *inventory_rows()]))


def bomb(path: Path, inflated_mb: int) -> Path:
    """The inventory, then a sheet that inflates to `inflated_mb` MB of empty rows."""
    head = inventory_sheet_xml([INVENTORY_HEADER, *inventory_rows()]).encode()
    filler = b"<row/>" * (MB // 6)

    def stream(part):
        part.write(SHEET_START.encode() + head)
        for _ in range(inflated_mb):
            part.write(filler)
        part.write(SHEET_END.encode())

    return write_workbook(path, stream=stream)


def lie_about_size(path: Path, name: str, declared: int) -> Path:
    """The archive's headers say the part `name` inflates to `declared` bytes (it inflates to more)."""
    data = bytearray(path.read_bytes())
    encoded = name.encode()
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        name_length = struct.unpack_from("<H", data, central + 28)[0]
        if bytes(data[central + 46:central + 46 + name_length]) == encoded:
            struct.pack_into("<I", data, central + 24, declared)
            local = struct.unpack_from("<I", data, central + 42)[0]
            struct.pack_into("<I", data, local + 22, declared)
            # a zip64 extra field (the part was written as one) carries the sizes again
            extra_length = struct.unpack_from("<H", data, central + 30)[0]
            extra = central + 46 + name_length
            end = extra + extra_length
            while extra + 4 <= end:
                kind, size = struct.unpack_from("<HH", data, extra)
                if kind == 1:
                    struct.pack_into("<Q", data, extra + 4, declared)
                extra += 4 + size
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))
    return path


def run_measured(*args: str, cwd: Path) -> tuple[subprocess.CompletedProcess, int]:
    """Run cyclekit in a child process and return its peak RSS in MB, measured by a fresh
    parent (so no earlier child of the test run counts). The child's address space is capped
    at 4 GB so that a regression fails the test instead of exhausting the machine."""
    measure = (
        "import resource, subprocess, sys\n"
        "def cap():\n"
        "    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))\n"
        "done = subprocess.run(sys.argv[1:], preexec_fn=cap, capture_output=True, text=True)\n"
        "sys.stdout.write(done.stdout); sys.stderr.write(done.stderr)\n"
        "print(f'\\nPEAK {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}')\n"
        "sys.exit(done.returncode)\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", measure, sys.executable, "-m", "cyclekit", *args],
                          cwd=cwd, capture_output=True, text=True, env=env, timeout=600)
    peak_kb = int(done.stdout.rsplit("PEAK ", 1)[1])
    return done, peak_kb // 1024


# ---- item 1: limits before parsing -----------------------------------------------------------


def test_a_zip_bomb_is_refused_at_schedule_with_memory_bounded(tmp_path):
    path = bomb(tmp_path / "inventory.xlsx", inflated_mb=300)
    assert path.stat().st_size < 2 * MB  # a small file ...
    assert zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml").file_size > 300 * MB  # ... inflating
    done, peak_mb = run_measured("schedule", str(path), "-o", str(tmp_path / "schedule.xlsx"), cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "inventory.xlsx" in done.stderr and "limits.workbook_mb" in done.stderr
    assert peak_mb < 300, f"peak RSS {peak_mb} MB"
    assert not (tmp_path / "schedule.xlsx").exists()


def test_a_bomb_whose_headers_lie_is_refused_with_memory_bounded(tmp_path):
    path = lie_about_size(bomb(tmp_path / "inventory.xlsx", inflated_mb=300), "xl/worksheets/sheet1.xml", 5000)
    assert zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml").file_size == 5000
    done, peak_mb = run_measured("schedule", str(path), "-o", str(tmp_path / "schedule.xlsx"), cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "holds more than the archive says" in done.stderr
    assert peak_mb < 300, f"peak RSS {peak_mb} MB"


def test_one_cell_at_the_last_column_and_row_is_refused_not_a_crash(tmp_path):
    xml = inventory_sheet_xml([INVENTORY_HEADER, *inventory_rows()])
    xml += '<row r="1048576">' + cell("XFD1048576", "x") + "</row>"
    path = write_workbook(tmp_path / "inventory.xlsx", xml)
    assert path.stat().st_size < 4096
    done, peak_mb = run_measured("schedule", str(path), "-o", str(tmp_path / "schedule.xlsx"), cwd=tmp_path)
    assert done.returncode == 1, (done.returncode, done.stderr[-500:])  # not 134 (abort)
    assert "Traceback" not in done.stderr and "panicked" not in done.stderr
    assert "tab 'Inventory' has values out to column 16,384, past limits.columns" in done.stderr
    assert peak_mb < 300


def test_a_cell_reached_without_references_counts_as_far_as_calamine_puts_it(tmp_path):
    # cells without r="..." go on from the last one: 2,000 of them reach column 2,000
    xml = "<row>" + "<c><v>1</v></c>" * 2000 + "</row>"
    path = write_workbook(tmp_path / "wide.xlsx", xml)
    with pytest.raises(InputError, match="out to column 2,000, past limits.columns"):
        WorkbookReader(path).rows("Inventory")


def test_limits_are_settings(tmp_path):
    from cyclekit.config import LimitsConfig

    path = inventory_workbook(tmp_path / "inventory.xlsx")
    assert len(WorkbookReader(path).rows("Inventory")) == 11
    with pytest.raises(InputError, match=r"down to row 11, past limits.rows \(10\)"):
        WorkbookReader(path, LimitsConfig(rows=10)).rows("Inventory")
    with pytest.raises(InputError, match=r"past limits.cells \(100\)"):
        WorkbookReader(path, LimitsConfig(cells=100))
    config = parse_config({"limits": {"workbook_mb": 1, "rows": 50}})
    assert (config.limits.workbook_mb, config.limits.rows, config.limits.columns) == (1, 50, 1000)
    with pytest.raises(ConfigError, match="limits.cells must be 1 or more"):
        parse_config({"limits": {"cells": 0}})
    with pytest.raises(ConfigError, match="unknown setting limits.memory"):
        parse_config({"limits": {"memory": 1}})


def test_a_high_compression_ratio_is_refused(tmp_path):
    path = bomb(tmp_path / "inventory.xlsx", inflated_mb=20)
    with pytest.raises(InputError, match="inflates .* times .* more than limits.compression_ratio"):
        WorkbookReader(path)


def test_the_limits_come_from_the_config_file(tmp_path):
    path = inventory_workbook(tmp_path / "inventory.xlsx")
    (tmp_path / "cyclekit.toml").write_text("[limits]\nrows = 5\n")
    done = subprocess.run([sys.executable, "-m", "cyclekit", "schedule", str(path), "-o",
                           str(tmp_path / "schedule.xlsx")], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 1 and "past limits.rows (5)" in done.stderr, done.stderr


class _NamelessPart(zipfile.ZipInfo):
    def is_dir(self) -> bool:  # zipfile itself cannot write a part with no name otherwise
        return False


def with_nameless_part(path: Path) -> Path:
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(_NamelessPart(""), b"x")
    return path


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p.write_bytes(b"name,qty\nA,1\n"), "is not an Excel workbook"),
    (lambda p: p.write_bytes(inventory_workbook(p).read_bytes()[:700]), "is not a complete workbook"),
    (lambda p: write_workbook(p, "", extra={"../../evil.txt": b"x"}), "points outside the workbook"),
    (lambda p: write_workbook(p, "", extra={"/etc/evil": b"x"}), "points outside the workbook"),
    (lambda p: with_nameless_part(write_workbook(p, "")), "holds a part with no name"),
    (lambda p: write_workbook(p, "<row r='1'><c r='A1'><v>1</v></c></row>",
                              extra={"xl/sharedStrings.xml": b'<!DOCTYPE x [<!ENTITY a "aaaa">]><sst/>'}),
     "declares XML entities"),
])
def test_not_a_zip_truncated_and_parts_outside(tmp_path, make, message):
    path = tmp_path / "inventory.xlsx"
    make(path)
    with pytest.raises(InputError) as refused:
        WorkbookReader(path)
    [problem] = refused.value.problems
    assert problem.file == str(path) and message in problem.message


def test_a_member_with_a_bad_crc_is_damaged(tmp_path):
    path = inventory_workbook(tmp_path / "inventory.xlsx")
    data = bytearray(path.read_bytes())
    info = zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + 20] ^= 0xFF  # a byte of the compressed sheet changed
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="is damaged"):
        WorkbookReader(path)


# ---- item 1 and 2 at ingest: a problem naming the file, every other file still read -----------


def damaged_copy(source: Path, target: Path, change, parts: str = "xl/worksheets/sheet1.xml") -> Path:
    """The workbook again with its sheets' XML (those named starting with `parts`) changed by
    `change` (bytes -> bytes)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename.startswith(parts):
                data = change(data)
            new.writestr(info, data)
    return target


def test_bombs_and_damaged_sheets_at_ingest_are_problems_the_rest_is_read(plant, tmp_path):
    report = start(plant, tmp_path, selection=Selection(locations=("LS-1", "WH-A-02")))
    back = tmp_path / "back"
    good = fill_sheet(sheet_file(report.cycle_dir, "LS-1"), back / "good.xlsx", {1: 25}, counted_by="Bo")
    other = fill_sheet(sheet_file(report.cycle_dir, "WH-A-02"), back / "other.xlsx", {1: 12.5, 2: 0.75})
    damaged = damaged_copy(other, back / "damaged.xlsx", lambda xml: xml.replace(b'r="A8"', b'r="A8', 1))
    bad_files = [
        damaged,
        bomb(back / "bomb.xlsx", inflated_mb=300),
        write_workbook(back / "far.xlsx", '<row r="1048576">' + cell("XFD1048576", "x") + "</row>"),
        back / "not-a-zip.xlsx",
    ]
    bad_files[-1].write_bytes(b"PK\x03\x04 cut short")
    result = ingest_cycle(report.cycle_dir, Config(), [good, *bad_files])
    by_file = {Path(p.file).name: p.message for p in result.problems}
    assert set(by_file) == {"damaged.xlsx", "bomb.xlsx", "far.xlsx", "not-a-zip.xlsx"}
    assert "is damaged" in by_file["damaged.xlsx"]
    assert "limits.workbook_mb" in by_file["bomb.xlsx"]
    assert "past limits.columns" in by_file["far.xlsx"]
    assert "not a complete workbook" in by_file["not-a-zip.xlsx"]
    assert result.figures.lines_counted == 1  # the good sheet was read


def test_ingest_of_a_bomb_keeps_memory_bounded(plant, tmp_path):
    report = start(plant, tmp_path, selection=Selection(locations=("LS-1",)))
    good = fill_sheet(sheet_file(report.cycle_dir, "LS-1"), tmp_path / "good.xlsx", {1: 25}, counted_by="Bo")
    lying = lie_about_size(bomb(tmp_path / "bomb.xlsx", inflated_mb=300), "xl/worksheets/sheet1.xml", 9000)
    done, peak_mb = run_measured("ingest", str(report.cycle_dir), str(good), str(lying), cwd=tmp_path)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "1 of 1 line counted" in done.stdout and "bomb.xlsx" in done.stdout
    assert peak_mb < 300, f"peak RSS {peak_mb} MB"


def test_a_damaged_schedule_and_damaged_results_are_one_line_errors(plant, tmp_path):
    schedule, inventory = plant
    broken = damaged_copy(schedule, tmp_path / "broken.xlsx", lambda xml: xml[: len(xml) // 2])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "cyclekit", "sheets", str(broken), str(inventory), "--all",
                           "--as-of", "2026-11-23", "-o", str(tmp_path / "cycle")],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "broken.xlsx" in done.stderr and "is damaged" in done.stderr
    assert not (tmp_path / "cycle").exists()

    report = start(plant, tmp_path, selection=Selection(locations=("LS-1",)))
    good = fill_sheet(sheet_file(report.cycle_dir, "LS-1"), tmp_path / "good.xlsx", {1: 25}, counted_by="Bo")
    ingest_cycle(report.cycle_dir, Config(), [good])
    results = report.cycle_dir / "results.xlsx"
    damaged_copy(results, tmp_path / "results.xlsx", lambda xml: xml[: len(xml) // 2], "xl/worksheets/")
    results.write_bytes((tmp_path / "results.xlsx").read_bytes())
    before = results.read_bytes()
    done = subprocess.run([sys.executable, "-m", "cyclekit", "ingest", str(report.cycle_dir)],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "results.xlsx" in done.stderr and "damaged" in done.stderr
    assert results.read_bytes() == before  # finance's workbook is not written over


# ---- item 3: a formula saved without a value ---------------------------------------------------


def without_cached_values(source: Path, target: Path, formulas: dict[str, str]) -> Path:
    """The filled sheet with formulas in `formulas` (cell -> formula), saved the way tools that
    store no value save them: <f> and no <v>."""
    import openpyxl

    book = openpyxl.load_workbook(source)
    sheet = book.worksheets[0]
    for reference, formula in formulas.items():
        sheet[reference].value = formula
    book.save(target)  # openpyxl stores formulas without a value
    with zipfile.ZipFile(target) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml")
    assert re.search(rb"<f>5\+5</f>(<v ?/>|<v></v>)?</c>", xml)
    return target


def test_a_formula_without_a_value_in_floor_count_is_a_problem(plant, tmp_path):
    report = start(plant, tmp_path, selection=Selection(locations=("WH-A-01",)))
    filled = fill_sheet(sheet_file(report.cycle_dir, "WH-A-01"), tmp_path / "a.xlsx", {1: 1234, 3: 40},
                        counted_by="Ana")
    target = without_cached_values(filled, tmp_path / "formula.xlsx", {"G9": "=5+5"})
    result = ingest_cycle(report.cycle_dir, Config(), [target])
    problems = [p for p in result.problems if p.cell == "G9"]
    assert len(problems) == 1 and "formula without a value: type the number" in problems[0].message
    # read from the copy the cycle keeps of it, under its own name
    assert Path(problems[0].file).name == target.name and problems[0].sheet == "WH-A-01"
    assert problems[0].line_id == "WH-A-01/2"
    assert result.figures.lines_counted == 2
    recount = [p for p in result.recount_files]
    assert recount  # the line goes on a recount sheet like any unreadable entry


# ---- item 4: cells typed where the sheet has no place ------------------------------------------


def unprotect_and(edit):
    def change(sheet):
        sheet.protection.sheet = False
        edit(sheet)
    return change


def test_an_inserted_row_and_a_found_item_below_the_found_rows_are_problems(plant, tmp_path):
    report = start(plant, tmp_path, selection=Selection(locations=("WH-A-01",)))

    def insert(sheet):
        sheet.insert_rows(9)  # between line 1 (row 8) and line 2 (now row 10)
        sheet["B9"], sheet["G9"] = "PN-EXTRA", 7
        last_found = max(r for r in range(1, sheet.max_row + 1) if str(sheet.cell(r, 1).value or "") == "F5")
        sheet.cell(last_found + 1, 2).value = "PN-BELOW"
        sheet.cell(last_found + 1, 7).value = 3
        sheet["K2"] = "a note beside the header"

    filled = fill_sheet(sheet_file(report.cycle_dir, "WH-A-01"), tmp_path / "a.xlsx", {1: 1234, 2: 10, 3: 40},
                        counted_by="Ana", edit=unprotect_and(insert))
    result = ingest_cycle(report.cycle_dir, Config(), [filled])
    by_kind = {}
    for p in result.problems:
        by_kind.setdefault(p.kind, []).append(p)
    inserted = sorted(by_kind["inserted-row"], key=lambda p: p.row)
    assert len(inserted) == 2
    assert "inserted below line 1 holds part PN-EXTRA with count 7" in inserted[0].message
    assert inserted[0].cell == "A9" and inserted[0].line_id == "WH-A-01/1"
    assert "PN-BELOW" in inserted[1].message and "count 3" in inserted[1].message
    assert [(p.cell, p.value) for p in by_kind["unexpected-cell"]] == [("K2", "a note beside the header")]
    assert result.open_problems  # never "0 open problems"
    assert any("WH-A-01" in f.name for f in result.recount_files)  # line 1 goes on a recount
    assert result.figures.lines_counted == 2


def test_a_changed_unit_is_not_counted(plant, tmp_path):
    report = start(plant, tmp_path, selection=Selection(locations=("WH-A-02",)))

    def unit(sheet):
        sheet["F8"] = "ft"

    filled = fill_sheet(sheet_file(report.cycle_dir, "WH-A-02"), tmp_path / "a.xlsx", {1: 12.5, 2: 0.75},
                        counted_by="Ana", edit=unprotect_and(unit))
    result = ingest_cycle(report.cycle_dir, Config(), [filled])
    assert [p.kind for p in result.problems] == ["altered-line"] and result.problems[0].value.endswith("ft")
    assert result.figures.lines_counted == 1


def test_a_clean_sheet_has_no_unexpected_cells(plant, tmp_path):
    report = start(plant, tmp_path)
    locations = [r["location"] for r in json.loads((report.cycle_dir / "manifest.json").read_text())["locations"]]
    files = [fill_sheet(sheet_file(report.cycle_dir, name), tmp_path / f"{name}.xlsx", counted_by="Dee",
                        found=[("PN-9", "", "", "ea", 2)] if name == "LS-1" else ()) for name in locations]
    result = ingest_cycle(report.cycle_dir, Config(), files)
    assert [p for p in result.problems if p.kind in ("unexpected-cell", "inserted-row")] == []


# ---- a file made to mislead the check: two references in a cell, OpenDocument repeats ---------


def expect_refused(path: Path, message: str) -> None:
    with pytest.raises(InputError, match=message):
        reader = WorkbookReader(path)
        for tab in reader.tabs:
            reader.rows(tab)


@pytest.mark.parametrize("second", [' r="XFD1048576"', 'r="XFD1048576"', '\tr="XFD1048576"',
                                    " r='XFD1048576'"])
def test_a_cell_with_two_references_is_refused(tmp_path, second):
    """calamine places a cell by its last r=, a quick look by its first: both must agree or the
    file is refused (a value at A2 "and" XFD1048576 aborted the whole process)."""
    xml = '<row r="1"><c r="A1"><v>0</v></c></row><row r="2"><c r="A2"' + second + "><v>1</v></c></row>"
    path = write_workbook(tmp_path / "two.xlsx", xml)
    in_bounded_child(expect_refused, path, "two references")


def opendocument(path: Path, table_xml: str) -> Path:
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
               '<office:spreadsheet><table:table table:name="Counts">' + table_xml +
               "</table:table></office:spreadsheet></office:body></office:document-content>")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return path


VALUE = '<table:table-cell office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell>'


@pytest.mark.parametrize(("table_xml", "message"), [
    ('<table:table-row table:number-rows-repeated="1048575"><table:table-cell/></table:table-row>'
     '<table:table-row><table:table-cell table:number-columns-repeated="16383"/>' + VALUE + "</table:table-row>",
     "out to column 16,384"),
    ('<table:table-row table:number-rows-repeated="100000"><table:table-cell '
     'table:number-columns-repeated="1000" office:value-type="float" office:value="1"/></table:table-row>',
     "past limits.cells"),
])
def test_an_opendocument_bomb_is_refused(tmp_path, table_xml, message):
    """Under 1 KB, repeated rows and cells: calamine asked for 4 GB and 549 GB."""
    path = opendocument(tmp_path / "inventory.ods", table_xml)
    assert path.stat().st_size < 1500
    in_bounded_child(expect_refused, path, message)


def test_an_opendocument_saved_by_libreoffice_is_read(soffice, tmp_path):
    """LibreOffice ends every table with a million empty rows, repeated: they hold nothing."""
    source = tmp_path / "sheet.xlsx"
    source.write_bytes(sheet_workbook())  # a count sheet as cyclekit writes it, with its styles
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to",
                    "ods", "--outdir", str(tmp_path / "ods"), str(source)], check=True, capture_output=True,
                   timeout=180)
    path = tmp_path / "ods" / "sheet.ods"
    assert b'number-rows-repeated="1048' in zipfile.ZipFile(path).read("content.xml")
    assert len(WorkbookReader(path).rows("WH-A-01")) == 22


def test_a_binary_workbook_is_refused(tmp_path):
    path = write_workbook(tmp_path / "inventory.xlsx", "", extra={"xl/worksheets/sheet2.bin": b"\x00" * 10})
    expect_refused(path, r"binary workbook \(.xlsb\)")


def test_a_sheet_with_only_a_row_typed_below_the_found_rows_came_back(plant, tmp_path):
    """Nothing in the printed places, one item typed below the Found rows: the sheet was returned
    with something written on it, and that item is a problem, not a sheet 'not returned yet'."""
    report = start(plant, tmp_path, selection=Selection(locations=("LS-1",)))

    def below(sheet):
        last_found = max(r for r in range(1, sheet.max_row + 1) if str(sheet.cell(r, 1).value or "") == "F5")
        sheet.cell(last_found + 1, 2).value = "PN-BELOW"
        sheet.cell(last_found + 1, 7).value = 4

    filled = fill_sheet(sheet_file(report.cycle_dir, "LS-1"), tmp_path / "a.xlsx", edit=unprotect_and(below))
    result = ingest_cycle(report.cycle_dir, Config(), [filled])
    assert [p.kind for p in result.problems] == ["inserted-row"]
    assert "part PN-BELOW with count 4" in result.problems[0].message
    assert result.missing == [] and result.sheets_read == 1
