"""`cyclekit verify`: what an auditor asks of a cycle folder.

Once a cycle is finalized, verify holds its records to their checksums: the frozen snapshot and
part costs, the sheets as sent, the filled sheets finalize read, the adjustment files it wrote
(what was posted to the ERP) and the counted lines it kept (counted_lines.parquet). A change to
any of them, or its loss, fails; so does a manifest whose seal does not hold (edited by hand,
checksums and `finalized` included: folder.seal). Two files go on living after finalize and are
only reported: results.xlsx, where finance closes the lines still under investigation, and the
shared schedule workbook (with the copy finalize kept of it), which the next cycle's finalize
rewrites and people type notes into. results.xlsx may be worked on, not removed or replaced: gone,
or no longer a results workbook, it fails (the cycle's approvals and resolutions were in it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from cyclekit.backends.reader import WorkbookReader
from cyclekit.backends.targets import GOOGLE_PREFIX
from cyclekit.domain.values import cell_text
from cyclekit.errors import CyclekitError
from cyclekit.folder.counted_lines import COUNTED_LINES
from cyclekit.folder.cycle import (
    MANIFEST,
    PART_COSTS,
    RESULTS,
    SNAPSHOT,
    Manifest,
    read_manifest,
    schedule_backup_name,
)
from cyclekit.folder.finalize_commit import ADJUSTMENTS
from cyclekit.folder.seal import SealState
from cyclekit.inputs.tables import file_sha256
from cyclekit.layouts.results import DISCREPANCIES, LINE_ID


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
    # what the manifest's seal says, and what to do about it: a manifest that is not as cyclekit
    # sealed it vouches for no checksum in it; nor does an unsigned one (an older cycle, or a seal
    # removed on a machine that did not sign the cycle): its records may match checksums edited with them
    seal: SealState = SealState.SEALED
    seal_advice: str = ""

    @property
    def seal_problem(self) -> tuple[str, str] | None:
        """The seal as a problem's kind and message; None when it holds."""
        if self.seal is SealState.SEALED:
            return None
        return SEAL_KINDS[self.seal], f"{MANIFEST} is {self.seal.value}: {self.seal_advice}"

    @property
    def sealed(self) -> bool:
        return self.seal in (SealState.SEALED, SealState.UNSIGNED)

    @property
    def ok(self) -> bool:
        """Every record as recorded, and the record itself signed: an auditor's pass. An unsigned
        manifest is no pass (cyclekit cannot vouch for it), though its records may all match."""
        return self.seal is SealState.SEALED and not self.changed and not self.missing


SEAL_KINDS = {SealState.TAMPERED: "tampered", SealState.OTHER_KEY: "other-key", SealState.NO_KEY: "no-key",
              SealState.UNSIGNED: "unsigned"}

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
    known = {Path(s.file).parts for s in manifest.sheets if not s.file.startswith(GOOGLE_PREFIX)}
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
    if place == Path(COUNTED_LINES):
        return None  # the cycle's counted lines, as finalize judged them
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
        if sheet.sha256 and not sheet.file.startswith(GOOGLE_PREFIX) and _normal(sheet.file) not in filled:
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
    workbook fails. The manifest's seal is checked first (folder.seal): changed by hand, signed
    with another key or with no key here to check it, it fails; unsigned (a cycle made before
    seals) is reported and does not."""
    cycle_dir = Path(cycle_dir)
    manifest, seal, advice = read_manifest(cycle_dir)
    found = _recorded(cycle_dir, manifest)
    checks = {str(cycle_dir / place): (cycle_dir / place, digests, found.living.get(place))
              for place, digests in found.inside.items()}
    checks.update({name: (Path(name), digests, found.living.get(name)) for name, digests in found.outside.items()})
    result = Verification(manifest.cycle_id, sum(1 for *_, kind in checks.values() if not kind),
                          outside=sorted(found.outside), not_checked=dict(sorted(found.not_checked.items())),
                          seal=seal, seal_advice=advice)
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
