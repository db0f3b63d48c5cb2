"""Generate the example plant: an ERP inventory export, a locations file and a config.

The plant builds motor controllers and test stations: a receiving dock, a four-row
warehouse, lineside stock at the assembly, SMT, test and packing cells, an MRB quarantine
area and a high-value cage. Every value comes from one seeded random generator, so two
runs write byte-identical files.

Usage: python examples/make_plant.py [OUTPUT_FOLDER]   (default: this script's folder)
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import sys
from dataclasses import dataclass
from pathlib import Path

SEED = 20261122

INVENTORY_HEADERS = ["Bin", "Item", "Rev", "Item Description", "UoM", "Lot No", "Serial No",
                     "Inventory Status", "On Hand", "Avg Cost"]
LOCATION_HEADERS = ["location", "zone", "owner", "owner_email", "consumption", "cadence_days",
                    "last_count"]

CONFIG_TOML = """\
# cyclekit configuration for the example plant.
[inventory.columns]
location = "Bin"
part_number = "Item"
revision = "Rev"
description = "Item Description"
uom = "UoM"
lot = "Lot No"
serial = "Serial No"
status = "Inventory Status"
quantity = "On Hand"
unit_cost = "Avg Cost"
"""


@dataclass(frozen=True)
class Item:
    part_number: str
    revision: str
    description: str
    uom: str  # ea, m or kg
    unit_cost: str  # as the ERP prints it, two decimals
    full_bin: int  # what a full warehouse bin holds, in the item's unit of measure
    lots: bool = False  # lot-controlled
    serials: bool = False  # serialized: one line per unit, quantity 1


CATALOG: dict[str, list[Item]] = {
    "hardware": [
        Item("000812", "", "Hex bolt M8 x 25, zinc plated", "ea", "0.18", 5000),
        Item("000815", "", "Hex nut M8, zinc plated", "ea", "0.04", 10000),
        Item("000931", "A", "Flat washer M8, stainless", "ea", "0.03", 10000),
        Item("0042-01", "01", "Socket head cap screw M4 x 12", "ea", "0.07", 8000),
        Item("0042-02", "01", "Socket head cap screw M4 x 16", "ea", "0.08", 8000),
        Item("0042-05", "02", "Socket head cap screw M6 x 20", "ea", "0.15", 4000),
        Item("0007-330", "1", "Rivet nut M5, steel", "ea", "0.09", 4000),
        Item("000640", "", "Threaded rod M10 x 1 m", "ea", "3.45", 200),
        Item("0008-1150", "01", "DIN rail 35 mm x 1 m", "ea", "2.90", 150),
        Item("1E5", "", "Nylon spacer M3 x 5", "ea", "0.06", 6000),
        Item("1.50", "", "Shim washer 1.50 mm, spring steel", "ea", "0.11", 3000),
        Item("12-0034-A", "B", "Hinge, stainless 40 x 40", "ea", "2.35", 400),
        Item("12-0035-A", "A", "Quarter-turn latch, black", "ea", "4.80", 300),
        Item("12-0102-C", "", "Cable gland M20, nylon", "ea", "0.62", 1500),
        Item("HW-0210", "A", "Rubber foot 20 mm, adhesive-backed", "ea", "0.22", 2000),
        Item("HW-0305", "", 'Hose clamp 1/2" stainless', "ea", "0.48", 1000),
        Item("HW-0411", "", "Spring pin 3 x 20", "ea", "0.05", 5000),
    ],
    "electronics": [
        Item("RES-10K-0603", "", "Resistor 10k 1% 0603", "ea", "0.02", 20000, lots=True),
        Item("RES-4K7-0603", "", "Resistor 4k7 1% 0603", "ea", "0.02", 20000, lots=True),
        Item("RES-0R-0805", "", "Resistor 0R jumper 0805", "ea", "0.02", 10000),
        Item("CAP-100N-0603", "", "Capacitor 100nF 50V X7R 0603", "ea", "0.03", 20000, lots=True),
        Item("CAP-10U-1206", "", "Capacitor 10uF 25V X5R 1206", "ea", "0.12", 8000, lots=True),
        Item("000458", "", "Diode 1N4148W SOD-123", "ea", "0.04", 10000),
        Item("0090-2201", "A", "MOSFET N-ch 60V 30A DPAK", "ea", "0.58", 3000),
        Item("IC-0031", "C", "Microcontroller STM32F4, LQFP-64", "ea", "6.85", 1000, lots=True),
        Item("IC-0047", "", "CAN transceiver SOIC-8", "ea", "1.12", 2500),
        Item("CON-0120", "B", "Terminal block 2-pos 5.08 mm", "ea", "0.34", 3000),
        Item("CON-0188", "A", "Pin header 2 x 10, 2.54 mm", "ea", "0.41", 2000),
        Item("LED-0005", "", "LED green 0603", "ea", "0.05", 10000),
        Item("FUS-0250", "", "Fuse 2.5 A slow-blow 5 x 20", "ea", "0.29", 2000),
        Item("XTL-0016", "1", "Crystal 16 MHz HC-49", "ea", "0.21", 2000),
        Item("RLY-0024", "01", "Relay 24 VDC SPDT 10 A", "ea", "2.75", 500),
    ],
    "boards": [
        Item("PCB-0007", "A", "PCB bare board, motor controller", "ea", "8.40", 400, lots=True),
        Item("PCB-0007", "B", "PCB bare board, motor controller", "ea", "8.95", 400, lots=True),
        Item("PCBA-1021", "03", "PCBA, motor controller", "ea", "142.60", 120),
        Item("PCBA-1034", "01", "PCBA, sensor interface", "ea", "58.90", 200),
        Item("PCBA-1102", "B", "PCBA, power supply 24 V", "ea", "96.15", 150),
    ],
    "cable": [
        Item("CBL-0401", "", "Cable, shielded 4-core 0.5 mm2", "m", "2.15", 300),
        Item("CBL-0402", "", "Cable, shielded 2-core 0.75 mm2", "m", "1.64", 300),
        Item("CBL-0310", "A", "Wire 18 AWG red, PVC", "m", "0.19", 500),
        Item("CBL-0311", "A", "Wire 18 AWG black, PVC", "m", "0.19", 500),
        Item("TUB-0012", "", "PU tubing 8 mm, blue", "m", "0.86", 200),
        Item("TUB-0020", "", "Heat-shrink tubing 6 mm, black", "m", "0.32", 150),
        Item("GSK-0031", "", "Door gasket, EPDM", "m", "1.75", 100),
    ],
    "materials": [
        Item("STL-1500", "", "Steel sheet DC01 1.5 mm", "kg", "1.38", 400),
        Item("STL-2000", "", "Stainless sheet 304 2.0 mm", "kg", "4.95", 250),
        Item("ALU-0606", "", "Aluminium bar 6060, 20 x 20", "kg", "5.70", 120),
        Item("0019-0044", "C", "Aluminium extrusion 40 x 40, 1 m", "ea", "14.20", 80),
        Item("ADH-0221", "", "Adhesive, 2-part epoxy", "kg", "38.50", 20, lots=True),
        Item("ADH-0243", "", "Threadlocker, medium strength", "kg", "112.00", 5, lots=True),
        Item("PWD-0009", "", "Powder coat RAL 7035, light grey", "kg", "11.25", 60, lots=True),
        Item("PWD-0014", "", "Powder coat RAL 9005, jet black", "kg", "12.10", 60, lots=True),
    ],
    "smt_consumables": [
        Item("0003-0460", "", "Solder wire SAC305 0.8 mm", "kg", "64.80", 10, lots=True),
        Item("0003-0512", "", "Flux, no-clean liquid", "kg", "27.40", 8, lots=True),
        Item("000276", "", "Isopropyl alcohol 99%", "kg", "4.10", 40, lots=True),
        Item("SMT-0009", "", "Stencil wipes, lint-free roll", "ea", "18.75", 30),
    ],
    "mechanical": [
        Item("MTR-0750", "B", "Stepper motor NEMA 23, 2.8 A", "ea", "46.90", 60),
        Item("MTR-1100", "A", "Gear motor 24 VDC 60 rpm", "ea", "128.00", 40),
        Item("SNS-0101", "", "Inductive proximity sensor M12, PNP", "ea", "24.75", 100),
        Item("SNS-0204", "02", "Photoelectric sensor, diffuse 300 mm", "ea", "39.40", 80),
        Item("SNS-0330", "1", "Pressure transmitter 0-10 bar", "ea", "186.00", 30),
        Item("ENC-0100", "A", "Enclosure, steel 400 x 300 x 200", "ea", "84.30", 40),
        Item("ENC-0115", "", "Enclosure, ABS handheld", "ea", "6.45", 300),
        Item("PNL-0019", "A", 'Panel 19" rack 2U blank', "ea", "17.60", 60),
        Item("PSU-0240", "", "Power supply 24 V 10 A, DIN rail", "ea", "72.80", 50),
        Item("BRG-6204", "", "Ball bearing 6204-2RS", "ea", "3.20", 400),
        Item("FAN-0080", "", "Fan 80 mm 24 VDC", "ea", "8.95", 200),
    ],
    "packaging": [
        Item("PKG-0101", "", "Carton 400 x 300 x 200, single wall", "ea", "0.95", 1500),
        Item("PKG-0150", "", "Foam insert, controller tray", "ea", "2.10", 800),
        Item("PKG-0220", "", "Stretch film 500 mm roll", "ea", "14.90", 40),
        Item("PKG-0330", "", "Edge protector, cardboard", "ea", "0.27", 2000),
        Item("LBL-0004", "", "Label roll 100 x 50, thermal", "ea", "6.20", 120),
        Item("LBL-0017", "", "Rating plate label, polyester", "ea", "0.35", 3000),
    ],
    "equipment": [  # serialized, kept in the cage
        Item("SRV-4420", "B", "Servo drive 4.4 kW, EtherCAT", "ea", "18500.00", 1, serials=True),
        Item("LSR-0090", "02", "Fiber laser source 500 W", "ea", "42750.00", 1, serials=True),
        Item("SPM-1100", "A", "Spectrometer module, NIR", "ea", "12980.00", 1, serials=True),
        Item("CAM-0075", "", "Machine vision camera 12 MP", "ea", "6890.00", 1, serials=True),
        Item("TRQ-0021", "1", "Torque transducer 50 Nm", "ea", "3975.50", 1, serials=True),
        Item("ENC-0310", "1", "Absolute encoder 23-bit", "ea", "2450.00", 1, serials=True),
    ],
    "precious": [  # costly materials, kept in the cage
        Item("FPGA-0012", "", "FPGA XC7A100T, BGA-324", "ea", "187.35", 60, lots=True),
        Item("SLD-0300", "", "Solder paste SAC305, 500 g jar", "ea", "96.40", 24, lots=True),
        Item("0041-0017", "", "Gold bonding wire 25 um", "m", "1.85", 500, lots=True),
        Item("000377", "", "Silver conductive epoxy", "kg", "2840.00", 2, lots=True),
    ],
}
GENERAL_STOCK = [category for category in CATALOG if category not in ("equipment", "precious")]


@dataclass(frozen=True)
class Owner:
    name: str

    @property
    def email(self) -> str:
        return self.name.lower().replace(" ", ".") + "@plant.example.com"


MARIA = Owner("Maria Alvarez")  # receiving and warehouse row A
DMITRI = Owner("Dmitri Volkov")  # warehouse row B
PRIYA = Owner("Priya Natarajan")  # warehouse row C
TOM = Owner("Tom Becker")  # warehouse row D
KENJI = Owner("Kenji Watanabe")  # lineside
GRACE = Owner("Grace Okafor")  # quality: MRB and the cage

WAREHOUSE_STATUSES = {"available": 90, "on_order": 4, "unavailable": 3}
LINESIDE_STATUSES = {"available": 80, "installed": 15, "unavailable": 5}


@dataclass(frozen=True)
class Area:
    """Locations of one zone that hold the same kind of stock and share an owner."""

    zone: str
    owner: Owner
    locations: list[str]
    stock: list[str]  # catalog categories kept here
    items_per_location: tuple[int, int]
    statuses: dict[str, int]  # status -> weight
    consumption: list[str]  # drawn per location; "" leaves it blank
    fill: float = 1.0  # share of a full warehouse bin a location holds at most


def rack(row: str, bays: int, levels: int) -> list[str]:
    return [f"WH-{row}-{bay:02}-{level:02}"
            for bay in range(1, bays + 1) for level in range(1, levels + 1)]


# In the order a counter walks the plant.
AREAS = [
    Area("Receiving", MARIA, ["RCV-DOCK-1"], GENERAL_STOCK, (8, 10),
         {"available": 6, "on_order": 4}, ["high"]),
    Area("Warehouse A", MARIA, rack("A", 3, 3), ["hardware"], (5, 9),
         WAREHOUSE_STATUSES, ["high", "medium", "medium", ""]),
    Area("Warehouse B", DMITRI, rack("B", 3, 3), ["electronics", "boards"], (5, 9),
         WAREHOUSE_STATUSES, ["medium", "low", "medium", ""]),
    Area("Warehouse C", PRIYA, rack("C", 3, 3), ["cable", "materials", "smt_consumables"], (5, 8),
         WAREHOUSE_STATUSES, ["low", "medium", "low", ""]),
    Area("Warehouse D", TOM, rack("D", 4, 3), ["mechanical", "boards"], (5, 9),
         WAREHOUSE_STATUSES, ["low", "low", "medium", ""]),
    Area("Lineside", KENJI, ["LS-ASSY-1", "LS-ASSY-2", "LS-ASSY-3"],
         ["hardware", "mechanical", "cable"], (9, 13), LINESIDE_STATUSES, ["high"], fill=0.25),
    Area("Lineside", KENJI, ["LS-SMT-1", "LS-SMT-2"], ["electronics", "boards", "smt_consumables"],
         (9, 13), LINESIDE_STATUSES, ["high"], fill=0.25),
    Area("Lineside", KENJI, ["LS-TEST-1"], ["mechanical", "boards", "cable"], (8, 10),
         LINESIDE_STATUSES, ["medium"], fill=0.25),
    Area("Lineside", KENJI, ["LS-PACK-1"], ["packaging"], (5, 6),
         LINESIDE_STATUSES, ["high"], fill=0.25),
    Area("MRB", GRACE, ["MRB-01"], GENERAL_STOCK, (8, 10), {"unavailable": 1}, ["low"], fill=0.05),
    Area("Cage", GRACE, ["CAGE-01"], ["equipment"], (6, 6),
         {"available": 8, "installed": 2}, ["low"]),
    Area("Cage", GRACE, ["CAGE-02"], ["precious", "equipment"], (5, 7),
         {"available": 8, "installed": 2}, ["low"]),
]

EMPTY_LOCATIONS = {"WH-B-03-03", "WH-C-03-02", "WH-D-04-02", "WH-D-04-03"}
NEVER_COUNTED = {"WH-D-04-01", "WH-D-04-02", "WH-D-04-03", "LS-TEST-1", "CAGE-02"}
CADENCE_DAYS = {"RCV-DOCK-1": 7, "MRB-01": 14, "CAGE-01": 30}

FIRST_COUNT, LAST_COUNT = dt.date(2025, 10, 1), dt.date(2026, 11, 15)
RECENT_COUNT = LAST_COUNT - dt.timedelta(days=12)
FIRST_LOT, LAST_LOT = dt.date(2025, 3, 1), dt.date(2026, 11, 15)


def random_date(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randint(0, (last - first).days))


def lot_number(rng: random.Random) -> str:
    made = random_date(rng, FIRST_LOT, LAST_LOT)
    return f"L{made.year}-{made.month:02}{made.day:02}"


class SerialNumbers:
    """Unique serial numbers, increasing in the order units were stocked."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.next = 2410400

    def take(self) -> str:
        self.next += self.rng.randint(1, 90)
        return f"SN{self.next}"


def draw_quantity(rng: random.Random, item: Item, fill: float) -> float:
    ceiling = max(1, round(item.full_bin * fill))
    if item.uom == "kg":
        return rng.randint(1, ceiling * 8) / 8  # weighed to the eighth: 3.125, 0.75, 12.5
    if item.uom == "m":
        return rng.randint(1, ceiling * 4) / 4  # cut to the quarter metre
    if ceiling >= 1000:
        return 50 * rng.randint(1, ceiling // 50)  # full reels and bags
    return rng.randint(1, ceiling)


def format_quantity(rng: random.Random, quantity: float, uom: str) -> str:
    """As the ERP prints it: grouped thousands now and then, a stray '.0' on a few counts."""
    if uom != "ea":
        return f"{quantity:.3f}".rstrip("0").rstrip(".")
    quantity = int(quantity)
    if quantity >= 1000:
        return f"{quantity:,}" if rng.random() < 0.15 else str(quantity)
    if rng.random() < 0.04:
        return f"{quantity}.0"
    return str(quantity)


def stock_location(rng: random.Random, area: Area, location: str,
                   serials: SerialNumbers) -> list[list[str]]:
    """The inventory lines of one location."""
    pool = [item for category in area.stock for item in CATALOG[category]]
    rows = []
    for item in rng.sample(pool, rng.randint(*area.items_per_location)):
        if item.serials:
            units = [("", serials.take()) for _ in range(rng.randint(1, 3))]
        elif item.lots:
            lots = {lot_number(rng) for _ in range(2 if rng.random() < 0.2 else 1)}
            units = [(lot, "") for lot in sorted(lots)]
        else:
            units = [("", "")]
        for lot, serial in units:
            status = rng.choices(list(area.statuses), weights=list(area.statuses.values()))[0]
            if serial:
                on_hand = "1"
            elif status == "available" and rng.random() < 0.05:
                on_hand = "0"  # the ERP still lists a line that was picked empty
            else:
                on_hand = format_quantity(rng, draw_quantity(rng, item, area.fill), item.uom)
            rows.append([location, item.part_number, item.revision, item.description, item.uom,
                         lot, serial, status, on_hand, item.unit_cost])
    return rows


def inventory_rows(rng: random.Random) -> list[list[str]]:
    serials = SerialNumbers(rng)
    rows = []
    for area in AREAS:
        for location in area.locations:
            if location not in EMPTY_LOCATIONS:
                rows.extend(stock_location(rng, area, location, serials))
    # Walk order: by bin, then part number (revision, lot and serial break ties).
    return sorted(rows, key=lambda row: (row[0], row[1], row[2], row[5], row[6]))


def location_rows(rng: random.Random) -> list[list[str]]:
    rows = []
    for area in AREAS:
        for location in area.locations:
            if location in NEVER_COUNTED:
                last_count = ""
            elif location in CADENCE_DAYS:  # counted on a short cadence: recently
                last_count = random_date(rng, RECENT_COUNT, LAST_COUNT).isoformat()
            else:
                last_count = random_date(rng, FIRST_COUNT, LAST_COUNT).isoformat()
            rows.append([location, area.zone, area.owner.name, area.owner.email,
                         rng.choice(area.consumption), str(CADENCE_DAYS.get(location, "")),
                         last_count])
    return rows


def write_csv(path: Path, headers: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        writer.writerow(headers)
        writer.writerows(rows)


def main(argv: list[str]) -> None:
    folder = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)
    inventory = inventory_rows(rng)
    locations = location_rows(rng)
    write_csv(folder / "inventory.csv", INVENTORY_HEADERS, inventory)
    write_csv(folder / "locations.csv", LOCATION_HEADERS, locations)
    (folder / "cyclekit.toml").write_text(CONFIG_TOML, encoding="utf-8", newline="\n")
    print(f"wrote {len(inventory)} inventory lines and {len(locations)} locations to {folder}")


if __name__ == "__main__":
    main(sys.argv)
