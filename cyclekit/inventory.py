"""Load an inventory snapshot (an ERP/MES export) into validated InventoryLine records."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import mul
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

    def __init__(self, file: str, sha256: str, columns: dict[str, Sequence],
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
        wanted = [i for i, location in enumerate(self.columns["location"]) if location in locations]
        return list(map(InventoryLine, *(_pick(self.columns[name], wanted) for name in LINE_FIELDS)))

    def locations(self) -> list[str]:
        return list(dict.fromkeys(self.columns["location"]))

    def part_costs(self) -> dict[tuple[str, str], Decimal]:
        """The first unit cost of each part number and revision, in file order."""
        costs: dict[tuple[str, str], Decimal] = {}
        columns = self.columns
        for key, cost in zip(zip(columns["part_number"], columns["revision"]), columns["unit_cost"]):
            if key not in costs:
                costs[key] = cost
        return costs

    def totals(self, by: str = "location") -> dict[str, GroupTotal]:
        """Lines, value and locations per location (or per part number)."""
        keys = self.columns["location" if by == "location" else "part_number"]
        values: dict[str, Decimal] = {}
        for key, value in zip(keys, map(mul, self.columns["quantity"], self.columns["unit_cost"])):
            values[key] = values[key] + value if key in values else value
        counts = Counter(keys)
        places: dict[str, set[str]] = {}
        if by != "location":
            for key, location in zip(keys, self.columns["location"]):
                places.setdefault(key, set()).add(location)
        return {key: GroupTotal(counts[key], values[key],
                                frozenset(places[key]) if by != "location" else frozenset((key,)))
                for key in values}


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
        elif name in REQUIRED_FIELDS or header != name:
            # an optional column the config names must be there too: without it, costs would
            # silently be 0 or every status counted
            mapped = "" if header == name else f" (mapped to {name} in the config)"
            required = "required column" if name in REQUIRED_FIELDS else "column"
            problems.append(Problem(
                "missing-column", table.file,
                f"{required} {header!r}{mapped} is missing; the file has: "
                + ", ".join(repr(h) for h in table.headers),
                row=1, column=header,
            ))
    return positions, problems


def _decimals(texts: Sequence[str], parse: Callable[[str], Decimal]) -> list[Decimal | str]:
    """Each text parsed once: quantities and costs repeat a lot. A str in the result is the error."""
    known: dict[str, Decimal | str] = {}
    for text in set(texts):
        try:
            known[text] = parse(text)
        except QuantityError as exc:
            known[text] = str(exc)
    return list(map(known.__getitem__, texts))


def _unit_cost(text: str, decimal_comma: bool = False) -> Decimal:
    return parse_quantity(text.lstrip("$€£"), decimal_comma=decimal_comma) if text else Decimal(0)


def _decimal_comma(table: Table, columns: list[Sequence[str]]) -> bool:
    """Where ';' separates the columns, Excel wrote the numbers with a decimal comma: if any
    quantity or cost has a comma, commas are decimal marks and dots group thousands ('1.234,5')
    in every number of the file; if none has, a dot is a decimal point, as everywhere else."""
    return table.decimal_comma and any("," in text for column in columns for text in set(column))


def parse_inventory(table: Table, config: InventoryConfig) -> Snapshot:
    """Validate every line (column by column), report all problems at once, keep the rest."""
    positions, problems = _header_problems(table, config)
    if problems:
        raise InputError(problems, summary=f"{table.file} cannot be used as an inventory snapshot")
    count = len(table.row_numbers)
    blank = ("",) * count
    raw = {name: table.columns[positions[name]] if name in positions else blank for name in CANONICAL_FIELDS}
    numbers = table.row_numbers
    found: list[tuple[int, int, Problem]] = []  # (index, check order, problem): reported in row order

    def problem(index: int, order: int, kind: str, name: str, message: str) -> None:
        found.append((index, order, Problem(kind, table.file, message, row=numbers[index],
                                            column=config.header_for(name), value=raw[name][index])))

    lowered = {status: status.lower() for status in set(raw["status"])}  # one str per status, not per line
    statuses = list(map(lowered.__getitem__, raw["status"]))
    present = set(statuses)
    known, skip = set(config.known_statuses), set(config.skip_statuses)
    if config.strict_statuses and present - known - {""}:
        message = f"unknown status; known statuses are {', '.join(config.known_statuses)}"
        for index, status in enumerate(statuses):
            if status and status not in known:
                problem(index, 0, "unknown-status", "status", message)
    skipped: Counter[str] = Counter()
    left_out: set[int] = set()
    kept: Sequence[int] = range(count)
    if present & skip:
        left_out = {i for i, status in enumerate(statuses) if status in skip}
        kept = [i for i in range(count) if i not in left_out]
        skipped.update(statuses[i] for i in left_out)
    invalid: set[int] = set()
    for order, name, kind, message in ((1, "location", "empty-location", "location is empty"),
                                       (2, "part_number", "empty-part-number", "part number is empty")):
        if "" in raw[name]:
            for index, text in enumerate(raw[name]):
                if not text and index not in left_out:
                    problem(index, order, kind, name, message)
                    invalid.add(index)
    comma = _decimal_comma(table, [raw["quantity"], raw["unit_cost"]])
    quantities = _decimals(raw["quantity"], functools.partial(parse_quantity, decimal_comma=comma))
    costs = _decimals(raw["unit_cost"], functools.partial(_unit_cost, decimal_comma=comma))
    for index in kept:
        if type(quantities[index]) is str:
            problem(index, 3, "bad-quantity", "quantity", f"quantity {quantities[index]}")
            invalid.add(index)
        if type(costs[index]) is str:
            problem(index, 4, "bad-unit-cost", "unit_cost", f"unit cost {costs[index]}")

    def line_keys() -> Iterator[tuple[str, ...]]:
        return zip(raw["location"], raw["part_number"], raw["revision"], raw["lot"], raw["serial"])

    # distinct hashes first: a third of the memory of distinct keys; the exact check runs only
    # when two hashes meet (a duplicate, or a collision it then tells apart)
    if len(set(map(hash, line_keys()))) < count:
        keys = list(line_keys())
        first_row_of: dict[tuple, int] = {}
        for index in kept:
            if index in invalid:
                continue
            first = first_row_of.setdefault(keys[index], numbers[index])
            if first != numbers[index]:
                found.append((index, 5, Problem(
                    "duplicate-line", table.file,
                    f"same location, part number, revision, lot and serial as row {first};"
                    " merge them in the export so each shelf line is counted once",
                    row=numbers[index], column=config.header_for("part_number"),
                    value=raw["part_number"][index])))
    if found:
        problems = [p for _, _, p in sorted(found, key=lambda item: item[:2])]
        raise InputError(problems, summary=f"{len(problems)} problem(s) in {table.file}")

    columns: dict[str, Sequence] = {name: raw[name] for name in LINE_FIELDS if name in raw}
    columns.update(quantity=quantities, unit_cost=costs, status=statuses, source_row=numbers)
    if isinstance(kept, list):  # some statuses were left out
        columns = {name: _pick(column, kept) for name, column in columns.items()}
    return Snapshot(table.file, table.sha256, columns, dict(skipped))


def _pick(column: Sequence, indices: list[int]) -> list:
    return [column[i] for i in indices]


def load_inventory(path: Path | str, config: InventoryConfig) -> Snapshot:
    return parse_inventory(read_table(path, sheet=config.sheet), config)
