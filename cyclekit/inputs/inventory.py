"""Load an inventory snapshot (an ERP/MES export) into validated InventoryLine records."""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from operator import attrgetter
from pathlib import Path
from typing import Any, TypeVar

from cyclekit.config import CANONICAL_FIELDS, REQUIRED_FIELDS, InventoryConfig
from cyclekit.domain.lines import unit_key
from cyclekit.domain.problems import ProblemKind
from cyclekit.domain.stock import LINE_FIELDS, InventoryLine, Snapshot, pick
from cyclekit.domain.values import (
    XML_ILLEGAL,
    AmbiguousNumber,
    QuantityError,
    format_decimal,
    illegal_character,
    parse_quantity,
    readable,
    separator_told,
    show_spaces,
)
from cyclekit.errors import InputError, Problem, some_of
from cyclekit.inputs.tables import Table, read_table

T = TypeVar("T")

# what tells lines apart and is printed, matched and posted exactly as the export writes it
IDENTIFIER_FIELDS = ("location", "part_number", "revision", "lot", "serial")
# text written into count sheets and results: a character XML cannot hold would break the workbook
WRITTEN_FIELDS = (*IDENTIFIER_FIELDS, "description", "uom")
FIELD_NAMES = {"location": "location", "part_number": "part number", "revision": "revision", "lot": "lot",
               "serial": "serial", "description": "description", "uom": "unit"}


NO_COST = "no_cost"  # a column beside LINE_FIELDS: the export left the line's unit cost blank


def snapshot_warnings(snapshot: Snapshot) -> list[str]:
    """What a user should know of the export, though nothing stops: see line_warnings."""
    return _warnings(snapshot.columns)


def line_warnings(lines: Sequence[InventoryLine]) -> list[str]:
    """Identifiers with spaces at either end (kept exactly, shown with ␣ on sheets) and lines with
    a negative system quantity (kept, counted, valued 0 in the schedule): one warning each."""
    return _warnings({name: list(map(attrgetter(name), lines)) for name in LINE_FIELDS})


def _warnings(columns: dict[str, Sequence[Any]]) -> list[str]:
    warnings = []
    spaced = [f"{FIELD_NAMES[name]} {show_spaces(text)}" for name in IDENTIFIER_FIELDS
              for text in _spaced(columns[name])]
    if spaced:
        warnings.append(f"{len(spaced)} identifier(s) begin or end with a space; they are kept exactly as "
                        f"written (the count sheets show each such space as \u2423): {some_of(spaced)}")
    quantities = columns["quantity"]
    negative = [i for i, quantity in enumerate(quantities) if quantity < 0] if min(quantities, default=0) < 0 else []
    if negative:
        shown = [f"{show_spaces(columns['location'][i])} {show_spaces(columns['part_number'][i])} "
                 f"({format_decimal(columns['quantity'][i])}, "
                 f"row {columns['source_row'][i]})" for i in negative]
        warnings.append(f"{len(negative)} line(s) have a negative system quantity; they are kept and counted, "
                        f"and add 0 to the schedule's value: {some_of(shown)}")
    blanks = columns.get(NO_COST, ())
    no_cost = [i for i, blank in enumerate(blanks) if blank] if any(blanks) else []
    if no_cost:
        shown = [f"{show_spaces(columns['location'][i])} {show_spaces(columns['part_number'][i])} "
                 f"(row {columns['source_row'][i]})" for i in no_cost]
        warnings.append(f"{len(no_cost)} line(s) have no unit cost in the export; they add 0 to the schedule's "
                        f"value and their variances are valued at 0 (give the cost in the export to value "
                        f"them): {some_of(shown)}")
    return warnings


def _spaced(texts: Sequence[str]) -> list[str]:
    """The distinct texts with spaces at either end (has_outer_spaces), in the order they come:
    a stripped text has none, so they are those not among the stripped texts (C loops, no call each)."""
    distinct = set(texts)
    outer = distinct - set(map(str.strip, distinct))
    return [text for text in dict.fromkeys(texts) if text in outer] if outer else []


def _header_problems(table: Table, config: InventoryConfig) -> tuple[dict[str, int], list[Problem]]:
    problems: list[Problem] = []
    seen = Counter(h.casefold() for h in table.headers if h)
    for header, count in seen.items():
        if count > 1:
            problems.append(Problem(ProblemKind.DUPLICATE_COLUMN, table.file, "column appears more than once",
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
                ProblemKind.MISSING_COLUMN, table.file,
                f"{required} {readable(header)}{mapped} is missing; the file has: "
                + ", ".join(readable(h) for h in table.headers),
                row=1, column=header,
            ))
    return positions, problems


# digits with a decimal point and no more digits than any count or cost: with the point as the
# file's separator, such a text is the number it reads as (what parse_quantity makes of it)
POINT_NUMBER = re.compile(r"\d{1,12}\.\d{1,8}")
SIGNED_POINT_NUMBER = re.compile(r"-?\d{1,12}\.\d{1,8}")


def _decimals(texts: Sequence[str], parse: Callable[[str], Decimal], plain: re.Pattern[str] | None = None
              ) -> tuple[list[Decimal | QuantityError], set[str]]:
    """Each text parsed once: quantities and costs repeat a lot. An error in the result says
    why; the texts that gave one come second (most files have none: no loop over the lines).
    `plain`: texts that read as themselves (POINT_NUMBER), taken without the parser's checks."""
    known: dict[str, Decimal | QuantityError] = {}
    failed: set[str] = set()
    for text in set(texts):
        if plain is not None and plain.fullmatch(text):
            known[text] = _point_number(text)
            continue
        try:
            known[text] = parse(text)
        except QuantityError as exc:
            known[text] = exc
            failed.add(text)
    return list(map(known.__getitem__, texts)), failed


def _point_number(text: str) -> Decimal:
    """normalize(Decimal(text)) of a POINT_NUMBER text: a fraction of zeros is a whole number
    ('10.00' is 10, never 1E+1), any other is normalized as it stands."""
    whole, _, fraction = text.partition(".")
    return Decimal(int(whole)) if not fraction.strip("0") else Decimal(text).normalize()


def _stored_fractions(table: Table, column: int | None) -> list[int]:
    """The indices of a column's cells that a workbook stored as numbers with a fraction."""
    rows = table.stored_fractions.get(column) if column is not None else None
    return [i for i, number in enumerate(table.row_numbers) if number in rows] if rows else []


def _typed_texts(texts: Sequence[str], stored: list[int]) -> Sequence[str]:
    """The texts of a column that were typed as text (what can tell the file's separator)."""
    if not stored:
        return texts
    skip = set(stored)
    return [text for i, text in enumerate(texts) if i not in skip]


def _or_error(parse: Callable[[str], Decimal], text: str) -> Decimal | QuantityError:
    try:
        return parse(text)
    except QuantityError as exc:
        return exc


MAX_SHOWN_VALUE = 100  # characters of a value quoted in a problem: a message stays one line


def _shown(text: str) -> str:
    return text if len(text) <= MAX_SHOWN_VALUE else text[:MAX_SHOWN_VALUE] + "\u2026"


CURRENCY_SIGNS = "$€£¥₹"


def _cost_text(text: str) -> str:
    """A cost without its currency sign, before or after it: '€16,50', '16,50 €', '-$5' -> '-5'."""
    text = text.strip()
    sign = text[0] if text[:1] in ("+", "-") else ""
    return sign + text[len(sign):].strip().strip(CURRENCY_SIGNS).strip()


def _unit_cost(text: str, separator: str | None = ".") -> Decimal:
    return parse_quantity(_cost_text(text), separator=separator) if text else Decimal(0)


SEPARATOR_NAMES = {".": "a decimal point", ",": "a decimal comma"}
SETTING = 'set decimal_separator = "." or "," under [inventory] in cyclekit.toml'


def _file_separator(columns: list[Sequence[str]]) -> tuple[str | None, dict[str, str]]:
    """The decimal separator the file's numbers show ('12.5': '.', '12,5' or '1.234,5': ','), and
    a number showing each; None when no number tells ('1.800' reads both ways, '12' either way)."""
    shown: dict[str, str] = {}
    for column in columns:
        for text in set(column):
            if not ("." in text or "," in text):
                continue
            if POINT_NUMBER.fullmatch(text):  # separator_told's answer without its work: most numbers look so
                told: str | None = None if _POINT_OR_GROUP.fullmatch(text) else "."
            else:
                told = separator_told(text)
            if told and told not in shown:
                shown[told] = text
    return (next(iter(shown)) if len(shown) == 1 else None), shown


_POINT_OR_GROUP = re.compile(r"[1-9]\d{0,2}\.\d{3}")  # '1.800': 1.8 with a decimal point, 1800 with a comma


@dataclass
class _Check:
    """An export's columns checked one rule at a time: the problems found (reported in row
    order, then by rule), and the rows that cannot be used."""

    table: Table
    config: InventoryConfig
    raw: dict[str, Sequence[str]]
    left_out: set[int] = field(default_factory=set)  # rows of a status not counted: not checked
    found: list[tuple[int, int, Problem]] = field(default_factory=list)  # (index, rule order, problem)
    invalid: set[int] = field(default_factory=set)

    def problem(self, index: int, order: int, kind: ProblemKind, name: str, message: str) -> None:
        self.found.append((index, order, Problem(kind, self.table.file, message, row=self.table.row_numbers[index],
                                                 column=self.config.header_for(name),
                                                 value=_shown(self.raw[name][index]))))


def _statuses(check: _Check) -> tuple[list[str], Sequence[int], Counter[str]]:
    """Each line's status (lower case), the lines kept (all, or those of a status counted), and
    how many lines each status left out; an unknown status is a problem when the config says so."""
    lowered = {status: status.lower() for status in set(check.raw["status"])}  # one str per status, not per line
    statuses = list(map(lowered.__getitem__, check.raw["status"]))
    present = set(statuses)
    config = check.config
    known, skip = set(config.known_statuses), set(config.skip_statuses)
    if config.strict_statuses and present - known - {""}:
        message = f"unknown status; known statuses are {', '.join(config.known_statuses)}"
        for index, status in enumerate(statuses):
            if status and status not in known:
                check.problem(index, 0, ProblemKind.UNKNOWN_STATUS, "status", message)
    skipped: Counter[str] = Counter()
    kept: Sequence[int] = range(len(statuses))
    if present & skip:
        check.left_out = {i for i, status in enumerate(statuses) if status in skip}
        kept = [i for i in range(len(statuses)) if i not in check.left_out]
        skipped.update(statuses[i] for i in check.left_out)
    return statuses, kept, skipped


def _unusable_texts(check: _Check) -> None:
    """Identifiers that are blank, and texts a workbook cannot hold."""
    for order, name, kind, message in ((1, "location", ProblemKind.EMPTY_LOCATION, "location is empty"),
                                       (2, "part_number", ProblemKind.EMPTY_PART_NUMBER, "part number is empty")):
        blanks = {text for text in set(check.raw[name]) if not text.strip()}  # spaces alone are no identifier
        if blanks:
            for index, text in enumerate(check.raw[name]):
                if text in blanks and index not in check.left_out:
                    check.problem(index, order, kind, name, message)
                    check.invalid.add(index)
    for name in WRITTEN_FIELDS:
        texts = set(check.raw[name])
        if not XML_ILLEGAL.search("\n".join(texts)):  # one search of every distinct text ('\n' is legal)
            continue
        unwritable = {text for text in texts if XML_ILLEGAL.search(text)}
        if unwritable:
            for index, text in enumerate(check.raw[name]):
                if text in unwritable and index not in check.left_out:
                    check.problem(index, 3, ProblemKind.CONTROL_CHARACTER, name,
                                  f"{FIELD_NAMES[name]} holds a control character ({illegal_character(text)}) "
                                  "that a workbook cannot hold; remove it in the export")
                    check.invalid.add(index)


Numbers = list[Decimal | QuantityError]


def _read_numbers(check: _Check, positions: dict[str, int], problems: list[Problem]
                  ) -> tuple[Numbers, Numbers, bool]:
    """Quantities and unit costs, each an error where it cannot be read; True when any cannot."""
    raw, table, config = check.raw, check.table, check.config
    # numbers a workbook stored as numbers are exact: they neither tell nor take the file's separator
    stored = {name: _stored_fractions(table, positions.get(name)) for name in ("quantity", "unit_cost")}
    separator = config.decimal_separator or None
    if separator is None:
        separator, shown = _file_separator([_typed_texts(raw["quantity"], stored["quantity"]),
                                            list(map(_cost_text, set(_typed_texts(raw["unit_cost"],
                                                                                  stored["unit_cost"]))))])
        if len(shown) > 1:
            problems.append(Problem(ProblemKind.MIXED_DECIMAL_SEPARATORS, table.file, (
                f"numbers are written with a decimal point (e.g. {shown['.']!r}) and with a decimal comma "
                f"(e.g. {shown[',']!r}); correct the export, or {SETTING}"), column=config.header_for("quantity")))
    read_quantity = functools.partial(parse_quantity, allow_negative=True, separator=separator)
    point = separator == "."
    quantities, bad_quantities = _decimals(raw["quantity"], read_quantity, SIGNED_POINT_NUMBER if point else None)
    costs, bad_costs = _decimals(raw["unit_cost"], functools.partial(_unit_cost, separator=separator),
                                 POINT_NUMBER if point else None)  # a cost is never negative
    for index in stored["quantity"]:
        quantities[index] = _or_error(functools.partial(parse_quantity, allow_negative=True, separator="."),
                                      raw["quantity"][index])
    for index in stored["unit_cost"]:
        costs[index] = _or_error(functools.partial(_unit_cost, separator="."), raw["unit_cost"][index])
    return quantities, costs, bool(bad_quantities or bad_costs)


def _number_problems(check: _Check, quantities: Numbers, costs: Numbers) -> None:
    """A number that cannot be read is a problem; one read two ways (1,200) is, unless a whole
    unit says which, and all of those are one problem saying how to tell the separator."""
    whole = {uom: uom.strip().lower() in check.config.whole_number_uoms for uom in set(check.raw["uom"])}
    ambiguous: list[tuple[int, str, AmbiguousNumber]] = []  # read two ways, and the file does not tell
    for index, (quantity, cost) in enumerate(zip(quantities, costs)):
        if index in check.left_out or not (isinstance(quantity, QuantityError) or isinstance(cost, QuantityError)):
            continue
        if isinstance(quantity, AmbiguousNumber) and whole[check.raw["uom"][index]]:
            try:  # '1,200' ea: 1.2 of a whole unit cannot be meant
                quantities[index] = quantity = parse_quantity(check.raw["quantity"][index], allow_negative=True,
                                                              separator=None, whole=True)
            except AmbiguousNumber:
                pass
        if isinstance(quantity, AmbiguousNumber):
            ambiguous.append((index, "quantity", quantity))
            check.invalid.add(index)
        elif isinstance(quantity, QuantityError):
            check.problem(index, 4, ProblemKind.BAD_QUANTITY, "quantity", f"quantity {quantity}")
            check.invalid.add(index)
        if isinstance(cost, AmbiguousNumber):
            ambiguous.append((index, "unit_cost", cost))
        elif isinstance(cost, QuantityError):
            check.problem(index, 5, ProblemKind.BAD_UNIT_COST, "unit_cost", f"unit cost {cost}")
    if ambiguous:
        index, name, example = ambiguous[0]
        point, comma = (format_decimal(example.readings[s]) for s in SEPARATOR_NAMES)
        check.problem(index, 4, ProblemKind.DECIMAL_SEPARATOR_UNKNOWN, name, (
            f"{len(ambiguous)} number(s) read two ways: {example.text!r} is {point} with a decimal point or "
            f"{comma} with a decimal comma, and no number in the file shows which the export uses; {SETTING}"))


def _duplicates(check: _Check, kept: Sequence[int]) -> None:
    """Two lines with one LineKey: one shelf line that would be counted twice."""
    raw, count = check.raw, len(check.table.row_numbers)

    def line_keys() -> Iterator[tuple[str, ...]]:
        units = {uom: unit_key(uom) for uom in set(raw["uom"])}
        # LineKey's fields, in its order, as plain tuples (equal to LineKeys), built column by column
        return zip(raw["location"], raw["part_number"], raw["revision"], raw["lot"], raw["serial"],
                   map(units.__getitem__, raw["uom"]))

    # distinct hashes first: a third of the memory of distinct keys; the exact check runs only
    # when two hashes meet (a duplicate, or a collision it then tells apart)
    if len(set(map(hash, line_keys()))) == count:
        return
    keys = list(line_keys())
    numbers = check.table.row_numbers
    first_row_of: dict[tuple[str, ...], int] = {}
    for index in kept:
        if index in check.invalid:
            continue
        first = first_row_of.setdefault(keys[index], numbers[index])
        if first != numbers[index]:
            check.found.append((index, 6, Problem(
                ProblemKind.DUPLICATE_LINE, check.table.file,
                f"same location, part number, revision, unit, lot and serial as row {first};"
                " merge them in the export so each shelf line is counted once",
                row=numbers[index], column=check.config.header_for("part_number"),
                value=raw["part_number"][index])))


def parse_inventory(table: Table, config: InventoryConfig) -> Snapshot:
    """Validate every line (column by column), report all problems at once, keep the rest."""
    positions, problems = _header_problems(table, config)
    if problems:
        raise InputError(problems, summary=f"{table.file} cannot be used as an inventory snapshot")
    blank = ("",) * len(table.row_numbers)
    check = _Check(table, config, {name: table.columns[positions[name]] if name in positions else blank
                                   for name in CANONICAL_FIELDS})
    statuses, kept, skipped = _statuses(check)
    _unusable_texts(check)
    quantities, costs, unread = _read_numbers(check, positions, problems)
    if unread:
        _number_problems(check, quantities, costs)
    _duplicates(check, kept)
    if check.found or problems:
        problems += [p for _, _, p in sorted(check.found, key=lambda item: item[:2])]
        raise InputError(problems, summary=f"{len(problems)} problem(s) in {table.file}")
    columns: dict[str, Sequence[Any]] = {name: check.raw[name] for name in LINE_FIELDS if name in check.raw}
    columns.update(quantity=quantities, unit_cost=costs, status=statuses, source_row=table.row_numbers)
    blank_costs = {text for text in set(check.raw["unit_cost"]) if not text.strip()}  # valued at 0: said, never silent
    columns[NO_COST] = ([text in blank_costs for text in check.raw["unit_cost"]] if blank_costs
                        else [False] * len(check.raw["unit_cost"]))
    if isinstance(kept, list):  # some statuses were left out
        columns = {name: pick(column, kept) for name, column in columns.items()}
    return Snapshot(table.file, table.sha256, columns, dict(skipped))




def load_inventory(path: Path | str, config: InventoryConfig) -> Snapshot:
    exact = [config.header_for(name) for name in IDENTIFIER_FIELDS]  # ' PN ' stays ' PN '
    return parse_inventory(read_table(path, sheet=config.sheet, exact=exact), config)
