"""A finalized cycle's counted lines as a Parquet file, and the accuracy figures read from such files.

`counted_lines.parquet` lies beside the manifest: one row per line counted (found items too), with
what was counted, the variance, how it was judged and documented, and who counted it. Years of
cycles from many sites are read back quickly (by column), and an engine made for big data (DuckDB,
Spark) reads the same files. Quantities are decimals (38 digits, 20 after the point: every count a
sheet accepts fits exactly), money in cents.

`accuracy_by` is the one computation of record accuracy by a group (location, part, cycle, counter):
the report shows it and finalize's adaptive cadence acts on it.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import replace
from decimal import Context, Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cyclekit.config import CountConfig
from cyclekit.domain.money import cents
from cyclekit.domain.variance import MAJOR, CountedLine, Judgement, judge
from cyclekit.errors import CycleError

COUNTED_LINES = "counted_lines.parquet"
QUANTITY = pa.decimal128(38, 20)
MONEY = pa.decimal128(38, 2)
_SCALE = Decimal(10) ** -20
_WIDE = Context(prec=80)  # 18 whole digits and 20 decimals, with room

SCHEMA = pa.schema([
    ("cycle_id", pa.string()), ("count_date", pa.date32()), ("line_id", pa.string()),
    ("location", pa.string()), ("zone", pa.string()), ("part_number", pa.string()), ("revision", pa.string()),
    ("lot", pa.string()), ("serial", pa.string()), ("uom", pa.string()), ("abc_class", pa.string()),
    ("found", pa.bool_()), ("system_qty", QUANTITY), ("counted_qty", QUANTITY), ("first_count_qty", QUANTITY),
    ("variance_qty", QUANTITY), ("unit_cost", QUANTITY), ("system_value", MONEY), ("variance_value", MONEY),
    ("discrepancy", pa.bool_()), ("within_tolerance", pa.bool_()),
    ("first_discrepancy", pa.bool_()), ("first_within_tolerance", pa.bool_()),
    ("severity", pa.string()), ("root_cause", pa.string()), ("counted_by", pa.string()),
    ("recounted", pa.bool_()), ("recounted_by", pa.string()), ("approved_by", pa.string()),
])
_PER_LINE = pa.schema([field for field in SCHEMA if field.name not in ("cycle_id", "count_date")])
# the columns a report reads (not the identifiers of every line: a year of lines stays small in memory)
FIGURE_COLUMNS = ("cycle_id", "location", "zone", "part_number", "system_value",
                  "variance_value", "discrepancy", "within_tolerance", "first_discrepancy",
                  "first_within_tolerance", "severity", "root_cause", "counted_by")


def _check_exact(line: CountedLine) -> None:
    """A quantity the file cannot hold exactly names its line (a sheet's numbers have at most 20
    digits, but 1E-25 is one digit)."""
    for what, value in (("the system quantity", line.system_qty), ("the count", line.counted_qty),
                        ("the first count", line.first_qty), ("the unit cost", line.unit_cost)):
        # the default context's 28 digits cannot hold a large value with 20 decimals: quantize()
        # failed (InvalidOperation) where this should name the line
        if value is not None and (value.adjusted() >= 18 or value.quantize(_SCALE, context=_WIDE) != value):
            raise CycleError(f"line {line.line_id}: {what} {value} has more digits than the counted lines file "
                             "holds (20 after the decimal point); correct it on the sheet and ingest again")


def _first(line: CountedLine, judged: Judgement, config: CountConfig) -> tuple[Any, Any, Any]:
    """The first count, whether it was a discrepancy and within tolerance (None for a found item)."""
    first = line.first_qty
    if first is None or line.found:
        return (None if line.found else first), None, None
    # the first counter judged by the rule the final count is judged by (the same, without a recount)
    first_judged = judged if not line.recounted_by else judge(replace(line, counted_qty=first, problem=""), config)
    return first, bool(first - line.system_qty), first_judged.within_tolerance


def _columns(counted: list[CountedLine], docs: dict[str, dict[str, Any]], zones: dict[str, str],
             config: CountConfig) -> list[list[Any]]:
    """The lines' values, a list per column of _PER_LINE (each column in one pass over the lines)."""
    judged = [judge(line, config) for line in counted]
    firsts = [_first(line, judgement, config) for line, judgement in zip(counted, judged)]
    variances = [line.variance_qty for line in counted]
    no_doc: dict[str, Any] = {}
    documented = [docs.get(line.line_id, no_doc) for line in counted]
    return [
        [line.line_id for line in counted], [line.location for line in counted],
        [zones.get(line.location, "") for line in counted], [line.part_number for line in counted],
        [line.revision for line in counted], [line.lot for line in counted], [line.serial for line in counted],
        [line.uom for line in counted], [line.abc_class for line in counted], [line.found for line in counted],
        [line.system_qty for line in counted], [line.counted_qty for line in counted], [f[0] for f in firsts],
        variances, [line.unit_cost for line in counted],
        [None if line.unit_cost is None else cents(line.system_qty * line.unit_cost) for line in counted],
        [None if v is None or line.unit_cost is None else cents(v * line.unit_cost)
         for line, v in zip(counted, variances)],
        [bool(v) for v in variances], [j.within_tolerance for j in judged], [f[1] for f in firsts],
        [f[2] for f in firsts], [j.severity or "" for j in judged],
        [str(doc.get("Root Cause") or "").strip() for doc in documented], [line.counted_by for line in counted],
        [bool(line.recounted_by) for line in counted], [line.recounted_by for line in counted],
        [str(doc.get("Approved By") or "").strip() for doc in documented],
    ]


def counted_lines_table(cycle_id: str, count_date: dt.date, lines: Iterable[CountedLine],
                        docs: dict[str, dict[str, Any]], zones: dict[str, str], config: CountConfig) -> pa.Table:
    """The cycle's counted lines (a line not counted has no place in them), documentation by Line ID."""
    counted = [line for line in lines if line.counted]
    columns = _columns(counted, docs, zones, config)
    try:
        arrays = [pa.array(values, field.type) for values, field in zip(columns, _PER_LINE, strict=True)]
        table = pa.Table.from_arrays(arrays, schema=_PER_LINE)
    except (pa.ArrowInvalid, OverflowError):
        for line in counted:
            _check_exact(line)
        raise
    return table.add_column(0, SCHEMA.field("cycle_id"), pa.array([cycle_id] * len(counted), pa.string())).add_column(
        1, SCHEMA.field("count_date"), pa.array([count_date] * len(counted), pa.date32()))


def parquet_bytes(table: pa.Table) -> bytes:
    """The file's content, for finalize to write with its other outputs."""
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def read_counted_lines(paths: Sequence[Path], columns: Sequence[str] | None = None) -> pa.Table:
    """Several cycles' files as one table (strings dictionary-encoded: few distinct names, many lines)."""
    wanted = list(columns) if columns is not None else SCHEMA.names
    strings = [name for name in wanted if SCHEMA.field(name).type == pa.string()]
    if not paths:
        return pa.table({name: pa.array([], SCHEMA.field(name).type) for name in wanted})
    # one dataset read: the files are read on every core
    return pq.read_table([str(p) for p in paths], columns=wanted, read_dictionary=strings)


# the figures of a group of counted lines
FIGURES = ("lines", "discrepancies", "within_tolerance", "majors", "absolute_value", "system_value")
_SUMMED = ("_major", "_absolute", "_system")


def _is(column: pa.ChunkedArray, value: str) -> pa.ChunkedArray:
    """column == value, for a dictionary column by its dictionary (a few names, not every line)."""
    if pa.types.is_dictionary(column.type):
        return pa.chunked_array([pc.fill_null(pc.equal(chunk.dictionary, value), False).take(chunk.indices)
                                 for chunk in column.chunks], pa.bool_())
    return pc.equal(column, value)


def prepared(table: pa.Table) -> pa.Table:
    """The table with what every grouping sums, computed once (a report groups it many ways), and
    its dictionaries unified so that a group is found by a number, not by its text. Money stays
    decimal: sums of cents are exact."""
    if _SUMMED[0] in table.column_names:
        return table
    numbers = {"_major": _is(table["severity"], MAJOR), "_absolute": pc.abs(table["variance_value"]),
               "_system": pc.abs(table["system_value"])}
    # what the sums replace is dropped: a report of many cycles holds one copy of its numbers
    table = table.drop_columns(["severity", "variance_value", "system_value"])
    for name, column in numbers.items():
        table = table.append_column(name, column)
    return table.unify_dictionaries()


def _codes(column: pa.ChunkedArray, wide: bool = True) -> tuple[pa.ChunkedArray, pa.Array]:
    """A column as numbers (int64 when `wide`, for arithmetic) and the values they stand for: a
    dictionary column by its (unified) dictionary, any other encoded here."""
    if not pa.types.is_dictionary(column.type):
        column = pa.chunked_array([pc.dictionary_encode(column.combine_chunks())])  # one dictionary
    if not column.num_chunks:
        return pa.chunked_array([], pa.int64()), pa.array([], column.type.value_type)
    codes = pa.chunked_array([chunk.indices for chunk in column.chunks], column.type.index_type)
    return (pc.cast(codes, pa.int64()) if wide else codes), column.chunk(0).dictionary


def _one_key(table: pa.Table, keys: Sequence[str], cycles: bool
             ) -> tuple[pa.ChunkedArray, list[tuple[str, pa.Array, int]]]:
    """The keys as one number per line (mixed radix over their dictionaries: one number is hashed
    faster than several texts), and how to read the keys back from it."""
    combined: pa.ChunkedArray | None = None
    parts = []
    for key in keys:
        codes, dictionary = _codes(table[key], wide=len(keys) > 1 or cycles)
        radix = max(len(dictionary), 1)
        combined = codes if combined is None else pc.add(pc.multiply(combined, radix), codes)
        parts.append((key, dictionary, radix))
    if combined is None:
        raise ValueError("group by at least one column")
    return combined, parts


def _read_keys(numbers: pa.Array, parts: list[tuple[str, pa.Array, int]]) -> dict[str, pa.Array]:
    keys = {}
    for key, dictionary, radix in reversed(parts):
        keys[key] = dictionary.take(pc.subtract(numbers, pc.multiply(pc.divide(numbers, radix), radix)))
        numbers = pc.divide(numbers, radix)
    return {key: keys[key] for key, _, _ in parts}


def accuracy_by(table: pa.Table, keys: Sequence[str], *, cycles: bool = False, first: bool = False) -> pa.Table:
    """Per group of `keys`: lines counted, discrepancies, lines within tolerance (record accuracy is
    within_tolerance / lines), Major discrepancies, the absolute variance value and the system value
    of the lines valued (value-weighted accuracy is 1 - absolute_value / system_value); with
    `cycles`, in how many cycles the group was counted (counts); with `first`, the lines, the
    discrepancies and those within tolerance of the first counts (a found item has none)."""
    table = prepared(table)
    key, parts = _one_key(table, keys, cycles)
    judged = ("first_discrepancy", "first_within_tolerance") if first else ("discrepancy", "within_tolerance")
    work = pa.table({"_key": key, "_discrepancy": table[judged[0]], "_within": table[judged[1]],
                     **{name: table[name] for name in _SUMMED}})
    grouped = work.group_by("_key").aggregate([
        ("_discrepancy", "count"), ("_discrepancy", "sum"), ("_within", "sum"), ("_major", "sum"),
        ("_absolute", "sum"), ("_system", "sum")]).combine_chunks()
    sums = {name: grouped[f"{source}_{how}"] for name, source, how in zip(FIGURES, (
        "_discrepancy", "_discrepancy", "_within", "_major", "_absolute", "_system"), (
        "count", "sum", "sum", "sum", "sum", "sum"))}
    numbers = grouped["_key"].combine_chunks().cast(pa.int64())
    result = pa.table({**_read_keys(numbers, parts), **sums})
    if cycles:
        result = result.append_column("counts", _cycles_of(table, key, numbers))
    return result


def _cycles_of(table: pa.Table, key: pa.ChunkedArray, numbers: pa.Array) -> pa.Array:
    """In how many cycles each group (`numbers`, as one_key made them) was counted."""
    cycle, dictionary = _codes(table["cycle_id"])
    radix = max(len(dictionary), 1)
    aligned = [len(c) for c in key.chunks] == [len(c) for c in cycle.chunks]
    seen = []
    for groups, cycles in zip(key.chunks, cycle.chunks) if aligned else [(key, cycle)]:
        low, high = pc.min_max(cycles).values() if len(cycles) else (None, None)
        if low is not None and low == high:  # a chunk of one cycle (one cycle's file): its groups once
            seen.append(pc.add(pc.multiply(pc.unique(groups), radix), low))
        else:
            seen.append(pc.unique(pc.add(pc.multiply(groups, radix), cycles)))
    pairs = pc.unique(pa.chunked_array(seen, pa.int64())) if seen else pa.array([], pa.int64())
    counted = pc.value_counts(pc.divide(pairs, radix))  # each group once per cycle it was counted in
    found = pc.index_in(numbers, counted.field("values"))
    return pc.fill_null(counted.field("counts").take(found), 0).cast(pa.int64())
