"""The Variance tab's rows laid out as the workbook is written (LazyRows) write the same file as
the same rows held in a list: identifiers, formulas' cached values, units with their own formats."""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from cyclekit.backends.spec import LazyRows, WorkbookSpec, held
from cyclekit.backends.xlsx import render_xlsx
from cyclekit.config import Config
from cyclekit.domain.variance import CountedLine, figures
from cyclekit.folder.cycle import LocationRecord, Manifest, SheetRecord
from cyclekit.layouts.results import results_workbook

TODAY = dt.date(2026, 11, 25)
TRICKY = ["000812", "1E5", "=SUM(A1)", "Ünïcödé 部品 " + "long " * 30, "0042-07", " spaced "]


def _lines(n: int) -> list[CountedLine]:
    lines = []
    for i in range(n):
        uom = ("ea", "kg", "m")[i % 3]  # kg to the gram, m to the cm: cells with their own formats
        system = Decimal(("10", "1.375", "2.50")[i % 3])
        counted = None if i % 17 == 5 else system + Decimal(("0", "-1", "0.125", "3")[i % 4]) if i % 3 else system
        lines.append(CountedLine(
            line_id=f"WH-A-01/{i + 1}", location="WH-A-01", part_number=TRICKY[i % len(TRICKY)], revision="01",
            description=TRICKY[(i + 1) % len(TRICKY)], lot="", serial="", uom=uom, abc_class="ABC"[i % 3],
            system_qty=system, unit_cost=None if i % 11 == 3 else Decimal("2.00"), counted_qty=counted,
            counted_by="Dée", sheet_id="S001"))
    return lines


def _spec(lines: list[CountedLine]) -> WorkbookSpec:
    config = Config()
    manifest = Manifest(cycle_id="C-1", as_of="2026-11-23", count_date="2026-11-23", created="2026-11-23T08:00:00",
                        show_system_qty=False, sources={}, snapshot_sha256="", locations=[LocationRecord("WH-A-01")],
                        sheets=[SheetRecord("S001", "count", "WH-A-01", "sheets/a.xlsx", "WH-A-01",
                                            list(range(1, len(lines) + 1)))])
    totals = figures(lines, ["WH-A-01"], 0, config.count)
    return results_workbook(manifest, lines, totals, [], {}, config, TODAY)


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as book:  # the properties hold the time written
        return {name: book.read(name) for name in book.namelist() if name != "docProps/core.xml"}


@pytest.mark.parametrize("parallel_rows", [10**9, 20])  # 20: the second half written by a copy of the process
def test_variance_rows_laid_out_while_written_write_the_same_file(tmp_path: Path, monkeypatch: Any,
                                                                   parallel_rows: int) -> None:
    import cyclekit.backends.xlsx as xlsx

    monkeypatch.setattr(xlsx, "SMALL_WORKBOOK_ROWS", 0)  # the big-workbook path, as at plant scale
    monkeypatch.setattr(xlsx, "PARALLEL_ROWS", parallel_rows)
    lines = _lines(120)
    lazy = _spec(lines)
    assert isinstance(lazy.sheet("Variance").rows, LazyRows)
    listed = _spec(lines)
    for sheet in listed.sheets:
        held(sheet)
    assert type(listed.sheet("Variance").rows) is list
    assert list(lazy.sheet("Variance").rows) == listed.sheet("Variance").rows
    assert _parts(render_xlsx(lazy, tmp_path / "lazy.xlsx")) == _parts(render_xlsx(listed, tmp_path / "held.xlsx"))
    # each row is its own line's, and its formulas name its own row (rows laid out a slice at a time)
    tab = openpyxl.load_workbook(tmp_path / "lazy.xlsx")["Variance"]
    headers = [c.value for c in tab[1]]
    ids, pct = headers.index("Line ID"), headers.index("Variance %")
    body = list(tab.iter_rows(min_row=2, values_only=True))
    assert [row[ids] for row in body] == [ln.line_id for ln in lines if ln.counted]
    assert all(f"{n}/" in row[pct] and row[pct].count(str(n)) >= 3 for n, row in enumerate(body, start=2))


def test_lazy_rows_read_as_a_list_does() -> None:
    made: list[tuple[int, int]] = []

    def make(start: int, stop: int) -> list[list[Any]]:
        made.append((start, stop))
        return [[n, f"{n:06}"] for n in range(start, stop)]

    rows = LazyRows(10, make)
    expected = [[n, f"{n:06}"] for n in range(10)]
    assert len(rows) == 10 and list(rows) == expected and list(rows) == expected  # read again, laid out again
    assert rows[0] == expected[0] and rows[-1] == expected[-1] and rows[3] == expected[3]
    assert list(rows[2:7]) == expected[2:7] and list(rows[2:7][1:3]) == expected[3:5] and len(rows[8:20]) == 2
    assert list(rows[::3]) == expected[::3] and list(rows[20:]) == []
    with pytest.raises(IndexError):
        rows[10]
    made.clear()
    list(rows[4:6])
    assert made == [(4, 6)]  # a slice lays out only its rows
