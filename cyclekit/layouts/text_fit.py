"""How many lines wrapped text takes in a cell, and so how tall its row must be.

A row's height is not fitted to wrapped text when a workbook is opened: text taller than its row
prints over the next one. Every layout (schedule, count sheet, results) asks here. The same few
texts come back row after row (a description, the suggested causes of every discrepancy, an owner),
so each answer is memoised on the text and the room.

Two measures, each calibrated where it is used; a layout picks one by parameter:
- `Measure.CHARACTERS`: every character one unit of room, words wrapped as `textwrap` wraps them
  (count sheets and results, where room is given in characters of the cell's font);
- `Measure.RENDERED`: each character the width of its class in the renderers' fonts (Excel's Calibri,
  LibreOffice's Carlito or DejaVu Sans, Google's Arial), breaks where the renderers break (the schedule).
"""

from __future__ import annotations

import enum
import functools
import re
import textwrap
import unicodedata


class Measure(enum.Enum):
    CHARACTERS = "characters"
    RENDERED = "rendered"


@functools.lru_cache(maxsize=65536)
def lines_of(text: str, room: float, measure: Measure = Measure.CHARACTERS, paragraphs: bool = True) -> int:
    """Lines `text` wraps into in a cell that holds `room` of it a line.

    paragraphs: each line of the text starts a new line (an empty text takes none); False reads a
    line break as a space (CHARACTERS only: the count sheet's rows were fitted so)."""
    if measure is Measure.RENDERED:
        return _rendered_lines(text, room)
    chars = max(int(room), 1)
    if not paragraphs:
        return _character_lines(text, chars)
    return sum(_character_lines(part, chars) for part in text.splitlines())


def _character_lines(text: str, chars: int) -> int:
    """Words wrap at spaces and after hyphens, a word longer than a line breaks anywhere."""
    if len(text) <= chars:
        return 1
    return len(textwrap.wrap(text, chars, break_on_hyphens=True)) or 1


def row_height(lines: float, line_points: float, gap: float, single: float | None = None,
               at_least: float = 1) -> float:
    """Points for `lines` of text (`at_least` of them) and a gap; `single`: the height of a row of one line."""
    if single is not None and lines <= 1:
        return single
    return round(max(at_least, lines) * line_points + gap, 1)


# ---- Measure.RENDERED ---------------------------------------------------------------------------
# Width in digits of the body font: a column width unit holds about one digit in every renderer,
# and each class of character is given the width of its widest member in their fonts, so an
# estimated line is never longer than the printed one.
FILL = 0.95  # share of a column's width text may take: cell padding and Arial's wider digits
_NARROW = frozenset(" ,.;:'!|iljI")
_SEMI = frozenset("-()[]{}/\\frt\"")
_WIDE = frozenset("MWmw@%")


@functools.lru_cache(maxsize=4096)
def char_width(ch: str) -> float:
    if ch in _NARROW:
        return 0.5
    if ch in _SEMI:
        return 0.7
    if ch in _WIDE:
        return 1.75
    if ch.isascii():
        return 1.3 if ch.isupper() else 1.05
    return 2.0 if unicodedata.east_asian_width(ch) in "WF" else 1.3


@functools.lru_cache(maxsize=65536)  # a year of Calendar weeks names the same locations again and again
def text_width(text: str) -> float:
    return sum(map(char_width, text))


def room_of(column_width: float) -> float:
    """Digits of text a line of a wrapped column of this width holds, in every renderer."""
    return FILL * column_width - 1


def _breakable(word: str) -> list[str]:
    """`word` in the pieces a renderer may put on different lines: Excel, LibreOffice and Google
    Sheets break after a hyphen too, though LibreOffice not before a digit ("WH-" "B-02-" "A")."""
    pieces, start = [], 0
    for hyphen in re.finditer(r"(?<=[^-])-+(?=[^\d-])", word):
        pieces.append(word[start:hyphen.end()])
        start = hyphen.end()
    return [*pieces, word[start:]]


def _rendered_lines(text: str, room: float) -> int:
    """Lines a renderer wraps a cell of `text` into where it chooses to (text cyclekit cannot
    break itself, since the cell must read back as written): at spaces and after hyphens, a
    piece longer than a line between any two characters."""
    lines = 0
    for paragraph in text.split("\n"):
        lines, used = lines + 1, 0.0
        for word in paragraph.split(" "):
            for n, piece in enumerate(_breakable(word)):  # "Volkov-" "Oppenheimer": no space between
                width = text_width(piece) + (char_width(" ") if n == 0 and used else 0.0)
                if used + width <= room:
                    used += width
                    continue
                if used:  # on a line of its own
                    lines, used = lines + 1, 0.0
                for ch in piece:
                    if used and used + char_width(ch) > room:
                        lines, used = lines + 1, 0.0
                    used += char_width(ch)
    return lines


def wrap_words(words: list[str], room: float, indent: str = "") -> list[str]:
    """`words` as lines that each fit `room` (RENDERED), wrapped where cyclekit chooses: the renderer
    then breaks nowhere else (LibreOffice would break "WH-B-02-01" after a hyphen) and the row's
    lines are known. A line that continues the one above starts with `indent`."""
    lines: list[str] = []
    line, used = "", 0.0
    space = char_width(" ")
    for word in words:
        width = text_width(word)
        if line and used + space + width > room:
            lines.append(line)
            line, used = indent + word, text_width(indent) + width
        elif line:
            line, used = f"{line} {word}", used + space + width
        else:
            line, used = word, width
    if line:
        lines.append(line)
    return lines


def wrapped_line_lines(line: str, room: float) -> int:
    """Lines a renderer needs for a line `wrap_words` made (RENDERED): one, unless a single word is
    wider than the room, which then takes several."""
    lines, used = 1, 0.0
    for word in line.split(" "):
        width = text_width(word)
        if used and used + char_width(" ") + width <= room:
            used += char_width(" ") + width
            continue
        if used:
            lines += 1
        lines += max(int(-(-width // room)) - 1, 0)  # a word wider than a line takes several
        used = width % room if width > room else width
    return lines
