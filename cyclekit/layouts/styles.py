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
PERCENT = Style(num_format="0.0%")
INPUT = Style(bg_color="#FFF2CC", locked=False, border=True)  # cells a person fills in
CALCULATED = Style(font_color="#1F3864")

BAD = Style(bg_color="#FFC7CE", font_color="#9C0006")
WARN = Style(bg_color="#FFEB9C", font_color="#9C5700")
GOOD = Style(bg_color="#C6EFCE", font_color="#006100")


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
