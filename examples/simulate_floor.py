"""Fill a cycle's count sheets the way counters on the floor would, for the demo.

Most lines are counted right; a handful are off (a short pick, an over-receipt, a lot
mix-up), one item is found on a shelf where the system has none, one line is left blank,
one count has a typo, and empty locations are confirmed empty. Filled sheets are saved
under new names outside the cycle folder, in an inbox folder (default: inbox-<as-of> beside the
cycle folder), as if e-mailed back: `ingest` keeps its own copies in CYCLE_DIR/returned/.

A test stand-in for Excel: it edits the cells with openpyxl and saves a copy. cyclekit
itself never re-saves a workbook a person filled.

    python examples/simulate_floor.py CYCLE_DIR [--recounts] [--to INBOX]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from pathlib import Path

import openpyxl

SEED = 20261123
FOUND_QTY = 24  # the unlabelled spacers found on a lineside shelf


def _snapshot(cycle_dir: Path) -> dict[tuple[str, int], dict[str, str]]:
    with open(cycle_dir / "snapshot.csv", encoding="utf-8", newline="") as handle:
        return {(row["location"], int(row["line"])): row for row in csv.DictReader(handle)}


def _label_value(sheet, label: str) -> str:
    for row in sheet.iter_rows(min_row=1, max_row=6):
        for cell in row:
            if cell.value == label:
                return str(sheet.cell(cell.row, cell.column + 1).value or "")
    return ""


def _is_line(label, recount: bool) -> bool:
    """A listed line's row (its number), or on a recount sheet also a found item's (F1, F2...)."""
    text = str(label or "")
    return text.isdigit() or (recount and text[:1] == "F" and text[1:].isdigit())


def _fill(sheet, frozen, rng: random.Random, plan: dict, recount: bool) -> None:
    location = _label_value(sheet, "Location")
    counter = _label_value(sheet, "Counter") or "Sam Okafor"
    header = next(r for r in range(1, 15) if sheet.cell(r, 1).value == "Line")
    cols = {sheet.cell(header, c).value: c for c in range(1, sheet.max_column + 1)}
    floor = cols["Floor Count"]
    lines = 0
    row = header + 1
    while _is_line(sheet.cell(row, 1).value, recount):
        label = str(sheet.cell(row, 1).value)
        if label.startswith("F"):  # a found item sent to a recount: the second counter finds it too
            sheet.cell(row, floor).value = FOUND_QTY
            lines += 1
            row += 1
            continue
        number = int(label)
        system = float(frozen[(location, number)]["quantity"])
        uom = frozen[(location, number)]["uom"]
        count = system
        if recount:
            # a recount mostly finds the first count was a miscount; sometimes the stock is really off
            count = system if rng.random() < 0.6 else max(system - 1, 0)
        else:
            key = plan["next"]
            plan["next"] += 1
            if key in plan["short"]:
                count = max(system - rng.choice([1, 2, 3, 12]), 0)
            elif key in plan["over"]:
                count = system + rng.choice([1, 4, 25])
            elif key == plan["blank"]:
                count = None
            elif key == plan["typo"]:
                count = f"{int(system)} ea" if uom == "ea" else f"{system}kg"
        if count is not None and not isinstance(count, str) and uom in ("ea",):
            count = int(count)
        sheet.cell(row, floor).value = count
        lines += 1
        row += 1
    if lines == 0 and not recount:
        for r in range(row, sheet.max_row + 1):
            if str(sheet.cell(r, 1).value or "").startswith("Location confirmed empty"):
                sheet.cell(r, floor).value = "YES"
    if not recount and plan["found_at"] == location:
        for r in range(row, sheet.max_row + 1):
            if sheet.cell(r, 1).value == "F1":
                sheet.cell(r, 2).value = "000777"
                sheet.cell(r, 3).value = "01"
                sheet.cell(r, 4).value = "Spacer, nylon (found in bin, no label)"
                sheet.cell(r, 6).value = "ea"
                sheet.cell(r, floor).value = FOUND_QTY
                break
    for r in range(row, sheet.max_row + 1):
        if sheet.cell(r, 2).value == "Counted by":
            sheet.cell(r, 3).value = "Riley Chen" if recount else counter
            sheet.cell(r, 6).value = "2026-11-23"


def default_inbox(cycle_dir: Path) -> Path:
    """Where the filled sheets arrive, as from e-mail: beside the cycle folder, never in it."""
    as_of = json.loads((cycle_dir / "manifest.json").read_text(encoding="utf-8"))["as_of"]
    return cycle_dir.parent / f"inbox-{as_of}"


def simulate(cycle_dir: Path, recounts: bool = False, inbox: Path | None = None) -> list[Path]:
    rng = random.Random(SEED + (1 if recounts else 0))
    frozen = _snapshot(cycle_dir)
    folders = ["recounts"] if recounts else ["sheets", "packets"]
    sources = sorted(p for folder in folders for p in (cycle_dir / folder).glob("*.xlsx"))
    total = sum(1 for _ in frozen)
    picks = rng.sample(range(max(total, 12)), 12)
    plan = {"next": 0, "short": set(picks[:5]), "over": set(picks[5:8]), "blank": picks[8],
            "typo": picks[9], "found_at": None}
    out_dir = inbox or default_inbox(cycle_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for index, source in enumerate(sources):
        book = openpyxl.load_workbook(source)
        for sheet in book.worksheets:
            if plan["found_at"] is None and not recounts and index == 1:
                plan["found_at"] = _label_value(sheet, "Location")
            _fill(sheet, frozen, rng, plan, recounts)
        target = out_dir / f"{source.stem} - counted{' (recount)' if recounts else ''}.xlsx"
        book.save(target)
        written.append(target)
    return written


if __name__ == "__main__":
    parser = argparse.ArgumentParser(usage=__doc__)
    parser.add_argument("cycle_dir", type=Path)
    parser.add_argument("--recounts", action="store_true", help="fill the recount sheets")
    parser.add_argument("--to", dest="inbox", type=Path, help="folder the filled sheets arrive in")
    options = parser.parse_args()
    for path in simulate(options.cycle_dir, recounts=options.recounts, inbox=options.inbox):
        print(f"filled {path}")
