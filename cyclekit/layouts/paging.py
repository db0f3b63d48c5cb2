"""A printed sheet's pages, decided by its layout rather than by the program that prints it.

Excel and LibreOffice number `&N` (pages) over the whole workbook: a packet's one-page location
printed "Page 2 of 2". A sheet laid out here has a manual break before each page that would
overflow (its rows' heights are known, in points) and restarts its page numbers, so it can say
how many pages it has. Its columns are still fitted to the page's width: their printed width
depends on the fonts installed, and a narrower print only leaves room on the page.
"""

from __future__ import annotations

from collections.abc import Sequence

PAPER_POINTS = {1: (612.0, 792.0), 9: (595.3, 841.9)}  # Excel paper code -> portrait width, height
DEFAULT_ROW_POINTS = 15.0  # a row without a height set
FILL = 0.97  # share of the page's height the rows may take: a renderer rounds heights a little
Margins = tuple[float, float, float, float]  # left, right, top, bottom, inches


def _page(paper: int, landscape: bool) -> tuple[float, float]:
    width, height = PAPER_POINTS.get(paper, PAPER_POINTS[1])
    return (height, width) if landscape else (width, height)


def page_breaks(heights: Sequence[float], repeated: float, margins: Margins, paper: int, landscape: bool,
                keep: Sequence[tuple[int, int]] = ()) -> list[int]:
    """The rows (zero-based) that begin a new page: as many rows as fit on each. `repeated`: the height
    of the rows printed again at the top of every page after the first; `keep`: runs of rows (first,
    last) printed on one page when they fit on one."""
    room = (_page(paper, landscape)[1] - (margins[2] + margins[3]) * 72) * FILL
    starts = {first: last for first, last in keep}
    breaks: list[int] = []
    used = 0.0
    for r, height in enumerate(heights):
        run = sum(heights[r:starts[r] + 1]) if r in starts else height
        need = run if run <= room - repeated else height  # a run taller than a page breaks anyway
        if used + need > room and used > repeated:
            breaks.append(r)
            used = repeated
        used += height
    return breaks
