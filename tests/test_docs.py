"""The documentation runs: every Python block of docs/python-api.md and of the README, in order,
and the README's walk-through of the commands, line by line, through the CLI. A renamed option, method or report
field fails here before a reader finds it."""

from __future__ import annotations

import glob
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import cyclekit
from cyclekit.cli import cli

ROOT = Path(__file__).resolve().parent.parent
PYTHON_API = ROOT / "docs" / "python-api.md"
README = ROOT / "README.md"


def code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.M | re.S)


def section(text: str, title: str) -> str:
    """From a `## title` heading to the next heading of the same level."""
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end >= 0 else None]


def cyclekit_commands(text: str) -> list[list[str]]:
    """The `cyclekit ...` lines of the shell blocks, continuation lines joined, comments dropped."""
    return [words for block in code_blocks(text, "sh") for words in cyclekit_lines(block)]


def cyclekit_lines(text: str, program: str = "cyclekit") -> list[list[str]]:
    commands = []
    for line in text.replace("\\\n", " ").splitlines():
        if line.strip().startswith(f"{program} "):
            commands.append(shlex.split(line, comments=True)[1:])
    return commands


def example_scripts(text: str) -> list[list[str]]:
    """The `python examples/...` lines of the shell blocks: the floor and finance played."""
    return [words for block in code_blocks(text, "sh") for words in cyclekit_lines(block, "python")]


def walk_lines(text: str) -> list[list[str]]:
    """The walk-through's `cyclekit` and `python` lines, in the order a reader types them."""
    lines = []
    for block in code_blocks(text, "sh"):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip().startswith(("cyclekit ", "python ")):
                lines.append(shlex.split(line, comments=True))
    return lines


@pytest.fixture
def plant_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder holding the example plant, as the repository's root does."""
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_python_block_of_the_python_api_page_runs(plant_folder: Path) -> None:
    blocks = code_blocks(PYTHON_API.read_text(encoding="utf-8"), "python")
    assert len(blocks) >= 6  # schedule, sheets, counts, recounts, review, finalize...
    path, modules = list(sys.path), set(sys.modules)
    namespace: dict[str, object] = {"__name__": "python_api_page"}
    try:
        for number, block in enumerate(blocks, 1):
            exec(compile(block, f"{PYTHON_API.name}, Python block {number}", "exec"), namespace)
    finally:  # the page puts examples/ on the path: leave the test process as it was
        sys.path[:] = path
        for name in set(sys.modules) - modules:
            if name in ("simulate_floor", "simulate_review"):
                del sys.modules[name]
    cycle = namespace["cycle"]
    assert isinstance(cycle, cyclekit.Cycle) and cycle.finalized and cycle.verify().ok
    assert (plant_folder / "workbooks" / "python-api" / "cycle" / "adjustments" / "netsuite.csv").is_file()


def test_the_readme_python_example_runs(plant_folder: Path) -> None:
    blocks = code_blocks(README.read_text(encoding="utf-8"), "python")
    assert blocks
    namespace: dict[str, object] = {"__name__": "readme"}
    for number, block in enumerate(blocks, 1):
        exec(compile(block, f"{README.name}, Python block {number}", "exec"), namespace)
    cycle = namespace["cycle"]
    assert isinstance(cycle, cyclekit.Cycle) and cycle.locations and cycle.sheet_files


def test_the_python_api_page_names_every_method_and_export() -> None:
    page = PYTHON_API.read_text(encoding="utf-8")
    for cls in (cyclekit.Schedule, cyclekit.Cycle):
        for name in vars(cls):
            if not name.startswith("_"):
                assert f".{name}" in page, f"{cls.__name__}.{name} is not in {PYTHON_API.name}"
    for name in ("CyclekitError", "ConfigError", "CycleError", "InputError", "MissingToolError", "Problem",
                 "ProblemKind", "load_config", "Config", "GoogleSheets"):
        assert name in page, f"cyclekit.{name} is not in {PYTHON_API.name}"


def test_the_readme_walk_through_lists_every_command() -> None:
    """The test below runs these lines: it must not pass by finding none."""
    walk = cyclekit_commands(section(README.read_text(encoding="utf-8"), "A walk through"))
    assert [c[0] for c in walk] == ["schedule", "schedule", "sheets", "sheets", "sheets", "send", "ingest", "ingest",
                                    "status", "finalize", "verify"]
    assert [c[0] for c in example_scripts(section(README.read_text(encoding="utf-8"), "A walk through"))] == [
        "examples/simulate_floor.py", "examples/simulate_floor.py", "examples/simulate_review.py"]


def test_every_command_line_of_the_readme_and_of_the_help_parses(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The lines that cannot run here (Google Sheets) and the help's examples: every option they
    give exists and takes the value given."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "workbooks" / "cycle-2026-11-23").mkdir(parents=True)  # the cycle folder they name
    readme = cyclekit_commands(README.read_text(encoding="utf-8"))
    helps = [words for command in cli.commands.values() for words in cyclekit_lines(command.help or "")]
    assert len(helps) >= len(cli.commands) and any("gsheets" in words for words in readme)
    for words in readme + helps:
        command = cli.commands[words[0]]
        with command.make_context(words[0], _expand(words[1:])) as context:
            assert context.params, words


def _expand(words: list[str]) -> list[str]:
    """What the shell does to the README's lines: ~ and globs."""
    expanded: list[str] = []
    for word in words:
        word = os.path.expanduser(word)
        expanded += sorted(glob.glob(word)) if "*" in word else [word]
    return expanded


def test_the_readme_walk_through_runs(plant_folder: Path, monkeypatch: pytest.MonkeyPatch, soffice: str) -> None:
    """Every `cyclekit` and `python examples/...` line of the README's walk-through, as written and in
    order, in a folder holding examples/; the floor's sheets arrive in ~/Downloads."""
    home = plant_folder / "home"
    monkeypatch.setenv("HOME", str(home))
    cycle = plant_folder / "workbooks" / "cycle-2026-11-23"
    runner = CliRunner()
    outputs = {}
    for words in walk_lines(section(README.read_text(encoding="utf-8"), "A walk through")):
        if words[0] == "python":
            script = subprocess.run([sys.executable, *_expand(words[1:])], capture_output=True, text=True,
                                    env={**os.environ, "HOME": str(home)}, check=False)
            assert script.returncode == 0, f"{shlex.join(words)}:\n{script.stderr}"
            continue
        result = runner.invoke(cli, _expand(words[1:]))
        assert result.exit_code == 0, f"{shlex.join(words)}:\n{result.output}"
        outputs.setdefault(words[1], []).append(result.output)
    readme = README.read_text(encoding="utf-8")
    for command, shown in (("schedule", "Wrote workbooks/schedule.xlsx: 50 rows (A 17, B 20, C 13)"),
                           ("sheets", "Issuing 34 locations due by 2026-11-30"),
                           ("sheets", "Issuing 9 locations the Calendar plans for the week of 2026-11-30"),
                           ("sheets", "77 parts at 46 locations"),
                           ("ingest", "Read 34 filled sheets: 240 of 242 lines counted, 9"),
                           ("ingest", "Read 44 filled sheets: 242 of 242 lines counted, 5 discrepancies"),
                           ("finalize", "242 lines counted, 5 discrepancies (rate 2.1 %), 5"),
                           ("finalize", "Signed off by Sam Okafor.")):
        assert " ".join(shown.split()) in " ".join(readme.split()), f"the README no longer shows {shown!r}"
        assert any(shown in out for out in outputs[command]), f"{command} no longer prints {shown!r}"
    assert list((plant_folder / "workbooks" / "outbox").glob("*.eml"))
    assert "all" in result.output and "records of the cycle are unchanged" in result.output
    assert (cycle / "adjustments" / "netsuite.csv").is_file() and list((cycle / "pdf").glob("*.pdf"))


def test_every_test_cited_in_reliability_md_exists() -> None:
    """A row of docs/reliability.md is held by the tests it names: each must exist (a renamed or
    deleted test leaves the promise unheld), and every row names at least one."""
    import ast

    page = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    cited = re.findall(r"tests/(test_\w+\.py)(?:::(\w+))?", page)
    assert len(cited) > 100
    defined: dict[str, set[str]] = {}
    missing = []
    for file, name in cited:
        path = ROOT / "tests" / file
        if not path.is_file():
            missing.append(f"tests/{file}")
            continue
        if file not in defined:
            tree = ast.parse(path.read_text(encoding="utf-8"))
            defined[file] = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        if name and name not in defined[file]:
            missing.append(f"tests/{file}::{name}")
    assert not missing, f"docs/reliability.md cites tests that do not exist: {missing}"
    rows, header = [], ""
    for line in page.splitlines():  # the rows of the tables of inputs and faults (the limits' tables name settings)
        if not line.startswith("|"):
            header = ""
        elif not header:
            header = line
        elif not line.startswith("| ---") and header.endswith("| test |"):
            rows.append(line)
    assert len(rows) > 50
    unheld = [row[:80] for row in rows if "tests/test_" not in row]
    assert not unheld, f"rows of docs/reliability.md that name no test: {unheld}"


def test_every_toml_block_of_the_readme_is_a_config_cyclekit_loads(tmp_path: Path) -> None:
    """A reader copies the README's settings into cyclekit.toml: a key renamed in the code fails here
    (unknown keys are errors)."""
    blocks = code_blocks(README.read_text(encoding="utf-8"), "toml")
    assert len(blocks) >= 2  # the whole configuration, and [approvals]
    for number, block in enumerate(blocks, 1):
        path = tmp_path / f"block-{number}.toml"
        path.write_text(block, encoding="utf-8")
        cyclekit.load_config(path)
