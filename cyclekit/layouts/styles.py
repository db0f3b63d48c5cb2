"""The house style shared by every cyclekit workbook, so all tabs read alike."""

from cyclekit.backends.spec import Style

DATE_FORMAT = "yyyy-mm-dd"  # unambiguous in every locale a plant may run in

TEXT = Style(num_format="@")
BODY = Style()
HEADER = Style(bold=True, bg_color="#1F4E78", font_color="#FFFFFF", wrap=True, border=True,
               valign="vcenter")
TITLE = Style(bold=True, font_size=14)
LABEL = Style(bold=True)
NOTE = Style(italic=True, font_color="#595959")
DATE = Style(num_format=DATE_FORMAT, align="center")
WHOLE = Style(num_format="#,##0")
# General: quantities show as typed (12, 12.5, 0.125). "#,##0.###" shows a whole number as "12."
# in Excel and Google Sheets, and a fixed number of decimals would show 12 as "12.000"
QUANTITY = Style()
QUANTITY_PLACES = 6  # what a count is read to (domain.variance.ROUNDING)
# Printed for finance (results): thousands separated, with a fixed number of decimals per unit of
# measure, so 9,100 ea and 0.750 kg read down a column; whole numbers never show a trailing "."
_QUANTITIES = tuple(Style(num_format="#,##0" + ("." + "0" * places if places else ""))
                    for places in range(QUANTITY_PLACES + 1))
PERCENT = Style(num_format="0.0%")
INPUT = Style(bg_color="#FFF2CC", locked=False, border=True)  # cells a person fills in
CALCULATED = Style(font_color="#1F3864")

BAD = Style(bg_color="#FFC7CE", font_color="#9C0006")
WARN = Style(bg_color="#FFEB9C", font_color="#9C5700")
GOOD = Style(bg_color="#C6EFCE", font_color="#006100")


def quantity(places: int) -> Style:
    """A quantity shown with `places` decimals and thousands separators (one Style per places)."""
    return _QUANTITIES[max(0, min(places, QUANTITY_PLACES))]


def right_aligned(style: Style) -> bool:
    """Whether cells of this style print against their right edge: a number, unless centred or
    shown as text."""
    if style.align:
        return style.align == "right"
    return style.num_format not in (None, "@") and "@" not in (style.num_format or "")


def money(currency_format: str) -> Style:
    return Style(num_format=currency_format)


NAME_CHARS = 40  # a location named in a one-line message: its start and end past this


def shortened(text: str, chars: int = NAME_CHARS) -> str:
    """A long name where room is short (page headers, chart labels): its start and its end, which
    tell bins and locations apart."""
    if len(text) <= chars:
        return text
    tail = (chars - 1) // 2
    return f"{text[:chars - 1 - tail]}\u2026{text[-tail:]}"
