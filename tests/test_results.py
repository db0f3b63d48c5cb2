"""Results workbook: recounts, documentation kept across re-ingests, formulas in a real engine."""

import datetime as dt
import shutil

import openpyxl
import pytest

from cyclekit.backends.libreoffice import recalculate
from cyclekit.config import Config
from cyclekit.stages.ingest import ingest_cycle
from cyclekit.stages.sheets import Selection
from tests.helpers import fill_sheet
from tests.test_cycle_flow import fill_all_right, manifest, plant, rows_of, sheet_file, start  # noqa: F401


@pytest.fixture
def counted(plant, tmp_path):  # noqa: F811
    """A cycle counted once: WH-A-01 line 1 short by 34 (Major), line 2 one over (Minor)."""
    report = start(plant, tmp_path)
    files = fill_all_right(report.cycle_dir, tmp_path / "back",
                           {"WH-A-01": {1: 1200, 2: 11}, "CAGE-01": {1: 1}})
    result = ingest_cycle(report.cycle_dir, Config(), files)
    return report.cycle_dir, files, result


def document(results, line_id, **values):
    """Finance types into the Discrepancies tab (openpyxl stands in for Excel)."""
    book = openpyxl.load_workbook(results)
    sheet = book["Discrepancies"]
    header = [c.value for c in sheet[1]]
    row = next(r for r in range(2, sheet.max_row + 1)
               if sheet.cell(r, header.index("Line ID") + 1).value == line_id)
    for name, value in values.items():
        sheet.cell(row, header.index(name.replace("_", " ")) + 1).value = value
    book.save(results)


def test_discrepancies_tab(counted):
    _, _, result = counted
    rows = {r["Line ID"]: r for r in rows_of(result.results, "Discrepancies")}
    assert set(rows) == {"WH-A-01/1", "WH-A-01/2"}
    major, minor = rows["WH-A-01/1"], rows["WH-A-01/2"]
    assert (major["Variance Qty"], major["Severity"], major["Approver Role"]) == (
        -34, "Major", "Operations Manager / Finance")
    assert major["Direction"] == "Digital > physical" and "Theft or loss" in major["Suggested Causes"]
    assert (minor["Severity"], minor["Direction"], minor["Status"]) == ("Minor", "Digital < physical", "Open")
    book = openpyxl.load_workbook(result.results)
    sheet = book["Discrepancies"]
    assert sheet.protection.sheet
    header = [c.value for c in sheet[1]]
    editable = {h for i, h in enumerate(header) if sheet.cell(2, i + 1).protection.locked is False}
    assert editable == {"Root Cause", "Resolution", "Status", "Investigated By", "Investigated On",
                        "Approved By", "Approval Date", "Notes"}
    lists = {str(dv.sqref): dv.formula1 for dv in sheet.data_validations.dataValidation}
    assert lists["L2:L3"].startswith("Lists!$A$2") and lists["P2:P3"] == '"Open,Under Investigation,Resolved"'
    assert book["Lists"].sheet_state == "hidden"


def test_summary_figures(counted):
    _, _, result = counted
    summary = {r[0]: r[1] for r in openpyxl.load_workbook(result.results, data_only=True)["Summary"]
               .iter_rows(values_only=True) if r and r[0]}
    assert (summary["Lines sent"], summary["Lines counted"]) == (8, 8)
    assert summary["Locations returned"] == summary["Locations sent"] == 6
    assert summary["Items with a discrepancy"] == 2
    assert summary["Discrepancy rate"] == pytest.approx(2 / 8)
    assert summary["Net variance value"] == pytest.approx(-34 * 0.15 + 0.15)
    assert summary["Absolute variance value"] == pytest.approx(35 * 0.15)


def test_recount_sheet_is_blind_and_replaces_the_first_count(counted, tmp_path):
    cycle_dir, files, result = counted
    assert [p.name for p in result.recount_files] == ["WH-A-01-R001.xlsx"]
    record = manifest(cycle_dir)["sheets"][-1]
    assert (record["kind"], record["lines"]) == ("recount", [1, 2])  # Major, and 10 % over a 5 % tolerance
    values = [c.value for row in openpyxl.load_workbook(result.recount_files[0]).worksheets[0].iter_rows()
              for c in row if c.value is not None]
    assert "Recount sheet: WH-A-01" in values and 1234 not in values and 1200 not in values
    # counter and date are left to fill in; the instructions name who must not recount
    instructions = next(v for v in values if str(v).startswith("Recount: count each line"))
    assert "by a different person than the first count (" in instructions
    assert manifest(cycle_dir)["count_date"] not in values and not any(str(v).startswith("not ") for v in values)

    recount = fill_sheet(result.recount_files[0], tmp_path / "back" / "recount.xlsx", {1: 1234},
                         counted_by="Riley Chen")
    again = ingest_cycle(cycle_dir, Config(), [*files, recount])
    variance = {r["Line ID"]: r for r in rows_of(again.results, "Variance")}
    line = variance["WH-A-01/1"]
    assert (line["Counted Qty"], line["Variance Qty"], line["First Count"], line["Recounted By"]) == (
        1234, 0, 1200, "Riley Chen")
    recount_tab = rows_of(again.results, "Recount")
    assert [(r["Line ID"], r["Recount Qty"], r["Recounted By"], r["Reason"]) for r in recount_tab] == [
        ("WH-A-01/1", 1234, "Riley Chen", "Major discrepancy"),
        ("WH-A-01/2", None, None, "Outside tolerance")]  # left blank on the recount: first count stands
    assert variance["WH-A-01/2"]["Counted Qty"] == 11
    assert again.recount_files == []  # nothing new to recount; the sheet was not rewritten


def test_recounts_of_one_zone_come_in_one_workbook_a_tab_per_location(plant, tmp_path):  # noqa: F811
    report = start(plant, tmp_path)
    files = fill_all_right(report.cycle_dir, tmp_path / "back", {"WH-A-01": {1: 1200}, "WH-A-02": {1: 0}})
    result = ingest_cycle(report.cycle_dir, Config(), files)
    assert [p.name for p in result.recount_files] == ["Recount_Warehouse_A-R001.xlsx"]
    book = result.recount_files[0]
    assert openpyxl.load_workbook(book).sheetnames == ["WH-A-01", "WH-A-02"]
    records = [r for r in manifest(report.cycle_dir)["sheets"] if r["kind"] == "recount"]
    assert [(r["sheet_id"], r["location"], r["tab"]) for r in records] == [
        ("R001", "WH-A-01", "WH-A-01"), ("R002", "WH-A-02", "WH-A-02")]

    first = fill_sheet(book, tmp_path / "back" / "recount-1.xlsx", {1: 1234}, counted_by="Riley Chen",
                       tab="WH-A-01")
    both = fill_sheet(first, tmp_path / "back" / "recount-2.xlsx", {1: 0}, counted_by="Riley Chen",
                      tab="WH-A-02")
    again = ingest_cycle(report.cycle_dir, Config(), [*files, both])
    variance = {r["Line ID"]: r for r in rows_of(again.results, "Variance")}
    assert (variance["WH-A-01/1"]["Counted Qty"], variance["WH-A-01/1"]["Recounted By"]) == (1234, "Riley Chen")
    assert (variance["WH-A-02/1"]["Counted Qty"], variance["WH-A-02/1"]["Recounted By"]) == (0, "Riley Chen")


def test_reingest_keeps_documentation(counted):
    cycle_dir, files, result = counted
    document(result.results, "WH-A-01/1", Root_Cause="Theft or loss", Resolution="Adjusted",
             Status="Resolved", Approved_By="Dana (Finance)", Approval_Date=dt.datetime(2026, 11, 25))
    document(result.results, "WH-A-01/2", Notes="box of 1 behind the bin")
    again = ingest_cycle(cycle_dir, Config(), files)
    rows = {r["Line ID"]: r for r in rows_of(again.results, "Discrepancies")}
    assert rows["WH-A-01/1"]["Root Cause"] == "Theft or loss"
    assert rows["WH-A-01/1"]["Status"] == "Resolved"
    assert rows["WH-A-01/1"]["Approval Date"] == dt.datetime(2026, 11, 25)
    assert rows["WH-A-01/2"]["Notes"] == "box of 1 behind the bin"


def test_reingest_keeps_documentation_saved_by_libreoffice(soffice, counted, tmp_path):
    cycle_dir, files, result = counted
    document(result.results, "WH-A-01/1", Root_Cause="Miscounted during cycle count", Status="Under Investigation")
    [saved] = recalculate([result.results], tmp_path / "lo")  # opened and saved in LibreOffice Calc
    shutil.copy(saved, result.results)
    again = ingest_cycle(cycle_dir, Config(), files)
    row = next(r for r in rows_of(again.results, "Discrepancies") if r["Line ID"] == "WH-A-01/1")
    assert (row["Root Cause"], row["Status"]) == ("Miscounted during cycle count", "Under Investigation")


def test_documented_line_without_discrepancy_moves_to_cleared(counted, tmp_path):
    cycle_dir, files, result = counted
    document(result.results, "WH-A-01/2", Root_Cause="Data entry error during upload", Notes="checked twice")
    corrected = fill_sheet(sheet_file(cycle_dir, "WH-A-01"), tmp_path / "back" / "WH-A-01 filled.xlsx",
                           {1: 1200, 2: 10, 3: 40}, counted_by="Ana Ruiz")
    again = ingest_cycle(cycle_dir, Config(), [f for f in files if f != corrected] + [corrected])
    assert "WH-A-01/2" not in {r["Line ID"] for r in rows_of(again.results, "Discrepancies")}
    cleared = rows_of(again.results, "Cleared")
    assert [(r["Line ID"], r["Root Cause"], r["Notes"]) for r in cleared] == [
        ("WH-A-01/2", "Data entry error during upload", "checked twice")]
    # and it stays there on the next ingest
    third = ingest_cycle(cycle_dir, Config(), files[:0] + [corrected] + files[1:])
    assert [r["Line ID"] for r in rows_of(third.results, "Cleared")] == ["WH-A-01/2"]


def test_variance_formulas_agree_in_libreoffice(soffice, plant, tmp_path):  # noqa: F811
    report = start(plant, tmp_path, selection=Selection(locations=("WH-A-01", "WH-A-02", "CAGE-01")))
    files = fill_all_right(report.cycle_dir, tmp_path / "back",
                           {"WH-A-01": {1: 1200, 3: 41}, "WH-A-02": {1: 12.75, 2: 0.7}, "CAGE-01": {1: 0}})
    result = ingest_cycle(report.cycle_dir, Config(), files)
    cached = rows_of(result.results, "Variance")
    [recalculated] = recalculate([result.results], tmp_path / "lo")
    fresh = rows_of(recalculated, "Variance")
    assert len(cached) == len(fresh) == 6
    for before, after in zip(cached, fresh, strict=True):
        for name in ("Variance Qty", "Variance %", "Variance Value", "Within Tolerance"):
            if isinstance(before[name], float):
                assert after[name] == pytest.approx(before[name], abs=1e-9), (before["Line ID"], name)
            else:
                assert after[name] == before[name], (before["Line ID"], name)
    by_id = {r["Line ID"]: r for r in fresh}
    assert by_id["WH-A-02/2"]["Variance Qty"] == pytest.approx(-0.05)  # 0.7 - 0.75 with no float noise


def _pdf_words(path):
    """(page, word, height in points) of every word LibreOffice printed."""
    import re
    import subprocess

    xml = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    words, page = [], 0
    for line in xml.splitlines():
        if "<page " in line:
            page += 1
        found = re.search(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', line)
        if found:
            words.append((page, found.group(3), float(found.group(2)) - float(found.group(1))))
    return words


def test_results_print_legibly_for_finance(soffice, counted, tmp_path):
    from cyclekit.backends.libreoffice import to_pdf

    _, _, result = counted
    [pdf] = to_pdf([result.results], tmp_path / "pdf")
    words = _pdf_words(pdf)
    pages: dict[int, list] = {}
    for page, word, height in words:
        pages.setdefault(page, []).append((word, height))
    tabs = {page: next((w for w, _ in ws if w in ("Variance", "Discrepancies")), None)
            for page, ws in pages.items()}
    for page, tab in tabs.items():
        if tab in ("Variance", "Discrepancies"):
            texts = [w for w, _ in pages[page]]
            # every page across shows which line a row is, and text a reader can read (>= 7 pt)
            assert "Location" in texts and "WH-A-01" in texts, (tab, page)
            assert min(h for w, h in pages[page] if w == "WH-A-01") >= 7, (tab, page)
    assert {"Variance", "Discrepancies"} <= set(tabs.values())
    assert min(h for w, h in pages[1] if w == "Locations") >= 8  # the Summary, not shrunk by its chart
    # the suggested causes wrap inside their row: the last cause is printed whole
    assert "Miscounted" in {w for _, w, _ in words}


def test_recount_sheets_as_pdf(soffice, plant, tmp_path):  # noqa: F811
    import subprocess

    report = start(plant, tmp_path)
    files = fill_all_right(report.cycle_dir, tmp_path / "back", {"WH-A-01": {1: 1200}})
    result = ingest_cycle(report.cycle_dir, Config(), files, pdf=True)
    assert [p.name for p in result.pdfs] == [p.with_suffix(".pdf").name for p in result.recount_files]
    text = subprocess.run(["pdftotext", str(result.pdfs[0]), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Recount sheet: WH-A-01" in text and "1,234" not in text and "1234" not in text  # blind


# ---- finance review ----------------------------------------------------------------------

def _recount(result, tmp_path, counts, name="recount.xlsx"):
    # the listed lines' recount (a found item elsewhere gets a recount of its own)
    [book] = [f for f in result.recount_files if "LS-1" not in f.name]
    return fill_sheet(book, tmp_path / "back" / name, counts, counted_by="Riley Chen")


def test_changed_variance_clears_the_approval_and_keeps_the_texts(counted, tmp_path):
    cycle_dir, files, result = counted
    document(result.results, "WH-A-01/1", Root_Cause="Theft or loss", Resolution="Adjusted",
             Status="Resolved", Approved_By="Dana (Finance)", Approval_Date=dt.datetime(2026, 11, 25),
             Notes="cage door found open")
    document(result.results, "WH-A-01/2", Root_Cause="Miscounted during cycle count", Status="Resolved",
             Approved_By="Lee", Approval_Date=dt.datetime(2026, 11, 25))
    recount = _recount(result, tmp_path, {1: 1233})  # -34 becomes -1; line 2 left blank: +1 stands
    again = ingest_cycle(cycle_dir, Config(), [*files, recount])
    rows = {r["Line ID"]: r for r in rows_of(again.results, "Discrepancies")}
    changed = rows["WH-A-01/1"]
    assert changed["Variance Qty"] == -1
    assert (changed["Root Cause"], changed["Resolution"]) == ("Theft or loss", "Adjusted")  # typed: kept
    assert (changed["Status"], changed["Approved By"], changed["Approval Date"]) == ("Open", None, None)
    note = changed["Notes"]
    assert note.startswith("VARIANCE CHANGED: -34 when documented, -1 now")
    assert "Dana (Finance), 2026-11-25" in note and "Status was Resolved" in note
    assert note.endswith("\ncage door found open")
    unchanged = rows["WH-A-01/2"]  # the same +1 as documented: its approval stands
    assert (unchanged["Status"], unchanged["Approved By"]) == ("Resolved", "Lee")
    assert not (unchanged["Notes"] or "").startswith("VARIANCE CHANGED")

    # said once: the next ingest reads -1 as the documented amount, and a new approval stays
    document(again.results, "WH-A-01/1", Status="Resolved", Approved_By="Dana (Finance)",
             Approval_Date=dt.datetime(2026, 11, 27))
    third = ingest_cycle(cycle_dir, Config(), [*files, recount])
    row = next(r for r in rows_of(third.results, "Discrepancies") if r["Line ID"] == "WH-A-01/1")
    assert (row["Status"], row["Approved By"], row["Notes"]) == ("Resolved", "Dana (Finance)", note)


def test_cleared_documentation_keeps_its_amount_and_is_flagged_when_it_comes_back_changed(counted, tmp_path):
    cycle_dir, files, result = counted
    document(result.results, "WH-A-01/2", Root_Cause="Data entry error during upload", Status="Resolved",
             Approved_By="Lee", Approval_Date=dt.datetime(2026, 11, 25))
    others = [f for f in files if "WH-A-01" not in f.name]

    def counted_as(quantity, name):
        return fill_sheet(sheet_file(cycle_dir, "WH-A-01"), tmp_path / name / "WH-A-01 filled.xlsx",
                          {1: 1200, 2: quantity, 3: 40}, counted_by="Ana Ruiz")

    cleared = ingest_cycle(cycle_dir, Config(), [*others, counted_as(10, "zero")])
    [row] = rows_of(cleared.results, "Cleared")
    assert (row["Line ID"], row["Documented Variance"], row["Approved By"]) == ("WH-A-01/2", 1, "Lee")
    back = ingest_cycle(cycle_dir, Config(), [*others, counted_as(13, "three")])
    row = next(r for r in rows_of(back.results, "Discrepancies") if r["Line ID"] == "WH-A-01/2")
    assert (row["Root Cause"], row["Status"], row["Approved By"]) == ("Data entry error during upload", "Open", None)
    assert row["Notes"].startswith("VARIANCE CHANGED: +1 when documented, +3 now")


def _summary(path):
    return {r[0]: r[1] for r in openpyxl.load_workbook(path, data_only=True)["Summary"]
            .iter_rows(values_only=True) if r and r[0]}


def test_a_problem_fixed_by_a_recount_is_shown_fixed(plant, tmp_path):  # noqa: F811
    report = start(plant, tmp_path)
    files = fill_all_right(report.cycle_dir, tmp_path / "back", {"WH-A-01": {1: "650 ea"}})
    result = ingest_cycle(report.cycle_dir, Config(), files)
    [problem] = rows_of(result.results, "Problems")
    assert (problem["Value"], problem["Status"]) == ("650 ea", "Open")
    assert _summary(result.results)["Problems open"] == 1
    [line] = rows_of(result.results, "Recount")
    assert (line["Line ID"], line["Reason"], line["Counted By"]) == ("WH-A-01/1", "Entry unreadable", "Ana Ruiz")

    sheet_id = manifest(report.cycle_dir)["sheets"][-1]["sheet_id"]
    again = ingest_cycle(report.cycle_dir, Config(), [*files, _recount(result, tmp_path, {1: 1234})])
    [problem] = rows_of(again.results, "Problems")
    assert problem["Status"] == f"Fixed by recount {sheet_id}"
    summary = _summary(again.results)
    assert (summary["Problems open"], summary["Problems fixed by a recount"]) == (0, 1)
    assert len(again.problems) == 1 and again.open_problems == []  # what the command reports as open
    [line] = rows_of(again.results, "Recount")
    assert (line["Reason"], line["First Count"], line["Recount Qty"]) == ("Entry unreadable", None, 1234)
    variance = next(r for r in rows_of(again.results, "Variance") if r["Line ID"] == "WH-A-01/1")
    assert (variance["Counted By"], variance["Recounted By"]) == ("Ana Ruiz", "Riley Chen")  # the sheet's counter


def _table(path, title):
    """A Summary table's rows by their first cell, up to and with its Total row."""
    rows = list(openpyxl.load_workbook(path, data_only=True)["Summary"].iter_rows(values_only=True))
    start_at = next(i for i, r in enumerate(rows) if r[0] and str(r[0]).startswith(title)) + 1
    header = rows[start_at]
    table = {}
    for row in rows[start_at + 1:]:
        table[row[0]] = dict(zip(header[1:], row[1:], strict=True))
        if row[0] == "Total":
            return table
    raise AssertionError(f"{title}: no Total row")


def test_summary_tables_add_up_to_the_headline_figures(plant, tmp_path):  # noqa: F811
    report = start(plant, tmp_path)
    files = fill_all_right(report.cycle_dir, tmp_path / "back",
                           {"WH-A-01": {1: 1200, 3: None}, "WH-A-02": {2: "12 ea"}},
                           **{"LS-1": {"found": [("0042-01", "02", "L9", "kg", 1.5)]}})
    files = [f for f in files if "MRB-01" not in f.name]  # one sheet not back yet
    result = ingest_cycle(report.cycle_dir, Config(), files)
    again = ingest_cycle(report.cycle_dir, Config(), [*files, _recount(result, tmp_path, {1: 1234})])
    summary = _summary(again.results)
    headline = {"Lines Sent": summary["Lines sent"], "Lines Counted": summary["Lines counted"],
                "Found Items": summary["Items found, not in the system"],
                "Discrepancies": summary["Items with a discrepancy"]}
    assert headline == {"Lines Sent": 8, "Lines Counted": 5, "Found Items": 1, "Discrepancies": 1}
    by_location = _table(again.results, "By location")
    by_counter = _table(again.results, "By counter")
    for table in (by_location, by_counter):
        total = table["Total"]
        assert {name: total[name] for name in headline} == headline
        assert total["Net Variance Value"] == pytest.approx(summary["Net variance value"])
        assert total["Absolute Variance Value"] == pytest.approx(summary["Absolute variance value"])
        assert total["Discrepancy Rate"] == pytest.approx(summary["Discrepancy rate"])
        body = [row for name, row in table.items() if name != "Total"]
        assert sum(row["Lines Sent"] or 0 for row in body) == total["Lines Sent"]
    assert (by_location["LS-1"]["Lines Sent"], by_location["LS-1"]["Lines Counted"],
            by_location["LS-1"]["Found Items"]) == (1, 1, 1)  # the found item apart: 1 counted of 1 sent
    # Ana is charged the line she left blank and the one she wrote "12 ea" on, and judged on
    # her first count (1200 of 1234); the recount's correction has a row of its own
    ana = by_counter["Ana Ruiz"]
    assert (ana["Lines Sent"], ana["Lines Counted"], ana["Discrepancies"]) == (5, 3, 1)
    assert by_counter["(sheet not returned)"]["Lines Sent"] == 1
    assert by_counter["Found items"]["Found Items"] == 1
    assert by_counter["Changed by recounts"]["Discrepancies"] == -1
    blank = next(r for r in rows_of(again.results, "Recount") if r["Line ID"] == "WH-A-01/3")
    assert (blank["Counted By"], blank["Reason"]) == ("Ana Ruiz", "Left blank")


def test_an_unvalued_found_item_is_listed_by_severity_with_a_blank_value(plant, tmp_path):  # noqa: F811
    report = start(plant, tmp_path)
    files = fill_all_right(report.cycle_dir, tmp_path / "back", {"WH-A-01": {2: 11}},
                           **{"LS-1": {"found": [("NEW-999", "", "", "ea", 500)]}})  # no cost known
    result = ingest_cycle(report.cycle_dir, Config(), files)
    rows = list(openpyxl.load_workbook(result.results, data_only=True)["Summary"].iter_rows(values_only=True))
    first = next(i for i, r in enumerate(rows) if r[0] and str(r[0]).startswith("Largest variances")) + 2
    listed = [(r[7], r[5], r[6]) for r in rows[first:first + 2]]
    assert listed == [("LS-1/F1", None, "Major"), ("WH-A-01/2", pytest.approx(0.15), "Minor")]
    note = rows[first + 2][0]
    assert "not valued" in note and "LS-1/F1" in note
