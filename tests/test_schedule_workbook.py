import datetime as dt
import re
import subprocess

import openpyxl
import pytest

from cyclekit.backends.libreoffice import to_pdf
from cyclekit.config import Config, ScheduleConfig
from cyclekit.domain.scheduling import due_status
from cyclekit.layouts.schedule_reader import read_schedule
from cyclekit.stages import schedule as api
from tests.helpers import INVENTORY_HEADER, LOCATIONS_HEADER, inventory_rows, write_csv

AS_OF = dt.date(2026, 11, 23)
TODAY = dt.date.today()
SCHEDULE_HEADERS = ["Location", "Zone", "Owner", "Owner Email", "Lines", "Inventory Value",
                    "ABC Class", "Counts / Year", "Cadence (days)", "Last Count", "Next Count",
                    "Days Until Due", "Status", "Notes"]


@pytest.fixture
def plant(tmp_path):
    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER, inventory_rows())
    locations = write_csv(tmp_path / "locations.csv",
                          ["location", "zone", "owner", "owner_email", "consumption", "cadence_days",
                           "last_count"],
                          [["WH-A-01", "Warehouse A", "Ana Ruiz", "ana@plant.example.com", "low", "", "2026-10-01"],
                           ["WH-A-02", "Warehouse A", "Ana Ruiz", "ana@plant.example.com", "", "", "2025-06-30"],
                           ["LS-1", "Lineside", "Bo Lind", "bo@plant.example.com", "high", "14", "2026-11-20"],
                           ["EMPTY-9", "Warehouse B", "Bo Lind", "bo@plant.example.com", "", "", ""]])
    return inventory, locations


def write(plant, tmp_path, **kwargs):
    inventory, locations = plant
    output = tmp_path / "schedule.xlsx"
    api.write_schedule(inventory, output, kwargs.pop("config", Config()), locations=locations,
                       as_of=AS_OF, today=TODAY, **kwargs)
    return output


def table(path, tab="Schedule", data_only=True):
    sheet = openpyxl.load_workbook(path, data_only=data_only)[tab]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]], rows[0]


def as_date(value):
    return value.date() if isinstance(value, dt.datetime) else value


def test_schedule_tab_columns_and_rows(plant, tmp_path):
    rows, header = table(write(plant, tmp_path))
    assert list(header) == SCHEDULE_HEADERS
    assert [r["Location"] for r in rows] == ["CAGE-01", "EMPTY-9", "LS-1", "MRB-01", "WH-A-01", "WH-A-02"]
    by = {r["Location"]: r for r in rows}
    assert by["EMPTY-9"]["Lines"] == 0 and by["EMPTY-9"]["Owner"] == "Bo Lind"
    assert by["LS-1"]["Cadence (days)"] == 14  # override
    assert by["WH-A-01"]["Inventory Value"] == pytest.approx(1234 * 0.15 + 10 * 0.15 + 40 * 12)


def test_formula_cells_carry_correct_cached_values(plant, tmp_path):
    rows, _ = table(write(plant, tmp_path))
    for row in rows:
        last, cadence = as_date(row["Last Count"]), row["Cadence (days)"]
        expected = last + dt.timedelta(days=cadence) if last else AS_OF
        assert as_date(row["Next Count"]) == expected, row["Location"]
        days = (expected - TODAY).days
        assert row["Days Until Due"] == days
        assert row["Status"] == due_status(days, 7)


def test_formulas_are_live_and_portable(plant, tmp_path):
    rows, _ = table(write(plant, tmp_path), data_only=False)
    first = rows[0]
    assert first["Next Count"] == '=IF(J2="",AsOfDate,IF(I2="","",J2+I2))'
    assert first["Days Until Due"] == '=IF(K2="","",K2-TODAY())'
    assert "DueSoonDays" in first["Status"]
    for forbidden in ("XLOOKUP", "LET(", "IFS(", "_xlfn"):
        assert all(forbidden not in str(v) for row in rows for v in row.values())


def test_date_and_money_formats(plant, tmp_path):
    sheet = openpyxl.load_workbook(write(plant, tmp_path))["Schedule"]
    assert sheet["J2"].number_format == sheet["K2"].number_format == "yyyy-mm-dd"
    assert "#,##0.00" in sheet["F2"].number_format
    assert sheet.freeze_panes == "B2"
    assert sheet.auto_filter.ref == "A1:N7"
    rules = [r.formula[0] for cf in sheet.conditional_formatting for r in cf.rules]
    assert '$M2="Overdue"' in rules and '$M2="Due this week"' in rules


def test_settings_tab_records_thresholds_and_sources(plant, tmp_path):
    book = openpyxl.load_workbook(write(plant, tmp_path))
    settings = {row[0]: row[1] for row in book["Settings"].iter_rows(min_row=2, values_only=True)}
    assert as_date(settings["As-of date (Next Count of never-counted rows)"]) == AS_OF
    assert settings["Inventory file"] == "inventory.csv"
    assert len(settings["Inventory SHA-256"]) == 64
    assert settings["Lines left out: status installed"] == 1
    assert book.defined_names["AsOfDate"].attr_text == "Settings!$B$2"


def test_calendar_tab(plant, tmp_path):
    rows, header = table(write(plant, tmp_path), tab="Calendar")
    assert header[:4] == ("Week Starting", "Week Ending", "Locations Due", "Lines to Count")
    assert len(rows) == 52
    assert as_date(rows[0]["Week Starting"]) == dt.date(2026, 11, 23)
    first_week = re.split(r",\s+", rows[0]["Locations"])
    assert "WH-A-02" in first_week and "EMPTY-9" in first_week  # overdue and never counted
    assert "Bo Lind: 1 location, 0 lines" in rows[0]["Counters"]


def test_rows_by_part(plant, tmp_path):
    rows, header = table(write(plant, tmp_path, by="part"))
    assert header[0] == "Part Number"
    parts = [r["Part Number"] for r in rows]
    assert "000812" in parts and "=SUM(A1)" in parts and "1E5" in parts
    by = {r["Part Number"]: r for r in rows}
    assert by["000812"]["Lines"] == 3


def test_identifiers_are_written_as_text_never_formulas(plant, tmp_path):
    sheet = openpyxl.load_workbook(write(plant, tmp_path, by="part"))["Schedule"]
    cells = {c.value: c for c in sheet["A"]}
    assert cells["=SUM(A1)"].data_type == "s"
    assert cells["1E5"].data_type == "s" and cells["000812"].data_type == "s"


def test_foreman_model_adds_cycles(plant, tmp_path):
    config = Config(schedule=ScheduleConfig(model="foreman", cycles_per_count=4))
    path = write(plant, tmp_path, config=config)
    book = openpyxl.load_workbook(path, data_only=True)
    assert book.sheetnames == ["Schedule", "Calendar", "Cycles", "Settings", "Last Run"]
    cycles = list(book["Cycles"].iter_rows(min_row=2, values_only=True))
    assert [c[0] for c in cycles] == [1, 2, 3, 4]
    assert sum(c[4] for c in cycles) == 7  # LS-1 (1 line) is counted every 14 days, the plant's choice: no cycle
    assert sum(c[5] for c in cycles) == pytest.approx(1.0)
    ls1 = next(r for r in table(path)[0] if r["Location"] == "LS-1")
    assert (ls1["Cycle"], ls1["Cadence (days)"], ls1["Counts / Year"]) == (None, 14, 26)


def test_bad_input_writes_nothing(tmp_path):
    inventory = write_csv(tmp_path / "inv.csv", INVENTORY_HEADER,
                          [["A1", "P1", "", "", "ea", "", "", "available", "x", "1"]])
    with pytest.raises(Exception, match="quantity is not a number"):
        api.write_schedule(inventory, tmp_path / "out.xlsx", Config(), as_of=AS_OF)
    assert list(tmp_path.iterdir()) == [inventory]


# --- The schedule as printed: LibreOffice renders the PDF, poppler reads it back ----------------

PRINT_AS_OF = dt.date(2026, 11, 23)
PRINT_OWNERS = {"A": "Priya Natarajan", "B": "Kenji Watanabe", "C": "Maria Alvarez", "D": "Dmitri Volkov"}
LONG_OWNER = "Dmitri Volkov-Oppenheimer and the second shift receiving team"  # too long for a line


def _print_plant(folder):
    """36 hyphenated bins, most never counted (all due the first week), and a few counted ones
    that come due alone in later weeks: rows of one line and rows of many, a counter too long
    for a line."""
    keys = [f"WH-{aisle}-{bay:02d}-{level:02d}" for aisle in "ABCD" for bay in (1, 2, 3)
            for level in (1, 2, 3)]
    counted = {"WH-D-03-01": ("14", "2026-11-20"), "WH-D-03-02": ("21", "2026-11-20"),
               "WH-D-03-03": ("35", "2026-11-16")}
    owners = {key: LONG_OWNER if key == "WH-D-03-03" else PRINT_OWNERS[key[3]] for key in keys}
    locations = [[key, f"Warehouse {key[3]}", owners[key], f"{owners[key].split()[0].lower()}@plant.example.com",
                  "", *counted.get(key, ("", ""))] for key in keys]
    inventory = [[key, f"P-{n:04d}-{line}", "", "Washer", "ea", "", "", "available", "5", "0.10"]
                 for n, key in enumerate(keys) for line in range(1 + n % 9)]
    write_csv(folder / "locations.csv", LOCATIONS_HEADER, locations)
    write_csv(folder / "inventory.csv", INVENTORY_HEADER, inventory)
    return keys


def test_calendar_breaks_lines_between_locations(tmp_path):
    keys = _print_plant(tmp_path)
    path = tmp_path / "schedule.xlsx"
    api.write_schedule(tmp_path / "inventory.csv", path, Config(), locations=tmp_path / "locations.csv",
                       as_of=PRINT_AS_OF)
    rows, _ = table(path, tab="Calendar")
    first = rows[0]["Locations"].split("\n")
    never_counted = [key for key in keys if not key.startswith("WH-D-03-")]
    assert len(first) > 1 and sorted(re.split(r",\s+", rows[0]["Locations"])) == never_counted
    for row in rows:
        lines = (row["Locations"] or "").split("\n")
        # a line break only ever follows a location's comma: no name is cut in two
        assert all(line.endswith(",") for line in lines[:-1]), row["Locations"]
        assert not lines[-1].endswith(","), row["Locations"]


def _words(pdf):
    """Per page: (word, xMin, yMin, xMax, yMax) of every printed word."""
    xml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    pages = []
    for line in xml.splitlines():
        if "<page " in line:
            pages.append([])
        found = re.search(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
                          line)
        if found:
            x0, y0, x1, y1 = (float(v) for v in found.groups()[:4])
            pages[-1].append((found.group(5), x0, y0, x1, y1))
    return pages


@pytest.fixture(scope="module")
def printed(soffice, tmp_path_factory):
    """The schedule printed as `cyclekit` prints it: (keys, workbook, words of each page, page texts)."""
    folder = tmp_path_factory.mktemp("printed")
    keys = _print_plant(folder)
    config = Config(schedule=ScheduleConfig(calendar_weeks=10))
    path = folder / "schedule.xlsx"
    api.write_schedule(folder / "inventory.csv", path, config, locations=folder / "locations.csv",
                       as_of=PRINT_AS_OF)
    [pdf] = to_pdf([path], folder / "pdf")
    words = _words(pdf)
    texts = [subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"],
                            capture_output=True, text=True, check=True).stdout
             for n in range(1, len(words) + 1)]
    return keys, path, words, texts


def _calendar_pages(printed):
    _, _, words, texts = printed
    pages = [page for page, text in zip(words, texts) if text.lstrip().startswith("Cycle count calendar")]
    assert pages
    return pages


def _column_x(page, header):
    """Left edge of a word of the table's header row (the rightmost one when it repeats)."""
    top = min(y0 for w, _, y0, _, _ in page if w == "Counters")
    return max(x0 for w, x0, y0, _, _ in page if w == header and abs(y0 - top) < 12)


def test_printed_pages_show_the_as_of_date_and_the_print_date(printed):
    _, _, _, texts = printed
    assert len(texts) >= 3
    for number, text in enumerate(texts, start=1):
        header = text.strip().splitlines()[0]
        # the date the schedule was computed for, and apart from it the day it printed
        assert f"as of {PRINT_AS_OF.isoformat()}" in header, (number, header)
        assert "Printed" in header, (number, header)
    schedule_pages = [t for t in texts if t.lstrip().startswith("Cycle count schedule as of")]
    assert schedule_pages
    # Days Until Due and Status stay live on TODAY(): the header says which day they count from
    assert all("Days Until Due and Status as of that day" in t.strip().splitlines()[0]
               for t in schedule_pages)


def test_printed_calendar_keeps_location_names_whole(printed):
    keys = set(printed[0])
    seen = set()
    for page in _calendar_pages(printed):
        left = _column_x(page, "Locations")
        top = min(y0 for w, _, y0, _, _ in page if w == "Counters")
        for word, x0, y0, _, _ in page:
            if x0 >= left - 1 and y0 > top + 12:  # the Locations column, under its header
                name = word.rstrip(",")
                assert name in keys, f"{word!r} is a broken location name"
                seen.add(name)
    assert seen == keys  # every bin is in the calendar, each printed whole


def test_printed_calendar_counts_stand_clear_of_the_counters(printed):
    checked = 0
    for page in _calendar_pages(printed):
        counters = _column_x(page, "Counters")
        lines: dict[int, list] = {}
        for word, x0, y0, x1, _ in page:
            if re.fullmatch(r"[\d,]+", word) and x1 <= counters + 1:
                lines.setdefault(round(y0), []).append((x1, x0, word))
        for x1, x0, word in (max(found) for found in lines.values()):  # Lines to Count of a row
            digit = (x1 - x0) / len(word)
            # never "242Priya": at least two digits' width of white between the number and the name
            assert counters - x1 >= 2 * digit, (word, counters - x1)
            checked += 1
    assert checked >= 10


def test_printed_calendar_rows_are_as_tall_as_their_text(printed):
    weeks, _ = table(printed[1], tab="Calendar")
    counters = [len(w["Counters"].split("\n")) if w["Counters"] else 0 for w in weeks]
    rows = []  # (page, lines of text, height to the next week's row)
    text_line = float("inf")  # from one line of text to the next inside a row
    week = 0
    for number, page in enumerate(_calendar_pages(printed)):
        counters_x, keys_x = _column_x(page, "Counters"), _column_x(page, "Locations")
        below = min(y0 for w, _, y0, _, _ in page if w == "Counters") + 12  # under the header row
        # the lines printed in the Counters column; a week's first one is the top of its row
        starts = sorted({y0 for _, x0, y0, _, _ in page if counters_x - 1 <= x0 < keys_x - 1 and y0 > below})
        text_line = min([text_line, *(b - a for a, b in zip(starts, starts[1:]))])
        tops = []
        while starts and week < len(weeks):
            if counters[week]:
                tops.append((week, starts[0]))
                starts = starts[counters[week]:]
            week += 1
        for (this, top), (following, next_top) in zip(tops, tops[1:]):
            if following == this + 1:
                key_lines = {round(y0) for _, x0, y0, _, _ in page
                             if x0 >= keys_x - 1 and top - 1 <= y0 < next_top - 1}
                rows.append((number, max(counters[this], len(key_lines)), next_top - top))
    one_line = min(height for _, lines, height in rows if lines == 1)
    for page, lines, height in rows:
        # every week is as tall as its lines of text, each taking what a one-line week takes:
        # none clipped, none with blank lines left over from a wrong guess at the wrapping
        assert lines * text_line - 0.5 <= height <= lines * one_line + 1, (page, lines, height, one_line)
    assert len(rows) >= 5 and any(lines >= 5 for _, lines, _ in rows)
    # the counter too long for a line wrapped between words, under its own name
    assert "Volkov-Oppenheimer" in {w for page in _calendar_pages(printed) for w, *_ in page}


# --- By part: a part lies in several locations, so its row lists several zones, owners, e-mails --

BY_PART_PLACES = {  # aisle: zone, owner, e-mail (one too long for a line of its column)
    "A": ("Warehouse A", "Priya Natarajan", "priya.natarajan@plant.example.com"),
    "B": ("Warehouse B", "Kenji Watanabe", "kenji.watanabe@plant.example.com"),
    "C": ("Lineside", "Maria Alvarez", "maria.alvarez@plant.example.com"),
    "D": ("Receiving and Inspection", LONG_OWNER, "dmitri.volkov-oppenheimer.second-shift@plant.example.com"),
}


def _by_part_plant(folder):
    """Parts in one to four aisles' bins: every mix of zones, owners and e-mails. Returns each
    part's (Zones, Owner, Owner Email) as the Schedule lists them."""
    locations = [[f"{aisle}-{bay:02d}", *BY_PART_PLACES[aisle], "", "", ""]
                 for aisle in BY_PART_PLACES for bay in (1, 2)]
    inventory, expected = [], {}
    for n in range(1, 16):
        part, aisles = f"P-{n:04d}", [aisle for bit, aisle in enumerate("ABCD") if n >> bit & 1]
        inventory += [[f"{aisle}-{1 + n % 2:02d}", part, "", "Washer", "ea", "", "", "available", "5", "0.10"]
                      for aisle in aisles]
        expected[part] = tuple(", ".join(sorted(BY_PART_PLACES[aisle][field] for aisle in aisles))
                               for field in range(3))
    write_csv(folder / "locations.csv", LOCATIONS_HEADER, locations)
    write_csv(folder / "inventory.csv", INVENTORY_HEADER, inventory)
    return expected


def _write_by_part(folder):
    expected = _by_part_plant(folder)
    path = folder / "schedule.xlsx"
    api.write_schedule(folder / "inventory.csv", path, Config(schedule=ScheduleConfig(calendar_weeks=4)),
                       locations=folder / "locations.csv", as_of=PRINT_AS_OF, by="part")
    return expected, path


def test_by_part_zones_owners_and_emails_wrap_and_read_back_as_written(tmp_path):
    expected, path = _write_by_part(tmp_path)
    sheet = openpyxl.load_workbook(path)["Schedule"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        part = row[0].value
        cells = [row[header.index(name)] for name in ("Zones", "Owner", "Owner Email")]
        # the cells hold the lists as they are, one ", " between two: wrapped by the renderer
        assert tuple(c.value for c in cells) == expected[part]
        assert all(c.alignment.wrap_text and c.alignment.vertical == "top" for c in cells)
        height = sheet.row_dimensions[row[0].row].height
        if part in ("P-0001", "P-0002", "P-0004"):  # in one aisle's bins: one line, default height
            assert height is None, (part, height)
        else:  # several lines, and room for them
            assert height and height >= 2 * 15 + 3, (part, height)
    # what the schedule reader takes from those cells is what was written
    entries = {e.key: e for e in read_schedule(path).entries}
    assert {key: (e.zone, e.owner, e.owner_email) for key, e in entries.items()} == expected


@pytest.fixture(scope="module")
def printed_by_part(soffice, tmp_path_factory):
    """The by-part schedule printed: (expected cells by part, workbook, words of each Schedule page)."""
    folder = tmp_path_factory.mktemp("printed_by_part")
    expected, path = _write_by_part(folder)
    [pdf] = to_pdf([path], folder / "pdf")
    texts = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    pages = [page for page, text in zip(_words(pdf), texts)
             if text.lstrip().startswith("Cycle count schedule as of")]
    assert pages
    return expected, path, pages


def _schedule_rows(page):
    """The printed rows of a Schedule page: {part: {column: [(word, x0, y0, x1)]}}, with the
    page's column edges; a row runs from its part number (printed on its top line) to the next."""
    top = min(y0 for w, _, y0, _, _ in page if w == "Zones")
    header = sorted((x0, w) for w, x0, y0, _, _ in page if abs(y0 - top) < 1 and w in ("Zones", "Owner", "Lines"))
    (zones, _), (owner, _), (email, _), (lines, _) = header  # Zones, Owner, Owner (Email), Lines
    edges = {"Zones": (zones, owner), "Owner": (owner, email), "Owner Email": (email, lines)}
    keys = sorted((y0, w) for w, x0, y0, _, _ in page if x0 < zones - 1 and y0 > top + 1)
    bottom = max(y0 for w, _, y0, _, _ in page if w == "Page")  # the footer
    rows = {}
    for (y, key), (next_y, _) in zip(keys, [*keys[1:], (bottom, "")]):
        rows[key] = {name: [(w, x0, y0, x1) for w, x0, y0, x1, _ in page
                            if left - 1 <= x0 < right - 1 and y - 1 <= y0 < next_y - 1]
                     for name, (left, right) in edges.items()}
    return rows, edges


def test_printed_by_part_schedule_shows_every_zone_owner_and_email_in_full(printed_by_part):
    expected, _, pages = printed_by_part
    seen = set()
    for page in pages:
        rows, edges = _schedule_rows(page)
        for part, columns in rows.items():
            for name, value in zip(("Zones", "Owner", "Owner Email"), expected[part]):
                words = columns[name]
                # the whole text, in order (lines break between words, or after a hyphen)...
                assert "".join(w for w, *_ in words) == value.replace(" ", ""), (part, name, words)
                # ...and inside its column: never run into the next ("Watanabe, Priyakenji.watanabe@")
                assert all(x1 <= edges[name][1] + 0.5 for *_, x1 in words), (part, name, words)
            seen.add(part)
    assert seen == set(expected)


def test_printed_by_part_rows_are_as_tall_as_their_text(printed_by_part):
    expected, path, pages = printed_by_part
    sheet = openpyxl.load_workbook(path)["Schedule"]
    heights = {sheet.cell(r, 1).value: sheet.row_dimensions[r].height for r in range(2, sheet.max_row + 1)}
    tall = 0
    for page in pages:
        rows, edges = _schedule_rows(page)
        for part, columns in rows.items():
            lines = len({round(y0) for words in columns.values() for _, _, y0, _ in words})
            written = (heights[part] - 3) / 15 if heights[part] else 1  # lines the row has room for
            # none cut off, and no blank lines from a wrong guess at the wrapping: only where a line
            # fills its column to the last digit in LibreOffice ("Oppenheimer and" of the long owner)
            # may cyclekit, which leaves room for wider fonts, have kept a line more
            assert lines <= written <= lines + (LONG_OWNER in expected[part][1]), (part, lines, written)
            tall += lines >= 4
        # the table is no wider than before: fit to the page's width, a column width unit prints at
        # 3.4 pt or more, so 11 pt Calibri at 7 pt or more (11 * 3.4 / 5.25, a digit of it being
        # 5.25 pt); where LibreOffice has no Calibri or Carlito, its wider stand-in prints smaller
        zones, owner = edges["Zones"]
        assert (owner - zones) / (14 + 0.71) >= 3.4
    assert tall >= 3
