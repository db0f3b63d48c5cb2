from decimal import Decimal

import pytest

from cyclekit.config import load_config
from cyclekit.errors import ConfigError


def write(tmp_path, text):
    path = tmp_path / "cyclekit.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(tmp_path):
    config = load_config(search_dir=tmp_path)
    assert config.inventory.skip_statuses == ("installed", "on_order")
    assert config.schedule.counts_per_year == {"A": 12, "B": 4, "C": 1}
    assert config.count.tolerance_percent["B"] == Decimal(2)


def test_values_are_read_and_typed(tmp_path):
    config = load_config(write(tmp_path, """
[inventory]
skip_statuses = ["Installed"]
[inventory.columns]
location = "Bin"
[schedule]
a_share = 70
counts_per_year = { A = 24, B = 6, C = 2 }
[count]
minor_max_value = 250.5
"""))
    assert config.inventory.skip_statuses == ("installed",)
    assert config.inventory.header_for("location") == "Bin"
    assert config.inventory.header_for("quantity") == "quantity"
    assert config.schedule.a_share == Decimal(70)
    assert config.count.minor_max_value == Decimal("250.5")


@pytest.mark.parametrize("text, message", [
    ("[inventroy]\n", "unknown section \\[inventroy\\]"),
    ("[schedule]\ncadence = 3\n", "unknown setting schedule.cadence"),
    ("[schedule]\ndue_soon_days = 'seven'\n", "must be a whole number"),
    ("[schedule]\nmodel = 'weekly'\n", "schedule.model"),
    ("[schedule]\na_share = 96\n", "a_share <= b_share"),
    ("[schedule]\ncounts_per_year = { A = 12 }\n", "needs A, B and C"),
    ("[inventory]\nstrict_statuses = 1\n", "true or false"),
    ("not toml at all [", "not valid TOML"),
])
def test_mistakes_are_named(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, text))


def test_missing_named_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")
