"""Finalize's writes, crash-safe: staged first, committed by renames, undone if anything fails.

A finalize changes three things that must agree: the schedule (moved on, with a History row),
`adjustments/` (the import files) with the cycle's records beside the manifest (its counted lines,
`counted_lines.parquet`) and the manifest (the cycle locked, with their checksums).
They cannot be replaced at once, so finalize keeps a journal, `finalize-intent.json`, in the
cycle folder:

1. the intent is written first (state "preparing"): what will be written, and where;
2. every output is written to a staging place that nobody reads: `.finalize-staging/` in the
   cycle folder (import files, review workbook, the locked manifest) and, beside the schedule,
   `.<schedule>.finalize-<cycle>.new` with a link to the schedule as it is (`...old`);
   the backup of the schedule is made now, once: an existing backup is never written over;
3. the intent moves to "committing", then renames put the schedule, `adjustments/` and, last,
   the manifest in place: the manifest's rename is the commit;
4. the staging leftovers and the intent are removed.

Whatever stops it (an error, a full disk, a kill), the cycle is either finalized or open with
nothing changed: an error undoes at once; after a kill, the next finalize reads the intent and
undoes (or, if the manifest was already committed, only cleans up) before it starts again.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cyclekit.atomic import write_text_atomic
from cyclekit.backends.spec import WorkbookSpec
from cyclekit.backends.xlsx import render_xlsx
from cyclekit.folder.cycle import MANIFEST, FinalizeRecord, Manifest, manifest_text, recorded_path
from cyclekit.inputs.tables import file_sha256

INTENT = "finalize-intent.json"
STAGING = ".finalize-staging"
ADJUSTMENTS = "adjustments"


@dataclass
class Outputs:
    """What a finalize writes, all decided in memory before anything is."""

    files: dict[str, str]  # import file name -> its text
    review: tuple[str, WorkbookSpec]  # the review workbook's name and content
    schedule: Path | None  # the schedule file moved on (None: a Google schedule)
    schedule_spec: WorkbookSpec | None
    backup: Path  # the schedule's copy as it was before the cycle
    records: dict[str, bytes] = field(default_factory=dict)  # file beside the manifest -> its content


def _beside(schedule: Path, cycle_id: str, kind: str) -> Path:
    return schedule.with_name(f".{schedule.name}.finalize-{cycle_id}.{kind}")


_NO_LINKS = {errno.EPERM, errno.EXDEV, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS}
_CANNOT_SYNC = {errno.EINVAL, errno.EBADF, errno.ENOTSUP, errno.EOPNOTSUPP}


def _sync(path: Path) -> None:
    """On disk, not only in the page cache: a power cut after the commit keeps the files. A disk
    that fills up only now (delayed allocation) says so here."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if path.is_dir() else os.O_RDONLY
    try:
        fd = os.open(path, flags)
    except OSError:  # a folder cannot be opened on some systems
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in _CANNOT_SYNC:  # a file system that cannot sync (some network shares)
            raise
    finally:
        os.close(fd)


def _write_intent(cycle_dir: Path, intent: dict[str, Any]) -> None:
    write_text_atomic(cycle_dir / INTENT, json.dumps(intent, indent=1) + "\n")
    _sync(cycle_dir)


def _read_intent(cycle_dir: Path) -> dict[str, Any] | None:
    path = cycle_dir / INTENT
    try:
        intent: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return intent
    except FileNotFoundError:
        return None
    except ValueError:  # cut short by a crash: it was being written, so nothing was committed yet
        return {}


def _undo(cycle_dir: Path, intent: dict[str, Any]) -> None:
    """Back to the state before the finalize that wrote `intent`: the schedule as it was, no
    adjustments/, no staging; a backup this finalize made goes too when it holds nothing else."""
    schedule = Path(intent["schedule"]) if intent.get("schedule") else None
    if schedule is not None:
        new, old = Path(intent["schedule_new"]), Path(intent["schedule_old"])
        replaced = schedule.is_file() and file_sha256(schedule) == intent.get("new_sha256")
        if old.exists():
            if replaced:
                os.replace(old, schedule)
                replaced = False
            else:
                old.unlink()
        new.unlink(missing_ok=True)
        # a backup this finalize began (whole or cut short) goes, unless it is the only copy left of
        # the schedule as it was (the schedule moved on and could not be put back)
        if intent.get("backup_planned") and not replaced:
            (cycle_dir / intent["backup"]).unlink(missing_ok=True)
    # the cycle is open: an adjustments/ folder or a record can only be what an unfinished finalize left
    shutil.rmtree(cycle_dir / ADJUSTMENTS, ignore_errors=True)
    for name in intent.get("records", []):
        (cycle_dir / name).unlink(missing_ok=True)
    _clean(cycle_dir, intent)


def _clean(cycle_dir: Path, intent: dict[str, Any]) -> None:
    if intent.get("schedule"):
        Path(intent["schedule_old"]).unlink(missing_ok=True)
        Path(intent["schedule_new"]).unlink(missing_ok=True)
    shutil.rmtree(cycle_dir / STAGING, ignore_errors=True)
    (cycle_dir / INTENT).unlink(missing_ok=True)
    for stray in cycle_dir.glob(f".{INTENT}.*.tmp"):  # an intent being written when the process died
        stray.unlink(missing_ok=True)


def recover(cycle_dir: Path, manifest: Manifest) -> bool:
    """Finish what an interrupted finalize left: clean up after a committed one, undo any other.
    True when there was something to recover."""
    intent = _read_intent(cycle_dir)
    strays = (cycle_dir / STAGING).exists() or any(cycle_dir.glob(f".{INTENT}.*.tmp"))
    if intent is None and not strays and (manifest.finalized or not (cycle_dir / ADJUSTMENTS).exists()):
        return False
    intent = intent or {}
    if manifest.finalized:
        _clean(cycle_dir, intent)
    else:
        _undo(cycle_dir, intent)
    return True


def _stage(cycle_dir: Path, outputs: Outputs, intent: dict[str, Any]) -> dict[str, Path]:
    """Every output written where nobody reads it yet; returns each output's final path -> staged path."""
    staging = cycle_dir / STAGING
    shutil.rmtree(staging, ignore_errors=True)
    staged_adjustments = staging / ADJUSTMENTS
    staged_adjustments.mkdir(parents=True)
    final: dict[str, Path] = {}
    for name, text in outputs.files.items():
        (staged_adjustments / name).write_text(text, encoding="utf-8", newline="")
        final[name] = staged_adjustments / name
    review_name, review_spec = outputs.review
    render_xlsx(review_spec, staged_adjustments / review_name, atomic=False)
    final[review_name] = staged_adjustments / review_name
    for name, content in outputs.records.items():
        (staging / name).write_bytes(content)
        _sync(staging / name)
    for path in final.values():
        _sync(path)
    _sync(staged_adjustments)
    if outputs.schedule is not None and outputs.schedule_spec is not None:
        schedule = outputs.schedule
        if intent["backup_planned"]:
            copy = staging / "schedule-before.xlsx"
            shutil.copyfile(schedule, copy)
            _sync(copy)
            try:
                os.link(copy, outputs.backup)  # fails rather than write over a backup
            except OSError as exc:
                if exc.errno not in _NO_LINKS:
                    raise
                with open(copy, "rb") as source, open(outputs.backup, "xb") as target:  # "x": never over one
                    shutil.copyfileobj(source, target)
            _sync(cycle_dir)
        new, old = Path(intent["schedule_new"]), Path(intent["schedule_old"])
        render_xlsx(outputs.schedule_spec, new, atomic=False)
        _sync(new)
        old.unlink(missing_ok=True)
        try:
            os.link(schedule, old)  # the schedule as it is, to put back if the commit is undone
        except OSError as exc:
            if exc.errno not in _NO_LINKS:
                raise
            shutil.copy2(schedule, old)
        _sync(old)
        _sync(schedule.parent)
    return final


def commit_finalize(cycle_dir: Path, manifest: Manifest, outputs: Outputs,
                    record: Callable[[dict[str, str]], FinalizeRecord],
                    remote: Callable[[], None] | None = None) -> None:
    """Write the outputs and lock the cycle, all or nothing (see the module's docstring).

    record: the manifest's `finalized` entry, given each output's recorded path -> SHA-256.
    remote: a change outside the cycle folder (a Google schedule), made just before the commit.
    Raises what stopped it, after undoing everything.
    """
    schedule = outputs.schedule
    intent: dict[str, Any] = {"cycle_id": manifest.cycle_id, "state": "preparing",
                              "schedule": str(schedule.resolve()) if schedule else None,
                              "backup": outputs.backup.name,
                              "backup_planned": bool(schedule) and not outputs.backup.exists(),
                              "records": sorted(outputs.records)}
    if schedule is not None:
        intent["schedule_new"] = str(_beside(schedule.resolve(), manifest.cycle_id, "new"))
        intent["schedule_old"] = str(_beside(schedule.resolve(), manifest.cycle_id, "old"))
    try:
        _write_intent(cycle_dir, intent)
        staged = _stage(cycle_dir, outputs, intent)
        adjustments = cycle_dir / ADJUSTMENTS
        digests = {recorded_path(cycle_dir, adjustments / name): file_sha256(path)
                   for name, path in staged.items()}
        digests.update({recorded_path(cycle_dir, cycle_dir / name): file_sha256(cycle_dir / STAGING / name)
                        for name in outputs.records})
        if schedule is not None:
            intent["new_sha256"] = file_sha256(Path(intent["schedule_new"]))
            digests[recorded_path(cycle_dir, schedule)] = intent["new_sha256"]
            digests[recorded_path(cycle_dir, outputs.backup)] = file_sha256(outputs.backup)
        manifest.finalized = record(digests)
        staged_manifest = cycle_dir / STAGING / MANIFEST
        staged_manifest.write_text(manifest_text(manifest), encoding="utf-8")  # sealed
        _sync(staged_manifest)
        intent["state"] = "committing"
        _write_intent(cycle_dir, intent)
        if schedule is not None:
            os.replace(intent["schedule_new"], schedule)
        shutil.rmtree(adjustments, ignore_errors=True)  # the cycle is open: leftovers of a failed attempt
        os.replace(cycle_dir / STAGING / ADJUSTMENTS, adjustments)
        for name in outputs.records:
            os.replace(cycle_dir / STAGING / name, cycle_dir / name)
        if remote is not None:
            remote()
        os.replace(staged_manifest, cycle_dir / MANIFEST)  # the commit
    except BaseException:
        manifest.finalized = None
        with contextlib.suppress(Exception):  # what cannot be undone now, the next finalize undoes
            _undo(cycle_dir, intent)
        raise
    with contextlib.suppress(OSError):  # committed: a manifest not yet on disk is for the system to finish
        _sync(cycle_dir)
    with contextlib.suppress(OSError):  # what cannot be removed now, the next finalize removes
        _clean(cycle_dir, intent)
