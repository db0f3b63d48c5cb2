"""Golden files: the schedule, a count sheet, a recount sheet and results.xlsx of a small fixed
cycle, compared part by part (every XML part of the zip) with the references in
tests/golden/workbooks/. A layout change fails here until the references are rewritten
(`make golden`, or `pytest tests/test_golden_workbooks.py --update-golden`) and the diff reviewed.
"""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

import pytest

from cyclekit.config import Config
from cyclekit.stages.ingest import ingest_cycle
from cyclekit.stages.schedule import write_schedule
from cyclekit.stages.sheets import Selection, start_cycle
from tests.golden_parts import GOLDEN, describe, differing_parts, golden_parts, workbook_parts, write_golden
from tests.helpers import INVENTORY_HEADER, LOCATIONS_HEADER, fill_sheet, write_csv

AS_OF = dt.date(2026, 11, 23)
INGESTED = dt.date(2026, 11, 25)
CYCLE_ID = "C-GOLDEN"

# identifiers that must stay text, a long description and lot that wrap, a serial, a part with no cost
INVENTORY = [
    ["WH-A-01", "000812", "01", "Bolt, M6 x 20", "ea", "", "", "available", "1,234", "0.15"],
    ["WH-A-01", "1E5", "A", "Panel 19\" rack, powder-coated steel, with cable management arms and rails",
     "ea", "L2026-01-LONG-LOT-NUMBER", "", "available", "40.0", "12.00"],
    ["WH-A-01", "=SUM(A1)", "", "Cable shielded", "m", "", "", "available", "12.5", "3.20"],
    ["CAGE-01", "12-0034-A", "B", "Controller", "ea", "", "SN-0001", "available", "2", "18500.00"],
    ["LS-1", "PCB-0007", "B", "PCBA main", "ea", "", "", "available", "25", "125.50"],
    ["MRB-01", "0042-01", "02", "Adhesive", "kg", "L7", "", "available", "0.75", "88.10"],
]
LOCATIONS = [
    ["WH-A-01", "Warehouse A", "Ana Ruiz", "ana.ruiz@plant.example.com", "", "", "2026-11-01"],
    ["CAGE-01", "Cage", "Bo Lind", "bo@plant.example.com", "", "", ""],
    ["LS-1", "Lineside", "Bo Lind-Oppenheimer-Volkov, night shift", "bo@plant.example.com", "high", "",
     "2026-11-20"],
    ["MRB-01", "MRB", "Cy Park", "cy@plant.example.com", "", "", "2025-09-01"],
    ["EMPTY-9", "Warehouse B", "Cy Park", "cy@plant.example.com", "", "", ""],
]
# what the floor wrote: WH-A-01 line 1 short (Major), line 3 over, a found item; LS-1 unreadable
COUNTS = {"WH-A-01": ({1: 1200, 2: 40, 3: 13}, [("PCB-0007", "B", "", "ea", 2)]),
          "CAGE-01": ({1: 2}, []), "LS-1": ({1: "25 pcs"}, []), "MRB-01": ({1: "0.75"}, [])}


def _cycle(folder: Path) -> dict[str, Path]:
    """The fixed example through the library: schedule, sheets, filled sheets, ingest."""
    inventory = write_csv(folder / "inventory.csv", INVENTORY_HEADER, INVENTORY)
    locations = write_csv(folder / "locations.csv", LOCATIONS_HEADER, LOCATIONS)
    schedule = folder / "schedule.xlsx"
    write_schedule(inventory, schedule, Config(), locations=locations, as_of=AS_OF, today=AS_OF)
    report = start_cycle(schedule, inventory, folder / "cycle", Config(), selection=Selection(all=True),
                         as_of=AS_OF, cycle_id=CYCLE_ID)
    sheets = sorted((report.cycle_dir / "sheets").glob("*.xlsx"))
    by_location = {sheet.name.split("-C-")[0]: sheet for sheet in sheets}
    files = []
    for location, (counts, found) in COUNTS.items():
        source = next(s for name, s in by_location.items() if name.startswith(location))
        files.append(fill_sheet(source, folder / "back" / source.name, counts, found=found,
                                counted_by="Dee Counter"))
    result = ingest_cycle(report.cycle_dir, Config(), files, today=INGESTED)
    def sheet(location: str) -> Path:
        return next(s for name, s in by_location.items() if name.startswith(location))

    return {"folder": folder, "schedule": schedule, "count_sheet": sheet("WH-A-01"),
            "count_sheet_serials": sheet("CAGE-01"), "count_sheet_empty": sheet("EMPTY-9"),
            "recount_sheet": result.recount_files[0], "results": result.results}


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _cycle(tmp_path_factory.mktemp("golden"))


def _parts(workbooks: dict[str, Path], name: str) -> dict[str, str]:
    return workbook_parts(workbooks[name], workbooks["folder"])


WORKBOOKS = ["schedule", "count_sheet", "count_sheet_serials", "count_sheet_empty", "recount_sheet", "results"]


@pytest.mark.parametrize("name", WORKBOOKS)
def test_workbook_matches_its_golden_parts(workbooks: dict[str, Path], name: str,
                                           request: pytest.FixtureRequest) -> None:
    got = _parts(workbooks, name)
    if request.config.getoption("--update-golden"):
        write_golden(GOLDEN / name, got)
    expected = golden_parts(GOLDEN / name)
    assert expected, f"no golden parts for {name}: run make golden"
    assert not differing_parts(got, expected), (
        f"{name} differs from tests/golden/workbooks/{name} (a layout change? review the diff, then "
        f"`make golden`):\n{describe(got, expected)}")


def test_two_runs_give_the_same_parts(workbooks: dict[str, Path], tmp_path: Path) -> None:
    """The stripping takes out everything that changes from run to run, and nothing else varies."""
    again = _cycle(tmp_path)
    for name in WORKBOOKS:
        assert not differing_parts(_parts(again, name), _parts(workbooks, name)), name


def _with_part_changed(source: Path, target: Path, part: str, old: str, new: str) -> Path:
    """A copy of the workbook with the first `old` in one part replaced by `new`."""
    with zipfile.ZipFile(source) as book, zipfile.ZipFile(target, "w") as out:
        for item in book.infolist():
            data = book.read(item)
            if item.filename == part:
                text = data.decode("utf-8")
                assert old in text, f"{old!r} not in {part}"
                data = text.replace(old, new, 1).encode("utf-8")
            out.writestr(item, data)
    return target


def test_one_cell_style_changed_is_reported_in_its_part(workbooks: dict[str, Path], tmp_path: Path) -> None:
    sheet = "xl/worksheets/sheet1.xml"
    text = zipfile.ZipFile(workbooks["count_sheet"]).read(sheet).decode("utf-8")
    style = text[text.index(' s="') : text.index('"', text.index(' s="') + 4) + 1]  # the first cell's style
    changed = _with_part_changed(workbooks["count_sheet"], tmp_path / "changed.xlsx", sheet, style, ' s="1"'
                                 if style != ' s="1"' else ' s="2"')
    got, expected = workbook_parts(changed, workbooks["folder"]), golden_parts(GOLDEN / "count_sheet")
    assert differing_parts(got, expected) == [sheet]
    assert "golden/xl/worksheets/sheet1.xml" in describe(got, expected)


def test_one_formula_changed_is_reported_in_its_part(workbooks: dict[str, Path], tmp_path: Path) -> None:
    sheet = "xl/worksheets/sheet2.xml"  # Variance
    changed = _with_part_changed(workbooks["results"], tmp_path / "changed.xlsx", sheet,
                                 "<f>ROUND(G2-F2,6)</f>", "<f>ROUND(F2-G2,6)</f>")
    assert differing_parts(workbook_parts(changed, workbooks["folder"]), golden_parts(GOLDEN / "results")) == [sheet]


def test_a_part_added_or_left_out_is_reported(workbooks: dict[str, Path]) -> None:
    expected = golden_parts(GOLDEN / "schedule")
    got = dict(expected)
    got["xl/worksheets/sheet99.xml"] = "<worksheet/>\n"
    del got["xl/styles.xml"]
    assert differing_parts(got, expected) == ["xl/styles.xml", "xl/worksheets/sheet99.xml"]


def test_update_golden_rewrites_the_references(workbooks: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "golden"
    shutil.copytree(GOLDEN / "schedule", folder)
    (folder / "stale.xml").write_text("<old/>\n")
    write_golden(folder, _parts(workbooks, "schedule"))
    assert golden_parts(folder) == _parts(workbooks, "schedule")
