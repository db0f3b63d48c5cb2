"""The safety scan finds formulas saved without a value (read as blank, reported as such) on its
quick path exactly as its tag-by-tag walk does, whatever mix of cells a writer produced."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cyclekit.backends.safe_xlsx import _SheetScanner
from cyclekit.config import LimitsConfig

FORMULA_CELLS = [
    '<c r="{ref}" s="3"><f>D{row}-E{row}</f><v>5</v></c>',                  # xlsxwriter, Excel
    '<c r="{ref}"><f>SUM(A1)</f></c>',                                       # openpyxl: no value
    '<c r="{ref}" t="str"><f>A{row}&amp;"x"</f><v></v></c>',                 # an empty value
    '<c r="{ref}"><f t="shared" si="0"/><v>1</v></c>',                       # Excel's shared formula
    '<c r="{ref}"><f t="shared" ref="F2:F9" si="0">D2</f><v/></c>',          # shared, no value
    '<c r="{ref}" t="inlineStr"><f>A1</f><is><t>x</t></is></c>',             # inline string value
    '<x:c r="{ref}"><x:f>A1</x:f></x:c>',                                    # a prefixed formula
    '<c r="{ref}"><f>A1</f><v> </v></c>',                                    # a value of spaces
    '<c r="{ref}"><x:f>A1</x:f></c>',                                        # only the formula prefixed
    '<c r="{ref}"><f:f>A1</f:f><v>2</v></c>',                                # a prefix named f
]
PLAIN_CELLS = ['<c r="{ref}" t="s"><v>0</v></c>', '<c r="{ref}"><v>12.5</v></c>',
               '<c r="{ref}" t="inlineStr"><is><t>&lt;f&gt;</t></is></c>']

cell = st.tuples(st.integers(0, 6), st.sampled_from(FORMULA_CELLS + PLAIN_CELLS))
row = st.lists(cell, min_size=1, max_size=5, unique_by=lambda c: c[0])


def _sheet(rows: list[list[tuple[int, str]]]) -> list[bytes]:
    """One block per row, as the scan is fed (cut after a closing tag)."""
    blocks = []
    for number, cells in enumerate(rows, start=1):
        xml = "".join(template.format(ref=f"{'ABCDEFG'[column]}{number}", row=number)
                      for column, template in sorted(cells))
        blocks.append(f'<row r="{number}">{xml}</row>'.encode())
    return blocks


@settings(max_examples=300, deadline=None)
@given(st.lists(row, min_size=1, max_size=8))
def test_quick_path_finds_the_blank_formulas_the_walk_finds(rows):
    blocks = _sheet(rows)
    quick = _SheetScanner(LimitsConfig(), "tab 'T'")
    walked = _SheetScanner(LimitsConfig(), "tab 'T'")
    for block in blocks:
        quick.feed(block)
        walked._walk(block)
    assert quick.scan.blank_formulas == walked.scan.blank_formulas
    assert (quick.scan.rows, quick.scan.columns) == (walked.scan.rows, walked.scan.columns)


def test_a_formula_without_its_value_is_found_on_the_quick_path():
    scanner = _SheetScanner(LimitsConfig(), "tab 'T'")
    scanner.feed(b'<row r="4"><c r="B4" s="1"><v>3</v></c><c r="C4"><f>B4*2</f></c>'
                 b'<c r="D4"><f>B4*3</f><v>9</v></c></row>')
    assert scanner.scan.blank_formulas == {(3, 2)}
