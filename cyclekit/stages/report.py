"""`cyclekit report`: trends across finalized cycles, from their counted lines (counted_lines.parquet).

Discrepancy rate and record accuracy by cycle (against the 5 % target), by location, zone, part,
counter (on first counts) and root cause; value-weighted accuracy; the locations and parts most
often off. Every group's figures come from `accuracy_by`, the computation the adaptive cadence
acts on, so the report explains why a cadence changed. pandas is imported here only: `import
cyclekit` and every other command go without it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from cyclekit.backends.xlsx import render_xlsx
from cyclekit.config import Config
from cyclekit.domain.review import DISCREPANCY_RATE_TARGET
from cyclekit.domain.variance import NOT_SIGNED
from cyclekit.errors import CycleError, MissingToolError
from cyclekit.folder.counted_lines import (
    COUNTED_LINES,
    FIGURE_COLUMNS,
    FIGURES,
    accuracy_by,
    prepared,
    read_counted_lines,
)
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


def counted_lines_files(cycle_dirs: Sequence[Path]) -> dict[Path, tuple[str, dt.date]]:
    """Each cycle's counted lines, with its id and count date; a cycle not finalized (or finalized
    before cyclekit kept them) is refused."""
    files = {}
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
        files[path] = (manifest.cycle_id, dt.date.fromisoformat(manifest.count_date))
    return files


def with_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """The rates of summed figures: discrepancy rate, record accuracy, value-weighted accuracy."""
    frame["discrepancy_rate"] = frame["discrepancies"] / frame["lines"]
    frame["accuracy"] = frame["within_tolerance"] / frame["lines"]
    valued = frame["system_value"] > 0
    frame["value_accuracy"] = (1 - frame["absolute_value"] / frame["system_value"].where(valued)).clip(lower=0)
    return frame


def figures_frame(table: pa.Table, keys: Sequence[str], *, cycles: bool = False, first: bool = False
                  ) -> pd.DataFrame:
    """accuracy_by as a frame (money as float: the sums are exact cents before), with the rates."""
    grouped = accuracy_by(table, keys, cycles=cycles, first=first)
    for name in ("absolute_value", "system_value"):
        grouped = grouped.set_column(grouped.schema.get_field_index(name), name, grouped[name].cast(pa.float64()))
    return with_rates(grouped.to_pandas())


def _named(frame: pd.DataFrame, column: str, blank: str) -> pd.DataFrame:
    """A blank name (no zone, no counter, no cause) as words a reader understands."""
    frame[column] = frame[column].astype(str).where(frame[column].astype(str) != "", blank)
    return frame


def _ranked(table: pa.Table, off: pa.Table, keys: list[str]) -> pd.DataFrame:
    """Per group: its figures, in how many cycles it was counted (counts) and in how many of them it
    had a discrepancy (times off, from the lines off only), most often off first."""
    frame = figures_frame(table, keys, cycles=True)
    times_off = accuracy_by(off, keys, cycles=True).select([*keys, "counts"]).rename_columns([*keys, "times_off"])
    frame = frame.merge(times_off.to_pandas(), on=keys, how="left")
    frame["times_off"] = frame["times_off"].fillna(0).astype(int)
    return frame.sort_values(["times_off", "discrepancies", *keys], ascending=[False, False, *[True] * len(keys)],
                             kind="stable")


def _causes(off: pa.Table) -> pd.DataFrame:
    frame = _named(figures_frame(off, ["root_cause"]), "root_cause", NOT_DOCUMENTED)
    frame = with_rates(frame.groupby("root_cause", as_index=False).agg(**{name: (name, "sum") for name in FIGURES}))
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
                    absolute_value=round(absolute, 2), majors=int(by_cycle["majors"].sum()),
                    target=float(DISCREPANCY_RATE_TARGET))


def trend_tables(table: pa.Table, dates: dict[str, dt.date], top: int) -> tuple[Headline, dict[str, ReportTable]]:
    """Every table of the report, computed from the cycles' counted lines (each a grouping of them);
    dates: each cycle's count date."""
    table = prepared(table)
    off = table.filter(table["discrepancy"])
    by_cycle = figures_frame(table, ["cycle_id"])
    by_cycle.insert(1, "count_date", by_cycle["cycle_id"].map(dates))
    by_cycle = by_cycle.sort_values(["count_date", "cycle_id"], kind="stable")
    by_cycle["target"] = float(DISCREPANCY_RATE_TARGET)
    by_location = _named(_ranked(table, off, ["location", "zone"]), "zone", NO_ZONE)
    by_zone = _named(figures_frame(table, ["zone"]), "zone", NO_ZONE).sort_values(["accuracy", "zone"], kind="stable")
    by_part = _ranked(table, off, ["part_number"])
    by_counter = _named(figures_frame(table, ["counted_by"], first=True), "counted_by", NOT_SIGNED)
    by_counter = by_counter[by_counter["lines"] > 0]  # found items only: no first count
    by_counter = with_rates(by_counter.groupby("counted_by", as_index=False).agg(
        **{name: (name, "sum") for name in FIGURES})).sort_values(["accuracy", "counted_by"], kind="stable")
    tables = {
        BY_CYCLE: ReportTable.of(BY_CYCLE, by_cycle),
        BY_LOCATION: ReportTable.of(BY_LOCATION, by_location),
        BY_ZONE: ReportTable.of(BY_ZONE, by_zone),
        BY_PART: ReportTable.of(BY_PART, by_part),
        BY_COUNTER: ReportTable.of(BY_COUNTER, by_counter),
        BY_CAUSE: ReportTable.of(BY_CAUSE, _causes(off)),
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
    files = counted_lines_files(dirs)
    table = read_counted_lines(list(files), FIGURE_COLUMNS)
    headline, tables = trend_tables(table, dict(files.values()), top)
    output = Path(output)
    render_xlsx(report_workbook(headline, tables, config), output)
    cycles = [str(c) for c in tables[BY_CYCLE].column("Cycle")]
    return TrendReport(output, cycles, len(table), headline, tables)
