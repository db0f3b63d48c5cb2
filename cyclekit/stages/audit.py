"""`cyclekit verify` and `cyclekit status`: what an auditor and a lead ask of a cycle folder.

Once a cycle is finalized, verify holds its records to their checksums: the frozen snapshot and
part costs, the sheets as sent, the filled sheets finalize read and the adjustment files it wrote
(what was posted to the ERP). A change to any of them, or its loss, fails. Two files go on living
after finalize and are only reported: results.xlsx, where finance closes the lines still under
investigation, and the shared schedule workbook (with the copy finalize kept of it), which the
next cycle's finalize rewrites and people type notes into. results.xlsx may be worked on, not
removed or replaced: gone, or no longer a results workbook, it fails (the cycle's approvals and
resolutions were in it).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from cyclekit.backends.reader import WorkbookReader
from cyclekit.config import Config
from cyclekit.domain.problems import ProblemKind
from cyclekit.domain.review import STATUSES, approved, finalize_blockers, open_problems
from cyclekit.domain.variance import MAJOR, CountedLine, judge
from cyclekit.errors import CycleError, CyclekitError, Problem
from cyclekit.folder.counts import counts_key, load_counts
from cyclekit.folder.cycle import (
    PART_COSTS,
    RESULTS,
    SNAPSHOT,
    Manifest,
    changed_sheets_error,
    changed_since_ingest,
    load_manifest,
    read_frozen,
    schedule_backup_name,
    source_path,
    verify_frozen,
)
from cyclekit.folder.finalize_commit import ADJUSTMENTS
from cyclekit.inputs.tables import file_sha256
from cyclekit.inputs.values import cell_text
from cyclekit.layouts.results import DISCREPANCIES, LINE_ID
from cyclekit.stages.ingest import count_state, default_files, previous_documentation, returned_locations


@dataclass
class Verification:
    cycle_id: str
    checked: int  # the cycle's records held to their checksums: a change or a loss fails
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)  # checked at the absolute path recorded, outside the folder
    not_checked: dict[str, str] = field(default_factory=dict)  # as recorded -> why it was not checked
    # files that live on after finalize (results.xlsx, the schedule) changed or gone since -> what that
    # means: information for the reader, not a failure
    updated: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.changed and not self.missing


# A manifest holds paths as they were given to the command that recorded them: relative to the
# folder it ran in, the cycle folder's own files as "<cycle folder as typed>/<file>" (or relative to
# the cycle folder itself, typed "."), returned sheets wherever they were ingested from. Verify finds
# the cycle folder's spelling in them and checks the files in the folder it is given, so the answer
# depends neither on the working folder nor on where the folder was copied to.
OUTSIDE_RELATIVE = ("outside the cycle folder, recorded relative to the folder a command was run in, "
                    "so it cannot be located")
IN_GOOGLE = "in Google Sheets; verify checks local files only"

# the files that live on after finalize: what a change to each (or its loss) means
RESULTS_FILE, SCHEDULE_FILE, SCHEDULE_BACKUP = "results", "schedule", "schedule backup"
UPDATED = {
    RESULTS_FILE: ("documentation continued after finalize (Status, Resolution, notes of lines closed "
                   "later); what was posted to the ERP is in the adjustment files, which are checked"),
    SCHEDULE_FILE: ("the schedule has moved on since this cycle's finalize wrote it (a later cycle's "
                    "finalize, a new schedule, notes typed in it): a shared, living file, not one of the "
                    "cycle's records"),
    SCHEDULE_BACKUP: ("the copy of the schedule as it was before this cycle's finalize was saved again "
                      "since (a spreadsheet program offers to, its due days being recalculated); it is "
                      "kept to restore the schedule, not one of the cycle's records"),
}
GONE = {
    SCHEDULE_FILE: ("the schedule is no longer where this cycle's finalize wrote it (moved, renamed or "
                    "replaced): a shared, living file, not one of the cycle's records"),
    SCHEDULE_BACKUP: ("the copy of the schedule as it was before this cycle's finalize is gone; it is "
                      "kept to restore the schedule, not one of the cycle's records"),
}


def _normal(name: str | Path) -> Path:
    return Path(os.path.normpath(name))


def _folder_of(name: str, relative: Path) -> Path | None:
    """The cycle folder as typed when `name` was recorded, if `name` is the cycle's `relative` file."""
    parts, tail = _normal(name).parts, relative.parts
    if len(parts) < len(tail) or parts[len(parts) - len(tail):] != tail:
        return None
    return Path(*parts[: len(parts) - len(tail)])  # Path() is ".": typed from inside the cycle folder


def _inside(name: str, folder: Path) -> Path | None:
    """`name` relative to `folder`, when it lies inside it (both typed from the same place)."""
    path = _normal(name)
    if path.is_absolute() != folder.is_absolute():
        return None
    head, tail = path.parts[: len(folder.parts)], path.parts[len(folder.parts):]
    if head != folder.parts or not tail or tail[0] == "..":
        return None
    return Path(*tail)


def _ingest_folders(manifest: Manifest, names: list[str]) -> list[Path]:
    """The cycle folder as `ingest` was given it (or "." where it recorded paths relative to the
    folder): found in the names of the cycle's own sheets it read."""
    known = {Path(s.file).parts for s in manifest.sheets if not s.file.startswith("google:")}
    lengths = {len(parts) for parts in known}
    folders = set()
    for name in names:
        parts = _normal(name).parts
        for length in lengths:
            if len(parts) >= length and parts[-length:] in known:
                folders.add(Path(*parts[:-length]))  # Path() is ".": recorded relative to the folder
    return sorted(folders)


@dataclass
class _Recorded:
    inside: dict[Path, set[str]] = field(default_factory=dict)  # relative to the cycle folder -> digests
    outside: dict[str, set[str]] = field(default_factory=dict)  # absolute path as recorded -> digests
    not_checked: dict[str, str] = field(default_factory=dict)  # as recorded -> why
    living: dict[Path | str, str] = field(default_factory=dict)  # a place in `inside` or `outside` -> its kind

    def add(self, place: Path, digest: str) -> None:
        self.inside.setdefault(place, set()).add(digest)


def _living(manifest: Manifest, place: Path | None, is_output: bool) -> str | None:
    """Which file that lives on after finalize is recorded at `place` (None: outside the folder)."""
    if not is_output:
        return RESULTS_FILE if place == Path(RESULTS) else None
    if place is not None and (len(place.parts) == 2 and place.parts[0] == ADJUSTMENTS):
        return None  # an adjustment file: what was posted to the ERP
    return SCHEDULE_BACKUP if place == Path(schedule_backup_name(manifest.cycle_id)) else SCHEDULE_FILE


def _read_by_ingest(manifest: Manifest, fallback: list[Path], absolute: list[Path]) -> set[Path]:
    """The places in the cycle folder that an ingest read: its sheets filled where they were sent."""
    places = set()
    for ingest in manifest.ingests:
        names = [f.file for f in ingest.files]
        folders = _ingest_folders(manifest, names) or fallback
        for name in names:
            for folder in absolute if Path(name).is_absolute() else folders:
                if (place := _inside(name, folder)) is not None:
                    places.add(place)
                    break
    return places


def _recorded(cycle_dir: Path, manifest: Manifest) -> _Recorded:
    """Every file the manifest holds a checksum of, placed in the cycle folder where it lies in it."""
    found = _Recorded()
    found.add(Path(SNAPSHOT), manifest.snapshot_sha256)
    if manifest.costs_sha256:
        found.add(Path(PART_COSTS), manifest.costs_sha256)
    if not manifest.finalized:
        # before finalizing only what cyclekit itself wrote can be held to a checksum
        for sheet in manifest.sheets:
            if sheet.sha256:
                found.add(Path(sheet.file), sheet.sha256)
        return found
    recorded = manifest.finalized.recorded()
    ingested = [f.file for f in manifest.ingests[-1].files] if manifest.ingests else []
    at_finalize = [f for name in recorded if (f := _folder_of(name, Path(SNAPSHOT))) is not None]
    # ingest read none of the cycle's own sheets: its names can only be read as finalize's were typed
    at_ingest = _ingest_folders(manifest, ingested) or at_finalize
    # an absolute spelling holds from anywhere; a relative one only for paths typed in the same folder
    absolute = [_normal(cycle_dir.absolute()), cycle_dir.resolve(),
                *(f for f in at_finalize + at_ingest if f.is_absolute())]
    outputs = manifest.finalized.outputs
    for name, digest in recorded.items():
        typed_absolute = Path(name).is_absolute()
        folders = absolute if typed_absolute else at_ingest if name in ingested else at_finalize
        place = next((p for folder in folders if (p := _inside(name, folder)) is not None), None)
        kind = _living(manifest, place, name in outputs)
        if place is not None:
            found.add(place, digest)
        elif typed_absolute:
            found.outside.setdefault(name, set()).add(digest)
        else:
            found.not_checked[name] = OUTSIDE_RELATIVE
            continue
        if kind:
            found.living[place if place is not None else name] = kind
    # the sheets as sent, but for those filled where they were sent: the filled sheet read is the record
    filled = _read_by_ingest(manifest, at_finalize, absolute)
    for sheet in manifest.sheets:
        if sheet.sha256 and not sheet.file.startswith("google:") and _normal(sheet.file) not in filled:
            found.add(_normal(sheet.file), sheet.sha256)
    found.not_checked.update({name: IN_GOOGLE for name in manifest.finalized.google_inputs})
    return found


def _still_results(path: Path) -> bool:
    """Whether `path` is still a results workbook: its Discrepancies tab, by Line ID."""
    try:
        reader = WorkbookReader(path)
        if DISCREPANCIES not in reader.tabs:
            return False
        rows = reader.rows(DISCREPANCIES)
    except CyclekitError:
        return False
    return bool(rows) and LINE_ID in [cell_text(h) for h in rows[0]]


def verify_cycle(cycle_dir: Path | str) -> Verification:
    """Recompute every checksum the manifest recorded; name each record changed or gone since.

    Files in the cycle folder are checked in the folder given, files outside it at the absolute
    path recorded; a path recorded relative to another folder is listed as not checked. The
    files that live on after finalize (results.xlsx, the schedule and its copy) are listed as
    updated when they changed, without failing; results.xlsx gone or no longer a results
    workbook fails."""
    cycle_dir = Path(cycle_dir)
    manifest = load_manifest(cycle_dir)
    found = _recorded(cycle_dir, manifest)
    checks = {str(cycle_dir / place): (cycle_dir / place, digests, found.living.get(place))
              for place, digests in found.inside.items()}
    checks.update({name: (Path(name), digests, found.living.get(name)) for name, digests in found.outside.items()})
    result = Verification(manifest.cycle_id, sum(1 for *_, kind in checks.values() if not kind),
                          outside=sorted(found.outside), not_checked=dict(sorted(found.not_checked.items())))
    for name, (path, digests, kind) in sorted(checks.items()):
        if not path.is_file():
            if kind in GONE:
                result.updated[name] = GONE[kind]
            else:  # a record, or results.xlsx: the cycle's approvals and resolutions were in it
                result.missing.append(name)
        elif digests != {file_sha256(path)}:  # two records of one file that disagree: it can't match both
            if kind == RESULTS_FILE and not _still_results(path):
                result.changed.append(name)  # replaced by something that is no results workbook
            elif kind:
                result.updated[name] = UPDATED[kind]
            else:
                result.changed.append(name)
    return result


@dataclass
class CycleStatus:
    cycle_id: str
    finalized_at: str | None
    sheets_sent: int
    sheets_returned: int
    missing: list[str]
    lines_sent: int
    lines_counted: int
    problems: int
    problems_open: int  # not fixed by a recount nor resolved
    open: int  # discrepancies whose Status is Open (or blank, or not one of the tab's list)
    documented: int  # discrepancies with a Root Cause
    approved: int  # Major discrepancies with an approval finalize accepts
    under_investigation: int = 0
    resolved: int = 0
    major: int = 0  # Major discrepancies: each needs Approved By and Approval Date
    # what finalize would refuse, one sentence each (none once the cycle is finalized)
    blocking: list[str] = field(default_factory=list)

    @property
    def discrepancies(self) -> int:
        return self.open + self.under_investigation + self.resolved


def _saved_counts(cycle_dir: Path, manifest: Manifest, config: Config
                  ) -> tuple[list[CountedLine], list, set[str]] | None:
    """The last ingest's counts, when every file it read is still as it was."""
    if not manifest.ingests:
        return None
    try:
        verify_frozen(cycle_dir, manifest)
    except CycleError:
        return None
    last = manifest.ingests[-1]
    if any(f.file.startswith("google:") for f in last.files) or changed_since_ingest(cycle_dir, last):
        return None  # a Google source's digest needs a request: the sheets are read
    return load_counts(cycle_dir, last.counts, counts_key(last.digests(), config))


def _blocking(cycle_dir: Path, manifest: Manifest, config: Config, lines: list[CountedLine],
              problems: list[Problem], returned: set[str], docs: dict, resolutions: dict,
              today: dt.date) -> list[str]:
    """What finalize would refuse today, by finalize's own rules (cyclekit.domain.review)."""
    blocking = []
    if not manifest.ingests:
        blocking.append(f"cycle {manifest.cycle_id} has not been ingested; run `cyclekit ingest` first")
    elif not any(f.file.startswith("google:") for f in manifest.ingests[-1].files):
        # a Google tab can be compared only with a request: finalize does that
        if changed := changed_since_ingest(cycle_dir, manifest.ingests[-1]):
            blocking.append(str(changed_sheets_error(changed)))
    try:
        verify_frozen(cycle_dir, manifest)
    except CycleError as error:
        blocking.append(str(error))
    for p in finalize_blockers(cycle_dir, manifest, config, lines, problems, returned, docs, resolutions, today,
                               results=cycle_dir / RESULTS, tab=DISCREPANCIES):
        if p.kind == ProblemKind.UNRESOLVED_PROBLEM:  # where on the sheets it is
            where = ", ".join([Path(p.file).name, *([f"tab {p.sheet!r}"] if p.sheet else []),
                               *([f"cell {p.cell}"] if p.cell else [])])
            blocking.append(f"{where}: {p.message}")
        else:
            blocking.append(p.message)
    return blocking


def cycle_status(cycle_dir: Path | str, config: Config, today: dt.date | None = None) -> CycleStatus:
    """Where a cycle stands; `today` is the day finalize would run (an approval after it blocks)."""
    cycle_dir = Path(cycle_dir)
    today = today or dt.date.today()
    manifest = load_manifest(cycle_dir)
    if manifest.ingests:
        # where ingest and finalize look for them: in the cycle folder, whatever folder status runs in
        recorded = [source_path(cycle_dir, f.file) for f in manifest.ingests[-1].files]
        files = [path for path in recorded if path.is_file()]
    else:
        files = default_files(cycle_dir)
    saved = _saved_counts(cycle_dir, manifest, config)
    if saved is not None:  # the sheets and the rules are as the last ingest read them
        lines, problems, returned = saved
    else:
        try:
            accepted, lines, problems = count_state(manifest, read_frozen(cycle_dir, manifest), files, config)
        except CycleError:
            accepted, lines, problems = [], [], []
        returned = returned_locations(accepted)
    # the Discrepancies and Problems tabs as finance left them, read as finalize reads them
    docs, resolutions = previous_documentation(cycle_dir, manifest, None)
    discrepancies: list[CountedLine] = [ln for ln in lines if ln.counted and ln.variance_qty != 0]
    statuses = [cell_text(docs.get(ln.line_id, {}).get("Status")) or STATUSES[0] for ln in discrepancies]
    majors = [ln for ln in discrepancies if judge(ln, config.count).severity == MAJOR]
    approvals = sum(1 for ln in majors if approved(ln, docs, config, today))
    documented = sum(1 for ln in discrepancies if cell_text(docs.get(ln.line_id, {}).get("Root Cause")))
    under_investigation, resolved = statuses.count(STATUSES[1]), statuses.count(STATUSES[2])
    names = [r.location for r in manifest.locations]
    return CycleStatus(
        cycle_id=manifest.cycle_id,
        finalized_at=manifest.finalized.at if manifest.finalized else None,
        sheets_sent=len(names), sheets_returned=len(returned),
        missing=[n for n in names if n not in returned],
        lines_sent=sum(1 for ln in lines if not ln.found),
        lines_counted=sum(1 for ln in lines if ln.counted and not ln.found),
        problems=len(problems), problems_open=len(open_problems(problems, lines, resolutions)),
        open=len(statuses) - under_investigation - resolved, documented=documented,
        approved=approvals, under_investigation=under_investigation, resolved=resolved, major=len(majors),
        blocking=[] if manifest.finalized else _blocking(cycle_dir, manifest, config, lines, problems, returned,
                                                         docs, resolutions, today))
