"""Review of numbers and identifiers on unseen data: numbers too long to read, workbook exports
mixing numbers stored as numbers with numbers typed as text, tiny costs stored as numbers."""

from decimal import Decimal

import openpyxl
import pytest

from cyclekit.config import InventoryConfig
from cyclekit.domain import values
from cyclekit.errors import InputError
from cyclekit.inputs.inventory import load_inventory
from tests.helpers import INVENTORY_HEADER, write_csv
from tests.test_cycle_flow import plant  # noqa: F401 - a fixture
from tests.test_results import counted  # noqa: F401 - a fixture

LONG = "5" * 5000  # past Python's 4,300-digit int() limit


def line(part="P1", uom="ea", quantity="1", cost="1", location="A1"):
    return [location, part, "", "", uom, "", "", "available", quantity, cost]


def problems_of(path, config=None):
    with pytest.raises(InputError) as caught:
        load_inventory(path, config or InventoryConfig())
    return caught.value.problems


def export_xlsx(path, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(INVENTORY_HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


@pytest.mark.parametrize("text", [LONG, "-" + LONG, "1" + "0" * 5000 + ".5", "1" * 25, "0." + "1" * 30])
def test_a_number_too_long_to_read_is_a_quantity_error_in_every_reading(text):
    # it raised ValueError (int() past 4,300 digits) or decimal.InvalidOperation, or rounded unseen
    for separator in (".", ",", None):
        with pytest.raises(values.QuantityError):
            values.parse_quantity(text, allow_negative=True, separator=separator)


@pytest.mark.parametrize("number", [1e30, 1e300, -1e25])
def test_a_number_a_workbook_stores_far_past_any_count_is_a_quantity_error(number):
    with pytest.raises(values.QuantityError):
        values.parse_quantity(number, allow_negative=True)


def test_an_export_holding_a_number_thousands_of_digits_long_lists_it_as_a_problem(tmp_path):
    # the export's quantity and cost readers let the ValueError out: a traceback
    path = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, [
        line("P1", quantity=LONG), line("P2", cost=LONG), line("P3", quantity="-" + LONG), line("P4")])
    problems = problems_of(path)
    assert [(p.kind, p.row) for p in problems] == [("bad-quantity", 2), ("bad-unit-cost", 3), ("bad-quantity", 4)]
    assert all(len(p.line()) < 400 for p in problems)  # the value is quoted shortened: one readable line


def test_numbers_stored_as_numbers_are_exact_beside_numbers_typed_with_a_decimal_comma(tmp_path):
    # a workbook number 1.125 was read as the text '1.125', and with the text cells' decimal comma
    # ('2,5') it became 1125
    path = export_xlsx(tmp_path / "export.xlsx", [line("P1", "m", 1.125, 2.5), line("P2", "m", "2,5", "3,25")])
    snapshot = load_inventory(path, InventoryConfig())
    assert [(ln.quantity, ln.unit_cost) for ln in snapshot.lines] == [
        (Decimal("1.125"), Decimal("2.5")), (Decimal("2.5"), Decimal("3.25"))]


def test_an_export_of_numbers_stored_as_numbers_needs_no_decimal_separator(tmp_path):
    # 1.125 stored as a number was asked about ("reads two ways"), 2.5 made a text '1.800' mixed
    path = export_xlsx(tmp_path / "export.xlsx", [line("P1", "m", 1.125, 12.345), line("P2", "m", 228.461, 1)])
    snapshot = load_inventory(path, InventoryConfig())
    assert [ln.quantity for ln in snapshot.lines] == [Decimal("1.125"), Decimal("228.461")]
    assert snapshot.lines[0].unit_cost == Decimal("12.345")


def test_text_beside_numbers_stored_as_numbers_still_asks_for_the_separator(tmp_path):
    # the numbers a workbook stored tell nothing of how the text cells were typed
    path = export_xlsx(tmp_path / "export.xlsx", [line("P1", "m", 2.5, 1), line("P2", "m", "1.800", 1)])
    assert [p.kind for p in problems_of(path)] == ["decimal-separator-unknown"]


def test_a_tiny_cost_stored_as_a_number_is_read_exactly(tmp_path):
    # 0.00001 came out as '1e-05': "unit cost is not a number"
    path = export_xlsx(tmp_path / "export.xlsx", [line("P1", "g", 3, 0.00001)])
    assert load_inventory(path, InventoryConfig()).lines[0].unit_cost == Decimal("0.00001")
    assert values.cell_text(0.00001) == "0.00001"


def test_a_found_item_with_no_unit_is_unvalued_when_its_part_is_held_in_several_units(tmp_path):
    # with no unit written it was valued at the part's first cost in the export: a box's (12) for
    # what may be pieces; a part held in one unit only is still valued at that unit's cost
    from cyclekit.config import Config
    from cyclekit.stages import schedule as api
    from cyclekit.stages.ingest import ingest_cycle
    from cyclekit.stages.sheets import Selection, start_cycle
    from tests.helpers import fill_sheet
    from tests.test_cycle_flow import AS_OF, rows_of, sheet_file

    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, [
        line("P1", "box", "2", "12", location="A1"), line("P1", "ea", "12", "1", location="A1"),
        line("P2", "ea", "3", "7", location="A1"), line("P9", "ea", "1", "5", location="B1")])
    schedule = tmp_path / "schedule.xlsx"
    api.write_schedule(inventory, schedule, Config(), as_of=AS_OF)
    cycle = start_cycle(schedule, inventory, tmp_path / "cycle", Config(), as_of=AS_OF,
                        selection=Selection(locations=("B1",)))
    filled = fill_sheet(sheet_file(cycle.cycle_dir, "B1"), tmp_path / "back" / "b.xlsx", {1: 1},
                        found=[("P1", "", "", "", 6), ("P2", "", "", "", 2)], counted_by="Ana")
    variance = rows_of(ingest_cycle(cycle.cycle_dir, Config(), [filled]).results, "Variance")
    found = {r["Line ID"]: (r["Unit Cost"], r["Variance Value"]) for r in variance if "/F" in r["Line ID"]}
    assert found == {"B1/F1": (None, "unvalued"), "B1/F2": (7, 14)}


@pytest.mark.parametrize("typed", [5, 1.0, 2958465, float("nan"), "0001-01-01", "9999-12-31"])
def test_a_number_or_a_far_year_typed_as_a_date_is_never_read_as_a_date(typed):
    # 5 typed in Approval Date was read as 1900-01-04, 1.0 as 1899-12-31, 0001-01-01 as is
    from cyclekit.domain.typed_dates import read_typed_date

    with pytest.raises(ValueError, match="not a date"):
        read_typed_date(typed)


@pytest.mark.parametrize("typed", ["2026-11-25 10:30", "2026-11-25T00:00:00"])
def test_a_date_typed_with_a_time_of_day_is_read(typed):
    import datetime as dt

    from cyclekit.domain.typed_dates import read_typed_date

    assert read_typed_date(typed) == dt.date(2026, 11, 25)


def test_an_approval_date_typed_as_a_number_is_a_problem_at_ingest(counted):  # noqa: F811
    from cyclekit.config import Config
    from cyclekit.stages.ingest import ingest_cycle
    from tests.test_cycle_flow import rows_of
    from tests.test_results import document

    cycle_dir, files, result = counted
    document(result.results, "WH-A-01/1", Approved_By="Dana", Approval_Date=5)
    again = ingest_cycle(cycle_dir, Config(), files)
    [problem] = [p for p in again.problems if p.kind == "bad-date"]
    # the column is formatted as dates: Excel shows 5 as 1900-01-05, which no approval is
    assert problem.sheet == "Discrepancies" and "not a date" in problem.message
    assert problem in again.open_problems and "bad-date" in {r["Kind"] for r in rows_of(again.results, "Problems")}


@pytest.mark.parametrize(("text", "expected"), [
    ("1 234,5", Decimal("1234.5")), ("1\u00a0234,5", Decimal("1234.5")), ("1\u202f234\u202f567", Decimal(1234567)),
    ("1'234.5", Decimal("1234.5")), ("1 234.5", Decimal("1234.5")), ("-1 234,567", Decimal("-1234.567")),
    ("228 461", Decimal(228461))])
def test_thousands_grouped_by_spaces_or_apostrophes_read_one_way(text, expected):
    # they were "not a number": a space or an apostrophe is never a decimal mark
    assert values.parse_quantity(text, allow_negative=True, separator=None) == expected


@pytest.mark.parametrize("text", ["1 5", "12 ea", "1 2345", "01 234", "1  234", "1 234 5"])
def test_spaces_that_are_no_thousands_groups_are_still_a_problem(text):
    with pytest.raises(values.QuantityError):
        values.parse_quantity(text, separator=None)


def test_an_export_with_grouped_thousands_and_costs_signed_after_the_amount_is_read(tmp_path):
    # French Excel writes '1 234,5' (no-break space) and '16,50 €'; these were problems
    path = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, [
        line("P1", "m", "1\u00a0234,5", "16,50 €"),
        line("P2", "ea", "2", "1\u00a0234,50 €"), line("P3", "ea", "1", "€ 3")])
    snapshot = load_inventory(path, InventoryConfig())
    assert [(ln.quantity, ln.unit_cost) for ln in snapshot.lines] == [
        (Decimal("1234.5"), Decimal("16.5")), (Decimal(2), Decimal("1234.5")), (Decimal(1), Decimal(3))]


def test_grouped_thousands_with_both_decimal_marks_in_one_export_are_a_problem(tmp_path):
    path = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, [
        line("P1", "m", "1 234,5"), line("P2", "m", "1 234.5")])
    assert [p.kind for p in problems_of(path)] == ["mixed-decimal-separators"]


def test_a_number_a_spreadsheet_computed_reads_as_the_spreadsheet_shows_it(tmp_path):
    # =0.1+0.2 is stored 0.30000000000000004: read so, a line of 0.3 m had a variance of 4E-17
    assert values.parse_quantity(0.1 + 0.2) == Decimal("0.3")
    assert values.parse_quantity(12 * 0.1) == Decimal("1.2")
    assert values.cell_text(0.1 + 0.2) == "0.3"
    path = export_xlsx(tmp_path / "export.xlsx", [line("P1", "m", 0.1 + 0.2, 1.1 * 3)])
    assert [(ln.quantity, ln.unit_cost) for ln in load_inventory(path, InventoryConfig()).lines] == [
        (Decimal("0.3"), Decimal("3.3"))]


@pytest.mark.parametrize("typed", ["1_000", "9_1", "+91", "9" * 5000])
def test_a_cadence_python_would_read_but_a_person_would_not_write_is_a_problem(tmp_path, typed):
    # int() read '1_000' as 1000 and '9_1' as 91
    from cyclekit.inputs.locations import load_locations
    from tests.helpers import LOCATIONS_HEADER

    path = write_csv(tmp_path / "locations.csv", LOCATIONS_HEADER, [["A1", "", "", "", "", typed, ""]])
    with pytest.raises(InputError) as caught:
        load_locations(path)
    assert [p.kind for p in caught.value.problems] == ["bad-cadence"]


@pytest.mark.parametrize("typed", ["Infinity", "NaN", "1E+999999"])
def test_a_schedule_holding_infinity_in_counts_per_year_is_written_over_without_a_traceback(plant, typed):  # noqa: F811
    # int(Decimal('Infinity')) stopped `schedule` with OverflowError
    from cyclekit.config import Config
    from cyclekit.stages import schedule as api
    from tests.test_cycle_flow import AS_OF

    schedule, inventory = plant
    book = openpyxl.load_workbook(schedule)
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    sheet.cell(2, header.index("Counts / Year") + 1).value = typed
    del book["Last Run"]  # as a schedule written before that tab was: the rules' cadence is looked for
    book.save(schedule)
    api.write_schedule(inventory, schedule, Config(), as_of=AS_OF)
    assert openpyxl.load_workbook(schedule).worksheets[0].max_row > 1


@pytest.mark.parametrize("text", ["99999999999999999999", "1000000000000", "-1000000000000.5"])
def test_a_quantity_or_cost_of_a_trillion_or_more_is_a_problem(text):
    # 20 nines for a quantity and a cost passed, and `schedule` stopped in money.cents with
    # decimal.InvalidOperation (their product has 40 digits, Decimal keeps 28)
    with pytest.raises(values.QuantityError, match="trillion"):
        values.parse_quantity(text, allow_negative=True)
    assert values.parse_quantity("999999999999.999") == Decimal("999999999999.999")


def test_money_rounds_any_amount_a_plant_can_sum_to_cents():
    from cyclekit.domain.money import cents

    # a trillion less one, times as much, over two million lines: 31 digits; Decimal's context keeps 28
    assert cents(Decimal("1999999999996000000000002000000.005")) == Decimal("1999999999996000000000002000000.01")
    assert cents(Decimal("-1E+27")) == Decimal("-1E+27")
