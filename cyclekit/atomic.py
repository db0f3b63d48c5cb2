"""Atomic file writes: a reader never sees a half-written output.

A write that fails (disk full, no permission) leaves nothing behind and becomes a `WriteError`:
one line naming the file and what to do, never a traceback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from cyclekit.errors import CyclekitError


class WriteError(CyclekitError):
    """A file could not be written (disk full, no permission, read-only drive...)."""


# what a user can do about the commonest operating-system errors (here and in the CLI's one line)
OS_ADVICE = {
    errno.ENOSPC: "the disk is full: free some space",
    errno.EDQUOT: "your disk quota is used up: free some space",
    errno.EACCES: "no permission to write there: ask for write access or choose another folder",
    errno.EPERM: "no permission to write there: ask for write access or choose another folder",
    errno.EROFS: "the drive is read-only: copy the folder to a drive you can write to",
    errno.ENAMETOOLONG: "the name is too long for this drive: choose a shorter folder name",
    errno.EEXIST: "a file is where a folder is needed",
    errno.ENOTDIR: "a file is where a folder is needed",
    errno.EISDIR: "a folder is where a file is needed",
}
# the faults of a drive that an atomic write reports as a WriteError (the rest go up as they are)
_WRITE_FAULTS = {errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS, errno.ENAMETOOLONG}


def write_error(exc: OSError, path: Path | str | None = None) -> WriteError:
    """An OSError met while writing, as one line: which file, what happened, what to do."""
    where = path or exc.filename or "a file"
    what = OS_ADVICE.get(exc.errno or 0, "check the drive and the folder's permissions")
    reason = exc.strerror or str(exc)
    return WriteError(f"could not write {where} ({reason}): {what}, then run the command again")


def current_umask() -> int:
    """The process's umask now (read, not changed, where Linux shows it: threads may be writing)."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def usual_mode(directory: bool = False) -> int:
    """The mode a file or folder made by open() or mkdir() gets: what the user's umask allows
    (tempfile makes them readable by their owner only, which hides them from colleagues)."""
    return (0o777 if directory else 0o666) & ~current_umask()


def make_work_dir(prefix: str, parent: Path) -> Path:
    """A new folder to build an output in, with the mode mkdir would give it."""
    work = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    os.chmod(work, usual_mode(directory=True))
    return work


@contextlib.contextmanager
def atomic_path(target: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it over `target` only on success."""
    target = Path(target)
    tmp: Path | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        yield tmp
        os.chmod(tmp, usual_mode())
        os.replace(tmp, target)
    except OSError as exc:
        if exc.errno not in _WRITE_FAULTS:
            raise
        raise write_error(exc, target) from exc
    finally:
        if tmp is not None and tmp.exists():
            tmp.unlink()


def write_text_atomic(target: Path | str, text: str, encoding: str = "utf-8") -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding=encoding, newline="")


def write_bytes_atomic(target: Path | str, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def keep_a_copy(path: Path, stamp_format: str, now: dt.datetime | None = None) -> Path | None:
    """A copy of a workbook about to be replaced, beside it as <name>-<stamp><suffix> (None when
    there is none); a copy already there is never written over (a second one the same second
    gets -2, -3...), and the copy is whole before it gets its name: a crash or a full disk
    leaves no half copy."""
    if not path.exists():
        return None
    stamp = (now or dt.datetime.now()).strftime(stamp_format)
    whole = path.with_name(f".{path.stem}-backup.tmp")  # cleared by the next command if left by a kill
    try:
        shutil.copy2(path, whole)
        for n in range(1, 1000):
            backup = path.with_name(f"{path.stem}-{stamp}{'' if n == 1 else f'-{n}'}{path.suffix}")
            try:
                os.link(whole, backup)  # fails where a copy of that name exists: never written over
            except FileExistsError:
                continue
            except OSError:  # no hard links on this drive: an exclusive create instead
                try:
                    with open(whole, "rb") as source, open(backup, "xb") as target:
                        shutil.copyfileobj(source, target)
                except FileExistsError:
                    continue
                except BaseException:
                    backup.unlink(missing_ok=True)
                    raise
            return backup
    finally:
        whole.unlink(missing_ok=True)
    raise CyclekitError(f"{path}: too many copies made this second; nothing was written")
