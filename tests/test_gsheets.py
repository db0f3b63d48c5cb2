"""Google Sheets through gspread's real code, against the offline fake (validated against the
published Sheets v4 discovery document): same workbooks, same results, few requests."""

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from cyclekit.backends import gsheets
from cyclekit.backends.gsheets import (
    MAX_PAYLOAD,
    GoogleError,
    GoogleSession,
    GoogleTarget,
    RequestTooLargeError,
    chunked,
    encode_json,
)
from cyclekit.backends.spec import Cell, Column, Range, Sheet, Style, Validation, WorkbookSpec
from cyclekit.cli import cli
from cyclekit.config import Config
from cyclekit.errors import CyclekitError
from cyclekit.stages import schedule as api
from cyclekit.stages.finalize import finalize_cycle
from cyclekit.stages.ingest import ingest_cycle
from cyclekit.stages.sheets import Selection, start_cycle
from tests import sheets_fake as fake_module
from tests.helpers import INVENTORY_HEADER, LOCATIONS_HEADER, fill_sheet, inventory_rows, write_csv
from tests.test_cycle_flow import rows_of

sheets_fake = fake_module.sheets_fake
gspread_client = fake_module.gspread_client

AS_OF = dt.date(2026, 11, 23)
LOCATIONS = [["WH-A-01", "Warehouse A", "Ana Ruiz", "ana@plant.example.com", "", "", "2026-11-01"],
             ["WH-A-02", "Warehouse A", "Ana Ruiz", "ana@plant.example.com", "", "", "2025-01-05"],
             ["CAGE-01", "Cage", "Bo Lind", "bo@plant.example.com", "", "", ""],
             ["LS-1", "Lineside", "Bo Lind", "bo@plant.example.com", "high", "", "2026-11-20"],
             ["MRB-01", "MRB", "Cy Park", "cy@plant.example.com", "", "", "2026-09-01"]]


@pytest.fixture
def plant(tmp_path):
    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, inventory_rows())
    locations = write_csv(tmp_path / "locations.csv", LOCATIONS_HEADER, LOCATIONS)
    schedule = tmp_path / "schedule.xlsx"
    api.write_schedule(inventory, schedule, Config(), locations=locations, as_of=AS_OF)
    return inventory, locations, schedule


@pytest.fixture
def google(gspread_client):
    return GoogleTarget(GoogleSession(gspread_client, sleep=lambda s: None, progress=lambda t: None))


def test_schedule_in_two_requests_plus_sharing(plant, google, sheets_fake):
    inventory, locations, _ = plant
    report = api.write_schedule(inventory, None, Config(), locations=locations, as_of=AS_OF, google=google)
    assert report.output.startswith("https://docs.google.com/spreadsheets/d/")
    assert sheets_fake.count("spreadsheets.create") == 1
    assert sheets_fake.count("spreadsheets.batchUpdate") == 1
    assert sheets_fake.count("drive.permissions.create") == 3  # ana, bo, cy
    [book] = sheets_fake.spreadsheets.values()
    assert book.properties["locale"] == "en_US"
    schedule = book.sheet("Schedule")
    assert schedule.cell("K2")["userEnteredValue"]["formulaValue"].startswith('=IF(J2="",AsOfDate')
    assert schedule.frozen_row_count == 1 and schedule.basic_filter
    named = {n["name"]: n["range"] for n in book.named_ranges}
    assert set(named) == {"AsOfDate", "DueSoonDays"}
    assert named["AsOfDate"]["startRowIndex"] == 1 and named["AsOfDate"]["startColumnIndex"] == 1
    assert len(schedule.conditional_formats) == 2


def test_identifiers_are_typed_text_never_parsed(plant, google, sheets_fake):
    inventory, locations, _ = plant
    api.write_schedule(inventory, None, Config(), locations=locations, as_of=AS_OF, by="part", google=google)
    [book] = sheets_fake.spreadsheets.values()
    keys = [book.sheet("Schedule").cell(f"A{r}").get("userEnteredValue") for r in range(2, 9)]
    assert {"stringValue": "=SUM(A1)"} in keys and {"stringValue": "000812"} in keys
    assert {"stringValue": "1E5"} in keys and {"stringValue": "1.50"} in keys


def test_count_sheets_and_ingest_match_the_xlsx_path(plant, google, sheets_fake, tmp_path):
    inventory, _, schedule = plant
    selection = Selection(locations=("WH-A-01", "WH-A-02", "CAGE-01", "LS-1"))
    start_cycle(schedule, inventory, tmp_path / "x", Config(), selection=selection, as_of=AS_OF,
                       cycle_id="CC-SAME")
    report = start_cycle(schedule, inventory, tmp_path / "g", Config(), selection=selection, as_of=AS_OF,
                         cycle_id="CC-SAME", google=google)
    assert sheets_fake.count("spreadsheets.create") == 1 and sheets_fake.count("spreadsheets.batchUpdate") == 1
    assert sheets_fake.count("drive.permissions.create") == 2  # each owner once
    manifest = json.loads((report.cycle_dir / "manifest.json").read_text())
    spreadsheet_id = manifest["google"]["count_sheets"]["id"]
    book = sheets_fake.spreadsheets[spreadsheet_id]
    tab = book.sheet("WH-A-01")
    assert tab.protected_ranges and tab.protected_ranges[0]["unprotectedRanges"]

    # counters type into the Google tabs (USER_ENTERED, as a person types) and into the xlsx
    typed = {"WH-A-01": {1: "1,200", 2: "12 ea", 3: "40"}, "WH-A-02": {1: "12.75"}, "CAGE-01": {1: "0"},
             "LS-1": {1: "25"}}
    sheet = google.session.client.open_by_key(spreadsheet_id)
    for location, counts in typed.items():
        ws = sheet.worksheet(location)
        column = chr(65 + ws.row_values(7).index("Floor Count"))  # a Serial column moves it right
        for line, value in counts.items():
            ws.update([[value]], f"{column}{7 + line}", value_input_option="USER_ENTERED")
    files = [fill_sheet(tmp_path / "x" / "sheets" / f"{loc}.xlsx", tmp_path / "back" / f"{loc}.xlsx",
                        {n: _typed_as_excel(v) for n, v in counts.items()}) for loc, counts in typed.items()]

    sheets_fake.reset_counts()
    from_google = ingest_cycle(report.cycle_dir, Config(), google=google)
    assert sheets_fake.count("values.batchGetByDataFilter") == 1 and sheets_fake.count("read") == 1
    from_xlsx = ingest_cycle(tmp_path / "x", Config(), files)
    assert _variance(from_google.results) == _variance(from_xlsx.results)
    # nobody signed these sheets: their Major lines are problems on both paths alike
    unsigned = [(p.kind, p.value) for p in from_google.problems if p.kind == "not-signed"]
    assert unsigned == [(p.kind, p.value) for p in from_xlsx.problems if p.kind == "not-signed"]
    assert [(p.kind, p.cell, p.value) for p in from_google.problems if p.kind != "not-signed"] == [
        ("bad-count", "G9", "12 ea")]
    assert from_google.figures.lines_counted == from_xlsx.figures.lines_counted == 5


def _typed_as_excel(text):
    try:
        return float(text.replace(",", "")) if text.replace(",", "").replace(".", "").isdigit() else text
    except ValueError:
        return text


def _variance(path):
    return [(r["Line ID"], r["Part Number"], r["Counted Qty"], r["Variance Qty"]) for r in rows_of(path, "Variance")]


def test_results_in_google_and_finalize_reads_the_documentation_there(plant, google, sheets_fake, tmp_path):
    inventory, _, schedule = plant
    report = start_cycle(schedule, inventory, tmp_path / "c", Config(), selection=Selection(locations=("CAGE-01",)),
                         as_of=AS_OF, google=google)
    spreadsheet_id = json.loads((report.cycle_dir / "manifest.json").read_text())["google"]["count_sheets"]["id"]
    ws = google.session.client.open_by_key(spreadsheet_id).worksheet("CAGE-01")
    ws.update([["0"]], "H8", value_input_option="USER_ENTERED")  # Floor Count: after the Serial column
    signed_at = next(n for n, row in enumerate(ws.get_all_values(), start=1) if row[1:2] == ["Counted by"])
    ws.update([["Bo Lind"]], f"C{signed_at}", value_input_option="USER_ENTERED")
    result = ingest_cycle(report.cycle_dir, Config(), google=google, results_to_google=True)
    assert result.url
    with pytest.raises(CyclekitError, match="no Approved By"):
        finalize_cycle(report.cycle_dir, schedule, Config(), targets=["generic"], google=google)
    results_id = json.loads((report.cycle_dir / "manifest.json").read_text())["google"]["results"]["id"]
    ws = google.session.client.open_by_key(results_id).worksheet("Discrepancies")
    header = ws.row_values(1)
    for name, value in {"Root Cause": "Theft or loss", "Approved By": "Dana", "Approval Date": "2026-11-25"}.items():
        col = header.index(name) + 1
        ws.update([[value]], f"{chr(64 + col)}2", value_input_option="USER_ENTERED")
    done = finalize_cycle(report.cycle_dir, schedule, Config(), targets=["generic"], google=google)
    text = done.files[0].read_text()
    assert "=SUM(A1)" in text and "Theft or loss" in text and "Dana" in text


def test_reader_takes_every_tab_in_one_post_with_a_short_url(gspread_client, sheets_fake):
    tabs = [f"Location {n:04d} / bay 'B'" for n in range(300)]
    spreadsheet_id = sheets_fake.new_spreadsheet("Many", tuple(tabs))
    sheets_fake.put_values(spreadsheet_id, "'Location 0299 / bay ''B'''!A1:B1", [["000812", 12]], "RAW")
    session = GoogleSession(gspread_client, sleep=lambda s: None, progress=lambda t: None)
    reader = gsheets.GoogleReader(session, spreadsheet_id, tabs)
    assert reader.rows(tabs[-1]) == [["000812", 12]] and reader.rows(tabs[0]) == []
    [request] = sheets_fake.requests
    assert request.op == "values.batchGetByDataFilter" and sheets_fake.count("read") == 1
    assert request.url_chars < 200 and not request.query  # 300 ranges in the body, none in the URL


def test_reader_matches_answers_to_tabs_by_their_filter_not_their_order():
    class Session:
        def call(self, kind, method, url, **kwargs):
            filters = kwargs["json"]["dataFilters"]
            return {"valueRanges": [{"dataFilters": [f], "valueRange": {"values": [[f["a1Range"]]]}}
                                    for f in reversed(filters)]}

    reader = gsheets.GoogleReader(Session(), "id", ["One", "Two's"])
    assert reader.rows("One") == [["'One'"]] and reader.rows("Two's") == [["'Two''s'"]]


def test_429_is_retried_with_a_progress_line(gspread_client, sheets_fake):
    waits, lines = [], []
    session = GoogleSession(gspread_client, sleep=waits.append, progress=lines.append)
    sheets_fake.inject_fault(429, times=2)
    spec = _tiny_spec()
    made = gsheets.render_gsheets(spec, session)
    assert made.spreadsheet_id and len(waits) == 2 and "429" in lines[0]
    assert waits[1] > waits[0] * 0.5  # backs off


def test_quota_403_is_one_clear_sentence_at_once(gspread_client, sheets_fake):
    session = GoogleSession(gspread_client, sleep=lambda s: pytest.fail("must not wait"), progress=lambda t: None)
    sheets_fake.inject_fault("storageQuotaExceeded")
    with pytest.raises(GoogleError, match="service account has no Drive storage.*--folder"):
        gsheets.render_gsheets(_tiny_spec(), session, folder_id="abc")


def test_retries_are_bounded(gspread_client, sheets_fake):
    session = GoogleSession(gspread_client, sleep=lambda s: None, progress=lambda t: None, max_wait=5)
    sheets_fake.inject_fault(503, times=50)
    with pytest.raises(GoogleError, match="kept answering 503"):
        gsheets.render_gsheets(_tiny_spec(), session)


def test_folder_path(gspread_client, sheets_fake):
    folder = sheets_fake.new_folder("Cycle counts")
    session = GoogleSession(gspread_client, sleep=lambda s: None, progress=lambda t: None)
    made = gsheets.render_gsheets(_tiny_spec(two_tabs=True), session, folder_id=folder)
    assert made.requests == 2  # Drive create in the folder + one batchUpdate
    book = sheets_fake.spreadsheets[made.spreadsheet_id]
    assert [s.title for s in book.sheets] == ["One", "Two"]


def test_big_batches_are_split_under_the_payload_guidance():
    requests = [{"updateCells": {"rows": [{"values": [{"userEnteredValue": {"stringValue": "x" * 1000}}]}],
                                 "fields": "userEnteredValue", "start": {"sheetId": 0}}}] * 5000
    chunks = chunked(requests)
    assert len(chunks) == 4 and sum(len(c) for c in chunks) == 5000  # 5.5 MB in parts under 1.8 MB
    sizes = [len(encode_json({"requests": c})) for c in chunks]  # the bodies exactly as sent
    assert max(sizes) <= MAX_PAYLOAD and max(sizes) > MAX_PAYLOAD - 1100  # full parts, none over
    assert chunks[0] + chunks[1] + chunks[2] + chunks[3] == requests  # in order


def test_one_request_too_big_to_split_is_refused_before_anything_is_sent(gspread_client, sheets_fake):
    session = GoogleSession(gspread_client, sleep=lambda s: None, progress=lambda t: None)
    huge = Sheet("Notes", columns=[Column("Note", 40)], rows=[["n" * 49_000] * 40])  # one 1.96 MB row
    with pytest.raises(RequestTooLargeError, match=r"tab 'Notes'.*1,800,000 bytes.*nothing was sent"):
        gsheets.render_gsheets(WorkbookSpec([Sheet("Fine", rows=[["ok"]]), huge], title="big"), session)
    assert sheets_fake.count() == 0  # not even the spreadsheet was created
    assert isinstance(RequestTooLargeError("x"), CyclekitError)


def _big_tab(rows: int) -> WorkbookSpec:
    text = Style(num_format="@", border=True)
    columns = [Column("Line ID", 14, text), Column("Part Number", 14, text), Column("Description", 30, text),
               Column("Qty", 10, Style(num_format="#,##0.###")), Column("Counted", 10, Style(bg_color="#FFF2CC"))]
    body = [[f"L{n:06d}", f"{n % 9000:06d}", f"Hex bolt M{n % 30} x {n % 90}, zinc plated, box of 100", n * 1.25,
             Cell(n % 7, Style(bold=True)) if n % 500 == 0 else n % 7] for n in range(rows)]
    return WorkbookSpec([Sheet("Variance", columns=columns, rows=[[c.header for c in columns], *body])], title="big")


def test_a_big_tab_goes_in_several_requests_each_under_the_budget_as_sent(gspread_client, sheets_fake):
    session = GoogleSession(gspread_client, sleep=lambda s: None, progress=lambda t: None)
    made = gsheets.render_gsheets(_big_tab(20_000), session)
    sent = [r for r in sheets_fake.requests if r.op == "spreadsheets.batchUpdate"]
    assert len(sent) >= 2  # 20,000 rows do not fit one request
    assert max(r.body_bytes for r in sent) <= MAX_PAYLOAD  # gspread's bytes, not a re-encoding
    assert max(r.body_bytes for r in sent) > MAX_PAYLOAD * 0.9  # and the requests are well filled
    assert sheets_fake.count("spreadsheets.batchUpdate") == made.requests - 1
    tab = sheets_fake.spreadsheets[made.spreadsheet_id].sheet("Variance")
    assert tab.cell("A20001") == {"userEnteredValue": {"stringValue": "L019999"},
                                  "userEnteredFormat": gsheets.cell_format(Style(num_format="@", border=True))}
    assert tab.cell("B2")["userEnteredValue"] == {"stringValue": "000000"}
    assert tab.cell("E502")["userEnteredFormat"] == gsheets.cell_format(Style(bold=True))


# ---- the rendered spreadsheet, cell by cell, against the spec ------------------------------

def _expected_cells(sheet: Sheet) -> dict[tuple[int, int], dict]:
    """What every cell must hold, written one cell at a time from the spec: a cell's value and its
    style (its own, else its column's; an empty cell has neither), a merge's value and style in its
    top-left cell."""
    cells: dict[tuple[int, int], dict] = {}

    def put(r, c, value):
        style = None
        if isinstance(value, Cell):
            style, value = value.style, value.value
        elif value is None:
            cells.pop((r, c), None)
            return
        if style is None and c < len(sheet.columns):
            style = sheet.columns[c].style
        data = {}
        if gsheets.cell_value(value) is not None:
            data["userEnteredValue"] = gsheets.cell_value(value)
        if gsheets.cell_format(style):
            data["userEnteredFormat"] = gsheets.cell_format(style)
        cells[(r, c)] = data

    for r, row in enumerate(sheet.rows):
        for c, value in enumerate(row):
            put(r, c, value)
    for area, value in sheet.merges:
        put(area.first_row, area.first_col, value)
    return {k: v for k, v in cells.items() if v}


def _expected_unlocked(sheet: Sheet) -> set[tuple[int, int]]:
    cells = set()
    for r, row in enumerate(sheet.rows):
        for c, value in enumerate(row):
            style = value.style if isinstance(value, Cell) else None
            if value is not None and style is None and c < len(sheet.columns):
                style = sheet.columns[c].style
            if style is not None and not style.locked:
                cells.add((r, c))
    for area, value in sheet.merges:
        if isinstance(value, Cell) and value.style is not None and not value.style.locked:
            cells |= {(r, c) for r in range(area.first_row, area.last_row + 1)
                      for c in range(area.first_col, area.last_col + 1)}
    return cells


def _cells_of(ranges: list[dict]) -> list[tuple[int, int]]:
    return [(r, c) for g in ranges for r in range(g["startRowIndex"], g["endRowIndex"])
            for c in range(g["startColumnIndex"], g["endColumnIndex"])]


def assert_rendered_as_the_spec(book, spec: WorkbookSpec) -> None:
    """Values, formats, merges, widths, heights, validations and protection of every tab, as the
    spec says: the batched requests (value blocks, one repeatCell per rectangle of a format,
    runs of heights, rectangles of unlocked cells) add up to the spec, cell by cell."""
    for sheet in spec.sheets:
        tab = book.sheet(sheet.name)
        got = {pos: {k: v for k, v in cell.items() if k in ("userEnteredValue", "userEnteredFormat")}
               for pos, cell in tab.cells.items()}
        assert {pos: cell for pos, cell in got.items() if cell} == _expected_cells(sheet), sheet.name
        letters = [gsheets.col_letter(i) for i in range(max([len(sheet.columns), *map(len, sheet.rows), 1]))]
        rules: dict[tuple[int, int], dict] = {}
        for v in sheet.validations:
            rule = gsheets._validation(0, v, letters)["setDataValidation"]["rule"]
            rules.update({(r, c): rule for r in range(v.range.first_row, v.range.last_row + 1)
                          for c in range(v.range.first_col, v.range.last_col + 1)})
        assert {pos: cell["dataValidation"] for pos, cell in tab.cells.items() if "dataValidation" in cell} == rules
        assert sorted((m["startRowIndex"], m["startColumnIndex"], m["endRowIndex"], m["endColumnIndex"])
                      for m in tab.merges) == sorted((a.first_row, a.first_col, a.last_row + 1, a.last_col + 1)
                                                     for a, _ in sheet.merges if a.first_row != a.last_row
                                                     or a.first_col != a.last_col)
        heights = {r: int(h * 4 / 3) for r, h in sheet.row_heights.items()}
        assert {r: m["pixelSize"] for r, m in tab.row_metadata.items() if "pixelSize" in m} == heights
        widths = {c: int(col.width * gsheets.PIXELS_PER_CHARACTER + 5) for c, col in enumerate(sheet.columns)}
        assert {c: m["pixelSize"] for c, m in tab.column_metadata.items() if "pixelSize" in m} == widths
        if sheet.protect:
            [protected] = tab.protected_ranges
            unlocked = _cells_of(protected["unprotectedRanges"])
            assert len(unlocked) == len(set(unlocked))  # rectangles that do not overlap
            assert set(unlocked) == _expected_unlocked(sheet)
        else:
            assert not tab.protected_ranges


def _styled_spec() -> WorkbookSpec:
    """Every way a cell gets its look: column styles, own styles, empty cells (no format), empty
    text (format, no value), merges with and without a value over other cells, unlocked cells
    and merges, heights in runs, whole and decimal validations line by line."""
    base = Style(num_format="@", border=True)
    money = Style(num_format='"$"#,##0.00', align="right")
    entry = Style(bg_color="#FFF2CC", border=True, locked=False, num_format="#,##0.###")
    columns = [Column("Line", 8, base), Column("Part", 14, base), Column("Cost", 12, money),
               Column("Count", 12, entry), Column("Notes", 20, entry.but(num_format="@"))]
    rows = [[None] * 5, [Cell("Location", Style(bold=True)), "WH-A-01", None, None, None], [None] * 5,
            [Cell(c.header, Style(bold=True, bg_color="#1F4E78", font_color="#FFFFFF", wrap=True))
             for c in columns]]
    for n in range(1, 31):
        rows.append([str(n), f"{n:06d}" if n % 4 else "=SUM(A1)", 1.5 * n if n % 5 else None,
                     Cell(None, entry), "" if n % 3 else Cell(None, entry.but(num_format="@"))])
    rows.append(["TOTAL", Cell("", Style(italic=True)), 99.5, None, Cell("x", Style(bold=True, locked=False))])
    sheet = Sheet("Count", columns=columns, rows=rows, protect=True, freeze=(4, 0))
    sheet.merges = [(Range(0, 0, 0, 4), Cell("Count sheet: WH-A-01", Style(bold=True, font_size=18))),
                    (Range(1, 1, 1, 3), Cell("WH-A-01", base)), (Range(2, 0, 2, 4), None),
                    (Range(35, 0, 36, 2), Cell(None, entry)), (Range(38, 1, 38, 4), "Signed")]
    sheet.row_heights = {0: 28, 3: 20, **{4 + n: 24 if n % 3 else 36 for n in range(30)}, 40: 26}
    sheet.validations = [Validation(Range(4 + n, 3, 4 + n, 3), "decimal" if n % 3 == 0 else "whole", minimum=0,
                                    error_message="A number") for n in range(30)]
    sheet.validations.append(Validation(Range(35, 4, 36, 4), "list", choices=("YES",)))
    plain = Sheet("Plain", columns=[Column("A", 10)], rows=[["a", 1, True, dt.date(2026, 11, 23)]])
    return WorkbookSpec([sheet, plain], title="styled")


def test_values_formats_and_protection_are_exactly_the_spec(gspread_client, sheets_fake):
    spec = _styled_spec()
    session = GoogleSession(gspread_client, sleep=lambda s: None, progress=lambda t: None)
    made = gsheets.render_gsheets(spec, session)
    book = sheets_fake.spreadsheets[made.spreadsheet_id]
    assert_rendered_as_the_spec(book, spec)
    count = book.sheet("Count")
    assert count.cell("A5")["userEnteredFormat"]["borders"]["top"] == {"style": "SOLID"}  # the column's style
    assert count.cell("D5") == {"userEnteredFormat": gsheets.cell_format(spec.sheets[0].columns[3].style),
                                "dataValidation": count.cell("D5")["dataValidation"]}  # an input cell, empty
    assert "userEnteredFormat" not in count.cell("C9")  # an empty cell of a styled column stays unstyled
    assert count.cell("A1")["userEnteredFormat"]["textFormat"] == {"bold": True, "fontSize": 18}
    # formats went as one repeatCell per rectangle, not once per cell
    assert 0 < sheets_fake.count("batch:repeatCell") < 25
    assert len(count.protected_ranges[0]["unprotectedRanges"]) <= 4


def test_the_cycle_workbooks_in_google_are_exactly_their_specs(plant, google, sheets_fake, tmp_path, monkeypatch):
    specs = []
    render = gsheets.render_gsheets

    def keep(spec, *args, **kwargs):
        specs.append(spec)
        return render(spec, *args, **kwargs)

    monkeypatch.setattr(gsheets, "render_gsheets", keep)
    inventory, locations, schedule = plant
    api.write_schedule(inventory, None, Config(), locations=locations, as_of=AS_OF, google=google)
    report = start_cycle(schedule, inventory, tmp_path / "c", Config(), as_of=AS_OF, google=google,
                         selection=Selection(locations=("WH-A-01", "WH-A-02", "CAGE-01", "LS-1")))
    ingest_cycle(report.cycle_dir, Config(), google=google, results_to_google=True)
    assert len(specs) == 3  # schedule, count sheets, results
    for spec, book in zip(specs, sheets_fake.spreadsheets.values(), strict=True):
        assert_rendered_as_the_spec(book, spec)


def _many_locations(tmp_path, count: int, lines: int):
    """An inventory of `count` locations with `lines` lines each (whole and decimal units mixed)."""
    rows = [[f"R{n:03d}", f"{n * 100 + k:06d}", "01", f"Part {k} of rack {n}, stainless", "ea" if k % 3 else "kg",
             "", "", "available", str(k + 1), "2.50"] for n in range(count) for k in range(lines)]
    return write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, rows)


def test_many_count_tabs_take_one_create_and_few_batch_updates(google, sheets_fake, tmp_path):
    inventory = _many_locations(tmp_path, 150, 12)
    schedule = tmp_path / "schedule.xlsx"
    api.write_schedule(inventory, schedule, Config(), as_of=AS_OF)
    start_cycle(schedule, inventory, tmp_path / "c", Config(), selection=Selection(all=True), as_of=AS_OF,
                google=google)
    [book] = sheets_fake.spreadsheets.values()
    assert len(book.sheets) == 150
    assert sheets_fake.count("spreadsheets.create") == 1
    assert sheets_fake.count("spreadsheets.batchUpdate") <= 3  # 150 tabs: payload splits only
    assert max(r.body_bytes for r in sheets_fake.requests) <= MAX_PAYLOAD


def test_missing_extra_says_what_to_install(monkeypatch):
    import builtins

    real = builtins.__import__

    def no_gspread(name, *args, **kwargs):
        if name == "gspread":
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_gspread)
    with pytest.raises(CyclekitError, match=r"pip install 'cyclekit\[gsheets\]'"):
        gsheets.gspread_module()


def test_cli_format_gsheets_and_bad_credentials(plant, gspread_client, sheets_fake, monkeypatch, tmp_path):
    inventory, locations, _ = plant
    monkeypatch.setattr(gsheets, "google_client", lambda credentials=None: gspread_client)
    result = CliRunner().invoke(cli, ["schedule", str(inventory), "--locations", str(locations), "--as-of",
                                      "2026-11-23", "--format", "gsheets"])
    assert result.exit_code == 0, result.output
    assert "https://docs.google.com/spreadsheets/d/" in result.output
    monkeypatch.undo()
    result = CliRunner().invoke(cli, ["schedule", str(inventory), "--format", "gsheets",
                                      "--credentials", str(tmp_path / "missing.json")])
    assert result.exit_code == 1 and "credentials file not found" in result.output
    assert "Traceback" not in result.output


def _tiny_spec(two_tabs=False):
    from cyclekit.backends.spec import Column, Sheet, WorkbookSpec

    sheets = [Sheet("One", columns=[Column("A", 10)], rows=[["000812", 1.5]])]
    if two_tabs:
        sheets.append(Sheet("Two", columns=[Column("B", 10)], rows=[["x"]]))
    return WorkbookSpec(sheets, title="tiny")


def test_the_whole_cycle_in_google_moves_the_google_schedule_on(plant, google, sheets_fake, tmp_path):
    inventory, locations, _ = plant
    url = api.write_schedule(inventory, None, Config(), locations=locations, as_of=AS_OF, google=google).output
    schedule_id = url.rsplit("/", 1)[1]
    # the lead edits the Google schedule: a cadence and a note
    sheet = google.session.client.open_by_key(schedule_id).worksheet("Schedule")
    where = {name: n for n, name in enumerate(sheet.col_values(1), start=1)}
    sheet.update([["45"]], f"I{where['LS-1']}", value_input_option="USER_ENTERED")
    sheet.update([["ask for the key"]], f"N{where['CAGE-01']}", value_input_option="USER_ENTERED")
    report = start_cycle(f"google:{schedule_id}", inventory, tmp_path / "c", Config(),
                         selection=Selection(locations=("LS-1",)), as_of=AS_OF, google=google)
    sheets_id = json.loads((report.cycle_dir / "manifest.json").read_text())["google"]["count_sheets"]["id"]
    google.session.client.open_by_key(sheets_id).worksheet("LS-1").update(
        [["25"]], "G8", value_input_option="USER_ENTERED")
    ingest_cycle(report.cycle_dir, Config(), google=google, results_to_google=True)
    sheets_fake.reset_counts()
    finalize_cycle(report.cycle_dir, f"google:{schedule_id}", Config(), targets=["generic"], google=google)
    book = sheets_fake.spreadsheets[schedule_id]
    # the example plant's schedule learns its cadences: its hidden Count Record tab stays with it
    assert [s.title for s in book.sheets] == ["Schedule", "Calendar", "History", "Settings", "Last Run", "Count Record"]
    schedule = book.sheet("Schedule")
    rows = {schedule.cell(f"A{r}").get("userEnteredValue", {}).get("stringValue"): r for r in range(2, 8)}
    ls = rows["LS-1"]
    assert schedule.cell(f"J{ls}")["userEnteredValue"]["numberValue"] == (AS_OF - dt.date(1899, 12, 30)).days
    assert schedule.cell(f"I{ls}")["userEnteredValue"]["numberValue"] == 45  # the lead's cadence stays
    assert schedule.cell(f"N{rows['CAGE-01']}")["userEnteredValue"]["stringValue"] == "ask for the key"
    assert {n["name"] for n in book.named_ranges} == {"AsOfDate", "DueSoonDays"}
    assert sheets_fake.count("drive.files.copy") == 1  # the schedule as it was, kept in Drive
    assert sheets_fake.count("spreadsheets.batchUpdate") == 1


def test_google_count_sheets_still_print(soffice, plant, google, tmp_path):
    inventory, _, schedule = plant
    report = start_cycle(schedule, inventory, tmp_path / "c", Config(), as_of=AS_OF, google=google, pdf=True,
                         selection=Selection(locations=("WH-A-01", "LS-1")))
    assert sorted(p.name for p in report.pdfs) == ["LS-1.pdf", "WH-A-01.pdf"]
    assert all(p.stat().st_size > 1000 for p in report.pdfs)


def test_what_finance_added_in_google_is_carried_into_the_next_results(plant, google, sheets_fake, tmp_path):
    inventory, _, schedule = plant
    report = start_cycle(schedule, inventory, tmp_path / "c", Config(), selection=Selection(locations=("CAGE-01",)),
                         as_of=AS_OF, google=google)
    spreadsheet_id = json.loads((report.cycle_dir / "manifest.json").read_text())["google"]["count_sheets"]["id"]
    google.session.client.open_by_key(spreadsheet_id).worksheet("CAGE-01").update(
        [["0"]], "H8", value_input_option="USER_ENTERED")
    ingest_cycle(report.cycle_dir, Config(), google=google, results_to_google=True)
    first_id = json.loads((report.cycle_dir / "manifest.json").read_text())["google"]["results"]["id"]
    book = google.session.client.open_by_key(first_id)
    ws = book.worksheet("Discrepancies")
    gl = len(ws.row_values(1)) + 1
    ws.add_cols(1)
    from gspread.utils import rowcol_to_a1

    ws.update([["GL Account"], ["000812"]], f"{rowcol_to_a1(1, gl)}:{rowcol_to_a1(2, gl)}", value_input_option="RAW")
    cause = ws.row_values(1).index("Root Cause") + 1
    ws.update([["Theft or loss"]], rowcol_to_a1(2, cause), value_input_option="USER_ENTERED")
    notes = book.add_worksheet("Finance notes", rows=5, cols=3)
    notes.update([["Account", "Amount"], ["000812", 12.5]], "A1:B2", value_input_option="RAW")

    again = ingest_cycle(report.cycle_dir, Config(), google=google, results_to_google=True)
    second_id = json.loads((report.cycle_dir / "manifest.json").read_text())["google"]["results"]["id"]
    assert second_id != first_id  # a new spreadsheet: the one finance worked in stays as it was
    new = google.session.client.open_by_key(second_id)
    header = new.worksheet("Discrepancies").row_values(1)
    row = new.worksheet("Discrepancies").row_values(2)
    assert row[header.index("GL Account")] == "000812" and row[header.index("Root Cause")] == "Theft or loss"
    assert new.worksheet("Finance notes").get_all_values()[:2] == [["Account", "Amount"], ["000812", "12.5"]]
    assert any("Finance notes" in w for w in again.notes)
