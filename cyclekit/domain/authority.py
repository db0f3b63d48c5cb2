"""Who may approve what, enforced: the controls of `[approvals]` in cyclekit.toml.

Foreman: minor discrepancies are adjusted by an Inventory Coordinator or Warehouse Lead, major
ones need an Operations Manager or Finance; a Warehouse Lead approves the cycle's finalization;
a miscount is checked by a second team member's recount. With `[approvals]` finalize refuses:
- a line whose Approved By is no one, or no one whose role's limits cover its amount (a gain and
  a loss may have limits of their own; an unvalued line only by a role with no value limit);
- a Major line without a Root Cause;
- a recount counted by the person who made the first count;
- a line approved by a person who counted or recounted it (approvals are a different person's);
- a sign-off by anyone but a person of the lead role.
Without `[approvals]` nothing here is enforced (finalize says so in a warning).

Pure: plain records in, problems out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cyclekit.domain.money import amount_display
from cyclekit.domain.problems import ProblemKind
from cyclekit.domain.review import person_key
from cyclekit.domain.values import cell_text, format_decimal
from cyclekit.domain.variance import MAJOR, NOT_SIGNED, CountedLine, judge
from cyclekit.errors import Problem

if TYPE_CHECKING:
    from cyclekit.config import ApprovalsConfig, ApproverRole, Config
    from cyclekit.folder.cycle import Manifest

DOC_ROW = "Row"  # in documentation read back: the row of the tab it was typed on
DOC_TAB = "Tab"
NOT_ENFORCED = ("authority is not enforced: cyclekit.toml has no [approvals] section (who may approve "
                "what, the lead who signs the cycle off); any name in Approved By was accepted")


@dataclass(frozen=True)
class Where:
    """The results workbook the documentation is in (its path), and the recount sheets' folder."""

    results: Path
    cycle_dir: Path


def allows(role: ApproverRole, line: CountedLine) -> bool:
    """Whether the role's limits cover the line's variance (quantity and value, in its direction)."""
    variance = line.variance_qty or Decimal(0)
    gain = variance > 0
    most_qty = role.limit("qty", gain)
    if most_qty is not None and abs(variance) > most_qty:
        return False
    most_value = role.limit("value", gain)
    if most_value is None:
        return True
    value = line.variance_value
    return value is not None and abs(value) <= most_value  # a value unknown is never under a limit


def allowed_roles(approvals: ApprovalsConfig, line: CountedLine) -> list[ApproverRole]:
    return [role for role in approvals.roles if allows(role, line)]


def allowed_people(approvals: ApprovalsConfig, line: CountedLine) -> list[str]:
    """Everyone who may approve the line, once each."""
    seen: dict[str, str] = {}
    for role in allowed_roles(approvals, line):
        for person in role.people:
            seen.setdefault(person_key(person), person)
    return list(seen.values())


def role_limits(role: ApproverRole) -> str:
    """A role's limits as people read them: "up to 5 units and up to a value of 500.00", "any amount"."""
    def shown(kind: str, limit: Decimal) -> str:
        return f"{format_decimal(limit)} units" if kind == "qty" else f"a value of {amount_display(limit)}"

    parts = []
    for kind in ("qty", "value"):
        gain, loss = role.limit(kind, True), role.limit(kind, False)
        if gain == loss:
            if gain is not None:
                parts.append(f"up to {shown(kind, gain)}")
            continue
        parts += [f"{word} up to {shown(kind, v)}" for word, v in (("gains", gain), ("losses", loss))
                  if v is not None]
    return " and ".join(parts) or "any amount"


def _amount(line: CountedLine) -> str:
    variance = line.variance_qty or Decimal(0)
    value = "no value known" if line.variance_value is None else f"value {amount_display(abs(line.variance_value))}"
    return f"a {'gain' if variance > 0 else 'loss'} of {format_decimal(abs(variance))} ({value})"


def _approver_problem(approvals: ApprovalsConfig, line: CountedLine, approver: str) -> str:
    """Why the person in Approved By may not approve the line ("" when they may)."""
    key = person_key(approver)
    theirs = [role for role in approvals.roles if key in {person_key(p) for p in role.people}]
    if any(allows(role, line) for role in theirs):
        return ""
    who = ", ".join(allowed_people(approvals, line)) or "no one in [approvals]"
    if not theirs:
        return (f"{line.line_id} ({line.part_number}) is approved by {approver!r}, who is named in no role of "
                f"[approvals]; it may be approved by: {who}")
    held = "; ".join(f"{role.name}: {role_limits(role)}" for role in theirs)
    return (f"{line.line_id} ({line.part_number}) is {_amount(line)}, more than {approver} may approve "
            f"({held}); it may be approved by: {who}")


Aliases = Mapping[str, frozenset[str]]  # a person's key -> the keys of their other names (name, e-mail)


def aliases(manifest: Manifest) -> Aliases:
    """A person's name and e-mail address as one person, as the locations file pairs them (Owner,
    Owner Email): so that typing one's e-mail does not pass for someone else."""
    same: dict[str, set[str]] = {}
    for record in manifest.locations:
        if record.owner.strip() and record.owner_email.strip():
            name, email = person_key(record.owner), person_key(record.owner_email)
            same.setdefault(name, set()).add(email)
            same.setdefault(email, set()).add(name)
    return {key: frozenset(keys) for key, keys in same.items()}


def same_person(a: str, b: str, known: Aliases) -> bool:
    """Names compared as everywhere (case and spacing aside), a name and its e-mail as one."""
    key_a, key_b = person_key(a), person_key(b)
    return key_a == key_b or key_b in known.get(key_a, frozenset())


def _own_count(line: CountedLine, approver: str, known: Aliases) -> str:
    """How the approver had a hand in the line's count ("" when they had none)."""
    done = [what for who, what in ((line.counted_by, f"counted it on {line.sheet_id}"),
                                    (line.recounted_by, f"recounted it on {line.recount_sheet}"))
            if who and who != NOT_SIGNED and same_person(who, approver, known)]
    return " and ".join(done)


def _others(approvals: ApprovalsConfig, line: CountedLine, known: Aliases) -> list[str]:
    """The people who may approve the line and did not count it."""
    return [p for p in allowed_people(approvals, line) if not _own_count(line, p, known)]


def _at(doc: Mapping[str, Any], where: Where, tab: str) -> dict[str, Any]:
    row = doc.get(DOC_ROW)
    return {"file": str(where.results), "sheet": cell_text(doc.get(DOC_TAB)) or tab,
            "row": row if isinstance(row, int) else None}


def documentation_problems(lines: list[CountedLine], docs: Mapping[str, Mapping[str, Any]], config: Config,
                           where: Where, *, tab: str, known: Aliases | None = None) -> list[Problem]:
    """Lines approved by someone not allowed for their amount, and Major lines with no Root Cause:
    one problem per line, at its row of the results workbook's `tab`."""
    approvals = config.approvals
    if approvals is None:
        return []
    problems = []
    for line in lines:
        if not line.counted or line.variance_qty == 0:
            continue
        doc = docs.get(line.line_id, {})
        approver = cell_text(doc.get("Approved By"))
        why = _approver_problem(approvals, line, approver) if approver else ""
        if why:
            problems.append(Problem(ProblemKind.NOT_ALLOWED_TO_APPROVE, column="Approved By", value=approver,
                                    message=why, line_id=line.line_id, **_at(doc, where, tab)))
        counted = _own_count(line, approver, known or {}) if approver else ""
        if counted:
            problems.append(Problem(
                ProblemKind.APPROVED_OWN_COUNT, column="Approved By", value=approver, line_id=line.line_id,
                **_at(doc, where, tab),
                message=f"{line.line_id} ({line.part_number}) is approved by {approver}, who {counted}: an "
                        f"adjustment is approved by someone other than its counters; it may be approved by: "
                        f"{', '.join(_others(approvals, line, known or {})) or 'no one in [approvals]'}"))
        if judge(line, config.count).severity == MAJOR and not cell_text(doc.get("Root Cause")):
            problems.append(Problem(
                ProblemKind.NO_ROOT_CAUSE, column="Root Cause", line_id=line.line_id, **_at(doc, where, tab),
                message=f"Major discrepancy {line.line_id} ({line.part_number}, variance "
                        f"{format_decimal(line.variance_qty or Decimal(0))}) has no Root Cause: pick one "
                        "(Other if none fits)"))
    return problems


def same_counter_problems(lines: list[CountedLine], manifest: Manifest, where: Where) -> list[Problem]:
    """Recounts counted by the person who made the line's first count: a recount is a second person's."""
    sheets, known = manifest.sheets_by_id(), aliases(manifest)
    problems = []
    for line in lines:
        first, second = line.counted_by, line.recounted_by
        if not second or NOT_SIGNED in (first, second) or not same_person(first, second, known):
            continue
        record = sheets.get(line.recount_sheet)
        file = str(where.cycle_dir / record.file) if record else str(where.cycle_dir)
        problems.append(Problem(
            ProblemKind.SAME_COUNTER, file, sheet=record.tab if record else None, value=second,
            line_id=line.line_id,
            message=f"line {line.line_id} ({line.part_number}) was recounted on {line.recount_sheet} by "
                    f"{second}, who made its first count on {line.sheet_id}: a recount is counted by a "
                    "different person; have someone else recount it and ingest again"))
    return problems


def sign_off_problem(config: Config, signed_off_by: str | None) -> str:
    """Why the sign-off is refused ("" when it is accepted, or when no [approvals] asks for one)."""
    approvals = config.approvals
    if approvals is None:
        return ""
    leads = approvals.lead_people()
    if not signed_off_by or not signed_off_by.strip():
        return (f"finalize needs the sign-off of a person of the lead role ({approvals.lead}: "
                f"{', '.join(leads)}): give --signed-off-by NAME")
    if person_key(signed_off_by) not in {person_key(p) for p in leads}:
        return (f"{signed_off_by.strip()!r} may not sign a cycle off: only a person of the lead role "
                f"{approvals.lead} ({', '.join(leads)}) may")
    return ""


def lead_name(config: Config, signed_off_by: str) -> str:
    """The lead as [approvals] spells them (the sign-off typed in another case or spacing)."""
    approvals = config.approvals
    if approvals is None:
        return " ".join(signed_off_by.split())
    key = person_key(signed_off_by)
    return next((p for p in approvals.lead_people() if person_key(p) == key), " ".join(signed_off_by.split()))
