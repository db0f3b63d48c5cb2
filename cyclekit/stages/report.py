"""`cyclekit report`: trends across finalized cycles, from their counted lines (counted_lines.parquet).

Discrepancy rate and record accuracy by cycle (against the 5 % target), by location, zone, part,
counter (on first counts) and root cause; value-weighted accuracy; the locations and parts most
often off. Every group's figures come from `accuracy_by`, the computation the adaptive cadence
acts on, so the report explains why a cadence changed. pandas is imported here only: `import
cyclekit` and every other command go without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from cyclekit.backends.xlsx import render_xlsx
from cyclekit.config import Config
from cyclekit.domain.review import DISCREPANCY_RATE_TARGET
from cyclekit.domain.variance import NOT_SIGNED
from cyclekit.errors import CycleError, MissingToolError
from cyclekit.folder.counted_lines import COUNTED_LINES, FIGURE_COLUMNS, accuracy_by, read_counted_lines
from cyclekit.folder.cycle import load_manifest
from cyclekit.layouts.report import (
    BY_CAUSE,
    BY_COUNTER,
    BY_CYCLE,
    BY_LOCATION,
    BY_PART,
    BY_ZONE,
    MOST_OFF,
    Headline,
    ReportTable,
    report_workbook,
)

if TYPE_CHECKING:
    import pandas as pd

NOT_DOCUMENTED = "(not documented)"
NO_ZONE = "(no zone)"


@dataclass
class TrendReport:
    output: Path
    cycles: list[str]  # cycle ids, by count date
    lines: int  # lines counted in them
    headline: Headline
    tables: dict[str, ReportTable]  # tab name -> the table written there


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise MissingToolError("cyclekit report needs pandas: pip install 'cyclekit[report]'") from None
    return pandas


def counted_lines_files(cycle_dirs: Sequence[Path]) -> list[Path]:
    """Each cycle's counted lines; a cycle not finalized (or finalized before cyclekit kept them) is refused."""
    files = []
    for cycle_dir in cycle_dirs:
        manifest = load_manifest(cycle_dir)
        if not manifest.finalized:
            raise CycleError(f"cycle {manifest.cycle_id} ({cycle_dir}) is not finalized yet: the report reads "
                             "finalized cycles only; nothing was written")
        path = cycle_dir / COUNTED_LINES
        if not path.is_file():
            raise CycleError(f"cycle {manifest.cycle_id} ({cycle_dir}) has no {COUNTED_LINES} (finalized by an "
                             "earlier cyclekit, or the file was removed: `cyclekit verify` tells which); "
                             "nothing was written")
        files.append(path)
    return files


def figures_frame(table: pa.Table, keys: Sequence[str]) -> pd.DataFrame:
    """accuracy_by as a frame, with the rates: discrepancy rate, record accuracy, value-weighted accuracy."""
    frame = accuracy_by(table, keys).to_pandas()
    frame["absolute_value"] = frame["absolute_value"].round(2)  # sums of cents, as money is shown
    frame["discrepancy_rate"] = frame["discrepancies"] / frame["lines"]
    frame["accuracy"] = frame["within_tolerance"] / frame["lines"]
    valued = frame["system_value"] > 0
    frame["value_accuracy"] = (1 - frame["absolute_value"] / frame["system_value"].where(valued)).clip(lower=0)
    return frame


def _times_off(table: pa.Table, keys: list[str]) -> pd.DataFrame:
    """Per group: in how many cycles it was counted, and in how many of them it had a discrepancy."""
    per_cycle = accuracy_by(table, ["cycle_id", *keys]).to_pandas()
    per_cycle["off"] = per_cycle["discrepancies"] > 0
    return per_cycle.groupby(keys, as_index=False, observed=True).agg(
        counts=("cycle_id", "size"), times_off=("off", "sum"))


def _ranked(table: pa.Table, keys: list[str]) -> pd.DataFrame:
    frame = figures_frame(table, keys).merge(_times_off(table, keys), on=keys)
    return frame.sort_values(["times_off", "discrepancies", *keys], ascending=[False, False, *[True] * len(keys)],
                             kind="stable")


def _first_counts(table: pa.Table) -> pa.Table:
    """The counters' first counts, judged as the final counts are (a found item has none)."""
    first = table.filter(pc.is_valid(table["first_discrepancy"]))
    counter = pc.if_else(pc.equal(first["counted_by"].cast(pa.string()), ""), NOT_SIGNED,
                         first["counted_by"].cast(pa.string()))
    return pa.table({"counted_by": counter, "discrepancy": first["first_discrepancy"],
                     "within_tolerance": first["first_within_tolerance"], "severity": first["severity"],
                     "variance_value": first["variance_value"], "system_value": first["system_value"]})


def _causes(table: pa.Table) -> pd.DataFrame:
    off = table.filter(table["discrepancy"])
    cause = pc.if_else(pc.equal(off["root_cause"].cast(pa.string()), ""), NOT_DOCUMENTED,
                       off["root_cause"].cast(pa.string()))
    frame = figures_frame(off.set_column(off.schema.get_field_index("root_cause"), "root_cause", cause),
                          ["root_cause"])
    frame["share"] = frame["discrepancies"] / max(int(frame["discrepancies"].sum()), 1)
    return frame.sort_values(["discrepancies", "root_cause"], ascending=[False, True], kind="stable")


def _headline(by_cycle: pd.DataFrame) -> Headline:
    lines, discrepancies = int(by_cycle["lines"].sum()), int(by_cycle["discrepancies"].sum())
    system = float(by_cycle["system_value"].sum())
    absolute = float(by_cycle["absolute_value"].sum())
    return Headline(cycles=len(by_cycle), lines=lines, discrepancies=discrepancies,
                    discrepancy_rate=discrepancies / lines if lines else None,
                    accuracy=int(by_cycle["within_tolerance"].sum()) / lines if lines else None,
                    value_accuracy=max(0.0, 1 - absolute / system) if system > 0 else None,
                    absolute_value=absolute, majors=int(by_cycle["majors"].sum()),
                    target=float(DISCREPANCY_RATE_TARGET))


def trend_tables(table: pa.Table, top: int) -> tuple[Headline, dict[str, ReportTable]]:
    """Every table of the report, computed from the cycles' counted lines."""
    zone = pc.if_else(pc.equal(table["zone"].cast(pa.string()), ""), NO_ZONE, table["zone"].cast(pa.string()))
    table = table.set_column(table.schema.get_field_index("zone"), "zone", zone)
    by_cycle = figures_frame(table, ["cycle_id", "count_date"]).sort_values(["count_date", "cycle_id"], kind="stable")
    by_cycle["target"] = float(DISCREPANCY_RATE_TARGET)
    by_location = _ranked(table, ["location", "zone"])
    by_part = _ranked(table, ["part_number"])
    by_zone = figures_frame(table, ["zone"]).sort_values(["accuracy", "zone"], kind="stable")
    by_counter = figures_frame(_first_counts(table), ["counted_by"]).sort_values(["accuracy", "counted_by"],
                                                                                 kind="stable")
    tables = {
        BY_CYCLE: ReportTable.of(BY_CYCLE, by_cycle),
        BY_LOCATION: ReportTable.of(BY_LOCATION, by_location),
        BY_ZONE: ReportTable.of(BY_ZONE, by_zone),
        BY_PART: ReportTable.of(BY_PART, by_part),
        BY_COUNTER: ReportTable.of(BY_COUNTER, by_counter),
        BY_CAUSE: ReportTable.of(BY_CAUSE, _causes(table)),
        MOST_OFF: ReportTable.most_off(by_location[by_location["times_off"] > 0].head(top),
                                       by_part[by_part["times_off"] > 0].head(top)),
    }
    return _headline(by_cycle), tables


def write_report(cycle_dirs: Sequence[Path | str], output: Path | str, config: Config, top: int = 20) -> TrendReport:
    """The report workbook of the cycles given (each finalized), written atomically to `output`."""
    _pandas()
    dirs = [Path(d) for d in dict.fromkeys(str(d) for d in cycle_dirs)]
    if not dirs:
        raise CycleError("name at least one finalized cycle folder")
    table = read_counted_lines(counted_lines_files(dirs), FIGURE_COLUMNS)
    headline, tables = trend_tables(table, top)
    output = Path(output)
    render_xlsx(report_workbook(headline, tables, config), output)
    cycles = [str(c) for c in tables[BY_CYCLE].column("Cycle")]
    return TrendReport(output, cycles, len(table), headline, tables)
