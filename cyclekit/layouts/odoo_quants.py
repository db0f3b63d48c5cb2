"""Odoo's update-by-ID export of the counted locations, written back with the cycle's counts.

Odoo's import creates a new quant for a row without an ID, and applying it adds the count to the
stock (odoo/odoo#146595, #125515, PR #124185). Only a row carrying the quant's ID sets the counted
quantity of the existing line. So finalize takes the export a person made in Odoo (Physical
Inventory, Export, "I want to update data": ID, Product, Location, Lot/Serial Number, Counted
Quantity), fills Counted Quantity from the cycle (zeros included) and adds the counted lines no
exported row holds as new rows without ID.

The export is hostile input like any other: its size is bounded, every cell stays text, and its
own quantities are never read as numbers; a row that two counted lines (or a counted line that two
rows) could mean is a problem, never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cyclekit.domain.problems import ProblemKind
from cyclekit.domain.values import format_decimal
from cyclekit.domain.variance import CountedLine
from cyclekit.errors import InputError, Problem
from cyclekit.inputs.tables import Table, duplicate_columns, read_table
from cyclekit.layouts.adjustments import csv_row

ODOO = "odoo"  # the shipped target this export completes
MAX_EXPORT_BYTES = 100 * 1024 * 1024  # far past the quants of any warehouse's counted locations
MAX_EXPORT_ROWS = 500_000

# each column as Odoo names it: the technical name (import-compatible export) or its English label
COLUMNS = {
    "id": ("id", "ID", "External ID"),
    "product": ("product_id", "Product"),
    "location": ("location_id", "Location"),
    "lot": ("lot_id", "Lot/Serial Number"),
    "counted": ("inventory_quantity", "Counted Quantity"),
}
_REFERENCES = ("product_id/id", "location_id/id", "lot_id/id")  # External IDs: nothing to match a count on


@dataclass
class CompletedExport:
    """The export with the cycle's counts, and what a person must know about it."""

    text: str
    filled: int = 0  # exported rows given a counted quantity
    added: list[str] = field(default_factory=list)  # Line IDs written as new rows without ID
    # lines the snapshot held stock on that no exported row holds: a new row adds to Odoo's stock,
    # and a count of 0 is not written at all (it would record nothing in Odoo)
    added_in_stock: list[str] = field(default_factory=list)
    not_listed: list[str] = field(default_factory=list)  # exported rows in counted locations, not in the cycle
    elsewhere: int = 0  # exported rows in locations this cycle did not count: left out


def read_export(path: Path) -> Table:
    """The export as text columns; too large, a missing column or a reference column is a problem."""
    path = Path(path)
    if path.is_file() and path.stat().st_size > MAX_EXPORT_BYTES:
        raise _refused(path, ProblemKind.FILE, f"larger than {MAX_EXPORT_BYTES // (1024 * 1024)} MB: export "
                                               "only the counted locations")
    exact = [name for names in COLUMNS.values() for name in names]
    table = read_table(path, exact=exact)  # identifiers kept exactly as Odoo wrote them
    if len(table.row_numbers) > MAX_EXPORT_ROWS:
        raise _refused(path, ProblemKind.FILE, f"more than {MAX_EXPORT_ROWS:,} rows: export only the counted "
                                               "locations")
    references = [name for name in _REFERENCES if table.column_index(name) is not None]
    if references:
        raise _refused(path, ProblemKind.MISSING_COLUMN,
                       f"{', '.join(references)} hold Odoo's External IDs, which cannot be matched to part "
                       "numbers: export Product, Location and Lot/Serial Number by name (with ID)")
    missing = [names[1] for key, names in COLUMNS.items() if key != "lot" and _column(table, key) is None]
    if missing:
        raise _refused(path, ProblemKind.MISSING_COLUMN,
                       f"no {', '.join(missing)} column: export with 'I want to update data' and the fields "
                       "ID, Product, Location, Lot/Serial Number, Counted Quantity")
    twice = duplicate_columns(table, [name for names in COLUMNS.values() for name in names], "Odoo export")
    if twice:  # the count would go into one of them, and Odoo would read the other
        raise InputError(twice, summary=f"Odoo export {path}: {twice[0].message}")
    return table


def _refused(path: Path, kind: ProblemKind, message: str) -> InputError:
    return InputError([Problem(kind, str(path), message)], summary=f"Odoo export {path}: {message}")


def _column(table: Table, key: str) -> int | None:
    return next((i for name in COLUMNS[key] if (i := table.column_index(name)) is not None), None)


def _matches(cell: str, line: CountedLine) -> bool:
    """Odoo shows a product as '[Internal Reference] Name' (or the name alone when it has no reference)."""
    return bool(cell) and (cell == line.part_number or cell.startswith(f"[{line.part_number}] "))


def _qty(line: CountedLine) -> str:
    assert line.counted_qty is not None  # only counted lines are written
    return format_decimal(line.counted_qty)


class _Export:
    """The export's rows by (full location, lot or serial), and where each column is."""

    def __init__(self, table: Table):
        self.table, self.rows = table, table.rows
        self.at = {key: _column(table, key) for key in COLUMNS}
        self.by_key: dict[tuple[str, str], list[int]] = {}
        for index, row in enumerate(self.rows):
            self.by_key.setdefault(self.key(row), []).append(index)

    def cell(self, row: list[str], key: str) -> str:
        index = self.at[key]
        return "" if index is None else row[index]

    def key(self, row: list[str]) -> tuple[str, str]:
        return self.cell(row, "location"), self.cell(row, "lot")

    def rows_of(self, line: CountedLine, prefix: str) -> list[int]:
        return [i for i in self.by_key.get((prefix + line.location, line.lot or line.serial), [])
                if _matches(self.cell(self.rows[i], "product"), line)]

    def problem(self, kind: ProblemKind, message: str, index: int | None = None) -> Problem:
        return Problem(kind, self.table.file, message,
                       row=None if index is None else self.table.row_numbers[index])


def complete_export(table: Table, lines: list[CountedLine], counted_locations: set[str],
                    prefix: str) -> CompletedExport:
    """Counted Quantity filled for every exported row a counted line matches (product, full
    location name, lot or serial); counted lines no row holds added without ID; rows in counted
    locations that no line of the cycle lists reported; rows elsewhere left out."""
    export = _Export(table)
    problems = _id_problems(export)
    filled: dict[int, CountedLine] = {}
    added: list[CountedLine] = []
    for line in (line for line in lines if line.counted):
        found = export.rows_of(line, prefix)
        numbers = ", ".join(str(table.row_numbers[i]) for i in found)
        if len(found) > 1:
            problems.append(export.problem(ProblemKind.AMBIGUOUS_ERP_LINE, f"line {line.line_id} matches rows "
                                           f"{numbers} (another package or owner?): count it in Odoo", found[0]))
        elif found and found[0] in filled:
            problems.append(export.problem(ProblemKind.AMBIGUOUS_ERP_LINE, f"lines {filled[found[0]].line_id} and "
                                           f"{line.line_id} both match row {numbers} (one Odoo product for two "
                                           "revisions or units?)", found[0]))
        elif found:
            filled[found[0]] = line
        else:
            added.append(line)
    if problems:
        raise InputError(problems, summary=f"Odoo export {table.file}: {len(problems)} row(s) cannot take a "
                                           "count; nothing was written")
    listed = {i for line in lines for i in export.rows_of(line, prefix)}
    return _written(export, filled, added, {prefix + name for name in counted_locations}, listed, prefix)


def _id_problems(export: _Export) -> list[Problem]:
    """Every exported row names its quant once: without its ID a row would add to stock again."""
    problems, seen = [], set()
    for index, row in enumerate(export.rows):
        quant = export.cell(row, "id")
        if not quant.strip():
            problems.append(export.problem(ProblemKind.AMBIGUOUS_ERP_LINE, "a row without ID: export with "
                                           "'I want to update data'", index))
        elif quant in seen:
            problems.append(export.problem(ProblemKind.DUPLICATE_LINE, f"ID {quant!r} twice", index))
        seen.add(quant)
    return problems


def _written(export: _Export, filled: dict[int, CountedLine], added: list[CountedLine], places: set[str],
             listed: set[int], prefix: str) -> CompletedExport:
    """The export's own columns in its own order: matched rows with the count, then new rows."""
    table, result = export.table, CompletedExport("")
    out = [csv_row(list(table.headers))]
    for index, row in enumerate(export.rows):
        location = export.cell(row, "location")
        if index in filled:
            out.append(csv_row([_qty(filled[index]) if i == export.at["counted"] else cell
                                for i, cell in enumerate(row)]))
        elif location in places:
            why = "listed but not counted" if index in listed else "not in the cycle"
            lot = export.cell(row, "lot")
            result.not_listed.append(f"row {table.row_numbers[index]} ({export.cell(row, 'product')}"
                                     f"{f' lot {lot!r}' if lot else ''} in {location}, {why})")
        else:
            result.elsewhere += 1
    for line in added:
        if line.system_qty != 0:
            result.added_in_stock.append(line.line_id)
        if not line.counted_qty:  # a count of 0 on a new row records nothing in Odoo
            continue
        values = {"product": line.part_number, "location": prefix + line.location,
                  "lot": line.lot or line.serial, "counted": _qty(line)}
        out.append(csv_row([next((values[k] for k, at in export.at.items() if at == i and k in values), "")
                            for i in range(len(table.headers))]))
        result.added.append(line.line_id)
    result.filled, result.text = len(filled), "\n".join(out) + "\n"
    return result
