"""ERP adjustment import files, rendered from Jinja2 templates with exact values.

Shipped templates live in templates/adjustments/ and load from the installed package
(PackageLoader); a user's own template is given by path. Each template declares whether
it sets an absolute quantity or adjusts by a difference (`mode`), its file `extension`, the
settings its import needs (`required`) and whether its file carries a cost (`needs_cost`).
Every template runs in Jinja2's sandbox: a template may come by e-mail.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import functools
import io
import operator
import os
import re
import signal
import textwrap
import threading
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar, cast

import jinja2
from jinja2 import meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from cyclekit.config import TEMPLATE_SUFFIX
from cyclekit.domain.money import price_text
from cyclekit.domain.values import format_decimal
from cyclekit.errors import ConfigError, CyclekitError

_Record = TypeVar("_Record")


_PLAIN_RECORDS: dict[type, frozenset[str]] = {}  # class -> its fields: plain text, numbers, dates, tuples


def plain_record(cls: type[_Record]) -> type[_Record]:
    """Mark a frozen dataclass of plain values as data templates read: its fields are read straight
    (the sandbox finds every one of them safe; checking each of them on every line took most of the
    time of a large file). Anything else on it, and every other object, goes through the sandbox."""
    _PLAIN_RECORDS[cls] = frozenset(f.name for f in dataclasses.fields(cls) if not f.name.startswith("_"))  # type: ignore[arg-type]
    return cls


@plain_record
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
    if value is None:
        return ""
    if type(value) is Decimal and not value.is_nan():  # a NaN cannot be a key
        return _quantity_text(value)
    return format_decimal(value)


@functools.lru_cache(maxsize=16384, typed=True)
def _quantity_text(value: Decimal) -> str:
    # the text depends on the value alone (1.0 and 1 are "1"); a cycle's quantities repeat a lot
    return format_decimal(value)


def money_text(value: Decimal | None) -> str:
    if value is None:
        return ""
    return price_text(value)  # one money rule (cyclekit.domain.money): amounts come here already in cents


class _RowWriter(threading.local):
    """One csv writer and its buffer per thread, used again for every row (a file has a row a line)."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        # the writer quotes a field holding a character of its line terminator: with none, a line break
        # inside a value (a description, ERPNext's serials one a line) would have split the row
        self.writer = csv.writer(self.buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")


_row_writer = _RowWriter()


_NEEDS_WRITER = re.compile('["\r\n\x00]')  # with a comma: what the writer quotes (NUL: as it does)


def csv_row(values: list[object]) -> str:
    """One RFC 4180 line (no terminator): quotes only where commas, quotes or breaks need them."""
    texts = ["" if v is None else str(v) for v in values]
    joined = ",".join(texts)
    if len(texts) > 1 and joined.count(",") == len(texts) - 1 and not _NEEDS_WRITER.search(joined):
        return joined  # nothing to quote: most rows
    buffer = _row_writer.buffer
    buffer.seek(0)
    buffer.truncate()
    _row_writer.writer.writerow(texts)
    return buffer.getvalue()[:-2]


@plain_record
@dataclass(frozen=True)
class SerialGroup:
    """The serials of one part (and lot) in one location, for an ERP that takes them as one row
    (ERPNext): the serials found, one a line, so that those not listed are taken out."""

    part_number: str
    location: str
    lot: str
    uom: str
    serials: str  # the serials found, joined by line breaks
    counted_qty: str  # how many were found
    in_stock: bool  # the snapshot held one of them there
    changed: bool  # one was found missing, or found new
    unit_cost: str
    line_ids: tuple[str, ...]


def serial_groups(lines: list[Adjustment]) -> list[SerialGroup]:
    """Counted serial lines grouped by part, location and lot, in the order first met (a template
    global: `serial_groups(counted)`)."""
    groups: dict[tuple[str, str, str], list[Adjustment]] = {}
    for line in lines:
        if line.serial:
            groups.setdefault((line.part_number, line.location, line.lot), []).append(line)
    result = []
    for (part, location, lot), members in groups.items():
        present = [line.serial for line in members if line.counted_qty not in ("", "0")]
        result.append(SerialGroup(part, location, lot, members[0].uom, "\n".join(present), str(len(present)),
                                  any(line.system_qty not in ("", "0") for line in members),
                                  any(line.adjust_qty not in ("", "0") for line in members),
                                  next((line.unit_cost for line in members if line.unit_cost), ""),
                                  tuple(line.line_id for line in members)))
    return result


# A template may come by e-mail: it runs in Jinja2's sandbox, sees plain data and these helpers only,
# and cannot build a value past this size (a string or list repeated, a huge power)
_VETTED_GLOBALS = ("range", "dict", "namespace", "cycler", "joiner")
MAX_TEMPLATE_BYTES = 1_000_000
_MAX_BUILT = 10_000_000
_MAX_INT_BITS = 100_000  # about 30,000 digits: a product or power past this would compute for hours
_EXTENSION = re.compile(r"[A-Za-z0-9]{1,10}(\.[A-Za-z0-9]{1,10}){0,2}")
_DECLARED = ("required", "needs_cost")  # read from the template's text, never by running it


class _Sandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def getattr(self, obj: Any, attribute: str) -> Any:
        if attribute in _PLAIN_RECORDS.get(type(obj), ()):
            return getattr(obj, attribute)
        return super().getattr(obj, attribute)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        if __obj is csv_row:  # a row of every line: called as the sandbox would call it, without looking it over
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
            try:
                return csv_row(*args, **kwargs)
            except StopIteration:
                return __context.environment.undefined(
                    "value was undefined because a callable raised a StopIteration exception")
        return super().call(__context, __obj, *args, **kwargs)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > 1000:
            raise SecurityError("a power this large is not allowed in a template")
        if operator in ("*", "**") and _int(left) and _int(right) and _int_bits(operator, left, right) > _MAX_INT_BITS:
            raise SecurityError("a number this large is not allowed in a template")
        if operator == "*" and isinstance(left, int) and isinstance(right, str | list | tuple):
            left, right = right, left
        if operator == "*" and isinstance(left, str | list | tuple) and isinstance(right, int) \
                and len(left) * right > _MAX_BUILT:
            raise SecurityError("a value this large is not allowed in a template")
        return super().call_binop(context, operator, left, right)


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_bits(operator: str, left: int, right: int) -> int:
    """About how many bits the product or power of two whole numbers takes, before computing it."""
    if operator == "*":
        return left.bit_length() + right.bit_length()
    return left.bit_length() * abs(right) if right > 0 else 0


class _OneFolderLoader(jinja2.FileSystemLoader):
    """A user's template and the .j2 files beside it (an include or import): never another file."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        if not template.endswith(TEMPLATE_SUFFIX):
            raise jinja2.TemplateNotFound(template)
        source, filename, uptodate = super().get_source(environment, template)
        folders = {Path(folder).resolve() for folder in self.searchpath}
        if Path(filename).resolve().parent not in folders:  # a link to a file elsewhere
            raise jinja2.TemplateNotFound(template)
        if len(source) > MAX_TEMPLATE_BYTES:
            raise _one_line(filename, 0, f"larger than {MAX_TEMPLATE_BYTES:,} characters")
        return source, filename, uptodate


def _environment(loader: jinja2.BaseLoader) -> jinja2.Environment:
    env = _Sandbox(loader=loader, autoescape=False, keep_trailing_newline=True,
                   trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.globals = {name: env.globals[name] for name in _VETTED_GLOBALS} | {"csv_row": csv_row,
                                                                           "serial_groups": serial_groups}
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
    elif isinstance(exc, SecurityError):
        where, line = _failed_at(exc.__traceback__) or (shown, 0)
        problem = f"refused, templates may only format the data they are given ({exc})"
    else:
        where, line = _failed_at(exc.__traceback__) or (shown, 0)
        problem = f"{type(exc).__name__}: {exc}"
    return _one_line(where or shown, line, problem)


def _one_line(where: str, line: int, problem: str) -> ConfigError:
    at = f", line {line}" if line else ""
    return ConfigError(f"template {where}{at}: {' '.join(problem.split())}")


def _declarations(env: jinja2.Environment, name: str, shown: str) -> dict[str, Any]:
    """`{% set required = [...] %}` and `{% set needs_cost = true %}` at the template's top level,
    read as constants from its parsed text: known before the template runs."""
    source = env.loader.get_source(env, name)[0] if env.loader else ""
    found: dict[str, Any] = {}
    parsed = env.parse(source)
    for node in parsed.body:
        if isinstance(node, nodes.Assign) and isinstance(node.target, nodes.Name) \
                and node.target.name in _DECLARED:
            try:
                found[node.target.name] = cast(nodes.Expr, node.node).as_const()
            except nodes.Impossible:
                raise _one_line(shown, node.lineno, f"{node.target.name} must be written as a constant") from None
    required = found.get("required", [])
    if not isinstance(required, list | tuple) or not all(isinstance(key, str) for key in required):
        raise _one_line(shown, 0, "required must be a list of setting names, e.g. [\"account\"]")
    if not isinstance(found.get("needs_cost", False), bool):
        raise _one_line(shown, 0, "needs_cost must be true or false")
    return {"required": tuple(required), "needs_cost": found.get("needs_cost", False),
            "reads_counted": _reads_counted(parsed)}


def _reads_counted(parsed: nodes.Template) -> bool:
    """The template names `counted` (every counted line, which finalize then makes), or includes
    or imports another template, which may."""
    return "counted" in meta.find_undeclared_variables(parsed) \
        or any(True for _ in meta.find_referenced_templates(parsed))


def _compiled(env: jinja2.Environment, name: str, shown: str) -> tuple[jinja2.Template, dict[str, Any]]:
    """The parsed template and its declarations; one that does not parse is a ConfigError naming
    its file and line."""
    try:  # compiling computes constant expressions ('a'|center(10**9)): bounded as rendering is
        with _time_limit(MAX_RENDER_SECONDS), _memory_limit(MAX_RENDER_MB):
            return env.get_template(name), _declarations(env, name, shown)
    except MemoryError:
        raise _too_much_memory(shown) from None
    except _TooLong:
        raise _too_long(shown) from None
    except jinja2.TemplateSyntaxError as exc:
        raise _template_error(shown, exc) from None
    except UnicodeDecodeError as exc:  # e.g. saved in a Windows code page
        line = exc.object[: exc.start].count(b"\n") + 1
        raise _one_line(shown, line, f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x}); "
                                     "save it as UTF-8") from None


@dataclass(frozen=True)
class LoadedTarget:
    """A template ready to render, with what it declares it needs."""

    name: str
    shown: str  # the template's file, for messages
    template: jinja2.Template
    required: tuple[str, ...]  # [adjustments.<name>] settings the import cannot do without
    needs_cost: bool  # the file carries a unit cost: a line with no cost cannot be imported
    shipped: bool = False  # one of templates/adjustments/, by name: its ERP's checks apply (target_checks)
    reads_counted: bool = True  # the template may read `counted`


def load_target(target: str | Path) -> LoadedTarget:
    """A shipped target by name, or a user's template by path (ending in .j2)."""
    if isinstance(target, Path) or str(target).endswith(TEMPLATE_SUFFIX):
        path = Path(target)
        if not path.is_file():
            raise CyclekitError(f"{path}: template not found")
        if not path.name.endswith(TEMPLATE_SUFFIX):  # the loader reads .j2 files only
            raise CyclekitError(f"{path}: a template's file name ends in {TEMPLATE_SUFFIX} "
                                f"(e.g. {path.stem}.csv{TEMPLATE_SUFFIX}): rename it")
        if path.stat().st_size > MAX_TEMPLATE_BYTES:
            raise _one_line(str(path), 0, f"larger than {MAX_TEMPLATE_BYTES:,} bytes")
        env = _environment(_OneFolderLoader(str(path.parent)))
        name = path.name[: -len(TEMPLATE_SUFFIX)]
        name = name[: -len(".csv")] if name.endswith(".csv") else name
        template, declared = _compiled(env, path.name, str(path))
        return LoadedTarget(name, str(path), template, **declared)
    env = _shipped()
    for candidate in (f"{target}.csv.j2", f"{target}.j2"):
        try:
            template, declared = _compiled(env, candidate, candidate)
        except jinja2.TemplateNotFound:
            continue
        return LoadedTarget(str(target), template.filename or candidate, template, **declared, shipped=True)
    raise CyclekitError(f"unknown target {target!r}; shipped targets: {', '.join(shipped_targets())}")


def missing_settings(target: LoadedTarget, settings: dict[str, Any]) -> list[str]:
    """The settings a target declares required that [adjustments.<target>] leaves out or blank."""
    return [key for key in target.required if not str(settings.get(key, "")).strip()]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # OWASP's list for CSV injection
_TEXT_FIELDS = ("location", "part_number", "revision", "description", "lot", "serial", "uom", "reason",
                "root_cause", "resolution", "status", "approved_by", "approval_date", "line_id")


def formula_like(text: str) -> bool:
    """Text a spreadsheet program would take for a formula when it opens a CSV."""
    return text.startswith(FORMULA_STARTS)


def formula_like_texts(adjustments: list[Adjustment]) -> list[str]:
    """Each identifier or text of the lines that a spreadsheet would run (quantities never count)."""
    texts = operator.attrgetter(*(name for name in _TEXT_FIELDS if name != "line_id"))  # line_id: the location's
    return list(dict.fromkeys(text for line in adjustments for text in texts(line) if text.startswith(FORMULA_STARTS)))


def escaped(adjustments: list[Adjustment]) -> list[Adjustment]:
    """The lines with formula-like texts prefixed by a single quote (OWASP): a spreadsheet shows
    them as text, but the ERP receives the quote too."""
    def escape(text: str) -> str:
        return "'" + text if formula_like(text) else text

    return [replace(line, **{name: escape(getattr(line, name)) for name in _TEXT_FIELDS}) for line in adjustments]


MAX_RENDER_SECONDS = 300  # a template that loops without end stops here
MAX_RENDER_MB = 512  # memory a template may take while it renders ('a'|center(10**9), a string doubled)
MAX_OUTPUT_BASE, MAX_OUTPUT_PER_LINE = 10_000_000, 10_000  # characters an import file may hold


class _TooLarge(Exception):
    pass


class _TooLong(Exception):
    pass


def _bounded_text(chunks: Any, most: int) -> str:
    parts, size = [], 0
    for chunk in chunks:
        size += len(chunk)
        if size > most:
            raise _TooLarge
        parts.append(chunk)
    return "".join(parts)


@contextlib.contextmanager
def _time_limit(seconds: float) -> Any:
    """Raise _TooLong in the code that runs past `seconds` (a timer signal: Unix, main thread only)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise _TooLong

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _address_space() -> int | None:
    """The bytes of address space this process maps now (Linux), else None."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[0])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


@contextlib.contextmanager
def _memory_limit(extra_mb: int) -> Any:
    """Let the code inside map at most `extra_mb` more: past it Python raises MemoryError instead
    of the machine running out (RLIMIT_AS, lifted after; where it cannot be set, no limit)."""
    try:
        import resource
    except ImportError:  # not Unix
        yield
        return
    used = _address_space()
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = None if used is None else used + extra_mb * 1024 * 1024
    if limit is None or (hard != resource.RLIM_INFINITY and limit > hard) \
            or (soft != resource.RLIM_INFINITY and limit >= soft):
        yield  # already limited at least as tightly, or unknown here
        return
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _too_much_memory(shown: str) -> ConfigError:
    return _one_line(shown, 0, f"needs more than {MAX_RENDER_MB} MB of memory (a text or list built "
                               "without end?); nothing was written")


def _too_long(shown: str) -> ConfigError:
    return _one_line(shown, 0, f"still running after {MAX_RENDER_SECONDS} s (a loop without end?); "
                               "nothing was written")


def _generated(template: jinja2.Template, context: Any) -> Any:
    """The template's text piece by piece, as Template.generate() gives it (a failure pointed at the
    template's own line), in a context the caller keeps to read what the template set."""
    try:
        yield from template.root_render_func(context)
    except Exception:
        yield template.environment.handle_exception()


def render_target(target: str | Path | LoadedTarget, adjustments: list[Adjustment],
                  context: dict[str, Any]) -> RenderedTarget:
    """The import file's text; a template that fails is a ConfigError (finalize renders before writing)."""
    loaded = target if isinstance(target, LoadedTarget) else load_target(target)
    name, template, shown = loaded.name, loaded.template, loaded.shown
    full = {"adjustments": adjustments, **context}
    full["target"] = context.get("targets", {}).get(name, {})
    most = MAX_OUTPUT_BASE + MAX_OUTPUT_PER_LINE * len(adjustments)
    try:
        with _time_limit(MAX_RENDER_SECONDS), _memory_limit(MAX_RENDER_MB):
            # rendered once: the text, bounded as it comes, and the names the template sets (mode)
            rendering = template.new_context(full)
            text = _bounded_text(_generated(template, rendering), most)
            declared = rendering.get_exported()
    except _TooLarge:
        raise _one_line(shown, 0, f"writes more than {most:,} characters for {len(adjustments)} line(s); "
                                  "nothing was written") from None
    except MemoryError:
        raise _too_much_memory(shown) from None
    except _TooLong:
        raise _too_long(shown) from None
    except Exception as exc:  # whatever a template does wrong is the template's fault, in one line
        raise _template_error(shown, exc) from None
    mode = declared.get("mode", "difference")
    if mode not in ("absolute", "difference"):
        raise ConfigError(f"template {shown}: mode must be 'absolute' or 'difference', not {mode!r}")
    extension = declared.get("extension", "csv")
    # the file is written as <name>.<extension> in adjustments/: a path would leave that folder
    if not isinstance(extension, str) or not _EXTENSION.fullmatch(extension):
        raise ConfigError(f"template {shown}: extension must be a plain file ending such as csv or txt, "
                          f"not {str(extension)[:60]!r}; nothing was written")
    return RenderedTarget(name, mode, extension, text)


@plain_record
@dataclass(frozen=True)
class TransferLine:
    """An accepted transfer for the ERP (moved, not missing): every field already text."""

    transfer_id: str
    part_number: str
    revision: str
    lot: str
    serial: str
    uom: str
    description: str
    quantity: str
    from_location: str
    to_location: str
    unit_cost: str
    value: str
    from_line_id: str
    to_line_id: str
    reason: str
    decided_by: str


GENERIC_TRANSFERS = "generic.csv.j2"


def render_transfers(transfers: list[TransferLine], targets: list[str], context: dict[str, Any]) -> dict[str, str]:
    """File name -> text of the transfers: transfers-<target>.csv for a target whose ERP has a
    transfer template (templates/transfers/), else one transfers.csv in the generic format."""
    if not transfers:
        return {}
    env = _environment(jinja2.PackageLoader("cyclekit.templates", "transfers"))
    shipped = set(env.list_templates())
    files: dict[str, str] = {}
    for name in targets or ["generic"]:
        own = f"{name}.csv{TEMPLATE_SUFFIX}"
        template, file = (own, f"transfers-{name}.csv") if own in shipped and own != GENERIC_TRANSFERS \
            else (GENERIC_TRANSFERS, "transfers.csv")
        if file not in files:
            files[file] = env.get_template(template).render(transfers=transfers, **context)
    return files


REVIEW = "review.xlsx"  # beside the import files: the same lines, for a person to read in Excel
_REVIEW_COLUMNS = (  # (header, width, Adjustment field, a number?)
    ("Line ID", 16, "line_id", False), ("Location", 14, "location", False),
    ("Part Number", 16, "part_number", False), ("Revision", 8, "revision", False), ("Lot", 12, "lot", False),
    ("Serial", 12, "serial", False), ("UoM", 6, "uom", False), ("System Qty", 10, "system_qty", True),
    ("Counted Qty", 10, "counted_qty", True), ("Adjustment Qty", 11, "adjust_qty", True),
    ("Unit Cost", 10, "unit_cost", True), ("Adjustment Value", 12, "adjust_value", True),
    ("Severity", 8, "severity", False), ("Root Cause", 32, "root_cause", False),
    ("Status", 14, "status", False), ("Approved By", 22, "approved_by", False),
    ("Approval Date", 12, "approval_date", False), ("Description", 30, "description", False),
)


_REVIEW_FIELDS = [field for _, _, field, _ in _REVIEW_COLUMNS]


_TRANSFER_COLUMNS = (  # (header, width, TransferLine field, a number?)
    ("Transfer", 9, "transfer_id", False), ("Part Number", 16, "part_number", False),
    ("Revision", 8, "revision", False), ("Lot", 12, "lot", False), ("Serial", 12, "serial", False),
    ("UoM", 6, "uom", False), ("Quantity", 10, "quantity", True), ("From Location", 14, "from_location", False),
    ("To Location", 14, "to_location", False), ("Unit Cost", 10, "unit_cost", True), ("Value", 12, "value", True),
    ("From Line ID", 16, "from_line_id", False), ("To Line ID", 16, "to_line_id", False),
    ("Reason", 40, "reason", False), ("Decided By", 18, "decided_by", False),
)


def _transfers_tab(transfers: list[TransferLine], currency_format: str) -> Any:
    """The accepted transfers beside the adjustments: what moved, and the two lines it explains."""
    from cyclekit.backends.spec import Cell, Column, Range, Sheet
    from cyclekit.layouts import styles

    money = styles.money(currency_format)
    columns = [Column(header, width, (money if field in ("unit_cost", "value") else styles.QUANTITY) if number
                      else styles.TEXT.but(wrap=True)) for header, width, field, number in _TRANSFER_COLUMNS]
    sheet = Sheet("Transfers", columns=columns, header_row=0, freeze=(1, 1))
    sheet.rows = [[Cell(header, styles.HEADER) for header, *_ in _TRANSFER_COLUMNS]]
    sheet.rows += [[(Decimal(getattr(t, field)) if getattr(t, field) else None) if number
                    else getattr(t, field) or None for _, _, field, number in _TRANSFER_COLUMNS] for t in transfers]
    sheet.autofilter = Range(0, 0, max(len(transfers), 1), len(columns) - 1)
    return sheet


# each text column and the characters a line of it holds
_TEXT_CHARS = [(column, int(width * 1.1)) for column, (_, width, _, number) in enumerate(_REVIEW_COLUMNS) if not number]


def _wrapped_lines(row: list[Any]) -> int:
    """How many lines the row's longest text wraps to in its column (1 when every text fits: a text
    that fits is one line, or none if blank, and the row is never lower than one line)."""
    return max((_wrapped_long(text, chars) for column, chars in _TEXT_CHARS
                if isinstance(text := row[column], str) and (len(text) > chars or "\t" in text)), default=1)


@functools.lru_cache(maxsize=4096)  # causes, statuses and names repeat line after line
def _wrapped_long(text: str, chars: int) -> int:
    return len(textwrap.wrap(text, chars))


def review_workbook(adjustments: list[Adjustment], cycle_id: str, currency_format: str,
                    transfers: list[TransferLine] | None = None) -> Any:
    """The adjustment lines as a workbook a person reads: a CSV opened in Excel turns part number
    000812 into 812 and revision 01 into 1; here identifiers stay text and quantities numbers.
    transfers: the accepted transfers, on a tab of their own (import them first)."""
    from cyclekit.backends.spec import Cell, Column, PrintSetup, Range, Sheet, WorkbookSpec
    from cyclekit.layouts import styles

    money = styles.money(currency_format)
    columns = [Column(header, width, (money if field.endswith(("cost", "value")) else styles.QUANTITY)
                      if number else styles.TEXT.but(wrap=True)) for header, width, field, number in _REVIEW_COLUMNS]
    sheet = Sheet("Adjustments", columns=columns, header_row=0, freeze=(1, 3))
    sheet.rows = [[Cell(header, styles.HEADER) for header, *_ in _REVIEW_COLUMNS]]
    sheet.row_heights[0] = 32  # two lines of header
    for line in adjustments:
        sheet.rows.append([(Decimal(getattr(line, field)) if getattr(line, field) else None) if number
                           else getattr(line, field) or None for _, _, field, number in _REVIEW_COLUMNS])
        if not line.unit_cost:  # a blank value would read as nothing to post; it is a value unknown
            sheet.rows[-1][_REVIEW_FIELDS.index("adjust_value")] = Cell("unvalued", styles.WARN)
        # long texts wrap in their cells (they were cut at the column's edge), on rows tall enough
        lines = _wrapped_lines(sheet.rows[-1])
        if lines > 1:
            sheet.row_heights[len(sheet.rows) - 1] = lines * 15 + 4
    sheet.autofilter = Range(0, 0, max(len(adjustments), 1), len(columns) - 1)
    sheet.print_setup = PrintSetup(landscape=True, fit_width=2, repeat_rows=(0, 0), repeat_columns=(0, 2),
                                   header=f'&L&"Calibri,Bold"Adjustments {cycle_id}&R&D',
                                   footer="&CPage &P of &N", gridlines=False)
    more = [_transfers_tab(transfers, currency_format)] if transfers else []
    return WorkbookSpec([sheet, *more], title=f"Adjustments {cycle_id}", subject="Cycle count adjustments")
