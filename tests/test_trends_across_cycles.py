"""Cycles in a row on the example plant: a location that misses twice is counted more often, then
returns to its class cadence after clean counts; the report's figures match a computation made here
from the raw lines (snapshot and counts), independently of cyclekit's."""

import csv
import datetime as dt
import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from cyclekit.config import load_config
from cyclekit.stages import schedule as api
from cyclekit.stages.finalize import finalize_cycle
from cyclekit.stages.ingest import ingest_cycle
from cyclekit.stages.report import write_report
from cyclekit.stages.sheets import Selection, start_cycle
from tests.helpers import fill_sheet
from tests.test_results import document

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CONFIG = load_config(EXAMPLES / "cyclekit.toml")
CONFIG = replace(CONFIG, cadence=replace(CONFIG.cadence, adaptive=True),
                 count=replace(CONFIG.count, default_targets=("generic",)))
MISSES = "WH-A-01-01"  # off in the first two cycles, clean after
STEADY = "WH-A-01-02"  # one line a little off (within or out of tolerance, as its class says), twice
CHOSEN = "RCV-DOCK-1"  # cadence 7 from the locations file: chosen by a person, never adapted
COUNTERS = {MISSES: "Ana Ruiz", STEADY: "Bo Lind", CHOSEN: "Cy Park"}
DATES = [dt.date(2026, 11, 23), dt.date(2027, 1, 4), dt.date(2027, 2, 1), dt.date(2027, 3, 1)]
TOLERANCE = {"A": Decimal(0), "B": Decimal("0.02"), "C": Decimal("0.05")}  # cyclekit's defaults


def snapshot(cycle_dir):
    with open(cycle_dir / "snapshot.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def plan(cycle: int, rows) -> dict[tuple[str, int], Decimal]:
    """What the counters find: the system quantity, except the misses planned for this cycle."""
    counts = {(r["location"], int(r["line"])): Decimal(r["quantity"]) for r in rows}
    first = {loc: min(n for (place, n) in counts if place == loc) for loc in COUNTERS}
    if cycle < 2:  # the location that misses: 36 threaded rods short, twice (Major)
        counts[(MISSES, first[MISSES])] -= 36
    if cycle == 0:  # the receiving dock a Major too: its cadence is the locations file's
        counts[(CHOSEN, first[CHOSEN])] = Decimal(0)
    if cycle in (1, 3):  # one rivet nut over: within a B or C tolerance, out of an A's
        counts[(STEADY, first[STEADY])] += 1
    return counts


def run_cycle(number: int, tmp_path: Path, schedule: Path) -> tuple[Path, list[dict]]:
    as_of = DATES[number]
    cycle_dir = tmp_path / f"cycle-{number + 1}"
    start_cycle(schedule, EXAMPLES / "inventory.csv", cycle_dir, CONFIG,
                selection=Selection(locations=tuple(COUNTERS)), as_of=as_of, cycle_id=f"CC-{number + 1}")
    rows = snapshot(cycle_dir)
    counts = plan(number, rows)
    filled = [fill_sheet(cycle_dir / "sheets" / f"{loc}.xlsx", tmp_path / f"back-{number}" / f"{loc}.xlsx",
                         {n: str(q) for (place, n), q in counts.items() if place == loc}, counted_by=who)
              for loc, who in COUNTERS.items()]
    ingest_cycle(cycle_dir, CONFIG, filled, today=as_of)
    manifest = json.loads((cycle_dir / "manifest.json").read_text())
    classes = {r["location"]: r["abc_class"] for r in manifest["locations"]}
    lines = []
    for r in rows:
        key = (r["location"], int(r["line"]))
        system, counted, cost = Decimal(r["quantity"]), counts[key], Decimal(r["unit_cost"])
        line_id = f"{key[0]}/{key[1]}"
        lines.append({"cycle": f"CC-{number + 1}", "location": key[0], "part": r["part_number"],
                      "system": system, "counted": counted, "cost": cost, "class": classes[key[0]],
                      "counter": COUNTERS[key[0]], "line_id": line_id, "cause": ""})
        variance = counted - system
        if abs(variance) > 5 or abs(variance * cost) > 500:  # Major: approved, with its cause
            lines[-1]["cause"] = "Theft or loss" if number == 0 else "Miscounted during cycle count"
            document(cycle_dir / "results.xlsx", line_id, Root_Cause=lines[-1]["cause"], Status="Resolved",
                     Approved_By="Dana Whitfield", Approval_Date=dt.datetime.combine(as_of, dt.time()))
    finalize_cycle(cycle_dir, schedule, CONFIG, today=as_of + dt.timedelta(days=1), signed_off_by="Sam Okafor")
    return cycle_dir, lines


def schedule_rows(schedule):
    rows = list(openpyxl.load_workbook(schedule)["Schedule"].iter_rows(values_only=True))
    return {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}


def figures(lines):
    """The figures of a group of raw lines, computed here: rate, accuracy, value-weighted accuracy."""
    off = [ln for ln in lines if ln["counted"] != ln["system"]]
    within = [ln for ln in lines
              if abs(ln["counted"] - ln["system"]) <= abs(ln["system"]) * TOLERANCE[ln["class"]]]
    absolute = sum(abs((ln["counted"] - ln["system"]) * ln["cost"]) for ln in lines)
    system = sum(abs(ln["system"] * ln["cost"]) for ln in lines)
    return {"lines": len(lines), "discrepancies": len(off), "rate": len(off) / len(lines),
            "accuracy": len(within) / len(lines), "value": float(1 - absolute / system)}


def tab(book, name, key_columns=1):
    rows = list(book[name].iter_rows(values_only=True))
    return {r[:key_columns] if key_columns > 1 else r[0]: dict(zip(rows[0], r)) for r in rows[1:] if r[0]}


def test_a_location_that_misses_twice_is_counted_more_often_then_restored(tmp_path):
    schedule = tmp_path / "schedule.xlsx"
    api.write_schedule(EXAMPLES / "inventory.csv", schedule, CONFIG, locations=EXAMPLES / "locations.csv",
                       as_of=DATES[0], today=DATES[0])
    class_cadence = schedule_rows(schedule)[MISSES]["Cadence (days)"]
    assert class_cadence > 14
    cadences, reasons, cycles, raw = [], [], [], []
    for number in range(len(DATES)):
        cycle_dir, lines = run_cycle(number, tmp_path, schedule)
        cycles.append(cycle_dir)
        raw += lines
        row = schedule_rows(schedule)[MISSES]
        cadences.append(row["Cadence (days)"])
        reasons.append(row["Cadence Reason"] or "")
        assert schedule_rows(schedule)[CHOSEN]["Cadence (days)"] == 7  # the locations file's, never adapted
        assert not schedule_rows(schedule)[CHOSEN]["Cadence Reason"]
    first = max(7, round(Decimal(class_cadence) / 2))
    assert cadences == [first, max(7, round(Decimal(first) / 2)), max(7, round(Decimal(first) / 2)), class_cadence]
    assert reasons[0].startswith("Major discrepancy on 2026-11-23") and reasons[1].startswith(
        "Major discrepancy on 2027-01-04")
    assert "1 of 2 clean count(s)" in reasons[2] and reasons[3].startswith("back to the class cadence")
    _report_matches_the_raw_lines(cycles, raw, tmp_path)


def _report_matches_the_raw_lines(cycles, raw, tmp_path):
    report = write_report(cycles, tmp_path / "report.xlsx", CONFIG, top=5)
    book = openpyxl.load_workbook(report.output)
    by_cycle = tab(book, "By Cycle")
    assert list(by_cycle) == ["CC-1", "CC-2", "CC-3", "CC-4"]
    for cycle_id, row in by_cycle.items():
        expected = figures([ln for ln in raw if ln["cycle"] == cycle_id])
        assert (row["Lines Counted"], row["Discrepancies"]) == (expected["lines"], expected["discrepancies"])
        assert row["Discrepancy Rate"] == pytest.approx(expected["rate"]) and row["Target Rate"] == 0.05
        assert row["Record Accuracy"] == pytest.approx(expected["accuracy"])
        assert row["Value-Weighted Accuracy"] == pytest.approx(expected["value"])
    for location, row in tab(book, "By Location").items():
        mine = [ln for ln in raw if ln["location"] == location]
        expected = figures(mine)
        times_off = len({ln["cycle"] for ln in mine if ln["counted"] != ln["system"]})
        assert (row["Lines Counted"], row["Discrepancies"], row["Times Off"], row["Counts"]) == (
            expected["lines"], expected["discrepancies"], times_off, 4)
        assert row["Record Accuracy"] == pytest.approx(expected["accuracy"])
    for counter, row in tab(book, "By Counter").items():
        expected = figures([ln for ln in raw if ln["counter"] == counter])
        assert row["First Counts"] == expected["lines"]
        assert row["Accuracy on First Count"] == pytest.approx(expected["accuracy"])
    causes = {}
    for ln in raw:
        if ln["counted"] != ln["system"]:
            causes[ln["cause"] or "(not documented)"] = causes.get(ln["cause"] or "(not documented)", 0) + 1
    assert {cause: row["Discrepancies"] for cause, row in tab(book, "By Root Cause").items()} == causes
    most_off = [r[0] for r in book["Most Often Off"].iter_rows(min_row=2, values_only=True) if r[0]]
    ranked = sorted(COUNTERS, key=lambda loc: (
        -len({ln["cycle"] for ln in raw if ln["location"] == loc and ln["counted"] != ln["system"]}),
        -sum(1 for ln in raw if ln["location"] == loc and ln["counted"] != ln["system"]), loc))
    assert most_off == ranked
    whole = figures(raw)
    summary = {r[0]: r[1] for r in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Lines counted"] == whole["lines"] and summary["Discrepancies"] == whole["discrepancies"]
    assert summary["Record accuracy (lines within tolerance / lines counted)"] == pytest.approx(whole["accuracy"])
