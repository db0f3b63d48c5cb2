"""Generate a deterministic synthetic plant for the benchmarks, at a chosen scale.

Full scale (``--scale 1``) is 200,000 inventory lines in 4,000 locations, 50 lines each, and
a cycle that counts 1,000 of those locations (50,000 lines). ``--scale 0.1`` is 20,000 lines
in 400 locations with 100 due; every count grows linearly with the scale (locations are
rounded, always 50 lines each, at least 4 locations).

How exactly 1,000 locations (a quarter of them) come out due, honestly, through cyclekit's
own rules: every location in locations.csv carries a ``cadence_days`` override of 90 days and
a ``last_count`` chosen so that Next Count (= Last Count + Cadence) falls

* for every 4th location (index 0, 4, 8, ...): between 10 days before and 7 days after the
  as-of date, i.e. Overdue or Due this week, so ``cyclekit sheets --due-within 7`` picks it;
* for every other location: 8 to 89 days after the as-of date (Scheduled, not picked).

No ``--location`` list and no ``--all`` is needed: the benchmark runs the real selection.

Files written to OUT (default benchmarks/out/plant-<scale>):

* ``inventory.csv``: canonical headers (location, part_number, revision, description, uom,
  lot, serial, status, quantity, unit_cost). Identifiers a spreadsheet likes to mangle are
  frequent: part numbers with leading zeros (``000812``, ``0042-07``), ``1E5``-style and
  ``1.50``-style part numbers, revisions ``01`` next to ``1``, lots with leading zeros,
  serialized lines (quantity 1). Quantities are whole for ``ea``/``pcs`` and decimal for
  ``kg``/``m``. Statuses are ``available`` and ``unavailable`` only, both counted, so every
  location keeps exactly 50 lines on its count sheet (no line is skipped as installed or
  on order).
* ``locations.csv``: location, zone, owner, owner_email, consumption, cadence_days, last_count.
* ``cyclekit.toml``: a minimal config (the headers are canonical already; the generic ERP
  adjustment file only, so finalize writes the same one file as the naive baseline).
* ``plant.json``: the parameters and the expected counts (locations due, lines due).

Everything comes from one seeded ``random.Random``: two runs with the same scale and seed
write byte-identical files.

    python benchmarks/plant.py --scale 0.1 --out /tmp/plant
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
from pathlib import Path

SEED = 20261123
FULL_LINES = 200_000
FULL_LOCATIONS = 4_000
LINES_PER_LOCATION = FULL_LINES // FULL_LOCATIONS  # 50
DUE_EVERY = 4  # every 4th location is due: 1,000 of 4,000
CADENCE_DAYS = 90
DEFAULT_AS_OF = dt.date(2026, 11, 23)
CATALOG_SIZE = 6_000

INVENTORY_HEADERS = ["location", "part_number", "revision", "description", "uom", "lot", "serial",
                     "status", "quantity", "unit_cost"]
LOCATION_HEADERS = ["location", "zone", "owner", "owner_email", "consumption", "cadence_days",
                    "last_count"]

CONFIG_TOML = """\
# cyclekit configuration for the synthetic benchmark plant: canonical headers, so no
# [inventory.columns] mapping; finalize writes the generic adjustment file only.
[count]
default_targets = ["generic"]
"""

NOUNS = ["Hex bolt", "Hex nut", "Flat washer", "Cap screw", "Rivet nut", "Spacer", "Bracket", "Hinge",
         "Cable gland", "Resistor", "Capacitor", "Diode", "MOSFET", "Connector", "Terminal block",
         "Relay", "Fuse", "PCB", "PCBA", "Cable", "Wire", "Tubing", "Gasket", "Steel sheet",
         "Aluminium bar", "Adhesive", "Powder coat", "Solder wire", "Flux", "Motor", "Sensor",
         "Enclosure", "Panel", "Power supply", "Bearing", "Fan", "Carton", "Foam insert", "Label roll",
         "Servo drive", "Encoder", "Camera"]
QUALIFIERS = ["M3", "M4", "M5", "M6", "M8", "M10", "stainless", "zinc plated", "black", "nylon",
              "0603", "0805", "1206", "24 VDC", "230 VAC", "2-pos", "10-pos", "IP67", "shielded",
              '1/2"', "x 20", "x 25", "x 40", "400 x 300", "rev. B", "RoHS", "EPDM", "SAC305"]
ZONES = ["Receiving", "Warehouse A", "Warehouse B", "Warehouse C", "Warehouse D", "Warehouse E",
         "Mezzanine", "Lineside Assembly", "Lineside SMT", "Lineside Test", "Packing", "MRB", "Cage"]
FIRST = ["Maria", "Sam", "Riley", "Dana", "Ken", "Aisha", "Tomas", "Priya", "Jon", "Lena", "Omar",
         "Chen", "Sofia", "Ivan", "Grace", "Mateo", "Nadia", "Leo", "Hana", "Victor"]
LAST = ["Alvarez", "Okafor", "Chen", "Whitfield", "Sato", "Khan", "Novak", "Iyer", "Berg", "Costa",
        "Haddad", "Li", "Rossi", "Petrov", "Moore", "Silva", "Nowak", "Dubois", "Kim", "Reyes"]


# the plant shapes: (locations at full scale, lines per location). "worst" is issue 17's
# every-line-off cycle: 600 due locations x 40 lines = 24,000 counted lines at full scale.
SHAPES = {"standard": (FULL_LOCATIONS, LINES_PER_LOCATION), "worst": (2_400, 40)}


def sizes(scale: float, shape: str = "standard") -> tuple[int, int, int]:
    """Locations, lines and locations due at this scale."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    full_locations, per_location = SHAPES[shape]
    locations = max(DUE_EVERY, round(full_locations * scale))
    due = len(range(0, locations, DUE_EVERY))
    return locations, locations * per_location, due


def location_name(index: int) -> str:
    """WH-<row letter(s)>-<bay>-<level>: 10 rows x 20 bays x 20 levels = 4,000 at full scale."""
    row, rest = divmod(index, 400)
    bay, level = divmod(rest, 20)
    letters = ""
    row += 1
    while row:  # A..Z, AA.. for scales above 2.6
        row, r = divmod(row - 1, 26)
        letters = chr(65 + r) + letters
    return f"WH-{letters}-{bay + 1:02d}-{level + 1:02d}"


def _catalog(rng: random.Random) -> list[dict]:
    items = []
    used: set[tuple[str, str]] = set()
    while len(items) < CATALOG_SIZE:
        kind = rng.random()
        if kind < 0.30:
            part = f"{rng.randrange(1, 100_000):06d}"  # leading zeros: 000812
        elif kind < 0.50:
            part = f"{rng.randrange(1, 200):04d}-{rng.randrange(1, 100):02d}"  # 0042-07
        elif kind < 0.53:
            part = f"{rng.randrange(1, 10)}E{rng.randrange(1, 10)}"  # 1E5: a float to a spreadsheet
        elif kind < 0.56:
            part = f"{rng.randrange(1, 10)}.{rng.randrange(0, 100):02d}"  # 1.50: trailing zero matters
        else:
            prefix = rng.choice(["RES", "CAP", "IC", "CON", "HW", "MTR", "SNS", "PKG", "CBL", "PCBA"])
            part = f"{prefix}-{rng.randrange(1, 10_000):04d}"
        revision = rng.choice(["", "", "", "A", "B", "C", "01", "02", "1", "2"])
        if (part, revision) in used:
            continue
        used.add((part, revision))
        u = rng.random()
        uom = "ea" if u < 0.75 else "pcs" if u < 0.80 else "m" if u < 0.90 else "kg"
        serials = uom == "ea" and rng.random() < 0.03
        lots = not serials and rng.random() < 0.2
        description = f"{rng.choice(NOUNS)} {rng.choice(QUALIFIERS)}, {rng.choice(QUALIFIERS)}"
        cost = rng.lognormvariate(1.0, 1.6) * (200 if serials else 1)
        items.append({"part_number": part, "revision": revision, "description": description,
                      "uom": uom, "serials": serials, "lots": lots,
                      "unit_cost": f"{max(cost, 0.01):.2f}"})
    return items


def _quantity(rng: random.Random, item: dict) -> str:
    if item["serials"]:
        return "1"
    if item["uom"] in ("ea", "pcs"):
        return str(int(rng.lognormvariate(3.5, 1.5)) + 1)
    return f"{rng.lognormvariate(2.5, 1.2):.{rng.choice([1, 2, 3])}f}"


def generate(out: Path, scale: float = 1.0, as_of: dt.date = DEFAULT_AS_OF, seed: int = SEED,
             shape: str = "standard") -> dict:
    out.mkdir(parents=True, exist_ok=True)
    n_locations, n_lines, n_due = sizes(scale, shape)
    per_location = SHAPES[shape][1]
    rng = random.Random(seed)
    catalog = _catalog(rng)
    owners = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(40)]

    due_locations = []
    lines_written = 0
    with open(out / "inventory.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(INVENTORY_HEADERS)
        serial_no = 2_400_000
        for index in range(n_locations):
            name = location_name(index)
            for pick in rng.sample(range(CATALOG_SIZE), per_location):
                item = catalog[pick]
                lot = serial = ""
                if item["lots"]:
                    lot = rng.choice([f"L{rng.randrange(10**6):06d}", f"{rng.randrange(10**5):05d}"])
                if item["serials"]:
                    serial_no += 1
                    serial = f"SN{serial_no}"
                status = "available" if rng.random() < 0.95 else "unavailable"
                writer.writerow([name, item["part_number"], item["revision"], item["description"],
                                 item["uom"], lot, serial, status, _quantity(rng, item), item["unit_cost"]])
                lines_written += 1

    with open(out / "locations.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(LOCATION_HEADERS)
        for index in range(n_locations):
            name = location_name(index)
            owner = owners[(index // 100) % len(owners)]
            if index % DUE_EVERY == 0:
                next_in = rng.randint(-10, 7)  # overdue or due this week
                due_locations.append(name)
            else:
                next_in = rng.randint(8, CADENCE_DAYS - 1)
            last = as_of + dt.timedelta(days=next_in - CADENCE_DAYS)
            writer.writerow([name, ZONES[(index // 300) % len(ZONES)], owner,
                             owner.lower().replace(" ", ".") + "@plant.example.com",
                             rng.choice(["low", "medium", "medium", "high", ""]), CADENCE_DAYS,
                             last.isoformat()])

    (out / "cyclekit.toml").write_text(CONFIG_TOML, encoding="utf-8")
    info = {
        "scale": scale, "seed": seed, "as_of": as_of.isoformat(), "due_within": 7,
        "shape": shape, "locations": n_locations, "lines": lines_written, "lines_per_location": per_location,
        "locations_due": n_due, "lines_due": n_due * per_location,
        "cadence_days": CADENCE_DAYS, "catalog_parts": CATALOG_SIZE,
    }
    assert lines_written == n_lines and len(due_locations) == n_due
    (out / "plant.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return info


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="1 = 200,000 lines / 4,000 locations / 1,000 due (default 1)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default benchmarks/out/plant-SCALE)")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=DEFAULT_AS_OF)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--shape", choices=sorted(SHAPES), default="standard",
                        help="standard: 50 lines a location; worst: 2,400 locations x 40 lines at full scale")
    args = parser.parse_args(argv)
    out = args.out or Path(__file__).resolve().parent / "out" / f"plant-{args.scale:g}"
    info = generate(out, args.scale, args.as_of, args.seed, args.shape)
    print(f"wrote {out}: {info['lines']:,} lines in {info['locations']:,} locations; "
          f"{info['locations_due']:,} due ({info['lines_due']:,} lines) as of {info['as_of']}")


if __name__ == "__main__":
    main()
