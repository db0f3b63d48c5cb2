"""The `cyclekit` command: Click only. Each command parses its options, makes one call to the public
API (cyclekit.api: Schedule, Cycle) and prints the report it returns; every CyclekitError becomes one
line and exit code 1. Options shared by several commands are defined once, as decorators."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import inspect
import os
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cyclekit import __version__, progress
from cyclekit.api import Cycle, GoogleSheets, Schedule
from cyclekit.api import report as trends_report
from cyclekit.atomic import OS_ADVICE
from cyclekit.domain.money import amount_display
from cyclekit.domain.values import show_spaces
from cyclekit.errors import CyclekitError, InputError, Problem, problems_as_json, some_of
from cyclekit.folder.seal import SealState, UnsignedCycleWarning
from cyclekit.layouts.styles import shortened

if TYPE_CHECKING:
    from cyclekit.stages.finalize import FinalizeReport
    from cyclekit.stages.ingest import IngestReport
    from cyclekit.stages.schedule import ScheduleReport
    from cyclekit.stages.sheets import CycleReport
    from cyclekit.stages.status import CycleStatus
    from cyclekit.stages.verify import Verification

Command = Callable[..., Any]


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; write YYYY-MM-DD") from None


config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
    help="Config file (default: cyclekit.toml in the current folder, if there is one).")
as_of_option = click.option(
    "--as-of", callback=_date, metavar="YYYY-MM-DD", help="Date to plan from (default: today).")


def google_options(command: Command) -> Command:
    """--format, --credentials, --folder, --share: defined once for every command that writes; the
    command receives them as one `google` argument (a GoogleSheets, or None for xlsx files)."""

    # a command that reads what the manifest keeps in Google Sheets (ingest) gets the sign-in too
    reads_google = "sheets_google" in inspect.signature(command).parameters

    @functools.wraps(command)
    def wrapper(*args: Any, output_format: str, credentials: str | None, folder_id: str | None,
                share_with: tuple[str, ...], **kwargs: Any) -> Any:
        google = GoogleSheets(credentials, folder_id, tuple(share_with)) if output_format == "gsheets" else None
        if reads_google:
            kwargs["sheets_google"] = GoogleSheets(credentials) if credentials else None
        return command(*args, google=google, **kwargs)

    options = [
        click.option("--format", "output_format", type=click.Choice(["xlsx", "gsheets"]), default="xlsx",
                     show_default=True,
                     help="Write Excel files, or Google Sheets (needs cyclekit[gsheets]; Google Sheets has no "
                          "print settings, so print from the xlsx/PDF path)."),
        click.option("--credentials", type=click.Path(dir_okay=False),
                     help="Google service-account JSON (default: GOOGLE_APPLICATION_CREDENTIALS, else "
                          "gspread's OAuth desktop flow)."),
        click.option("--folder", "folder_id", help="Google Drive folder id to create the spreadsheet in "
                     "(needed with a service account: it has no Drive storage of its own)."),
        click.option("--share", "share_with", multiple=True, metavar="EMAIL",
                     help="Also give this person writer access (repeat)."),
    ]
    decorated: Command = wrapper
    for option in reversed(options):
        decorated = option(decorated)
    return decorated


def pdf_option(what: str) -> Callable[[Command], Command]:
    return click.option("--pdf", is_flag=True, help=f"Also write a PDF of every {what} (needs LibreOffice).")


cycle_argument = click.argument("cycle_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))


def quiet_option(command: Command) -> Command:
    """--quiet/-q: defined once for every command that runs a stage; without it, progress bars on stderr."""

    @functools.wraps(command)
    def wrapper(*args: Any, quiet: bool = False, **kwargs: Any) -> Any:
        if quiet:
            return command(*args, **kwargs)
        with progress.use(progress.TerminalReporter()):
            return command(*args, **kwargs)

    return click.option("-q", "--quiet", is_flag=True,
                        help="No progress bars (shown on a terminal for a stage that takes over 2 s).")(wrapper)


problems_option = click.option(
    "--problems", "problems_format", type=click.Choice(["text", "json"]), default="text",
    show_default=True, help="How to print input problems: with json, stdout holds only a JSON list of "
                            "problems (errors included), the summary goes to stderr.")


def _as_json() -> bool:
    return click.get_current_context().meta.get("problems_format") == "json"


def _say(text: str) -> None:
    """A line of the summary: stdout, or stderr when stdout holds the JSON of --problems json."""
    click.echo(text, err=_as_json())


def _json_problems(problems: list[Problem]) -> None:
    """With --problems json, the command's problems (none when it went well) as stdout's only text."""
    if _as_json():
        click.echo(problems_as_json(problems))


def _one_line(exc: OSError) -> str:
    """An operating-system error in words, naming the file: never a traceback."""
    where = exc.filename if exc.filename is not None else ""
    why = OS_ADVICE.get(exc.errno or 0) or exc.strerror or exc.__class__.__name__
    return f"{where}: {why}; nothing was written" if where else f"{why}; nothing was written"


def reports_errors(command: Command) -> Command:
    """Turn every CyclekitError (and a file the system cannot read or write) into a clear message and
    exit code 1, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, problems_format: str = "text", **kwargs: Any) -> Any:
        click.get_current_context().meta["problems_format"] = problems_format  # for commands that list some
        try:
            return command(*args, **kwargs)
        except InputError as exc:
            if problems_format == "json":
                click.echo(problems_as_json(exc.problems))
            else:
                click.echo(str(exc), err=True)
            click.echo(f"Error: {exc.summary}; nothing was written.", err=True)
            sys.exit(1)
        except BrokenPipeError:
            # the reader stopped reading (`status --missing | head`): it asked for no more, nothing failed
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit's flush is silent
            sys.exit(0)
        except (CyclekitError, OSError) as exc:
            message = _one_line(exc) if isinstance(exc, OSError) else str(exc)
            if problems_format == "json":  # a script reading JSON gets JSON, whatever went wrong
                click.echo(problems_as_json([Problem("error", getattr(exc, "filename", None) or "", message)]))
                click.echo(f"Error: {message}", err=True)
                sys.exit(1)
            raise click.ClickException(message) from None

    return problems_option(wrapper)


def _asks_for_json(args: list[str]) -> bool:
    return any(a == "--problems=json" or (a == "--problems" and b == "json") for a, b in zip(args, [*args[1:], ""]))


class Commands(click.Group):
    """With --problems json, a usage error (a missing argument, a bad option) is JSON on stdout too."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["asks_for_json"] = _asks_for_json(list(args))
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with _warnings_as_lines():
                return super().invoke(ctx)
        except click.ClickException as exc:
            if ctx.meta.get("asks_for_json"):
                click.echo(problems_as_json([Problem("usage" if isinstance(exc, click.UsageError) else "error",
                                                     "", exc.format_message())]))
            raise


@contextlib.contextmanager
def _warnings_as_lines() -> Iterator[None]:
    """A warning the library gives a user (an unsigned cycle) as one 'Warning: ...' line on stderr."""
    def show(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        if issubclass(category, UnsignedCycleWarning):
            _warn([str(message)])
        else:
            shown(message, category, *args, **kwargs)

    with warnings.catch_warnings():
        shown = warnings.showwarning
        warnings.simplefilter("always", UnsignedCycleWarning)
        warnings.showwarning = show
        yield


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cyclekit")
def cli() -> None:
    """Run inventory cycle counts from spreadsheets.

    \b
    schedule  plan which locations are counted when (the master schedule)
    sheets    print blind count sheets for the locations due
    ingest    read filled sheets back: variance, discrepancies, recounts
    finalize  approvals, ERP adjustment files, schedule update, lock
    status    where a cycle stands
    verify    check that no file of a cycle changed since it was recorded
    send      e-mail each counter their count sheets
    calendar  the planned counts as an iCalendar file
    remind    who has counts overdue or due soon (a table, or e-mails)
    report    trends across finalized cycles (a workbook)

    Every workbook can be written to Google Sheets with --format gsheets.
    """


@cli.command()
@click.argument("inventory", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--locations", type=click.Path(dir_okay=False, path_type=Path),
              help="CSV of location, zone, owner, owner_email, consumption, cadence_days, last_count.")
@click.option("--by", type=click.Choice(["location", "part"]), default="location", show_default=True,
              help="One row per location, or per part number (part-based counting).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("workbooks/schedule.xlsx"), show_default=True,
              help="Workbook to write (with --format gsheets: google:ID or the URL of a schedule to update "
                   "in place; else a new spreadsheet).")
@click.option("--force", is_flag=True,
              help="Write over the schedule although the export takes out more than half of its rows with "
                   "stock or of its value.")
@config_option
@as_of_option
@google_options
@quiet_option
@reports_errors
def schedule(inventory: Path, locations: Path | None, by: str, output: Path, force: bool,
             config_path: Path | None, as_of: dt.date | None, google: GoogleSheets | None) -> None:
    """Write the master cycle-count schedule workbook from an inventory export.

    Each row gets its inventory value, ABC class, cadence and live formulas for
    Next Count, Days Until Due and Status; a Calendar tab shows who counts what
    each week for the next year. Written over a schedule, it keeps what people typed in
    it (Zone, Owner, Owner Email, Cadence, Last Count, Notes, added columns and rows) unless
    the locations file changed that field since the last run, and says which.

    \b
    Example:
      cyclekit schedule examples/inventory.csv --locations examples/locations.csv \\
          --config examples/cyclekit.toml --as-of 2026-11-23 -o workbooks/schedule.xlsx
    """
    report = Schedule(output, config=config_path).write(inventory, locations=locations, as_of=as_of, by=by,
                                                        google=google, force=force)
    print_schedule(report, "location" if by == "location" else "part number")


def print_schedule(report: ScheduleReport, noun: str) -> None:
    classes = ", ".join(f"{c} {n}" for c, n in report.classes.items())
    _say(f"Wrote {report.output}: {n(report.rows, 'row')} ({classes}), {n(report.lines, 'line')}, "
         f"value {amount_display(report.total_value)}; {report.overdue} overdue, {report.due_soon} due soon.")

    def named(keys: list[str]) -> str:  # end spaces seen, a 300-character location kept to one line
        return some_of([shortened(show_spaces(key)) for key in keys], 5)

    for column, keys in report.kept.items():
        kind = "moved on by finalize or typed" if column == "Last Count" else "typed"
        _say(f"Kept as {kind} in the schedule: {column} at {n(len(keys), noun)} ({named(keys)})")
    for column, keys in report.changed.items():
        over = report.replaced.get(column, [])
        _say(f"Changed by the locations file since the last run: {column} at {n(len(keys), noun)} "
             f"({named(keys)})" + (f", over what was typed at {named(over)}" if over else ""))
    if report.backup:
        _say(f"The schedule as it was: {report.backup}")
    if report.kept_rows or report.kept_history:
        _say(f"Kept from the schedule that was there: {n(report.kept_rows, 'row')} added by hand, "
             f"{n(report.kept_history, 'History row')}.")
    if report.kept_tabs:
        _say("Kept the tab(s) added to the schedule: " + ", ".join(repr(name) for name in report.kept_tabs))
    _warn(report.warnings)
    _json_problems([])


@cli.command()
@click.argument("schedule_file", metavar="SCHEDULE")
@click.argument("inventory", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", "cycle_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path), help="New cycle folder to create.")
@click.option("--due-within", type=click.IntRange(min=0), default=7, show_default=True,
              metavar="DAYS", help="Locations whose Next Count is at most DAYS after the as-of date.")
@click.option("--all", "all_locations", is_flag=True, help="Every location in the schedule.")
@click.option("--location", "locations", multiple=True, metavar="LOC",
              help="Only this location (repeat for more).")
@click.option("--week", callback=_date, metavar="YYYY-MM-DD",
              help="The locations the schedule's Calendar tab plans for the week of this day.")
@click.option("--count-date", callback=_date, metavar="YYYY-MM-DD",
              help="Date printed on the sheets (default: the as-of date).")
@click.option("--show-system-qty", is_flag=True,
              help="Print the system quantity on the sheets (not a blind count).")
@click.option("--packets", is_flag=True,
              help="One workbook per owner, a tab per location, in CYCLE_DIR/packets/.")
@pdf_option("workbook")
@click.option("--cycle-id", help="Name the cycle yourself (default: CC-<as-of>-<random>).")
@click.option("--force", is_flag=True,
              help="Make the sheets although the export has no line at any of the chosen locations.")
@config_option
@as_of_option
@google_options
@quiet_option
@reports_errors
def sheets(schedule_file: str, inventory: Path, cycle_dir: Path, due_within: int,
           all_locations: bool, locations: tuple[str, ...], week: dt.date | None, count_date: dt.date | None,
           show_system_qty: bool, packets: bool, pdf: bool, cycle_id: str | None, force: bool,
           config_path: Path | None, as_of: dt.date | None, google: GoogleSheets | None) -> None:
    """Start a cycle: blind count sheets for the locations that are due.

    Reads the schedule as you left it (edited cadences and owners count), freezes the
    inventory snapshot into the cycle folder, and writes one protected, print-ready sheet
    per location (or one packet per owner). The system quantity is not in the files. It says
    in one sentence which locations it issues and why. A schedule made with --by part gives a
    sheet per part, listing every location holding it (--location then names parts).

    \b
    Example:
      cyclekit sheets workbooks/schedule.xlsx examples/inventory.csv \\
          --config examples/cyclekit.toml --as-of 2026-11-23 --pdf -o workbooks/cycle-2026-11-23
      cyclekit sheets workbooks/schedule.xlsx examples/inventory.csv \\
          --config examples/cyclekit.toml --week 2026-11-30 -o workbooks/cycle-2026-11-30  # its week
    """
    if sum((all_locations, bool(locations), week is not None)) > 1:
        raise click.UsageError("use --all or --location or --week, only one of them")
    cycle = Cycle.start(cycle_dir, schedule=schedule_file, inventory=inventory, config=config_path,
                        due_within=due_within, all_locations=all_locations, locations=locations, as_of=as_of,
                        count_date=count_date, show_system_qty=show_system_qty, packets=packets, pdf=pdf,
                        cycle_id=cycle_id, force=force, google=google, week=week)
    assert cycle.started is not None  # Cycle.start always says what it wrote
    print_start(cycle.started, "packets" if packets else "count sheets")


def print_start(report: CycleReport, kind: str) -> None:
    if report.chosen:
        _say(report.chosen)
    where = report.url or f"{len(report.files)} {kind} in {report.cycle_dir}"
    held = f"{n(report.parts, 'part')} at " if report.parts else ""  # counting by part
    _say(f"Cycle {report.cycle_id}: {held}{n(report.locations, 'location')}, {n(report.lines, 'line')}, {where}")
    if report.pdfs:
        _say(f"PDFs for printing: {report.cycle_dir / 'pdf'}")
    if report.unknown_to_inventory:
        _say("No stock in the export (sheet asks to confirm empty): " + ", ".join(report.unknown_to_inventory))
    _warn(report.warnings)
    _json_problems([])


movements_option = click.option(
    "--movements", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="FILE",
    help="The ERP's export of stock movements since the snapshot (CSV or XLSX, [movements.columns]): each "
         "line is compared with what it held when counted.")


@cli.command()
@cycle_argument
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))  # a folder: the .eml replies in it
@pdf_option("new recount workbook")
@movements_option
@config_option
@google_options
@quiet_option
@reports_errors
def ingest(cycle_dir: Path, files: tuple[Path, ...], pdf: bool, movements: Path | None, config_path: Path | None,
           google: GoogleSheets | None, sheets_google: GoogleSheets | None) -> None:
    """Read filled count sheets back and write CYCLE_DIR/results.xlsx.

    Reads every sheet in CYCLE_DIR/sheets, packets and recounts, or the FILES named (sheets
    e-mailed back under new names are matched by the cycle and sheet id printed on them), and
    again every file the last ingest read: a late sheet adds to the counts, a corrected one
    replaces its earlier copy. Every entry is checked; problems are listed, never guessed. Run
    it again after a correction or a recount: what people typed in the Discrepancies tab is kept.
    Replies saved from your mail client (.eml files, or a folder of them) stand for their Excel
    attachments; the manifest records which message each sheet came from. Count sheets made in
    Google Sheets are read there (--credentials, else the default ones); --format says only
    where the results go.

    \b
    Example:
      cyclekit ingest workbooks/cycle-2026-11-23 --config examples/cyclekit.toml
      cyclekit ingest workbooks/cycle-2026-11-23 ~/Downloads/WH-A-01-done.xlsx
      cyclekit ingest workbooks/cycle-2026-11-23 replies/
    """
    print_ingest(Cycle(cycle_dir, config=config_path).ingest(files, pdf=pdf, google=google,
                                                             sheets_google=sheets_google, movements=movements))


def print_ingest(report: IngestReport) -> None:
    f = report.figures
    rate = "n/a" if f.discrepancy_rate is None else f"{f.discrepancy_rate * 100:.1f} %"
    closed = len(report.problems) - len(report.open_problems)
    _say(f"Read {n(report.sheets_read, 'filled sheet')}: {f.lines_counted} of {n(f.lines_sent, 'line')} "
         f"counted, {n(f.discrepancies, 'discrepancy', 'discrepancies')} (rate {rate}), "
         f"{n(len(report.open_problems), 'open problem')}"
         + (f" ({closed} more fixed by a recount or resolved)." if closed else "."))
    if report.missing:
        _say(f"Not returned yet: {', '.join(report.missing)}")
    if _as_json():  # with --problems json, stdout holds the JSON only
        click.echo(problems_as_json(report.problems))
    else:
        for problem in report.open_problems[:20]:
            _say(f"  problem: {problem.line()}")
        if len(report.open_problems) > 20:
            _say(f"  ... and {len(report.open_problems) - 20} more in the Problems tab")
    for path in report.recount_files:
        _say(f"Recount sheet: {path}")
    for path in report.pdfs:
        _say(f"Recount sheet to print: {path}")
    for note in report.notes:
        _say(note)
    _warn(report.warnings)
    _say(f"Wrote {report.results}" + (f" and {report.url}" if report.url else ""))


@cli.command()
@cycle_argument
@click.option("--schedule", "schedule_file", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The schedule workbook to move on (Last Count, History).")
@click.option("--target", "targets", multiple=True, metavar="NAME",
              help="ERP import file to write (repeat): generic, netsuite, odoo, erpnext, business-central, "
                   "fishbowl. Default: [count] default_targets in the config, else generic.")
@click.option("--template", "templates", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Your own Jinja2 template for an import file (repeat).")
@click.option("--partial", is_flag=True,
              help="Lock the cycle although some locations never returned their sheet: they are not "
                   "adjusted and stay due.")
@click.option("--signed-off-by", "signed_off_by", metavar="NAME",
              help="The lead who signs the cycle off: required, and a person of the lead role, when the "
                   "config has [approvals]; recorded in the manifest and the schedule's History.")
@movements_option
@click.option("--odoo-quants", "odoo_quants", type=click.Path(dir_okay=False, path_type=Path), metavar="EXPORT.csv",
              help="Odoo's update-by-ID export of the counted locations (Physical Inventory, 'I want to update "
                   "data': ID, Product, Location, Lot/Serial Number, Counted Quantity): the odoo file is that "
                   "export with the counts filled in. Needed for lines Odoo already holds.")
@config_option
@google_options
@quiet_option
@reports_errors
def finalize(cycle_dir: Path, schedule_file: Path, targets: tuple[str, ...], templates: tuple[Path, ...],
             partial: bool, signed_off_by: str | None, movements: Path | None, odoo_quants: Path | None,
             config_path: Path | None, google: GoogleSheets | None) -> None:
    """Close a cycle: check approvals, write ERP adjustment files, move the schedule on, lock.

    Refuses, writing nothing, while a Major discrepancy lacks Approved By or Approval
    Date, an ingest problem has no Resolution, or a location has not returned its sheet
    (unless --partial). Lines Under Investigation do not block: the physical count is the
    source of truth. With [approvals] in the config it also refuses an approval past the
    approver's limits, a Major line without a Root Cause, a recount by the first counter, and
    a sign-off (--signed-off-by) by anyone outside the lead role. Afterwards the cycle's counts
    cannot change.

    \b
    Example:
      cyclekit finalize workbooks/cycle-2026-11-23 --schedule workbooks/schedule.xlsx \\
          --config examples/cyclekit.toml --target netsuite --signed-off-by "Sam Okafor"
    """
    print_finalize(Cycle(cycle_dir, config=config_path).finalize(
        schedule_file, targets=targets, templates=templates, partial=partial, google=google,
        signed_off_by=signed_off_by, movements=movements, odoo_quants=odoo_quants))


def print_finalize(report: FinalizeReport) -> None:
    h = report.history
    rate = "n/a" if h.discrepancy_rate is None else f"{h.discrepancy_rate * 100:.1f} %"
    _say(f"Finalized {report.cycle_id}: {n(h.lines_counted, 'line')} counted, "
         f"{n(h.discrepancies, 'discrepancy', 'discrepancies')} (rate {rate}), "
         f"{n(report.adjustments, 'adjustment')}, "
         f"net {amount_display(h.net_value)}, absolute {amount_display(h.absolute_value)}.")
    for path in report.files:
        _say(f"Adjustment file: {path}")
    if report.review:
        _say(f"The same adjustments to review in Excel: {report.review}")
    if report.transfers:
        _say(f"{n(report.transfers, 'accepted transfer')} written as transfers: import them before the adjustments.")
    _say(f"Schedule moved on for {n(len(report.locations_moved), 'location')}: {report.schedule} "
         f"(previous copy: {report.schedule_backup})")
    if report.signed_off_by:
        _say(f"Signed off by {report.signed_off_by}.")
    _warn(report.warnings)
    _json_problems([])


@cli.command()
@cycle_argument
@reports_errors
def verify(cycle_dir: Path) -> None:
    """Check that no file of a cycle changed since cyclekit recorded it.

    Recomputes the SHA-256 of the frozen snapshot, the sheets, and (once finalized) every
    filled sheet read and every adjustment file written. Exits 1 and names each changed or
    missing record. The results workbook and the schedule live on after finalize (finance
    closes investigations, the next cycle moves the schedule on): their changes are listed as
    UPDATED, not failures.
    Files in the cycle folder are checked there, wherever it was moved or copied; a file
    recorded outside it is checked where it was, or listed as not checked when it cannot be
    located (or is in Google Sheets). The manifest itself is signed: edited by hand it is
    TAMPERED; signed with another key, or no key here, it fails too (see the README for where
    the key lives); so does an unsigned one (UNSIGNED: an older cycle, which cyclekit cannot
    vouch for).

    \b
    Example:
      cyclekit verify workbooks/cycle-2026-11-23
    """
    print_verification(Cycle(cycle_dir).verify())


@cli.command()
@click.argument("cycle_dirs", metavar="CYCLE_DIR...", nargs=-1, required=True,
                type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("report.xlsx"),
              show_default=True, help="Report workbook to write.")
@click.option("--top", type=click.IntRange(1, 10_000), default=20, show_default=True,
              help="How many locations and parts the Most Often Off tab lists.")
@config_option
@reports_errors
def report(cycle_dirs: tuple[Path, ...], output: Path, top: int, config_path: Path | None) -> None:
    """Write a workbook of trends across finalized cycles.

    Reads each cycle's counted lines (counted_lines.parquet, kept by finalize): discrepancy rate
    and record accuracy by cycle against the 5 % target, by location, zone, part, counter (on
    their first counts) and root cause; value-weighted accuracy; the locations and parts most
    often off; with charts. Needs pandas: pip install 'cyclekit[report]'.

    \b
    Example:
      cyclekit report workbooks/cycle-* -o workbooks/report.xlsx
    """
    result = trends_report(cycle_dirs, output, config=config_path, top=top)
    head = result.headline
    _say(f"Wrote {result.output}: {n(len(result.cycles), 'cycle')}, {n(result.lines, 'line')} counted "
         "(found items included).")
    if head.discrepancy_rate is not None and head.accuracy is not None:
        _say(f"  discrepancy rate {head.discrepancy_rate:.1%} (target under {head.target:.0%}), "
             f"record accuracy {head.accuracy:.1%}"
             + ("" if head.value_accuracy is None else f", value-weighted accuracy {head.value_accuracy:.1%}"))
    _json_problems([])


def print_verification(result: Verification) -> None:
    seal = result.seal_problem
    if seal:
        _say(f"{seal[0].upper().replace('-', ' ')}  {seal[1]}")
    for name in result.changed:
        _say(f"CHANGED  {name}")
    for name in result.missing:
        _say(f"MISSING  {name}")
    for name, why in result.not_checked.items():
        _say(f"NOT CHECKED  {name}: {why}")
    for name, why in result.updated.items():
        _say(f"UPDATED  {name}: {why}")
    _json_problems(
        [Problem("changed", name, "changed since cyclekit recorded it") for name in result.changed]
        + [Problem("missing", name, "missing: recorded, and not found") for name in result.missing]
        + [Problem("not-checked", name, why) for name, why in result.not_checked.items()]
        + [Problem("updated", name, why) for name, why in result.updated.items()]
        + ([Problem(seal[0], "manifest.json", seal[1])] if seal else []))
    if not result.ok:
        message = (f"cycle {result.cycle_id}: {len(result.changed)} file(s) changed and "
                   f"{len(result.missing)} missing since they were recorded")
        if not result.sealed:
            message = (f"cycle {result.cycle_id}: manifest.json is {result.seal.value}, so none of its checksums "
                       f"can be trusted; {len(result.changed)} file(s) changed and {len(result.missing)} missing "
                       "against them")
        elif result.seal is SealState.UNSIGNED and not result.changed and not result.missing:
            message = (f"cycle {result.cycle_id}: all {result.checked} records match manifest.json, but it is "
                       "unsigned, so cyclekit cannot vouch for them (its checksums may have been edited with them)")
        if _as_json():  # the JSON above lists them
            click.echo(f"Error: {message}", err=True)
            sys.exit(1)
        raise click.ClickException(message)
    _say(f"Cycle {result.cycle_id}: all {result.checked} records of the cycle are unchanged"
         + (f"; {len(result.updated)} living file(s) updated since finalize (information, not a failure)."
            if result.updated else "."))


@cli.command()
@cycle_argument
@config_option
@click.option("--missing", "list_missing", is_flag=True,
              help="List every location whose count sheet has not come back, one a line.")
@reports_errors
def status(cycle_dir: Path, config_path: Path | None, list_missing: bool) -> None:
    """Where a cycle stands: sheets returned, lines counted, discrepancies documented.

    \b
    Example:
      cyclekit status workbooks/cycle-2026-11-23 --config examples/cyclekit.toml
      cyclekit status workbooks/cycle-2026-11-23 --missing
    """
    print_status(Cycle(cycle_dir, config=config_path).status(), cycle_dir, list_missing)


MISSING_SHOWN = 10  # locations named on the summary line: a thousand would fill the screen


def print_status(s: CycleStatus, cycle_dir: Path, list_missing: bool = False) -> None:
    if list_missing:  # the list alone, to read or to redirect to a file
        for location in s.missing:
            click.echo(location)  # exactly as the manifest holds it
        return
    _say(f"Cycle {s.cycle_id}: " + (f"finalized {s.finalized_at}" if s.finalized_at else "open"))
    _say(f"  sheets   {s.sheets_returned} of {s.sheets_sent} returned" + _missing_summary(s.missing))
    closed = s.problems - s.problems_open
    _say(f"  lines    {s.lines_counted} of {s.lines_sent} counted; {n(s.problems_open, 'open problem')}"
         + (f" ({closed} more fixed by a recount or resolved)" if closed else ""))
    _say(f"  discrepancies  {s.open} open, {s.under_investigation} under investigation, "
         f"{s.resolved} resolved; {s.documented} with a root cause; {s.approved} of {s.major} Major approved")
    if s.blocking:
        _say(f"  blocks finalize ({len(s.blocking)}):")
        for item in s.blocking:
            _say(f"    - {item}")
    elif not s.finalized_at:
        _say("  nothing blocks finalize")
    _json_problems([Problem("blocks-finalize", str(cycle_dir), item) for item in s.blocking])


def _missing_summary(missing: list[str]) -> str:
    if not missing:
        return ""
    shown = ", ".join(show_spaces(location) for location in missing[:MISSING_SHOWN])
    more = len(missing) - MISSING_SHOWN
    return f"; missing: {shown}" + (f" and {more} more (status --missing lists them all)" if more > 0 else "")


template_option = click.option(
    "--template", type=click.Path(dir_okay=False, path_type=Path),
    help="Your own Jinja2 template for the message (first line 'Subject: ...'; see templates/email/).")


@cli.command()
@click.argument("cycle_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--dry-run", "dry_run", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Write each message as a .eml file in DIR (open it in your mail client) instead of sending.")
@click.option("--resend", is_flag=True, help="Send every counter all their sheets again, sent before or not.")
@click.option("--to", "only", multiple=True, metavar="EMAIL",
              help="Only to this counter (repeat): e.g. with --resend, for one who lost the message.")
@template_option
@config_option
@reports_errors
def send(cycle_dir: Path, dry_run: Path | None, resend: bool, only: tuple[str, ...], template: Path | None,
         config_path: Path | None) -> None:
    """E-mail each counter their count sheets: PDF to print, xlsx to fill.

    One message per owner e-mail of the cycle's locations, through the mail server in the
    [email] settings of cyclekit.toml (the password in the environment variable named by
    password_env). Each message sent is recorded in the manifest; a re-run sends only what
    was not sent yet (recount sheets made since, a message that failed), unless --resend.

    \b
    Example:
      export CYCLEKIT_SMTP_PASSWORD=...   # the variable named by [email] password_env
      cyclekit send workbooks/cycle-2026-11-23 --config examples/cyclekit.toml
      cyclekit send workbooks/cycle-2026-11-23 --dry-run workbooks/outbox
      cyclekit send workbooks/cycle-2026-11-23 --resend --to maria.alvarez@plant.example.com
    """
    report = Cycle(cycle_dir, config=config_path).send(dry_run=dry_run, resend=resend, template=template, to=only)
    for to, files in report.sent:
        _say(f"Sent to {to}: {', '.join(Path(f).name for f in files)}")
    for path in report.drafts:
        _say(f"Wrote {path}")
    for who, why in report.refused_copies:
        click.echo(f"Warning: copy to {who} refused: {why}", err=True)
    if report.already_sent:
        _say(f"Sent before, nothing new: {some_of(report.already_sent, 5)} (--resend sends again)")
    if report.no_address:
        click.echo(f"Warning: no single owner e-mail in the schedule, not sent: {some_of(report.no_address, 10)} "
                   "(give each an Owner Email of one address)", err=True)
    for file in report.changed:
        click.echo(f"Warning: {file} is missing or changed since the sheets were made; not sent", err=True)
    for to, why in report.failed:
        click.echo(f"Not sent to {to}: {why}", err=True)
    _json_problems([Problem("not-sent", to, why) for to, why in report.failed])
    if report.failed:
        raise click.ClickException(f"{n(len(report.failed), 'message')} not sent; run send again to retry "
                                   "(what was sent is recorded and not sent twice)")
    if not (report.sent or report.drafts):
        _say(f"Cycle {report.cycle_id}: nothing to send.")


@cli.command()
@click.argument("schedule_file", metavar="SCHEDULE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("counts.ics"),
              show_default=True, help="iCalendar file to write.")
@click.option("--owner", metavar="EMAIL", help="Only the counts of this owner e-mail.")
@config_option
@as_of_option
@reports_errors
def calendar(schedule_file: Path, output: Path, owner: str | None, config_path: Path | None,
             as_of: dt.date | None) -> None:
    """Write the planned counts of the next 12 months as an iCalendar (.ics) file.

    One all-day event per location, repeating every cadence, with its owner as attendee.
    Each location keeps the same UID: import the file again after the schedule moved on and
    the calendar updates the counts instead of doubling them. Overdue counts start on the
    as-of date.

    \b
    Example:
      cyclekit calendar workbooks/schedule.xlsx -o counts.ics
      cyclekit calendar workbooks/schedule.xlsx -o maria.ics --owner maria.alvarez@plant.example.com
    """
    report = Schedule(schedule_file, config=config_path).calendar(output, owner=owner, as_of=as_of)
    _say(f"Wrote {report.output}: {n(report.counts, 'planned count')} at {n(report.series, 'location')} "
         "in the next 12 months.")
    if report.unplanned:
        _say(f"Not planned (no Next Count in the schedule): {some_of(report.unplanned, 10)}")
    _json_problems([])


def _reminder_table(reminders: list[Any]) -> list[str]:
    """Overdue first: one line per location, columns padded to their longest value (capped)."""
    rows = [("Status", "Next Count", "Location", "Owner", "Owner Email")]
    for r in reminders:
        when = (f"overdue {n(r.days_late, 'day')}" if r.overdue
                else "due today" if r.days_late == 0 else f"due in {n(-r.days_late, 'day')}")
        rows.append((when, r.next_count.isoformat(), shortened(show_spaces(r.location)), shortened(r.owner or "-"),
                     shortened(r.owner_email or "-")))
    widths = [min(40, max(len(row[i]) for row in rows)) for i in range(5)]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]


@cli.command()
@click.argument("schedule_file", metavar="SCHEDULE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--days", type=click.IntRange(min=0), default=3, show_default=True,
              help="Counts due within this many days of the as-of date (overdue ones always).")
@click.option("--send", "send_mail", is_flag=True,
              help="E-mail each owner their list, through the [email] server of cyclekit.toml.")
@click.option("--dry-run", "dry_run", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Write each owner's reminder as a .eml file in DIR instead of sending it.")
@template_option
@config_option
@as_of_option
@reports_errors
def remind(schedule_file: Path, days: int, send_mail: bool, dry_run: Path | None, template: Path | None,
           config_path: Path | None, as_of: dt.date | None) -> None:
    """Who has counts overdue or due in the next days: a table, or one e-mail per owner.

    Overdue counts come first, the longest overdue at the top. Nothing is recorded: run it
    every morning from cron and each owner hears of what is due that day.

    \b
    Example:
      cyclekit remind workbooks/schedule.xlsx --days 3
      # cron, weekdays at 7:00 (crontab -e); smtp.env exports CYCLEKIT_SMTP_PASSWORD:
      0 7 * * 1-5  cd /srv/counts && . ./smtp.env && .venv/bin/cyclekit remind schedule.xlsx --send
    """
    report = Schedule(schedule_file, config=config_path).remind(days=days, as_of=as_of, send=send_mail,
                                                                dry_run=dry_run, template=template)
    overdue = sum(r.overdue for r in report.reminders)
    _say(f"{n(overdue, 'count')} overdue, {len(report.reminders) - overdue} due within {n(days, 'day')}.")
    if report.reminders and not (send_mail or dry_run):
        for line in _reminder_table(report.reminders):
            _say(line)
    for to in report.sent:
        _say(f"Reminded {to}")
    for path in report.drafts:
        _say(f"Wrote {path}")
    if report.no_address:
        click.echo(f"Warning: no owner e-mail in the schedule, not reminded: {some_of(report.no_address, 10)}",
                   err=True)
    for to, why in report.failed:
        click.echo(f"Not sent to {to}: {why}", err=True)
    _json_problems([Problem("not-sent", to, why) for to, why in report.failed])
    if report.failed:
        raise click.ClickException(f"{n(len(report.failed), 'reminder')} not sent")


def _warn(warnings: Iterable[str]) -> None:
    for warning in warnings:
        click.echo(f"Warning: {warning}", err=True)


def n(count: int, noun: str, plural: str | None = None) -> str:
    """'1 line', '2 lines': counts read as sentences."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def main() -> None:
    # A command builds hundreds of thousands of small objects that live until it ends; the
    # default thresholds re-scan them all again and again (a third of the run time at plant
    # scale). Collect far less often: cyclekit's data holds no reference cycles to reclaim.
    gc.set_threshold(200_000, 50, 100)
    cli(prog_name="cyclekit")
