"""Replies by e-mail among ingest's files: the Excel workbooks attached to .eml messages.

A message saved from a mail client (.eml), or a folder of them, stands for its xlsx attachments:
each is kept in CYCLE_DIR/returned/ under a safe name, and the manifest records which message it
came from (file, sender, date, subject, Message-ID). Messages are hostile input: their size and
their number of parts are bounded before parsing, attachment names are never used as paths.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from pathlib import Path

from cyclekit.domain.problems import ProblemKind
from cyclekit.errors import InputError, Problem
from cyclekit.folder.cycle import Manifest, keep_returned, recorded_path, safe_name
from cyclekit.inputs.tables import file_sha256

MAIL_SUFFIX = ".eml"
MAX_MESSAGE_MB = 100  # a message, attachments and all: past this it is not parsed
MAX_PARTS = 500  # MIME parts walked in one message
MAX_MESSAGES = 10_000  # .eml files taken from one folder
MAX_HEADER_CHARS = 300
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
ZIP_START = b"PK\x03\x04"  # an xlsx is a zip archive


@dataclass
class MailedSheets:
    """The files to read in place of the messages given, and what was wrong with messages."""

    files: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    shown: dict[Path, str] = field(default_factory=dict)  # kept attachment -> "message: attachment"


def is_mail(path: Path) -> bool:
    return path.suffix.lower() == MAIL_SUFFIX


def _expand(given: list[Path], problems: list[Problem]) -> list[Path]:
    """Folders stand for the .eml files in them (not below them); other paths, and a folder with no
    message, stay as given."""
    files: list[Path] = []
    for path in given:
        if not path.is_dir():
            files.append(path)
            continue
        messages = sorted(p for p in path.iterdir() if is_mail(p) and p.is_file() and not p.name.startswith("."))
        if not messages:  # not a folder of replies: refused as a folder, as any other would be
            files.append(path)
        if len(messages) > MAX_MESSAGES:
            problems.append(_problem(path, f"holds more than {MAX_MESSAGES:,} messages; only the first "
                                           f"{MAX_MESSAGES:,} were read: give the rest separately"))
        files += messages[:MAX_MESSAGES]
    return files


def _header(message: Message, name: str) -> str:
    try:
        value = str(message.get(name, "") or "")
    except Exception:  # a header the email package cannot decode: not worth stopping for
        return ""
    return _CONTROL.sub(" ", value)[:MAX_HEADER_CHARS]


def _parse(path: Path) -> EmailMessage | str:
    """The message, or why it is not read."""
    size = path.stat().st_size
    if size > MAX_MESSAGE_MB * 1024 * 1024:
        return f"a message of {size / 1024 / 1024:.0f} MB, more than the {MAX_MESSAGE_MB} MB read; not read"
    with open(path, "rb") as handle:
        parsed = BytesParser(policy=policy.default).parse(handle)
    return parsed if isinstance(parsed, EmailMessage) else "not a mail message"


def attachment_name(raw: str | None, number: int) -> str:
    """A safe file name for an attachment's name: its last part only, no control characters, no
    path (../../x, C:\\x), of bounded length, ending in .xlsx."""
    text = _CONTROL.sub("", raw or "")
    last = re.split(r"[\\/]", text)[-1]
    stem = last[: -len(".xlsx")] if last.lower().endswith(".xlsx") else last
    return f"{safe_name(stem) if stem.strip('._ ') else f'attachment-{number}'}.xlsx"


def _is_workbook(part: Message) -> bool:
    name = part.get_filename() or ""
    return part.get_content_type() == XLSX_TYPE or name.lower().endswith(".xlsx")


def _parts(message: Message) -> tuple[list[tuple[Message, Message]], bool]:
    """(part, the message it is in) of every leaf part, forwarded messages opened, at most MAX_PARTS
    walked; and whether parts were left unread past that bound."""
    found: list[tuple[Message, Message]] = []
    stack: list[tuple[Message, Message]] = [(message, message)]
    walked = 0
    while stack and walked < MAX_PARTS:
        part, within = stack.pop()
        walked += 1
        payload = part.get_payload()
        inner = list(payload) if isinstance(payload, list) else [payload]
        if part.get_content_type() == "message/rfc822":
            stack += [(m, m) for m in reversed(inner) if isinstance(m, Message)]
        elif part.is_multipart():
            stack += [(p, within) for p in reversed(inner) if isinstance(p, Message)]
        else:
            found.append((part, within))
    return found, bool(stack)


def workbooks_in(message: EmailMessage) -> tuple[list[tuple[str, str, bytes, Message]], bool]:
    """(original name shown, safe name, bytes, the message it came in) of each xlsx attachment,
    a forwarded message's too (then the message is the one forwarded); and whether parts were
    left unread (past MAX_PARTS)."""
    found: list[tuple[str, str, bytes, Message]] = []
    parts, cut = _parts(message)
    for part, within in parts:
        if not _is_workbook(part):
            continue
        data = part.get_payload(decode=True)
        if isinstance(data, bytes) and data:
            original = _CONTROL.sub(" ", part.get_filename() or "")[:MAX_HEADER_CHARS]
            found.append((original, attachment_name(part.get_filename(), len(found) + 1), data, within))
    return found, cut


def _origin(cycle_dir: Path, kept_message: Path, message: Message, original: str) -> dict[str, str]:
    return {"message": recorded_path(cycle_dir, kept_message), "message_sha256": file_sha256(kept_message),
            "message_id": _header(message, "Message-ID"), "from": _header(message, "From"),
            "date": _header(message, "Date"), "subject": _header(message, "Subject"), "attachment": original}


def _problem(message: Path, text: str) -> Problem:
    return Problem(ProblemKind.MAIL_REPLY, str(message), message=text)


def _take_message(cycle_dir: Path, path: Path, manifest: Manifest, work: Path, taken: MailedSheets) -> None:
    parsed = _parse(path)
    if isinstance(parsed, str):
        taken.problems.append(_problem(path, parsed))
        return
    workbooks, cut = workbooks_in(parsed)
    if cut:
        taken.problems.append(_problem(path, f"has more than {MAX_PARTS} parts; the attachments past them were "
                                             "not read: save them and give them as files"))
    if not workbooks:
        taken.problems.append(_problem(path, "the message has no Excel (.xlsx) attachment: ask for the filled "
                                             "sheet, or type the counts into it"))
        return
    for original, name, data, _ in workbooks:
        if not data.startswith(ZIP_START):  # damaged in the mail (broken base64) or not a workbook
            taken.problems.append(_problem(path, f"the attachment {original or name!r} is not an Excel workbook "
                                                 "(.xlsx): ask for the file again"))
    workbooks = [w for w in workbooks if w[2].startswith(ZIP_START)]
    if not workbooks:
        return
    kept_message = keep_returned(cycle_dir, path)  # the message stays with the cycle as evidence
    for original, name, data, within in workbooks:
        folder = work / str(len(taken.files))
        folder.mkdir()
        (folder / name).write_bytes(data)
        copy = keep_returned(cycle_dir, folder / name)
        manifest.received[recorded_path(cycle_dir, copy)] = _origin(cycle_dir, kept_message, within, original)
        taken.files.append(copy)
        taken.shown[copy] = f"{path}: {original or name}"


def take_mailed_sheets(cycle_dir: Path, given: list[Path], manifest: Manifest) -> MailedSheets:
    """The files to read for those given: each .eml (or folder of them) replaced by its workbooks,
    kept in CYCLE_DIR/returned/ and recorded in manifest.received; other files as they were."""
    taken = MailedSheets()
    with tempfile.TemporaryDirectory(prefix="cyclekit-mail-") as work:
        for path in _expand([Path(p) for p in given], taken.problems):
            if is_mail(path) and path.is_file():
                _take_message(Path(cycle_dir), path, manifest, Path(work), taken)
            else:
                taken.files.append(path)
    if given and not taken.files:  # as for files given that hold no sheet: refused, nothing changed
        raise InputError(taken.problems, summary="none of the messages given has an Excel workbook attached; "
                                                 "nothing was changed")
    return taken


def forget_dropped(cycle_dir: Path, manifest: Manifest) -> None:
    """Forget where a sheet came from once it is gone: ingest keeps a file given only when it holds
    a sheet of the cycle."""
    manifest.received = {file: origin for file, origin in manifest.received.items()
                         if (Path(cycle_dir) / file).is_file()}
