"""`cyclekit verify` and `cyclekit status`: what an auditor and a lead ask of a cycle folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cyclekit.config import Config
from cyclekit.counts import counts_key, load_counts
from cyclekit.cycle import PART_COSTS, RESULTS, SNAPSHOT, Manifest, load_manifest, read_frozen, verify_frozen
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

    @property
    def ok(self) -> bool:
        return not self.changed and not self.missing


def verify_cycle(cycle_dir: Path | str) -> Verification:
    """Recompute every checksum the manifest recorded; name each file changed or gone since."""
    cycle_dir = Path(cycle_dir)
    manifest = load_manifest(cycle_dir)
    recorded: dict[str, str] = {str(cycle_dir / SNAPSHOT): manifest.snapshot_sha256}
    if manifest.costs_sha256:
        recorded[str(cycle_dir / PART_COSTS)] = manifest.costs_sha256
    if manifest.finalized:
        recorded.update(manifest.finalized["inputs"])
        recorded.update(manifest.finalized["outputs"])
    else:
        # before finalizing only what cyclekit itself wrote can be held to a checksum
        recorded.update({str(cycle_dir / s.file): s.sha256 for s in manifest.sheets if s.sha256})
    result = Verification(manifest.cycle_id, len(recorded))
    for name, digest in sorted(recorded.items()):
        path = Path(name)
        if not path.is_file():
            result.missing.append(name)
        elif file_sha256(path) != digest:
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
        path = Path(entry["file"])
        if not path.is_file() or file_sha256(path) != entry["sha256"]:
            return None  # also a Google source: its digest needs a request, so the sheets are read
    return load_counts(cycle_dir, last.get("counts"), counts_key([f["sha256"] for f in last["files"]], config))


def cycle_status(cycle_dir: Path | str, config: Config) -> CycleStatus:
    cycle_dir = Path(cycle_dir)
    manifest = load_manifest(cycle_dir)
    if manifest.ingests:
        files = [Path(f["file"]) for f in manifest.ingests[-1]["files"] if Path(f["file"]).is_file()]
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
