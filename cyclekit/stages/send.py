"""`cyclekit send`: e-mail each counter their count sheets, as PDF to print and xlsx to fill.

One message per address: the owner e-mail of the locations in the manifest (the schedule's Owner
Email when the sheets were made). Every message sent is recorded in the manifest (to, attachments
with their SHA-256, time) as soon as the server takes it, so a re-run, after a failure or after
recount sheets were made, sends only what that person has not had yet, unless `resend`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from cyclekit.backends.smtp import (
    Attachment,
    MailServer,
    Outgoing,
    SendFailed,
    build_message,
    usable_address,
    write_eml,
)
from cyclekit.config import Config
from cyclekit.errors import CycleError
from cyclekit.folder.cycle import LocationRecord, Manifest, SheetRecord, load_manifest, safe_name, save_manifest
from cyclekit.folder.lock import holds_cycle_lock
from cyclekit.inputs.tables import file_sha256
from cyclekit.layouts.email_body import render_message

TEMPLATE = "count_sheets.txt.j2"
MAX_ATTACHMENTS_MB = 25  # what most mail servers take in one message


@dataclass
class Packet:
    """What one person gets: their sheets not sent to them yet."""

    to: str
    owner: str
    sheets: list[SheetRecord]
    files: list[str] = field(default_factory=list)  # relative to the cycle folder: xlsx, then PDFs


@dataclass
class SendReport:
    cycle_id: str
    sent: list[tuple[str, list[str]]] = field(default_factory=list)  # (to, files)
    drafts: list[Path] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (to, why)
    refused_copies: list[tuple[str, str]] = field(default_factory=list)  # (address, why): Cc refused
    already_sent: list[str] = field(default_factory=list)  # addresses with nothing new
    no_address: list[str] = field(default_factory=list)  # sheets (tabs) whose owner has no one usable e-mail
    changed: list[str] = field(default_factory=list)  # sheets changed since they were made: not sent


def _sent_before(manifest: Manifest, to: str) -> set[tuple[str, str]]:
    return {(a["file"], a["sha256"]) for record in manifest.sent if record["to"].lower() == to.lower()
            for a in record["attachments"]}


def _unchanged(cycle_dir: Path, record: SheetRecord) -> bool:
    path = cycle_dir / record.file
    return path.is_file() and (not record.sha256 or file_sha256(path) == record.sha256)


def _group(manifest: Manifest, cycle_dir: Path, report: SendReport) -> dict[str, Packet]:
    """Sheets per address (case ignored), in the manifest's order; what cannot go is reported."""
    by_location: dict[str, LocationRecord] = {r.location: r for r in manifest.locations}
    packets: dict[str, Packet] = {}
    for sheet in manifest.sheets:
        if sheet.file.startswith("google:"):
            continue
        location = by_location.get(sheet.location, LocationRecord(sheet.location))
        to = location.owner_email.strip()
        if not usable_address(to):  # none, or several joined (a part's sheet whose locations have several owners)
            if (name := sheet.tab or sheet.location) not in report.no_address:
                report.no_address.append(name)  # a part's sheet spans locations: named once, by its tab
            continue
        if not _unchanged(cycle_dir, sheet):
            report.changed.append(sheet.file)
            continue
        packets.setdefault(to.lower(), Packet(to, location.owner, [])).sheets.append(sheet)
    return packets


def _files(cycle_dir: Path, sheets: list[SheetRecord]) -> list[str]:
    workbooks = list(dict.fromkeys(sheet.file for sheet in sheets))
    pdfs = [f"pdf/{Path(file).stem}.pdf" for file in workbooks]
    return workbooks + [pdf for pdf in pdfs if (cycle_dir / pdf).is_file()]


def _not_sent_yet(packet: Packet, manifest: Manifest, cycle_dir: Path, resend: bool) -> Packet:
    """The packet less the files this address already had as they are now."""
    before = set() if resend else _sent_before(manifest, packet.to)
    new_sheets = [s for s in packet.sheets if (s.file, file_sha256(cycle_dir / s.file)) not in before]
    files = [f for f in _files(cycle_dir, new_sheets) if (f, file_sha256(cycle_dir / f)) not in before]
    return Packet(packet.to, packet.owner, new_sheets, files)


def _context(packet: Packet, manifest: Manifest, config: Config) -> dict[str, Any]:
    locations = {s.location: s for s in packet.sheets}
    records = {r.location: r for r in manifest.locations}
    rows = [{"location": name, "zone": records[name].zone if name in records else "",
             "lines": len(sheet.lines)} for name, sheet in locations.items()]
    return {"cycle_id": manifest.cycle_id, "due_date": manifest.count_date, "owner": packet.owner,
            "to": packet.to, "locations": rows, "lines": sum(row["lines"] for row in rows),
            "attachments": [Path(f).name for f in packet.files],
            "recount": all(s.kind == "recount" for s in packet.sheets), "reply_to": config.email.reply_to}


def _message(packet: Packet, manifest: Manifest, cycle_dir: Path, config: Config, template: Path | None,
             when: dt.datetime) -> EmailMessage:
    text = render_message(TEMPLATE, template, _context(packet, manifest, config))
    attachments = [Attachment(Path(f).name, (cycle_dir / f).read_bytes()) for f in packet.files]
    size = sum(len(a.data) for a in attachments)
    if size > MAX_ATTACHMENTS_MB * 1024 * 1024:
        raise SendFailed(f"its attachments take {size / 1024 / 1024:.0f} MB, more than the "
                         f"{MAX_ATTACHMENTS_MB} MB mail servers take; make packets (sheets --packets) or send "
                         "the files another way")
    outgoing = Outgoing(packet.to, text.subject, text.body, attachments, to_name=packet.owner)
    return build_message(outgoing, config.email, when)


def _record(manifest: Manifest, packet: Packet, message: EmailMessage, cycle_dir: Path, when: dt.datetime,
            refused: dict[str, str]) -> None:
    manifest.sent.append({
        "to": packet.to, "cc": list(message.get_all("Cc", [])), "at": when.isoformat(timespec="seconds"),
        "message_id": str(message["Message-ID"]), "subject": str(message["Subject"]),
        "attachments": [{"file": f, "sha256": file_sha256(cycle_dir / f)} for f in packet.files],
        **({"refused": refused} if refused else {})})


def _only(packets: dict[str, Packet], only: tuple[str, ...]) -> dict[str, Packet]:
    if not only:
        return packets
    unknown = [address for address in only if address.strip().lower() not in packets]
    if unknown:
        raise CycleError(f"no sheet of this cycle goes to {', '.join(unknown)} (the owner e-mails of its "
                         f"locations: {', '.join(p.to for p in packets.values()) or 'none'})")
    return {key: packet for key, packet in packets.items() if key in {a.strip().lower() for a in only}}


def plan_packets(cycle_dir: Path, manifest: Manifest, resend: bool, report: SendReport,
                 only: tuple[str, ...] = ()) -> list[Packet]:
    if manifest.finalized:
        raise CycleError(f"cycle {manifest.cycle_id} was finalized on {manifest.finalized.at}; "
                         "its sheets are no longer to count")
    if manifest.google.get("count_sheets") and not any(not s.file.startswith("google:") for s in manifest.sheets):
        raise CycleError(f"the count sheets of cycle {manifest.cycle_id} are in Google Sheets, shared with "
                         "their owners already: there are no files to send")
    packets = []
    for packet in _only(_group(manifest, cycle_dir, report), only).values():
        new = _not_sent_yet(packet, manifest, cycle_dir, resend)
        if new.files:
            packets.append(new)
        else:
            report.already_sent.append(packet.to)
    return packets


def _draft(packets: list[Packet], manifest: Manifest, cycle_dir: Path, config: Config, template: Path | None,
           folder: Path, report: SendReport) -> None:
    used: set[str] = set()
    for number, packet in enumerate(packets, start=1):
        try:
            message = _message(packet, manifest, cycle_dir, config, template, dt.datetime.now().astimezone())
        except SendFailed as exc:
            report.failed.append((packet.to, str(exc)))
            continue
        path = folder / f"{number:03d}-{safe_name(packet.to, used)}.eml"
        write_eml(message, path)
        report.drafts.append(path)


def _send_all(packets: list[Packet], manifest: Manifest, cycle_dir: Path, config: Config,
              template: Path | None, report: SendReport) -> None:
    with MailServer(config.email) as server:
        for packet in packets:
            when = dt.datetime.now().astimezone()
            try:
                message = _message(packet, manifest, cycle_dir, config, template, when)
                refused = server.send(message)
            except SendFailed as exc:
                report.failed.append((packet.to, str(exc)))
                continue
            report.refused_copies += [(who, why) for who, why in refused.items() if who != packet.to]
            if packet.to in refused:  # taken for the copies only
                report.failed.append((packet.to, f"refused: {refused[packet.to]}"))
                continue
            report.sent.append((packet.to, packet.files))
            _record(manifest, packet, message, cycle_dir, when, refused)
            save_manifest(cycle_dir, manifest)  # at once: a crash later never sends it again


@holds_cycle_lock
def send_cycle(cycle_dir: Path | str, config: Config, *, dry_run: Path | None = None, resend: bool = False,
               template: Path | None = None, only: tuple[str, ...] = ()) -> SendReport:
    """Send (or with dry_run, write as .eml files in that folder) each counter's sheets not sent yet;
    `only`: to these addresses alone."""
    cycle_dir = Path(cycle_dir)
    manifest = load_manifest(cycle_dir)
    report = SendReport(manifest.cycle_id)
    packets = plan_packets(cycle_dir, manifest, resend, report, only)
    if packets:
        render_message(TEMPLATE, template, _context(packets[0], manifest, config))  # a bad template: nothing sent
    if dry_run is not None:
        _draft(packets, manifest, cycle_dir, config, template, Path(dry_run), report)
    elif packets:
        _send_all(packets, manifest, cycle_dir, config, template, report)
    return report
