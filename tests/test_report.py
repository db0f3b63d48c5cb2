"""`cyclekit report`: trends across finalized cycles from their counted lines."""

import openpyxl
from click.testing import CliRunner

from cyclekit.cli import cli
from cyclekit.stages.finalize import finalize_cycle
from tests.test_finalize import CONFIG, TODAY, approve_all, cycle  # noqa: F401 (the fixture)


def test_report_of_a_cycle_from_the_command_line(cycle, tmp_path):  # noqa: F811
    cycle_dir, schedule, _ = cycle
    refused = CliRunner().invoke(cli, ["report", str(cycle_dir), "-o", str(tmp_path / "r.xlsx")])
    assert refused.exit_code == 1 and "not finalized" in refused.output and not (tmp_path / "r.xlsx").exists()
    approve_all(cycle_dir)
    finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=TODAY)
    result = CliRunner().invoke(cli, ["report", str(cycle_dir), "-o", str(tmp_path / "r.xlsx")])
    assert result.exit_code == 0, result.output
    assert "1 cycle, 4 lines counted" in result.output and "discrepancy rate 75.0% (target under 5%)" in result.output
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert book.sheetnames == ["Summary", "By Cycle", "By Location", "By Zone", "By Part", "By Counter",
                               "By Root Cause", "Most Often Off"]
    parts = [c for c in book["By Part"]["A"][1:] if c.value is not None]
    assert [c.value for c in parts] == ["000812", "1E5", "=SUM(A1)", "1.50"]  # most often off, then by name
    assert {c.data_type for c in parts} == {"s"}, "identifiers are text, never a formula or a number"
    assert book["By Cycle"]._charts and book["By Root Cause"]._charts and book["By Counter"]._charts
    causes = {r[0]: r[1] for r in book["By Root Cause"].iter_rows(min_row=2, values_only=True) if r[0]}
    assert causes == {"Theft or loss": 1, "Miscounted during cycle count": 1, "(not documented)": 1}


def test_a_cycle_finalized_before_cyclekit_kept_its_lines_is_named(cycle, tmp_path):  # noqa: F811
    cycle_dir, schedule, _ = cycle
    approve_all(cycle_dir)
    finalize_cycle(cycle_dir, schedule, CONFIG, targets=["generic"], today=TODAY)
    (cycle_dir / "counted_lines.parquet").unlink()
    result = CliRunner().invoke(cli, ["report", str(cycle_dir), "-o", str(tmp_path / "r.xlsx")])
    assert result.exit_code == 1 and "CC-TEST-0001" in result.output and "counted_lines.parquet" in result.output
    assert not (tmp_path / "r.xlsx").exists()


def test_pandas_missing_is_one_line_naming_the_extra(cycle, tmp_path, monkeypatch):  # noqa: F811
    import sys

    monkeypatch.setitem(sys.modules, "pandas", None)  # import fails as if not installed
    cycle_dir, _, _ = cycle
    result = CliRunner().invoke(cli, ["report", str(cycle_dir), "-o", str(tmp_path / "r.xlsx")])
    assert result.exit_code == 1 and "pip install 'cyclekit[report]'" in result.output
