"""One exception base for everything cyclekit refuses, and problems as data.

A `Problem` is one thing wrong with one input (file, sheet, row, column, value,
message). Loaders collect every problem in a file before raising, so a user fixes
them all in one pass instead of one per run.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from cyclekit.domain.problems import ProblemKind, problem_kind

_KINDS = frozenset(kind.value for kind in ProblemKind)


class CyclekitError(Exception):
    """Base of every error cyclekit reports to a user (the CLI prints it in one line)."""


class ConfigError(CyclekitError):
    """cyclekit.toml is missing a value, has a wrong type, or names an unknown option."""


class MissingToolError(CyclekitError):
    """An optional program or extra (LibreOffice, gspread) is needed and not installed."""


class CycleError(CyclekitError):
    """A cycle folder is not in the state the command needs (finalized, missing manifest...)."""


@dataclass(frozen=True)
class Problem:
    # one of the catalogue's (cyclekit.domain.problems.ProblemKind), member or text; kept as
    # plain text, so every writer (workbooks, JSON) sees the str it always saw
    kind: str
    file: str
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    sheet: str | None = None
    cell: str | None = None
    line_id: str | None = None  # the count line the problem stopped, when there is one

    def __post_init__(self) -> None:
        if type(self.kind) is not str or self.kind not in _KINDS:
            object.__setattr__(self, "kind", problem_kind(self.kind).value)

    def where(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"tab {self.sheet!r}")
        if self.cell:
            parts.append(f"cell {self.cell}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)

    def line(self) -> str:
        shown = "" if self.value is None else f" (value {self.value!r})"
        return f"{self.where()}: {self.message}{shown}"


class InputError(CyclekitError):
    """Bad input: carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem], summary: str | None = None):
        self.problems = list(problems)
        count = len(self.problems)
        self.summary = summary or f"{count} problem{'s' if count != 1 else ''} in the input"
        super().__init__(self.summary)

    def __str__(self) -> str:
        return "\n".join([self.summary + ":"] + ["  " + p.line() for p in self.problems])


def problems_as_json(problems: list[Problem]) -> str:
    return json.dumps([asdict(p) for p in problems], indent=2)


def some_of(names: list[str], most: int = 10) -> str:
    """'A, B, C' or, past `most`, 'A, B, ... and 12 more': lists in messages stay one line."""
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")
