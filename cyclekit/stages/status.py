"""`cyclekit status`: what a lead asks of a cycle folder: what came back, what is open, and what
finalize would refuse today, by finalize's own rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cyclekit.backends.targets import GOOGLE_PREFIX
from cyclekit.config import Config
from cyclekit.domain.problems import ProblemKind
from cyclekit.domain.review import STATUSES, approved, finalize_blockers, open_problems
from cyclekit.domain.values import cell_text
from cyclekit.domain.variance import MAJOR, CountedLine, judge
from cyclekit.errors import CycleError, Problem
from cyclekit.folder.counts import counts_key, load_counts
from cyclekit.folder.cycle import (
    RESULTS,
    Manifest,
    changed_sheets_error,
    changed_since_ingest,
    load_manifest,
    read_frozen,
    source_path,
    verify_frozen,
)
from cyclekit.layouts.results import DISCREPANCIES
from cyclekit.stages.ingest import (
    count_state,
    default_files,
    previous_documentation,
    read_cycle_movements,
    returned_locations,
)


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
                  ) -> tuple[list[CountedLine], list[Problem], set[str]] | None:
    """The last ingest's counts, when every file it read is still as it was."""
    if not manifest.ingests:
        return None
    try:
        verify_frozen(cycle_dir, manifest)
    except CycleError:
        return None
    last = manifest.ingests[-1]
    if any(f.file.startswith(GOOGLE_PREFIX) for f in last.files) or changed_since_ingest(cycle_dir, last):
        return None  # a Google source's digest needs a request: the sheets are read
    return load_counts(cycle_dir, last.counts, counts_key(last.digests(), config))


def _blocking(cycle_dir: Path, manifest: Manifest, config: Config, lines: list[CountedLine],
              problems: list[Problem], returned: set[str], docs: dict[str, dict[str, Any]],
              resolutions: dict[tuple[Any, ...], str], today: dt.date) -> list[str]:
    """What finalize would refuse today, by finalize's own rules (cyclekit.domain.review)."""
    blocking = []
    if not manifest.ingests:
        blocking.append(f"cycle {manifest.cycle_id} has not been ingested; run `cyclekit ingest` first")
    elif not any(f.file.startswith(GOOGLE_PREFIX) for f in manifest.ingests[-1].files):
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
            stored = read_cycle_movements(cycle_dir, manifest, config)[0]  # what the last ingest compared with
            frozen = read_frozen(cycle_dir, manifest)
            accepted, lines, problems = (count_state(manifest, frozen, files, config) if stored is None
                                         else count_state(manifest, frozen, files, config, None, frozenset(), stored))
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
