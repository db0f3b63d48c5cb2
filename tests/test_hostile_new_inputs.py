"""The new file inputs read as hostile input, the same cases on each: the movements export
(ingest --movements, CSV or XLSX) and Odoo's update-by-ID export (finalize --odoo-quants).

Every bad file is a one-line error or a problem naming file, row and column, never a traceback,
and a refused file leaves nothing written; identifiers survive exactly into what is written.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from cyclekit.backends.reader import current_limits, use_limits
from cyclekit.errors import CyclekitError, InputError
from cyclekit.inputs.movements import movement_time
from cyclekit.stages.finalize import finalize_cycle
from cyclekit.stages.ingest import ingest_cycle
from tests.test_hostile_workbooks import MB, bomb, write_workbook
from tests.test_moving_plant import AS_OF, MOVES_CONFIG, MOVES_HEADER, count, hours, plant, rows_of  # noqa: F401
from tests.test_odoo_quants import CONFIG as ODOO_CONFIG
from tests.test_odoo_quants import HEADER, TODAY, counted  # noqa: F401

# ruff: noqa: F811  (the plant and counted fixtures, imported above, are arguments below)

ODD = ["000812", "1E5", "=SUM(A1)"]  # identifiers a spreadsheet would turn into 812, 100000, a formula


def csv_bytes(header: list[str], rows: list[list[str]], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


@dataclass
class Input:
    """One of the new inputs: its header and rows, how a file of it is given, and where what it
    carries is written."""

    name: str
    header: list[str]
    fixture: str

    def rows(self, world: Any, part: str = "P-200", quantity: str = "5") -> list[list[str]]:
        if self.name == "movements":
            _, _, snapshot = world
            when = hours(snapshot, 1).isoformat(sep=" ", timespec="minutes")
            return [["BIN-1", part, "", "", "", "ea", quantity, when]]
        lot = {"=SUM(A1)": "0042", "1E5": "L7"}.get(part, "")  # as the counted plant holds them
        return [[f"quant_{part}", f"[{part}] Part", "WH/Stock/BIN-1", lot, quantity]]

    def give(self, world: Any, tmp_path: Path, path: Path) -> Any:
        if self.name == "movements":
            cycle_dir = world[0]
            return ingest_cycle(cycle_dir, MOVES_CONFIG, count(world, tmp_path), today=AS_OF, movements=path)
        cycle_dir, schedule = world
        return finalize_cycle(cycle_dir, schedule, ODOO_CONFIG, targets=["odoo"], today=TODAY, odoo_quants=path)

    def written(self, world: Any) -> list[Path]:
        """What giving the file writes: nothing of it may be there after a refusal."""
        cycle_dir = world[0]
        if self.name == "movements":
            return [cycle_dir / "results.xlsx", cycle_dir / "movements"]
        return [cycle_dir / "adjustments"]

    def identifiers_out(self, world: Any, report: Any) -> list[str]:
        """The part numbers as written from the file: the Movements tab, or the completed export."""
        if self.name == "movements":
            return [str(r["Part Number"]) for r in rows_of(report.results, "Movements")]
        with open(world[0] / "adjustments" / "odoo.csv", newline="", encoding="utf-8") as handle:
            # Odoo names a product '[Internal Reference] Name', a new row the reference alone
            return [r["product_id"].removeprefix("[").split("] ")[0] for r in csv.DictReader(handle)]


INPUTS = [Input("movements", MOVES_HEADER, "plant"), Input("odoo", HEADER, "counted")]


@pytest.fixture(params=INPUTS, ids=[i.name for i in INPUTS])
def given(request, tmp_path):
    """(input, its world: a counted cycle ready for it)."""
    spec: Input = request.param
    world = request.getfixturevalue(spec.fixture)
    if spec.name == "movements":
        ingest_cycle(world[0], MOVES_CONFIG, count(world, tmp_path), today=AS_OF)
        (world[0] / "results.xlsx").unlink()
    return spec, world


def refused(spec: Input, world: Any, tmp_path: Path, data: bytes, name: str = "input.csv") -> CyclekitError:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(CyclekitError) as caught:
        spec.give(world, tmp_path, path)
    assert "\n" not in str(caught.value).split(":\n")[0]  # the summary is one line
    assert not any(p.exists() for p in spec.written(world)), "a refused file left output behind"
    return caught.value


def kinds(error: CyclekitError) -> list[tuple[str, int | None, str | None]]:
    return [(p.kind, p.row, p.column) for p in getattr(error, "problems", [])]


def test_an_empty_file_is_refused(given, tmp_path):
    spec, world = given
    error = refused(spec, world, tmp_path, b"")
    assert "is empty: no header row" in str(error)


def test_a_missing_column_is_refused_naming_it(given, tmp_path):
    spec, world = given
    header = spec.header[:-1]
    error = refused(spec, world, tmp_path, csv_bytes(header, [r[:-1] for r in spec.rows(world)]))
    assert kinds(error)[0][0] == "missing-column"


def test_a_column_given_twice_is_refused_not_the_first_one_taken(given, tmp_path):
    spec, world = given
    header = [*spec.header, spec.header[-2 if spec.name == "movements" else -1]]
    rows = [[*row, "7"] for row in spec.rows(world)]
    error = refused(spec, world, tmp_path, csv_bytes(header, rows))
    assert kinds(error) == [("duplicate-column", 1, header[-1])]
    assert "appears 2 times" in str(error) + error.problems[0].message


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1252"])
def test_identifiers_survive_every_encoding_exactly(given, tmp_path, encoding):
    spec, world = given
    rows = [row for part in ODD for row in spec.rows(world, part=part)]
    path = tmp_path / "input.csv"
    path.write_bytes(csv_bytes(spec.header, rows, encoding))
    report = spec.give(world, tmp_path, path)
    assert sorted(set(spec.identifiers_out(world, report)) & set(ODD)) == sorted(ODD)


def test_a_file_larger_than_the_limit_is_refused_before_it_is_read(given, tmp_path):
    """200 MB on disk (a sparse file: no disk used), refused by its size, naming the setting."""
    spec, world = given
    path = tmp_path / "input.csv"
    path.write_bytes(csv_bytes(spec.header, spec.rows(world)))
    with open(path, "r+b") as handle:
        handle.truncate(200 * MB)
    with pytest.raises(InputError) as caught:
        spec.give(world, tmp_path, path)
    assert "larger than" in str(caught.value) + caught.value.problems[0].message
    assert not any(p.exists() for p in spec.written(world))


def test_the_movements_limit_is_a_setting(plant, tmp_path):
    """A real export over limits.movements_mb: refused whole, naming the setting to raise."""
    spec = INPUTS[0]
    rows = spec.rows(plant) * 40_000  # about 1.4 MB
    path = tmp_path / "moves.csv"
    path.write_bytes(csv_bytes(spec.header, rows))
    before = current_limits()
    use_limits(replace(before, movements_mb=1))
    try:
        with pytest.raises(InputError, match="limits.movements_mb") as caught:
            spec.give(plant, tmp_path, path)
    finally:
        use_limits(before)
    assert caught.value.problems[0].kind == "file"
    assert not (plant[0] / "results.xlsx").exists()


@pytest.mark.parametrize("make", ["truncated", "bomb", "not a zip"])
def test_a_damaged_workbook_is_one_problem_naming_the_file(given, tmp_path, make):
    spec, world = given
    path = tmp_path / "input.xlsx"
    if make == "bomb":
        bomb(path, inflated_mb=250)
    else:
        write_workbook(path, "")
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2] if make == "truncated" else b"Bin;Item\r\n" + data)
    with pytest.raises(InputError) as caught:
        spec.give(world, tmp_path, path)
    assert str(path) in str(caught.value) and "Traceback" not in str(caught.value)
    assert not any(p.exists() for p in spec.written(world))


# ---- the movements' own values: quantities and times ------------------------------------------


def moved(plant, tmp_path, rows: list[list[str]], data: bytes | None = None, name: str = "moves.csv"):
    path = tmp_path / name
    path.write_bytes(data if data is not None else csv_bytes(MOVES_HEADER, rows))
    return ingest_cycle(plant[0], MOVES_CONFIG, count(plant, tmp_path), today=AS_OF, movements=path)


def bad_rows(report) -> list[tuple[int | None, str | None, str | None]]:
    return [(p.row, p.column, p.value) for p in report.problems if p.kind == "bad-movement"]

@pytest.mark.parametrize("quantity", ["1,234", "1.234", "NaN", "inf", "-Infinity", "1e999", "1E5"])
def test_a_quantity_that_cannot_be_read_for_sure_is_a_problem_never_a_guess(plant, tmp_path, quantity):
    spec = INPUTS[0]
    report = moved(plant, tmp_path, [*spec.rows(plant, quantity="2"), *spec.rows(plant, quantity=quantity)])
    assert bad_rows(report) == [(3, "Change", quantity)]


def test_a_semicolon_between_columns_does_not_tell_the_decimal_mark(plant, tmp_path):
    """'1.234' in a ';' file is 1234 in Germany and 1.234 from an ERP that writes points: a problem,
    as it is in the inventory; '1.234,5' tells by itself and is read."""
    spec = INPUTS[0]
    ambiguous = moved(plant, tmp_path, [], csv_bytes(MOVES_HEADER, spec.rows(plant, quantity="1.234"), delimiter=";"))
    assert bad_rows(ambiguous) == [(2, "Change", "1.234")]
    told = moved(plant, tmp_path, [], csv_bytes(MOVES_HEADER, [*spec.rows(plant, quantity="1.234"),
                                                               *spec.rows(plant, quantity="0,5")], delimiter=";"),
                 name="told.csv")
    assert not bad_rows(told)
    assert sorted(r["Quantity"] for r in rows_of(told.results, "Movements")) == [0.5, 1234]


def test_quantities_written_both_ways_are_one_problem(plant, tmp_path):
    spec = INPUTS[0]
    report = moved(plant, tmp_path, [*spec.rows(plant, quantity="1.5"), *spec.rows(plant, quantity="2,5")])
    assert [p.column for p in report.problems if p.kind == "mixed-decimal-separators"] == ["Change"]


@pytest.mark.parametrize("when", ["25/11/2026 14:30", "11/25/2026 2:30 PM", "2026-11-25", "yesterday",
                                  "0001-01-01T00:00+05:00", "9999-12-31T23:59-05:00", "2026-11-25 25:00"])
def test_a_time_that_cannot_be_placed_is_a_problem_naming_row_and_column(plant, tmp_path, when):
    spec = INPUTS[0]
    row = spec.rows(plant)[0]
    report = moved(plant, tmp_path, [row[:-1] + [when]])
    assert [(r, c) for r, c, _ in bad_rows(report)] == [(2, "Posted")]


def test_a_control_character_in_an_identifier_is_a_problem(plant, tmp_path):
    spec = INPUTS[0]
    report = moved(plant, tmp_path, spec.rows(plant, part="P\x01200"))
    assert [(r, c) for r, c, _ in bad_rows(report)] == [(2, "Item")]


def test_a_workbook_keeps_identifiers_and_exact_fractions(plant, tmp_path):
    """An XLSX export: numbers stored as numbers (1.125) are exact, part numbers typed as text stay."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(MOVES_HEADER)
    when = hours(plant[2], 1)
    for part in ODD:
        sheet.append(["BIN-1", part, "", "", "", "ea", 1.125, when])
        sheet.cell(sheet.max_row, 2).data_type = "s"  # a formula-looking part number typed as text
    book.save(tmp_path / "moves.xlsx")
    report = ingest_cycle(plant[0], MOVES_CONFIG, count(plant, tmp_path), today=AS_OF,
                          movements=tmp_path / "moves.xlsx")
    assert not bad_rows(report)
    rows = rows_of(report.results, "Movements")
    assert sorted(str(r["Part Number"]) for r in rows) == sorted(ODD)
    assert {r["Quantity"] for r in rows} == {1.125}


def test_the_movements_tab_that_is_not_there_is_one_problem(plant, tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Cover"
    book.active.append(["Movements since the snapshot, see the next tab"])
    book.create_sheet("Moves").append(MOVES_HEADER)
    book.save(tmp_path / "moves.xlsx")
    config = replace(MOVES_CONFIG, movements=replace(MOVES_CONFIG.movements, sheet="Movements"))
    with pytest.raises(InputError, match="has no tab 'Movements'"):
        ingest_cycle(plant[0], config, count(plant, tmp_path), today=AS_OF, movements=tmp_path / "moves.xlsx")
    # the first tab when none is set: a cover sheet is a missing column, not a traceback
    with pytest.raises(InputError, match="missing from the movements export"):
        ingest_cycle(plant[0], MOVES_CONFIG, count(plant, tmp_path), today=AS_OF, movements=tmp_path / "moves.xlsx")


def test_movement_time_says_why_not():
    with pytest.raises(ValueError, match="cannot be told|can be compared"):
        movement_time("0001-01-01T00:00+05:00")


# ---- what a reviewer types in the Transfers tab -------------------------------------------------


@pytest.mark.parametrize("typed", ["yes", "Accepted", 1])
def test_a_decision_that_is_neither_accept_nor_reject_is_kept_and_blocks_finalize(plant, tmp_path, typed):
    """Pasted past the dropdown: never taken for Accept, never erased; finalize names the transfer."""
    from tests.test_moving_plant import counted_at, decide, fill_sheet, finalize_copy, movements

    cycle_dir, _, snapshot = plant
    files = count(plant, tmp_path, bin1={1: 47, 2: 15})
    files[1] = fill_sheet(cycle_dir / "sheets" / "BIN-2.xlsx", tmp_path / "back" / "b2.xlsx", {1: 29},
                          counted_by="Bo", edit=counted_at(hours(snapshot, 3)))
    report = ingest_cycle(cycle_dir, MOVES_CONFIG, files, today=AS_OF, movements=movements(tmp_path, snapshot))
    decide(report.results, "BIN-1/1", typed)
    for _ in range(2):  # kept through every later ingest, said once
        again = ingest_cycle(cycle_dir, MOVES_CONFIG, today=AS_OF)
        [row] = rows_of(again.results, "Transfers")
        assert (row["Decision"], row["Decided By"]) == (typed, "Dana Whitfield")
        assert row["Notes"] == f"NOT A DECISION: {str(typed)!r} is neither Accept nor Reject; pick one."
    with pytest.raises(InputError) as caught:
        finalize_copy(plant, tmp_path, "undecidable")
    [problem] = caught.value.problems
    assert (problem.kind, problem.sheet, problem.value) == ("bad-decision", "Transfers", str(typed))
    assert "T1 (BIN-1/1 to BIN-2/1)" in problem.message
    assert not (tmp_path / "undecidable" / "cycle" / "adjustments").exists()


# ---- the new config sections ------------------------------------------------------------------


@pytest.mark.parametrize(("toml", "says"), [
    ('[movements.columns]\nquantity = "Qty"\ntime = "qty"', "maps quantity and time to the same column 'qty'"),
    ('[movements.columns]\nlocation = "part_number"', "maps location and part_number to the same column"),
    ('[finalize]\ndiscrepancy_location = "DISC\\u0001"', "control character"),
    ('[limits]\nmovements_mb = 0', "limits.movements_mb must be 1 or more"),
    ('[cadence]\nmajor_factor = nan', "cadence.major_factor must be a number"),
    ('[approvals]\nlead = "lead"\n[approvals.roles.lead]\npeople = ["A"]\nmax_qty = inf', "must be a number"),
])
def test_a_config_that_would_read_or_write_wrongly_is_one_line_refused(tmp_path, toml, says):
    from cyclekit.config import load_config
    from cyclekit.errors import ConfigError

    path = tmp_path / "cyclekit.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(says)) as caught:
        load_config(path)
    assert "\n" not in str(caught.value)


# ---- names typed in Approved By, Counted By, Recounted By ---------------------------------------


@pytest.mark.parametrize("typed", ["Ana\u200b Ruiz", "A\u200bna Ruiz", "Ana \u200dRuiz", "\ufeffana ruiz",
                                   "\uff21na Ruiz", "ANA\u00a0RUIZ"])
def test_a_name_typed_with_characters_that_do_not_show_is_the_same_person(typed):
    """The recount by the first counter must not pass as another person's, nor an allowed approver
    be refused, for a character no one sees."""
    from cyclekit.domain.review import person_key

    assert person_key(typed) == person_key("Ana Ruiz")
    assert person_key("Ana Ruiz") != person_key("Ana Ruis")


def test_the_command_refuses_a_bad_movements_export_in_one_line_per_problem(plant, tmp_path):
    from click.testing import CliRunner

    from cyclekit.cli import cli

    path = tmp_path / "moves.csv"
    path.write_bytes(csv_bytes([*MOVES_HEADER, "Change"], [[*INPUTS[0].rows(plant)[0], "7"]]))
    config = tmp_path / "cyclekit.toml"
    config.write_text('[movements.columns]\nlocation = "Bin"\npart_number = "Item"\nrevision = "Rev"\nlot = "Lot"\n'
                      'serial = "Serial"\nuom = "Unit"\nquantity = "Change"\ntime = "Posted"\n', encoding="utf-8")
    done = CliRunner().invoke(cli, ["ingest", str(plant[0]), *map(str, count(plant, tmp_path)), "--movements",
                                    str(path), "--config", str(config)])
    assert done.exit_code == 1 and "Traceback" not in done.output
    assert done.output.count("nothing was written") == 1, done.output
    assert "row 1, column 'Change': column 'Change' appears 2 times" in done.output
    assert not (plant[0] / "results.xlsx").exists()
