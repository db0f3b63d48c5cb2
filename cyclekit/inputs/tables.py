"""Read a CSV or XLSX file into header + rows, every cell kept as it was typed.

CSV cells stay text (no type guessing at all). XLSX cells come from python-calamine,
which reads values only and fast; numbers that a spreadsheet stored as numbers are
turned back into their shortest text, so an identifier is never a float.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cyclekit.domain.problems import ProblemKind
from cyclekit.domain.values import exact_text
from cyclekit.errors import InputError, Problem

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
# the longest text a spreadsheet cell holds: a longer field could never be shown on a sheet,
# and bounding it keeps one hostile line from filling memory
MAX_FIELD_CHARS = 32_767
MAX_ROW_CHARS = 1_048_576  # characters in one row of a CSV: thirty full cells, far past any export


@dataclass(frozen=True)
class Table:
    """A table kept as columns: validating 200,000 lines a column at a time runs in C loops."""

    file: str
    headers: list[str]
    columns: list[Sequence[str]]  # one per header, each as long as row_numbers
    row_numbers: list[int]  # the row number a person sees in the file (header is row 1)
    sha256: str
    decimal_comma: bool = False  # a CSV with ';' between columns: numbers may be written 1.234,5
    # column -> rows (as in row_numbers) whose cell a workbook stored as a number with a fraction:
    # its text ('1.125') is exact, written with a point whatever the text cells around it use
    stored_fractions: dict[int, frozenset[int]] = field(default_factory=dict)

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


def duplicate_columns(table: Table, headers: Iterable[str], what: str) -> list[Problem]:
    """A header the reading needs that the file has more than once: which column holds the
    values cannot be told, so it is a problem, never the first one taken."""
    problems = []
    for header in dict.fromkeys(h.strip().casefold() for h in headers):
        found = [i for i, name in enumerate(table.headers) if name.casefold() == header]
        if len(found) > 1:
            problems.append(Problem(ProblemKind.DUPLICATE_COLUMN, table.file, (
                f"column {table.headers[found[0]]!r} appears {len(found)} times in the {what}; which one holds the "
                "values cannot be told: remove or rename the others"), row=1, column=table.headers[found[0]]))
    return problems


def check_size(path: Path, max_mb: int, setting: str, what: str) -> None:
    """Refuse a file larger than `max_mb` before a byte of it is parsed (a CSV has no zip
    archive to check, and every row read costs memory)."""
    try:
        size = path.stat().st_size if path.is_file() else 0
    except OSError:
        return  # reading names the problem
    if size > max_mb * 1024 * 1024:
        raise _fail(path, f"is larger than {max_mb} MB ({size / 1024 / 1024:,.0f} MB), the limit set by {setting}: "
                          f"a {what} holds far less; export only what is needed, or raise {setting}")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fail(path: Path, message: str) -> InputError:
    return InputError([Problem(ProblemKind.FILE, str(path), message)], summary=f"cannot read {path}")


def _sha256_and_encoding(path: Path) -> tuple[str, str]:
    """One pass over the bytes: the file's digest, and its encoding: UTF-16 when it starts with
    that byte-order mark (Excel's "Unicode Text"), else UTF-8 if it is valid UTF-8, else cp1252."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        start = handle.read(4)
        utf16 = start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        decoder = codecs.getincrementaldecoder("utf-16" if utf16 else "utf-8-sig")()
        valid = True
        handle.seek(0)
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            if valid:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    valid = False
    if valid:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            valid = False
    if utf16:
        if not valid:
            raise _fail(path, "starts as UTF-16 text but is not readable as UTF-16; save it again as CSV UTF-8")
        return digest.hexdigest(), "utf-16"
    if b"\x00" in start:  # UTF-16 without its byte-order mark, or UTF-32: read as is, every other character is NUL
        raise _fail(path, "looks like UTF-16 text without a byte-order mark; save it again as CSV UTF-8")
    # Excel on Windows still saves "CSV" in the ANSI code page: what is not UTF-8 (with or
    # without BOM) is read as cp1252, so a degree sign or a micro sign survives
    return digest.hexdigest(), "utf-8-sig" if valid else "cp1252"


def _spreadsheet_rows(path: Path, sheet: str | None) -> tuple[list[list[str]], dict[int, frozenset[int]]]:
    """Through the workbook reader: the file is checked against the limits before it is parsed.
    Second: by column, the rows (counted from 1) whose cell is a number with a fraction."""
    from cyclekit.backends.reader import WorkbookReader

    workbook = WorkbookReader(path)
    if sheet is None:
        if not workbook.tabs:
            raise _fail(path, "has no tabs")
        sheet = workbook.tabs[0]
    rows = workbook.rows(sheet)
    fractions: dict[int, set[int]] = {}
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if type(value) is float and not value.is_integer():
                fractions.setdefault(column, set()).add(number)
    # read_table strips what is not exact
    return ([[exact_text(value) for value in row] for row in rows],
            {column: frozenset(numbers) for column, numbers in fractions.items()})


CHUNK_ROWS = 50_000  # rows turned into columns at a time: the raw rows of a chunk are then freed
NATIVE_CSV_FROM = 256 * 1024  # bytes: below this, importing pyarrow costs more than it saves
NATIVE_BLOCK_BYTES = 1 << 20  # the native reader's chunks: its distinct texts are taken a chunk at a time

# (row numbers, one tuple or list of raw cells per column): what the csv module's reader hands on
Chunk = tuple[list[int], list[Sequence[str]]]
# (row numbers, per column: the chunk's distinct raw texts and, per row, its text's index among them)
CodedChunk = tuple[list[int], list[tuple[list[str], list[int]]]]


class _Irregular(Exception):
    """The native reader met a file it does not read like Python's csv module: use that."""


def _delimiter(first_line: str) -> str:
    # the header line decides the delimiter (Excel writes ';' where ',' is the decimal mark);
    # csv.Sniffer is not used: quoted descriptions like 'Panel 19" rack, 2U' fool it
    return max(",;\t", key=first_line.count)


def _separator(path: Path, encoding: str) -> str:
    try:
        with open(path, encoding=encoding, newline="") as handle:
            return _delimiter(handle.readline(MAX_ROW_CHARS))
    except UnicodeDecodeError:
        return ","  # the reading proper names the problem


class _Lines:
    """The file's lines, each read with a bound, keeping those of the record being read: a field
    over the csv module's limit is then found again to name its column. A record longer than
    MAX_ROW_CHARS is a problem before it is read whole (a file with no line break is one line)."""

    def __init__(self, handle: Any, path: Path, row: Callable[[], int]):
        self.handle = handle
        self.path = path
        self.row = row  # the row number of the record being read
        self.record: list[str] = []
        self.size = 0

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line: str = self.handle.readline(MAX_ROW_CHARS + 1)
        if not line:
            raise StopIteration
        self.size += len(line)
        if self.size > MAX_ROW_CHARS:
            raise InputError([Problem(ProblemKind.ROW_TOO_LONG, str(self.path),
                                      f"the row holds more than {MAX_ROW_CHARS:,} characters; an inventory "
                                      "row is far shorter: check that this is the export", row=self.row())],
                             summary=f"cannot read {self.path}")
        self.record.append(line)
        return line

    def next_record(self) -> None:
        self.record.clear()
        self.size = 0


def _too_long(path: Path, row: int, column: int, headers: list[str]) -> InputError:
    name = headers[column] if column < len(headers) and headers[column] else f"column {column + 1}"
    return InputError([Problem(ProblemKind.FIELD_TOO_LONG, str(path),
                               f"a cell holds more than {MAX_FIELD_CHARS:,} characters, the most a spreadsheet "
                               "cell holds; shorten it in the export", row=row, column=name)],
                      summary=f"cannot read {path}")


def _long_field_column(text: str, delimiter: str) -> int:
    """Which field of a record's text is over the limit (the record is read again without it)."""
    limit = csv.field_size_limit()
    try:
        csv.field_size_limit(max(limit, len(text) + 1))
        fields = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    finally:
        csv.field_size_limit(limit)
    return next((i for i, cell in enumerate(fields) if len(cell) > MAX_FIELD_CHARS), max(len(fields) - 1, 0))


def _csv_rows(path: Path, encoding: str) -> Iterator[list[str]]:
    """Rows as typed, read as they are needed (read_table strips and keeps them by column).
    A cell over MAX_FIELD_CHARS is a problem naming its row and column."""
    headers: list[str] = []
    row = 0
    try:
        with open(path, encoding=encoding, newline="") as handle:
            lines = _Lines(handle, path, lambda: row + 1)
            first = next(lines, "")
            while first and not first.strip():  # blank lines above the header: it decides the delimiter
                row += 1
                lines.next_record()
                yield []
                first = next(lines, "")
            delimiter = _delimiter(first)
            reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter)
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:  # past the csv module's own field limit
                    if "field larger than field limit" not in str(exc):
                        raise _fail(path, f"is not readable as CSV at row {row + 1} ({exc})") from None
                    raise _too_long(path, row + 1, _long_field_column("".join(lines.record), delimiter),
                                    headers) from None
                row += 1
                lines.next_record()
                if not headers and any(map(str.strip, cells)):
                    headers = [cell.strip() for cell in cells]
                if cells and max(map(len, cells)) > MAX_FIELD_CHARS:
                    raise _too_long(path, row, next(i for i, c in enumerate(cells) if len(c) > MAX_FIELD_CHARS),
                                    headers)
                yield cells
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


def _native_csv_chunks(path: Path, encoding: str) -> tuple[list[str], Iterator[CodedChunk]]:
    """The same rows as _csv_rows, parsed in C by pyarrow (5x faster at plant scale), each column
    of a chunk as its distinct texts and a code per row (see _gathered_coded).

    Only for regular files: the first line is the header and every line has its number of
    fields (a blank line reads as a row of empty cells, as in the csv module). Anything else
    raises _Irregular and the csv module reads the file, with its padding and messages.
    """
    import pyarrow as pa
    import pyarrow.csv as arrow_csv

    with open(path, encoding=encoding, newline="") as handle:
        first = handle.readline(MAX_ROW_CHARS + 1)
    if len(first) > MAX_ROW_CHARS:
        raise _Irregular  # the csv module names the problem
    delimiter = _delimiter(first)
    header_cells = next(csv.reader([first], delimiter=delimiter), [])
    if not any(map(str.strip, header_cells)) or first.count('"') % 2:
        raise _Irregular  # a blank first line, or a header with a line break inside quotes
    names = [f"f{i}" for i in range(len(header_cells))]
    try:
        reader = arrow_csv.open_csv(
            path,
            read_options=arrow_csv.ReadOptions(column_names=names, skip_rows=1, encoding=encoding.replace("-sig", ""),
                                               block_size=NATIVE_BLOCK_BYTES),
            parse_options=arrow_csv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                                 ignore_empty_lines=False),
            # dictionary-encoded: a text repeated on many rows (a location, a unit, a status, a
            # quantity) becomes one Python string, and is stripped once
            convert_options=arrow_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.dictionary(pa.int32(), pa.string())),
                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, UnicodeDecodeError):
        raise _Irregular from None
    headers = [cell.strip() for cell in header_cells]
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)

    def chunks() -> Iterator[CodedChunk]:
        next_number = 2  # the header is row 1
        try:
            for batch in reader:
                texts = [column.dictionary.to_pylist() for column in batch.columns]
                if any(max(map(len, column), default=0) > MAX_FIELD_CHARS for column in texts):
                    raise _Irregular  # the csv module names the row and column
                codes = [column.indices.to_pylist() for column in batch.columns[:width]]
                yield list(range(next_number, next_number + batch.num_rows)), list(zip(texts, codes))
                next_number += batch.num_rows
        except (pa.ArrowInvalid, UnicodeDecodeError):
            raise _Irregular from None

    return headers, chunks()


def _gathered_coded(headers: list[str], chunks: Iterator[CodedChunk], exact: Collection[str] = ()
                    ) -> tuple[list[Sequence[str]], list[int]]:
    """What _gathered makes of the same rows, from coded chunks: each distinct text of a chunk is
    stripped (but those of the `exact` headers) and kept once, rather than every cell."""
    kept_exact = {name.casefold() for name in exact}
    exact_at = [header.casefold() in kept_exact for header in headers]
    columns: list[list[str]] = [[] for _ in headers]
    shared: list[dict[str, str]] = [{} for _ in headers]
    numbers: list[int] = []
    for chunk_numbers, coded in chunks:
        stripped = [list(map(str.strip, texts)) for texts, _ in coded]
        blank = [{code for code, text in enumerate(column) if not text} for column in stripped]
        codes = [column_codes for _, column_codes in coded]
        if all(blank):  # a row may have no cell (blank or all spaces)
            kept = [r for r, row in enumerate(zip(*codes)) if any(c not in b for c, b in zip(row, blank))]
            if len(kept) < len(chunk_numbers):
                chunk_numbers = [chunk_numbers[r] for r in kept]
                codes = [[column_codes[r] for r in kept] for column_codes in codes]
        numbers += chunk_numbers
        for index, (texts, _) in enumerate(coded):
            if not exact_at[index]:
                texts = stripped[index]
            values = list(map(shared[index].setdefault, texts, texts))  # one string per text in every chunk
            columns[index] += map(values.__getitem__, codes[index])
    return list(columns), numbers


def _gathered(headers: list[str], chunks: Iterator[Chunk], exact: Collection[str] = ()
              ) -> tuple[list[Sequence[str]], list[int]]:
    """Cells stripped (but those of the `exact` headers), rows with no cell left out, repeated
    texts kept once; by column."""
    width = len(headers)
    kept_exact = {name.casefold() for name in exact}
    exact_at = [header.casefold() in kept_exact for header in headers]
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
                raw_columns = [tuple(column[i] for i in kept) for column in raw_columns]
        numbers += chunk_numbers
        cells = [raw_columns[i] if exact_at[i] else column for i, column in enumerate(stripped)]
        for index, column in enumerate(cells):
            if shared[index] is None and len(set(column)) < len(column) // 2:
                shared[index] = {}
            known = shared[index]
            columns[index] += column if known is None else map(known.setdefault, column, column)
    return list(columns), numbers


def read_table(path: Path | str, sheet: str | None = None, exact: Collection[str] = ()) -> Table:
    """Header row first; empty rows dropped; short rows padded with ''; cells stripped, but
    those under the `exact` headers (identifiers: ' PN ' stays ' PN ').

    Rows are taken a chunk at a time and kept by column, in C loops (map, zip): a row at a
    time in Python costs seconds at plant scale. Repeated texts (locations, units, statuses,
    part numbers) are kept once, so memory grows with the distinct values, not the cells.
    """
    path = Path(path)
    if not path.is_file():
        from cyclekit.backends.reader import not_a_file

        raise _fail(path, not_a_file(path))
    suffix = path.suffix.lower()
    decimal_comma = False  # a spreadsheet stores numbers as numbers
    fractions: dict[int, frozenset[int]] = {}
    if suffix in SPREADSHEET_SUFFIXES:
        sha256 = file_sha256(path)
        rows, fractions = _spreadsheet_rows(path, sheet)
        found = _row_chunks(rows)
    elif suffix in {".csv", ".txt", ".tsv"}:
        sha256, encoding = _sha256_and_encoding(path)
        decimal_comma = _separator(path, encoding) == ";"
        found = None
        if path.stat().st_size >= NATIVE_CSV_FROM and encoding != "utf-16":
            try:
                headers, coded = _native_csv_chunks(path, encoding)
                return Table(str(path), headers, *_gathered_coded(headers, coded, exact), sha256, decimal_comma)
            except _Irregular:
                pass
        found = _row_chunks(_csv_rows(path, encoding))
    else:
        raise _fail(path, f"unsupported file type {suffix or '(none)'}; use .csv or .xlsx")
    if found is None:
        raise _fail(path, "is empty: no header row")
    headers, chunks = found
    return Table(str(path), headers, *_gathered(headers, chunks, exact), sha256, decimal_comma, fractions)
