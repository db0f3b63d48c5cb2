"""Drive headless LibreOffice Calc: print workbooks to PDF, recalculate them in a real engine.

Every soffice process gets its own throw-away user profile. That is how recalculation is forced
(by default Calc keeps the values cached in an xlsx, so a plain conversion proves nothing about
the formulas), and it lets several conversions run at once: LibreOffice refuses, or hands the
job to the already running instance, when two processes share a profile.

Public API: `find_soffice`, `convert`, `recalculate`, `to_pdf`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cyclekit.errors import CyclekitError, MissingToolError

__all__ = ["ConversionError", "convert", "find_soffice", "recalculate", "to_pdf"]

INSTALL_HINT = (
    "LibreOffice is needed for this and was not found: install it "
    "(e.g. `apt-get install libreoffice-calc-nogui`) "
    "or set CYCLEKIT_SOFFICE to the soffice program."
)

# Filter that writes xlsx from Calc; naming it avoids any guess on the output type.
XLSX_FILTER = "xlsx:Calc MS Excel 2007 XML"

# Start-up is about a second, each file a fraction of that; a hung soffice must not hang the run.
BASE_TIMEOUT = 120.0
TIMEOUT_PER_FILE = 2.0

# A process costs 1.5-2 s of CPU to start, a count sheet about 0.33 s. Measured on 2 cores
# (benchmarks/PDF.md): 4 files take as long in two processes as in one, 8 files 1.4x less time,
# 100 files 2.2x less. Each soffice.bin takes a few hundred MB, hence a cap whatever the CPUs.
MIN_FILES_PER_PROCESS = 4
MAX_PROCESSES = 8

# Formula/Load recalc modes: 0 = always recalculate, 1 = never, 2 = prompt.
PROFILE_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
           xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
  <prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop>
</item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
  <prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop>
</item>
</oor:items>
"""


class ConversionError(CyclekitError):
    """soffice ran (or tried to) and some files were not converted."""


def find_soffice() -> str:
    """Path of LibreOffice: $CYCLEKIT_SOFFICE if set, else soffice or libreoffice on PATH."""
    override = os.environ.get("CYCLEKIT_SOFFICE")
    if override:
        # An explicit choice that does not work is an error, not a reason to pick another program.
        found = shutil.which(override)
        if found is None:
            raise MissingToolError(
                f"CYCLEKIT_SOFFICE is set to {override!r}, which is not an executable program: "
                "point it to soffice or install LibreOffice "
                "(e.g. `apt-get install libreoffice-calc-nogui`)."
            )
        return found
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    raise MissingToolError(INSTALL_HINT)


def convert(paths: Sequence[Path], out_dir: Path, fmt: str) -> list[Path]:
    """Convert `paths` into `out_dir`; return the outputs in input order.

    `fmt` is what soffice's --convert-to takes ("pdf", "xlsx:Calc MS Excel 2007 XML"); the output
    is named after the input's stem with the extension before any ':'.

    Enough files are split into one batch per CPU (`_process_count`), each converted by its own
    soffice process with its own profile, all at once. Every process writes into a private
    staging folder inside `out_dir`; a complete output is then renamed into place, so `out_dir`
    never holds a half-written file. Files that did convert are kept when others fail.
    """
    paths = [Path(p).resolve() for p in paths]
    out_dir = Path(out_dir).resolve()
    extension = fmt.split(":", 1)[0]
    if not extension:
        raise ValueError(f"no output extension in format {fmt!r}")
    if not paths:
        return []

    outputs = _planned_outputs(paths, out_dir, extension)
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise ConversionError(f"cannot convert, no such file: {', '.join(map(str, missing))}")

    program = find_soffice()
    out_dir.mkdir(parents=True, exist_ok=True)
    # A stale output from an earlier run must not sit next to this run's outputs as if new.
    for output in outputs:
        output.unlink(missing_ok=True)

    batches = _split(paths, _process_count(len(paths)))
    with contextlib.ExitStack() as cleanup:
        jobs = []
        for batch in batches:
            profile = Path(cleanup.enter_context(
                tempfile.TemporaryDirectory(prefix="cyclekit-lo-profile-")))
            # Staging beside the outputs: the final rename stays on one file system.
            staging = Path(cleanup.enter_context(
                tempfile.TemporaryDirectory(prefix=".cyclekit-lo-", dir=out_dir)))
            _write_profile(profile)
            jobs.append(_Job(batch, staging, profile / "soffice.log", command=[
                program, "--headless", "--norestore", "--nolockcheck",
                f"-env:UserInstallation={profile.as_uri()}",
                "--convert-to", fmt, "--outdir", str(staging), *map(str, batch),
            ]))
        _run_all(jobs)
        for job in jobs:
            if job.timed_out:
                continue  # killed mid-write maybe: keep none of its outputs
            for src in job.paths:
                staged = job.staging / f"{src.stem}.{extension}"
                # soffice often exits 0 after failing to load a file: only the outputs count.
                if _complete(staged, extension):
                    os.replace(staged, out_dir / staged.name)
                    job.converted.add(src)

    failed = [src for job in jobs for src in job.paths if src not in job.converted]
    if failed:
        raise ConversionError(_failure_message(jobs, failed, len(paths), extension))
    return outputs


def recalculate(paths: Sequence[Path], out_dir: Path) -> list[Path]:
    """Copies of the xlsx `paths` in `out_dir`, every formula recalculated by LibreOffice."""
    return convert(paths, out_dir, XLSX_FILTER)


def to_pdf(paths: Sequence[Path], out_dir: Path) -> list[Path]:
    """PDFs of the workbooks `paths` in `out_dir`, as LibreOffice prints them (one soffice per CPU)."""
    return convert(paths, out_dir, "pdf")


def _planned_outputs(paths: list[Path], out_dir: Path, extension: str) -> list[Path]:
    for path in paths:
        if path.parent == out_dir:
            # xlsx -> xlsx in place would overwrite the input with its own conversion.
            raise ValueError(f"out_dir {out_dir} must differ from the folder of input {path}")
    outputs = [out_dir / f"{p.stem}.{extension}" for p in paths]
    seen: dict[Path, Path] = {}
    for src, out in zip(paths, outputs):
        if out in seen:
            # soffice would silently write the second over the first.
            raise ValueError(f"{seen[out]} and {src} would both convert to {out}")
        seen[out] = src
    return outputs


def _cpus() -> int:
    """CPUs this process may run on (the affinity mask, which containers and taskset narrow)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _process_count(files: int) -> int:
    """How many soffice processes to run at once for `files` files (see MIN_FILES_PER_PROCESS)."""
    return max(1, min(_cpus(), MAX_PROCESSES, files // MIN_FILES_PER_PROCESS))


def _split(paths: list[Path], count: int) -> list[list[Path]]:
    """`count` batches of about equal total bytes (largest file first to the lightest batch).

    File size stands in for pages: an owner's packet can be many times a single sheet. Each batch
    keeps the input order.
    """
    if count <= 1:
        return [paths]
    sizes = {p: p.stat().st_size for p in paths}
    batches: list[list[Path]] = [[] for _ in range(count)]
    loads = [0] * count
    for path in sorted(paths, key=lambda p: -sizes[p]):  # stable: ties keep input order
        lightest = loads.index(min(loads))
        batches[lightest].append(path)
        loads[lightest] += sizes[path]
    order = {p: i for i, p in enumerate(paths)}
    return [sorted(batch, key=order.__getitem__) for batch in batches if batch]


def _complete(path: Path, extension: str) -> bool:
    """True when soffice wrote `path` to the end (a crash can leave a truncated file)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return False
    if size == 0:
        return False
    if extension == "pdf":
        with path.open("rb") as handle:
            handle.seek(max(0, size - 1024))
            return b"%%EOF" in handle.read()
    if extension in {"xlsx", "ods", "docx", "odt"}:
        return zipfile.is_zipfile(path)
    return True


def _write_profile(profile: Path) -> None:
    user = profile / "user"
    user.mkdir(parents=True)
    (user / "registrymodifications.xcu").write_text(PROFILE_SETTINGS, encoding="utf-8")


@dataclass
class _Job:
    """One soffice process: its files, where it writes, and what became of it."""

    paths: list[Path]
    staging: Path
    log: Path
    command: list[str]
    timeout: float = 0.0
    returncode: int | None = None
    timed_out: bool = False
    said: str = ""  # what soffice printed, stdout and stderr together
    converted: set[Path] = field(default_factory=set)


# A watchdog beside each soffice group: soffice.bin is a grandchild in a session of its own, so
# nothing reaches it when cyclekit is killed (kill -9); the watchdog sees its parent gone and ends
# the group, which would otherwise go on writing into the cycle folder for a command that is no more.
_WATCHDOG = """
import os, signal, sys, time
parent, group = int(sys.argv[1]), int(sys.argv[2])
while True:
    time.sleep(0.2)
    try:
        os.killpg(group, 0)
    except (ProcessLookupError, PermissionError):
        break
    if os.getppid() != parent:
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            pass
        break
"""


def _watch(process: subprocess.Popen[bytes]) -> int | None:
    """Start the watchdog of the group `process` leads; its process id, or None where it cannot be."""
    if not hasattr(os, "posix_spawn"):
        return None
    try:
        return os.posix_spawn(sys.executable, [sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(process.pid)],
                              os.environ)
    except OSError:
        return None  # no watchdog: the conversion still runs


def _end_watch(watchdog: int) -> None:
    with contextlib.suppress(ProcessLookupError, ChildProcessError):
        os.kill(watchdog, signal.SIGKILL)
        os.waitpid(watchdog, 0)


def _run_all(jobs: list[_Job]) -> None:
    """Run every job's soffice at once; wait for all, stopping any that exceeds its time."""
    processes: list[subprocess.Popen[bytes]] = []
    watchdogs: list[int] = []
    try:
        for job in jobs:
            job.timeout = BASE_TIMEOUT + TIMEOUT_PER_FILE * len(job.paths)
            with job.log.open("wb") as log:
                # soffice is a script that starts oosplash, which starts soffice.bin: run them in
                # their own process group so a timeout kills all of them, not just the script.
                processes.append(subprocess.Popen(
                    job.command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True,
                ))
            watchdogs += [pid for pid in [_watch(processes[-1])] if pid is not None]
        started = time.monotonic()
        for job, process in zip(jobs, processes):
            try:
                job.returncode = process.wait(max(0.0, started + job.timeout - time.monotonic()))
            except subprocess.TimeoutExpired:
                _kill_group(process)
                job.timed_out = True
            job.said = job.log.read_text(encoding="utf-8", errors="replace")
    except BaseException:
        for process in processes:  # e.g. Ctrl-C: leave no soffice.bin behind
            if process.poll() is None:
                _kill_group(process)
        raise
    finally:
        for watchdog in watchdogs:
            _end_watch(watchdog)


def _failure_message(jobs: list[_Job], failed: list[Path], total: int, extension: str) -> str:
    """One line naming what failed, then the last lines soffice printed in the failed jobs."""
    parts = []
    timed_out = [job for job in jobs if job.timed_out]
    for job in timed_out:
        parts.append(f"LibreOffice did not finish converting {len(job.paths)} file(s) in "
                     f"{job.timeout:g} s and was stopped (first file: {job.paths[0]})")
    lost = {src for job in timed_out for src in job.paths}
    others = [src for src in failed if src not in lost]
    if others:
        codes = sorted({job.returncode for job in jobs if job.returncode is not None
                        if not job.timed_out and any(src in others for src in job.paths)})
        parts.append(f"LibreOffice did not convert {len(others)} of {total} file(s) to {extension} "
                     f"(exit code {', '.join(map(str, codes))}): {', '.join(map(str, others))}")
    tails = "".join(_tail(job.said) for job in jobs if job.timed_out or job.converted != set(job.paths))
    return "; ".join(parts) + tails


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()
    # SIGKILL is delivered asynchronously: give soffice.bin and its helpers a moment to be gone
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.01)


def _tail(text: str, lines: int = 5) -> str:
    # The javaldx warning appears on every run without Java and explains nothing.
    kept = [line for line in text.splitlines() if line.strip() and "javaldx" not in line][-lines:]
    return ("\nsoffice said:\n  " + "\n  ".join(kept)) if kept else ""
