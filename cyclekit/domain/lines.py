"""One inventory line's identity: its Line ID (where it was counted) and its key (what it is).

A line takes a different record at each step of the pipeline, because each step knows
something the one before did not; none of them is a copy of another:

    InventoryLine   (inputs.inventory)   a row of the ERP export: location, part, quantity, cost
    SnapshotLine    (folder.cycle)       an InventoryLine frozen into the cycle, numbered on its
                                         location's sheet (snapshot.csv); its Line ID is "LOC/3"
    SheetLine       (layouts.count_sheet) what a count sheet prints for it: no location (the
                                         sheet's), no cost, the system quantity only when shown
    Entry           (layouts.count_sheet) a filled row as read back: raw cell values and where
                                         they sit, for problems naming the cell; found items too
    CountedLine     (domain.variance)    the snapshot line joined with its count(s): variance,
                                         who counted, recounts; found items ("LOC/F1") join here
    Adjustment      (layouts.adjustments) a counted line with a variance as the ERP import's texts

The Line ID ties them together and is the one spelling people see in the results workbook
(Discrepancies, Problems), the import files and counts.json:

    LOC/3          the third listed line of location LOC
    LOC/F1         the first item found on LOC's count sheet (not in the system)
    LOC/F1-R001    an item found on recount sheet R001 (it has no first count)

The location is everything before the last "/" (a location may hold "/" itself; a label
never does). LineId parses and formats it; nothing else splits a Line ID.
LineKey is what tells two lines of one location apart on the shelf (a part kept in one bin
by the box and by the piece is two lines).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

FOUND_PREFIX = "F"  # a found item's label on the sheet: F1, F2, ...
_LABEL = re.compile(rf"(?:[0-9]+|{FOUND_PREFIX}[0-9]+)\Z", re.ASCII)  # "²" is a digit to Python, not to int()
_TAIL = re.compile(rf"(?P<label>[0-9]+|{FOUND_PREFIX}[0-9]+)(?:-(?P<sheet>.+))?\Z", re.ASCII | re.DOTALL)


@dataclass(frozen=True, slots=True)
class LineId:
    location: str  # exactly as in the export: end spaces are part of it
    label: str  # "3" for a listed line, "F1" for a found item, as written on the sheet
    recount_sheet: str = ""  # a found item first written on this recount sheet (it has no first count)

    @classmethod
    def of(cls, location: str, label: str, recount_sheet: str = "") -> LineId:
        """A Line ID from its parts; ValueError for a label that is no line's."""
        if not _LABEL.match(label) or (recount_sheet and not label.startswith(FOUND_PREFIX)):
            raise ValueError(f"{label!r} is not the label of a line on a count sheet")
        return cls(location, label, recount_sheet)

    @classmethod
    def listed(cls, location: str, line_no: int) -> LineId:
        return cls(location, str(line_no))

    @classmethod
    def parse(cls, text: str) -> LineId:
        """'LOC/3', 'LOC/F1' or 'LOC/F1-R001'; ValueError for anything else."""
        location, slash, tail = text.rpartition("/")
        match = _TAIL.match(tail)
        if not slash or match is None or (match["sheet"] and not match["label"].startswith(FOUND_PREFIX)):
            raise ValueError(f"{text!r} is not a Line ID (LOCATION/3, LOCATION/F1 or LOCATION/F1-R001)")
        return cls(location, match["label"], match["sheet"] or "")

    def __str__(self) -> str:
        return f"{self.location}/{self.label}" + (f"-{self.recount_sheet}" if self.recount_sheet else "")

    @property
    def found(self) -> bool:
        """An item found on the shelf, not in the system."""
        return self.label.startswith(FOUND_PREFIX)

    @property
    def number(self) -> int:
        """The line's number (3), or the found item's (1 for F1)."""
        return int(self.label.removeprefix(FOUND_PREFIX))

    @property
    def on_count_sheet(self) -> bool:
        """Written on the location's count sheet (not found by a recount)."""
        return not self.recount_sheet

    @property
    def sheet_line_number(self) -> int | None:
        """The line's number on its count sheet, as recount sheets record it: the line number,
        or -k for the found item Fk; None for an item found on a recount sheet."""
        if not self.found:
            return self.number
        return None if self.recount_sheet else -self.number


def sheet_label(number: int) -> str:
    """The label a sheet prints for a number recorded as sheet_line_number gives it: 3 or F1 (-1)."""
    return str(number) if number > 0 else f"{FOUND_PREFIX}{-number}"


def unit_key(uom: str) -> str:
    return uom.strip().casefold()  # 'EA' and 'ea' are one unit


class LineKey(NamedTuple):
    """What a line is, on the shelf: two lines of an export with one key are one line counted twice.
    A tuple, so keys built in bulk from columns (in this order) compare equal to it."""

    location: str
    part_number: str
    revision: str
    lot: str
    serial: str
    uom: str  # as unit_key gives it: 'EA' and 'ea' are one unit

    @classmethod
    def of(cls, location: str, part_number: str, revision: str, lot: str, serial: str, uom: str) -> LineKey:
        return cls(location, part_number, revision, lot, serial, unit_key(uom))
