"""The trends report (`cyclekit report`) on paper: rendered by LibreOffice, read back by poppler.

A reader printing it found the Summary's long labels cut off and run into their value
("...absolute variance va100.0%"), and headers broken inside a word ("Discrepancie" / "s").
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cyclekit.backends.libreoffice import to_pdf
from cyclekit.backends.xlsx import render_xlsx
from cyclekit.config import Config
from cyclekit.layouts.report import (
    BY_CAUSE,
    BY_COUNTER,
    BY_CYCLE,
    BY_LOCATION,
    BY_PART,
    BY_ZONE,
    LAYOUT,
    Headline,
    ReportTable,
    report_workbook,
)
from tests.test_results_print import Word, pages_of, pdf_words

SAMPLE = {"text": "WH-A-01", "date": None, "whole": 1234, "pct": 0.987, "money": 12345.67}


def _table(name: str) -> ReportTable:
    columns = [(h, w, k) for h, _, w, k in LAYOUT[name]]
    return ReportTable(name, columns, [[SAMPLE[k] for _, _, k in columns] for _ in range(3)])


@pytest.fixture(scope="module")
def printed(soffice: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[int, list[Word]], Path]:
    tables = {name: _table(name) for name in LAYOUT}
    tables["Most Often Off"] = ReportTable("Most Often Off", [("Location", 16, "text")], [])
    headline = Headline(cycles=1, lines=243, discrepancies=5, discrepancy_rate=0.021, accuracy=0.988,
                        value_accuracy=1.0, absolute_value=9.3, majors=1, target=0.05)
    folder = tmp_path_factory.mktemp("report-print")
    render_xlsx(report_workbook(headline, tables, Config()), folder / "report.xlsx")
    [pdf] = to_pdf([folder / "report.xlsx"], folder / "pdf")
    return pages_of(pdf_words(pdf)), pdf


def test_the_summary_prints_each_label_whole_apart_from_its_value(
        printed: tuple[dict[int, list[Word]], Path]) -> None:
    pages, _ = printed
    lines: dict[int, list[Word]] = {}
    for word in pages[1]:
        lines.setdefault(round(word.y0), []).append(word)
    printed_lines = [" ".join(w.text for w in sorted(line, key=lambda w: w.x0)) for line in lines.values()]
    for label, value in (("Record accuracy (lines within tolerance / lines counted)", "98.8%"),
                         ("Value-weighted accuracy (1 - absolute variance value / system value)", "100.0%")):
        assert f"{label} {value}" in printed_lines, f"{label!r} prints cut or glued to its value: {printed_lines}"
    words = {w.text for w in pages[1]}
    assert "Page" in words and "of" in words, "the Summary page has no page number"


@pytest.mark.parametrize("name", [BY_CYCLE, BY_LOCATION, BY_ZONE, BY_PART, BY_COUNTER, BY_CAUSE])
def test_every_header_word_prints_whole_inside_its_header_row(
        printed: tuple[dict[int, list[Word]], Path], name: str) -> None:
    pages, _ = printed
    [page] = [p for p in pages.values() if any(w.text == "trends:" for w in p) and
              f"trends: {name}" in " ".join(w.text for w in sorted(p, key=lambda w: (round(w.y0), w.x0)))]
    top = max(w.y1 for w in page if w.text == "trends:")  # the page header prints above, the table below
    first_row = min(w.y0 for w in page if w.text == "WH-A-01" or w.text == "1,234")
    header = [w for w in page if w.y1 <= first_row and w.y0 > top]  # below the page header, above the rows
    printed_words = {w.text for w in header}
    for title, _, _, _ in LAYOUT[name]:
        # a renderer may break after a hyphen ("Value-" "Weighted"), never inside a word
        broken = [word for word in title.split() if word not in printed_words
                  and not set(re.findall(r"[^-]+-|[^-]+$", word)) <= printed_words]
        assert not broken, f"{name}: header {title!r} prints broken or clipped: {broken}"
    pieces = {piece for title, _, _, _ in LAYOUT[name] for word in title.split()
              for piece in (word, *re.findall(r"[^-]+-|[^-]+$", word))}
    assert printed_words <= pieces, f"{name}: a header prints broken inside a word: {printed_words - pieces}"


@pytest.mark.parametrize("name", [BY_CYCLE, BY_ZONE, BY_COUNTER, BY_CAUSE])
def test_a_tab_with_charts_prints_its_table_in_legible_type(
        printed: tuple[dict[int, list[Word]], Path], name: str) -> None:
    """A chart beside the table widened the page fitted to the paper: the table printed in type
    about 5 pt tall. Below a short table, it leaves the table its width."""
    pages, _ = printed
    [page] = [p for p in pages.values() if any(w.text == "trends:" for w in p) and
              f"trends: {name}" in " ".join(w.text for w in sorted(p, key=lambda w: (round(w.y0), w.x0)))]
    body = [w for w in page if w.text in ("WH-A-01", "1,234", "98.7%")]
    assert body and min(w.height for w in body) >= 9, f"{name}: rows print {min(w.height for w in body):.1f} pt tall"
