"""`cyclekit ingest`: read filled sheets back, validate every entry, write the results.

Sheets are matched to locations through the manifest (cycle id and sheet id printed on
each sheet), never through file names: people e-mail sheets back under new names.
Problems are collected, not raised: a line with a problem is not counted, and the
Problems tab says why.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cyclekit import progress
from cyclekit.backends.reader import WorkbookReader, not_a_file, use_limits
from cyclekit.backends.spec import WorkbookSpec, a1
from cyclekit.backends.targets import (
    GOOGLE_PREFIX,
    GoogleSpreadsheet,
    TabReader,
    WorkbookTarget,
    XlsxFile,
    default_google,
    new_spreadsheet,
)
from cyclekit.config import Config
from cyclekit.domain.lines import LineId, sheet_label, unit_key
from cyclekit.domain.movements import MovementUse, apply_movements
from cyclekit.domain.values import (
    AmbiguousNumber,
    QuantityError,
    cell_text,
    format_decimal,
    parse_quantity,
    readable,
    show_spaces,
    unshow_spaces,
)
from cyclekit.domain.variance import (
    NOT_SIGNED,
    CountedLine,
    Figures,
    figures,
    sheet_counters,
    with_sheet_counters,
)
from cyclekit.errors import CycleError, CyclekitError, InputError, Problem
from cyclekit.folder.counts import counts_key, save_counts
from cyclekit.folder.cycle import (
    RESULTS,
    RETURNED,
    CountsRecord,
    FrozenInventory,
    IngestRecord,
    Manifest,
    SheetRecord,
    SnapshotLine,
    SourceFile,
    changed_sheets_error,
    changed_since_ingest,
    keep_returned,
    load_manifest,
    read_frozen,
    recorded_path,
    save_manifest,
    source_path,
)
from cyclekit.folder.lock import holds_cycle_lock
from cyclekit.folder.mail_replies import forget_dropped, take_mailed_sheets
from cyclekit.inputs.movements import MovementsFile, read_movements
from cyclekit.inputs.tables import file_sha256
from cyclekit.layouts.count_sheet import (
    HEADERS,
    Entry,
    FilledSheet,
    altered_fields,
    location_views,
    parse_sheet,
    whole_units,
)
from cyclekit.layouts.results_carry import PreviousResults
from cyclekit.parallel import in_forked_copy, map_on_cores

if TYPE_CHECKING:
    from cyclekit.backends.gsheets import GoogleTarget

Source = Path | TabReader  # a filled workbook: a file, or the count sheets in Google Sheets

DEFAULT_FOLDERS = ("sheets", "packets", "recounts")
PARALLEL_FROM = 50  # files: below this, starting worker processes costs more than it saves


@dataclass
class IngestReport:
    results: Path
    sheets_read: int  # sheets with anything filled in
    figures: Figures
    problems: list[Problem]
    recount_files: list[Path] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # locations with no sheet returned
    url: str = ""  # the results in Google Sheets, when written there
    pdfs: list[Path] = field(default_factory=list)  # the new recount workbooks, to print
    open_problems: list[Problem] = field(default_factory=list)  # not fixed by a recount nor resolved
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was carried and kept: information, not warnings


def ingest_sources(cycle_dir: Path, manifest: Manifest, files: list[Path] | None, google: GoogleTarget | None,
                   problems: list[Problem] | None = None) -> tuple[list[Source], set[str], list[str], dict[Path, Path]]:
    """What an ingest reads: the files named now (or, with none named, the cycle's folders or its
    Google sheets), plus every file the last ingest read: a sheet returned late adds to the
    counts, it never replaces them. Also: the names of the files named now (their sheets win
    over an earlier copy of the same sheet), earlier files that are gone, and the copies made
    now of files from outside the cycle folder (copy -> the file as given). A message (.eml) or a
    folder of them stands for its xlsx attachments; what is wrong with one goes to `problems`."""
    made: dict[Path, Path] = {}
    if files:
        # a file named twice is one file; one from outside the cycle folder is read from its copy in it
        before = set((cycle_dir / RETURNED).iterdir()) if (cycle_dir / RETURNED).is_dir() else set()
        mailed = take_mailed_sheets(cycle_dir, files, manifest)
        files = mailed.files
        (problems if problems is not None else []).extend(mailed.problems)
        kept = {Path(f): keep_returned(cycle_dir, f) for f in files}
        # resolved once, not once per file given (a thousand files made a million resolves)
        returned_dir, there_before = (cycle_dir / RETURNED).resolve(), {p.resolve() for p in before}
        made = {copy: given for given, copy in kept.items() if copy.parent == returned_dir and copy not in there_before}
        made.update({copy: Path(shown) for copy, shown in mailed.shown.items() if copy in made})
        named_paths = list(dict.fromkeys(kept.values()))
        sources: list[Source] = list(named_paths)
    elif "count_sheets" in manifest.google:
        named_paths = []
        sources = google_sources(cycle_dir, manifest, google)
    else:
        named_paths = []
        sources = [*default_files(cycle_dir)]
    if files and "count_sheets" in manifest.google:
        sources = [*google_sources(cycle_dir, manifest, google)[:1], *sources]
    taken = {Path(s).resolve() for s in sources if not hasattr(s, "rows")}
    gone = []
    for entry in manifest.ingests[-1].files if manifest.ingests else []:
        if entry.file.startswith(GOOGLE_PREFIX):
            continue  # read again above whenever the count sheets live in Google Sheets
        path = source_path(cycle_dir, entry.file)
        if not path.is_file():
            gone.append(entry.file)
        elif path.resolve() not in taken:
            taken.add(path.resolve())
            sources.append(path.resolve())
    return sources, {str(p) for p in named_paths}, gone, made


def _keep_only_accepted(made: dict[Path, Path], accepted: list[tuple[FilledSheet, SheetRecord]],
                        paths: list[Source], problems: list[Problem]) -> tuple[list[Source], list[Problem]]:
    """A file given from elsewhere stays with the cycle only if it holds a sheet of the cycle: any
    other (another cycle's sheet, a document, a link to a system file) is not copied in, and its
    problems name it where it was given."""
    holding = {Path(sheet.file).resolve() for sheet, _ in accepted}
    dropped = {copy: given for copy, given in made.items() if copy not in holding}
    for copy in dropped:
        copy.unlink(missing_ok=True)
    paths = [p for p in paths if not (isinstance(p, Path) and p.resolve() in dropped)]
    given = {str(copy): str(original) for copy, original in dropped.items()}
    return paths, [replace(p, file=given.get(p.file, p.file)) for p in problems]


def default_files(cycle_dir: Path) -> list[Path]:
    files: list[Path] = []
    for folder in DEFAULT_FOLDERS:
        files += sorted(p for p in (cycle_dir / folder).glob("*.xlsx") if not p.name.startswith((".", "~$")))
    return files


def _has_input(sheet: FilledSheet) -> bool:
    return (any(e.floor_count is not None or e.unreadable for e in sheet.entries) or bool(sheet.found)
            or bool(sheet.confirmed_empty) or bool(sheet.counted_by)
            or bool(sheet.problems))  # written outside the layout: still written


def _parse_source(source: Any) -> tuple[str, list[FilledSheet], list[Problem], str | None]:
    """Every cyclekit count sheet among the tabs of one workbook (an xlsx path or an open reader),
    the problems met reading it (a file beyond the limits or damaged: a tab that cannot be read
    is a problem, the other tabs are still read), and the file's digest (None for a reader): the
    worker that reads a file hashes it too."""
    try:
        reader = source if hasattr(source, "rows") else WorkbookReader(source)
    except InputError as exc:
        return str(source), [], exc.problems, None
    path = str(reader.path)
    sheets, problems = [], []
    for tab in reader.tabs:
        try:
            rows = reader.rows(tab)
        except InputError as exc:
            problems += exc.problems
            continue
        blank_formulas = reader.blank_formulas(tab) if hasattr(reader, "blank_formulas") else ()
        sheet = parse_sheet(rows, path, tab, blank_formulas)
        if sheet is not None:
            sheets += location_views(sheet)  # a part's sheet: each location's lines as its own sheet
    return path, sheets, problems, None if reader is source else file_sha256(reader.path)


def _parse_sources(sources: Sequence[Source]) -> list[tuple[str, list[FilledSheet], list[Problem], str | None]]:
    """Files are read on every core when there are many (a thousand sheets back in one go)."""
    files = [s for s in sources if not hasattr(s, "rows")]  # open readers (Google) stay here
    parsed = dict(zip(files, map_on_cores(_parse_source, files, "Reading sheets", PARALLEL_FROM), strict=True))
    return [parsed[s] if s in parsed else _parse_source(s) for s in sources]


def read_filled_sheets(sources: Sequence[Source], manifest: Manifest, problems: list[Problem],
                       digests: dict[str, str] | None = None, named: AbstractSet[str] = frozenset()
                       ) -> list[tuple[FilledSheet, SheetRecord]]:
    """Every count and recount tab of the sources (xlsx paths or open readers), checked against
    the manifest; `digests` gets each file's sha256, by path. A sheet in a file of `named` (given
    just now) wins over a copy of it in another file (read before)."""
    found: dict[str, list[FilledSheet]] = {}
    records = manifest.sheets_by_id()
    for path, sheets, read_problems, digest in _parse_sources(sources):
        if digests is not None and digest:
            digests[path] = digest
        problems.extend(read_problems)
        if read_problems and not sheets:
            continue
        for sheet in sheets:
            tab = sheet.tab
            record = records.get(sheet.sheet_id)
            if sheet.cycle_id != manifest.cycle_id:
                problems.append(Problem("other-cycle", path, (
                    f"sheet belongs to cycle {sheet.cycle_id or '(none)'}, not to this cycle "
                    f"{manifest.cycle_id}; it was not used"), sheet=tab, value=sheet.cycle_id))
            elif record is None:
                problems.append(Problem("unknown-sheet", path,
                                        f"sheet id {sheet.sheet_id!r} is not in this cycle; it was not used",
                                        sheet=tab, value=sheet.sheet_id))
            elif sheet.labels.get("Location", show_spaces(record.location)) != show_spaces(record.location):
                problems.append(Problem("altered-sheet", path, (
                    f"sheet {record.sheet_id} is for location {record.location}, but it says "
                    f"{sheet.labels.get('Location')!r}; it was not used"), sheet=tab))
            else:
                found.setdefault(record.sheet_id, []).append(sheet)
        if not sheets:
            problems.append(Problem("not-a-count-sheet", path,
                                    "has no cyclekit count sheet (no Cycle and Sheet in the header)"))
    if named and not any(c.file in named for copies in found.values() for c in copies):
        raise InputError([p for p in problems if p.file in named],
                         summary=f"none of the files given holds a count sheet of cycle {manifest.cycle_id}; "
                                 "nothing was changed")
    return _one_copy_each(found, manifest.sheets_by_id(), named, problems)


def _one_copy_each(found: dict[str, list[FilledSheet]], records: dict[str, SheetRecord], named: AbstractSet[str],
                   problems: list[Problem]) -> list[tuple[FilledSheet, SheetRecord]]:
    """The copy of each sheet to use: the one given now, the one filled in (copies saying the same
    are one); two filled differently are a problem, and neither is used."""
    accepted = []
    for sheet_id, copies in found.items():
        if named and any(c.file in named for c in copies):
            copies = [c for c in copies if c.file in named]
        filled = [c for c in copies if _has_input(c)]
        if len(filled) > 1:
            filled = list({_what_it_says(c): c for c in filled}.values())  # copies alike are one
        if len(filled) > 1:
            names = ", ".join(f"{c.file} [{c.tab}]" for c in filled)
            problems.append(Problem("duplicate-sheet", filled[1].file, (
                f"location {records[sheet_id].location} (sheet {sheet_id}) was returned "
                f"twice, filled in both: {names}; neither was used. Keep one copy and ingest again"),
                sheet=filled[1].tab))
            continue
        chosen = filled[0] if filled else copies[0]
        accepted.append((chosen, records[sheet_id]))
    return accepted


def _what_it_says(sheet: FilledSheet) -> tuple[object, ...]:
    """What was written on a sheet: two files saying the same are the same count."""
    return (tuple((e.line_no, cell_text(e.floor_count), e.notes) for e in sheet.entries),
            tuple((e.part_number, e.revision, e.lot, cell_text(e.floor_count), e.notes) for e in sheet.found),
            sheet.confirmed_empty.strip().upper(), sheet.counted_by, cell_text(sheet.counted_on), sheet.checked_by,
            tuple((p.cell, p.value) for p in sheet.problems))  # what was written outside the layout too


def _quantity(entry: Entry, sheet: FilledSheet, uom: str, whole_uoms: tuple[str, ...],
              problems: list[Problem], line_id: str | None = None) -> Decimal | None:
    if entry.unreadable:
        problems.append(Problem("bad-count", sheet.file, f"Floor Count {entry.unreadable}; the line was not "
                                "counted", sheet=sheet.tab, cell=a1(entry.row, entry.floor_col), line_id=line_id))
        return None
    if entry.floor_count is None:
        return None
    whole = whole_units(uom, whole_uoms)
    try:  # a sheet says nothing of its decimal mark: '228,461' m reads two ways and is asked about
        quantity = parse_quantity(entry.floor_count, separator=None, whole=whole)
    except AmbiguousNumber as exc:
        problems.append(Problem("ambiguous-count", sheet.file, (
            f"Floor Count {exc}; write it without a thousands separator (e.g. "
            f"{format_decimal(exc.readings['.'])} or {format_decimal(exc.readings[','])}); the line was not counted"),
            sheet=sheet.tab, cell=a1(entry.row, entry.floor_col), value=cell_text(entry.floor_count),
            line_id=line_id))
        return None
    except (QuantityError, ValueError, ArithmeticError) as exc:  # 5,000 digits: int() and Decimal refuse
        why = exc if isinstance(exc, QuantityError) else "is not a number that can be read"
        problems.append(Problem("bad-count", sheet.file, f"Floor Count {why}; the line was not counted",
                                sheet=sheet.tab, cell=a1(entry.row, entry.floor_col),
                                value=cell_text(entry.floor_count)[:100], line_id=line_id))
        return None
    if quantity != quantity.to_integral_value() and whole:
        problems.append(Problem("fraction-of-whole-unit", sheet.file,
                                f"Floor Count is a fraction but the unit is {uom!r}, counted whole; "
                                "the line was not counted", sheet=sheet.tab, cell=a1(entry.row, entry.floor_col),
                                value=cell_text(entry.floor_count), line_id=line_id))
        return None
    return quantity


ListedKey = tuple[str, str, str, str]  # location, part number, revision, lot


@dataclass
class _Tally:
    """The cycle's lines as the sheets are read into them, one sheet after another."""

    lines: dict[str, CountedLine]  # by Line ID
    frozen: dict[tuple[str, int], SnapshotLine]  # (location, line number) -> the line as sent
    sent_at: dict[str, list[str]]  # location -> the Line IDs of the lines sent there
    classes: dict[str, str]  # location -> ABC class
    inventory: FrozenInventory
    whole: tuple[str, ...]  # units counted whole
    problems: list[Problem]
    ids: list[str] = field(default_factory=list)  # the Line ID of each snapshot line, in the snapshot's order
    # location -> (part number, revision, lot) -> (unit, Line ID) of each line sent there: made for a
    # location when a found item is read there (made for every line up front, it was a line's worth each)
    listed_at: dict[str, dict[tuple[str, str, str], list[tuple[str, str]]]] = field(default_factory=dict)

    def listed(self, key: ListedKey) -> list[tuple[str, str]]:
        """(unit, Line ID) of each line sent with this location, part number, revision and lot."""
        location, *rest = key
        index = self.listed_at.get(location)
        if index is None:
            index = self.listed_at[location] = {}
            for line_id in self.sent_at.get(location, ()):
                ln = self.lines[line_id]
                index.setdefault((ln.part_number, ln.revision, ln.lot), []).append((unit_key(ln.uom), line_id))
        return index.get((rest[0], rest[1], rest[2]), [])


def build_lines(manifest: Manifest, frozen_inventory: FrozenInventory,
                accepted: list[tuple[FilledSheet, SheetRecord]], config: Config,
                problems: list[Problem]) -> list[CountedLine]:
    """One CountedLine per line sent, plus found items; recounts replace first counts."""
    tally = _sent_lines(manifest, frozen_inventory, config, problems)
    # first counts before recounts, whatever order the files came in
    for sheet, record in sorted(accepted, key=lambda pair: pair[1].kind != "count"):
        _read_sheet(tally, sheet, record)
    counted, ids = tally.lines, tally.ids
    del tally  # its look-ups of the lines sent go before the sort keys come: a line's worth each
    order = {r.location: n for n, r in enumerate(manifest.locations)}
    # the order of the cycle's locations, then the walk order; found items after the listed lines
    sort_keys = {line_id: (order[s.item.location], False, s.line_no)
                 for s, line_id in zip(frozen_inventory.lines, ids, strict=True)}
    ordered = sorted(counted.values(), key=lambda ln: sort_keys.get(ln.line_id) or (
        order.get(ln.location, len(order)), ln.found, _line_number(ln.line_id)))
    problems += unsigned_major_problems(ordered, accepted, config)
    return ordered


def _sent_lines(manifest: Manifest, frozen_inventory: FrozenInventory, config: Config,
                problems: list[Problem]) -> _Tally:
    """Every line sent, not counted yet."""
    classes = {r.location: r.abc_class for r in manifest.locations}
    lines: dict[str, CountedLine] = {}
    ids = []  # each snapshot line's Line ID, made from its parts at each s.line_id: once here
    for s in frozen_inventory.lines:
        i = s.item
        ids.append(line_id := s.line_id)
        lines[line_id] = CountedLine(line_id, i.location, i.part_number, i.revision, i.description, i.lot,
                                     i.serial, i.uom, classes[i.location], i.quantity, i.unit_cost)
    sent_at: dict[str, list[str]] = {}
    for ln in lines.values():
        sent_at.setdefault(ln.location, []).append(ln.line_id)
    return _Tally(lines, {(s.item.location, s.line_no): s for s in frozen_inventory.lines}, sent_at, classes,
                  frozen_inventory, config.inventory.whole_number_uoms, problems, ids)


def _read_sheet(tally: _Tally, sheet: FilledSheet, record: SheetRecord) -> None:
    """One sheet's listed lines and found items into the tally; a line sent and missing from it is
    a problem."""
    confirmed_empty = _confirmed_empty(sheet, tally.problems)
    tally.problems.extend(p for p in sheet.problems if p not in sheet.held_lines.values())
    seen: set[int] = set()
    twice = _written_twice(tally, sheet, record)
    for entry in sheet.entries:
        if entry.line_no in twice:
            seen.add(entry.line_no)
            continue
        _read_listed(tally, entry, sheet, record, confirmed_empty, seen)
    for entry in sheet.found:
        # copied from a listed line, an identifier's end spaces read '␣'
        entry.part_number, entry.revision, entry.lot = map(unshow_spaces, (
            entry.part_number, entry.revision, entry.lot))
        if record.kind == "recount" and _recounted_found_item(entry, sheet, record, tally.lines, tally.whole,
                                                              tally.problems, seen):
            continue
        _read_found(tally, entry, sheet, record)
    for missing in sorted(set(record.lines) - seen):
        label = sheet_label(missing)
        tally.problems.append(Problem("altered-sheet", sheet.file,
                                      f"line {label} was removed from the sheet; it was not counted",
                                      sheet=sheet.tab))


def _written_twice(tally: _Tally, sheet: FilledSheet, record: SheetRecord) -> set[int]:
    """Listed lines whose row appears more than once on the sheet (a row copied and pasted, an
    inserted row given a line's number): a problem naming each copy; neither count is taken, since
    which one the counter meant cannot be told."""
    rows: dict[int, list[Entry]] = {}
    for entry in sheet.entries:
        if entry.line_no is not None and entry.line_no in record.lines:
            rows.setdefault(entry.line_no, []).append(entry)
    twice = {line_no: entries for line_no, entries in rows.items() if len(entries) > 1}
    for line_no, entries in twice.items():
        s = tally.frozen.get((record.location, line_no))
        line_id = s.line_id if s else None
        if s is not None:
            tally.lines[s.line_id].problem = "line written twice on the sheet"
        counts = ", ".join(f"row {e.row + 1}: {cell_text(e.floor_count) or 'blank'}" for e in entries)
        for entry in entries[1:]:
            tally.problems.append(Problem(
                "altered-sheet", sheet.file, f"line {line_no} is on the sheet {len(entries)} times ({counts}); "
                "the line was not counted: keep one row for it and ingest the sheet again",
                sheet=sheet.tab, cell=a1(entry.row, 0), row=entry.row + 1, line_id=line_id))
    return set(twice)


def _confirmed_empty(sheet: FilledSheet, problems: list[Problem]) -> bool:
    """Whether the sheet says its location is empty (YES, or Y or X); anything else is a problem."""
    empty = sheet.confirmed_empty.strip().upper()
    if empty and empty not in ("YES", "Y", "X"):
        r, c = sheet.confirmed_empty_cell or (0, 0)
        problems.append(Problem("bad-confirmation", sheet.file, "write YES or leave blank",
                                sheet=sheet.tab, cell=a1(r, c), value=sheet.confirmed_empty))
        return False
    return bool(empty)


def _read_listed(tally: _Tally, entry: Entry, sheet: FilledSheet, record: SheetRecord, confirmed_empty: bool,
                 seen: set[int]) -> None:
    """A listed line's count, checked against the line as sent."""
    s = tally.frozen.get((record.location, entry.line_no)) if entry.line_no is not None else None
    if entry.line_no is None or entry.line_no not in record.lines or s is None:
        tally.problems.append(Problem("altered-sheet", sheet.file,
                                      f"line {entry.line_no} is not on this sheet as it was sent; ignored",
                                      sheet=sheet.tab, cell=a1(entry.row, 0)))
        return
    seen.add(entry.line_no)
    line = tally.lines[s.line_id]
    if not _as_sent(tally, entry, sheet, s, line):
        return
    quantity = _quantity(entry, sheet, s.item.uom, tally.whole, tally.problems, line.line_id)
    if (entry.floor_count is not None or entry.unreadable) and quantity is None:
        line.problem = "floor count unreadable"
        return
    if confirmed_empty:
        if quantity not in (None, Decimal(0)):
            tally.problems.append(Problem("conflict", sheet.file, (
                "the location is confirmed empty but this line has a count; "
                "the line was not counted"), sheet=sheet.tab,
                cell=a1(entry.row, entry.floor_col), value=cell_text(entry.floor_count),
                line_id=s.line_id))
            line.problem = "confirmed empty and counted"
            return
        quantity = Decimal(0)
    if quantity is None:
        return
    _set_count(line, quantity, entry, sheet, record)


def _as_sent(tally: _Tally, entry: Entry, sheet: FilledSheet, s: SnapshotLine, line: CountedLine) -> bool:
    """Whether the row still says the line it was sent as, every printed field of it (and no row
    was inserted next to it)."""
    i = s.item
    altered = None
    # a row that reads exactly as sent (nearly every row) is not altered: no field compared one by one
    if (entry.part_number != i.part_number or entry.revision != i.revision or entry.description != i.description
            or entry.lot != i.lot or entry.serial != i.serial or entry.uom != i.uom):
        sent = {"part_number": i.part_number, "revision": i.revision, "description": i.description, "lot": i.lot,
                "serial": i.serial, "uom": i.uom}
        altered = _altered_line(entry, sheet, sent, line.line_id, f"line {entry.line_no}",
                                "the line was not counted")
    if altered:
        tally.problems.append(altered)
        line.problem = "listed line altered on the sheet"
        return False
    if entry.line_no in sheet.held_lines:
        tally.problems.append(replace(sheet.held_lines[entry.line_no], line_id=s.line_id))
        line.problem = "a row was inserted next to it"
        return False
    return True


def _quoted(text: str, most: int = 100) -> str:
    """A field in a message: quoted, unseen characters shown, a long one cut."""
    return readable(text if len(text) <= most else text[:most] + "…")


def _altered_line(entry: Entry, sheet: FilledSheet, sent: dict[str, str], line_id: str, what: str,
                  then: str) -> Problem | None:
    """A problem naming the cell of the first printed field that no longer reads as it was sent
    (None when every one does), and each such field, as printed and as it reads."""
    altered = altered_fields(entry, sent)
    if not altered:
        return None
    changes = "; ".join(f"{HEADERS[key]} was printed {_quoted(show_spaces(printed))} and reads {_quoted(read)}"
                        for key, printed, read in altered)
    column = sheet.columns.get(altered[0][0], 0)
    return Problem("altered-line", sheet.file, f"{what} was changed on the sheet ({changes}); {then}",
                   sheet=sheet.tab, cell=a1(entry.row, column), value="/".join(read for _, _, read in altered),
                   line_id=line_id)


def _set_count(line: CountedLine, quantity: Decimal, entry: Entry, sheet: FilledSheet, record: SheetRecord) -> None:
    """A count on the line: a first count, or a recount that replaces it."""
    line.problem = ""
    if record.kind == "recount":
        line.first_count = line.counted_qty
        line.counted_qty = quantity
        line.recounted_by = sheet.counted_by or NOT_SIGNED
        line.recount_sheet = record.sheet_id
    else:
        line.counted_qty = quantity
        line.counted_by = sheet.counted_by or NOT_SIGNED  # never the sheet's printed owner
        line.sheet_id = record.sheet_id
    if entry.notes:
        line.notes = "; ".join(filter(None, [line.notes, entry.notes]))


def _read_found(tally: _Tally, entry: Entry, sheet: FilledSheet, record: SheetRecord) -> None:
    """An item found on the shelf and written in: a line of its own, unless it is one listed there."""
    cell = a1(entry.row, 1)
    if not entry.part_number:
        tally.problems.append(Problem("found-without-part", sheet.file,
                                      "a found item has a quantity but no part number; not counted",
                                      sheet=sheet.tab, cell=cell))
        return
    if entry.floor_count is None and not entry.unreadable:
        tally.problems.append(Problem("found-without-quantity", sheet.file,
                                      "a found item has no quantity; not counted", sheet=sheet.tab,
                                      cell=a1(entry.row, entry.floor_col), value=entry.part_number))
        return
    quantity = _quantity(entry, sheet, entry.uom, tally.whole, tally.problems)
    if quantity is None:
        return
    listed = next((line_id for unit, line_id in tally.listed(
        (record.location, entry.part_number, entry.revision, entry.lot))
        if not entry.uom.strip() or unit == unit_key(entry.uom)), None)  # one part in two units is two lines
    if listed is not None:
        tally.problems.append(Problem("found-is-listed", sheet.file, (
            f"found item {entry.part_number} is listed as line {listed}; write its "
            "count on that line"), sheet=sheet.tab, cell=cell, value=entry.part_number))
        return
    line_id = str(LineId.of(record.location, entry.label, record.sheet_id if record.kind == "recount" else ""))
    tally.lines[line_id] = CountedLine(
        line_id, record.location, entry.part_number, entry.revision, entry.description,
        entry.lot, "", entry.uom, tally.classes.get(record.location, "C"), Decimal(0),
        tally.inventory.cost_of(entry.part_number, entry.revision, entry.uom),
        counted_qty=quantity,
        counted_by=sheet.counted_by or NOT_SIGNED, sheet_id=record.sheet_id, found=True,
        notes=entry.notes)


def unsigned_major_problems(lines: list[CountedLine], accepted: list[tuple[FilledSheet, SheetRecord]],
                            config: Config) -> list[Problem]:
    """A sheet nobody signed that holds a Major discrepancy: who counted it must be known."""
    from cyclekit.domain.variance import MAJOR, judge

    majors: dict[str, list[str]] = {}  # sheet id -> Major lines counted on it unsigned
    for line in lines:
        if line.counted_by == NOT_SIGNED and line.first_qty is not None:
            first = replace(line, counted_qty=line.first_qty, recounted_by="", recount_sheet="", problem="")
            if judge(first, config.count).severity == MAJOR:
                majors.setdefault(line.sheet_id, []).append(line.line_id)
        if line.recounted_by == NOT_SIGNED and judge(line, config.count).severity == MAJOR:
            majors.setdefault(line.recount_sheet, []).append(line.line_id)
    sheets = {record.sheet_id: sheet for sheet, record in accepted}
    return [Problem("not-signed", sheets[sheet_id].file, (
        f"sheet {sheet_id} is not signed (Counted by is blank) and holds a Major discrepancy "
        f"({', '.join(show_spaces(i) for i in ids)}): write who counted it in Counted by and ingest again"),
        sheet=sheets[sheet_id].tab, cell=sheets[sheet_id].counted_by_cell,
        value=", ".join(ids)) for sheet_id, ids in majors.items() if sheet_id in sheets]


def _recounted_found_item(entry: Entry, sheet: FilledSheet, record: SheetRecord, lines: dict[str, CountedLine],
                          whole: tuple[str, ...], problems: list[Problem], seen: set[int]) -> bool:
    """A found item printed on a recount sheet (as "F1", its label on the count sheet): the recount
    replaces its first count. False when the row is no such item (a found item of the recount)."""
    number = LineId.of(record.location, entry.label).number
    if -number not in record.lines:
        return False
    seen.add(-number)
    line = lines.get(str(LineId.of(record.location, entry.label)))
    if line is None or not line.found:
        return False  # no longer found on the count sheet: an item the recount found
    if entry.floor_count is None:
        return True  # not recounted: the first count stands
    sent = {"part_number": line.part_number, "revision": line.revision, "description": line.description,
            "lot": line.lot, "serial": line.serial, "uom": line.uom}
    altered = _altered_line(entry, sheet, sent, line.line_id, f"found item {entry.label}", "it was not recounted")
    if altered:
        problems.append(altered)
        return True
    quantity = _quantity(entry, sheet, line.uom, whole, problems, line.line_id)
    if quantity is None:
        return True
    line.first_count, line.counted_qty = line.counted_qty, quantity
    line.recounted_by = sheet.counted_by or NOT_SIGNED
    line.recount_sheet = record.sheet_id
    if entry.notes:
        line.notes = "; ".join(filter(None, [line.notes, entry.notes]))
    return True


def _line_number(line_id: str) -> int:
    return LineId.parse(line_id).number


def count_state(manifest: Manifest, frozen: FrozenInventory, paths: Sequence[Source], config: Config,
                digests: dict[str, str] | None = None, named: AbstractSet[str] = frozenset(),
                movements: MovementsFile | None = None, uses: list[MovementUse] | None = None
                ) -> tuple[list[tuple[FilledSheet, SheetRecord]], list[CountedLine], list[Problem]]:
    """What the filled sheets say, line by line, with every problem found on the way
    (`digests`, `named`: see read_filled_sheets); with `movements`, each line's expected quantity
    at its count, and where each movement went into `uses`."""
    for path in paths:
        if isinstance(path, Path) and not path.is_file():
            raise CycleError(f"{path}: {not_a_file(path)}")
    use_limits(config.limits)  # the workers reading the sheets are forked from here: they keep it
    problems: list[Problem] = []
    accepted = read_filled_sheets(paths, manifest, problems, digests, named)
    lines = build_lines(manifest, frozen, accepted, config, problems)
    if movements is not None:
        problems += movements.problems
        put = put_movements(lines, accepted, manifest, config, movements, problems)
        if uses is not None:
            uses.extend(put)
    return accepted, lines, problems


MOVEMENTS_DIR = "movements"  # the movements export given to ingest, kept with the cycle


def put_movements(lines: list[CountedLine], accepted: list[tuple[FilledSheet, SheetRecord]], manifest: Manifest,
                  config: Config, movements: MovementsFile, problems: list[Problem]) -> list[MovementUse]:
    """Each counted line's moment (its sheet's Date, the recount's for a recounted line), then
    each movement onto the line it changed (domain.movements)."""
    moments = count_moments(accepted, manifest, config, problems)
    for line in lines:
        if line.counted:
            line.counted_at = moments.get(line.recount_sheet or line.sheet_id, manifest.count_date)
    first = {line.line_id: moments.get(line.sheet_id, manifest.count_date)
             for line in lines if line.counted and line.recounted_by}
    return apply_movements(lines, movements.movements, dt.datetime.fromisoformat(manifest.created), first,
                           {r.location for r in manifest.locations})


def count_moments(accepted: list[tuple[FilledSheet, SheetRecord]], manifest: Manifest, config: Config,
                  problems: list[Problem]) -> dict[str, str]:
    """Sheet id -> when it was counted, as ISO text: the Date written beside Counted by (a date,
    or a date and time), else the cycle's count date; a Date that cannot be read is a problem."""
    moments = {}
    for sheet, record in accepted:
        try:
            moments[record.sheet_id] = sheet_moment(sheet.counted_on, config.count.date_order) or manifest.count_date
        except ValueError as exc:
            problems.append(Problem("bad-count-time", sheet.file, (
                f"the Date beside Counted by {exc}; the cycle's count date {manifest.count_date} was taken "
                "to place the stock movements"), sheet=sheet.tab, value=cell_text(sheet.counted_on)[:100]))
            moments[record.sheet_id] = manifest.count_date
    return moments


def sheet_moment(value: Any, date_order: str) -> str:
    """A count sheet's Date as ISO text: '' when blank, the date alone, or the date and its time."""
    from cyclekit.domain.typed_dates import read_typed_date
    from cyclekit.inputs.movements import movement_time

    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="minutes") if value.time() != dt.time(0) else value.date().isoformat()
    if isinstance(value, float) and not value.is_integer():  # an Excel serial with a time (Google Sheets)
        day = read_typed_date(int(value))
        return (dt.datetime.combine(day, dt.time()) + dt.timedelta(days=value % 1)).isoformat(timespec="minutes")
    text = cell_text(value)
    if not text:
        return ""
    if ":" in text:
        return movement_time(text).isoformat(timespec="minutes")
    return read_typed_date(value, date_order).isoformat()


def read_cycle_movements(cycle_dir: Path, manifest: Manifest, config: Config, given: Path | None = None
                         ) -> tuple[MovementsFile | None, Path | None]:
    """The movements export given now, else the one the last ingest kept in the cycle; and where
    it is in the cycle folder (a copy of one given from elsewhere is made by keep_movements)."""
    if given is not None:
        return read_movements(given, config.movements), None
    last = manifest.ingests[-1].movements if manifest.ingests else None
    if last is None:
        return None, None
    path = source_path(cycle_dir, last.file)
    return read_movements(path, config.movements), path


def charged_to_counters(lines: list[CountedLine], manifest: Manifest, returned: set[str]) -> list[CountedLine]:
    """A line left blank or unreadable is charged to the counter of the sheet it was on."""
    counters = sheet_counters(lines, {s.location: s.counter for s in manifest.sheets if s.kind == "count"})
    return with_sheet_counters(lines, counters, returned)


def returned_locations(accepted: list[tuple[FilledSheet, SheetRecord]]) -> set[str]:
    return {record.location for sheet, record in accepted if record.kind == "count" and _has_input(sheet)}


def source_digest(source: Any) -> str:
    return source.digest() if hasattr(source, "digest") else file_sha256(Path(source))


def source_name(source: Any) -> str:
    return source.path if hasattr(source, "digest") else str(source)


def google_sources(cycle_dir: Path, manifest: Manifest, google: GoogleTarget | None) -> list[Source]:
    """The cycle's Google count sheets (one values:batchGet) and any local recount sheets. Without
    a session, one is opened with the default credentials: the manifest says where the sheets are,
    whatever format the results are written in."""
    record = manifest.google["count_sheets"]
    if google is None:
        google = _default_session(manifest)
    return [GoogleSpreadsheet(google, record["id"], known_tabs=record["tabs"]).read(),
            *sorted((cycle_dir / "recounts").glob("*.xlsx"))]


def _default_session(manifest: Manifest) -> GoogleTarget:
    try:
        return default_google()
    except CyclekitError as error:
        raise CycleError(f"cycle {manifest.cycle_id}'s count sheets are in Google Sheets "
                         f"({manifest.google['count_sheets']['url']}) and cannot be read: {error}") from None


def results_target(cycle_dir: Path, manifest: Manifest, google: GoogleTarget | None) -> WorkbookTarget:
    """Where finance works on the results: the Google results when they were written there (and
    credentials are given), else results.xlsx."""
    record = manifest.google.get("results")
    if record and google is not None:
        return GoogleSpreadsheet(google, record["id"])
    return XlsxFile(cycle_dir / RESULTS)


def previous_results(cycle_dir: Path, manifest: Manifest, google: GoogleTarget | None,
                     config: Config | None = None, strict: bool = False) -> PreviousResults:
    """What people typed last time (carry.PreviousResults): in the Google results if finance works
    there (every tab, those a person added too), else results.xlsx. strict: refuse when the
    documentation cannot be found (see carry.read_previous)."""
    from cyclekit.layouts.results_carry import read_previous

    layout = manifest.ingests[-1].summary_layout if manifest.ingests else None
    order = config.count.date_order if config is not None else ""
    results = results_target(cycle_dir, manifest, google)
    if not results.exists():
        return PreviousResults()
    return read_previous(results.read(), layout=layout, date_order=order, strict=strict)


def last_ingest_sources(cycle_dir: Path, manifest: Manifest, google: GoogleTarget | None
                        ) -> tuple[list[Source], list[str]]:
    """The sources the last ingest read, and the names of those changed (or gone) since: a file by
    its checksum (folder.cycle.changed_since_ingest), the Google count sheets by their values."""
    last = manifest.ingests[-1]
    changed = changed_since_ingest(cycle_dir, last)
    sources: list[Source] = []
    for entry in last.files:
        if entry.file.startswith(GOOGLE_PREFIX):
            reader = google_sources(cycle_dir, manifest, google)[0]
            if source_digest(reader) != entry.sha256:
                changed.append(f"{entry.file} (count sheets in Google Sheets)")
            sources.append(reader)
        else:
            sources.append(source_path(cycle_dir, entry.file))
    return sources, changed


def unchanged_since_ingest(cycle_dir: Path, manifest: Manifest, google: GoogleTarget | None = None
                           ) -> list[Source]:
    """The sources the last ingest read, each proven unchanged since (a Google tab by its values)."""
    if not manifest.ingests:
        raise CycleError(f"cycle {manifest.cycle_id} has not been ingested; run `cyclekit ingest` first")
    sources, changed = last_ingest_sources(cycle_dir, manifest, google)
    if changed:
        raise changed_sheets_error(changed)
    return sources


def previous_documentation(cycle_dir: Path, manifest: Manifest, google: GoogleTarget | None
                           ) -> tuple[dict[str, dict[str, Any]], dict[tuple[Any, ...], str]]:
    """What people typed last time in Discrepancies (and Cleared), and in Problems' Resolutions."""
    previous = previous_results(cycle_dir, manifest, google)
    return previous.documentation, previous.resolutions


@dataclass
class _Counted:
    """What the sheets say now, with the sources read, as ingest records them."""

    sheets_read: int  # sheets with anything filled in (the sheets themselves are not kept: 50,000 entries)
    lines: list[CountedLine]
    problems: list[Problem]
    returned: set[str]
    totals: Figures
    sources: list[SourceFile]  # the files read, as the manifest records them
    movements: SourceFile | None = None  # the movements export, kept in the cycle folder
    uses: list[MovementUse] | None = None  # where each movement went (None: no movements export)


@holds_cycle_lock(all_or_nothing=True)
def ingest_cycle(cycle_dir: Path | str, config: Config, files: list[Path] | None = None,
                 today: dt.date | None = None, google: GoogleTarget | None = None,
                 results_to_google: bool = False, pdf: bool = False,
                 sheets_google: GoogleTarget | None = None, movements: Path | None = None) -> IngestReport:
    """pdf: also a PDF of each new recount workbook, in CYCLE_DIR/pdf (LibreOffice renders it).
    Count sheets kept in Google Sheets are read there with `google`, else `sheets_google`, else
    the default credentials; results_to_google alone decides where the results go.
    movements: the ERP's movements export, to compare each line with what it held when counted
    (without it, the one the last ingest was given)."""
    from cyclekit.domain.review import open_problems

    cycle_dir = Path(cycle_dir)
    if pdf:
        from cyclekit.backends.libreoffice import find_soffice

        find_soffice()  # before anything is written: a missing LibreOffice stops the ingest whole
    manifest = _open_cycle(cycle_dir)
    counted = _count(cycle_dir, manifest, config, files, google or sheets_google, movements)
    # what finance typed and added, read before anything is written: what cannot be carried stops here
    previous = previous_results(cycle_dir, manifest, google, config, strict=True)
    shown = counted.problems + previous.problems  # and dates typed in the results that cannot be read
    spec, backup, recount_files, key, counts = _write_results(cycle_dir, manifest, counted, shown, previous,
                                                                   config, today or dt.date.today())
    url = _results_to_google(spec, manifest, config, google) if results_to_google else ""
    _record_ingest(cycle_dir, manifest, counted, key, counts, spec, backup)
    names = [r.location for r in manifest.locations]
    report = IngestReport(cycle_dir / RESULTS, counted.sheets_read,
                          counted.totals, shown, recount_files,
                          [name for name in names if name not in counted.returned], url,
                          open_problems=open_problems(shown, counted.lines, previous.resolutions),
                          notes=previous.notices())
    if backup:
        report.notes.append(f"The previous results as they were: {backup}")
    if pdf and recount_files:  # after the manifest: the ingest stands whatever LibreOffice does
        _print_recounts(report, recount_files, cycle_dir)
    return report


def _open_cycle(cycle_dir: Path) -> Manifest:
    manifest = load_manifest(cycle_dir)
    if manifest.finalized:
        raise CycleError(f"cycle {manifest.cycle_id} was finalized on {manifest.finalized.at}; "
                         "its counts can no longer change")
    return manifest


def _count(cycle_dir: Path, manifest: Manifest, config: Config, files: list[Path] | None,
           google: GoogleTarget | None, given_movements: Path | None = None) -> _Counted:
    """Every sheet read (those given now, and those the last ingest read), line by line."""
    frozen = read_frozen(cycle_dir, manifest)
    movements, kept = read_cycle_movements(cycle_dir, manifest, config, given_movements)
    mail_problems: list[Problem] = []
    paths, named, gone, made = ingest_sources(cycle_dir, manifest, files, google, mail_problems)
    digests: dict[str, str] = {}
    uses: list[MovementUse] = []
    accepted, lines, problems = count_state(manifest, frozen, paths, config, digests, named, movements, uses)
    problems += mail_problems
    paths, problems = _keep_only_accepted(made, accepted, paths, problems)
    forget_dropped(cycle_dir, manifest)
    problems += [Problem("source-gone", name, "was read by the last ingest but is gone; its counts are "
                         "not in these results (put it back, or give the sheet again)") for name in gone]
    returned = returned_locations(accepted)
    lines = charged_to_counters(lines, manifest, returned)
    totals = figures(lines, [r.location for r in manifest.locations], len(problems), config.count, returned)
    sources = [SourceFile(name if name.startswith(GOOGLE_PREFIX) else recorded_path(cycle_dir, name),
                          digests.get(name) or source_digest(p)) for p in paths for name in [source_name(p)]]
    record = None
    if movements is not None:  # kept with the cycle: finalize and a later ingest read the same file
        kept = kept or keep_returned(cycle_dir, movements.file, MOVEMENTS_DIR)
        record = SourceFile(recorded_path(cycle_dir, kept), movements.sha256)
    sheets_read = sum(1 for sheet, _ in accepted if _has_input(sheet))
    return _Counted(sheets_read, lines, problems, returned, totals, sources, record,
                    uses if movements is not None else None)


def _write_results(cycle_dir: Path, manifest: Manifest, counted: _Counted, shown: list[Problem],
                   previous: PreviousResults, config: Config, today: dt.date
                   ) -> tuple[WorkbookSpec, Path | None, list[Path], str, CountsRecord | None]:
    """The recount sheets (in the background) and results.xlsx, whose copy is kept first; counts.json
    saved on the other core meanwhile. The results' spec, its copy, the recount files, the
    counts' key and record (None when they are still to save)."""
    from cyclekit.layouts.recount_sheet import write_recount_sheets
    from cyclekit.layouts.results import results_workbook
    from cyclekit.layouts.results_carry import keep_backup

    lines, problems, returned = counted.lines, counted.problems, counted.returned
    recounts_written = write_recount_sheets(cycle_dir, manifest, lines, config, returned)
    key = counts_key([s.sha256 for s in counted.sources] + ([counted.movements.sha256] if counted.movements else []),
                     config)
    # the other core saves counts.json itself and hands back its record: handed back as text, 50,000
    # lines' counts were held twice here at the fullest moment of the ingest (a line's worth each)
    counts_later = in_forked_copy(lambda: [json.dumps(asdict(save_counts(cycle_dir, key, lines, problems,
                                                                          returned)))])
    results = XlsxFile(cycle_dir / RESULTS, copy=keep_backup)
    try:
        spec = results_workbook(manifest, lines, counted.totals, shown, previous.documentation, config,
                                today, previous.resolutions, returned, previous, folder=cycle_dir,
                                movements=counted.uses)
        backup = results.keep_backup("Results before this ingest")  # the workbook replaced, as finance left it
        with progress.task("Writing the results workbook"):
            results.write(spec)
    finally:
        recount_files = recounts_written()
        saved = counts_later() if counts_later else None
    return spec, backup, recount_files, key, CountsRecord(**json.loads(saved)) if saved else None


def _results_to_google(spec: WorkbookSpec, manifest: Manifest, config: Config, google: GoogleTarget | None
                       ) -> str:
    """The results also as a new spreadsheet, shared with the reviewers: finance works there next."""
    target = new_spreadsheet(google)
    if target is None:
        raise CycleError("results in Google Sheets need credentials (--format gsheets)")
    made = target.write(spec, share_with=config.count.reviewers)
    manifest.google["results"] = made.record()
    return str(made.address)


def _record_ingest(cycle_dir: Path, manifest: Manifest, counted: _Counted, key: str, counts: CountsRecord | None,
                   spec: WorkbookSpec, backup: Path | None) -> None:
    from cyclekit.layouts.results_carry import layout_of

    counts = counts or save_counts(cycle_dir, key, counted.lines, counted.problems, counted.returned)
    manifest.ingests.append(IngestRecord(
        at=dt.datetime.now().isoformat(timespec="seconds"), files=counted.sources,
        lines_counted=counted.totals.lines_counted, problems=len(counted.problems),
        results_sha256=file_sha256(cycle_dir / RESULTS), counts=counts,
        summary_layout=layout_of(spec.sheets[0].rows), results_backup=backup.name if backup else None,
        movements=counted.movements))
    save_manifest(cycle_dir, manifest)


def _print_recounts(report: IngestReport, recount_files: list[Path], cycle_dir: Path) -> None:
    from cyclekit.backends.libreoffice import to_pdf

    try:
        report.pdfs = to_pdf(recount_files, cycle_dir / "pdf")
    except CyclekitError as exc:
        report.warnings.append(f"the recount sheets were written but not printed to PDF: {exc}")
