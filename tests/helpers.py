"""Small builders shared by the tests."""

from __future__ import annotations

import csv
from pathlib import Path

INVENTORY_HEADER = ["location", "part_number", "revision", "description", "uom", "lot", "serial",
                    "status", "quantity", "unit_cost"]

ODD_PART_NUMBERS = ["000812", "1E5", "1.50", "0042-01", "=SUM(A1)", "12-0034-A", "+44", "TRUE",
                    "2026-01-05", "00"]


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def inventory_rows() -> list[list[object]]:
    """A small plant: odd identifiers, decimals, statuses left out, one location per zone."""
    return [
        ["WH-A-01", "000812", "01", "Bolt, M6 x 20", "ea", "", "", "available", "1,234", "0.15"],
        ["WH-A-01", "000812", "1", "Bolt, M6 x 20 (old rev)", "ea", "", "", "available", "10", "0.15"],
        ["WH-A-01", "1E5", "A", 'Panel 19" rack', "ea", "L2026-01", "", "available", "40.0", "12.00"],
        ["WH-A-02", "1.50", "", "Cable shielded", "m", "", "", "available", "12.5", "3.20"],
        ["WH-A-02", "0042-01", "02", "Adhesive", "kg", "L7", "", "available", "0.75", "88.10"],
        ["CAGE-01", "=SUM(A1)", "A", "Gold contact", "ea", "", "SN-0001", "available", "1", "42750.00"],
        ["CAGE-01", "12-0034-A", "B", "Controller", "ea", "", "", "installed", "2", "18500.00"],
        ["LS-1", "PCB-0007", "B", "PCBA main", "ea", "", "", "available", "25", "125.50"],
        ["LS-1", "0042-01", "02", "Adhesive", "kg", "L8", "", "on_order", "5", "88.10"],
        ["MRB-01", "000812", "01", "Bolt, M6 x 20", "ea", "", "", "unavailable", "100", "0.15"],
    ]


LOCATIONS_HEADER = ["location", "zone", "owner", "owner_email", "consumption", "cadence_days", "last_count"]


def location_rows() -> list[list[object]]:
    """The small plant's locations file: three owners, counted at different times, one never."""
    return [
        ["WH-A-01", "Warehouse A", "Ana Ruiz", "ana@plant.example.com", "", "", "2026-11-01"],
        ["WH-A-02", "Warehouse A", "Ana Ruiz", "ana@plant.example.com", "", "", "2025-01-05"],
        ["CAGE-01", "Cage", "Bo Lind", "bo@plant.example.com", "", "", ""],
        ["LS-1", "Lineside", "Bo Lind", "bo@plant.example.com", "high", "", "2026-11-20"],
        ["MRB-01", "MRB", "Cy Park", "cy@plant.example.com", "", "", "2026-09-01"],
        ["EMPTY-9", "Warehouse B", "Cy Park", "cy@plant.example.com", "", "", ""],
    ]


def fill_sheet(source: Path, target: Path, counts: dict[int, object] | None = None, *,
               found: list[tuple] = (), confirmed_empty: str | None = None, counted_by: str = "",
               tab: str | None = None, edit=None) -> Path:
    """Fill a count sheet as a counter would in Excel (openpyxl stands in for Excel here).

    counts: line number -> what the counter typed; found: (part, revision, lot, uom, qty) rows.
    """
    import openpyxl

    book = openpyxl.load_workbook(source)
    sheet = book[tab] if tab else book.worksheets[0]
    header = next(r for r in range(1, 20) if sheet.cell(r, 1).value == "Line")
    cols = {sheet.cell(header, c).value: c for c in range(1, sheet.max_column + 1)}
    floor = cols["Floor Count"]
    found_rows = []
    for r in range(header + 1, sheet.max_row + 1):
        label = str(sheet.cell(r, 1).value or "")
        if label.isdigit() and counts and int(label) in counts:
            sheet.cell(r, floor).value = counts[int(label)]
        elif label.startswith("F") and label[1:].isdigit():
            found_rows.append(r)
        elif label.startswith("Location confirmed empty") and confirmed_empty is not None:
            sheet.cell(r, floor).value = confirmed_empty
        elif sheet.cell(r, 2).value == "Counted by":
            sheet.cell(r, 3).value = counted_by
    for r, (part, revision, lot, uom, qty) in zip(found_rows, found):
        sheet.cell(r, 2).value, sheet.cell(r, 3).value = part, revision
        sheet.cell(r, 5).value, sheet.cell(r, 6).value = lot, uom
        sheet.cell(r, floor).value = qty
    if edit:
        edit(sheet)
    target.parent.mkdir(parents=True, exist_ok=True)
    book.save(target)
    return target


def write_manifest(cycle_dir: Path, data: dict) -> None:
    """manifest.json rewritten from `data` as cyclekit would write it, sealed with the test run's key:
    a test that changes a record plays cyclekit itself, not a person editing the file by hand."""
    import json

    from cyclekit.folder.seal import seal_text

    data = {key: value for key, value in data.items() if key != "seal"}
    (Path(cycle_dir) / "manifest.json").write_text(seal_text(json.dumps(data, indent=1)), encoding="utf-8")


def forget_signed(cycle_id: str) -> None:
    """This machine's ledger of signed cycles without the cycle: as a cycle made by a cyclekit from
    before seals (which kept no ledger), or on another machine."""
    import json

    from cyclekit.folder.seal import ledger_file

    path = ledger_file()
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if json.loads(line)["cycle_id"] != cycle_id), encoding="utf-8")


def signed_here(cycle_dir: Path) -> None:
    """The cycle in this machine's ledger of signed cycles, as on the machine that made it: for a
    cycle built by a fixture shared by several tests (each test starts with an empty ledger)."""
    import json

    from cyclekit.folder.seal import record_signed

    data = json.loads((cycle_dir / "manifest.json").read_text(encoding="utf-8"))
    record_signed(data["cycle_id"], data["created"])
