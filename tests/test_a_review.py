"""Review rules (domain/review.py): open problems, approvals, what stops finalize, the targets."""

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import cyclekit
from cyclekit import config as config_module
from cyclekit.config import Config
from cyclekit.domain import review, scheduling
from cyclekit.domain.problems import ProblemKind
from cyclekit.domain.review import (
    ABC_CLASSES,
    DISCREPANCY_RATE_TARGET,
    OPEN,
    RATE_TARGET_TEXT,
    STATUSES,
    approval_problems,
    approved,
    finalize_blockers,
    not_in_yet,
    open_problems,
    problem_key,
    problem_key_of,
    problem_status,
)
from cyclekit.domain.variance import CountedLine
from cyclekit.errors import Problem
from cyclekit.folder.cycle import LocationRecord, Manifest, SheetRecord
from cyclekit.layouts import history

CONFIG = Config()
TODAY = dt.date(2026, 11, 24)
RESULTS = Path("cycle/results.xlsx")
TAB = "Discrepancies"


def _line(line_id: str, system: int, counted: int | None, **extra) -> CountedLine:
    return CountedLine(line_id, line_id.rsplit("/", 1)[0], "P-1", "", "", "", "", "ea", "C", Decimal(system),
                       Decimal(1), counted_qty=None if counted is None else Decimal(counted), **extra)


MAJOR_LINE = _line("A/1", 10, 4)  # 6 units over the 5 a Minor allows
MINOR_LINE = _line("A/2", 10, 9)
APPROVAL = {"Approved By": "Dana Whitfield", "Approval Date": dt.datetime(2026, 11, 24)}


def _problem(line_id: str | None, cell: str = "D12") -> Problem:
    return Problem(ProblemKind.BAD_COUNT, "/in/box/A.xlsx", "Floor Count is not a number", sheet="A",
                   cell=cell, value="12,5 m", line_id=line_id)


def test_a_problem_is_open_until_a_recount_or_a_resolution():
    recounted = _line("A/3", 10, 10, recounted_by="Riley", recount_sheet="R001")
    problems = [_problem("A/3", "D5"), _problem("A/4", "D6"), _problem(None, "D7")]
    resolutions = {problem_key_of("bad-count", "elsewhere/A.xlsx", "A", "D6"): "counter confirmed"}
    assert open_problems(problems, [recounted], resolutions) == [problems[2]]
    fixed = {"A/3": "R001"}
    assert [problem_status(p, fixed, resolutions) for p in problems] == ["Fixed by recount R001", "Resolved", OPEN]
    # a recount that did not count the line fixes nothing
    assert open_problems(problems[:1], [_line("A/3", 10, None, recounted_by="Riley")], {}) == problems[:1]


def test_a_problem_key_is_its_kind_file_name_tab_and_cell():
    assert problem_key(_problem("A/1")) == ("bad-count", "A.xlsx", "A", "D12")
    assert problem_key(Problem("file", "x.csv", "cannot be read")) == ("file", "x.csv", "", "")


def test_a_major_discrepancy_needs_an_approval_finalize_accepts():
    kinds = {}
    for name, doc in {"none": {}, "no date": {"Approved By": "Dana"}, "good": APPROVAL,
                      "unreadable": {**APPROVAL, "Approval Date": "soon"},
                      "tomorrow": {**APPROVAL, "Approval Date": dt.datetime(2026, 11, 25)}}.items():
        found = approval_problems([MAJOR_LINE], {"A/1": doc}, CONFIG, RESULTS, TODAY, tab=TAB)
        kinds[name] = [p.kind for p in found]
        assert all(p.file == str(RESULTS) and p.sheet == TAB for p in found)
        assert approved(MAJOR_LINE, {"A/1": doc}, CONFIG, TODAY) == (not found)
    assert kinds == {"none": ["needs-approval"], "no date": ["needs-approval"], "good": [],
                     "unreadable": ["bad-date"], "tomorrow": ["bad-date"]}
    missing = approval_problems([MAJOR_LINE], {}, CONFIG, RESULTS, TODAY, tab=TAB)[0]
    assert missing.message == "Major discrepancy A/1 (P-1, variance -6) has no Approved By and no Approval Date"


def test_a_status_is_one_of_the_list_and_a_minor_line_needs_no_approval():
    docs = {"A/2": {"Status": "Done"}}
    found = approval_problems([MINOR_LINE], docs, CONFIG, RESULTS, TODAY, tab=TAB)
    assert [(p.kind, p.value) for p in found] == [("bad-status", "Done")]
    assert approval_problems([MINOR_LINE], {"A/2": {"Status": STATUSES[1]}}, CONFIG, RESULTS, TODAY, tab=TAB) == []
    assert approval_problems([_line("A/5", 10, 10), _line("A/6", 10, None)], {}, CONFIG, RESULTS, TODAY,
                             tab=TAB) == []  # no variance, or not counted: nothing to review


def _manifest() -> Manifest:
    return Manifest("CC-1", "2026-11-23", "2026-11-23", "2026-11-23T08:00:00", False, {}, "",
                    [LocationRecord("A"), LocationRecord("B")],
                    [SheetRecord("S001", "count", "A", "sheets/A.xlsx", "A", [1, 2]),
                     SheetRecord("R001", "recount", "A", "recounts/A.xlsx", "A", [1]),
                     SheetRecord("R002", "recount", "A", "recounts/A.xlsx", "A", [2])])


def test_what_is_not_in_yet():
    lines = [_line("A/1", 10, 10, recounted_by="Riley", recount_sheet="R001")]
    assert not_in_yet(_manifest(), lines, {"A"}) == (["B"], ["R002 (A)"])


def test_finalize_waits_for_open_problems_approvals_and_every_sheet():
    manifest, lines = _manifest(), [MAJOR_LINE, MINOR_LINE]
    blockers = finalize_blockers(Path("cycle"), manifest, CONFIG, lines, [_problem("A/2")], {"A"}, {}, {}, TODAY,
                                 results=RESULTS, tab=TAB)
    assert [p.kind for p in blockers] == ["unresolved-problem", "needs-approval", "not-returned"]
    assert "write a Resolution in the Problems tab" in blockers[0].message and blockers[0].cell == "D12"
    assert "1 location(s) have not returned their count sheet: B" in blockers[2].message
    resolved = {problem_key(_problem("A/2")): "checked"}
    assert finalize_blockers(Path("cycle"), manifest, CONFIG, lines, [_problem("A/2")], {"A"}, {"A/1": APPROVAL},
                             resolved, TODAY, True, results=RESULTS, tab=TAB) == []


def test_the_targets_are_written_once():
    assert ABC_CLASSES == ("A", "B", "C") and config_module.ABC_CLASSES is ABC_CLASSES
    assert scheduling.CLASSES is ABC_CLASSES
    assert history.TARGET_RATE is DISCREPANCY_RATE_TARGET == Decimal("0.05") and RATE_TARGET_TEXT == "5 %"
    assert review.STATUSES == ("Open", "Under Investigation", "Resolved")
    package = Path(cyclekit.__file__).parent
    repeated = []
    for path in package.rglob("*.py"):
        if path.name == "review.py":
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in (r"0\.05\b", r"(under|than) 5 ?%", r"\(\"A\", \"B\", \"C\"\)", r"in \"ABC\"",
                        r"\"Under Investigation\""):
            repeated += [f"{path.relative_to(package)}: {m.group()}" for m in re.finditer(pattern, text)]
    assert repeated == []
