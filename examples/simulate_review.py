"""Document and approve a cycle's discrepancies the way finance would, for the demo.

Each discrepancy gets a root cause from the list, a resolution, who investigated it and
when; Major lines get an approval. One line is left Under Investigation (it does not
block finalizing: the physical count is the source of truth). Problems that remain get a
written resolution.

A stand-in for a person working in Excel: it edits results.xlsx in place with openpyxl.

    python examples/simulate_review.py CYCLE_DIR
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import openpyxl

CAUSES_SHORT = ["Miscounted during cycle count", "Parts not moved correctly", "Theft or loss",
                "Items used but not assigned to tickets"]
CAUSES_OVER = ["Parts moved physically but not digitally", "Data entry error during upload"]


def review(cycle_dir: Path) -> tuple[int, int]:
    path = cycle_dir / "results.xlsx"
    book = openpyxl.load_workbook(path)
    sheet = book["Discrepancies"]
    header = [c.value for c in sheet[1]]
    col = {name: header.index(name) + 1 for name in header if name}
    documented = 0
    for row in range(2, sheet.max_row + 1):
        line_id = sheet.cell(row, col["Line ID"]).value
        if not line_id:
            continue
        short = (sheet.cell(row, col["Variance Qty"]).value or 0) < 0
        causes = CAUSES_SHORT if short else CAUSES_OVER
        set_ = lambda name, value: sheet.cell(row, col[name]).__setattr__("value", value)  # noqa: E731
        set_("Root Cause", causes[documented % len(causes)])
        set_("Investigated By", "Maria Alvarez")
        set_("Investigated On", dt.datetime(2026, 11, 24))
        if documented == 1:
            set_("Status", "Under Investigation")
            set_("Resolution", "Checking the repair bay and open tickets")
        else:
            set_("Status", "Resolved")
            set_("Resolution", "Adjusted to the physical count; moves re-trained")
        if sheet.cell(row, col["Severity"]).value == "Major":
            set_("Approved By", "Dana Whitfield")  # Finance: [approvals] in cyclekit.toml lets her approve any amount
            set_("Approval Date", dt.datetime(2026, 11, 25))
        documented += 1
    problems = book["Problems"]
    header = [c.value for c in problems[1]]
    resolved = 0
    for row in range(2, problems.max_row + 1):
        if problems.cell(row, 1).value:
            problems.cell(row, header.index("Resolution") + 1).value = "Line recounted; recount accepted"
            resolved += 1
    book.save(path)
    return documented, resolved


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    documented, resolved = review(Path(sys.argv[1]))
    print(f"reviewed {documented} discrepancies and {resolved} problems in {sys.argv[1]}/results.xlsx")
