"""The seal of a cycle's manifest: an HMAC-SHA256 with a key kept outside the cycle folder.

manifest.json holds the checksum of every record of a cycle (snapshot, sheets, the filled sheets
read, the adjustment files written). Checksums alone prove nothing to an auditor: whoever edits a
file can edit its checksum too, or set `"finalized": null` to reopen a locked cycle. So every
command that writes the manifest seals it: an HMAC-SHA256 over the whole manifest (every
checksum in it), with a key a person editing the cycle folder does not have. Every command that
reads it checks the seal first.

The key, looked for in this order:
- the environment variable CYCLEKIT_SIGNING_KEY (the key's text, at least MIN_KEY characters);
- the key file named by CYCLEKIT_SIGNING_KEY_FILE;
- `signing.key` in the user's configuration folder ($XDG_CONFIG_HOME/cyclekit, else
  ~/.config/cyclekit; %APPDATA%\\cyclekit on Windows), made on first use by a command that writes
  a cycle: 64 random hex characters, readable by its owner only, never written over.

A second machine checks a cycle with the same key: the key file copied there, or the variable
set to its text. A reading command never makes a key: without one it says where to put it.

The seal is the manifest's last key, `"seal": {"algorithm", "key_id", "mac"}`; `mac` covers the
manifest's data without the seal (format_version included), written as canonical JSON, so it
holds whatever the layout of the file. `key_id` names the key (a digest of it, which tells
nothing of the key), to tell "signed with another key" from "changed by hand".

The seal alone cannot tell a sealed manifest whose seal was removed and format_version set back
by hand from a cycle made before seals. So every cycle this machine signs is also written, before
its first seal, in a ledger beside the key (`signed-cycles.jsonl`, one JSON line per cycle: its id,
its created time, when it was first signed): an unsigned manifest of a cycle the ledger knows is
TAMPERED. The ledger is rewritten whole (atomic) under a lock (two commands signing at once both
land), and keeps the last MAX_LEDGER cycles. A machine without the ledger (an auditor's, with the
key copied) still reads such a manifest as UNSIGNED: copy the ledger with the key.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import filelock

from cyclekit.atomic import write_text_atomic
from cyclekit.errors import CycleError

KEY_VARIABLE = "CYCLEKIT_SIGNING_KEY"
KEY_FILE_VARIABLE = "CYCLEKIT_SIGNING_KEY_FILE"
KEY_FILE_NAME = "signing.key"
MIN_KEY = 32  # characters: a key shorter than this can be guessed
SEAL = "seal"
ALGORITHM = "HMAC-SHA256"
FIRST_SEALED_FORMAT = 3  # manifests of this format_version on are always sealed: one without a seal lost it
LEDGER_FILE_NAME = "signed-cycles.jsonl"
MAX_LEDGER = 50_000  # cycles: a weekly cycle at 100 sites for ten years; the oldest beyond are dropped
MAX_LEDGER_ID = 200  # characters of a cycle id kept as they are; a longer one is kept as its digest
_DOMAIN = b"cyclekit manifest seal\n"  # a MAC of a manifest is never a MAC of anything else


class SealState(StrEnum):
    """What the seal of a manifest says."""

    SEALED = "sealed"  # signed with this machine's key, unchanged since
    TAMPERED = "tampered"  # changed since it was signed (or its seal removed)
    OTHER_KEY = "signed with another key"
    NO_KEY = "signed, with no key here to check it"
    UNSIGNED = "unsigned (older cycle)"  # made by a cyclekit from before seals


class SealError(CycleError):
    """A manifest whose seal does not hold (changed by hand, another key, no key to check it)."""


class UnsignedCycleWarning(UserWarning):
    """A cycle made before manifests were sealed: it opens, its checksums are not vouched for."""


@dataclass(frozen=True)
class SigningKey:
    secret: bytes
    source: str  # where it came from, for messages: the variable's name or the file's path

    @property
    def key_id(self) -> str:
        return hashlib.sha256(b"cyclekit key id\n" + self.secret).hexdigest()[:16]


def default_key_file() -> Path:
    """signing.key in the user's configuration folder (outside every cycle folder)."""
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "cyclekit" / KEY_FILE_NAME
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "cyclekit" / KEY_FILE_NAME


def key_file() -> Path:
    """Where the key file is: CYCLEKIT_SIGNING_KEY_FILE, else the default."""
    named = os.environ.get(KEY_FILE_VARIABLE)
    return Path(named).expanduser() if named else default_key_file()


def ledger_file() -> Path:
    """The ledger of the cycles this machine signed: beside the key file (see the docstring)."""
    return key_file().with_name(LEDGER_FILE_NAME)


def _ledger_id(cycle_id: str) -> str:
    if len(cycle_id) <= MAX_LEDGER_ID:
        return cycle_id
    return "sha256:" + hashlib.sha256(cycle_id.encode("utf-8", "surrogatepass")).hexdigest()


def _ledger_entries(path: Path) -> dict[tuple[str, str], None]:
    """(cycle id as the ledger keeps it, created), in the order signed; {} when there is none.
    A line that is not one of ours (cut short by a full disk, typed in) is skipped."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise SealError(f"the ledger of signed cycles {path} cannot be read ({exc.strerror or exc}); "
                        "allow reading it") from None
    entries: dict[tuple[str, str], None] = {}
    for line in text.splitlines():
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if isinstance(entry, dict) and isinstance(entry.get("cycle_id"), str):
                entries[(entry["cycle_id"], str(entry.get("created", "")))] = None
    return entries


def signed_here(cycle_id: str) -> list[str]:
    """When each cycle of this id that this machine signed was created (its ledger); [] if none.
    Matched on the id alone: a `created` edited by hand must not make a signed cycle unknown."""
    key = _ledger_id(cycle_id)
    return [created for known, created in _ledger_entries(ledger_file()) if known == key]


def record_signed(cycle_id: str, created: str) -> None:
    """The cycle written in the ledger (once), before its manifest is first sealed."""
    path, key = ledger_file(), (_ledger_id(cycle_id), created)
    if key in _ledger_entries(path):
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with filelock.FileLock(str(path) + ".lock", timeout=60):
            entries = _ledger_entries(path)  # again, under the lock: another command may have added one
            if key in entries:
                return
            kept = [*entries, key][-MAX_LEDGER:]
            write_text_atomic(path, "".join(json.dumps({"cycle_id": c, "created": t}, ensure_ascii=True) + "\n"
                                            for c, t in kept))
    except (OSError, filelock.Timeout) as exc:
        raise SealError(f"the ledger of signed cycles {path} cannot be written "
                        f"({getattr(exc, 'strerror', None) or exc}): allow writing there, or name another key file "
                        f"with {KEY_FILE_VARIABLE} (the ledger is kept beside it); nothing was changed") from None


def _checked(text: str, source: str) -> SigningKey:
    secret = text.strip()
    if len(secret) < MIN_KEY:
        raise SealError(f"the signing key in {source} is {'empty' if not secret else 'too short'} (at least "
                        f"{MIN_KEY} characters): restore the key the cycles were signed with")
    return SigningKey(secret.encode("utf-8"), source)


def find_key() -> SigningKey | None:
    """The signing key of this machine, or None when there is none yet (never made here)."""
    if os.environ.get(KEY_VARIABLE) is not None:
        return _checked(os.environ[KEY_VARIABLE], KEY_VARIABLE)
    path = key_file()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeError) as exc:
        raise SealError(f"the signing key {path} cannot be read ({getattr(exc, 'strerror', None) or exc}); "
                        f"allow reading it or set {KEY_VARIABLE}") from None
    return _checked(text, str(path))


def signing_key() -> SigningKey:
    """The key to seal with: this machine's, made on first use (see the module's docstring)."""
    return find_key() or _make_key_file(key_file())


def _make_key_file(path: Path) -> SigningKey:
    """A new key file, whole or not at all, readable by its owner only; a key another command made
    meanwhile is kept and used (a key written over would orphan every cycle sealed with it)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        handle = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(handle, "w", encoding="ascii") as out:
                out.write(secrets.token_hex(32) + "\n")
                out.flush()
                os.fsync(out.fileno())
            try:
                os.link(tmp, path)  # never replaces a key file: fails if one is there
            except FileExistsError:
                pass
            except OSError:  # a drive without hard links: renamed in, unless a key appeared meanwhile
                if not path.exists():
                    os.replace(tmp, path)
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
    except OSError as exc:
        raise SealError(f"the signing key {path} cannot be made ({exc.strerror or exc}): allow writing "
                        f"there, name another file with {KEY_FILE_VARIABLE}, or set {KEY_VARIABLE}") from None
    key = find_key()
    assert key is not None  # made above, or by another command meanwhile
    return key


def _mac(data: dict[str, Any], key: SigningKey) -> str:
    # canonical: sorted keys, ASCII only (a lone surrogate from a hostile file name still encodes)
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hmac.new(key.secret, _DOMAIN + canonical.encode("ascii"), hashlib.sha256).hexdigest()


def seal_text(text: str, key: SigningKey | None = None) -> str:
    """The manifest's JSON text with its seal added as the last key (the text ends in "\\n}\\n")."""
    key = key or signing_key()
    data = json.loads(text)
    record_signed(str(data.get("cycle_id")), str(data.get("created", "")))
    seal = {"algorithm": ALGORITHM, "key_id": key.key_id, "mac": _mac(data, key)}
    body = text.rstrip()
    if not body.endswith("}"):
        raise ValueError("a manifest's text is one JSON object")
    return f"{body[:-1].rstrip()},\n  {json.dumps(SEAL)}: {json.dumps(seal)}\n}}\n"


def check_seal(data: dict[str, Any]) -> tuple[SealState, str]:
    """What the seal of a manifest's data says (the seal is taken out of `data`), and what to do
    about it in a sentence (empty when it holds). A reading command: no key is made here."""
    seal = data.pop(SEAL, None)
    if seal is None:
        version = data.get("format_version", 1)
        if type(version) is int and version >= FIRST_SEALED_FORMAT:
            return SealState.TAMPERED, "its seal was removed"
        created = signed_here(str(data.get("cycle_id")))
        if created:
            return SealState.TAMPERED, (f"its seal was removed: this machine signed cycle {data.get('cycle_id')} "
                                        f"(created {', '.join(created[-3:])}), and it reads as a cycle from "
                                        "before seals")
        return SealState.UNSIGNED, ("it was made by a cyclekit from before manifests were sealed (or its seal "
                                    "was removed on a machine without the ledger of the cycles signed), so a "
                                    "change by hand cannot be told; the next command that writes the cycle seals it")
    if not isinstance(seal, dict) or seal.get("algorithm") != ALGORITHM or not isinstance(seal.get("mac"), str):
        return SealState.TAMPERED, "its seal is not one cyclekit writes"
    key = find_key()
    if key is None:
        return SealState.NO_KEY, (f"copy the key file of the machine that made the cycle to {key_file()}, "
                                  f"or set {KEY_VARIABLE} to its text")
    if seal.get("key_id") != key.key_id:
        return SealState.OTHER_KEY, (f"it was signed with key {str(seal.get('key_id'))[:16]!r}, this machine's key "
                                     f"({key.source}) is {key.key_id!r}: use the key the cycle was signed with (copy "
                                     f"its file to {key_file()}, or set {KEY_VARIABLE} to its text)")
    if not hmac.compare_digest(seal["mac"], _mac(data, key)):
        return SealState.TAMPERED, "it was changed since cyclekit signed it"
    return SealState.SEALED, ""
