"""Schedule rules: value, ABC class, cadence, next count, status, calendar, cycle balance.

Pure functions over plain data: no files here. The same rules are written as
spreadsheet formulas by `schedule_book`; `next_count`, `days_until_due` and
`due_status` are the Python side of those formulas and must agree with them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from cyclekit.config import CadenceConfig, ScheduleConfig
from cyclekit.domain.review import ABC_CLASSES
from cyclekit.domain.stock import GroupTotal, InventoryLine, LocationInfo, Snapshot

CLASSES = ABC_CLASSES
YEAR_DAYS = 365


@dataclass
class ScheduleRow:
    key: str  # location, or part number when counting by part
    zone: str = ""
    owner: str = ""
    owner_email: str = ""
    consumption: str = ""
    lines: int = 0
    value: Decimal = Decimal(0)
    abc_class: str = "C"
    counts_per_year: int = 1
    cadence_days: int | None = YEAR_DAYS
    cadence_override: bool = False
    last_count: dt.date | None = None
    first_due: dt.date | None = None  # Next Count while never counted
    cycle: int | None = None  # foreman model: which cycle of the count carries this row
    notes: str = ""
    cadence_reason: str = ""  # why cyclekit changed the cadence (adaptive cadence)
    learned: Learned | None = None  # what the counts taught of this row (adaptive cadence)
    extra: dict[str, object] = field(default_factory=dict)  # columns a user added, kept as typed

    def next_count(self) -> dt.date | None:
        return next_count(self.last_count, self.cadence_days, self.first_due)


@dataclass(frozen=True)
class CountResult:
    """One finalized count of a row: its lines counted, how many were within tolerance, its Majors."""

    date: dt.date
    lines: int
    within: int
    majors: int

    def clean(self, target: Decimal) -> bool:
        return not self.majors and (not self.lines or Decimal(self.within) / self.lines >= target)


@dataclass
class Learned:
    """What cyclekit keeps of a row's counts (the schedule's hidden Count Record tab): its recent
    counts and, while it is counted more often, the cadence it set and the class cadence to return to."""

    recent: list[CountResult] = field(default_factory=list)
    cadence: int | None = None  # the cadence cyclekit set; None: the row has its class cadence
    class_cadence: int | None = None
    reason: str = ""


def window_accuracy(recent: list[CountResult], window: int) -> Decimal | None:
    """Record accuracy over the last `window` counts: lines within tolerance / lines counted."""
    last = recent[-window:]
    lines = sum(r.lines for r in last)
    return None if not lines else Decimal(sum(r.within for r in last)) / lines


def _percent(value: Decimal) -> str:
    return f"{value * 100:.0f} %"


def _miss(recent: list[CountResult], rule: CadenceConfig) -> str:
    """Why the last count calls for counting more often ('' when it does not)."""
    last, accuracy = recent[-1], window_accuracy(recent, rule.window)
    if last.majors:
        return f"Major discrepancy on {last.date.isoformat()}"
    if last.clean(rule.accuracy_target) or accuracy is None or accuracy >= rule.accuracy_target:
        return ""
    counts = len(recent[-rule.window:])
    over = "on its count" if counts == 1 else f"over its last {counts} counts"
    return (f"accuracy {_percent(accuracy)} {over} on {last.date.isoformat()}, target "
            f"{_percent(rule.accuracy_target)}")


def learn_cadence(learned: Learned, result: CountResult, current: int, class_cadence: int,
                  rule: CadenceConfig) -> int:
    """A row's cadence after a count whose `result` was just finalized (learned is updated, its reason
    says why the cadence differs from the class's). current: the cadence the row had."""
    learned.recent = [*learned.recent, result][-max(rule.window, rule.clean_runs_to_restore):]
    learned.class_cadence = class_cadence
    miss = _miss(learned.recent, rule)
    if miss:
        shorter = max(rule.floor_days, round(current * rule.major_factor))
        cadence = min(current, shorter)
        learned.cadence = cadence if cadence != class_cadence else None
        learned.reason = f"{miss}: counted every {cadence} days (class cadence {class_cadence})"
        return cadence
    if learned.cadence is None:  # a reason said why the cadence came back: until the next count
        learned.reason = ""
        return current
    run = 0
    for past in reversed(learned.recent):
        if not past.clean(rule.accuracy_target):
            break
        run += 1
    if run >= rule.clean_runs_to_restore:
        learned.cadence = None
        learned.reason = f"back to the class cadence after {run} clean counts in a row ({result.date.isoformat()})"
        return class_cadence
    learned.reason = (f"counted more often since a miss: {run} of {rule.clean_runs_to_restore} clean count(s) "
                      f"to return to the class cadence ({class_cadence} days)")
    return current


@dataclass(frozen=True)
class CycleWindow:
    number: int
    start: dt.date
    end: dt.date
    rows: int
    lines: int


@dataclass
class Schedule:
    by: str  # "location" or "part"
    as_of: dt.date
    rows: list[ScheduleRow]
    cycles: list[CycleWindow] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)

    @property
    def total_value(self) -> Decimal:
        return sum((row.value for row in self.rows), Decimal(0))


def next_count(last: dt.date | None, cadence_days: int | None, first_due: dt.date | None) -> dt.date | None:
    if last is None:
        return first_due
    if cadence_days is None:
        return None
    return last + dt.timedelta(days=cadence_days)


def days_until_due(next_date: dt.date | None, today: dt.date) -> int | None:
    return None if next_date is None else (next_date - today).days


def due_status_label(due_soon_days: int) -> str:
    return "Due this week" if due_soon_days == 7 else f"Due within {due_soon_days} days"


def due_status(days: int | None, due_soon_days: int) -> str:
    if days is None:
        return ""
    if days < 0:
        return "Overdue"
    if days <= due_soon_days:
        return due_status_label(due_soon_days)
    return "Scheduled"


def cadence_for(counts_per_year: int) -> int:
    return round(YEAR_DAYS / counts_per_year)


def assign_classes(rows: list[ScheduleRow], config: ScheduleConfig) -> None:
    """Pareto on value; then a high-consumption row moves up one class."""
    ranked = sorted(rows, key=lambda r: (-r.value, r.key))
    total = sum((r.value for r in rows), Decimal(0))
    above = Decimal(0)
    for row in ranked:
        share = above * 100 / total if total > 0 else Decimal(100)
        row.abc_class = "A" if share < config.a_share else "B" if share < config.b_share else "C"
        if row.consumption == "high" and row.abc_class != "A":
            row.abc_class = CLASSES[CLASSES.index(row.abc_class) - 1]
        above += row.value


EMPTY_GROUP = GroupTotal(0, Decimal(0), frozenset())


def _group(lines: list[InventoryLine] | Snapshot, by: str) -> dict[str, GroupTotal]:
    if isinstance(lines, Snapshot):
        return lines.totals(by)
    groups: dict[str, list[InventoryLine]] = defaultdict(list)
    for line in lines:
        groups[line.location if by == "location" else line.part_number].append(line)
    return {key: GroupTotal(len(group), sum((line.value for line in group), Decimal(0)),
                            frozenset(line.location for line in group))
            for key, group in groups.items()}


def balance_cycles(rows: list[ScheduleRow], cycles: int) -> list[int]:
    """Spread rows over cycles so each carries about the same lines (largest first)."""
    load = [0] * cycles
    counts = [0] * cycles
    for row in sorted(rows, key=lambda r: (-r.lines, r.key)):
        target = min(range(cycles), key=lambda c: (load[c], counts[c], c))
        row.cycle = target + 1
        load[target] += row.lines
        counts[target] += 1
    return load


def _foreman_windows(config: ScheduleConfig, as_of: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Start and end of each cycle of the count that is running on the as-of date."""
    cycles = config.cycles_per_count
    count_days = YEAR_DAYS / config.counts_per_timeframe
    origin = dt.date(as_of.year, 1, 1) if config.timeframe == "calendar" else as_of
    # the count (of counts_per_timeframe) that contains the as-of date
    elapsed = (as_of - origin).days
    count_start = origin + dt.timedelta(days=int(elapsed // count_days * count_days))
    windows = []
    for number in range(cycles):
        start = count_start + dt.timedelta(days=round(number * count_days / cycles))
        end = count_start + dt.timedelta(days=round((number + 1) * count_days / cycles) - 1)
        if end < as_of:  # this cycle already passed: its rows fall due in the next count
            start += dt.timedelta(days=round(count_days))
            end += dt.timedelta(days=round(count_days))
        windows.append((start, end))
    return windows


def build_schedule(
    lines: list[InventoryLine] | Snapshot,
    locations: dict[str, LocationInfo],
    config: ScheduleConfig,
    as_of: dt.date,
    by: str = "location",
) -> Schedule:
    if by not in ("location", "part"):
        raise ValueError(f"by must be 'location' or 'part', not {by!r}")
    groups = _group(lines, by)
    keys = list(groups)
    if by == "location":  # a listed location with no stock keeps its row: it must be confirmed empty
        keys += [name for name in locations if name not in groups]
    rows = []
    for key in sorted(keys):
        group = groups.get(key, EMPTY_GROUP)
        if by == "location":
            info = locations.get(key, LocationInfo(key))
        else:
            places = [locations.get(location, LocationInfo(location)) for location in sorted(group.locations)]
            info = LocationInfo(
                key,
                zone=", ".join(sorted({p.zone for p in places if p.zone})),
                owner=", ".join(sorted({p.owner for p in places if p.owner})),
                owner_email=", ".join(sorted({p.owner_email for p in places if p.owner_email})),
                consumption=max((p.consumption for p in places),
                                key=lambda c: ("", "low", "medium", "high").index(c), default=""),
            )
        rows.append(ScheduleRow(
            key=key, zone=info.zone, owner=info.owner, owner_email=info.owner_email,
            consumption=info.consumption, lines=group.lines, value=group.value,
            cadence_override=info.cadence_days is not None,
            last_count=info.last_count, first_due=as_of,
        ))
        if info.cadence_days is not None:
            rows[-1].cadence_days = info.cadence_days

    assign_classes(rows, config)
    cycles: list[CycleWindow] = []
    if config.model == "foreman":
        counts = config.counts_per_timeframe
        windows = _foreman_windows(config, as_of)
        load = balance_cycles(rows, len(windows))
        for row in rows:
            row.counts_per_year = counts
            if not row.cadence_override:
                row.cadence_days = cadence_for(counts)
            row.first_due = max(windows[(row.cycle or 1) - 1][0], as_of)  # balance_cycles gave each one
        for number, (start, end) in enumerate(windows, start=1):
            members = [r for r in rows if r.cycle == number]
            cycles.append(CycleWindow(number, start, end, len(members), load[number - 1]))
    else:
        for row in rows:
            row.counts_per_year = config.counts_per_year[row.abc_class]
            if row.cadence_override and row.cadence_days:  # the counts a year follow the cadence the plant chose
                row.counts_per_year = max(1, round(YEAR_DAYS / row.cadence_days))
            else:
                row.cadence_days = cadence_for(row.counts_per_year)
    return Schedule(by=by, as_of=as_of, rows=rows, cycles=cycles)


@dataclass(frozen=True)
class CalendarWeek:
    start: dt.date  # Monday
    rows: list[ScheduleRow]

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=6)

    @property
    def lines(self) -> int:
        return sum(r.lines for r in self.rows)

    def owners(self) -> list[tuple[str, int, int]]:
        """Each owner with the rows and lines they count this week, busiest first."""
        rows: dict[str, int] = defaultdict(int)
        lines: dict[str, int] = defaultdict(int)
        for row in self.rows:
            owner = row.owner or "(no owner)"
            rows[owner] += 1
            lines[owner] += row.lines
        return sorted(((o, rows[o], lines[o]) for o in rows), key=lambda i: (-i[2], -i[1], i[0]))


def calendar(schedule: Schedule, weeks: int) -> list[CalendarWeek]:
    """Week by week from the as-of week: which rows fall due.

    Rows already overdue are a backlog to work off, not all to count on the first Monday: most
    overdue first, each goes into the earliest week whose backlog stays within an average week's
    lines (every row's lines once per cadence), on top of what falls due that week; a row bigger
    than that goes to the week with the least backlog. The Schedule tab still shows them overdue.
    """
    first_monday = schedule.as_of - dt.timedelta(days=schedule.as_of.weekday())
    horizon = first_monday + dt.timedelta(weeks=weeks)
    buckets: dict[int, list[ScheduleRow]] = defaultdict(list)
    load: dict[int, int] = defaultdict(int)

    def place(row: ScheduleRow, due: dt.date, cadence: int) -> None:
        seen_weeks = set()
        while due < horizon:
            week = (due - first_monday).days // 7
            if week not in seen_weeks:  # a short cadence counts a row once per week at most
                buckets[week].append(row)
                load[week] += row.lines
                seen_weeks.add(week)
            due += dt.timedelta(days=cadence)

    planned = [(row, due, cadence) for row in schedule.rows
               if (due := row.next_count()) is not None and (cadence := row.cadence_days) and cadence >= 1]
    backlog = sorted((item for item in planned if item[1] < first_monday), key=lambda item: (item[1], item[0].key))
    average_week = sum(row.lines * 7 / cadence for row, _, cadence in planned)
    for row, _, cadence in backlog:  # `load` holds only the backlog while it is placed
        week = next((w for w in range(weeks) if load[w] + row.lines <= average_week),
                    min(range(weeks), key=lambda w: load[w]) if weeks else 0)
        place(row, first_monday + dt.timedelta(weeks=week), cadence)
    for row, due, cadence in planned:
        if due >= first_monday:
            place(row, due, cadence)
    return [CalendarWeek(first_monday + dt.timedelta(weeks=w), sorted(buckets[w], key=lambda r: r.key))
            for w in range(weeks)]
