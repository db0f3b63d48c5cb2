"""A newcomer runs `make demo`, then follows the README: the demo keeps to a folder of its own and
both say how to run `cyclekit` from the virtual environment set-up made."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.test_docs import README, ROOT, code_blocks, cyclekit_commands, section


@pytest.fixture(scope="module")
def demo_recipe() -> str:
    """What `make demo` runs, printed by make without running it."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    return subprocess.run(["make", "-n", "demo"], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def _walk_through_paths() -> set[str]:
    walk = cyclekit_commands(section(README.read_text(encoding="utf-8"), "A walk through"))
    return {word.rstrip("/") for words in walk for word in words if word.startswith("workbooks/")}


def test_the_demo_neither_takes_nor_deletes_what_the_walk_through_writes(demo_recipe: str) -> None:
    walk = _walk_through_paths()
    assert {"workbooks/schedule.xlsx", "workbooks/cycle-2026-11-23"} <= walk
    demo = set(re.findall(r"workbooks/[^\s'\"*]*", demo_recipe))
    assert demo and all(path.startswith("workbooks/demo/") or path == "workbooks/demo" for path in demo), demo
    taken = {path for path in demo for mine in walk if path.rstrip("/") == mine or path.startswith(mine + "/")}
    assert not taken  # the demo wrote workbooks/schedule.xlsx and deleted workbooks/cycle-2026-11-23


def test_the_demo_lists_the_messages_it_wrote_and_says_how_to_run_cyclekit(demo_recipe: str) -> None:
    assert re.search(r"^ls -1 workbooks/demo/outbox-2026-11-23/\*\.eml$", demo_recipe, re.M)
    assert "source .venv/bin/activate" in demo_recipe and ".venv/bin/cyclekit" in demo_recipe


def test_the_readme_says_how_to_run_cyclekit_after_set_up() -> None:
    text = README.read_text(encoding="utf-8")
    set_up = section(text, "Set-up")
    assert "source .venv/bin/activate" in set_up and ".venv/bin/cyclekit" in set_up
    assert "workbooks/demo/" in set_up
    # the walk-through's first command block puts cyclekit on the PATH before its first cyclekit line
    first = code_blocks(section(text, "A walk through"), "sh")[0]
    assert first.index("source .venv/bin/activate") < first.index("cyclekit schedule")
