"""ERP adjustment import files, rendered from Jinja2 templates with exact values.

Shipped templates live in templates/adjustments/ and load from the installed package
(PackageLoader); a user's own template is given by path. Each template declares whether
it sets an absolute quantity or adjusts by a difference (`mode`) and its file `extension`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2

from cyclekit.config import TEMPLATE_SUFFIX
from cyclekit.errors import ConfigError, CyclekitError
from cyclekit.money import price_text
from cyclekit.values import format_decimal


@dataclass(frozen=True)
class Adjustment:
    """One line for the ERP: every field already text, exactly as it must appear."""

    location: str
    part_number: str
    revision: str
    description: str
    lot: str
    serial: str
    uom: str
    system_qty: str
    counted_qty: str
    adjust_qty: str
    unit_cost: str
    adjust_value: str
    reason: str
    root_cause: str
    resolution: str
    status: str
    severity: str
    approved_by: str
    approval_date: str
    line_id: str


@dataclass(frozen=True)
class RenderedTarget:
    name: str
    mode: str  # "absolute" or "difference"
    extension: str
    text: str


def quantity_text(value: Decimal | None) -> str:
    return "" if value is None else format_decimal(value)


def money_text(value: Decimal | None) -> str:
    if value is None:
        return ""
    return price_text(value)  # one money rule (cyclekit.money): amounts come here already in cents


def csv_row(values: list[object]) -> str:
    """One RFC 4180 line (no terminator): quotes only where commas, quotes or breaks need them."""
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="").writerow(
        ["" if v is None else str(v) for v in values])
    return buffer.getvalue()


def _environment(loader: jinja2.BaseLoader) -> jinja2.Environment:
    env = jinja2.Environment(loader=loader, autoescape=False, keep_trailing_newline=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.globals["csv_row"] = csv_row
    return env


def _shipped() -> jinja2.Environment:
    return _environment(jinja2.PackageLoader("cyclekit.templates", "adjustments"))


def shipped_targets() -> list[str]:
    return sorted(name[: -len(".csv.j2")] if name.endswith(".csv.j2") else name[: -len(TEMPLATE_SUFFIX)]
                  for name in _shipped().list_templates() if name.endswith(TEMPLATE_SUFFIX))


def _failed_at(tb: TracebackType | None) -> tuple[str, int] | None:
    """The innermost template file and line in a traceback (an included template's own, if it failed)."""
    found = None
    while tb is not None:
        frame = tb.tb_frame
        template = frame.f_globals.get("__jinja_template__")
        if template is not None:  # compiled template code, as make_module leaves it
            found = (template.filename, template.get_corresponding_lineno(tb.tb_lineno))
        elif "__jinja_exception__" in frame.f_globals:  # a frame render() rewrote to point at the source
            found = (frame.f_code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _template_error(shown: str, exc: Exception) -> ConfigError:
    """One line for the CLI: which template file, which line, what went wrong."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        where, line, problem = exc.filename, exc.lineno, f"syntax error: {exc.message}"
    else:
        where, line = _failed_at(exc.__traceback__) or (shown, 0)
        problem = f"{type(exc).__name__}: {exc}"
    return _one_line(where or shown, line, problem)


def _one_line(where: str, line: int, problem: str) -> ConfigError:
    at = f", line {line}" if line else ""
    return ConfigError(f"template {where}{at}: {' '.join(problem.split())}")


def _compiled(env: jinja2.Environment, name: str, shown: str) -> jinja2.Template:
    """The parsed template; one that does not parse is a ConfigError naming its file and line."""
    try:
        return env.get_template(name)
    except jinja2.TemplateSyntaxError as exc:
        raise _template_error(shown, exc) from None
    except UnicodeDecodeError as exc:  # e.g. saved in a Windows code page
        line = exc.object[: exc.start].count(b"\n") + 1
        raise _one_line(shown, line, f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x}); "
                                     "save it as UTF-8") from None


def _load(target: str | Path) -> tuple[str, jinja2.Template]:
    if isinstance(target, Path) or str(target).endswith(TEMPLATE_SUFFIX):
        path = Path(target)
        if not path.is_file():
            raise CyclekitError(f"{path}: template not found")
        env = _environment(jinja2.FileSystemLoader(str(path.parent)))
        name = path.name[: -len(TEMPLATE_SUFFIX)]
        name = name[: -len(".csv")] if name.endswith(".csv") else name
        return name, _compiled(env, path.name, str(path))
    env = _shipped()
    for candidate in (f"{target}.csv.j2", f"{target}.j2"):
        try:
            return str(target), _compiled(env, candidate, candidate)
        except jinja2.TemplateNotFound:
            continue
    raise CyclekitError(f"unknown target {target!r}; shipped targets: {', '.join(shipped_targets())}")


def render_target(target: str | Path, adjustments: list[Adjustment], context: dict) -> RenderedTarget:
    """The import file's text; a template that fails is a ConfigError (finalize renders before writing)."""
    name, template = _load(target)
    shown = template.filename or name
    full = {"adjustments": adjustments, **context}
    full["target"] = context.get("targets", {}).get(name, {})
    try:
        text = template.render(full)  # first: render() points a failure at the template's own line
        module = template.make_module(full)
    except Exception as exc:  # a template can call anything: every failure is the template's
        raise _template_error(shown, exc) from None
    mode = getattr(module, "mode", "difference")
    if mode not in ("absolute", "difference"):
        raise ConfigError(f"template {shown}: mode must be 'absolute' or 'difference', not {mode!r}")
    return RenderedTarget(name, mode, getattr(module, "extension", "csv"), text)


REVIEW = "review.xlsx"  # beside the import files: the same lines, for a person to read in Excel
_REVIEW_COLUMNS = (  # (header, width, Adjustment field, a number?)
    ("Line ID", 16, "line_id", False), ("Location", 14, "location", False),
    ("Part Number", 16, "part_number", False), ("Revision", 8, "revision", False), ("Lot", 12, "lot", False),
    ("Serial", 12, "serial", False), ("UoM", 6, "uom", False), ("System Qty", 10, "system_qty", True),
    ("Counted Qty", 10, "counted_qty", True), ("Adjustment Qty", 11, "adjust_qty", True),
    ("Unit Cost", 10, "unit_cost", True), ("Adjustment Value", 12, "adjust_value", True),
    ("Severity", 8, "severity", False), ("Root Cause", 28, "root_cause", False),
    ("Status", 14, "status", False), ("Approved By", 16, "approved_by", False),
    ("Approval Date", 12, "approval_date", False), ("Description", 30, "description", False),
)


def review_workbook(adjustments: list[Adjustment], cycle_id: str, currency_format: str) -> Any:
    """The adjustment lines as a workbook a person reads: a CSV opened in Excel turns part number
    000812 into 812 and revision 01 into 1; here identifiers stay text and quantities numbers."""
    from cyclekit import styles
    from cyclekit.workbook.spec import Cell, Column, PrintSetup, Range, Sheet, WorkbookSpec

    money = styles.money(currency_format)
    columns = [Column(header, width, (money if field.endswith(("cost", "value")) else styles.QUANTITY)
                      if number else styles.TEXT) for header, width, field, number in _REVIEW_COLUMNS]
    sheet = Sheet("Adjustments", columns=columns, header_row=0, freeze=(1, 3))
    sheet.rows = [[Cell(header, styles.HEADER) for header, *_ in _REVIEW_COLUMNS]]
    sheet.row_heights[0] = 32  # two lines of header
    for line in adjustments:
        sheet.rows.append([(Decimal(getattr(line, field)) if getattr(line, field) else None) if number
                           else getattr(line, field) or None for _, _, field, number in _REVIEW_COLUMNS])
    sheet.autofilter = Range(0, 0, max(len(adjustments), 1), len(columns) - 1)
    sheet.print_setup = PrintSetup(landscape=True, fit_width=2, repeat_rows=(0, 0), repeat_columns=(0, 2),
                                   header=f'&L&"Calibri,Bold"Adjustments {cycle_id}&R&D',
                                   footer="&CPage &P of &N", gridlines=False)
    return WorkbookSpec([sheet], title=f"Adjustments {cycle_id}", subject="Cycle count adjustments")
