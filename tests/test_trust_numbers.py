"""Numbers and identifiers: never a guessed number, never a changed identifier (issues 11 and 12)."""

import csv
import datetime as dt
from decimal import Decimal

import openpyxl
import pytest
from click.testing import CliRunner

from cyclekit.cli import cli
from cyclekit.config import Config, InventoryConfig, parse_config
from cyclekit.domain import values
from cyclekit.errors import ConfigError, InputError
from cyclekit.inputs import tables
from cyclekit.inputs.inventory import load_inventory, snapshot_warnings
from cyclekit.inputs.locations import load_locations
from cyclekit.stages import schedule as api  # as modules: each test fails alone on code without the fix
from cyclekit.stages.finalize import finalize_cycle
from cyclekit.stages.ingest import ingest_cycle
from cyclekit.stages.sheets import Selection, start_cycle
from tests.helpers import INVENTORY_HEADER, LOCATIONS_HEADER, fill_sheet, inventory_rows, write_csv
from tests.test_cycle_flow import AS_OF, plant, rows_of, sheet_file, start  # noqa: F401 - plant is a fixture
from tests.test_results import document


def problems_of(path, config=None):
    with pytest.raises(InputError) as caught:
        load_inventory(path, config or InventoryConfig())
    return caught.value.problems


def inventory_line(location="A1", part="P1", uom="ea", quantity="1", cost="1", **extra):
    row = dict(zip(INVENTORY_HEADER, [location, part, "", "", uom, "", "", "available", quantity, cost]))
    row.update(extra)
    return [row[name] for name in INVENTORY_HEADER]


# ---- 1. a Floor Count that reads two ways ----------------------------------------------------

@pytest.mark.parametrize(("text", "whole", "expected"), [
    ("1,200", True, Decimal(1200)), ("1.200", True, Decimal(1200)), ("12,5", False, Decimal("12.5")),
    ("0,125", False, Decimal("0.125")), ("1,234.5", False, Decimal("1234.5")),
    ("1.234,5", False, Decimal("1234.5")), ("1,234,567", False, Decimal(1234567)), ("7", False, Decimal(7)),
])
def test_a_number_with_one_reading_is_read(text, whole, expected):
    assert values.parse_quantity(text, separator=None, whole=whole) == expected


@pytest.mark.parametrize(("text", "whole"), [("228,461", False), ("1.200", False), ("1,000", True)])
def test_a_number_with_two_readings_is_ambiguous(text, whole):
    with pytest.raises(values.AmbiguousNumber, match="ambiguous"):
        values.parse_quantity(text, separator=None, whole=whole)


def test_a_leading_zero_is_never_a_thousands_group():
    # '0,125' was read as 125
    with pytest.raises(ValueError, match="not a number"):
        values.parse_quantity("0,125")


def test_an_ambiguous_floor_count_is_a_problem_and_the_line_is_recounted(plant, tmp_path):  # noqa: F811
    report = start(plant, tmp_path, selection=Selection(locations=("WH-A-01", "WH-A-02")))
    back = tmp_path / "back"
    files = [  # WH-A-01 is all in ea, WH-A-02 has a line in m (12.5) and one in kg (0.75)
        fill_sheet(sheet_file(report.cycle_dir, "WH-A-01"), back / "a.xlsx", {1: "1,234", 2: "1.010", 3: 40},
                   counted_by="Ana Ruiz"),
        fill_sheet(sheet_file(report.cycle_dir, "WH-A-02"), back / "b.xlsx", {1: "228,461", 2: "0,75"},
                   counted_by="Ana Ruiz"),
    ]
    result = ingest_cycle(report.cycle_dir, Config(), files)
    assert [(p.kind, p.sheet, p.cell, p.value) for p in result.problems] == [
        ("ambiguous-count", "WH-A-02", "G8", "228,461")]
    problem = result.problems[0]
    assert problem.file.endswith("b.xlsx")
    assert "228461 with a decimal point but 228.461 with a decimal comma" in problem.message
    counted = {r["Line ID"]: r["Counted Qty"] for r in rows_of(result.results, "Variance")}
    assert counted["WH-A-01/1"] == 1234 and counted["WH-A-01/2"] == 1010  # ea: only one reading is whole
    assert counted["WH-A-02/2"] == 0.75
    assert counted.get("WH-A-02/1") is None
    recounts = {sheet.title: list(sheet.iter_rows(values_only=True)) for path in result.recount_files
                for sheet in openpyxl.load_workbook(path).worksheets}
    assert any(row[:2] == ("1", "1.50") for row in recounts["WH-A-02"]), "the ambiguous line is recounted"


# ---- 2. the decimal separator of an export -----------------------------------------------------

def semicolon_export(tmp_path, rows, name="inv.csv"):
    path = tmp_path / name
    path.write_text("location;part_number;uom;quantity;unit_cost\n"
                    + "".join(";".join(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_an_export_whose_decimal_separator_cannot_be_decided_asks_for_the_setting(tmp_path):
    path = semicolon_export(tmp_path, [["A1", "P1", "kg", "1.800", "10"], ["A1", "P2", "kg", "1.300", "10"]])
    problems = problems_of(path)
    assert [(p.kind, p.row, p.column) for p in problems] == [("decimal-separator-unknown", 2, "quantity")]
    assert "2 number(s) read two ways" in problems[0].message
    assert "decimal_separator" in problems[0].message and "[inventory]" in problems[0].message
    comma = load_inventory(path, InventoryConfig(decimal_separator=","))
    assert [line.quantity for line in comma.lines] == [Decimal(1800), Decimal(1300)]
    point = load_inventory(path, InventoryConfig(decimal_separator="."))
    assert [line.quantity for line in point.lines] == [Decimal("1.8"), Decimal("1.3")]


def test_a_number_that_shows_the_separator_decides_the_whole_file(tmp_path):
    path = semicolon_export(tmp_path, [["A1", "P1", "kg", "1.800", "2,5"], ["A1", "P2", "kg", "1.300", "10"]])
    assert [line.quantity for line in load_inventory(path, InventoryConfig()).lines] == [Decimal(1800), Decimal(1300)]
    path = semicolon_export(tmp_path, [["A1", "P1", "kg", "1,800", "2.5"]], "points.csv")
    assert [line.quantity for line in load_inventory(path, InventoryConfig()).lines] == [Decimal(1800)]


def test_whole_units_need_no_separator_and_mixed_separators_are_a_problem(tmp_path):
    path = semicolon_export(tmp_path, [["A1", "P1", "ea", "1.800", "10"]])
    assert [line.quantity for line in load_inventory(path, InventoryConfig()).lines] == [Decimal(1800)]
    path = semicolon_export(tmp_path, [["A1", "P1", "kg", "1.5", "10"], ["A1", "P2", "kg", "2,5", "10"]], "mixed.csv")
    kinds = [p.kind for p in problems_of(path)]
    assert kinds[0] == "mixed-decimal-separators"


def test_the_decimal_separator_setting_is_checked():
    assert parse_config({"inventory": {"decimal_separator": ","}}).inventory.decimal_separator == ","
    with pytest.raises(ConfigError, match='decimal_separator must be "." or ","'):
        parse_config({"inventory": {"decimal_separator": ";"}})


# ---- 3. identifiers with spaces at either end --------------------------------------------------

def test_spaced_identifiers_are_shown_on_sheets_and_read_back():
    assert values.show_spaces(" PN-SPACE ") == "\u2423PN-SPACE\u2423"
    assert values.unshow_spaces(values.show_spaces("  PN  X ")) == "  PN  X "
    assert values.show_spaces("PN X") == "PN X"


def test_identifiers_with_spaces_stay_exact_from_export_to_results(tmp_path):
    rows = inventory_rows()[:3] + [[" WH-SP", " PN-SPACE ", "A ", "", "ea", " L1", "", "available", "4", "2"]]
    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, rows)
    snapshot = load_inventory(inventory, InventoryConfig())
    assert [(ln.location, ln.part_number, ln.revision, ln.lot) for ln in snapshot.lines][-1] == (
        " WH-SP", " PN-SPACE ", "A ", " L1")
    schedule = tmp_path / "schedule.xlsx"
    report = api.write_schedule(inventory, schedule, Config(), as_of=AS_OF)
    assert len(report.warnings) == 1
    assert "4 identifier(s)" in report.warnings[0] and "part number \u2423PN-SPACE\u2423" in report.warnings[0]
    cycle = start_cycle(schedule, inventory, tmp_path / "cycle", Config(), as_of=AS_OF,
                        selection=Selection(locations=(" WH-SP",)))
    assert len(cycle.warnings) == 1 and "location \u2423WH-SP" in cycle.warnings[0]
    frozen = list(csv.reader((cycle.cycle_dir / "snapshot.csv").open(encoding="utf-8")))
    assert frozen[1][:5] == [" WH-SP", "1", " PN-SPACE ", "A ", ""] and frozen[1][6] == " L1"
    sheet = sheet_file(cycle.cycle_dir, " WH-SP")
    shown = [row for row in openpyxl.load_workbook(sheet).worksheets[0].iter_rows(values_only=True)]
    assert ("1", "\u2423PN-SPACE\u2423", "A\u2423") == shown[7][:3]
    filled = fill_sheet(sheet, tmp_path / "back" / "sp.xlsx", {1: 5}, counted_by="Ana")
    result = ingest_cycle(cycle.cycle_dir, Config(), [filled])
    assert result.problems == []
    variance = rows_of(result.results, "Variance")
    assert [(r["Line ID"], r["Location"], r["Part Number"], r["Counted Qty"]) for r in variance] == [
        (" WH-SP/1", " WH-SP", " PN-SPACE ", 5)]
    document(result.results, " WH-SP/1", Root_Cause="Miscounted during cycle count", Status="Resolved",
             Approved_By="Dana Whitfield", Approval_Date=dt.datetime(2026, 11, 24))
    done = finalize_cycle(cycle.cycle_dir, schedule, Config(), targets=["generic"], today=dt.date(2026, 11, 24))
    posted = list(csv.reader(done.files[0].open(encoding="utf-8")))
    assert posted[1][:4] == [" WH-SP", " PN-SPACE ", "A ", " L1"]


def test_schedule_and_sheets_print_the_warning(tmp_path):
    rows = [[" PN-LOC ", "P1", "", "", "ea", "", "", "available", "4", "2"]]
    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, rows)
    runner = CliRunner()
    out = runner.invoke(cli, ["schedule", str(inventory), "--as-of", "2026-11-23", "-o", str(tmp_path / "s.xlsx")])
    assert out.exit_code == 0, out.output
    assert "Warning: 1 identifier(s) begin or end with a space" in out.stderr
    out = runner.invoke(cli, ["sheets", str(tmp_path / "s.xlsx"), str(inventory), "-o", str(tmp_path / "c"),
                              "--all", "--as-of", "2026-11-23"])
    assert out.exit_code == 0, out.output
    assert out.stderr.count("Warning: 1 identifier(s)") == 1


# ---- 4. negative on-hand -----------------------------------------------------------------------

def test_a_negative_on_hand_line_is_kept_counted_and_worth_nothing_in_the_schedule(tmp_path):
    rows = [inventory_line("A1", "P1", quantity="10", cost="2"), inventory_line("A1", "P2", quantity="-5", cost="3"),
            inventory_line("B1", "P3", quantity="-1", cost="100")]
    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, rows)
    snapshot = load_inventory(inventory, InventoryConfig())
    assert [line.quantity for line in snapshot.lines] == [10, -5, -1]
    totals = snapshot.totals()
    assert (totals["A1"].value, totals["B1"].value) == (Decimal(20), Decimal(0))
    schedule = tmp_path / "schedule.xlsx"
    report = api.write_schedule(inventory, schedule, Config(), as_of=AS_OF)
    assert report.total_value == Decimal(20)
    assert any("2 line(s) have a negative system quantity" in w and "A1 P2 (-5, row 3)" in w
               for w in report.warnings)
    cycle = start_cycle(schedule, inventory, tmp_path / "cycle", Config(), as_of=AS_OF,
                        selection=Selection(locations=("A1",)))
    assert any("1 line(s) have a negative system quantity" in w for w in cycle.warnings)
    filled = fill_sheet(sheet_file(cycle.cycle_dir, "A1"), tmp_path / "back" / "a.xlsx", {1: 10, 2: 0},
                        counted_by="Ana")
    result = ingest_cycle(cycle.cycle_dir, Config(), [filled])
    line = next(r for r in rows_of(result.results, "Variance") if r["Line ID"] == "A1/2")
    assert (line["System Qty"], line["Counted Qty"], line["Variance Qty"]) == (-5, 0, 5)
    assert result.recount_files, "a negative system quantity is a discrepancy: recounted"


def test_the_variance_percent_of_a_negative_line_has_the_sign_of_the_variance():
    from cyclekit.config import CountConfig
    from cyclekit.domain.variance import CountedLine, judge

    line = CountedLine("A1/2", "A1", "P2", "", "", "", "", "ea", "A", Decimal(-5), Decimal(3), counted_qty=Decimal(0))
    assert line.variance_pct == 1
    assert judge(line, CountConfig()).within_tolerance is False
    allowed = CountedLine("A1/2", "A1", "P2", "", "", "", "", "ea", "C", Decimal(-100), Decimal(3),
                          counted_qty=Decimal(-98))
    assert judge(allowed, CountConfig()).within_tolerance is True  # 2 of 100 is within C's 5 %


# ---- 5. one part, one bin, two units -----------------------------------------------------------

def test_the_unit_is_part_of_a_lines_identity(tmp_path):
    path = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER, [
        inventory_line("A1", "P1", uom="ea", quantity="12"), inventory_line("A1", "P1", uom="box", quantity="2")])
    assert [(ln.uom, ln.quantity) for ln in load_inventory(path, InventoryConfig()).lines] == [("ea", 12), ("box", 2)]
    path = write_csv(tmp_path / "dup.csv", INVENTORY_HEADER, [
        inventory_line("A1", "P1", uom="ea"), inventory_line("A1", "P1", uom="EA")])
    assert [(p.kind, p.row) for p in problems_of(path)] == [("duplicate-line", 3)]


def test_one_part_in_two_units_is_two_lines_through_a_cycle(tmp_path):
    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, [
        inventory_line("A1", "P1", uom="ea", quantity="12"), inventory_line("A1", "P1", uom="box", quantity="2")])
    schedule = tmp_path / "schedule.xlsx"
    api.write_schedule(inventory, schedule, Config(), as_of=AS_OF)
    cycle = start_cycle(schedule, inventory, tmp_path / "cycle", Config(), as_of=AS_OF, selection=Selection(all=True))
    filled = fill_sheet(sheet_file(cycle.cycle_dir, "A1"), tmp_path / "back" / "a.xlsx", {1: 12, 2: 3},
                        found=[("P1", "", "", "kg", 4), ("P1", "", "", "box", 1)], counted_by="Ana")
    result = ingest_cycle(cycle.cycle_dir, Config(), [filled])
    assert [(p.kind, p.value) for p in result.problems] == [("found-is-listed", "P1")]  # the box row, not the kg one
    variance = {r["Line ID"]: (r["UoM"], r["Counted Qty"]) for r in rows_of(result.results, "Variance")}
    assert variance == {"A1/1": ("ea", 12), "A1/2": ("box", 3), "A1/F1": ("kg", 4)}


# ---- 6. a field longer than a cell holds -------------------------------------------------------

@pytest.mark.parametrize("length", [32_767 + 1, 200_000])
@pytest.mark.parametrize("padding_rows", [0, 10_000])  # 10,000 rows: past NATIVE_CSV_FROM, read by pyarrow
def test_a_field_longer_than_a_cell_is_a_problem_naming_row_and_column(tmp_path, length, padding_rows):
    rows = [inventory_line("A1", f"P{n}") for n in range(padding_rows)]
    rows.append(inventory_line("A1", "LONG", description="x" * length))
    path = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER, rows)
    assert (path.stat().st_size > 256 * 1024) == bool(padding_rows)  # tables.NATIVE_CSV_FROM
    problems = problems_of(path)
    assert [(p.kind, p.row, p.column) for p in problems] == [("field-too-long", padding_rows + 2, "description")]
    assert "32,767 characters" in problems[0].message


def test_a_long_field_is_one_line_at_the_command_line(tmp_path):
    path = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER, [inventory_line(description="y" * 200_000)])
    out = CliRunner().invoke(cli, ["schedule", str(path), "-o", str(tmp_path / "s.xlsx")])
    assert out.exit_code == 1 and isinstance(out.exception, SystemExit)  # not a traceback
    assert "row 2, column 'description'" in out.stderr
    assert not (tmp_path / "s.xlsx").exists()


# ---- 7. UTF-16 exports ----------------------------------------------------------------------------

def test_a_utf16_export_with_a_bom_is_read(tmp_path):
    path = tmp_path / "unicode.txt"
    lines = ["\t".join(INVENTORY_HEADER), "\t".join(inventory_line("Lager-Ä", "Ø-12", uom="m", quantity="2.5"))]
    path.write_bytes("\r\n".join(lines).encode("utf-16"))  # Excel's "Unicode Text": a BOM, then UTF-16-LE
    [line] = load_inventory(path, InventoryConfig()).lines
    assert (line.location, line.part_number, line.quantity) == ("Lager-Ä", "Ø-12", Decimal("2.5"))
    big = tmp_path / "big-endian.csv"
    big.write_bytes("\ufeff".encode("utf-16-be") + "\n".join(x.replace("\t", ",") for x in lines).encode("utf-16-be"))
    assert load_inventory(big, InventoryConfig()).lines[0].part_number == "Ø-12"


def test_utf16_without_a_bom_and_headers_with_unseen_characters_are_shown_readably(tmp_path):
    path = tmp_path / "no-bom.csv"
    path.write_bytes("Bin,Item\nA,B\n".encode("utf-16-le"))
    [problem] = problems_of(path)
    assert "UTF-16" in problem.message
    path = tmp_path / "odd.csv"
    path.write_text("B\x07in,\ufeffpart_number,quantity\nA,B,1\n", encoding="utf-8")
    problem = problems_of(path)[0]
    assert (problem.kind, problem.column) == ("missing-column", "location")
    assert "the file has: 'B\\x07in', '\\ufeffpart_number', 'quantity'" in problem.message
    assert values.readable("ÿþB\x00") == "'ÿþB\\x00'"


# ---- 8. control characters in identifiers ---------------------------------------------------------

@pytest.mark.parametrize(("column", "text"), [("location", "WH\x07A"), ("part_number", "P\x00"),
                                              ("revision", "\x1b"), ("lot", "L\x0b1"), ("serial", "S\x1f"),
                                              ("description", "Bolt\x08")])
def test_a_control_character_in_an_identifier_is_a_problem_naming_row_and_column(tmp_path, column, text):
    hostile = inventory_line("A1", "P2")
    hostile[INVENTORY_HEADER.index(column)] = text
    rows = [inventory_line("A1", "P1"), hostile]
    path = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER, rows)
    problems = problems_of(path)
    assert [(p.kind, p.row, p.column) for p in problems] == [("control-character", 3, column)]
    assert "a workbook cannot hold" in problems[0].message


def test_a_control_character_in_the_locations_file_is_a_problem(tmp_path):
    path = write_csv(tmp_path / "locations.csv", LOCATIONS_HEADER, [
        ["WH-1", "Zone", "Ana", "ana@x.example", "", "", ""], ["WH\x072", "Zone", "Bo\x07", "", "", "", ""]])
    with pytest.raises(InputError) as caught:
        load_locations(path)
    assert [(p.kind, p.row, p.column) for p in caught.value.problems] == [
        ("control-character", 3, "location"), ("control-character", 3, "owner")]


def test_tables_keep_only_the_identifier_columns_exact(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("location,zone\n A , B \n", encoding="utf-8")
    table = tables.read_table(path, exact=("Location",))
    assert table.columns == [[" A "], ["B"]]



# ---- 9. found by the property-based tests (tests/test_trust_numbers_properties.py) -----------------

@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_a_config_threshold_that_is_not_a_number_is_a_config_error(value):
    # TOML has nan and inf; a NaN threshold stopped the config loader with decimal.InvalidOperation
    with pytest.raises(ConfigError, match="must be a number"):
        parse_config({"schedule": {"a_share": value}})
    with pytest.raises(ConfigError, match="must be a number"):
        parse_config({"count": {"tolerance_percent": {"A": value, "B": 2, "C": 5}}})


def test_identifiers_keep_their_spaces_when_pyarrow_reads_a_big_export(tmp_path):
    rows = [inventory_line("A1", f"P{n}") for n in range(10_000)] + [inventory_line(" A2 ", " PN-SPACE ")]
    path = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER, rows)
    assert path.stat().st_size > 256 * 1024  # read by pyarrow (tables.NATIVE_CSV_FROM)
    last = load_inventory(path, InventoryConfig()).lines[-1]
    assert (last.location, last.part_number) == (" A2 ", " PN-SPACE ")


def test_a_printed_count_sheet_shows_the_spaces_of_an_identifier(soffice, tmp_path):
    from tests.test_print import pdf_pages

    rows = [["WH-SP", " PN-SPACE ", "01", "Washer", "ea", "", "", "available", "4", "0.05"],
            ["WH-SP", "PN-SPACE", "01", "Washer", "ea", "", "", "available", "5", "0.05"]]
    inventory = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER, rows)
    schedule = tmp_path / "schedule.xlsx"
    api.write_schedule(inventory, schedule, Config(), as_of=AS_OF)
    report = start_cycle(schedule, inventory, tmp_path / "cycle", Config(), selection=Selection(all=True),
                         as_of=AS_OF, pdf=True)
    _, pages = pdf_pages(report.pdfs[0])
    assert "\u2423PN-SPACE\u2423" in pages[0]  # the two lines do not look alike on paper


def test_a_locations_file_without_its_location_column_shows_its_headers_readably(tmp_path):
    path = tmp_path / "locations.csv"
    path.write_bytes("\ufefflocation\tzone\nA\tB\n".encode("utf-16-le"))  # Excel's "Unicode Text"
    assert load_locations(path)["A"].zone == "B"
    path.write_text("Loc\x07ation,zone\nA,B\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_locations(path)
    assert "the file has: 'Loc\\x07ation', 'zone'" in caught.value.problems[0].message


def test_a_row_longer_than_any_export_row_is_a_problem_before_it_is_read_whole(tmp_path):
    wide = ",".join(["y" * 30_000] * 40)  # every cell fits, the row does not
    path = tmp_path / "inv.csv"
    path.write_text("location,part_number,quantity\nA,P,1\n" + wide + "\n", encoding="utf-8")
    assert [(p.kind, p.row) for p in problems_of(path)] == [("row-too-long", 3)]


def test_a_file_without_line_breaks_is_refused_in_bounded_memory(tmp_path):
    """60 MB on one line: read whole (and split into 30 million cells) it took over 500 MB."""
    import subprocess
    import sys

    path = tmp_path / "oneline.csv"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("location,part_number,quantity\n")
        for _ in range(60):
            handle.write("A," * 500_000)
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec, from the forked copy of this process
    script = ("import sys\n"
              "from cyclekit.config import InventoryConfig\n"
              "from cyclekit.errors import InputError\n"
              "from cyclekit.inputs.inventory import load_inventory\n"
              "try:\n"
              "    load_inventory(sys.argv[1], InventoryConfig())\n"
              "except InputError as exc:\n"
              "    print(exc.problems[0].kind)\n"
              "peak = next(line for line in open('/proc/self/status') if line.startswith('VmHWM'))\n"
              "print(int(peak.split()[1]) // 1024)\n")
    out = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True)
    kind, peak_mb = out.stdout.split()
    assert kind == "row-too-long"
    assert int(peak_mb) < 200, f"peak {peak_mb} MB"


def test_identifiers_keep_their_spaces_in_an_xlsx_export(tmp_path):
    import xlsxwriter

    path = tmp_path / "inv.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("Export")
    for r, row in enumerate([INVENTORY_HEADER, inventory_line(" A1", " PN-SPACE ", quantity="2", lot="L1 ")]):
        for c, value in enumerate(row):
            sheet.write_string(r, c, f" {value} " if INVENTORY_HEADER[c] == "status" else value)
    book.close()
    [line] = load_inventory(path, InventoryConfig()).lines
    assert (line.location, line.part_number, line.lot, line.status) == (" A1", " PN-SPACE ", "L1 ", "available")


@pytest.mark.parametrize("cadence", ["9999999999", "3000000", "3661"])
def test_a_cadence_past_ten_years_is_a_problem_not_a_traceback(tmp_path, cadence):
    inventory = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER, [inventory_line("A1", "P1")])
    locations = write_csv(tmp_path / "locations.csv", LOCATIONS_HEADER,
                          [["A1", "Zone", "Ana", "", "", cadence, "2026-01-01"]])
    with pytest.raises(InputError) as caught:
        api.write_schedule(inventory, tmp_path / "s.xlsx", Config(), locations=locations, as_of=AS_OF)
    assert [(p.kind, p.row, p.column) for p in caught.value.problems] == [("bad-cadence", 2, "cadence_days")]
    assert "from 1 to 3660" in caught.value.problems[0].message


def test_blank_lines_above_the_header_do_not_decide_the_delimiter(tmp_path):
    path = tmp_path / "inv.csv"
    path.write_text("\n \nlocation;part_number;uom;quantity\nA1;P1;m;1,5\n", encoding="utf-8")
    [line] = load_inventory(path, InventoryConfig()).lines
    assert (line.part_number, line.quantity, line.source_row) == ("P1", Decimal("1.5"), 4)


def test_a_listed_lines_unit_changed_on_the_sheet_is_an_altered_line(tmp_path):
    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, [
        inventory_line("A1", "P1", uom="ea", quantity="12"), inventory_line("A1", "P1", uom="box", quantity="2")])
    schedule = tmp_path / "schedule.xlsx"
    api.write_schedule(inventory, schedule, Config(), as_of=AS_OF)
    cycle = start_cycle(schedule, inventory, tmp_path / "cycle", Config(), as_of=AS_OF, selection=Selection(all=True))

    def unit_to_box(sheet):  # the protection removed, line 1's unit overwritten
        row = next(r for r in range(1, 30) if sheet.cell(r, 1).value == "1")
        sheet.cell(row, 6).value = "box"

    filled = fill_sheet(sheet_file(cycle.cycle_dir, "A1"), tmp_path / "back" / "a.xlsx", {1: 24, 2: 2},
                        counted_by="Ana", edit=unit_to_box)
    result = ingest_cycle(cycle.cycle_dir, Config(), [filled])
    assert [(p.kind, p.line_id) for p in result.problems] == [("altered-line", "A1/1")]


def test_a_found_item_is_valued_at_its_parts_cost_in_its_own_unit(tmp_path):
    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, [
        inventory_line("A1", "P1", uom="ea", quantity="12", cost="1"),
        inventory_line("A1", "P1", uom="box", quantity="2", cost="12"),
        inventory_line("B1", "P9", uom="ea", quantity="1", cost="5")])
    schedule = tmp_path / "schedule.xlsx"
    api.write_schedule(inventory, schedule, Config(), as_of=AS_OF)
    cycle = start_cycle(schedule, inventory, tmp_path / "cycle", Config(), as_of=AS_OF,
                        selection=Selection(locations=("B1",)))
    assert "P1,,12,box" in (cycle.cycle_dir / "part_costs.csv").read_text().splitlines()
    filled = fill_sheet(sheet_file(cycle.cycle_dir, "B1"), tmp_path / "back" / "b.xlsx", {1: 1},
                        found=[("P1", "", "", "box", 3), ("P1", "", "", "EA", 4), ("P1", "", "", "kg", 5),
                               ("P1", "", "", "", 6)], counted_by="Ana")
    result = ingest_cycle(cycle.cycle_dir, Config(), [filled])
    variance = rows_of(result.results, "Variance")
    costs = {r["Line ID"]: (r["UoM"], r["Unit Cost"]) for r in variance if "/F" in r["Line ID"]}
    assert costs == {"B1/F1": ("box", 12), "B1/F2": ("EA", 1), "B1/F3": ("kg", None), "B1/F4": (None, None)}


def test_a_line_with_no_unit_cost_is_said_to_be_valued_at_zero(tmp_path):
    rows = inventory_rows()
    rows[0][9] = ""  # the export left the cost blank: 0 is a choice the user must hear of
    export = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, rows)
    [warning] = [w for w in snapshot_warnings(load_inventory(export, InventoryConfig())) if "no unit cost" in w]
    assert warning.startswith("1 line(s) have no unit cost") and "WH-A-01 000812 (row 2)" in warning
    result = CliRunner().invoke(cli, ["schedule", str(export), "--as-of", "2026-11-23",
                                      "-o", str(tmp_path / "schedule.xlsx")])
    assert result.exit_code == 0, result.output
    assert "no unit cost in the export" in result.output
    rows[0][9] = "0.15"
    again = write_csv(tmp_path / "costed.csv", INVENTORY_HEADER, rows)
    assert not [w for w in snapshot_warnings(load_inventory(again, InventoryConfig())) if "no unit cost" in w]
