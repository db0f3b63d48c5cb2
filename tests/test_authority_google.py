"""[approvals] and the cause lookups with the results in Google Sheets (the offline fake)."""

import dataclasses
import json

import openpyxl
import pytest

from cyclekit.errors import InputError
from cyclekit.stages.finalize import finalize_cycle
from cyclekit.stages.ingest import ingest_cycle
from cyclekit.stages.sheets import Selection, start_cycle
from tests.test_authority import APPROVALS, SIGNED
from tests.test_finalize import CONFIG
from tests.test_gsheets import AS_OF, google, gspread_client, plant, sheets_fake  # noqa: F401 (fixtures)


def test_the_approvers_dropdown_and_the_fix_lookup_are_written(tmp_path, plant, google, sheets_fake,  # noqa: F811
                                                                gspread_client):  # noqa: F811
    inventory, _, schedule = plant
    config = dataclasses.replace(CONFIG, approvals=APPROVALS)
    report = start_cycle(schedule, inventory, tmp_path / "c", config, selection=Selection(locations=("CAGE-01",)),
                         as_of=AS_OF, google=google)
    spreadsheet_id = json.loads((report.cycle_dir / "manifest.json").read_text())["google"]["count_sheets"]["id"]
    ws = gspread_client.open_by_key(spreadsheet_id).worksheet("CAGE-01")
    ws.update([["0"]], "H8", value_input_option="USER_ENTERED")
    signed_at = next(n for n, row in enumerate(ws.get_all_values(), start=1) if row[1:2] == ["Counted by"])
    ws.update([["Bo Lind"]], f"C{signed_at}", value_input_option="USER_ENTERED")
    ingest_cycle(report.cycle_dir, config, google=google, results_to_google=True)
    results_id = json.loads((report.cycle_dir / "manifest.json").read_text())["google"]["results"]["id"]
    tab = sheets_fake.spreadsheets[results_id].sheet("Discrepancies")
    header = [tab.cell(f"{openpyxl.utils.get_column_letter(c)}1").get("userEnteredValue", {}).get("stringValue")
              for c in range(1, 30)]
    approved_by = openpyxl.utils.get_column_letter(header.index("Approved By") + 1)
    rule = tab.cell(f"{approved_by}2")["dataValidation"]["condition"]
    assert rule["type"] == "ONE_OF_RANGE" and "Lists!$C$2:$C$5" in rule["values"][0]["userEnteredValue"]
    fix = openpyxl.utils.get_column_letter(header.index("Suggested Fix") + 1)
    formula = tab.cell(f"{fix}2")["userEnteredValue"]["formulaValue"]
    cause = openpyxl.utils.get_column_letter(header.index("Root Cause") + 1)
    assert formula.startswith("=IFERROR(INDEX(Lists!$D$2:$D$") and f"MATCH({cause}2," in formula
    # finance types an approver past their limits in Google: finalize names the row there
    ws = gspread_client.open_by_key(results_id).worksheet("Discrepancies")
    for name, value in {"Root Cause": "Theft or loss", "Approved By": "Maria Alvarez",
                        "Approval Date": "2026-11-25"}.items():
        ws.update([[value]], f"{openpyxl.utils.get_column_letter(header.index(name) + 1)}2",
                  value_input_option="USER_ENTERED")
    with pytest.raises(InputError) as caught:
        finalize_cycle(report.cycle_dir, schedule, config, targets=["generic"], google=google, **SIGNED)
    [problem] = caught.value.problems
    assert problem.kind == "not-allowed-to-approve" and problem.row == 2
