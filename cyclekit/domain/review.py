"""Review rules: what finance answers in the results workbook, and what stops finalize.

One place for each rule that ingest, finalize and status share:
- a problem is open until a recount counted its line or a Resolution answers it (problem_key:
  the same problem in the same cell of the same file name, stable across re-ingests);
- a Major discrepancy needs Approved By and an Approval Date that reads as a date, not after
  the day finalize runs; a Status is one of STATUSES;
- finalize waits for open problems, approvals, and every location's sheet (unless partial);
- the targets the figures are held to: the ABC classes and the discrepancy rate to stay under.

Pure: plain records in, problems out; where the documentation lives (the results workbook and
its tab) is given by the caller.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cyclekit.domain.problems import ProblemKind
from cyclekit.domain.typed_dates import read_typed_date
from cyclekit.domain.values import cell_text, format_decimal, parse_date
from cyclekit.domain.variance import MAJOR, CountedLine, fixed_by_recount, judge
from cyclekit.errors import Problem, some_of

if TYPE_CHECKING:
    from cyclekit.config import Config
    from cyclekit.folder.cycle import Manifest

ABC_CLASSES = ("A", "B", "C")  # highest value first: A is counted most often, with the least tolerance
# Foreman: aim for a discrepancy rate under 5 % after the first few cycles
DISCREPANCY_RATE_TARGET = Decimal("0.05")
RATE_TARGET_TEXT = f"{format_decimal(DISCREPANCY_RATE_TARGET * 100)} %"  # as people read it: "5 %"
UNDER_INVESTIGATION = "Under Investigation"  # Foreman: a cause not found by the deadline
STATUSES = ("Open", UNDER_INVESTIGATION, "Resolved")  # of a discrepancy, as finance sets it
APPROVAL = ("Approved By", "Approval Date")  # what a Major discrepancy needs before finalize
OPEN = "Open"  # a problem neither a recount fixed nor a Resolution answered

ProblemKey = tuple[str, str, str, str]
Documentation = Mapping[str, Mapping[str, Any]]  # Line ID -> header -> what finance typed


def problem_key(problem: Problem) -> ProblemKey:
    """Stable across re-ingests: the same problem in the same cell of the same file name."""
    return problem_key_of(problem.kind, problem.file, problem.sheet or "", problem.cell or "")


def problem_key_of(kind: str, file: str, tab: str, cell: str) -> ProblemKey:
    return (kind, Path(file).name, tab, cell)


def problem_status(problem: Problem, fixed: Mapping[str, str], resolutions: Mapping[Any, str]) -> str:
    """OPEN, or why not: the line was counted on a recount (fixed: fixed_by_recount's), or a
    Resolution was written for it."""
    sheet_id = fixed.get(problem.line_id or "")
    if sheet_id is not None:
        return f"Fixed by recount {sheet_id}".rstrip()
    return "Resolved" if problem_key(problem) in resolutions else OPEN


def open_problems(problems: list[Problem], lines: list[CountedLine],
                  resolutions: Mapping[Any, str]) -> list[Problem]:
    """The problems neither a recount fixed nor a Resolution answered (what finalize waits for)."""
    fixed = fixed_by_recount(lines)
    return [p for p in problems if problem_status(p, fixed, resolutions) == OPEN]


def person_key(name: str) -> str:
    """A person's name or e-mail as compared: case and spacing aside ("dana  WHITFIELD" is Dana Whitfield),
    and what does not show: a zero-width space or a full-width letter typed into Recounted By must not
    make the first counter another person."""
    shown = "".join(c for c in unicodedata.normalize("NFKC", name) if unicodedata.category(c) != "Cf")
    return " ".join(shown.split()).casefold()


def doc_text(value: Any) -> str:
    """What a person typed in the documentation, as text (a date as YYYY-MM-DD)."""
    if isinstance(value, dt.datetime | dt.date):
        return parse_date(value).isoformat()
    return cell_text(value)


def _approval_problem(line: CountedLine, doc: Mapping[str, Any], config: Config,
                      today: dt.date) -> tuple[ProblemKind, str, str] | None:
    """What is wrong with a Major line's approval (kind, message, value), or None."""
    missing = [name for name in APPROVAL if not doc_text(doc.get(name))]
    if missing:
        return (ProblemKind.NEEDS_APPROVAL, f"Major discrepancy {line.line_id} ({line.part_number}, variance "
                f"{format_decimal(line.variance_qty or Decimal(0))}) has no {' and no '.join(missing)}",
                line.line_id)
    try:  # read as ingest reads it: a date typed after the last ingest is not refused for its form
        approved = read_typed_date(doc["Approval Date"], config.count.date_order)
    except ValueError as why:
        return ProblemKind.BAD_DATE, f"Approval Date of {line.line_id} {why}", doc_text(doc["Approval Date"])
    if approved > today:  # an approval cannot come before the day it was given
        return (ProblemKind.BAD_DATE, f"Approval Date of {line.line_id} is after today ({today.isoformat()})",
                approved.isoformat())
    return None


def approval_problems(lines: list[CountedLine], docs: Documentation, config: Config, results: Path,
                      today: dt.date, *, tab: str) -> list[Problem]:
    """Statuses outside STATUSES, and Major discrepancies not approved (or approved badly), as
    problems in the results workbook's `tab`."""
    problems = []
    for line in lines:
        if not line.counted or line.variance_qty == 0:
            continue
        doc = docs.get(line.line_id, {})
        status = doc_text(doc.get("Status"))
        if status and status not in STATUSES:  # typed or pasted past the tab's list
            problems.append(Problem(ProblemKind.BAD_STATUS, str(results),
                                    f"Status of {line.line_id} must be {', '.join(STATUSES)}", sheet=tab, value=status))
        if judge(line, config.count).severity != MAJOR:
            continue
        found = _approval_problem(line, doc, config, today)
        if found is not None:
            kind, message, value = found
            problems.append(Problem(kind, str(results), message, sheet=tab, value=value))
    return problems


def approved(line: CountedLine, docs: Documentation, config: Config, today: dt.date) -> bool:
    """Whether a Major discrepancy has an approval finalize accepts."""
    return _approval_problem(line, docs.get(line.line_id, {}), config, today) is None


def not_in_yet(manifest: Manifest, lines: list[CountedLine], returned: set[str]) -> tuple[list[str], list[str]]:
    """Locations whose count sheet never came back, and recount sheets with no line recounted."""
    missing = [r.location for r in manifest.locations if r.location not in returned]
    recounted = {line.recount_sheet for line in lines if line.recount_sheet}
    recounts = [f"{s.sheet_id} ({s.location})" for s in manifest.sheets
                if s.kind == "recount" and s.sheet_id not in recounted]
    return missing, recounts


def finalize_blockers(cycle_dir: Path, manifest: Manifest, config: Config, lines: list[CountedLine],
                      problems: list[Problem], returned: set[str], docs: Documentation,
                      resolutions: Mapping[Any, str], today: dt.date, partial: bool = False, *,
                      results: Path, tab: str) -> list[Problem]:
    """What stops finalize (and what `status` lists): problems with no Resolution that no recount
    fixed, Major lines not approved (or approved badly), locations whose sheet never came back;
    with [approvals], approvals past the approver's authority, Major lines without a Root Cause,
    recounts by the first counter (domain.authority).
    results, tab: where the approvals are written (the results workbook, its Discrepancies tab)."""
    blocking = [Problem(ProblemKind.UNRESOLVED_PROBLEM, p.file, f"{p.message} (write a Resolution in the "
                        "Problems tab or correct the sheet and ingest again)", sheet=p.sheet, cell=p.cell,
                        value=p.value)
                for p in open_problems(problems, lines, resolutions)]
    blocking += approval_problems(lines, docs, config, results, today, tab=tab)
    if config.approvals is not None:  # authority enforced: [approvals] in cyclekit.toml
        from cyclekit.domain.authority import Where, aliases, documentation_problems, same_counter_problems

        where = Where(results, cycle_dir)
        blocking += documentation_problems(lines, docs, config, where, tab=tab, known=aliases(manifest))
        blocking += same_counter_problems(lines, manifest, where)
    missing, _ = not_in_yet(manifest, lines, returned)
    if missing and not partial:
        blocking.append(Problem(ProblemKind.NOT_RETURNED, str(cycle_dir), (
            f"{len(missing)} location(s) have not returned their count sheet: {some_of(missing)}. Ingest them "
            "first, or finalize with --partial to lock the cycle without them (they stay due)")))
    return blocking
