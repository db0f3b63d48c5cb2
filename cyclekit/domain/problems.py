"""The catalogue of problem kinds: every `Problem.kind` cyclekit reports, in one enum.

A kind is what a program reading `--json` output (or the Problems tab) matches on, so each
one is named once here. The enum is a StrEnum: a kind prints, compares and is written to
JSON exactly as its text ("bad-date"), so reports and workbooks read as before, and a kind
typed back from a workbook (a str) still finds its problem. `Problem` turns a known text
into its member and refuses any other: a new kind is added here first.
"""

from __future__ import annotations

from enum import StrEnum


class ProblemKind(StrEnum):
    # the inventory export and the locations file
    MISSING_COLUMN = "missing-column"
    DUPLICATE_COLUMN = "duplicate-column"
    UNKNOWN_STATUS = "unknown-status"
    EMPTY_LOCATION = "empty-location"
    EMPTY_PART_NUMBER = "empty-part-number"
    CONTROL_CHARACTER = "control-character"
    MIXED_DECIMAL_SEPARATORS = "mixed-decimal-separators"
    DECIMAL_SEPARATOR_UNKNOWN = "decimal-separator-unknown"
    BAD_QUANTITY = "bad-quantity"
    BAD_UNIT_COST = "bad-unit-cost"
    DUPLICATE_LINE = "duplicate-line"
    DUPLICATE_LOCATION = "duplicate-location"
    LOCATION_SPELLING = "location-spelling"
    BAD_CONSUMPTION = "bad-consumption"
    BAD_CADENCE = "bad-cadence"
    BAD_EMAIL = "bad-email"
    FUTURE_DATE = "future-date"
    # any file or workbook read
    FILE = "file"
    MISSING_TAB = "missing-tab"
    ROW_TOO_LONG = "row-too-long"
    FIELD_TOO_LONG = "field-too-long"
    # the schedule workbook
    EMPTY = "empty"
    BAD_VALUE = "bad-value"
    BAD_HISTORY = "bad-history"
    # filled count and recount sheets
    NOT_A_COUNT_SHEET = "not-a-count-sheet"
    OTHER_CYCLE = "other-cycle"
    UNKNOWN_SHEET = "unknown-sheet"
    DUPLICATE_SHEET = "duplicate-sheet"
    SOURCE_GONE = "source-gone"
    ALTERED_SHEET = "altered-sheet"
    ALTERED_LINE = "altered-line"
    INSERTED_ROW = "inserted-row"
    UNEXPECTED_CELL = "unexpected-cell"
    BAD_COUNT = "bad-count"
    AMBIGUOUS_COUNT = "ambiguous-count"
    FRACTION_OF_WHOLE_UNIT = "fraction-of-whole-unit"
    FORMULA_WITHOUT_VALUE = "formula-without-value"
    BAD_CONFIRMATION = "bad-confirmation"
    CONFLICT = "conflict"
    FOUND_WITHOUT_PART = "found-without-part"
    FOUND_WITHOUT_QUANTITY = "found-without-quantity"
    FOUND_IS_LISTED = "found-is-listed"
    NOT_SIGNED = "not-signed"
    # the movements export (--movements) and when each sheet was counted
    BAD_MOVEMENT = "bad-movement"
    BAD_COUNT_TIME = "bad-count-time"
    # review: what finance typed in the results workbook, and what stops finalize
    BAD_DATE = "bad-date"
    BAD_STATUS = "bad-status"
    BAD_DECISION = "bad-decision"  # a Transfers Decision that is neither Accept nor Reject
    NEEDS_APPROVAL = "needs-approval"
    UNRESOLVED_PROBLEM = "unresolved-problem"
    NOT_RETURNED = "not-returned"
    # [approvals]: authority enforced at finalize
    NOT_ALLOWED_TO_APPROVE = "not-allowed-to-approve"
    NO_ROOT_CAUSE = "no-root-cause"
    SAME_COUNTER = "same-counter"
    APPROVED_OWN_COUNT = "approved-own-count"
    BLOCKS_FINALIZE = "blocks-finalize"
    # verify: the cycle's records against their checksums
    CHANGED = "changed"
    MISSING = "missing"
    NOT_CHECKED = "not-checked"
    UPDATED = "updated"
    # verify: the manifest's seal (folder.seal)
    TAMPERED = "tampered"
    OTHER_KEY = "other-key"
    NO_KEY = "no-key"
    UNSIGNED = "unsigned"
    # mail: a reply (.eml) given to ingest, a message send or remind could not send
    MAIL_REPLY = "mail-reply"
    NOT_SENT = "not-sent"
    # an ERP's own export given to finalize (Odoo's quants): a row a count cannot be put on surely
    AMBIGUOUS_ERP_LINE = "ambiguous-erp-line"
    # the command line itself (--json output of an error)
    ERROR = "error"
    USAGE = "usage"


def problem_kind(text: str) -> ProblemKind:
    """The kind named `text`; a text not in the catalogue is a programming error, said plainly."""
    try:
        return ProblemKind(text)
    except ValueError:
        raise ValueError(f"unknown problem kind {text!r}: add it to cyclekit.domain.problems.ProblemKind") from None
