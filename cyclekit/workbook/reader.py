"""Read a workbook's tabs back as plain rows of values (python-calamine: values only, fast).

Formula cells give the value last calculated by whoever saved the file (cyclekit writes
it with every formula; Excel and LibreOffice refresh it on save).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cyclekit.errors import InputError, Problem

ZIP_START = b"PK\x03\x04"  # every .xlsx is a zip archive
OLE_START = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls), or an .xlsx with a password


def _why_unreadable(path: Path, exc: Exception) -> str:
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
    return f"is not a readable workbook ({exc})"


class WorkbookReader:
    def __init__(self, path: Path | str):
        from python_calamine import CalamineWorkbook

        self.path = Path(path)
        if not self.path.is_file():
            raise InputError([Problem("file", str(self.path), "file not found")],
                             summary=f"cannot read {self.path}")
        try:
            self._book = CalamineWorkbook.from_path(str(self.path))
        except Exception as exc:  # calamine has its own error types for damaged files
            raise InputError([Problem("file", str(self.path), _why_unreadable(self.path, exc))],
                             summary=f"cannot read {self.path}") from None

    @property
    def tabs(self) -> list[str]:
        return list(self._book.sheet_names)

    def rows(self, tab: str) -> list[list[Any]]:
        if tab not in self._book.sheet_names:
            raise InputError([Problem("missing-tab", str(self.path),
                                      f"has no tab {tab!r} (tabs: {', '.join(self.tabs)})")],
                             summary=f"cannot read {self.path}")
        return self._book.get_sheet_by_name(tab).to_python(skip_empty_area=False)
