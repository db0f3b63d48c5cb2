"""Finalize killed (SIGKILL) at many points, or stopped by a full or read-only disk: the cycle is
either finalized with everything in place, or open with nothing changed, and a re-run finishes."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from cyclekit.config import load_config
from cyclekit.errors import CycleError, CyclekitError
from cyclekit.stages.finalize import finalize_cycle
from tests.helpers import signed_here
from tests.test_trust_finalize import TODAY, build_cycle

CYCLE_ID = "CC-TRUST-1"
CONFIG_TEXT = """
[adjustments.netsuite]
account = "5100"
subsidiary = "Plant 1"
[adjustments.odoo]
location_prefix = "WH/Stock/"
"""
TARGETS = ["generic", "netsuite", "fishbowl"]  # odoo refuses lines it holds without its export
ROOT = Path(__file__).resolve().parents[1]

# The child finalizes; with KILL_AT=n it kills itself (SIGKILL) at the n-th step boundary: each
# rename, link or fsync of finalize's writes. Without it, it runs until the parent kills it.
CHILD = r"""
import datetime as dt, os, signal, sys, time
from pathlib import Path
from cyclekit.config import load_config
from cyclekit.errors import CyclekitError
from cyclekit.stages.finalize import finalize_cycle

kill_at = int(os.environ.get("KILL_AT", "0"))
calls = [0]
def counting(real):
    def wrapper(*args, **kwargs):
        calls[0] += 1
        if calls[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)
    return wrapper
for name in ("replace", "link", "fsync"):
    setattr(os, name, counting(getattr(os, name)))
case = Path(sys.argv[1])
config = load_config(case / "cyclekit.toml")
print("ready", flush=True)
start = time.perf_counter()
try:
    finalize_cycle(case / "cycle", case / "schedule.xlsx", config, targets=sys.argv[2:],
                   today=dt.date(2026, 11, 24))
except CyclekitError as exc:
    print("error", exc, flush=True)
    sys.exit(1)
print("done", calls[0], time.perf_counter() - start, flush=True)
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("crash")
    cycle_dir, schedule = build_cycle(base)
    (base / "cyclekit.toml").write_text(CONFIG_TEXT)
    return base


def copy_case(built: Path, case: Path) -> Path:
    case.mkdir(parents=True)
    shutil.copytree(built / "cycle", case / "cycle")
    shutil.copy2(built / "schedule.xlsx", case / "schedule.xlsx")
    shutil.copy2(built / "cyclekit.toml", case / "cyclekit.toml")
    signed_here(case / "cycle")  # as where the cycle was made: finalize's writes are counted without the ledger's
    return case


def run_child(case: Path, kill_at: int = 0, kill_after: float | None = None) -> str:
    env = {**os.environ, "KILL_AT": str(kill_at), "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(case), *TARGETS], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready"
    if kill_after is not None:
        time.sleep(kill_after)
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.pid, signal.SIGKILL)
    out, err = child.communicate(timeout=120)
    assert "Traceback" not in err, err
    return out


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def history_rows(schedule: Path) -> list[str]:
    sheet = openpyxl.load_workbook(io.BytesIO(schedule.read_bytes()))["History"]
    return [row[0] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]]


def leftovers(case: Path) -> list[str]:
    """Anything a finalize leaves besides its outputs: staging, intent, temporary files."""
    expected = {"cycle", "schedule.xlsx", "cyclekit.toml"}
    found = [p.name for p in case.iterdir() if p.name not in expected]
    found += [p.name for p in (case / "cycle").iterdir() if not p.name.endswith(".lock")  # the cycle lock
              and (p.name.startswith((".", "finalize-intent")) or p.name.endswith(".tmp"))]
    return found


def assert_finalized_whole(case: Path, pre_cycle: bytes) -> None:
    cycle_dir, schedule = case / "cycle", case / "schedule.xlsx"
    manifest = json.loads((cycle_dir / "manifest.json").read_text())
    assert manifest["finalized"], "the manifest is not finalized"
    assert (cycle_dir / f"schedule-before-{CYCLE_ID}.xlsx").read_bytes() == pre_cycle
    assert history_rows(schedule).count(CYCLE_ID) == 1
    outputs = manifest["finalized"]["outputs"]
    in_adjustments = {name for name in outputs if name.startswith("adjustments/")}
    assert in_adjustments == {f"adjustments/{p.name}" for p in (cycle_dir / "adjustments").iterdir()}
    assert in_adjustments == {"adjustments/generic.csv", "adjustments/netsuite.csv", "adjustments/fishbowl.csv",
                              "adjustments/review.xlsx"}
    assert "counted_lines.parquet" in {Path(name).name for name in outputs}
    for name, digest in outputs.items():
        path = Path(name) if Path(name).is_absolute() else cycle_dir / name
        assert sha(path) == digest, f"{name} does not match the manifest"
    assert leftovers(case) == []


def assert_open_and_unchanged(case: Path, pre_cycle: bytes) -> None:
    cycle_dir = case / "cycle"
    assert json.loads((cycle_dir / "manifest.json").read_text())["finalized"] is None
    assert (case / "schedule.xlsx").read_bytes() == pre_cycle
    assert not (cycle_dir / "adjustments").exists()
    assert not (cycle_dir / "counted_lines.parquet").exists()  # the cycle's records come with the lock
    backup = cycle_dir / f"schedule-before-{CYCLE_ID}.xlsx"
    assert not backup.exists() or backup.read_bytes() == pre_cycle
    assert leftovers(case) == []


def rerun(case: Path) -> None:
    """The user runs finalize again: it finishes, or says the cycle is already finalized."""
    try:
        finalize_cycle(case / "cycle", case / "schedule.xlsx", load_config(case / "cyclekit.toml"),
                       targets=TARGETS, today=TODAY)
    except CycleError as exc:
        assert "already finalized" in str(exc)


def test_finalize_killed_at_any_point_is_finished_by_a_rerun(built, tmp_path):
    pre_cycle = (built / "schedule.xlsx").read_bytes()
    whole = run_child(copy_case(built, tmp_path / "whole")).split()
    assert whole[0] == "done", whole
    steps, seconds = int(whole[1]), float(whole[2])
    assert_finalized_whole(tmp_path / "whole", pre_cycle)
    # every step boundary (each rename, link and fsync), then moments picked at random
    points = [("step", n) for n in range(1, steps + 1)]
    chance = random.Random(20261124)
    points += [("time", chance.uniform(0, seconds * 1.2)) for _ in range(max(4, 24 - len(points)))]
    outcomes = {"finalized": 0, "open": 0}
    for number, (kind, at) in enumerate(points):
        case = copy_case(built, tmp_path / f"kill-{number}")
        out = run_child(case, kill_at=at) if kind == "step" else run_child(case, kill_after=at)
        assert out.startswith("done") or not out, out  # killed: it printed nothing more
        state = json.loads((case / "cycle" / "manifest.json").read_text())["finalized"]
        outcomes["finalized" if state else "open"] += 1
        if not state:  # never a moved schedule, a History row or a backup of anything but the pre-cycle copy
            backup = case / "cycle" / f"schedule-before-{CYCLE_ID}.xlsx"
            assert not backup.exists() or backup.read_bytes() == pre_cycle
        rerun(case)
        assert_finalized_whole(case, pre_cycle)
        shutil.rmtree(case)
    print(f"{len(points)} kills ({steps} step boundaries): {outcomes}")
    assert outcomes["open"] >= steps - 3  # the kills did land before the commit


class FullDisk:
    """OSError(ENOSPC) (or another errno) from the n-th write on: a file opened for writing, a
    rename, a link or an fsync. Once full, the disk stays full for what takes space (opening a file
    to write, fsync), as a real one does; a rename fails only as the n-th call. n = 0 only counts."""

    def __init__(self, monkeypatch, fail_at: int, code: int = errno.ENOSPC):
        self.calls, self.fail_at, self.code, self.full = 0, fail_at, code, False
        import builtins

        real_open, real_os_open = builtins.open, os.open
        writing = self._wrap(real_open, lambda *a, **k: _writes_mode(a, k), takes_space=True)
        monkeypatch.setattr(builtins, "open", writing)
        monkeypatch.setattr(io, "open", builtins.open)
        monkeypatch.setattr(os, "open", self._wrap(real_os_open, lambda *a, **k: bool(
            (a[1] if len(a) > 1 else k.get("flags", 0)) & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)), takes_space=True))
        monkeypatch.setattr(os, "fsync", self._wrap(os.fsync, lambda *a, **k: True, takes_space=True))
        for name in ("replace", "rename", "link"):
            monkeypatch.setattr(os, name, self._wrap(getattr(os, name), lambda *a, **k: True, takes_space=False))

    def _wrap(self, real, counts, takes_space):
        def wrapper(*args, **kwargs):
            # the cycle lock (taken around the command, not finalize's own write) is left alone
            if counts(*args, **kwargs) and not str(args[0] if args else "").endswith(".lock"):
                self.calls += 1
                if self.calls == self.fail_at or (self.full and takes_space):
                    self.full = self.full or takes_space
                    raise OSError(self.code, os.strerror(self.code), str(args[0]) if args else None)
            return real(*args, **kwargs)
        return wrapper


def _writes_mode(args, kwargs) -> bool:
    mode = args[1] if len(args) > 1 else kwargs.get("mode", "r")
    return any(flag in mode for flag in "wax+")


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_a_full_or_read_only_disk_at_each_write_leaves_the_cycle_open_and_unchanged(built, tmp_path,
                                                                                    monkeypatch, code):
    case = copy_case(built, tmp_path / "case")
    pre_cycle = (case / "schedule.xlsx").read_bytes()
    config = load_config(case / "cyclekit.toml")

    def finalize():
        return finalize_cycle(case / "cycle", case / "schedule.xlsx", config, targets=TARGETS, today=TODAY)

    shutil.copytree(case, tmp_path / "counted")
    with monkeypatch.context() as counting:
        count = FullDisk(counting, 0)
        finalize_cycle(tmp_path / "counted" / "cycle", tmp_path / "counted" / "schedule.xlsx", config,
                       targets=TARGETS, today=TODAY)
        writes = count.calls
    assert writes > 10
    for n in range(1, writes + 1):
        with monkeypatch.context() as failing:
            FullDisk(failing, n, code)
            try:
                finalize()
            except CycleError as exc:
                message = str(exc)
            else:  # failing only after the commit (its clean-up): finalized all the same
                assert n == writes, f"write {n} of {writes} failed silently"
                break
        assert "\n" not in message and "Nothing was changed and cycle CC-TRUST-1 stays open" in message
        assert ("the disk is full" if code == errno.ENOSPC else os.strerror(code)) in message
        assert_open_and_unchanged(case, pre_cycle)
    else:
        finalize()  # space is back
    assert_finalized_whole(case, pre_cycle)


@pytest.fixture
def small_disk(tmp_path):
    """A real 2 MB file system (tmpfs), where the test may mount one (root on Linux)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                            capture_output=True, check=False)
    if result.returncode != 0:
        pytest.skip("cannot mount a small file system here (needs root): the injected faults cover it")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(ballast: Path, size: int) -> None:
    """Take `size` bytes of the disk, or all of it."""
    with contextlib.suppress(OSError), open(ballast, "wb") as handle:
        for _ in range(size // 4096):
            handle.write(b"\0" * 4096)
            handle.flush()


def test_finalize_on_a_real_full_disk_then_again_once_space_is_back(built, small_disk):
    case = copy_case(built, small_disk / "case")
    pre_cycle = (case / "schedule.xlsx").read_bytes()
    config = load_config(case / "cyclekit.toml")
    ballast = small_disk / "ballast"
    free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
    for left in (0, 4096, 16384, 40960):  # too little room for the outputs, at different points
        fill(ballast, free - left)
        with pytest.raises(CycleError, match="the disk is full. Nothing was changed"):
            finalize_cycle(case / "cycle", case / "schedule.xlsx", config, targets=TARGETS, today=TODAY)
        assert_open_and_unchanged(case, pre_cycle)
        ballast.unlink()
    finalize_cycle(case / "cycle", case / "schedule.xlsx", config, targets=TARGETS, today=TODAY)
    assert_finalized_whole(case, pre_cycle)


def test_finalize_in_a_read_only_cycle_folder(built, small_disk):
    case = copy_case(built, small_disk / "case")
    pre_cycle = (case / "schedule.xlsx").read_bytes()
    config = load_config(case / "cyclekit.toml")
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    try:
        # refused in one line, by the cycle lock or by finalize's first write
        with pytest.raises(CyclekitError, match="Read-only file system") as refused:
            finalize_cycle(case / "cycle", case / "schedule.xlsx", config, targets=TARGETS, today=TODAY)
        assert "\n" not in str(refused.value)
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    assert_open_and_unchanged(case, pre_cycle)
    finalize_cycle(case / "cycle", case / "schedule.xlsx", config, targets=TARGETS, today=TODAY)
    assert_finalized_whole(case, pre_cycle)


def no_links(*args, **kwargs):
    raise OSError(errno.EPERM, "Operation not permitted")  # FAT, exFAT, some network shares


def test_without_hard_links_a_backup_cut_short_by_a_crash_is_made_again(built, tmp_path, monkeypatch):
    import cyclekit.folder.finalize_commit

    case = copy_case(built, tmp_path / "case")
    pre_cycle = (case / "schedule.xlsx").read_bytes()
    config = load_config(case / "cyclekit.toml")

    def cut_short(source, target, *args):
        target.write(source.read(100))
        raise SystemExit("killed")  # the process dies here: nothing is undone

    with monkeypatch.context() as crashing:
        crashing.setattr(os, "link", no_links)
        crashing.setattr(shutil, "copyfileobj", cut_short)
        crashing.setattr(cyclekit.folder.finalize_commit, "_undo", lambda *args: None)
        with pytest.raises(SystemExit):
            finalize_cycle(case / "cycle", case / "schedule.xlsx", config, targets=TARGETS, today=TODAY)
    backup = case / "cycle" / f"schedule-before-{CYCLE_ID}.xlsx"
    assert backup.stat().st_size == 100  # a backup cut short
    monkeypatch.setattr(os, "link", no_links)
    report = finalize_cycle(case / "cycle", case / "schedule.xlsx", config, targets=TARGETS, today=TODAY)
    assert report.warnings[0].startswith("an earlier finalize of this cycle was interrupted")
    assert_finalized_whole(case, pre_cycle)


def test_what_a_crash_left_on_a_disk_now_read_only_is_a_one_line_error(built, small_disk, monkeypatch):
    import cyclekit.folder.finalize_commit

    case = copy_case(built, small_disk / "case")
    pre_cycle = (case / "schedule.xlsx").read_bytes()
    config = load_config(case / "cyclekit.toml")
    real_replace = os.replace

    def killed_at_the_manifest(source, target):
        if Path(target).name == "manifest.json":
            raise SystemExit("killed")
        return real_replace(source, target)

    with monkeypatch.context() as crashing:  # killed just before the commit: nothing undone
        crashing.setattr(os, "replace", killed_at_the_manifest)
        crashing.setattr(cyclekit.folder.finalize_commit, "_undo", lambda *args: None)
        with pytest.raises(SystemExit):
            finalize_cycle(case / "cycle", case / "schedule.xlsx", config, targets=TARGETS, today=TODAY)
    assert (case / "cycle" / "adjustments").is_dir() and (case / "schedule.xlsx").read_bytes() != pre_cycle
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    try:
        with pytest.raises(CyclekitError, match="Read-only file system") as refused:  # by the lock or by finalize
            finalize_cycle(case / "cycle", case / "schedule.xlsx", config, targets=TARGETS, today=TODAY)
        assert "\n" not in str(refused.value)
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    finalize_cycle(case / "cycle", case / "schedule.xlsx", config, targets=TARGETS, today=TODAY)
    assert_finalized_whole(case, pre_cycle)
