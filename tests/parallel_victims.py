"""Work that never ends, for the tests of killed commands: module-level functions, so that the
worker processes (started by forkserver or spawn, not fork) can be given them pickled."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

from cyclekit.atomic import atomic_path


def work(cycle: Path, pids: Path, n: int) -> int:
    with atomic_path(cycle / "recounts" / f"R{n}.xlsx"):  # a file half-written when killed
        (pids / f"pool-{os.getpid()}").touch()
        time.sleep(120)
    return n


def layout(pids: Path) -> None:
    (pids / f"later-{os.getpid()}").touch()
    time.sleep(120)


def produce(pids: Path) -> Iterator[str]:
    (pids / f"fork-{os.getpid()}").touch()
    time.sleep(120)
    yield ""


MARK = "as imported"  # a test sets it in its own process: a worker started afresh sees it as imported


def mark(_: object) -> str:
    return MARK


def lines(count: int) -> Iterator[str]:
    return (f"<row r='{n}'/>" for n in range(count))


def fail(message: str) -> None:
    raise ValueError(message)


def threads_seen(_: object) -> int:
    from cyclekit.parallel import threads_running

    return threads_running()


def copy_in_a_worker(_: object) -> str:
    """in_forked_copy called inside a worker (a fork server's, with its watch thread): done there."""
    import functools

    from cyclekit.parallel import in_forked_copy, threads_running

    wait = in_forked_copy(functools.partial(lines, 2))
    text = wait() if wait is not None else "".join(lines(2))
    return f"{threads_running()}:{text}"
