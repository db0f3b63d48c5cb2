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
from cyclekit.domain.values import (
    XML_ILLEGAL,
    AmbiguousNumber,
    QuantityError,
    format_decimal,
    illegal_character,
    parse_quantity,
    readable,
    separator_told,
)
from cyclekit.errors import InputError, Problem
from cyclekit.inputs.tables import Table, check_size, duplicate_columns, read_table

IDENTIFIERS = ("location", "part_number", "revision", "lot", "serial")
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
MAX_MOVEMENT_PROBLEMS = 1000  # a file of a wrong kind would list every row: the first ones say it
MAX_MOVEMENTS = 250_000  # rows: far past a few days of a plant's movements; checked before any is parsed


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
        if moment.tzinfo is not None:
            moment = moment.astimezone().replace(tzinfo=None)
    except OverflowError:  # year 1 or 9999 with an offset: no local time to turn it into
        raise ValueError("is not a date and time a count can be compared with") from None
    except ValueError:
        raise ValueError("is not a date and time (write e.g. 2026-11-25 14:30)") from None
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


def _separator(table: Table, positions: dict[str, int], config: MovementsConfig) -> tuple[str | None, list[Problem]]:
    """The decimal mark, as the inventory's is told: the setting, else what the quantities typed as
    text show by themselves ('12.5', '1.234,5'); None when none tells, and then each quantity that
    reads two ways ('1,234', '1.234') is a problem. A ';' between columns tells nothing: exports
    with a decimal point use it too."""
    if config.decimal_separator:
        return config.decimal_separator, []
    column = positions["quantity"]
    stored = table.stored_fractions.get(column, frozenset())
    typed = {text for number, text in zip(table.row_numbers, table.columns[column]) if number not in stored}
    shown: dict[str, str] = {}
    for text in sorted(typed):
        if ("." in text or "," in text) and (told := separator_told(text)) and told not in shown:
            shown[told] = text
    if len(shown) > 1:
        return None, [Problem(ProblemKind.MIXED_DECIMAL_SEPARATORS, table.file, (
            f"quantities are written with a decimal point (e.g. {shown['.']!r}) and with a decimal comma "
            f"(e.g. {shown[',']!r}); correct the export, or set decimal_separator in [movements]"),
            column=table.headers[column])]
    return next(iter(shown), None), []


def _unwritable(table: Table, positions: dict[str, int], n: int) -> list[Problem]:
    """Identifiers with a character a workbook cannot hold: the Movements tab could not show them."""
    found = []
    for name in (*IDENTIFIERS, "uom"):
        text = table.columns[positions[name]][n] if name in positions else ""
        if XML_ILLEGAL.search(text):
            found.append(Problem(ProblemKind.BAD_MOVEMENT, table.file, (
                f"{name.replace('_', ' ')} holds a control character ({illegal_character(text)}) that a workbook "
                "cannot hold; remove it in the export; the movement was not used"),
                column=table.headers[positions[name]], row=table.row_numbers[n]))
    return found


def _row(table: Table, positions: dict[str, int], n: int, separator: str | None,
         problems: list[Problem]) -> Movement | None:
    def text(name: str) -> str:
        return table.columns[positions[name]][n] if name in positions else ""

    row = table.row_numbers[n]
    found = _unwritable(table, positions, n)
    if not text("location").strip() or not text("part_number").strip():
        name = "location" if not text("location").strip() else "part_number"
        found.append(Problem(ProblemKind.BAD_MOVEMENT, table.file, f"has no {name.replace('_', ' ')}; "
                             "the movement was not used", column=table.headers[positions[name]], row=row))
    quantity_text, time_text = text("quantity").strip(), text("time").strip()
    if row in table.stored_fractions.get(positions["quantity"], ()):
        separator = "."  # a workbook's number, its text exact with a point
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
    from cyclekit.backends.reader import current_limits

    path = Path(path)
    check_size(path, current_limits().movements_mb, "limits.movements_mb", "movements export")
    exact = [config.header_for(name) for name in IDENTIFIERS]
    table = read_table(path, config.sheet, exact=exact)
    summary = f"{path}: the movements export cannot be read"  # the command adds that nothing was written
    if len(table.row_numbers) > MAX_MOVEMENTS:
        raise InputError([Problem(ProblemKind.FILE, str(path), (
            f"has {len(table.row_numbers):,} rows, more than the {MAX_MOVEMENTS:,} movements a cycle is compared "
            "with: export only the movements since the snapshot"))], summary=summary)
    positions, missing = _positions(table, config)
    missing += duplicate_columns(table, [config.header_for(name) for name in MOVEMENT_FIELDS], "movements export")
    if missing:
        raise InputError(missing, summary=summary)
    separator, mixed = _separator(table, positions, config)
    read = MovementsFile(table.file, table.sha256, problems=mixed)
    for n in range(len(table.row_numbers)):
        movement = _row(table, positions, n, separator, read.problems)
        if movement is not None:
            read.movements.append(movement)
    del read.problems[MAX_MOVEMENT_PROBLEMS:]
    return read
