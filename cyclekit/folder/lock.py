"""One command writes a cycle at a time.

Every command that writes a cycle folder (sheets, ingest, finalize) holds an OS-level lock on it
for the whole command: two ingests at once would each save a manifest without the other's counts
and hand out the same recount sheet ids, and an ingest during finalize would save the manifest
back as not finalized. A second command waits up to WAIT_SECONDS, then refuses in one line.
The lock is the kernel's (flock, through filelock): a command that is killed releases it.

Under the lock, a command first clears what a command killed on that cycle left behind (temp
files of atomic writes, finalize's and sheets' work folders): no other command is running on it,
so nothing cleared can belong to a live one. verify and status only read and take no lock.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import inspect
import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar, overload

import filelock

from cyclekit.atomic import WriteError, write_error
from cyclekit.errors import CycleError
from cyclekit.folder.cycle import Manifest, read_manifest
from cyclekit.folder.finalize_commit import recover
from cyclekit.folder.seal import SealState

WAIT_SECONDS = 5.0  # how long a second command on a cycle waits for the first to finish
LOCK_FILE = ".cyclekit.lock"  # in the cycle folder
MANIFEST = "manifest.json"

F = TypeVar("F", bound=Callable[..., Any])

_held: dict[Path, int] = {}  # lock files this process holds -> depth (a command calling another)

# what a killed command leaves: an atomic write's temp file, finalize's work folder, a
# LibreOffice output folder (names as tempfile makes them: a prefix and 8 random characters)
_LEFTOVER_FILE = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$|^\.[^/]+-backup\.tmp$")  # and ingest's backup copy
_LEFTOVER_DIR = re.compile(r"^\.(finalize\.|cyclekit-lo-)[A-Za-z0-9_]{8}$")


class CycleBusyError(CycleError):
    """Another cyclekit command is writing the same cycle."""


def lock_path(cycle_dir: Path, creating: bool = False) -> Path:
    """The lock of an existing cycle is in its folder; a cycle being made (`sheets`) is locked
    beside the folder it will become (that folder does not exist until it is complete)."""
    cycle_dir = Path(os.path.abspath(cycle_dir))
    if not creating:
        return cycle_dir.resolve() / LOCK_FILE
    name = cycle_dir.name
    if len(name.encode()) > 200:  # a file name holds 255 bytes
        name = name.encode()[:180].decode(errors="ignore") + "-" + hashlib.sha256(name.encode()).hexdigest()[:8]
    return cycle_dir.parent.resolve() / f".{name}.cyclekit.lock"


@contextlib.contextmanager
def cycle_lock(cycle_dir: Path | str, creating: bool = False, wait: float | None = None,
               all_or_nothing: bool = False, recovers_finalize: bool = False) -> Iterator[None]:
    """Hold the cycle's lock (waiting up to `wait`, default WAIT_SECONDS), clear what a killed
    command left, undo a finalize that was interrupted (unless the command does it itself:
    `recovers_finalize`), and release it at the end, whatever happens. creating: the cycle folder
    is being made (`sheets`); else a folder that is no cycle is not locked (the command refuses it).
    all_or_nothing: a command that fails leaves the cycle as it found it (see `_Undo`)."""
    cycle_dir = Path(cycle_dir)
    if creating:
        try:
            cycle_dir.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise write_error(exc, cycle_dir.parent) from None
    elif not (cycle_dir / MANIFEST).is_file():
        yield
        return
    path = lock_path(cycle_dir, creating)
    if path in _held:
        _held[path] += 1
        try:
            yield
        finally:
            _held[path] -= 1
        return
    lock = filelock.FileLock(str(path), timeout=WAIT_SECONDS if wait is None else wait)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise CycleBusyError(
            f"another cyclekit command (sheets, ingest or finalize) is writing {cycle_dir}; nothing was "
            "changed: run this one again when that one has finished") from None
    except OSError as exc:
        raise write_error(exc, path) from None
    _held[path] = 1
    try:
        clear_leftovers(cycle_dir)
        if not creating and not recovers_finalize:
            undo_interrupted_finalize(cycle_dir)
        undo = _Undo(cycle_dir) if all_or_nothing and not creating else None
        try:
            yield
        except BaseException:
            if undo:
                undo.take_back()
            raise
        finally:
            if undo:
                undo.forget()
    finally:
        del _held[path]
        if creating:  # the cycle is made (or not): its own lock is in it from now on
            with contextlib.suppress(OSError):
                path.unlink()
        lock.release()


@overload
def holds_cycle_lock(function: F, *, creating: bool = ..., all_or_nothing: bool = ...,
                     recovers_finalize: bool = ...) -> F: ...


@overload
def holds_cycle_lock(function: None = None, *, creating: bool = ..., all_or_nothing: bool = ...,
                     recovers_finalize: bool = ...) -> Callable[[F], F]: ...


def holds_cycle_lock(function: F | None = None, *, creating: bool = False, all_or_nothing: bool = False,
                     recovers_finalize: bool = False) -> Any:
    """Run `function` holding the lock of the cycle named by its `cycle_dir` argument
    (`@holds_cycle_lock`, `@holds_cycle_lock(creating=True)` for the command that makes it,
    `@holds_cycle_lock(all_or_nothing=True)`, `recovers_finalize=True`: see cycle_lock)."""
    if function is None:
        return functools.partial(holds_cycle_lock, creating=creating, all_or_nothing=all_or_nothing,
                                 recovers_finalize=recovers_finalize)
    signature = inspect.signature(function)

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        cycle_dir = signature.bind(*args, **kwargs).arguments["cycle_dir"]
        with cycle_lock(cycle_dir, creating=creating, all_or_nothing=all_or_nothing,
                        recovers_finalize=recovers_finalize):
            return function(*args, **kwargs)

    return wrapper


class _Undo:
    """What a command that fails must take back to leave the cycle as it found it: the files it
    added and did not record (recount sheets nobody was told of, copies of sheets), and the
    manifest, results and counts it replaced (kept as hard links: no disk space needed, so a
    full disk cannot stop the undo)."""

    ADDED_IN = ("recounts", "returned")  # folders where a command adds files the manifest, saved last, records
    REPLACED = (MANIFEST, "results.xlsx", "counts.json")
    BACKUPS = "results-*.xlsx"  # the copy of results.xlsx an ingest keeps: the same as the one put back

    def __init__(self, cycle_dir: Path):
        self.cycle_dir = cycle_dir
        self.before = self._added_files()
        self.backups = set(cycle_dir.glob(self.BACKUPS))
        self.kept: dict[Path, Path | None] = {}
        for name in self.REPLACED:
            path = cycle_dir / name
            if not path.is_file():
                self.kept[path] = None  # there was none: one made by the failed command goes
                continue
            keep = cycle_dir / f".{name}.{secrets.token_hex(4)}.tmp"  # a leftover if killed: cleared
            try:
                os.link(path, keep)
                self.kept[path] = keep
            except OSError:
                pass  # a drive without hard links: that file is not restored

    def _added_files(self) -> set[Path]:
        return {p for folder in self.ADDED_IN if (self.cycle_dir / folder).is_dir()
                for p in (self.cycle_dir / folder).iterdir()}

    def take_back(self) -> None:
        for path, keep in self.kept.items():
            with contextlib.suppress(OSError):
                if keep is not None:
                    os.replace(keep, path)
                elif path.exists():
                    path.unlink()
        if self.kept.get(self.cycle_dir / "results.xlsx") is not None:  # put back: its new copy is not needed
            for backup in set(self.cycle_dir.glob(self.BACKUPS)) - self.backups:
                with contextlib.suppress(OSError):
                    backup.unlink()
        try:  # a damaged manifest is what the command refused: it must not hide that message
            manifest = json.loads((self.cycle_dir / MANIFEST).read_text(encoding="utf-8"))
            recorded = {os.path.normpath(s["file"]) for s in manifest.get("sheets", [])}
            recorded |= {os.path.normpath(f["file"]) for i in manifest.get("ingests", []) for f in i["files"]}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return  # no manifest to compare with: nothing more is taken back
        for path in self._added_files() - self.before:
            relative = os.path.normpath(path.relative_to(self.cycle_dir))
            if relative not in recorded and str(path.resolve()) not in recorded and path.is_file():
                with contextlib.suppress(OSError):
                    path.unlink()

    def forget(self) -> None:
        for keep in self.kept.values():
            if keep is not None:
                with contextlib.suppress(OSError):
                    keep.unlink()


def undo_interrupted_finalize(cycle_dir: Path) -> bool:
    """A finalize killed midway may have moved the schedule on without locking the cycle: every
    command that writes the cycle first puts that back (finalize_commit.recover), so none of them
    works on a half-finalized cycle. A manifest that cannot be read is left to the command to
    refuse, and so is one whose seal does not hold (folder.seal): nothing is undone on the word of
    a manifest edited by hand. Call only under the cycle's lock. True when something was undone
    or cleaned."""
    try:
        manifest, seal, _ = read_manifest(cycle_dir)
    except (OSError, CycleError):
        return False
    if seal not in (SealState.SEALED, SealState.UNSIGNED):
        return False
    return recover_or_refuse(cycle_dir, manifest, "the command")


def recover_or_refuse(cycle_dir: Path, manifest: Manifest, command: str) -> bool:
    """`recover`, or a one-line refusal when what it must put back cannot be written now."""
    try:
        return recover(cycle_dir, manifest)
    except OSError as exc:
        raise CycleError(f"an interrupted finalize of cycle {manifest.cycle_id} left files that cannot be put "
                         f"back now ({exc.filename or cycle_dir}: {exc.strerror or exc}); nothing was changed, "
                         f"allow writing there and run {command} again") from None


def clear_leftovers(cycle_dir: Path) -> list[Path]:
    """Remove what a killed command left in the cycle folder, and `sheets`' unfinished copies of
    it beside the folder. Call only under the cycle's lock. Returns what was removed."""
    removed: list[Path] = []
    cycle_dir = Path(cycle_dir)
    if cycle_dir.is_dir():
        for folder, dirs, files in os.walk(cycle_dir):
            for name in files:
                if _LEFTOVER_FILE.match(name):
                    removed.append(Path(folder) / name)
            for name in list(dirs):
                if _LEFTOVER_DIR.match(name):
                    removed.append(Path(folder) / name)
                    dirs.remove(name)
    if cycle_dir.parent.is_dir():
        made = re.compile(re.escape(f".{cycle_dir.name}.") + r"[A-Za-z0-9_]{8}$")  # start_cycle's work folders
        removed += [p for p in cycle_dir.parent.iterdir() if made.match(p.name) and p.is_dir()]
    for path in removed:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
    return removed


__all__ = ["WAIT_SECONDS", "CycleBusyError", "WriteError", "clear_leftovers", "cycle_lock", "holds_cycle_lock"]
