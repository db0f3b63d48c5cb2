"""Profile each cyclekit stage (one run each, as a whole command) with pyinstrument.

pyinstrument is a profiling tool only, not a dependency of cyclekit or of the benchmarks:
``.venv/bin/pip install pyinstrument`` first. The script builds the same synthetic plant and
cycle as run.py (default scale 0.1), runs ``python -m pyinstrument -m cyclekit <stage> ...``
for schedule, sheets (no PDF: LibreOffice is a separate program), ingest and finalize, and
lists per stage

* the top functions by **self time** (where the samples land, library code included), and
* the top **cyclekit** functions by inclusive time (which of our calls cost that),

each with file:line and share of the stage's sampled time. Sessions are kept in
``OUT/profile-<scale>/<stage>.pyisession`` (open with ``pyinstrument --load ...``), and the
report is written to PROFILE.md in ``--report`` (default: this folder).

    python benchmarks/profile_stages.py [--scale 0.1] [--top 10]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import filler  # noqa: E402
import plant  # noqa: E402

ROOT = BENCH.parent


def _short(path: str) -> str:
    for marker in ("/site-packages/", "/frozen-src/", str(ROOT) + "/"):
        if marker in path:
            return path.split(marker, 1)[1]
    if "/lib/python3" in path:
        return "stdlib/" + path.split("/lib/python3", 1)[1].split("/", 1)[-1]
    return path


def hotspots(session_path: Path, top: int) -> dict:
    from pyinstrument.session import Session

    session = Session.load(str(session_path))
    root = session.root_frame()
    total = root.time
    self_time: dict[tuple, float] = defaultdict(float)
    inclusive: dict[tuple, float] = defaultdict(float)
    imports = 0.0

    def walk(frame, stack: set, in_import: bool, caller: tuple | None = None) -> None:
        nonlocal imports
        key = (frame.function, _short(frame.file_path or ""), frame.line_no)
        if key[1] in ("<built-in>", "<string>") and caller:  # say whose built-in call it is
            key = (key[0], f"{key[1]} from {caller[0]} {caller[1]}", caller[2])
        is_import = (frame.file_path or "").startswith("<frozen importlib")
        if is_import and not in_import:
            imports += frame.time
        real = [c for c in frame.children if not c.is_synthetic]
        self_time[key] += frame.time - sum(c.time for c in real)
        if key not in stack:
            inclusive[key] += frame.time
        for child in real:
            walk(child, stack | {key}, in_import or is_import, key)

    walk(root, set(), False)

    def rows(items, keep=lambda k: True) -> list[dict]:
        ranked = sorted(((k, t) for k, t in items.items() if keep(k)), key=lambda kt: -kt[1])[:top]
        return [{"function": k[0], "where": f"{k[1]}:{k[2]}", "seconds": round(t, 3),
                 "share": round(t / total, 3) if total else 0} for k, t in ranked]

    ours = lambda k: k[1].startswith("cyclekit/") and k[0] not in ("main", "<module>", "wrapper", "invoke")  # noqa: E731
    return {"sampled_s": round(total, 3), "imports_share": round(imports / total, 3) if total else 0,
            "self": rows(self_time), "cyclekit_inclusive": rows(inclusive, ours)}


SERIAL = ("import os, sys; os.cpu_count = lambda: 1; sys.argv = ['cyclekit', *sys.argv[1:]]; "
          "from cyclekit.cli import main; main()")


ENV: dict | None = None  # PYTHONPATH to a frozen copy of cyclekit (--source)


def run_profiled(argv: list[str], cwd: Path, session: Path, serial: bool = False) -> None:
    """Profile `cyclekit ARGV`; serial: with os.cpu_count() patched to 1, so that work cyclekit
    hands to worker processes (pyinstrument samples only the main process) runs, and is sampled,
    in the main process."""
    target = ["-c", SERIAL] if serial else ["-m", "cyclekit"]
    cmd = [sys.executable, "-m", "pyinstrument", "-r", "session", "-o", str(session), *target, *argv]
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=ENV)
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd[:12])}\n{done.stdout}\n{done.stderr}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--out", type=Path, default=BENCH / "out")
    parser.add_argument("--report", type=Path, default=BENCH)
    parser.add_argument("--source", type=Path, default=None,
                        help="profile the cyclekit copy in this folder (see run.py --freeze-source)")
    args = parser.parse_args(argv)
    global ENV
    source = "the installed cyclekit"
    if args.source:
        import run

        ENV = run.freeze_source(args.out, args.source)[1]
        digest = run.source_digest(args.source.resolve() / "cyclekit")
        source = f"the frozen copy {args.source} (source digest {digest['sha256']})"
    try:
        import pyinstrument  # noqa: F401
    except ImportError:
        print("pyinstrument is not installed: .venv/bin/pip install pyinstrument (profiling only)")
        return 1

    work = args.out.resolve() / f"profile-{args.scale:g}"
    if work.exists():
        shutil.rmtree(work)
    info = plant.generate(work, args.scale)
    as_of = info["as_of"]
    results: dict[str, dict] = {}

    run_profiled(["schedule", "inventory.csv", "--locations", "locations.csv", "--config", "cyclekit.toml",
                  "--as-of", as_of, "-o", "schedule.xlsx"], work, work / "schedule.pyisession")
    sheets = ["sheets", "schedule.xlsx", "inventory.csv", "--config", "cyclekit.toml", "--as-of", as_of,
              "--due-within", "7", "--cycle-id", "CC-BENCH"]
    run_profiled([*sheets, "-o", "cycle-serial"], work, work / "sheets-serial.pyisession", serial=True)
    run_profiled([*sheets, "-o", "cycle"], work, work / "sheets.pyisession")
    files = filler.fill_cycle(work / "cycle")["files"]
    returned = sorted(f"cycle/returned/{Path(f).name}" for f in files)
    run_profiled(["ingest", "cycle", *returned, "--config", "cyclekit.toml"], work, work / "ingest.pyisession")
    filler.review(work / "cycle")
    run_profiled(["finalize", "cycle", "--schedule", "schedule.xlsx", "--config", "cyclekit.toml"], work,
                 work / "finalize.pyisession")
    for stage in ("schedule", "sheets", "sheets-serial", "ingest", "finalize"):
        results[stage] = hotspots(work / f"{stage}.pyisession", args.top)

    lines = ["# cyclekit stage profiles", "",
             f"pyinstrument, one run per stage of `cyclekit <stage>` as a whole command, scale {args.scale:g} "
             f"({info['lines']:,} inventory lines, {info['locations_due']:,} locations / {info['lines_due']:,} "
             f"lines counted); {dt.datetime.now().astimezone().isoformat(timespec='seconds')}. "
             "Share = share of the stage's sampled wall time. Self time: samples in that function itself; "
             "cyclekit inclusive: the function and everything it calls. Sampling adds some overhead. "
             "pyinstrument samples the main process only: where cyclekit renders workbooks in worker "
             "processes, the main process shows the wait (`lock.acquire`); `sheets-serial` is the same "
             "command with `os.cpu_count()` patched to 1, so that the rendering runs, and is sampled, "
             f"in the main process. Code profiled: {source}.", ""]
    for stage, r in results.items():
        lines += [f"## {stage}: {r['sampled_s']:.2f} s sampled, imports {r['imports_share'] * 100:.0f} %", "",
                  "| self time: function | file:line | s | share |", "| --- | --- | ---: | ---: |"]
        lines += [f"| `{h['function']}` | {h['where']} | {h['seconds']:.2f} | {h['share'] * 100:.1f} % |"
                  for h in r["self"]]
        lines += ["", "| cyclekit inclusive: function | file:line | s | share |", "| --- | --- | ---: | ---: |"]
        lines += [f"| `{h['function']}` | {h['where']} | {h['seconds']:.2f} | {h['share'] * 100:.1f} % |"
                  for h in r["cyclekit_inclusive"]]
        lines.append("")
    args.report.mkdir(parents=True, exist_ok=True)
    (args.report / "PROFILE.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    import json

    (work / "profile.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
