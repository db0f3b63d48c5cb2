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


# Foreman's table: each cause with how to verify it and its resolution, in its words
FOREMAN_TABLE = {
    "Recent ticket activity not yet logged": (
        "Check open tickets for items assigned but not closed",
        "Wait for ticket resolution or manually update inventory based on actual usage"),
    "Inventory moved, location not updated": (
        "Search for the item in other offline locations",
        "Update the location; educate the team on proper inventory transfer procedures"),
    "Data entry error during upload": (
        "Review upload history and original CSV",
        "Correct the quantity to match physical reality; investigate where the original data came from"),
    "Miscounted during cycle count": (
        "Have a second team member recount the items",
        "If the recount matches the system, update training on counting procedures"),
    "Theft or loss": (
        "Review physical security logs and access records",
        "Document the loss; adjust inventory and implement tighter controls if needed"),
    "Items used but not assigned to tickets": (
        "Interview technicians about recent repairs",
        "Create retroactive tickets to document usage; emphasize ticket workflow compliance"),
}
# ION's causes carry its fix by direction; how to check each is said in the cause's own terms
ION_VERIFY = {
    "Parts not consumed onto aBOM": "Check the open assemblies (aBOMs) for parts issued but not consumed",
    "Part status incorrect (installed, on_order, unavailable)": "Check the part's status against the shelf",
    "Parts scanned to location accidentally": "Review the location's recent scans and moves",
    "Parts not moved correctly": "Search the MRB and nearby locations for the parts",
    "Parts not put into kits correctly": "Check the kits built from the location against their lists",
    "Parts in a status that makes them unavailable": "Check the part's status (unavailable, installed, on order)",
    "Parts moved physically but not digitally": "Review the transfers recorded against the parts moved",
}
CAUSE_DETAILS: dict[str, tuple[str, str]] = {  # cause -> (suggested fix, how to verify)
    **{cause: (FIXES[SYSTEM_HIGHER], ION_VERIFY[cause]) for cause in ION_SYSTEM_HIGHER},
    **{cause: (FIXES[SYSTEM_LOWER], ION_VERIFY[cause]) for cause in ION_SYSTEM_LOWER},
    **{cause: (fix, verify) for cause, (verify, fix) in FOREMAN_TABLE.items()},
    OTHER: ("Describe the cause and what was done in Resolution", "Say in Resolution how the cause was found"),
}


def fix_and_verify(cause: str) -> tuple[str, str]:
    """The suggested fix and how to verify a cause, as the lookup in the results finds it (a
    spreadsheet's MATCH: case aside); ("", "") for a cause not in the list."""
    key = cause.strip().casefold()
    return next((details for name, details in CAUSE_DETAILS.items() if name.casefold() == key), ("", ""))


def direction(variance_sign: int) -> str:
    return SYSTEM_HIGHER if variance_sign < 0 else SYSTEM_LOWER


def suggested_causes(variance_sign: int) -> tuple[str, ...]:
    if variance_sign < 0:
        return ION_SYSTEM_HIGHER + FOREMAN_SYSTEM_HIGHER + FOREMAN_EITHER_WAY
    return ION_SYSTEM_LOWER + FOREMAN_EITHER_WAY
