"""Render a WorkbookSpec to .xlsx with xlsxwriter (atomically: temp file, then rename)."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
import xlsxwriter.exceptions
import xlsxwriter.workbook
from xlsxwriter.worksheet import Worksheet

from cyclekit.backends.spec import Cell, Formula, Range, Sheet, Style, WorkbookSpec, col_letter
from cyclekit.folder.atomic import atomic_path
from cyclekit.inputs.values import XML_ILLEGAL, excel_serial
from cyclekit.parallel import in_forked_copy, map_on_cores


class _FastZipFile(zipfile.ZipFile):
    """xlsxwriter zips at zlib's default level 6; level 1 zips a 50,000-line workbook about
    three times faster, for a file about a quarter bigger (xlsx parts are very repetitive)."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("compresslevel", 1)
        super().__init__(*args, **kwargs)


xlsxwriter.workbook.ZipFile = _FastZipFile  # the name xlsxwriter's _store_workbook opens its zip with

DEFAULT_FONT = {"font_name": "Calibri", "font_size": 11}
DEFAULT_DATE = Style(num_format="yyyy-mm-dd")
SMALL_WORKBOOK_ROWS = 5000  # up to this many rows a workbook is assembled in memory


class _Formats:
    """One xlsxwriter Format per distinct Style (xlsxwriter wants them shared)."""

    def __init__(self, book: xlsxwriter.Workbook):
        self.book = book
        self.cache: dict[Style, Any] = {}
        self.by_identity: dict[int, tuple[Style | None, Any]] = {}

    def get(self, style: Style | None) -> Any:
        # layouts share a few Style objects across many cells: look them up by identity first,
        # since hashing a dataclass per cell costs more than writing the cell
        hit = self.by_identity.get(id(style))
        if hit is not None and hit[0] is style:
            return hit[1]
        fmt = self._by_value(style)
        self.by_identity[id(style)] = (style, fmt)
        return fmt

    def _by_value(self, style: Style | None) -> Any:
        style = style or Style()
        if style not in self.cache:
            props: dict[str, Any] = dict(DEFAULT_FONT)
            if style.num_format:
                props["num_format"] = style.num_format
            if style.bold:
                props["bold"] = True
            if style.italic:
                props["italic"] = True
            if style.font_size:
                props["font_size"] = style.font_size
            if style.font_color:
                props["font_color"] = style.font_color
            if style.bg_color:
                props["bg_color"] = style.bg_color
                props["pattern"] = 1
            if style.align:
                props["align"] = style.align
            if style.valign:
                props["valign"] = style.valign
            if style.wrap:
                props["text_wrap"] = True
            if style.border:
                props["border"] = 1
            props["locked"] = style.locked
            self.cache[style] = self.book.add_format(props)
        return self.cache[style]

    def conditional(self, style: Style) -> Any:
        props: dict[str, Any] = {}
        if style.bg_color:
            props["bg_color"] = style.bg_color
        if style.font_color:
            props["font_color"] = style.font_color
        if style.bold:
            props["bold"] = True
        return self.book.add_format(props)


# functions a formula may use: all in Excel 2007, LibreOffice and Google Sheets alike
PORTABLE_FUNCTIONS = frozenset({"IF", "AND", "OR", "NOT", "ROUND", "ABS", "TODAY", "DATE", "ISNUMBER",
                                "SUM", "INT", "N", "LEFT", "EDATE", "WORKDAY"})


class _PortableWorksheet(Worksheet):
    """A worksheet for formulas that use only PORTABLE_FUNCTIONS.

    xlsxwriter runs some 30 regular expressions over every formula to prefix newer Excel
    functions with _xlfn.; none of ours needs that, and on a 200,000-line Variance tab it
    was most of the time spent writing.
    """

    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        return formula[1:] if formula.startswith("=") else formula

    def write_row_xml(self, row: int, cells: str, last_col: int, height: float | None = None) -> None:
        """Write one finished <row> of cell XML (see `_cell_xml`) straight to the sheet's stream.

        Per-cell calls into xlsxwriter cost about 25 microseconds each, most of a big tab's
        time; a row built as one string costs a few. Works in constant_memory mode only: the
        pending row is flushed first, and the dimensions are kept as xlsxwriter keeps them.
        """
        if row > self.previous_row:
            self._write_single_row(row)
        self._check_dimensions(row, 0)
        self._check_dimensions(row, last_col)
        size = f' ht="{height}" customHeight="1"' if height else ""
        self.fh.write(f'<row r="{row + 1}"{size}>{cells}</row>')

    def write_rows_xml(self, first_row: int, last_row: int, last_col: int, rows: str) -> None:
        """Write finished <row> elements of rows first_row..last_row (made elsewhere) to the stream."""
        if first_row > self.previous_row:
            self._write_single_row(first_row)
        self._check_dimensions(first_row, 0)
        self._check_dimensions(last_row, last_col)
        self.fh.write(rows)
        self.previous_row = last_row  # nothing of it is pending: the rows are written whole


class _InMemoryRowsWorksheet(_PortableWorksheet):
    """Rows streamed to a string in memory instead of a temp file: for small workbooks, where
    making, reopening and deleting a temp file per sheet costs more than writing the rows."""

    def _initialize(self, init_data: dict) -> None:
        super()._initialize({**init_data, "constant_memory": False})  # no temp file made
        self.constant_memory = True
        self.row_data_fh = self.fh = io.StringIO()

    def _opt_close(self) -> None:
        pass  # nothing to close: the rows stay in memory until the sheet is assembled

    def _opt_reopen(self) -> None:
        self.fh = self.row_data_fh

    def _write_optimized_sheet_data(self) -> None:
        if self.dim_rowmin is None:
            self._xml_empty_tag("sheetData")
        else:
            self._xml_start_tag("sheetData")
            self.fh.write(self.row_data_fh.getvalue())
            self._xml_end_tag("sheetData")


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
# what XML cannot hold even escaped: removed from cell text (C0 controls are escaped as Excel does)
_UNESCAPABLE = re.compile("[\ud800-\udfff\ufffe\uffff]")


def _header_footer(text: str) -> str:
    """A page header or footer as Excel holds it: at most 255 characters (xlsxwriter drops a longer
    one whole), cut before a control code it would split."""
    text = _xml_safe(text)
    return text if len(text) <= 255 else text[:255].rstrip("&")


def _xml_safe(value: Any) -> Any:
    """Text for xlsxwriter, with the characters XML cannot hold removed (anything else as is)."""
    if isinstance(value, str):
        return XML_ILLEGAL.sub("", value)  # from tab names, properties, headers, messages, titles
    if isinstance(value, dict):
        return {key: _xml_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_xml_safe(item) for item in value)
    return value
_ESCAPE_LOOKALIKE = re.compile("(_x[0-9a-fA-F]{4}_)")
_XML_SPECIAL = re.compile("[&<>]")


def _xml_text(text: str) -> str:
    """Escaped as Excel and xlsxwriter escape cell text (control characters as _xHHHH_)."""
    if _UNESCAPABLE.search(text):
        text = _UNESCAPABLE.sub("", text)
    if _CONTROL.search(text) or "_x" in text:
        text = _ESCAPE_LOOKALIKE.sub(r"_x005F\1", text)
        text = _CONTROL.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)
    if _XML_SPECIAL.search(text):
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def _cell_xml(ref: str, xf: int, value: Any) -> str:
    style = f' s="{xf}"' if xf else ""
    if value is None or value == "":
        return f'<c r="{ref}"{style}/>' if xf else ""
    kind = type(value)
    if kind is str:
        space = ' xml:space="preserve"' if value[:1].isspace() or value[-1:].isspace() else ""
        return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{_xml_text(value)}</t></is></c>'
    if kind is Formula:
        return _formula_xml(ref, style, value)
    if kind is bool:
        return f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, dt.datetime):
        value = excel_serial(value.date()) + (value - dt.datetime.combine(value.date(), dt.time())).seconds / 86400
    elif isinstance(value, dt.date):
        value = excel_serial(value)
    return f'<c r="{ref}"{style}><v>{float(value):.16G}</v></c>'


def _formula_xml(ref: str, style: str, formula: Formula) -> str:
    """A formula cell with its cached value, so readers without a calc engine see the result.

    style: the cell's ' s="N"' attribute, or "".
    """
    expr = formula.expr[1:] if formula.expr[:1] == "=" else formula.expr
    if "&" in expr or "<" in expr or ">" in expr:  # the formulas are ours: no control characters
        expr = expr.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    cached = _cached(formula.value)
    kind = type(cached)
    if kind is str:
        typed = ' t="str"' if cached else ""
        return f'<c r="{ref}"{style}{typed}><f>{expr}</f><v>{_xml_text(cached)}</v></c>'
    if kind is bool:
        return f'<c r="{ref}"{style} t="b"><f>{expr}</f><v>{int(cached)}</v></c>'
    return f'<c r="{ref}"{style}><f>{expr}</f><v>{float(cached):.16G}</v></c>'


def _cached(value: Any) -> Any:
    if isinstance(value, dt.date):
        return excel_serial(value)
    if isinstance(value, Decimal):
        return float(value)
    if value is None:
        return ""
    return value


def _cells(r: Range) -> tuple[int, int, int, int]:
    return r.first_row, r.first_col, r.last_row, r.last_col


def _with_merges(values: Any, merged: list) -> list:
    """The row with each merged area filled in: its value top left, styled blanks after it."""
    row = list(values)
    for area, value in merged:
        style = value.style if isinstance(value, Cell) else None
        raw = value.value if isinstance(value, Cell) else value
        if len(row) <= area.last_col:
            row.extend([None] * (area.last_col + 1 - len(row)))
        row[area.first_col] = Cell(raw, style or Style())
        for col in range(area.first_col + 1, area.last_col + 1):
            row[col] = Cell(None, style or Style())
    return row


class _RowCells:
    """The cell XML of a sheet's rows, one string per row (see `write_row_xml`)."""

    def __init__(self, formats: _Formats, sheet: Sheet):
        self.formats = formats
        self.columns = sheet.columns
        self.refs: list[str] = []
        self.column_xf = [formats.get(c.style)._get_xf_index() for c in sheet.columns]
        self.xf_attr = [f' s="{xf}"' if xf else "" for xf in self.column_xf]  # per column; "" past the last
        self.texts: dict[str, str] = {}  # cell text -> its escaped XML: a value on 50,000 lines is escaped once
        self.date_xf = formats.get(DEFAULT_DATE)._get_xf_index()

    def register_styles(self, rows: list) -> None:
        """Give every style in these rows its format index now, before a copy of the process
        writes them: an index given out in the copy would be unknown to the workbook."""
        for values in rows:
            for value in values:
                if type(value) is Cell and value.style is not None:
                    self.formats.get(value.style)._get_xf_index()

    def __call__(self, r: int, values: Any) -> str:
        number = str(r + 1)
        refs, xf_attr, texts = self.refs, self.xf_attr, self.texts
        while len(refs) < len(values):
            refs.append(col_letter(len(refs)))
        while len(xf_attr) < len(values):
            xf_attr.append("")
        parts = []
        for c, value in enumerate(values):
            kind = type(value)
            if kind is str and not value:
                if xf_attr[c]:  # a styled blank keeps its column's format for whoever types there
                    parts.append(f'<c r="{refs[c]}{number}"{xf_attr[c]}/>')
                continue
            if kind is str:
                text = texts.get(value)
                if text is None:
                    space = ' xml:space="preserve"' if value[:1].isspace() or value[-1:].isspace() else ""
                    text = texts[value] = f' t="inlineStr"><is><t{space}>{_xml_text(value)}</t></is></c>'
                parts.append(f'<c r="{refs[c]}{number}"{xf_attr[c]}{text}')
                continue
            if kind is Decimal or kind is int or kind is float:
                parts.append(f'<c r="{refs[c]}{number}"{xf_attr[c]}><v>{float(value):.16G}</v></c>')
                continue
            if kind is Formula:
                parts.append(_formula_xml(f"{refs[c]}{number}", xf_attr[c], value))
                continue
            style = None
            if kind is Cell:
                style, value = value.style, value.value
            elif value is None:
                continue  # an empty cell stays unformatted (a Cell(None, style) is a styled blank)
            if style is None:
                xf = self.column_xf[c] if c < len(self.column_xf) else 0
                style = self.columns[c].style if c < len(self.columns) else None
            else:
                xf = self.formats.get(style)._get_xf_index()
            if isinstance(value, dt.date) and not (style and style.num_format):
                xf = self.date_xf  # a date with no format of its own shows as a date, as write_datetime does
            parts.append(_cell_xml(refs[c] + number, xf, value))
        return "".join(parts)

    def rows_xml(self, rows: list, first: int, heights: dict[int, float]) -> Iterator[str]:
        """<row> elements of rows without merged areas, numbered from `first`."""
        for r, values in enumerate(rows, start=first):
            if values:
                height = heights.get(r)
                size = f' ht="{height}" customHeight="1"' if height else ""
                yield f'<row r="{r + 1}"{size}>{self(r, values)}</row>'


PARALLEL_ROWS = 20_000  # a sheet with more rows than this writes its second half in a copy of the process


def _second_half_elsewhere(cells: _RowCells, sheet: Sheet, merges: dict[int, list]) -> tuple[int, Callable] | None:
    """Start writing the rows of the sheet's second half in a forked copy of the process.

    Rows with merged areas stay here; a height of an empty row (set_row) too. Returns the first
    row it took and a function that waits for it, or None when the sheet is small or the second
    half has such rows.
    """
    rows = sheet.rows
    if len(rows) < PARALLEL_ROWS:
        return None
    split = len(rows) // 2
    if any(r >= split for r in merges) or any(r >= len(rows) or not rows[r] for r in sheet.row_heights
                                              if r >= split):
        return None
    cells.register_styles(rows[split:])
    wait = in_forked_copy(lambda: cells.rows_xml(rows[split:], split, sheet.row_heights))
    return None if wait is None else (split, wait)


def _render_sheet(book: xlsxwriter.Workbook, formats: _Formats, sheet: Sheet) -> Callable[[], None] | None:
    """Write the sheet; for a big one, returns a function that finishes it (call before closing the book)."""
    ws = book.add_worksheet(_xml_safe(sheet.name), worksheet_class=_InMemoryRowsWorksheet if book.in_memory
                            else _PortableWorksheet)
    for index, column in enumerate(sheet.columns):
        ws.set_column(index, index, column.width)
    # constant_memory mode flushes each row as the next begins: heights, cells and merges are
    # written row by row, in order (merges must sit on one row)
    merges: dict[int, list] = {}
    for area, value in sheet.merges:
        merges.setdefault(area.first_row, []).append((area, value))
    last_row = max([len(sheet.rows) - 1, *merges, *sheet.row_heights])
    cells = _RowCells(formats, sheet)
    elsewhere = None if book.in_memory else _second_half_elsewhere(cells, sheet, merges)
    for r in range(elsewhere[0] if elsewhere else last_row + 1):
        values = sheet.rows[r] if r < len(sheet.rows) else ()
        if r in merges:
            values = _with_merges(values, merges[r])
            for area, _ in merges[r]:
                ws.merge.append(list(_cells(area)))  # what merge_range records, minus its per-cell checks
        if not values:
            if r in sheet.row_heights:
                ws.set_row(r, sheet.row_heights[r])
            continue
        # one string per row, straight into the sheet's stream
        ws.write_row_xml(r, cells(r, values), len(values) - 1, sheet.row_heights.get(r))
    finish = None
    if elsewhere:
        split, wait = elsewhere
        rest = sheet.rows[split:]

        def finish() -> None:
            xml = wait()
            if xml is None:  # the copy failed: write the rows here (and meet its error, if any)
                xml = "".join(cells.rows_xml(rest, split, sheet.row_heights))
            ws.write_rows_xml(split, last_row, max(map(len, rest)) - 1, xml)

    if sheet.freeze:
        ws.freeze_panes(*sheet.freeze)
    if sheet.autofilter:
        ws.autofilter(*_cells(sheet.autofilter))
    for v in sheet.validations:
        options: dict[str, Any] = {"ignore_blank": v.ignore_blank}
        if v.kind == "list":
            options.update(validate="list", source=v.source or list(v.choices))
        elif v.kind in ("decimal", "whole"):
            options.update(validate=v.kind, criteria=">=", value=v.minimum or 0)
        elif v.kind == "date":
            options.update(validate="date", criteria=">=", value=dt.date(1900, 1, 1))
        if v.input_title or v.input_message:
            options.update(input_title=v.input_title[:32], input_message=v.input_message[:255])
        if v.error_message:
            options.update(error_title=(v.error_title or "Not allowed")[:32],
                           error_message=v.error_message[:255])
        ws.data_validation(*_cells(v.range), _xml_safe(options))
    for cf in sheet.conditional_formats:
        ws.conditional_format(*_cells(cf.range), {
            "type": "formula", "criteria": cf.formula, "format": formats.conditional(cf.style)})
    for bar in sheet.data_bars:
        ws.conditional_format(*_cells(bar.range), {"type": "data_bar", "bar_color": bar.color})
    for chart in sheet.charts:
        _add_chart(book, ws, sheet, chart)
    if sheet.protect:
        ws.protect("", {"autofilter": True, "format_columns": True, "format_rows": True,
                        "select_locked_cells": True, "select_unlocked_cells": True})
    if sheet.hidden:
        ws.hide()
    if sheet.tab_color:
        ws.set_tab_color(sheet.tab_color)
    setup = sheet.print_setup
    if setup:
        ws.set_landscape() if setup.landscape else ws.set_portrait()
        ws.set_paper(setup.paper)
        ws.fit_to_pages(setup.fit_width, setup.fit_height)
        if setup.repeat_rows:
            ws.repeat_rows(*setup.repeat_rows)
        if setup.repeat_columns:
            ws.repeat_columns(*setup.repeat_columns)
        if setup.header:
            ws.set_header(_header_footer(setup.header))
        if setup.footer:
            ws.set_footer(_header_footer(setup.footer))
        if setup.gridlines:
            ws.hide_gridlines(0)
        left, right, top, bottom = setup.margins
        ws.set_margins(left=left, right=right, top=top, bottom=bottom)
        if setup.center_horizontally:
            ws.center_horizontally()
        if setup.area:
            ws.print_area(*_cells(setup.area))
    return finish


def _add_chart(book: xlsxwriter.Workbook, ws: Any, sheet: Sheet, chart: Any) -> None:
    main = book.add_chart({"type": chart.kind})
    extra = None
    for series in chart.series:
        source = _xml_safe(series.sheet or sheet.name)
        options: dict[str, Any] = {
            "name": _xml_safe(series.name),
            "categories": [source, *_cells(series.categories)],
            "values": [source, *_cells(series.values)],
        }
        if chart.gap is not None and (series.kind or chart.kind) in ("bar", "column"):
            options["gap"] = chart.gap
        if series.color:
            key = "line" if (series.kind or chart.kind) == "line" else "fill"
            options[key] = {"color": series.color}
            if key == "line":
                options["line"]["width"] = 2.25
        if series.kind and series.kind != chart.kind:
            extra = extra or book.add_chart({"type": series.kind})
            extra.add_series(options)
        else:
            main.add_series(options)
    if extra is not None:
        main.combine(extra)
    main.set_title({"name": _xml_safe(chart.title)})
    categories: dict[str, Any] = {"name": _xml_safe(chart.x_title)} if chart.x_title else {}
    if chart.x_date_format:
        categories.update(date_axis=True, num_format=chart.x_date_format, num_font={"rotation": -45})
    if chart.label_low:
        categories["label_position"] = "low"
    if chart.reverse_categories:
        categories["reverse"] = True
    values: dict[str, Any] = {"name": _xml_safe(chart.y_title)} if chart.y_title else {}
    if chart.y_format:
        values["num_format"] = chart.y_format
    # xlsxwriter's x axis is the category axis, except in a bar chart, where it is the (horizontal)
    # value axis: the spec speaks of categories and values, whatever way the bars run
    if chart.kind == "bar":
        main.set_x_axis(values)
        main.set_y_axis(categories)
    else:
        main.set_x_axis(categories)
        main.set_y_axis(values)
    main.set_legend({"position": "bottom"})
    main.set_size({"width": chart.width, "height": chart.height})
    ws.insert_chart(chart.anchor_row, chart.anchor_col, main)


def render_many(jobs: list[tuple[WorkbookSpec | Callable[[], WorkbookSpec], Path]], atomic: bool = True,
                label: str = "Writing workbooks") -> list[Path]:
    """Render several workbooks, on every core when there are enough to be worth a process each.

    A job's spec may be a function that lays the workbook out: it then runs in the worker, and
    only its (smaller) arguments travel between processes.

    atomic=False writes each file in place: for files in a folder that is itself renamed into
    place when complete, where a temp file and a rename per file only cost time.
    """
    return map_on_cores(_render_job, [(spec, path, atomic) for spec, path in jobs], label)


def render_later(jobs: list[tuple[WorkbookSpec | Callable[[], WorkbookSpec], Path]],
                 atomic: bool = True) -> Callable[[], list[Path]]:
    """Start rendering in another process; the returned function waits and gives the paths.

    On a single core the rendering happens when the function is called.
    """
    import os

    from cyclekit.parallel import worker_pool

    if not jobs or (os.cpu_count() or 1) < 2:
        return lambda: [_render_job((spec, path, atomic)) for spec, path in jobs]
    pool = worker_pool(1)  # ends with this process
    future = pool.submit(_render_all, [(spec, path, atomic) for spec, path in jobs])

    def wait() -> list[Path]:
        try:
            return future.result()
        finally:
            pool.shutdown()

    return wait


def _render_all(jobs: list[tuple[WorkbookSpec | Callable[[], WorkbookSpec], Path, bool]]) -> list[Path]:
    return [_render_job(job) for job in jobs]


def _render_job(job: tuple[WorkbookSpec, Path, bool]) -> Path:
    spec, path, atomic = job
    return render_xlsx(spec() if callable(spec) else spec, path, atomic=atomic)


def _drop_zip(error: OSError) -> None:
    """Close the zip a failed write left open, quietly: left to the garbage collector, it would
    try to write again and print a traceback (the disk is still full) after the one-line error."""
    tb = error.__traceback__
    while tb is not None:
        for value in list(tb.tb_frame.f_locals.values()):
            if isinstance(value, zipfile.ZipFile) and value.fp is not None:
                fp, value.fp = value.fp, None
                try:
                    fp.close()
                except OSError:
                    pass
        tb = tb.tb_next


def render_xlsx(spec: WorkbookSpec, path: Path | str, atomic: bool = True) -> Path:
    path = Path(path)
    if not atomic:
        path.parent.mkdir(parents=True, exist_ok=True)
    with (atomic_path(path) if atomic else nullcontext(path)) as tmp:
        book = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_numbers": False,
                                              "strings_to_formulas": False,
                                              "strings_to_urls": False})
        if sum(len(sheet.rows) for sheet in spec.sheets) <= SMALL_WORKBOOK_ROWS:
            # assemble the XML parts in memory: on disk each part is a temp file made, written,
            # zipped and removed, which is most of the time a small count sheet takes
            book.in_memory = True
        book.set_properties(_xml_safe({"title": spec.title, "subject": spec.subject, "author": "cyclekit"}))
        book.set_calc_mode("auto")
        formats = _Formats(book)
        finishes = []
        try:
            for sheet in spec.sheets:
                finishes.append(_render_sheet(book, formats, sheet))
        finally:  # big sheets' second halves, written meanwhile (waited for even after an error)
            for finish in filter(None, finishes):
                finish()
        for name, ref in spec.defined_names.items():
            book.define_name(_xml_safe(name), _xml_safe(ref))
        try:
            book.close()
        except xlsxwriter.exceptions.FileCreateError as exc:  # the OSError in it (disk full...) is the news
            cause = exc.args[0] if exc.args else None
            if isinstance(cause, OSError):
                _drop_zip(cause)
                raise cause from None
            raise
    return path
