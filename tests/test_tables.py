"""The two CSV readers (pyarrow for big files, the csv module for the rest) read alike."""

import pytest

from cyclekit.inputs import tables
from tests.helpers import ODD_PART_NUMBERS

# name -> (file text, whether the native reader takes it or hands it to the csv module)
CASES = {
    "plain": ("a,b,c\n1,2,3\n4,5,6\n", True),
    "blank lines": ("a,b\n1,2\n\n3,4\r\n\r\n5,6", True),
    "spaces around cells": ("a , b\n 1 , 2 \n  ,  \n3,4\n", True),
    "quotes and line breaks": ('a,b\n"x, y","He said ""hi"""\n"multi\nline",2\n', True),
    "trailing empty headers": ("a,b,,\n1,2,,\n3,4,x,\n", True),
    "semicolons": ("a;b\n1,5;2\n", True),
    "tabs": ("a\tb\n1\t2\n", True),
    "no final line break": ("a,b\n1,2", True),
    "odd identifiers": ("part,rev\n" + "".join(f'"{p}",01\n' for p in ODD_PART_NUMBERS), True),
    "short rows": ("a,b,c\n1,2\n3,4,5\n", False),
    "long rows": ("a,b\n1,2,3\n", False),
    "blank line before the header": ("\na,b\n1,2\n", False),
    "line break in a header": ('"a\nb",c\n1,2\n', False),
}


def _read(path, native: bool, monkeypatch) -> tables.Table:
    monkeypatch.setattr(tables, "NATIVE_CSV_FROM", 0 if native else 10**12)
    return tables.read_table(path)


def _as_data(table: tables.Table):
    return table.headers, [list(column) for column in table.columns], table.row_numbers


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("name", list(CASES))
def test_native_and_csv_module_read_the_same(tmp_path, monkeypatch, name, encoding):
    text, native_reads_it = CASES[name]
    path = tmp_path / "in.csv"
    path.write_bytes(text.replace("x, y", "x, µ°").encode(encoding))
    fast = _read(path, True, monkeypatch)
    fell_back = []
    original = tables._csv_rows
    monkeypatch.setattr(tables, "_csv_rows", lambda *args: fell_back.append(1) or original(*args))
    assert _as_data(_read(path, True, monkeypatch)) == _as_data(fast)
    assert fell_back == ([] if native_reads_it else [1])
    assert _as_data(fast) == _as_data(_read(path, False, monkeypatch))


def test_what_both_readers_make_of_a_tricky_file(tmp_path, monkeypatch):
    path = tmp_path / "in.csv"
    path.write_text('a , b,,\n 000812 ,"1E5"\n\n  ,  \n"multi\nline",1.50,,\n', encoding="utf-8")
    for native in (True, False):
        table = _read(path, native, monkeypatch)
        assert table.headers == ["a", "b"]
        assert table.rows == [["000812", "1E5"], ["multi\nline", "1.50"]]
        assert table.row_numbers == [2, 5]  # rows as a spreadsheet numbers them


def test_a_big_export_goes_through_the_native_reader(tmp_path, monkeypatch):
    path = tmp_path / "big.csv"
    path.write_text("location,part\n" + "".join(f"BIN-{i:05d},{i:06d}\n" for i in range(30_000)), encoding="utf-8")
    assert path.stat().st_size >= tables.NATIVE_CSV_FROM
    called = []
    original = tables._native_csv_chunks
    monkeypatch.setattr(tables, "_native_csv_chunks", lambda *args: called.append(1) or original(*args))
    table = tables.read_table(path)
    assert called == [1]
    assert table.rows[0] == ["BIN-00000", "000000"] and table.row_numbers[-1] == 30_001


def test_the_native_reader_reads_chunk_after_chunk_as_the_csv_module_does(tmp_path, monkeypatch):
    """Each chunk's texts are stripped and kept once (exact columns as typed), blank rows left out,
    whatever chunk they fall in."""
    texts = [*ODD_PART_NUMBERS, " PN ", "PN", "  ", "", "Écrou M8 ½\"", "x" * 300, "Zürich, Lager 2", "ea"]
    lines = []
    for i in range(400):
        if i % 37 == 5:
            lines.append("")  # a blank line
        elif i % 41 == 7:
            lines.append("  ,  ,  ")  # spaces alone: no cell
        else:
            cells = (texts[(i * k) % len(texts)] for k in (1, 3, 7))
            lines.append(",".join(f'"{t.replace(chr(34), 2 * chr(34))}"' if "," in t or '"' in t else t
                                  for t in cells))
    path = tmp_path / "in.csv"
    path.write_text("part,description,uom\n" + "\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(tables, "NATIVE_BLOCK_BYTES", 2048)  # many chunks
    fell_back = []
    original = tables._csv_rows
    monkeypatch.setattr(tables, "_csv_rows", lambda *args: fell_back.append(1) or original(*args))
    for exact in ((), ("part",), ("part", "uom")):
        fell_back.clear()
        monkeypatch.setattr(tables, "NATIVE_CSV_FROM", 0)
        native = tables.read_table(path, exact=exact)
        assert fell_back == []
        monkeypatch.setattr(tables, "NATIVE_CSV_FROM", 10**12)
        assert _as_data(native) == _as_data(tables.read_table(path, exact=exact))
    assert " PN " in native.columns[0] and "PN" in native.columns[0]  # exact: as typed
    assert len(native.row_numbers) < 400
