"""`cyclekit report` on a generated history: many finalized cycles of counted lines (10 million by default).

Each cycle folder holds what `report` reads: a finalized manifest.json and counted_lines.parquet (written
with cyclekit's own schema). The report runs as the command a user types, in a fresh process; its
wall-clock time and peak RSS (of that process alone) are printed and, with --record, written to the
report section of RESULTS.md. Target (issue 15): under 30 s and 4 GB for 10 million lines.

    python benchmarks/report_bench.py                      # 10,000,000 lines in 50 cycles
    python benchmarks/report_bench.py --lines 200000       # a quick check
    python benchmarks/report_bench.py --record             # also write the result into RESULTS.md
    python benchmarks/report_bench.py --reuse              # measure again without generating the cycles again
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cyclekit.folder.counted_lines import COUNTED_LINES, MONEY, QUANTITY, SCHEMA
from cyclekit.folder.cycle import FinalizeRecord, Manifest, save_manifest

HERE = Path(__file__).resolve().parent
MARK = "<!-- report_bench.py: the section below is written by benchmarks/report_bench.py --record -->"
LOCATIONS, PARTS, ZONES = 10_000, 50_000, 24
CAUSES = ["", "Miscounted during cycle count", "Theft or loss", "Receiving error", "Unrecorded issue to production",
          "Wrong unit of measure", "Scrap not recorded"]
COUNTERS = [f"Counter {n:02d}" for n in range(60)]
OFF = 0.03  # share of lines counted off


def _names(prefix: str, count: int, width: int) -> pa.Array:
    return pa.array([f"{prefix}{n:0{width}d}" for n in range(count)])


def _cycle_table(cycle: int, lines: int, rng: np.random.Generator, names: dict[str, pa.Array]) -> pa.Table:
    """One cycle's counted lines: a slice of the plant's locations, their parts, about 3 % off."""
    location = rng.integers(0, LOCATIONS, lines)
    system = rng.integers(1, 5_000, lines)
    off = rng.random(lines) < OFF
    variance = np.where(off, rng.integers(-40, 40, lines), 0)
    variance[off & (variance == 0)] = 1
    cost_cents = rng.integers(1, 50_000, lines)
    first = system + np.where(off | (rng.random(lines) < 0.01), variance, 0)
    major = off & ((np.abs(variance) > 5) | (np.abs(variance) * cost_cents > 50_000))
    counter = location % len(COUNTERS)
    cause = np.where(off, rng.integers(0, len(CAUSES), lines), 0)
    text = pa.string()
    columns = {
        "cycle_id": pa.array([f"CC-{cycle + 1:04d}"] * lines, text),
        "count_date": pa.array([dt.date(2020, 1, 6) + dt.timedelta(days=7 * cycle)] * lines, pa.date32()),
        "line_id": pa.array(np.char.add(np.char.add("L", location.astype(str)), "/1").tolist(), text),
        "location": names["location"].take(location), "zone": names["zone"].take(location % ZONES),
        "part_number": names["part"].take(rng.integers(0, PARTS, lines)),
        "revision": pa.array([""] * lines, text), "lot": pa.array([""] * lines, text),
        "serial": pa.array([""] * lines, text), "uom": pa.array(["ea"] * lines, text),
        "abc_class": pa.array(np.array(["A", "B", "C"])[location % 3].tolist(), text),
        "found": pa.array(np.zeros(lines, bool)),
        "system_qty": _quantity(system), "counted_qty": _quantity(system + variance),
        "first_count_qty": _quantity(first), "variance_qty": _quantity(variance),
        "unit_cost": _dollars(cost_cents).cast(QUANTITY), "system_value": _dollars(system * cost_cents),
        "variance_value": _dollars(variance * cost_cents),
        "discrepancy": pa.array(off), "within_tolerance": pa.array(~off),
        "first_discrepancy": pa.array(first != system), "first_within_tolerance": pa.array(first == system),
        "severity": pa.array(np.where(major, "Major", np.where(off, "Minor", "")).tolist(), text),
        "root_cause": pa.array(np.array(CAUSES)[cause].tolist(), text),
        "counted_by": names["counter"].take(counter), "recounted": pa.array(np.zeros(lines, bool)),
        "recounted_by": pa.array([""] * lines, text),
        "approved_by": pa.array(np.where(major, "Dana", "").tolist(), text),
    }
    return pa.table(columns, schema=SCHEMA)


def _quantity(values: np.ndarray) -> pa.Array:
    return pa.array(values.astype(np.int32)).cast(pa.decimal128(10, 0)).cast(QUANTITY)


def _dollars(cents: np.ndarray) -> pa.Array:
    """Whole cents as money (two decimals), exactly."""
    whole = pa.array(cents.astype(np.int32)).cast(pa.decimal128(10, 0))  # under 2^31 cents here
    return pc.multiply(whole, pa.scalar(Decimal("0.01"), pa.decimal128(3, 2))).cast(MONEY)


def generate(root: Path, lines: int, cycles: int, seed: int = 15) -> list[Path]:
    """`cycles` finalized cycle folders under `root`, holding `lines` counted lines in all."""
    shutil.rmtree(root, ignore_errors=True)
    rng = np.random.default_rng(seed)
    names = {"location": _names("LOC-", LOCATIONS, 5), "zone": _names("Zone ", ZONES, 2),
             "part": _names("P", PARTS, 6), "counter": pa.array(COUNTERS)}
    folders = []
    for cycle in range(cycles):
        folder = root / f"cycle-{cycle + 1:04d}"
        folder.mkdir(parents=True)
        count = lines // cycles + (1 if cycle < lines % cycles else 0)
        table = _cycle_table(cycle, count, rng, names)
        pq.write_table(table, folder / COUNTED_LINES, compression="zstd")
        day = table["count_date"][0].as_py().isoformat()
        save_manifest(folder, Manifest(cycle_id=f"CC-{cycle + 1:04d}", as_of=day, count_date=day, created=day,
                                       show_system_qty=False, sources={}, snapshot_sha256="", locations=[],
                                       finalized=FinalizeRecord(at=f"{day}T12:00:00")))
        folders.append(folder)
    return folders


def run_report(folders: list[Path], output: Path) -> tuple[float, float, float]:
    """Wall-clock seconds, CPU seconds and peak RSS (MB) of `cyclekit report` over the folders, in a
    fresh process (CPU time says what the run costs when other work shares the cores)."""
    command = [str(Path(sys.executable).with_name("cyclekit")), "report", *map(str, folders), "-o", str(output)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return seconds, cpu, after.ru_maxrss / 1024  # the largest child: the report


def record(lines: int, cycles: int, measured: tuple[float, float, float], load: float, size_mb: float,
           note: str) -> None:
    seconds, cpu, peak_mb = measured
    path = HERE / "RESULTS.md"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    text = text.split(MARK)[0].rstrip() + "\n\n"
    met = "met" if seconds < 30 and peak_mb < 4096 else "**not met**"
    text += (f"{MARK}\n\n## report: {lines:,} counted lines in {cycles} cycles\n\n"
             f"`python benchmarks/report_bench.py --lines {lines} --cycles {cycles}`, measured "
             f"{dt.datetime.now(dt.UTC).isoformat(timespec='seconds')} on {platform.python_version()}, "
             f"{os.cpu_count()} cores (load average before the run: {load:.1f}); the cycles' "
             f"Parquet files take {size_mb:,.0f} MB. {note}\n\n"
             "| command | wall clock (s) | CPU (s) | peak RSS (MB) | target | |\n"
             "| --- | ---: | ---: | ---: | --- | --- |\n"
             f"| `cyclekit report` (fresh process) | {seconds:.1f} | {cpu:.1f} | {peak_mb:,.0f} | under 30 s and 4 GB "
             f"| {met} |\n")
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--cycles", type=int, default=50)
    parser.add_argument("--out", type=Path, default=HERE / "out" / "report")
    parser.add_argument("--record", action="store_true", help="write the result into RESULTS.md")
    parser.add_argument("--note", default="", help="e.g. the machine's load during the run")
    parser.add_argument("--reuse", action="store_true",
                        help="measure again on the cycles an earlier run generated with the same --lines and --cycles")
    args = parser.parse_args()
    started = time.perf_counter()
    made = sorted((args.out / "cycles").glob("cycle-*"))
    if args.reuse and len(made) == args.cycles and sum(
            pq.ParquetFile(f / COUNTED_LINES).metadata.num_rows for f in made) == args.lines:
        folders = made
    else:
        folders = generate(args.out / "cycles", args.lines, args.cycles)
    size = sum((f / COUNTED_LINES).stat().st_size for f in folders) / 2**20
    print(f"{'reused' if folders is made else 'generated'} {args.lines:,} lines in {args.cycles} cycles "
          f"({size:,.0f} MB of Parquet) in {time.perf_counter() - started:.0f} s", flush=True)
    load = os.getloadavg()[0]
    seconds, cpu, peak = run_report(folders, args.out / "report.xlsx")
    print(f"cyclekit report: {seconds:.1f} s wall clock, {cpu:.1f} s CPU, peak RSS {peak:,.0f} MB (target under "
          f"30 s and 4,096 MB; load average {load:.1f} before the run)")
    if args.record:
        record(args.lines, args.cycles, (seconds, cpu, peak), load, size, args.note)


if __name__ == "__main__":
    main()
