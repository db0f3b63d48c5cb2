"""finalize's quick paths give what the straightforward ones gave: a template rendered once (its
text and what it sets), the sandbox reading the fields of plain records straight, and still
refusing everything else on them."""

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

import jinja2
import pyarrow as pa
import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment

from cyclekit.errors import ConfigError
from cyclekit.layouts.adjustments import Adjustment, SerialGroup, TransferLine, load_target, render_target
from cyclekit.stages.finalize import CycleInfo, finalize_cycle

TRICKY = ["000812", "1E5", "=SUM(A1)", "01", "Überlänge, \"quoted\"\nnext line", "x" * 300, "-1.50", ""]


def tricky_adjustment(i: int) -> Adjustment:
    fields = [f.name for f in dataclasses.fields(Adjustment)]
    return Adjustment(**{name: TRICKY[(i + n) % len(TRICKY)] for n, name in enumerate(fields)})


def test_the_fields_of_plain_records_read_as_the_sandbox_reads_them():
    ours = load_target("generic").template.environment
    plain = ImmutableSandboxedEnvironment()
    cycle = CycleInfo("CC-1", dt.date(2026, 3, 1), dt.date(2026, 2, 27))
    group = SerialGroup("000812", "BIN-1", "", "EA", "S1\nS2", "2", True, False, "", ("a", "b"))
    transfer = TransferLine(*TRICKY[:8], *TRICKY[:8])
    for record in (tricky_adjustment(0), tricky_adjustment(3), cycle, group, transfer):
        for field in dataclasses.fields(record):
            assert ours.getattr(record, field.name) == plain.getattr(record, field.name)


@pytest.mark.parametrize("reach", ["a.__class__", "a.__init__.__globals__", "a.__dataclass_fields__",
                                   "cycle.__class__.__init__", "a.__reduce_ex__"])
def test_what_is_not_a_field_of_a_plain_record_still_goes_through_the_sandbox(tmp_path, reach):
    template = tmp_path / "probe.csv.j2"
    template.write_text("{% for a in adjustments %}{{ " + reach + " }}{% endfor %}\n")
    cycle = CycleInfo("CC-1", dt.date(2026, 3, 1), dt.date(2026, 2, 27))
    with pytest.raises(ConfigError, match="probe.csv.j2"):
        render_target(template, [tricky_adjustment(0)], {"targets": {}, "cycle": cycle})


def straightforward(template: jinja2.Template, full: dict) -> tuple[str, str, str]:
    """How render_target rendered before: the text, then the module for what the template sets."""
    text = template.render(full)
    module = template.make_module(full)
    return text, getattr(module, "mode", "difference"), getattr(module, "extension", "csv")


@pytest.mark.parametrize("target", ["generic", "netsuite", "business-central", "fishbowl", "odoo", "erpnext"])
def test_a_shipped_template_renders_once_and_writes_what_it_wrote_before(target):
    loaded = load_target(target)
    lines = [tricky_adjustment(i) for i in range(40)]
    settings = {"account": "5100", "subsidiary": "1", "journal_template": "PHYS", "journal_batch": "CC",
                "warehouse": "Main", "company": "Plant", "location_prefix": "WH/"}
    context = {"cycle": CycleInfo("CC-1", dt.date(2026, 3, 1), dt.date(2026, 2, 27)),
               "targets": {target: settings}, "counted": lines}
    runs: list[int] = []
    made = render_target(loaded, lines, context)
    expected = straightforward(loaded.template, {"adjustments": lines, **context, "target": settings})
    assert (made.text, made.mode, made.extension) == expected
    counting = load_target(_counting_copy(loaded, Path(loaded.shown)))
    counting.template.globals["tick"] = lambda: runs.append(1) or ""
    runs.clear()
    counting.template.render({"adjustments": lines, **context, "target": settings})
    once = len(runs)
    runs.clear()
    render_target(counting, lines, context)
    assert once > 0 and len(runs) == once  # the body ran once


def _counting_copy(loaded, shipped: Path) -> Path:
    """The shipped template calling tick() for each line it writes, in a temporary folder."""
    import re
    import tempfile

    folder = Path(tempfile.mkdtemp())
    source = re.sub(r"(\{% for a in adjustments[^%]*%\})", r"\1{{ tick() }}", shipped.read_text(encoding="utf-8"),
                    count=1)
    assert "tick()" in source
    copy = folder / f"{loaded.name}.csv.j2"
    copy.write_text(source, encoding="utf-8")
    return copy


def test_review_rows_are_as_tall_as_textwrap_makes_them():
    import textwrap

    from cyclekit.layouts.adjustments import review_workbook

    texts = ["", " ", "\t", "a\tb" * 5, "x" * 17, "x" * 18, "word " * 4, "word " * 40, "Überlänge " * 9,
             "\xa0" * 40, "line\nbreak " * 8, "=SUM(A1)", "000812"]
    lines = [dataclasses.replace(tricky_adjustment(i), root_cause=text, description=texts[-1 - i % len(texts)],
                                 reason=text, approved_by=text[:30], system_qty="10", counted_qty="8.5",
                                 adjust_qty="-1.5", unit_cost="" if i % 4 else "2.10", adjust_value="-3.15")
             for i, text in enumerate(texts * 3)]
    sheet = review_workbook(lines, "CC-1", "#,##0.00").sheets[0]
    columns = [(column.width, column) for column in sheet.columns]
    for number, row in enumerate(sheet.rows[1:], start=1):
        wrapped = max(len(textwrap.wrap(value, int(width * 1.1))) if isinstance(value, str) else 1
                      for value, (width, _) in zip(row, columns, strict=True))
        assert sheet.row_heights.get(number) == (wrapped * 15 + 4 if wrapped > 1 else None)


@pytest.mark.parametrize("how", ["direct", "include", "import", "none"])
def test_every_counted_line_reaches_a_template_that_reads_counted_however_it_does(tmp_path, how):
    from tests.test_finalize import CONFIG, TODAY, approve_all
    from tests.test_finalize import cycle as make_cycle

    cycle_dir, schedule, _ = make_cycle.__wrapped__(tmp_path)
    approve_all(cycle_dir)
    listing = "{% for a in counted %}{{ csv_row([a.part_number, a.counted_qty]) }}\n{% endfor %}"
    own = {"direct": listing,
           "include": '{% include "rows.j2" %}',
           "import": '{% import "rows.j2" as rows with context %}{{ rows.listing() }}',
           "none": "{% for a in adjustments %}{{ csv_row([a.part_number, a.counted_qty]) }}\n{% endfor %}"}[how]
    (tmp_path / "rows.j2").write_text(("{% macro listing() %}" + listing + "{% endmacro %}") if how == "import"
                                      else listing)
    template = tmp_path / "mine.csv.j2"
    template.write_text(own)
    report = finalize_cycle(cycle_dir, schedule, CONFIG, templates=[template], today=TODAY)
    written = report.files[0].read_text()
    if how == "none":  # the adjusted lines only: 1.50 (the cable) was counted exact
        assert written == "=SUM(A1),4\n000812,1235\n1E5,0.1\n"
    else:
        assert written == "=SUM(A1),4\n000812,1235\n1E5,0.1\n1.50,12.5\n"


def _counted_line(n: int, system: str, counted: str | None, cost: str | None = "2.00", **more):
    from cyclekit.domain.variance import CountedLine

    return CountedLine(f"A /{n}", "A ", ["000812", "1E5", "=SUM(A1)", "Überlänge"][n % 4], "01", "", "0042", "", "ea",
                       "A", Decimal(system), None if cost is None else Decimal(cost),
                       counted_qty=None if counted is None else Decimal(counted), counted_by="Ana", **more)


def test_the_counted_lines_table_is_built_column_by_column_as_row_by_row():
    from cyclekit.config import CountConfig
    from cyclekit.folder.counted_lines import SCHEMA, counted_lines_table

    lines = [_counted_line(1, "10", "7", first_count=Decimal(6), recounted_by="Bo", recount_sheet="R001"),
             _counted_line(2, "0.000001", "0.00000000000000000001"), _counted_line(3, "12.5", "12.5", cost=None),
             _counted_line(4, "0", "3", found=True), _counted_line(5, "1", None),
             _counted_line(6, "99999999999999999", "-1")]
    docs = {"A /1": {"Root Cause": " Theft ", "Approved By": "Dana"}}
    table = counted_lines_table("C1", dt.date(2026, 1, 5), lines, docs, {"A ": "Cage"}, CountConfig())
    rows = table.to_pylist()
    straight = pa.Table.from_pylist(rows, schema=SCHEMA)
    assert table.equals(straight) and table.schema == SCHEMA
    assert [r["line_id"] for r in rows] == ["A /1", "A /2", "A /3", "A /4", "A /6"]
    assert rows[1]["counted_qty"] == Decimal("1E-20") and rows[0]["root_cause"] == "Theft"
    assert counted_lines_table("C1", dt.date(2026, 1, 5), [], {}, {}, CountConfig()).num_rows == 0


def test_a_quantity_the_counted_lines_file_cannot_hold_names_its_line():
    from cyclekit.config import CountConfig
    from cyclekit.errors import CycleError
    from cyclekit.folder.counted_lines import counted_lines_table

    for counted in ("1E-25", "1E+20"):
        with pytest.raises(CycleError, match=r"line A /2: the count .* has more digits"):
            counted_lines_table("C1", dt.date(2026, 1, 5), [_counted_line(1, "1", "1"), _counted_line(2, "1", counted)],
                                {}, {}, CountConfig())


class _Rows:
    """A workbook as a reader gives it: tabs of plain values, every tab read counted."""

    def __init__(self, tabs: dict[str, list[list]]):
        self.path, self._tabs, self.read = Path("results.xlsx"), tabs, []

    @property
    def tabs(self) -> list[str]:
        return list(self._tabs)

    def rows(self, tab: str) -> list[list]:
        self.read.append(tab)
        return self._tabs[tab]


def _table(headers: tuple[str, ...], rows: list[dict], extra: tuple[str, ...] = ()) -> list[list]:
    return [[*headers, *extra], *[[row.get(h, "") for h in (*headers, *extra)] for row in rows]]


def documented_results() -> dict[str, list[list]]:
    """Results as people leave them: identifiers that look like numbers, dates typed every way (one
    that cannot be read), a line documented in Discrepancies and in Cleared, a tab renamed, a column
    and a tab of their own, text outside the tables, Resolutions and transfer decisions."""
    from cyclekit.layouts.results import table_headers, transfer_headers

    tables = table_headers()
    docs = [
        {"Line ID": "000812", "Location": "A-1 ", "Part Number": "000812", "Root Cause": "Miscount",
         "Status": "Resolved", "Approved By": "Dana", "Approval Date": "2026-03-01", "Variance Qty": -2},
        {"Line ID": "1E5", "Part Number": "1E5", "Investigated On": dt.datetime(2026, 3, 2), "Notes": "=SUM(A1)",
         "Approval Date": "31/02/2026", "Variance Qty": 1.5},
        {"Line ID": "B-2 /3 ", "Status": "Open"},  # nothing typed but the Status written
        {"Line ID": "", "Root Cause": "typed in a row with no Line ID"},
        {"Line ID": "C-3/1", "Resolution": "Überlänge " * 40, "Status": "Open", "GL Account": "4711"},
    ]
    cleared = [{"Line ID": "000812", "Root Cause": "older cause", "Documented Variance": -1, "Why Here": "moved"},
               {"Line ID": "D-4/2", "Root Cause": "Damaged", "Approval Date": dt.date(2026, 2, 1)}]
    problems = [{"Kind": "bad-qty", "File": "a.xlsx", "Tab": "Count", "Cell": "G7", "Resolution": "recounted: 4"},
                {"Kind": "bad-qty", "File": "b.xlsx", "Tab": "Count", "Cell": "G8"}]
    transfers = [{"Transfer": "T1", "From Line ID": "000812", "To Line ID": "1E5", "Decision": "Accept",
                  "Decided By": "Dana", "Quantity": 2},
                 {"Transfer": "T2", "From Line ID": "C-3/1", "To Line ID": "D-4/2", "Notes": "ask Sam", "Quantity": 1},
                 {"Transfer": "T3", "From Line ID": "", "To Line ID": "D-4/2", "Decision": "Accept"}]
    variance = [{"Line ID": f"V-{i}", "Location": "V", "Counted Qty": i} for i in range(5)]
    return {"Summary": [["Cycle", "CC-1", "", "", "", "", "", "", "a note"]],
            "variance": _table(tables["Variance"], variance, ("Checked",)),
            " DISCREPANCIES": _table(tables["Discrepancies"], docs, ("GL Account",)),
            "Old lines": _table(tables["Cleared"], cleared),
            "Problems": _table(tables["Problems"], problems),
            "Transfers": _table(transfer_headers(), transfers),
            "Finance notes": [["a tab of their own"]]}


def test_finalize_reads_the_decisions_an_ingest_reads_and_no_other_tab():
    from cyclekit.layouts.results_carry import read_decisions, read_previous

    everything = read_previous(_Rows(documented_results()))
    reader = _Rows(documented_results())
    decided = read_decisions(reader)
    assert everything.documentation and everything.resolutions and everything.transfers  # the case is real
    assert decided.documentation == everything.documentation
    assert list(decided.documentation) == list(everything.documentation)
    assert decided.resolutions == everything.resolutions
    assert decided.transfers == everything.transfers
    assert decided.problems == everything.problems and decided.renamed == everything.renamed
    assert "variance" not in reader.read and "Summary" not in reader.read


def _line_as_row(line, doc: dict, zone: str, config) -> dict:
    """A counted line's row of the counted lines file, worked out field by field from the line."""
    from cyclekit.domain.money import cents
    from cyclekit.domain.variance import judge

    first = line.first_qty
    judged = judge(line, config)
    first_judged = None if first is None else judge(dataclasses.replace(line, counted_qty=first, problem=""),
                                                    config)
    return {
        "line_id": line.line_id, "location": line.location, "zone": zone, "part_number": line.part_number,
        "revision": line.revision, "lot": line.lot, "serial": line.serial, "uom": line.uom,
        "abc_class": line.abc_class, "found": line.found, "system_qty": line.system_qty,
        "counted_qty": line.counted_qty, "first_count_qty": None if line.found else first,
        "variance_qty": line.variance_qty, "unit_cost": line.unit_cost,
        "system_value": None if line.unit_cost is None else cents(line.system_qty * line.unit_cost),
        "variance_value": line.variance_value, "discrepancy": bool(line.variance_qty),
        "within_tolerance": judged.within_tolerance,
        "first_discrepancy": None if first is None or line.found else first != line.system_qty,
        "first_within_tolerance": None if first_judged is None or line.found else first_judged.within_tolerance,
        "severity": judged.severity or "", "root_cause": str(doc.get("Root Cause") or "").strip(),
        "counted_by": line.counted_by, "recounted": bool(line.recounted_by), "recounted_by": line.recounted_by,
        "approved_by": str(doc.get("Approved By") or "").strip(),
    }


def test_every_column_of_the_counted_lines_file_holds_its_own_field():
    from cyclekit.config import CountConfig
    from cyclekit.folder.counted_lines import counted_lines_table

    config = CountConfig(minor_max_qty=Decimal(2))
    lines = [_counted_line(1, "10", "7", first_count=Decimal(6), recounted_by="Bo", recount_sheet="R001"),
             _counted_line(2, "10", "10", first_count=Decimal(4), recounted_by="Cy", recount_sheet="R002"),
             _counted_line(3, "0.000001", "0.00000000000000000001"), _counted_line(4, "12.5", "12.5", cost=None),
             _counted_line(5, "0", "3", found=True, cost=None), _counted_line(6, "1", None),
             _counted_line(7, "5", "4", problem="unreadable"), _counted_line(8, "100", "101", cost="0.125"),
             _counted_line(9, "3", "1", moved_qty=Decimal(-1))]
    lines[7].abc_class, lines[8].lot, lines[8].counted_by, lines[8].serial = "C", "000812", "", "S/1"
    docs = {"A /1": {"Root Cause": " Theft ", "Approved By": "Dana"}, "A /9": {"Root Cause": 1E5, "Approved By": None}}
    zones = {"A ": "Cage", "B": "Yard"}
    table = counted_lines_table("C1", dt.date(2026, 1, 5), lines, docs, zones, config)
    rows = table.to_pylist()
    expected = [_line_as_row(line, docs.get(line.line_id, {}), "Cage", config) for line in lines if line.counted]
    assert [{k: v for k, v in row.items() if k not in ("cycle_id", "count_date")} for row in rows] == expected
    assert len({str(row) for row in expected}) == len(expected) and len(expected) == 7


@pytest.mark.parametrize("row", [
    ["000812", "1E5", "=SUM(A1)", "01", "-1.50"], ["a,b", "x"], ['say "hi"', ""], ["line\nbreak", "cr\rlf"],
    [""], ["", ""], [], ["only"], [None, 1, Decimal("1.50"), 2.5, True, dt.date(2026, 1, 5)], ["nul\x00", "x"],
    ["Überlänge " * 40, " lead", "trail ", "\t"], ["'quoted'", "semi;colon", "ends,"], [",", '"'],
])
def test_a_csv_row_is_what_the_csv_writer_writes(row):
    import csv
    import io

    from cyclekit.layouts.adjustments import csv_row

    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n").writerow(
        ["" if v is None else str(v) for v in row])
    assert csv_row(row) == buffer.getvalue()[:-2]
    assert csv_row(row) == csv_row(list(row))  # the writer kept between rows starts each afresh


def test_csv_row_called_by_a_template_writes_what_the_sandbox_wrote_however_it_is_called(tmp_path):
    import csv
    import io

    def reference_row(values):  # csv_row as it was: a new writer for every row
        buffer = io.StringIO()
        csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n").writerow(
            ["" if v is None else str(v) for v in values])
        return buffer.getvalue()[:-2]

    source = ("{% macro row(a) %}{{ csv_row([a.location, a.part_number, a.reason]) }}{% endmacro %}"
              "{% set first = csv_row(values=['h,1', 'h\"2']) %}{{ first }}\n"
              "{% for a in adjustments %}{{ row(a) }}|{{ csv_row([a.lot, loop.index, none]) }}\n"
              "{% set ns = namespace(x=csv_row([a.uom])) %}{{ ns.x }}\n{% endfor %}")
    (tmp_path / "probe.csv.j2").write_text(source, encoding="utf-8")
    lines = [tricky_adjustment(i) for i in range(16)]
    made = render_target(tmp_path / "probe.csv.j2", lines, {"targets": {}})
    plain = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                                          undefined=jinja2.StrictUndefined)
    plain.globals["csv_row"] = reference_row
    assert made.text == plain.from_string(source).render(adjustments=lines, targets={}, target={})
    assert '"h,1","h""2"' in made.text and '"Überlänge, ""quoted""\nnext line"' in made.text


def test_a_quantity_reads_the_same_however_it_was_spelled_first():
    from cyclekit.domain.values import format_decimal
    from cyclekit.layouts.adjustments import quantity_text

    spellings = ["1", "1.0", "1.000", "1E+2", "100", "100.00", "-0", "0.000", "-0.0", "0.1", "0.10", "1E-20",
                 "-12.500", "-12.5", "99999999999999999.99999999999999999999", "1E+20", "5E-7", "NaN"]
    for order in (spellings, spellings[::-1]):
        for text in order:
            assert quantity_text(Decimal(text)) == format_decimal(Decimal(text)), text
    assert quantity_text(None) == "" and quantity_text(Decimal("1E+2")) == "100"
