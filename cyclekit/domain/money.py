"""Money: one rounding rule everywhere, half-up to cents (Decimal ROUND_HALF_UP).

ROUND_HALF_UP rounds a half away from zero (0.125 -> 0.13, -0.125 -> -0.13), which is what
Excel's, LibreOffice's and Google Sheets' ROUND do: a value written with a formula shows the
same cents as the Python side computed. A unit cost is a price, not an amount: it is never
rounded (an ERP multiplies it again), only shown with at least two decimals.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal
from typing import overload

from cyclekit.domain.values import format_decimal

CENT = Decimal("0.01")
DECIMALS = 2  # the ROUND(...,2) of the formulas that compute amounts
_WIDE = Context(prec=60)


@overload
def cents(amount: Decimal) -> Decimal: ...


@overload
def cents(amount: Decimal | None) -> Decimal | None: ...


def cents(amount: Decimal | None) -> Decimal | None:
    """An amount rounded half-up to cents (None stays None: not valued)."""
    if amount is None:
        return None
    # a context wide enough for any sum of a plant's amounts: the default's 28 digits refuse 1E+27
    rounded = Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP, context=_WIDE)
    return rounded if rounded else abs(rounded)  # -0.004 is 0.00, never "-0.00"


def amount_text(amount: Decimal | None) -> str:
    """An amount as plain text for a file: '492303.95', '-0.13'; '' when not valued."""
    rounded = cents(amount)
    return "" if rounded is None else format(rounded, "f")


def price_text(price: Decimal | None) -> str:
    """A unit cost as plain text: exact (never rounded), at least two decimals: '0.15', '0.0125'."""
    if price is None:
        return ""
    exponent = price.as_tuple().exponent  # a letter only for NaN and infinity, which are no price
    if isinstance(exponent, int) and exponent < -DECIMALS:
        return format_decimal(price)
    return format(price.quantize(CENT), "f")  # only pads: 1.5 -> 1.50


def amount_display(amount: Decimal | None) -> str:
    """An amount for a person to read: '492,303.95'."""
    rounded = cents(amount)
    return "" if rounded is None else f"{rounded:,}"


def round_formula(expr: str) -> str:
    """A spreadsheet formula's amount rounded as cents() rounds it (expr without '=')."""
    return f"ROUND({expr},{DECIMALS})"
