"""What pyproject.toml installs and what cyclekit imports agree: every runtime dependency is put to
use, every library the package imports is declared, and the package imports with nothing but its
runtime dependencies (openpyxl, pandas and the Google libraries absent; `cyclekit report` imports
pandas, of the report extra, only when it runs)."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "cyclekit"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
# installed with the gsheets extra; imported only when a Google command runs
GOOGLE_MODULES = {"gspread", "google", "requests"}
# never installed with cyclekit: the tests, the examples and the benchmarks use them (pandas: the report
# extra's, imported when `cyclekit report` runs)
NOT_RUNTIME = {"openpyxl", "pandas"}
REPORT_MODULES = {"pandas"}


def distribution(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def modules_of(distributions: set[str]) -> set[str]:
    """The top-level modules the installed distributions provide."""
    provided = importlib.metadata.packages_distributions()
    return {module for module, dists in provided.items()
            if any(d.lower().replace("_", "-") in distributions for d in dists)}


def third_party_imports() -> dict[str, set[str]]:
    """Top-level module -> files of cyclekit importing it (the standard library and cyclekit aside)."""
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "cyclekit":
                    found.setdefault(top, set()).add(path.relative_to(ROOT).as_posix())
    return found


def test_every_runtime_dependency_is_imported_by_the_package():
    imported = set(third_party_imports())
    unused = sorted(d for d in map(distribution, PROJECT["dependencies"]) if not modules_of({d}) & imported)
    assert unused == [], "runtime dependencies cyclekit never imports: drop them or move them to an extra"


def test_every_library_the_package_imports_is_declared():
    runtime = modules_of(set(map(distribution, PROJECT["dependencies"])))
    google = modules_of(set(map(distribution, PROJECT["optional-dependencies"]["gsheets"])))
    report = modules_of(set(map(distribution, PROJECT["optional-dependencies"]["report"])))
    undeclared = {m: files for m, files in third_party_imports().items() if m not in runtime | google | report}
    assert undeclared == {}
    assert REPORT_MODULES <= report
    assert GOOGLE_MODULES <= google | {"google"}  # google is a namespace: google-auth provides google.auth
    assert not NOT_RUNTIME & runtime


BLOCKED = """
import importlib, pkgutil, sys
for name in {blocked!r}:
    sys.modules[name] = None  # import fails as if not installed
import cyclekit
failed = []
for module in pkgutil.walk_packages(cyclekit.__path__, "cyclekit."):
    if module.name == "cyclekit.__main__":
        continue  # runs the CLI
    try:
        importlib.import_module(module.name)
    except ImportError as error:
        failed.append(f"{{module.name}}: {{error}}")
print("\\n".join(failed))
"""


def test_every_module_imports_with_only_the_runtime_dependencies_installed():
    blocked = sorted(NOT_RUNTIME | GOOGLE_MODULES)
    run = subprocess.run([sys.executable, "-c", BLOCKED.format(blocked=blocked)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == ""
