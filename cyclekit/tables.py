"""Read a CSV or XLSX file into header + rows, every cell kept as it was typed.

CSV cells stay text (no type guessing at all). XLSX cells come from python-calamine,
which reads values only and fast; numbers that a spreadsheet stored as numbers are
turned back into their shortest text, so an identifier is never a float.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from cyclekit.errors import InputError, Problem
from cyclekit.values import cell_text

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}


@dataclass(frozen=True)
class Table:
    """A table kept as columns: validating 200,000 lines a column at a time runs in C loops."""

    file: str
    headers: list[str]
    columns: list[Sequence[str]]  # one per header, each as long as row_numbers
    row_numbers: list[int]  # the row number a person sees in the file (header is row 1)
    sha256: str
    decimal_comma: bool = False  # a CSV with ';' between columns: numbers may be written 1.234,5

    @property
    def rows(self) -> list[list[str]]:
        """Data rows, each as long as headers."""
        if not self.columns:
            return [[] for _ in self.row_numbers]
        return [list(row) for row in zip(*self.columns)]

    def column_index(self, header: str) -> int | None:
        wanted = header.strip().casefold()
        for index, name in enumerate(self.headers):
            if name.casefold() == wanted:
                return index
        return None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fail(path: Path, message: str) -> InputError:
    return InputError([Problem("file", str(path), message)], summary=f"cannot read {path}")


def _sha256_and_encoding(path: Path) -> tuple[str, str]:
    """One pass over the bytes: the file's digest, and whether it is UTF-8 text."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    utf8 = True
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            if utf8:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    # Excel on Windows still saves "CSV" in the ANSI code page: what is not UTF-8 (with or
    # without BOM) is read as cp1252, so a degree sign or a micro sign survives
    return digest.hexdigest(), "utf-8-sig" if utf8 else "cp1252"


def _spreadsheet_rows(path: Path, sheet: str | None) -> list[list[str]]:
    """Through the workbook reader: the file is checked against the limits before it is parsed."""
    from cyclekit.workbook.reader import WorkbookReader

    workbook = WorkbookReader(path)
    if sheet is None:
        if not workbook.tabs:
            raise _fail(path, "has no tabs")
        sheet = workbook.tabs[0]
    return [[cell_text(value) for value in row] for row in workbook.rows(sheet)]


CHUNK_ROWS = 50_000  # rows turned into columns at a time: the raw rows of a chunk are then freed
NATIVE_CSV_FROM = 256 * 1024  # bytes: below this, importing pyarrow costs more than it saves

# (row numbers, one tuple or list of raw cells per column): what both CSV readers hand on
Chunk = tuple[list[int], list[Sequence[str]]]


class _Irregular(Exception):
    """The native reader met a file it does not read like Python's csv module: use that."""


def _delimiter(first_line: str) -> str:
    # the header line decides the delimiter (Excel writes ';' where ',' is the decimal mark);
    # csv.Sniffer is not used: quoted descriptions like 'Panel 19" rack, 2U' fool it
    return max(",;\t", key=first_line.count)


def _separator(path: Path, encoding: str) -> str:
    try:
        with open(path, encoding=encoding, newline="") as handle:
            return _delimiter(handle.readline())
    except UnicodeDecodeError:
        return ","  # the reading proper names the problem


def _csv_rows(path: Path, encoding: str) -> Iterator[list[str]]:
    """Rows as typed, read as they are needed (read_table strips and keeps them by column)."""
    try:
        with open(path, encoding=encoding, newline="") as handle:
            first = handle.readline()
            yield from csv.reader(itertools.chain([first], handle), delimiter=_delimiter(first))
    except UnicodeDecodeError:
        raise _fail(path, "is neither UTF-8 nor Windows-1252 text") from None


def _row_chunks(rows: Iterable[list[str]]) -> tuple[list[str], Iterator[Chunk]] | None:
    """Header (the first row with a cell) and chunks of the rows after it, padded to its width."""
    numbered = enumerate(rows, start=1)
    for _, row in numbered:
        if any(map(str.strip, row)):
            headers = [cell.strip() for cell in row]
            break
    else:
        return None
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)

    def chunks() -> Iterator[Chunk]:
        while chunk := [pair for pair in itertools.islice(numbered, CHUNK_ROWS) if any(pair[1])]:
            numbers = [number for number, _ in chunk]
            data = [row for _, row in chunk]
            del chunk
            if set(map(len, data)) - {width}:
                data = [row if len(row) == width else (row + [""] * width)[:width] for row in data]
            yield numbers, list(zip(*data)) if width else []

    return headers, chunks()


def _native_csv_chunks(path: Path, encoding: str) -> tuple[list[str], Iterator[Chunk]]:
    """The same rows as _csv_rows, parsed in C by pyarrow (5x faster at plant scale).

    Only for regular files: the first line is the header and every line has its number of
    fields (a blank line reads as a row of empty cells, as in the csv module). Anything else
    raises _Irregular and the csv module reads the file, with its padding and messages.
    """
    import pyarrow as pa
    import pyarrow.csv as arrow_csv

    with open(path, encoding=encoding, newline="") as handle:
        first = handle.readline()
    delimiter = _delimiter(first)
    header_cells = next(csv.reader([first], delimiter=delimiter), [])
    if not any(map(str.strip, header_cells)) or first.count('"') % 2:
        raise _Irregular  # a blank first line, or a header with a line break inside quotes
    names = [f"f{i}" for i in range(len(header_cells))]
    try:
        reader = arrow_csv.open_csv(
            path,
            read_options=arrow_csv.ReadOptions(column_names=names, skip_rows=1, encoding=encoding.replace("-sig", ""),
                                               block_size=1 << 20),
            parse_options=arrow_csv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                                 ignore_empty_lines=False),
            convert_options=arrow_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                                     strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, UnicodeDecodeError):
        raise _Irregular from None
    headers = [cell.strip() for cell in header_cells]
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)

    def chunks() -> Iterator[Chunk]:
        next_number = 2  # the header is row 1
        try:
            for batch in reader:
                columns = [column.to_pylist() for column in batch.columns[:width]]
                yield list(range(next_number, next_number + batch.num_rows)), columns
                next_number += batch.num_rows
        except (pa.ArrowInvalid, UnicodeDecodeError):
            raise _Irregular from None

    return headers, chunks()


def _gathered(headers: list[str], chunks: Iterator[Chunk]) -> tuple[list[list[str]], list[int]]:
    """Cells stripped, rows with no cell left out, repeated texts kept once; by column."""
    width = len(headers)
    columns: list[list[str]] = [[] for _ in headers]
    shared: list[dict[str, str] | None] = [None] * width
    numbers: list[int] = []
    for chunk_numbers, raw_columns in chunks:
        stripped = [tuple(map(str.strip, column)) for column in raw_columns]
        if all("" in column for column in stripped):  # a row may have no cell (blank or all spaces)
            kept = [i for i, row in enumerate(zip(*stripped)) if any(row)]
            if len(kept) < len(chunk_numbers):
                chunk_numbers = [chunk_numbers[i] for i in kept]
                stripped = [tuple(column[i] for i in kept) for column in stripped]
        numbers += chunk_numbers
        for index, column in enumerate(stripped):
            if shared[index] is None and len(set(column)) < len(column) // 2:
                shared[index] = {}
            known = shared[index]
            columns[index] += column if known is None else map(known.setdefault, column, column)
    return columns, numbers


def read_table(path: Path | str, sheet: str | None = None) -> Table:
    """Header row first; empty rows dropped; short rows padded with ''; cells stripped.

    Rows are taken a chunk at a time and kept by column, in C loops (map, zip): a row at a
    time in Python costs seconds at plant scale. Repeated texts (locations, units, statuses,
    part numbers) are kept once, so memory grows with the distinct values, not the cells.
    """
    path = Path(path)
    if not path.is_file():
        raise _fail(path, "file not found")
    suffix = path.suffix.lower()
    decimal_comma = False  # a spreadsheet stores numbers as numbers
    if suffix in SPREADSHEET_SUFFIXES:
        sha256 = file_sha256(path)
        found = _row_chunks(_spreadsheet_rows(path, sheet))
    elif suffix in {".csv", ".txt", ".tsv"}:
        sha256, encoding = _sha256_and_encoding(path)
        decimal_comma = _separator(path, encoding) == ";"
        found = None
        if path.stat().st_size >= NATIVE_CSV_FROM:
            try:
                headers, chunks = _native_csv_chunks(path, encoding)
                return Table(str(path), headers, *_gathered(headers, chunks), sha256, decimal_comma)
            except _Irregular:
                pass
        found = _row_chunks(_csv_rows(path, encoding))
    else:
        raise _fail(path, f"unsupported file type {suffix or '(none)'}; use .csv or .xlsx")
    if found is None:
        raise _fail(path, "is empty: no header row")
    headers, chunks = found
    return Table(str(path), headers, *_gathered(headers, chunks), sha256, decimal_comma)
