"""The optional locations file: zone, owner, consumption, cadence override, last count."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cyclekit.errors import InputError, Problem
from cyclekit.tables import read_table
from cyclekit.values import parse_date

CONSUMPTION_LEVELS = ("low", "medium", "high")


@dataclass(frozen=True)
class LocationInfo:
    location: str
    zone: str = ""
    owner: str = ""
    owner_email: str = ""
    consumption: str = ""
    cadence_days: int | None = None
    last_count: dt.date | None = None


def load_locations(path: Path | str) -> dict[str, LocationInfo]:
    table = read_table(path)
    problems: list[Problem] = []
    index = {name: table.column_index(name) for name in (
        "location", "zone", "owner", "owner_email", "consumption", "cadence_days", "last_count")}
    if index["location"] is None:
        raise InputError([Problem("missing-column", table.file,
                                  "required column 'location' is missing", row=1, column="location")],
                         summary=f"{table.file} cannot be used as a locations file")
    result: dict[str, LocationInfo] = {}
    for number, cells in zip(table.row_numbers, table.rows, strict=True):
        def get(name: str) -> str:
            position = index[name]
            return cells[position] if position is not None else ""

        def problem(kind: str, name: str, message: str) -> None:
            problems.append(Problem(kind, table.file, message, row=number, column=name, value=get(name)))

        location = get("location")
        if not location:
            problem("empty-location", "location", "location is empty")
            continue
        if location in result:
            problem("duplicate-location", "location", "location is listed twice")
            continue
        consumption = get("consumption").lower()
        if consumption and consumption not in CONSUMPTION_LEVELS:
            problem("bad-consumption", "consumption", "consumption must be low, medium or high")
        cadence = None
        if get("cadence_days"):
            try:
                cadence = int(get("cadence_days"))
                if cadence < 1:
                    raise ValueError
            except ValueError:
                problem("bad-cadence", "cadence_days", "cadence_days must be a whole number of days >= 1")
        last_count = None
        if get("last_count"):
            try:
                last_count = parse_date(get("last_count"))
            except ValueError as exc:
                problem("bad-date", "last_count", f"last_count {exc}")
        email = get("owner_email")
        if email and "@" not in email:
            problem("bad-email", "owner_email", "owner_email is not an e-mail address")
        result[location] = LocationInfo(location, get("zone"), get("owner"), email,
                                        consumption, cadence, last_count)
    if problems:
        raise InputError(problems, summary=f"{len(problems)} problem(s) in {table.file}")
    return result
