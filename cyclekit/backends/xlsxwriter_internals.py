"""Everything cyclekit takes from xlsxwriter beyond its public API, in one module.

The fast xlsx path writes runs of rows as finished XML strings instead of a call per cell (a
call per cell was most of the time a 200,000-line results workbook took), keeps a small
workbook's rows in memory instead of a temp file per sheet, and zips at zlib level 1. xlsxwriter
has no public API for any of these, so they use the private names below, verified against
xlsxwriter VERIFIED_VERSION, which pyproject.toml pins exactly. tests/test_xlsxwriter_internals.py
fails the moment one of them changes (a name gone, a signature or the code that reads it changed):
read this list again before moving the pin.

Private names used, and why:

- ``Worksheet._write_single_row(current_row_num)``: in constant_memory mode, flushes the row
  xlsxwriter holds pending before finished rows of ours are written after it.
- ``Worksheet._check_dimensions(row, col, ignore_row, ignore_col)``: keeps the sheet's used
  range (``<dimension>``) as ``write()`` keeps it, for the rows written as XML.
- ``Worksheet.fh``, ``Worksheet.previous_row``: the stream constant_memory mode writes rows to,
  and the last row written to it.
- ``Worksheet.merge``: the list ``merge_range()`` records a merged area in; ``merge_range()``
  itself also writes the area's cells, which the finished row already holds.
- ``Worksheet._initialize(init_data)``, ``constant_memory``, ``row_data_fh``, ``_opt_close()``,
  ``_opt_reopen()``, ``_write_optimized_sheet_data()``, ``dim_rowmin``, and XMLwriter's
  ``_xml_start_tag``, ``_xml_end_tag``, ``_xml_empty_tag``: a sheet whose rows stream to a string in
  memory (xlsxwriter's ``in_memory`` option keeps the parts in memory, but not streamed rows).
- ``Format._get_xf_index()``: the style number a cell's ``s="N"`` attribute names.
- ``Workbook._store_workbook()`` and the name ``ZipFile`` it opens the file with: run with
  a ZipFile at zlib level 1 given to this call only (level 1 zips a 50,000-line workbook about
  three times faster than xlsxwriter's level 6, for a file about a quarter bigger); a small
  workbook's (in_memory) zip is a `PartsZip`, at level 1 too, which takes only what that path
  calls: ``compression``, ``writestr(zinfo, data)`` and ``close()``.
- ``Workbook._get_packager()``, and of its ``Packager``: ``_write_styles_file()``, ``_filename(name)``,
  ``workbook``, ``in_memory``, ``filenames``: a small workbook's styles part, once made, is kept
  for the next workbook whose formats are the same (`FastZipWorkbook.styles_identity`): every
  count sheet has the same styles, which took xlsxwriter longer to write than the sheet's rows.
- ``Worksheet.validations`` (the list ``data_validation()`` appends a checked validation to) and
  ``Worksheet._write_data_validation(options)``: the XML of a validation met before in this process
  (the same range, the same rule) is written again as a string: a count sheet has about 15, the
  same from one sheet to the next, and checking and writing them anew took as long as its cells.
- ``Workbook.default_format_properties``, ``formats``, ``xf_format_indices``, ``dxf_format_indices``
  and ``Format._get_format_key()``, ``_format_key``: `FastZipWorkbook.add_format_once` does what
  ``add_format()`` does with a copy of a Format made before in this process from the same
  properties (its key computed once): a count sheet's fifteen formats took longer to make than
  its cells to write.
- ``zipfile.ZipFile.fp`` (the standard library's): the file a failed write left open, closed
  quietly, else the garbage collector writes to it again and prints a second traceback.
"""

from __future__ import annotations

import io
import struct
import sys
import types
import zipfile
import zlib
from collections.abc import Callable, Hashable
from typing import Any, Literal

import xlsxwriter
import xlsxwriter.workbook
from xlsxwriter.format import Format
from xlsxwriter.packager import Packager
from xlsxwriter.worksheet import Worksheet

VERIFIED_VERSION = "3.3.1"
"""The xlsxwriter release the names above were read in (pyproject.toml pins it exactly)."""

ZIP_LEVEL = 1

# (owner, name, signature) of every private method used; the test compares them with the installed xlsxwriter
PRIVATE_METHODS: tuple[tuple[type[Any], str, str], ...] = (
    (Worksheet, "_write_single_row", "(self, current_row_num=0) -> None"),
    (Worksheet, "_check_dimensions", "(self, row: int, col: int, ignore_row=False, ignore_col=False) -> int"),
    (Worksheet, "_initialize", "(self, init_data) -> None"),
    (Worksheet, "_opt_close", "(self) -> None"),
    (Worksheet, "_opt_reopen", "(self) -> None"),
    (Worksheet, "_write_optimized_sheet_data", "(self) -> None"),
    (Worksheet, "_xml_start_tag", "(self, tag, attributes=[]) -> None"),
    (Worksheet, "_xml_end_tag", "(self, tag) -> None"),
    (Worksheet, "_xml_empty_tag", "(self, tag, attributes=[]) -> None"),
    (Worksheet, "_write_data_validation", "(self, options) -> None"),
    (Format, "_get_xf_index", "(self)"),
    (Format, "_get_format_key", "(self)"),
    (xlsxwriter.Workbook, "_store_workbook", "(self) -> None"),
    (xlsxwriter.Workbook, "_get_packager", "(self)"),
    (Packager, "_write_styles_file", "(self) -> None"),
    (Packager, "_filename", "(self, xml_filename)"),
)
# attributes of a Workbook, and of a Format, that add_format_once reads or sets
WORKBOOK_ATTRIBUTES = ("default_format_properties", "formats", "xf_format_indices", "dxf_format_indices")
FORMAT_ATTRIBUTES = ("xf_format_indices", "dxf_format_indices", "_format_key", "xf_index", "dxf_index")
# attributes a Packager has once given its workbook (see test_xlsxwriter_internals)
PACKAGER_ATTRIBUTES = ("workbook", "in_memory", "filenames")
# attributes a worksheet has once initialised in constant_memory mode
PRIVATE_ATTRIBUTES = ("fh", "previous_row", "merge", "row_data_fh", "constant_memory", "dim_rowmin", "validations")

# a validation's key (its range and rule) -> its <dataValidation> element, as xlsxwriter writes it
_VALIDATIONS: dict[Hashable, str] = {}
_VALIDATIONS_KEPT = 10_000


class StreamedRowsWorksheet(Worksheet):  # type: ignore[misc]
    """A worksheet (constant_memory mode) that takes runs of whole rows as finished XML."""

    fh: Any
    previous_row: int
    merge: list[list[int]]

    def write_rows_xml(self, first_row: int, last_row: int, last_col: int, rows: str) -> None:
        """Write finished <row> elements of rows first_row..last_row (made elsewhere) to the stream."""
        if first_row > self.previous_row:
            self._write_single_row(first_row)
        self._check_dimensions(first_row, 0)
        self._check_dimensions(last_row, last_col)
        self.fh.write(rows)
        self.previous_row = last_row  # nothing of it is pending: the rows are written whole

    def add_merge(self, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
        """Record a merged area whose cells the finished rows hold (merge_range minus its writes)."""
        self.merge.append([first_row, first_col, last_row, last_col])

    validations: list[Any]

    def add_validation(self, key: Hashable, cells: tuple[int, int, int, int],
                       options: Callable[[], dict[str, Any]]) -> None:
        """data_validation(*cells, options()), except that a validation with a key met before in this
        process is taken as the XML xlsxwriter wrote for it then. key: everything the options and
        the range are made of (equal keys, equal XML)."""
        known = _VALIDATIONS.get(key)
        if known is not None:
            self.validations.append(known)
            return
        count = len(self.validations)
        self.data_validation(*cells, options())
        if len(self.validations) == count:
            return  # refused, with xlsxwriter's warning: met again, it is refused again
        written, self.fh = self.fh, io.StringIO()
        try:
            super()._write_data_validation(self.validations[-1])
            xml = self.fh.getvalue()
        finally:
            self.fh = written
        if len(_VALIDATIONS) >= _VALIDATIONS_KEPT:
            _VALIDATIONS.clear()
        _VALIDATIONS[key] = self.validations[-1] = xml

    def _write_data_validation(self, options: dict[str, Any] | str) -> None:
        if isinstance(options, str):  # written before (add_validation)
            self.fh.write(options)
        else:
            super()._write_data_validation(options)


class InMemoryRowsWorksheet(StreamedRowsWorksheet):
    """Rows streamed to a string in memory instead of a temp file: for small workbooks (made with
    xlsxwriter's in_memory option), where making, reopening and deleting a temp file per sheet
    costs more than writing the rows."""

    constant_memory: bool
    row_data_fh: io.StringIO
    dim_rowmin: int | None

    def _initialize(self, init_data: dict[str, Any]) -> None:
        super()._initialize({**init_data, "constant_memory": False})  # no temp file made
        self.constant_memory = True
        self.row_data_fh = self.fh = io.StringIO()

    def _opt_close(self) -> None:
        pass  # nothing to close: the rows stay in memory until the sheet is assembled

    def _opt_reopen(self) -> None:
        self.fh = self.row_data_fh

    def _write_optimized_sheet_data(self) -> None:
        if self.dim_rowmin is None:
            self._xml_empty_tag("sheetData")
        else:
            self._xml_start_tag("sheetData")
            self.fh.write(self.row_data_fh.getvalue())
            self._xml_end_tag("sheetData")


def xf_index(cell_format: Any) -> int:
    """The style number of an xlsxwriter Format (given out on first use, as xlsxwriter does)."""
    return int(cell_format._get_xf_index())


class FastZipWorkbook(xlsxwriter.Workbook):  # type: ignore[misc]
    """A Workbook zipped at ZIP_LEVEL, with the zip of a failed write closed quietly.

    xlsxwriter's own packaging code runs unchanged, with its name ZipFile resolved, for this
    call only, to a ZipFile at ZIP_LEVEL: xlsxwriter.workbook.ZipFile is never replaced.

    styles_identity: set by the caller who made every format of the workbook, a function giving
    what its styles part is made of (each format's properties, in order, with the index each
    was given): two workbooks with equal identities have the same styles part, made once."""

    styles_identity: Callable[[], Hashable] | None = None

    def add_format_once(self, properties: dict[str, Any]) -> Format:
        """add_format(properties): a copy of the Format made from the same properties before in
        this process (before it was given an index), tied to this workbook's indices."""
        merged = {**self.default_format_properties, **properties}
        key = tuple((name, type(value), value) for name, value in merged.items())  # True and 1 are written apart
        made = _FORMATS.get(key)
        if made is None:
            made = Format(merged)
            made._get_format_key()  # kept with it: what the key is made of is set here, once
            if len(_FORMATS) >= _FORMATS_KEPT:
                _FORMATS.clear()
            _FORMATS[key] = made
        fmt: Format = Format.__new__(Format)
        fmt.__dict__.update(made.__dict__)
        fmt.xf_format_indices, fmt.dxf_format_indices = self.xf_format_indices, self.dxf_format_indices
        self.formats.append(fmt)
        return fmt

    def _get_packager(self) -> Packager:
        return _StylesKeepingPackager()

    def _store_workbook(self) -> None:
        opened: list[zipfile.ZipFile | PartsZip] = []

        def zip_file(file: Any, mode: Literal["w"], compression: int = zipfile.ZIP_DEFLATED,
                     allowZip64: bool = True) -> zipfile.ZipFile | PartsZip:  # what xlsxwriter passes
            archive: zipfile.ZipFile | PartsZip
            if self.in_memory:
                archive = PartsZip(file)
            else:
                archive = zipfile.ZipFile(file, mode, compression=compression, allowZip64=allowZip64,
                                          compresslevel=ZIP_LEVEL)
            opened.append(archive)
            return archive

        store = xlsxwriter.Workbook._store_workbook
        names = {**store.__globals__, "ZipFile": zip_file}
        try:
            types.FunctionType(store.__code__, names, store.__name__, store.__defaults__, store.__closure__)(self)
        except BaseException:
            for archive in opened:
                _close_quietly(archive)
            raise


def _close_quietly(archive: zipfile.ZipFile | PartsZip) -> None:
    """Close the file under a zip a failed write left open: left to the garbage collector, the zip
    would try to write again and print a traceback (the disk is still full) after the one-line error."""
    handle, archive.fp = archive.fp, None
    if handle is not None:
        try:
            handle.close()
        except OSError:
            pass


# part -> its CRC-32 and deflated bytes: the parts every count sheet shares (theme, styles,
# relationships...) are deflated once per process; a workbook's own sheets are not kept
_DEFLATED: dict[bytes, tuple[int, bytes]] = {}
_DEFLATED_KEPT = 64
_NOT_KEPT = ("xl/worksheets/sheet", "docProps/core.xml")
_LOCAL = struct.Struct("<4s2B4HL2L2H")  # zipfile's structFileHeader
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")  # structCentralDir
_END = struct.Struct("<4s4H2LH")  # structEndArchive
_MADE_ON = 0 if sys.platform == "win32" else 3  # ZipInfo.create_system
_READ_WRITE = 0o600 << 16  # the mode zipfile gives a part written from memory


class PartsZip:
    """The zip of a small workbook, byte for byte what zipfile writes for xlsxwriter's in_memory
    path (`ZipFile.writestr` of each part with its own ZipInfo, no zip64) at ZIP_LEVEL, written
    whole at close. Faster: a part met before in this process (the theme, the styles, the
    relationships of the previous count sheet) is not deflated again, and zipfile's per-part
    bookkeeping is left out. (xlsxwriter's own path deflated these parts at zlib's default level,
    6: level 1 takes about half the time for a file about an eighth bigger.)"""

    compression = zipfile.ZIP_DEFLATED

    def __init__(self, file: Any):
        self.file = file  # a path, or a file object (xlsxwriter takes either)
        self.fp: Any = None  # nothing held open between calls (see _close_quietly)
        self.parts: list[tuple[bytes, tuple[int, ...], int, bytes, int]] = []

    def writestr(self, zinfo: zipfile.ZipInfo, data: bytes) -> None:
        crc, deflated = _deflated(data, zinfo.filename.startswith(_NOT_KEPT))
        self.parts.append((zinfo.filename.encode("ascii"), zinfo.date_time, crc, deflated, len(data)))

    def close(self) -> None:
        local, central = [], []
        offset = 0
        for name, when, crc, deflated, size in self.parts:
            day = (when[0] - 1980) << 9 | when[1] << 5 | when[2]
            time = when[3] << 11 | when[4] << 5 | when[5] // 2
            local += [_LOCAL.pack(b"PK\003\004", 20, 0, 0, zipfile.ZIP_DEFLATED, time, day, crc, len(deflated),
                                  size, len(name), 0), name, deflated]
            central += [_CENTRAL.pack(b"PK\001\002", 20, _MADE_ON, 20, 0, 0, zipfile.ZIP_DEFLATED, time, day, crc,
                                      len(deflated), size, len(name), 0, 0, 0, 0, _READ_WRITE, offset), name]
            offset += _LOCAL.size + len(name) + len(deflated)
        directory = b"".join(central)
        data = b"".join([*local, directory, _END.pack(b"PK\005\006", 0, 0, len(self.parts), len(self.parts),
                                                      len(directory), offset, 0)])
        if hasattr(self.file, "write"):
            self.file.write(data)
        else:
            with open(self.file, "wb") as out:
                out.write(data)


def _deflated(data: bytes, own: bool) -> tuple[int, bytes]:
    """CRC-32 and raw deflate of a part at ZIP_LEVEL, as zipfile makes them."""
    known = None if own else _DEFLATED.get(data)
    if known is None:
        deflate = zlib.compressobj(ZIP_LEVEL, zlib.DEFLATED, -15)
        known = (zlib.crc32(data), deflate.compress(data) + deflate.flush())
        if not own:
            if len(_DEFLATED) >= _DEFLATED_KEPT:
                _DEFLATED.clear()
            _DEFLATED[data] = known
    return known


_FORMATS: dict[Hashable, Format] = {}  # a format's properties -> a Format made from them, never indexed
_FORMATS_KEPT = 1000
_STYLES: dict[Hashable, str] = {}  # styles identity -> the styles part (small workbooks)
_STYLES_KEPT = 16


class _StylesKeepingPackager(Packager):  # type: ignore[misc]
    """xlsxwriter's Packager, but a small workbook's styles part is written from memory when a
    workbook with the same styles identity was packaged before in this process."""

    def _write_styles_file(self) -> None:
        identity = getattr(self.workbook, "styles_identity", None)
        key = identity() if identity is not None and self.in_memory else None
        known = None if key is None else _STYLES.get(key)
        if known is not None:
            self._filename("xl/styles.xml").write(known)
            return
        super()._write_styles_file()
        if key is not None:
            if len(_STYLES) >= _STYLES_KEPT:
                _STYLES.clear()
            _STYLES[key] = self.filenames[-1][0].getvalue()  # the part just written, in memory
