"""The floor of a stage: only the work no implementation can avoid, as a fresh process.

A yardstick for ``run.py``: cyclekit's time divided by this says how much of it is more than
reading the inputs and writing the same number of cells. No validation, no styling, no
formulas, no layout: values only.

``shape``   (not timed) counts the cells cyclekit wrote, per workbook, per sheet, per row, by
    reading the worksheet XML of each output file; saved as JSON for the timed commands.
``sheets``  reads the schedule workbook with python-calamine and the inventory with the csv
    module, then writes the same workbooks, sheets, rows and cells as cyclekit's count sheets.
``ingest``  reads every filled sheet with python-calamine (every value of every sheet) and the
    frozen snapshot.csv with the csv module, then writes the same cells as cyclekit's results
    workbook and recount sheets.
``schedule`` reads inventory.csv and locations.csv with the csv module, then writes the same cells
    as cyclekit's schedule workbook.
``finalize`` reads the reviewed results workbook and the schedule with python-calamine, then
    writes the same cells as the updated schedule and the same rows and columns as the
    adjustment files (CSV).

Every timed command reads each input by its suffix (``.csv`` with the csv module, ``.xlsx``
with python-calamine) and writes every output of the shape.

Writers (``--writer``): ``raw`` (default) zips hand-written worksheet XML with inline strings
(the least work an xlsx can be); ``xlsxwriter`` uses xlsxwriter in constant_memory mode with no
formats, validation or protection. The values: every third cell a number, the others a short
text (cyclekit writes mostly text, numbers and formulas).

    python benchmarks/floor.py shape SHAPE.json OUTPUT.xlsx...
    python benchmarks/floor.py sheets SHAPE.json OUT_DIR SCHEDULE.xlsx INVENTORY.csv
    python benchmarks/floor.py ingest SHAPE.json OUT_DIR SNAPSHOT.csv FILLED.xlsx...
    python benchmarks/floor.py schedule SHAPE.json OUT_DIR INVENTORY.csv LOCATIONS.csv
    python benchmarks/floor.py finalize SHAPE.json OUT_DIR RESULTS.xlsx SCHEDULE.xlsx
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import zipfile
from pathlib import Path

_ROW = re.compile(rb"<row [^>]*?r=\"(\d+)\"[^>]*?(?:/>|>(.*?)</row>)", re.S)
_CELL = re.compile(rb"<c[ >]")

# ---- shape of the outputs (not timed) ----------------------------------------------------------


def _sheet_shape(xml: bytes) -> list[list[int]]:
    """[[row number, cells], ...] for the rows that hold cells."""
    rows = []
    for match in _ROW.finditer(xml):
        cells = len(_CELL.findall(match.group(2) or b""))
        if cells:
            rows.append([int(match.group(1)), cells])
    return rows


def _csv_shape(path: Path) -> list[int]:
    """[rows, columns of the widest row] of a CSV output."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    return [len(rows), max((len(r) for r in rows), default=0)]


def shape(paths: list[Path]) -> dict:
    books: list[dict] = []
    for path in paths:
        if path.suffix.lower() == ".csv":
            books.append({"file": path.name, "csv": _csv_shape(path)})
            continue
        with zipfile.ZipFile(path) as book:
            names = sorted((n for n in book.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)),
                           key=lambda n: int(re.search(r"\d+", n.rsplit("/", 1)[1]).group()))
            books.append({"file": path.name, "sheets": [_sheet_shape(book.read(n)) for n in names]})
    cells = sum(c for b in books for s in b.get("sheets", []) for _, c in s)
    cells += sum(b["csv"][0] * b["csv"][1] for b in books if "csv" in b)
    return {"books": books, "cells": cells}


# ---- the writers (timed) -----------------------------------------------------------------------

_CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                  '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                  '<Default Extension="xml" ContentType="application/xml"/>'
                  '<Override PartName="/xl/workbook.xml" '
                  'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                  '{sheets}</Types>')
_SHEET_TYPE = ('<Override PartName="/xl/worksheets/sheet{n}.xml" '
               'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
_ROOT_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
              '<Relationship Id="rId1" '
              'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
              'Target="xl/workbook.xml"/></Relationships>')
_NS = ('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
_WS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"


def _col(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _raw_sheet(rows: list[list[int]], cols: list[str]) -> str:
    parts = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n', f"<worksheet {_NS}><sheetData>"]
    for r, cells in rows:
        cell = []
        for c in range(cells):
            ref = f"{cols[c]}{r}"
            if c % 3 == 0:
                cell.append(f'<c r="{ref}"><v>{r * 1.5}</v></c>')
            else:
                cell.append(f'<c r="{ref}" t="inlineStr"><is><t>text {r} {c}</t></is></c>')
        parts.append(f'<row r="{r}">{"".join(cell)}</row>')
    parts.append("</sheetData></worksheet>")
    return "".join(parts)


def write_raw(path: Path, sheets: list[list[list[int]]]) -> None:
    cols = [_col(i) for i in range(max((c for s in sheets for _, c in s), default=0))]
    n = range(1, len(sheets) + 1)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES.format(sheets="".join(_SHEET_TYPE.format(n=i) for i in n)))
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook {_NS}>'
                      "<sheets>" + "".join(f'<sheet name="S{i}" sheetId="{i}" r:id="rId{i}"/>' for i in n)
                      + "</sheets></workbook>")
        book.writestr("xl/_rels/workbook.xml.rels",
                      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
                      'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                      + "".join(f'<Relationship Id="rId{i}" Type="{_WS_REL}" Target="worksheets/sheet{i}.xml"/>'
                                for i in n) + "</Relationships>")
        for i, rows in zip(n, sheets):
            book.writestr(f"xl/worksheets/sheet{i}.xml", _raw_sheet(rows, cols))


def write_xlsxwriter(path: Path, sheets: list[list[list[int]]]) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                          "strings_to_formulas": False, "strings_to_urls": False})
    for i, rows in enumerate(sheets, 1):
        sheet = book.add_worksheet(f"S{i}")
        for r, cells in rows:
            for c in range(cells):
                if c % 3 == 0:
                    sheet.write_number(r - 1, c, r * 1.5)
                else:
                    sheet.write_string(r - 1, c, f"text {r} {c}")
    book.close()


def write_csv(path: Path, rows: int, columns: int) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerows([f"text {r} {c}" if c % 3 else r * 1.5 for c in range(columns)] for r in range(rows))


def write_shape(spec: dict, out: Path, writer: str) -> int:
    out.mkdir(parents=True, exist_ok=True)
    write = write_raw if writer == "raw" else write_xlsxwriter
    for book in spec["books"]:
        if "csv" in book:
            write_csv(out / book["file"], *book["csv"])
        else:
            write(out / book["file"], book["sheets"])
    return spec["cells"]


# ---- reading (timed) ---------------------------------------------------------------------------


def read_csv(path: Path) -> int:
    with open(path, encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.reader(handle))


def read_books(paths: list[Path]) -> int:
    from python_calamine import CalamineWorkbook

    cells = 0
    for path in paths:
        book = CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            cells += sum(len(row) for row in book.get_sheet_by_name(name).to_python(skip_empty_area=False))
    return cells


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["shape", "sheets", "ingest", "schedule", "finalize"])
    parser.add_argument("shape_file", type=Path)
    parser.add_argument("paths", type=Path, nargs="*")
    parser.add_argument("--writer", choices=["raw", "xlsxwriter"], default="raw")
    args = parser.parse_args(argv)
    if args.command == "shape":
        args.shape_file.write_text(json.dumps(shape(args.paths)), encoding="utf-8")
        return 0
    spec = json.loads(args.shape_file.read_text(encoding="utf-8"))
    out, inputs = args.paths[0], args.paths[1:]
    read = sum(read_csv(p) for p in inputs if p.suffix.lower() == ".csv")
    read += read_books([p for p in inputs if p.suffix.lower() != ".csv"])
    written = write_shape(spec, out, args.writer)
    print(f"read {read:,} cells/lines, wrote {written:,} cells into {len(spec['books'])} workbooks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
