"""Stock records: the lines of an inventory export and what is known of each location.

Plain data shared by the inputs that build them (inputs/inventory.py, inputs/locations.py) and the
rules that use them (domain/scheduling.py, the stages).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from cyclekit.domain.lines import LineKey, unit_key

T = TypeVar("T")


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
        """The stock value the line holds: a negative system quantity holds none (0), so it
        cannot lower its location's value or class; the line is still counted."""
        return held_value(self.quantity, self.unit_cost)

    @property
    def key(self) -> LineKey:
        """What tells two lines of one location apart on the shelf (a part kept in one bin by
        the box and by the piece is two lines)."""
        return LineKey.of(self.location, self.part_number, self.revision, self.lot, self.serial, self.uom)


def held_value(quantity: Decimal, unit_cost: Decimal) -> Decimal:
    return quantity * unit_cost if quantity > 0 else Decimal(0)


LINE_FIELDS = ("location", "part_number", "quantity", "revision", "description", "uom", "lot",
               "serial", "status", "unit_cost", "source_row")  # InventoryLine's order


@dataclass(frozen=True)
class GroupTotal:
    lines: int
    value: Decimal
    locations: frozenset[str]


class Snapshot:
    """The validated lines of an export, held as columns.

    Most stages need totals or the lines of a few locations: building 200,000 line objects
    would cost more than reading the file, so lines are built only when asked for.
    """

    def __init__(self, file: str, sha256: str, columns: dict[str, Sequence[Any]],
                 skipped: dict[str, int] | None = None):
        self.file = file
        self.sha256 = sha256
        self.columns = columns  # LINE_FIELDS -> one value per counted line, in file order
        self.skipped = skipped or {}  # status -> lines left out
        self._lines: list[InventoryLine] | None = None

    def __len__(self) -> int:
        return len(self.columns["location"])

    @property
    def lines(self) -> list[InventoryLine]:
        """Every counted line, in file order."""
        if self._lines is None:
            self._lines = list(map(InventoryLine, *(self.columns[name] for name in LINE_FIELDS)))
        return self._lines

    def lines_at(self, locations: set[str]) -> list[InventoryLine]:
        """The lines of some locations only, in file order."""
        return self.lines_where("location", locations)

    def lines_where(self, field: str, values: set[str]) -> list[InventoryLine]:
        """The lines whose `field` (location, part_number) is one of `values`, in file order."""
        wanted = [i for i, value in enumerate(self.columns[field]) if value in values]
        return list(map(InventoryLine, *(pick(self.columns[name], wanted) for name in LINE_FIELDS)))

    def locations(self) -> list[str]:
        return list(dict.fromkeys(self.columns["location"]))

    def part_costs(self) -> dict[tuple[str, str, str], Decimal]:
        """The first unit cost of each part number, revision and unit, in file order (a box of a
        part costs more than one of it)."""
        costs: dict[tuple[str, str, str], Decimal] = {}
        columns = self.columns
        units = {uom: unit_key(uom) for uom in set(columns["uom"])}
        keys = zip(columns["part_number"], columns["revision"], map(units.__getitem__, columns["uom"]))
        for key, cost in zip(keys, columns["unit_cost"]):
            if key not in costs:
                costs[key] = cost
        return costs

    def totals(self, by: str = "location") -> dict[str, GroupTotal]:
        """Lines, value and locations per location (or per part number)."""
        keys = self.columns["location" if by == "location" else "part_number"]
        values: dict[str, Decimal] = {}
        for key, value in zip(keys, map(held_value, self.columns["quantity"], self.columns["unit_cost"])):
            values[key] = values[key] + value if key in values else value
        counts = Counter(keys)
        places: dict[str, set[str]] = {}
        if by != "location":
            for key, location in zip(keys, self.columns["location"]):
                places.setdefault(key, set()).add(location)
        return {key: GroupTotal(counts[key], values[key],
                                frozenset(places[key]) if by != "location" else frozenset((key,)))
                for key in values}



def pick(column: Sequence[T], indices: list[int]) -> list[T]:
    """The values of a column at some positions, in order."""
    return [column[i] for i in indices]


@dataclass(frozen=True)
class LocationInfo:
    location: str
    zone: str = ""
    owner: str = ""
    owner_email: str = ""
    consumption: str = ""
    cadence_days: int | None = None
    last_count: dt.date | None = None
