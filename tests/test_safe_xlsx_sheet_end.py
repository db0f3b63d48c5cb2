"""The end of a tab after its rows (protection, merges, validations, page setup, page breaks) is
scanned on the quick path and reads as the tag-by-tag walk reads it: <rowBreaks> is no row."""

from __future__ import annotations

import pytest

from cyclekit.backends import safe_xlsx
from cyclekit.backends.safe_xlsx import _SheetScanner
from cyclekit.config import LimitsConfig

ROWS = b'<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1"><v>2</v></c></row></sheetData>'
ENDS = [
    b'<sheetProtection sheet="1"/><mergeCells count="1"><mergeCell ref="A1:I1"/></mergeCells>'
    b'<dataValidations count="1"><dataValidation type="decimal" sqref="H8:H57"><formula1>0</formula1>'
    b'</dataValidation></dataValidations><pageSetup orientation="portrait"/>'
    b'<rowBreaks count="2" manualBreakCount="2"><brk id="26" max="16383" man="1"/></rowBreaks></worksheet>',
    b'<row r="9"/><rowBreaks count="1"><brk id="5" max="16383" man="1"/></rowBreaks>',  # an empty row, then breaks
    b'<row r="7"></row><rowBreaks count="1"/>',
    b'<row r="12" spans="1:9"/><colBreaks count="1"/><rowBreaks/>',
    b'<row><c><f>A1</f></c></row><rowBreaks/>',  # a row without a reference: the walk places it
]


def scanned(blocks: list[bytes], quick: bool) -> _SheetScanner:
    scanner = _SheetScanner(LimitsConfig(), "tab 'T'")
    for block in blocks:
        scanner.feed(block) if quick else scanner._walk(block)
    return scanner


@pytest.mark.parametrize("end", ENDS)
def test_the_end_of_a_tab_reads_as_the_walk_reads_it(end: bytes) -> None:
    quick, walked = scanned([ROWS, end, b'<row r="3"><c><v>1</v></c></row>'], True), scanned(
        [ROWS, end, b'<row r="3"><c><v>1</v></c></row>'], False)
    assert (quick.scan.rows, quick.scan.columns, quick.scan.blank_formulas) == (
        walked.scan.rows, walked.scan.columns, walked.scan.blank_formulas)
    assert (quick.row, quick.column) == (walked.row, walked.column)


def test_page_breaks_after_the_rows_take_the_quick_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_walk(self: _SheetScanner, text: bytes) -> None:
        raise AssertionError(f"walked: {text[:60]!r}")

    monkeypatch.setattr(_SheetScanner, "_walk", no_walk)
    scanner = scanned([ROWS, ENDS[0]], True)
    assert (scanner.scan.rows, scanner.scan.columns) == (1, 3)
    assert safe_xlsx._last_row_tag(b'<row r="2"/><rowBreaks/>') == 0
    assert safe_xlsx._last_row_tag(b"<rowBreaks/>") == -1
