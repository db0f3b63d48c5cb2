"""Time every cyclekit stage as a whole command, side by side with the naive pandas baseline.

For one scale (``--scale``, 1 = 200,000 inventory lines, 4,000 locations, 1,000 due, 50 lines
each) it generates the synthetic plant (plant.py) and runs, each as a fresh subprocess:

=================  ==========================================  ===============================
stage              cyclekit command                            naive baseline (naive.py)
=================  ==========================================  ===============================
schedule           cyclekit schedule inventory.csv ...         naive.py schedule
sheets             cyclekit sheets ... --due-within 7          naive.py sheets
sheets --pdf       cyclekit sheets ... --pdf --location ...    (none: pandas cannot print)
ingest             cyclekit ingest CYCLE returned/*.xlsx       naive.py ingest
finalize           cyclekit finalize CYCLE --schedule ...      naive.py finalize
=================  ==========================================  ===============================

Each stage runs ``--runs`` times, interleaved (cyclekit, naive, cyclekit, naive, ...), every
run in a fresh copy of its inputs (copies are not timed); the report gives the median wall
time, the ratio naive/cyclekit and the peak RSS (``/usr/bin/time -v``: the largest single
process of the command's tree, LibreOffice included; without GNU time the same number comes
from ``os.wait4``). Filling the sheets (filler.py) and approving the discrepancies are not
timed. The PDF stage prints at most ``--pdf-locations`` of the due locations (default 100: all
of them at scale 0.1, a subset at full scale) and is paired with the same command without
``--pdf``; the difference is the PDF time, from which pages per second follow.

``--growth 0.1,0.25`` also runs the whole cycle once at those smaller scales (both
implementations, no PDF) for the growth table: time should grow linearly, memory stay flat.

Writes RESULTS.md and results.json into ``--report`` (default: this folder; ``--quick``
defaults to the work folder). results.json keeps one entry per main scale, so a 0.1 run and a
full run can share one report.

    python benchmarks/run.py --quick                     # CI smoke: 2,000 lines, 1 run, < 1 min
    python benchmarks/run.py --scale 0.1 --runs 3
    python benchmarks/run.py --scale 1 --runs 3 --growth 0.1,0.25,0.5
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import filler  # noqa: E402
import plant  # noqa: E402

CYCLE_ID = "CC-BENCH"
TITLES = {"schedule": "schedule", "sheets": "sheets", "sheets_pdf": "sheets --pdf",
          "ingest": "ingest", "finalize": "finalize"}
# the cases: a plant shape (plant.SHAPES) and the share of lines counted off, one ingest and
# finalize per rate. standard: the realistic cycle (~3 % off); worst: issue 17's every line off
# (600 locations x 40 lines at full scale) and 30 % off, on the same plant and count sheets.
CASES = {"standard": (0.03,), "worst": (1.0, 0.3)}


def title(name: str) -> str:
    """ingest@0.3 -> 'ingest (30 % off)'."""
    stage, _, rate = name.partition("@")
    return TITLES[stage] + (f" ({float(rate) * 100:g} % off)" if rate else "")
TIME_BIN = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
GSHEETS_FILE = BENCH / "gsheets_requests.md"
TARGETS_FILE = BENCH / "TARGETS.md"  # the targets' status and why, written by hand after a run


class StageFailed(RuntimeError):
    pass


# ---- running and measuring one command --------------------------------------------------------

def _tool(name: str) -> str:
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found next to {sys.executable} nor on PATH")
    return found


def freeze_source(out: Path, existing: Path | None = None) -> tuple[list[str], dict]:
    """A copy of the cyclekit package (and its templates) to measure while it is being edited.

    Returns the command prefix (`python -m cyclekit`) and the environment (PYTHONPATH to the copy,
    which wins over the editable install) for every cyclekit command of the run. `existing`: a
    folder holding such a copy already (cyclekit/ with templates/ inside), used as it is."""
    frozen = existing.resolve() if existing else out / "frozen-src"
    if not existing:
        if frozen.exists():
            shutil.rmtree(frozen)
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(BENCH.parent / "cyclekit", frozen / "cyclekit", ignore=ignore)
        shutil.copytree(BENCH.parent / "templates", frozen / "cyclekit" / "templates", ignore=ignore)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(frozen), os.environ.get("PYTHONPATH")])))
    where = subprocess.run([sys.executable, "-c", "import cyclekit, cyclekit.templates as t; "
                            "print(cyclekit.__file__); print(t.__file__)"],
                           env=env, cwd=out, capture_output=True, text=True, check=True).stdout.split()
    if not all(w.startswith(str(frozen)) for w in where):
        raise SystemExit(f"--freeze-source: the copy in {frozen} is not what Python imports ({where})")
    return [sys.executable, "-m", "cyclekit"], env


def measure(cmd: list[str], cwd: Path, log: Path, env: dict | None = None) -> dict:
    """Run cmd in cwd; wall time (perf_counter), peak RSS, CPU; raise StageFailed on failure."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w", encoding="utf-8") as out:
        out.write("$ " + " ".join(cmd if len(cmd) < 40 else [*cmd[:40], f"... ({len(cmd) - 40} more)"]) + "\n")
        out.flush()
        if TIME_BIN:
            fd, stats_path = tempfile.mkstemp(prefix="bench-time-")
            os.close(fd)
            start = time.perf_counter()
            proc = subprocess.run([TIME_BIN, "-v", "-o", stats_path, *cmd], cwd=cwd, stdout=out,
                                  stderr=subprocess.STDOUT, env=env)
            wall = time.perf_counter() - start
            text = Path(stats_path).read_text()
            os.unlink(stats_path)
            out.write("\n" + text)

            def grab(label: str) -> float:
                found = re.search(rf"{re.escape(label)}: ([0-9.]+)", text)
                return float(found.group(1)) if found else float("nan")

            rss_kb, user, system = grab("Maximum resident set size (kbytes)"), grab("User time (seconds)"), \
                grab("System time (seconds)")
            code = proc.returncode
        else:
            start = time.perf_counter()
            proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            proc.returncode = code = os.waitstatus_to_exitcode(status)
            rss_kb, user, system = usage.ru_maxrss, usage.ru_utime, usage.ru_stime
    if code != 0:
        tail = "".join(log.read_text(errors="replace").splitlines(True)[-15:])
        raise StageFailed(f"exit {code}: {' '.join(cmd[:6])} ... (log {log})\n{tail}")
    return {"wall_s": round(wall, 3), "peak_rss_mb": round(rss_kb / 1024, 1),
            "user_s": user, "sys_s": system}


def summary(runs: list[dict]) -> dict:
    return {"runs": runs, "median_s": round(statistics.median(r["wall_s"] for r in runs), 3),
            "min_s": min(r["wall_s"] for r in runs), "max_s": max(r["wall_s"] for r in runs),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs)}


def fresh(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def link_inputs(src: Path, dst: Path, names: list[str]) -> None:
    for name in names:
        try:
            os.link(src / name, dst / name)
        except OSError:
            shutil.copy2(src / name, dst / name)


def need(path: Path, what: str) -> None:
    if not path.exists() or (path.is_file() and path.stat().st_size == 0):
        raise StageFailed(f"{what}: {path} was not written")


# ---- one scale ---------------------------------------------------------------------------------

def bench_scale(scale: float, runs: int, out: Path, *, naive: bool = True, pdf_locations: int = 0,
                pdf_runs: int = 0, quiet: bool = False, cyclekit: tuple[list[str], dict | None] | None = None,
                source: Path | None = None, shape: str = "standard", floors: tuple[str, ...] = ("raw",)) -> dict:
    """One scale of one case, every stage; cyclekit = (command prefix, env) to run, default the `cyclekit` script."""
    py = sys.executable
    ck_prefix, ck_env = cyclekit or ([_tool("cyclekit")], None)
    source = source or BENCH.parent / "cyclekit"
    naive_py = str(BENCH / "naive.py")
    floor_py = str(BENCH / "floor.py")
    rates = CASES[shape]
    root = fresh(out / (f"scale-{scale:g}" + ("" if shape == "standard" else f"-{shape}")))
    logs = root / "logs"
    info = plant.generate(root / "plant", scale, shape=shape)
    as_of, due_within = info["as_of"], str(info["due_within"])
    stages: dict[str, dict] = {}
    checks: dict[str, object] = {}

    def say(text: str) -> None:
        if not quiet:
            print(f"[scale {scale:g} {shape}] {text}", flush=True)

    say(f"{info['lines']:,} lines, {info['locations']:,} locations, {info['locations_due']:,} due "
        f"({info['lines_due']:,} lines); {runs} run(s) per stage")

    def stage(name: str, ck_cmd, naive_cmd=None) -> None:
        """ck_cmd/naive_cmd: i -> (argv, cwd); both interleaved, run by run."""
        ck_runs, nv_runs = [], []
        before = source_digest(source)["sha256"]
        for i in range(runs):
            argv, cwd = ck_cmd(i)
            ck_runs.append(measure(argv, cwd, logs / name / f"cyclekit-{i}.log", ck_env))
            if naive_cmd and naive:
                argv, cwd = naive_cmd(i)
                nv_runs.append(measure(argv, cwd, logs / name / f"naive-{i}.log"))
        stages[name] = {"cyclekit": summary(ck_runs), "source": before}
        if source_digest(source)["sha256"] != before:
            stages[name]["source_changed"] = True
            say(f"WARNING: cyclekit's source changed during the {name} stage")
        text = f"{title(name):>12}: cyclekit {stages[name]['cyclekit']['median_s']:.2f} s"
        if nv_runs:
            stages[name]["naive"] = summary(nv_runs)
            stages[name]["ratio"] = round(stages[name]["naive"]["median_s"] / stages[name]["cyclekit"]["median_s"], 2)
            text += f", naive {stages[name]['naive']['median_s']:.2f} s (x{stages[name]['ratio']})"
        say(text)

    def floor(name: str, outputs: list[Path], inputs: list[str], cwd: Path) -> None:
        """The stage's floor (floor.py): the same reading, the same number of cells written, nothing else."""
        if not floors:
            return
        shape_file = root / f"{name.replace('@', '-')}-shape.json"
        subprocess.run([py, floor_py, "shape", str(shape_file), *map(str, outputs)], check=True)
        kind = name.partition("@")[0]
        for writer in floors:
            got = []
            for i in range(runs):
                target = fresh(root / "floor" / f"{name}-{writer}-{i}")
                got.append(measure([py, floor_py, kind, str(shape_file), str(target), *inputs, "--writer", writer],
                                   cwd, logs / name / f"floor-{writer}-{i}.log"))
            stages[name][f"floor_{writer}"] = summary(got)
        cells = json.loads(shape_file.read_text(encoding="utf-8"))["cells"]
        stages[name]["cells_written"] = cells
        best = min(stages[name][f"floor_{w}"]["median_s"] for w in floors)
        stages[name]["x_floor"] = round(stages[name]["cyclekit"]["median_s"] / best, 2)
        said = ", ".join(f"{stages[name][f'floor_{w}']['median_s']:.2f} s {w}" for w in floors)
        say(f"{'floor':>12}: {said} ({cells:,} cells); cyclekit = x{stages[name]['x_floor']} its floor")

    plant_dir = root / "plant"
    inputs = ["inventory.csv", "locations.csv", "cyclekit.toml"]

    # schedule
    def ck_schedule(i: int):
        cwd = fresh(root / "schedule" / f"ck-{i}")
        link_inputs(plant_dir, cwd, inputs)
        return [*ck_prefix, "schedule", "inventory.csv", "--locations", "locations.csv", "--config", "cyclekit.toml",
                "--as-of", as_of, "-o", "schedule.xlsx"], cwd

    def nv_schedule(i: int):
        cwd = fresh(root / "schedule" / f"naive-{i}")
        link_inputs(plant_dir, cwd, inputs)
        return [py, naive_py, "schedule", "inventory.csv", "--locations", "locations.csv", "--as-of", as_of,
                "-o", "schedule.xlsx"], cwd

    stage("schedule", ck_schedule, nv_schedule)
    schedule_xlsx = root / "schedule" / "ck-0" / "schedule.xlsx"
    need(schedule_xlsx, "cyclekit schedule")
    floor("schedule", [schedule_xlsx], [str(plant_dir / "inventory.csv"), str(plant_dir / "locations.csv")], root)
    if naive:
        need(root / "schedule" / "naive-0" / "schedule.xlsx", "naive schedule")

    # sheets
    sheet_inputs = ["inventory.csv", "cyclekit.toml"]

    def sheets_dir(kind: str, i: int) -> Path:
        cwd = fresh(root / kind / f"ck-{i}" if kind != "naive-sheets" else root / "sheets" / f"naive-{i}")
        link_inputs(plant_dir, cwd, sheet_inputs)
        shutil.copy2(schedule_xlsx, cwd / "schedule.xlsx")
        return cwd

    def ck_sheets(i: int):
        cwd = sheets_dir("sheets", i)
        return [*ck_prefix, "sheets", "schedule.xlsx", "inventory.csv", "--config", "cyclekit.toml", "--as-of", as_of,
                "--due-within", due_within, "--cycle-id", CYCLE_ID, "-o", "cycle"], cwd

    def nv_sheets(i: int):
        cwd = sheets_dir("naive-sheets", i)
        return [py, naive_py, "sheets", "schedule.xlsx", "inventory.csv", "--as-of", as_of,
                "--due-within", due_within, "-o", "cycle"], cwd

    stage("sheets", ck_sheets, nv_sheets)
    base = root / "sheets" / "ck-0"
    floor("sheets", sorted((base / "cycle" / "sheets").glob("*.xlsx")),
          [str(base / "schedule.xlsx"), str(plant_dir / "inventory.csv")], root)
    manifest = json.loads((base / "cycle" / "manifest.json").read_text(encoding="utf-8"))
    sent = len(list((base / "cycle" / "sheets").glob("*.xlsx")))
    checks["sheets_locations"] = len(manifest["locations"])
    checks["sheets_lines"] = sum(r["lines"] for r in manifest["locations"])
    if len(manifest["locations"]) != info["locations_due"] or sent != info["locations_due"]:
        raise StageFailed(f"cyclekit sheets picked {len(manifest['locations'])} locations and wrote {sent} "
                          f"sheets; the plant has {info['locations_due']} due")
    if naive:
        naive_sheets = len(list((root / "sheets" / "naive-0" / "cycle" / "sheets").glob("*.xlsx")))
        checks["naive_sheets"] = naive_sheets
        if naive_sheets != info["locations_due"]:
            raise StageFailed(f"naive sheets wrote {naive_sheets} sheets, {info['locations_due']} expected")

    # sheets --pdf: a subset of the due locations, paired with the same command without --pdf
    if pdf_locations and pdf_runs:
        chosen = [r["location"] for r in manifest["locations"]][:pdf_locations]
        subset = len(chosen) < len(manifest["locations"])
        selection = [a for name in chosen for a in ("--location", name)] if subset else \
            ["--due-within", due_within]

        def pdf_cmd(i: int, with_pdf: bool):
            cwd = sheets_dir("sheets-pdf" if with_pdf else "sheets-nopdf", i)
            return [*ck_prefix, "sheets", "schedule.xlsx", "inventory.csv", "--config", "cyclekit.toml", "--as-of",
                    as_of, *selection, "--cycle-id", CYCLE_ID, "-o", "cycle", *(["--pdf"] if with_pdf else [])], cwd

        pdf_runs_list, base_runs = [], []
        for i in range(pdf_runs):
            if subset:
                argv, cwd = pdf_cmd(i, False)
                base_runs.append(measure(argv, cwd, logs / "sheets_pdf" / f"nopdf-{i}.log", ck_env))
            argv, cwd = pdf_cmd(i, True)
            pdf_runs_list.append(measure(argv, cwd, logs / "sheets_pdf" / f"cyclekit-{i}.log", ck_env))
        pdf_dir = root / "sheets-pdf" / "ck-0" / "cycle" / "pdf"
        pdfs = sorted(pdf_dir.glob("*.pdf"))
        if len(pdfs) != len(chosen):
            raise StageFailed(f"sheets --pdf wrote {len(pdfs)} PDFs for {len(chosen)} locations")
        pages = sum(pdf_pages(p) for p in pdfs)
        pdf_summary = summary(pdf_runs_list)
        baseline = summary(base_runs)["median_s"] if subset else stages["sheets"]["cyclekit"]["median_s"]
        pdf_seconds = max(pdf_summary["median_s"] - baseline, 1e-9)
        stages["sheets_pdf"] = {
            "cyclekit": pdf_summary, "locations": len(chosen), "subset": subset, "pdfs": len(pdfs),
            "pages": pages, "baseline_median_s": baseline,
            "baseline": "same selection without --pdf (measured, interleaved)" if subset
            else "the sheets stage (same command without --pdf)",
            "baseline_runs": base_runs, "pdf_seconds": round(pdf_seconds, 3),
            "pages_per_s": round(pages / pdf_seconds, 2),
            "pages_per_s_whole_command": round(pages / pdf_summary["median_s"], 2),
        }
        say(f"{'sheets --pdf':>12}: {pdf_summary['median_s']:.2f} s for {len(chosen)} locations "
            f"({'subset' if subset else 'all due'}), {pages} pages, PDF part {pdf_seconds:.2f} s = "
            f"{pages / pdf_seconds:.1f} pages/s")

    for rate in rates:
        ingest_and_finalize(rate, base, root, stage, floor, checks, say, naive=naive, ck_prefix=ck_prefix,
                            as_of=as_of)
    return {"scale": scale, "shape": shape, "rates": list(rates), "plant": info, "runs": runs, "stages": stages,
            "checks": checks,
            "work_dir": str(root)}


BIG_SCHEDULE_GOAL = (10.0, 600.0)  # issue 17: from 1,000,000 lines, schedule under 10 s and 600 MB


def bench_big_schedule(scale: float, runs: int, out: Path, cyclekit: tuple[list[str], dict | None] | None) -> dict:
    """`cyclekit schedule` alone on a plant of this scale (5 = 1,000,000 lines): wall time and peak RSS."""
    ck_prefix, ck_env = cyclekit or ([_tool("cyclekit")], None)
    root = fresh(out / f"big-schedule-{scale:g}")
    info = plant.generate(root / "plant", scale)
    got = []
    for i in range(runs):
        cwd = fresh(root / f"ck-{i}")
        link_inputs(root / "plant", cwd, ["inventory.csv", "locations.csv", "cyclekit.toml"])
        got.append(measure([*ck_prefix, "schedule", "inventory.csv", "--locations", "locations.csv", "--config",
                            "cyclekit.toml", "--as-of", info["as_of"], "-o", "schedule.xlsx"],
                           cwd, root / "logs" / f"cyclekit-{i}.log", ck_env))
        need(cwd / "schedule.xlsx", "cyclekit schedule")
    result = {"scale": scale, "lines": info["lines"], "locations": info["locations"], "cyclekit": summary(got)}
    print(f"[big schedule] {info['lines']:,} lines: {result['cyclekit']['median_s']:.2f} s, "
          f"{result['cyclekit']['peak_rss_mb']:.0f} MB", flush=True)
    return result


def _big_schedule_lines(data: dict) -> list[str]:
    big = data.get("big_schedule")
    if not big:
        return []
    ck = big["cyclekit"]
    secs, mb = BIG_SCHEDULE_GOAL
    met = ck["median_s"] < secs and ck["peak_rss_mb"] < mb
    return [f"## Schedule at {big['lines']:,} lines", "",
            f"`cyclekit schedule` on {big['lines']:,} inventory lines in {big['locations']:,} locations, "
            f"{len(ck['runs'])} run(s), measured {big.get('date', '?')}: median **{ck['median_s']:.2f} s**, "
            f"peak RSS **{ck['peak_rss_mb']:.0f} MB** (CPU {_cpu(ck):.1f} s). Target (issue 17): under "
            f"{secs:g} s and {mb:g} MB: {'met' if met else '**not met**'}.", ""]


def ingest_and_finalize(rate: float, sheets_base: Path, root: Path, stage, floor, checks: dict, say, *, naive: bool,
                        ck_prefix: list[str], as_of: str) -> None:
    """Fill the cycle's sheets with this share of lines off, then time ingest and finalize."""
    py, naive_py = sys.executable, str(BENCH / "naive.py")
    tag = f"@{rate:g}"
    base = root / f"filled{tag}"
    if base.exists():
        shutil.rmtree(base)
    shutil.copytree(sheets_base, base)
    start = time.perf_counter()
    filled = filler.fill_cycle(base / "cycle", rate)
    checks[f"filled_sheets{tag}"], checks[f"filled_lines{tag}"] = filled["sheets"], filled["lines"]
    checks[f"discrepancies_entered{tag}"] = filled["discrepancies"]
    checks[f"filler_openpyxl_fallbacks{tag}"] = filled["openpyxl_fallbacks"]
    say(f"filled {filled['sheets']} sheets, {filled['lines']:,} lines, {filled['discrepancies']} off "
        f"({rate:.0%}) in {time.perf_counter() - start:.1f} s (not timed)")
    returned = sorted(f"cycle/returned/{Path(f).name}" for f in filled["files"])

    def ck_ingest(i: int):
        cwd = root / f"ingest{tag}" / f"ck-{i}"
        if cwd.exists():
            shutil.rmtree(cwd)
        shutil.copytree(base, cwd)
        return [*ck_prefix, "ingest", "cycle", *returned, "--config", "cyclekit.toml"], cwd

    def nv_ingest(i: int):
        cwd = fresh(root / f"ingest{tag}" / f"naive-{i}")
        return [py, naive_py, "ingest", str(base / "cycle" / "snapshot.csv"),
                *[str(base / f) for f in returned], "-o", "variance.xlsx"], cwd

    stage(f"ingest{tag}", ck_ingest, nv_ingest)
    ingested = root / f"ingest{tag}" / "ck-0"
    need(ingested / "cycle" / "results.xlsx", "cyclekit ingest")
    if naive:
        need(root / f"ingest{tag}" / "naive-0" / "variance.xlsx", "naive ingest")
    recounts = [r for r in json.loads((ingested / "cycle" / "manifest.json").read_text(encoding="utf-8"))["sheets"]
                if r["kind"] == "recount"]
    checks[f"recount_sheets{tag}"] = len(recounts)  # one tab each
    recount_files = sorted({r["file"] for r in recounts})
    checks[f"recount_workbooks{tag}"] = len(recount_files)
    floor(f"ingest{tag}", [ingested / "cycle" / "results.xlsx", *(ingested / "cycle" / f for f in recount_files)],
          [str(base / "cycle" / "snapshot.csv"), *[str(base / f) for f in returned]], root)

    # approve (not timed), then finalize
    start = time.perf_counter()
    reviewed = filler.review(ingested / "cycle")
    checks[f"documented{tag}"] = reviewed["documented"]
    say(f"approved {reviewed['documented']} discrepancies in {time.perf_counter() - start:.1f} s (not timed)")

    def ck_finalize(i: int):
        cwd = root / f"finalize{tag}" / f"ck-{i}"
        if cwd.exists():
            shutil.rmtree(cwd)
        shutil.copytree(ingested, cwd)
        return [*ck_prefix, "finalize", "cycle", "--schedule", "schedule.xlsx", "--config", "cyclekit.toml"], cwd

    def nv_finalize(i: int):
        cwd = fresh(root / f"finalize{tag}" / f"naive-{i}")
        return [py, naive_py, "finalize", str(ingested / "cycle" / "results.xlsx"), "--cycle-id", CYCLE_ID,
                "--count-date", as_of, "-o", "adjustments.csv"], cwd

    stage(f"finalize{tag}", ck_finalize, nv_finalize)
    adjustments = root / f"finalize{tag}" / "ck-0" / "cycle" / "adjustments" / "generic.csv"
    need(adjustments, "cyclekit finalize")
    finalized = root / f"finalize{tag}" / "ck-0"
    floor(f"finalize{tag}", [finalized / "schedule.xlsx", *sorted((finalized / "cycle" / "adjustments").glob("*.csv"))],
          [str(ingested / "cycle" / "results.xlsx"), str(ingested / "schedule.xlsx")], root)
    checks[f"adjustments{tag}"] = _rows(adjustments)
    if naive:
        naive_adjustments = root / f"finalize{tag}" / "naive-0" / "adjustments.csv"
        need(naive_adjustments, "naive finalize")
        checks[f"naive_adjustments{tag}"] = _rows(naive_adjustments)
        checks[f"adjustments_agree{tag}"] = agree = _same_adjustments(adjustments, naive_adjustments)
        if not agree:
            raise StageFailed(f"cyclekit's and the naive adjustments differ at {rate:.0%} off: "
                              f"{adjustments} vs {naive_adjustments}")


def pdf_pages(path: Path) -> int:
    if shutil.which("pdfinfo"):
        said = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
        found = re.search(r"^Pages:\s+(\d+)", said, re.M)
        if found:
            return int(found.group(1))
    return len(re.findall(rb"/Type\s*/Page[^s]", path.read_bytes()))


def _rows(path: Path) -> int:
    import csv

    with open(path, encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def _same_adjustments(a: Path, b: Path) -> bool:
    """Same lines and the same signed quantity (the naive file prints 5.0 where cyclekit prints 5)."""
    import csv
    from decimal import Decimal

    def keyed(path: Path) -> set:
        with open(path, encoding="utf-8", newline="") as handle:
            return {(r["location"], r["part_number"], r["revision"], r["lot"], Decimal(r["adjust_qty"]).normalize())
                    for r in csv.DictReader(handle)}

    return keyed(a) == keyed(b)


# ---- machine and report ------------------------------------------------------------------------

def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = None
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        ram = round(kb / 1024 / 1024, 1)
    except (OSError, AttributeError):
        pass
    versions = {}
    for module in ("cyclekit", "pandas", "openpyxl", "xlsxwriter", "python_calamine"):
        try:
            versions[module] = __import__(module).__version__
        except Exception:  # noqa: BLE001
            try:
                from importlib.metadata import version
                versions[module] = version(module.replace("_", "-"))
            except Exception:  # noqa: BLE001
                versions[module] = "?"
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    lo = None
    if soffice:
        try:
            lo = subprocess.run([soffice, "--version"], capture_output=True, text=True, timeout=60).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            lo = "?"
    return {"cpu": cpu, "cores": os.cpu_count(), "usable_cores": len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity") else os.cpu_count(), "ram_gib": ram,
            "python": platform.python_version(), "platform": platform.platform(), "libreoffice": lo,
            "rss_source": "GNU time -v" if TIME_BIN else "os.wait4", "versions": versions,
            "date": dt.datetime.now().astimezone().isoformat(timespec="seconds")}


def source_digest(package: Path | None = None) -> dict:
    """What cyclekit code was measured: the package is edited while benchmarks run (no git here).

    The .py files of the package plus the shipped templates (top-level templates/ in the
    repository, cyclekit/templates/ in a frozen copy): the same code gives the same digest."""
    import hashlib

    package = package or BENCH.parent / "cyclekit"
    templates = package / "templates" if (package / "templates").is_dir() else package.parent / "templates"
    files = [("py/" + str(p.relative_to(package)), p) for p in package.rglob("*.py")
             if "__pycache__" not in p.parts and p.relative_to(package).parts[0] != "templates"]
    files += [("templates/" + str(p.relative_to(templates)), p) for p in templates.rglob("*")
              if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]
    digest = hashlib.sha256()
    newest = (0.0, "")
    for name, path in sorted(files):
        digest.update(name.encode() + b"\0" + path.read_bytes())
        if name.startswith("py/"):
            newest = max(newest, (path.stat().st_mtime, "cyclekit/" + name[3:]))
    return {"sha256": digest.hexdigest()[:16], "newest_file": newest[1],
            "newest_mtime": dt.datetime.fromtimestamp(newest[0]).astimezone().isoformat(timespec="seconds")}


def _fmt_s(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _floor_cells(st: dict) -> tuple[str, str]:
    if "x_floor" not in st:
        return "", ""
    return (" / ".join(f"{st[f'floor_{w}']['median_s']:.2f}" if f"floor_{w}" in st else "-"
                       for w in ("raw", "xlsxwriter")), f"{st['x_floor']:.2f}")


def _stage_table(entry: dict) -> list[str]:
    s = entry["stages"]
    rows = ["| stage | cyclekit median (s) | naive median (s) | naive / cyclekit | floor raw / xlsxwriter (s) "
            "| cyclekit / floor | cyclekit peak RSS (MB) | naive peak RSS (MB) | cyclekit min-max (s) |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, st in s.items():
        ck, nv = st["cyclekit"], st.get("naive")
        name_shown = title(name)
        if name == "sheets_pdf":
            name_shown += f" ({st['locations']} loc{', subset' if st['subset'] else ''})"
        floor_s, x_floor = _floor_cells(st)
        nv_rss = f"{nv['peak_rss_mb']:.0f}" if nv else "n/a"
        rows.append(f"| {name_shown} | {_fmt_s(ck['median_s'])} | {_fmt_s(nv['median_s']) if nv else 'n/a'} | "
                    f"{st['ratio'] if nv else 'n/a'} | {floor_s} | {x_floor} | {ck['peak_rss_mb']:.0f} | "
                    f"{nv_rss} | {ck['min_s']:.2f}-{ck['max_s']:.2f} |")
    return rows


# issue 17: naive / cyclekit at least this much, per (plant shape, stage); finalize has no target
TARGETS = {("standard", "schedule"): 2.0, ("standard", "sheets"): 6.0, ("worst", "sheets"): 6.0,
           ("standard", "ingest@0.03"): 12.0, ("worst", "ingest@1"): 8.0}
FLOOR_GOAL = 2.0  # cyclekit within 2x of its floor
RSS_GROWTH_GOAL = 3.0  # ingest peak RSS from 1/10 to full scale


def _target_table(entry: dict) -> list[str]:
    rows = []
    for name, st in entry["stages"].items():
        wanted = TARGETS.get((entry.get("shape", "standard"), name))
        if wanted and "naive" in st:
            ratio = st["naive"]["median_s"] / st["cyclekit"]["median_s"]
            rows.append(f"| {title(name)} vs naive | >= {wanted:g}x | {ratio:.2f}x | "
                        f"{'met' if ratio >= wanted else '**not met**'} |")
        if "x_floor" in st:
            rows.append(f"| {title(name)} vs its floor | <= {FLOOR_GOAL:g}x | {st['x_floor']:.2f}x | "
                        f"{'met' if st['x_floor'] <= FLOOR_GOAL else '**not met**'} |")
    if not rows:
        return []
    return ["", "| target (issue 17) | wanted | measured | |", "| --- | ---: | ---: | --- |", *rows]


def _entry_key(scale: float, shape: str) -> str:
    return f"{scale:g}" + ("" if shape == "standard" else f" {shape}")


REPORT_BENCH_MARK = "<!-- report_bench.py:"  # the section benchmarks/report_bench.py --record writes


def _kept(report: Path) -> str:
    """The section of RESULTS.md that report_bench.py wrote, kept when this script rewrites the rest."""
    path = report / "RESULTS.md"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    at = text.find(REPORT_BENCH_MARK)
    return "\n" + text[at:] if at >= 0 else ""


def render_report(data: dict) -> str:
    m = data["machine"]
    lines = ["# cyclekit benchmarks", "",
             "Generated by `benchmarks/run.py` (see benchmarks/README.md for what is measured and how). "
             "Times are wall-clock seconds of the whole command (a fresh process: interpreter start-up, "
             "imports, reading, writing), median of the runs; peak RSS is the largest single process of "
             "the command (LibreOffice included for `--pdf`). Ratio > 1: cyclekit is faster than the "
             "naive pandas baseline.", "",
             "## Machine", "",
             f"- CPU: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable)",
             f"- RAM: {m['ram_gib']} GiB",
             f"- Python {m['python']} on {m['platform']}",
             f"- LibreOffice: {m['libreoffice'] or 'not installed'}",
             "- Libraries: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
             f"- Peak RSS from: {m['rss_source']}",
             f"- Date: {m['date']}", ""]
    if data.get("note"):
        lines += [f"**Note:** {data['note']}", ""]
    for key in sorted(data["entries"], key=lambda k: (-data["entries"][k]["scale"],
                                                     list(CASES).index(data["entries"][k].get("shape", "standard")))):
        e = data["entries"][key]
        p = e["plant"]
        case = e.get("shape", "standard")
        rates = ", ".join(f"{r:.0%}" for r in e.get("rates", [0.03]))
        lines += [f"## Scale {e['scale']:g}, {case} plant: {p['lines']:,} inventory lines, {p['locations']:,} "
                  f"locations, {p['locations_due']:,} counted ({p['lines_due']:,} lines), {rates} of the lines "
                  "counted off", "",
                  f"{e['runs']} run(s) per stage, interleaved cyclekit / naive; measured {e['date']} "
                  f"(`{e['command']}`, {e.get('elapsed_s', 0):.0f} s in all); cyclekit source digest "
                  f"{e.get('cyclekit_source', {}).get('sha256', '?')} (newest file "
                  f"{e.get('cyclekit_source', {}).get('newest_file', '?')}, "
                  f"{e.get('cyclekit_source', {}).get('newest_mtime', '?')}"
                  + ("; measured on a frozen copy of the package" if e.get("cyclekit_source", {}).get("frozen_copy")
                     else "") + ")"
                  + (" **changed during the run**" if e.get("cyclekit_source", {}).get("changed_during_run")
                     else "") + ".", ""]
        lines += _stage_table(e)
        lines += _target_table(e)
        pdf = e["stages"].get("sheets_pdf")
        if pdf:
            lines += ["", f"PDF: {pdf['pdfs']} workbooks, {pdf['pages']} pages"
                      + (f" (a subset: the first {pdf['locations']} of the {p['locations_due']} due locations, "
                         "via repeated `--location`)" if pdf["subset"] else " (every due location)")
                      + f". PDF part = `sheets --pdf` minus {pdf['baseline']} "
                      f"({pdf['baseline_median_s']:.2f} s) = {pdf['pdf_seconds']:.2f} s: "
                      f"**{pdf['pages_per_s']:.1f} pages/s** ({pdf['pages_per_s_whole_command']:.1f} pages/s "
                      "for the whole command). LibreOffice runs one soffice process per core, the files "
                      "split between them by size (benchmarks/PDF.md compares the routes)."]
        c = e["checks"]
        lines += ["", "Checks: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in c.items()), ""]
    lines += _big_schedule_lines(data)
    growth = data.get("growth")
    if growth:
        lines += _growth_table(growth)
    lines += _baseline_table(data)
    if TARGETS_FILE.exists():
        lines += ["## Targets", "", TARGETS_FILE.read_text(encoding="utf-8").strip(), ""]
    lines += ["## Google Sheets requests", "",
              "<!-- GSHEETS-REQUESTS: placeholder for the Google Sheets request counts per stage. "
              "Write them in benchmarks/gsheets_requests.md (markdown); run.py copies that file here "
              "on every run, and results.json carries it as \"gsheets_requests\". -->"]
    if GSHEETS_FILE.exists():
        lines += ["", GSHEETS_FILE.read_text(encoding="utf-8").strip()]
    else:
        lines += ["", "_To be added: number of Google Sheets API requests (reads, writes, batchUpdate) per "
                  "stage and scale._"]
    lines += ["", "## What the naive baseline leaves out", "",
              "It is the same data flow written with pandas alone (benchmarks/naive.py): plain "
              "`to_excel(engine=\"openpyxl\")` workbooks with no styling, formulas, validation, protection, "
              "print setup or Calendar tab; no manifest, frozen-snapshot checksums or per-entry checks; "
              "ingest computes variance only (no tolerance, severity, problems list, recount sheets, "
              "carried-over documentation); finalize only writes the adjustment CSV (cyclekit also re-reads "
              "and re-checks every filled sheet, checks approvals, rewrites the schedule workbook with the new "
              "Last Count and History, and locks the cycle). The ratios compare whole commands doing "
              "different amounts of work for the same inputs and the same adjustment lines.", ""]
    return "\n".join(lines)


def _growth_table(growth: list[dict]) -> list[str]:
    """Rows: case, stage, implementation; columns: the scales."""
    scales = sorted({g["scale"] for g in growth})
    lines = ["## Growth with scale (one run per smaller scale; the main scale's medians)", "",
             "Seconds (peak RSS MB) of each stage at each scale; counted lines per case in the header.", "",
             "| case | stage | " + " | ".join(f"scale {s:g}" for s in scales) + " | time x | RSS x |",
             "| --- | --- | " + " | ".join("---:" for _ in scales) + " | ---: | ---: |"]
    notes = []
    for shape in CASES:
        mine = {g["scale"]: g for g in growth if g.get("shape", "standard") == shape}
        if len(mine) < 2:
            continue
        small, big = mine[min(mine)], mine[max(mine)]
        names = list(big["stages"])
        lines.append(f"| **{shape}** | counted lines | "
                     + " | ".join(f"{mine[s]['plant']['lines_due']:,}" if s in mine else "" for s in scales)
                     + " | | |")
        for n in names:
            for impl in ("cyclekit", "naive"):
                cells = []
                for s in scales:
                    st = mine.get(s, {}).get("stages", {}).get(n, {}).get(impl) if s in mine else None
                    cells.append(f"{st['median_s']:.2f} ({st['peak_rss_mb']:.0f})" if st else "")
                a, b = small["stages"].get(n, {}).get(impl), big["stages"].get(n, {}).get(impl)
                if not (a and b):
                    continue
                rss_x = b["peak_rss_mb"] / a["peak_rss_mb"]
                lines.append(f"| {shape} | {title(n)} {impl} | " + " | ".join(cells)
                             + f" | {b['median_s'] / a['median_s']:.1f} | {rss_x:.1f} |")
                if impl == "cyclekit" and n.startswith("ingest"):
                    verdict = "met" if rss_x <= RSS_GROWTH_GOAL else "**not met**"
                    notes.append(f"- {shape}, {title(n)}: peak RSS x{rss_x:.1f} from scale {small['scale']:g} "
                                 f"to {big['scale']:g} ({a['peak_rss_mb']:.0f} -> {b['peak_rss_mb']:.0f} MB); "
                                 f"target <= x{RSS_GROWTH_GOAL:g}: {verdict}")
    if notes:
        lines += ["", "Memory target (issue 17: ingest peak RSS grows at most x3 from 1/10 to full scale):", "",
                  *notes]
    return lines + [""]


def _growth_entry(e: dict) -> dict:
    return {"scale": e["scale"], "shape": e.get("shape", "standard"), "plant": e["plant"],
            "stages": {n: {impl: {"median_s": st[impl]["median_s"], "peak_rss_mb": st[impl]["peak_rss_mb"]}
                           for impl in ("cyclekit", "naive") if impl in st}
                       for n, st in e["stages"].items() if n != "sheets_pdf"}}


def _load_baseline(path: Path, label: str) -> dict:
    found = json.loads(path.read_text(encoding="utf-8"))
    return {"label": label, "file": str(path), "entries": found["entries"], "machine": found.get("machine")}


def _cpu(summary_: dict) -> float:
    """Median CPU seconds (user + system, the command's processes) of the runs."""
    return statistics.median(r["user_s"] + r["sys_s"] for r in summary_["runs"])


def _baseline_table(data: dict) -> list[str]:
    """Each stage of each case against the same stage of the baseline run: slower or not.

    Wall times of two runs on a shared machine are only comparable under the same load, so the
    table also gives CPU seconds and each run's own ratio to naive (measured side by side); a stage
    is flagged when its CPU time grew by more than 10 %."""
    base = data.get("baseline")
    if not base:
        return []
    lines = [f"## Before and after: against {base['label']}", "",
             f"The same benchmark ({base['file']}) run on {base['label']}, on the same machine. Wall "
             "seconds (medians) depend on the load of the moment; CPU seconds (user + system, all the "
             "command's processes) and the ratio to naive (side by side) much less. A stage is flagged "
             "when its CPU time grew by more than 10 %.", "",
             "| case | stage | wall before / now (s) | CPU before / now (s) | CPU now / before "
             "| naive / cyclekit before / now | RSS before / now (MB) | |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for key, e in data["entries"].items():
        old = base["entries"].get(key)
        if not old:
            continue
        for name, st in e["stages"].items():
            before = old["stages"].get(name)
            if not before:
                continue
            b, n = before["cyclekit"], st["cyclekit"]
            cpu_b, cpu_n = _cpu(b), _cpu(n)
            ratios = f"{before.get('ratio', 'n/a')} / {st.get('ratio', 'n/a')}"
            lines.append(f"| {key} | {title(name)} | {b['median_s']:.2f} / {n['median_s']:.2f} | "
                         f"{cpu_b:.1f} / {cpu_n:.1f} | {cpu_n / cpu_b:.2f} | {ratios} | "
                         f"{b['peak_rss_mb']:.0f} / {n['peak_rss_mb']:.0f} | "
                         f"{'**slower**' if cpu_n / cpu_b > 1.1 else 'not slower'} |")
    return lines + [""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 200,000 lines in 4,000 locations")
    parser.add_argument("--runs", type=int, default=3, help="runs per stage and implementation (median)")
    parser.add_argument("--quick", action="store_true",
                        help="CI smoke: 2,000 lines, 1 run; checks that every stage ran and wrote its outputs")
    parser.add_argument("--out", type=Path, default=None, help="work folder (default benchmarks/out)")
    parser.add_argument("--report", type=Path, default=None,
                        help="where RESULTS.md and results.json go (default benchmarks/; --quick: the work folder)")
    parser.add_argument("--growth", default=None,
                        help="comma-separated smaller scales run once each for the growth table "
                             "(default: none; e.g. 0.1,0.25,0.5)")
    parser.add_argument("--pdf-locations", type=int, default=100,
                        help="print at most this many of the due locations in the --pdf stage (default 100; 0: skip)")
    parser.add_argument("--pdf-runs", type=int, default=None, help="runs of the --pdf stage (default --runs)")
    parser.add_argument("--no-naive", action="store_true", help="cyclekit only")
    parser.add_argument("--freeze-source", action="store_true",
                        help="measure a copy of cyclekit/ taken at the start (python -m cyclekit with PYTHONPATH "
                             "to the copy), for when the package is being edited during the run")
    parser.add_argument("--render-only", action="store_true",
                        help="measure nothing: rewrite RESULTS.md from results.json (e.g. after editing "
                             "gsheets_requests.md)")
    parser.add_argument("--source", type=Path, default=None,
                        help="measure the cyclekit copy in this folder (e.g. OUT/frozen-src of an earlier "
                             "--freeze-source run), so that several runs measure the same code")
    parser.add_argument("--cases", default=",".join(CASES),
                        help="plant shapes to run (default standard,worst): standard = the realistic cycle, "
                             "3 %% off; worst = 600 locations x 40 lines, every line off and 30 %% off")
    parser.add_argument("--big-schedule", type=float, default=None, metavar="SCALE",
                        help="also time `cyclekit schedule` alone at this scale (5 = 1,000,000 lines)")
    parser.add_argument("--no-floor", action="store_true", help="skip the floor scripts (floor.py)")
    parser.add_argument("--floor-writers", default="raw",
                        help="floor.py writers to time, comma-separated: raw (default), xlsxwriter (slow: "
                             "xlsxwriter's public API costs more than cyclekit's own row writer)")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="a results.json of an earlier run (e.g. of older code) to compare with, stage by stage")
    parser.add_argument("--baseline-label", default="baseline", help="what the --baseline run measured")
    parser.add_argument("--note", default=None, help="a sentence for the report (e.g. the machine's load)")
    args = parser.parse_args(argv)
    if args.quick:
        args.scale, args.runs = 0.01, 1
    out = (args.out or BENCH / "out" / ("smoke" if args.quick else "")).resolve()
    # the cycles measured are signed with a key of the run's own, not the user's (~/.config/cyclekit)
    os.environ.setdefault("CYCLEKIT_SIGNING_KEY_FILE", str(out / "signing.key"))
    report = (args.report or (out if args.quick else BENCH)).resolve()
    if args.render_only:
        data = json.loads((report / "results.json").read_text(encoding="utf-8"))
        if args.baseline:
            data["baseline"] = _load_baseline(args.baseline, args.baseline_label)
        if args.note:
            data["note"] = args.note
        data["gsheets_requests"] = GSHEETS_FILE.read_text(encoding="utf-8") if GSHEETS_FILE.exists() else None
        (report / "results.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        (report / "RESULTS.md").write_text(render_report(data) + "\n" + _kept(report), encoding="utf-8")
        print(f"rewrote {report / 'RESULTS.md'}")
        return 0
    pdf_ok = bool(shutil.which("soffice") or shutil.which("libreoffice") or os.environ.get("CYCLEKIT_SOFFICE"))
    pdf_locations = args.pdf_locations if pdf_ok else 0
    if not pdf_ok:
        print("LibreOffice not found: the sheets --pdf stage is skipped", flush=True)
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    cyclekit, source = None, BENCH.parent / "cyclekit"
    if args.freeze_source or args.source:
        cyclekit = freeze_source(out, args.source)
        source = (args.source.resolve() if args.source else out / "frozen-src") / "cyclekit"
    # as installed: the measured package's bytecode exists before the first run (where the environment sets
    # PYTHONDONTWRITEBYTECODE, every process and every worker would otherwise compile the whole package again)
    compileall.compile_dir(str(source), quiet=1)
    source_before = source_digest(source)
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    floors = () if args.no_floor else tuple(w.strip() for w in args.floor_writers.split(",") if w.strip())
    if unknown := set(cases) - set(CASES):
        raise SystemExit(f"--cases: unknown {sorted(unknown)}; known: {', '.join(CASES)}")
    entries: dict[str, dict] = {}
    growth: list[dict] = []
    try:
        for case in cases:
            entry = bench_scale(args.scale, args.runs, out, naive=not args.no_naive,
                                pdf_locations=pdf_locations if case == "standard" else 0,
                                pdf_runs=args.pdf_runs if args.pdf_runs is not None else args.runs,
                                cyclekit=cyclekit, source=source, shape=case, floors=floors)
            entries[_entry_key(args.scale, case)] = entry
            growth.append(_growth_entry(entry))
            for scale in [float(s) for s in (args.growth or "").split(",") if s.strip()]:
                if scale != args.scale:
                    growth.append(_growth_entry(bench_scale(scale, 1, out, naive=not args.no_naive, cyclekit=cyclekit,
                                                            source=source, shape=case, floors=())))
        big = bench_big_schedule(args.big_schedule, args.runs, out, cyclekit) if args.big_schedule else None
    except StageFailed as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    for entry in entries.values():
        entry["date"] = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        entry["command"] = "python benchmarks/run.py " + " ".join(sys.argv[1:] if argv is None else argv)
        entry["elapsed_s"] = round(time.perf_counter() - started, 1)
        entry["cyclekit_source"] = dict(source_before, frozen_copy=bool(args.freeze_source or args.source))
    if source_digest(source)["sha256"] != source_before["sha256"]:
        for entry in entries.values():
            entry["cyclekit_source"]["changed_during_run"] = True
        print("WARNING: cyclekit's source changed during the run; runs may mix versions", file=sys.stderr)

    report.mkdir(parents=True, exist_ok=True)
    json_path = report / "results.json"
    data = {"entries": {}}
    if json_path.exists() and not args.quick:
        try:
            data = json.loads(json_path.read_text(encoding="utf-8"))
        except ValueError:
            pass
    data.setdefault("entries", {}).update(entries)
    if big:
        data["big_schedule"] = dict(big, date=dt.datetime.now().astimezone().isoformat(timespec="seconds"))
    data["machine"] = machine()
    if len(growth) > len(entries):  # the growth of the cases not run now stays
        data["growth"] = [g for g in data.get("growth", []) if g.get("shape", "standard") not in cases] + growth
    if args.note:
        data["note"] = args.note
    if args.baseline:
        data["baseline"] = _load_baseline(args.baseline, args.baseline_label)
    data["gsheets_requests"] = GSHEETS_FILE.read_text(encoding="utf-8") if GSHEETS_FILE.exists() else None
    json_path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    (report / "RESULTS.md").write_text(render_report(data) + "\n" + _kept(report), encoding="utf-8")
    print(f"done in {time.perf_counter() - started:.0f} s: {report / 'RESULTS.md'}, {json_path}", flush=True)
    if args.quick:
        ran = [f"{title(n)} [{e['shape']}]" for e in entries.values() for n in e["stages"]]
        print(f"smoke OK: {', '.join(ran)} ran and wrote their outputs; the adjustments agree with the naive ones")
    return 0


if __name__ == "__main__":
    sys.exit(main())
