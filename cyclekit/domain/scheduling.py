"""Schedule rules: value, ABC class, cadence, next count, status, calendar, cycle balance.

Pure functions over plain data: no files here. The same rules are written as
spreadsheet formulas by `schedule_book`; `next_count`, `days_until_due` and
`due_status` are the Python side of those formulas and must agree with them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace
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
    anchor: dt.date | None = None  # foreman model: its cycle's start; it falls due on it plus whole cadences
    notes: str = ""
    cadence_reason: str = ""  # why cyclekit changed the cadence (adaptive cadence)
    learned: Learned | None = None  # what the counts taught of this row (adaptive cadence)
    extra: dict[str, object] = field(default_factory=dict)  # columns a user added, kept as typed

    shift: int = 0  # days its Next Count was moved to level the weekly load (Levelled (days))

    def next_count(self) -> dt.date | None:
        due = next_count(self.last_count, self.cadence_days, self.first_due, self.anchor)
        return due + dt.timedelta(days=self.shift) if due is not None and self.last_count and self.shift else due


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
    moved_on: dt.date | None = None  # the day a finalize last moved it on (its Last Counts)

    @property
    def plan_date(self) -> dt.date:
        """The day its plan (the Calendar) starts from: the day it was last moved on, or its as-of date."""
        return self.moved_on or self.as_of

    @property
    def total_value(self) -> Decimal:
        return sum((row.value for row in self.rows), Decimal(0))


def next_count(last: dt.date | None, cadence_days: int | None, first_due: dt.date | None,
               anchor: dt.date | None = None) -> dt.date | None:
    """Last Count plus the cadence; in a Foreman cycle (`anchor`: the cycle's start) the first
    start of that cycle, a whole number of cadences (counts) from the anchor, after the Last Count,
    so that a row falls due in the cycle it was assigned to (the schedule's formula:
    anchor + cadence * (INT((last - anchor) / cadence) + 1))."""
    if last is None:
        return first_due
    if cadence_days is None:
        return None
    if anchor is None:
        return last + dt.timedelta(days=cadence_days)
    return anchor + dt.timedelta(days=cadence_days * ((last - anchor).days // cadence_days + 1))


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


def with_totals(rows: list[ScheduleRow], cycles: list[CycleWindow]) -> list[CycleWindow]:
    """The cycles with the rows and lines they carry now (a row may have left its cycle since)."""
    return [replace(c, rows=sum(1 for r in rows if r.cycle == c.number),
                    lines=sum(r.lines for r in rows if r.cycle == c.number)) for c in cycles]


def leave_cycle(row: ScheduleRow) -> None:
    """A row given a cadence of its own is counted on it, in no cycle: Counts / Year follow it."""
    row.cycle = row.anchor = None
    if row.cadence_days:
        row.counts_per_year = max(1, round(YEAR_DAYS / row.cadence_days))


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


def _foreman_cycles(rows: list[ScheduleRow], config: ScheduleConfig, as_of: dt.date) -> list[CycleWindow]:
    """Each row in a cycle, due at its start and then once a count (cadence) later. A row whose
    cadence the plant chose is counted on that cadence, in no cycle: its Counts / Year follow it."""
    counts = config.counts_per_timeframe
    windows = _foreman_windows(config, as_of)
    planned = [row for row in rows if not (row.cadence_override and row.cadence_days)]
    load = balance_cycles(planned, len(windows))
    for row in rows:
        if row.cadence_override and row.cadence_days:
            leave_cycle(row)
            continue
        row.counts_per_year, row.cadence_days = counts, cadence_for(counts)
        row.anchor = windows[(row.cycle or 1) - 1][0]  # balance_cycles gave each one
        row.first_due = max(row.anchor, as_of)
    return [CycleWindow(number, start, end, sum(1 for r in planned if r.cycle == number), load[number - 1])
            for number, (start, end) in enumerate(windows, start=1)]


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
        cycles = _foreman_cycles(rows, config, as_of)
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


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def calendar(schedule: Schedule, weeks: int) -> list[CalendarWeek]:
    """The Calendar tab's plan: week by week from the week the schedule was made or moved on in."""
    return plan_weeks(schedule.rows, monday_of(schedule.plan_date), weeks)


def plan_weeks(rows: list[ScheduleRow], first_monday: dt.date, weeks: int) -> list[CalendarWeek]:
    """Week by week from `first_monday`: which rows fall due. The one plan both the Calendar tab
    and `sheets --week` read, so that the week the Calendar shows is the week the sheets issue.

    Rows already overdue are a backlog to work off, not all to count on the first Monday: most
    overdue first, each goes into the earliest week whose backlog stays within an average week's
    lines (every row's lines once per cadence), on top of what falls due that week; a row bigger
    than that goes to the week with the least backlog. The Schedule tab still shows them overdue.
    """
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

    planned = [(row, due, cadence) for row in rows
               if (due := row.next_count()) is not None and (cadence := row.cadence_days) and cadence >= 1]
    backlog = sorted((item for item in planned if item[1] < first_monday), key=lambda item: (item[1], item[0].key))
    average_week = sum(row.lines * 7 / cadence for row, _, cadence in planned)
    for row, _, cadence in backlog:  # `load` holds only the backlog while it is placed
        week = next((w for w in range(weeks) if load[w] + row.lines <= average_week), None)
        if week is None:  # no week has room for it: the one with the least backlog
            week = min(range(weeks), key=lambda w: load[w]) if weeks else 0
        place(row, first_monday + dt.timedelta(weeks=week), cadence)
    for row, due, cadence in planned:
        if due >= first_monday:
            place(row, due, cadence)
    return [CalendarWeek(first_monday + dt.timedelta(weeks=w), sorted(buckets[w], key=lambda r: r.key))
            for w in range(weeks)]


def _weeks_of(due: dt.date, cadence: int, first_monday: dt.date, weeks: int) -> list[int]:
    """The Calendar weeks a row counted from `due` every `cadence` days falls in (as plan_weeks places it)."""
    out: list[int] = []
    end = first_monday + dt.timedelta(weeks=weeks)
    while due < end:
        week = (due - first_monday).days // 7
        if week >= 0 and (not out or out[-1] != week):
            out.append(week)
        due += dt.timedelta(days=cadence)
    return out


def level_next_counts(rows: list[ScheduleRow], movable: set[str], tolerance: int, start: dt.date,
                      weeks: int, cycles: list[CycleWindow]) -> dict[str, int]:
    """Spread the Next Counts of the `movable` rows (those a finalize just moved on together, their
    cadence the rules') by up to `tolerance` days each, so that each Calendar week from `start`
    carries about the same lines: largest first, each to the day whose weeks (its next count and
    those that recur a cadence apart) carry the fewest lines on average, every other row as the
    Calendar plans it; the smallest move on a tie. Never into
    the past, and a Foreman row stays in its cycle's window. Returns the days each row was moved."""
    if tolerance <= 0 or not movable or weeks < 1:
        return {}
    first_monday = monday_of(start)
    load = [week.lines for week in plan_weeks([r for r in rows if r.key not in movable], first_monday, weeks)]
    room = {c.number: (c.end - c.start).days for c in cycles}
    moved: dict[str, int] = {}
    for row in sorted((r for r in rows if r.key in movable), key=lambda r: (-r.lines, r.key)):
        row.shift = 0
        due, cadence = row.next_count(), row.cadence_days
        if due is None or not cadence:
            continue
        low, high = -tolerance, tolerance
        if row.anchor is not None:  # in its window: from the cycle's start to its end
            low, high = 0, min(tolerance, room.get(row.cycle or 0, 0))
        low = max(low, (start - due).days)

        def cost(shift: int, due: dt.date = due, cadence: int = cadence) -> tuple[float, int, int]:
            places = _weeks_of(due + dt.timedelta(days=shift), cadence, first_monday, weeks)
            return (sum(load[w] for w in places) / len(places) if places else 0.0, abs(shift), shift)

        row.shift = min(range(low, high + 1), key=cost) if low <= high else 0
        for week in _weeks_of(due + dt.timedelta(days=row.shift), cadence, first_monday, weeks):
            load[week] += row.lines
        if row.shift:
            moved[row.key] = row.shift
    return moved
