"""The catalogue of problem kinds (domain/problems.py): complete, used, and what Problem accepts."""

import ast
import json
import re
from pathlib import Path

import pytest

import cyclekit
from cyclekit.domain.problems import ProblemKind
from cyclekit.errors import Problem, problems_as_json

PACKAGE = Path(cyclekit.__file__).parent
KEBAB = re.compile(r"^[a-z]+(-[a-z]+)+$")
KINDS = {kind.value for kind in ProblemKind}


def _sources() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"))) for path in sorted(PACKAGE.rglob("*.py"))]


def _texts(node: ast.AST) -> list[str]:
    return [c.value for c in ast.walk(node) if isinstance(c, ast.Constant) and isinstance(c.value, str)]


def _callee(node: ast.Call) -> str:
    return ast.unparse(node.func).split(".")[-1]


def test_every_kind_the_package_reports_is_in_the_catalogue():
    """The kind of each Problem(...) made, and each kind-like text handed to a helper that makes
    one (problem(...), check.problem(...)), is in the catalogue (or is a member of it)."""
    written: dict[str, str] = {}
    for path, tree in _sources():
        if path.name == "problems.py":
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not _callee(node).lower().endswith("problem"):
                continue
            where = f"{path.relative_to(PACKAGE)}:{node.lineno}"
            if _callee(node) == "Problem":
                kind = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "kind"), None)
                for text in _texts(kind) if kind is not None else []:
                    written[text] = where
                if isinstance(kind, ast.Attribute) and ast.unparse(kind.value).endswith("ProblemKind"):
                    written[ProblemKind[kind.attr].value] = where
            for argument in node.args:  # a helper's kind, wherever it takes it
                for text in _texts(argument):
                    if KEBAB.match(text):
                        written.setdefault(text, where)
    missing = {text: where for text, where in written.items() if text not in KINDS}
    assert missing == {}
    assert len(written) > 20  # the scan sees the package's kinds


def test_every_kind_in_the_catalogue_is_reported_somewhere():
    used = set()
    for path, tree in _sources():
        if path.name == "problems.py":
            continue
        used.update(text for text in _texts(tree) if text in KINDS)
        used.update(ProblemKind[node.attr].value for node in ast.walk(tree)
                    if isinstance(node, ast.Attribute) and ast.unparse(node.value).endswith("ProblemKind")
                    and node.attr in ProblemKind.__members__)
    assert KINDS - used == set()


def test_kinds_are_matched_through_the_catalogue():
    """No module compares a problem's kind with a text of its own."""
    found = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare) and ast.unparse(node.left).endswith(".kind"):
                if any(text in KINDS for comparator in node.comparators for text in _texts(comparator)):
                    found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert found == []


def test_a_problem_takes_a_kind_as_member_or_text_and_keeps_its_text():
    by_member = Problem(ProblemKind.BAD_DATE, "results.xlsx", "Approval Date is not a date", sheet="Discrepancies")
    by_text = Problem("bad-date", "results.xlsx", "Approval Date is not a date", sheet="Discrepancies")
    assert by_member == by_text and type(by_member.kind) is str and by_member.kind == ProblemKind.BAD_DATE
    assert problems_as_json([by_member]) == problems_as_json([by_text])
    assert json.loads(problems_as_json([by_member]))[0]["kind"] == "bad-date"
    assert hash(by_member) == hash(by_text)


def test_a_kind_not_in_the_catalogue_is_refused():
    with pytest.raises(ValueError, match="unknown problem kind 'bad-thing'.*ProblemKind"):
        Problem("bad-thing", "x.csv", "something")


def test_kinds_print_as_their_text():
    assert f"{ProblemKind.NOT_SIGNED}" == "not-signed" and str(ProblemKind.USAGE) == "usage"
    assert all(kind.value == kind.name.lower().replace("_", "-") for kind in ProblemKind)
