"""Profile one cyclekit command with cProfile and print where the time goes.

cProfile sees only this process: work cyclekit hands to other cores (rendering the count
sheets, the second half of a big tab, the recount sheets, counts.json) is not in the numbers
unless ``--serial``, which patches ``os.cpu_count()`` to 1 so that all of it runs here. Run it
in a copy of the folder the command would change (ingest and finalize write into the cycle).

    python benchmarks/cprofile_stage.py --serial --out prof.txt -- ingest cycle cycle/returned/*.xlsx
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path


def profile(argv: list[str], serial: bool, wall: bool = False) -> tuple[cProfile.Profile, float]:
    if serial:
        os.cpu_count = lambda: 1  # type: ignore[assignment]
    import gc

    from cyclekit.cli import cli

    gc.set_threshold(200_000, 50, 100)  # as cyclekit.cli.main does
    # CPU time by default: on a loaded machine, wall time charges a function for the other processes
    profiler = cProfile.Profile() if wall else cProfile.Profile(time.process_time)
    start = time.perf_counter()
    profiler.enable()
    try:
        cli(argv, prog_name="cyclekit", standalone_mode=False)
    finally:
        profiler.disable()
    return profiler, time.perf_counter() - start


def report(profiler: cProfile.Profile, wall: float, top: int, title: str) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    out.write(f"# {title}: {wall:.2f} s wall time while profiled\n\n## by own time\n")
    stats.sort_stats("tottime").print_stats(top)
    out.write("\n## cyclekit functions by inclusive time\n")
    stats.sort_stats("cumulative").print_stats(r"cyclekit", top * 2)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serial", action="store_true", help="everything on this process (os.cpu_count() = 1)")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--wall", action="store_true", help="time functions by wall clock (default: CPU time)")
    parser.add_argument("--out", type=Path, default=None, help="write the report here (default: print it)")
    parser.add_argument("--dump", type=Path, default=None, help="also save the raw profile (pstats)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the cyclekit command line")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    profiler, wall = profile(command, args.serial, args.wall)
    if args.dump:
        profiler.dump_stats(args.dump)
    text = report(profiler, wall, args.top, "cyclekit " + " ".join(command[:3])
                  + (" (serial)" if args.serial else ""))
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
