"""Exact values: quantities as Decimal, identifiers as text, dates as ISO text.

Spreadsheet readers hand back floats, dates and booleans; everything that identifies
a part (part number, revision, lot) is turned back into the text a person typed, and
every quantity into a Decimal so sums never pick up float noise.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal

_PLAIN_NUMBER = re.compile(r"^(\d+(\.\d*)?|\.\d+)$")
# a thousands group never follows a leading 0: '0,125' is not 125
_GROUPED_NUMBER = re.compile(r"^[1-9]\d{0,2}(,\d{3})+(\.\d*)?$")
# where a comma is the decimal mark (a CSV saved by Excel with ';' between columns): 1234,5 1.234,5
_COMMA_PLAIN_NUMBER = re.compile(r"^(\d+(,\d*)?|,\d+)$")
_COMMA_GROUPED_NUMBER = re.compile(r"^[1-9]\d{0,2}(\.\d{3})+(,\d*)?$")
DECIMAL_SEPARATORS = (".", ",")
# thousands grouped by a space (a no-break one, as French and Nordic Excel write), or an
# apostrophe (Swiss): never a decimal mark, so '1 234,5' and "1'234.5" read one way only
_SPACE_GROUPED_NUMBER = re.compile("^[1-9][0-9]{0,2}([ \u00a0\u202f'\u2019][0-9]{3})+([.,][0-9]+)?$")
_GROUP_MARKS = re.compile("[ \u00a0\u202f'\u2019]")
# characters an XLSX file (XML 1.0) cannot hold: a sheet holding one cannot be opened
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_UNSEEN = re.compile("[\x00-\x1f\x7f-\x9f\ufeff\ufffe\uffff\ud800-\udfff]")
SHOWN_SPACE = "\u2423"  # ␣: a space at either end of an identifier, as printed on a count sheet

EXCEL_EPOCH = dt.date(1899, 12, 30)
# a quantity or a cost has at most this many digits: a spreadsheet keeps 15 significant digits,
# Decimal's arithmetic 28; a longer text is a mistake (or hostile), never a number to round
MAX_NUMBER_DIGITS = 20
MAX_NUMBER_CHARS = 40  # the text of such a number, with its separators and sign
# below a trillion: a quantity times a cost, and their sum over a plant, keep their cents
MAX_WHOLE_DIGITS = 12


class QuantityError(ValueError):
    """A quantity that cannot be read; the message says why, in a user's words."""


class AmbiguousNumber(QuantityError):
    """Text that reads as two numbers: '1,200' is 1200 with a decimal point, 1.2 with a decimal comma."""

    def __init__(self, text: str, readings: dict[str, Decimal]):
        self.text = text
        self.readings = readings
        point, comma = (format_decimal(readings[s]) for s in DECIMAL_SEPARATORS)
        super().__init__(f"is ambiguous: {text!r} is {point} with a decimal point but {comma} "
                         "with a decimal comma")


def cell_text(value: object) -> str:
    """The text a person sees in a cell, for identifiers and free text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        if not math.isfinite(value):
            return repr(value)
        return format_decimal(spreadsheet_decimal(value))  # 1e-05 is 0.00001: never an exponent
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def spreadsheet_decimal(value: float) -> Decimal:
    """A number a spreadsheet stored, as the spreadsheet shows it: to 15 significant digits, all
    that Excel keeps of what is typed; =0.1+0.2 is 0.3, not 0.30000000000000004."""
    return Decimal(format(value, ".15g"))


def exact_text(value: object) -> str:
    """An identifier's text exactly as typed: like cell_text, but spaces at the ends are kept."""
    if isinstance(value, str):
        return value
    return cell_text(value)


def has_outer_spaces(text: str) -> bool:
    return text != text.strip()


def show_spaces(text: str) -> str:
    """An identifier as printed for a person: spaces at either end shown as ␣, so that
    ' PN ' and 'PN' do not look alike on a sheet."""
    if not has_outer_spaces(text):
        return text
    core = text.strip()
    if not core:
        return SHOWN_SPACE * len(text)
    start = text.index(core[0])
    end = len(text) - len(text.rstrip())
    return SHOWN_SPACE * start + core + SHOWN_SPACE * end


def unshow_spaces(text: str) -> str:
    """The inverse of show_spaces for text read back from a sheet."""
    core = text.strip(SHOWN_SPACE)
    if core == text:
        return text
    start = len(text) - len(text.lstrip(SHOWN_SPACE))
    end = len(text) - len(text.rstrip(SHOWN_SPACE))
    return " " * start + core + " " * end


def readable(text: str) -> str:
    """Text for a message, quoted, with characters a person cannot see shown as escapes
    (a byte-order mark, a NUL, a BEL): what a header or value really holds."""
    return "'" + _UNSEEN.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256
                             else f"\\u{ord(m.group()):04x}", text) + "'"


def illegal_character(text: str) -> str:
    """The first character of `text` that a workbook (XML) cannot hold, as readable shows it."""
    match = XML_ILLEGAL.search(text)
    return readable(match.group()) if match else ""


def _reads_with_point(text: str) -> bool:
    return bool(_PLAIN_NUMBER.match(text) or _GROUPED_NUMBER.match(text))


def _reads_with_comma(text: str) -> bool:
    return bool(_COMMA_PLAIN_NUMBER.match(text) or _COMMA_GROUPED_NUMBER.match(text))


def _with_point(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def _with_comma(text: str) -> Decimal:
    return Decimal(text.replace(".", "").replace(",", "."))


def number_readings(text: str) -> dict[str, Decimal]:
    """What unsigned digits read as with each decimal separator ('.' or ','), where they can."""
    readings: dict[str, Decimal] = {}
    if _reads_with_point(text):
        readings["."] = _with_point(text)
    if _reads_with_comma(text):
        readings[","] = _with_comma(text)
    return readings


def ungrouped(digits: str) -> str:
    """'1 234,5' -> '1234,5', "1'234.5" -> '1234.5': thousands grouped by spaces or apostrophes
    taken out (what is left reads as a number without its groups); other text as it is."""
    return _GROUP_MARKS.sub("", digits) if _SPACE_GROUPED_NUMBER.match(digits) else digits


def separator_told(text: str) -> str | None:
    """The decimal separator a number's text shows by itself ('12.5' '.', '12,5' ','), or None:
    '1,200' and '1.800' read both ways, '12' either way."""
    digits = ungrouped(text.strip().lstrip("+-").lstrip("$€£").strip())
    if "." not in digits and "," not in digits:
        return None
    point, comma = _reads_with_point(digits), _reads_with_comma(digits)
    if point != comma:  # with a separator in it, text that reads both ways reads two numbers
        return "." if point else ","
    return None


def parse_quantity(value: object, *, allow_negative: bool = False, decimal_comma: bool = False,
                   separator: str | None = ".", whole: bool = False) -> Decimal:
    """Read a quantity: 12, 12.0, '1,200', '12.5'. Refuses '12 ea', 'twelve', negatives.

    separator: the decimal mark of text ('.', or ',' with dots between thousands: '1.234,5',
    as Excel writes numbers where the CSV separator is ';'); decimal_comma=True is ','.
    None: not known, so text that reads two ways ('1,200': 1200 or 1.2) is an AmbiguousNumber,
    unless `whole` (the unit is counted whole) and only one reading is a whole number.
    """
    if decimal_comma:
        separator = ","

    if isinstance(value, bool):
        raise QuantityError("is TRUE/FALSE, not a number")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise QuantityError("is not a number")
        number = spreadsheet_decimal(value)
    elif isinstance(value, Decimal):
        number = value
    else:
        text = cell_text(value)
        if len(text) > MAX_NUMBER_CHARS:  # before int() and Decimal, which refuse thousands of digits
            raise QuantityError(f"is not a number that can be read ({len(text):,} characters)")
        if text.isascii() and text.isdigit() and len(text) <= MAX_WHOLE_DIGITS:  # the common case: no regex
            return Decimal(int(text))
        if not text:
            raise QuantityError("is empty")
        negative = text.startswith("-")
        digits = ungrouped(text[1:].strip() if negative or text.startswith("+") else text)
        number = _read_digits(text, digits, separator, whole)
        if negative:
            number = -number
    if not number.is_finite():
        raise QuantityError("is not a number")
    if number < 0 and not allow_negative:
        raise QuantityError("is negative")
    return normalize(_bounded(number))


def _bounded(number: Decimal) -> Decimal:
    """A number no count or cost can exceed, kept exactly: more digits would be rounded unseen."""
    if len(number.as_tuple().digits) > MAX_NUMBER_DIGITS:
        raise QuantityError(f"has more than {MAX_NUMBER_DIGITS} digits, more than any count or cost")
    if number and number.adjusted() >= MAX_WHOLE_DIGITS:
        raise QuantityError(f"is a trillion or more, larger than any count or cost (at most {MAX_WHOLE_DIGITS} "
                            "digits before the decimal mark)")
    return number


def _read_digits(text: str, digits: str, separator: str | None, whole: bool) -> Decimal:
    if separator == ".":
        if not _reads_with_point(digits):
            raise QuantityError("is not a number (write digits only, e.g. 12 or 1,200 or 12.5)")
        return _with_point(digits)
    if separator == ",":
        if not _reads_with_comma(digits):
            raise QuantityError("is not a number (write digits only, e.g. 12 or 1.200 or 12,5)")
        return _with_comma(digits)
    readings = number_readings(digits)
    if not readings:
        raise QuantityError("is not a number (write digits only, e.g. 12 or 12.5)")
    values = set(readings.values())
    if len(values) == 1:
        return values.pop()
    if whole:
        whole_readings = [v for v in values if is_whole(v)]
        if len(whole_readings) == 1:  # '1,200 ea': 1.2 of a whole unit cannot be meant
            return whole_readings[0]
    raise AmbiguousNumber(text, readings)


def normalize(number: Decimal) -> Decimal:
    """12.500 -> 12.5, 1E+2 -> 100: one spelling per value, never an exponent."""
    if number == 0:
        return Decimal(0)
    normal = number.normalize()
    exponent = normal.as_tuple().exponent  # a letter only for NaN and infinity
    if isinstance(exponent, int) and exponent > 0:
        normal = normal.quantize(Decimal(1))
    return normal


def format_decimal(number: Decimal) -> str:
    """Plain text of a Decimal, without exponent or trailing zeros."""
    return format(normalize(number), "f")


def is_whole(number: Decimal) -> bool:
    return number == number.to_integral_value()


def parse_date(value: object) -> dt.date:
    """A date from a cell: a real date, an Excel serial number, or YYYY-MM-DD text."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2958466:
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise ValueError("is not a date")
    text = cell_text(value)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError("is not a date (write YYYY-MM-DD)") from None


def excel_serial(day: dt.date) -> int:
    return (day - EXCEL_EPOCH).days
