"""Read a workbook's tabs back as plain rows of values (python-calamine: values only, fast).

Formula cells give the value last calculated by whoever saved the file (cyclekit writes
it with every formula; Excel and LibreOffice refresh it on save). A formula saved without a
value (some tools store none) reads as blank: `blank_formulas` says where they are.

Every workbook is checked before calamine sees it (`safe_xlsx`): sizes, compression and how
far each tab's values reach, against `[limits]`; calamine's own errors (damaged XML, a panic)
become a problem naming the file, never a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cyclekit.backends.safe_xlsx import MB, Refused, WorkbookScan, check_reach, scan_workbook
from cyclekit.config import LimitsConfig
from cyclekit.errors import InputError, Problem

ZIP_START = b"PK\x03\x04"  # every .xlsx is a zip archive
OLE_START = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls), or an .xlsx with a password

_limits = LimitsConfig()


def use_limits(limits: LimitsConfig) -> None:
    """The limits every workbook opened from now on is held to (a command sets its config's)."""
    global _limits
    _limits = limits


def current_limits() -> LimitsConfig:
    return _limits


def not_a_file(path: Path) -> str:
    """Why a path given as a file cannot be read as one (a pipe would block a read for ever)."""
    if path.is_dir():
        return "is a folder, not a file: give the file itself"
    if path.exists():
        return "is not a regular file (a pipe or a device): save the file itself and give its path"
    return "file not found"


def _why_unreadable(path: Path, exc: BaseException) -> str:
    """What is wrong with a file calamine refused, from its first bytes: calamine's own message
    ("invalid Zip archive", "Invalid OLE") means nothing to an inventory lead."""
    try:
        with open(path, "rb") as handle:
            start = handle.read(len(OLE_START))
    except OSError:  # no bytes to look at: calamine's message says why
        return f"is not a readable workbook ({exc})"
    if not start:
        return "is an empty file (0 bytes), not a workbook"
    if start == OLE_START and path.suffix.lower() != ".xls":
        return ("is an old Excel 97-2003 (.xls) file or has a password, though named "
                f"{path.suffix or '(no suffix)'}: open it in Excel and save it as .xlsx without a password")
    if not start.startswith((ZIP_START, OLE_START)):
        return "is not an Excel workbook: open it in Excel and save it as .xlsx"
    return f"is damaged and cannot be read ({_short(exc)}): open it in Excel and save it again"


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _refused(path: Path, message: str) -> InputError:
    return InputError([Problem("file", str(path), message)], summary=f"cannot read {path}")


def _is_zip(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(len(ZIP_START)) == ZIP_START
    except OSError:
        return False


def checked_scan(path: Path, limits: LimitsConfig | None = None) -> WorkbookScan | None:
    """The safety scan of a workbook (None for an old .xls, which is not an archive): raises
    InputError naming the file when it is beyond a limit or damaged."""
    limits = limits or _limits
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _refused(path, f"cannot be read ({exc.strerror or exc})") from None
    if size > limits.workbook_mb * MB:
        raise _refused(path, f"is larger than {limits.workbook_mb} MB, the limit set by limits.workbook_mb")
    if not _is_zip(path):
        if path.suffix.lower() == ".xls" and size:
            return None  # Excel 97-2003: no archive to inflate; its size is bounded above
        raise _refused(path, _why_unreadable(path, ValueError("not a zip archive")))
    try:
        return scan_workbook(str(path), limits)
    except Refused as exc:
        raise _refused(path, str(exc)) from None
    except OSError as exc:
        raise _refused(path, f"cannot be read ({exc.strerror or exc})") from None


def open_calamine(path: Path) -> Any:
    """calamine's workbook, any error it raises (a Rust panic included) as InputError."""
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_path(str(path))
    except BaseException as exc:  # calamine has its own error types for damaged files
        _reraise_interrupts(exc)
        raise _refused(path, _why_unreadable(path, exc)) from None


def _reraise_interrupts(exc: BaseException) -> None:
    """A Rust panic in calamine arrives as pyo3's PanicException, which derives from BaseException
    (and its module exists only once a panic happened): every other BaseException goes on."""
    if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
        raise exc


def sheet_values(book: Any, path: Path, tab: str, limits: LimitsConfig) -> list[list[Any]]:
    """The tab's values from A1; its reach checked again as calamine read it (an .xls, which is
    not scanned, is held to the limits here, before the rectangle from A1 is filled out)."""
    try:
        sheet = book.get_sheet_by_name(tab)
        end = sheet.end
        if end is not None:
            check_reach(end[0] + 1, end[1] + 1, limits, f"tab {tab!r}")
        rows: list[list[Any]] = sheet.to_python(skip_empty_area=False)
        return rows
    except Refused as exc:
        raise _refused(path, str(exc)) from None
    except BaseException as exc:
        _reraise_interrupts(exc)
        raise _refused(path, f"tab {tab!r} is damaged and cannot be read ({_short(exc)}): "
                             "open it in Excel and save it again") from None


class WorkbookReader:
    def __init__(self, path: Path | str, limits: LimitsConfig | None = None):
        self.path = Path(path)
        if not self.path.is_file():
            raise InputError([Problem("file", str(self.path), not_a_file(self.path))],
                             summary=f"cannot read {self.path}")
        self.limits = limits or _limits
        self._scan = checked_scan(self.path, self.limits)
        self._book = open_calamine(self.path)

    @property
    def tabs(self) -> list[str]:
        return list(self._book.sheet_names)

    def rows(self, tab: str) -> list[list[Any]]:
        if tab not in self._book.sheet_names:
            raise InputError([Problem("missing-tab", str(self.path),
                                      f"has no tab {tab!r} (tabs: {', '.join(self.tabs)})")],
                             summary=f"cannot read {self.path}")
        if self._scan is not None:
            reach = self._scan.reach(tab)
            try:
                check_reach(reach.rows, reach.columns, self.limits, f"tab {tab!r}")
            except Refused as exc:
                raise _refused(self.path, str(exc)) from None
        return sheet_values(self._book, self.path, tab, self.limits)

    def blank_formulas(self, tab: str) -> set[tuple[int, int]]:
        """Zero-based (row, column) of the tab's formulas saved without a value."""
        return set() if self._scan is None else self._scan.reach(tab).blank_formulas
