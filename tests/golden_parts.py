"""Golden-file comparison of xlsx workbooks, part by part, in the manner of XlsxWriter's own tests
(xlsxwriter/test/helperfunctions.py, `_compare_xlsx_files`).

A workbook is a zip of XML parts. Each part is read, stripped of what changes from run to run
(the dates in docProps/core.xml, the version that wrote it), and split one element per line, so a
reference committed under tests/golden/workbooks/ reads as text and a layout change shows as a
line-by-line diff in review.
"""

from __future__ import annotations

import difflib
import re
import zipfile
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden" / "workbooks"

# what differs between two runs over the same data, replaced by a fixed token
_VOLATILE: list[tuple[str, re.Pattern[str], str]] = [
    ("docProps/core.xml", re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"), "<date>"),
    ("", re.compile(r"cyclekit \d+\.\d+[0-9A-Za-z.+-]*"), "cyclekit <version>"),  # Settings: Written by
]


def normalized(name: str, data: bytes, folder: str = "") -> str:
    """A part as text: volatile values replaced, one XML element per line (a diff shows the cell).
    folder: where the run wrote its files (a file named in a problem), replaced by `<folder>`."""
    text = data.decode("utf-8").replace("\r", "")
    if folder:
        text = text.replace(folder, "<folder>")
    for part, pattern, token in _VOLATILE:
        if not part or part == name:
            text = pattern.sub(token, text)
    return re.sub(r">\s*<", ">\n<", text.strip()) + "\n"


def workbook_parts(xlsx: Path, folder: Path | None = None) -> dict[str, str]:
    """Every part of the workbook by its name in the zip, normalized (see `normalized`)."""
    with zipfile.ZipFile(xlsx) as book:
        return {name: normalized(name, book.read(name), str(folder or "")) for name in sorted(book.namelist())
                if not name.endswith("/")}


def golden_parts(folder: Path) -> dict[str, str]:
    """The reference parts written by `write_golden`, by part name."""
    return {path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8")
            for path in sorted(folder.rglob("*")) if path.is_file()}


def differing_parts(got: dict[str, str], expected: dict[str, str]) -> list[str]:
    """The names of the parts missing, added or changed, in order."""
    return [name for name in sorted(set(got) | set(expected)) if got.get(name) != expected.get(name)]


def describe(got: dict[str, str], expected: dict[str, str], limit: int = 60) -> str:
    """A unified diff of each differing part (expected first), cut after `limit` lines each."""
    out = []
    for name in differing_parts(got, expected):
        diff = list(difflib.unified_diff(expected.get(name, "").splitlines(), got.get(name, "").splitlines(),
                                         f"golden/{name}", f"generated/{name}", lineterm="", n=2))
        out += diff[:limit] + ([f"... {len(diff) - limit} more diff lines"] if len(diff) > limit else [])
    return "\n".join(out)


def write_golden(folder: Path, parts: dict[str, str]) -> None:
    """Replace the reference parts in `folder` with `parts` (parts no longer written are removed)."""
    if folder.exists():
        for path in sorted(folder.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
    for name, text in parts.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", newline="\n")
