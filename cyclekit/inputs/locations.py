"""The optional locations file: zone, owner, consumption, cadence override, last count."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cyclekit.errors import InputError, Problem
from cyclekit.inputs.tables import read_table
from cyclekit.inputs.values import XML_ILLEGAL, parse_date, readable

CONSUMPTION_LEVELS = ("low", "medium", "high")
MAX_CADENCE_DAYS = 3660  # ten years: a longer one is a typo, and past the calendar's last date it stopped `schedule`


@dataclass(frozen=True)
class LocationInfo:
    location: str
    zone: str = ""
    owner: str = ""
    owner_email: str = ""
    consumption: str = ""
    cadence_days: int | None = None
    last_count: dt.date | None = None


def _loose(location: str) -> str:
    """What two spellings of one location share: locations match exactly, so a difference
    in case or spaces alone is a typo that would split one shelf into two rows."""
    return location.strip().casefold()


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
        raise InputError([Problem("missing-column", table.file,
                                  "required column 'location' is missing; the file has: "
                                  + ", ".join(readable(h) for h in table.headers), row=1, column="location")],
                         summary=f"{table.file} cannot be used as a locations file")
    in_inventory = set(inventory)
    inventory_spelling = {_loose(name): name for name in in_inventory}
    row_of: dict[str, int] = {}  # location -> the row it is first on
    first_seen: dict[str, tuple[int, str]] = {}  # loose spelling -> (row, location as typed there)
    result: dict[str, LocationInfo] = {}
    for number, cells in zip(table.row_numbers, table.rows, strict=True):
        def get(name: str) -> str:
            position = index[name]
            return cells[position] if position is not None else ""

        def problem(kind: str, name: str, message: str) -> None:
            problems.append(Problem(kind, table.file, message, row=number, column=name, value=get(name)))

        location = get("location")
        if not location.strip():
            problem("empty-location", "location", "location is empty")
            continue
        unwritable = [name for name in ("location", "zone", "owner", "owner_email")
                      if XML_ILLEGAL.search(get(name))]
        for name in unwritable:
            character = readable(XML_ILLEGAL.search(get(name)).group())
            problem("control-character", name, f"{name} holds a control character ({character}) that a "
                    "workbook cannot hold; remove it")
        if unwritable:
            continue
        if location in row_of:
            problem("duplicate-location", "location", f"location is listed twice (first on row {row_of[location]})")
            continue
        row_of[location] = number
        first_row, first_spelling = first_seen.setdefault(_loose(location), (number, location))
        if first_row != number:
            problem("location-spelling", "location",
                    f"same location as row {first_row} ({first_spelling!r}) but for upper/lower case or "
                    "spaces; locations are matched exactly as typed: keep one row, spelled as in the inventory")
        elif location not in in_inventory and _loose(location) in inventory_spelling:
            problem("location-spelling", "location",
                    f"the inventory spells this location {inventory_spelling[_loose(location)]!r};"
                    " locations are matched exactly as typed: write it as the inventory does")
        consumption = get("consumption").lower()
        if consumption and consumption not in CONSUMPTION_LEVELS:
            problem("bad-consumption", "consumption", "consumption must be low, medium or high")
        cadence = None
        if get("cadence_days"):
            try:
                typed = get("cadence_days")
                if not (typed.isascii() and typed.isdigit() and len(typed) <= 9):  # int() takes '1_000'
                    raise ValueError
                cadence = int(typed)
                if not 1 <= cadence <= MAX_CADENCE_DAYS:
                    raise ValueError
            except ValueError:
                cadence = None
                problem("bad-cadence", "cadence_days",
                        f"cadence_days must be a whole number of days from 1 to {MAX_CADENCE_DAYS}")
        last_count = None
        if get("last_count"):
            try:
                last_count = parse_date(get("last_count"))
            except ValueError as exc:
                problem("bad-date", "last_count", f"last_count {exc}")
        if last_count and as_of and last_count > as_of:
            problem("future-date", "last_count",
                    f"last_count is after the schedule's as-of date {as_of}: a count cannot be in the future")
        email = get("owner_email")
        if email and "@" not in email:
            problem("bad-email", "owner_email", "owner_email is not an e-mail address")
        result[location] = LocationInfo(location, get("zone"), get("owner"), email,
                                        consumption, cadence, last_count)
    if problems:
        raise InputError(problems, summary=f"{len(problems)} problem(s) in {table.file}")
    return result
