"""Progress of long stages: library code reports, the command line decides whether it shows.

Library code marks a stage and advances it; nothing is shown unless a reporter is installed
(the CLI installs a terminal one), so by default these calls print nothing and cost next to nothing:

    with progress.task("Writing count sheets", total=len(jobs)) as bar:
        for job in jobs: write(job); bar.advance()
    rows = [parse(path) for path in progress.track(paths, "Reading filled sheets")]

Use one task per stage, never one per item. `total=None` when the count is not known: the bar
then shows a running count and the elapsed time (a single long call, such as one LibreOffice
export, can be a task that is never advanced). Report from the calling thread and process only:
threads and worker processes see no reporter, so `track(pool.map(...))` in the parent, not in the
workers.

The CLI installs `TerminalReporter()` with `use()`: a tqdm bar on stderr for a stage that runs
longer than about 2 s, only when stderr is a terminal, gone again when the stage ends (the
command's result lines on stdout are never mixed with it).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import IO, Any, Protocol, TypeVar

T = TypeVar("T")

DEFAULT_DELAY = 2.0
"""Seconds a stage runs before its bar appears (the terminal reporter's default)."""


class Bar(Protocol):
    def advance(self, n: int = 1) -> None:
        """Count n more items done."""


class Reporter(Protocol):
    def task(self, description: str, total: int | None = None, unit: str = "it") -> AbstractContextManager[Bar]:
        """A context manager for one stage, giving the Bar to advance."""


class _NullBar:
    __slots__ = ()

    def advance(self, n: int = 1) -> None:
        pass


class _NullTask:
    __slots__ = ()

    def __enter__(self) -> _NullBar:
        return _NULL_BAR

    def __exit__(self, *exc: object) -> None:
        return None


_NULL_BAR = _NullBar()
_NULL_TASK = _NullTask()

# The installed reporter with the id of the process that installed it (a forked worker inherits
# the variable, but must not draw on the parent's terminal).
_active: ContextVar[tuple[Reporter, int] | None] = ContextVar("cyclekit_progress_reporter", default=None)


def _reporter() -> Reporter | None:
    active = _active.get()
    if active is None or active[1] != os.getpid():
        return None
    return active[0]


@contextmanager
def use(reporter: Reporter | None) -> Iterator[Reporter | None]:
    """Install `reporter` for the code run inside the block (None: silence progress there)."""
    token = _active.set(None if reporter is None else (reporter, os.getpid()))
    try:
        yield reporter
    finally:
        _active.reset(token)


def task(description: str, total: int | None = None, *, unit: str = "it") -> AbstractContextManager[Bar]:
    """One stage: `with task("Writing count sheets", total=n) as bar: ... bar.advance()`."""
    reporter = _reporter()
    if reporter is None:
        return _NULL_TASK
    return reporter.task(description, total, unit)


def track(iterable: Iterable[T], description: str, total: int | None = None, *, unit: str = "it") -> Iterator[T]:
    """Iterate over `iterable` as one stage, advancing by one per item (total: len() when it has one)."""
    reporter = _reporter()
    if reporter is None:
        return iter(iterable)
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    return _tracked(reporter, iterable, description, total, unit)


def _tracked(reporter: Reporter, iterable: Iterable[T], description: str, total: int | None,
             unit: str) -> Iterator[T]:
    with reporter.task(description, total, unit) as bar:
        for item in iterable:
            yield item
            bar.advance()


# --- The terminal reporter (tqdm) -------------------------------------------------------------


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


class _TqdmBar:
    __slots__ = ("_bar", "_counting")

    def __init__(self, bar: Any) -> None:
        self._bar = bar
        self._counting = bar.total is not None

    def advance(self, n: int = 1) -> None:
        if not self._counting:  # a stage without a total shows its count once it has one
            self._counting = True
            self._bar.bar_format = None
        self._bar.update(n)


_ELAPSED_ONLY = "{desc}: {elapsed}"


class TerminalReporter:
    """tqdm bars on `stream` (default: sys.stderr at the time a stage starts).

    A bar appears once its stage has run `delay` seconds (DEFAULT_DELAY when None), only when the
    stream is a terminal; it is cleared when the stage ends. While a stage is not advanced, its
    elapsed time is still refreshed every `tick` seconds.
    """

    def __init__(self, stream: IO[str] | None = None, *, delay: float | None = None, tick: float = 0.5) -> None:
        self.stream = stream
        self.delay = DEFAULT_DELAY if delay is None else delay
        self.tick = tick

    @contextmanager
    def task(self, description: str, total: int | None = None, unit: str = "it") -> Iterator[Bar]:
        stream = self.stream if self.stream is not None else sys.stderr
        if not _isatty(stream):
            yield _NULL_BAR
            return
        from tqdm import tqdm

        bar = tqdm(total=total, desc=description, unit=unit, file=stream, delay=self.delay, leave=False,
                   dynamic_ncols=True, disable=False, bar_format=None if total is not None else _ELAPSED_ONLY)
        stop = threading.Event()
        ticker = threading.Thread(target=self._keep_fresh, args=(bar, stop), name="cyclekit-progress",
                                  daemon=True)
        ticker.start()
        try:
            yield _TqdmBar(bar)
        finally:
            stop.set()
            ticker.join()
            bar.close()

    def _keep_fresh(self, bar: Any, stop: threading.Event) -> None:
        """Show and refresh a bar that is not advanced for a while (a single long call)."""
        # tqdm draws on update() only; draw a bar it has not drawn for a tick (or ever, once delayed)
        if stop.wait(max(0.0, bar.start_t + self.delay + self.tick - time.time())):
            return
        while True:
            if time.time() - bar.last_print_t >= self.tick:
                bar.refresh()
                # as update() would: so the rate stays right, and close() knows there is a bar to clear
                bar.last_print_n, bar.last_print_t = bar.n, time.time()
            if stop.wait(self.tick):
                return
