"""cyclekit.toml: column mapping, statuses, ABC thresholds, cadences, tolerances, severity.

Every value has a default, so a plant with canonical column names needs no config file.
Unknown sections or keys are errors (a typo must not silently fall back to a default).
"""

from __future__ import annotations

import codecs
import math
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from cyclekit.domain.review import ABC_CLASSES, person_key
from cyclekit.errors import ConfigError

CONFIG_NAME = "cyclekit.toml"
CANONICAL_FIELDS = (
    "location", "part_number", "revision", "description", "uom",
    "lot", "serial", "status", "quantity", "unit_cost",
)
REQUIRED_FIELDS = ("location", "part_number", "quantity")
CASE_KEPT = ("count.default_targets", "count.reviewers", "email.cc")
PAPER_SIZES = {1: "Letter", 9: "A4"}  # the Excel paper codes count sheets are printed on
TEMPLATE_SUFFIX = ".j2"  # a target ending so is the user's own template
# The [adjustments.<target>] settings each shipped template reads (templates/adjustments/README.md).
# Kept here rather than read from the templates so that loading the config needs no Jinja2;
# tests/test_config.py checks it against the templates.
TARGET_SETTINGS: dict[str, tuple[str, ...]] = {
    "business-central": ("date_format", "document_no", "journal_batch", "journal_template",
                         "location_code", "yes_value"),
    "erpnext": ("company", "cost_center", "expense_account", "posting_date", "posting_time",
                "purpose", "warehouse", "warehouse_suffix"),
    "fishbowl": ("date_format", "location_group", "location_separator", "lot_tracking", "serial_tracking"),
    "generic": (),
    "netsuite": ("account", "adjustment_location", "class", "date_format", "department", "external_id",
                 "location", "memo", "subsidiary"),
    "odoo": ("location_prefix",),
}
# Settings of every target, the user's own templates too: finalize reads them, not the template.
# escape_formulas: a text starting like a formula (=, +, -, @) gets a leading ' in that target's file;
# post_without_cost: a line with no known cost goes, with a blank cost, into a file that carries costs
COMMON_TARGET_SETTINGS = ("escape_formulas", "post_without_cost")


@dataclass(frozen=True)
class InventoryConfig:
    columns: dict[str, str] = field(default_factory=dict)  # canonical field -> header in the file
    skip_statuses: tuple[str, ...] = ("installed", "on_order")
    known_statuses: tuple[str, ...] = ("available", "installed", "on_order", "unavailable")
    strict_statuses: bool = False
    whole_number_uoms: tuple[str, ...] = ("ea", "each", "pc", "pcs")
    sheet: str | None = None  # tab to read in an XLSX export (first tab when not set)
    # the decimal mark of numbers written as text: "." or ","; "" decides it from the file, and a
    # file whose numbers all read both ways ('1.800') is a problem that asks for this setting
    decimal_separator: str = ""

    def header_for(self, canonical: str) -> str:
        return self.columns.get(canonical, canonical)


MOVEMENT_FIELDS = ("location", "part_number", "revision", "lot", "serial", "uom", "quantity", "time")
REQUIRED_MOVEMENT_FIELDS = ("location", "part_number", "quantity", "time")


@dataclass(frozen=True)
class MovementsConfig:
    """[movements]: the ERP's export of stock movements (--movements), mapped like the inventory:
    quantity is the signed change (+ in, - out), time when it was posted."""

    columns: dict[str, str] = field(default_factory=dict)  # field -> header in the file
    sheet: str | None = None  # tab to read in an XLSX export (first tab when not set)
    decimal_separator: str = ""  # "." or ","; "" decides it from the file, as for the inventory

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
    level_tolerance_days: int = 7  # finalize moves next counts up to this many days to level the weeks; 0: off


@dataclass(frozen=True)
class CadenceConfig:
    """[cadence]: the schedule learns from each finalized cycle. A row (location or part) with a Major
    discrepancy, or whose record accuracy over its last `window` counts is below `accuracy_target`,
    is counted more often: its cadence times `major_factor`, never below `floor_days`; after
    `clean_runs_to_restore` clean counts in a row it returns to its class's cadence. A cadence a
    person typed (or the locations file gave) is never changed."""

    adaptive: bool = False
    major_factor: Decimal = Decimal("0.5")
    floor_days: int = 7
    accuracy_target: Decimal = Decimal("0.95")  # a fraction: 0.95 is 95 %
    window: int = 3
    clean_runs_to_restore: int = 2


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
    date_order: str = ""  # dates typed as 03/04/2026 in the results: "MDY" or "DMY"; "" asks (a problem)


@dataclass(frozen=True)
class LimitsConfig:
    """How big a workbook cyclekit opens may be: checked before it is parsed (zip bombs, a value
    at XFD1048576). Rows and cells: ten times the benchmark's plant (200,000 inventory lines of
    10 columns); a tab's values are held as the rectangle from A1 to its last value."""

    workbook_mb: int = 200  # everything in the workbook, inflated
    compression_ratio: int = 100  # a part of 1 MB or more that inflates more times than this
    rows: int = 2_000_000  # more than Excel's 1,048,576: any tab Excel saves, by its rows
    columns: int = 1_000
    cells: int = 20_000_000  # rows x columns of a tab, from A1 to its last value
    # the movements export (CSV or workbook), on disk, checked before it is read: every movement
    # costs about 1.5 kB through ingest, and a few days of a plant's movements take a few MB
    movements_mb: int = 25


@dataclass(frozen=True)
class EmailConfig:
    """[email]: how `send` and `remind --send` reach the mail server. The password is never in
    the file: password_env names the environment variable that holds it."""

    host: str = ""
    port: int = 0  # 0: the usual port of the security (587 starttls, 465 ssl, 25 none)
    security: str = "starttls"  # "starttls", "ssl" or "none"
    user: str = ""
    password_env: str = ""
    sender: str = ""  # written `from` in the file (a Python keyword)
    reply_to: str = ""
    cc: tuple[str, ...] = ()
    timeout: int = 60  # seconds to wait for the server


LIMIT_KEYS = ("max_qty", "max_value", "max_gain_qty", "max_loss_qty", "max_gain_value", "max_loss_value")


@dataclass(frozen=True)
class ApproverRole:
    """[approvals.roles.<name>]: who holds the role, and the largest discrepancy they may approve.
    A limit left out is no limit; max_qty / max_value hold for gains and losses both unless
    max_gain_* / max_loss_* say otherwise for that direction."""

    name: str
    people: tuple[str, ...]  # names or e-mail addresses, as typed in Approved By
    max_qty: Decimal | None = None
    max_value: Decimal | None = None
    max_gain_qty: Decimal | None = None
    max_loss_qty: Decimal | None = None
    max_gain_value: Decimal | None = None
    max_loss_value: Decimal | None = None

    def limit(self, kind: str, gain: bool) -> Decimal | None:
        """kind: "qty" or "value"; the limit of a gain (counted more than the system) or a loss."""
        directed: Decimal | None = getattr(self, f"max_{'gain' if gain else 'loss'}_{kind}")
        return directed if directed is not None else getattr(self, f"max_{kind}")


@dataclass(frozen=True)
class ApprovalsConfig:
    """[approvals]: who may approve what (enforced at finalize), and the lead role whose people
    sign the cycle off (finalize --signed-off-by)."""

    lead: str
    roles: tuple[ApproverRole, ...]

    def people(self) -> tuple[str, ...]:
        """Every person named in a role, once, in the order the file names them."""
        seen: dict[str, str] = {}
        for role in self.roles:
            for person in role.people:
                seen.setdefault(person_key(person), person)
        return tuple(seen.values())

    def lead_people(self) -> tuple[str, ...]:
        return next(role.people for role in self.roles if role.name == self.lead)


@dataclass(frozen=True)
class FinalizeConfig:
    """[finalize]: discrepancy_location names the location (ION's last resort) an unexplained
    shortage is moved into instead of written off; "" writes it off."""

    discrepancy_location: str = ""


@dataclass(frozen=True)
class Config:
    inventory: InventoryConfig = field(default_factory=InventoryConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    count: CountConfig = field(default_factory=CountConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    cadence: CadenceConfig = field(default_factory=CadenceConfig)
    email: EmailConfig = field(default_factory=EmailConfig)
    movements: MovementsConfig = field(default_factory=MovementsConfig)
    adjustments: dict[str, dict[str, Any]] = field(default_factory=dict)  # per-target template settings
    source: str | None = None
    approvals: ApprovalsConfig | None = None  # None: no [approvals], authority is not enforced
    finalize: FinalizeConfig = field(default_factory=FinalizeConfig)


def _convert(name: str, value: Any, default: Any) -> Any:
    """Check a TOML value against the type of its default and convert it."""
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{name} must be true or false, not {value!r}")
        return value
    if isinstance(default, Decimal):
        # TOML has nan and inf: neither is a threshold (a NaN cannot even be compared)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
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


def _check_movements(m: MovementsConfig) -> None:
    unknown = set(m.columns) - set(MOVEMENT_FIELDS)
    if unknown:
        raise ConfigError(f"[movements.columns] maps unknown field(s) {', '.join(sorted(unknown))}; "
                          f"fields are {', '.join(MOVEMENT_FIELDS)}")
    headers: dict[str, str] = {}
    for name in MOVEMENT_FIELDS:  # one column read as two fields: every quantity would be read as a time
        other = headers.setdefault(m.header_for(name).strip().casefold(), name)
        if other != name:
            raise ConfigError(f"[movements.columns] maps {other} and {name} to the same column "
                              f"{m.header_for(name)!r}; each field has a column of its own")
    if m.decimal_separator not in ("", ".", ","):
        raise ConfigError('movements.decimal_separator must be "." or "," (or left out to decide it from '
                          f"the file), not {m.decimal_separator!r}")


def _check_schedule(s: ScheduleConfig) -> None:
    if s.model not in ("abc", "foreman"):
        raise ConfigError(f'schedule.model must be "abc" or "foreman", not {s.model!r}')
    if s.timeframe not in ("calendar", "rolling"):
        raise ConfigError(f'schedule.timeframe must be "calendar" or "rolling", not {s.timeframe!r}')
    if not (0 < s.a_share <= s.b_share <= 100):
        raise ConfigError("schedule thresholds must satisfy 0 < a_share <= b_share <= 100")
    if set(s.counts_per_year) != set(ABC_CLASSES) or min(s.counts_per_year.values()) < 1:
        raise ConfigError("schedule.counts_per_year needs A, B and C, each at least 1")
    if s.counts_per_timeframe < 1 or s.cycles_per_count < 1:
        raise ConfigError("schedule.counts_per_timeframe and cycles_per_count must be at least 1")
    if not 0 <= s.level_tolerance_days <= 60:
        raise ConfigError("schedule.level_tolerance_days must be from 0 (off) to 60 days")


def _check_cadence(c: CadenceConfig) -> None:
    if not 0 < c.major_factor < 1:
        raise ConfigError("cadence.major_factor must be between 0 and 1 (0.5 halves the cadence), "
                          f"not {c.major_factor}")
    if not 0 < c.accuracy_target <= 1:
        raise ConfigError("cadence.accuracy_target is a fraction from 0 to 1 (0.95 for 95 %), "
                          f"not {c.accuracy_target}")
    for key in ("floor_days", "window", "clean_runs_to_restore"):
        if getattr(c, key) < 1:
            raise ConfigError(f"cadence.{key} must be 1 or more, not {getattr(c, key)}")


def _check_inventory(i: InventoryConfig) -> None:
    if i.decimal_separator not in ("", ".", ","):
        raise ConfigError('inventory.decimal_separator must be "." or "," (or left out to decide it from '
                          f"the file), not {i.decimal_separator!r}")


def _check_count(c: CountConfig) -> None:
    if c.paper not in PAPER_SIZES:
        sizes = " or ".join(f"{code} ({name})" for code, name in PAPER_SIZES.items())
        raise ConfigError(f"count.paper must be {sizes}, not {c.paper}")
    # never meant negative: a negative Minor limit makes every discrepancy Major, negative found
    # rows print none, a negative age warns on every import
    for key in ("minor_max_qty", "minor_max_value", "found_item_rows", "max_snapshot_age_days"):
        if getattr(c, key) < 0:
            raise ConfigError(f"count.{key} must be 0 or more, not {getattr(c, key)}")
    # a class left out would get 0 % (every difference recounted) instead of its default
    tolerance = c.tolerance_percent
    if set(tolerance) != set(ABC_CLASSES) or not all(0 <= v <= 100 for v in tolerance.values()):
        shown = ", ".join(f"{k} = {v}" for k, v in tolerance.items())
        raise ConfigError("count.tolerance_percent needs A, B and C, each a percentage from 0 to 100 "
                          f"(e.g. {{ A = 0, B = 2, C = 5 }}), not {{ {shown} }}")
    for name in c.default_targets:
        if name not in TARGET_SETTINGS and not name.endswith(TEMPLATE_SUFFIX):
            raise ConfigError(
                f"count.default_targets names unknown target {name!r}; targets are "
                f"{', '.join(TARGET_SETTINGS)}, or your own template as a path ending in {TEMPLATE_SUFFIX}")
    for email in c.reviewers:
        if not re.fullmatch(r"[^@\s]+@[^@\s]+", email):
            raise ConfigError(f"count.reviewers must be e-mail addresses (name@example.com), not {email!r}")


def _check_adjustments(adjustments: dict[str, dict[str, Any]]) -> None:
    """Check the settings of shipped targets; any other section belongs to the user's own template.

    A user's template (finalize --template mine.csv.j2) reads [adjustments.mine], whatever that
    holds, so a section not named after a shipped target cannot be told from a typo here.
    """
    for target, settings in adjustments.items():
        for key in COMMON_TARGET_SETTINGS:
            if key in settings and not isinstance(settings[key], bool):
                raise ConfigError(f"adjustments.{target}.{key} must be true or false, not {settings[key]!r}")
        known = TARGET_SETTINGS.get(target)
        if known is None:
            continue
        for key, value in settings.items():
            if key in COMMON_TARGET_SETTINGS:
                continue
            if key not in known:
                reads = f"known: {', '.join((*known, *COMMON_TARGET_SETTINGS))}"
                raise ConfigError(f"unknown setting adjustments.{target}.{key} ({reads})")
            # the templates use these as text (a date format, a prefix): a number or a true
            # would stop finalize or write a wrong column
            if not isinstance(value, str):
                raise ConfigError(f"adjustments.{target}.{key} must be text, written in quotes, not {value!r}")


EMAIL_SECURITY = ("starttls", "ssl", "none")
_EMAIL = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+")


def _check_email(e: EmailConfig) -> None:
    if e.security not in EMAIL_SECURITY:
        raise ConfigError(f'email.security must be "starttls", "ssl" or "none", not {e.security!r}')
    if not 0 <= e.port <= 65535:
        raise ConfigError(f"email.port must be a port number (1 to 65535), not {e.port}")
    if e.timeout < 1:
        raise ConfigError(f"email.timeout must be 1 or more seconds, not {e.timeout}")
    for key, values in (("from", (e.sender,)), ("reply_to", (e.reply_to,)), ("cc", e.cc)):
        for value in values:
            if value and not _EMAIL.fullmatch(value):
                raise ConfigError(f"email.{key} must be an e-mail address (name@example.com), not {value!r}")
    if e.password_env and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", e.password_env):
        raise ConfigError("email.password_env names the environment variable that holds the password "
                          "(e.g. CYCLEKIT_SMTP_PASSWORD), never the password itself")


def _email_section(data: Any, base: EmailConfig) -> EmailConfig:
    """[email] with `from` (the file's word) for the sender; a `password` key is refused, not read."""
    if not isinstance(data, dict):
        raise ConfigError("[email] must be a table")
    if "password" in data:
        raise ConfigError("email.password: a password is never kept in the config file; put it in an "
                          "environment variable and name that variable in email.password_env")
    known = sorted("from" if f.name == "sender" else f.name for f in fields(EmailConfig))
    for key in data:
        if key not in known:
            hint = " (write the sender as email.from)" if key == "sender" else ""
            raise ConfigError(f"unknown setting email.{key}{hint} (known: {', '.join(known)})")
    renamed = {("sender" if key == "from" else key): value for key, value in data.items()}
    try:
        section: EmailConfig = _section(EmailConfig, "email", renamed, base)
        return section
    except ConfigError as exc:
        raise ConfigError(str(exc).replace("email.sender", "email.from")) from None


def _check_limits(limits: LimitsConfig) -> None:
    for item in fields(limits):
        if getattr(limits, item.name) < 1:
            raise ConfigError(f"limits.{item.name} must be 1 or more, not {getattr(limits, item.name)}")


def _role(name: str, data: Any) -> ApproverRole:
    where = f"approvals.roles.{name}"
    if not isinstance(data, dict):
        raise ConfigError(f"[{where}] must be a table: people = [...] and its limits")
    for key in data:
        if key not in ("people", *LIMIT_KEYS):
            raise ConfigError(f"unknown setting {where}.{key} (known: people, {', '.join(LIMIT_KEYS)})")
    people = data.get("people")
    if not isinstance(people, list) or not people or not all(isinstance(p, str) and p.strip() for p in people):
        raise ConfigError(f"{where}.people must list the people in the role (names or e-mail addresses)")
    limits = {}
    for key in LIMIT_KEYS:
        if key in data:
            limits[key] = _convert(f"{where}.{key}", data[key], Decimal(0))
            if limits[key] < 0:
                raise ConfigError(f"{where}.{key} must be 0 or more, not {limits[key]}")
    return ApproverRole(name, tuple(" ".join(p.split()) for p in people), **limits)


def _approvals_section(data: Any) -> ApprovalsConfig:
    """[approvals]: lead = "<role>", and [approvals.roles.<role>] tables."""
    if not isinstance(data, dict):
        raise ConfigError("[approvals] must be a table")
    for key in data:
        if key not in ("lead", "roles"):
            raise ConfigError(f"unknown setting approvals.{key} (known: lead, roles)")
    roles_data = data.get("roles")
    if not isinstance(roles_data, dict) or not roles_data:
        raise ConfigError('[approvals] needs its roles, e.g. [approvals.roles."Inventory Coordinator"] with '
                          "people = [...] and limits such as max_qty, max_value")
    roles = tuple(_role(name, value) for name, value in roles_data.items())
    lead = data.get("lead")
    if not isinstance(lead, str) or lead not in roles_data:
        raise ConfigError(f"approvals.lead must name the role whose people sign a cycle off, one of "
                          f"{', '.join(repr(r.name) for r in roles)}; not {lead!r}")
    return ApprovalsConfig(lead, roles)


def _finalize_section(data: Any) -> FinalizeConfig:
    section: FinalizeConfig = _section(FinalizeConfig, "finalize", data, FinalizeConfig())
    if re.search(r"[\x00-\x1f\x7f]", section.discrepancy_location):  # written in every import file and tab
        raise ConfigError("finalize.discrepancy_location holds a control character; write the location's name")
    if section.discrepancy_location != section.discrepancy_location.strip() or (
            data.get("discrepancy_location") == ""):
        raise ConfigError("finalize.discrepancy_location must name a location (no spaces at either end), "
                          "or be left out to write unexplained shortages off")
    return section


def parse_config(data: dict[str, Any], source: str | None = None) -> Config:
    sections = {"inventory": InventoryConfig, "schedule": ScheduleConfig, "count": CountConfig,
                "limits": LimitsConfig, "cadence": CadenceConfig, "movements": MovementsConfig}
    config = Config(source=source)
    for name, value in data.items():
        if name == "email":
            config = replace(config, email=_email_section(value, config.email))
            continue
        if name == "approvals":
            config = replace(config, approvals=_approvals_section(value))
            continue
        if name == "finalize":
            config = replace(config, finalize=_finalize_section(value))
            continue
        if name == "adjustments":
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                raise ConfigError("[adjustments] holds one table per target, e.g. [adjustments.netsuite]")
            config = replace(config, adjustments={k: dict(v) for k, v in value.items()})
            continue
        if name not in sections:
            raise ConfigError(f"unknown section [{name}] (known: {', '.join(sections)}, email, adjustments, "
                              "approvals, finalize)")
        config = replace(config, **{name: _section(sections[name], name, value, getattr(config, name))})
    unknown = set(config.inventory.columns) - set(CANONICAL_FIELDS)
    if unknown:
        raise ConfigError(
            f"[inventory.columns] maps unknown field(s) {', '.join(sorted(unknown))}; "
            f"fields are {', '.join(CANONICAL_FIELDS)}"
        )
    _check_inventory(config.inventory)
    _check_movements(config.movements)
    _check_schedule(config.schedule)
    _check_count(config.count)
    _check_adjustments(config.adjustments)
    _check_limits(config.limits)
    _check_cadence(config.cadence)
    _check_email(config.email)
    return config


def _read_text(path: Path) -> str:
    """The file's text: UTF-8, with or without the BOM Notepad writes, or UTF-16 with a BOM."""
    raw = path.read_bytes()
    save_again = "save the file again with the encoding UTF-8"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Notepad's "Unicode": unambiguous
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError:
            raise ConfigError(f"{path}: not readable as UTF-16 or UTF-8; {save_again}") from None
    else:
        try:
            text = raw.decode("utf-8-sig")  # the BOM is not part of the TOML
        except UnicodeDecodeError as exc:  # e.g. "é" saved as Windows-1252 (Notepad's "ANSI")
            line = raw[: exc.start].count(b"\n") + 1
            raise ConfigError(f"{path}: line {line} is not UTF-8 text (byte 0x{raw[exc.start]:02X}); "
                              f"{save_again}") from None
    # UTF-16 without a BOM, or UTF-32, decodes to NUL characters, which TOML never holds
    if "\x00" in text:
        raise ConfigError(f"{path}: not UTF-8 text (it looks like UTF-16 or UTF-32); {save_again}")
    return text


def load_config(path: Path | str | None = None, search_dir: Path | str = ".") -> Config:
    """Read the config file given, or cyclekit.toml in `search_dir`, or use the defaults."""
    if path is None:
        candidate = Path(search_dir) / CONFIG_NAME
        if not candidate.is_file():
            return Config()
        path = candidate
    path = Path(path)
    try:
        data = tomllib.loads(_read_text(path))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    try:
        return parse_config(data, source=str(path))
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
