import codecs
from decimal import Decimal
from pathlib import Path

import jinja2
import pytest
from jinja2 import nodes

from cyclekit.config import TARGET_SETTINGS, TEMPLATE_SUFFIX, load_config
from cyclekit.errors import ConfigError
from cyclekit.layouts import adjustments

ROOT = Path(__file__).resolve().parents[1]


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


def test_utf8_with_a_bom_is_read(tmp_path):
    # Windows Notepad saves "UTF-8" with a byte order mark
    path = tmp_path / "cyclekit.toml"
    path.write_bytes(codecs.BOM_UTF8 + '[inventory.columns]\nlocation = "Emplacement à"\n'.encode())
    assert load_config(path).inventory.header_for("location") == "Emplacement à"


def test_utf16_with_a_bom_is_read(tmp_path):
    path = tmp_path / "cyclekit.toml"
    path.write_text('[inventory.columns]\nlocation = "Emplacement à"\n', encoding="utf-16")
    assert load_config(path).inventory.header_for("location") == "Emplacement à"


@pytest.mark.parametrize("raw, message", [
    ('[inventory.columns]\nlocation = "Emplacement é"\n'.encode("cp1252"), "line 2 is not UTF-8 text"),
    ('[count]\npaper = 9\n'.encode("utf-16-le"), "looks like UTF-16"),  # no BOM
    (codecs.BOM_UTF16_LE + b'[\x00c', "not readable as UTF-16"),  # cut short
], ids=["windows-1252", "utf-16-without-bom", "utf-16-cut-short"])
def test_other_encodings_are_named(tmp_path, raw, message):
    path = tmp_path / "cyclekit.toml"
    path.write_bytes(raw)
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: ") and "save the file again with the encoding UTF-8" in str(
        caught.value)


@pytest.mark.parametrize("text, message", [
    ("paper = 4", r"count.paper must be 1 \(Letter\) or 9 \(A4\), not 4"),
    ("found_item_rows = -1", "count.found_item_rows must be 0 or more, not -1"),
    ("minor_max_qty = -5", "count.minor_max_qty must be 0 or more, not -5"),
    ("minor_max_value = -0.5", "count.minor_max_value must be 0 or more, not -0.5"),
    ("max_snapshot_age_days = -1", "count.max_snapshot_age_days must be 0 or more"),
    ("tolerance_percent = { A = -1, B = 2, C = 5 }", "count.tolerance_percent needs A, B and C, each a percentage "
                                                     "from 0 to 100"),
    ("tolerance_percent = { A = 0, B = 2, X = 5 }", r"from 0 to 100 .*, not \{ A = 0, B = 2, X = 5 \}"),
    ("tolerance_percent = { A = 0, B = 2, C = 101 }", "count.tolerance_percent"),
    ("tolerance_percent = { A = 1 }", "needs A, B and C"),  # B and C would silently become 0 %
    ('default_targets = ["sap"]', "count.default_targets names unknown target 'sap'; targets are "
                                  "business-central, erpnext, fishbowl, generic, netsuite, odoo, or your own"),
    ('default_targets = ["NetSuite"]', "unknown target 'NetSuite'"),
    ('reviewers = ["lead at plant.example"]', "count.reviewers must be e-mail addresses"),
])
def test_count_mistakes_are_named(tmp_path, text, message):
    path = write(tmp_path, f"[count]\n{text}\n")
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: ")


@pytest.mark.parametrize("text, message", [
    ('[adjustments.netsuite]\nacount = "5100"\n',
     r"unknown setting adjustments.netsuite.acount \(known: account, adjustment_location, class"),
    ('[adjustments.generic]\naccount = "5100"\n',
     r"adjustments.generic.account \(known: escape_formulas, post_without_cost\)"),
    ("[adjustments.fishbowl]\nlot_tracking = true\n", "adjustments.fishbowl.lot_tracking must be text"),
    ("[adjustments.netsuite]\naccount = 5100\n", "adjustments.netsuite.account must be text, written in quotes"),
])
def test_adjustment_mistakes_are_named(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: ")


def test_count_and_adjustment_settings_that_are_allowed(tmp_path):
    config = load_config(write(tmp_path, """
[count]
paper = 9
found_item_rows = 0
minor_max_qty = 0
tolerance_percent = { A = 0, B = 0.5, C = 100 }
default_targets = ["netsuite", "templates/mine.csv.j2"]
reviewers = ["lead@plant.example"]
[adjustments.netsuite]
account = "5100 Inventory Shrinkage"
[adjustments.mine]    # read by the user's own template mine.csv.j2, whatever it holds
posting_key = 40
"""))
    assert config.count.paper == 9
    assert config.count.tolerance_percent == {"A": Decimal(0), "B": Decimal("0.5"), "C": Decimal(100)}
    assert config.count.default_targets == ("netsuite", "templates/mine.csv.j2")
    assert config.adjustments["mine"] == {"posting_key": 40}


def test_example_config_is_valid():
    config = load_config(ROOT / "examples" / "cyclekit.toml")
    # odoo needs Odoo's own export of the counted lines (--odoo-quants): configured, not a default
    assert set(config.count.default_targets) == set(TARGET_SETTINGS) - {"odoo"}
    assert config.adjustments["odoo"]["location_prefix"]


def _is_target_get(call: nodes.Call) -> bool:
    return (isinstance(call.node, nodes.Getattr) and call.node.attr == "get"
            and isinstance(call.node.node, nodes.Name) and call.node.node.name == "target")


def _settings_read(template: str) -> set[str] | None:
    """The keys a template reads with target.get("key", ...); None when it reads `target` otherwise."""
    tree = jinja2.Environment().parse((ROOT / "templates" / "adjustments" / template).read_text(encoding="utf-8"))
    gets = [call for call in tree.find_all(nodes.Call) if _is_target_get(call)]
    uses = [name for name in tree.find_all(nodes.Name) if name.name == "target"]
    if len(uses) != len(gets) or not all(call.args and isinstance(call.args[0], nodes.Const) for call in gets):
        return None
    return {call.args[0].value for call in gets}


def test_target_settings_match_the_shipped_templates():
    # config.py lists the settings so that loading a config needs no Jinja2; it must follow the templates
    assert sorted(TARGET_SETTINGS) == adjustments.shipped_targets()
    assert TEMPLATE_SUFFIX == adjustments.TEMPLATE_SUFFIX
    for target, keys in TARGET_SETTINGS.items():
        assert _settings_read(f"{target}.csv.j2") == set(keys), target
