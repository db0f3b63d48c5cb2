"""Load an inventory snapshot (an ERP/MES export) into validated InventoryLine records."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from cyclekit.config import CANONICAL_FIELDS, REQUIRED_FIELDS, InventoryConfig
from cyclekit.errors import InputError, Problem
from cyclekit.tables import Table, read_table
from cyclekit.values import QuantityError, parse_quantity


@dataclass(frozen=True, slots=True)
class InventoryLine:
    location: str
    part_number: str
    quantity: Decimal
    revision: str = ""
    description: str = ""
    uom: str = ""
    lot: str = ""
    serial: str = ""
    status: str = ""
    unit_cost: Decimal = Decimal(0)
    source_row: int = 0

    @property
    def value(self) -> Decimal:
        return self.quantity * self.unit_cost

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """What tells two lines of one location apart on the shelf."""
        return (self.location, self.part_number, self.revision, self.lot, self.serial)


@dataclass(frozen=True)
class Snapshot:
    file: str
    sha256: str
    lines: list[InventoryLine]  # counted lines only, in file order
    skipped: dict[str, int] = field(default_factory=dict)  # status -> lines left out

    def locations(self) -> list[str]:
        return list(dict.fromkeys(line.location for line in self.lines))


def _header_problems(table: Table, config: InventoryConfig) -> tuple[dict[str, int], list[Problem]]:
    problems: list[Problem] = []
    seen = Counter(h.casefold() for h in table.headers if h)
    for header, count in seen.items():
        if count > 1:
            problems.append(Problem("duplicate-column", table.file, "column appears more than once",
                                    row=1, column=header))
    positions: dict[str, int] = {}
    for name in CANONICAL_FIELDS:
        header = config.header_for(name)
        index = table.column_index(header)
        if index is not None:
            positions[name] = index
        elif name in REQUIRED_FIELDS:
            mapped = "" if header == name else f" (mapped to {name} in the config)"
            problems.append(Problem(
                "missing-column", table.file,
                f"required column {header!r}{mapped} is missing; the file has: "
                + ", ".join(repr(h) for h in table.headers),
                row=1, column=header,
            ))
    return positions, problems


def parse_inventory(table: Table, config: InventoryConfig) -> Snapshot:
    positions, problems = _header_problems(table, config)
    if problems:
        raise InputError(problems, summary=f"{table.file} cannot be used as an inventory snapshot")

    lines: list[InventoryLine] = []
    skipped: Counter[str] = Counter()
    first_row_of: dict[tuple, int] = {}
    known = set(config.known_statuses)
    skip = set(config.skip_statuses)

    for number, cells in zip(table.row_numbers, table.rows, strict=True):
        def get(name: str) -> str:
            index = positions.get(name)
            return cells[index] if index is not None else ""

        def problem(kind: str, name: str, message: str) -> None:
            problems.append(Problem(kind, table.file, message, row=number,
                                    column=config.header_for(name), value=get(name)))

        status = get("status").lower()
        if status and config.strict_statuses and status not in known:
            problem("unknown-status", "status",
                    f"unknown status; known statuses are {', '.join(config.known_statuses)}")
        if status in skip:
            skipped[status] += 1
            continue
        location, part_number = get("location"), get("part_number")
        if not location:
            problem("empty-location", "location", "location is empty")
        if not part_number:
            problem("empty-part-number", "part_number", "part number is empty")
        try:
            quantity = parse_quantity(get("quantity"))
        except QuantityError as exc:
            problem("bad-quantity", "quantity", f"quantity {exc}")
            quantity = None
        unit_cost = Decimal(0)
        if get("unit_cost"):
            try:
                unit_cost = parse_quantity(get("unit_cost").lstrip("$€£"))
            except QuantityError as exc:
                problem("bad-unit-cost", "unit_cost", f"unit cost {exc}")
        if quantity is None or not location or not part_number:
            continue
        line = InventoryLine(
            location=location, part_number=part_number, quantity=quantity,
            revision=get("revision"), description=get("description"), uom=get("uom"),
            lot=get("lot"), serial=get("serial"), status=status, unit_cost=unit_cost,
            source_row=number,
        )
        if line.key in first_row_of:
            problems.append(Problem(
                "duplicate-line", table.file,
                f"same location, part number, revision, lot and serial as row {first_row_of[line.key]};"
                " merge them in the export so each shelf line is counted once",
                row=number, column=config.header_for("part_number"), value=part_number,
            ))
            continue
        first_row_of[line.key] = number
        lines.append(line)

    if problems:
        raise InputError(problems, summary=f"{len(problems)} problem(s) in {table.file}")
    return Snapshot(table.file, table.sha256, lines, dict(skipped))


def load_inventory(path: Path | str, config: InventoryConfig) -> Snapshot:
    return parse_inventory(read_table(path, sheet=config.sheet), config)
