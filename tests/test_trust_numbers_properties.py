"""Property-based: whatever bytes, text, numbers or layout the loaders are given, the only
exceptions out of them are CyclekitErrors (a one-line message or a list of problems)."""

import tempfile
from dataclasses import fields
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyclekit.config import (
    CANONICAL_FIELDS,
    CountConfig,
    InventoryConfig,
    ScheduleConfig,
    load_config,
    parse_config,
)
from cyclekit.errors import CyclekitError
from cyclekit.inputs.inventory import load_inventory
from cyclekit.inputs.locations import load_locations

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LOCATION_FIELDS = ["location", "zone", "owner", "owner_email", "consumption", "cadence_days", "last_count"]
SUFFIXES = [".csv", ".txt", ".tsv", ".xlsx", ".ods", ".json"]

numbers = st.one_of(
    st.integers(-10**12, 10**12).map(str), st.integers(0, 5000).map(str),
    st.decimals(allow_nan=True, allow_infinity=True, places=None).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.from_regex(r"[+-]?[0-9]{0,4}([.,][0-9]{0,4}){0,3}", fullmatch=True),
    st.sampled_from(["1,200", "1.800", "0,125", "1.234,5", "1,234.5", "$3.50", "€ 2,5", "1e5", "-0", "NaN", ""]),
)
texts = st.text(max_size=40)
cells = st.one_of(numbers, texts, st.sampled_from(["", " ", " PN ", "=SUM(A1)", "\x07", "\ufeff", '"', "\r\n"]))
encodings = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252", "latin-1", "utf-32"])


identifiers = st.one_of(st.from_regex(r"[A-Z0-9 .,=+-]{1,8}", fullmatch=True), st.sampled_from(["", " PN "]),
                        texts)


def typed_cell(header):
    kinds = {"quantity": numbers, "unit_cost": numbers, "cadence_days": numbers,
             "status": st.sampled_from(["available", "installed", "", "Unknown"]),
             "uom": st.sampled_from(["ea", "m", "kg", "", "EA"]), "consumption": st.sampled_from(["low", "", "x"]),
             "last_count": st.one_of(st.dates().map(str), texts), "owner_email": st.sampled_from(["a@b", "", "x"])}
    return st.one_of(kinds.get(header, identifiers), cells) if header in kinds else identifiers


@st.composite
def delimited(draw, fields):
    """A CSV-like text: canonical or random headers, random rows, delimiter and quoting."""
    if draw(st.sampled_from([True, True, True, False])):  # mostly the real headers: the rows get read
        headers = list(fields)
    else:
        headers = draw(st.lists(st.one_of(st.sampled_from(fields), texts), max_size=len(fields) + 2))
    delimiter = draw(st.sampled_from([",", ";", "\t", ",", ";", "\t", "|"]))
    if draw(st.booleans()):  # rows that mostly fit their columns: the checks past the header are reached
        rows = draw(st.lists(st.tuples(*(typed_cell(h) for h in headers)).map(list), max_size=8))
    else:
        rows = draw(st.lists(st.lists(cells, max_size=len(headers) + 2), max_size=8))

    def line(row):
        quote = draw(st.booleans())
        return delimiter.join('"' + c.replace('"', '""') + '"' if quote else c for c in row)

    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return newline.join(line(row) for row in [headers, *rows])


def encoded(draw, text):
    encoding = draw(encodings)
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def only_cyclekit_errors(load, data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(data)
        try:
            load(path)
        except CyclekitError:
            pass


inventory_configs = st.builds(
    InventoryConfig, decimal_separator=st.sampled_from(["", ".", ","]),
    whole_number_uoms=st.sampled_from([("ea",), ()]), strict_statuses=st.booleans())


@SETTINGS
@given(st.data(), inventory_configs, st.sampled_from(SUFFIXES[:3]))
def test_the_export_loader_refuses_any_text_with_a_cyclekit_error(data, config, suffix):
    text = data.draw(delimited(list(CANONICAL_FIELDS)))
    only_cyclekit_errors(lambda p: load_inventory(p, config), encoded(data.draw, text), suffix)


@SETTINGS
@given(st.binary(max_size=600), st.sampled_from(SUFFIXES))
def test_the_export_loader_refuses_any_bytes_with_a_cyclekit_error(data, suffix):
    only_cyclekit_errors(lambda p: load_inventory(p, InventoryConfig()), data, suffix)


@SETTINGS
@given(st.data(), st.sampled_from(SUFFIXES[:3]))
def test_the_locations_loader_refuses_any_text_with_a_cyclekit_error(data, suffix):
    text = data.draw(delimited(LOCATION_FIELDS))
    inventory = data.draw(st.lists(texts, max_size=3))
    only_cyclekit_errors(lambda p: load_locations(p, inventory=inventory), encoded(data.draw, text), suffix)


@SETTINGS
@given(st.binary(max_size=600), st.sampled_from(SUFFIXES))
def test_the_locations_loader_refuses_any_bytes_with_a_cyclekit_error(data, suffix):
    only_cyclekit_errors(load_locations, data, suffix)


specials = st.sampled_from([float("nan"), float("inf"), float("-inf"), -0.0, 0, -1, 1, 100, 101, 10**19,
                            ".", ",", "", "abc", "foreman", "rolling", "A", "generic", "x.csv.j2"])
scalars = st.one_of(specials, st.integers(-10**20, 10**20), st.floats(), st.booleans(), texts, st.dates(),
                    st.datetimes())
toml_values = st.one_of(scalars, st.recursive(
    scalars, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(
        st.one_of(st.sampled_from(["A", "B", "C", "location"]), texts), inner, max_size=3)), max_leaves=8))
DEFAULTS = {"inventory": InventoryConfig(), "schedule": ScheduleConfig(), "count": CountConfig()}


def as_toml(value):
    """A default as the config file would write it."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, dict):
        return {k: as_toml(v) for k, v in value.items()}
    return value


def hostile_for(default):
    """A value of the setting's own type that is out of bounds, or of another type, or anything."""
    if isinstance(default, bool):
        typed = st.booleans()
    elif isinstance(default, Decimal):
        typed = st.one_of(st.sampled_from([float("nan"), float("inf"), float("-inf"), -1, 10**30]), st.floats())
    elif isinstance(default, int):
        typed = st.one_of(st.integers(-10**30, 10**30), st.sampled_from([0, -1, 10**19]))
    elif isinstance(default, tuple):
        typed = st.lists(st.one_of(specials.filter(lambda v: isinstance(v, str)), texts), max_size=3)
    elif isinstance(default, dict):
        sample = next(iter(default.values()), "")
        typed = st.one_of(
            st.dictionaries(st.one_of(st.sampled_from([*default, "location", "quantity"]), texts),
                            hostile_for(sample), max_size=4),
            st.builds(lambda key, value: {**as_toml(default), key: value},
                      st.sampled_from([*default] or ["location"]), hostile_for(sample)))
    else:
        typed = st.one_of(specials.filter(lambda v: isinstance(v, str)), texts)
    return st.one_of(typed, typed, toml_values)


@st.composite
def sections(draw):
    """A config whose settings are their defaults (written out) but one, which is hostile; now and
    then an unknown section or key."""
    data: dict = {}
    for section in draw(st.lists(st.sampled_from(sorted(DEFAULTS)), min_size=1, max_size=3, unique=True)):
        default = DEFAULTS[section]
        names = [f.name for f in fields(default) if getattr(default, f.name) is not None]
        chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
        data[section] = {name: as_toml(getattr(default, name)) for name in chosen}
    section = draw(st.sampled_from(sorted(data)))
    name = draw(st.sampled_from(sorted(data[section])))
    data[section][name] = draw(hostile_for(getattr(DEFAULTS[section], name)))
    if draw(st.integers(0, 9)) == 0:
        data["adjustments"] = draw(st.dictionaries(st.sampled_from(["netsuite", "odoo", "mine"]),
                                                   st.dictionaries(texts, toml_values, max_size=2), max_size=2))
    if draw(st.integers(0, 9)) == 0:
        data[draw(texts)] = draw(st.one_of(st.dictionaries(texts, toml_values, max_size=2), toml_values))
    return data


@settings(SETTINGS, max_examples=400)
@given(sections())
def test_the_config_loader_refuses_any_settings_with_a_cyclekit_error(data):
    try:
        parse_config(data)
    except CyclekitError:
        pass


@SETTINGS
@given(st.one_of(st.binary(max_size=400), st.text(max_size=300).map(str.encode)))
def test_the_config_loader_refuses_any_file_with_a_cyclekit_error(data):
    only_cyclekit_errors(load_config, data, ".toml")


@settings(SETTINGS, max_examples=25)
@given(st.one_of(st.sampled_from([32_767, 32_768, 131_072, 131_073, 200_000]), st.integers(0, 300_000)),
       st.sampled_from(["location", "part_number", "description", "quantity"]), st.sampled_from([0, 10_000]),
       st.booleans())
def test_a_field_of_any_length_is_read_or_refused_with_a_cyclekit_error(length, column, padding, quoted):
    """Past 256 KB pyarrow reads the file, below it the csv module: both bound a field alike."""
    header = list(CANONICAL_FIELDS)
    row = dict.fromkeys(header, "")
    row.update(location="A1", part_number="P", quantity="1")
    row[column] = "x" * length
    rows = [",".join(["A1", f"P{n}"] + [""] * (len(header) - 2)) for n in range(padding)]
    cells = [f'"{row[name]}"' if quoted else row[name] for name in header]
    text = "\n".join([",".join(header), *rows, ",".join(cells)])
    only_cyclekit_errors(lambda p: load_inventory(p, InventoryConfig()), text.encode(), ".csv")


@settings(SETTINGS, max_examples=60)
@given(st.data())
def test_a_schedule_from_any_locations_file_is_written_or_refused_with_a_cyclekit_error(data):
    """What the locations loader lets through must not stop the schedule (a cadence of
    3,000,000 days passed the loader and overflowed the calendar)."""
    import datetime as dt

    from cyclekit.config import Config
    from cyclekit.stages import schedule as api

    rows = data.draw(st.lists(st.fixed_dictionaries({
        "location": st.sampled_from(["A1", "A2", "B1"]),
        "cadence_days": st.one_of(st.integers(-5, 10**12).map(str), st.sampled_from(["", "30", "3660", "3661"])),
        "last_count": st.one_of(st.dates().map(str), st.just("")),
        "consumption": st.sampled_from(["", "high", "low"])}), min_size=1, max_size=3))
    with tempfile.TemporaryDirectory() as folder:
        inventory = Path(folder) / "inv.csv"
        inventory.write_text("location,part_number,quantity,unit_cost\nA1,P1,1,1\nA2,P2,2,2\n", encoding="utf-8")
        locations = Path(folder) / "locations.csv"
        locations.write_text("location,cadence_days,last_count,consumption\n" + "".join(
            f"{r['location']},{r['cadence_days']},{r['last_count']},{r['consumption']}\n" for r in rows),
            encoding="utf-8")
        try:
            api.write_schedule(inventory, Path(folder) / "s.xlsx", Config(), locations=locations,
                               as_of=dt.date(2026, 11, 23))
        except CyclekitError:
            pass
