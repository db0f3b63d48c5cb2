"""Render a WorkbookSpec to .xlsx with xlsxwriter (atomically: temp file, then rename)."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
import xlsxwriter.exceptions

from cyclekit.atomic import atomic_path
from cyclekit.backends.spec import (
    Cell,
    CellValue,
    Formula,
    LazyRows,
    PrintSetup,
    Range,
    Sheet,
    Style,
    Validation,
    WorkbookSpec,
    col_letter,
)
from cyclekit.backends.xlsxwriter_internals import (
    FastZipWorkbook,
    InMemoryRowsWorksheet,
    StreamedRowsWorksheet,
    xf_index,
)
from cyclekit.domain.values import XML_ILLEGAL, excel_serial
from cyclekit.parallel import in_background, in_forked_copy, map_on_cores

DEFAULT_FONT = {"font_name": "Calibri", "font_size": 11}
DEFAULT_DATE = Style(num_format="yyyy-mm-dd")
SMALL_WORKBOOK_ROWS = 5000  # up to this many rows a workbook is assembled in memory
MEMO_ITEMS = 100_000  # texts, and numbers, remembered as XML, at most (then forgotten, begun again)


class _Formats:
    """One xlsxwriter Format per distinct Style (xlsxwriter wants them shared)."""

    def __init__(self, book: FastZipWorkbook):
        self.book = book
        self.cache: dict[Style, Any] = {}
        self.by_identity: dict[int, tuple[Style | None, Any]] = {}
        self.made: list[tuple[bool, Style, Any]] = []  # (conditional?, style, format), in the order made

    def identity(self) -> tuple[tuple[bool, str, int | None, int | None], ...]:
        """What the workbook's styles part is made of: every format, in order, with the indices
        xlsxwriter gave it (the workbook's other formats are its defaults, the same in every one).
        A style by its repr: font size 9 and 9.0 are equal Styles but written as "9" and "9.0"."""
        return tuple((conditional, repr(style), fmt.xf_index, fmt.dxf_index) for conditional, style, fmt in self.made)

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
            if style.indent:
                props["indent"] = style.indent
            props["locked"] = style.locked
            self.cache[style] = self.book.add_format_once(props)
            self.made.append((False, style, self.cache[style]))
        return self.cache[style]

    def conditional(self, style: Style) -> Any:
        props: dict[str, Any] = {}
        if style.bg_color:
            props["bg_color"] = style.bg_color
        if style.font_color:
            props["font_color"] = style.font_color
        if style.bold:
            props["bold"] = True
        fmt = self.book.add_format_once(props)
        self.made.append((True, style, fmt))
        return fmt


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


def _style_attr(xf: int) -> str:
    return f' s="{xf}"' if xf else ""


def _cell_xml(ref: str, xf: int, value: Any) -> str:
    style = _style_attr(xf)
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


def _with_merges(values: Sequence[CellValue], merged: list[tuple[Range, CellValue]]) -> list[CellValue]:
    """The row with each merged area filled in: its value top left, styled blanks after it."""
    row: list[CellValue] = list(values)
    for area, value in merged:
        style = value.style if isinstance(value, Cell) else None
        raw = value.value if isinstance(value, Cell) else value
        if len(row) <= area.last_col:
            row.extend([None] * (area.last_col + 1 - len(row)))
        row[area.first_col] = Cell(raw, style or Style())
        for col in range(area.first_col + 1, area.last_col + 1):
            row[col] = Cell(None, style or Style())
    return row


# cell text -> its escaped text, and a (non-zero) number -> its <v>: kept for the whole process,
# as the same values come back tab after tab and sheet after sheet (lines, units, locations)
_TEXTS: dict[str, str] = {}
_NUMBERS: dict[Any, str] = {}
_FORMULA_TEXTS: dict[str, tuple[str, str]] = {}  # a formula's text value -> its type attribute, its <v>


def _formula_text(value: str) -> tuple[str, str]:
    """The type attribute and <v> of a formula's text value, as `_formula_xml` writes them."""
    if len(_FORMULA_TEXTS) >= MEMO_ITEMS:
        _FORMULA_TEXTS.clear()
    known = _FORMULA_TEXTS[value] = (' t="str"' if value else "", f"<v>{_xml_text(value)}</v></c>")
    return known


class _RowCells:
    """The cell XML of a sheet's rows, one string per row (see `write_rows_xml`).

    Pickles without the workbook: a worker given it knows the style numbers of the styles
    registered (`register_styles`) before it was pickled."""

    def __init__(self, formats: _Formats, sheet: Sheet):
        self.formats: _Formats | None = formats
        self.registered: dict[Style, int] = {}  # filled when pickled, for a worker without the workbook
        self.columns = sheet.columns
        self.column_xf = [xf_index(formats.get(c.style)) for c in sheet.columns]
        # a cell is head + row number + tail + body: '<c r="B' '7' '" s="3"' '><v>1</v></c>'
        self.heads: list[str] = []
        self.tails = [f'"{_style_attr(xf)}' for xf in self.column_xf]  # '"' past the last column
        self.date_xf = xf_index(formats.get(DEFAULT_DATE))
        self.texts, self.numbers = _TEXTS, _NUMBERS
        self.styles: dict[int, tuple[Style, int, str]] = {}  # id(style) -> the style, its number, its tail

    def register_styles(self, rows: Sequence[list[CellValue]]) -> None:
        """Give every style in these rows its format index now, before another process writes
        them: an index given out there would be unknown to the workbook (rows laid out as they
        are read name their styles: they are not laid out here for it)."""
        if isinstance(rows, LazyRows):
            for style in rows.styles:
                self._xf(style)
            return
        for values in rows:
            for value in values:
                if type(value) is Cell and value.style is not None:
                    self._xf(value.style)

    def __getstate__(self) -> dict[str, Any]:
        assert self.formats is not None
        registered = {style: xf_index(fmt) for style, fmt in self.formats.cache.items()}
        return {**self.__dict__, "formats": None, "registered": registered, "texts": None, "numbers": None,
                "styles": {}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, texts=_TEXTS, numbers=_NUMBERS)  # the memory of the process it is in

    def _xf(self, style: Style) -> int:
        if self.formats is None:
            return self.registered[style]
        return xf_index(self.formats.get(style))

    def _grow(self, width: int) -> None:
        while len(self.heads) < width:
            self.heads.append(f'<c r="{col_letter(len(self.heads))}')
        while len(self.tails) < width:
            self.tails.append('"')

    def __call__(self, r: int, values: Sequence[Any]) -> str:  # Any: dispatched on type() for speed
        if len(self.heads) < len(values):
            self._grow(len(values))
        number = str(r + 1)
        heads, tails, texts, numbers, styles = self.heads, self.tails, self.texts, self.numbers, self.styles
        parts = []
        for c, value in enumerate(values):
            kind = type(value)
            if kind is str:
                if value:
                    text = texts.get(value)
                    if text is None:
                        parts.append(f"{heads[c]}{number}{tails[c]}{self._text(value)}")
                    else:
                        parts.append(f'{heads[c]}{number}{tails[c]} t="inlineStr"><is><t>{text}</t></is></c>')
                elif tails[c] != '"':  # a styled blank keeps its column's format for whoever types there
                    parts.append(f"{heads[c]}{number}{tails[c]}/>")
            elif kind is Decimal or kind is int or kind is float:
                parts.append(f"{heads[c]}{number}{tails[c]}>{numbers.get(value) or self._number(value)}")
            elif kind is Cell:
                style = value.style
                hit = styles.get(id(style))
                if hit is None or hit[0] is not style:  # also a Cell without a style of its own
                    parts.append(self._cell(c, f"{heads[c]}{number}", value))
                    continue
                inner = value.value
                kind = type(inner)
                if inner is None:  # a styled blank, the commonest Cell
                    if hit[1]:
                        parts.append(f"{heads[c]}{number}{hit[2]}/>")
                elif kind is str and inner:
                    parts.append(f"{heads[c]}{number}{hit[2]}{self._text(inner)}")
                elif kind is Decimal or kind is int or kind is float:
                    parts.append(f"{heads[c]}{number}{hit[2]}>{numbers.get(inner) or self._number(inner)}")
                else:
                    parts.append(self._cell(c, f"{heads[c]}{number}", value))
            elif kind is Formula:
                parts.append(self._formula(f"{heads[c]}{number}", tails[c], value))
            elif value is not None:  # an empty cell stays unformatted (a Cell(None, style) is a styled blank)
                parts.append(self._other(c, f"{heads[c]}{number}", value))
        return "".join(parts)

    def _text(self, value: str) -> str:
        """A text's XML after its cell's style. Its escaped text is remembered (a value on 50,000
        lines is escaped once), as the text itself when nothing needed escaping: no more memory
        than the entry. A text with a space at either end is not remembered (rare)."""
        text = self.texts.get(value)
        if text is not None:
            return f' t="inlineStr"><is><t>{text}</t></is></c>'
        text = _xml_text(value)
        if value[:1].isspace() or value[-1:].isspace():
            return f' t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
        if len(self.texts) >= MEMO_ITEMS:
            self.texts.clear()
        self.texts[value] = text
        return f' t="inlineStr"><is><t>{text}</t></is></c>'

    def _number(self, value: Any) -> str:
        """A number's <v>, remembered except zero (0 and -0 are equal keys but read "0" and "-0")."""
        text = f"<v>{float(value):.16G}</v></c>"
        if value:
            if len(self.numbers) >= MEMO_ITEMS:
                self.numbers.clear()
            self.numbers[value] = text
        return text

    def _formula(self, head: str, tail: str, formula: Formula) -> str:
        """A formula cell with its cached value (as `_formula_xml` writes it, numbers and texts here)."""
        expr = formula.expr[1:] if formula.expr[:1] == "=" else formula.expr
        if "&" in expr or "<" in expr or ">" in expr:  # the formulas are ours: no control characters
            expr = expr.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        cached = formula.value
        kind = type(cached)
        if kind is Decimal or kind is int or kind is float:
            return f"{head}{tail}><f>{expr}</f>{self.numbers.get(cached) or self._number(cached)}"
        if kind is str:
            typed, text = _FORMULA_TEXTS.get(cached) or _formula_text(cached)
            return f"{head}{tail}{typed}><f>{expr}</f>{text}"
        return _formula_xml(head[6:], tail[1:], formula)

    def _style(self, style: Style) -> tuple[Style, int, str]:
        """A cell style's number and tail ('" s="N"'), memoised by identity."""
        hit = self.styles.get(id(style))
        if hit is None or hit[0] is not style:
            xf = self._xf(style)
            hit = self.styles[id(style)] = (style, xf, f'"{_style_attr(xf)}')
        return hit

    def _cell(self, c: int, head: str, cell: Cell) -> str:
        """A Cell: its value with its own style, or its column's when it has none."""
        style, value = cell.style, cell.value
        if style is None:
            return self._other(c, head, value)
        _, xf, tail = self._style(style)
        kind = type(value)
        if value is None or (kind is str and not value):
            return f"{head}{tail}/>" if xf else ""
        if kind is str:
            return f"{head}{tail}{self._text(value)}"
        if kind is Decimal or kind is int or kind is float:
            return f"{head}{tail}>{self.numbers.get(value) or self._number(value)}"
        if isinstance(value, dt.date) and not style.num_format:
            xf = self.date_xf  # a date with no format of its own shows as a date, as write_datetime does
        return _cell_xml(head[6:], xf, value)

    def _other(self, c: int, head: str, value: Any) -> str:
        """A date, a bool or anything else outside a Cell, with its column's style."""
        xf = self.column_xf[c] if c < len(self.column_xf) else 0
        style = self.columns[c].style if c < len(self.columns) else None
        if isinstance(value, dt.date) and not (style and style.num_format):
            xf = self.date_xf  # a date with no format of its own shows as a date, as write_datetime does
        return _cell_xml(head[6:], xf, value)

    def row_xml(self, r: int, values: Sequence[CellValue], height: float | None) -> str:
        """The <row> element of row r; a row with no cells but a height is written for its height."""
        size = f' ht="{height}" customHeight="1"' if height else ""
        return f'<row r="{r + 1}"{size}>{self(r, values)}</row>' if values else f'<row r="{r + 1}"{size}/>'

    def rows_xml(self, rows: list[list[CellValue]], first: int, heights: dict[int, float]) -> Iterator[str]:
        """<row> elements of rows without merged areas, numbered from `first`."""
        for r, values in enumerate(rows, start=first):
            if values:
                yield self.row_xml(r, values, heights.get(r))


PARALLEL_ROWS = 20_000  # a sheet with more rows than this writes its second half in a copy of the process
ROWS_PER_WRITE = 1000  # rows joined into one string per write to the sheet's stream
COPY_CHARS = 1 << 20  # characters of rows written elsewhere copied into the sheet at a time


def _second_half_elsewhere(cells: _RowCells, sheet: Sheet, merges: dict[int, list[tuple[Range, CellValue]]]
                           ) -> tuple[int, Callable[[], str | None], str] | None:
    """Start laying out the rows of the sheet's second half in another process (a copy of this one
    when it can be made safely, else a worker given the rows pickled: see in_forked_copy).

    Rows with merged areas stay here; a height of an empty row too. Returns the first row it
    took, a function that waits for it (giving the widest row's last column, as text) and the
    file the rows' XML goes to; None when the sheet is small or the second half has such rows.
    """
    rows = sheet.rows
    if len(rows) < PARALLEL_ROWS:
        return None
    split = len(rows) // 2
    if any(r >= split for r in merges) or any(r >= len(rows) or not rows[r] for r in sheet.row_heights
                                              if r >= split):
        return None
    cells.register_styles(rows[split:])
    # the XML goes to a file of its own, copied into the sheet piece by piece: handed back whole,
    # half a 50,000-row tab's XML was held twice (bytes, then text) on top of everything else
    fd, path = tempfile.mkstemp(prefix="cyclekit-", suffix=".rows")
    os.close(fd)
    wait = in_forked_copy(functools.partial(_rows_to_file, cells, rows[split:], split, sheet.row_heights, path))
    if wait is None:
        os.unlink(path)
        return None
    return split, wait, path


def _rows_to_file(cells: _RowCells, rows: Sequence[list[CellValue]], first: int, heights: dict[int, float],
                  path: str) -> list[str]:
    """The <row> elements of these rows written to the file; gives the widest row's last column."""
    widest = -1  # as max(map(len, rows)) - 1 of rows all empty
    with open(path, "w", encoding="utf-8") as out:
        for r, values in enumerate(rows, start=first):
            if values:
                out.write(cells.row_xml(r, values, heights.get(r)))
                widest = max(widest, len(values) - 1)
    return [str(widest)]


def _copy_rows(ws: StreamedRowsWorksheet, first: int, last: int, widest: int, path: str) -> None:
    """Rows first..last, written as XML to the file, into the sheet's stream a piece at a time."""
    ws.write_rows_xml(first, last, widest, "")
    with open(path, encoding="utf-8") as rows:
        shutil.copyfileobj(rows, ws.fh, COPY_CHARS)


def _render_sheet(book: xlsxwriter.Workbook, formats: _Formats, sheet: Sheet,
                  in_memory: bool) -> Callable[[], None] | None:
    """Write the sheet; for a big one, returns a function that finishes it (call before closing the book)."""
    ws = book.add_worksheet(_xml_safe(sheet.name),
                            worksheet_class=InMemoryRowsWorksheet if in_memory else StreamedRowsWorksheet)
    for index, column in enumerate(sheet.columns):
        ws.set_column(index, index, column.width)
    finish = _write_rows(ws, formats, sheet, in_memory)
    if sheet.freeze:
        ws.freeze_panes(*sheet.freeze)
    if sheet.autofilter:
        ws.autofilter(*_cells(sheet.autofilter))
    _add_rules(ws, formats, sheet)
    for chart in sheet.charts:
        _add_chart(book, ws, sheet, chart)
    if sheet.protect:
        ws.protect("", {"autofilter": True, "format_columns": True, "format_rows": True,
                        "select_locked_cells": True, "select_unlocked_cells": True})
    if sheet.hidden:
        ws.hide()
    if sheet.tab_color:
        ws.set_tab_color(sheet.tab_color)
    if sheet.print_setup:
        _set_up_printing(ws, sheet.print_setup)
    return finish


def _write_rows(ws: StreamedRowsWorksheet, formats: _Formats, sheet: Sheet,
                in_memory: bool) -> Callable[[], None] | None:
    """The sheet's rows, in order; for a big sheet the second half is laid out meanwhile in a copy
    of the process, and the function returned writes it (None when all is written)."""
    # constant_memory mode streams the rows in order: heights, cells and merges are written in
    # the order of the rows (merges must sit on one row)
    merges: dict[int, list[tuple[Range, CellValue]]] = {}
    for area, value in sheet.merges:
        merges.setdefault(area.first_row, []).append((area, value))
    last_row = max([len(sheet.rows) - 1, *merges, *sheet.row_heights])
    cells = _RowCells(formats, sheet)
    elsewhere = None if in_memory else _second_half_elsewhere(cells, sheet, merges)
    end = elsewhere[0] if elsewhere else last_row + 1
    for start in range(0, end, ROWS_PER_WRITE):
        _write_some_rows(ws, cells, sheet, merges, start, min(start + ROWS_PER_WRITE, end))
    if not elsewhere:
        return None
    split, wait, path = elsewhere

    def finish() -> None:
        try:
            widest = wait()
            if widest is None:  # the copy failed: write the rows here (and meet its error, if any)
                widest = _rows_to_file(cells, sheet.rows[split:], split, sheet.row_heights, path)[0]
            _copy_rows(ws, split, last_row, int(widest), path)
        finally:
            os.unlink(path)

    return finish


def _write_some_rows(ws: StreamedRowsWorksheet, cells: _RowCells, sheet: Sheet,
                     merges: dict[int, list[tuple[Range, CellValue]]], start: int, stop: int) -> None:
    """Rows start..stop-1 into the sheet's stream in one write (a write per row costs more than
    its cells); a row with merged areas gets them, an empty row with a height is written for it."""
    heights = sheet.row_heights
    xml: list[str] = []
    first = last = widest = 0
    # a slice, not an index per row: rows laid out as they are read are laid out a slice at a time
    for r, values in zip(range(start, stop), itertools.chain(sheet.rows[start:stop], itertools.repeat(()))):
        if r in merges:
            values = _with_merges(values, merges[r])
            for area, _ in merges[r]:
                ws.add_merge(*_cells(area))
        height = heights.get(r)
        if values or height:
            if not xml:
                first = r
            xml.append(cells.row_xml(r, values, height))
            last = r
            widest = max(widest, len(values) - 1)
    if xml:
        ws.write_rows_xml(first, last, widest, "".join(xml))


def _add_rules(ws: StreamedRowsWorksheet, formats: _Formats, sheet: Sheet) -> None:
    """Data validations, conditional formats and data bars."""
    for v in sheet.validations:
        # the type of the minimum too: 0 and 0.0 are equal keys but may not be written alike
        ws.add_validation((v, type(v.minimum)), _cells(v.range), functools.partial(_safe_validation_options, v))
    for cf in sheet.conditional_formats:
        ws.conditional_format(*_cells(cf.range), {
            "type": "formula", "criteria": cf.formula, "format": formats.conditional(cf.style)})
    for bar in sheet.data_bars:
        ws.conditional_format(*_cells(bar.range), {"type": "data_bar", "bar_color": bar.color})


def _safe_validation_options(v: Validation) -> dict[str, Any]:
    return _xml_safe(_validation_options(v))  # type: ignore[no-any-return]


def _validation_options(v: Validation) -> dict[str, Any]:
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
        options.update(error_title=(v.error_title or "Not allowed")[:32], error_message=v.error_message[:255])
    return options


def _set_up_printing(ws: StreamedRowsWorksheet, setup: PrintSetup) -> None:
    if setup.landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_paper(setup.paper)
    ws.fit_to_pages(setup.fit_width, setup.fit_height)
    if setup.page_breaks:
        ws.set_h_pagebreaks(list(setup.page_breaks))
    if setup.first_page_number is not None:
        ws.set_start_page(setup.first_page_number)
    if setup.repeat_rows:
        ws.repeat_rows(*setup.repeat_rows)
    if setup.repeat_columns:
        ws.repeat_columns(*setup.repeat_columns)
    if setup.across_first:
        ws.print_across()
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

    On a single core the rendering happens when the function is called. The jobs must pickle.
    """
    if not jobs:
        return lambda: []
    return in_background(_render_all, [(spec, path, atomic) for spec, path in jobs])


def _render_all(jobs: list[tuple[WorkbookSpec | Callable[[], WorkbookSpec], Path, bool]]) -> list[Path]:
    return [_render_job(job) for job in jobs]


def _render_job(job: tuple[WorkbookSpec | Callable[[], WorkbookSpec], Path, bool]) -> Path:
    spec, path, atomic = job
    return render_xlsx(spec() if callable(spec) else spec, path, atomic=atomic)


def render_xlsx(spec: WorkbookSpec, path: Path | str, atomic: bool = True) -> Path:
    path = Path(path)
    if not atomic:
        path.parent.mkdir(parents=True, exist_ok=True)
    # a small workbook's XML parts are assembled in memory: on disk each part is a temp file made,
    # written, zipped and removed, which is most of the time a small count sheet takes
    in_memory = sum(len(sheet.rows) for sheet in spec.sheets) <= SMALL_WORKBOOK_ROWS
    with atomic_path(path) if atomic else nullcontext(path) as tmp:
        book = FastZipWorkbook(str(tmp), {"constant_memory": True, "in_memory": in_memory,
                                          "strings_to_numbers": False, "strings_to_formulas": False,
                                          "strings_to_urls": False})
        book.set_properties(_xml_safe({"title": spec.title, "subject": spec.subject, "author": "cyclekit"}))
        book.set_calc_mode("auto")
        formats = _Formats(book)
        book.styles_identity = formats.identity  # every format of the book is made by `formats`
        finishes = []
        try:
            for sheet in spec.sheets:
                finishes.append(_render_sheet(book, formats, sheet, in_memory))
        finally:  # big sheets' second halves, written meanwhile (waited for even after an error)
            for finish in filter(None, finishes):
                finish()
        for name, ref in spec.defined_names.items():
            book.define_name(_xml_safe(name), _xml_safe(ref))
        _close(book)
    return path


def _close(book: xlsxwriter.Workbook) -> None:
    try:
        book.close()
    except xlsxwriter.exceptions.FileCreateError as exc:  # the OSError in it (disk full...) is the news
        cause = exc.args[0] if exc.args else None
        if isinstance(cause, OSError):
            raise cause from None
        raise
