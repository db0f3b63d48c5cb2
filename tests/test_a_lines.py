"""Line identity: the Line ID parsed and written in one place (domain/lines.py), and the line key."""

import ast
from decimal import Decimal
from pathlib import Path

import pytest

import cyclekit
from cyclekit.domain.lines import LineId, LineKey, sheet_label, unit_key
from cyclekit.domain.stock import InventoryLine
from cyclekit.domain.variance import CountedLine, sheet_line_number
from cyclekit.folder.cycle import SnapshotLine


@pytest.mark.parametrize("text, location, label, sheet", [
    ("WH-A-01/3", "WH-A-01", "3", ""),
    ("WH-A-01/F2", "WH-A-01", "F2", ""),
    ("WH-A-01/F1-R001", "WH-A-01", "F1", "R001"),
    ("WH/A 01/12", "WH/A 01", "12", ""),  # a location may hold "/": the label is after the last one
    (" BIN 7 /F10", " BIN 7 ", "F10", ""),  # end spaces are part of a location
    ("/1", "", "1", ""),
])
def test_a_line_id_is_parsed_and_written_back_exactly(text, location, label, sheet):
    line_id = LineId.parse(text)
    assert (line_id.location, line_id.label, line_id.recount_sheet) == (location, label, sheet)
    assert str(line_id) == text
    assert LineId.of(location, label, sheet) == line_id


@pytest.mark.parametrize("text", ["WH-A-01", "WH-A-01/", "WH-A-01/x", "WH-A-01/3-R001", "WH-A-01/F",
                                  "WH-A-01/F\u00b2", "WH-A-01/\u0663", "WH-A-01/-1", "WH-A-01/F1-", "WH-A-01/3 "])
def test_what_is_no_line_id_is_refused(text):
    with pytest.raises(ValueError, match="not a Line ID"):
        LineId.parse(text)


def test_a_label_that_is_no_line_is_refused():
    for label, sheet in (("x", ""), ("3", "R001"), ("F", ""), ("", "")):
        with pytest.raises(ValueError, match="not the label"):
            LineId.of("LOC", label, sheet)


def test_what_a_line_id_says():
    listed, found, found_on_recount = (LineId.parse(t) for t in ("L/7", "L/F3", "L/F3-R002"))
    assert (listed.found, listed.number, listed.sheet_line_number, listed.on_count_sheet) == (False, 7, 7, True)
    assert (found.found, found.number, found.sheet_line_number, found.on_count_sheet) == (True, 3, -3, True)
    assert (found_on_recount.found, found_on_recount.number, found_on_recount.sheet_line_number,
            found_on_recount.on_count_sheet) == (True, 3, None, False)
    assert sheet_label(7) == "7" and sheet_label(-3) == "F3"
    assert LineId.of("L", sheet_label(-3)) == found and LineId.listed("L", 7) == listed


def _counted(line_id: str, found: bool = False) -> CountedLine:
    return CountedLine(line_id, line_id.rsplit("/", 1)[0], "P", "", "", "L7", "S1", " EA", "C", Decimal(1),
                       Decimal(1), found=found)


def test_the_sheet_line_number_of_counted_lines():
    assert sheet_line_number(_counted("WH/A/12")) == 12
    assert sheet_line_number(_counted("WH/A/F2", found=True)) == -2
    assert sheet_line_number(_counted("WH/A/F2-R001", found=True)) is None


def test_a_snapshot_line_id_is_the_location_and_its_number():
    item = InventoryLine("WH/A 01", "000812", Decimal(1))
    assert SnapshotLine(4, item).line_id == "WH/A 01/4"
    assert LineId.parse(SnapshotLine(4, item).line_id) == LineId.listed("WH/A 01", 4)


def test_one_key_for_one_line_on_the_shelf():
    item = InventoryLine("BIN", "000812", Decimal(3), revision="A", uom=" EA", lot="L7", serial="S1")
    assert item.key == LineKey("BIN", "000812", "A", "L7", "S1", "ea") == ("BIN", "000812", "A", "L7", "S1", "ea")
    counted = CountedLine("BIN/1", "BIN", "000812", "A", "", "L7", "S1", "ea", "C", Decimal(3), Decimal(1))
    assert counted.key == item.key  # the same line as frozen and as counted
    assert LineKey.of("BIN", "000812", "A", "L7", "S1", "BOX") != item.key  # by the box and by the piece: two
    assert unit_key(" Ea ") == "ea"


def test_no_module_but_lines_splits_a_line_id():
    """A Line ID is taken apart by LineId.parse only: no split on '/' near a line_id elsewhere."""
    package = Path(cyclekit.__file__).parent
    offenders = []
    for path in package.rglob("*.py"):
        if path.name == "lines.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("split", "rsplit", "partition", "rpartition", "lstrip", "removeprefix")
                    and "line_id" in ast.unparse(node.func.value)):
                offenders.append(f"{path.relative_to(package)}:{node.lineno}")
    assert offenders == []
