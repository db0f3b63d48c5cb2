"""The Discrepancies tab shows the suggested fix and how to verify the Root Cause picked (ION's fixes,
Foreman's "how to verify"), looked up by formula so that they follow the dropdown."""

import openpyxl

from cyclekit.backends.libreoffice import recalculate
from cyclekit.domain.causes import CAUSE_DETAILS, FIXES, ROOT_CAUSES, SYSTEM_HIGHER, fix_and_verify
from cyclekit.stages.ingest import ingest_cycle
from tests.test_finalize import CONFIG, TODAY, cycle  # noqa: F401 (the fixture)
from tests.test_results import document


def details(path, line_id="BIN-1/1", data_only=True):
    sheet = openpyxl.load_workbook(path, data_only=data_only)["Discrepancies"]
    header = [c.value for c in sheet[1]]
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, header.index("Line ID") + 1).value == line_id)
    return [sheet.cell(row, header.index(name) + 1).value for name in ("Root Cause", "Suggested Fix", "How to Verify")]


def test_every_cause_has_a_fix_and_a_way_to_verify():
    assert set(CAUSE_DETAILS) == set(ROOT_CAUSES)
    assert all(fix and verify for fix, verify in CAUSE_DETAILS.values())
    assert fix_and_verify("theft OR loss ") == ("Document the loss; adjust inventory and implement tighter controls "
                                                "if needed", "Review physical security logs and access records")
    assert fix_and_verify("Parts not moved correctly")[0] == FIXES[SYSTEM_HIGHER]  # ION's, by its direction
    assert fix_and_verify("no such cause") == ("", "")


def test_the_fix_of_a_documented_cause_is_written_with_the_results(cycle):  # noqa: F811
    cycle_dir, _, files = cycle
    assert details(cycle_dir / "results.xlsx") == [None, None, None]  # no cause yet: nothing to suggest
    document(cycle_dir / "results.xlsx", "BIN-1/1", Root_Cause="Theft or loss")
    again = ingest_cycle(cycle_dir, CONFIG, files, today=TODAY)
    cause, fix, verify = details(again.results)
    assert (cause, verify) == ("Theft or loss", "Review physical security logs and access records")
    assert fix.startswith("Document the loss")
    [formula] = [c for c in details(again.results, data_only=False)[1:2]]
    assert formula.startswith("=IFERROR(INDEX(Lists!$D$2:$D$") and "MATCH(L2,Lists!$A$2:$A$" in formula


def test_the_fix_follows_the_cause_picked_in_libreoffice(cycle, soffice, lo_out):  # noqa: F811
    cycle_dir, _, _ = cycle
    results = cycle_dir / "results.xlsx"
    document(results, "BIN-1/1", Root_Cause="Inventory moved, location not updated")  # a person picks a cause
    [recalculated] = recalculate([results], lo_out / "first")
    assert details(recalculated) == ["Inventory moved, location not updated",
                                     "Update the location; educate the team on proper inventory transfer procedures",
                                     "Search for the item in other offline locations"]
    document(results, "BIN-1/1", Root_Cause="Parts not moved correctly")  # and changes their mind
    [recalculated] = recalculate([results], lo_out / "second")
    assert details(recalculated) == ["Parts not moved correctly", FIXES[SYSTEM_HIGHER],
                                     "Search the MRB and nearby locations for the parts"]
    document(results, "BIN-1/1", Root_Cause=None)  # and clears it
    [recalculated] = recalculate([results], lo_out / "third")
    assert details(recalculated)[1:] in (["", ""], [None, None])
