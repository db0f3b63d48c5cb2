"""Where a command's workbooks live: an xlsx file on this machine, or a Google spreadsheet.

The stages ask a `WorkbookTarget` to read, keep a copy of and write a workbook, and never ask
which kind it is: `workbook_at` resolves a name as a user gives it (a path, 'google:<id>' or a
spreadsheet URL) to one. The Google kind wraps backends.gsheets, called through the module (so
a test can stand in for one of its functions); gspread, an optional extra, is needed only once a
request is made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from cyclekit.atomic import keep_a_copy
from cyclekit.backends import gsheets
from cyclekit.backends.gsheets import GOOGLE_PREFIX, GoogleFile, GoogleTarget, google_id
from cyclekit.backends.reader import WorkbookReader
from cyclekit.backends.spec import WorkbookSpec
from cyclekit.backends.xlsx import render_xlsx
from cyclekit.errors import CyclekitError

__all__ = ["GOOGLE_PREFIX", "GoogleSpreadsheet", "TabReader", "WorkbookTarget", "Written", "XlsxFile",
           "new_spreadsheet", "workbook_at", "workbook_to_write"]
SCHEDULE_STAMP = "%Y%m%d-%H%M%S"  # a schedule's copy: <name>-<date>-<time>.xlsx


class TabReader(Protocol):
    """A workbook open for reading, tab by tab: a local xlsx file or a Google spreadsheet."""

    @property
    def path(self) -> Path | str: ...

    @property
    def tabs(self) -> list[str]: ...

    def rows(self, tab: str) -> list[list[Any]]: ...


@dataclass(frozen=True)
class Written:
    """A workbook just written: where it is, and for a spreadsheet what a manifest records of it."""

    address: Path | str  # the file, or the spreadsheet's URL
    spreadsheet_id: str = ""
    tabs: tuple[str, ...] = ()
    requests: int = 0  # API requests the write made

    @property
    def name(self) -> str:
        """How commands name it again: the file's path, or 'google:<id>'."""
        return f"{GOOGLE_PREFIX}{self.spreadsheet_id}" if self.spreadsheet_id else str(self.address)

    def record(self) -> dict[str, Any]:
        """A spreadsheet as the cycle's manifest records it (manifest.google)."""
        return {"id": self.spreadsheet_id, "url": str(self.address), "tabs": list(self.tabs),
                "requests": self.requests}


class WorkbookTarget(Protocol):
    """One workbook a command reads, replaces or creates."""

    @property
    def name(self) -> str:
        """As the user named it: a path, or 'google:<id>'."""

    @property
    def file(self) -> Path | None:
        """The file on this machine (None for a spreadsheet): what a local commit writes itself."""

    def exists(self) -> bool: ...

    def read(self) -> TabReader: ...

    def keep_backup(self, label: str) -> Path | None:
        """Keep a copy of the workbook as it is, before a write replaces it; the path of a local copy."""

    def write(self, spec: WorkbookSpec, *, share_with: Iterable[str] = ()) -> Written:
        """Write `spec` over the workbook (or create it); share_with: e-mails given writer access to a
        new spreadsheet."""


def keep_schedule_copy(path: Path) -> Path | None:
    """The schedule about to be replaced, copied beside it as <name>-<date>-<time>.xlsx (never over
    an earlier copy): what people typed is never lost, even to a mistaken run."""
    return keep_a_copy(path, SCHEDULE_STAMP)


@dataclass
class XlsxFile:
    """An xlsx workbook on this machine, written atomically; its copies beside it, stamped."""

    path: Path
    copy: Callable[[Path], Path | None] = field(default_factory=lambda: keep_schedule_copy)

    @property
    def name(self) -> str:
        return str(self.path)

    @property
    def file(self) -> Path | None:
        return self.path

    def exists(self) -> bool:
        return self.path.exists()

    def read(self) -> TabReader:
        return WorkbookReader(self.path)

    def keep_backup(self, label: str) -> Path | None:
        """The label is for a spreadsheet's copy: a file's copy is named by the time it was made."""
        return self.copy(self.path)

    def write(self, spec: WorkbookSpec, *, share_with: Iterable[str] = ()) -> Written:
        return Written(render_xlsx(spec, self.path))


@dataclass
class GoogleSpreadsheet:
    """A Google spreadsheet (`spreadsheet_id` None: one this target's write creates). A write over an
    existing one keeps its id, URL and sharing; its copy, asked for by keep_backup, is made by the
    write itself, just before it replaces the tabs: a write refused leaves no copy behind."""

    google: GoogleTarget
    spreadsheet_id: str | None = None
    known_tabs: list[str] | None = None  # the tabs to read, when known: saves a metadata request
    _backup_name: str | None = field(default=None, init=False, repr=False)  # see keep_backup

    @property
    def name(self) -> str:
        return f"{GOOGLE_PREFIX}{self.spreadsheet_id or ''}"

    @property
    def file(self) -> Path | None:
        return None

    def exists(self) -> bool:
        return self.spreadsheet_id is not None

    def read(self) -> TabReader:
        if self.spreadsheet_id is None:
            raise CyclekitError("a spreadsheet not yet created cannot be read")
        tabs = self.known_tabs if self.known_tabs is not None else gsheets.metadata_tabs(
            self.google.session, self.spreadsheet_id)
        return gsheets.GoogleReader(self.google.session, self.spreadsheet_id, tabs)

    def keep_backup(self, label: str) -> Path | None:
        self._backup_name = label
        return None

    def write(self, spec: WorkbookSpec, *, share_with: Iterable[str] = ()) -> Written:
        made: GoogleFile
        if self.spreadsheet_id:
            made = gsheets.replace_gsheets(spec, self.google.session, self.spreadsheet_id,
                                           backup_name=self._backup_name)
        else:
            emails = sorted(set(share_with) | set(self.google.share_with))
            made = gsheets.render_gsheets(spec, self.google.session, folder_id=self.google.folder_id,
                                  share_with=[(email, "writer") for email in emails])
            self.spreadsheet_id = made.spreadsheet_id
        return Written(made.url, made.spreadsheet_id, tuple(made.tabs), made.requests)


def workbook_at(name: Path | str, google: GoogleTarget | None,
                needs_google: str = "give --format gsheets and credentials") -> WorkbookTarget:
    """The workbook a user named: a Google spreadsheet by 'google:<id>' or its URL (which needs
    `google`: else the error says `needs_google`), else a file."""
    spreadsheet = google_id(str(name))
    if spreadsheet is None:
        return XlsxFile(Path(name))
    if google is None:
        raise CyclekitError(f"{name} is a Google spreadsheet: {needs_google}")
    return GoogleSpreadsheet(google, spreadsheet)


def workbook_to_write(name: Path | str, google: GoogleTarget | None, what: str) -> WorkbookTarget:
    """Where a command writes `what`: with `google`, over the spreadsheet `name` names ('google:<id>'
    or its URL), else to a new one; without, to an .xlsx file (a spreadsheet's name is refused: it
    needs credentials)."""
    if google is not None:
        return GoogleSpreadsheet(google, google_id(str(name)))
    if "docs.google.com/" in str(name) or str(name).startswith(GOOGLE_PREFIX):
        raise CyclekitError(f"{name} is a Google spreadsheet: add --format gsheets (and credentials) to write it")
    if Path(name).suffix.lower() != ".xlsx":
        raise CyclekitError(f"{name}: {what} is an Excel workbook; give a file name ending in .xlsx")
    return XlsxFile(Path(name))


def new_spreadsheet(google: GoogleTarget | None) -> WorkbookTarget | None:
    """Where a command's new workbook goes when it writes to Google Sheets (None: to files)."""
    return None if google is None else GoogleSpreadsheet(google)


def default_google() -> GoogleTarget:
    """A Google session with the default credentials: where a cycle's count sheets already are in
    Google Sheets, they are read there whatever format the command writes in."""
    return gsheets.signed_in()
