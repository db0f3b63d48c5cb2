"""Drive headless LibreOffice Calc: print workbooks to PDF, recalculate them in a real engine.

Every soffice process gets its own throw-away user profile. That is how recalculation is forced
(by default Calc keeps the values cached in an xlsx, so a plain conversion proves nothing about
the formulas), and it lets several conversions run at once: LibreOffice refuses, or hands the
job to the already running instance, when two processes share a profile.

Public API: `find_soffice`, `convert`, `recalculate`, `to_pdf`.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from cyclekit.errors import CyclekitError, MissingToolError

__all__ = ["ConversionError", "convert", "find_soffice", "recalculate", "to_pdf"]

INSTALL_HINT = (
    "LibreOffice is needed for this and was not found: install it "
    "(e.g. `apt-get install libreoffice-calc-nogui`) "
    "or set CYCLEKIT_SOFFICE to the soffice program."
)

# Filter that writes xlsx from Calc; naming it avoids any guess on the output type.
XLSX_FILTER = "xlsx:Calc MS Excel 2007 XML"

# Start-up is about a second, each file a fraction of that; a hung soffice must not hang the run.
BASE_TIMEOUT = 120.0
TIMEOUT_PER_FILE = 2.0

# Formula/Load recalc modes: 0 = always recalculate, 1 = never, 2 = prompt.
PROFILE_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
           xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
  <prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop>
</item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
  <prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop>
</item>
</oor:items>
"""


class ConversionError(CyclekitError):
    """soffice ran (or tried to) and some files were not converted."""


def find_soffice() -> str:
    """Path of LibreOffice: $CYCLEKIT_SOFFICE if set, else soffice or libreoffice on PATH."""
    override = os.environ.get("CYCLEKIT_SOFFICE")
    if override:
        # An explicit choice that does not work is an error, not a reason to pick another program.
        found = shutil.which(override)
        if found is None:
            raise MissingToolError(
                f"CYCLEKIT_SOFFICE is set to {override!r}, which is not an executable program: "
                "point it to soffice or install LibreOffice "
                "(e.g. `apt-get install libreoffice-calc-nogui`)."
            )
        return found
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    raise MissingToolError(INSTALL_HINT)


def convert(paths: Sequence[Path], out_dir: Path, fmt: str) -> list[Path]:
    """Convert `paths` into `out_dir` with one soffice call; return the outputs in input order.

    `fmt` is what soffice's --convert-to takes ("pdf", "xlsx:Calc MS Excel 2007 XML"); the output
    is named after the input's stem with the extension before any ':'.
    """
    paths = [Path(p).resolve() for p in paths]
    out_dir = Path(out_dir).resolve()
    extension = fmt.split(":", 1)[0]
    if not extension:
        raise ValueError(f"no output extension in format {fmt!r}")
    if not paths:
        return []

    outputs = _planned_outputs(paths, out_dir, extension)
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise ConversionError(f"cannot convert, no such file: {', '.join(map(str, missing))}")

    program = find_soffice()
    out_dir.mkdir(parents=True, exist_ok=True)
    # A stale output from an earlier run would pass the existence check below.
    for output in outputs:
        output.unlink(missing_ok=True)

    timeout = BASE_TIMEOUT + TIMEOUT_PER_FILE * len(paths)
    with tempfile.TemporaryDirectory(prefix="cyclekit-lo-profile-") as profile:
        _write_profile(Path(profile))
        command = [
            program, "--headless", "--norestore", "--nolockcheck",
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--convert-to", fmt, "--outdir", str(out_dir),
            *map(str, paths),
        ]
        returncode, said = _run(command, timeout, paths)

    # soffice often exits 0 after failing to load a file: only the outputs prove success.
    failed = [src for src, out in zip(paths, outputs) if not out.is_file()]
    if failed:
        names = ", ".join(str(p) for p in failed)
        raise ConversionError(
            f"LibreOffice did not convert {len(failed)} of {len(paths)} file(s) to {extension} "
            f"(exit code {returncode}): {names}{_tail(said)}"
        )
    return outputs


def recalculate(paths: Sequence[Path], out_dir: Path) -> list[Path]:
    """Copies of the xlsx `paths` in `out_dir`, every formula recalculated by LibreOffice."""
    return convert(paths, out_dir, XLSX_FILTER)


def to_pdf(paths: Sequence[Path], out_dir: Path) -> list[Path]:
    """PDFs of the workbooks `paths` in `out_dir`, as LibreOffice prints them."""
    return convert(paths, out_dir, "pdf")


def _planned_outputs(paths: list[Path], out_dir: Path, extension: str) -> list[Path]:
    for path in paths:
        if path.parent == out_dir:
            # xlsx -> xlsx in place would overwrite the input with its own conversion.
            raise ValueError(f"out_dir {out_dir} must differ from the folder of input {path}")
    outputs = [out_dir / f"{p.stem}.{extension}" for p in paths]
    seen: dict[Path, Path] = {}
    for src, out in zip(paths, outputs):
        if out in seen:
            # soffice would silently write the second over the first.
            raise ValueError(f"{seen[out]} and {src} would both convert to {out}")
        seen[out] = src
    return outputs


def _write_profile(profile: Path) -> None:
    user = profile / "user"
    user.mkdir(parents=True)
    (user / "registrymodifications.xcu").write_text(PROFILE_SETTINGS, encoding="utf-8")


def _run(command: list[str], timeout: float, paths: list[Path]) -> tuple[int, str]:
    """Run soffice; return its exit code and its stdout then stderr (the tail shows the errors)."""
    # soffice is a script that starts oosplash, which starts soffice.bin: run them in their own
    # process group so a timeout kills all of them, not just the script.
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, errors="replace", start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        stdout, stderr = process.communicate()
        raise ConversionError(
            f"LibreOffice did not finish converting {len(paths)} file(s) in {timeout:g} s "
            f"and was stopped (first file: {paths[0]}){_tail(stderr or stdout)}"
        ) from None
    except BaseException:
        _kill_group(process)  # e.g. Ctrl-C: leave no soffice.bin behind
        raise
    return process.returncode, "\n".join(part for part in (stdout, stderr) if part.strip())


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def _tail(text: str, lines: int = 5) -> str:
    # The javaldx warning appears on every run without Java and explains nothing.
    kept = [line for line in text.splitlines() if line.strip() and "javaldx" not in line][-lines:]
    return ("\nsoffice said:\n  " + "\n  ".join(kept)) if kept else ""
