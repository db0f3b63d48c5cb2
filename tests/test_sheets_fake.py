"""The Google Sheets fake (tests/sheets_fake.py) behaves like the API and can fail like it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import gspread
import pytest
import requests
from gspread.exceptions import APIError
from gspread.http_client import BackOffHTTPClient
from gspread.utils import ValueRenderOption

from tests import sheets_fake as fake_module
from tests.sheets_fake import (
    DISCOVERY_PATH,
    DiscoveryViolation,
    FakeSheets,
    apply_mask,
    filter_fields,
    format_number,
    load_discovery,
    parse_a1,
    parse_field_mask,
)

# The fixtures live in tests/sheets_fake.py; bound here by assignment, since importing them by
# name makes ruff read each test parameter of that name as a redefinition (F811).
sheets_fake = fake_module.sheets_fake
gspread_client = fake_module.gspread_client

UNFORMATTED = ValueRenderOption.unformatted


def _batch(sh: gspread.Spreadsheet, *requests_: dict) -> dict:
    return sh.batch_update({"requests": list(requests_)})


def _repeat_cell(sheet_id: int, cell: dict, fields: str, **grid: int) -> dict:
    return {"repeatCell": {"range": {"sheetId": sheet_id, **grid}, "cell": cell, "fields": fields}}


# --- the vendored discovery document --------------------------------------------------------


def test_discovery_document_is_googles_and_its_revision_is_recorded():
    doc = json.loads(DISCOVERY_PATH.read_text(encoding="utf-8"))
    assert doc["id"] == "sheets:v4" and doc["rootUrl"] == "https://sheets.googleapis.com/"
    readme = (DISCOVERY_PATH.parent / "README.md").read_text(encoding="utf-8")
    assert f"`{doc['revision']}`" in readme, "tests/data/README.md must state the vendored revision"
    assert {"sheets.spreadsheets.batchUpdate", "sheets.spreadsheets.values.batchGet"} <= set(load_discovery().methods)


def test_every_applied_request_kind_exists_in_the_document_and_has_a_handler():
    kinds = set(load_discovery().schemas["Request"]["properties"])
    assert FakeSheets.APPLIED_REQUESTS <= kinds
    for kind in FakeSheets.APPLIED_REQUESTS:
        assert callable(getattr(FakeSheets, f"_req_{kind}")), kind


# --- round trips through gspread ------------------------------------------------------------


def test_create_update_batch_get_round_trip(gspread_client, sheets_fake):
    sh = gspread_client.create("Cycle count 2026-11")
    ws = sh.sheet1
    assert (ws.title, ws.id, ws.row_count, ws.col_count) == ("Sheet1", 0, 1000, 26)

    reply = ws.update([["SKU", "Counted"], ["A-100", 12], ["B-200", 7.5]], "A1")
    assert reply["updatedRange"] == "Sheet1!A1:B3" and reply["updatedCells"] == 6

    got = ws.batch_get(["A1:B3", "B2"], value_render_option=UNFORMATTED)
    assert got[0] == [["SKU", "Counted"], ["A-100", 12], ["B-200", 7.5]]
    assert got[0].range == "Sheet1!A1:B3"
    assert got[1] == [[12]]
    assert ws.get("A1:B3") == [["SKU", "Counted"], ["A-100", "12"], ["B-200", "7.5"]]  # FORMATTED_VALUE

    state = sheets_fake.spreadsheet(sh.id)
    assert state.title == "Cycle count 2026-11"
    assert state.sheet("Sheet1").cell("B2") == {"userEnteredValue": {"numberValue": 12}}
    assert sheets_fake.files[sh.id]["mimeType"] == "application/vnd.google-apps.spreadsheet"
    assert gspread_client.open_by_key(sh.id).title == "Cycle count 2026-11"


def test_values_read_trims_trailing_empties_like_sheets(gspread_client, sheets_fake):
    sh = gspread_client.create("Trim")
    ws = sh.sheet1
    ws.update([["a", None, "c"], [None], ["", "x"]], "B2")
    data = sh.values_get("'Sheet1'!A1:E6", params={"valueRenderOption": "UNFORMATTED_VALUE"})
    assert data == {"range": "Sheet1!A1:E6", "majorDimension": "ROWS",
                    "values": [[], ["", "a", "", "c"], [], ["", "", "x"]]}
    columns = sh.values_get("Sheet1!B2:C4", params={"majorDimension": "COLUMNS"})
    assert columns["values"] == [["a"], ["", "", "x"]]
    assert "values" not in sh.values_get("Sheet1!H1:H3")


@pytest.mark.parametrize(
    ("typed", "stored", "unformatted", "number_format"),
    [
        ("12", {"numberValue": 12}, 12, None),
        ("12.5", {"numberValue": 12.5}, 12.5, None),
        ("-3", {"numberValue": -3}, -3, None),
        ("000812", {"numberValue": 812}, 812, None),
        ("'000812", {"stringValue": "000812"}, "000812", None),
        ("1,234", {"numberValue": 1234}, 1234, {"type": "NUMBER", "pattern": "#,##0"}),
        ("12%", {"numberValue": 0.12}, 0.12, {"type": "PERCENT", "pattern": "0%"}),
        ("$1.50", {"numberValue": 1.5}, 1.5, {"type": "CURRENCY", "pattern": '"$"#,##0.00'}),
        ("=SUM(B1:B2)", {"formulaValue": "=SUM(B1:B2)"}, "", None),
        ("2026-11-23", {"numberValue": 46349}, 46349, {"type": "DATE", "pattern": "yyyy-mm-dd"}),
        ("11/23/2026", {"numberValue": 46349}, 46349, {"type": "DATE", "pattern": "M/d/yyyy"}),
        ("2026-02-30", {"stringValue": "2026-02-30"}, "2026-02-30", None),
        ("TRUE", {"boolValue": True}, True, None),
        ("false", {"boolValue": False}, False, None),
        ("A-100", {"stringValue": "A-100"}, "A-100", None),
        (7, {"numberValue": 7}, 7, None),
        (True, {"boolValue": True}, True, None),
    ],
)
def test_user_entered_parsing(gspread_client, sheets_fake, typed, stored, unformatted, number_format):
    sh = gspread_client.create("Parse")
    sh.sheet1.update([[typed]], "A1", raw=False)
    cell = sheets_fake.spreadsheet(sh.id).sheet("Sheet1").cell("A1")
    assert cell["userEnteredValue"] == stored
    assert cell.get("userEnteredFormat", {}).get("numberFormat") == number_format
    assert sh.sheet1.get("A1", value_render_option=UNFORMATTED) == [[unformatted]]


def test_user_entered_formatted_values_and_empty_string_clears(gspread_client, sheets_fake):
    sh = gspread_client.create("Formatted")
    ws = sh.sheet1
    ws.update([["2026-11-23", "12%", "1,234", "TRUE", "'0042"]], "A1", raw=False)
    assert ws.get("A1:E1") == [["2026-11-23", "12%", "1,234", "TRUE", "0042"]]
    assert ws.get("A1", value_render_option=UNFORMATTED, date_time_render_option="FORMATTED_STRING") == [
        ["2026-11-23"]
    ]
    ws.update([[""]], "A1", raw=False)
    assert sheets_fake.spreadsheet(sh.id).sheet("Sheet1").cell("A1") == {
        "userEnteredFormat": {"numberFormat": {"type": "DATE", "pattern": "yyyy-mm-dd"}}
    }, "clearing the value keeps the format Sheets applied"


def test_text_formatted_cells_keep_user_entered_text(gspread_client, sheets_fake):
    sh = gspread_client.create("Text cells")
    text = {"userEnteredFormat": {"numberFormat": {"type": "TEXT"}}}
    _batch(sh, _repeat_cell(0, text, "userEnteredFormat.numberFormat", startColumnIndex=0, endColumnIndex=1))
    sh.sheet1.update([["000812"], ["2026-11-23"], ["=A1"]], "A1", raw=False)
    assert sh.sheet1.get("A1:A3", value_render_option=UNFORMATTED) == [["000812"], ["2026-11-23"], ["=A1"]]


def test_raw_keeps_strings(gspread_client, sheets_fake):
    sh = gspread_client.create("Raw")
    sh.sheet1.update([["=SUM(A1)", "12", "'x", "TRUE"]], "A1")  # gspread's default is RAW
    sheet = sheets_fake.spreadsheet(sh.id).sheet("Sheet1")
    assert sheet.cell("A1") == {"userEnteredValue": {"stringValue": "=SUM(A1)"}}
    assert sheet.cell("B1") == {"userEnteredValue": {"stringValue": "12"}}
    assert sh.sheet1.get("A1:D1", value_render_option=ValueRenderOption.formula) == [["=SUM(A1)", "12", "'x", "TRUE"]]


def test_formula_values_come_from_the_side_channel_or_the_evaluator(gspread_client, sheets_fake):
    sh = gspread_client.create("Formulas")
    ws = sh.sheet1
    ws.update([[2, 3, "=A1+B1", "=A1*B1"]], "A1", raw=False)
    assert ws.get("C1:D1", value_render_option=UNFORMATTED) == [["", ""]]
    assert ws.get("C1:D1", value_render_option=ValueRenderOption.formula) == [["=A1+B1", "=A1*B1"]]

    sheets_fake.set_formula_value(sh.id, "Sheet1!C1", 5)
    sheets_fake.formula_evaluator = lambda cell: 6 if cell.formula == "=A1*B1" else None
    assert ws.get("C1:D1", value_render_option=UNFORMATTED) == [[5, 6]]
    grid = sh.fetch_sheet_metadata(params={"includeGridData": "true", "ranges": "Sheet1!C1"})
    cell = grid["sheets"][0]["data"][0]["rowData"][0]["values"][0]
    assert cell["effectiveValue"] == {"numberValue": 5} and cell["formattedValue"] == "5"

    ws.update([["=A1-B1"]], "C1", raw=False)  # a new formula forgets the old value
    sheets_fake.formula_evaluator = None
    assert ws.get("C1", value_render_option=UNFORMATTED) == [[""]]
    with pytest.raises(ValueError, match="holds no formula"):
        sheets_fake.set_formula_value(sh.id, "Sheet1!A1", 1)


def test_values_batch_update_and_append(gspread_client, sheets_fake):
    sh = gspread_client.create("Batch")
    ws = sh.sheet1
    ws.batch_update([{"range": "A1:B1", "values": [["SKU", "Qty"]]}, {"range": "D5", "values": [["x"]]}], raw=False)
    assert sheets_fake.count("values.batchUpdate") == 1
    ws.append_rows([["A-1", "3"], ["A-2", "4"]], value_input_option="USER_ENTERED")
    assert ws.get("A1:B3", value_render_option=UNFORMATTED) == [["SKU", "Qty"], ["A-1", 3], ["A-2", 4]]


def test_grid_limits_are_enforced(gspread_client, sheets_fake):
    sh = gspread_client.create("Limits")
    with pytest.raises(APIError, match=r"exceeds grid limits. Max rows: 1000, max columns: 26"):
        sh.sheet1.update([["x"]], "A1001")
    with pytest.raises(APIError, match="exceeds grid limits"):
        sh.sheet1.get("AA1")
    with pytest.raises(APIError, match=r"tried writing to row \[3\]"):
        sh.sheet1.update([["a"], ["b"], ["c"]], "A1:A2")
    with pytest.raises(APIError, match="Unable to parse range: Nope!A1"):
        sh.values_get("Nope!A1")
    sh.sheet1.resize(rows=2000)
    sh.sheet1.update([["x"]], "A1001")
    assert sheets_fake.spreadsheet(sh.id).sheet("Sheet1").row_count == 2000


# --- batchUpdate state ----------------------------------------------------------------------


def test_batch_update_applies_layout_state(gspread_client, sheets_fake):
    sh = gspread_client.create("Layout")
    added = sh.add_worksheet("Blind count", rows=50, cols=8)
    sid = added.id
    grid = {"sheetId": sid, "startRowIndex": 1, "endRowIndex": 50, "startColumnIndex": 3, "endColumnIndex": 4}
    rule = {"condition": {"type": "NUMBER_GREATER_THAN_EQ", "values": [{"userEnteredValue": "0"}]}, "strict": True}
    reply = _batch(
        sh,
        {"updateSheetProperties": {"properties": {"sheetId": sid, "gridProperties": {"frozenRowCount": 1},
                                                  "tabColor": {"red": 1}},
                                   "fields": "gridProperties.frozenRowCount,tabColor"}},
        _repeat_cell(sid, {"userEnteredFormat": {"textFormat": {"bold": True}, "horizontalAlignment": "CENTER"}},
                     "userEnteredFormat(textFormat.bold,horizontalAlignment)", startRowIndex=0, endRowIndex=1),
        {"mergeCells": {"range": {"sheetId": sid, "startRowIndex": 0, "endRowIndex": 1, "startColumnIndex": 5,
                                  "endColumnIndex": 8}, "mergeType": "MERGE_ALL"}},
        {"setDataValidation": {"range": grid, "rule": rule}},
        {"addProtectedRange": {"protectedRange": {"range": {"sheetId": sid, "startColumnIndex": 0,
                                                            "endColumnIndex": 3}, "warningOnly": True}}},
        {"addConditionalFormatRule": {"rule": {"ranges": [grid], "booleanRule": {
            "condition": {"type": "NUMBER_LESS", "values": [{"userEnteredValue": "0"}]},
            "format": {"backgroundColor": {"red": 1}}}}}},
        {"addConditionalFormatRule": {"rule": {"ranges": [grid], "booleanRule": {
            "condition": {"type": "BLANK"}, "format": {"backgroundColor": {"blue": 1}}}}}},
        {"setBasicFilter": {"filter": {"range": {"sheetId": sid, "endRowIndex": 50}}}},
        {"addNamedRange": {"namedRange": {"name": "Counted", "range": grid}}},
        {"addChart": {"chart": {"spec": {"title": "Variance"},
                                "position": {"overlayPosition": {"anchorCell": {"sheetId": sid}}}}}},
        {"updateDimensionProperties": {"range": {"sheetId": sid, "dimension": "COLUMNS", "startIndex": 0,
                                                 "endIndex": 2}, "properties": {"pixelSize": 180},
                                       "fields": "pixelSize"}},
        {"autoResizeDimensions": {"dimensions": {"sheetId": sid, "dimension": "COLUMNS"}}},
        {"updateSpreadsheetProperties": {"properties": {"title": "Count 2026-11-23"}, "fields": "title"}},
    )
    assert reply["replies"][4]["addProtectedRange"]["protectedRange"]["protectedRangeId"] > 0
    assert reply["replies"][8]["addNamedRange"]["namedRange"]["name"] == "Counted"
    assert reply["replies"][9]["addChart"]["chart"]["chartId"] > 0
    assert reply["replies"][11] == {}

    state = sheets_fake.spreadsheet(sh.id)
    sheet = state.sheet("Blind count")
    assert sheet.frozen_row_count == 1 and sheet.properties["tabColorStyle"] == {"rgbColor": {"red": 1}}
    assert sheet.cell("A1")["userEnteredFormat"] == {"textFormat": {"bold": True}, "horizontalAlignment": "CENTER"}
    assert sheet.merges == [{"sheetId": sid, "startRowIndex": 0, "endRowIndex": 1, "startColumnIndex": 5,
                             "endColumnIndex": 8}]
    assert sheet.cell("D2")["dataValidation"] == rule and "dataValidation" not in sheet.cell("D1")
    assert [r["booleanRule"]["condition"]["type"] for r in sheet.conditional_formats] == ["BLANK", "NUMBER_LESS"], (
        "a rule added without an index goes first, as at Google"
    )
    assert sheet.basic_filter["range"]["endRowIndex"] == 50 and len(sheet.charts) == 1
    assert (sheet.pixel_size("COLUMNS", 1), sheet.pixel_size("COLUMNS", 2)) == (180, 100)
    assert [k for k, _, applied in state.batch_requests if not applied] == ["autoResizeDimensions"]
    assert sheets_fake.files[sh.id]["name"] == "Count 2026-11-23"

    meta = sh.fetch_sheet_metadata(params={"fields": "sheets(properties(title,gridProperties),merges),namedRanges"})
    assert meta["sheets"][1] == {
        "properties": {"title": "Blind count", "gridProperties": {"rowCount": 50, "columnCount": 8,
                                                                   "frozenRowCount": 1}},
        "merges": sheet.merges,
    }
    assert meta["namedRanges"][0]["name"] == "Counted" and set(meta) == {"sheets", "namedRanges"}
    assert gspread_client.open_by_key(sh.id).worksheet("Blind count").frozen_row_count == 1
    assert sh.sheet1.id == 0 and added.id != 1, "added sheets get arbitrary ids, not their index"


def test_batch_update_is_atomic(gspread_client, sheets_fake):
    sh = gspread_client.create("Atomic")
    with pytest.raises(APIError, match=r"Invalid requests\[1\]\.deleteSheet: No grid with id: 99"):
        _batch(sh, {"addSheet": {"properties": {"title": "Extra"}}}, {"deleteSheet": {"sheetId": 99}})
    assert [s.title for s in sheets_fake.spreadsheet(sh.id).sheets] == ["Sheet1"]
    with pytest.raises(APIError, match='A sheet with the name "sheet1" already exists'):
        sh.add_worksheet("sheet1", rows=10, cols=2)
    with pytest.raises(APIError, match="You can't remove all the sheets"):
        sh.del_worksheet(sh.sheet1)


def test_failed_batch_leaves_every_sheet_as_it_was(gspread_client, sheets_fake):
    """The undo of a batchUpdate copies only the sheets the batch reached: all of them come back."""
    sh = gspread_client.create("Atomic, every kind of change")
    _batch(sh, {"addSheet": {"properties": {"title": "Second", "sheetId": 7}}},
           {"addSheet": {"properties": {"title": "Third", "sheetId": 8}}},
           _repeat_cell(7, {"userEnteredValue": {"stringValue": "kept"}}, "userEnteredValue",
                        startRowIndex=0, endRowIndex=2, startColumnIndex=0, endColumnIndex=2),
           {"addProtectedRange": {"protectedRange": {"range": {"sheetId": 8}, "protectedRangeId": 5}}},
           {"addNamedRange": {"namedRange": {"name": "Kept", "namedRangeId": "k",
                                             "range": {"sheetId": 7, "endRowIndex": 1, "endColumnIndex": 1}}}})
    ss = sheets_fake.spreadsheet(sh.id)

    def state() -> str:
        sheets = [{**s.__dict__, "cells": {str(k): v for k, v in s.cells.items()}} for s in ss.sheets]
        return json.dumps([sheets, ss.properties, ss.named_ranges,
                           len(ss.batch_requests)], default=str, sort_keys=True)

    before = state()
    with pytest.raises(APIError, match=r"requests\[9\]\.deleteSheet: No grid with id: 99"):
        _batch(sh, _repeat_cell(7, {"userEnteredValue": {"stringValue": "lost"}}, "userEnteredValue"),
               {"mergeCells": {"range": {"sheetId": 7, "endRowIndex": 2, "endColumnIndex": 2}}},
               {"updateSheetProperties": {"properties": {"sheetId": 8, "index": 0, "title": "Moved"},
                                          "fields": "index,title"}},
               {"updateProtectedRange": {"protectedRange": {"protectedRangeId": 5, "description": "lost"},
                                         "fields": "description"}},
               {"deleteNamedRange": {"namedRangeId": "k"}},
               {"updateSpreadsheetProperties": {"properties": {"title": "Lost"}, "fields": "title"}},
               {"addSheet": {"properties": {"title": "Lost"}}},
               {"deleteSheet": {"sheetId": 0}},
               {"appendDimension": {"sheetId": 7, "dimension": "ROWS", "length": 5}},
               {"deleteSheet": {"sheetId": 99}})
    assert state() == before
    assert [(s.title, s.index) for s in ss.sheets] == [("Sheet1", 0), ("Second", 1), ("Third", 2)]


def test_update_cells_with_a_field_mask_clears_named_fields():
    cell = {"userEnteredValue": {"numberValue": 1}, "userEnteredFormat": {"textFormat": {"bold": True}}}
    assert apply_mask(cell, {}, "userEnteredFormat.textFormat") == {"userEnteredValue": {"numberValue": 1}}
    assert apply_mask(cell, {"note": "n"}, "*") == {"note": "n"}
    assert parse_field_mask("userEnteredFormat(numberFormat,textFormat/bold),note") == [
        "userEnteredFormat.numberFormat", "userEnteredFormat.textFormat.bold", "note"]
    assert filter_fields({"a": [{"b": 1, "c": 2}], "d": 3}, "a(b)") == {"a": [{"b": 1}]}


# --- discovery violations -------------------------------------------------------------------


def _violations_of(fake: FakeSheets, call) -> tuple[list[DiscoveryViolation], APIError]:
    with fake.expect_violations() as caught, pytest.raises(APIError) as raised:
        call()
    assert raised.value.code == 400
    return caught, raised.value


def test_misspelled_request_kind_is_a_violation(gspread_client, sheets_fake):
    sh = gspread_client.create("Bad")
    bold = {"userEnteredFormat": {"textFormat": {"bold": True}}}
    caught, error = _violations_of(sheets_fake, lambda: sh.batch_update({"requests": [
        _repeat_cell(0, bold, "userEnteredFormat.textFormat.bold"),
        {"repeatCel": {"range": {"sheetId": 0}, "cell": bold, "fields": "userEnteredFormat"}},
    ]}))
    assert [v.path for v in caught] == ["requests[1].repeatCel"]
    assert "unknown field 'repeatCel' in Request (did you mean 'repeatCell'?)" in str(caught[0])
    assert "requests[1].repeatCel" in str(error)
    assert sheets_fake.spreadsheet(sh.id).sheet("Sheet1").cell("A1") == {}, "nothing applied"


def test_wrong_enum_is_a_violation(gspread_client, sheets_fake):
    sh = gspread_client.create("Bad enum")
    caught, error = _violations_of(sheets_fake, lambda: _batch(sh, _repeat_cell(
        0, {"userEnteredFormat": {"horizontalAlignment": "MIDDLE", "numberFormat": {"type": "DATE_X"}}},
        "userEnteredFormat(horizontalAlignment,numberFormat)")))
    assert [v.path for v in caught] == [
        "requests[0].repeatCell.cell.userEnteredFormat.horizontalAlignment",
        "requests[0].repeatCell.cell.userEnteredFormat.numberFormat.type",
    ]
    assert str(caught[1]).startswith(
        "sheets.spreadsheets.batchUpdate: requests[0].repeatCell.cell.userEnteredFormat.numberFormat.type: "
        "'DATE_X' not in enum ['NUMBER_FORMAT_TYPE_UNSPECIFIED', 'TEXT'")
    assert "'MIDDLE' not in enum" in str(error)
    details = error.error["details"][0]["fieldViolations"]
    assert details[0]["field"] == "requests[0].repeatCell.cell.userEnteredFormat.horizontalAlignment"


@pytest.mark.parametrize(
    ("request_", "path", "problem"),
    [
        (_repeat_cell(0, {"userEnteredFormat": {"textFormat": {"bold": "yes"}}}, "userEnteredFormat"),
         "requests[0].repeatCell.cell.userEnteredFormat.textFormat.bold", "expected boolean, got string 'yes'"),
        (_repeat_cell(0, {"note": "n"}, "note", startRowIndex="1"),
         "requests[0].repeatCell.range.startRowIndex", "expected integer (int32), got string '1'"),
        (_repeat_cell(0, {"note": "n"}, "note", endRowIndex=2.0),
         "requests[0].repeatCell.range.endRowIndex", "send an int, not a float"),
        (_repeat_cell(0, {"note": "n"}, "note", endRowIndex=2**31),
         "requests[0].repeatCell.range.endRowIndex", "out of range for int32"),
        ({"repeatCell": {"range": {"sheetId": 0}, "cell": {"note": "n"}}},
         "requests[0].repeatCell.fields", "required: at least one field"),
        (_repeat_cell(0, {"note": "n"}, "userEnteredFormat.numberFormatt"),
         "requests[0].repeatCell.fields", "'numberFormatt' is not a field of CellFormat"),
        (_repeat_cell(0, {"note": "n"}, "cell.note"),
         "requests[0].repeatCell.fields", "'cell' is not a field of CellData"),
        ({"addSheet": {"properties": {"title": "x"}}, "deleteSheet": {"sheetId": 0}},
         "requests[0]", "exactly one of Request's union fields"),
        ({}, "requests[0]", "Request needs exactly one of"),
        ({"updateCells": {"rows": [], "fields": "*"}}, "requests[0].updateCells", "UpdateCellsRequest needs"),
        (_repeat_cell(0, {"userEnteredValue": {"numberValue": 1, "stringValue": "1"}}, "userEnteredValue"),
         "requests[0].repeatCell.cell.userEnteredValue", "at most one of ExtendedValue's union fields"),
        ({"updateSheetProperties": {"properties": {"sheetId": 0, "gridProperties": []}, "fields": "gridProperties"}},
         "requests[0].updateSheetProperties.properties.gridProperties", "expected object, got array"),
    ],
)
def test_wrong_types_and_rules_are_violations(gspread_client, sheets_fake, request_, path, problem):
    sh = gspread_client.create("Bad types")
    caught, error = _violations_of(sheets_fake, lambda: _batch(sh, request_))
    assert path in [v.path for v in caught], [str(v) for v in caught]
    assert any(problem in str(v) for v in caught), [str(v) for v in caught]
    assert path in error.error["message"]


def test_query_parameters_and_value_cells_are_validated(gspread_client, sheets_fake):
    sh = gspread_client.create("Bad query")
    caught, _ = _violations_of(sheets_fake, lambda: sh.values_get("A1", params={"valueRenderOption": "RAW"}))
    assert [(v.path, v.method) for v in caught] == [("?valueRenderOption", "sheets.spreadsheets.values.get")]
    caught, _ = _violations_of(sheets_fake, lambda: sh.fetch_sheet_metadata(params={"fields": "sheets.propertiez"}))
    assert "'propertiez' is not a field of Sheet (did you mean 'properties'?)" in str(caught[0])
    caught, _ = _violations_of(sheets_fake, lambda: sh.values_update(
        "A1", params={"valueInputOption": "USER_ENTERED"}, body={"values": [[{"formula": "=1"}]]}))
    assert caught[0].path == "values[0][0]"


def test_raise_violations_mode_raises_out_of_the_call():
    fake = FakeSheets(raise_violations=True)
    sh = fake.client().create("Strict")
    with pytest.raises(DiscoveryViolation, match=r"requests\[0\]\.repeatCel"):
        sh.batch_update({"requests": [{"repeatCel": {}}]})
    with pytest.raises(DiscoveryViolation, match="1 request"):
        fake.assert_clean()


def test_teardown_check_fails_on_unsupported_endpoints_and_real_network():
    fake = FakeSheets()
    client = fake.client()
    with pytest.raises(APIError) as raised:
        client.http_client.request("post", "https://sheets.googleapis.com/v4/spreadsheets/x:getByDataFilter")
    assert raised.value.code == 404 and "no endpoint for POST" in str(raised.value)
    with pytest.raises(requests.ConnectionError, match="refused a real network request"):
        client.http_client.session.get("https://example.com/")
    with pytest.raises(requests.ConnectionError):
        client.http_client.session.get("http://sheets.googleapis.com/v4/spreadsheets/x")
    assert len(fake.unsupported) == 3
    with pytest.raises(AssertionError, match="refused 3 request"):
        fake.assert_clean()


def test_expect_violations_insists_on_one(sheets_fake):
    with pytest.raises(AssertionError, match="expected a DiscoveryViolation"), sheets_fake.expect_violations():
        pass


def _by_data_filter(client: gspread.Client, spreadsheet_id: str, body: dict) -> dict:
    url = f"https://sheets.googleapis.com/v4/spreadsheets/{spreadsheet_id}/values:batchGetByDataFilter"
    return client.http_client.request("post", url, json=body).json()


def test_batch_get_by_data_filter_answers_each_filter_in_order(gspread_client, sheets_fake):
    sh = gspread_client.create("By filter")
    sh.add_worksheet("Count's", 20, 5)
    sheets_fake.put_values(sh.id, "Sheet1!A1:B2", [["000812", "12"], ["x", "=1+1"]], "RAW")
    sheets_fake.put_values(sh.id, "'Count''s'!B2", [["2026-11-23"]])
    sheets_fake.reset_counts()
    got = _by_data_filter(gspread_client, sh.id, {
        "dataFilters": [{"a1Range": "'Count''s'"}, {"a1Range": "Sheet1!A1:B2"},
                        {"gridRange": {"sheetId": 0, "startRowIndex": 1, "endRowIndex": 2}}],
        "valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER", "majorDimension": "ROWS"})
    assert got["spreadsheetId"] == sh.id
    assert [m["dataFilters"] for m in got["valueRanges"]] == [
        [{"a1Range": "'Count''s'"}], [{"a1Range": "Sheet1!A1:B2"}],
        [{"gridRange": {"sheetId": 0, "startRowIndex": 1, "endRowIndex": 2}}]]
    assert [m["valueRange"].get("values") for m in got["valueRanges"]] == [
        [[], ["", 46349]], [["000812", "12"], ["x", "=1+1"]], [["x", "=1+1"]]]  # RAW: strings stay strings
    assert got["valueRanges"][1]["valueRange"]["range"] == "Sheet1!A1:B2"
    # a read in Google's quota, though a POST; its body and URL are recorded as sent
    assert (sheets_fake.count("read"), sheets_fake.count("values.batchGetByDataFilter"), sheets_fake.count("POST")) \
        == (1, 1, 1)
    [rec] = sheets_fake.requests
    assert rec.body_bytes == len(json.dumps(rec.body).encode()) and rec.url_chars == len(
        f"https://sheets.googleapis.com/v4/spreadsheets/{sh.id}/values:batchGetByDataFilter")


def test_batch_get_by_data_filter_is_validated_against_the_document(gspread_client, sheets_fake):
    sh = gspread_client.create("Bad filter")
    caught, error = _violations_of(sheets_fake, lambda: _by_data_filter(gspread_client, sh.id, {
        "dataFilters": [{"a1Range": "Sheet1", "gridRange": {"sheetId": 0}}, {}],
        "ranges": ["Sheet1"], "valueRenderOption": "UNFORMATTED"}))
    assert sorted(v.path for v in caught) == ["dataFilters[0]", "dataFilters[1]", "ranges", "valueRenderOption"]
    assert all(v.method == "sheets.spreadsheets.values.batchGetByDataFilter" for v in caught)
    assert "union fields" in str(caught[0]) or "union fields" in str(caught[1])
    with pytest.raises(APIError, match="Unable to parse range"):
        _by_data_filter(gspread_client, sh.id, {"dataFilters": [{"a1Range": "'No such tab'"}]})
    with pytest.raises(APIError, match="does not model developer metadata"):
        _by_data_filter(gspread_client, sh.id, {"dataFilters": [{"developerMetadataLookup": {"metadataKey": "k"}}]})
    assert len(sheets_fake.unsupported) == 1
    sheets_fake.unsupported.clear()


# --- faults, retries, counting --------------------------------------------------------------


def test_fault_injector_429_then_success(gspread_client, sheets_fake):
    sh = gspread_client.create("Faults")
    sheets_fake.inject_fault(429, times=1, kind="write")
    with pytest.raises(APIError) as raised:
        sh.sheet1.update([["x"]], "A1")
    assert raised.value.code == 429 and raised.value.error["status"] == "RESOURCE_EXHAUSTED"
    assert "'Write requests per minute per user'" in raised.value.error["message"]
    sh.sheet1.update([["x"]], "A1")
    assert sheets_fake.count("values.update") == 2 and sheets_fake.count("faulted") == 1
    assert sheets_fake.pending_faults == 0


def test_gspread_backoff_client_retries_through_injected_faults(sheets_fake, monkeypatch):
    sleeps: list[float] = []
    monkeypatch.setattr("gspread.http_client.time.sleep", sleeps.append)
    client = sheets_fake.client(http_client=BackOffHTTPClient)
    ws = client.create("Retries").sheet1
    sheets_fake.inject_fault(429)
    sheets_fake.inject_fault(500, kind="values.update")
    ws.update([["ok"]], "A1")
    assert sleeps == [2, 4] and sheets_fake.count("faulted") == 2
    assert [r.status for r in sheets_fake.requests[-3:]] == [429, 500, 200]
    assert sheets_fake.get_values(ws.spreadsheet_id, "Sheet1!A1") == [["ok"]]


def test_storage_quota_exceeded_is_drives_error_and_not_retried(sheets_fake, monkeypatch):
    monkeypatch.setattr("gspread.http_client.time.sleep", lambda s: pytest.fail("retried a storage quota error"))
    client = sheets_fake.client(http_client=BackOffHTTPClient)
    sheets_fake.inject_fault("storageQuotaExceeded", kind="drive.files.create")
    with pytest.raises(APIError) as raised:
        client.create("Full drive")
    assert raised.value.code == 403
    assert raised.value.error["errors"][0]["reason"] == "storageQuotaExceeded"
    assert raised.value.error["message"] == "The user's Drive storage quota has been exceeded."
    assert sheets_fake.spreadsheets == {} and sheets_fake.count() == 1


def test_request_counting(gspread_client, sheets_fake):
    sh = gspread_client.create("Counting")  # drive create + 2 metadata reads
    ws = sh.sheet1  # gspread reads the metadata on every .sheet1
    sheets_fake.reset_counts()
    ws.update([["a"]], "A1")
    ws.format("A1", {"textFormat": {"bold": True}})
    ws.batch_get(["A1"])
    ws.get("A1")
    assert (sheets_fake.count(), sheets_fake.count("read"), sheets_fake.count("write")) == (4, 2, 2)
    assert sheets_fake.count("spreadsheets.batchUpdate") == 1 and sheets_fake.count("batch:repeatCell") == 1
    assert sheets_fake.count("GET") == 2 and sheets_fake.count("sheets") == 4 and sheets_fake.count("drive") == 0
    method, path, body = sheets_fake.requests[0]
    assert (method, path, body) == ("PUT", f"/v4/spreadsheets/{sh.id}/values/'Sheet1'!A1",
                                    {"values": [["a"]], "majorDimension": None})
    assert sheets_fake.requests[0].query == {"valueInputOption": ["RAW"]}
    with pytest.raises(ValueError, match="unknown request kind"):
        sheets_fake.count("reads")


# --- Drive ----------------------------------------------------------------------------------


def test_drive_share_creates_a_permission(gspread_client, sheets_fake):
    sh = gspread_client.create("Shared")
    sh.share("counter@example.com", perm_type="user", role="writer", notify=False)
    sh.share(None, perm_type="anyone", role="reader")
    perms = sheets_fake.permissions[sh.id]
    assert [(p["type"], p["role"], p.get("emailAddress")) for p in perms] == [
        ("user", "owner", "cyclekit-tests@example.com"), ("user", "writer", "counter@example.com"),
        ("anyone", "reader", None)]
    assert sheets_fake.notifications == []
    assert [p["role"] for p in sh.list_permissions()] == ["owner", "writer", "reader"]
    sh.share("lead@example.com", perm_type="user", role="reader", email_message="Please count aisle 4")
    assert sheets_fake.notifications[-1]["message"] == "Please count aisle 4"
    sh.remove_permissions("counter@example.com")
    assert len(sheets_fake.permissions[sh.id]) == 3
    with pytest.raises(APIError, match="Invalid permission role: 'boss'"):
        sh.share("x@example.com", perm_type="user", role="boss")


def test_drive_list_open_copy_delete(gspread_client, sheets_fake):
    first = gspread_client.create("Count A")
    gspread_client.create("Count B")
    assert sorted(f["name"] for f in gspread_client.list_spreadsheet_files()) == ["Count A", "Count B"]
    assert [s.id for s in gspread_client.openall("Count A")] == [first.id]
    assert gspread_client.open("Count B").title == "Count B"
    first.sheet1.update([["kept"]], "A1")
    copied = gspread_client.copy(first.id, title="Count A (copy)")
    assert sheets_fake.get_values(copied.id, "A1") == [["kept"]]
    gspread_client.del_spreadsheet(first.id)
    assert first.id not in sheets_fake.files
    with pytest.raises(gspread.SpreadsheetNotFound):
        gspread_client.open_by_key(first.id)


def test_sheets_create_endpoint_with_sheets_and_data(gspread_client, sheets_fake):
    body = {
        "properties": {"title": "Created", "locale": "en_GB", "timeZone": "Europe/London"},
        "sheets": [{"properties": {"title": "Counts", "gridProperties": {"rowCount": 10, "columnCount": 3,
                                                                         "frozenRowCount": 1}},
                    "data": [{"startRow": 0, "rowData": [{"values": [
                        {"userEnteredValue": {"stringValue": "SKU"}},
                        {"userEnteredValue": {"formulaValue": "=ROWS(A:A)"}}]}]}]}],
    }
    created = gspread_client.http_client.request("post", "https://sheets.googleapis.com/v4/spreadsheets",
                                                 json=body).json()
    sid = created["spreadsheetId"]
    assert created["properties"]["timeZone"] == "Europe/London"
    sheet_props = created["sheets"][0]["properties"]
    assert sheet_props["title"] == "Counts" and sheet_props["gridProperties"]["rowCount"] == 10
    sh = gspread_client.open_by_key(sid)
    assert (sh.locale, sh.timezone) == ("en_GB", "Europe/London")
    assert sh.worksheet("Counts").get("A1:B1", value_render_option=ValueRenderOption.formula) == [
        ["SKU", "=ROWS(A:A)"]]
    assert sheets_fake.files[sid]["name"] == "Created"


def test_create_in_a_folder_needs_the_folder(gspread_client, sheets_fake):
    with pytest.raises(APIError, match="File not found: nope"):
        gspread_client.create("Lost", folder_id="nope")
    folder = sheets_fake.new_folder("Counts")
    sh = gspread_client.create("Filed", folder_id=folder)
    assert sheets_fake.files[sh.id]["parents"] == [folder]
    assert [f["name"] for f in gspread_client.list_spreadsheet_files(folder_id=folder)] == ["Filed"]


def test_direct_seeding_helpers(sheets_fake):
    sid = sheets_fake.new_spreadsheet("Seeded", sheets=("Schedule", "Count sheet"))
    sheets_fake.put_values(sid, "'Count sheet'!A1", [["SKU", "Qty"], ["A-1", "5"]])
    assert sheets_fake.get_values(sid, "'Count sheet'!A1:B2") == [["SKU", "Qty"], ["A-1", 5]]
    assert sheets_fake.requests == []


# --- small pure helpers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "number_format", "shown"),
    [
        (1234.5, {"type": "NUMBER", "pattern": "#,##0.00"}, "1,234.50"),
        (-1234.5, {"type": "NUMBER", "pattern": "#,##0.00"}, "-1,234.50"),
        (2.5, {"type": "NUMBER", "pattern": "0"}, "3"),
        (0.125, {"type": "PERCENT", "pattern": "0.0%"}, "12.5%"),
        (1.5, {"type": "CURRENCY"}, "$1.50"),
        (-2, {"type": "NUMBER", "pattern": "0;(0)"}, "(2)"),
        (46349, {"type": "DATE", "pattern": "yyyy-mm-dd"}, "2026-11-23"),
        (46349, {"type": "DATE"}, "11/23/2026"),
        (46349.6041666667, {"type": "DATE_TIME", "pattern": "dd mmm yyyy hh:mm"}, "23 Nov 2026 14:30"),
        (0.6041666667, {"type": "TIME", "pattern": "h:mm am/pm"}, "2:30 PM"),
        (0.1 + 0.2, None, "0.3"),
        (12, None, "12"),
    ],
)
def test_format_number(value, number_format, shown):
    assert format_number(value, number_format) == shown


@pytest.mark.parametrize(
    ("a1", "bounds"),
    [("B2", (1, 1, 2, 2)), ("A1:C3", (0, 0, 3, 3)), ("A:B", (0, 0, None, 2)), ("2:4", (1, 0, 4, None)),
     ("B3:D", (2, 1, None, 4)), ("C3:A1", (0, 0, 3, 3)), ("$A$1:$B$2", (0, 0, 2, 2))],
)
def test_parse_a1(a1, bounds):
    assert parse_a1(a1) == bounds


def test_fake_module_has_no_real_host_but_googles():
    source = Path(__file__).with_name("sheets_fake.py").read_text(encoding="utf-8")
    hosts = set(re.findall(r"https?://([a-z0-9.-]+)", source))
    assert hosts <= {"sheets.googleapis.com", "www.googleapis.com", "docs.google.com"}, hosts
