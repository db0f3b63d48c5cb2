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
