"""`cyclekit finalize`: approvals, ERP adjustment files, schedule moved on, cycle locked.

The counts come from the same filled sheets the last ingest read (their checksums must
not have changed), the documentation from the Discrepancies tab as people left it.
Nothing is written unless every check passes.
"""

from __future__ import annotations

import datetime as dt
import errno
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from xlsxwriter.exceptions import FileCreateError as XlsxFileError

from cyclekit.atomic import WriteError
from cyclekit.backends.reader import use_limits
from cyclekit.backends.spec import WorkbookSpec
from cyclekit.backends.targets import WorkbookTarget, workbook_at
from cyclekit.config import Config
from cyclekit.domain.authority import NOT_ENFORCED, lead_name, sign_off_problem
from cyclekit.domain.money import cents
from cyclekit.domain.movements import (
    ACCEPT,
    Transfer,
    apply_movements,
    export_end,
    suggest_transfers,
    transfer_ids,
    transferred,
)
from cyclekit.domain.review import UNDER_INVESTIGATION, finalize_blockers
from cyclekit.domain.review import doc_text as _text
from cyclekit.domain.review import not_in_yet as _not_in_yet
from cyclekit.domain.scheduling import CountResult
from cyclekit.domain.variance import CountedLine, figures, judge
from cyclekit.errors import ConfigError, CycleError, InputError, Problem, some_of
from cyclekit.folder.counted_lines import COUNTED_LINES, accuracy_by, counted_lines_table, parquet_bytes
from cyclekit.folder.counts import counts_key, load_counts
from cyclekit.folder.cycle import (
    PART_COSTS,
    RESULTS,
    SNAPSHOT,
    FinalizeRecord,
    Manifest,
    load_manifest,
    read_frozen,
    recorded_path,
    schedule_backup_name,
    source_path,
    verify_frozen,
)
from cyclekit.folder.finalize_commit import ADJUSTMENTS, Outputs, commit_finalize
from cyclekit.folder.lock import holds_cycle_lock, recover_or_refuse
from cyclekit.inputs.tables import file_sha256
from cyclekit.layouts.adjustments import (
    REVIEW,
    Adjustment,
    LoadedTarget,
    RenderedTarget,
    TransferLine,
    escaped,
    formula_like_texts,
    load_target,
    missing_settings,
    money_text,
    plain_record,
    quantity_text,
    render_target,
    render_transfers,
    review_workbook,
)
from cyclekit.layouts.history import HistoryRow
from cyclekit.layouts.odoo_quants import ODOO, complete_export, read_export
from cyclekit.layouts.results import DISCREPANCIES, decision_problems, transfer_decision
from cyclekit.layouts.results_carry import PreviousResults, read_decisions
from cyclekit.layouts.schedule_update import updated_schedule
from cyclekit.layouts.target_checks import check_target
from cyclekit.stages.ingest import (
    Source,
    count_state,
    read_cycle_movements,
    results_target,
    returned_locations,
    source_digest,
    unchanged_since_ingest,
)
from cyclekit.stages.schedule import read_schedule_at

if TYPE_CHECKING:
    from cyclekit.backends.gsheets import GoogleTarget


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
    signed_off_by: str = ""  # the lead who signed the cycle off
    transfers: int = 0  # accepted transfers written (adjustments/transfers*.csv), to import first


@plain_record
@dataclass(frozen=True)
class CycleInfo:
    """What a template knows of the cycle: plain values."""

    cycle_id: str
    count_date: dt.date
    as_of: dt.date


def _check_targets(loaded: list[LoadedTarget], adjustments: list[Adjustment], config: Config,
                   cycle_id: str) -> None:
    """Before anything is written: every setting each target's import needs is given, and no
    line without a cost goes to a file that needs one."""
    missing = [(t.name, keys) for t in loaded if (keys := missing_settings(t, config.adjustments.get(t.name, {})))]
    if missing:
        raise ConfigError(f"cycle {cycle_id} not finalized, nothing was written: " + "; ".join(
            f"target {name} needs {', '.join(keys)} in [adjustments.{name}] of cyclekit.toml"
            for name, keys in missing) + " (see templates/adjustments/README.md)")
    unvalued = [a.line_id for a in adjustments if not a.unit_cost]
    costed = [t.name for t in loaded if t.needs_cost
              and config.adjustments.get(t.name, {}).get("post_without_cost") is not True]
    if unvalued and costed:
        raise ConfigError(
            f"cycle {cycle_id} not finalized, nothing was written: {', '.join(costed)} need a unit cost on "
            f"every line and {len(unvalued)} line(s) have none (no cost for the part anywhere in the "
            f"export): {some_of(unvalued)}. Finalize with targets that carry no cost, or, if the ERP knows "
            f"these parts' cost, set post_without_cost = true in [adjustments.{costed[0]}] to post them with "
            "a blank cost")


def _check_names(rendered: list[RenderedTarget]) -> None:
    """Two targets writing one file name (or the review workbook's) would lose one of them."""
    names = [f"{t.name}.{t.extension}" for t in rendered]
    clashes = sorted({n for n in names if names.count(n) > 1 or n == REVIEW})
    if clashes:
        raise ConfigError(f"two outputs would be written as {', '.join(clashes)} in {ADJUSTMENTS}/: "
                          "rename one template; nothing was written")


def _escapes(config: Config, target: str) -> bool:
    return config.adjustments.get(target, {}).get("escape_formulas") is True


def _formula_warnings(adjustments: list[Adjustment], targets: list[str], config: Config) -> list[str]:
    """Identifiers a spreadsheet program would run if someone opened the import files in it."""
    texts = formula_like_texts(adjustments)
    if not texts:
        return []
    shown = some_of([repr(t) for t in texts])
    raw = [t for t in targets if not _escapes(config, t)]
    kept = [t for t in targets if _escapes(config, t)]
    warnings = []
    if raw:
        warnings.append(
            f"{len(texts)} identifier(s) or text(s) start like a spreadsheet formula ({shown}): written exactly "
            f"in {', '.join(raw)} for the ERP's importer; opened in Excel or LibreOffice they would run. Import "
            "the files without opening them, or set escape_formulas = true in [adjustments.<target>] if the "
            "ERP accepts a leading '")
    if kept:
        warnings.append(f"{len(texts)} identifier(s) or text(s) that start like a formula ({shown}) are written "
                        f"with a leading ' in {', '.join(kept)} (escape_formulas): the ERP receives the ' too")
    return warnings


def _write_error(exc: OSError, cycle_id: str) -> CycleError:
    reason = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
    where = f" writing {exc.filename}" if exc.filename else ""
    return CycleError(f"finalize stopped{where}: {reason}. Nothing was changed and cycle {cycle_id} stays "
                      "open; free some space (or allow writing there) and run finalize again")


def build_adjustments(lines: list[CountedLine], docs: dict[str, dict[str, Any]], manifest: Manifest,
                      config: Config, transfers: list[Transfer] | None = None,
                      every_counted: bool = False) -> list[Adjustment]:
    """One adjustment per counted line with a variance (every_counted: also those without, for a
    file that lists a whole group, such as ERPNext's serials); lines not counted or with problems never.
    transfers: those accepted, posted as transfers: a line adjusts only what they leave of its variance.
    With [finalize] discrepancy_location, an unexplained shortage also gets a line that books it
    into that location (ION's last resort) instead of writing it off."""
    adjusted, counted = adjustment_lists(lines, docs, manifest, config, transfers, every_counted)
    return counted if every_counted else adjusted


def adjustment_lists(lines: list[CountedLine], docs: dict[str, dict[str, Any]], manifest: Manifest,
                     config: Config, transfers: list[Transfer] | None = None, with_counted: bool = True
                     ) -> tuple[list[Adjustment], list[Adjustment]]:
    """build_adjustments' two lists in one pass: the lines to adjust, and (with_counted: a template
    reads them) every counted line's; else that second list is empty."""
    adjusted: list[Adjustment] = []
    counted: list[Adjustment] = []
    moved_to = config.finalize.discrepancy_location
    moved, said = transferred(transfers or []), _transfer_reasons(transfers or [])
    for line in lines:
        variance = (line.variance_qty or Decimal(0)) + moved.get(line.line_id, Decimal(0))
        if not line.counted or (variance == 0 and not with_counted):
            continue
        doc = docs.get(line.line_id, {})
        made = _adjustment(line, variance, doc, manifest, config, said.get(line.line_id))
        made_all = moved_into(made, moved_to, manifest.cycle_id) if moved_to and unexplained_shortage(line, doc) \
            else [made]
        counted += made_all if with_counted else []
        adjusted += made_all if variance != 0 else []
    return adjusted, counted


def _adjustment(line: CountedLine, variance: Decimal, doc: dict[str, Any], manifest: Manifest, config: Config,
                transfer_note: str | None) -> Adjustment:
    cause = _text(doc.get("Root Cause"))
    value = None if line.unit_cost is None else cents(variance * line.unit_cost)
    return Adjustment(
        location=line.location, part_number=line.part_number, revision=line.revision,
        description=line.description, lot=line.lot, serial=line.serial, uom=line.uom,
        system_qty=quantity_text(line.system_qty), counted_qty=quantity_text(line.counted_qty),
        adjust_qty=quantity_text(variance), unit_cost=money_text(line.unit_cost),
        adjust_value=money_text(value),
        reason=f"Cycle count {manifest.cycle_id}: {cause or 'cause not documented'}"
               + (f"; {transfer_note}" if transfer_note is not None else ""),
        root_cause=cause, resolution=_text(doc.get("Resolution")),
        status=_text(doc.get("Status")) or "Open", severity=judge(line, config.count).severity or "",
        approved_by=_text(doc.get("Approved By")), approval_date=_text(doc.get("Approval Date")),
        line_id=line.line_id)


def unexplained_shortage(line: CountedLine, doc: dict[str, Any]) -> bool:
    """Less on the shelf than the system holds, and no cause found: no Root Cause, or still Under
    Investigation."""
    return (line.variance_qty or 0) < 0 and (not _text(doc.get("Root Cause"))
                                             or _text(doc.get("Status")) == UNDER_INVESTIGATION)


def moved_into(adjustment: Adjustment, location: str, cycle_id: str) -> list[Adjustment]:
    """The shortage taken off its location, and the same quantity and value booked into the
    discrepancy location: moved, not written off (ION: "last resort: move extra parts to a cycle
    count discrepancy location"). The pair is a transfer, so it needs targets that post differences."""
    reason = f"Cycle count {cycle_id}: unexplained, moved to {location}"
    taken = replace(adjustment, reason=reason)
    booked = replace(adjustment, location=location, system_qty="", counted_qty="",
                     adjust_qty=_negated(adjustment.adjust_qty), adjust_value=_negated(adjustment.adjust_value),
                     reason=f"Cycle count {cycle_id}: unexplained shortage of {adjustment.location} moved here",
                     line_id=f"{adjustment.line_id} to {location}")
    return [taken, booked]


def _negated(text: str) -> str:
    """-6 as 6, 6 as -6: a quantity or amount already written as text ("" stays "")."""
    if not text:
        return ""
    return text[1:] if text.startswith("-") else f"-{text}"


def _transfer_reasons(transfers: list[Transfer]) -> dict[str, str]:
    """Line ID -> what of its variance the transfers explain, for the reason of its adjustment."""
    ids, said = transfer_ids(transfers), dict[str, str]()
    for t in transfers:
        quantity = quantity_text(t.quantity)
        for line_id, text in ((t.from_line, f"{quantity} moved to {t.to_location} by transfer {ids[t.key]}"),
                              (t.to_line, f"{quantity} moved from {t.from_location} by transfer {ids[t.key]}")):
            said[line_id] = f"{said[line_id]}; {text}" if line_id in said else text
    return said


def transfer_lines(transfers: list[Transfer], docs: dict[str, dict[str, Any]], decided: dict[Any, dict[str, Any]],
                   manifest: Manifest) -> list[TransferLine]:
    """The accepted transfers for the ERP, each naming the two lines it explains and their causes."""
    ids = transfer_ids(transfers)
    result = []
    for t in transfers:
        causes = [c for c in dict.fromkeys(_text(docs.get(i, {}).get("Root Cause")) for i in t.key) if c]
        result.append(TransferLine(
            ids[t.key], t.part_number, t.revision, t.lot, t.serial, t.uom, t.description, quantity_text(t.quantity),
            t.from_location, t.to_location, money_text(t.unit_cost), money_text(t.value), t.from_line, t.to_line,
            f"Cycle count {manifest.cycle_id}: moved, not missing ({t.from_line} short, {t.to_line} over)"
            + (f": {'; '.join(causes)}" if causes else ""),
            _text(decided.get(t.key, {}).get("Decided By"))))
    return result


@dataclass
class _Counts:
    """The cycle's counts as the last ingest read them, with the sources it read."""

    files: list[Source]
    lines: list[CountedLine]
    problems: list[Problem]
    returned: set[str]


@holds_cycle_lock(recovers_finalize=True)  # its own recovery, which says so in a warning
def finalize_cycle(cycle_dir: Path | str, schedule_path: Path | str, config: Config, *,
                   targets: list[str] | None = None, templates: list[Path] | None = None,
                   today: dt.date | None = None, google: GoogleTarget | None = None,
                   partial: bool = False, signed_off_by: str | None = None,
                   movements: Path | None = None, odoo_quants: Path | None = None) -> FinalizeReport:
    """partial: lock the cycle although some locations never returned their sheet (their lines
    are not adjusted and their Last Count does not move); without it, that is refused.
    signed_off_by: the lead who signs the cycle off (with [approvals], a person of its lead role).
    odoo_quants: Odoo's update-by-ID export of the counted locations, written back completed."""
    cycle_dir, schedule_path = Path(cycle_dir), Path(schedule_path)
    use_limits(config.limits)  # every workbook this command opens
    today = today or dt.date.today()
    manifest, interrupted, lead = _open_to_finalize(cycle_dir, config, signed_off_by)
    counts = _last_counts(cycle_dir, manifest, config, google)
    previous = _decisions(cycle_dir, manifest, google)
    docs, suggested = previous.documentation, suggest_transfers(counts.lines)
    blocking = decision_problems(suggested, previous.transfers, cycle_dir / RESULTS) + finalize_blockers(
        cycle_dir, manifest, config, counts.lines, counts.problems, counts.returned, docs, previous.resolutions, today,
        partial, results=cycle_dir / RESULTS, tab=DISCREPANCIES)
    if blocking:
        raise InputError(blocking, summary=f"cycle {manifest.cycle_id} cannot be finalized yet: "
                                           f"{len(blocking)} item(s) need attention")
    accepted = [t for t in suggested if transfer_decision(t, previous.transfers) == ACCEPT]
    after = moved_since_counts(cycle_dir, manifest, config, counts.lines, movements)
    loaded = _load_targets(config, targets, templates)
    adjustments, counted = adjustment_lists(counts.lines, docs, manifest, config, accepted, _reading(loaded))
    rendered = _render_targets(loaded, adjustments, manifest, config, counted, after)
    rendered, odoo_notes = _odoo_completed(loaded, rendered, counts, config, manifest.cycle_id, odoo_quants, after)
    warnings = _warnings(interrupted, manifest, counts, docs, adjustments, loaded, rendered, config, today, after)
    warnings += _undecided(suggested, accepted) + odoo_notes
    warnings += _target_findings(loaded, counts.lines, config, manifest.cycle_id)
    moved_lines = transfer_lines(accepted, docs, previous.transfers, manifest)
    moves = render_transfers(moved_lines, [t.name for t in loaded],
                             {"cycle": _cycle_info(manifest), "targets": config.adjustments})
    totals = figures(counts.lines, [r.location for r in manifest.locations], len(counts.problems), config.count,
                     counts.returned)
    history = HistoryRow(manifest.cycle_id, dt.date.fromisoformat(manifest.count_date), today,
                         len(counts.returned), totals.lines_counted, totals.discrepancies,
                         totals.discrepancy_rate, totals.net_value, totals.absolute_value, totals.accuracy,
                         signed_off_by=lead)
    lines_table = counted_lines_table(manifest.cycle_id, dt.date.fromisoformat(manifest.count_date), counts.lines,
                                      docs, {r.location: r.zone for r in manifest.locations}, config.count)
    schedule = workbook_at(schedule_path, google)
    spec, moved = _moved_on(schedule, manifest, counts, history, config, today, lines_table)
    outputs = Outputs({**moves, **{f"{t.name}.{t.extension}": t.text for t in rendered}},
                      (REVIEW, review_workbook(adjustments, manifest.cycle_id, config.count.currency_format,
                                               moved_lines)),
                      schedule.file, spec if schedule.file else None,
                      cycle_dir / schedule_backup_name(manifest.cycle_id),
                      records={COUNTED_LINES: parquet_bytes(lines_table)})
    summary = {"targets": {t.name: t.mode for t in rendered}, "adjustments": len(adjustments),
               "discrepancy_rate": None if totals.discrepancy_rate is None else str(totals.discrepancy_rate),
               "warnings": warnings, "signed_off_by": lead or None}
    _commit(cycle_dir, manifest, outputs, _recorder(cycle_dir, manifest, counts.files, summary),
            None if schedule.file else _replace_later(schedule, spec, f"Schedule before {manifest.cycle_id}"))
    backup = outputs.backup if schedule.file else Path(f"Google Drive copy 'Schedule before {manifest.cycle_id}'")
    final_dir = cycle_dir / ADJUSTMENTS
    return FinalizeReport(manifest.cycle_id, len(adjustments), [final_dir / name for name in outputs.files],
                          schedule_path, backup, moved, history, warnings, review=final_dir / REVIEW,
                          signed_off_by=lead, transfers=len(accepted))


def _open_to_finalize(cycle_dir: Path, config: Config, signed_off_by: str | None) -> tuple[Manifest, bool, str]:
    """The cycle's manifest once an interrupted finalize is undone or completed, whether one was,
    and the lead who signs off: a finalized cycle, or a sign-off [approvals] refuses, stops here."""
    manifest = load_manifest(cycle_dir)
    interrupted = recover_or_refuse(cycle_dir, manifest, "finalize")  # cleaned up if it committed, else undone
    if manifest.finalized:
        raise CycleError(f"cycle {manifest.cycle_id} was already finalized on {manifest.finalized.at}; "
                         "nothing was changed")
    refused = sign_off_problem(config, signed_off_by)
    if refused:
        raise CycleError(f"cycle {manifest.cycle_id} not finalized, nothing was written: {refused}")
    return manifest, interrupted, lead_name(config, signed_off_by) if signed_off_by else ""


def _decisions(cycle_dir: Path, manifest: Manifest, google: GoogleTarget | None) -> PreviousResults:
    """What people decided in the results: in the Google results if finance works there, else
    results.xlsx (only the tabs that hold it are read)."""
    results = results_target(cycle_dir, manifest, google)
    return read_decisions(results.read()) if results.exists() else PreviousResults()


def _cycle_info(manifest: Manifest) -> CycleInfo:
    return CycleInfo(manifest.cycle_id, dt.date.fromisoformat(manifest.count_date),
                     dt.date.fromisoformat(manifest.as_of))


def _undecided(suggested: list[Transfer], accepted: list[Transfer]) -> list[str]:
    """Suggested transfers not accepted: posted as a write-off and a write-on, as counted."""
    ids = transfer_ids(suggested)
    left = [ids[t.key] for t in suggested if t not in accepted]
    if not left:
        return []
    return [f"{len(left)} suggested transfer(s) not accepted in the Transfers tab ({some_of(left)}): their lines "
            "are posted as a write-off in one location and a write-on in the other"]


def _last_counts(cycle_dir: Path, manifest: Manifest, config: Config, google: GoogleTarget | None) -> _Counts:
    """The counts of the last ingest, from the same sheets (proven unchanged) and snapshot: saved
    in the cycle folder when the rules are the same, else read again."""
    files = unchanged_since_ingest(cycle_dir, manifest, google)
    last = manifest.ingests[-1]
    verify_frozen(cycle_dir, manifest)
    saved = load_counts(cycle_dir, last.counts, counts_key(last.digests(), config))
    if saved is not None:  # the sheets and the rules are as the last ingest read them
        lines, problems, returned = saved
        return _Counts(files, lines, problems, returned)
    stored = read_cycle_movements(cycle_dir, manifest, config)[0]  # what the last ingest compared with
    frozen = read_frozen(cycle_dir, manifest)
    accepted, lines, problems = (count_state(manifest, frozen, files, config) if stored is None
                                 else count_state(manifest, frozen, files, config, None, frozenset(), stored))
    return _Counts(files, lines, problems, returned_locations(accepted))


@dataclass
class AfterCount:
    """The stock moved after each count, up to the end of the movements export: what an import
    that sets quantities must add to the counted quantity."""

    by_line: dict[str, Decimal]  # Line ID -> moved after its count
    end: dt.datetime | None  # the last movement of the export
    file: str


def moved_since_counts(cycle_dir: Path, manifest: Manifest, config: Config, lines: list[CountedLine],
                       given: Path | None) -> AfterCount | None:
    """The movements after each count, from the export given now (it may run up to the import),
    else the one the last ingest kept. The movements before each count must be those the results
    were made with: else the variances reviewed would not be those posted, and it is refused."""
    movements, _ = read_cycle_movements(cycle_dir, manifest, config, given)
    if movements is None:
        return None
    copies = [replace(line) for line in lines]  # the lines as ingested stay as they are
    apply_movements(copies, movements.movements, dt.datetime.fromisoformat(manifest.created), {},
                    {r.location for r in manifest.locations})
    differ = [line.line_id for line, copy in zip(lines, copies, strict=True)
              if line.counted and line.moved_qty != copy.moved_qty]
    if differ or movements.problems:
        why = (f"shows other movements before the count of {len(differ)} line(s) ({some_of(differ)}) than the "
               "results were made with" if differ else f"has {len(movements.problems)} row(s) that cannot be read")
        raise InputError(movements.problems, summary=(
            f"cycle {manifest.cycle_id} not finalized, nothing was written: the movements export {movements.file} "
            f"{why}; ingest again with --movements {movements.file} and review the results"))
    after = {line.line_id: line.moved_after for line in copies if line.counted and line.moved_after}
    return AfterCount(after, export_end(movements.movements), movements.file)


def _with_moves_after(adjustments: list[Adjustment], after: AfterCount) -> list[Adjustment]:
    """The lines of an absolute import: counted plus the stock moved after the count."""
    return [replace(a, counted_qty=quantity_text(Decimal(a.counted_qty) + after.by_line[a.line_id]))
            if a.line_id in after.by_line and a.counted_qty else a for a in adjustments]


def _counted_after(lines: list[CountedLine], after: AfterCount | None) -> list[CountedLine]:
    """The lines as a file that sets quantities must carry them: counted plus moved after the count."""
    if after is None or not after.by_line:
        return lines
    return [replace(ln, counted_qty=ln.counted_qty + after.by_line[ln.line_id])
            if ln.line_id in after.by_line and ln.counted_qty is not None else ln for ln in lines]


def _load_targets(config: Config, targets: list[str] | None, templates: list[Path] | None) -> list[LoadedTarget]:
    """The targets asked for (else the configured defaults) and the user's templates, parsed."""
    chosen: list[str | Path] = [*(targets or ([] if templates else list(config.count.default_targets))),
                                *(templates or [])]
    return [load_target(t) for t in chosen]


def _reading(loaded: list[LoadedTarget]) -> bool:
    """A template reads `counted`: every counted line is made for it."""
    return any(t.reads_counted for t in loaded)


def _render_targets(loaded: list[LoadedTarget], adjustments: list[Adjustment], manifest: Manifest, config: Config,
                    counted: list[Adjustment], after: AfterCount | None = None) -> list[RenderedTarget]:
    """Each ERP target's import file, rendered in memory and checked before anything is written.
    A template sees the lines to adjust and, as `counted`, every line counted (made only when a
    template reads it); an absolute one carries the stock moved after each count (`after`)."""
    _check_targets(loaded, adjustments, config, manifest.cycle_id)
    context = {"cycle": _cycle_info(manifest), "targets": config.adjustments}
    rendered: list[RenderedTarget] = []
    for target in loaded:
        escapes = _escapes(config, target.name)
        lines, every = (escaped(adjustments), escaped(counted)) if escapes else (adjustments, counted)
        made = render_target(target, lines, {**context, "counted": every})
        if made.mode == "absolute" and after is not None and after.by_line:  # its mode is known once rendered
            made = render_target(target, _with_moves_after(lines, after),
                                 {**context, "counted": _with_moves_after(every, after)})
        rendered.append(made)
    _check_names(rendered)
    _check_moves(adjustments, rendered, config, manifest.cycle_id)
    return rendered


def _check_moves(adjustments: list[Adjustment], rendered: list[RenderedTarget], config: Config,
                 cycle_id: str) -> None:
    """A move into the discrepancy location is a difference: a file that sets absolute quantities
    would set that location's whole stock to the shortage."""
    location = config.finalize.discrepancy_location
    absolute = [t.name for t in rendered if t.mode == "absolute"]
    if not location or not absolute or not any(a.location == location and not a.counted_qty for a in adjustments):
        return
    raise ConfigError(f"cycle {cycle_id} not finalized, nothing was written: {', '.join(absolute)} set absolute "
                      f"quantities, and unexplained shortages are moved into {location} ([finalize] "
                      "discrepancy_location), whose stock the cycle did not count. Finalize with targets that "
                      "post differences (generic, netsuite, business-central), or leave discrepancy_location out")


def _target_findings(loaded: list[LoadedTarget], lines: list[CountedLine], config: Config, cycle_id: str
                     ) -> list[str]:
    """What a shipped target's file cannot carry (layouts.target_checks): refused, writing nothing, or
    said in a warning, naming the lines."""
    refusals, warnings = [], []
    for target in (t for t in loaded if t.shipped):
        found = check_target(target.name, config.adjustments.get(target.name, {}), lines)
        refusals += found.refusals
        warnings += found.warnings
    if refusals:
        raise ConfigError(f"cycle {cycle_id} not finalized, nothing was written: " + "; ".join(refusals))
    return warnings


def _odoo_completed(loaded: list[LoadedTarget], rendered: list[RenderedTarget], counts: _Counts, config: Config,
                    cycle_id: str, export: Path | None, after: AfterCount | None = None
                    ) -> tuple[list[RenderedTarget], list[str]]:
    """Odoo adds a row without ID to the stock: lines Odoo holds are written into its own
    update-by-ID export (layouts.odoo_quants), and without that export they are refused. Odoo sets
    the quantity: it gets the count plus the stock moved after it (`after`)."""
    odoo = next((t for t in loaded if t.name == ODOO and t.shipped), None)
    if odoo is None:
        if export is not None:
            raise ConfigError(f"--odoo-quants was given but odoo is not among the targets of cycle {cycle_id}; "
                              "add --target odoo")
        return rendered, []
    if export is None:
        held = [ln.line_id for ln in counts.lines if ln.counted and ln.variance_qty and ln.system_qty != 0]
        if held:
            raise ConfigError(
                f"cycle {cycle_id} not finalized, nothing was written: Odoo would add the count to the stock "
                f"of {len(held)} line(s) it already holds ({some_of(held)}). In Odoo's Physical Inventory, "
                "filter on the counted locations, Export with 'I want to update data' (ID, Product, Location, "
                "Lot/Serial Number, Counted Quantity) and give that file with --odoo-quants EXPORT.csv")
        return rendered, []
    prefix = str(config.adjustments.get(ODOO, {}).get("location_prefix", ""))
    counted_places = {ln.location for ln in counts.lines if ln.counted} | counts.returned
    done = complete_export(read_export(export), _counted_after(counts.lines, after), counted_places, prefix)
    notes = [f"odoo: {done.filled} line(s) of the Odoo export {export.name} given their count, "
             f"{len(done.added)} counted line(s) added as new rows without ID"
             + (f", {done.elsewhere} exported row(s) in locations not counted left out" if done.elsewhere else "")]
    if done.not_listed:
        notes.append(f"odoo: {len(done.not_listed)} exported row(s) in counted locations that this cycle did not "
                     f"count were left out, their Odoo count untouched: {some_of(done.not_listed)}")
    if done.added_in_stock:
        notes.append(f"odoo: {len(done.added_in_stock)} line(s) held stock at the snapshot but are not in the "
                     f"Odoo export ({some_of(done.added_in_stock)}): a new row ADDS to Odoo's stock and a count of 0 "
                     "is not written; correct these lines in Odoo by hand, or export their locations again")
    file = RenderedTarget(ODOO, "absolute", "csv", done.text)
    return [file if t.name == ODOO else t for t in rendered], notes


def _warnings(interrupted: bool, manifest: Manifest, counts: _Counts, docs: dict[str, dict[str, Any]],
              adjustments: list[Adjustment], loaded: list[LoadedTarget], rendered: list[RenderedTarget],
              config: Config, today: dt.date, after: AfterCount | None = None) -> list[str]:
    """What the user should know of the cycle finalized, in this order: what it went without, what it
    posted bare, what the import files hold, recounts unused, a snapshot too old for absolute targets,
    authority not enforced (no [approvals])."""
    missing, recounts_out = _not_in_yet(manifest, counts.lines, counts.returned)
    warnings = []
    if interrupted:
        warnings.append("an earlier finalize of this cycle was interrupted: what it had written was undone "
                        "before this one")
    if missing:
        warnings.append(f"finalized without {len(missing)} location(s) that never returned their sheet "
                        f"({some_of(missing)}): not adjusted, still due")
    warnings += _posted_bare(counts.lines, docs, adjustments)
    moved = [a.line_id for a in adjustments if a.location == config.finalize.discrepancy_location
             and not a.counted_qty]
    if moved:
        warnings.append(f"{len(moved)} unexplained shortage(s) moved into {config.finalize.discrepancy_location} "
                        f"instead of written off ({some_of(moved)}): find them there, or write them off later")
    warnings += _formula_warnings(adjustments, [t.name for t in loaded], config)
    if recounts_out:
        warnings.append(f"{len(recounts_out)} recount sheet(s) came back with no line recounted, or not at all "
                        f"({some_of(recounts_out)}): "
                        "their first counts were used")
    warnings += [NOT_ENFORCED] if config.approvals is None else []
    if after is not None:
        return warnings + _valid_until(rendered, after)
    return warnings + _age_warnings(rendered, manifest, config, today)


def _valid_until(rendered: list[RenderedTarget], after: AfterCount) -> list[str]:
    """Up to when an absolute import holds: the end of the movements export it carries."""
    until = after.end.isoformat(sep=" ", timespec="minutes") if after.end else "the snapshot (no movement in it)"
    return [f"{target.name} sets absolute quantities valid up to {until}, the last movement in {after.file}: "
            f"the stock moved after each count up to then is in the file ({len(after.by_line)} line(s)); import "
            "it before anything else moves in these locations, or export the movements again and finalize with "
            "--movements" for target in rendered if target.mode == "absolute"]


def _posted_bare(lines: list[CountedLine], docs: dict[str, dict[str, Any]], adjustments: list[Adjustment]
                 ) -> list[str]:
    """Discrepancies posted with no Root Cause, and lines posted with no value."""
    warnings = []
    posted = {a.line_id for a in adjustments}  # a line a transfer explains whole is not adjusted
    undocumented = [line.line_id for line in lines if line.line_id in posted
                    and not _text(docs.get(line.line_id, {}).get("Root Cause"))]
    if undocumented:
        warnings.append(f"{len(undocumented)} discrepancy(ies) posted with no Root Cause "
                        f"({some_of(undocumented)}): "
                        "the import files say 'cause not documented'")
    unvalued = [a.line_id for a in adjustments if not a.unit_cost]
    if unvalued:
        warnings.append(f"{len(unvalued)} line(s) posted without a value: no unit cost is known for the part "
                        f"({some_of(unvalued)}); the net and absolute values leave them out, and the import files "
                        "leave their cost blank")
    return warnings


def _age_warnings(rendered: list[RenderedTarget], manifest: Manifest, config: Config, today: dt.date) -> list[str]:
    """Absolute quantities from an old snapshot overwrite the stock moved since."""
    age = (today - dt.date.fromisoformat(manifest.created[:10])).days
    if age <= config.count.max_snapshot_age_days:
        return []
    return [f"{target.name} sets absolute quantities from a snapshot taken {age} days ago: stock that "
            "moved in or out of these locations since then will be overwritten on import"
            for target in rendered if target.mode == "absolute"]

def _moved_on(schedule: WorkbookTarget, manifest: Manifest, counts: _Counts, history: HistoryRow,
              config: Config, today: dt.date, lines_table: pa.Table) -> tuple[WorkbookSpec, list[str]]:
    """The schedule with the cycle's locations (or parts) moved on, and their names. A location moves
    on when something on it was counted, or it was confirmed empty."""
    schedule_file = read_schedule_at(schedule)
    count_date = dt.date.fromisoformat(manifest.count_date)
    if schedule_file.by == "part":  # a part moves on when a line of it was counted
        counted_on = {ln.part_number: count_date for ln in counts.lines if ln.counted and not ln.found}
        return updated_schedule(schedule_file, counted_on, history, config, today)
    with_lines = {ln.location for ln in counts.lines if not ln.found}
    counted_places = {ln.location for ln in counts.lines if ln.counted} | {
        name for name in counts.returned if name not in with_lines}
    counted_on = {name: count_date for name in counted_places}
    return updated_schedule(schedule_file, counted_on, history, config, today,
                            _count_results(lines_table, schedule_file.by, counted_places, count_date))


def _count_results(lines_table: pa.Table, by: str, counted_places: set[str], count_date: dt.date
                   ) -> dict[str, CountResult]:
    """Each schedule row's count in this cycle, for the adaptive cadence: the figures the report
    shows (accuracy_by); a location confirmed empty, and found so, counted clean."""
    key = "location" if by == "location" else "part_number"
    results = {name: CountResult(count_date, 0, 0, 0) for name in counted_places} if by == "location" else {}
    for group in accuracy_by(lines_table, [key]).to_pylist():
        results[group[key]] = CountResult(count_date, group["lines"], group["within_tolerance"], group["majors"])
    return results


def _replace_later(schedule: WorkbookTarget, spec: WorkbookSpec, backup_label: str) -> Callable[[], None]:
    """A schedule outside the cycle folder (a spreadsheet), replaced just before the commit."""
    def replace() -> None:
        schedule.keep_backup(backup_label)
        schedule.write(spec)

    return replace


def _recorder(cycle_dir: Path, manifest: Manifest, files: list[Source], summary: dict[str, Any]
              ) -> Callable[[dict[str, str]], FinalizeRecord]:
    """The manifest's `finalized` entry, given each output's recorded path -> SHA-256."""
    last = manifest.ingests[-1]

    def record(outputs: dict[str, str]) -> FinalizeRecord:
        local = [cycle_dir / SNAPSHOT, *([cycle_dir / PART_COSTS] if manifest.costs_sha256 else []),
                 cycle_dir / RESULTS, *([source_path(cycle_dir, last.movements.file)] if last.movements else [])]
        return FinalizeRecord(
            at=dt.datetime.now().isoformat(timespec="seconds"),
            # the filled sheets were just proven to have the digests the last ingest recorded
            inputs={**{recorded_path(cycle_dir, p): entry.sha256 for p, entry in zip(files, last.files)
                       if isinstance(p, Path)},
                    **{recorded_path(cycle_dir, p): file_sha256(p) for p in local}},
            google_inputs={str(f.path): source_digest(f) for f in files if not isinstance(f, Path)},
            outputs=outputs,
            **summary,
        )

    return record


def _commit(cycle_dir: Path, manifest: Manifest, outputs: Outputs,
            record: Callable[[dict[str, str]], FinalizeRecord], remote: Callable[[], None] | None) -> None:
    """Everything written and the cycle locked, or nothing changed and the cycle open."""
    try:
        commit_finalize(cycle_dir, manifest, outputs, record, remote)
    except OSError as exc:  # a full disk, a folder without write permission: nothing was changed
        raise _write_error(exc, manifest.cycle_id) from None
    except WriteError as exc:  # the same, met by an atomic write
        if not isinstance(exc.__cause__, OSError):
            raise
        raise _write_error(exc.__cause__, manifest.cycle_id) from None
    except XlsxFileError as exc:
        raise _write_error(exc.args[0] if exc.args and isinstance(exc.args[0], OSError)
                           else OSError(str(exc)), manifest.cycle_id) from None
