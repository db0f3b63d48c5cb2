"""Review of hostile templates and files: what the first round left open."""

from __future__ import annotations

import json
import resource
import subprocess
import sys

import pytest

from cyclekit.errors import ConfigError
from cyclekit.stages.finalize import finalize_cycle
from tests.test_trust_finalize import FULL, TODAY, assert_nothing_written, build_cycle, built, cycle  # noqa: F401  # noqa: F401  (fixtures)

# Each builds a value of a gigabyte or more from a few characters; the sandbox bounds only `*` and `**`
MEMORY_ATTACKS = {
    "center at compile time": "{{ 'a'|center(1500000000) }}",
    "format width": "{{ '%1500000000s'|format('a') }}",
    "percent width": "{{ '%1500000000s' % 'a' }}",
    "indent": "{{ 'a\\nb'|indent(1500000000) }}",
    "ljust at run time": "{{ adjustments[0].location.ljust(1500000000) }}",
    "doubling by ~": "{% set ns = namespace(s='a') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}"
                     "{% endfor %}{{ ns.s|length }}",
    "doubling by +": "{% set ns = namespace(s=['a']) %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}"
                     "{% endfor %}{{ ns.s|length }}",
}

_RENDER = """
import json, resource, sys
from pathlib import Path
from cyclekit.layouts.adjustments import Adjustment, render_target
from cyclekit.errors import CyclekitError
try:
    render_target(Path(sys.argv[1]), [Adjustment(*(["x"] * 20))], {"targets": {}})
    said = "rendered"
except CyclekitError as exc:
    said = str(exc)
print(json.dumps({"said": said, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))
"""


def _at_most_3_gb() -> None:  # the machine's safety net if the bound were gone: never reached when it holds
    resource.setrlimit(resource.RLIMIT_AS, (3 * 1024 ** 3, resource.getrlimit(resource.RLIMIT_AS)[1]))


@pytest.mark.parametrize("attack", list(MEMORY_ATTACKS))
def test_a_template_that_builds_a_huge_value_is_refused_with_memory_bounded(tmp_path, attack):
    template = tmp_path / "big.csv.j2"
    template.write_text(MEMORY_ATTACKS[attack] + "\n")
    run = subprocess.run([sys.executable, "-c", _RENDER, str(template)], capture_output=True, text=True,
                         preexec_fn=_at_most_3_gb, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout)
    assert result["said"] == (f"template {template}: needs more than 512 MB of memory (a text or list built "
                              "without end?); nothing was written")
    assert result["peak_mb"] < 700


@pytest.mark.parametrize("body", [
    "{{ ((10 ** 1000) ** 1000) > 0 }}",
    "{% set ns = namespace(n=10 ** 1000) %}{% for i in range(30) %}{% set ns.n = ns.n * ns.n %}{% endfor %}"
    "{{ ns.n > 0 }}",
])
def test_a_template_computing_a_huge_number_is_refused(cycle, body):  # noqa: F811
    cycle_dir, schedule = cycle
    template = cycle_dir.parent / "number.csv.j2"
    template.write_text(body + "\n")
    before = schedule.read_bytes()
    with pytest.raises(ConfigError, match="a number this large is not allowed in a template") as refused:
        finalize_cycle(cycle_dir, schedule, FULL, templates=[template], today=TODAY)
    assert "\n" not in str(refused.value)
    assert_nothing_written(cycle_dir, schedule, before)


def test_a_huge_value_in_a_template_writes_nothing_at_finalize(cycle):  # noqa: F811
    cycle_dir, schedule = cycle
    template = cycle_dir.parent / "big.csv.j2"
    template.write_text(MEMORY_ATTACKS["ljust at run time"] + "\n")
    before = schedule.read_bytes()
    with pytest.raises(ConfigError, match="needs more than 512 MB of memory"):
        finalize_cycle(cycle_dir, schedule, FULL, templates=[template], today=TODAY)
    assert_nothing_written(cycle_dir, schedule, before)


def test_the_memory_bound_is_lifted_after_a_template_ran():
    from cyclekit.layouts.adjustments import _memory_limit

    before = resource.getrlimit(resource.RLIMIT_AS)
    with pytest.raises(MemoryError), _memory_limit(64):
        bytearray(256 * 1024 * 1024)
    assert resource.getrlimit(resource.RLIMIT_AS) == before
    bytearray(256 * 1024 * 1024)  # allowed again


# --- a cycle id names files and goes into the import files ---------------------------------------

@pytest.mark.parametrize("cycle_id", ["=1+1", "@SUM(1)", "-2+3", "a/b", "../../escaped", "x" * 300, "bell\x07",
                                      "new\nline", " CC-1", ".hidden"])
def test_a_cycle_id_that_is_a_path_a_formula_or_too_long_is_refused_at_sheets(tmp_path, cycle_id):
    import datetime as dt

    from click.testing import CliRunner

    from cyclekit.cli import cli
    from cyclekit.config import Config
    from cyclekit.stages import schedule as api
    from tests.helpers import INVENTORY_HEADER, LOCATIONS_HEADER, write_csv

    inventory = write_csv(tmp_path / "inventory.csv", INVENTORY_HEADER,
                          [["BIN-1", "P1", "", "Part", "ea", "", "", "available", "10", "1.00"]])
    locations = write_csv(tmp_path / "locations.csv", LOCATIONS_HEADER,
                          [["BIN-1", "Cage", "Ana Ruiz", "ana@plant.example.com", "", "", "2026-01-10"]])
    schedule = tmp_path / "schedule.xlsx"
    api.write_schedule(inventory, schedule, Config(), locations=locations, as_of=dt.date(2026, 11, 23),
                       today=dt.date(2026, 11, 23))
    cycle_dir = tmp_path / "cycle"
    args = ["sheets", str(schedule), str(inventory), "-o", str(cycle_dir), "--all", "-q"]
    refused = CliRunner().invoke(cli, [*args, "--cycle-id", cycle_id])
    assert refused.exit_code == 1
    assert refused.output.startswith("Error: cycle id ") and len(refused.output.splitlines()) == 1
    assert not cycle_dir.exists() or not any(cycle_dir.iterdir())
    assert not (tmp_path.parent / "escaped").exists()
    made = CliRunner().invoke(cli, [*args, "--cycle-id", "CC-2026.11_A"])
    assert made.exit_code == 0, made.output


# --- workbooks: every part the readers parse, and paths that are not files ----------------------

LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>')
XXE = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'


@pytest.mark.parametrize("part", ["xl/workbook.xml", "xl/_rels/workbook.xml.rels"])
@pytest.mark.parametrize("prolog", [LAUGHS, XXE], ids=["billion-laughs", "external-entity"])
def test_entities_in_the_list_of_tabs_are_refused_like_in_every_other_part(tmp_path, part, prolog):
    import zipfile

    import openpyxl

    from cyclekit.backends.reader import WorkbookReader
    from cyclekit.errors import InputError

    book = openpyxl.Workbook()
    book.active["A1"] = "hello"
    plain = tmp_path / "plain.xlsx"
    book.save(plain)
    hostile = tmp_path / "hostile.xlsx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(hostile, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            data = source.read(name)
            if name == part:
                data = prolog + (data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data)
            target.writestr(name, data)
    with pytest.raises(InputError) as refused:
        WorkbookReader(hostile)
    [problem] = refused.value.problems
    assert problem.file == str(hostile)
    assert problem.message == f"part {part!r} declares XML entities, which no spreadsheet writes"


def test_a_pipe_or_a_folder_given_as_a_file_is_named_for_what_it_is(tmp_path):
    import os

    from click.testing import CliRunner

    from cyclekit.cli import cli

    pipe = tmp_path / "export.csv"
    os.mkfifo(pipe)  # reading it would wait for ever for a writer
    (tmp_path / "sheet.xlsx").mkdir()
    said = CliRunner().invoke(cli, ["schedule", str(pipe), "-o", str(tmp_path / "schedule.xlsx"), "-q"])
    assert said.exit_code == 1 and "is not a regular file (a pipe or a device)" in said.output
    assert "Traceback" not in said.output
    from cyclekit.backends.reader import WorkbookReader
    from cyclekit.errors import InputError

    for path, says in ((pipe, "is not a regular file"), (tmp_path / "sheet.xlsx", "is a folder, not a file")):
        with pytest.raises(InputError) as refused:
            WorkbookReader(path)
        assert refused.value.problems[0].message.startswith(says)
    assert not (tmp_path / "schedule.xlsx").exists()


# --- Google: answers that are not Google's -------------------------------------------------------

class _Answer:
    def __init__(self, body: bytes):
        self.body = body

    def json(self):
        import json as json_module

        import requests

        try:
            return json_module.loads(self.body)
        except ValueError as exc:
            raise requests.exceptions.JSONDecodeError(str(exc), self.body.decode("latin-1"), 0) from None


class _Http:
    def __init__(self, outcome):
        self.outcome = outcome

    def request(self, method, url, **kwargs):
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome


def _failures():
    import requests

    return {
        "a proxy's login page with 200": _Answer(b"<html><body>Sign in to the guest network</body></html>"),
        "an answer cut short": requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead"),
        "a garbled compressed answer": requests.exceptions.ContentDecodingError("Received response with content-"
                                                                                 "encoding: gzip, but failed"),
        "redirected without end": requests.exceptions.TooManyRedirects("Exceeded 30 redirects."),
    }


@pytest.mark.parametrize("failure", list(_failures()))
def test_an_answer_that_is_not_googles_is_one_line(failure):
    from types import SimpleNamespace

    from cyclekit.backends.gsheets import GoogleSession
    from cyclekit.errors import CyclekitError

    client = SimpleNamespace(http_client=_Http(_failures()[failure]))
    session = GoogleSession(client, sleep=lambda seconds: None, progress=lambda text: None)
    with pytest.raises(CyclekitError) as refused:
        session.call("read", "get", "https://sheets.googleapis.com/v4/spreadsheets/X")
    message = str(refused.value)
    assert "\n" not in message and "proxy" in message and "Sign in" not in message


def test_an_include_through_a_link_to_a_file_elsewhere_reads_nothing(tmp_path):
    from pathlib import Path

    from cyclekit.layouts.adjustments import Adjustment, render_target

    secret = tmp_path / "elsewhere" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("the secret")
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "leak.j2").symlink_to(secret)
    (folder / "beside.j2").write_text("beside\n")
    template = folder / "mine.csv.j2"
    template.write_text("{% include 'beside.j2' %}{% include 'leak.j2' %}\n")
    with pytest.raises(ConfigError) as refused:
        render_target(Path(template), [Adjustment(*(["x"] * 20))], {"targets": {}})
    assert "TemplateNotFound: leak.j2" in str(refused.value) and "the secret" not in str(refused.value)
    template.write_text("{% include 'beside.j2' %}\n")
    assert render_target(Path(template), [], {"targets": {}}).text == "beside\n"
