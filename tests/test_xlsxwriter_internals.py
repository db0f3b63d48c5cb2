"""The private xlsxwriter names the fast xlsx path uses: all in one module, each still there with
the signature it was verified with, the version pinned exactly; nothing patched process-wide."""

from __future__ import annotations

import ast
import inspect
import re
import zipfile
import zlib
from pathlib import Path

import pytest
import xlsxwriter
import xlsxwriter.workbook

from cyclekit.backends import xlsxwriter_internals as internals
from cyclekit.backends.spec import Column, Sheet, Style, WorkbookSpec
from cyclekit.backends.xlsx import SMALL_WORKBOOK_ROWS, render_xlsx

ROOT = Path(__file__).resolve().parents[1]


def test_the_installed_xlsxwriter_is_the_one_the_internals_were_verified_with():
    assert xlsxwriter.__version__ == internals.VERIFIED_VERSION


def test_pyproject_pins_that_version_exactly():
    text = (ROOT / "pyproject.toml").read_text()
    assert re.findall(r'"xlsxwriter\s*([=<>~!][^"]*)"', text) == [f"=={internals.VERIFIED_VERSION}"]


@pytest.mark.parametrize(("owner", "name", "signature"), internals.PRIVATE_METHODS,
                         ids=[name for _, name, _ in internals.PRIVATE_METHODS])
def test_every_private_method_used_has_the_signature_it_was_verified_with(owner, name, signature):
    method = getattr(owner, name, None)
    assert method is not None, f"xlsxwriter no longer has {owner.__name__}.{name}"
    assert str(inspect.signature(method)) == signature


@pytest.mark.parametrize("in_memory", [False, True])
def test_every_private_attribute_used_is_there_once_a_sheet_is_made(tmp_path, in_memory):
    book = xlsxwriter.Workbook(str(tmp_path / "a.xlsx"), {"constant_memory": True, "in_memory": in_memory})
    sheet_class = internals.InMemoryRowsWorksheet if in_memory else internals.StreamedRowsWorksheet
    ws = book.add_worksheet("A", worksheet_class=sheet_class)
    missing = [name for name in internals.PRIVATE_ATTRIBUTES if not hasattr(ws, name)]
    assert not missing, f"xlsxwriter worksheets no longer have {missing}"
    assert ws.constant_memory and ws.previous_row == 0 and ws.merge == []
    book.close()


def test_packaging_still_opens_its_zip_by_the_name_zipfile():
    assert "ZipFile" in xlsxwriter.Workbook._store_workbook.__code__.co_names


def _spec(rows: int) -> WorkbookSpec:
    return WorkbookSpec([Sheet("Lines", columns=[Column("Part", 12, Style(num_format="@"))],
                               rows=[[f"{n:06d}", n * 1.5, "Hex bolt M8 x 40, zinc plated"] for n in range(rows)])])


@pytest.mark.parametrize("rows", [10, SMALL_WORKBOOK_ROWS + 1])
def test_a_workbook_is_zipped_at_level_one_without_replacing_xlsxwriters_zipfile(tmp_path, rows):
    path = render_xlsx(_spec(rows), tmp_path / "book.xlsx")
    assert xlsxwriter.workbook.ZipFile is zipfile.ZipFile  # nothing replaced process-wide
    with zipfile.ZipFile(path) as book:
        sheet = book.getinfo("xl/worksheets/sheet1.xml")
        data = book.read(sheet)
    deflate = zlib.compressobj(internals.ZIP_LEVEL, zlib.DEFLATED, -15)
    level_one = len(deflate.compress(data) + deflate.flush())
    assert sheet.compress_size == level_one  # parts from temp files, and parts kept in memory alike


def test_no_other_module_names_an_xlsxwriter_private():
    private = {name for _, name, _ in internals.PRIVATE_METHODS}
    for path in (ROOT / "cyclekit").rglob("*.py"):
        if path.name == "xlsxwriter_internals.py":
            continue
        tree = ast.parse(path.read_text())
        named = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
        named |= {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
        assert not named & private, (path, named & private)
        assigned = [t.attr for node in ast.walk(tree) if isinstance(node, ast.Assign)
                    for t in node.targets if isinstance(t, ast.Attribute)]
        assert "in_memory" not in assigned, path  # an option given at construction, never set after
        assert "ZipFile" not in assigned, path  # no module global of xlsxwriter replaced


def test_a_failed_write_closes_its_zip_quietly(tmp_path):
    book = internals.FastZipWorkbook(str(tmp_path / "missing" / "book.xlsx"))
    book.add_worksheet("A").write(0, 0, "x")
    with pytest.raises(xlsxwriter.exceptions.FileCreateError):
        book.close()


@pytest.mark.parametrize("again", [False, True])  # the second time, the parts shared come from memory
def test_a_small_workbook_is_zipped_byte_for_byte_as_zipfile_zips_it(tmp_path, again):
    import io

    path = render_xlsx(_spec(10), tmp_path / "first.xlsx")
    if again:
        path = render_xlsx(_spec(12), tmp_path / "second.xlsx")
    expected = io.BytesIO()
    with zipfile.ZipFile(path) as book, zipfile.ZipFile(expected, "w", zipfile.ZIP_DEFLATED,
                                                       compresslevel=internals.ZIP_LEVEL) as out:
        assert book.testzip() is None
        for part in book.infolist():  # as xlsxwriter's in_memory path writes each part (at level 1)
            info = zipfile.ZipInfo(part.filename, (1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(info, book.read(part), compresslevel=internals.ZIP_LEVEL)
    assert path.read_bytes() == expected.getvalue()


def test_a_packager_has_the_attributes_the_styles_memory_reads(tmp_path):
    book = internals.FastZipWorkbook(str(tmp_path / "a.xlsx"), {"in_memory": True})
    packager = book._get_packager()
    packager._add_workbook(book)
    packager._set_in_memory(True)
    assert all(hasattr(packager, name) for name in internals.PACKAGER_ATTRIBUTES)


def _styled(order: list[Style], conditional: bool = False) -> WorkbookSpec:
    from cyclekit.backends.spec import Cell, ConditionalFormat, Range

    sheet = Sheet("S", columns=[Column("A", 10, order[0])], rows=[[Cell("x", style) for style in order]])
    if conditional:
        sheet.conditional_formats.append(ConditionalFormat(Range(0, 0, 0, 0), "=A1>0", Style(bg_color="#FFC7CE")))
    return WorkbookSpec([sheet])


def test_a_styles_part_from_memory_is_the_one_the_workbook_would_make(tmp_path, monkeypatch):
    bold, money, fill = Style(bold=True), Style(num_format="0.00"), Style(bg_color="#FFF2CC", locked=False)
    specs = [_styled([bold, money]), _styled([money, bold]), _styled([bold, money, fill]), _styled([bold, money]),
             _styled([bold, money], conditional=True), _styled([money, bold])]

    def styles(n: int, spec: WorkbookSpec) -> bytes:
        with zipfile.ZipFile(render_xlsx(spec, tmp_path / f"{n}.xlsx")) as book:
            return book.read("xl/styles.xml")

    kept = [styles(n, spec) for n, spec in enumerate(specs)]  # later ones may come from memory
    fresh = []
    for n, spec in enumerate(specs):
        monkeypatch.setattr(internals, "_STYLES", {})
        fresh.append(styles(n, spec))
    assert kept == fresh
    assert len(set(fresh)) == 4  # the orders and the conditional format give different parts


def test_a_styles_part_from_memory_tells_a_size_of_9_from_9_0(tmp_path):
    # equal Styles, but xlsxwriter writes sz val="9" for one and "9.0" for the other
    def styles(n: int, size: float) -> bytes:
        with zipfile.ZipFile(render_xlsx(_styled([Style(font_size=size)]), tmp_path / f"{n}.xlsx")) as book:
            return book.read("xl/styles.xml")

    whole, decimal = styles(0, 9), styles(1, 9.0)
    assert b'sz val="9"' in whole and b'sz val="9.0"' in decimal


def _validated(first: int, minimum: float | None) -> WorkbookSpec:
    from cyclekit.backends.spec import Range, Validation

    rules = [
        Validation(Range(first, 1, first + 40, 1), "decimal", minimum=minimum, input_title="Counted qty",
                   input_message="Type the count <here> & check: 000812, 1E5, =SUM(A1)", error_message="Ø négatif"),
        Validation(Range(first, 2, first + 40, 2), "whole", minimum=0.0, error_title="A very long title for an error "
                   "that runs past 32 characters", error_message="x" * 300),
        Validation(Range(first, 3, first + 40, 3), "list", choices=("EA", "BOX", "1E5", "000812", "\x07bell")),
        Validation(Range(first, 4, first + 40, 4), "list", source="=Lists!$A$2:$A$20"),
        Validation(Range(first, 5, first, 5), "date", input_message="a date\nafter 1900"),
        Validation(Range(first, 6, first, 6), "list", choices=tuple(f"choice {n}" for n in range(40))),  # refused
    ]
    sheet = Sheet("S", columns=[Column("A", 10)], rows=[["x"]] * 50, validations=rules)
    return WorkbookSpec([sheet])


def test_a_validation_met_before_is_written_as_xlsxwriter_writes_it(tmp_path, monkeypatch):
    specs = [_validated(1, 0), _validated(1, 0.0), _validated(2, 0), _validated(1, 0), _validated(1, None),
             _validated(1, 2.5), _validated(1, 0.0)]

    def sheets(tag: str) -> list[bytes]:
        got = []
        for n, spec in enumerate(specs):
            with pytest.warns(UserWarning), zipfile.ZipFile(render_xlsx(spec, tmp_path / f"{tag}{n}.xlsx")) as book:
                got.append(book.read("xl/worksheets/sheet1.xml"))
        return got

    kept = sheets("kept")  # later ones from memory
    monkeypatch.setattr(internals.StreamedRowsWorksheet, "add_validation",
                        lambda ws, key, cells, options: ws.data_validation(*cells, options()))
    assert kept == sheets("plain")
    assert b"<dataValidations count=\"5\">" in kept[0]


def test_a_format_made_before_is_the_format_xlsxwriter_makes(tmp_path, monkeypatch):
    from cyclekit.backends.spec import ConditionalFormat, Range

    styles = [Style(bold=True), Style(num_format="0.00", font_size=9), Style(font_size=9.0, italic=True),
              Style(bg_color="#FFF2CC", locked=False, wrap=True, border=True), Style(align="center", indent=2),
              Style(num_format="@", font_color="#9C0006", valign="top")]
    specs = [_styled(styles), _styled(styles[::-1]), _styled(styles[2:], conditional=True), _styled(styles),
             _styled([Style(font_size=9.0)]), _styled([Style(font_size=9)])]  # equal, but 9 is written "9"
    specs[2].sheets[0].conditional_formats.append(ConditionalFormat(Range(0, 1, 0, 1), "=B1<0", Style(bold=True)))

    def parts(tag: str) -> list[dict[str, bytes]]:
        got = []
        for n, spec in enumerate(specs):
            with zipfile.ZipFile(render_xlsx(spec, tmp_path / f"{tag}{n}.xlsx")) as book:
                got.append({name: book.read(name) for name in book.namelist() if name != "docProps/core.xml"})
        return got

    kept = parts("kept")  # later ones copied from formats made before
    monkeypatch.setattr(internals.FastZipWorkbook, "add_format_once", xlsxwriter.Workbook.add_format)
    internals._STYLES.clear()
    assert kept == parts("plain")


def test_a_workbook_and_a_format_have_the_attributes_add_format_once_uses(tmp_path):
    book = internals.FastZipWorkbook(str(tmp_path / "a.xlsx"), {"in_memory": True})
    assert all(hasattr(book, name) for name in internals.WORKBOOK_ATTRIBUTES)
    fmt = book.add_format({"bold": True})
    assert all(hasattr(fmt, name) for name in internals.FORMAT_ATTRIBUTES)
    copy = book.add_format_once({"bold": True})
    assert copy.xf_format_indices is book.xf_format_indices and book.formats[-1] is copy
    assert internals.xf_index(copy) == internals.xf_index(fmt)  # the same format: the same style number
