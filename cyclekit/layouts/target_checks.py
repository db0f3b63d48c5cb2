"""What each shipped ERP import file can carry, and the lines it cannot: refused or warned at
finalize, naming the lines, never dropped without a word.

One table (CARRIES) says, per shipped target, whether its file carries a line's lot, its serial
and its unit of measure; a file without a unit column has its quantities read in the ERP's stock
unit, which cyclekit cannot see. Then a few rules read in each importer's source or documentation
(see each template's comment) that the table cannot say.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cyclekit.domain.variance import CountedLine
from cyclekit.errors import some_of


@dataclass(frozen=True)
class Carries:
    lot: bool | str  # True, False, or the setting that must be given for the file to carry it
    serial: bool | str
    unit: bool
    how: str = ""  # what to do for the lines the file leaves without their lot or serial
    # the file sets the quantity of what a row names: a row without its lot or serial would set the
    # part's whole quantity in the location to one lot's count, so such a line is refused, not warned
    sets_quantity: bool = False


CARRIES: dict[str, Carries] = {
    "generic": Carries(lot=True, serial=False, unit=True,
                       how="the generic file has no serial column: post their serials by hand"),
    "netsuite": Carries(lot=True, serial=True, unit=False),  # Serial/Lot Numbers; no Units column
    "odoo": Carries(lot=True, serial=True, unit=False),  # lot_id holds both; the product's unit
    "erpnext": Carries(lot=True, serial=True, unit=False),  # batch_no, serial_no; the stock UOM
    "business-central": Carries(lot=False, serial=False, unit=True,
                                how="enter their Item Tracking Lines in the Phys. Inventory Journal before "
                                    "posting"),
    "fishbowl": Carries(lot="lot_tracking", serial="serial_tracking", unit=True,
                        how="set lot_tracking / serial_tracking in [adjustments.fishbowl] to the tracking "
                            "names defined in Fishbowl", sets_quantity=True),
}


@dataclass
class Findings:
    refusals: list[str] = field(default_factory=list)  # finalize writes nothing while one is left
    warnings: list[str] = field(default_factory=list)


def _carried(capability: bool | str, settings: Mapping[str, Any]) -> bool:
    return capability if isinstance(capability, bool) else bool(str(settings.get(capability, "")).strip())


def _posted(lines: list[CountedLine]) -> list[CountedLine]:
    return [line for line in lines if line.counted and line.variance_qty]


def check_target(name: str, settings: Mapping[str, Any], lines: list[CountedLine]) -> Findings:
    """The findings for a shipped target's file, from every line of the cycle (a line adjusted
    or, for the targets that need it, every counted one)."""
    found = Findings()
    carries = CARRIES.get(name)
    if carries is None:
        return found
    posted = _posted(lines)
    for what, capability in (("lot", carries.lot), ("serial", carries.serial)):
        dropped = [line.line_id for line in posted if getattr(line, what) and not _carried(capability, settings)]
        if dropped and carries.sets_quantity:
            found.refusals.append(f"{name} cannot carry the {what} of {len(dropped)} line(s) ({some_of(dropped)}): "
                                  f"each row would set the part's whole quantity in its location; {carries.how}")
        elif dropped:
            found.warnings.append(f"{name}: the file cannot carry the {what} of {len(dropped)} line(s) "
                                  f"({some_of(dropped)}); {carries.how}")
    if not carries.unit:
        found.warnings += _mixed_units(name, posted)
    rule = RULES.get(name)
    if rule is not None:
        rule(settings, lines, found)
    return found


def _mixed_units(name: str, posted: list[CountedLine]) -> list[str]:
    """A file without a unit column: the ERP reads each quantity in the part's stock unit. A part
    counted in two units here has at least one line in another unit."""
    units: dict[str, set[str]] = defaultdict(set)
    for line in posted:
        units[line.part_number].add(line.uom)
    mixed = [line.line_id for line in posted if len(units[line.part_number]) > 1]
    if not mixed:
        return []
    return [f"{name}: the file has no unit column and {len(mixed)} line(s) count one part in more than one "
            f"unit ({some_of(mixed)}); the ERP reads every quantity in the part's stock unit: convert these "
            "lines before importing"]


def _same_row(name: str, posted: list[CountedLine], key: Callable[[CountedLine], tuple[str, ...]],
              effect: str) -> list[str]:
    """Lines an absolute file writes as rows the ERP cannot tell apart (two revisions or units of
    one part in one place): never summed here, since their units may differ."""
    rows: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for line in posted:
        rows[key(line)].append(line.line_id)
    same = [line_id for ids in rows.values() if len(ids) > 1 for line_id in ids]
    if not same:
        return []
    return [f"{name}: {len(same)} line(s) become rows with the same part and place ({some_of(same)}): {effect}; "
            "post them as one line in the ERP"]


def _erpnext(settings: Mapping[str, Any], lines: list[CountedLine], found: Findings) -> None:
    """Stock Reconciliation needs a valuation rate where the warehouse holds none of the item
    ("Valuation Rate required"), and refuses a row with serial numbers and a quantity of 0."""
    no_rate = [line.line_id for line in _posted(lines) if line.system_qty == 0 and line.unit_cost is None]
    if no_rate and settings.get("post_without_cost") is True:
        found.warnings.append(f"erpnext: {len(no_rate)} line(s) found with no unit cost ({some_of(no_rate)}) are "
                              "written without a valuation rate (post_without_cost): ERPNext accepts them only "
                              "if the item has a valuation rate of its own")
    elif no_rate:
        found.refusals.append(f"erpnext needs a valuation rate for {len(no_rate)} line(s) found where the "
                              f"snapshot held none, and no cost is known ({some_of(no_rate)}): ERPNext would "
                              "stop with 'Valuation Rate required'. Give the parts a cost in the inventory export "
                              "or, if ERPNext knows their valuation rate, set post_without_cost = true in "
                              "[adjustments.erpnext]")
    groups: dict[tuple[str, str, str], list[CountedLine]] = defaultdict(list)
    for line in lines:
        if line.serial and line.counted:
            groups[(line.part_number, line.location, line.lot)].append(line)
    warehouse = str(settings.get("warehouse", "")).strip()
    found.warnings += _same_row("erpnext", [line for line in _posted(lines) if not line.serial],
                                lambda line: (line.part_number, warehouse or line.location, line.lot),
                                "ERPNext refuses the document with 'Duplicate entry'")
    emptied = [members for members in groups.values()
               if any(line.variance_qty for line in members) and not any(line.counted_qty for line in members)]
    if emptied:
        ids = [line.line_id for members in emptied for line in members]
        found.refusals.append(f"erpnext refuses a row with serial numbers and a quantity of 0: no serial of "
                              f"{len(emptied)} item(s) and location(s) was found ({some_of(ids)}); take those "
                              "serials out in ERPNext by hand, or finalize without erpnext")


def _netsuite(settings: Mapping[str, Any], lines: list[CountedLine], found: Findings) -> None:
    """With "location" set, cyclekit's locations are NetSuite bins: a bin and a lot on one line of
    this import is invalid in both bin modes, and a bin must be associated with the item."""
    if not str(settings.get("location", "")).strip():
        return
    posted = _posted(lines)
    numbered = [line.line_id for line in posted if line.lot or line.serial]
    if numbered:
        found.refusals.append(f"netsuite: {len(numbered)} line(s) have a bin and a lot or serial "
                              f"({some_of(numbered)}), which this import cannot carry (basic bins do not take "
                              "numbered items; with advanced bins, bin and lot go through the inventory detail): "
                              "post them in NetSuite by hand and finalize without netsuite, or without its "
                              "location setting")
    new = [line.line_id for line in posted if line.found or line.system_qty == 0]
    if new:
        found.warnings.append(f"netsuite: {len(new)} line(s) put stock in a bin that did not hold the item "
                              f"({some_of(new)}): NetSuite rejects the line unless the bin is associated with the "
                              "item (Item record, Bin Numbers)")


def _fishbowl(settings: Mapping[str, Any], lines: list[CountedLine], found: Findings) -> None:
    """Two points not found in Fishbowl's documentation: how a location with the separator in its
    name is split from its location group, and whether Qty may have decimals."""
    posted = _posted(lines)
    separator = str(settings.get("location_separator", "-") or "-")
    split = sorted({line.location for line in posted if separator in line.location})
    if split:
        found.warnings.append(f"fishbowl: {len(split)} location(s) contain '{separator}' ({some_of(split)}); how "
                              "Fishbowl splits <location group>-<location> is unverified: check these rows on a "
                              "test import")
    tracked = [bool(str(settings.get(key, "")).strip()) for key in ("lot_tracking", "serial_tracking")]
    found.warnings += _same_row("fishbowl", posted, lambda line: (
        line.part_number, line.location, line.lot if tracked[0] else "", line.serial if tracked[1] else ""),
        "each row sets the part's quantity there, so the last row may replace the others")
    decimals = [line.line_id for line in posted
                if line.counted_qty is not None and line.counted_qty != line.counted_qty.to_integral_value()]
    if decimals:
        found.warnings.append(f"fishbowl: {len(decimals)} line(s) count a fraction ({some_of(decimals)}); whether "
                              "Fishbowl's cycle count import takes a decimal Qty is unverified")


RULES: dict[str, Callable[[Mapping[str, Any], list[CountedLine], Findings], None]] = {
    "erpnext": _erpnext, "netsuite": _netsuite, "fishbowl": _fishbowl}
