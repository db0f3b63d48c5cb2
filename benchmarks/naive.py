"""The naive baseline: each cyclekit stage as a competent analyst would write it with pandas alone.

Same input files as the cyclekit command it is compared with, plain and unformatted output
written with pandas' openpyxl engine. Identifier columns are read as text (``dtype=str``):
an analyst who has been bitten once by ``000812`` turning into 812 does that much.

What each stage does (and does not do, compared with cyclekit):

``schedule``  read_csv the inventory and the locations, leave installed/on_order lines out,
    groupby location (lines, value), ABC by cumulative value share (80/95 %, high consumption
    one class up), counts a year
    A 12 / B 4 / C 1 with the cadence_days override, Next Count = Last Count + Cadence, days
    until due, status; one to_excel. No live formulas, no styling, no Calendar tab, no input
    validation beyond what pandas raises.
``sheets``   read_excel the schedule (the cached values cyclekit wrote), pick the locations due
    within N days, read_csv the inventory, number the lines per location, freeze the snapshot
    with to_csv, then one plain to_excel per location (Line, part, revision, description, lot,
    serial, UoM, empty Floor Count and Notes). No header block, no protection, no validation,
    no print setup, no manifest or checksums.
``ingest``   read_excel each filled sheet (header row found by its "Line" label, location from
    the sheet's header block), concat, merge with the frozen snapshot.csv on (location, line),
    variance qty/value/% per line; one to_excel of the variance table. No per-entry checks,
    no problems list, no tolerance/severity, no recount sheets, no carried-over documentation.
``finalize`` read_excel the Discrepancies tab of the reviewed results.xlsx, refuse when a
    line has no approval, to_csv the adjustments (cyclekit's generic column set). No re-check
    of the filled sheets or checksums, no schedule update, no lock.

    python benchmarks/naive.py schedule INVENTORY --locations CSV --as-of DATE -o OUT.xlsx
    python benchmarks/naive.py sheets SCHEDULE INVENTORY --as-of DATE --due-within 7 -o DIR
    python benchmarks/naive.py ingest SNAPSHOT FILLED... -o OUT.xlsx
    python benchmarks/naive.py finalize RESULTS --cycle-id ID --count-date DATE -o OUT.csv
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import pandas as pd

ID_COLUMNS = ["location", "part_number", "revision", "description", "uom", "lot", "serial", "status"]
SKIP_STATUSES = ["installed", "on_order"]
COUNTS_PER_YEAR = {"A": 12, "B": 4, "C": 1}


def read_inventory(path: Path) -> pd.DataFrame:
    inv = pd.read_csv(path, dtype={c: str for c in ID_COLUMNS}, keep_default_na=False)
    inv["quantity"] = pd.to_numeric(inv["quantity"])
    inv["unit_cost"] = pd.to_numeric(inv["unit_cost"])
    return inv[~inv["status"].str.lower().isin(SKIP_STATUSES)].reset_index(drop=True)


def schedule(args: argparse.Namespace) -> None:
    inv = read_inventory(args.inventory)
    inv["value"] = inv["quantity"] * inv["unit_cost"]
    rows = inv.groupby("location", sort=True).agg(lines=("part_number", "size"), value=("value", "sum"))
    rows = rows.reset_index()
    if args.locations:
        places = pd.read_csv(args.locations, dtype=str, keep_default_na=False)
        rows = places.merge(rows, on="location", how="outer").fillna({"lines": 0, "value": 0.0})
    rows = rows.sort_values(["value", "location"], ascending=[False, True]).reset_index(drop=True)
    total = rows["value"].sum()
    above = (rows["value"].cumsum() - rows["value"]) * 100 / total
    rows["abc_class"] = pd.cut(above, [-1, 80, 95, 101], right=False, labels=["A", "B", "C"]).astype(str)
    if "consumption" in rows:  # a high-consumption location moves up one class
        bump = rows["consumption"].str.lower().eq("high")
        rows.loc[bump, "abc_class"] = rows.loc[bump, "abc_class"].map({"A": "A", "B": "A", "C": "B"})
    rows["counts_per_year"] = rows["abc_class"].map(COUNTS_PER_YEAR)
    cadence = (365 / rows["counts_per_year"]).round()
    if "cadence_days" in rows:
        override = pd.to_numeric(rows["cadence_days"], errors="coerce")
        cadence = override.fillna(cadence)
    rows["cadence_days"] = cadence.astype(int)
    as_of = pd.Timestamp(args.as_of)
    last = pd.to_datetime(rows.get("last_count"), errors="coerce")
    rows["last_count"] = last
    rows["next_count"] = (last + pd.to_timedelta(rows["cadence_days"], unit="D")).fillna(as_of)
    rows["days_until_due"] = (rows["next_count"] - as_of).dt.days
    rows["status"] = "Scheduled"
    rows.loc[rows["days_until_due"] <= 7, "status"] = "Due this week"
    rows.loc[rows["days_until_due"] < 0, "status"] = "Overdue"
    rows = rows.sort_values("location")
    rows.to_excel(args.output, sheet_name="Schedule", index=False, engine="openpyxl")
    print(f"naive schedule: {len(rows)} rows, {len(inv)} lines -> {args.output}")


def sheets(args: argparse.Namespace) -> None:
    sched = pd.read_excel(args.schedule, sheet_name="Schedule", engine="openpyxl",
                          dtype={"Location": str})
    as_of = pd.Timestamp(args.as_of)
    last = pd.to_datetime(sched["Last Count"], errors="coerce")
    due_date = (last + pd.to_timedelta(sched["Cadence (days)"], unit="D")).fillna(as_of)
    due = sched.loc[due_date <= as_of + pd.Timedelta(days=args.due_within), "Location"].tolist()
    inv = read_inventory(args.inventory)
    inv.insert(1, "line", inv.groupby("location", sort=False).cumcount() + 1)
    out = Path(args.output)
    (out / "sheets").mkdir(parents=True, exist_ok=True)
    inv.to_csv(out / "snapshot.csv", index=False)
    chosen = inv[inv["location"].isin(due)]
    columns = ["line", "part_number", "revision", "description", "lot", "serial", "uom"]
    for location, lines in chosen.groupby("location", sort=False):
        sheet = lines[columns].rename(columns={"line": "Line"})
        sheet["Floor Count"] = None
        sheet["Notes"] = None
        sheet.insert(0, "Location", location)
        sheet.to_excel(out / "sheets" / f"{location}.xlsx", index=False, engine="openpyxl")
    print(f"naive sheets: {len(due)} locations, {len(chosen)} lines -> {out}")


def _filled(path: Path) -> pd.DataFrame:
    raw = pd.read_excel(path, header=None, engine="openpyxl", dtype=object)
    labels = raw[1].astype(str)
    location = str(raw.loc[labels.eq("Location").idxmax(), 2])
    header = int(raw.index[raw[0].astype(str).eq("Line")][0])
    body = raw.iloc[header + 1:].copy()
    body.columns = raw.iloc[header].tolist()
    body = body[pd.to_numeric(body["Line"], errors="coerce").notna()]
    return pd.DataFrame({"location": location, "line": body["Line"].astype(int),
                         "counted_qty": pd.to_numeric(body["Floor Count"], errors="coerce")})


def ingest(args: argparse.Namespace) -> None:
    counts = pd.concat([_filled(Path(p)) for p in args.files], ignore_index=True)
    snap = pd.read_csv(args.snapshot, dtype={c: str for c in ID_COLUMNS}, keep_default_na=False)
    merged = snap.merge(counts, on=["location", "line"], how="inner")
    merged["variance_qty"] = (merged["counted_qty"] - merged["quantity"]).round(6)
    merged["variance_pct"] = merged["variance_qty"] / merged["quantity"].where(merged["quantity"] != 0)
    merged["variance_value"] = (merged["variance_qty"] * merged["unit_cost"]).round(2)
    merged.to_excel(args.output, sheet_name="Variance", index=False, engine="openpyxl")
    off = int((merged["variance_qty"] != 0).sum())
    print(f"naive ingest: {len(args.files)} files, {len(merged)} lines, {off} discrepancies -> {args.output}")


def finalize(args: argparse.Namespace) -> None:
    text = ["Location", "Part Number", "Revision", "Lot", "UoM", "Root Cause", "Approved By", "Line ID"]
    docs = pd.read_excel(args.results, sheet_name="Discrepancies", engine="openpyxl",
                         dtype={c: str for c in text})
    docs = docs[docs["Line ID"].notna()]
    unapproved = docs[docs["Approved By"].isna()]
    if len(unapproved):
        sys.exit(f"naive finalize: {len(unapproved)} discrepancies have no approval")
    out = pd.DataFrame({
        "location": docs["Location"], "part_number": docs["Part Number"],
        "revision": docs["Revision"].fillna(""), "lot": docs["Lot"].fillna(""), "uom": docs["UoM"],
        "system_qty": docs["System Qty"], "counted_qty": docs["Counted Qty"],
        "adjust_qty": docs["Variance Qty"], "unit_cost": docs["Unit Cost"],
        "adjust_value": docs["Variance Value"],
        "reason": f"Cycle count {args.cycle_id}: " + docs["Root Cause"].fillna("cause not documented"),
        "root_cause": docs["Root Cause"].fillna(""), "approved_by": docs["Approved By"],
        "cycle_id": args.cycle_id, "count_date": args.count_date,
    })
    out.to_csv(args.output, index=False)
    print(f"naive finalize: {len(out)} adjustments -> {args.output}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="stage", required=True)
    p = sub.add_parser("schedule")
    p.add_argument("inventory", type=Path)
    p.add_argument("--locations", type=Path)
    p.add_argument("--as-of", type=dt.date.fromisoformat, required=True)
    p.add_argument("-o", "--output", type=Path, required=True)
    p = sub.add_parser("sheets")
    p.add_argument("schedule", type=Path)
    p.add_argument("inventory", type=Path)
    p.add_argument("--as-of", type=dt.date.fromisoformat, required=True)
    p.add_argument("--due-within", type=int, default=7)
    p.add_argument("-o", "--output", type=Path, required=True)
    p = sub.add_parser("ingest")
    p.add_argument("snapshot", type=Path)
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("-o", "--output", type=Path, required=True)
    p = sub.add_parser("finalize")
    p.add_argument("results", type=Path)
    p.add_argument("--cycle-id", required=True)
    p.add_argument("--count-date", required=True)
    p.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)
    {"schedule": schedule, "sheets": sheets, "ingest": ingest, "finalize": finalize}[args.stage](args)


if __name__ == "__main__":
    main()
