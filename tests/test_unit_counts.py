"""folder/counts.py on its own: the counts an ingest saves with the cycle, and when they may be reused."""

import json
from decimal import Decimal

import pytest

from cyclekit.config import Config, CountConfig, InventoryConfig
from cyclekit.domain.variance import CountedLine
from cyclekit.errors import Problem
from cyclekit.folder.counts import COUNTS, counts_json, counts_key, load_counts, save_counts

SOURCES = ["a" * 64, "b" * 64]


def lines():
    """Identifiers that look like numbers, exact decimals, a found item with no cost, a recount."""
    return [
        CountedLine("WH-A-01/1", "WH-A-01", "000812", "01", "Bolt", "", "", "ea", "A", Decimal("1234"),
                    Decimal("0.15"), counted_qty=Decimal("1200"), counted_by="Ana Ruiz", sheet_id="S001"),
        CountedLine("WH-A-01/2", "WH-A-01", "1E5", "1.50", "Cable, 19\"", "L2026-01", "SN-1", "m", "B",
                    Decimal("0.300000000000000001"), Decimal("3.20"), counted_qty=Decimal("0.1"),
                    first_count=Decimal("0.2"), recounted_by="Riley", recount_sheet="R001"),
        CountedLine("WH-A-01/F1", "WH-A-01", "=SUM(A1)", "", "", "", "", "ea", "C", Decimal(0), None,
                    counted_qty=Decimal("2"), found=True),
        CountedLine("WH-A-01/3", "WH-A-01", " PN ", "", "", "", "", "kg", "C", Decimal("-5"), Decimal("1"),
                    problem="floor count unreadable"),
    ]


PROBLEMS = [Problem("bad-count", "back/a.xlsx", "write a number", value="twelve", sheet="WH-A-01", cell="G9",
                    line_id="WH-A-01/3")]


def test_saved_counts_read_back_exactly(tmp_path):
    key = counts_key(SOURCES, Config())
    record = save_counts(tmp_path, key, lines(), PROBLEMS, {"WH-A-01"})  # what the manifest records
    loaded = load_counts(tmp_path, record, key)
    assert loaded is not None
    read_lines, problems, returned = loaded
    assert read_lines == lines()  # identifiers as text, quantities as exact Decimals, None kept None
    assert all(isinstance(line.system_qty, Decimal) for line in read_lines)
    assert read_lines[1].system_qty == Decimal("0.300000000000000001")
    assert problems == PROBLEMS and returned == {"WH-A-01"}
    assert [p.name for p in tmp_path.iterdir()] == [COUNTS]  # no temporary file left beside it


def test_the_text_given_is_what_is_saved(tmp_path):
    key = counts_key(SOURCES, Config())
    text = counts_json(key, lines(), PROBLEMS, {"WH-A-01"})
    record = save_counts(tmp_path, key, [], [], set(), text)
    assert (tmp_path / COUNTS).read_text(encoding="utf-8") == text
    assert json.loads(text)["returned"] == ["WH-A-01"]
    assert load_counts(tmp_path, record, key)[0] == lines()


@pytest.mark.parametrize("config", [
    Config(count=CountConfig(minor_max_qty=Decimal(6))),  # a counting rule changed
    Config(inventory=InventoryConfig(whole_number_uoms=("ea", "pcs", "box"))),  # how quantities are read
])
def test_the_key_changes_with_the_sources_and_the_counting_rules(config):
    key = counts_key(SOURCES, Config())
    assert counts_key(SOURCES, Config()) == key  # the same inputs: the same key
    assert counts_key(list(reversed(SOURCES)), Config()) != key
    assert counts_key([SOURCES[0]], Config()) != key
    assert counts_key(SOURCES, config) != key


def test_the_key_ignores_settings_that_do_not_change_a_count():
    from cyclekit.config import ScheduleConfig

    assert counts_key(SOURCES, Config(schedule=ScheduleConfig(due_soon_days=14))) == counts_key(SOURCES, Config())


def _saved(tmp_path):
    key = counts_key(SOURCES, Config())
    return key, save_counts(tmp_path, key, lines(), PROBLEMS, {"WH-A-01"})


def test_no_saved_counts_when_the_manifest_has_no_record_or_another_key(tmp_path):
    key, record = _saved(tmp_path)
    assert load_counts(tmp_path, None, key) is None
    assert load_counts(tmp_path, record, counts_key(SOURCES[:1], Config())) is None


def test_no_saved_counts_when_the_file_changed_or_is_gone(tmp_path):
    key, record = _saved(tmp_path)
    path = tmp_path / COUNTS
    path.write_text(path.read_text(encoding="utf-8").replace('"1200"', '"1201"'), encoding="utf-8")
    assert load_counts(tmp_path, record, key) is None  # its checksum no longer matches the manifest
    path.unlink()
    assert load_counts(tmp_path, record, key) is None


def test_no_saved_counts_from_a_version_with_other_line_fields(tmp_path):
    key, record = _saved(tmp_path)
    path = tmp_path / COUNTS
    data = json.loads(path.read_text(encoding="utf-8"))
    data["fields"] = data["fields"][:-1]
    record = save_counts(tmp_path, key, [], [], set(), json.dumps(data))  # recorded as it is now
    assert load_counts(tmp_path, record, key) is None
