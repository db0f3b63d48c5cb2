"""cyclekit: inventory cycle counts run from spreadsheets.

The public API is what `__all__` lists (docs/python-api.md walks a whole cycle with it): a
`Schedule` and a `Cycle` with one method per command, the reports they return, the config, and
the errors. Everything else is internal and may change between releases.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from cyclekit.config import Config, load_config
from cyclekit.errors import ConfigError, CycleError, CyclekitError, InputError, MissingToolError, Problem

try:
    __version__ = version("cyclekit")  # one place: [project] version in pyproject.toml
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

if TYPE_CHECKING:
    from cyclekit.api import Cycle, GoogleSheets, Schedule, report
    from cyclekit.domain.problems import ProblemKind
    from cyclekit.domain.variance import Figures
    from cyclekit.layouts.history import HistoryRow
    from cyclekit.layouts.schedule_reader import ScheduleEntry, ScheduleFile
    from cyclekit.stages.finalize import FinalizeReport
    from cyclekit.stages.ingest import IngestReport
    from cyclekit.stages.report import TrendReport
    from cyclekit.stages.schedule import ScheduleReport
    from cyclekit.stages.sheets import CycleReport
    from cyclekit.stages.status import CycleStatus
    from cyclekit.stages.verify import Verification

# imported on first use: `import cyclekit` (and every process that imports a part of it) stays quick
_LAZY = {
    "Cycle": "cyclekit.api",
    "GoogleSheets": "cyclekit.api",
    "Schedule": "cyclekit.api",
    "report": "cyclekit.api",
    "TrendReport": "cyclekit.stages.report",
    "Figures": "cyclekit.domain.variance",
    "ProblemKind": "cyclekit.domain.problems",
    "HistoryRow": "cyclekit.layouts.history",
    "ScheduleEntry": "cyclekit.layouts.schedule_reader",
    "ScheduleFile": "cyclekit.layouts.schedule_reader",
    "CycleStatus": "cyclekit.stages.status",
    "Verification": "cyclekit.stages.verify",
    "FinalizeReport": "cyclekit.stages.finalize",
    "IngestReport": "cyclekit.stages.ingest",
    "ScheduleReport": "cyclekit.stages.schedule",
    "CycleReport": "cyclekit.stages.sheets",
}

__all__ = [
    "__version__",
    # the schedule and the cycle folder: one method per command
    "Schedule",
    "Cycle",
    "GoogleSheets",
    "report",
    # configuration
    "Config",
    "load_config",
    # what the methods return
    "ScheduleReport",
    "CycleReport",
    "IngestReport",
    "Figures",
    "FinalizeReport",
    "HistoryRow",
    "CycleStatus",
    "Verification",
    "TrendReport",
    "ScheduleFile",
    "ScheduleEntry",
    # what they refuse: every error is a CyclekitError; input problems are data
    "CyclekitError",
    "ConfigError",
    "CycleError",
    "InputError",
    "MissingToolError",
    "Problem",
    "ProblemKind",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cyclekit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
