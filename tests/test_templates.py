"""A user's adjustment template that does not parse or fails while rendering: one line naming the
file, the line and the problem, and finalize writes nothing."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from cyclekit.cli import cli
from cyclekit.config import Config, CountConfig
from cyclekit.errors import ConfigError
from cyclekit.stages.finalize import finalize_cycle
from tests.test_finalize import CONFIG, TODAY, approve_all, cycle  # noqa: F401

LOOP = '{{ csv_row(["Item", "Qty"]) }}\n{% for a in adjustments %}\n'
# template text -> (line reported, what the message says of the problem)
BROKEN = {
    "syntax": (LOOP + "{{ a.part_number }\n{% endfor %}\n", 3, "syntax error: unexpected '}'"),
    "unclosed-block": (LOOP + "{{ a.part_number }}\n", 3, "syntax error: Unexpected end of template"),
    "division-by-zero": ("Item,Qty\n{{ 1/0 }}\n", 2, "ZeroDivisionError: division by zero"),
    "fails-in-a-loop": (LOOP + "{{ a.part_number }}\n{{ a.counted_qty | int // 0 }}\n{% endfor %}\n", 4,
                        "ZeroDivisionError"),
    "undefined": ("Item\n{{ cycle.cycle_id }}\n{{ no_such_thing }}\n", 3, "'no_such_thing' is undefined"),
    "fails-in-a-setting": ('{% set mode = "absolute" %}\n{% set extension = 1/0 %}\n', 2, "division by zero"),
    "wrong-call": ("{{ csv_row() }}\n", 1, "TypeError"),
}


def _files(folder: Path) -> dict[str, bytes | None]:
    """Every file and folder below `folder` with its bytes: a finalize that refused must leave it as it was."""
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None for p in sorted(folder.rglob("*"))}


def _template(tmp_path: Path, text: str | bytes, name: str = "mine.csv.j2") -> Path:
    path = tmp_path / "templates" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def _refused(tmp_path: Path, cycle_dir: Path, schedule: Path, config: Config = CONFIG, **chosen) -> str:
    """finalize's one-line message; the folder is byte for byte as it was."""
    before = _files(tmp_path)
    with pytest.raises(ConfigError) as caught:
        finalize_cycle(cycle_dir, schedule, config, today=TODAY, **chosen)
    assert _files(tmp_path) == before, "finalize wrote something before it refused"
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("text, line, problem", BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_template_is_one_line_naming_file_and_line(cycle, tmp_path, text, line, problem):  # noqa: F811
    cycle_dir, schedule, _ = cycle
    approve_all(cycle_dir)
    template = _template(tmp_path, text)
    message = _refused(tmp_path, cycle_dir, schedule, templates=[template])
    assert message.startswith(f"template {template}, line {line}: "), message
    assert problem in message


def test_the_line_is_the_included_templates_own(cycle, tmp_path):  # noqa: F811
    cycle_dir, schedule, _ = cycle
    approve_all(cycle_dir)
    part = _template(tmp_path, "Item\n{{ 1/0 }}\n", "part.j2")
    template = _template(tmp_path, 'one\ntwo\n{% include "part.j2" %}\n')
    message = _refused(tmp_path, cycle_dir, schedule, templates=[template])
    assert message.startswith(f"template {part}, line 2: ZeroDivisionError"), message


def test_a_template_that_is_not_utf8(cycle, tmp_path):  # noqa: F811
    cycle_dir, schedule, _ = cycle
    approve_all(cycle_dir)
    template = _template(tmp_path, "Item\nCaf\xe9 {{ 1 }}\n".encode("cp1252"))
    message = _refused(tmp_path, cycle_dir, schedule, templates=[template])
    assert message.startswith(f"template {template}, line 2: not UTF-8 text"), message


def test_a_broken_template_named_in_the_config(cycle, tmp_path):  # noqa: F811
    cycle_dir, schedule, _ = cycle
    approve_all(cycle_dir)
    template = _template(tmp_path, BROKEN["syntax"][0])
    config = Config(adjustments=CONFIG.adjustments, count=CountConfig(default_targets=("generic", str(template))))
    message = _refused(tmp_path, cycle_dir, schedule, config)
    assert message.startswith(f"template {template}, line 3: syntax error"), message


def test_a_template_with_a_wrong_mode_names_its_file(cycle, tmp_path):  # noqa: F811
    cycle_dir, schedule, _ = cycle
    approve_all(cycle_dir)
    template = _template(tmp_path, '{% set mode = "sideways" %}\nItem\n')
    message = _refused(tmp_path, cycle_dir, schedule, templates=[template])
    assert message.startswith(f"template {template}: mode must be 'absolute' or 'difference'"), message


@pytest.mark.parametrize("broken", ["syntax", "division-by-zero"])
def test_finalize_command_reports_a_broken_template_in_one_line(cycle, tmp_path, broken):  # noqa: F811
    cycle_dir, schedule, _ = cycle
    approve_all(cycle_dir)
    text, line, problem = BROKEN[broken]
    template = _template(tmp_path, text)
    before = _files(tmp_path)
    result = CliRunner().invoke(cli, ["finalize", str(cycle_dir), "--schedule", str(schedule),
                                      "--template", str(template)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert result.output.startswith(f"Error: template {template}, line {line}: ") and problem in result.output
    assert _files(tmp_path) == before
