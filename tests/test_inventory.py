from decimal import Decimal

import pytest
import xlsxwriter

from cyclekit.config import InventoryConfig
from cyclekit.errors import InputError
from cyclekit.inputs.inventory import load_inventory
from tests.helpers import INVENTORY_HEADER, ODD_PART_NUMBERS, inventory_rows, write_csv


def test_loads_counted_lines_and_leaves_out_installed_and_on_order(tmp_path):
    path = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER, inventory_rows())
    snapshot = load_inventory(path, InventoryConfig())
    assert len(snapshot.lines) == 8
    assert snapshot.skipped == {"installed": 1, "on_order": 1}
    assert {line.status for line in snapshot.lines} == {"available", "unavailable"}
    bolt = snapshot.lines[0]
    assert (bolt.part_number, bolt.revision, bolt.quantity) == ("000812", "01", Decimal(1234))
    assert snapshot.lines[1].revision == "1"
    assert snapshot.lines[3].quantity == Decimal("12.5")
    assert len(snapshot.sha256) == 64


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_odd_identifiers_survive_exactly(tmp_path, suffix):
    rows = [["BIN-1", part, rev, "", "ea", lot, "", "available", "1", "1"]
            for part, rev, lot in zip(ODD_PART_NUMBERS, ["01", "1", "001", "", "A", "1.0", "0", "B", "", "02"],
                                      ["0001", "1E3", "", "", "", "", "", "", "", ""], strict=True)]
    if suffix == "csv":
        path = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER, rows)
    else:
        path = tmp_path / "inv.xlsx"
        book = xlsxwriter.Workbook(path)
        sheet = book.add_worksheet("Export")
        for r, row in enumerate([INVENTORY_HEADER, *rows]):
            for c, value in enumerate(row):
                sheet.write_string(r, c, str(value))
        book.close()
    lines = load_inventory(path, InventoryConfig()).lines
    assert [line.part_number for line in lines] == ODD_PART_NUMBERS
    assert [line.revision for line in lines][:3] == ["01", "1", "001"]
    assert [line.lot for line in lines][:2] == ["0001", "1E3"]


def test_headers_mapped_in_config(tmp_path):
    path = write_csv(tmp_path / "erp.csv", ["Bin", "Item", "On Hand", "Avg Cost"],
                     [["A1", "000812", "1,250", "0.02"]])
    config = InventoryConfig(columns={"location": "Bin", "part_number": "Item", "quantity": "On Hand",
                                      "unit_cost": "Avg Cost"})
    line = load_inventory(path, config).lines[0]
    assert (line.location, line.part_number, line.quantity, line.unit_cost) == (
        "A1", "000812", Decimal(1250), Decimal("0.02"))


def test_every_problem_in_the_file_is_reported_at_once(tmp_path):
    path = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER, [
        ["", "P1", "", "", "ea", "", "", "available", "3", "1"],
        ["A1", "P2", "", "", "ea", "", "", "available", "twelve", "1"],
        ["A1", "P3", "", "", "ea", "", "", "available", "4 ea", "1"],
        ["A1", "", "", "", "ea", "", "", "available", "4", "1"],
        ["A1", "P5", "", "", "ea", "", "", "available", "4", "$1.x"],
        ["A1", "P6", "", "", "ea", "", "", "available", "4", "1"],
        ["A1", "P6", "", "", "ea", "", "", "available", "5", "1"],
    ])
    with pytest.raises(InputError) as caught:
        load_inventory(path, InventoryConfig())
    found = [(p.kind, p.row, p.column) for p in caught.value.problems]
    assert found == [
        ("empty-location", 2, "location"), ("bad-quantity", 3, "quantity"),
        ("bad-quantity", 4, "quantity"), ("empty-part-number", 5, "part_number"),
        ("bad-unit-cost", 6, "unit_cost"), ("duplicate-line", 8, "part_number"),
    ]
    text = str(caught.value)
    assert "inv.csv, row 3, column 'quantity': quantity is not a number" in text
    assert "value 'twelve'" in text


def test_unknown_status_only_in_strict_mode(tmp_path):
    path = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER,
                     [["A1", "P1", "", "", "ea", "", "", "quarantine", "3", "1"]])
    assert len(load_inventory(path, InventoryConfig()).lines) == 1
    with pytest.raises(InputError, match="unknown status"):
        load_inventory(path, InventoryConfig(strict_statuses=True))


def test_configured_skip_statuses(tmp_path):
    path = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER, inventory_rows())
    snapshot = load_inventory(path, InventoryConfig(skip_statuses=("installed",)))
    assert snapshot.skipped == {"installed": 1}
    assert len(snapshot.lines) == 9


# The same shared checks run against every way an inventory can arrive (csvkit-style).
def _csv(tmp_path, header, rows):
    return write_csv(tmp_path / "inv.csv", header, rows)


def _xlsx(tmp_path, header, rows):
    path = tmp_path / "inv.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    for r, row in enumerate([header, *rows] if header else rows):
        for c, value in enumerate(row):
            sheet.write_string(r, c, str(value))
    book.close()
    return path


@pytest.fixture(params=[_csv, _xlsx], ids=["csv", "xlsx"])
def make_file(request, tmp_path):
    return lambda header, rows: request.param(tmp_path, header, rows)


def test_empty_file(make_file):
    with pytest.raises(InputError, match="empty: no header row"):
        load_inventory(make_file([], []), InventoryConfig())


def test_missing_required_column(make_file):
    path = make_file(["location", "part_number"], [["A1", "P1"]])
    with pytest.raises(InputError) as caught:
        load_inventory(path, InventoryConfig())
    assert [(p.kind, p.column) for p in caught.value.problems] == [("missing-column", "quantity")]


def test_missing_mapped_column_names_the_mapping(make_file):
    path = make_file(["Bin", "Item", "Qty"], [["A1", "P1", "1"]])
    config = InventoryConfig(columns={"location": "Bin", "part_number": "Item", "quantity": "On Hand"})
    with pytest.raises(InputError, match="'On Hand' \\(mapped to quantity in the config\\)"):
        load_inventory(path, config)


def test_wrong_tab(tmp_path):
    path = _xlsx(tmp_path, INVENTORY_HEADER, inventory_rows())
    with pytest.raises(InputError, match="has no tab 'Stock'"):
        load_inventory(path, InventoryConfig(sheet="Stock"))


def test_missing_and_unsupported_files(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        load_inventory(tmp_path / "nope.csv", InventoryConfig())
    (tmp_path / "inv.pdf").write_bytes(b"%PDF")
    with pytest.raises(InputError, match="unsupported file type .pdf"):
        load_inventory(tmp_path / "inv.pdf", InventoryConfig())
    (tmp_path / "bad.xlsx").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="is not an Excel workbook"):
        load_inventory(tmp_path / "bad.xlsx", InventoryConfig())


def test_windows_1252_csv(tmp_path):
    path = tmp_path / "inv.csv"
    path.write_bytes("location,part_number,description,quantity\nA1,P1,Sensor 5 µm ±2°,3\n".encode("cp1252"))
    assert load_inventory(path, InventoryConfig()).lines[0].description == "Sensor 5 µm ±2°"


def test_semicolon_csv(tmp_path):
    path = tmp_path / "inv.csv"
    path.write_text("location;part_number;quantity\nA1;000812;4\n", encoding="utf-8")
    assert load_inventory(path, InventoryConfig()).lines[0].part_number == "000812"


def test_quoted_descriptions_with_commas_and_quotes(tmp_path):
    # csv.Sniffer misreads '""' escapes when a field holds both a quote and a comma
    path = tmp_path / "inv.csv"
    path.write_text('location,part_number,description,status,quantity\n'
                    'A1,P1,"Hose clamp 1/2"", stainless",available,3\n'
                    'A1,P2,"Panel 19"" rack, 2U",installed,9\n', encoding="utf-8")
    snapshot = load_inventory(path, InventoryConfig())
    assert [line.description for line in snapshot.lines] == ['Hose clamp 1/2", stainless']
    assert snapshot.skipped == {"installed": 1}


def test_lines_whose_hashes_collide_are_not_duplicates(tmp_path, monkeypatch):
    import cyclekit.inputs.inventory as inventory

    monkeypatch.setattr(inventory, "hash", lambda key: 0, raising=False)  # every key meets every other
    path = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER, inventory_rows())
    assert len(load_inventory(path, InventoryConfig()).lines) == 8
    rows = inventory_rows()
    path = write_csv(tmp_path / "dup.csv", INVENTORY_HEADER, [*rows, rows[0]])
    with pytest.raises(InputError) as caught:
        load_inventory(path, InventoryConfig())
    assert [(p.kind, p.row) for p in caught.value.problems] == [("duplicate-line", 12)]


def test_semicolon_csv_with_decimal_commas(tmp_path):
    # Excel where the decimal mark is a comma saves CSV with ';' between columns
    path = tmp_path / "inv.csv"
    path.write_text("location;part_number;quantity;unit_cost\nA1;000812;1.250;1,850\nA1;P2;3;6890,00\n"
                    "A1;P3;2,5;12\n", encoding="utf-8")
    lines = load_inventory(path, InventoryConfig()).lines
    assert [(ln.quantity, ln.unit_cost) for ln in lines] == [
        (Decimal(1250), Decimal("1.85")), (Decimal(3), Decimal("6890")), (Decimal("2.5"), Decimal(12))]


def test_semicolon_csv_with_decimal_points_stays_as_written(tmp_path):
    path = tmp_path / "inv.csv"
    path.write_text("location;part_number;quantity;unit_cost\nA1;P1;12.5;0.125\nA1;P2;1.500;3\n",
                    encoding="utf-8")
    lines = load_inventory(path, InventoryConfig()).lines
    assert [(ln.quantity, ln.unit_cost) for ln in lines] == [
        (Decimal("12.5"), Decimal("0.125")), (Decimal("1.5"), Decimal(3))]


def test_a_mapped_optional_column_that_is_missing_is_an_error(make_file):
    path = make_file(["Bin", "Item", "Qty", "Status"], [["A1", "P1", "1", "installed"]])
    config = InventoryConfig(columns={"location": "Bin", "part_number": "Item", "quantity": "Qty",
                                      "unit_cost": "Avg Cost", "status": "Inventory Status"})
    with pytest.raises(InputError) as caught:
        load_inventory(path, config)
    assert [(p.kind, p.column) for p in caught.value.problems] == [
        ("missing-column", "Inventory Status"), ("missing-column", "Avg Cost")]
    assert "'Avg Cost' (mapped to unit_cost in the config) is missing" in str(caught.value.problems[1].message)


def test_decimal_commas_are_decided_for_the_whole_file(tmp_path):
    # quantities grouped with dots, costs with decimal commas: both read the European way
    path = tmp_path / "inv.csv"
    path.write_text("location;part_number;quantity;unit_cost\nA1;P1;1.234;2,50\nA1;P2;12;3\n", encoding="utf-8")
    lines = load_inventory(path, InventoryConfig()).lines
    assert [(ln.quantity, ln.unit_cost) for ln in lines] == [(Decimal(1234), Decimal("2.5")), (Decimal(12), Decimal(3))]


NUMBER_TEXTS = ["2.20", "10.00", "10.0", "0.0", "0.00000000", "-0.0", "-1.500", "000000000001.5",
                "999999999999.99999999", "1.800", "12.345", "1234.5", "0.00000001", "100.10", "5.", ".5",
                "1,200", "-3", "15", "-999999999999.9", "0.5", "7.000", "+2.5", "1 234.5", "0012.50", "1.2345678"]


def test_numbers_read_by_their_shape_are_what_each_number_reads_as_alone(tmp_path):
    """Quantities and costs that are plain digits with a point are taken as the number they show,
    without the reader's checks: the very Decimal (value and spelling) the reader gives, and the
    same decimal separator told for the file."""
    from cyclekit.domain.values import QuantityError, parse_quantity
    from cyclekit.inputs.inventory import _unit_cost

    rows = [[f"A{i}", f"P{i}", text, text.lstrip("-+")] for i, text in enumerate(NUMBER_TEXTS)]
    path = write_csv(tmp_path / "inv.csv", ["location", "part_number", "quantity", "unit_cost"], rows)
    try:
        lines = load_inventory(path, InventoryConfig()).lines
    except InputError as exc:
        pytest.fail(f"{[(p.row, p.column, p.message) for p in exc.problems]}")
    for line, text in zip(lines, NUMBER_TEXTS, strict=True):
        quantity = parse_quantity(text, allow_negative=True, separator=".")
        cost = _unit_cost(text.lstrip("-+"), separator=".")
        assert (str(line.quantity), str(line.unit_cost)) == (str(quantity), str(cost)), text
    with pytest.raises(QuantityError):
        parse_quantity("1.800", allow_negative=True, separator=None)  # read two ways alone: the file decides
