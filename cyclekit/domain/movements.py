"""Stock that moved while the count ran: each movement put on the line it changed, before or
after that line was counted. Pure: plain data in, plain data out.

The snapshot is frozen when the sheets are made; a bin is counted hours or days later. A
movement posted between the two changes what the shelf should hold when it is counted (the
expected quantity); one posted after the count changes what the ERP holds at import, which an
import that sets quantities (absolute mode) must carry too. A movement is never dropped: each
one gets a status saying where it went, or why it went nowhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from cyclekit.domain.lines import LineKey, unit_key
from cyclekit.domain.money import cents
from cyclekit.domain.variance import CountedLine

BEFORE_SNAPSHOT = "Before the snapshot: already in its quantity"
BEFORE_COUNT = "Before the count: in the expected quantity"
SAME_DAY = "Before the count (same day, the sheet gives no time): in the expected quantity"
AFTER_COUNT = "After the count: added to absolute quantities"
NOT_COUNTED = "Its line was not counted"
NO_LINE = "No counted line matches (part, revision, lot, serial, unit at this location)"
TWO_UNITS = "No unit given and the part is counted here in more than one unit"
OUTSIDE = "Location not in this cycle"


@dataclass(frozen=True, slots=True)
class Movement:
    """A row of the movements export: quantity is the signed change (+ in, - out)."""

    file: str
    row: int
    location: str
    part_number: str
    revision: str
    lot: str
    serial: str
    uom: str
    quantity: Decimal
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class MovementUse:
    """Where a movement went: the line it changed (or '') and why."""

    movement: Movement
    line_id: str
    status: str


def count_moment(counted_at: str) -> tuple[dt.datetime, bool]:
    """The moment a line was counted, from its recorded text: a date and time, or a date alone
    (then the end of that day), and whether a time of day was given."""
    if "T" in counted_at or " " in counted_at:
        return dt.datetime.fromisoformat(counted_at), True
    return dt.datetime.combine(dt.date.fromisoformat(counted_at), dt.time.max), False


def _index(lines: list[CountedLine]) -> tuple[dict[LineKey, CountedLine], dict[tuple[str, ...], list[CountedLine]]]:
    by_key: dict[LineKey, CountedLine] = {}
    unitless: dict[tuple[str, ...], list[CountedLine]] = {}
    for line in lines:
        by_key.setdefault(line.key, line)  # a found item of a recount keeps the listed line's key first
        unitless.setdefault(line.key[:5], []).append(line)
    return by_key, unitless


def _line_of(move: Movement, by_key: dict[LineKey, CountedLine],
             unitless: dict[tuple[str, ...], list[CountedLine]]) -> tuple[CountedLine | None, str]:
    key = LineKey.of(move.location, move.part_number, move.revision, move.lot, move.serial, move.uom)
    if move.uom.strip():
        line = by_key.get(key)
        return line, "" if line is not None else NO_LINE
    candidates = {unit_key(line.uom): line for line in unitless.get(key[:5], [])}
    if len(candidates) > 1:
        return None, TWO_UNITS
    return (next(iter(candidates.values())), "") if candidates else (None, NO_LINE)


def _reset(line: CountedLine) -> None:
    line.moved_qty, line.moved_after, line.first_moved, line.movements = Decimal(0), Decimal(0), None, 0


def apply_movements(lines: list[CountedLine], movements: list[Movement], snapshot_at: dt.datetime,
                    first_counted_at: dict[str, str], locations: set[str]) -> list[MovementUse]:
    """Each movement onto its line (changed in place: moved before and after its count, and
    before its first count when a recount replaced it); first_counted_at: Line ID -> when the
    first count was made, for a recounted line. Every movement comes back with its status."""
    by_key, unitless = _index(lines)
    for line in lines:
        _reset(line)
        if first_counted_at.get(line.line_id):
            line.first_moved = Decimal(0)
    uses = []
    for move in movements:
        moved, why = _line_of(move, by_key, unitless)
        if moved is None:
            uses.append(MovementUse(move, "", why if move.location in locations else OUTSIDE))
        elif move.at <= snapshot_at:
            uses.append(MovementUse(move, moved.line_id, BEFORE_SNAPSHOT))
        elif not moved.counted or not moved.counted_at:
            uses.append(MovementUse(move, moved.line_id, NOT_COUNTED))
        else:
            uses.append(MovementUse(move, moved.line_id, _put(moved, move, first_counted_at.get(moved.line_id))))
    return uses


def _put(line: CountedLine, move: Movement, first_at: str | None) -> str:
    moment, timed = count_moment(line.counted_at)
    if first_at and line.first_moved is not None and move.at <= count_moment(first_at)[0]:
        line.first_moved += move.quantity
    if move.at > moment:
        line.moved_after += move.quantity
        return AFTER_COUNT
    line.moved_qty += move.quantity
    line.movements += 1  # the line moved while it was being counted: marked in the results
    return BEFORE_COUNT if timed or move.at.date() != moment.date() else SAME_DAY


def moved_after(uses: list[MovementUse]) -> dict[str, Decimal]:
    """Line ID -> the stock moved after its count."""
    after: dict[str, Decimal] = {}
    for use in uses:
        if use.status == AFTER_COUNT:
            after[use.line_id] = after.get(use.line_id, Decimal(0)) + use.movement.quantity
    return after


def export_end(movements: list[Movement]) -> dt.datetime | None:
    """The last movement in the export: absolute quantities hold the stock up to then."""
    return max((m.at for m in movements), default=None)


# Moved, not missing: a shortage in one bin and the same overage in another is stock that moved
# without the location being updated (Foreman's first cause). Each pair is only a suggestion:
# finance accepts or rejects it; nothing is paired without that.
ACCEPT, REJECT = "Accept", "Reject"
DECISIONS = (ACCEPT, REJECT)


@dataclass(frozen=True, slots=True)
class Transfer:
    """A suggested transfer: `quantity` of a part from the line found short to the line found over."""

    from_line: str  # Line ID of the shortage
    to_line: str  # Line ID of the overage
    from_location: str
    to_location: str
    part_number: str
    revision: str
    lot: str
    serial: str
    uom: str
    description: str
    quantity: Decimal
    unit_cost: Decimal | None

    @property
    def key(self) -> tuple[str, str]:
        """What the reviewer's decision is kept by, across ingests: the two lines."""
        return self.from_line, self.to_line

    @property
    def value(self) -> Decimal | None:
        return None if self.unit_cost is None else cents(self.quantity * self.unit_cost)


def _part(line: CountedLine) -> tuple[str, ...]:
    return line.part_number, line.revision, line.lot, line.serial, unit_key(line.uom)


def suggest_transfers(lines: list[CountedLine]) -> list[Transfer]:
    """Within the cycle, each shortage paired with overages of the same part (revision, lot,
    serial, unit) in other locations, largest first, for the smaller of the two quantities."""
    groups: dict[tuple[str, ...], list[CountedLine]] = {}
    for line in lines:
        if line.counted and line.variance_qty:
            groups.setdefault(_part(line), []).append(line)
    found = []
    for group in groups.values():
        left: dict[str, Decimal] = {ln.line_id: abs(ln.variance_qty or Decimal(0)) for ln in group}

        def largest(line: CountedLine) -> tuple[Decimal, str]:
            return -left[line.line_id], line.line_id

        shorts = sorted((ln for ln in group if (ln.variance_qty or 0) < 0), key=largest)
        overs = sorted((ln for ln in group if (ln.variance_qty or 0) > 0), key=largest)
        for short in shorts:
            for over in overs:
                quantity = min(left[short.line_id], left[over.line_id])
                if over.location == short.location or quantity <= 0:
                    continue
                left[short.line_id] -= quantity
                left[over.line_id] -= quantity
                found.append(_transfer(short, over, quantity))
    return sorted(found, key=lambda t: (t.part_number, t.from_line, t.to_line))


def _transfer(short: CountedLine, over: CountedLine, quantity: Decimal) -> Transfer:
    cost = short.unit_cost if short.unit_cost is not None else over.unit_cost
    return Transfer(short.line_id, over.line_id, short.location, over.location, short.part_number, short.revision,
                    short.lot, short.serial, short.uom, short.description or over.description, quantity, cost)


def transfer_ids(transfers: list[Transfer]) -> dict[tuple[str, str], str]:
    """T1, T2, ... in the order of the Transfers tab."""
    return {t.key: f"T{n}" for n, t in enumerate(transfers, start=1)}


def transferred(accepted: list[Transfer]) -> dict[str, Decimal]:
    """Line ID -> what the accepted transfers take off its variance (+ for a shortage, - for an overage)."""
    moved: dict[str, Decimal] = {}
    for t in accepted:
        moved[t.from_line] = moved.get(t.from_line, Decimal(0)) + t.quantity
        moved[t.to_line] = moved.get(t.to_line, Decimal(0)) - t.quantity
    return moved
