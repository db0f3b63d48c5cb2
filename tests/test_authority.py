"""[approvals]: who may approve what, enforced at finalize, each control allowed and refused."""

import dataclasses
import datetime as dt
import json
import re
from decimal import Decimal

import openpyxl
import pytest
from click.testing import CliRunner

from cyclekit.cli import cli
from cyclekit.config import ApprovalsConfig, ApproverRole, load_config
from cyclekit.domain.authority import NOT_ENFORCED
from cyclekit.errors import ConfigError, CycleError, InputError
from cyclekit.folder.cycle import Manifest, load_manifest
from cyclekit.layouts.history import read_history
from cyclekit.stages.finalize import finalize_cycle
from cyclekit.stages.ingest import ingest_cycle
from cyclekit.stages.status import cycle_status
from tests.helpers import fill_sheet
from tests.test_finalize import CONFIG, TODAY, cycle  # noqa: F401 (the fixture)
from tests.test_results import document

APPROVALS = ApprovalsConfig("Warehouse Lead", (
    ApproverRole("Inventory Coordinator", ("Maria Alvarez", "maria@plant.example.com"),
                 max_qty=Decimal(5), max_value=Decimal(500)),
    ApproverRole("Warehouse Lead", ("Sam Okafor",), max_gain_qty=Decimal(10), max_loss_qty=Decimal(2)),
    ApproverRole("Finance", ("Dana Whitfield",)),
))
ENFORCED = dataclasses.replace(CONFIG, approvals=APPROVALS)
SIGNED = {"signed_off_by": "Sam Okafor"}


def documented(cycle_dir, approver="Dana Whitfield", cause="Theft or loss"):
    """BIN-1/1 (a loss of 6, $75.00: Major) documented and approved by `approver`."""
    document(cycle_dir / "results.xlsx", "BIN-1/1", Root_Cause=cause, Status="Resolved",
             Approved_By=approver, Approval_Date=dt.datetime(2026, 11, 24))


def refused(cycle_dir, schedule, config=ENFORCED, **kwargs):
    with pytest.raises(InputError) as caught:
        finalize_cycle(cycle_dir, schedule, config, targets=["generic"], today=TODAY, **kwargs)
    assert not (cycle_dir / "adjustments").exists()
    return caught.value.problems


def test_an_approver_within_their_limits_is_accepted(cycle):  # noqa: F811
    cycle_dir, schedule, _ = cycle
    documented(cycle_dir, approver="dana  WHITFIELD")  # case and spacing aside
    document(cycle_dir / "results.xlsx", "BIN-1/2", Approved_By="Sam Okafor", Approval_Date=dt.datetime(2026, 11, 24))
    report = finalize_cycle(cycle_dir, schedule, ENFORCED, targets=["generic"], today=TODAY, **SIGNED)
    assert report.adjustments == 3 and NOT_ENFORCED not in report.warnings


def test_an_approver_past_their_limits_is_refused_naming_the_row(cycle):  # noqa: F811
    cycle_dir, schedule, _ = cycle
    documented(cycle_dir, approver="Maria Alvarez")  # up to 5 units: the line is a loss of 6
    [problem] = refused(cycle_dir, schedule, **SIGNED)
    assert problem.kind == "not-allowed-to-approve" and problem.line_id == "BIN-1/1"
    assert problem.sheet == "Discrepancies" and problem.column == "Approved By" and problem.row == 2
    assert problem.file == str(cycle_dir / "results.xlsx")
    assert "a loss of 6 (value 75.00), more than Maria Alvarez may approve" in problem.message
    assert "(Inventory Coordinator: up to 5 units and up to a value of 500.00)" in problem.message
    assert "it may be approved by: Dana Whitfield" in problem.message
    assert "row 2" in problem.line() and "BIN-1/1" in problem.line()
    # status lists what finalize would refuse
    assert any("more than Maria Alvarez may approve" in b for b in cycle_status(cycle_dir, ENFORCED).blocking)


def test_gains_and_losses_have_limits_of_their_own(cycle):  # noqa: F811
    cycle_dir, schedule, _ = cycle
    documented(cycle_dir, approver="Sam Okafor")  # gains up to 10, losses up to 2: a loss of 6
    document(cycle_dir / "results.xlsx", "BIN-1/2", Approved_By="Sam Okafor",  # a gain of 1: allowed
             Approval_Date=dt.datetime(2026, 11, 24))
    [problem] = refused(cycle_dir, schedule, **SIGNED)
    assert problem.line_id == "BIN-1/1" and "Warehouse Lead: gains up to 10 units and losses up to 2 units" \
        in problem.message


def test_someone_named_in_no_role_is_refused(cycle):  # noqa: F811
    cycle_dir, schedule, _ = cycle
    documented(cycle_dir, approver="Dana Whitfield (Finance)")
    [problem] = refused(cycle_dir, schedule, **SIGNED)
    assert "named in no role of [approvals]" in problem.message and problem.value == "Dana Whitfield (Finance)"


def test_a_major_line_without_a_root_cause_is_refused(cycle):  # noqa: F811
    cycle_dir, schedule, _ = cycle
    documented(cycle_dir, cause=None)
    [problem] = refused(cycle_dir, schedule, **SIGNED)
    assert problem.kind == "no-root-cause" and problem.row == 2 and problem.column == "Root Cause"
    # without [approvals] the same cycle finalizes, saying the authority was not enforced
    report = finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=TODAY)
    assert report.warnings[-1] == NOT_ENFORCED
    assert any("posted with no Root Cause" in w for w in report.warnings)


def recounted(cycle_dir, files, tmp_path, by):
    [recount] = sorted((cycle_dir / "recounts").glob("*.xlsx"))
    back = fill_sheet(recount, tmp_path / "back" / "recount.xlsx", {1: 4}, counted_by=by)
    ingest_cycle(cycle_dir, CONFIG, [*files, back], today=TODAY)


def test_a_recount_by_the_first_counter_is_refused(cycle, tmp_path):  # noqa: F811
    cycle_dir, schedule, files = cycle
    recounted(cycle_dir, files, tmp_path, by="ana ruiz")  # Ana Ruiz made the first count
    documented(cycle_dir)
    [problem] = refused(cycle_dir, schedule, **SIGNED)
    assert problem.kind == "same-counter" and problem.line_id == "BIN-1/1"
    assert problem.file.startswith(str(cycle_dir / "recounts")) and "who made its first count" in problem.message


def test_a_recount_by_a_second_person_is_accepted(cycle, tmp_path):  # noqa: F811
    cycle_dir, schedule, files = cycle
    recounted(cycle_dir, files, tmp_path, by="Riley Chen")
    documented(cycle_dir)
    report = finalize_cycle(cycle_dir, schedule, ENFORCED, targets=["generic"], today=TODAY, **SIGNED)
    assert report.adjustments == 3


def test_the_approved_by_dropdown_offers_the_approvers(cycle):  # noqa: F811
    cycle_dir, _, files = cycle
    ingest_cycle(cycle_dir, ENFORCED, files, today=TODAY)
    book = openpyxl.load_workbook(cycle_dir / "results.xlsx")
    sheet = book["Discrepancies"]
    header = [c.value for c in sheet[1]]
    column = openpyxl.utils.get_column_letter(header.index("Approved By") + 1)
    [rule] = [v for v in sheet.data_validations.dataValidation if str(v.sqref).startswith(column)]
    assert rule.type == "list" and rule.formula1 == "Lists!$C$2:$C$5"
    lists = book["Lists"]
    assert [lists.cell(r, 3).value for r in range(1, 6)] == [
        "Approvers", "Maria Alvarez", "maria@plant.example.com", "Sam Okafor", "Dana Whitfield"]
    roles = {sheet.cell(r, header.index("Line ID") + 1).value: sheet.cell(r, header.index("Approver Role") + 1).value
             for r in range(2, sheet.max_row + 1)}
    assert roles["BIN-1/1"] == "Finance"  # a loss of 6: past the coordinator's 5 and the lead's 2
    assert roles["BIN-1/2"] == "Inventory Coordinator, Warehouse Lead, Finance"
    # read back on the next ingest, the approvers are the config's: nothing is kept as typed there
    again = ingest_cycle(cycle_dir, ENFORCED, files, today=TODAY)
    assert "Kept" not in openpyxl.load_workbook(again.results).sheetnames


def test_without_approvals_there_is_no_approver_dropdown(cycle):  # noqa: F811
    cycle_dir, _, _ = cycle
    book = openpyxl.load_workbook(cycle_dir / "results.xlsx")
    sheet = book["Discrepancies"]
    header = [c.value for c in sheet[1]]
    column = openpyxl.utils.get_column_letter(header.index("Approved By") + 1)
    assert not [v for v in sheet.data_validations.dataValidation if str(v.sqref).startswith(column)]


def test_approvals_config_is_read_and_checked(tmp_path):
    path = tmp_path / "cyclekit.toml"
    path.write_text("""
[approvals]
lead = "Warehouse Lead"
[approvals.roles."Inventory Coordinator"]
people = ["Maria  Alvarez"]
max_qty = 5
max_value = 500
[approvals.roles."Warehouse Lead"]
people = ["Sam Okafor"]
max_loss_value = 250.5
""", encoding="utf-8")
    approvals = load_config(path).approvals
    assert approvals is not None and approvals.lead_people() == ("Sam Okafor",)
    coordinator, lead = approvals.roles
    assert coordinator.people == ("Maria Alvarez",) and coordinator.limit("value", True) == Decimal(500)
    assert lead.limit("value", False) == Decimal("250.5") and lead.limit("value", True) is None
    assert load_config(search_dir=tmp_path / "none").approvals is None


@pytest.mark.parametrize("text, message", [
    ('[approvals]\nlead = "X"\n', "needs its roles"),
    ('[approvals]\nlead = "Boss"\n[approvals.roles.A]\npeople = ["Ann"]\n', "approvals.lead must name"),
    ('[approvals]\nlead = "A"\n[approvals.roles.A]\npeople = []\n', "people must list"),
    ('[approvals]\nlead = "A"\n[approvals.roles.A]\npeople = ["Ann"]\nmax_qyt = 3\n', "unknown setting"),
    ('[approvals]\nlead = "A"\n[approvals.roles.A]\npeople = ["Ann"]\nmax_qty = -1\n', "0 or more"),
    ('[approvals]\nlead = "A"\nchief = "B"\n', "unknown setting approvals.chief"),
])
def test_approvals_mistakes_are_named(tmp_path, text, message):
    path = tmp_path / "cyclekit.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(path)


# ---- the lead's sign-off ----------------------------------------------------------------------

@pytest.mark.parametrize("signed_off_by, message", [
    (None, "needs the sign-off of a person of the lead role (Warehouse Lead: Sam Okafor): give --signed-off-by"),
    ("  ", "needs the sign-off"),
    ("Dana Whitfield", "'Dana Whitfield' may not sign a cycle off: only a person of the lead role Warehouse Lead"),
])
def test_a_sign_off_outside_the_lead_role_is_refused(cycle, signed_off_by, message):  # noqa: F811
    cycle_dir, schedule, _ = cycle
    documented(cycle_dir)
    before = schedule.read_bytes()
    with pytest.raises(CycleError, match=re.escape(message)):
        finalize_cycle(cycle_dir, schedule, ENFORCED, targets=["generic"], today=TODAY, signed_off_by=signed_off_by)
    assert schedule.read_bytes() == before and not (cycle_dir / "adjustments").exists()
    assert load_manifest(cycle_dir).finalized is None


def test_the_lead_signs_off_recorded_in_the_manifest_and_the_history(cycle):  # noqa: F811
    cycle_dir, schedule, _ = cycle
    documented(cycle_dir)
    report = finalize_cycle(cycle_dir, schedule, ENFORCED, targets=["generic"], today=TODAY,
                            signed_off_by="sam  okafor")
    assert report.signed_off_by == "Sam Okafor"  # as [approvals] spells the lead
    assert load_manifest(cycle_dir).finalized.signed_off_by == "Sam Okafor"
    saved = json.loads((cycle_dir / "manifest.json").read_text(encoding="utf-8"))
    assert saved["finalized"]["signed_off_by"] == "Sam Okafor"
    history = openpyxl.load_workbook(schedule)["History"]
    header = [c.value for c in history[1]]
    assert history.cell(2, header.index("Signed Off By") + 1).value == "Sam Okafor"
    [row] = read_history([list(r) for r in history.iter_rows(values_only=True)], str(schedule))
    assert row.signed_off_by == "Sam Okafor"


def test_without_approvals_a_sign_off_is_optional_and_recorded_when_given(cycle):  # noqa: F811
    cycle_dir, schedule, _ = cycle
    documented(cycle_dir)
    report = finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=TODAY,
                            signed_off_by="Anyone At All")
    assert report.signed_off_by == "Anyone At All" and report.warnings[-1] == NOT_ENFORCED


def test_a_finalize_record_written_before_the_sign_off_existed_is_read():
    record = {"at": "2026-11-24T10:00:00", "inputs": {}, "outputs": {}, "targets": {}, "adjustments": 1,
              "discrepancy_rate": "0.5", "warnings": []}
    manifest = {"format_version": 2, "cycle_id": "CC-1", "as_of": "2026-11-23", "count_date": "2026-11-23",
                "created": "2026-11-23T10:00:00", "show_system_qty": False, "sources": {}, "snapshot_sha256": "",
                "locations": [], "sheets": [], "finalized": record}
    assert Manifest.from_json(json.dumps(manifest)).finalized.signed_off_by is None


def test_the_cli_takes_the_sign_off(cycle, tmp_path):  # noqa: F811
    cycle_dir, schedule, _ = cycle
    documented(cycle_dir)
    config = tmp_path / "approvals.toml"
    config.write_text('[approvals]\nlead = "Lead"\n[approvals.roles.Lead]\npeople = ["Sam Okafor"]\n'
                      '[approvals.roles.Finance]\npeople = ["Dana Whitfield"]\n', encoding="utf-8")
    args = ["finalize", str(cycle_dir), "--schedule", str(schedule), "--target", "generic", "--config", str(config)]
    refused = CliRunner().invoke(cli, args)
    assert refused.exit_code == 1 and "--signed-off-by" in refused.output
    done = CliRunner().invoke(cli, [*args, "--signed-off-by", "Sam Okafor"])
    assert done.exit_code == 0, done.output
    assert "Signed off by Sam Okafor." in done.output


def test_a_line_of_unknown_value_is_approved_only_by_a_role_without_a_value_limit():
    from cyclekit.domain.authority import allows
    from cyclekit.domain.variance import CountedLine

    found = CountedLine("BIN-1/F1", "BIN-1", "NEW-1", "", "", "", "", "ea", "C", Decimal(0), None,
                        counted_qty=Decimal(2), counted_by="Ana Ruiz", found=True)
    coordinator, lead, finance = APPROVALS.roles
    assert not allows(coordinator, found)  # a value limit cannot be checked against no value
    assert allows(lead, found) and allows(finance, found)  # quantity limits only, or none



# ---- segregation of duties: a counter does not approve their own count ---------------------------

COUNTERS_APPROVE = dataclasses.replace(CONFIG, approvals=dataclasses.replace(APPROVALS, roles=(
    *APPROVALS.roles[:2], ApproverRole("Finance", ("Dana Whitfield", "Ana Ruiz", "Riley Chen")))))


def test_a_counter_approving_their_own_count_is_refused_naming_the_row(cycle):  # noqa: F811
    cycle_dir, schedule, _ = cycle
    documented(cycle_dir, approver=" ana  RUIZ ")  # Ana Ruiz counted BIN-1, typed in another case and spacing
    [problem] = refused(cycle_dir, schedule, config=COUNTERS_APPROVE, **SIGNED)
    assert problem.kind == "approved-own-count" and problem.line_id == "BIN-1/1"
    assert problem.file == str(cycle_dir / "results.xlsx") and problem.sheet == "Discrepancies"
    assert problem.row == 2 and problem.column == "Approved By"
    assert "who counted it on S001" in problem.message and "it may be approved by: Dana Whitfield" in problem.message
    assert "Ana Ruiz" not in problem.message.split("it may be approved by:")[1]
    assert "\n" not in problem.line() and "row 2" in problem.line()


def test_a_recounter_approving_the_line_is_refused_and_another_person_is_accepted(cycle, tmp_path):  # noqa: F811
    cycle_dir, schedule, files = cycle
    recounted(cycle_dir, files, tmp_path, by="Riley Chen")
    documented(cycle_dir, approver="riley chen")
    [problem] = refused(cycle_dir, schedule, config=COUNTERS_APPROVE, **SIGNED)
    assert problem.kind == "approved-own-count" and "who recounted it on R" in problem.message
    documented(cycle_dir, approver="Dana Whitfield")
    report = finalize_cycle(cycle_dir, schedule, COUNTERS_APPROVE, targets=["generic"], today=TODAY, **SIGNED)
    assert report.adjustments == 3


def test_an_amount_exactly_at_a_limit_is_allowed_and_a_cent_past_it_is_not():
    from cyclekit.domain.authority import allows
    from cyclekit.domain.variance import CountedLine

    coordinator = APPROVALS.roles[0]  # up to 5 units and a value of 500.00

    def loss(qty, cost):
        return CountedLine("BIN-1/1", "BIN-1", "P-1", "", "", "", "", "ea", "C", Decimal(qty), Decimal(cost),
                           counted_qty=Decimal(0), counted_by="Ana Ruiz")

    assert allows(coordinator, loss(5, 100))  # 5 units, 500.00: at both limits
    assert not allows(coordinator, loss(5, "100.002"))  # 500.01
    assert not allows(coordinator, loss("5.001", 1))


def test_a_counter_approving_with_their_e_mail_is_the_same_person(cycle, tmp_path):  # noqa: F811
    cycle_dir, schedule, files = cycle
    approvals = dataclasses.replace(APPROVALS, roles=(
        *APPROVALS.roles[:2], ApproverRole("Finance", ("Dana Whitfield", "ana@plant.example.com"))))
    config = dataclasses.replace(CONFIG, approvals=approvals)
    # Ana Ruiz counted BIN-1; the locations file pairs her name with ana@plant.example.com
    documented(cycle_dir, approver="ANA@plant.example.com")
    [problem] = refused(cycle_dir, schedule, config=config, **SIGNED)
    assert problem.kind == "approved-own-count" and problem.row == 2 and "who counted it on S001" in problem.message
    # and a recount signed with the first counter's e-mail is the first counter
    recounted(cycle_dir, files, tmp_path, by="ana@plant.example.com")
    documented(cycle_dir)
    [problem] = refused(cycle_dir, schedule, config=config, **SIGNED)
    assert problem.kind == "same-counter" and problem.line_id == "BIN-1/1"
