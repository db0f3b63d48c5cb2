"""counts.json (folder/counts.py): the last ingest's state, used only when nothing it came from changed."""

import json
from dataclasses import replace
from decimal import Decimal

from cyclekit.config import Config, CountConfig
from cyclekit.domain.variance import CountedLine
from cyclekit.errors import Problem
from cyclekit.folder.counts import COUNTS, counts_json, counts_key, load_counts, save_counts
from cyclekit.folder.cycle import CountsRecord

CONFIG = Config()
LINES = [
    CountedLine("WH/A/1", "WH/A", "000812", "01", "Bolt M6", "L7", "", "ea", "A", Decimal("1234"),
                Decimal("0.15"), counted_qty=Decimal("1235"), counted_by="Ana", sheet_id="S001"),
    CountedLine("WH/A/2", "WH/A", "1E5", "", "", "", "SN-9", "kg", "B", Decimal("0.3"), None,
                problem="Floor Count is not a number"),
    CountedLine("WH/A/F1", "WH/A", "=SUM(A1)", "", "", "", "", "ea", "C", Decimal(0), None,
                counted_qty=Decimal("2"), found=True, first_count=Decimal("3"), recounted_by="Riley",
                recount_sheet="R001"),
]
PROBLEMS = [Problem("bad-count", "back/A.xlsx", "Floor Count is not a number", sheet="WH_A", cell="F12",
                    value="12,5 m", line_id="WH/A/2")]


def test_saved_counts_come_back_exactly(tmp_path):
    key = counts_key(["a" * 64, "b" * 64], CONFIG)
    record = save_counts(tmp_path, key, LINES, PROBLEMS, {"WH/A"})
    assert isinstance(record, CountsRecord) and record.file == COUNTS and record.key == key
    lines, problems, returned = load_counts(tmp_path, record, key)
    assert lines == LINES and problems == PROBLEMS and returned == {"WH/A"}
    assert lines[0].part_number == "000812" and lines[2].part_number == "=SUM(A1)"  # identifiers stay text
    assert lines[1].unit_cost is None and lines[0].unit_cost == Decimal("0.15")


def test_text_made_ahead_is_what_is_saved(tmp_path):
    key = counts_key([], CONFIG)
    text = counts_json(key, LINES, PROBLEMS, set())
    record = save_counts(tmp_path, key, LINES, PROBLEMS, set(), text)
    assert (tmp_path / COUNTS).read_text(encoding="utf-8") == text
    assert load_counts(tmp_path, record, key) is not None


def test_counts_are_not_used_when_anything_they_came_from_changed(tmp_path):
    key = counts_key(["a" * 64], CONFIG)
    record = save_counts(tmp_path, key, LINES, PROBLEMS, {"WH/A"})
    assert load_counts(tmp_path, None, key) is None  # ingested before counts.json existed
    assert load_counts(tmp_path, record, counts_key(["c" * 64], CONFIG)) is None  # another sheet
    stricter = Config(count=CountConfig(minor_max_qty=Decimal(1)))
    assert counts_key(["a" * 64], stricter) != key  # other counting rules: another key
    assert load_counts(tmp_path, replace(record, sha256="0" * 64), key) is None  # counts.json changed
    data = json.loads((tmp_path / COUNTS).read_text(encoding="utf-8"))
    data["fields"] = data["fields"][:-1]  # written by a version whose lines had other fields
    (tmp_path / COUNTS).write_text(json.dumps(data), encoding="utf-8")
    assert load_counts(tmp_path, replace(record, sha256=_sha(tmp_path / COUNTS)), key) is None
    (tmp_path / COUNTS).unlink()
    assert load_counts(tmp_path, record, key) is None


def _sha(path):
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()
