"""Work spread over every core, for the stages that handle a thousand files at a time."""

from __future__ import annotations

import os
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
