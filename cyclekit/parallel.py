"""Work spread over every core, for the stages that handle a thousand files at a time."""

from __future__ import annotations

import os
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterable
from typing import TypeVar

from cyclekit import progress

T = TypeVar("T")
R = TypeVar("R")


def map_on_cores(function: Callable[[T], R], items: Iterable[T], label: str, serial_below: int = 8) -> list[R]:
    """function(item) for every item, in order: in worker processes when there are at least
    `serial_below` items and more than one core (below that, starting the workers costs more
    than it saves). The function and the items must pickle; progress is reported from here."""
    items = list(items)
    workers = os.cpu_count() or 1
    if workers < 2 or len(items) < serial_below:
        return [function(item) for item in progress.track(items, label)]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers) as pool:
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
