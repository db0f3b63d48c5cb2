"""The optional locations file: zone, owner, consumption, cadence override, last count."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cyclekit.domain.problems import ProblemKind
from cyclekit.domain.stock import LocationInfo
from cyclekit.domain.values import XML_ILLEGAL, illegal_character, parse_date, readable
from cyclekit.errors import InputError, Problem
from cyclekit.inputs.tables import read_table

CONSUMPTION_LEVELS = ("low", "medium", "high")
MAX_CADENCE_DAYS = 3660  # ten years: a longer one is a typo, and past the calendar's last date it stopped `schedule`


def _loose(location: str) -> str:
    """What two spellings of one location share: locations match exactly, so a difference
    in case or spaces alone is a typo that would split one shelf into two rows."""
    return location.strip().casefold()


@dataclass
class _Row:
    """One row of the locations file, with the problems found in it so far."""

    file: str
    number: int
    cells: Sequence[str]
    index: dict[str, int | None]
    problems: list[Problem]

    def get(self, name: str) -> str:
        position = self.index[name]
        return self.cells[position] if position is not None else ""

    def problem(self, kind: ProblemKind, name: str, message: str) -> None:
        self.problems.append(Problem(kind, self.file, message, row=self.number, column=name, value=self.get(name)))


@dataclass
class _Spellings:
    """The locations seen so far, and the inventory's: one shelf must not become two rows."""

    inventory: set[str]
    inventory_spelling: dict[str, str]  # loose spelling -> the inventory's
    row_of: dict[str, int] = field(default_factory=dict)  # location -> the row it is first on
    first_seen: dict[str, tuple[int, str]] = field(default_factory=dict)  # loose -> (row, location as typed)

    def check(self, row: _Row, location: str) -> bool:
        """False for a location listed twice (the row is not used); a spelling problem else."""
        if location in self.row_of:
            row.problem(ProblemKind.DUPLICATE_LOCATION, "location",
                        f"location is listed twice (first on row {self.row_of[location]})")
            return False
        self.row_of[location] = row.number
        first_row, first_spelling = self.first_seen.setdefault(_loose(location), (row.number, location))
        if first_row != row.number:
            row.problem(ProblemKind.LOCATION_SPELLING, "location",
                        f"same location as row {first_row} ({first_spelling!r}) but for upper/lower case or "
                        "spaces; locations are matched exactly as typed: keep one row, spelled as in the inventory")
        elif location not in self.inventory and _loose(location) in self.inventory_spelling:
            row.problem(ProblemKind.LOCATION_SPELLING, "location",
                        f"the inventory spells this location {self.inventory_spelling[_loose(location)]!r};"
                        " locations are matched exactly as typed: write it as the inventory does")
        return True


def _cadence(row: _Row) -> int | None:
    typed = row.get("cadence_days")
    if not typed:
        return None
    # int() takes '1_000' and '٣': only plain digits, and not so many that a typo runs for ages
    if typed.isascii() and typed.isdigit() and len(typed) <= 9 and 1 <= int(typed) <= MAX_CADENCE_DAYS:
        return int(typed)
    row.problem(ProblemKind.BAD_CADENCE, "cadence_days", f"cadence_days must be a whole number of days from 1 to "
                f"{MAX_CADENCE_DAYS}")
    return None


def _last_count(row: _Row, as_of: dt.date | None) -> dt.date | None:
    last_count = None
    if row.get("last_count"):
        try:
            last_count = parse_date(row.get("last_count"))
        except ValueError as exc:
            row.problem(ProblemKind.BAD_DATE, "last_count", f"last_count {exc}")
    if last_count and as_of and last_count > as_of:
        row.problem(ProblemKind.FUTURE_DATE, "last_count",
                    f"last_count is after the schedule's as-of date {as_of}: a count cannot be in the future")
    return last_count


def _location(row: _Row, spellings: _Spellings, as_of: dt.date | None) -> LocationInfo | None:
    """The row's location, or None when it cannot be one (its problems are in row.problems)."""
    location = row.get("location")
    if not location.strip():
        row.problem(ProblemKind.EMPTY_LOCATION, "location", "location is empty")
        return None
    unwritable = [name for name in ("location", "zone", "owner", "owner_email") if XML_ILLEGAL.search(row.get(name))]
    for name in unwritable:
        row.problem(ProblemKind.CONTROL_CHARACTER, name, f"{name} holds a control character "
                    f"({illegal_character(row.get(name))}) that a workbook cannot hold; remove it")
    if unwritable or not spellings.check(row, location):
        return None
    consumption = row.get("consumption").lower()
    if consumption and consumption not in CONSUMPTION_LEVELS:
        row.problem(ProblemKind.BAD_CONSUMPTION, "consumption", "consumption must be low, medium or high")
    cadence = _cadence(row)
    last_count = _last_count(row, as_of)
    email = row.get("owner_email")
    if email and "@" not in email:
        row.problem(ProblemKind.BAD_EMAIL, "owner_email", "owner_email is not an e-mail address")
    return LocationInfo(location, row.get("zone"), row.get("owner"), email, consumption, cadence, last_count)


def load_locations(path: Path | str, *, as_of: dt.date | None = None,
                   inventory: Iterable[str] = ()) -> dict[str, LocationInfo]:
    """The locations file by location, exactly as typed.

    as_of: a last_count after it is a problem. inventory: the snapshot's locations, so a
    location the inventory spells otherwise (only in case) is a problem, not an extra row.
    """
    table = read_table(path, exact=("location",))  # matched to the inventory's locations exactly
    problems: list[Problem] = []
    index = {name: table.column_index(name) for name in (
        "location", "zone", "owner", "owner_email", "consumption", "cadence_days", "last_count")}
    if index["location"] is None:
        raise InputError([Problem(ProblemKind.MISSING_COLUMN, table.file,
                                  "required column 'location' is missing; the file has: "
                                  + ", ".join(readable(h) for h in table.headers), row=1, column="location")],
                         summary=f"{table.file} cannot be used as a locations file")
    in_inventory = set(inventory)
    spellings = _Spellings(in_inventory, {_loose(name): name for name in in_inventory})
    result: dict[str, LocationInfo] = {}
    for number, cells in zip(table.row_numbers, table.rows, strict=True):
        info = _location(_Row(table.file, number, cells, index, problems), spellings, as_of)
        if info is not None:
            result[info.location] = info
    if problems:
        raise InputError(problems, summary=f"{len(problems)} problem(s) in {table.file}")
    return result
