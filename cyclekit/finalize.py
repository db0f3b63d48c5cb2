"""`cyclekit finalize`: approvals, ERP adjustment files, schedule moved on, cycle locked.

The counts come from the same filled sheets the last ingest read (their checksums must
not have changed), the documentation from the Discrepancies tab as people left it.
Nothing is written unless every check passes.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cyclekit.adjustments import (
    REVIEW,
    Adjustment,
    RenderedTarget,
    money_text,
    quantity_text,
    render_target,
    review_workbook,
)
from cyclekit.atomic import atomic_path
from cyclekit.config import Config
from cyclekit.counts import counts_key, load_counts
from cyclekit.cycle import (
    PART_COSTS,
    RESULTS,
    SNAPSHOT,
    Manifest,
    load_manifest,
    read_frozen,
    recorded_path,
    save_manifest,
    schedule_backup_name,
    source_path,
    verify_frozen,
)
from cyclekit.cycle_lock import holds_cycle_lock
from cyclekit.errors import CycleError, InputError, Problem, some_of
from cyclekit.history import HistoryRow
from cyclekit.ingest import count_state, google_sources, previous_documentation, returned_locations
from cyclekit.reconcile import MAJOR, CountedLine, figures, judge
from cyclekit.results import DISCREPANCIES, STATUSES, problem_key
from cyclekit.schedule_reader import read_schedule
from cyclekit.schedule_update import updated_schedule
from cyclekit.tables import file_sha256
from cyclekit.values import cell_text, parse_date
from cyclekit.workbook.reader import use_limits
from cyclekit.workbook.xlsx import render_xlsx

ADJUSTMENTS = "adjustments"


@dataclass
class FinalizeReport:
    cycle_id: str
    adjustments: int
    files: list[Path]
    schedule: Path
    schedule_backup: Path
    locations_moved: list[str]
    history: HistoryRow
    warnings: list[str] = field(default_factory=list)
    review: Path | None = None  # the adjustments as a workbook to read in Excel


def _text(value: Any) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return parse_date(value).isoformat()
    return cell_text(value)


def _check_unchanged(cycle_dir: Path, manifest: Manifest, google: Any = None) -> list:
    """The sources the last ingest read, each proven unchanged since (a Google tab by its values)."""
    if not manifest.ingests:
        raise CycleError(f"cycle {manifest.cycle_id} has not been ingested; run `cyclekit ingest` first")
    last = manifest.ingests[-1]
    sources: list = []
    changed = []
    for entry in last["files"]:
        if entry["file"].startswith("google:"):
            source = google_sources(cycle_dir, manifest, google)[0]
            if source.digest() != entry["sha256"]:
                changed.append(f"{entry['file']} (count sheets in Google Sheets)")
        else:
            source = source_path(cycle_dir, entry["file"])
            if not source.is_file() or file_sha256(source) != entry["sha256"]:
                changed.append(entry["file"])
        sources.append(source)
    if changed:
        raise CycleError("these sheets changed after the last ingest; run `cyclekit ingest` again first: "
                         + ", ".join(changed))
    return sources


def _approval_problems(lines: list[CountedLine], docs: dict[str, dict[str, Any]], config: Config,
                       results: Path, today: dt.date) -> list[Problem]:
    problems = []

    def problem(kind: str, message: str, value: str) -> None:
        problems.append(Problem(kind, str(results), message, sheet=DISCREPANCIES, value=value))

    for line in lines:
        if not line.counted or line.variance_qty == 0:
            continue
        doc = docs.get(line.line_id, {})
        status = _text(doc.get("Status"))
        if status and status not in STATUSES:  # typed or pasted past the tab's list
            problem("bad-status", f"Status of {line.line_id} must be {', '.join(STATUSES)}", status)
        if judge(line, config.count).severity != MAJOR:
            continue
        missing = [name for name in ("Approved By", "Approval Date") if not _text(doc.get(name))]
        if missing:
            problem("needs-approval", f"Major discrepancy {line.line_id} ({line.part_number}, variance "
                    f"{quantity_text(line.variance_qty)}) has no {' and no '.join(missing)}", line.line_id)
            continue
        try:
            approved = parse_date(doc["Approval Date"])
        except ValueError:
            problem("bad-date", f"Approval Date of {line.line_id} is not a date", _text(doc["Approval Date"]))
            continue
        if approved > today:  # an approval cannot come before the day it was given
            problem("bad-date", f"Approval Date of {line.line_id} is after today ({today.isoformat()})",
                    approved.isoformat())
    return problems


def build_adjustments(lines: list[CountedLine], docs: dict[str, dict[str, Any]], manifest: Manifest,
                      config: Config) -> list[Adjustment]:
    """One adjustment per counted line with a variance; lines not counted or with problems never."""
    result = []
    for line in lines:
        if not line.counted or line.variance_qty == 0:
            continue
        doc = docs.get(line.line_id, {})
        cause = _text(doc.get("Root Cause"))
        result.append(Adjustment(
            location=line.location, part_number=line.part_number, revision=line.revision,
            description=line.description, lot=line.lot, serial=line.serial, uom=line.uom,
            system_qty=quantity_text(line.system_qty), counted_qty=quantity_text(line.counted_qty),
            adjust_qty=quantity_text(line.variance_qty), unit_cost=money_text(line.unit_cost),
            adjust_value=money_text(line.variance_value),
            reason=f"Cycle count {manifest.cycle_id}: {cause or 'cause not documented'}",
            root_cause=cause, resolution=_text(doc.get("Resolution")),
            status=_text(doc.get("Status")) or "Open", severity=judge(line, config.count).severity or "",
            approved_by=_text(doc.get("Approved By")), approval_date=_text(doc.get("Approval Date")),
            line_id=line.line_id))
    return result


def _not_in_yet(manifest: Manifest, lines: list[CountedLine], returned: set[str]) -> tuple[list[str], list[str]]:
    """Locations whose count sheet never came back, and recount sheets with no line recounted."""
    missing = [r.location for r in manifest.locations if r.location not in returned]
    recounted = {line.recount_sheet for line in lines if line.recount_sheet}
    recounts = [f"{s.sheet_id} ({s.location})" for s in manifest.sheets
                if s.kind == "recount" and s.sheet_id not in recounted]
    return missing, recounts


def finalize_blockers(cycle_dir: Path, manifest: Manifest, config: Config, lines: list[CountedLine],
                      problems: list[Problem], returned: set[str], docs: dict[str, dict[str, Any]],
                      resolutions: dict, today: dt.date, partial: bool = False) -> list[Problem]:
    """What stops finalize (and what `status` lists): problems with no Resolution that no recount
    fixed, Major lines not approved (or approved badly), locations whose sheet never came back."""
    recounted = {line.line_id for line in lines if line.counted and line.recounted_by}  # fixed by a recount
    blocking = [Problem("unresolved-problem", p.file, f"{p.message} (write a Resolution in the Problems tab "
                        "or correct the sheet and ingest again)", sheet=p.sheet, cell=p.cell, value=p.value)
                for p in problems if problem_key(p) not in resolutions and p.line_id not in recounted]
    blocking += _approval_problems(lines, docs, config, Path(cycle_dir) / RESULTS, today)
    missing, _ = _not_in_yet(manifest, lines, returned)
    if missing and not partial:
        blocking.append(Problem("not-returned", str(cycle_dir), (
            f"{len(missing)} location(s) have not returned their count sheet: {some_of(missing)}. Ingest them "
            "first, or finalize with --partial to lock the cycle without them (they stay due)")))
    return blocking


@holds_cycle_lock
def finalize_cycle(cycle_dir: Path | str, schedule_path: Path | str, config: Config, *,
                   targets: list[str] | None = None, templates: list[Path] | None = None,
                   today: dt.date | None = None, google: Any = None, partial: bool = False) -> FinalizeReport:
    """partial: lock the cycle although some locations never returned their sheet (their lines
    are not adjusted and their Last Count does not move); without it, that is refused."""
    cycle_dir, schedule_path = Path(cycle_dir), Path(schedule_path)
    use_limits(config.limits)  # every workbook this command opens
    today = today or dt.date.today()
    manifest = load_manifest(cycle_dir)
    if manifest.finalized:
        raise CycleError(f"cycle {manifest.cycle_id} was already finalized on {manifest.finalized['at']}; "
                         "nothing was changed")
    results = cycle_dir / RESULTS
    files = _check_unchanged(cycle_dir, manifest, google)
    last = manifest.ingests[-1]
    verify_frozen(cycle_dir, manifest)
    saved = load_counts(cycle_dir, last.get("counts"), counts_key([f["sha256"] for f in last["files"]], config))
    if saved is not None:  # the sheets and the rules are as the last ingest read them
        lines, problems, returned = saved
    else:
        accepted, lines, problems = count_state(manifest, read_frozen(cycle_dir, manifest), files, config)
        returned = returned_locations(accepted)
    docs, resolutions = previous_documentation(cycle_dir, manifest, google)
    blocking = finalize_blockers(cycle_dir, manifest, config, lines, problems, returned, docs, resolutions,
                                 today, partial)
    missing, recounts_out = _not_in_yet(manifest, lines, returned)
    if blocking:
        raise InputError(blocking, summary=f"cycle {manifest.cycle_id} cannot be finalized yet: "
                                           f"{len(blocking)} item(s) need attention")

    adjustments = build_adjustments(lines, docs, manifest, config)
    cycle = type("Cycle", (), {"cycle_id": manifest.cycle_id,
                               "count_date": dt.date.fromisoformat(manifest.count_date),
                               "as_of": dt.date.fromisoformat(manifest.as_of)})()
    context = {"cycle": cycle, "targets": config.adjustments}
    chosen: list[str | Path] = [*(targets or ([] if templates else list(config.count.default_targets))),
                                *(templates or [])]
    rendered: list[RenderedTarget] = [render_target(t, adjustments, context) for t in chosen]
    warnings = []
    if missing:
        warnings.append(f"finalized without {len(missing)} location(s) that never returned their sheet "
                        f"({some_of(missing)}): not adjusted, still due")
    undocumented = [line.line_id for line in lines if line.counted and line.variance_qty != 0
                    and not _text(docs.get(line.line_id, {}).get("Root Cause"))]
    if undocumented:
        warnings.append(f"{len(undocumented)} discrepancy(ies) posted with no Root Cause "
                        f"({some_of(undocumented)}): "
                        "the import files say 'cause not documented'")
    unvalued = [line.line_id for line in lines if line.counted and line.variance_qty != 0
                and line.unit_cost is None]
    if unvalued:
        warnings.append(f"{len(unvalued)} line(s) posted without a value: no unit cost is known for the part "
                        f"({some_of(unvalued)}); the net and "
                        "absolute values leave them out")
    if recounts_out:
        warnings.append(f"{len(recounts_out)} recount sheet(s) came back with no line recounted, or not at all "
                        f"({some_of(recounts_out)}): "
                        "their first counts were used")
    age = (today - dt.date.fromisoformat(manifest.created[:10])).days
    if age > config.count.max_snapshot_age_days:
        for target in rendered:
            if target.mode == "absolute":
                warnings.append(
                    f"{target.name} sets absolute quantities from a snapshot taken {age} days ago: stock that "
                    "moved in or out of these locations since then will be overwritten on import")

    totals = figures(lines, [r.location for r in manifest.locations], len(problems), config.count, returned)
    history = HistoryRow(manifest.cycle_id, dt.date.fromisoformat(manifest.count_date), today,
                         len(returned), totals.lines_counted, totals.discrepancies,
                         totals.discrepancy_rate, totals.net_value, totals.absolute_value, totals.accuracy)
    from cyclekit.workbook.gsheets import GoogleReader, google_id, metadata_tabs

    schedule_google = google_id(str(schedule_path))
    if schedule_google:
        if google is None:
            raise CycleError(f"{schedule_path} is a Google spreadsheet: give --format gsheets and credentials")
        schedule_file = read_schedule(GoogleReader(google.session, schedule_google,
                                                   metadata_tabs(google.session, schedule_google)))
    else:
        schedule_file = read_schedule(schedule_path)
    count_date = dt.date.fromisoformat(manifest.count_date)
    # a location moves on when something on it was counted, or it was confirmed empty
    with_lines = {ln.location for ln in lines if not ln.found}
    counted_places = {ln.location for ln in lines if ln.counted} | {
        name for name in returned if name not in with_lines}
    counted_on = {name: count_date for name in counted_places}
    spec, moved = updated_schedule(schedule_file, counted_on, history, config, today)

    # every output is made first; only then do they replace anything
    work = Path(tempfile.mkdtemp(prefix=".finalize.", dir=cycle_dir))
    try:
        out_files = []
        for target in rendered:
            path = work / f"{target.name}.{target.extension}"
            path.write_text(target.text, encoding="utf-8", newline="")
            out_files.append(path.name)
        render_xlsx(review_workbook(adjustments, manifest.cycle_id, config.count.currency_format),
                    work / REVIEW, atomic=False)
        out_files.append(REVIEW)
        backup = cycle_dir / schedule_backup_name(manifest.cycle_id)
        new_schedule = work / "schedule.xlsx"
        if not schedule_google:
            shutil.copy2(schedule_path, backup)
            render_xlsx(spec, new_schedule)
        final_dir = cycle_dir / ADJUSTMENTS
        if final_dir.exists():
            shutil.rmtree(final_dir)  # never finalized (checked above): leftovers of a failed attempt
        final_dir.mkdir()
        for name in out_files:
            os.replace(work / name, final_dir / name)
        if schedule_google:
            from cyclekit.workbook.gsheets import replace_gsheets

            replace_gsheets(spec, google.session, schedule_google,
                            backup_name=f"Schedule before {manifest.cycle_id}")
            backup = Path(f"Google Drive copy 'Schedule before {manifest.cycle_id}'")
        else:
            with atomic_path(schedule_path) as tmp:
                shutil.copyfile(new_schedule, tmp)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    outputs = [final_dir / name for name in out_files]
    manifest.finalized = {
        "at": dt.datetime.now().isoformat(timespec="seconds"),
        # the filled sheets were just proven to have the digests the last ingest recorded
        "inputs": {**{recorded_path(cycle_dir, p): entry["sha256"] for p, entry in zip(files, last["files"])
                      if isinstance(p, Path)},
                   **{recorded_path(cycle_dir, p): file_sha256(p) for p in [
                       cycle_dir / SNAPSHOT, *([cycle_dir / PART_COSTS] if manifest.costs_sha256 else []), results]}},
        "google_inputs": {f.path: f.digest() for f in files if not isinstance(f, Path)},
        "outputs": {recorded_path(cycle_dir, p): file_sha256(p)
                    for p in [*outputs, *([] if schedule_google else [schedule_path, backup])]},
        "targets": {t.name: t.mode for t in rendered},
        "adjustments": len(adjustments),
        "discrepancy_rate": None if totals.discrepancy_rate is None else str(totals.discrepancy_rate),
        "warnings": warnings,
    }
    save_manifest(cycle_dir, manifest)
    return FinalizeReport(manifest.cycle_id, len(adjustments), [p for p in outputs if p.name != REVIEW],
                          schedule_path, backup, moved, history, warnings, review=final_dir / REVIEW)


