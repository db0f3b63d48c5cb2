"""cyclekit.toml: column mapping, statuses, ABC thresholds, cadences, tolerances, severity.

Every value has a default, so a plant with canonical column names needs no config file.
Unknown sections or keys are errors (a typo must not silently fall back to a default).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from cyclekit.errors import ConfigError

CONFIG_NAME = "cyclekit.toml"
CANONICAL_FIELDS = (
    "location", "part_number", "revision", "description", "uom",
    "lot", "serial", "status", "quantity", "unit_cost",
)
REQUIRED_FIELDS = ("location", "part_number", "quantity")
CASE_KEPT = ("count.default_targets", "count.reviewers")


@dataclass(frozen=True)
class InventoryConfig:
    columns: dict[str, str] = field(default_factory=dict)  # canonical field -> header in the file
    skip_statuses: tuple[str, ...] = ("installed", "on_order")
    known_statuses: tuple[str, ...] = ("available", "installed", "on_order", "unavailable")
    strict_statuses: bool = False
    whole_number_uoms: tuple[str, ...] = ("ea", "each", "pc", "pcs")
    sheet: str | None = None  # tab to read in an XLSX export (first tab when not set)

    def header_for(self, canonical: str) -> str:
        return self.columns.get(canonical, canonical)


@dataclass(frozen=True)
class ScheduleConfig:
    model: str = "abc"  # "abc" (cadence by class) or "foreman" (counts per timeframe, cycles)
    a_share: Decimal = Decimal(80)  # percent of total value held by the rows ranked above
    b_share: Decimal = Decimal(95)
    counts_per_year: dict[str, int] = field(default_factory=lambda: {"A": 12, "B": 4, "C": 1})
    due_soon_days: int = 7
    calendar_weeks: int = 52
    timeframe: str = "calendar"  # foreman model: "calendar" or "rolling" year
    counts_per_timeframe: int = 1
    cycles_per_count: int = 4


@dataclass(frozen=True)
class CountConfig:
    minor_max_qty: Decimal = Decimal(5)
    minor_max_value: Decimal = Decimal(500)
    tolerance_percent: dict[str, Decimal] = field(
        default_factory=lambda: {"A": Decimal(0), "B": Decimal(2), "C": Decimal(5)}
    )
    found_item_rows: int = 5
    paper: int = 1  # count sheets: 1 Letter, 9 A4
    max_snapshot_age_days: int = 3  # absolute-quantity imports warn past this age
    default_targets: tuple[str, ...] = ("generic",)
    reviewers: tuple[str, ...] = ()  # e-mails the results are shared with in Google Sheets
    currency_format: str = '"$"#,##0.00'


@dataclass(frozen=True)
class Config:
    inventory: InventoryConfig = field(default_factory=InventoryConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    count: CountConfig = field(default_factory=CountConfig)
    adjustments: dict[str, dict[str, Any]] = field(default_factory=dict)  # per-target template settings
    source: str | None = None


def _convert(name: str, value: Any, default: Any) -> Any:
    """Check a TOML value against the type of its default and convert it."""
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{name} must be true or false, not {value!r}")
        return value
    if isinstance(default, Decimal):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{name} must be a number, not {value!r}")
        return Decimal(str(value))
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{name} must be a whole number, not {value!r}")
        return value
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{name} must be a list of text values")
        if name in CASE_KEPT:  # target names and e-mails are taken as written
            return tuple(value)
        return tuple(v.strip().lower() for v in value)
    if isinstance(default, dict):
        if not isinstance(value, dict):
            raise ConfigError(f"{name} must be a table")
        sample = next(iter(default.values()), "")
        return {str(k): _convert(f"{name}.{k}", v, sample) for k, v in value.items()}
    if default is None or isinstance(default, str):
        if not isinstance(value, str):
            raise ConfigError(f"{name} must be text, not {value!r}")
        return value
    raise ConfigError(f"{name}: unsupported value {value!r}")


def _section(cls: type, name: str, data: Any, base: Any) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"[{name}] must be a table")
    known = {f.name: f for f in fields(cls)}
    changes = {}
    for key, value in data.items():
        if key not in known:
            raise ConfigError(f"unknown setting {name}.{key} (known: {', '.join(sorted(known))})")
        changes[key] = _convert(f"{name}.{key}", value, getattr(base, key))
    return replace(base, **changes)


def parse_config(data: dict[str, Any], source: str | None = None) -> Config:
    sections = {"inventory": InventoryConfig, "schedule": ScheduleConfig, "count": CountConfig}
    config = Config(source=source)
    for name, value in data.items():
        if name == "adjustments":
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                raise ConfigError("[adjustments] holds one table per target, e.g. [adjustments.netsuite]")
            config = replace(config, adjustments={k: dict(v) for k, v in value.items()})
            continue
        if name not in sections:
            raise ConfigError(f"unknown section [{name}] (known: {', '.join(sections)}, adjustments)")
        config = replace(config, **{name: _section(sections[name], name, value, getattr(config, name))})
    unknown = set(config.inventory.columns) - set(CANONICAL_FIELDS)
    if unknown:
        raise ConfigError(
            f"[inventory.columns] maps unknown field(s) {', '.join(sorted(unknown))}; "
            f"fields are {', '.join(CANONICAL_FIELDS)}"
        )
    s = config.schedule
    if s.model not in ("abc", "foreman"):
        raise ConfigError(f'schedule.model must be "abc" or "foreman", not {s.model!r}')
    if s.timeframe not in ("calendar", "rolling"):
        raise ConfigError(f'schedule.timeframe must be "calendar" or "rolling", not {s.timeframe!r}')
    if not (0 < s.a_share <= s.b_share <= 100):
        raise ConfigError("schedule thresholds must satisfy 0 < a_share <= b_share <= 100")
    if set(s.counts_per_year) != {"A", "B", "C"} or min(s.counts_per_year.values()) < 1:
        raise ConfigError("schedule.counts_per_year needs A, B and C, each at least 1")
    if s.counts_per_timeframe < 1 or s.cycles_per_count < 1:
        raise ConfigError("schedule.counts_per_timeframe and cycles_per_count must be at least 1")
    return config


def load_config(path: Path | str | None = None, search_dir: Path | str = ".") -> Config:
    """Read the config file given, or cyclekit.toml in `search_dir`, or use the defaults."""
    if path is None:
        candidate = Path(search_dir) / CONFIG_NAME
        if not candidate.is_file():
            return Config()
        path = candidate
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    try:
        return parse_config(data, source=str(path))
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
