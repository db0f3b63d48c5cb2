"""An in-memory fake of the Google Sheets v4 API (and the few Drive v3 calls gspread makes).

Tests drive it through gspread's own code: ``FakeSheets.session()`` is a real
``google.auth.transport.requests.AuthorizedSession`` (dummy token) on which a requests
transport adapter answers for ``sheets.googleapis.com`` and ``www.googleapis.com``; every other
host (and the token-refresh session) is refused, so no request can leave the machine.

    from tests import sheets_fake as fake_module
    from tests.sheets_fake import FakeSheets

    sheets_fake = fake_module.sheets_fake          # the fixtures, bound by assignment: importing
    gspread_client = fake_module.gspread_client    # them by name trips ruff's F811 on each test

    def test_something(gspread_client, sheets_fake):
        sh = gspread_client.create("Count 2026-11")
        sh.sheet1.update([["SKU", "Qty"], ["A-1", "12"]], "A1", raw=False)
        assert sheets_fake.get_values(sh.id, "Sheet1!B2") == [[12]]

Seeding without HTTP (nothing recorded): ``new_spreadsheet()``, ``new_folder()``, ``put_values()``;
reading state: ``get_values()``, ``spreadsheet(id).sheet("Tab").cell("B2")``. Faults:
``inject_fault(429 | 500 | 503 | 403 | "storageQuotaExceeded" | ..., times=, kind=)``. Counting:
``count("read" | "write" | "values.batchGet" | "batch:repeatCell" | ...)``.

What it checks. Every Sheets request (spreadsheets.create/get/batchUpdate, values.get/
batchGet/batchGetByDataFilter/update/batchUpdate/append/clear/batchClear, sheets.copyTo) is validated against
Google's discovery document, vendored as tests/data/sheets.v4.json (see tests/data/README.md):
unknown fields, JSON types, int32 ranges, enum values, query parameter names and enums, the
field masks of update requests (``fields``) and of the ``fields`` query parameter, and a few
union ("oneof") rules the document only states in prose (a ``Request`` sets exactly one kind).
A violation answers HTTP 400 like Google would, naming the bad field
(``requests[3].repeatCell.cell.userEnteredFormat.numberFormat.type: 'DATE_X' not in enum [...]``),
and is recorded in ``FakeSheets.violations`` as a ``DiscoveryViolation`` (an AssertionError);
the ``sheets_fake`` fixture fails the test at teardown if any happened. Endpoints the fake does
not serve answer 404 and are recorded in ``FakeSheets.unsupported`` (also failing at teardown).

What it models. Spreadsheets with their properties, sheets (properties, cells as entered:
userEnteredValue and userEnteredFormat, notes, data validation, per-row/column metadata such as
pixelSize), merges, protected ranges, conditional formats, basic filter, named ranges and charts
(charts are only stored); Drive files, permissions and comments. The batchUpdate request kinds
in ``APPLIED_REQUESTS`` change that state, the other kinds are accepted and only logged
(``FakeSpreadsheet.batch_requests``). A batchUpdate is atomic, as at Google. Grid limits are
enforced (writing or reading past rowCount/columnCount is a 400, as at Google, and so is going
over 10,000,000 cells). insert/deleteDimension move cells and row/column metadata only, not
merges, rules, protected or named ranges; autoResizeDimensions is logged, not applied (no font
metrics); values:append finds the first block of consecutive filled rows as its "table".

Formulas. There is no formula engine. A formula cell renders as its formula text under
valueRenderOption=FORMULA; otherwise (UNFORMATTED_VALUE, FORMATTED_VALUE, effectiveValue in grid
data) it renders the value given through the side channel ``FakeSheets.set_formula_value()``
(per cell, after the formula is written; rewriting the cell drops it), else what
``FakeSheets.formula_evaluator`` returns for it (a callable taking a ``FormulaCell``), else ""
(and no effectiveValue). Tests of code that reads computed values must provide them.

USER_ENTERED parsing follows Sheets in the en_US locale: "12" -> 12, "1,234" -> 1234, "12%" ->
0.12 (PERCENT), "$1.50" -> 1.5 (CURRENCY), "000812" -> 812, "'000812" -> "000812", "=..." -> a
formula, "TRUE"/"false" -> booleans, "2026-11-23" -> 46349 with a DATE number format
(yyyy-mm-dd), "11/23/2026" -> a date (M/d/yyyy), "2026-11-23 14:30" -> DATE_TIME, "14:30" ->
TIME, "" clears the value, text with surrounding spaces stays text (other locales' number and
date forms are not modelled); everything is text in a cell whose number format is TEXT. RAW keeps
strings as strings. FORMATTED_VALUE renders numbers with a small subset of Sheets' number-format
patterns (0, #,##0.00, 0.0%, "$"#,##0.00, 0.00E+00, yyyy-mm-dd, M/d/yyyy, hh:mm:ss, am/pm, ...)
and "general" numbers with up to 10 significant digits: close to, not identical with, Sheets.
"""

from __future__ import annotations

import calendar
import copy
import datetime as dt
import difflib
import functools
import itertools
import json
import random
import re
import string
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import google.auth.transport.requests
import gspread
import pytest
import requests
from google.oauth2.credentials import Credentials
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

DISCOVERY_PATH = Path(__file__).parent / "data" / "sheets.v4.json"
SHEETS_HOST = "sheets.googleapis.com"
DRIVE_HOST = "www.googleapis.com"
SHEETS_MIME = "application/vnd.google-apps.spreadsheet"
FOLDER_MIME = "application/vnd.google-apps.folder"
CELL_LIMIT = 10_000_000
CELL_CHAR_LIMIT = 50_000
DEFAULT_ROWS, DEFAULT_COLUMNS = 1000, 26
DEFAULT_PIXEL_ROW, DEFAULT_PIXEL_COLUMN = 21, 100
FORMULA_RESULT = "_formulaResult"  # private key of a stored cell: the side-channel value of its formula


# --- Discovery-document validator -----------------------------------------------------------


class DiscoveryViolation(AssertionError):
    """A request that Sheets' discovery document (tests/data/sheets.v4.json) says is malformed.

    ``path`` names the bad field from the root of the body (``requests[0].repeatCell.fields``),
    or ``?name`` for a query parameter; ``method`` is the discovery method id.
    """

    def __init__(self, path: str, problem: str, method: str = "") -> None:
        self.path, self.problem, self.method = path, problem, method
        where = f"{path}: " if path else ""
        super().__init__(f"{method}: {where}{problem}" if method else f"{where}{problem}")


# Union ("oneof") fields the document states only in prose: schema -> (fields or None for all, rule).
UNIONS: dict[str, tuple[tuple[str, ...] | None, str]] = {
    "Request": (None, "exactly one"),
    "ExtendedValue": (None, "at most one"),
    "ColorStyle": (None, "at most one"),
    "UpdateCellsRequest": (("start", "range"), "exactly one"),
    "UpdateDimensionPropertiesRequest": (("range", "dataSourceSheetRange"), "exactly one"),
    "ConditionalFormatRule": (("booleanRule", "gradientRule"), "exactly one"),
    "EmbeddedObjectPosition": (None, "at most one"),
    "BasicFilter": (("range", "tableId"), "at most one"),
    "FilterView": (("range", "namedRangeId", "tableId"), "at most one"),
    "ProtectedRange": (("range", "namedRangeId", "tableId"), "at most one"),
    "DataFilter": (None, "exactly one"),  # oneof filter: a1Range, gridRange or developerMetadataLookup
}

# Update requests whose `fields` mask is relative to another message ("The root `cell` is implied").
FIELD_MASK_TARGETS = {
    "RepeatCellRequest": "CellData",
    "UpdateCellsRequest": "CellData",
    "AppendCellsRequest": "CellData",
    "UpdateSheetPropertiesRequest": "SheetProperties",
    "UpdateSpreadsheetPropertiesRequest": "SpreadsheetProperties",
    "UpdateDimensionPropertiesRequest": "DimensionProperties",
    "UpdateNamedRangeRequest": "NamedRange",
    "UpdateProtectedRangeRequest": "ProtectedRange",
    "UpdateFilterViewRequest": "FilterView",
    "UpdateBandingRequest": "BandedRange",
    "UpdateEmbeddedObjectPositionRequest": "OverlayPosition",
    "UpdateEmbeddedObjectBorderRequest": "EmbeddedObjectBorder",
    "UpdateSlicerSpecRequest": "SlicerSpec",
    "UpdateDimensionGroupRequest": "DimensionGroup",
    "UpdateDeveloperMetadataRequest": "DeveloperMetadata",
    "UpdateDataSourceRequest": "DataSource",
    "UpdateTableRequest": "Table",
}
OPTIONAL_MASKS = {"UpdateEmbeddedObjectPositionRequest"}  # only needed with an overlayPosition

# Messages that come back identical thousands of times in one batch (a format per cell): each
# distinct value is checked once and its verdict remembered (Discovery.check_cached).
CACHED_SCHEMAS = frozenset({"CellFormat", "DataValidationRule"})
CACHE_LIMIT = 20_000

INT_BOUNDS = {
    "int32": (-(2**31), 2**31 - 1),
    "uint32": (0, 2**32 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint64": (0, 2**64 - 1),
}
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", dict: "object", list: "array"}.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    text = json.dumps(value) if isinstance(value, (dict, list)) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _did_you_mean(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def parse_field_mask(mask: str) -> list[str]:
    """Split a Google field mask into dotted paths: 'a.b,c(d,e/f)' -> ['a.b', 'c.d', 'c.e.f']."""
    return list(_parsed_mask(mask))


@functools.lru_cache(maxsize=4096)
def _parsed_mask(mask: str) -> tuple[str, ...]:
    """parse_field_mask, remembered: the same few masks come with every cell of a batch."""
    pos = 0

    def parse_list(prefix: str) -> list[str]:
        nonlocal pos
        out: list[str] = []
        while True:
            start = pos
            while pos < len(mask) and mask[pos] not in ",()":
                pos += 1
            name = mask[start:pos].strip().replace("/", ".")
            full = f"{prefix}.{name}" if prefix and name else (prefix or name)
            if pos < len(mask) and mask[pos] == "(":
                pos += 1
                out.extend(parse_list(full))
                if pos >= len(mask) or mask[pos] != ")":
                    raise ValueError(f"unbalanced parentheses in field mask {mask!r}")
                pos += 1
            elif name:
                out.append(full)
            if pos < len(mask) and mask[pos] == ",":
                pos += 1
                continue
            return out

    paths = parse_list("")
    if pos != len(mask):
        raise ValueError(f"unexpected {mask[pos]!r} at position {pos} in field mask {mask!r}")
    return tuple(paths)


class Discovery:
    """Google's discovery document for Sheets v4 and a small validator over its schemas.

    Checks: ``$ref``, ``type`` (object/array/string/integer/number/boolean/any), ``properties``
    (unknown fields are errors), ``additionalProperties``, ``items``, ``enum``, ``format``
    (int32/uint32/int64/uint64 ranges, int64 as a digit string, google-datetime, google-fieldmask
    syntax), the unions in ``UNIONS``, the update masks in ``FIELD_MASK_TARGETS`` (present and
    naming real fields), ``ValueRange.values`` cells (bool/string/number only), and query
    parameters (known name, repeated or not, boolean/integer syntax, enum). JSON null counts as
    "not set". Not checked: required fields in general (the document does not say which are),
    readOnly/deprecated fields, string lengths and other limits stated only in descriptions.
    """

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.schemas: dict[str, dict[str, Any]] = doc["schemas"]
        self.revision: str = doc["revision"]
        self.methods: dict[str, dict[str, Any]] = {}
        self._verdicts: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self._collect(doc)

    def _collect(self, node: dict[str, Any]) -> None:
        for method in node.get("methods", {}).values():
            self.methods[method["id"]] = method
        for resource in node.get("resources", {}).values():
            self._collect(resource)

    # entry points: each returns a list of (path, problem)

    def check_body(self, method_id: str, body: Any) -> list[tuple[str, str]]:
        errors: list[tuple[str, str]] = []
        ref = self.methods[method_id].get("request", {}).get("$ref")
        if ref is None:
            if body not in (None, {}, b"", ""):
                errors.append(("", f"{method_id} takes no request body"))
            return errors
        self.check({"$ref": ref}, {} if body is None else body, "", errors)
        return errors

    def check_query(self, method_id: str, query: dict[str, list[str]]) -> list[tuple[str, str]]:
        errors: list[tuple[str, str]] = []
        method = self.methods[method_id]
        specs = dict(self.doc["parameters"])
        specs.update({k: v for k, v in method.get("parameters", {}).items() if v.get("location") == "query"})
        for name, values in query.items():
            path = f"?{name}"
            spec = specs.get(name)
            if spec is None:
                errors.append((path, f"unknown query parameter for {method_id}{_did_you_mean(name, specs)}"))
                continue
            if len(values) > 1 and not spec.get("repeated"):
                errors.append((path, f"given {len(values)} times but is not a repeated parameter"))
            for value in values:
                kind = spec.get("type")
                if kind == "boolean" and value.lower() not in ("true", "false"):
                    errors.append((path, f"expected a boolean, got {value!r}"))
                elif kind == "integer" and not re.fullmatch(r"-?\d+", value):
                    errors.append((path, f"expected an integer, got {value!r}"))
                elif "enum" in spec and value not in spec["enum"]:
                    errors.append((path, f"{value!r} not in enum {spec['enum']}{_did_you_mean(value, spec['enum'])}"))
        response = method.get("response", {}).get("$ref")
        if response:
            for mask in query.get("fields", []):
                self.check_mask(mask, response, "?fields", errors)
        return errors

    # the generic walk

    def check(self, schema: dict[str, Any], value: Any, path: str, errors: list[tuple[str, str]]) -> None:
        if value is None:  # JSON null: proto3 reads it as "not set"
            return
        if "$ref" in schema:
            name = schema["$ref"]
            if name in CACHED_SCHEMAS and isinstance(value, dict):
                self.check_cached(name, value, path, errors)
                return
            self.check(self.schemas[name], value, path, errors)
            if isinstance(value, dict):
                self._schema_rules(name, value, path, errors)
            return
        kind = schema.get("type")
        if kind == "any":
            return
        if kind == "object":
            self._check_object(schema, value, path, errors)
        elif kind == "array":
            if not isinstance(value, list):
                errors.append((path, f"expected array, got {_json_type(value)} {_short(value)}"))
                return
            for i, item in enumerate(value):
                self.check(schema.get("items", {"type": "any"}), item, f"{path}[{i}]", errors)
        elif kind == "string":
            self._check_string(schema, value, path, errors)
        elif kind == "integer":
            self._check_integer(schema.get("format", "int32"), value, path, errors)
        elif kind == "number":
            if isinstance(value, bool) or not (
                isinstance(value, (int, float)) or value in ("NaN", "Infinity", "-Infinity")
            ):
                errors.append((path, f"expected number, got {_json_type(value)} {_short(value)}"))
        elif kind == "boolean":
            if not isinstance(value, bool):
                errors.append((path, f"expected boolean, got {_json_type(value)} {_short(value)}"))

    def check_cached(self, name: str, value: dict[str, Any], path: str, errors: list[tuple[str, str]]) -> None:
        """check() of a message in CACHED_SCHEMAS: the problems of an equal value (same repr: same
        keys in the same order, same types) are found once, relative to the message, and re-rooted
        at ``path``."""
        key = (name, repr(value))
        found = self._verdicts.get(key)
        if found is None:
            found = []
            self.check(self.schemas[name], value, "", found)
            self._schema_rules(name, value, "", found)
            if len(self._verdicts) < CACHE_LIMIT:
                self._verdicts[key] = found
        for where, problem in found:
            errors.append((path + where if where.startswith("[") else _join(path, where) if where else path, problem))

    def _check_object(self, schema: dict[str, Any], value: Any, path: str, errors: list[tuple[str, str]]) -> None:
        if not isinstance(value, dict):
            errors.append((path, f"expected object, got {_json_type(value)} {_short(value)}"))
            return
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key in props:
                self.check(props[key], item, _join(path, key), errors)
            elif extra is not None:
                self.check(extra, item, _join(path, key), errors)
            else:
                name = schema.get("id", "this object")
                errors.append((_join(path, key), f"unknown field {key!r} in {name}{_did_you_mean(key, props)}"))

    def _check_string(self, schema: dict[str, Any], value: Any, path: str, errors: list[tuple[str, str]]) -> None:
        fmt = schema.get("format")
        if fmt in ("int64", "uint64") and isinstance(value, int) and not isinstance(value, bool):
            self._check_integer(fmt, value, path, errors)
            return
        if not isinstance(value, str):
            errors.append((path, f"expected string, got {_json_type(value)} {_short(value)}"))
            return
        if "enum" in schema and value not in schema["enum"]:
            errors.append((path, f"{value!r} not in enum {schema['enum']}{_did_you_mean(value, schema['enum'])}"))
        if fmt in ("int64", "uint64"):
            self._check_integer(fmt, value, path, errors)
        elif fmt == "google-datetime" and not _RFC3339.fullmatch(value):
            errors.append((path, f"{value!r} is not an RFC 3339 timestamp"))
        elif fmt == "google-fieldmask":
            try:
                parse_field_mask(value)
            except ValueError as error:
                errors.append((path, str(error)))

    def _check_integer(self, fmt: str, value: Any, path: str, errors: list[tuple[str, str]]) -> None:
        if isinstance(value, str) and fmt in ("int64", "uint64") and re.fullmatch(r"-?\d+", value):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            hint = " (send an int, not a float)" if isinstance(value, float) and value.is_integer() else ""
            errors.append((path, f"expected integer ({fmt}), got {_json_type(value)} {_short(value)}{hint}"))
            return
        low, high = INT_BOUNDS.get(fmt, INT_BOUNDS["int64"])
        if not low <= value <= high:
            errors.append((path, f"{value} is out of range for {fmt}"))

    def _schema_rules(self, name: str, value: dict[str, Any], path: str, errors: list[tuple[str, str]]) -> None:
        props = self.schemas[name].get("properties", {})
        if name in UNIONS:
            members, rule = UNIONS[name]
            members = members or tuple(props)
            chosen = [k for k in members if value.get(k) is not None]
            unknown = [k for k in value if k not in props]
            if len(chosen) > 1:
                errors.append((path, f"{rule} of {name}'s union fields may be set, got {chosen}"))
            elif rule == "exactly one" and not chosen and not unknown:
                shown = list(members) if len(members) <= 6 else f"{len(members)} kinds"
                errors.append((path, f"{name} needs exactly one of {shown}, got none"))
        if name in FIELD_MASK_TARGETS:
            mask = value.get("fields")
            if mask is None or (isinstance(mask, str) and not mask.strip()):
                if name not in OPTIONAL_MASKS:
                    problem = "required: at least one field must be specified ('*' for all)"
                    errors.append((_join(path, "fields"), problem))
            elif isinstance(mask, str):
                self.check_mask(mask, FIELD_MASK_TARGETS[name], _join(path, "fields"), errors)
        if name == "ValueRange" and isinstance(value.get("values"), list):
            for i, row in enumerate(value["values"]):
                for j, cell in enumerate(row if isinstance(row, list) else []):
                    if cell is not None and not isinstance(cell, (bool, int, float, str)):
                        errors.append((
                            f"{_join(path, 'values')}[{i}][{j}]",
                            f"cell values must be bool, string or number, got {_json_type(cell)} {_short(cell)}",
                        ))

    def check_mask(self, mask: str, schema_name: str, path: str, errors: list[tuple[str, str]]) -> None:
        """Every path of a field mask must name fields of ``schema_name`` (through messages)."""
        try:
            paths = _parsed_mask(mask)
        except ValueError as error:
            errors.append((path, str(error)))
            return
        for dotted in paths:
            schema, where = self.schemas[schema_name], schema_name
            for part in dotted.split("."):
                if part == "*":
                    break
                props = schema.get("properties")
                if props is None:
                    errors.append((path, f"{dotted!r}: {where} has no fields, so {part!r} cannot follow it"))
                    break
                if part not in props:
                    errors.append((path, f"{dotted!r}: {part!r} is not a field of {where}{_did_you_mean(part, props)}"))
                    break
                schema, where = props[part], f"{where}.{part}"
                while schema.get("type") == "array":
                    schema = schema.get("items", {})
                if "$ref" in schema:
                    where = schema["$ref"]
                    schema = self.schemas[where]


@functools.cache
def load_discovery(path: Path = DISCOVERY_PATH) -> Discovery:
    """The vendored discovery document, parsed once per process."""
    return Discovery(json.loads(path.read_text(encoding="utf-8")))


# --- A1 ranges ------------------------------------------------------------------------------


class RangeError(ValueError):
    """A range string Sheets would refuse to parse."""


def col_index(letters: str) -> int:
    """'A' -> 0, 'AA' -> 26."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def col_letters(index: int) -> str:
    """0 -> 'A', 26 -> 'AA'."""
    out, n = "", index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def quote_title(title: str) -> str:
    """A sheet title as Sheets writes it in a range: bare if it is a plain name, else quoted."""
    plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", title) and not re.fullmatch(
        r"[A-Za-z]{1,3}\d+|[Rr]\d*[Cc]\d*", title
    )
    return title if plain else "'" + title.replace("'", "''") + "'"


def a1_range(title: str, r0: int, c0: int, r1: int, c1: int) -> str:
    """Half-open 0-based bounds -> "Sheet1!A1:B2" ("Sheet1!A1" for one cell)."""
    start = f"{col_letters(c0)}{r0 + 1}"
    ref = start if (r1 - r0 == 1 and c1 - c0 == 1) else f"{start}:{col_letters(max(c1 - 1, c0))}{max(r1, r0 + 1)}"
    return f"{quote_title(title)}!{ref}"


def split_range(text: str) -> tuple[str | None, str | None]:
    """"'My sheet'!A1:B2" -> ("My sheet", "A1:B2"); "Sheet1!A1" -> ("Sheet1", "A1"); "A1" -> (None, "A1")."""
    text = text.strip()
    if text.startswith("'"):
        title, i = [], 1
        while i < len(text):
            if text[i] == "'":
                if text[i + 1 : i + 2] == "'":
                    title.append("'")
                    i += 2
                    continue
                break
            title.append(text[i])
            i += 1
        else:
            raise RangeError(text)
        rest = text[i + 1 :]
        if not rest:
            return "".join(title), None
        if not rest.startswith("!"):
            raise RangeError(text)
        return "".join(title), rest[1:]
    if "!" in text:
        title, a1 = text.split("!", 1)
        return title, a1
    return None, text


_A1_PART = re.compile(r"\$?([A-Za-z]{0,3})\$?(\d*)")


def parse_a1(a1: str) -> tuple[int | None, int | None, int | None, int | None]:
    """"B2:C" -> (1, 1, None, 3): 0-based half-open (r0, c0, r1, c1), None where unbounded."""
    parts = a1.strip().split(":")
    parsed = []
    for part in parts:
        match = _A1_PART.fullmatch(part)
        if not match or not (match.group(1) or match.group(2)) or match.group(2) in ("0",):
            raise RangeError(a1)
        parsed.append((match.group(1), match.group(2)))
    if len(parsed) == 1:
        letters, digits = parsed[0]
        if not (letters and digits):
            raise RangeError(a1)
        r, c = int(digits) - 1, col_index(letters)
        return r, c, r + 1, c + 1
    if len(parsed) != 2:
        raise RangeError(a1)
    (l1, d1), (l2, d2) = parsed
    if bool(l1) != bool(l2) and not (l1 and d1):  # "A:3" and the like
        raise RangeError(a1)
    r0 = int(d1) - 1 if d1 else 0
    r1 = int(d2) if d2 else None
    c0 = col_index(l1) if l1 else 0
    c1 = col_index(l2) + 1 if l2 else None
    if r1 is not None and r1 <= r0:
        r0, r1 = r1 - 1, r0 + 1
    if c1 is not None and c1 <= c0:
        c0, c1 = c1 - 1, c0 + 1
    return r0, c0, r1, c1


# --- Cell values ----------------------------------------------------------------------------

EPOCH = dt.datetime(1899, 12, 30)
DATE_TYPES = ("DATE", "TIME", "DATE_TIME")
DEFAULT_PATTERNS = {
    "NUMBER": "#,##0.00",
    "PERCENT": "0.00%",
    "CURRENCY": '"$"#,##0.00',
    "SCIENTIFIC": "0.00E+00",
    "DATE": "M/d/yyyy",
    "TIME": "h:mm:ss am/pm",
    "DATE_TIME": "M/d/yyyy H:mm:ss",
}
ERROR_TEXT = {
    "ERROR": "#ERROR!", "NULL_VALUE": "#NULL!", "DIVIDE_BY_ZERO": "#DIV/0!", "VALUE": "#VALUE!",
    "REF": "#REF!", "NAME": "#NAME?", "NUM": "#NUM!", "N_A": "#N/A", "LOADING": "Loading...",
}
_NUMBER_TEXT = re.compile(
    r"(?P<sign>[+-]?)(?P<cur>\$?)(?P<num>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)(?P<exp>[eE][+-]?\d+)?(?P<pct>%?)"
)
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_SLASH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")


def to_serial(moment: dt.datetime) -> float | int:
    """A datetime as a Sheets serial number (days since 1899-12-30)."""
    delta = moment - EPOCH
    if not delta.seconds and not delta.microseconds:
        return delta.days
    return delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400


def from_serial(serial: float) -> dt.datetime:
    return EPOCH + dt.timedelta(seconds=round(serial * 86400))


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and abs(value) < 2**53 and not re.search(r"[.eE]", text) else value


def parse_user_entered(value: Any, cell_format: dict[str, Any] | None = None) -> tuple[dict | None, dict | None]:
    """A value as Sheets reads it under USER_ENTERED: (ExtendedValue or None to clear, number
    format that Sheets applies on its own, or None)."""
    if isinstance(value, bool):
        return {"boolValue": value}, None
    if isinstance(value, (int, float)):
        return {"numberValue": value}, None
    text = str(value)
    if text == "":
        return None, None
    if ((cell_format or {}).get("numberFormat") or {}).get("type") == "TEXT":
        return {"stringValue": text}, None
    if text.startswith("'"):
        return {"stringValue": text[1:]}, None
    if text.startswith("=") and len(text) > 1:
        return {"formulaValue": text}, None
    if text.upper() in ("TRUE", "FALSE"):
        return {"boolValue": text.upper() == "TRUE"}, None
    match = _NUMBER_TEXT.fullmatch(text)
    if match:
        number = _number(match["num"].replace(",", "") + (match["exp"] or ""))
        if match["sign"] == "-":
            number = -number
        decimals = "." in match["num"]
        if match["pct"]:
            return {"numberValue": number / 100}, {"type": "PERCENT", "pattern": "0.00%" if decimals else "0%"}
        if match["cur"]:
            return {"numberValue": number}, {"type": "CURRENCY", "pattern": '"$"#,##0.00'}
        if match["exp"]:
            return {"numberValue": number}, {"type": "SCIENTIFIC", "pattern": "0.00E+00"}
        if "," in match["num"]:
            return {"numberValue": number}, {"type": "NUMBER", "pattern": "#,##0.00" if decimals else "#,##0"}
        return {"numberValue": number}, None
    parsed = _parse_date(text)
    if parsed:
        serial, number_format = parsed
        return {"numberValue": serial}, number_format
    return {"stringValue": text}, None


def _parse_date(text: str) -> tuple[float | int, dict[str, str]] | None:
    try:
        if m := _ISO_DATE.fullmatch(text):
            y, mo, d, h, mi, s = m.groups()
            if h is None:
                return to_serial(dt.datetime(int(y), int(mo), int(d))), {"type": "DATE", "pattern": "yyyy-mm-dd"}
            moment = dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0))
            return to_serial(moment), {"type": "DATE_TIME", "pattern": "yyyy-mm-dd hh:mm:ss"}
        if m := _SLASH_DATE.fullmatch(text):  # en_US: month first
            mo, d, y = (int(g) for g in m.groups())
            return to_serial(dt.datetime(y, mo, d)), {"type": "DATE", "pattern": "M/d/yyyy"}
        if m := _TIME.fullmatch(text):
            h, mi, s = int(m[1]), int(m[2]), int(m[3] or 0)
            if h < 24 and mi < 60 and s < 60:
                return (h * 3600 + mi * 60 + s) / 86400, {"type": "TIME", "pattern": "hh:mm:ss"}
    except ValueError:  # 2026-02-30 and the like stay text
        return None
    return None


def parse_raw(value: Any) -> dict | None:
    """A value under RAW: strings stay strings ("" clears the cell)."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, (int, float)):
        return {"numberValue": value}
    return {"stringValue": str(value)} if value != "" else None


def ev_to_python(ev: dict[str, Any]) -> Any:
    """An ExtendedValue as the JSON value Sheets renders (integral numbers as ints)."""
    if "numberValue" in ev:
        number = ev["numberValue"]
        if isinstance(number, float) and number.is_integer() and abs(number) < 2**53:
            return int(number)
        return number
    if "stringValue" in ev:
        return ev["stringValue"]
    if "boolValue" in ev:
        return ev["boolValue"]
    if "errorValue" in ev:
        return ERROR_TEXT.get(ev["errorValue"].get("type", "ERROR"), "#ERROR!")
    if "formulaValue" in ev:
        return ev["formulaValue"]
    return ""


def python_to_ev(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, (int, float)):
        return {"numberValue": value}
    return {"stringValue": str(value)}


def format_value(value: Any, number_format: dict[str, Any] | None) -> str:
    """A value as FORMATTED_VALUE shows it (a subset of Sheets' number formats)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return value
    return format_number(value, number_format)


def format_number(x: float, number_format: dict[str, Any] | None) -> str:
    kind = (number_format or {}).get("type")
    pattern = (number_format or {}).get("pattern") or DEFAULT_PATTERNS.get(kind or "")
    if not pattern or pattern in ("@", "General") or kind == "TEXT":
        return _general(x)
    sections = _split_sections(pattern)
    section, signed = sections[0], True
    if x < 0 and len(sections) > 1:
        section, x, signed = sections[1], -x, False
    elif x == 0 and len(sections) > 2:
        section = sections[2]
    tokens = _pattern_tokens(section)
    if kind in DATE_TYPES or (kind is None and re.search(r"[yd]|h+:m", section, re.I)):
        return _format_datetime(x, tokens)
    return _format_numeric(x, tokens, signed)


def _general(x: float) -> str:
    if isinstance(x, int) or (x.is_integer() and abs(x) < 1e15):
        return str(int(x))
    text = f"{x:.10g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}E{exponent[0]}{exponent[1:].lstrip('0').zfill(2)}"
    return text


def _split_sections(pattern: str) -> list[str]:
    sections, current, quoted, i = [], [], False, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == '"':
            quoted = not quoted
        elif ch == "\\" and not quoted and i + 1 < len(pattern):
            current.append(pattern[i : i + 2])
            i += 2
            continue
        elif ch == ";" and not quoted:
            sections.append("".join(current))
            current = []
            i += 1
            continue
        current.append(ch)
        i += 1
    sections.append("".join(current))
    return sections


def _pattern_tokens(section: str) -> list[tuple[str, str]]:
    """("lit", text) for quoted/escaped text, ("code", char) for pattern characters."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(section):
        ch = section[i]
        if ch == '"':
            end = section.find('"', i + 1)
            end = len(section) if end < 0 else end
            out.append(("lit", section[i + 1 : end]))
            i = end + 1
        elif ch == "\\" and i + 1 < len(section):
            out.append(("lit", section[i + 1]))
            i += 2
        elif ch == "_" and i + 1 < len(section):
            out.append(("lit", " "))
            i += 2
        elif ch == "*" and i + 1 < len(section):
            i += 2
        elif ch == "[":
            end = section.find("]", i)
            i = end + 1 if end >= 0 else len(section)
        else:
            out.append(("code", ch))
            i += 1
    return out


def _format_numeric(x: float, tokens: list[tuple[str, str]], signed: bool) -> str:
    digits = [i for i, (kind, ch) in enumerate(tokens) if kind == "code" and ch in "0#?"]
    if not digits:
        return "".join(ch for _, ch in tokens)
    first, last = digits[0], digits[-1]
    core = "".join(ch for kind, ch in tokens[first : last + 1] if kind == "code")
    prefix = "".join(ch for _, ch in tokens[:first])
    suffix = "".join(ch for _, ch in tokens[last + 1 :])
    if any(kind == "code" and ch == "%" for kind, ch in tokens):
        x *= 100
    negative = x < 0 and signed
    x = abs(x)
    mantissa, _, exponent = core.upper().partition("E")
    int_part, _, frac_part = mantissa.partition(".")
    decimals = sum(ch in "0#?" for ch in frac_part)
    min_frac = frac_part.count("0")
    if exponent:
        body = f"{x:.{decimals}E}"
        number, _, power = body.partition("E")
        exp_digits = max(exponent.count("0"), 1)
        body = f"{number}E{power[0]}{power[1:].lstrip('0').zfill(exp_digits)}"
    else:
        quantum = Decimal(1).scaleb(-decimals)
        rounded = Decimal(repr(float(x))).quantize(quantum, rounding=ROUND_HALF_UP)
        text = f"{rounded:,.{decimals}f}" if "," in int_part else f"{rounded:.{decimals}f}"
        whole, _, frac = text.partition(".")
        frac = frac.rstrip("0")
        frac += "0" * max(0, min_frac - len(frac))
        min_int = int_part.count("0")
        if whole == "0" and min_int == 0:
            whole = ""
        elif len(whole) < min_int:
            whole = whole.zfill(min_int)
        body = whole + ("." + frac if frac else "")
        if negative and not body.strip("0.,"):
            negative = False
    return ("-" if negative else "") + prefix + body + suffix


_DATE_TOKEN = re.compile(r"yyyy|yy|mmmmm|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|ss|s|am/pm|a/p|\.0+", re.I)


def _format_datetime(serial: float, tokens: list[tuple[str, str]]) -> str:
    moment = from_serial(serial)
    parts: list[tuple[str, str]] = []
    run = ""
    for kind, ch in tokens + [("lit", "")]:
        if kind == "code":
            run += ch
            continue
        pos = 0
        for match in _DATE_TOKEN.finditer(run):
            if match.start() > pos:
                parts.append(("lit", run[pos : match.start()]))
            parts.append(("tok", match.group(0)))
            pos = match.end()
        if pos < len(run):
            parts.append(("lit", run[pos:]))
        run = ""
        if ch:
            parts.append(("lit", ch))
    toks = [(i, t.lower()) for i, (k, t) in enumerate(parts) if k == "tok"]
    twelve = any(t in ("am/pm", "a/p") for _, t in toks)
    out = []
    for n, (kind, text) in enumerate(parts):
        if kind == "lit":
            out.append(text)
            continue
        t = text.lower()
        position = [i for i, _ in toks].index(n)
        before = toks[position - 1][1] if position > 0 else ""
        after = toks[position + 1][1] if position + 1 < len(toks) else ""
        minute = t in ("m", "mm") and (before in ("h", "hh") or after in ("s", "ss"))
        hour = moment.hour % 12 or 12 if twelve else moment.hour
        value = {
            "yyyy": f"{moment.year:04d}", "yy": f"{moment.year % 100:02d}",
            "mmmmm": calendar.month_name[moment.month][0], "mmmm": calendar.month_name[moment.month],
            "mmm": calendar.month_abbr[moment.month],
            "mm": f"{moment.minute:02d}" if minute else f"{moment.month:02d}",
            "m": str(moment.minute) if minute else str(moment.month),
            "dddd": calendar.day_name[moment.weekday()], "ddd": calendar.day_abbr[moment.weekday()],
            "dd": f"{moment.day:02d}", "d": str(moment.day),
            "hh": f"{hour:02d}", "h": str(hour), "ss": f"{moment.second:02d}", "s": str(moment.second),
            "am/pm": "AM" if moment.hour < 12 else "PM", "a/p": "a" if moment.hour < 12 else "p",
        }.get(t)
        out.append(value if value is not None else "." + "0" * (len(t) - 1))
    return "".join(out)


# --- Field masks applied to state -----------------------------------------------------------

_MISSING = object()
OUTPUT_ONLY_CELL_FIELDS = ("effectiveValue", "formattedValue", "effectiveFormat")


def _get_path(obj: Any, parts: list[str]) -> Any:
    for part in parts:
        if not isinstance(obj, dict) or part not in obj:
            return _MISSING
        obj = obj[part]
    return obj


def _set_path(obj: dict[str, Any], parts: list[str], value: Any) -> None:
    for part in parts[:-1]:
        if not isinstance(obj.get(part), dict):
            obj[part] = {}
        obj = obj[part]
    obj[parts[-1]] = value


def _del_path(obj: dict[str, Any], parts: list[str]) -> None:
    if len(parts) == 1:
        obj.pop(parts[0], None)
        return
    child = obj.get(parts[0])
    if isinstance(child, dict):
        _del_path(child, parts[1:])
        if not child:
            obj.pop(parts[0])


def json_copy(value: Any) -> Any:
    """copy.deepcopy for JSON data (dicts, lists, str, numbers, bool, None), several times
    faster; anything else goes through copy.deepcopy."""
    kind = type(value)
    if kind is dict:
        return {k: json_copy(v) for k, v in value.items()}
    if kind is list:
        return [json_copy(v) for v in value]
    if kind in (str, int, float, bool) or value is None:
        return value
    return copy.deepcopy(value)


def apply_mask(target: dict[str, Any], source: dict[str, Any], mask: str, *,
               share: bool = False) -> dict[str, Any]:
    """A new dict: ``target`` with the fields named by ``mask`` taken from ``source`` (a named
    field absent from ``source`` is cleared), as Google applies update field masks.

    ``share``: the result may share inner values with ``source`` and ``target`` (for cells,
    which are never changed in place, nor are request bodies); otherwise it is a deep copy."""
    paths = _parsed_mask(mask)
    if "*" in paths:
        return dict(source) if share else json_copy(source)
    # top-level fields only (the usual "userEnteredValue,userEnteredFormat"): nothing below the
    # top is changed in place, so the result may share target's inner values
    result = dict(target) if share and all("." not in p for p in paths) else json_copy(target)
    for dotted in paths:
        parts = dotted.split(".")
        value = _get_path(source, parts)
        if value is _MISSING:
            _del_path(result, parts)
        else:
            _set_path(result, parts, value if share else json_copy(value))
    return result


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def filter_fields(obj: Any, mask: str) -> Any:
    """A response cut down to a `fields` selector ("sheets(properties,data)", "files/id")."""
    tree: dict[str, Any] = {}
    for dotted in parse_field_mask(mask):
        node: dict[str, Any] | None = tree
        parts = dotted.split(".")
        for part in parts[:-1]:
            if node is None:
                break
            if part in node and node[part] is None:
                node = None
                break
            node = node.setdefault(part, {})
        if node is not None:
            node[parts[-1]] = None

    def cut(value: Any, selection: dict[str, Any] | None) -> Any:
        if selection is None or "*" in selection:
            return value
        if isinstance(value, list):
            return [cut(item, selection) for item in value]
        if isinstance(value, dict):
            return {k: cut(value[k], sub) for k, sub in selection.items() if k in value}
        return value

    return cut(obj, tree)


# --- State ----------------------------------------------------------------------------------


@dataclass
class FakeSheet:
    """One sheet (tab). ``cells`` maps (row, column), 0-based, to CellData as entered; a stored
    cell dict is never mutated in place (writes replace it), so snapshots can share them."""

    properties: dict[str, Any]
    cells: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    row_metadata: dict[int, dict[str, Any]] = field(default_factory=dict)
    column_metadata: dict[int, dict[str, Any]] = field(default_factory=dict)
    merges: list[dict[str, Any]] = field(default_factory=list)
    conditional_formats: list[dict[str, Any]] = field(default_factory=list)
    protected_ranges: list[dict[str, Any]] = field(default_factory=list)
    basic_filter: dict[str, Any] | None = None
    charts: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # other Sheet fields, stored as given

    @property
    def sheet_id(self) -> int:
        return self.properties["sheetId"]

    @property
    def title(self) -> str:
        return self.properties["title"]

    @property
    def index(self) -> int:
        return self.properties["index"]

    @property
    def grid(self) -> dict[str, Any]:
        """gridProperties ({} for a sheet without a grid, such as a chart sheet)."""
        return self.properties.get("gridProperties") or {}

    @property
    def row_count(self) -> int:
        return self.grid.get("rowCount", 0)

    @property
    def column_count(self) -> int:
        return self.grid.get("columnCount", 0)

    @property
    def frozen_row_count(self) -> int:
        return self.grid.get("frozenRowCount", 0)

    @property
    def frozen_column_count(self) -> int:
        return self.grid.get("frozenColumnCount", 0)

    @property
    def hidden(self) -> bool:
        return bool(self.properties.get("hidden", False))

    def cell(self, a1: str) -> dict[str, Any]:
        """The CellData stored at "B2" (a copy; {} when empty), without computed fields."""
        r, c, _, _ = parse_a1(a1)
        stored = self.cells.get((r, c), {})  # type: ignore[arg-type]
        return {k: copy.deepcopy(v) for k, v in stored.items() if not k.startswith("_")}

    def pixel_size(self, dimension: str, index: int) -> int:
        meta = self.row_metadata if dimension == "ROWS" else self.column_metadata
        default = DEFAULT_PIXEL_ROW if dimension == "ROWS" else DEFAULT_PIXEL_COLUMN
        return meta.get(index, {}).get("pixelSize", default)


@dataclass
class Area:
    """A resolved rectangle of one sheet, 0-based and half-open."""

    sheet: FakeSheet
    r0: int
    c0: int
    r1: int
    c1: int

    def a1(self) -> str:
        return a1_range(self.sheet.title, self.r0, self.c0, self.r1, self.c1)

    def positions(self) -> Iterator[tuple[int, int]]:
        for r in range(self.r0, self.r1):
            for c in range(self.c0, self.c1):
                yield r, c

    def contains(self, r: int, c: int) -> bool:
        return self.r0 <= r < self.r1 and self.c0 <= c < self.c1

    @property
    def single_cell(self) -> bool:
        return self.r1 - self.r0 == 1 and self.c1 - self.c0 == 1


@dataclass
class FakeSpreadsheet:
    spreadsheet_id: str
    properties: dict[str, Any]
    sheets: list[FakeSheet] = field(default_factory=list)
    named_ranges: list[dict[str, Any]] = field(default_factory=list)
    # every batchUpdate sub-request, in order: (kind, body, applied to state?)
    batch_requests: list[tuple[str, dict[str, Any], bool]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # other Spreadsheet fields, stored as given
    # sheetId -> position in ``sheets`` as last seen: a hint for sheet_by_id, checked on every use
    _positions: dict[int, int] = field(default_factory=dict, repr=False, compare=False)

    @property
    def title(self) -> str:
        return self.properties["title"]

    def sheet(self, key: str | int) -> FakeSheet:
        """A sheet by title or sheetId (KeyError if none)."""
        for sheet in self.sheets:
            if sheet.title == key or (isinstance(key, int) and sheet.sheet_id == key):
                return sheet
        raise KeyError(f"no sheet {key!r} in {self.title!r}: {[s.title for s in self.sheets]}")

    def find_sheet(self, title: str) -> FakeSheet | None:
        for sheet in self.sheets:
            if sheet.title == title:
                return sheet
        for sheet in self.sheets:
            if sheet.title.lower() == title.lower():
                return sheet
        return None

    def sheet_by_id(self, sheet_id: int) -> FakeSheet | None:
        sheets, i = self.sheets, self._positions.get(sheet_id)
        if i is not None and i < len(sheets) and sheets[i].properties.get("sheetId") == sheet_id:
            return sheets[i]  # sheetIds are unique: the hint is right (a batch of 1,000 tabs asks 100,000 times)
        self._positions = {s.sheet_id: n for n, s in enumerate(sheets)}
        i = self._positions.get(sheet_id)
        return None if i is None else sheets[i]

    def resolve(self, text: str, *, check_grid: bool = True) -> Area:
        """An A1 range ("'Count'!A1:C", "Sheet1", "A1:B2" on the first sheet, a named range)."""
        try:
            title, a1 = split_range(text)
            if title is not None:
                sheet = self.find_sheet(title)
                if sheet is None:
                    raise RangeError(text)
                bounds = (0, 0, None, None) if a1 is None else parse_a1(a1)
            else:
                assert a1 is not None
                sheet = self.find_sheet(a1)
                if sheet is not None:
                    bounds = (0, 0, None, None)
                else:
                    named = next((n for n in self.named_ranges if n["name"].lower() == a1.lower()), None)
                    if named is not None:
                        grid = named.get("range", {})
                        sheet = self.sheet_by_id(grid.get("sheetId", 0))
                        if sheet is None:
                            raise RangeError(text)
                        bounds = (grid.get("startRowIndex", 0), grid.get("startColumnIndex", 0),
                                  grid.get("endRowIndex"), grid.get("endColumnIndex"))
                    else:
                        sheet = self.sheets[0]
                        bounds = parse_a1(a1)
        except RangeError:
            raise ApiError(400, f"Unable to parse range: {text}") from None
        r0, c0, r1, c1 = bounds
        area = Area(sheet, r0 or 0, c0 or 0,
                    sheet.row_count if r1 is None else r1, sheet.column_count if c1 is None else c1)
        if check_grid:
            check_grid_limits(area)
        return area

    def snapshot(self) -> FakeSpreadsheet:
        """A deep copy that shares the (immutable) cell dicts: cheap enough for every batch."""
        memo: dict[int, Any] = {id(s.cells): dict(s.cells) for s in self.sheets}
        memo[id(self.batch_requests)] = list(self.batch_requests)  # entries are never changed: shared
        return copy.deepcopy(self, memo)

    def restore(self, snapshot: FakeSpreadsheet) -> None:
        self.__dict__.update(snapshot.__dict__)


class BatchUndo:
    """What makes a batchUpdate atomic without copying every sheet for every batch: the
    spreadsheet's own fields up front, and each sheet as it was just before the batch first
    reached it (``save``, called wherever a handler gets hold of a sheet to change); sheets the
    batch never reached need no copy. ``restore`` puts it all back (tab indexes renumbered)."""

    def __init__(self, ss: FakeSpreadsheet) -> None:
        self.ss = ss
        self.fields = {k: list(v) if k == "sheets" else json_copy(v) for k, v in ss.__dict__.items()
                       if k != "batch_requests"}
        self.history = len(ss.batch_requests)
        self.sheets: dict[int, tuple[FakeSheet, dict[str, Any]]] = {}

    def save(self, sheet: FakeSheet) -> None:
        if id(sheet) not in self.sheets:  # cells are never changed in place: a shallow copy keeps them
            self.sheets[id(sheet)] = (sheet, {k: dict(v) if k == "cells" else json_copy(v)
                                              for k, v in sheet.__dict__.items()})

    def restore(self) -> None:
        for sheet, state in self.sheets.values():
            sheet.__dict__.clear()
            sheet.__dict__.update(state)
        del self.ss.batch_requests[self.history:]
        self.ss.__dict__.update(self.fields)
        _renumber(self.ss)


def check_grid_limits(area: Area) -> None:
    sheet = area.sheet
    if area.r1 > sheet.row_count or area.c1 > sheet.column_count or area.r0 < 0 or area.c0 < 0:
        raise ApiError(
            400,
            f"Range ({area.a1()}) exceeds grid limits. Max rows: {sheet.row_count}, "
            f"max columns: {sheet.column_count}",
        )


@dataclass
class FormulaCell:
    """What ``FakeSheets.formula_evaluator`` is called with."""

    spreadsheet_id: str
    sheet_title: str
    row: int  # 0-based
    column: int  # 0-based
    a1: str
    formula: str


class ApiError(Exception):
    """An error answer, shaped as Google shapes it (Sheets: status; Drive: errors[])."""

    STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
              409: "ALREADY_EXISTS", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 501: "UNIMPLEMENTED",
              503: "UNAVAILABLE"}

    def __init__(self, code: int, message: str, *, drive_reason: str | None = None, **extra: Any) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.drive_reason, self.extra = code, message, drive_reason, extra

    def body(self) -> dict[str, Any]:
        if self.drive_reason:
            error = {"message": self.message, "domain": "global", "reason": self.drive_reason, **self.extra}
            return {"error": {"code": self.code, "message": self.message, "errors": [error]}}
        return {"error": {"code": self.code, "message": self.message, "status": self.STATUS.get(self.code, "UNKNOWN"),
                          **self.extra}}


class RecordedRequest(tuple):
    """One request as the fake saw it. Unpacks as (method, path, body); ``path`` is percent-
    decoded and without the query. Also: ``host``, ``query`` (name -> list of values),
    ``op`` (see ``FakeSheets.count``), ``status`` answered, ``faulted`` (by the fault injector),
    ``body_bytes`` (the size of the body as sent), ``url_chars`` (the length of the full URL)."""

    def __new__(cls, method: str, path: str, body: Any, *, host: str, query: dict[str, list[str]], op: str,
                body_bytes: int = 0, url_chars: int = 0):
        self = super().__new__(cls, (method, path, body))
        self.host, self.query, self.op = host, query, op
        self.body_bytes, self.url_chars = body_bytes, url_chars
        self.status: int | None = None
        self.faulted = False
        return self

    @property
    def method(self) -> str:
        return self[0]

    @property
    def path(self) -> str:
        return self[1]

    @property
    def body(self) -> Any:
        return self[2]


@dataclass
class Fault:
    status: int
    body: dict[str, Any]
    remaining: int
    kind: str


_QUOTA_DETAILS = {
    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
    "reason": "RATE_LIMIT_EXCEEDED",
    "domain": "googleapis.com",
    "metadata": {"service": "sheets.googleapis.com", "consumer": "projects/000000000000",
                 "quota_location": "global"},
}
# Drive's answer when the owner's storage is full. Google sends domain "global" here (as seen in
# real responses); the usageLimits domain is for the rate-limit 403s below. gspread's
# BackOffHTTPClient retries a 403 only for domain "usageLimits".
STORAGE_QUOTA_EXCEEDED = {
    "error": {
        "code": 403,
        "message": "The user's Drive storage quota has been exceeded.",
        "errors": [{"message": "The user's Drive storage quota has been exceeded.",
                    "domain": "global", "reason": "storageQuotaExceeded"}],
    }
}
FAULTS: dict[str | int, tuple[int, dict[str, Any]]] = {
    429: (429, {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "Quota exceeded for quota metric "
                "'{metric} requests' and limit '{metric} requests per minute per user' of service "
                "'sheets.googleapis.com' for consumer 'project_number:000000000000'.", "details": [_QUOTA_DETAILS]}}),
    500: (500, {"error": {"code": 500, "message": "Internal error encountered.", "status": "INTERNAL"}}),
    502: (502, {"error": {"code": 502, "message": "Bad Gateway", "status": "UNAVAILABLE"}}),
    503: (503, {"error": {"code": 503, "message": "The service is currently unavailable.", "status": "UNAVAILABLE"}}),
    403: (403, {"error": {"code": 403, "message": "The caller does not have permission",
                          "status": "PERMISSION_DENIED"}}),
    "storageQuotaExceeded": (403, STORAGE_QUOTA_EXCEEDED),
    "userRateLimitExceeded": (403, {"error": {"code": 403, "message": "User rate limit exceeded.", "errors": [
        {"message": "User rate limit exceeded.", "domain": "usageLimits", "reason": "userRateLimitExceeded"}]}}),
    "rateLimitExceeded": (403, {"error": {"code": 403, "message": "Rate limit exceeded.", "errors": [
        {"message": "Rate limit exceeded.", "domain": "usageLimits", "reason": "rateLimitExceeded"}]}}),
}

NO_CONTENT = object()  # a handler's answer for HTTP 204

# (HTTP method, host, path regex on the raw path, op, discovery method id or None, handler)
_S = r"/v4/spreadsheets/(?P<sid>[^/:]+)"
_F = r"/drive/v3/files/(?P<fid>[^/:]+)"
ROUTES = [
    ("POST", SHEETS_HOST, r"/v4/spreadsheets", "spreadsheets.create", "sheets.spreadsheets.create", "_sheets_create"),
    ("GET", SHEETS_HOST, _S, "spreadsheets.get", "sheets.spreadsheets.get", "_sheets_get"),
    ("POST", SHEETS_HOST, _S + ":batchUpdate", "spreadsheets.batchUpdate", "sheets.spreadsheets.batchUpdate",
     "_sheets_batch_update"),
    ("GET", SHEETS_HOST, _S + "/values:batchGet", "values.batchGet", "sheets.spreadsheets.values.batchGet",
     "_values_batch_get"),
    ("POST", SHEETS_HOST, _S + "/values:batchGetByDataFilter", "values.batchGetByDataFilter",
     "sheets.spreadsheets.values.batchGetByDataFilter", "_values_batch_get_by_data_filter"),
    ("POST", SHEETS_HOST, _S + "/values:batchUpdate", "values.batchUpdate", "sheets.spreadsheets.values.batchUpdate",
     "_values_batch_update"),
    ("POST", SHEETS_HOST, _S + "/values:batchClear", "values.batchClear", "sheets.spreadsheets.values.batchClear",
     "_values_batch_clear"),
    ("POST", SHEETS_HOST, _S + r"/values/(?P<rng>[^/]+):append", "values.append", "sheets.spreadsheets.values.append",
     "_values_append"),
    ("POST", SHEETS_HOST, _S + r"/values/(?P<rng>[^/]+):clear", "values.clear", "sheets.spreadsheets.values.clear",
     "_values_clear"),
    ("GET", SHEETS_HOST, _S + r"/values/(?P<rng>[^/]+)", "values.get", "sheets.spreadsheets.values.get", "_values_get"),
    ("PUT", SHEETS_HOST, _S + r"/values/(?P<rng>[^/]+)", "values.update", "sheets.spreadsheets.values.update",
     "_values_update"),
    ("POST", SHEETS_HOST, _S + r"/sheets/(?P<sheet_id>\d+):copyTo", "sheets.copyTo",
     "sheets.spreadsheets.sheets.copyTo", "_sheets_copy_to"),
    ("POST", DRIVE_HOST, r"/drive/v3/files", "drive.files.create", None, "_drive_create"),
    ("GET", DRIVE_HOST, r"/drive/v3/files", "drive.files.list", None, "_drive_list"),
    ("GET", DRIVE_HOST, _F, "drive.files.get", None, "_drive_get"),
    ("PATCH", DRIVE_HOST, _F, "drive.files.update", None, "_drive_update"),
    ("DELETE", DRIVE_HOST, _F, "drive.files.delete", None, "_drive_delete"),
    ("POST", DRIVE_HOST, _F + "/copy", "drive.files.copy", None, "_drive_copy"),
    ("POST", DRIVE_HOST, _F + "/permissions", "drive.permissions.create", None, "_drive_permission_create"),
    ("GET", DRIVE_HOST, _F + "/permissions", "drive.permissions.list", None, "_drive_permission_list"),
    ("PATCH", DRIVE_HOST, _F + r"/permissions/(?P<pid>[^/]+)", "drive.permissions.update", None,
     "_drive_permission_update"),
    ("DELETE", DRIVE_HOST, _F + r"/permissions/(?P<pid>[^/]+)", "drive.permissions.delete", None,
     "_drive_permission_delete"),
    ("GET", DRIVE_HOST, _F + "/comments", "drive.comments.list", None, "_drive_comments_list"),
    ("POST", DRIVE_HOST, _F + "/comments", "drive.comments.create", None, "_drive_comments_create"),
]
_COMPILED_ROUTES = [(m, h, re.compile(p), op, d, fn) for m, h, p, op, d, fn in ROUTES]
OPS = {route[3] for route in ROUTES} | {"unknown"}
# Google's read quota bucket: gets and lists, and batchGetByDataFilter (a POST that only reads)
READ_OPS = {"spreadsheets.get", "values.get", "values.batchGet", "values.batchGetByDataFilter", "drive.files.list",
            "drive.files.get", "drive.permissions.list", "drive.comments.list"}


class FakeSheets:
    """The fake's state and HTTP handling. Public attributes:

    - ``spreadsheets``: id -> ``FakeSpreadsheet``; ``files``: Drive file id -> metadata dict;
      ``permissions``: file id -> list of permission dicts; ``comments``: file id -> list;
      ``notifications``: the sharing e-mails Drive would have sent.
    - ``requests``: every ``RecordedRequest``, in order; ``count(kind)`` counts them.
    - ``violations``: ``DiscoveryViolation``s; ``unsupported``: endpoints/hosts/queries the fake
      refused; ``errors``: the ``ApiError``s it answered (404s, grid limits, ...).
    - ``raise_violations``: raise a DiscoveryViolation out of the HTTP call instead of answering 400.
    - ``formula_evaluator``: None, or a callable ``FormulaCell -> value | None``.
    """

    APPLIED_REQUESTS = frozenset({
        "addSheet", "deleteSheet", "duplicateSheet", "updateSheetProperties", "updateSpreadsheetProperties",
        "updateCells", "repeatCell", "appendCells", "updateBorders", "mergeCells", "unmergeCells",
        "setDataValidation", "addProtectedRange", "updateProtectedRange", "deleteProtectedRange",
        "addConditionalFormatRule", "updateConditionalFormatRule", "deleteConditionalFormatRule",
        "setBasicFilter", "clearBasicFilter", "addNamedRange", "updateNamedRange", "deleteNamedRange",
        "addChart", "updateChartSpec", "deleteEmbeddedObject", "updateDimensionProperties",
        "insertDimension", "deleteDimension", "appendDimension",
    })

    def __init__(self, *, seed: int = 0, raise_violations: bool = False, discovery: Discovery | None = None,
                 owner_email: str = "cyclekit-tests@example.com") -> None:
        self.discovery = discovery or load_discovery()
        self.spreadsheets: dict[str, FakeSpreadsheet] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.permissions: dict[str, list[dict[str, Any]]] = {}
        self.comments: dict[str, list[dict[str, Any]]] = {}
        self.notifications: list[dict[str, Any]] = []
        self.requests: list[RecordedRequest] = []
        self.violations: list[DiscoveryViolation] = []
        self.unsupported: list[str] = []
        self.errors: list[ApiError] = []
        self.raise_violations = raise_violations
        self.formula_evaluator: Callable[[FormulaCell], Any] | None = None
        self.owner_email = owner_email
        self._faults: list[Fault] = []
        self._rng = random.Random(seed)
        self._counter = itertools.count(1)
        self._clock = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        self._lock = threading.RLock()
        self._undo: BatchUndo | None = None  # during a batchUpdate

    # --- public helpers for tests --------------------------------------------------------

    def session(self) -> requests.Session:
        """An AuthorizedSession (dummy token) whose only reachable hosts are the fake's."""
        refused = requests.Session()
        for prefix in ("https://", "http://"):
            refused.mount(prefix, RefuseNetworkAdapter(self))
        credentials = Credentials(token="fake-token")
        session = google.auth.transport.requests.AuthorizedSession(
            credentials, auth_request=google.auth.transport.requests.Request(session=refused)
        )
        for prefix in ("https://", "http://"):
            session.mount(prefix, RefuseNetworkAdapter(self))
        adapter = FakeSheetsAdapter(self)
        session.mount(f"https://{SHEETS_HOST}/", adapter)
        session.mount(f"https://{DRIVE_HOST}/", adapter)
        return session

    def client(
        self, http_client: type[gspread.http_client.HTTPClient] = gspread.http_client.HTTPClient
    ) -> gspread.Client:
        """A real gspread.Client wired to this fake (pass BackOffHTTPClient to test retries)."""
        session = self.session()
        client = gspread.Client(session.credentials, session=session, http_client=http_client)
        client.http_client.auth = session.credentials  # gspread skips this when given a session
        return client

    def spreadsheet(self, spreadsheet_id: str) -> FakeSpreadsheet:
        return self.spreadsheets[spreadsheet_id]

    def new_spreadsheet(self, title: str = "Untitled spreadsheet", sheets: tuple[str, ...] = ("Sheet1",)) -> str:
        """Create a spreadsheet directly (no request recorded); returns its id."""
        with self._lock:
            body = {"properties": {"title": title}, "sheets": [{"properties": {"title": t}} for t in sheets]}
            return self._create(body, first_sheet_id=0)["spreadsheetId"]

    def new_folder(self, name: str = "cyclekit", parents: tuple[str, ...] = ("root",)) -> str:
        """Create a Drive folder directly (no request recorded); returns its id."""
        with self._lock:
            folder_id = "0F" + "".join(self._rng.choice(string.ascii_letters + string.digits) for _ in range(31))
            self._register_file(folder_id, name, FOLDER_MIME, list(parents))
            return folder_id

    def put_values(self, spreadsheet_id: str, range_: str, values: list[list[Any]],
                   value_input_option: str = "USER_ENTERED") -> dict[str, Any]:
        """Write values directly (no request recorded), as values.update would."""
        with self._lock:
            ss = self._ss(spreadsheet_id)
            return self._write_values(ss, range_, values, "ROWS", value_input_option)

    def get_values(self, spreadsheet_id: str, range_: str, render: str = "UNFORMATTED_VALUE",
                   date_time_render: str = "SERIAL_NUMBER") -> list[list[Any]]:
        """Read values directly (no request recorded), as values.get would answer them."""
        with self._lock:
            ss = self._ss(spreadsheet_id)
            return self._value_range(ss, range_, render, date_time_render, "ROWS").get("values", [])

    def set_formula_value(self, spreadsheet_id: str, a1: str, value: Any) -> None:
        """The value a formula cell shows (the fake has no engine); None forgets it. The cell
        must already hold a formula; rewriting the cell drops the value."""
        with self._lock:
            ss = self._ss(spreadsheet_id)
            area = ss.resolve(a1)
            for r, c in area.positions():
                old = area.sheet.cells.get((r, c), {})
                if "formulaValue" not in old.get("userEnteredValue", {}):
                    raise ValueError(f"{a1_range(area.sheet.title, r, c, r + 1, c + 1)} holds no formula: {old}")
                new = {k: v for k, v in old.items() if k != FORMULA_RESULT}
                if value is not None:
                    new[FORMULA_RESULT] = value
                area.sheet.cells[(r, c)] = new

    def inject_fault(self, fault: int | str = 429, *, times: int = 1, kind: str = "all",
                     body: dict[str, Any] | None = None) -> None:
        """The next ``times`` requests of ``kind`` (the vocabulary of ``count``) are answered with
        ``fault`` instead of being served: 429, 500, 502, 503, 403 (Sheets permission denied),
        "storageQuotaExceeded" (Drive 403), "userRateLimitExceeded" or "rateLimitExceeded" (Drive
        403, domain usageLimits); ``body`` replaces the canned error body."""
        self._check_kind(kind)
        status, canned = FAULTS[fault]
        self._faults.append(Fault(status, copy.deepcopy(body or canned), times, kind))

    @property
    def pending_faults(self) -> int:
        return sum(f.remaining for f in self._faults)

    def count(self, kind: str = "all") -> int:
        """How many recorded requests are of ``kind``: "all"; "read" / "write" (Google's quota
        buckets: gets and lists are reads, everything else writes); "sheets" / "drive"; an HTTP
        method ("GET"); an op such as "spreadsheets.batchUpdate", "values.update",
        "values.batchGet", "drive.files.create", "drive.permissions.create" (see ``OPS``);
        "failed" (answered >= 400) or "faulted" (by the fault injector). "batch:<kind>" counts
        sub-requests of that kind inside the batchUpdate bodies ("batch:repeatCell")."""
        self._check_kind(kind)
        if kind.startswith("batch:"):
            wanted = kind.split(":", 1)[1]
            return sum(
                1
                for rec in self.requests
                if rec.op == "spreadsheets.batchUpdate" and isinstance(rec.body, dict)
                for sub in rec.body.get("requests") or []
                if isinstance(sub, dict) and sub.get(wanted) is not None
            )
        return sum(1 for rec in self.requests if self._is_kind(rec, kind))

    def reset_counts(self) -> None:
        self.requests.clear()

    def assert_clean(self) -> None:
        """Fail if any request broke the discovery document or hit something the fake refuses."""
        if self.violations:
            lines = "\n  ".join(str(v) for v in self.violations)
            raise DiscoveryViolation("", f"{len(self.violations)} request(s) broke sheets.v4.json:\n  {lines}")
        if self.unsupported:
            lines = "\n  ".join(self.unsupported)
            raise AssertionError(f"the Sheets fake refused {len(self.unsupported)} request(s):\n  {lines}")

    @contextmanager
    def expect_violations(self) -> Iterator[list[DiscoveryViolation]]:
        """For tests that break the discovery document on purpose: the violations raised inside
        are moved to the yielded list (so teardown stays clean); none at all fails."""
        start = len(self.violations)
        caught: list[DiscoveryViolation] = []
        failed = False
        try:
            yield caught
        except BaseException:
            failed = True
            raise
        finally:
            caught.extend(self.violations[start:])
            del self.violations[start:]
            if not caught and not failed:
                raise AssertionError("expected a DiscoveryViolation, but every request was valid")

    # --- HTTP -----------------------------------------------------------------------------

    def handle(self, request: requests.PreparedRequest) -> requests.Response:
        with self._lock:
            split = urlsplit(request.url or "")
            query = parse_qs(split.query, keep_blank_values=True)
            body = _decode_body(request)
            method = (request.method or "GET").upper()
            route, groups = self._route(method, split.netloc, split.path)
            op = route[3] if route else "unknown"
            raw = request.body or b""
            rec = RecordedRequest(method, unquote(split.path), body, host=split.netloc, query=query, op=op,
                                  body_bytes=len(raw.encode("utf-8") if isinstance(raw, str) else raw),
                                  url_chars=len(request.url or ""))
            self.requests.append(rec)
            self._clock += dt.timedelta(seconds=1)
            status, payload = self._dispatch(rec, request, route, groups)
            rec.status = status
            return _response(request, status, payload)

    def _route(self, method: str, host: str, path: str) -> tuple[tuple | None, dict[str, str]]:
        for route in _COMPILED_ROUTES:
            if route[0] == method and route[1] == host:
                match = route[2].fullmatch(path)
                if match:
                    return route, {k: unquote(v) for k, v in match.groupdict().items()}
        return None, {}

    def _dispatch(self, rec: RecordedRequest, request: requests.PreparedRequest, route: tuple | None,
                  groups: dict[str, str]) -> tuple[int, Any]:
        fault = self._take_fault(rec)
        if fault is not None:
            rec.faulted = True
            text = json.dumps(fault.body).replace("{metric}", "Read" if rec.op in READ_OPS else "Write")
            return fault.status, json.loads(text)
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            return 401, ApiError(401, "Request is missing required authentication credential.").body()
        if route is None:
            message = f"the Sheets fake has no endpoint for {rec.method} https://{rec.host}{rec.path}"
            self.unsupported.append(message)
            return 404, ApiError(404, message).body()
        method_id = route[4]
        if method_id:
            problems = self.discovery.check_query(method_id, rec.query)
            if route[0] != "GET":
                problems += self.discovery.check_body(method_id, rec.body)
            if problems:
                found = [DiscoveryViolation(path, problem, method_id) for path, problem in problems]
                self.violations.extend(found)
                if self.raise_violations:
                    raise found[0]
                return 400, _violation_body(problems)
        try:
            payload = getattr(self, route[5])(rec, **groups)
        except ApiError as error:
            self.errors.append(error)
            return error.code, error.body()
        if payload is NO_CONTENT:
            return 204, None
        return 200, payload

    def _take_fault(self, rec: RecordedRequest) -> Fault | None:
        for fault in self._faults:
            if fault.remaining > 0 and self._is_kind(rec, fault.kind):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _check_kind(self, kind: str) -> None:
        simple = {"all", "read", "write", "sheets", "drive", "failed", "faulted",
                  "GET", "POST", "PUT", "PATCH", "DELETE"}
        if kind in simple or kind in OPS:
            return
        if kind.startswith("batch:") and kind[6:] in self.discovery.schemas["Request"]["properties"]:
            return
        raise ValueError(f"unknown request kind {kind!r}; use one of {sorted(simple)}, an op in {sorted(OPS)}, "
                         "or batch:<Request kind>")

    @staticmethod
    def _is_kind(rec: RecordedRequest, kind: str) -> bool:
        return {
            "all": True,
            "read": rec.op in READ_OPS,
            "write": rec.op not in READ_OPS,
            "sheets": rec.host == SHEETS_HOST,
            "drive": rec.host == DRIVE_HOST,
            "failed": (rec.status or 0) >= 400,
            "faulted": rec.faulted,
        }.get(kind, rec.op == kind or rec.method == kind)

    # --- ids and small lookups -------------------------------------------------------------

    def _new_spreadsheet_id(self) -> str:
        alphabet = string.ascii_letters + string.digits + "-_"
        while True:
            candidate = "1" + "".join(self._rng.choice(alphabet) for _ in range(43))
            if candidate not in self.files:
                return candidate

    def _new_int_id(self, used: set[int]) -> int:
        while True:
            candidate = self._rng.randint(1, 2**31 - 1)
            if candidate not in used:
                return candidate

    def _now(self) -> str:
        return self._clock.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    def _ss(self, spreadsheet_id: str) -> FakeSpreadsheet:
        ss = self.spreadsheets.get(spreadsheet_id)
        if ss is None:
            raise ApiError(404, "Requested entity was not found.")
        return ss

    def _file(self, file_id: str) -> dict[str, Any]:
        found = self.files.get(file_id)
        if found is None:
            raise ApiError(404, f"File not found: {file_id}.", drive_reason="notFound", location="fileId",
                           locationType="parameter")
        return found

    # --- Sheets: spreadsheets.create / get ------------------------------------------------

    def _sheets_create(self, rec: RecordedRequest) -> dict[str, Any]:
        return self._create(rec.body or {}, first_sheet_id=None)

    def _create(self, body: dict[str, Any], first_sheet_id: int | None) -> dict[str, Any]:
        sid = self._new_spreadsheet_id()
        properties = {"title": "Untitled spreadsheet", "locale": "en_US", "autoRecalc": "ON_CHANGE",
                      "timeZone": "Etc/GMT", "defaultFormat": copy.deepcopy(DEFAULT_FORMAT)}
        properties.update(copy.deepcopy(body.get("properties") or {}))
        ss = FakeSpreadsheet(sid, properties)
        sheets = body.get("sheets") or [{"properties": {"title": "Sheet1", "sheetId": 0}}]
        for i, sheet_body in enumerate(sheets):
            props = copy.deepcopy(sheet_body.get("properties") or {})
            if i == 0 and first_sheet_id is not None:
                props.setdefault("sheetId", first_sheet_id)
            sheet = self._add_sheet(ss, props, f"sheets[{i}]")
            for data in sheet_body.get("data") or []:
                r0, c0 = data.get("startRow", 0), data.get("startColumn", 0)
                for dr, row in enumerate(data.get("rowData") or []):
                    for dc, cell in enumerate(row.get("values") or []):
                        self._check_in_grid(sheet, r0 + dr, c0 + dc, f"sheets[{i}].data")
                        self._write_cell(sheet, r0 + dr, c0 + dc, cell or {}, "*")
            sheet.merges = copy.deepcopy(sheet_body.get("merges") or [])
            sheet.conditional_formats = copy.deepcopy(sheet_body.get("conditionalFormats") or [])
            sheet.protected_ranges = copy.deepcopy(sheet_body.get("protectedRanges") or [])
            sheet.basic_filter = copy.deepcopy(sheet_body.get("basicFilter"))
            sheet.charts = copy.deepcopy(sheet_body.get("charts") or [])
            used = {"properties", "data", "merges", "conditionalFormats", "protectedRanges", "basicFilter", "charts"}
            sheet.extra = {k: copy.deepcopy(v) for k, v in sheet_body.items() if k not in used and v is not None}
        for named in body.get("namedRanges") or []:
            self._req_addNamedRange(ss, {"namedRange": named}, "namedRanges")
        ss.extra = {k: copy.deepcopy(v) for k, v in body.items()
                    if k not in ("properties", "sheets", "namedRanges", "spreadsheetId", "spreadsheetUrl")
                    and v is not None}
        self.spreadsheets[sid] = ss
        self._register_file(sid, properties["title"], SHEETS_MIME, ["root"])
        return self._spreadsheet_resource(ss, include_grid=False, ranges=[])

    def _register_file(self, file_id: str, name: str, mime: str, parents: list[str]) -> dict[str, Any]:
        record = {"kind": "drive#file", "id": file_id, "name": name, "mimeType": mime, "parents": list(parents),
                  "createdTime": self._now(), "modifiedTime": self._now(), "trashed": False,
                  "webViewLink": f"https://docs.google.com/spreadsheets/d/{file_id}/edit"}
        self.files[file_id] = record
        self.permissions[file_id] = [{"kind": "drive#permission", "id": "owner", "type": "user", "role": "owner",
                                      "emailAddress": self.owner_email}]
        self.comments[file_id] = []
        return record

    def _sheets_get(self, rec: RecordedRequest, sid: str) -> dict[str, Any]:
        ss = self._ss(sid)
        include = _q1(rec.query, "includeGridData", "false").lower() == "true"
        fields = _q1(rec.query, "fields", "")
        if fields:  # Google: includeGridData is ignored when a field mask is set
            include = any(p.startswith("sheets.data") or p in ("sheets", "*") for p in parse_field_mask(fields))
        resource = self._spreadsheet_resource(ss, include, rec.query.get("ranges", []))
        return filter_fields(resource, fields) if fields else resource

    def _spreadsheet_resource(self, ss: FakeSpreadsheet, include_grid: bool, ranges: list[str]) -> dict[str, Any]:
        if ranges:
            areas = [ss.resolve(text) for text in ranges]
            order = []
            for area in areas:
                if area.sheet not in order:
                    order.append(area.sheet)
            per_sheet = [(sheet, [a for a in areas if a.sheet is sheet]) for sheet in order]
        else:
            per_sheet = [(s, [Area(s, 0, 0, s.row_count, s.column_count)]) for s in ss.sheets]
        out: dict[str, Any] = {"spreadsheetId": ss.spreadsheet_id, "properties": copy.deepcopy(ss.properties)}
        out["sheets"] = [self._sheet_resource(ss, sheet, areas if include_grid else []) for sheet, areas in per_sheet]
        if ss.named_ranges:
            out["namedRanges"] = copy.deepcopy(ss.named_ranges)
        out["spreadsheetUrl"] = f"https://docs.google.com/spreadsheets/d/{ss.spreadsheet_id}/edit"
        out.update(copy.deepcopy(ss.extra))
        return out

    def _sheet_resource(self, ss: FakeSpreadsheet, sheet: FakeSheet, areas: list[Area]) -> dict[str, Any]:
        out: dict[str, Any] = {"properties": copy.deepcopy(sheet.properties)}
        if areas:
            out["data"] = [self._grid_data(ss, area) for area in areas]
        for key, value in (("merges", sheet.merges), ("conditionalFormats", sheet.conditional_formats),
                           ("protectedRanges", sheet.protected_ranges), ("basicFilter", sheet.basic_filter),
                           ("charts", sheet.charts)):
            if value:
                out[key] = copy.deepcopy(value)
        out.update(copy.deepcopy(sheet.extra))
        return out

    def _grid_data(self, ss: FakeSpreadsheet, area: Area) -> dict[str, Any]:
        sheet = area.sheet
        present = sorted(pos for pos in sheet.cells if area.contains(*pos))
        by_row: dict[int, dict[int, dict[str, Any]]] = {}
        for r, c in present:
            by_row.setdefault(r, {})[c] = self._cell_resource(ss, sheet, r, c)
        rows = []
        last_row = max(by_row, default=area.r0 - 1)
        for r in range(area.r0, last_row + 1):
            cells = by_row.get(r, {})
            if not cells:
                rows.append({})
                continue
            rows.append({"values": [cells.get(c, {}) for c in range(area.c0, max(cells) + 1)]})
        out: dict[str, Any] = {}
        if area.r0:
            out["startRow"] = area.r0
        if area.c0:
            out["startColumn"] = area.c0
        out["rowData"] = rows
        out["rowMetadata"] = [self._dimension_resource(sheet, "ROWS", r) for r in range(area.r0, area.r1)]
        out["columnMetadata"] = [self._dimension_resource(sheet, "COLUMNS", c) for c in range(area.c0, area.c1)]
        return out

    @staticmethod
    def _dimension_resource(sheet: FakeSheet, dimension: str, index: int) -> dict[str, Any]:
        meta = sheet.row_metadata if dimension == "ROWS" else sheet.column_metadata
        out = {"pixelSize": sheet.pixel_size(dimension, index)}
        out.update(copy.deepcopy(meta.get(index, {})))
        return out

    def _cell_resource(self, ss: FakeSpreadsheet, sheet: FakeSheet, r: int, c: int) -> dict[str, Any]:
        stored = sheet.cells[(r, c)]
        out = {k: copy.deepcopy(v) for k, v in stored.items() if not k.startswith("_")}
        entered = stored.get("userEnteredValue")
        if entered:
            value = self._effective_value(ss, sheet, r, c, stored)
            if value is not None:
                out["effectiveValue"] = python_to_ev(value) if "formulaValue" in entered else copy.deepcopy(entered)
                out["formattedValue"] = format_value(value, _number_format(stored))
        if entered or "userEnteredFormat" in stored:
            out["effectiveFormat"] = deep_merge(ss.properties.get("defaultFormat", {}),
                                                stored.get("userEnteredFormat", {}))
        return out

    def _effective_value(self, ss: FakeSpreadsheet, sheet: FakeSheet, r: int, c: int, cell: dict[str, Any]) -> Any:
        entered = cell.get("userEnteredValue") or {}
        if "formulaValue" not in entered:
            return ev_to_python(entered) if entered else None
        if FORMULA_RESULT in cell:
            return cell[FORMULA_RESULT]
        if self.formula_evaluator is not None:
            a1 = a1_range(sheet.title, r, c, r + 1, c + 1)
            formula = FormulaCell(ss.spreadsheet_id, sheet.title, r, c, a1, entered["formulaValue"])
            return self.formula_evaluator(formula)
        return None

    # --- Sheets: batchUpdate ---------------------------------------------------------------

    def _sheets_batch_update(self, rec: RecordedRequest, sid: str) -> dict[str, Any]:
        ss = self._ss(sid)
        body = rec.body or {}
        requests_ = body.get("requests") or []
        if not requests_:
            raise ApiError(400, "Must specify at least one request.")
        undo = self._undo = BatchUndo(ss)
        replies = []
        try:
            for i, request in enumerate(requests_):
                kind, args = next((k, v) for k, v in request.items() if v is not None)
                applied = kind in self.APPLIED_REQUESTS
                ss.batch_requests.append((kind, args, applied))  # the request body: never changed
                reply = getattr(self, f"_req_{kind}")(ss, args, f"requests[{i}].{kind}") if applied else None
                replies.append(reply or {})
        except ApiError:
            undo.restore()
            raise
        finally:
            self._undo = None
        out: dict[str, Any] = {"spreadsheetId": sid, "replies": replies}
        if body.get("includeSpreadsheetInResponse"):
            out["updatedSpreadsheet"] = self._spreadsheet_resource(
                ss, bool(body.get("responseIncludeGridData")), body.get("responseRanges") or [])
        return out

    def _grid_area(self, ss: FakeSpreadsheet, grid: dict[str, Any] | None, where: str) -> Area:
        """A GridRange (sheetId defaults to 0, as proto3 reads a missing field) -> Area."""
        grid = grid or {}
        sheet = self._sheet_by_id(ss, grid.get("sheetId", 0), where)
        r0, c0 = grid.get("startRowIndex", 0), grid.get("startColumnIndex", 0)
        r1, c1 = grid.get("endRowIndex", sheet.row_count), grid.get("endColumnIndex", sheet.column_count)
        if r1 < r0 or c1 < c0:
            raise ApiError(400, f"Invalid {where}: the range's end index is before its start index: {grid}")
        area = Area(sheet, r0, c0, r1, c1)
        try:
            check_grid_limits(area)
        except ApiError as error:
            raise ApiError(400, f"Invalid {where}: {error.message}") from None
        return area

    def _sheet_by_id(self, ss: FakeSpreadsheet, sheet_id: int, where: str) -> FakeSheet:
        """The sheet a request names; inside a batchUpdate, saved for its undo first."""
        sheet = ss.sheet_by_id(sheet_id)
        if sheet is None:
            raise ApiError(400, f"Invalid {where}: No grid with id: {sheet_id}")
        if self._undo is not None:
            self._undo.save(sheet)
        return sheet

    def _check_in_grid(self, sheet: FakeSheet, r: int, c: int, where: str) -> None:
        if r >= sheet.row_count or c >= sheet.column_count:
            raise ApiError(400, f"Invalid {where}: {a1_range(sheet.title, r, c, r + 1, c + 1)} is outside the grid "
                                f"(Max rows: {sheet.row_count}, max columns: {sheet.column_count})")

    def _check_cell_limit(self, ss: FakeSpreadsheet, where: str) -> None:
        total = sum(s.row_count * s.column_count for s in ss.sheets)
        if total > CELL_LIMIT:
            raise ApiError(400, f"Invalid {where}: This action would increase the number of cells in the workbook "
                                f"above the limit of {CELL_LIMIT} cells.")

    def _write_cell(self, sheet: FakeSheet, r: int, c: int, data: dict[str, Any], mask: str) -> None:
        """Apply CellData through a field mask; the formula side value goes if the value changes."""
        old = sheet.cells.get((r, c), {})
        source = {k: v for k, v in data.items() if k not in OUTPUT_ONLY_CELL_FIELDS}
        public_old = {k: v for k, v in old.items() if not k.startswith("_")}
        new = apply_mask(public_old, source, mask, share=True)  # stored cells are never changed in place
        if FORMULA_RESULT in old and new.get("userEnteredValue") == old.get("userEnteredValue"):
            new[FORMULA_RESULT] = old[FORMULA_RESULT]
        self._store_cell(sheet, r, c, new)

    @staticmethod
    def _store_cell(sheet: FakeSheet, r: int, c: int, cell: dict[str, Any]) -> None:
        entered = cell.get("userEnteredValue") or {}
        text = entered.get("stringValue", entered.get("formulaValue"))
        if isinstance(text, str) and len(text) > CELL_CHAR_LIMIT:
            raise ApiError(400, f"Your input contains more than the maximum of {CELL_CHAR_LIMIT} characters in a "
                                "single cell.")
        if cell:
            sheet.cells[(r, c)] = cell
        else:
            sheet.cells.pop((r, c), None)

    def _add_sheet(self, ss: FakeSpreadsheet, props: dict[str, Any], where: str) -> FakeSheet:
        titles = {s.title.lower() for s in ss.sheets}
        title = props.get("title")
        if title is None:
            n = len(ss.sheets) + 1
            while f"sheet{n}" in titles:
                n += 1
            title = f"Sheet{n}"
        if not str(title).strip():
            raise ApiError(400, f"Invalid {where}: a sheet's title cannot be empty.")
        if title.lower() in titles:
            raise ApiError(400, f'Invalid {where}: A sheet with the name "{title}" already exists. '
                                "Please enter another name.")
        used = {s.sheet_id for s in ss.sheets}
        sheet_id = props.get("sheetId")
        if sheet_id is None:
            sheet_id = self._new_int_id(used)
        elif sheet_id in used or sheet_id < 0:
            raise ApiError(400, f"Invalid {where}: Sheet ID {sheet_id} is already in use or negative.")
        properties = {k: v for k, v in props.items() if v is not None}
        properties.update({"sheetId": sheet_id, "title": title})
        properties.setdefault("sheetType", "GRID")
        if properties["sheetType"] == "GRID":
            properties["gridProperties"] = {"rowCount": DEFAULT_ROWS, "columnCount": DEFAULT_COLUMNS,
                                            **(props.get("gridProperties") or {})}
        _sync_tab_color(properties, touched=("tabColor", "tabColorStyle"))
        sheet = FakeSheet(properties)
        index = props.get("index")
        index = len(ss.sheets) if index is None else max(0, min(index, len(ss.sheets)))
        ss.sheets.insert(index, sheet)
        _renumber(ss)
        self._check_cell_limit(ss, where)
        return sheet

    def _req_addSheet(self, ss: FakeSpreadsheet, args: dict[str, Any], where: str) -> dict[str, Any]:
        sheet = self._add_sheet(ss, copy.deepcopy(args.get("properties") or {}), where)
        return {"addSheet": {"properties": copy.deepcopy(sheet.properties)}}

    def _req_deleteSheet(self, ss: FakeSpreadsheet, args: dict[str, Any], where: str) -> None:
        sheet = self._sheet_by_id(ss, args.get("sheetId", 0), where)
        if len(ss.sheets) == 1:
            raise ApiError(400, f"Invalid {where}: You can't remove all the sheets in a document.")
        ss.sheets.remove(sheet)
        _renumber(ss)

    def _req_duplicateSheet(self, ss: FakeSpreadsheet, args: dict[str, Any], where: str) -> dict[str, Any]:
        source = self._sheet_by_id(ss, args.get("sourceSheetId", 0), where)
        copy_ = self._copy_sheet(source, ss, args.get("newSheetName"), args.get("newSheetId"),
                                 args.get("insertSheetIndex"), where)
        return {"duplicateSheet": {"properties": copy.deepcopy(copy_.properties)}}

    def _copy_sheet(self, source: FakeSheet, dest: FakeSpreadsheet, title: str | None, sheet_id: int | None,
                    index: int | None, where: str) -> FakeSheet:
        if title is None:
            title, n = f"Copy of {source.title}", 2
            while dest.find_sheet(title):
                title, n = f"Copy of {source.title} {n}", n + 1
        props = copy.deepcopy(source.properties)
        props.update({"title": title, "sheetId": sheet_id, "index": index})
        new = self._add_sheet(dest, props, where)
        new.cells = dict(source.cells)
        new.row_metadata = copy.deepcopy(source.row_metadata)
        new.column_metadata = copy.deepcopy(source.column_metadata)
        for name in ("merges", "conditional_formats", "protected_ranges", "basic_filter", "charts", "extra"):
            setattr(new, name, _replace_sheet_id(copy.deepcopy(getattr(source, name)), source.sheet_id, new.sheet_id))
        return new

    def _req_updateSheetProperties(self, ss: FakeSpreadsheet, args: dict[str, Any], where: str) -> None:
        given = args.get("properties") or {}
        sheet = self._sheet_by_id(ss, given.get("sheetId", 0), where)
        mask = args["fields"]
        old = sheet.properties
        new = apply_mask(old, given, mask)
        new["sheetId"] = old["sheetId"]
        new.setdefault("sheetType", old.get("sheetType", "GRID"))
        if old.get("gridProperties") is not None:
            new["gridProperties"] = {"rowCount": old["gridProperties"]["rowCount"],
                                     "columnCount": old["gridProperties"]["columnCount"],
                                     **(new.get("gridProperties") or {})}
        title = new.get("title", "")
        if not str(title).strip():
            raise ApiError(400, f"Invalid {where}: a sheet's title cannot be empty.")
        if any(s is not sheet and s.title.lower() == title.lower() for s in ss.sheets):
            raise ApiError(400, f'Invalid {where}: A sheet with the name "{title}" already exists. '
                                "Please enter another name.")
        grid = new.get("gridProperties") or {}
        if grid:
            if grid.get("rowCount", 1) < 1 or grid.get("columnCount", 1) < 1:
                raise ApiError(400, f"Invalid {where}: a grid needs at least one row and one column.")
            if grid.get("frozenRowCount", 0) >= grid["rowCount"]:
                raise ApiError(400, f"Invalid {where}: You can't freeze all visible rows on the sheet.")
            if grid.get("frozenColumnCount", 0) >= grid["columnCount"]:
                raise ApiError(400, f"Invalid {where}: You can't freeze all visible columns on the sheet.")
        _sync_tab_color(new, touched=[p.split(".")[0] for p in parse_field_mask(mask)])
        new_index = new.get("index", old["index"])
        sheet.properties = new
        if grid:
            self._drop_outside_grid(sheet)
        if new_index != old["index"]:  # Sheets counts the target index before the move
            ss.sheets.remove(sheet)
            position = new_index if new_index <= old["index"] else new_index - 1
            ss.sheets.insert(max(0, min(position, len(ss.sheets))), sheet)
        _renumber(ss)
        if all(s.hidden for s in ss.sheets):
            raise ApiError(400, f"Invalid {where}: You can't hide all the sheets in a document.")
        self._check_cell_limit(ss, where)

    @staticmethod
    def _drop_outside_grid(sheet: FakeSheet) -> None:
        rows, cols = sheet.row_count, sheet.column_count
        sheet.cells = {pos: cell for pos, cell in sheet.cells.items() if pos[0] < rows and pos[1] < cols}
        sheet.row_metadata = {i: m for i, m in sheet.row_metadata.items() if i < rows}
        sheet.column_metadata = {i: m for i, m in sheet.column_metadata.items() if i < cols}

    def _req_updateSpreadsheetProperties(self, ss: FakeSpreadsheet, args: dict[str, Any], where: str) -> None:
        new = apply_mask(ss.properties, args.get("properties") or {}, args["fields"])
        if not str(new.get("title", "")).strip():
            raise ApiError(400, f"Invalid {where}: the spreadsheet's title cannot be empty.")
        ss.properties = new
        if ss.spreadsheet_id in self.files:
            self.files[ss.spreadsheet_id]["name"] = new["title"]

    def _req_updateCells(self, ss: FakeSpreadsheet, args: dict[str, Any], where: str) -> None:
        rows = args.get("rows") or []
        mask = args["fields"]
        if args.get("range") is not None:
            area = self._grid_area(ss, args["range"], where)
            if len(rows) > area.r1 - area.r0 or any(len(r.get("values") or []) > area.c1 - area.c0 for r in rows):
                raise ApiError(400, f"Invalid {where}: the rows go beyond the requested range {area.a1()}")
            for r, c in area.positions():
                row = rows[r - area.r0] if r - area.r0 < len(rows) else {}
                values = row.get("values") or []
                data = values[c - area.c0] if c - area.c0 < len(values) else {}
                self._write_cell(area.sheet, r, c, data or {}, mask)
            return
        start = args.get("start") or {}
        sheet = self._sheet_by_id(ss, start.get("sheetId", 0), where)
        r0, c0 = start.get("rowIndex", 0), start.get("columnIndex", 0)
        for dr, row in enumerate(rows):
            for dc, data in enumerate(row.get("values") or []):
                self._check_in_grid(sheet, r0 + dr, c0 + dc, where)
                self._write_cell(sheet, r0 + dr, c0 + dc, data or {}, mask)

    def _req_repeatCell(self, ss: FakeSpreadsheet, args: dict[str, Any], where: str) -> None:
        area = self._grid_area(ss, args.get("range"), where)
        data, mask = args.get("cell") or {}, args["fields"]
        for r, c in area.positions():
            self._write_cell(area.sheet, r, c, data, mask)

    def _req_appendCells(self, ss: FakeSpreadsheet, args: dict[str, Any], where: str) -> None:
        sheet = self._sheet_by_id(ss, args.get("sheetId", 0), where)
        rows = args.get("rows") or []
        start = 1 + max((r for (r, _), cell in sheet.cells.items() if cell.get("userEnteredValue")), default=-1)
        needed = start + len(rows)
        if needed > sheet.row_count:
            sheet.grid["rowCount"] = needed
            self._check_cell_limit(ss, where)
        for dr, row in enumerate(rows):
            for c, data in enumerate(row.get("values") or []):
                self._check_in_grid(sheet, start + dr, c, where)
                self._write_cell(sheet, start + dr, c, data or {}, args["fields"])

    def _req_updateBorders(self, ss: FakeSpreadsheet, args: dict[str, Any], where: str) -> None:
        area = self._grid_area(ss, args.get("range"), where)
        for r, c in area.positions():
            sides = {
                "top": args.get("top") if r == area.r0 else args.get("innerHorizontal"),
                "bottom": args.get("bottom") if r == area.r1 - 1 else args.get("innerHorizontal"),
                "left": args.get("left") if c == area.c0 else args.get("innerVertical"),
                "right": args.get("right") if c == area.c1 - 1 else args.get("innerVertical"),
            }
            sides = {k: v for k, v in sides.items() if v is not None}
            if not sides:
                continue
            old = area.sheet.cells.get((r, c), {})
            fmt = copy.deepcopy(old.get("userEnteredFormat") or {})
            borders = fmt.setdefault("borders", {})
            for side, border in sides.items():
                if border.get("style") == "NONE":
                    borders.pop(side, None)
                else:
                    borders[side] = copy.deepcopy(border)
            if not borders:
                fmt.pop("borders")
            new = {k: v for k, v in old.items() if k != "userEnteredFormat"}
            if fmt:
                new["userEnteredFormat"] = fmt
            self._store_cell(area.sheet, r, c, new)

    def _req_mergeCells(self, ss: FakeSpreadsheet, args: dict[str, Any], where: str) -> None:
        area = self._grid_area(ss, args.get("range"), where)
        kind = args.get("mergeType") or "MERGE_ALL"
        if kind == "MERGE_ROWS":
            pieces = [(r, area.c0, r + 1, area.c1) for r in range(area.r0, area.r1)]
        elif kind == "MERGE_COLUMNS":
            pieces = [(area.r0, c, area.r1, c + 1) for c in range(area.c0, area.c1)]
        else:
            pieces = [(area.r0, area.c0, area.r1, area.c1)]
        sheet = area.sheet
        kept = []
        for merge in sheet.merges:
            m = _bounds(merge)
            if _inside(m, (area.r0, area.c0, area.r1, area.c1)):
                continue
            if _overlap(m, (area.r0, area.c0, area.r1, area.c1)):
                raise ApiError(400, f"Invalid {where}: You must select all cells in a merged range to merge or "
                                    "unmerge them.")
            kept.append(merge)
        for r0, c0, r1, c1 in pieces:
            if (r1 - r0) * (c1 - c0) > 1:
                kept.append({"sheetId": sheet.sheet_id, "startRowIndex": r0, "endRowIndex": r1,
                             "startColumnIndex": c0, "endColumnIndex": c1})
        sheet.merges = kept

    def _req_unmergeCells(self, ss: FakeSpreadsheet, args: dict[str, Any], where: str) -> None:
        area = self._grid_area(ss, args.get("range"), where)
        box = (area.r0, area.c0, area.r1, area.c1)
        kept = []
        for merge in area.sheet.merges:
            m = _bounds(merge)
            if _inside(m, box):
                continue
            if _overlap(m, box):
                raise ApiError(400, f"Invalid {where}: You must select all cells in a merged range to merge or "
                                    "unmerge them.")
            kept.append(merge)
        area.sheet.merges = kept

    def _req_setDataValidation(self, ss: FakeSpreadsheet, args: dict[str, Any], where: str) -> None:
        area = self._grid_area(ss, args.get("range"), where)
        rule = args.get("rule")
        for r, c in area.positions():
            old = area.sheet.cells.get((r, c), {})
            new = {k: v for k, v in old.items() if k != "dataValidation"}
            if rule:
                new["dataValidation"] = json_copy(rule)
            self._store_cell(area.sheet, r, c, new)

    def _protected_sheet(self, ss: FakeSpreadsheet, protected: dict[str, Any], where: str) -> FakeSheet:
        if protected.get("namedRangeId"):
            named = self._named_range(ss, protected["namedRangeId"], where)
            return self._sheet_by_id(ss, named["range"].get("sheetId", 0), where)
        return self._grid_area(ss, protected.get("range"), where).sheet

    def _req_addProtectedRange(self, ss: FakeSpreadsheet, args: dict[str, Any], where: str) -> dict[str, Any]:
        protected = copy.deepcopy(args.get("protectedRange") or {})
        sheet = self._protected_sheet(ss, protected, where)
        used = {p["protectedRangeId"] for s in ss.sheets for p in s.protected_ranges}
        if protected.get("protectedRangeId") in used:
            raise ApiError(400, f"Invalid {where}: protectedRangeId {protected['protectedRangeId']} is already in use.")
        protected.setdefault("protectedRangeId", self._new_int_id(used))
        protected.setdefault("requestingUserCanEdit", True)
        sheet.protected_ranges.append(protected)
        return {"addProtectedRange": {"protectedRange": copy.deepcopy(protected)}}

    def _find_protected(self, ss: FakeSpreadsheet, protected_id: Any, where: str) -> tuple[FakeSheet, int]:
        for sheet in ss.sheets:
            for i, protected in enumerate(sheet.protected_ranges):
                if protected["protectedRangeId"] == protected_id:
                    if self._undo is not None:
                        self._undo.save(sheet)
                    return sheet, i
        raise ApiError(400, f"Invalid {where}: No protected range with id: {protected_id}")

    def _req_updateProtectedRange(self, ss: FakeSpreadsheet, args: dict[str, Any], where: str) -> None:
        given = args.get("protectedRange") or {}
        sheet, i = self._find_protected(ss, given.get("protectedRangeId"), where)
        new = apply_mask(sheet.protected_ranges[i], given, args["fields"])
        new["protectedRangeId"] = sheet.protected_ranges[i]["protectedRangeId"]
        sheet.protected_ranges[i] = new

    def _req_deleteProtectedRange(self, ss: FakeSpreadsheet, args: dict[str, Any], where: str) -> None:
        sheet, i = self._find_protected(ss, args.get("protectedRangeId"), where)
        del sheet.protected_ranges[i]

    def _req_addConditionalFormatRule(self, ss: FakeSpreadsheet, args: dict[str, Any], where: str) -> None:
        rule = copy.deepcopy(args.get("rule") or {})
        ranges = rule.get("ranges") or []
        if not ranges:
            raise ApiError(400, f"Invalid {where}: a conditional format rule needs at least one range.")
        sheets = {self._grid_area(ss, grid, where).sheet.sheet_id for grid in ranges}
        if len(sheets) > 1:
            raise ApiError(400, f"Invalid {where}: all ranges of a conditional format rule must be on one sheet.")
        sheet = self._sheet_by_id(ss, sheets.pop(), where)
        index = args.get("index", 0)  # proto3 default: a rule without an index goes first
        if not 0 <= index <= len(sheet.conditional_formats):
            raise ApiError(400, f"Invalid {where}: index {index} is out of range.")
        sheet.conditional_formats.insert(index, rule)

    def _req_updateConditionalFormatRule(self, ss: FakeSpreadsheet, args: dict[str, Any], where: str) -> dict:
        sheet = self._sheet_by_id(ss, args.get("sheetId", 0), where)
        index = args.get("index", 0)
        if not 0 <= index < len(sheet.conditional_formats):
            raise ApiError(400, f"Invalid {where}: No conditional format on sheet {sheet.sheet_id} at index {index}")
        old = sheet.conditional_formats[index]
        if args.get("rule") is not None:
            sheet.conditional_formats[index] = copy.deepcopy(args["rule"])
        elif args.get("newIndex") is not None:
            sheet.conditional_formats.insert(args["newIndex"], sheet.conditional_formats.pop(index))
        return {"updateConditionalFormatRule": {"oldRule": copy.deepcopy(old), "oldIndex": index,
                                                "newRule": copy.deepcopy(args.get("rule") or old),
                                                "newIndex": args.get("newIndex", index)}}

    def _req_deleteConditionalFormatRule(self, ss: FakeSpreadsheet, args: dict[str, Any], where: str) -> dict:
        sheet = self._sheet_by_id(ss, args.get("sheetId", 0), where)
        index = args.get("index", 0)
        if not 0 <= index < len(sheet.conditional_formats):
            raise ApiError(400, f"Invalid {where}: No conditional format on sheet {sheet.sheet_id} at index {index}")
        return {"deleteConditionalFormatRule": {"rule": sheet.conditional_formats.pop(index)}}

    def _req_setBasicFilter(self, ss: FakeSpreadsheet, args: dict[str, Any], where: str) -> None:
        basic = copy.deepcopy(args.get("filter") or {})
        area = self._grid_area(ss, basic.get("range"), where)
        area.sheet.basic_filter = basic

    def _req_clearBasicFilter(self, ss: FakeSpreadsheet, args: dict[str, Any], where: str) -> None:
        self._sheet_by_id(ss, args.get("sheetId", 0), where).basic_filter = None

    def _named_range(self, ss: FakeSpreadsheet, named_id: str, where: str) -> dict[str, Any]:
        found = next((n for n in ss.named_ranges if n.get("namedRangeId") == named_id), None)
        if found is None:
            raise ApiError(400, f"Invalid {where}: No named range with id: {named_id}")
        return found

    def _check_named_range(self, ss: FakeSpreadsheet, named: dict[str, Any], where: str) -> None:
        name = named.get("name") or ""
        if (not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) or re.fullmatch(r"[A-Za-z]{1,3}\d+|[Rr]\d*[Cc]\d*", name)
                or name.lower() in ("true", "false")):
            raise ApiError(400, f'Invalid {where}: Named range name "{name}" is invalid: use letters, digits and '
                                "underscores, not a cell reference.")
        others = [n for n in ss.named_ranges if n.get("namedRangeId") != named.get("namedRangeId")]
        if any(n["name"].lower() == name.lower() for n in others):
            raise ApiError(400, f'Invalid {where}: A named range with the name "{name}" already exists.')
        self._grid_area(ss, named.get("range"), where)

    def _req_addNamedRange(self, ss: FakeSpreadsheet, args: dict[str, Any], where: str) -> dict[str, Any]:
        named = copy.deepcopy(args.get("namedRange") or {})
        if named.get("namedRangeId") and any(n["namedRangeId"] == named["namedRangeId"] for n in ss.named_ranges):
            raise ApiError(400, f"Invalid {where}: namedRangeId {named['namedRangeId']} is already in use.")
        named.setdefault("namedRangeId", "".join(self._rng.choice(string.ascii_lowercase + string.digits)
                                                 for _ in range(12)))
        self._check_named_range(ss, named, where)
        ss.named_ranges.append(named)
        return {"addNamedRange": {"namedRange": copy.deepcopy(named)}}

    def _req_updateNamedRange(self, ss: FakeSpreadsheet, args: dict[str, Any], where: str) -> None:
        given = args.get("namedRange") or {}
        old = self._named_range(ss, given.get("namedRangeId"), where)
        new = apply_mask(old, given, args["fields"])
        new["namedRangeId"] = old["namedRangeId"]
        self._check_named_range(ss, new, where)
        ss.named_ranges[ss.named_ranges.index(old)] = new

    def _req_deleteNamedRange(self, ss: FakeSpreadsheet, args: dict[str, Any], where: str) -> None:
        ss.named_ranges.remove(self._named_range(ss, args.get("namedRangeId"), where))

    def _req_addChart(self, ss: FakeSpreadsheet, args: dict[str, Any], where: str) -> dict[str, Any]:
        chart = copy.deepcopy(args.get("chart") or {})
        used = {c.get("chartId") for s in ss.sheets for c in s.charts}
        if chart.get("chartId") in used:
            raise ApiError(400, f"Invalid {where}: chartId {chart['chartId']} is already in use.")
        chart.setdefault("chartId", self._new_int_id(used))
        position = chart.setdefault("position", {})
        if position.get("newSheet"):
            sheet = self._add_sheet(ss, {"title": None, "sheetType": "OBJECT"}, where)
            chart["position"] = {"sheetId": sheet.sheet_id}
        elif position.get("overlayPosition"):
            anchor = position["overlayPosition"].get("anchorCell") or {}
            sheet = self._sheet_by_id(ss, anchor.get("sheetId", 0), where)
        else:
            sheet = self._sheet_by_id(ss, position.get("sheetId", 0), where)
        sheet.charts.append(chart)
        return {"addChart": {"chart": copy.deepcopy(chart)}}

    def _find_chart(self, ss: FakeSpreadsheet, chart_id: Any, where: str) -> tuple[FakeSheet, int]:
        for sheet in ss.sheets:
            for i, chart in enumerate(sheet.charts):
                if chart.get("chartId") == chart_id:
                    if self._undo is not None:
                        self._undo.save(sheet)
                    return sheet, i
        raise ApiError(400, f"Invalid {where}: No chart with id: {chart_id}")

    def _req_updateChartSpec(self, ss: FakeSpreadsheet, args: dict[str, Any], where: str) -> None:
        sheet, i = self._find_chart(ss, args.get("chartId"), where)
        sheet.charts[i]["spec"] = copy.deepcopy(args.get("spec") or {})

    def _req_deleteEmbeddedObject(self, ss: FakeSpreadsheet, args: dict[str, Any], where: str) -> None:
        sheet, i = self._find_chart(ss, args.get("objectId"), where)
        del sheet.charts[i]

    def _dimension_range(
        self, ss: FakeSpreadsheet, dim: dict[str, Any] | None, where: str
    ) -> tuple[FakeSheet, str, int, int]:
        dim = dim or {}
        sheet = self._sheet_by_id(ss, dim.get("sheetId", 0), where)
        dimension = dim.get("dimension")
        if dimension not in ("ROWS", "COLUMNS"):
            raise ApiError(400, f"Invalid {where}: dimension must be ROWS or COLUMNS, got {dimension!r}")
        count = sheet.row_count if dimension == "ROWS" else sheet.column_count
        start, end = dim.get("startIndex", 0), dim.get("endIndex", count)
        if not 0 <= start <= end <= count:
            raise ApiError(400, f"Invalid {where}: [{start}, {end}) is outside the {count} {dimension.lower()} of "
                                f"{sheet.title!r}")
        return sheet, dimension, start, end

    def _req_updateDimensionProperties(self, ss: FakeSpreadsheet, args: dict[str, Any], where: str) -> None:
        if args.get("range") is None:
            return  # dataSourceSheetRange: stored in batch_requests only
        sheet, dimension, start, end = self._dimension_range(ss, args["range"], where)
        meta = sheet.row_metadata if dimension == "ROWS" else sheet.column_metadata
        for i in range(start, end):
            new = apply_mask(meta.get(i, {}), args.get("properties") or {}, args["fields"])
            if new:
                meta[i] = new
            else:
                meta.pop(i, None)

    def _req_appendDimension(self, ss: FakeSpreadsheet, args: dict[str, Any], where: str) -> None:
        sheet = self._sheet_by_id(ss, args.get("sheetId", 0), where)
        key = "rowCount" if args.get("dimension") == "ROWS" else "columnCount"
        if args.get("dimension") not in ("ROWS", "COLUMNS") or args.get("length", 0) < 1:
            raise ApiError(400, f"Invalid {where}: needs a dimension (ROWS or COLUMNS) and a positive length.")
        sheet.grid[key] += args["length"]
        self._check_cell_limit(ss, where)

    def _req_insertDimension(self, ss: FakeSpreadsheet, args: dict[str, Any], where: str) -> None:
        sheet, dimension, start, end = self._dimension_range(ss, args.get("range"), where)
        if args.get("inheritFromBefore") and start == 0:
            raise ApiError(400, f"Invalid {where}: cannot inherit from before the first {dimension.lower()[:-1]}.")
        _shift(sheet, dimension, start, end - start)
        sheet.grid["rowCount" if dimension == "ROWS" else "columnCount"] += end - start
        self._check_cell_limit(ss, where)

    def _req_deleteDimension(self, ss: FakeSpreadsheet, args: dict[str, Any], where: str) -> None:
        sheet, dimension, start, end = self._dimension_range(ss, args.get("range"), where)
        key = "rowCount" if dimension == "ROWS" else "columnCount"
        if end - start >= sheet.grid[key]:
            raise ApiError(400, f"Invalid {where}: You can't delete all the {dimension.lower()} on the sheet.")
        _shift(sheet, dimension, start, -(end - start))
        sheet.grid[key] -= end - start

    # --- Sheets: values --------------------------------------------------------------------

    def _values_get(self, rec: RecordedRequest, sid: str, rng: str) -> dict[str, Any]:
        q = rec.query
        return self._value_range(self._ss(sid), rng, _q1(q, "valueRenderOption", "FORMATTED_VALUE"),
                                 _q1(q, "dateTimeRenderOption", "SERIAL_NUMBER"), _q1(q, "majorDimension", "ROWS"))

    def _values_batch_get(self, rec: RecordedRequest, sid: str) -> dict[str, Any]:
        ss, q = self._ss(sid), rec.query
        out: dict[str, Any] = {"spreadsheetId": sid}
        ranges = [self._value_range(ss, text, _q1(q, "valueRenderOption", "FORMATTED_VALUE"),
                                    _q1(q, "dateTimeRenderOption", "SERIAL_NUMBER"), _q1(q, "majorDimension", "ROWS"))
                  for text in q.get("ranges", [])]
        if ranges:  # proto3 JSON leaves out an empty list
            out["valueRanges"] = ranges
        return out

    def _values_batch_get_by_data_filter(self, rec: RecordedRequest, sid: str) -> dict[str, Any]:
        """Each data filter's range, in the order of the filters, with the filter it matched (a1Range
        and gridRange filters; developer metadata is not modelled)."""
        ss, body = self._ss(sid), rec.body or {}
        filters = body.get("dataFilters") or []
        if not filters:
            raise ApiError(400, "Invalid requests: at least one data filter must be specified.")
        render = body.get("valueRenderOption") or "FORMATTED_VALUE"
        dt_render = body.get("dateTimeRenderOption") or "SERIAL_NUMBER"
        major = "COLUMNS" if body.get("majorDimension") == "COLUMNS" else "ROWS"
        matched = []
        for i, data_filter in enumerate(filters):
            if data_filter.get("a1Range") is not None:
                text = data_filter["a1Range"]
            elif data_filter.get("gridRange") is not None:
                text = self._grid_area(ss, data_filter["gridRange"], f"dataFilters[{i}].gridRange").a1()
            else:
                message = "the Sheets fake does not model developer metadata (dataFilters[].developerMetadataLookup)"
                self.unsupported.append(message)
                raise ApiError(400, message)
            matched.append({"valueRange": self._value_range(ss, text, render, dt_render, major),
                            "dataFilters": [copy.deepcopy(data_filter)]})
        return {"spreadsheetId": sid, "valueRanges": matched}

    def _value_range(self, ss: FakeSpreadsheet, text: str, render: str, dt_render: str, major: str) -> dict[str, Any]:
        area = ss.resolve(text)
        sheet = area.sheet
        grid: dict[tuple[int, int], Any] = {}
        for (r, c), cell in sheet.cells.items():
            if area.contains(r, c):
                value = self._render(ss, sheet, r, c, cell, render, dt_render)
                if value is not None:
                    key = (r - area.r0, c - area.c0) if major != "COLUMNS" else (c - area.c0, r - area.r0)
                    grid[key] = value
        values: list[list[Any]] = []
        if grid:
            width: dict[int, int] = {}  # row -> its last filled column + 1
            for r, c in grid:
                if c >= width.get(r, 0):
                    width[r] = c + 1
            for i in range(max(width) + 1):
                values.append([grid.get((i, j), "") for j in range(width[i])] if i in width else [])
        out: dict[str, Any] = {"range": area.a1(), "majorDimension": "COLUMNS" if major == "COLUMNS" else "ROWS"}
        if values:
            out["values"] = values
        return out

    def _render(self, ss: FakeSpreadsheet, sheet: FakeSheet, r: int, c: int, cell: dict[str, Any], render: str,
                dt_render: str) -> Any:
        entered = cell.get("userEnteredValue")
        if not entered:
            return None
        if "formulaValue" in entered and render == "FORMULA":
            return entered["formulaValue"]
        value = self._effective_value(ss, sheet, r, c, cell)
        if value is None:
            return ""
        number_format = _number_format(cell)
        if render == "FORMATTED_VALUE":
            return format_value(value, number_format)
        if (dt_render == "FORMATTED_STRING" and isinstance(value, (int, float)) and not isinstance(value, bool)
                and (number_format or {}).get("type") in DATE_TYPES):
            return format_value(value, number_format)
        return value

    def _write_values(self, ss: FakeSpreadsheet, text: str, values: list[list[Any]] | None, major: str | None,
                      option: str) -> dict[str, Any]:
        area = ss.resolve(text, check_grid=False)
        rows = [list(row) for row in values or []]
        if major == "COLUMNS":
            width = max((len(col) for col in rows), default=0)
            rows = [[col[i] if i < len(col) else None for col in rows] for i in range(width)]
        height, width = len(rows), max((len(row) for row in rows), default=0)
        if not area.single_cell and (height > area.r1 - area.r0 or width > area.c1 - area.c0):
            beyond = (f"row [{area.r0 + height}]" if height > area.r1 - area.r0
                      else f"column [{col_letters(area.c0 + width - 1)}]")
            raise ApiError(400, f"Requested writing within range [{text}], but tried writing to {beyond}")
        target = Area(area.sheet, area.r0, area.c0, area.r0 + max(height, 1), area.c0 + max(width, 1))
        check_grid_limits(target)
        written_rows, written_cols, cells = set(), set(), 0
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                if value is None:  # "Null values will be skipped"
                    continue
                r, c = area.r0 + i, area.c0 + j
                old = area.sheet.cells.get((r, c), {})
                if option == "RAW":
                    entered, auto_format = parse_raw(value), None
                else:
                    entered, auto_format = parse_user_entered(value, old.get("userEnteredFormat"))
                new = {k: v for k, v in old.items() if k not in ("userEnteredValue", FORMULA_RESULT)}
                if entered is not None:
                    new["userEnteredValue"] = entered
                if auto_format and not (old.get("userEnteredFormat") or {}).get("numberFormat"):
                    new["userEnteredFormat"] = {**(old.get("userEnteredFormat") or {}), "numberFormat": auto_format}
                if FORMULA_RESULT in old and entered == old.get("userEnteredValue"):
                    new[FORMULA_RESULT] = old[FORMULA_RESULT]
                self._store_cell(area.sheet, r, c, new)
                written_rows.add(r)
                written_cols.add(c)
                cells += 1
        out: dict[str, Any] = {"spreadsheetId": ss.spreadsheet_id, "updatedRange": target.a1()}
        if cells:
            out.update({"updatedRows": len(written_rows), "updatedColumns": len(written_cols), "updatedCells": cells})
        return out

    def _update_response(self, ss: FakeSpreadsheet, out: dict[str, Any], include: bool, render: str,
                         dt_render: str) -> dict[str, Any]:
        if include:
            out["updatedData"] = self._value_range(ss, out["updatedRange"], render, dt_render, "ROWS")
        return out

    def _values_update(self, rec: RecordedRequest, sid: str, rng: str) -> dict[str, Any]:
        ss, q, body = self._ss(sid), rec.query, rec.body or {}
        option = _q1(q, "valueInputOption", "")
        if option not in ("RAW", "USER_ENTERED"):
            raise ApiError(400, "'valueInputOption' is required but not specified")
        self._check_body_range(ss, rng, body.get("range"))
        out = self._write_values(ss, rng, body.get("values"), body.get("majorDimension"), option)
        return self._update_response(ss, out, _q1(q, "includeValuesInResponse", "false").lower() == "true",
                                     _q1(q, "responseValueRenderOption", "FORMATTED_VALUE"),
                                     _q1(q, "responseDateTimeRenderOption", "SERIAL_NUMBER"))

    @staticmethod
    def _check_body_range(ss: FakeSpreadsheet, url_range: str, body_range: str | None) -> None:
        if body_range is None:
            return
        a, b = ss.resolve(url_range, check_grid=False), ss.resolve(body_range, check_grid=False)
        if (a.sheet, a.r0, a.c0, a.r1, a.c1) != (b.sheet, b.r0, b.c0, b.r1, b.c1):
            raise ApiError(400, f"The range in the request body [{body_range}] does not match the range in the URL "
                                f"[{url_range}]")

    def _values_batch_update(self, rec: RecordedRequest, sid: str) -> dict[str, Any]:
        ss, body = self._ss(sid), rec.body or {}
        option = body.get("valueInputOption")
        if option not in ("RAW", "USER_ENTERED"):
            raise ApiError(400, "'valueInputOption' is required but not specified")
        snapshot = ss.snapshot()
        responses = []
        try:
            for item in body.get("data") or []:
                if not item.get("range"):
                    raise ApiError(400, "Each ValueRange in data needs a range.")
                out = self._write_values(ss, item["range"], item.get("values"), item.get("majorDimension"), option)
                responses.append(self._update_response(
                    ss, out, bool(body.get("includeValuesInResponse")),
                    body.get("responseValueRenderOption") or "FORMATTED_VALUE",
                    body.get("responseDateTimeRenderOption") or "SERIAL_NUMBER"))
        except ApiError:
            ss.restore(snapshot)
            raise
        out: dict[str, Any] = {"spreadsheetId": sid}
        touched = [r for r in responses if r.get("updatedCells")]
        if touched:
            out.update({
                "totalUpdatedRows": sum(r["updatedRows"] for r in touched),
                "totalUpdatedColumns": sum(r["updatedColumns"] for r in touched),
                "totalUpdatedCells": sum(r["updatedCells"] for r in touched),
                "totalUpdatedSheets": len({r["updatedRange"].rsplit("!", 1)[0] for r in touched}),
            })
        if responses:
            out["responses"] = responses
        return out

    def _values_append(self, rec: RecordedRequest, sid: str, rng: str) -> dict[str, Any]:
        ss, q, body = self._ss(sid), rec.query, rec.body or {}
        option = _q1(q, "valueInputOption", "")
        if option not in ("RAW", "USER_ENTERED"):
            raise ApiError(400, "'valueInputOption' is required but not specified")
        area = ss.resolve(rng, check_grid=False)
        sheet = area.sheet
        rows = body.get("values") or []
        if body.get("majorDimension") == "COLUMNS":
            width = max((len(col) for col in rows), default=0)
            rows = [[col[i] if i < len(col) else None for col in rows] for i in range(width)]
        width = max((len(row) for row in rows), default=0)
        # Google: find the "table" in the range (here: the first block of consecutive rows with
        # values) and append below it, from the table's first column.
        filled: dict[int, list[int]] = {}
        for (r, c), cell in sheet.cells.items():
            if r >= area.r0 and area.c0 <= c < max(area.c1, area.c0 + width) and cell.get("userEnteredValue"):
                filled.setdefault(r, []).append(c)
        table = []
        if filled:
            r = min(filled)
            while r in filled:
                table.append(r)
                r += 1
        first_col = min(c for r in table for c in filled[r]) if table else area.c0
        last_col = max(c for r in table for c in filled[r]) + 1 if table else area.c0 + max(width, 1)
        start = max(table) + 1 if table else area.r0
        if _q1(q, "insertDataOption", "OVERWRITE") == "INSERT_ROWS" and rows:
            _shift(sheet, "ROWS", start, len(rows))
            sheet.grid["rowCount"] += len(rows)
        needed = start + len(rows)
        if needed > sheet.row_count:
            sheet.grid["rowCount"] = needed
        self._check_cell_limit(ss, "append")
        target = a1_range(sheet.title, start, first_col, start + max(len(rows), 1), first_col + max(width, 1))
        updates = self._write_values(ss, target, rows, "ROWS", option)
        updates = self._update_response(ss, updates, _q1(q, "includeValuesInResponse", "false").lower() == "true",
                                        _q1(q, "responseValueRenderOption", "FORMATTED_VALUE"),
                                        _q1(q, "responseDateTimeRenderOption", "SERIAL_NUMBER"))
        out: dict[str, Any] = {"spreadsheetId": sid, "updates": updates}
        if table:
            out["tableRange"] = a1_range(sheet.title, min(table), first_col, max(table) + 1, last_col)
        return out

    def _clear(self, ss: FakeSpreadsheet, text: str) -> str:
        area = ss.resolve(text)
        for pos in [p for p in area.sheet.cells if area.contains(*p)]:
            old = area.sheet.cells[pos]
            self._store_cell(area.sheet, *pos, {k: v for k, v in old.items()
                                                if k not in ("userEnteredValue", FORMULA_RESULT)})
        return area.a1()

    def _values_clear(self, rec: RecordedRequest, sid: str, rng: str) -> dict[str, Any]:
        ss = self._ss(sid)
        return {"spreadsheetId": sid, "clearedRange": self._clear(ss, rng)}

    def _values_batch_clear(self, rec: RecordedRequest, sid: str) -> dict[str, Any]:
        ss = self._ss(sid)
        snapshot = ss.snapshot()
        try:
            cleared = [self._clear(ss, text) for text in (rec.body or {}).get("ranges") or []]
        except ApiError:
            ss.restore(snapshot)
            raise
        return {"spreadsheetId": sid, **({"clearedRanges": cleared} if cleared else {})}

    def _sheets_copy_to(self, rec: RecordedRequest, sid: str, sheet_id: str) -> dict[str, Any]:
        source_ss = self._ss(sid)
        source = source_ss.sheet_by_id(int(sheet_id))
        if source is None:
            raise ApiError(404, "Requested entity was not found.")
        dest_id = (rec.body or {}).get("destinationSpreadsheetId", "")
        dest = self.spreadsheets.get(dest_id)
        if dest is None:
            raise ApiError(404, "Requested entity was not found.")
        new = self._copy_sheet(source, dest, None, None, None, "copyTo")
        return copy.deepcopy(new.properties)

    # --- Drive -----------------------------------------------------------------------------

    def _drive_resource(self, record: dict[str, Any], query: dict[str, list[str]]) -> dict[str, Any]:
        fields = _q1(query, "fields", "")
        if fields:
            return filter_fields(copy.deepcopy(record), fields)
        return {k: record[k] for k in ("kind", "id", "name", "mimeType")}

    def _drive_create(self, rec: RecordedRequest) -> dict[str, Any]:
        body = rec.body or {}
        mime = body.get("mimeType") or "application/octet-stream"
        parents = body.get("parents") or ["root"]
        for parent in parents:
            if parent != "root":
                self._file(parent)
        if mime == SHEETS_MIME:
            created = self._create({"properties": {"title": body.get("name") or "Untitled spreadsheet"}},
                                   first_sheet_id=0)
            record = self.files[created["spreadsheetId"]]
            record["parents"] = list(parents)
        else:
            file_id = "".join(self._rng.choice(string.ascii_letters + string.digits) for _ in range(33))
            record = self._register_file(file_id, body.get("name") or "Untitled", mime, parents)
        return self._drive_resource(record, rec.query)

    def _drive_list(self, rec: RecordedRequest) -> dict[str, Any]:
        q = _q1(rec.query, "q", "")
        try:
            predicates = parse_drive_query(q)
        except ValueError as error:
            self.unsupported.append(f"Drive files.list q={q!r}: {error}")
            raise ApiError(400, f"Invalid Value: {error}", drive_reason="invalid", location="q",
                           locationType="parameter") from None
        matching = [f for f in self.files.values() if all(p(f) for p in predicates)]
        size = min(int(_q1(rec.query, "pageSize", "100")), 1000)
        offset = int(_q1(rec.query, "pageToken", "") or 0)
        page = matching[offset : offset + size]
        out: dict[str, Any] = {"kind": "drive#fileList", "incompleteSearch": False,
                               "files": [{k: f[k] for k in ("kind", "id", "name", "mimeType")} for f in page]}
        if offset + size < len(matching):
            out["nextPageToken"] = str(offset + size)
        fields = _q1(rec.query, "fields", "")
        if fields:
            full = {**out, "files": [copy.deepcopy(f) for f in page]}
            return filter_fields(full, fields)
        return out

    def _drive_get(self, rec: RecordedRequest, fid: str) -> dict[str, Any]:
        return self._drive_resource(self._file(fid), rec.query)

    def _drive_update(self, rec: RecordedRequest, fid: str) -> dict[str, Any]:
        record = self._file(fid)
        body = rec.body or {}
        if body.get("name"):
            record["name"] = body["name"]
            if fid in self.spreadsheets:
                self.spreadsheets[fid].properties["title"] = body["name"]
        add = [p for p in _q1(rec.query, "addParents", "").split(",") if p]
        remove = [p for p in _q1(rec.query, "removeParents", "").split(",") if p]
        for parent in add:
            if parent != "root":
                self._file(parent)
        record["parents"] = [p for p in record["parents"] if p not in remove] + [p for p in add
                                                                                  if p not in record["parents"]]
        record["modifiedTime"] = self._now()
        return self._drive_resource(record, rec.query)

    def _drive_delete(self, rec: RecordedRequest, fid: str) -> object:
        self._file(fid)
        for store in (self.files, self.spreadsheets, self.permissions, self.comments):
            store.pop(fid, None)
        return NO_CONTENT

    def _drive_copy(self, rec: RecordedRequest, fid: str) -> dict[str, Any]:
        record = self._file(fid)
        body = rec.body or {}
        name = body.get("name") or f"Copy of {record['name']}"
        if fid in self.spreadsheets:
            source = self.spreadsheets[fid]
            new_id = self._new_spreadsheet_id()
            ss = source.snapshot()
            ss.spreadsheet_id, ss.batch_requests = new_id, []
            ss.properties["title"] = name
            self.spreadsheets[new_id] = ss
            new = self._register_file(new_id, name, SHEETS_MIME, body.get("parents") or record["parents"])
        else:
            new_id = "".join(self._rng.choice(string.ascii_letters + string.digits) for _ in range(33))
            new = self._register_file(new_id, name, record["mimeType"], body.get("parents") or record["parents"])
        return self._drive_resource(new, rec.query)

    def _drive_permission_create(self, rec: RecordedRequest, fid: str) -> dict[str, Any]:
        self._file(fid)
        body = rec.body or {}
        kind, role = body.get("type"), body.get("role")
        if kind not in ("user", "group", "domain", "anyone"):
            raise ApiError(400, f"Invalid permission type: {kind!r}", drive_reason="invalid",
                           location="permission.type", locationType="other")
        if role not in ("owner", "organizer", "fileOrganizer", "writer", "commenter", "reader"):
            raise ApiError(400, f"Invalid permission role: {role!r}", drive_reason="invalid",
                           location="permission.role", locationType="other")
        if kind in ("user", "group") and not body.get("emailAddress"):
            raise ApiError(400, "Permission emailAddress is required for user and group permissions.",
                           drive_reason="required", location="permission.emailAddress", locationType="other")
        if kind == "domain" and not body.get("domain"):
            raise ApiError(400, "Permission domain is required for domain permissions.", drive_reason="required",
                           location="permission.domain", locationType="other")
        if role == "owner" and _q1(rec.query, "transferOwnership", "false").lower() != "true":
            raise ApiError(403, "The transferOwnership parameter must be enabled when the permission role is 'owner'.",
                           drive_reason="forbidden", location="transferOwnership", locationType="parameter")
        perms = self.permissions[fid]
        who = body.get("emailAddress") or body.get("domain") or kind
        existing = next((p for p in perms if (p.get("emailAddress") or p.get("domain") or p["type"]) == who), None)
        if existing is not None:
            existing["role"] = role
            permission = existing
        else:
            permission = {"kind": "drive#permission", "id": "anyoneWithLink" if kind == "anyone" else
                          f"{next(self._counter):020d}", "type": kind, "role": role}
            for key in ("emailAddress", "domain", "allowFileDiscovery"):
                if body.get(key) is not None:
                    permission[key] = body[key]
            perms.append(permission)
        notify = _q1(rec.query, "sendNotificationEmail", "true").lower() != "false"
        if kind in ("user", "group") and notify:
            self.notifications.append({"fileId": fid, "emailAddress": body["emailAddress"], "role": role,
                                       "message": _q1(rec.query, "emailMessage", "")})
        return copy.deepcopy(permission)

    def _drive_permission_list(self, rec: RecordedRequest, fid: str) -> dict[str, Any]:
        self._file(fid)
        return {"kind": "drive#permissionList", "permissions": copy.deepcopy(self.permissions[fid])}

    def _permission(self, fid: str, pid: str) -> dict[str, Any]:
        self._file(fid)
        found = next((p for p in self.permissions[fid] if p["id"] == pid), None)
        if found is None:
            raise ApiError(404, f"Permission not found: {pid}.", drive_reason="notFound", location="permissionId",
                           locationType="parameter")
        return found

    def _drive_permission_update(self, rec: RecordedRequest, fid: str, pid: str) -> dict[str, Any]:
        permission = self._permission(fid, pid)
        body = rec.body or {}
        if body.get("role"):
            permission["role"] = body["role"]
        if body.get("pendingOwner") is not None:
            permission["pendingOwner"] = body["pendingOwner"]
        return copy.deepcopy(permission)

    def _drive_permission_delete(self, rec: RecordedRequest, fid: str, pid: str) -> object:
        self.permissions[fid].remove(self._permission(fid, pid))
        return NO_CONTENT

    def _drive_comments_list(self, rec: RecordedRequest, fid: str) -> dict[str, Any]:
        self._file(fid)
        return {"kind": "drive#commentList", "comments": copy.deepcopy(self.comments[fid])}

    def _drive_comments_create(self, rec: RecordedRequest, fid: str) -> dict[str, Any]:
        self._file(fid)
        comment = {"kind": "drive#comment", "id": f"c{next(self._counter)}", **copy.deepcopy(rec.body or {})}
        self.comments[fid].append(comment)
        return {"id": comment["id"]}


DEFAULT_FORMAT = {
    "backgroundColor": {"red": 1, "green": 1, "blue": 1},
    "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
    "verticalAlignment": "BOTTOM",
    "wrapStrategy": "OVERFLOW_CELL",
    "textFormat": {"foregroundColor": {}, "fontFamily": "arial,sans,sans-serif", "fontSize": 10, "bold": False,
                   "italic": False, "strikethrough": False, "underline": False},
}


# --- small helpers --------------------------------------------------------------------------


def _q1(query: dict[str, list[str]], name: str, default: str) -> str:
    values = query.get(name)
    return values[0] if values else default


def _number_format(cell: dict[str, Any]) -> dict[str, Any] | None:
    return (cell.get("userEnteredFormat") or {}).get("numberFormat")


def _renumber(ss: FakeSpreadsheet) -> None:
    for i, sheet in enumerate(ss.sheets):
        sheet.properties["index"] = i


def _sync_tab_color(properties: dict[str, Any], touched: Any) -> None:
    """Sheets keeps tabColor and tabColorStyle.rgbColor in step."""
    if "tabColor" in touched and "tabColorStyle" not in touched:
        if properties.get("tabColor"):
            properties["tabColorStyle"] = {"rgbColor": copy.deepcopy(properties["tabColor"])}
        else:
            properties.pop("tabColorStyle", None)
    elif "tabColorStyle" in touched:
        rgb = (properties.get("tabColorStyle") or {}).get("rgbColor")
        if rgb:
            properties["tabColor"] = copy.deepcopy(rgb)
        elif "tabColor" not in touched:
            properties.pop("tabColor", None)


def _replace_sheet_id(value: Any, old: int, new: int) -> Any:
    if isinstance(value, dict):
        return {k: (new if k == "sheetId" and v == old else _replace_sheet_id(v, old, new)) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_sheet_id(v, old, new) for v in value]
    return value


def _bounds(grid: dict[str, Any]) -> tuple[int, int, int, int]:
    return (grid.get("startRowIndex", 0), grid.get("startColumnIndex", 0),
            grid.get("endRowIndex", 0), grid.get("endColumnIndex", 0))


def _inside(inner: tuple[int, int, int, int], outer: tuple[int, int, int, int]) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _shift(sheet: FakeSheet, dimension: str, start: int, delta: int) -> None:
    """Insert (delta > 0) or delete (delta < 0) rows/columns at ``start``: cells and row/column
    metadata move; merges, conditional formats, protected and named ranges, filters do not."""
    n = abs(delta)

    def move(k: int) -> int | None:
        if k < start:
            return k
        if delta > 0:
            return k + n
        return None if k < start + n else k - n

    axis = 0 if dimension == "ROWS" else 1
    cells = {}
    for pos, cell in sheet.cells.items():
        k = move(pos[axis])
        if k is not None:
            cells[(k, pos[1]) if axis == 0 else (pos[0], k)] = cell
    sheet.cells = cells
    name = "row_metadata" if axis == 0 else "column_metadata"
    meta = getattr(sheet, name)
    setattr(sheet, name, {m: v for k, v in meta.items() if (m := move(k)) is not None})


_Q_STRING = r"""(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")"""
_Q_CLAUSES = [
    ("compare", re.compile(rf"(name|mimeType)\s*(=|!=)\s*{_Q_STRING}")),
    ("contains", re.compile(rf"(name)\s+contains\s+{_Q_STRING}")),
    ("in_parents", re.compile(rf"{_Q_STRING}\s+in\s+parents")),
    ("parents_in", re.compile(rf"parents\s+in\s+{_Q_STRING}")),  # gspread's spelling
    ("trashed", re.compile(r"trashed\s*=\s*(true|false)")),
]


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def parse_drive_query(q: str) -> list[Callable[[dict[str, Any]], bool]]:
    """The subset of Drive's `q` language gspread uses: name/mimeType =, !=, name contains,
    'id' in parents (and parents in 'id'), trashed =, joined by `and`."""
    predicates: list[Callable[[dict[str, Any]], bool]] = []
    pos = 0
    q = q.strip()
    while pos < len(q):
        for kind, pattern in _Q_CLAUSES:  # noqa: B007 (kind is used after the loop)
            match = pattern.match(q, pos)
            if match:
                break
        else:
            raise ValueError(f"unsupported query clause at {q[pos:]!r}")
        groups = [g for g in match.groups()]
        if kind == "compare":
            key, op, value = groups[0], groups[1], _unescape(groups[2] if groups[2] is not None else groups[3])
            predicates.append(lambda f, k=key, o=op, v=value: (f.get(k) == v) == (o == "="))
        elif kind == "contains":
            value = _unescape(groups[1] if groups[1] is not None else groups[2])
            predicates.append(lambda f, v=value: v.lower() in f.get("name", "").lower())
        elif kind in ("in_parents", "parents_in"):
            value = _unescape(groups[0] if groups[0] is not None else groups[1])
            predicates.append(lambda f, v=value: v in f.get("parents", []))
        else:
            predicates.append(lambda f, v=groups[0] == "true": f.get("trashed", False) == v)
        pos = match.end()
        rest = re.compile(r"\s*(?:and\s+|$)").match(q, pos)
        if not rest or (rest.end() == pos and pos < len(q)):
            raise ValueError(f"expected 'and' at {q[pos:]!r}")
        pos = rest.end()
    return predicates


def _decode_body(request: requests.PreparedRequest) -> Any:
    raw = request.body
    if raw is None or raw in (b"", ""):
        return None
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _violation_body(problems: list[tuple[str, str]]) -> dict[str, Any]:
    text = "; ".join(f"{path}: {problem}" if path else problem for path, problem in problems)
    return {"error": {
        "code": 400,
        "message": f"Invalid JSON payload received. {text}",
        "status": "INVALID_ARGUMENT",
        "details": [{"@type": "type.googleapis.com/google.rpc.BadRequest",
                     "fieldViolations": [{"field": path, "description": problem} for path, problem in problems]}],
    }}


def _response(request: requests.PreparedRequest, status: int, payload: Any) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.reason = HTTPStatus(status).phrase
    response.url = request.url or ""
    response.request = request
    response.encoding = "utf-8"
    response.headers = CaseInsensitiveDict({"Content-Type": "application/json; charset=UTF-8"})
    response._content = b"" if payload is None else json.dumps(payload).encode("utf-8")
    response._content_consumed = True
    return response


# --- Transport ------------------------------------------------------------------------------


class FakeSheetsAdapter(BaseAdapter):
    """A requests transport adapter that answers from a FakeSheets instead of the network."""

    def __init__(self, fake: FakeSheets) -> None:
        super().__init__()
        self.fake = fake

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None, verify: Any = True,
             cert: Any = None, proxies: Any = None) -> requests.Response:
        host = urlsplit(request.url or "").netloc
        if host not in (SHEETS_HOST, DRIVE_HOST) or not (request.url or "").startswith("https://"):
            return RefuseNetworkAdapter(self.fake).send(request)
        return self.fake.handle(request)

    def close(self) -> None:
        pass


class RefuseNetworkAdapter(BaseAdapter):
    """Mounted for every other URL: records the attempt and raises ConnectionError."""

    def __init__(self, fake: FakeSheets) -> None:
        super().__init__()
        self.fake = fake

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        message = f"refused a real network request: {request.method} {request.url}"
        self.fake.unsupported.append(message)
        raise requests.ConnectionError(f"the Sheets fake {message}", request=request)

    def close(self) -> None:
        pass


# --- Fixtures -------------------------------------------------------------------------------


@pytest.fixture
def sheets_fake() -> Iterator[FakeSheets]:
    """A fresh FakeSheets; at teardown fails the test if any request broke sheets.v4.json or hit
    something the fake refuses (tests that break it on purpose use ``expect_violations()``)."""
    fake = FakeSheets()
    yield fake
    fake.assert_clean()


@pytest.fixture
def gspread_client(sheets_fake: FakeSheets) -> gspread.Client:
    """A real gspread.Client (plain HTTPClient) whose requests go to ``sheets_fake`` only."""
    return sheets_fake.client()
