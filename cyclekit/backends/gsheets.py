"""Render a WorkbookSpec as a Google spreadsheet, and read tabs back, through gspread.

A whole workbook, whatever its number of tabs, takes one create request and one
`spreadsheets.batchUpdate`, split only to keep every request body under MAX_PAYLOAD (Google
advises 2 MB and refuses more than 10 MB): values go in updateCells of row blocks, formats in
one repeatCell per rectangle of cells sharing a format. Reading every tab back takes one
`values:batchGetByDataFilter` (a POST: the tabs are in the body, not the URL). The Sheets API
has no print settings and no data bars: printing stays with the xlsx and PDF path.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import random
import re
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cyclekit.backends.spec import (
    Cell,
    Chart,
    Formula,
    Range,
    Sheet,
    Style,
    Validation,
    WorkbookSpec,
    col_index,
    col_letter,
)
from cyclekit.domain.values import excel_serial
from cyclekit.errors import CyclekitError, MissingToolError

SHEETS_API = "https://sheets.googleapis.com/v4/spreadsheets"
DRIVE_FILES = "https://www.googleapis.com/drive/v3/files"
SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
MAX_PAYLOAD = 1_800_000  # bytes in one request body as sent: Google advises keeping a request under 2 MB
GOOGLE_LIMIT = 10_485_760  # bytes: Google answers 400 "Request payload size exceeds the limit" above this
PIXELS_PER_CHARACTER = 7  # an xlsx column width unit is about 7 pixels of Calibri 11
SCOPES = ["https://www.googleapis.com/auth/spreadsheets", "https://www.googleapis.com/auth/drive"]


class GoogleError(CyclekitError):
    """Google refused or failed a request, in words a user can act on."""


class RequestTooLargeError(GoogleError):
    """One sub-request is bigger than a whole request may be: it is never sent."""


def gspread_module() -> Any:
    try:
        import gspread
    except ImportError:
        raise MissingToolError("Google Sheets needs the gsheets extra: pip install 'cyclekit[gsheets]'") from None
    return gspread


@dataclass
class GoogleFile:
    spreadsheet_id: str
    url: str
    tabs: list[str]
    requests: int  # API requests this write made


@dataclass
class GoogleTarget:
    """Where and how a command writes to Google: the session, a Drive folder, who to share with."""

    session: GoogleSession
    folder_id: str | None = None
    share_with: tuple[str, ...] = ()  # e-mails given writer access, besides the counters


def signed_in(credentials: str | None = None) -> GoogleTarget:
    """A session with the credentials given, else the default ones (GOOGLE_APPLICATION_CREDENTIALS,
    else gspread's OAuth desktop flow): enough to read what the manifest records in Google Sheets."""
    return GoogleTarget(GoogleSession(google_client(credentials)))


@dataclass
class RequestLog:
    """Counts what each operation costs against the 60-writes / 60-reads a minute quota."""

    writes: int = 0
    reads: int = 0
    waits: list[float] = field(default_factory=list)


# ---- the spec as Sheets API requests ------------------------------------------------------

def _color(hex_color: str) -> dict[str, float]:
    value = hex_color.lstrip("#")
    return {"red": int(value[0:2], 16) / 255, "green": int(value[2:4], 16) / 255,
            "blue": int(value[4:6], 16) / 255}


def _number_format(pattern: str) -> dict[str, str]:
    if pattern == "@":
        return {"type": "TEXT"}
    if "yy" in pattern or "mm-dd" in pattern:
        return {"type": "DATE", "pattern": pattern}
    if "%" in pattern:
        return {"type": "PERCENT", "pattern": pattern}
    if "$" in pattern or "€" in pattern or "£" in pattern:
        return {"type": "CURRENCY", "pattern": pattern}
    return {"type": "NUMBER", "pattern": pattern}


def cell_format(style: Style | None) -> dict[str, Any]:
    if style is None:
        return {}
    fmt: dict[str, Any] = {}
    if style.num_format:
        fmt["numberFormat"] = _number_format(style.num_format)
    text: dict[str, Any] = {}
    if style.bold:
        text["bold"] = True
    if style.italic:
        text["italic"] = True
    if style.font_size:
        text["fontSize"] = int(round(style.font_size))
    if style.font_color:
        text["foregroundColor"] = _color(style.font_color)
    if text:
        fmt["textFormat"] = text
    if style.bg_color:
        fmt["backgroundColor"] = _color(style.bg_color)
    if style.align:
        fmt["horizontalAlignment"] = style.align.upper()
    if style.valign:
        fmt["verticalAlignment"] = {"vcenter": "MIDDLE", "top": "TOP", "bottom": "BOTTOM",
                                    "center": "MIDDLE"}.get(style.valign, "MIDDLE")
    if style.wrap:
        fmt["wrapStrategy"] = "WRAP"
    if style.indent:  # Google's default padding, and an indent's width on the left
        fmt["padding"] = {"top": 2, "right": 3, "bottom": 2, "left": 3 + 9 * style.indent}
    if style.border:
        fmt["borders"] = {side: {"style": "SOLID"} for side in ("top", "bottom", "left", "right")}
    return fmt


def cell_value(value: Any) -> dict[str, Any] | None:
    """A typed value: identifiers stay stringValue, so '=SUM(A1)' or '000812' is never parsed."""
    kind = type(value)  # the common kinds first: a results tab has a million cells
    if kind is str:
        return {"stringValue": value} if value else None
    if kind is Decimal or kind is float or kind is int:
        return {"numberValue": float(value)}
    if value is None or value == "":
        return None
    if isinstance(value, Formula):
        return {"formulaValue": value.expr}
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, dt.datetime):
        return {"numberValue": excel_serial(value.date())}
    if isinstance(value, dt.date):
        return {"numberValue": excel_serial(value)}
    if isinstance(value, int | float | Decimal):
        return {"numberValue": float(value)}
    raise TypeError(f"cannot write {type(value).__name__} to a cell")


def _grid(sheet_id: int, r: Range) -> dict[str, int]:
    return {"sheetId": sheet_id, "startRowIndex": r.first_row, "endRowIndex": r.last_row + 1,
            "startColumnIndex": r.first_col, "endColumnIndex": r.last_col + 1}


def _style_and_value(sheet: Sheet, col: int, value: Any) -> tuple[Style | None, Any]:
    """A cell's style (its own, else its column's; none for an empty cell) and its bare value."""
    if isinstance(value, Cell):
        style, value = value.style, value.value
    elif value is None:
        return None, None
    else:
        style = None
    if style is None and col < len(sheet.columns):
        style = sheet.columns[col].style
    return style, value


def rectangles(cells: dict[int, dict[int, Any]]) -> list[tuple[Any, Range]]:
    """Few rectangles of one key each covering exactly the keyed cells (row -> column -> key),
    none overlapping: runs of equal keys along each row stacked onto the identical run of the
    row above, or the same by columns (tables: a column's style down its body), whichever
    makes fewer."""
    by_rows = _stacked_runs(cells)
    columns: dict[int, dict[int, Any]] = {}
    for r, row in cells.items():
        for c, key in row.items():
            columns.setdefault(c, {})[r] = key
    by_columns = [(key, Range(a.first_col, a.first_row, a.last_col, a.last_row))
                  for key, a in _stacked_runs(columns)]
    done = by_columns if len(by_columns) < len(by_rows) else by_rows
    done.sort(key=lambda item: (item[1].first_row, item[1].first_col, item[1].last_row, item[1].last_col))
    return done


def _stacked_runs(cells: dict[int, dict[int, Any]]) -> list[tuple[Any, Range]]:
    """rectangles() by rows: each run of equal keys in a row extends the identical run above."""
    done: list[tuple[Any, Range]] = []
    growing: dict[tuple[int, int, Any], int] = {}  # (first col, last col, key) -> first row; ends at `previous`
    previous = -2
    for r in sorted(cells):
        row = cells[r]
        runs: list[list[Any]] = []
        for c in sorted(row):
            key = row[c]
            if runs and runs[-1][1] == c - 1 and runs[-1][2] == key:
                runs[-1][1] = c
            else:
                runs.append([c, c, key])
        kept: dict[tuple[int, int, Any], int] = {}
        for c0, c1, key in runs:
            first = growing.pop((c0, c1, key), None) if previous == r - 1 else None
            kept[(c0, c1, key)] = r if first is None else first
        done += [(key, Range(first, c0, previous, c1)) for (c0, c1, key), first in growing.items()]
        growing, previous = kept, r
    done += [(key, Range(first, c0, previous, c1)) for (c0, c1, key), first in growing.items()]
    return done


def _grid_rows(sheet: Sheet) -> list[list[Any]]:
    """The tab's rows with each merge's value in its top-left cell, as it ends up once merged
    (the merge's value and format replace the cell's; a merge without a value clears it)."""
    if not sheet.merges:
        return sheet.rows
    rows = [list(row) for row in sheet.rows]
    for area, value in sheet.merges:
        r, c = area.first_row, area.first_col
        rows += [[] for _ in range(r + 1 - len(rows))]
        rows[r] += [None] * (c + 1 - len(rows[r]))
        rows[r][c] = value
    return rows


def _unlocked(sheet: Sheet) -> list[Range]:
    """The editable cells, joined into rectangles, for the protected range's exceptions."""
    cells: dict[int, dict[int, Any]] = {}
    for r, values in enumerate(sheet.rows):
        for c, value in enumerate(values):
            style = _style_and_value(sheet, c, value)[0]
            if style is not None and not style.locked:
                cells.setdefault(r, {})[c] = True
    for area, value in sheet.merges:
        if isinstance(value, Cell) and value.style is not None and not value.style.locked:
            for r in range(area.first_row, area.last_row + 1):
                cells.setdefault(r, {}).update(dict.fromkeys(range(area.first_col, area.last_col + 1), True))
    return [area for _, area in rectangles(cells)]


def _cell_parts(sheet: Sheet) -> tuple[list[tuple[int, list[dict[str, Any]]]], dict[int, dict[int, Any]],
                                       dict[str, dict[str, Any]]]:
    """The tab's cells (with the merges' top-left cells) split into values and formats, in one
    pass: (row index, CellData with userEnteredValue only) for every row with a value; the
    format key of every formatted cell (row -> column -> key); each key's CellFormat."""
    column_styles = [column.style for column in sheet.columns]
    keys: dict[int, str | None] = {}  # id(style) -> the format as JSON (None: no format)
    formats: dict[str, dict[str, Any]] = {}
    value_rows: list[tuple[int, list[dict[str, Any]]]] = []
    formatted: dict[int, dict[int, Any]] = {}
    for r, row in enumerate(_grid_rows(sheet)):
        cells: list[dict[str, Any]] = []
        row_keys: dict[int, Any] = {}
        for c, value in enumerate(row):
            if value is None:
                cells.append({})
                continue
            style = None
            if isinstance(value, Cell):
                style, value = value.style, value.value
            if style is None and c < len(column_styles):
                style = column_styles[c]
            typed = cell_value(value)
            cells.append({"userEnteredValue": typed} if typed is not None else {})
            if style is not None:
                key = keys.get(id(style), "")
                if key == "":
                    fmt = cell_format(style)
                    key = keys[id(style)] = encode_json(fmt).decode() if fmt else None
                    if key is not None:
                        formats[key] = fmt
                if key is not None:
                    row_keys[c] = key
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            value_rows.append((r, cells))
        if row_keys:
            formatted[r] = row_keys
    return value_rows, formatted, formats


def _value_requests(sheet_id: int, value_rows: list[tuple[int, list[dict[str, Any]]]],
                    limit: int) -> list[dict[str, Any]]:
    """The tab's values as updateCells of consecutive rows, each about an eighth of `limit` bytes
    so that they pack well into requests of `limit` bytes (a block is one row at least: a single
    row over `limit` cannot be sent, chunked() says so)."""

    def update(first: int, block: list[dict[str, Any]]) -> dict[str, Any]:
        return {"updateCells": {"rows": block, "fields": "userEnteredValue",
                                "start": {"sheetId": sheet_id, "rowIndex": first, "columnIndex": 0}}}

    budget = (limit - BODY_ENVELOPE) // 8 - len(encode_json(update(10**8, [])))  # what a block's rows may take
    requests: list[dict[str, Any]] = []
    block: list[dict[str, Any]] = []
    first = size = 0
    for r, cells in value_rows:
        row = {"values": cells}
        length = len(encode_json(row))
        gap = r - first - len(block)  # empty rows between the block and this row: "{}," each
        if block and (gap > 100 or size + 3 * gap + length + 1 > budget):
            requests.append(update(first, block))
            block = []
        if not block:
            first, size, gap = r, 0, 0
        block += [{} for _ in range(gap)]
        block.append(row)
        size += 3 * gap + length + 1
    if block:
        requests.append(update(first, block))
    return requests


def _format_requests(sheet_id: int, formatted: dict[int, dict[int, Any]],
                     formats: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The tab's formats as one repeatCell per rectangle of cells sharing a format."""
    return [{"repeatCell": {"range": _grid(sheet_id, area), "cell": {"userEnteredFormat": formats[key]},
                            "fields": "userEnteredFormat"}} for key, area in rectangles(formatted)]


def _dimension_requests(sheet_id: int, dimension: str, sizes: dict[int, int]) -> list[dict[str, Any]]:
    """Pixel sizes by index in few updateDimensionProperties: one per run of equal sizes, or, in
    a stretch of consecutive indexes where that is fewer, the commonest size over the whole
    stretch first and a request per run of another size after it."""
    stretches: list[list[list[int]]] = []  # runs [first, last, pixels] of consecutive indexes
    for index in sorted(sizes):
        runs = stretches[-1] if stretches and stretches[-1][-1][1] == index - 1 else None
        if runs is None:
            stretches.append([[index, index, sizes[index]]])
        elif runs[-1][2] == sizes[index]:
            runs[-1][1] = index
        else:
            runs.append([index, index, sizes[index]])
    chosen: list[list[int]] = []
    for runs in stretches:
        common = max({r[2] for r in runs}, key=lambda px: (sum(1 for r in runs if r[2] == px), -px))
        others = [r for r in runs if r[2] != common]
        if 1 + len(others) < len(runs):
            chosen += [[runs[0][0], runs[-1][1], common], *others]
        else:
            chosen += runs
    return [{"updateDimensionProperties": {
        "range": {"sheetId": sheet_id, "dimension": dimension, "startIndex": first, "endIndex": last + 1},
        "properties": {"pixelSize": pixels}, "fields": "pixelSize"}} for first, last, pixels in chosen]


def _validation(sheet_id: int, v: Any, columns: list[str]) -> dict[str, Any]:
    top = f"{columns[v.range.first_col]}{v.range.first_row + 1}"
    if v.kind == "list" and v.source:
        condition = {"type": "ONE_OF_RANGE", "values": [{"userEnteredValue": v.source}]}
    elif v.kind == "list":
        condition = {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": c} for c in v.choices]}
    elif v.kind == "whole":
        condition = {"type": "CUSTOM_FORMULA", "values": [
            {"userEnteredValue": f"=AND(ISNUMBER({top}),{top}>={v.minimum or 0},{top}=INT({top}))"}]}
    elif v.kind == "decimal":
        condition = {"type": "NUMBER_GREATER_THAN_EQ", "values": [{"userEnteredValue": str(v.minimum or 0)}]}
    else:
        condition = {"type": "DATE_IS_VALID"}
    rule: dict[str, Any] = {"condition": condition, "strict": True, "showCustomUi": v.kind == "list"}
    message = v.error_message or v.input_message
    if message:
        rule["inputMessage"] = message
    return {"setDataValidation": {"range": _grid(sheet_id, v.range), "rule": rule}}


def _validation_requests(sheet_id: int, validations: list[Validation], letters: list[str]) -> list[dict[str, Any]]:
    """setDataValidation requests, in order. Consecutive validations of one column span on
    consecutive rows (a count sheet alternates whole and decimal quantities line by line) may
    go as the commonest rule over the whole stretch first and the other runs after it, when
    that makes fewer requests and that rule reads the same wherever it is applied (no cell
    reference in it): every cell ends with the rule it would have had anyway."""
    requests: list[dict[str, Any]] = []
    stretch: list[dict[str, Any]] = []

    def flush() -> None:
        rules = [json.dumps(r["setDataValidation"]["rule"], sort_keys=True) for r in stretch]
        fixed = {rule for rule, r in zip(rules, stretch, strict=True) if _rule_is_fixed(r)}
        common = max(fixed, key=rules.count, default=None)
        if common is not None and 1 + sum(rule != common for rule in rules) < len(stretch):
            first, last = stretch[0]["setDataValidation"]["range"], stretch[-1]["setDataValidation"]["range"]
            base = stretch[rules.index(common)]["setDataValidation"]
            requests.append({"setDataValidation": {"range": {**first, "endRowIndex": last["endRowIndex"]},
                                                   "rule": base["rule"]}})
            requests.extend(r for rule, r in zip(rules, stretch, strict=True) if rule != common)
        else:
            requests.extend(stretch)
        stretch.clear()

    for v in validations:
        request = _validation(sheet_id, v, letters)
        if stretch:
            last = stretch[-1]["setDataValidation"]["range"]
            here = request["setDataValidation"]["range"]
            if (here["startColumnIndex"], here["endColumnIndex"]) != (last["startColumnIndex"],
                                                                    last["endColumnIndex"]) \
                    or here["startRowIndex"] != last["endRowIndex"]:
                flush()
        stretch.append(request)
    if stretch:
        flush()
    return requests


def _rule_is_fixed(request: dict[str, Any]) -> bool:
    """A validation rule that means the same on any range: it names no cell (no custom formula)."""
    return bool(request["setDataValidation"]["rule"]["condition"]["type"] != "CUSTOM_FORMULA")


def _chart(sheet_id: int, chart: Chart, sheet_ids: dict[str, int]) -> dict[str, Any]:
    kind = {"column": "COLUMN", "bar": "BAR", "line": "LINE"}[chart.kind]
    first = chart.series[0]
    source_id = sheet_ids.get(first.sheet, sheet_id) if first.sheet else sheet_id
    series = []
    for s in chart.series:
        entry: dict[str, Any] = {
            "series": {"sourceRange": {"sources": [_grid(sheet_ids.get(s.sheet, sheet_id) if s.sheet else sheet_id,
                                                         s.values)]}},
            "targetAxis": "BOTTOM_AXIS" if kind == "BAR" else "LEFT_AXIS"}
        if s.kind:
            entry["type"] = {"column": "COLUMN", "bar": "BAR", "line": "LINE"}[s.kind]
        if s.color:
            entry["color"] = _color(s.color)
        series.append(entry)
    axis = []
    if chart.x_title:
        axis.append({"position": "BOTTOM_AXIS" if kind != "BAR" else "LEFT_AXIS", "title": chart.x_title})
    if chart.y_title:
        axis.append({"position": "LEFT_AXIS" if kind != "BAR" else "BOTTOM_AXIS", "title": chart.y_title})
    basic = {"chartType": kind, "legendPosition": "BOTTOM_LEGEND", "headerCount": 0,
             "domains": [{"domain": {"sourceRange": {"sources": [_grid(source_id, first.categories)]}}}],
             "series": series}
    if axis:
        basic["axis"] = axis
    return {"addChart": {"chart": {
        "spec": {"title": chart.title, "basicChart": basic},
        "position": {"overlayPosition": {
            "anchorCell": {"sheetId": sheet_id, "rowIndex": chart.anchor_row, "columnIndex": chart.anchor_col},
            "widthPixels": chart.width, "heightPixels": chart.height}}}}}


_NAMED = re.compile(r"^=?'?(?P<tab>[^'!]+)'?!\$?(?P<col>[A-Z]+)\$?(?P<row>\d+)$")


def _letters(count: int) -> list[str]:
    return [col_letter(i) for i in range(count)]


def sheet_properties(spec: WorkbookSpec, first_id: int = 0) -> list[dict[str, Any]]:
    """Tab properties for the create request: ids from first_id in order, grid sized to the content."""
    result = []
    for index, sheet in enumerate(spec.sheets):
        width = max([len(sheet.columns), *(len(r) for r in sheet.rows), 1]
                    + [a.last_col + 1 for a, _ in sheet.merges])
        height = max([len(sheet.rows) + 50, *(v.range.last_row + 1 for v in sheet.validations)])
        grid: dict[str, Any] = {"rowCount": height, "columnCount": max(width, 26)}
        if sheet.freeze:
            grid["frozenRowCount"], grid["frozenColumnCount"] = sheet.freeze
        props: dict[str, Any] = {"sheetId": first_id + index, "title": sheet.name, "index": index,
                                 "gridProperties": grid}
        if sheet.tab_color:
            props["tabColor"] = _color(sheet.tab_color)
        if sheet.hidden:
            props["hidden"] = True
        result.append(props)
    return result


def content_requests(spec: WorkbookSpec, first_id: int = 0, limit: int = MAX_PAYLOAD) -> list[dict[str, Any]]:
    """Everything but the tabs themselves: values, formats, widths, merges, rules, protection.

    Values go in updateCells of row blocks (each fits a request of `limit` bytes), formats in
    one repeatCell per rectangle of cells with the same format: a cell's format is sent once per
    rectangle, not once per cell."""
    requests: list[dict[str, Any]] = []
    ids = {sheet.name: first_id + index for index, sheet in enumerate(spec.sheets)}
    for sheet_id, sheet in enumerate(spec.sheets, start=first_id):
        letters = _letters(max([len(sheet.columns), *(len(r) for r in sheet.rows), 1]))
        value_rows, formatted, formats = _cell_parts(sheet)  # a merge's value is in its top-left cell
        requests += _value_requests(sheet_id, value_rows, limit)
        requests += _format_requests(sheet_id, formatted, formats)
        requests += [{"mergeCells": {"range": _grid(sheet_id, area), "mergeType": "MERGE_ALL"}}
                     for area, _ in sheet.merges]
        requests += _dimension_requests(sheet_id, "COLUMNS", {
            index: int(column.width * PIXELS_PER_CHARACTER + 5) for index, column in enumerate(sheet.columns)})
        requests += _dimension_requests(sheet_id, "ROWS", {
            index: int(height * 4 / 3) for index, height in sheet.row_heights.items()})
        requests += _validation_requests(sheet_id, sheet.validations, letters)
        for index, cf in enumerate(sheet.conditional_formats):
            fmt: dict[str, Any] = {}
            if cf.style.bg_color:
                fmt["backgroundColor"] = _color(cf.style.bg_color)
            text: dict[str, Any] = {}
            if cf.style.font_color:
                text["foregroundColor"] = _color(cf.style.font_color)
            if cf.style.bold:
                text["bold"] = True
            if text:
                fmt["textFormat"] = text
            requests.append({"addConditionalFormatRule": {"index": index, "rule": {
                "ranges": [_grid(sheet_id, cf.range)],
                "booleanRule": {"condition": {"type": "CUSTOM_FORMULA",
                                              "values": [{"userEnteredValue": cf.formula}]},
                                "format": fmt}}}})
        if sheet.autofilter:
            requests.append({"setBasicFilter": {"filter": {"range": _grid(sheet_id, sheet.autofilter)}}})
        requests += [_chart(sheet_id, chart, ids) for chart in sheet.charts]
        if sheet.protect:
            requests.append({"addProtectedRange": {"protectedRange": {
                "range": {"sheetId": sheet_id}, "description": "cyclekit: only the input cells are editable",
                "warningOnly": False,
                "unprotectedRanges": [_grid(sheet_id, r) for r in _unlocked(sheet)]}}})
    for name, ref in spec.defined_names.items():
        match = _NAMED.match(ref)
        if match and match["tab"] in ids:
            col = col_index(match["col"])
            row = int(match["row"]) - 1
            requests.append({"addNamedRange": {"namedRange": {"name": name, "range": _grid(
                ids[match["tab"]], Range(row, col, row, col))}}})
    return requests


def encode_json(value: Any) -> bytes:
    """A request body exactly as cyclekit sends it: compact UTF-8 JSON (what chunked() measures)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


BODY_ENVELOPE = len(encode_json({"requests": []}))  # a batchUpdate body around its requests
JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}


def chunked(requests: list[dict[str, Any]], limit: int = MAX_PAYLOAD,
            tabs: dict[int, str] | None = None) -> list[list[dict[str, Any]]]:
    """The requests in batchUpdate bodies of at most `limit` bytes each, as sent, in order.

    A single request bigger than that cannot be split here: RequestTooLargeError, before
    anything is sent (`tabs`, sheetId -> title, names the tab in the message)."""
    return [chunk for chunk, _ in batch_bodies(requests, limit, tabs)]


def batch_bodies(requests: list[dict[str, Any]], limit: int = MAX_PAYLOAD,
                 tabs: dict[int, str] | None = None) -> list[tuple[list[dict[str, Any]], bytes]]:
    """chunked(), with each batchUpdate body as the bytes to send (every request encoded once)."""
    chunks: list[tuple[list[dict[str, Any]], list[bytes]]] = []
    size = limit + 1  # no chunk open yet
    for request in requests:
        encoded = encode_json(request)
        if BODY_ENVELOPE + len(encoded) > limit:
            kind = next(iter(request), "request")
            sheet_id = _sheet_id_in(request)
            where = f" for tab {tabs[sheet_id]!r}" if tabs and sheet_id in tabs else ""
            raise RequestTooLargeError(
                f"one {kind} request{where} would send {BODY_ENVELOPE + len(encoded):,} bytes to Google, over "
                f"the {limit:,} bytes cyclekit puts in one request (Google refuses more than {GOOGLE_LIMIT:,}); "
                "nothing was sent. A single row or cell that big cannot be split: shorten it")
        if size + 1 + len(encoded) > limit:
            chunks.append(([], []))
            size = BODY_ENVELOPE - 1  # the first request has no comma before it
        chunks[-1][0].append(request)
        chunks[-1][1].append(encoded)
        size += 1 + len(encoded)
    return [(chunk, b'{"requests":[' + b",".join(parts) + b"]}") for chunk, parts in chunks]


def _sheet_id_in(value: Any) -> int | None:
    """The first sheetId inside a request, if any."""
    if isinstance(value, dict):
        sheet_id = value.get("sheetId")
        if isinstance(sheet_id, int):
            return sheet_id
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            found = _sheet_id_in(item)
            if found is not None:
                return found
    return None


# ---- talking to Google ----------------------------------------------------------------------

@functools.cache
def _paced_client_class() -> type[Any]:
    """gspread's BackOffHTTPClient, paced by the session that owns it (see GoogleSession)."""
    from gspread.exceptions import APIError
    from gspread.http_client import BackOffHTTPClient, HTTPClient

    class EveryAttempt(HTTPClient):
        """Below BackOffHTTPClient's retry loop: every attempt, first or retried, passes here."""

        before_attempt: Callable[[int | None], None] = staticmethod(lambda failed_status: None)
        failed_status: int | None = None

        def request(self, *args: Any, **kwargs: Any) -> Any:
            failed, self.failed_status = self.failed_status, None
            self.before_attempt(failed)  # may wait, or give up
            try:
                return super().request(*args, **kwargs)
            except APIError as exc:
                self.failed_status = exc.code
                raise

    class PacedBackOffClient(BackOffHTTPClient, EveryAttempt):
        """gspread decides what is retried (429, 408, 5xx, a Drive rate-limit 403) and asks again;
        the session decides how long to wait first, says so, and gives up past its bound."""

        _MAX_BACKOFF = 0  # gspread then sleeps 0 s between attempts: before_attempt does the waiting

    return PacedBackOffClient


class GoogleSession:
    """A gspread client with retries (gspread's BackOffHTTPClient), one-line errors, and a request count.

    gspread's retry client decides which answers are worth asking again and asks again; this
    session paces it: waits with jitter (1, 2, 4 ... 32 s, halved at random), says so on a
    progress line, bounds the whole wait of one request by `max_wait` (gspread alone waits up to
    2 + 4 + ... + 128 s, silently), and counts every attempt against the quota.
    """

    def __init__(self, client: Any, *, max_wait: float = 120.0, progress: Callable[[str], None] | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        self.client = client
        self.http = self._paced(client.http_client)
        self.log = RequestLog()
        self.max_wait = max_wait
        self.progress = progress or (lambda text: print(text, file=sys.stderr))
        self.sleep = sleep
        self._kind = "read"
        self._waited, self._attempt = 0.0, 0

    def _paced(self, http: Any) -> Any:
        """gspread's retry client over the same session and credentials (a client of another kind,
        such as a test's stand-in, is used as it is)."""
        from gspread.http_client import HTTPClient

        if not isinstance(http, HTTPClient):
            return http
        paced = _paced_client_class()(None, session=http.session)
        paced.auth = getattr(http, "auth", None)
        paced.timeout = http.timeout
        paced.before_attempt = self._before_attempt
        return paced

    def _before_attempt(self, failed_status: int | None) -> None:
        """Count the attempt; after a failed one, wait (or give up past max_wait) first."""
        if failed_status is not None:
            delay = min(2 ** self._attempt, 32) * (0.5 + random.random() / 2)
            if self._waited + delay > self.max_wait:
                raise GoogleError(f"Google kept answering {failed_status} for {self._waited:.0f} s; "
                                  "try again in a few minutes")
            self.progress(f"Google answered {failed_status}; waiting {delay:.1f} s before trying again...")
            self.log.waits.append(delay)
            self.sleep(delay)
            self._waited += delay
            self._attempt += 1
        if self._kind == "write":
            self.log.writes += 1
        else:
            self.log.reads += 1

    def call(self, kind: str, method: str, url: str, **kwargs: Any) -> Any:
        """One API request; `json=` bodies are sent as compact JSON (encode_json, what chunked() measures)."""
        if kwargs.get("json") is not None:
            kwargs["data"] = encode_json(kwargs.pop("json"))
            kwargs["headers"] = {**JSON_HEADERS, **(kwargs.get("headers") or {})}
        self._kind, self._waited, self._attempt = kind, 0.0, 0
        if hasattr(self.http, "failed_status"):
            self.http.failed_status = None
        try:
            if not hasattr(self.http, "failed_status"):
                self._before_attempt(None)  # a stand-in client: one attempt, counted here
            return self.http.request(method, url, **kwargs).json()
        except GoogleError:
            raise
        except Exception as exc:
            raise self._in_words(exc) from None

    def _in_words(self, exc: Exception) -> Exception:
        """The one-line GoogleError for a refusal or a failure (the exception itself if neither)."""
        gspread = gspread_module()
        if isinstance(exc, gspread.exceptions.APIError):
            return self._refusal(exc)
        failure = _failure_in_words(exc)  # the credentials or the network failed before Google answered
        return exc if failure is None else GoogleError(failure)

    def _refusal(self, exc: Any) -> GoogleError:
        status = exc.response.status_code
        if status == 403 and _reason(exc) == "storageQuotaExceeded":
            return GoogleError(
                "Google Drive refused to create the file: the service account has no Drive storage "
                "of its own. Give a folder id shared with it (or a shared drive) with --folder")
        if status == 401:
            return GoogleError(f"Google refused the credentials (401): {_message(exc)}. Check that the "
                               "key is still valid (not revoked or expired)")
        if status == 403:
            return GoogleError(f"Google refused access (403): {_message(exc)}. Check that the "
                               f"spreadsheet or folder is shared with {self.account()} as an editor, "
                               "and that the Sheets and Drive APIs are enabled for its project")
        if status == 404:
            return GoogleError(f"Google could not find it (404): {_message(exc)}. Check the id or URL, "
                               f"and that it is shared with {self.account()}")
        return GoogleError(f"Google rejected the request ({status}): {_message(exc)}")

    def account(self) -> str:
        """The account the credentials act as (a service account's e-mail), to name in messages."""
        email = getattr(getattr(self.http, "auth", None), "service_account_email", None)
        return email if isinstance(email, str) and "@" in email else "the account of the credentials"


def _failure_in_words(exc: BaseException) -> str | None:
    """A credentials or network failure as one line naming what to check; None for anything else.

    Nothing of the exception's own text is shown but the OAuth error code: it may quote the
    token request, and no part of a key is ever printed."""
    import requests
    from google.auth import exceptions as auth

    if isinstance(exc, auth.RefreshError):
        code = _oauth_code(exc)
        return ("Google refused the credentials" + (f" ({code})" if code else "") + ": the service-account "
                "key may have been revoked or deleted, or have expired, or the account disabled. Check the "
                "key in the Google Cloud console (IAM, Service accounts, Keys) and give a valid one with "
                "--credentials")
    if isinstance(exc, auth.TransportError | requests.ConnectionError | requests.Timeout):
        return ("could not reach Google (no answer from the network): check the network connection, "
                "and the proxy settings (HTTPS_PROXY) if this computer goes through one; nothing was written")
    if isinstance(exc, ValueError | requests.RequestException):  # a cut answer, or a page that is not Google's
        return ("Google's answer did not arrive whole or was not Google's (a proxy's or a login page?): "
                "check the network connection and the proxy settings (HTTPS_PROXY), then try again")
    if isinstance(exc, auth.GoogleAuthError):
        return ("the Google credentials cannot be used (" + type(exc).__name__ + "): check the "
                "service-account JSON given with --credentials or GOOGLE_APPLICATION_CREDENTIALS")
    return None


def _oauth_code(exc: BaseException) -> str:
    """'invalid_grant' from a RefreshError: the code only, never the rest of the answer."""
    details = exc.args[1] if len(exc.args) > 1 else None
    code = details.get("error") if isinstance(details, dict) else None
    if not isinstance(code, str):
        match = re.match(r"([a-z_]{3,40})\b", str(exc.args[0]) if exc.args else "")
        code = match.group(1) if match else ""
    return code if re.fullmatch(r"[a-z_]{3,40}", code or "") else ""


def _reason(exc: Any) -> str:
    try:
        return str(exc.response.json()["error"]["errors"][0]["reason"])
    except (ValueError, KeyError, IndexError, TypeError):
        return ""


def _message(exc: Any) -> str:
    try:
        return str(exc.response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return str(exc)


def render_gsheets(spec: WorkbookSpec, session: GoogleSession, *, folder_id: str | None = None,
                   share_with: Iterable[tuple[str, str]] = ()) -> GoogleFile:
    """Create the spreadsheet with all its tabs, fill it in one batchUpdate (more only when the
    content is over MAX_PAYLOAD), share it. Nothing is created if a request would be too big."""
    before = session.log.writes + session.log.reads
    properties = sheet_properties(spec)
    content = content_requests(spec)
    locale = {"title": spec.title or "cyclekit", "locale": "en_US", "timeZone": "Etc/UTC"}
    if folder_id:
        # in a folder: Drive creates the file (one tab, id 0), the batchUpdate shapes the tabs
        first = {k: v for k, v in properties[0].items() if k != "sheetId"}
        shape = [{"updateSpreadsheetProperties": {"properties": {"locale": "en_US", "title": locale["title"]},
                                                  "fields": "locale,title"}},
                 {"updateSheetProperties": {"properties": {"sheetId": 0, **first},
                                            "fields": ",".join(first)}}]
        shape += [{"addSheet": {"properties": p}} for p in properties[1:]]
        content = shape + content
    bodies = batch_bodies(content, tabs={p["sheetId"]: p["title"] for p in properties})
    if folder_id:
        created = session.call("write", "post", DRIVE_FILES, json={
            "name": locale["title"], "mimeType": SPREADSHEET_MIME, "parents": [folder_id]},
            params={"supportsAllDrives": True})
        spreadsheet_id = created["id"]
    else:
        created = session.call("write", "post", SHEETS_API, json={
            "properties": locale, "sheets": [{"properties": p} for p in properties]})
        spreadsheet_id = created["spreadsheetId"]
    for _, body in bodies:
        session.call("write", "post", f"{SHEETS_API}/{spreadsheet_id}:batchUpdate", data=body, headers=JSON_HEADERS)
    for email, role in share_with:
        session.call("write", "post", f"{DRIVE_FILES}/{spreadsheet_id}/permissions",
                     json={"type": "user", "role": role, "emailAddress": email},
                     params={"sendNotificationEmail": False, "supportsAllDrives": True})
    return GoogleFile(spreadsheet_id, f"https://docs.google.com/spreadsheets/d/{spreadsheet_id}",
                      [s.name for s in spec.sheets], session.log.writes + session.log.reads - before)


def replace_gsheets(spec: WorkbookSpec, session: GoogleSession, spreadsheet_id: str,
                    backup_name: str | None = None) -> GoogleFile:
    """Regenerate an existing spreadsheet in place (same id and URL, same sharing), in one batchUpdate
    (more only when the content is over MAX_PAYLOAD).

    New tabs are added under temporary names, the old ones and their named ranges deleted,
    the new ones renamed, then filled: in one batchUpdate a reader never sees a half-written
    spreadsheet (split in several, the tabs are swapped in the first and filled by the next).
    A copy of the old spreadsheet is kept first when `backup_name` is given.
    """
    before = session.log.writes + session.log.reads
    meta = session.call("read", "get", f"{SHEETS_API}/{spreadsheet_id}",
                        params={"fields": "sheets.properties(sheetId,title),namedRanges(namedRangeId)"})
    old = [s["properties"]["sheetId"] for s in meta.get("sheets", [])]
    first = max(old, default=0) + 1
    properties = sheet_properties(spec, first)
    requests: list[dict[str, Any]] = [{"deleteNamedRange": {"namedRangeId": n["namedRangeId"]}}
                                      for n in meta.get("namedRanges", [])]
    requests += [{"addSheet": {"properties": {**p, "title": f"{p['title']} (new)"}}} for p in properties]
    requests += [{"deleteSheet": {"sheetId": sheet_id}} for sheet_id in old]
    requests += [{"updateSheetProperties": {"properties": {"sheetId": p["sheetId"], "title": p["title"]},
                                            "fields": "title"}} for p in properties]
    requests += content_requests(spec, first)
    bodies = batch_bodies(requests, tabs={p["sheetId"]: p["title"] for p in properties})
    if backup_name:
        session.call("write", "post", f"{DRIVE_FILES}/{spreadsheet_id}/copy", json={"name": backup_name},
                     params={"supportsAllDrives": True})
    for _, body in bodies:
        session.call("write", "post", f"{SHEETS_API}/{spreadsheet_id}:batchUpdate", data=body, headers=JSON_HEADERS)
    return GoogleFile(spreadsheet_id, f"https://docs.google.com/spreadsheets/d/{spreadsheet_id}",
                      [s.name for s in spec.sheets], session.log.writes + session.log.reads - before)


def quote_tab(tab: str) -> str:
    return "'" + tab.replace("'", "''") + "'"


class GoogleReader:
    """The same interface as WorkbookReader (tabs, rows), over one values:batchGetByDataFilter.

    A POST with the tabs in its body: whatever the number of tabs, the URL stays short (1,000
    ranges in a values:batchGet query string make a URL of about 24,000 characters)."""

    def __init__(self, session: GoogleSession, spreadsheet_id: str, tabs: list[str]):
        self.path = f"google:{spreadsheet_id}"
        self._tabs = list(tabs)
        self._rows: dict[str, list[list[Any]]] = {}
        if not self._tabs:
            return
        ranges = {quote_tab(t): t for t in self._tabs}
        data = session.call("read", "post", f"{SHEETS_API}/{spreadsheet_id}/values:batchGetByDataFilter", json={
            "dataFilters": [{"a1Range": a1} for a1 in ranges], "valueRenderOption": "UNFORMATTED_VALUE",
            "dateTimeRenderOption": "SERIAL_NUMBER", "majorDimension": "ROWS"})
        for index, matched in enumerate(data.get("valueRanges", [])):
            # each answer names the filters it matched; in request order otherwise
            named = [ranges[f["a1Range"]] for f in matched.get("dataFilters", []) if f.get("a1Range") in ranges]
            for tab in named or self._tabs[index:index + 1]:
                self._rows[tab] = matched.get("valueRange", {}).get("values", [])

    @property
    def tabs(self) -> list[str]:
        return self._tabs

    def digest(self) -> str:
        """A checksum of every value read, so finalize can tell if a tab changed since ingest."""
        import hashlib

        return hashlib.sha256(json.dumps(self._rows, sort_keys=True, default=str).encode()).hexdigest()

    def rows(self, tab: str) -> list[list[Any]]:
        return self._rows.get(tab, [])


GOOGLE_PREFIX = "google:"


def google_id(text: str) -> str | None:
    """'google:<id>' or a spreadsheet URL names a Google spreadsheet; anything else is a file."""
    if text.startswith(GOOGLE_PREFIX):
        return text[len(GOOGLE_PREFIX):]
    match = re.search(r"docs\.google\.com/spreadsheets/d/([A-Za-z0-9_-]+)", text)
    return match.group(1) if match else None


def metadata_tabs(session: GoogleSession, spreadsheet_id: str) -> list[str]:
    data = session.call("read", "get", f"{SHEETS_API}/{spreadsheet_id}",
                        params={"fields": "sheets.properties.title"})
    return [s["properties"]["title"] for s in data.get("sheets", [])]


def google_client(credentials: str | None = None) -> Any:
    """A gspread client from a service-account file, or gspread's OAuth desktop flow."""
    import os

    gspread = gspread_module()
    path = credentials or os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    try:
        if path:
            return gspread.service_account(filename=path, scopes=SCOPES)
        return gspread.oauth(scopes=SCOPES)
    except FileNotFoundError as exc:
        raise GoogleError(f"credentials file not found: {exc.filename}. Give a service-account JSON with "
                          "--credentials or GOOGLE_APPLICATION_CREDENTIALS, or set up gspread's OAuth "
                          "(~/.config/gspread/credentials.json)") from None
    except OSError as exc:
        raise GoogleError(f"cannot read the credentials file {exc.filename or path}: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        # the key's own text is never shown: only which kind of fault it was
        raise GoogleError(f"the credentials file {path or ''} is not a Google service-account or OAuth client "
                          f"JSON ({type(exc).__name__}): download the key again from the Google Cloud console"
                          ) from None
    except Exception as exc:
        failure = _failure_in_words(exc)
        if failure is None:
            raise
        raise GoogleError(failure) from None
