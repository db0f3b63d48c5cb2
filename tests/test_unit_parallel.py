"""parallel.py on its own: work spread over worker processes gives the same answer, in order, as
the work done here; an error there is an error here; small batches and one core stay here."""

import functools
import os
import sys

import pytest

from cyclekit import parallel


def square_with_pid(n: int) -> tuple[int, int]:  # module level: worker processes are given it pickled
    return n * n, os.getpid()


def fail_on_three(n: int) -> int:
    if n == 3:
        raise ValueError(f"item {n} cannot be done")
    return n


def lines_of(words: tuple[str, ...]):
    for word in words:
        yield f"{word}\n"


def broken_producer():
    yield "half\n"
    raise RuntimeError("the copy failed midway")


@pytest.fixture
def two_cores(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)


def test_many_items_go_to_worker_processes_and_come_back_in_order(two_cores):
    results = parallel.map_on_cores(square_with_pid, range(20), "Squaring", serial_below=8)
    assert [value for value, _ in results] == [n * n for n in range(20)]
    assert os.getpid() not in {pid for _, pid in results}  # done in other processes


def test_as_many_items_as_the_threshold_go_to_workers(two_cores):
    results = parallel.map_on_cores(square_with_pid, range(8), "Squaring", serial_below=8)
    assert [value for value, _ in results] == [n * n for n in range(8)] and os.getpid() not in {p for _, p in results}


def test_a_few_items_are_done_here_where_starting_workers_would_cost_more(two_cores):
    results = parallel.map_on_cores(square_with_pid, range(7), "Squaring", serial_below=8)
    assert results == [(n * n, os.getpid()) for n in range(7)]
    # done here, so even a function that cannot be pickled is fine below the threshold
    assert parallel.map_on_cores(lambda n: -n, [1, 2], "Negating", serial_below=3) == [-1, -2]


def test_one_core_does_everything_here(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    results = parallel.map_on_cores(square_with_pid, range(20), "Squaring", serial_below=2)
    assert {pid for _, pid in results} == {os.getpid()}
    assert parallel.in_forked_copy(functools.partial(lines_of, ("a",))) is None  # the caller does the work


def test_an_error_in_a_worker_is_raised_here(two_cores):
    with pytest.raises(ValueError, match="item 3 cannot be done"):
        parallel.map_on_cores(fail_on_three, range(10), "Checking", serial_below=2)


def test_no_items_no_work(two_cores):
    assert parallel.map_on_cores(square_with_pid, [], "Nothing", serial_below=0) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a copy of the process is made on Linux only")
def test_a_copy_of_the_process_gives_the_text_it_produced(two_cores):
    wait = parallel.in_forked_copy(functools.partial(lines_of, ("000812", "1E5", "é")))
    assert wait is not None
    assert wait() == "000812\n1E5\né\n"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a copy of the process is made on Linux only")
def test_a_copy_that_fails_gives_nothing_so_the_caller_does_the_work(two_cores):
    wait = parallel.in_forked_copy(broken_producer)
    assert wait is not None
    assert wait() is None  # never the half it wrote
