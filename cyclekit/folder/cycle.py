"""The cycle folder: manifest, frozen snapshot, checksums.

Everything after `sheets` reads the folder, never a fresh ERP export, so system
quantities cannot shift under the counters' feet while a count is running.

    CYCLE_DIR/
      manifest.json     cycle id, dates, locations, every sheet with its checksum, each ingest
                        (IngestRecord) and the finalize (FinalizeRecord, with who signed it off);
                        format_version 3 (a manifest without one is version 1, the same records as
                        plain objects), sealed with the machine's signing key (folder.seal; versions
                        1 and 2 had no seal and no sign-off)
      snapshot.csv      the lines of the cycle's locations as they were when the sheets were made
      part_costs.csv    unit cost per part, revision and unit in the whole export (values found items)
      sheets/ or packets/, pdf/, recounts/, results.xlsx
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import re
import shutil
import warnings
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from cyclekit.atomic import atomic_path, write_text_atomic
from cyclekit.domain.lines import LineId
from cyclekit.domain.stock import InventoryLine
from cyclekit.domain.values import XML_ILLEGAL  # characters an xlsx (XML) cannot hold
from cyclekit.errors import CycleError
from cyclekit.folder.seal import SEAL, SealError, SealState, UnsignedCycleWarning, check_seal, seal_text
from cyclekit.inputs.tables import file_sha256

MANIFEST = "manifest.json"
SNAPSHOT = "snapshot.csv"
PART_COSTS = "part_costs.csv"
RESULTS = "results.xlsx"
RETURNED = "returned"  # filled sheets given from elsewhere (e-mail, Downloads), kept with the cycle
SNAPSHOT_FIELDS = ("location", "line", "part_number", "revision", "description", "uom", "lot",
                   "serial", "status", "quantity", "unit_cost")


@dataclass(frozen=True, slots=True)
class SnapshotLine:
    """An inventory line frozen into the cycle, with its line number on the location's sheet."""

    line_no: int
    item: InventoryLine

    @property
    def line_id(self) -> str:
        return str(LineId.listed(self.item.location, self.line_no))


@dataclass
class SheetRecord:
    sheet_id: str  # S001 for a count sheet, R001 for a recount sheet
    kind: str  # "count" or "recount"
    location: str
    file: str  # relative to the cycle folder
    tab: str
    lines: list[int]  # line numbers of the location that the sheet lists
    sha256: str = ""  # of the file as cyclekit wrote it
    counter: str = ""


@dataclass
class LocationRecord:
    location: str
    zone: str = ""
    owner: str = ""
    owner_email: str = ""
    abc_class: str = "C"
    lines: int = 0


MANIFEST_FORMAT = 3  # manifest.json's format_version; a manifest without one is version 1; 3: sealed, signed off


class NewerManifest(ValueError):
    """manifest.json of a format this cyclekit does not know: read half, it could be saved back broken."""


@dataclass
class SourceFile:
    """A file a command read, as recorded: its path (or google:<id>) and SHA-256 then."""

    file: str
    sha256: str


@dataclass
class CountsRecord:
    """counts.json as an ingest saved it (see cyclekit.folder.counts)."""

    file: str
    sha256: str
    key: str  # digest of the sources' digests and the counting rules


@dataclass
class IngestRecord:
    """One ingest: what it read and what it wrote."""

    at: str
    files: list[SourceFile]
    lines_counted: int = 0
    problems: int = 0
    results_sha256: str = ""
    counts: CountsRecord | None = None  # cycles ingested before counts.json existed have none
    summary_layout: list[int] | None = None  # the Summary tab's row kinds, to read it back
    results_backup: str | None = None  # the results workbook it replaced, kept under this name
    movements: SourceFile | None = None  # the movements export it read (--movements), kept in the cycle

    def digests(self) -> list[str]:
        return [f.sha256 for f in self.files] + ([self.movements.sha256] if self.movements else [])

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("results_backup", "movements"):  # older manifests save back as they were
            if data[key] is None:
                del data[key]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IngestRecord:
        counts, movements = data.get("counts"), data.get("movements")
        return cls(**{**data, "files": [SourceFile(**f) for f in data["files"]],
                      "counts": CountsRecord(**counts) if counts else None,
                      "movements": SourceFile(**movements) if movements else None})


@dataclass
class FinalizeRecord:
    """The finalize that locked the cycle: the checksums of what it read and wrote."""

    at: str
    inputs: dict[str, str] = field(default_factory=dict)  # recorded path -> SHA-256
    google_inputs: dict[str, str] = field(default_factory=dict)  # a Google source -> digest of its values
    outputs: dict[str, str] = field(default_factory=dict)  # recorded path -> SHA-256
    targets: dict[str, str] = field(default_factory=dict)  # ERP target -> "difference" or "absolute"
    adjustments: int = 0
    discrepancy_rate: str | None = None
    warnings: list[str] = field(default_factory=list)
    signed_off_by: str | None = None  # the lead who signed the cycle off (format 3; [approvals] asks for one)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.signed_off_by is None:  # a cycle finalized without a sign-off is written as before
            del data["signed_off_by"]
        return data

    def recorded(self) -> dict[str, str]:
        """Every file finalize held to a checksum, read or written."""
        return {**self.inputs, **self.outputs}


@dataclass
class Manifest:
    cycle_id: str
    as_of: str
    count_date: str
    created: str
    show_system_qty: bool
    sources: dict[str, dict[str, str]]  # "schedule"/"inventory" -> {"file", "sha256"}
    snapshot_sha256: str
    locations: list[LocationRecord]
    sheets: list[SheetRecord] = field(default_factory=list)
    ingests: list[IngestRecord] = field(default_factory=list)
    finalized: FinalizeRecord | None = None
    google: dict[str, dict[str, Any]] = field(default_factory=dict)  # spreadsheets in Google: id, url, tabs
    costs_sha256: str = ""  # of part_costs.csv (cycles made before it existed have none)
    sent: list[dict[str, Any]] = field(default_factory=list)  # messages `send` sent: to, attachments, time
    received: dict[str, dict[str, str]] = field(default_factory=dict)  # sheet taken from an e-mail -> message

    def location(self, name: str) -> LocationRecord:
        for record in self.locations:
            if record.location == name:
                return record
        raise KeyError(name)

    def sheet(self, sheet_id: str) -> SheetRecord | None:
        for record in self.sheets:
            if record.sheet_id == sheet_id:
                return record
        return None

    def sheets_by_id(self) -> dict[str, SheetRecord]:
        return {record.sheet_id: record for record in self.sheets}

    def next_sheet_ids(self, prefix: str, count: int) -> list[str]:
        # a part's sheet is recorded per location, S001/LOCATION: the number is what precedes the slash
        used = [int(s.sheet_id[1:].partition("/")[0]) for s in self.sheets if s.sheet_id.startswith(prefix)]
        first = max(used) + 1 if used else 1
        return [f"{prefix}{number:03d}" for number in range(first, first + count)]

    @property
    def last_ingest(self) -> IngestRecord | None:
        return self.ingests[-1] if self.ingests else None

    def to_json(self) -> str:
        """One key per line, one location or sheet per line: readable in a diff, and written by
        json's C encoder (an indented dump of a thousand-sheet cycle takes seconds)."""
        data = {"format_version": MANIFEST_FORMAT, **vars(self),
                "locations": [vars(r) for r in self.locations], "sheets": [vars(s) for s in self.sheets],
                "ingests": [i.to_dict() for i in self.ingests],
                "finalized": None if self.finalized is None else self.finalized.to_dict()}
        for key in ("sent", "received"):  # mail records only once there are some: older manifests stay as they were
            if not data[key]:
                del data[key]
        out = []
        for key, value in data.items():
            if isinstance(value, list) and value:
                items = ",\n".join("    " + json.dumps(item, ensure_ascii=False) for item in value)
                out.append(f"  {json.dumps(key)}: [\n{items}\n  ]")
            else:
                out.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
        return "{\n" + ",\n".join(out) + "\n}\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """A manifest of this format or an older one (version 1: no format_version, the same
        records as plain objects); a newer one is refused rather than read half-understood. The
        seal is not checked here: `load_manifest` does."""
        data = manifest_data(text)
        data.pop(SEAL, None)
        return cls.from_data(data)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Manifest:
        """The manifest of data read by `manifest_data`, its seal taken out."""
        data = dict(data)
        data.pop("format_version", None)
        data["locations"] = [LocationRecord(**r) for r in data["locations"]]
        data["sheets"] = [SheetRecord(**s) for s in data["sheets"]]
        data["ingests"] = [IngestRecord.from_dict(i) for i in data.get("ingests", [])]
        finalized = data.get("finalized")
        data["finalized"] = FinalizeRecord(**finalized) if finalized else None
        return cls(**data)


def manifest_data(text: str) -> dict[str, Any]:
    """manifest.json's data, of a format this cyclekit reads (NewerManifest, ValueError if not)."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("it is no JSON object")
    version = data.get("format_version", 1)
    if type(version) is not int or version < 1:
        raise ValueError(f"format_version {version!r} is no version")
    if version > MANIFEST_FORMAT:
        raise NewerManifest(f"written by a newer cyclekit (manifest format_version {version}; this one reads "
                            f"up to {MANIFEST_FORMAT}): upgrade cyclekit to work on this cycle")
    return data


def read_manifest(cycle_dir: Path) -> tuple[Manifest, SealState, str]:
    """manifest.json, what its seal says and what to do about it (see folder.seal), whatever
    the seal says: for `verify`, which reports it. Commands use `load_manifest`."""
    path = Path(cycle_dir) / MANIFEST
    if not path.is_file():
        raise CycleError(f"{cycle_dir} is not a cycle folder (no {MANIFEST}); "
                         "start a cycle with `cyclekit sheets`")
    try:
        data = manifest_data(path.read_text(encoding="utf-8"))
        state, advice = check_seal(data)
        return Manifest.from_data(data), state, advice
    except NewerManifest as exc:
        raise CycleError(f"{path} was {exc}") from None
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise CycleError(f"{path} is damaged ({exc}); restore it from a backup") from None


def load_manifest(cycle_dir: Path) -> Manifest:
    """manifest.json, refused in one line unless its seal holds; an unsigned one (a cycle made
    before seals) opens with an UnsignedCycleWarning."""
    manifest, state, advice = read_manifest(cycle_dir)
    path = Path(cycle_dir) / MANIFEST
    if state is SealState.UNSIGNED:
        warnings.warn(f"{path} is unsigned: {advice}", UnsignedCycleWarning, stacklevel=2)
    elif state is not SealState.SEALED:
        raise SealError(f"{path} of cycle {manifest.cycle_id} is {state.value}: {advice}; nothing was changed")
    return manifest


def manifest_text(manifest: Manifest) -> str:
    """manifest.json's text as cyclekit writes it: sealed with this machine's key."""
    return seal_text(manifest.to_json())


def save_manifest(cycle_dir: Path, manifest: Manifest) -> None:
    write_text_atomic(Path(cycle_dir) / MANIFEST, manifest_text(manifest))


def number_lines(lines: list[InventoryLine]) -> list[SnapshotLine]:
    """Line numbers per location, in the export's order (the walk order of the bins)."""
    counters: dict[str, int] = {}
    numbered = []
    for item in lines:
        counters[item.location] = counters.get(item.location, 0) + 1
        numbered.append(SnapshotLine(counters[item.location], item))
    return numbered


def snapshot_csv(lines: list[SnapshotLine]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SNAPSHOT_FIELDS)
    for s in lines:
        i = s.item
        writer.writerow([i.location, s.line_no, i.part_number, i.revision, i.description, i.uom,
                         i.lot, i.serial, i.status, format(i.quantity, "f"), format(i.unit_cost, "f")])
    return buffer.getvalue()


def part_costs_csv(costs: dict[tuple[str, str, str], Decimal]) -> str:
    """Unit cost by part, revision and unit (the unit last: files written before it had none)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("part_number", "revision", "unit_cost", "uom"))
    writer.writerows((part, revision, format(cost, "f"), unit) for (part, revision, unit), cost in costs.items())
    return buffer.getvalue()


@dataclass(frozen=True)
class FrozenInventory:
    """What `sheets` froze: the cycle's lines, and unit costs to value found items with."""

    lines: list[SnapshotLine]
    # (part, revision) and (part, "") -> first cost in the export; None: held in several units
    costs: dict[tuple[str, str], Decimal | None]
    # (part, revision, unit) and (part, "", unit) -> first cost in that unit (cycles made before
    # the unit was recorded have none)
    unit_costs: dict[tuple[str, str, str], Decimal] = field(default_factory=dict)

    def cost_of(self, part_number: str, revision: str, uom: str = "") -> Decimal | None:
        """A part's cost, in the unit given when there is one: a part known in other units only
        has no cost in this one (None: unvalued), never the cost of a box for a piece."""
        unit = uom.strip().casefold()
        if unit and self.unit_costs:
            return self.unit_costs.get((part_number, revision, unit),
                                       self.unit_costs.get((part_number, "", unit)))
        return self.costs.get((part_number, revision), self.costs.get((part_number, "")))


def _rows(path: Path) -> Iterator[list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        yield from reader


def _changed(path: Path, recorded: str) -> bool:
    return file_sha256(path) != recorded


def verify_frozen(cycle_dir: Path, manifest: Manifest) -> None:
    """Refuse a cycle whose frozen inventory changed since `sheets` wrote it."""
    path = Path(cycle_dir) / SNAPSHOT
    if not path.is_file():
        raise CycleError(f"{path} is missing: the cycle's frozen inventory is gone")
    if _changed(path, manifest.snapshot_sha256):
        raise CycleError(f"{path} changed since the sheets were made; "
                         "the cycle's system quantities can no longer be trusted")
    costs_path = Path(cycle_dir) / PART_COSTS
    if manifest.costs_sha256 and (not costs_path.is_file() or _changed(costs_path, manifest.costs_sha256)):
        raise CycleError(f"{costs_path} is missing or changed since the sheets were made")


def read_frozen(cycle_dir: Path, manifest: Manifest) -> FrozenInventory:
    """The frozen inventory of a cycle, refused if a file changed since `sheets` wrote it."""
    cycle_dir = Path(cycle_dir)
    verify_frozen(cycle_dir, manifest)
    path = cycle_dir / SNAPSHOT
    in_cycle = {record.location for record in manifest.locations}
    decimal = functools.lru_cache(maxsize=4096)(Decimal)
    lines = [SnapshotLine(int(line), InventoryLine(location, part, decimal(quantity), revision, description,
                                                    uom, lot, serial, status, decimal(cost)))
             for location, line, part, revision, description, uom, lot, serial, status, quantity, cost
             in _rows(path) if location in in_cycle]  # older cycles froze the whole export
    costs: dict[tuple[str, str], Decimal | None] = {}
    unit_costs: dict[tuple[str, str, str], Decimal] = {}
    if manifest.costs_sha256:  # the unit is a fourth column since it is part of a line's identity
        priced = ((part, revision, decimal(cost), unit[0] if unit else None)
                  for part, revision, cost, *unit in _rows(cycle_dir / PART_COSTS))
    else:  # such a cycle froze the whole export: its lines are the price list
        priced = ((part, revision, decimal(cost), None) for _, _, part, revision, *_, cost in _rows(path))
    units: dict[tuple[str, str], set[str]] = {}
    for part, revision, cost, unit in priced:
        costs.setdefault((part, revision), cost)
        costs.setdefault((part, ""), cost)
        if unit is not None:
            unit_costs.setdefault((part, revision, unit), cost)
            unit_costs.setdefault((part, "", unit), cost)
            for key in ((part, revision), (part, "")):
                units.setdefault(key, set()).add(unit)
    # with no unit written, a part held in several units has no one cost (a box's or a piece's?)
    costs.update({key: None for key, held in units.items() if len(held) > 1})
    return FrozenInventory(lines, costs, unit_costs)


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
NAME_LENGTH = 80  # characters of a location kept in a file name; longer ones end in a short hash


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def safe_name(text: str, used: set[str] | None = None) -> str:
    """A file name from a location: 'WH/A 01' -> 'WH_A_01', unique within `used`. A name
    longer than NAME_LENGTH is cut and ends in a hash of the whole text (two long locations
    alike at the start still get two files); the full location stays in the sheet and manifest."""
    base = _UNSAFE.sub("_", text).strip("._") or "location"
    if len(base) > NAME_LENGTH:
        base = base[: NAME_LENGTH - 9].rstrip("._") + "-" + _short_hash(text)
    name, n = base, 2
    while used is not None and name.lower() in used:
        name, n = f"{base}_{n}", n + 1
    if used is not None:
        used.add(name.lower())
    return name


_TAB_UNSAFE = re.compile(r"[\[\]:*?/\\]")


def safe_tab(text: str, used: set[str]) -> str:
    """An Excel tab name: at most 31 characters, none of []:*?/\\ nor any XML cannot hold,
    unique ignoring case."""
    base = _TAB_UNSAFE.sub("_", XML_ILLEGAL.sub("", text)).strip("'")[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in used:
        suffix = f"~{n}"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def checksum(cycle_dir: Path, relative: str) -> str:
    return file_sha256(Path(cycle_dir) / relative)


def recorded_path(cycle_dir: Path, path: Path | str) -> str:
    """How the manifest records a file that was read: relative to the cycle folder when it is
    inside it (the folder can be moved or shared), else absolute (wherever the command ran)."""
    full = Path(path).resolve()
    try:
        return full.relative_to(Path(cycle_dir).resolve()).as_posix()
    except ValueError:
        return str(full)


def changed_since_ingest(cycle_dir: Path, ingest: IngestRecord) -> list[str]:
    """The files an ingest read that are gone or changed since, as it recorded them (a source in
    Google Sheets is left to the caller: comparing it takes a request)."""
    changed = []
    for entry in ingest.files:
        if entry.file.startswith("google:"):
            continue
        path = source_path(cycle_dir, entry.file)
        if not path.is_file() or file_sha256(path) != entry.sha256:
            changed.append(entry.file)
    moved = ingest.movements
    if moved is not None:
        path = source_path(cycle_dir, moved.file)
        if not path.is_file() or file_sha256(path) != moved.sha256:
            changed.append(moved.file)
    return changed


def changed_sheets_error(changed: list[str]) -> CycleError:
    return CycleError("these sheets changed after the last ingest; run `cyclekit ingest` again first: "
                      + ", ".join(changed))


def source_path(cycle_dir: Path, recorded: str) -> Path:
    """The file behind a recorded path: relative ones are in the cycle folder (cycles recorded
    by older versions hold paths relative to where cyclekit ran: those are tried second)."""
    path = Path(recorded)
    if path.is_absolute():
        return path
    inside = Path(cycle_dir) / path
    return inside if inside.exists() or not path.exists() else path


def schedule_backup_name(cycle_id: str) -> str:
    """The copy of the schedule finalize keeps in the cycle folder, as it was before the cycle."""
    return f"schedule-before-{cycle_id}.xlsx"


def keep_returned(cycle_dir: Path, path: Path | str, folder_name: str = RETURNED) -> Path:
    """A filled sheet given from outside the cycle folder, copied into CYCLE_DIR/returned/ (a
    file in the folder already is used where it is): the count evidence stays with the cycle
    when Downloads is cleaned. A copy keeps the file's name; another file of that name with
    other content gets the name with a short hash of its content, never written over."""
    cycle_dir, path = Path(cycle_dir), Path(path).resolve()
    if not path.is_file() or not Path(recorded_path(cycle_dir, path)).is_absolute():
        return path  # not there (the ingest says so), or in the cycle folder already
    digest = file_sha256(path)
    folder = cycle_dir / folder_name
    stem, suffix = path.stem, path.suffix
    if len(path.name.encode()) > 150:  # room for the hash and atomic_path's temp name
        stem = stem.encode()[:120].decode(errors="ignore")
    for name in (f"{stem}{suffix}", f"{stem}-{digest[:8]}{suffix}", f"{stem}-{digest}{suffix}"):
        copy = folder / name
        if not copy.exists():
            with atomic_path(copy) as tmp:
                shutil.copyfile(path, tmp)
            return copy.resolve()
        if copy.is_file() and file_sha256(copy) == digest:
            return copy.resolve()  # given before: the same file
    raise CycleError(f"{path} cannot be kept in {folder}: files of its name with other content are there")
