"""Work spread over every core, for the stages that handle a thousand files at a time.

How processes start, on every supported Python: a copy of this process (fork) is made only while
it runs a single thread (a fork with threads running may deadlock in the copy, and Python 3.12+
warns of it); every other worker starts from a clean process, by START_METHOD ("forkserver" where
the platform has it, as Python 3.14 does by default on Linux, else "spawn"), so what it runs and
what it is given must pickle. Every worker ends with the process that started it.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import pickle
import select
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from cyclekit import progress

T = TypeVar("T")
R = TypeVar("R")

START_METHOD = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
"""How worker processes start: never "fork", which copies whatever threads hold."""

PR_SET_PDEATHSIG = 1  # prctl option (linux/prctl.h): a signal this process gets when its parent dies


# imported once by the fork server, not by each worker it starts
PRELOAD = ["cyclekit.backends.xlsx", "cyclekit.backends.reader"]


def _context() -> Any:
    context = multiprocessing.get_context(START_METHOD)
    if START_METHOD == "forkserver":
        context.set_forkserver_preload(PRELOAD)
    return context


def die_with_parent(starter_pid: int) -> None:
    """In a worker process: end when the process that started it ends, even killed with -9 (a
    worker left running would finish a file for a command that no longer exists, and keep the
    cycle's lock).

    On Linux the kernel sends SIGKILL when the worker's parent dies; a worker started by the fork
    server (whose parent is that server, which outlives the starter while workers run) also
    watches the starter itself. Elsewhere a thread watches the parent.
    """
    parent = os.getppid()
    if sys.platform.startswith("linux") and _kill_at_parents_death():
        if os.getppid() != parent or not _running(starter_pid):  # it ended before the line above
            os._exit(1)
        if parent != starter_pid:
            threading.Thread(target=_watch_starter, args=(starter_pid,), name="cyclekit-watch", daemon=True).start()
        return
    threading.Thread(target=_watch_parent, args=(parent,), name="cyclekit-watch", daemon=True).start()


def _kill_at_parents_death() -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists (POSIX)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _watch_starter(starter_pid: int) -> None:
    """Wait, without polling where Linux can tell (a pidfd), for the starter to end; then end."""
    try:
        handle = os.pidfd_open(starter_pid)
    except (OSError, AttributeError):
        while _running(starter_pid):
            time.sleep(0.5)
    else:
        select.select([handle], [], [])
    os._exit(1)


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(0.5)
    os._exit(1)


def threads_running() -> int:
    """Threads of this process as the operating system counts them (libraries' own threads
    included, such as pyarrow's); on other systems the ones Python knows of."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def worker_pool(max_workers: int) -> ProcessPoolExecutor:
    """Worker processes (START_METHOD) that end with this one."""
    return ProcessPoolExecutor(max_workers=max_workers, mp_context=_context(), initializer=die_with_parent,
                               initargs=(os.getpid(),))


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


def in_background(function: Callable[..., R], *args: Any) -> Callable[[], R]:
    """Start function(*args) in a worker process (START_METHOD); the returned function waits and
    gives its result, or raises its error. No thread is started in this process (so a copy of it
    can still be made meanwhile). On a single core the call happens when the result is asked for.
    The function, its arguments and its result must pickle."""
    if (os.cpu_count() or 1) < 2:
        return lambda: function(*args)
    receive = _start_worker(_call_and_send, pickle.dumps((function, args)))

    def wait() -> R:
        outcome = receive()
        if outcome is None:
            raise ChildProcessError("the process working in the background ended before it finished")
        ok, value = pickle.loads(outcome)
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    return wait


def in_forked_copy(produce: Callable[[], Iterable[str]]) -> Callable[[], str | None] | None:
    """Start produce() in another process while this one goes on; the returned function waits and
    gives the text produced, or None if that process failed (the caller then does the work itself).

    The other process is a copy of this one (fork: it shares all its data, nothing is pickled)
    when this process runs a single thread; else, if `produce` pickles (a module-level function,
    or a functools.partial of one), a fresh worker given it pickled. None, instead of a function,
    where neither can be (Windows, macOS: no fork), on one core, in a worker process with a thread
    running, or when no process can be made.
    """
    if not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2:
        return None
    with progress.no_threads():  # the bars' tickers stop while the copy is made
        if threads_running() == 1:
            return _forked(produce)
    if multiprocessing.parent_process() is not None:
        return None  # a worker itself (its watch on its starter is a thread): it starts no worker of its own
    try:
        pickled = pickle.dumps(produce)
    except (pickle.PicklingError, AttributeError, TypeError):
        return None  # a closure: only a copy of this process could run it
    try:
        receive = _start_worker(_produce_and_send, pickled)
    except OSError:
        return None

    def wait() -> str | None:
        data = receive()
        return None if data is None else data.decode("utf-8")

    return wait


def _forked(produce: Callable[[], Iterable[str]]) -> Callable[[], str | None] | None:
    """produce() in a copy of this (single-threaded) process, writing to a temp file that is already
    unlinked: if the caller never waits (an error on its side), nothing is left on disk."""
    fd, name = tempfile.mkstemp(prefix="cyclekit-", suffix=".part")
    os.unlink(name)
    parent = os.getpid()
    try:
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


def _start_worker(target: Callable[[Connection, int, bytes], None], payload: bytes) -> Callable[[], bytes | None]:
    """A worker process (START_METHOD) running target(connection, this pid, payload); the returned
    function waits for the bytes it sends back (None if it ended without sending)."""
    receiving, sending = multiprocessing.Pipe(duplex=False)
    process = _context().Process(target=target, args=(sending, os.getpid(), payload), daemon=True,
                                 name="cyclekit-worker")
    try:
        process.start()
    finally:
        sending.close()  # the worker's end: once it ends, a read here meets the end of the pipe

    def receive() -> bytes | None:
        try:
            return receiving.recv_bytes()
        except EOFError:
            return None
        finally:
            receiving.close()
            process.join()

    return receive


def _call_and_send(connection: Connection, starter_pid: int, payload: bytes) -> None:
    die_with_parent(starter_pid)
    function, args = pickle.loads(payload)
    try:
        outcome = (True, function(*args))
    except Exception as error:
        outcome = (False, error)
    connection.send_bytes(pickle.dumps(outcome))


def _produce_and_send(connection: Connection, starter_pid: int, payload: bytes) -> None:
    die_with_parent(starter_pid)
    try:
        text = "".join(pickle.loads(payload)())
    except Exception:
        return  # nothing sent: the starter does the work itself, and meets the error there
    connection.send_bytes(text.encode("utf-8"))
