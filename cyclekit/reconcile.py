"""Variance, tolerance, severity and the cycle's figures. Pure: plain data in, plain data out."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from cyclekit.causes import direction
from cyclekit.config import CountConfig

ROUNDING = Decimal("0.000001")  # the formulas round to 6 places too, so both sides agree
MINOR, MAJOR = "Minor", "Major"
APPROVER = {MINOR: "Inventory Coordinator", MAJOR: "Operations Manager / Finance"}


@dataclass
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
    unit_cost: Decimal
    counted_qty: Decimal | None = None  # None: not counted (blank is never zero)
    counted_by: str = ""
    sheet_id: str = ""
    found: bool = False
    first_count: Decimal | None = None  # set when a recount replaced the first count
    recounted_by: str = ""
    recount_sheet: str = ""
    problem: str = ""  # why the line is not counted, when a problem stopped it
    notes: str = ""

    @property
    def counted(self) -> bool:
        return self.counted_qty is not None and not self.problem

    @property
    def variance_qty(self) -> Decimal | None:
        return None if not self.counted else self.counted_qty - self.system_qty

    @property
    def variance_value(self) -> Decimal | None:
        v = self.variance_qty
        return None if v is None else v * self.unit_cost

    @property
    def variance_pct(self) -> Decimal | None:
        v = self.variance_qty
        return None if v is None or self.system_qty == 0 else v / self.system_qty


@dataclass(frozen=True)
class Judgement:
    within_tolerance: bool
    severity: str | None  # None when there is no discrepancy
    approver_role: str
    direction: str


def tolerance(line: CountedLine, config: CountConfig) -> Decimal:
    return config.tolerance_percent.get(line.abc_class, Decimal(0)) / 100


def judge(line: CountedLine, config: CountConfig) -> Judgement:
    variance = line.variance_qty
    if variance is None:
        return Judgement(False, None, "", "")
    allowed = (line.system_qty * tolerance(line, config)).quantize(ROUNDING)
    within = abs(variance).quantize(ROUNDING) <= allowed
    if variance == 0:
        return Judgement(within, None, "", "")
    minor = abs(variance) <= config.minor_max_qty and abs(line.variance_value) <= config.minor_max_value
    severity = MINOR if minor else MAJOR
    return Judgement(within, severity, APPROVER[severity], direction(1 if variance > 0 else -1))


def needs_recount(line: CountedLine, config: CountConfig) -> str:
    """Why a second person should count the line again ('' when no recount is needed)."""
    if not line.counted or line.recounted_by or line.recount_sheet:
        return ""
    j = judge(line, config)
    if j.severity == MAJOR:
        return "Major discrepancy"
    if not j.within_tolerance:
        return "Outside tolerance"
    return ""


@dataclass
class GroupFigures:
    name: str
    lines_sent: int = 0
    lines_counted: int = 0
    discrepancies: int = 0
    net_value: Decimal = Decimal(0)
    absolute_value: Decimal = Decimal(0)

    @property
    def rate(self) -> Decimal | None:
        return None if not self.lines_counted else Decimal(self.discrepancies) / self.lines_counted


@dataclass
class Figures:
    locations_sent: int
    locations_counted: int
    lines_sent: int
    lines_counted: int
    lines_not_counted: int
    found_items: int
    problems: int
    discrepancies: int
    within_tolerance: int
    net_value: Decimal
    absolute_value: Decimal
    by_location: list[GroupFigures] = field(default_factory=list)
    by_counter: list[GroupFigures] = field(default_factory=list)

    @property
    def discrepancy_rate(self) -> Decimal | None:
        """Foreman: lines with a discrepancy / lines counted (a fraction; x100 for percent)."""
        return None if not self.lines_counted else Decimal(self.discrepancies) / self.lines_counted

    @property
    def accuracy(self) -> Decimal | None:
        """Inventory record accuracy: counted lines within tolerance / lines counted."""
        return None if not self.lines_counted else Decimal(self.within_tolerance) / self.lines_counted


def figures(lines: list[CountedLine], locations: list[str], problems: int, config: CountConfig) -> Figures:
    by_location = {name: GroupFigures(name) for name in locations}
    by_counter: dict[str, GroupFigures] = defaultdict(lambda: GroupFigures(""))
    counted = [line for line in lines if line.counted]
    totals = Figures(
        locations_sent=len(locations),
        locations_counted=len({line.location for line in counted}),
        lines_sent=sum(1 for line in lines if not line.found),
        lines_counted=len(counted),
        lines_not_counted=sum(1 for line in lines if not line.counted and not line.found),
        found_items=sum(1 for line in lines if line.found),
        problems=problems, discrepancies=0, within_tolerance=0,
        net_value=Decimal(0), absolute_value=Decimal(0))
    for line in lines:
        group = by_location.setdefault(line.location, GroupFigures(line.location))
        if not line.found:
            group.lines_sent += 1
        if not line.counted:
            continue
        counter_name = line.recounted_by or line.counted_by or "(not signed)"
        counter = by_counter[counter_name]
        counter.name = counter_name
        counter.lines_sent += 1
        value = line.variance_value
        j = judge(line, config)
        for g in (group, counter):
            g.lines_counted += 1
            g.net_value += value
            g.absolute_value += abs(value)
        totals.net_value += value
        totals.absolute_value += abs(value)
        if j.within_tolerance:
            totals.within_tolerance += 1
        if line.variance_qty != 0:
            totals.discrepancies += 1
            group.discrepancies += 1
            counter.discrepancies += 1
    totals.by_location = list(by_location.values())
    totals.by_counter = sorted(by_counter.values(), key=lambda g: g.name)
    return totals
