"""Root causes of a discrepancy, in the words of the two source procedures.

ION's SOP lists causes by direction ("digital > physical": the system holds more than the
shelf; "digital < physical": the shelf holds more). Foreman's table applies either way.
"""

from __future__ import annotations

SYSTEM_HIGHER = "Digital > physical"  # counted less than the system holds
SYSTEM_LOWER = "Digital < physical"  # counted more than the system holds

ION_SYSTEM_HIGHER = (
    "Parts not consumed onto aBOM",
    "Part status incorrect (installed, on_order, unavailable)",
    "Parts scanned to location accidentally",
    "Parts not moved correctly",
)
ION_SYSTEM_LOWER = (
    "Parts not put into kits correctly",
    "Parts in a status that makes them unavailable",
    "Parts moved physically but not digitally",
)
FOREMAN_EITHER_WAY = (
    "Recent ticket activity not yet logged",
    "Inventory moved, location not updated",
    "Data entry error during upload",
    "Miscounted during cycle count",
)
FOREMAN_SYSTEM_HIGHER = (
    "Theft or loss",
    "Items used but not assigned to tickets",
)
OTHER = "Other"

ROOT_CAUSES = ION_SYSTEM_HIGHER + ION_SYSTEM_LOWER + FOREMAN_EITHER_WAY + FOREMAN_SYSTEM_HIGHER + (OTHER,)

FIXES = {
    SYSTEM_HIGHER: "Consume higher-level assemblies; move MRB parts to the right location; "
                   "last resort: move the extra to a cycle count discrepancy location",
    SYSTEM_LOWER: "Find the parts at MRB locations and move them lineside; return excess to inventory",
}


def direction(variance_sign: int) -> str:
    return SYSTEM_HIGHER if variance_sign < 0 else SYSTEM_LOWER


def suggested_causes(variance_sign: int) -> tuple[str, ...]:
    if variance_sign < 0:
        return ION_SYSTEM_HIGHER + FOREMAN_SYSTEM_HIGHER + FOREMAN_EITHER_WAY
    return ION_SYSTEM_LOWER + FOREMAN_EITHER_WAY
