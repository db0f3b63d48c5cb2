"""Read a workbook's tabs back as plain rows of values (python-calamine: values only, fast).

Formula cells give the value last calculated by whoever saved the file (cyclekit writes
it with every formula; Excel and LibreOffice refresh it on save).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cyclekit.errors import InputError, Problem


class WorkbookReader:
    def __init__(self, path: Path | str):
        from python_calamine import CalamineWorkbook

        self.path = Path(path)
        try:
            self._book = CalamineWorkbook.from_path(str(self.path))
        except Exception as exc:  # calamine has its own error types for damaged files
            raise InputError([Problem("file", str(self.path), f"is not a readable workbook ({exc})")],
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
