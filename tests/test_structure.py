"""The package's shape, read from its source (AST): short functions, no module reaching into
another's private names, and imports only in the documented direction between the subpackages.

Each test lists every offender, so a failure says what to fix.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "cyclekit"
ARCHITECTURE = PACKAGE.parent / "docs" / "architecture.md"
MAX_FUNCTION_LINES = 60

SUBPACKAGES = ("domain", "inputs", "layouts", "folder", "stages", "backends")
# the top-level modules every layer may use: the errors, the settings, progress and the worker pool
SHARED = ("errors", "config")
UTILITIES = ("progress", "parallel", "atomic")

# Which parts of cyclekit each part may import (besides itself): the documented direction.
# A part is a subpackage ("domain"), one module of a subpackage ("backends.spec"), or a top-level
# module ("cli"). "*" is everything; ("*", excluding) is everything but those.
ALLOWED: dict[str, object] = {
    # plain records and rules, no I/O
    "domain": {*SHARED},
    # exports, the locations file: build domain records; an xlsx export is read by the backend's reader
    "inputs": {*SHARED, "domain", "backends.reader"},
    # workbook descriptions and their readers: records in, a spec out; they name the cycle folder's files
    "layouts": {*SHARED, *UTILITIES, "domain", "inputs", "backends", "folder"},
    # the cycle folder: manifest, checksums, locks, atomic writes
    "folder": {*SHARED, *UTILITIES, "domain", "inputs", "backends"},
    # xlsx, Google Sheets, readers, LibreOffice: never a stage
    "backends": ("*", {"stages", "cli", "api"}),
    # one module per command: everything below the CLI
    "stages": ("*", {"cli"}),
    # a Problem's kind comes from the catalogue of kinds
    "errors": {"domain.problems"},
    # the settings' defaults come from the review rules (ABC classes)
    "config": {"errors", "domain.review"},
    "progress": set(),
    "parallel": {"progress"},
    "atomic": {"errors"},
}


def modules(package: Path = PACKAGE) -> list[tuple[str, Path, ast.Module]]:
    """(dotted name, path, tree) of every module of the package."""
    found = []
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found.append((name, path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))))
    return found


def imported(tree: ast.Module, name: str) -> list[tuple[str, int, list[str]]]:
    """(module imported, line, names taken from it) for every cyclekit import, relative ones resolved."""
    return [(module, line, [taken for taken, _ in names]) for module, line, names in imported_as(tree, name)]


def imported_as(tree: ast.Module, name: str) -> list[tuple[str, int, list[tuple[str, str]]]]:
    """As imported, each name taken with the name it is bound to here."""
    package = name.split(".") if _is_package(name) else name.split(".")[:-1]
    result = []
    type_only = {id(inner) for node in ast.walk(tree) if isinstance(node, ast.If) and _is_type_checking(node.test)
                 for inner in ast.walk(node)}
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue  # an import under `if TYPE_CHECKING:` runs nowhere: annotations only
        if isinstance(node, ast.Import):
            result += [(a.name, node.lineno, []) for a in node.names if a.name.split(".")[0] == "cyclekit"]
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, *([target] if target else [])])
            if target.split(".")[0] == "cyclekit":
                result.append((target, node.lineno, [(a.name, a.asname or a.name) for a in node.names]))
    return result


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _is_package(name: str) -> bool:
    return (PACKAGE.parent / Path(*name.split(".")) / "__init__.py").is_file()


def part_of(dotted: str) -> str:
    """The part a module belongs to, as ALLOWED names it: 'domain', 'backends.spec', 'cli'..."""
    parts = dotted.split(".")[1:]
    if not parts:
        return "cyclekit"
    return parts[0]


def allowed(source: str, target_module: str) -> bool:
    rule = ALLOWED.get(part_of(source), "*")
    target_part = part_of(target_module)
    precise = ".".join(target_module.split(".")[1:3])  # "backends.spec"
    if target_part == part_of(source) or rule == "*":
        return True
    if isinstance(rule, tuple):
        _, excluded = rule
        return target_part not in excluded
    return target_part in rule or precise in rule


def _target_modules(module: str, names: list[str]) -> list[str]:
    """`from cyclekit.backends import spec` imports the module cyclekit.backends.spec."""
    subs = [f"{module}.{n}" for n in names if _is_package(module) and
            (PACKAGE.parent / Path(*module.split("."), f"{n}.py")).is_file()]
    return subs or [module]


# ---- (a) short functions -------------------------------------------------------------------------

def long_functions(package: Path = PACKAGE) -> list[str]:
    return [f"{path.relative_to(package.parent)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for _, path, tree in modules(package) for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]


def test_no_function_is_longer_than_sixty_lines():
    assert long_functions() == []


def test_the_function_length_check_sees_a_long_method_and_spares_sixty_lines(tmp_path):
    package = tmp_path / "cyclekit"
    (package / "domain").mkdir(parents=True)
    body = "\n".join(f"        x{i} = {i}" for i in range(MAX_FUNCTION_LINES - 1))
    (package / "domain" / "rules.py").write_text(
        f"class Rule:\n    def short(self):\n{body}\n\n    def long(self):\n{body}\n        return 1\n")
    assert long_functions(package) == ["cyclekit/domain/rules.py:63 long (61 lines)"]


# ---- (b) no private names taken from another module ------------------------------------------------

def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_imports(package: Path = PACKAGE) -> list[str]:
    """`from cyclekit.x import _y`, and `x._y` where x is another cyclekit module imported here."""
    offenders = []
    for name, path, tree in modules(package):
        where = path.relative_to(package.parent)
        aliases: dict[str, str] = {}  # local name -> cyclekit module it stands for
        for module, line, names in imported_as(tree, name):
            for taken, bound in names:
                if _private(taken) and module != name:
                    offenders.append(f"{where}:{line} imports {taken} from {module}")
                if (package.parent / Path(*module.split("."), f"{taken}.py")).is_file():
                    aliases[bound] = f"{module}.{taken}"
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("cyclekit.") and a.asname:
                        aliases[a.asname] = a.name
            if (isinstance(node, ast.Attribute) and _private(node.attr) and isinstance(node.value, ast.Name)
                    and node.value.id in aliases and aliases[node.value.id] != name):
                offenders.append(f"{where}:{node.lineno} uses {aliases[node.value.id]}.{node.attr}")
    return sorted(set(offenders))


def test_the_private_name_check_sees_each_way_of_reaching_in(tmp_path):
    package = tmp_path / "cyclekit"
    (package / "stages").mkdir(parents=True)
    (package / "stages" / "finalize.py").write_text("def _blockers():\n    return []\n\n\ndef use():\n"
                                                     "    return _blockers()\n")
    (package / "stages" / "audit.py").write_text(
        "from cyclekit.stages.finalize import _blockers, use\nfrom cyclekit.stages import finalize\n"
        "import cyclekit.stages.finalize as fin\nfrom . import finalize as rel\n\n\n"
        "def check():\n    return _blockers(), finalize._blockers(), fin._blockers(), rel._late, use()\n")
    assert private_imports(package) == [
        "cyclekit/stages/audit.py:1 imports _blockers from cyclekit.stages.finalize",
        "cyclekit/stages/audit.py:8 uses cyclekit.stages.finalize._blockers",
        "cyclekit/stages/audit.py:8 uses cyclekit.stages.finalize._late",
    ]


def test_no_module_uses_a_private_name_of_another():
    assert private_imports() == []


# ---- (c) imports only in the documented direction, no cycle between the subpackages ------------------

def wrong_way_imports() -> list[str]:
    offenders = []
    for name, path, tree in modules():
        for module, line, names in imported(tree, name):
            if module == "cyclekit" and names == ["__version__"]:
                continue  # the version string: no code
            for target in _target_modules(module, names):
                if not allowed(name, target):
                    offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line} {part_of(name)} imports {target}")
    return offenders


def subpackage_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {p: set() for p in SUBPACKAGES}
    for name, _, tree in modules():
        source = part_of(name)
        for module, _, names in imported(tree, name):
            for target in _target_modules(module, names):
                if source in graph and part_of(target) in graph and part_of(target) != source:
                    graph[source].add(part_of(target))
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import cycle between subpackages, each once, as a path back to its start."""
    found: list[list[str]] = []

    def walk(path: list[str]) -> None:
        for nxt in sorted(graph[path[-1]]):
            if nxt == path[0]:
                found.append([*path, nxt])
            elif nxt not in path and nxt > path[0]:
                walk([*path, nxt])

    for start in sorted(graph):
        walk([start])
    return found


def test_each_part_imports_only_what_the_documented_direction_allows():
    assert wrong_way_imports() == []


def test_no_import_cycle_between_subpackages():
    assert cycles(subpackage_graph()) == []


def test_the_direction_rule_names_every_part_and_catches_a_wrong_import():
    assert set(SUBPACKAGES) <= set(ALLOWED)
    assert not allowed("cyclekit.domain.variance", "cyclekit.stages.ingest")
    assert not allowed("cyclekit.domain.variance", "cyclekit.inputs.tables")
    assert allowed("cyclekit.layouts.results", "cyclekit.backends.spec")
    assert not allowed("cyclekit.layouts.results", "cyclekit.stages.ingest")
    assert allowed("cyclekit.inputs.tables", "cyclekit.backends.reader")
    assert not allowed("cyclekit.inputs.tables", "cyclekit.backends.xlsx")
    assert not allowed("cyclekit.backends.xlsx", "cyclekit.stages.sheets")
    assert allowed("cyclekit.stages.sheets", "cyclekit.backends.xlsx")
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


# ---- the tree and docs/architecture.md name the same modules -------------------------------------

def documented_paths() -> set[str]:
    """Every module path docs/architecture.md names under a subpackage (`stages/ingest.py`), and the
    top-level ones (`cli.py`)."""
    return set(re.findall(r"\b((?:[a-z_]+/)?[a-z_]+\.py)\b", ARCHITECTURE.read_text(encoding="utf-8")))


def tree_paths() -> set[str]:
    return {path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*.py")
            if path.name not in ("__init__.py", "__main__.py")}


def test_docs_architecture_names_every_module_of_the_tree_and_no_other():
    documented, tree = documented_paths(), tree_paths()
    assert sorted(tree - documented) == [], "modules of cyclekit/ that docs/architecture.md does not describe"
    named_in_a_subpackage = {p for p in documented if p.split("/")[0] in SUBPACKAGES}
    assert sorted(named_in_a_subpackage - tree) == [], "modules docs/architecture.md names that do not exist"
