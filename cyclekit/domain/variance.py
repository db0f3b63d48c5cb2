"""Variance, tolerance, severity and the cycle's figures. Pure: plain data in, plain data out."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING

from cyclekit.domain.causes import direction
from cyclekit.domain.lines import LineId, LineKey
from cyclekit.domain.money import cents

if TYPE_CHECKING:  # config reads the ABC classes from the domain: imported for types only
    from cyclekit.config import CountConfig

ROUNDING = Decimal("0.000001")  # the formulas round to 6 places too, so both sides agree
MINOR, MAJOR = "Minor", "Major"
APPROVER = {MINOR: "Inventory Coordinator", MAJOR: "Operations Manager / Finance"}


@dataclass(slots=True)
class CountedLine:
    line_id: str  # "WH-A-01/3", or "WH-A-01/F1" for an item found on the shelf
    location: str
    part_number: str
    revision: str
    description: str
    lot: str
    serial: str
    uom: str
    abc_class: str
    system_qty: Decimal
    unit_cost: Decimal | None  # None: a found part with no cost in the snapshot (not valued)
    counted_qty: Decimal | None = None  # None: not counted (blank is never zero)
    counted_by: str = ""
    sheet_id: str = ""
    found: bool = False
    first_count: Decimal | None = None  # set when a recount replaced the first count
    recounted_by: str = ""
    recount_sheet: str = ""
    problem: str = ""  # why the line is not counted, when a problem stopped it
    notes: str = ""
    # stock moved while the count ran (domain.movements): between the snapshot and the count,
    # after the count (up to the end of the movements export), before the first count of a
    # recounted line (None: as moved_qty), how many movements, and when the line was counted
    moved_qty: Decimal = Decimal(0)
    moved_after: Decimal = Decimal(0)
    first_moved: Decimal | None = None
    movements: int = 0
    counted_at: str = ""  # ISO date, or date and time, of the count (the recount when recounted)

    @property
    def key(self) -> LineKey:
        return LineKey.of(self.location, self.part_number, self.revision, self.lot, self.serial, self.uom)

    @property
    def counted(self) -> bool:
        return self.counted_qty is not None and not self.problem

    @property
    def expected_qty(self) -> Decimal:
        """What the shelf should hold when it was counted: the snapshot plus the stock moved since."""
        return self.system_qty + self.moved_qty

    @property
    def first_expected(self) -> Decimal:
        """What the shelf should hold when it was first counted."""
        return self.system_qty + (self.moved_qty if self.first_moved is None else self.first_moved)

    @property
    def moved(self) -> bool:
        return self.movements > 0

    @property
    def variance_qty(self) -> Decimal | None:
        return None if self.counted_qty is None or self.problem else self.counted_qty - self.expected_qty

    @property
    def variance_value(self) -> Decimal | None:
        v = self.variance_qty
        return None if v is None or self.unit_cost is None else cents(v * self.unit_cost)

    @property
    def unvalued(self) -> bool:
        """No unit cost is known for the part (a found item whose part has no cost anywhere in the
        snapshot): its value is unknown, never $0; finalize refuses it for imports needing a cost."""
        return self.unit_cost is None

    @property
    def first_qty(self) -> Decimal | None:
        """What the first counter wrote (before any recount)."""
        return self.first_count if self.recounted_by else self.counted_qty

    @property
    def variance_pct(self) -> Decimal | None:
        v = self.variance_qty
        # over the size of the expected quantity: a negative one keeps the variance's sign
        return None if v is None or self.expected_qty == 0 else v / abs(self.expected_qty)


@dataclass(frozen=True)
class Judgement:
    within_tolerance: bool
    severity: str | None  # None when there is no discrepancy
    approver_role: str
    direction: str


NOT_COUNTED = Judgement(False, None, "", "")
NO_DISCREPANCY = Judgement(True, None, "", "")


def tolerance(line: CountedLine, config: CountConfig) -> Decimal:
    return config.tolerance_percent.get(line.abc_class, Decimal(0)) / 100


def judge(line: CountedLine, config: CountConfig) -> Judgement:
    # the properties (variance_qty, expected_qty, variance_value) worked out once: a results
    # workbook judges every line with a variance several times
    counted = line.counted_qty
    if counted is None or line.problem:
        return NOT_COUNTED
    expected = line.system_qty + line.moved_qty
    variance = counted - expected
    if variance == 0:
        return NO_DISCREPANCY  # the shelf agrees: within any tolerance, nothing to approve
    allowed = (abs(expected) * tolerance(line, config)).quantize(ROUNDING)
    size = abs(variance)
    within = size.quantize(ROUNDING) <= allowed
    value = None if line.unit_cost is None else cents(variance * line.unit_cost)
    minor = size <= config.minor_max_qty and (value is None or abs(value) <= config.minor_max_value)
    return _JUDGEMENTS[within, minor, variance > 0]


def _judgement(within: bool, minor: bool, higher: bool) -> Judgement:
    severity = MINOR if minor else MAJOR
    return Judgement(within, severity, APPROVER[severity], direction(1 if higher else -1))


# every judgement of a line with a variance is one of these eight (Judgement is immutable)
_JUDGEMENTS = {(w, m, h): _judgement(w, m, h) for w in (False, True) for m in (False, True) for h in (False, True)}


def needs_recount(line: CountedLine, config: CountConfig, returned: bool = True) -> str:
    """Why a second person should count the line again ('' when no recount is needed)."""
    if line.recounted_by or line.recount_sheet or sheet_line_number(line) is None:
        return ""  # recounted already, or found by the recount itself
    if not line.counted:
        if not returned:
            return ""  # the sheet itself is still out on the floor
        return "Entry unreadable" if line.problem else "Left blank"
    j = judge(line, config)
    if j.severity == MAJOR:
        return "Major discrepancy"
    if not j.within_tolerance:
        return "Outside tolerance"
    return ""


@dataclass
class GroupFigures:
    """One row of the Summary's By location or By counter table.

    lines_counted counts every item counted in the group, found items included (the rate's
    denominator, as in the headline rate); found_items says how many of them were found items,
    so the table shows the lines sent that were counted and the found items apart."""

    name: str
    lines_sent: int = 0
    lines_counted: int = 0
    discrepancies: int = 0
    net_value: Decimal = Decimal(0)
    absolute_value: Decimal = Decimal(0)
    found_items: int = 0

    @property
    def listed_counted(self) -> int:
        """Lines sent that were counted: what the headline calls Lines counted."""
        return self.lines_counted - self.found_items

    @property
    def rate(self) -> Decimal | None:
        return None if not self.lines_counted else Decimal(self.discrepancies) / self.lines_counted

    @property
    def empty(self) -> bool:
        return not (self.lines_sent or self.lines_counted or self.found_items or self.discrepancies
                    or self.net_value or self.absolute_value)


# rows of the By counter table that are no counter: with them its totals are the headline figures
NO_COUNTER = NOT_SIGNED = "(not signed)"  # a returned sheet nobody signed: never its printed owner
NOT_RETURNED = "(sheet not returned)"
FOUND_ROW = "Found items"  # an item found on the shelf is not a counter's miscount
RECOUNT_ROW = "Changed by recounts"  # the final count less the first count, line by line


@dataclass
class Figures:
    locations_sent: int
    locations_counted: int  # sheets returned with counts or "confirmed empty"
    lines_sent: int
    lines_counted: int  # lines sent that were counted (found items apart)
    lines_not_counted: int
    found_items: int
    found_not_valued: int
    problems: int
    discrepancies: int
    within_tolerance: int
    net_value: Decimal
    absolute_value: Decimal
    by_location: list[GroupFigures] = field(default_factory=list)
    by_counter: list[GroupFigures] = field(default_factory=list)  # judged on their first count
    # the By counter table's other rows (NO_COUNTER, NOT_RETURNED, FOUND_ROW, RECOUNT_ROW), those
    # with anything in them: by_counter and these add up to the headline figures
    counter_others: list[GroupFigures] = field(default_factory=list)

    @property
    def items_counted(self) -> int:
        """Every item counted: the lines sent that were counted, and the items found."""
        return self.lines_counted + self.found_items

    @property
    def discrepancy_rate(self) -> Decimal | None:
        """Foreman: items with a discrepancy / items counted (a fraction; x100 for percent)."""
        return None if not self.items_counted else Decimal(self.discrepancies) / self.items_counted

    @property
    def accuracy(self) -> Decimal | None:
        """Inventory record accuracy: items within tolerance / items counted."""
        return None if not self.items_counted else Decimal(self.within_tolerance) / self.items_counted


def _value(difference: Decimal | None, line: CountedLine) -> Decimal:
    return Decimal(0) if not difference or line.unit_cost is None else cents(difference * line.unit_cost)


def _add_difference(group: GroupFigures, difference: Decimal, line: CountedLine) -> None:
    if difference:
        group.discrepancies += 1
        value = _value(difference, line)
        group.net_value += value
        group.absolute_value += abs(value)


def _counter_of(line: CountedLine, by_counter: dict[str, GroupFigures], others: dict[str, GroupFigures],
                came_back: set[str]) -> GroupFigures:
    """The By counter row a line is charged to: who counted it first, else a row of its own."""
    if line.found:
        return others[FOUND_ROW]
    if line.counted_by and line.counted_by != NOT_SIGNED:
        counter = by_counter.get(line.counted_by)
        if counter is None:
            counter = by_counter[line.counted_by] = GroupFigures(line.counted_by)
        return counter
    return others[NO_COUNTER if line.counted_by or line.location in came_back else NOT_RETURNED]


def _add_first_count(line: CountedLine, group: GroupFigures, counter: GroupFigures, recounts: GroupFigures) -> None:
    """A line sent: its counter judged on what they wrote first, whatever a recount found later,
    and what a recount changed (the final count's figures less the first's) on a row of its own."""
    group.lines_sent += 1
    counter.lines_sent += 1
    first = line.first_qty  # None: left blank or unreadable on the first count
    first_difference = None if first is None else first - line.first_expected
    if first_difference is not None:
        counter.lines_counted += 1
        _add_difference(counter, first_difference, line)
    variance = line.variance_qty  # None: not counted
    if first_difference != variance:
        recounts.lines_counted += (variance is not None) - (first_difference is not None)
        recounts.discrepancies += bool(variance) - bool(first_difference)
        before, after = _value(first_difference, line), _value(variance, line)
        recounts.net_value += after - before
        recounts.absolute_value += abs(after) - abs(before)


def _add_final_count(line: CountedLine, group: GroupFigures, counter: GroupFigures, totals: Figures,
                     config: CountConfig) -> None:
    """A line counted, in its location's row and the headline figures (a found item in its counter's too)."""
    variance = line.variance_qty
    if variance is None:  # not counted
        return
    group.lines_counted += 1
    if line.found:
        group.found_items += 1
        counter.lines_counted += 1
        counter.found_items += 1
        _add_difference(counter, variance, line)
    if not variance:
        totals.within_tolerance += 1
        return
    value = _value(variance, line)
    group.net_value += value
    group.absolute_value += abs(value)
    totals.net_value += value
    totals.absolute_value += abs(value)
    if judge(line, config).within_tolerance:
        totals.within_tolerance += 1
    totals.discrepancies += 1
    group.discrepancies += 1


def _headline(lines: list[CountedLine], locations: list[str], came_back: set[str], problems: int) -> Figures:
    """The counts of the headline; values, discrepancies and tolerance are added line by line."""
    counted = [line for line in lines if line.counted]
    return Figures(
        locations_sent=len(locations),
        locations_counted=len(came_back),
        lines_sent=sum(1 for line in lines if not line.found),
        lines_counted=sum(1 for line in counted if not line.found),
        lines_not_counted=sum(1 for line in lines if not line.counted and not line.found),
        found_items=sum(1 for line in counted if line.found),
        found_not_valued=sum(1 for line in counted if line.found and line.unit_cost is None),
        problems=problems, discrepancies=0, within_tolerance=0,
        net_value=Decimal(0), absolute_value=Decimal(0))


def figures(lines: list[CountedLine], locations: list[str], problems: int, config: CountConfig,
            returned: set[str] | None = None) -> Figures:
    """The headline figures and the Summary's tables. A line sent is charged to its Counted By
    (see with_sheet_counters for the lines a counter left blank or unreadable), else to the
    NO_COUNTER or NOT_RETURNED row; found items and what recounts changed have rows of their
    own: every table adds up to the headline figures."""
    by_location = {name: GroupFigures(name) for name in locations}
    by_counter: dict[str, GroupFigures] = {}
    others = {name: GroupFigures(name) for name in (NO_COUNTER, NOT_RETURNED, FOUND_ROW, RECOUNT_ROW)}
    came_back = returned if returned is not None else {line.location for line in lines if line.counted}
    totals = _headline(lines, locations, came_back, problems)
    for line in lines:
        group = by_location.get(line.location)
        if group is None:
            group = by_location[line.location] = GroupFigures(line.location)
        counter = _counter_of(line, by_counter, others, came_back)
        if not line.found:
            _add_first_count(line, group, counter, others[RECOUNT_ROW])
        _add_final_count(line, group, counter, totals, config)
    totals.by_location = list(by_location.values())
    totals.by_counter = sorted(by_counter.values(), key=lambda g: g.name)
    totals.counter_others = [g for g in others.values() if not g.empty]
    return totals


def sheet_line_number(line: CountedLine) -> int | None:
    """A line's number on its count sheet, as recount sheets record it: the line number, or -k for
    the found item Fk; None for an item found on a recount sheet (it has no first count)."""
    line_id = LineId.parse(line.line_id)
    if not line.found:
        return line_id.number
    return line_id.sheet_line_number if line_id.found else None  # found, yet not labelled as found: no row


def _on_count_sheet(line: CountedLine) -> bool:
    """Written on the location's count sheet (a found item on a recount sheet is "LOC/F1-R001")."""
    return not line.found or LineId.parse(line.line_id).on_count_sheet


def sheet_counters(lines: list[CountedLine], assigned: dict[str, str] | None = None) -> dict[str, str]:
    """Who had each location's count sheet: the Counted By of what was counted on it, else
    `assigned` (location -> the counter the sheet was made out to)."""
    counters = {location: name for location, name in (assigned or {}).items() if name}
    named: set[str] = set()
    for line in lines:
        if line.counted_by and line.location not in named and _on_count_sheet(line):
            counters[line.location] = line.counted_by
            named.add(line.location)
    return counters


def with_sheet_counters(lines: list[CountedLine], counters: dict[str, str],
                        returned: set[str] | None = None) -> list[CountedLine]:
    """The lines, each line sent that a counter left blank or unreadable on a returned sheet
    charged to the counter of that sheet (copies: the lines given are not changed)."""
    came_back = returned if returned is not None else {line.location for line in lines if line.counted}
    return [replace(line, counted_by=counters[line.location])
            if not line.counted_by and not line.found and line.location in came_back
            and line.location in counters else line for line in lines]


def fixed_by_recount(lines: list[CountedLine]) -> dict[str, str]:
    """Line ID -> the recount sheet that counted it: a problem of such a line (an entry unreadable
    on the first count) was fixed by the recount (finalize's rule)."""
    return {line.line_id: line.recount_sheet for line in lines if line.counted and line.recounted_by}
