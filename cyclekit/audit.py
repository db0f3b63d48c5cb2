"""`cyclekit verify` and `cyclekit status`: what an auditor and a lead ask of a cycle folder."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from cyclekit.config import Config
from cyclekit.counts import counts_key, load_counts
from cyclekit.cycle import (
    PART_COSTS,
    RESULTS,
    SNAPSHOT,
    Manifest,
    load_manifest,
    read_frozen,
    source_path,
    verify_frozen,
)
from cyclekit.errors import CycleError
from cyclekit.ingest import count_state, default_files, returned_locations
from cyclekit.reconcile import CountedLine
from cyclekit.results import read_documentation
from cyclekit.tables import file_sha256
from cyclekit.values import cell_text


@dataclass
class Verification:
    cycle_id: str
    checked: int
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)  # checked at the absolute path recorded, outside the folder
    not_checked: dict[str, str] = field(default_factory=dict)  # as recorded -> why it was not checked

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

    def add(self, place: Path, digest: str) -> None:
        self.inside.setdefault(place, set()).add(digest)


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
    recorded = {**manifest.finalized["inputs"], **manifest.finalized["outputs"]}
    ingested = [f["file"] for f in manifest.ingests[-1]["files"]] if manifest.ingests else []
    at_finalize = [f for name in recorded if (f := _folder_of(name, Path(SNAPSHOT))) is not None]
    # ingest read none of the cycle's own sheets: its names can only be read as finalize's were typed
    at_ingest = _ingest_folders(manifest, ingested) or at_finalize
    # an absolute spelling holds from anywhere; a relative one only for paths typed in the same folder
    absolute = [_normal(cycle_dir.absolute()), cycle_dir.resolve(),
                *(f for f in at_finalize + at_ingest if f.is_absolute())]
    for name, digest in recorded.items():
        typed_absolute = Path(name).is_absolute()
        folders = absolute if typed_absolute else at_ingest if name in ingested else at_finalize
        place = next((p for folder in folders if (p := _inside(name, folder)) is not None), None)
        if place is not None:
            found.add(place, digest)
        elif typed_absolute:
            found.outside.setdefault(name, set()).add(digest)
        else:
            found.not_checked[name] = OUTSIDE_RELATIVE
    found.not_checked.update({name: IN_GOOGLE for name in manifest.finalized.get("google_inputs", {})})
    return found


def verify_cycle(cycle_dir: Path | str) -> Verification:
    """Recompute every checksum the manifest recorded; name each file changed or gone since.

    Files in the cycle folder are checked in the folder given, files outside it at the absolute
    path recorded; a path recorded relative to another folder is listed as not checked."""
    cycle_dir = Path(cycle_dir)
    manifest = load_manifest(cycle_dir)
    found = _recorded(cycle_dir, manifest)
    checks = {str(cycle_dir / place): (cycle_dir / place, digests) for place, digests in found.inside.items()}
    checks.update({name: (Path(name), digests) for name, digests in found.outside.items()})
    result = Verification(manifest.cycle_id, len(checks), outside=sorted(found.outside),
                          not_checked=dict(sorted(found.not_checked.items())))
    for name, (path, digests) in sorted(checks.items()):
        if not path.is_file():
            result.missing.append(name)
        elif digests != {file_sha256(path)}:  # two records of one file that disagree: it can't match both
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
    open: int
    documented: int
    approved: int


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
    for entry in last["files"]:
        path = source_path(cycle_dir, entry["file"])
        if not path.is_file() or file_sha256(path) != entry["sha256"]:
            return None  # also a Google source: its digest needs a request, so the sheets are read
    return load_counts(cycle_dir, last.get("counts"), counts_key([f["sha256"] for f in last["files"]], config))


def cycle_status(cycle_dir: Path | str, config: Config) -> CycleStatus:
    cycle_dir = Path(cycle_dir)
    manifest = load_manifest(cycle_dir)
    if manifest.ingests:
        # where ingest and finalize look for them: in the cycle folder, whatever folder status runs in
        recorded = [source_path(cycle_dir, f["file"]) for f in manifest.ingests[-1]["files"]]
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
    docs = read_documentation(cycle_dir / RESULTS) if (cycle_dir / RESULTS).is_file() else {}
    discrepancies: list[CountedLine] = [ln for ln in lines if ln.counted and ln.variance_qty != 0]
    approved = sum(1 for ln in discrepancies if cell_text(docs.get(ln.line_id, {}).get("Approved By")))
    documented = sum(1 for ln in discrepancies if cell_text(docs.get(ln.line_id, {}).get("Root Cause")))
    names = [r.location for r in manifest.locations]
    return CycleStatus(
        cycle_id=manifest.cycle_id,
        finalized_at=manifest.finalized["at"] if manifest.finalized else None,
        sheets_sent=len(names), sheets_returned=len(returned),
        missing=[n for n in names if n not in returned],
        lines_sent=sum(1 for ln in lines if not ln.found),
        lines_counted=sum(1 for ln in lines if ln.counted and not ln.found),
        problems=len(problems), open=len(discrepancies) - documented, documented=documented,
        approved=approved)
