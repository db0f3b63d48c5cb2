"""Work spread over every core, for the stages that handle a thousand files at a time."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from typing import TypeVar

from cyclekit import progress

T = TypeVar("T")
R = TypeVar("R")


PR_SET_PDEATHSIG = 1  # prctl option (linux/prctl.h): a signal this process gets when its parent dies


def die_with_parent(parent_pid: int) -> None:
    """In a worker process: end when the process that started it ends, even killed with -9 (a
    worker left running would finish a file for a command that no longer exists, and keep the
    cycle's lock). Linux delivers SIGKILL at the parent's death; elsewhere a thread watches."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
                if os.getppid() != parent_pid:  # the parent died before the line above
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(0.5)
    os._exit(1)


def worker_pool(max_workers: int):  # -> ProcessPoolExecutor
    """Worker processes that end with this one."""
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=max_workers, initializer=die_with_parent, initargs=(os.getpid(),))


def map_on_cores(function: Callable[[T], R], items: Iterable[T], label: str, serial_below: int = 8) -> list[R]:
    """function(item) for every item, in order: in worker processes when there are at least
    `serial_below` items and more than one core (below that, starting the workers costs more
    than it saves). The function and the items must pickle; progress is reported from here."""
    items = list(items)
    workers = os.cpu_count() or 1
    if workers < 2 or len(items) < serial_below:
        return [function(item) for item in progress.track(items, label)]
    with worker_pool(workers) as pool:
        done = pool.map(function, items, chunksize=max(1, len(items) // (workers * 8)))
        return list(progress.track(done, label, total=len(items)))


def in_forked_copy(produce: Callable[[], Iterable[str]]) -> Callable[[], str | None] | None:
    """Start produce() in a copy of this process (fork), which shares all its data without
    pickling, while this one goes on; the returned function waits and gives the text produced,
    or None if the copy failed (the caller then does the work itself).

    None instead of a function where fork is not safe to use (Windows, macOS), on one core, or
    when the copy cannot be made. The copy writes to a temp file that is already unlinked: if
    the caller never waits (an error on its side), nothing is left on disk.
    """
    if not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2:
        return None
    fd, name = tempfile.mkstemp(prefix="cyclekit-", suffix=".part")
    os.unlink(name)
    parent = os.getpid()
    try:
        with warnings.catch_warnings():
            # Python 3.12 warns of fork in a process with threads (a background render's pool):
            # the copy only lays out text and writes its file, it takes no lock those threads hold
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
    except OSError:
        os.close(fd)
        return None
    if pid == 0:  # the copy: write the text, then leave without running the parent's exit code
        code = 1
        try:
            die_with_parent(parent)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.writelines(produce())
            code = 0
        finally:
            os._exit(code)

    def wait() -> str | None:
        with os.fdopen(fd, "rb") as handle:
            _, status = os.waitpid(pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                return None
            handle.seek(0)
            return handle.read().decode("utf-8")

    return wait
