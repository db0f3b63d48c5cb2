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

import functools
import os
import sys
import threading
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
    """A tqdm bar advanced from the stage's thread and kept fresh by a ticker thread (one lock for both)."""

    __slots__ = ("_bar", "_lock", "_counted", "_unit", "_total_known")

    def __init__(self, bar: Any, unit: str, total_known: bool) -> None:
        self._bar = bar
        self._lock = threading.Lock()
        self._counted = 0
        self._unit = unit
        self._total_known = total_known

    def advance(self, n: int = 1) -> None:
        with self._lock:
            self._counted += n
            if not self._total_known:  # a stage without a total shows its count once it has one
                self._bar.set_postfix_str(f"{self._counted} {self._unit}", refresh=False)
            self._bar.update(n)

    def keep_fresh(self) -> None:
        """Draw the bar if it is due (past the delay, not drawn for a while), even with nothing advanced."""
        with self._lock:
            self._bar.update(0)  # tqdm's own rule of when to draw; the rate counts the time without progress


_ELAPSED_ONLY = "{desc}: {elapsed}{postfix}"


class _Ticker:
    """A thread that keeps a bar fresh every `tick` seconds; stopped while a copy of the process is
    made (see `no_threads`), then started again."""

    def __init__(self, bar: _TqdmBar, tick: float) -> None:
        self.bar = bar
        self.tick = tick
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="cyclekit-progress", daemon=True)
        self._thread.start()
        _TICKERS.add(self)

    def stop(self) -> None:
        _TICKERS.discard(self)
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.tick):
            self.bar.keep_fresh()


_TICKERS: set[_Ticker] = set()


@contextmanager
def no_threads() -> Iterator[None]:
    """Inside the block, no thread of this module runs (for a fork of the process, which is only
    safe with one thread); the bars' tickers start again after it. Call from the main thread."""
    paused = list(_TICKERS)
    for ticker in paused:
        ticker.stop()
    try:
        yield
    finally:
        for ticker in paused:
            ticker.start()


@functools.cache
def _tqdm_class() -> Any:
    from tqdm import tqdm

    class _Bar(tqdm):  # type: ignore[type-arg]
        monitor_interval = 0  # tqdm's monitor thread is not needed: the ticker draws

    return _Bar


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
        bar = _tqdm_class()(total=total, desc=description, unit=unit, file=stream, delay=self.delay, leave=False,
                            dynamic_ncols=True, disable=False, miniters=0,  # drawn by time alone
                            bar_format=None if total is not None else _ELAPSED_ONLY)
        shown = _TqdmBar(bar, unit, total is not None)
        ticker = _Ticker(shown, self.tick)
        ticker.start()
        try:
            yield shown
        finally:
            ticker.stop()
            bar.close()
