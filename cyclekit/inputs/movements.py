"""The ERP's export of stock movements (--movements): CSV or XLSX, mapped in [movements.columns].

One row per movement: where, what (part number, revision, lot, serial, unit), the signed change
of quantity (+ in, - out) and when it was posted, with its time of day. Identifiers stay text
exactly as written; a quantity or a time that cannot be read for sure is a problem naming the
file, row and column, and that row is not used (a movement is never guessed).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from cyclekit.config import MOVEMENT_FIELDS, REQUIRED_MOVEMENT_FIELDS, MovementsConfig
from cyclekit.domain.movements import Movement
from cyclekit.domain.problems import ProblemKind
from cyclekit.domain.values import AmbiguousNumber, QuantityError, format_decimal, parse_quantity, readable
from cyclekit.errors import InputError, Problem
from cyclekit.inputs.tables import Table, read_table

IDENTIFIERS = ("location", "part_number", "revision", "lot", "serial")
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
MAX_MOVEMENT_PROBLEMS = 1000  # a file of a wrong kind would list every row: the first ones say it


@dataclass
class MovementsFile:
    """The movements read, with every row that could not be used said as a problem."""

    file: str
    sha256: str
    movements: list[Movement] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def movement_time(text: str) -> dt.datetime:
    """When a movement was posted: a date with its time of day (2026-11-25 14:30, ISO 8601, an
    offset turned into local time). ValueError saying why for anything else."""
    if _DATE_ONLY.match(text):
        raise ValueError("has a date but no time of day, so whether it came before or after the count "
                         "cannot be told; export the posting time (e.g. 2026-11-25 14:30)")
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("is not a date and time (write e.g. 2026-11-25 14:30)") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone().replace(tzinfo=None)
    return moment


def _positions(table: Table, config: MovementsConfig) -> tuple[dict[str, int], list[Problem]]:
    positions, problems = {}, []
    for name in MOVEMENT_FIELDS:
        header = config.header_for(name)
        index = table.column_index(header)
        if index is not None:
            positions[name] = index
        elif name in REQUIRED_MOVEMENT_FIELDS or header != name:
            mapped = "" if header == name else f" (mapped to {name} in [movements.columns])"
            problems.append(Problem(ProblemKind.MISSING_COLUMN, table.file, (
                f"column {readable(header)}{mapped} is missing from the movements export; the file has: "
                + ", ".join(readable(h) for h in table.headers)), row=1, column=header))
    return positions, problems


def _quantity(text: str, separator: str | None) -> Decimal:
    return parse_quantity(text, allow_negative=True, separator=separator)


def _row(table: Table, positions: dict[str, int], n: int, separator: str | None,
         problems: list[Problem]) -> Movement | None:
    def text(name: str) -> str:
        return table.columns[positions[name]][n] if name in positions else ""

    row = table.row_numbers[n]
    found = []
    if not text("location").strip() or not text("part_number").strip():
        name = "location" if not text("location").strip() else "part_number"
        found.append(Problem(ProblemKind.BAD_MOVEMENT, table.file, f"has no {name.replace('_', ' ')}; "
                             "the movement was not used", column=table.headers[positions[name]], row=row))
    quantity_text, time_text = text("quantity").strip(), text("time").strip()
    quantity = moment = None
    try:
        quantity = _quantity(quantity_text, separator)
    except AmbiguousNumber as exc:
        found.append(Problem(ProblemKind.BAD_MOVEMENT, table.file, (
            f"quantity {exc}: it reads {format_decimal(exc.readings['.'])} or {format_decimal(exc.readings[','])}; "
            "set decimal_separator in [movements]; the movement was not used"),
            column=table.headers[positions["quantity"]], value=quantity_text, row=row))
    except (QuantityError, ArithmeticError, ValueError) as exc:
        found.append(Problem(ProblemKind.BAD_MOVEMENT, table.file, f"quantity {exc}; the movement was not used",
                             column=table.headers[positions["quantity"]], value=quantity_text[:100], row=row))
    try:
        moment = movement_time(time_text)
    except ValueError as exc:
        found.append(Problem(ProblemKind.BAD_MOVEMENT, table.file, f"time {time_text[:40]!r} {exc}; the movement "
                             "was not used", column=table.headers[positions["time"]], value=time_text[:100], row=row))
    problems += found
    if found or quantity is None or moment is None:
        return None
    return Movement(table.file, row, text("location"), text("part_number"), text("revision"), text("lot"),
                    text("serial"), text("uom"), quantity, moment)


def read_movements(path: Path | str, config: MovementsConfig) -> MovementsFile:
    """Every movement of the export; a file whose columns cannot be found is refused whole."""
    exact = [config.header_for(name) for name in IDENTIFIERS]
    table = read_table(path, config.sheet, exact=exact)
    positions, missing = _positions(table, config)
    if missing:
        raise InputError(missing, summary=f"{path}: the movements export cannot be read; nothing was written")
    separator: str | None = config.decimal_separator or ("," if table.decimal_comma else None)
    read = MovementsFile(table.file, table.sha256)
    for n in range(len(table.row_numbers)):
        movement = _row(table, positions, n, separator, read.problems)
        if movement is not None:
            read.movements.append(movement)
    del read.problems[MAX_MOVEMENT_PROBLEMS:]
    return read
