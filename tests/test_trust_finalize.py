"""Finalize under hostile templates, missing settings, formula-like identifiers, lines with no cost."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from cyclekit.cli import cli
from cyclekit.config import Config, load_config
from cyclekit.errors import ConfigError, CyclekitError
from cyclekit.stages import schedule as api
from cyclekit.stages.finalize import finalize_cycle
from cyclekit.stages.ingest import ingest_cycle
from cyclekit.stages.sheets import Selection, start_cycle
from tests.helpers import INVENTORY_HEADER, LOCATIONS_HEADER, fill_sheet, write_csv

AS_OF = dt.date(2026, 11, 23)
TODAY = dt.date(2026, 11, 24)
FULL = Config(adjustments={"netsuite": {"account": "5100", "subsidiary": "Plant 1"},
                           "odoo": {"location_prefix": "WH/Stock/"},
                           "erpnext": {"company": "EP Ltd", "expense_account": "Stock Adjustment - EP"},
                           "business-central": {"location_code": "MAIN"}})
FORMULAS = ['=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "@SUM(1)", "+1", "-1+2"]
# each line a Minor difference (nothing to approve); PLAIN-1's adjustment is negative, not an identifier
ROWS = [["BIN-1", part, "", "Part", "ea", "", "", "available", "10", "1.00"] for part in FORMULAS] + [
    ["BIN-1", "PLAIN-1", "", "Part", "ea", "", "", "available", "10", "1.00"]]
COUNTS = {1: 9, 2: 11, 3: 12, 4: 8, 5: 11, 6: 7}


def build_cycle(base: Path, rows=ROWS, counts=COUNTS, found=(), location="BIN-1") -> tuple[Path, Path]:
    base.mkdir(parents=True, exist_ok=True)
    inventory = write_csv(base / "inventory.csv", INVENTORY_HEADER, rows)
    locations = write_csv(base / "locations.csv", LOCATIONS_HEADER,
                          [[location, "Cage", "Ana Ruiz", "ana@plant.example.com", "", "", "2026-01-10"]])
    schedule = base / "schedule.xlsx"
    api.write_schedule(inventory, schedule, FULL, locations=locations, as_of=AS_OF, today=AS_OF)
    cycle_dir = base / "cycle"
    start_cycle(schedule, inventory, cycle_dir, FULL, selection=Selection(all=True), as_of=AS_OF,
                cycle_id="CC-TRUST-1")
    [sheet] = (cycle_dir / "sheets").iterdir()
    filled = fill_sheet(sheet, base / "back" / "one.xlsx", counts, found=found, counted_by="Ana Ruiz")
    ingest_cycle(cycle_dir, FULL, [filled], today=AS_OF)
    return cycle_dir, schedule


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_cycle(tmp_path_factory.mktemp("built"))


@pytest.fixture
def cycle(built, tmp_path):
    """A fresh copy of the built cycle (the filled sheet stays where the ingest recorded it)."""
    cycle_dir, schedule = built
    shutil.copytree(cycle_dir, tmp_path / "cycle")
    shutil.copy2(schedule, tmp_path / "schedule.xlsx")
    return tmp_path / "cycle", tmp_path / "schedule.xlsx"


def assert_nothing_written(cycle_dir, schedule, before):
    assert schedule.read_bytes() == before
    assert not (cycle_dir / "adjustments").exists()
    written = [p.name for p in cycle_dir.iterdir()
               if p.name.startswith(("schedule-before", "finalize-intent", ".finalize")) or p.suffix == ".tmp"]
    assert written == []
    assert [p.name for p in schedule.parent.iterdir() if p.name.startswith(".schedule")] == []
    assert "finalized\": null" in (cycle_dir / "manifest.json").read_text()


# --- templates run in a sandbox ----------------------------------------------------------------

def hostile(tmp_path: Path, marker: Path) -> dict[str, str]:
    attacks = {
        "popen": "{{ self.__init__.__globals__.__builtins__.__import__('os').popen('touch MARKER').read() }}",
        "helper": "{{ csv_row.__globals__['io'].open('/etc/passwd').read() }}",
        "lipsum": "{{ lipsum.__globals__['os'].popen('touch MARKER').read() }}",
        "cycle": "{{ cycle.__class__.__init__.__globals__ }}",
        "mutate": "{{ target.update({'account': 'x'}) }}",
        "include": "{% include 'secret.txt' %}",
        "huge": "{{ 'x' * 100000000 }}",
    }
    return {name: text.replace("MARKER", str(marker)) for name, text in attacks.items()}


@pytest.mark.parametrize("attack", ["popen", "helper", "lipsum", "cycle", "mutate", "include", "huge"])
def test_a_hostile_template_runs_nothing_and_writes_nothing(cycle, tmp_path, attack):
    cycle_dir, schedule = cycle
    marker = tmp_path / "pwned"
    (tmp_path / "secret.txt").write_text("the secret")
    template = tmp_path / "evil.csv.j2"
    template.write_text(hostile(tmp_path, marker)[attack] + "\n")
    before = schedule.read_bytes()
    with pytest.raises(ConfigError) as refused:
        finalize_cycle(cycle_dir, schedule, FULL, templates=[template], today=TODAY)
    message = str(refused.value)
    assert message.startswith(f"template {template}") and "\n" not in message
    assert "root:" not in message and "the secret" not in message
    assert not marker.exists()
    assert_nothing_written(cycle_dir, schedule, before)


def test_a_hostile_template_in_default_targets_is_refused_from_the_command_line(cycle, tmp_path, monkeypatch):
    cycle_dir, schedule = cycle
    marker = tmp_path / "pwned"
    (tmp_path / "evil.csv.j2").write_text(hostile(tmp_path, marker)["popen"] + "\n")
    (tmp_path / "cyclekit.toml").write_text('[count]\ndefault_targets = ["evil.csv.j2"]\n')
    monkeypatch.chdir(tmp_path)
    before = schedule.read_bytes()
    result = CliRunner().invoke(cli, ["finalize", str(cycle_dir), "--schedule", str(schedule), "-q"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: template evil.csv.j2, line 1: refused")
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert not marker.exists()
    assert_nothing_written(cycle_dir, schedule, before)


@pytest.mark.parametrize("extension", ["csv/../../../../escaped", "../escaped", "/tmp/escaped", "csv\x00", ""])
def test_a_template_cannot_choose_a_path_outside_adjustments(cycle, tmp_path, extension):
    cycle_dir, schedule = cycle
    template = tmp_path / "mine.csv.j2"
    template.write_text('{%- set extension = "' + extension.replace("\x00", "\\x00") + '" -%}\nx\n')
    before = schedule.read_bytes()
    with pytest.raises(ConfigError, match="extension must be a plain file ending") as refused:
        finalize_cycle(cycle_dir, schedule, FULL, templates=[template], today=TODAY)
    assert "\n" not in str(refused.value)
    assert not list(tmp_path.rglob("escaped*")) and not Path("/tmp/escaped").exists()
    assert_nothing_written(cycle_dir, schedule, before)


def test_a_well_behaved_user_template_still_works_in_the_sandbox(cycle, tmp_path):
    cycle_dir, schedule = cycle
    (tmp_path / "rows.j2").write_text("{% macro row(a) %}{{ csv_row([a.part_number, a.adjust_qty]) }}{% endmacro %}")
    template = tmp_path / "mine.csv.j2"
    template.write_text('{%- import "rows.j2" as r -%}\n{%- set extension = "txt" -%}\n'
                        '{% for a in adjustments|sort(attribute="part_number") %}{{ r.row(a) }}\n{% endfor %}'
                        '{{ cycle.count_date.strftime("%d.%m.%Y") }} {{ range(3)|list|length }}\n')
    report = finalize_cycle(cycle_dir, schedule, FULL, templates=[template], today=TODAY)
    assert report.files[0].name == "mine.txt"
    assert report.files[0].read_text().splitlines()[-2:] == ["PLAIN-1,-3", "23.11.2026 3"]


# --- the settings an import needs --------------------------------------------------------------

@pytest.mark.parametrize("target, missing", [
    ("netsuite", "account, subsidiary"), ("erpnext", "company, expense_account"),
    ("business-central", "location_code"), ("odoo", "location_prefix")])
def test_a_target_missing_its_required_settings_is_refused_before_anything_is_written(cycle, target, missing):
    cycle_dir, schedule = cycle
    before = schedule.read_bytes()
    with pytest.raises(ConfigError) as refused:
        finalize_cycle(cycle_dir, schedule, Config(), targets=["generic", target], today=TODAY)
    assert f"target {target} needs {missing} in [adjustments.{target}]" in str(refused.value)
    assert_nothing_written(cycle_dir, schedule, before)


def test_a_blank_required_setting_is_missing_and_a_user_template_declares_its_own(cycle, tmp_path):
    cycle_dir, schedule = cycle
    config = Config(adjustments={"netsuite": {"account": " ", "subsidiary": "Plant 1"}})
    with pytest.raises(ConfigError, match=r"target netsuite needs account in"):
        finalize_cycle(cycle_dir, schedule, config, targets=["netsuite"], today=TODAY)
    template = tmp_path / "mine.csv.j2"
    template.write_text('{%- set required = ["posting_key"] -%}\n{{ target.posting_key }}\n')
    with pytest.raises(ConfigError, match=r"target mine needs posting_key in \[adjustments.mine\]"):
        finalize_cycle(cycle_dir, schedule, Config(), templates=[template], today=TODAY)
    report = finalize_cycle(cycle_dir, schedule, Config(adjustments={"mine": {"posting_key": "40"}}),
                            templates=[template], today=TODAY)
    assert report.files[0].read_text() == "40\n"


# --- a line with no cost -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def found_unvalued(tmp_path_factory):
    """A found item (+2 ea) of a part that has no cost anywhere in the export."""
    rows = [["BIN-1", "PLAIN-1", "", "Part", "ea", "", "", "available", "10", "1.00"]]
    return build_cycle(tmp_path_factory.mktemp("found"), rows, {1: 10}, found=[("NEW-9", "", "", "ea", 2)])


def test_a_line_with_no_cost_refuses_targets_that_need_one_and_is_listed_for_the_others(found_unvalued, tmp_path):
    built_dir, built_schedule = found_unvalued
    cycle_dir, schedule = tmp_path / "cycle", tmp_path / "schedule.xlsx"
    shutil.copytree(built_dir, cycle_dir)
    shutil.copy2(built_schedule, schedule)
    before = schedule.read_bytes()
    with pytest.raises(ConfigError) as refused:
        finalize_cycle(cycle_dir, schedule, FULL, targets=["generic", "netsuite"], today=TODAY)
    assert "netsuite need a unit cost on every line and 1 line(s) have none" in str(refused.value)
    assert "have none (no cost for the part anywhere in the export): BIN-1/F1." in str(refused.value)
    assert_nothing_written(cycle_dir, schedule, before)
    # erpnext needs a rate only where the warehouse held none: this found line (tests/test_target_checks.py)
    with pytest.raises(ConfigError, match=r"erpnext needs a valuation rate for 1 line\(s\) .*\(BIN-1/F1\)"):
        finalize_cycle(cycle_dir, schedule, FULL, targets=["generic", "erpnext"], today=TODAY)
    assert_nothing_written(cycle_dir, schedule, before)
    report = finalize_cycle(cycle_dir, schedule, FULL, targets=["generic", "fishbowl"], today=TODAY)
    [warning] = [w for w in report.warnings if "posted without a value" in w]
    assert warning.startswith("1 line(s) posted without a value") and "leave their cost blank" in warning
    assert "\nNEW-9," in report.files[1].read_text()


# --- formula-like identifiers ----------------------------------------------------------------------

def test_formula_like_identifiers_are_exact_for_the_erp_and_listed_in_a_warning(cycle):
    cycle_dir, schedule = cycle
    report = finalize_cycle(cycle_dir, schedule, FULL, targets=["generic", "netsuite"], today=TODAY)
    [warning] = [w for w in report.warnings if "like a spreadsheet formula" in w]
    assert warning.startswith("5 identifier(s) or text(s) start like a spreadsheet formula")
    for text in FORMULAS:
        assert repr(text) in warning
    assert "PLAIN-1" not in warning and "'-3'" not in warning  # a negative quantity is not an identifier
    rows = list(csv.reader(io.StringIO(report.files[0].read_text())))
    assert [r[1] for r in rows[1:]] == [*FORMULAS, "PLAIN-1"]
    assert [r[7] for r in rows[1:]] == ["-1", "1", "2", "-2", "1", "-3"]


def test_escape_formulas_prefixes_a_quote_in_that_target_only(cycle):
    cycle_dir, schedule = cycle
    config = Config(adjustments={**FULL.adjustments, "generic": {"escape_formulas": True}})
    report = finalize_cycle(cycle_dir, schedule, config, targets=["generic", "fishbowl"], today=TODAY)
    generic, fishbowl = (list(csv.reader(io.StringIO(p.read_text()))) for p in report.files)
    assert [r[1] for r in generic[1:]] == [*("'" + t for t in FORMULAS), "PLAIN-1"]
    assert [r[7] for r in generic[1:]] == ["-1", "1", "2", "-2", "1", "-3"]  # numbers untouched
    assert [r[0] for r in fishbowl[1:]] == [*FORMULAS, "PLAIN-1"]  # fishbowl's importer gets exact values
    assert any("with a leading ' in generic" in w for w in report.warnings)
    assert any("written exactly in fishbowl" in w for w in report.warnings)


def test_escape_formulas_must_be_true_or_false(tmp_path):
    (tmp_path / "cyclekit.toml").write_text('[adjustments.generic]\nescape_formulas = "yes"\n')
    with pytest.raises(ConfigError, match="adjustments.generic.escape_formulas must be true or false"):
        load_config(search_dir=tmp_path)
    (tmp_path / "cyclekit.toml").write_text('[adjustments.mine]\nescape_formulas = true\nkey = "v"\n')
    assert load_config(search_dir=tmp_path).adjustments["mine"]["escape_formulas"] is True


def test_formula_like_identifiers_are_text_in_the_review_workbook(cycle, soffice, tmp_path):
    cycle_dir, schedule = cycle
    report = finalize_cycle(cycle_dir, schedule, FULL, targets=["generic"], today=TODAY)
    sheet = openpyxl.load_workbook(report.review)["Adjustments"]
    header = [c.value for c in sheet[1]]
    column = header.index("Part Number") + 1
    cells = [sheet.cell(r, column) for r in range(2, sheet.max_row + 1)]
    assert [c.value for c in cells] == [*FORMULAS, "PLAIN-1"] and {c.data_type for c in cells} == {"s"}
    # and a real spreadsheet program opens them as the same text, runs nothing
    from cyclekit.backends.libreoffice import convert

    (tmp_path / "lo").mkdir()
    [out] = convert([report.review], tmp_path / "lo", "csv")
    text = out.read_text(encoding="utf-8")
    parts = [row[header.index("Part Number")] for row in csv.reader(io.StringIO(text))][1:]
    assert parts == [*FORMULAS, "PLAIN-1"]


def test_no_file_is_written_outside_adjustments_but_the_counted_lines(cycle):
    cycle_dir, schedule = cycle
    before = {p for p in cycle_dir.parent.rglob("*")}
    finalize_cycle(cycle_dir, schedule, FULL, targets=["generic"], today=TODAY)
    added = {p for p in cycle_dir.parent.rglob("*") if not p.name.endswith(".lock")} - before  # a cycle lock
    assert {p.relative_to(cycle_dir.parent).as_posix() for p in added} == {
        "cycle/adjustments", "cycle/adjustments/generic.csv", "cycle/adjustments/review.xlsx",
        "cycle/schedule-before-CC-TRUST-1.xlsx", "cycle/counted_lines.parquet"}
    assert not any(name.startswith((".finalize", "finalize-intent")) for name in os.listdir(cycle_dir))


def test_two_outputs_with_one_file_name_are_refused(cycle, tmp_path):
    cycle_dir, schedule = cycle
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "mine.csv.j2").write_text(f"{folder}\n")
    (tmp_path / "review.j2").write_text('{%- set extension = "xlsx" -%}\nnot a workbook\n')
    before = schedule.read_bytes()
    with pytest.raises(ConfigError, match=r"two outputs would be written as mine.csv in adjustments/"):
        finalize_cycle(cycle_dir, schedule, FULL, templates=[tmp_path / "a" / "mine.csv.j2",
                                                             tmp_path / "b" / "mine.csv.j2"], today=TODAY)
    with pytest.raises(ConfigError, match=r"two outputs would be written as review.xlsx"):
        finalize_cycle(cycle_dir, schedule, FULL, templates=[tmp_path / "review.j2"], today=TODAY)
    assert_nothing_written(cycle_dir, schedule, before)


def test_post_without_cost_is_the_users_explicit_choice_per_target(found_unvalued, tmp_path):
    built_dir, built_schedule = found_unvalued
    cycle_dir, schedule = tmp_path / "cycle", tmp_path / "schedule.xlsx"
    shutil.copytree(built_dir, cycle_dir)
    shutil.copy2(built_schedule, schedule)
    config = Config(adjustments={**FULL.adjustments, "netsuite": {**FULL.adjustments["netsuite"],
                                                                  "post_without_cost": True}})
    with pytest.raises(ConfigError, match=r"erpnext needs a valuation rate .* set post_without_cost = true in "
                                          r"\[adjustments.erpnext\]"):
        finalize_cycle(cycle_dir, schedule, config, targets=["netsuite", "erpnext"], today=TODAY)
    report = finalize_cycle(cycle_dir, schedule, config, targets=["netsuite"], today=TODAY)
    assert ",NEW-9,BIN-1,,,2,," in report.files[0].read_text()  # Est. Unit Cost left blank
    assert any(w.startswith("1 line(s) posted without a value") for w in report.warnings)


@pytest.mark.parametrize("body, says", [
    ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "still running after 1 s"),
    ("{% for i in range(100000) %}{{ 'x' * 9000000 }}{% endfor %}", "writes more than"),
])
def test_a_template_that_runs_without_end_or_writes_without_end_is_stopped(cycle, tmp_path, monkeypatch, body, says):
    import cyclekit.layouts.adjustments

    monkeypatch.setattr(cyclekit.layouts.adjustments, "MAX_RENDER_SECONDS", 1)
    cycle_dir, schedule = cycle
    template = tmp_path / "loop.csv.j2"
    template.write_text(body + "\n")
    before = schedule.read_bytes()
    with pytest.raises(ConfigError, match=f"template {template}: {says}"):
        finalize_cycle(cycle_dir, schedule, FULL, templates=[template], today=TODAY)
    assert_nothing_written(cycle_dir, schedule, before)


def test_a_template_not_named_j2_is_a_one_line_error(cycle, tmp_path):
    cycle_dir, schedule = cycle
    template = tmp_path / "mine.txt"
    template.write_text("x\n")
    with pytest.raises(CyclekitError, match=r"mine.txt: a template's file name ends in .j2 \(e.g. mine.csv.j2\)"):
        finalize_cycle(cycle_dir, schedule, FULL, templates=[template], today=TODAY)


def test_a_formula_like_location_stays_text_in_every_workbook_finalize_writes(tmp_path, soffice):
    location = '=HYPERLINK("http://x","y")'
    rows = [[location, "PLAIN-1", "", "Part", "ea", "", "", "available", "10", "1.00"]]
    cycle_dir, schedule = build_cycle(tmp_path / "built", rows, {1: 9}, location=location)
    report = finalize_cycle(cycle_dir, schedule, FULL, targets=["generic"], today=TODAY)
    assert any(repr(location) in w for w in report.warnings)
    from cyclekit.backends.libreoffice import convert

    for book, tab in ((report.review, "Adjustments"), (schedule, None)):
        sheet = openpyxl.load_workbook(book)[tab] if tab else openpyxl.load_workbook(book).worksheets[0]
        cells = [c for row in sheet.iter_rows() for c in row if c.value == location]
        assert cells and {c.data_type for c in cells} == {"s"}, book
        out = tmp_path / f"lo-{book.stem}"
        out.mkdir()
        [text] = convert([book], out, "csv")  # the first tab, as LibreOffice reads and shows it
        cells = {cell for row in csv.reader(io.StringIO(text.read_text(encoding="utf-8"))) for cell in row}
        assert location in cells and "y" not in cells, book  # the text itself, not the link it would make
