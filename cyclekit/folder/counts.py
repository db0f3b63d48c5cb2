"""The counts as the last ingest read them, kept with the cycle.

`finalize` and `status` need the same line-by-line state that `ingest` built from the filled
sheets. Reading a thousand sheets again takes seconds; when the manifest shows that neither the
sheets nor the counting rules changed since that ingest, the saved state is the same answer.

    CYCLE_DIR/counts.json   {"key": ..., "returned": [...], "lines": [[...], ...], "problems": [{...}]}

`key` is a digest of the sources' digests and the counting rules (the [count] and [inventory]
sections of the config), so a changed sheet or a changed tolerance makes the file unusable and
the sheets are read again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields
from decimal import Decimal
from operator import attrgetter
from pathlib import Path

from cyclekit.atomic import write_text_atomic
from cyclekit.config import Config
from cyclekit.domain.variance import CountedLine
from cyclekit.errors import Problem
from cyclekit.folder.cycle import CountsRecord
from cyclekit.inputs.tables import file_sha256

COUNTS = "counts.json"
_LINE_FIELDS = [f.name for f in fields(CountedLine)]
_DECIMALS = {"system_qty", "unit_cost", "counted_qty", "first_count", "moved_qty", "moved_after", "first_moved"}
_PROBLEM_FIELDS = [f.name for f in fields(Problem)]


def counts_key(source_digests: list[str], config: Config) -> str:
    rules = repr((config.count, config.inventory, config.movements)).encode()
    return hashlib.sha256(rules + "\n".join(source_digests).encode()).hexdigest()


def counts_json(key: str, lines: list[CountedLine], problems: list[Problem], returned: set[str]) -> str:
    """What counts.json holds, as text."""
    decimal_at = [i for i, name in enumerate(_LINE_FIELDS) if name in _DECIMALS]
    values = attrgetter(*_LINE_FIELDS)
    rows = []
    for line in lines:
        row = list(values(line))
        for i in decimal_at:
            if row[i] is not None:
                row[i] = str(row[i])
        rows.append(row)
    data = {"key": key, "fields": _LINE_FIELDS, "returned": sorted(returned), "lines": rows,
            "problems": [{name: getattr(p, name) for name in _PROBLEM_FIELDS} for p in problems]}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def save_counts(cycle_dir: Path, key: str, lines: list[CountedLine], problems: list[Problem],
                returned: set[str], text: str | None = None) -> CountsRecord:
    """Write counts.json (text: counts_json's, if made already); the returned record goes into
    the manifest's ingest entry."""
    path = Path(cycle_dir) / COUNTS
    write_text_atomic(path, text if text is not None else counts_json(key, lines, problems, returned))
    return CountsRecord(COUNTS, file_sha256(path), key)


def load_counts(cycle_dir: Path, record: CountsRecord | None, key: str
                ) -> tuple[list[CountedLine], list[Problem], set[str]] | None:
    """The saved state, or None when it is missing, changed, or was made from other inputs."""
    path = Path(cycle_dir) / COUNTS
    if record is None or record.key != key or not path.is_file() or file_sha256(path) != record.sha256:
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("key") != key or data.get("fields") != _LINE_FIELDS:
        return None
    decimal_at = [i for i, name in enumerate(_LINE_FIELDS) if name in _DECIMALS]
    lines = []
    for row in data["lines"]:
        for i in decimal_at:
            if row[i] is not None:
                row[i] = Decimal(row[i])
        lines.append(CountedLine(*row))
    problems = [Problem(**p) for p in data["problems"]]
    return lines, problems, set(data["returned"])
