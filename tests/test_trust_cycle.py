"""The cycle folder under faults: two commands at once, killed commands, umask, files from elsewhere,
long and odd location names, a full disk (issues 11 and 12)."""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from cyclekit.backends.spec import PrintSetup, Range, Sheet, Validation, WorkbookSpec
from cyclekit.backends.xlsx import render_xlsx
from cyclekit.cli import cli
from cyclekit.config import Config
from cyclekit.folder.cycle import safe_name, safe_tab
from cyclekit.inputs.tables import file_sha256
from cyclekit.layouts.count_sheet import SheetHeader, SheetLine, count_sheet
from cyclekit.stages import schedule as api
from cyclekit.stages.finalize import finalize_cycle
from cyclekit.stages.ingest import ingest_cycle
from cyclekit.stages.sheets import Selection, start_cycle
from tests.helpers import INVENTORY_HEADER, LOCATIONS_HEADER, fill_sheet, inventory_rows, write_csv

AS_OF = dt.date(2026, 11, 23)
ROOT = Path(__file__).resolve().parent.parent
CYCLEKIT = [sys.executable, "-c", "from cyclekit.cli import main; main()"]


def _plant(folder: Path, rows: list[list[object]] | None = None) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rows = rows or inventory_rows()
    inventory = write_csv(folder / "inventory.csv", INVENTORY_HEADER, rows)
    locations = write_csv(folder / "locations.csv", LOCATIONS_HEADER, [
        [loc, "Zone " + loc[:2], "Ana Ruiz", "", "", "", ""] for loc in dict.fromkeys(r[0] for r in rows)])
    schedule = folder / "schedule.xlsx"
    api.write_schedule(inventory, schedule, Config(), locations=locations, as_of=AS_OF)
    return schedule, inventory


@pytest.fixture
def plant(tmp_path):
    return _plant(tmp_path)


def _start(plant, folder: Path, **kwargs):
    schedule, inventory = plant
    return start_cycle(schedule, inventory, folder, Config(), selection=Selection(all=True), as_of=AS_OF, **kwargs)


def _manifest(cycle_dir: Path) -> dict:
    return json.loads((cycle_dir / "manifest.json").read_text())


def _fill_all(cycle_dir: Path, out_dir: Path, off: int = 0) -> list[Path]:
    """Every count sheet filled; `off` added to every count (a variance on each line: recounts)."""
    import csv

    with open(cycle_dir / "snapshot.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    written = []
    for record in _manifest(cycle_dir)["sheets"]:
        if record["kind"] != "count":
            continue
        counts = {int(r["line"]): float(r["quantity"].replace(",", "")) + off
                  for r in rows if r["location"] == record["location"]}
        counts = {n: int(q) if q.is_integer() else q for n, q in counts.items()}
        written.append(fill_sheet(cycle_dir / record["file"], out_dir / f"{safe_name(record['location'])} done.xlsx",
                                  counts, counted_by="Ana Ruiz",
                                  confirmed_empty=None if counts else "YES"))
    return written


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def _until(condition, seconds: float = 30.0) -> bool:
    """Poll `condition` (a generous bound, not a timing assertion)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ---- one command writes a cycle at a time -------------------------------------------------------

RACER = textwrap.dedent("""
    import os, sys, time
    import cyclekit.stages.ingest
    from cyclekit.cli import main
    if os.environ.get("SLOW_SAVE"):  # a slow disk: the manifest is saved seconds after it was read
        save = cyclekit.stages.ingest.save_manifest
        def slow_save(*args):
            time.sleep(float(os.environ["SLOW_SAVE"]))
            save(*args)
        cyclekit.stages.ingest.save_manifest = slow_save
    go = sys.argv[1]
    while not os.path.exists(go):  # every racer loaded and waiting: they start together
        time.sleep(0.005)
    time.sleep(float(os.environ.get("DELAY", "0")))
    sys.argv = ["cyclekit", *sys.argv[2:]]
    main()
""")


def test_two_ingests_at_once_lose_no_count_and_share_no_sheet_id(plant, tmp_path):
    cycle_dir = _start(plant, tmp_path / "cycle").cycle_dir
    files = _fill_all(cycle_dir, tmp_path / "back", off=1)  # every line off by one: recounts in both runs
    halves = [files[::2], files[1::2]]
    go = tmp_path / "go"
    racers = [subprocess.Popen([sys.executable, "-c", RACER, str(go), "ingest", "-q", str(cycle_dir),
                                *map(str, half)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True) for half in halves]
    time.sleep(1.5)  # both have imported cyclekit
    go.touch()
    outcomes = [(p.wait(120), p.stdout.read(), p.stderr.read()) for p in racers]
    for code, _out, err in outcomes:
        assert "Traceback" not in err
        assert code == 0 or "another cyclekit command" in err, err
    manifest = _manifest(cycle_dir)
    read = {f["sha256"] for f in manifest["ingests"][-1]["files"]}
    for (code, _, _), half in zip(outcomes, halves):
        if code == 0:  # what a run counted is in the cycle's last ingest
            assert {file_sha256(f) for f in half} <= read
    ids = [s["sheet_id"] for s in manifest["sheets"]]
    assert len(ids) == len(set(ids)), ids
    recount_files = {s["file"] for s in manifest["sheets"] if s["kind"] == "recount"}
    assert recount_files == {str(p.relative_to(cycle_dir)) for p in (cycle_dir / "recounts").glob("*.xlsx")}


HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from cyclekit.folder.lock import cycle_lock
    with cycle_lock(sys.argv[1]):
        Path(sys.argv[2]).touch()
        time.sleep(120)
""")


def test_a_second_command_waits_then_refuses_and_readers_go_on(plant, tmp_path):
    cycle_dir = _start(plant, tmp_path / "cycle").cycle_dir
    files = _fill_all(cycle_dir, tmp_path / "back")
    ingest_cycle(cycle_dir, Config(), files[:2])
    held = tmp_path / "held"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(cycle_dir), str(held)], cwd=ROOT)
    try:
        assert _until(held.exists)
        before = _files(cycle_dir)
        run = subprocess.run([*CYCLEKIT, "ingest", str(cycle_dir), *map(str, files[2:])], cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 1
        assert run.stderr.strip().count("\n") == 0 and "another cyclekit command" in run.stderr
        assert _files(cycle_dir) == before  # nothing changed
        for command in (["verify", str(cycle_dir)], ["status", str(cycle_dir)]):  # readers need no lock
            read = subprocess.run([*CYCLEKIT, *command], cwd=ROOT, capture_output=True, text=True, timeout=120)
            assert read.returncode == 0 and "Traceback" not in read.stderr, read.stderr
    finally:
        holder.kill()
        holder.wait()
    again = subprocess.run([*CYCLEKIT, "ingest", str(cycle_dir), *map(str, files[2:])], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr  # a killed holder left no lock behind


def test_finalize_and_ingest_never_both_write(plant, tmp_path):
    """An ingest that runs after finalize sees it finalized; it never saves the manifest back open."""
    cycle_dir = _start(plant, tmp_path / "cycle").cycle_dir
    files = _fill_all(cycle_dir, tmp_path / "back")
    ingest_cycle(cycle_dir, Config(), files)
    go = tmp_path / "go"
    schedule = plant[0]
    # the ingest reads the manifest first and saves it seconds later; finalize runs meanwhile
    commands = [(["finalize", "-q", str(cycle_dir), "--schedule", str(schedule)], {"DELAY": "0.5"}),
                (["ingest", "-q", str(cycle_dir), *map(str, files)], {"SLOW_SAVE": "2.5"})]
    racers = [subprocess.Popen([sys.executable, "-c", RACER, str(go), *command], cwd=ROOT, env={**os.environ, **env},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for command, env in commands]
    time.sleep(1.5)
    go.touch()
    outcomes = [(p.wait(120), p.stderr.read()) for p in racers]
    assert all("Traceback" not in err for _, err in outcomes)
    for code, err in outcomes:
        assert code == 0 or "another cyclekit command" in err or "was finalized" in err, err
    if outcomes[0][0] == 0:
        assert _manifest(cycle_dir)["finalized"], "the finalize stands: no ingest saved the cycle back open"


def test_verify_and_status_read_while_an_ingest_writes(plant, tmp_path):
    from cyclekit.stages.status import cycle_status
    from cyclekit.stages.verify import verify_cycle

    cycle_dir = _start(plant, tmp_path / "cycle").cycle_dir
    files = _fill_all(cycle_dir, tmp_path / "back", off=1)
    ingest_cycle(cycle_dir, Config(), files[:3])
    go = tmp_path / "go"
    go.touch()
    writer = subprocess.Popen([sys.executable, "-c", RACER, str(go), "ingest", "-q", str(cycle_dir),
                               *map(str, files)], cwd=ROOT, env={**os.environ, "SLOW_SAVE": "1"},
                              stderr=subprocess.PIPE, text=True)
    reads = 0
    while writer.poll() is None or reads < 3:
        assert verify_cycle(cycle_dir).ok
        assert cycle_status(cycle_dir, Config()).sheets_sent == len(files)
        reads += 1
    assert writer.wait() == 0, writer.stderr.read()


# ---- killed commands: workers die, the next command clears what was left --------------------------

KILLED = textwrap.dedent("""
    import contextlib, functools, os, sys
    from pathlib import Path
    os.cpu_count = lambda: 2  # workers even on one core
    from cyclekit import parallel
    from cyclekit.backends.xlsx import render_later
    from tests.parallel_victims import layout, produce, work  # importable: workers are given them pickled
    try:
        from cyclekit.folder.lock import cycle_lock
    except ImportError:  # a version without the lock: the workers are what is tested
        cycle_lock = lambda cycle: contextlib.nullcontext()

    cycle, pids = Path(sys.argv[1]), Path(sys.argv[2])

    with cycle_lock(cycle):
        wait = parallel.in_forked_copy(functools.partial(produce, pids))
        later = render_later([(functools.partial(layout, pids), cycle / "recounts" / "later.xlsx")])
        parallel.map_on_cores(functools.partial(work, cycle, pids), range(2), "work", serial_below=1)
""")


def test_workers_die_with_a_killed_command_and_the_next_command_clears_its_leftovers(plant, tmp_path):
    cycle_dir = _start(plant, tmp_path / "cycle").cycle_dir
    files = _fill_all(cycle_dir, tmp_path / "back")
    pids = tmp_path / "pids"
    pids.mkdir()
    parent = subprocess.Popen([sys.executable, "-c", KILLED, str(cycle_dir), str(pids)], cwd=ROOT)
    try:
        assert _until(lambda: len(list(pids.iterdir())) >= 4), list(pids.iterdir())
        workers = [int(p.name.split("-")[1]) for p in pids.iterdir()]
        assert list((cycle_dir / "recounts").glob(".R*.tmp"))
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    try:
        assert _until(lambda: not any(_alive(pid) for pid in workers)), [p for p in workers if _alive(p)]
    finally:
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
    # the leftovers of earlier kills: a finalize work folder, an atomic write's temp, sheets' copy
    (cycle_dir / ".finalize.abcd1234").mkdir()
    (cycle_dir / ".finalize.abcd1234" / "generic.csv").write_text("x")
    (cycle_dir / ".manifest.json.k3j4h5g6.tmp").write_text("{")
    (tmp_path / ".cycle.q1w2e3r4").mkdir()
    (cycle_dir / "notes.tmp").write_text("a person's file")  # not cyclekit's: kept
    result = CliRunner().invoke(cli, ["ingest", str(cycle_dir), *map(str, files)])
    assert result.exit_code == 0, result.output
    assert not list((cycle_dir / "recounts").glob(".*.tmp"))
    assert not (cycle_dir / ".finalize.abcd1234").exists() and not (tmp_path / ".cycle.q1w2e3r4").exists()
    assert not (cycle_dir / ".manifest.json.k3j4h5g6.tmp").exists()
    assert (cycle_dir / "notes.tmp").read_text() == "a person's file"


PRINTING = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    os.cpu_count = lambda: 1  # one soffice for all the files
    from cyclekit.backends.libreoffice import to_pdf
    files = sorted(Path(sys.argv[1]).glob("*.xlsx"))
    Path(sys.argv[3]).touch()
    to_pdf(files, Path(sys.argv[2]))
""")


def test_libreoffice_ends_with_a_killed_command(tmp_path, soffice):
    books = tmp_path / "books"
    sheet = count_sheet(SheetHeader("count", "CC-1", "S001", "WH-A-01", "A", "Ana", "2026-11-23"),
                        [SheetLine(n, f"P-{n}", "", "Part", "", "ea") for n in range(1, 30)], "WH-A-01",
                        show_system_qty=False, found_rows=3, whole_uoms=("ea",), paper=9)
    for n in range(24):
        render_xlsx(WorkbookSpec([sheet], title="t"), books / f"sheet-{n:02}.xlsx")
    temp, pdf, started = tmp_path / "temp", tmp_path / "pdf", tmp_path / "started"
    temp.mkdir()
    parent = subprocess.Popen([sys.executable, "-c", PRINTING, str(books), str(pdf), str(started)], cwd=ROOT,
                              env={**os.environ, "TMPDIR": str(temp)})

    def ours() -> list[int]:  # soffice processes of this test: their profile is in its temp folder
        found = []
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and str(temp) in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                pass
        return [pid for pid in found if _alive(pid)]

    try:
        assert _until(lambda: any("soffice.bin" in Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace")
                                  for p in ours()), 120)
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    try:
        assert _until(lambda: not ours(), 120)
    finally:
        for pid in ours():
            os.kill(pid, signal.SIGKILL)
    # stopped at once, not left to print every sheet for a command that is no more
    assert len(list(pdf.rglob("*.pdf"))) < 24


# ---- umask ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_cycle_folders_honour_the_umask(plant, tmp_path, umask):
    schedule, inventory = plant
    cycle_dir = tmp_path / "cycle"
    run = subprocess.run([*CYCLEKIT, "sheets", str(schedule), str(inventory), "--all", "--as-of", "2026-11-23",
                          "-o", str(cycle_dir)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         preexec_fn=lambda: os.umask(umask))
    assert run.returncode == 0, run.stderr
    files = _fill_all(cycle_dir, tmp_path / "back")
    run = subprocess.run([*CYCLEKIT, "ingest", str(cycle_dir), *map(str, files)], cwd=ROOT, capture_output=True,
                         text=True, timeout=300, preexec_fn=lambda: os.umask(umask))
    assert run.returncode == 0, run.stderr
    for folder in (cycle_dir, cycle_dir / "sheets", cycle_dir / "returned"):
        assert folder.stat().st_mode & 0o777 == 0o777 & ~umask, folder
    for path in (cycle_dir / "manifest.json", cycle_dir / "snapshot.csv", cycle_dir / "results.xlsx",
                 next((cycle_dir / "sheets").iterdir()), next((cycle_dir / "returned").iterdir())):
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask, path


# ---- filled sheets from elsewhere are kept with the cycle -----------------------------------------

def test_sheets_given_from_elsewhere_are_kept_in_the_cycle(plant, tmp_path):
    cycle_dir = _start(plant, tmp_path / "cycle").cycle_dir
    downloads = tmp_path / "Downloads"
    files = _fill_all(cycle_dir, downloads)
    ingest_cycle(cycle_dir, Config(), files)
    recorded = [f["file"] for f in _manifest(cycle_dir)["ingests"][-1]["files"]]
    assert sorted(recorded) == sorted(f"returned/{f.name}" for f in files)
    finalize_cycle(cycle_dir, plant[0], Config())
    for path in files:
        path.unlink()
    downloads.rmdir()  # Downloads cleaned
    result = CliRunner().invoke(cli, ["verify", str(cycle_dir)])
    assert result.exit_code == 0, result.output
    assert all(name.startswith("returned/") for name in _manifest(cycle_dir)["finalized"]["inputs"]
               if name.endswith("done.xlsx"))


def test_two_sheets_of_one_name_are_both_kept_and_a_copy_is_never_overwritten(plant, tmp_path):
    cycle_dir = _start(plant, tmp_path / "cycle").cycle_dir
    sheet = cycle_dir / _manifest(cycle_dir)["sheets"][0]["file"]
    first = fill_sheet(sheet, tmp_path / "mail-1" / "count.xlsx", {1: 1234, 2: 10, 3: 40}, counted_by="Ana")
    ingest_cycle(cycle_dir, Config(), [first])
    kept = (cycle_dir / "returned" / "count.xlsx").read_bytes()
    assert kept == first.read_bytes()
    again = fill_sheet(sheet, tmp_path / "mail-2" / "count.xlsx", {1: 1200, 2: 10, 3: 40}, counted_by="Ana")
    report = ingest_cycle(cycle_dir, Config(), [again])
    assert (cycle_dir / "returned" / "count.xlsx").read_bytes() == kept
    [other] = [p for p in (cycle_dir / "returned").iterdir() if p.name != "count.xlsx"]
    assert other.name.startswith("count-") and other.read_bytes() == again.read_bytes()
    assert report.figures.discrepancies == 1  # the sheet given now wins over the earlier copy
    ingest_cycle(cycle_dir, Config(), [again])  # the same file again: the same copy
    assert len(list((cycle_dir / "returned").iterdir())) == 2


def test_a_failed_ingest_takes_back_the_copies_it_made(plant, tmp_path):
    cycle_dir = _start(plant, tmp_path / "cycle").cycle_dir
    [good, *_] = _fill_all(cycle_dir, tmp_path / "mail")
    ingest_cycle(cycle_dir, Config(), [good])
    assert [p.name for p in (cycle_dir / "returned").iterdir()] == [good.name]
    stranger = tmp_path / "mail" / "x.xlsx"  # no count sheet in it
    stranger.write_bytes(b"not a workbook")
    result = CliRunner().invoke(cli, ["ingest", str(cycle_dir), str(stranger)])
    assert result.exit_code == 1 and "nothing was changed" in result.output
    assert [p.name for p in (cycle_dir / "returned").iterdir()] == [good.name]


# ---- long and odd location names ------------------------------------------------------------------

def test_a_300_character_location_gets_a_short_file_name(tmp_path):
    long_a, long_b = "A" * 299 + "1", "A" * 299 + "2"
    rows = [[long_a, "P-1", "", "Part", "ea", "", "", "", "3", "1.00"],
            [long_b, "P-2", "", "Part", "ea", "", "", "", "4", "1.00"]]
    report = _start(_plant(tmp_path / "plant", rows), tmp_path / "cycle")
    manifest = _manifest(report.cycle_dir)
    assert sorted(r["location"] for r in manifest["locations"]) == [long_a, long_b]
    names = [Path(s["file"]).name for s in manifest["sheets"]]
    assert len(set(names)) == 2 and all(len(name) <= 90 for name in names)
    book = openpyxl.load_workbook(report.cycle_dir / manifest["sheets"][0]["file"])
    assert any(cell.value in (long_a, long_b) for row in book.worksheets[0].iter_rows() for cell in row)
    files = _fill_all(report.cycle_dir, tmp_path / "back")
    assert ingest_cycle(report.cycle_dir, Config(), files).figures.lines_counted == 2


def test_safe_names_hold_no_character_xml_cannot():
    assert safe_tab("WH\x07A-01", set()) == "WHA-01"
    assert safe_tab("\x01\x1f\ufffe", set()) == "Sheet"
    assert safe_name("WH\x07A-01") == "WH_A-01"
    long = safe_name("x" * 300)
    assert len(long) <= 80 and long != safe_name("x" * 299 + "y")


def test_a_sheet_for_a_location_with_a_control_character_opens_everywhere(tmp_path, soffice):
    from cyclekit.backends.libreoffice import convert

    location = "WH\x07A-01"
    header = SheetHeader("count", "CC-1", "S001", location, "Zone\x07", "Ana", "2026-11-23")
    sheet = count_sheet(header, [SheetLine(1, "P-1", "", "Part\x07", "", "ea", 3)], safe_tab(location, set()),
                        show_system_qty=False, found_rows=2, whole_uoms=("ea",), paper=9)
    other = Sheet("Notes\x07\x1b", rows=[["note \x07 here", "\ufffe"]],
                  validations=[Validation(Range(0, 0, 0, 0), kind="list", choices=("a\x07", "b"),
                                          input_title="t\x07", input_message="m\x07", error_message="e\x0b")],
                  print_setup=PrintSetup(header="&L\x07head", footer="foot\x07"))
    path = render_xlsx(WorkbookSpec([sheet, other], title=f"Count sheets {location}", subject=location),
                       tmp_path / "count.xlsx")
    book = openpyxl.load_workbook(path)  # Excel's readers
    assert book.sheetnames == ["WHA-01", "Notes"]
    [csv] = convert([path], tmp_path / "lo", "csv")
    assert csv.is_file()


# ---- a full disk, a folder without permission ---------------------------------------------------

class _DiskFull:
    """OSError(ENOSPC) from the `fail_at`-th file opened for writing under `root` on (the cycle's
    lock file aside: a lock is no data), in this process and in the workers it forks."""

    def __init__(self, monkeypatch, root: Path, fail_at: int, error: int = errno.ENOSPC):
        import builtins
        import io

        self.root, self.fail_at, self.error, self.opened, self.hit = str(root), fail_at, error, 0, False
        real_open, real_os_open = io.open, os.open

        def fault(file) -> None:
            name = os.fsdecode(file) if isinstance(file, str | bytes | os.PathLike) else ""
            if not os.path.abspath(name).startswith(self.root) or name.endswith(".lock"):
                return
            self.opened += 1
            if self.opened >= self.fail_at:  # full from then on
                self.hit = True
                raise OSError(self.error, os.strerror(self.error), name)

        def faulty_open(file, mode="r", *args, **kwargs):
            if any(flag in mode for flag in "wax+"):
                fault(file)
            return real_open(file, mode, *args, **kwargs)

        def faulty_os_open(path, flags, *args, **kwargs):
            if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
                fault(path)
            return real_os_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(io, "open", faulty_open)
        monkeypatch.setattr(builtins, "open", faulty_open)
        monkeypatch.setattr(os, "open", faulty_os_open)


def _state(folder: Path) -> dict[str, bytes]:
    return {name: data for name, data in _files(folder).items() if not name.endswith(".cyclekit.lock")}


def _as_before(before: dict[str, bytes], after: dict[str, bytes]) -> bool:
    """Nothing changed or half-written: every file as it was; a new one only as a whole copy of one
    that was there (a backup kept of a file about to be replaced)."""
    return (all(after.get(name) == data for name, data in before.items())
            and all(data in before.values() for name, data in after.items() if name not in before))


def _fails_in_one_line(result) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.output.strip().count("\n") == 0, result.output
    assert result.output.startswith("Error: ") and "free some space" in result.output, result.output


def _each_write_fails_then_succeeds(monkeypatch, tmp_path, args: list[str], root: Path) -> int:
    """Run `args` failing at the 1st, 2nd... write until one run meets no fault; every failed run
    says so in one line and leaves `root` as it was. Returns how many writes were failed."""
    before = _state(root)
    n = 0
    while True:
        n += 1
        with monkeypatch.context() as patch:
            disk = _DiskFull(patch, root, n)
            result = CliRunner().invoke(cli, args, catch_exceptions=False)
        if not disk.hit and result.exit_code == 0:
            return n - 1
        _fails_in_one_line(result)
        assert _as_before(before, _state(root)), f"write {n} failed and left the folder changed"
        assert n < 200


def test_a_full_disk_at_each_write_of_schedule_sheets_and_ingest(plant, tmp_path, monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 1)  # every write in this process, where it is counted
    schedule, inventory = plant
    work = tmp_path / "work"
    work.mkdir()
    (work / "schedule.xlsx").write_bytes(schedule.read_bytes())
    faults = _each_write_fails_then_succeeds(
        monkeypatch, tmp_path, ["schedule", str(inventory), "--as-of", "2026-11-23", "-o",
                                str(work / "schedule.xlsx")], work)
    assert faults >= 1
    faults = _each_write_fails_then_succeeds(
        monkeypatch, tmp_path, ["sheets", str(schedule), str(inventory), "--all", "--as-of", "2026-11-23",
                                "-o", str(work / "cycle")], work)
    assert faults >= 4 and (work / "cycle" / "manifest.json").is_file()
    files = _fill_all(work / "cycle", tmp_path / "back", off=1)  # variances: recount sheets are written too
    faults = _each_write_fails_then_succeeds(
        monkeypatch, tmp_path, ["ingest", str(work / "cycle"), *map(str, files)], work)
    assert faults >= 4 and (work / "cycle" / "results.xlsx").is_file()
    assert list((work / "cycle" / "recounts").glob("*.xlsx"))
    again = _fill_all(work / "cycle", tmp_path / "again", off=2)  # corrected sheets: results.xlsx is replaced
    faults = _each_write_fails_then_succeeds(
        monkeypatch, tmp_path, ["ingest", str(work / "cycle"), *map(str, again)], work)
    assert faults >= 4


def test_a_cycle_folder_without_write_permission_is_one_line(plant, tmp_path, monkeypatch):
    cycle_dir = _start(plant, tmp_path / "cycle").cycle_dir
    files = _fill_all(cycle_dir, tmp_path / "back")
    before = _state(cycle_dir)
    with monkeypatch.context() as patch:
        _DiskFull(patch, cycle_dir, 1, errno.EACCES)
        result = CliRunner().invoke(cli, ["ingest", str(cycle_dir), *map(str, files)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "permission" in result.output and result.output.strip().count("\n") == 0
    assert _state(cycle_dir) == before


NO_OVERRIDE = ["setpriv", "--bounding-set=-dac_override,-dac_read_search",
               "--inh-caps=-dac_override,-dac_read_search"]  # root, held to the folders' permissions


def test_read_only_folders_for_each_command_really(plant, tmp_path):
    """The same, for real: the commands run without the power to override permissions (root's
    CAP_DAC_OVERRIDE dropped with setpriv; skipped where that is not possible)."""
    import shutil

    if shutil.which("setpriv") is None or subprocess.run([*NO_OVERRIDE, "true"]).returncode != 0:
        pytest.skip("setpriv cannot drop the permission override here")
    schedule, inventory = plant
    cycle_dir = _start(plant, tmp_path / "cycle").cycle_dir
    files = _fill_all(cycle_dir, tmp_path / "back")
    shut = tmp_path / "shut"
    shut.mkdir()
    commands = [["schedule", str(inventory), "--as-of", "2026-11-23", "-o", str(shut / "schedule.xlsx")],
                ["sheets", str(schedule), str(inventory), "--all", "--as-of", "2026-11-23", "-o", str(shut / "c")],
                ["ingest", str(cycle_dir), *map(str, files)]]
    for folder in (shut, cycle_dir):
        folder.chmod(0o555)
    try:
        before = _files(tmp_path / "cycle")
        for command in commands:
            run = subprocess.run([*NO_OVERRIDE, *CYCLEKIT, *command], cwd=ROOT, capture_output=True, text=True,
                                 timeout=300)
            assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
            assert run.stderr.strip().count("\n") == 0 and "permission" in run.stderr, run.stderr
        assert _files(tmp_path / "cycle") == before and not list(shut.iterdir())
    finally:
        for folder in (shut, cycle_dir):
            folder.chmod(0o755)


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MB filesystem of its own (tmpfs), where the test may mount one (root on Linux)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root on Linux")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"this machine does not let the test mount a filesystem: {mounted.stderr.decode().strip()}")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def _fill_disk(disk: Path, leave: int) -> Path:
    filler = disk / "filler"
    filler.unlink(missing_ok=True)
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    with open(filler, "wb") as handle:
        handle.write(b"\0" * max(0, free - leave))
    return filler


def test_a_really_full_disk_for_each_command(small_disk, tmp_path):
    schedule, inventory = _plant(tmp_path / "plant")
    cycle_dir = small_disk / "cycle"
    commands = {
        "schedule": ["schedule", str(inventory), "--as-of", "2026-11-23", "-o", str(small_disk / "schedule.xlsx")],
        "sheets": ["sheets", str(schedule), str(inventory), "--all", "--as-of", "2026-11-23", "-o", str(cycle_dir)],
    }
    for name, command in commands.items():
        for leave in (0, 8_000, 40_000):
            filler = _fill_disk(small_disk, leave)
            before = _state(small_disk)
            run = subprocess.run([*CYCLEKIT, *command], cwd=ROOT, capture_output=True, text=True, timeout=300)
            if run.returncode == 0:
                continue  # it fitted
            assert "Traceback" not in run.stderr and run.stderr.strip().count("\n") == 0, (name, leave, run.stderr)
            assert "free some space" in run.stderr, run.stderr
            assert _as_before(before, _state(small_disk)), (name, leave)
            filler.unlink()
            run = subprocess.run([*CYCLEKIT, *command], cwd=ROOT, capture_output=True, text=True, timeout=300)
            assert run.returncode == 0, run.stderr  # space is back: the command runs
            break
        else:
            pytest.fail(f"{name} never met the full disk")
    files = _fill_all(cycle_dir, tmp_path / "back", off=1)
    failed = []
    for leave in (0, 20_000, 60_000):
        filler = _fill_disk(small_disk, leave)
        before = _state(small_disk)
        run = subprocess.run([*CYCLEKIT, "ingest", str(cycle_dir), *map(str, files)], cwd=ROOT,
                             capture_output=True, text=True, timeout=300)
        if run.returncode != 0:
            failed.append(leave)
            assert "Traceback" not in run.stderr and run.stderr.strip().count("\n") == 0, run.stderr
            assert "free some space" in run.stderr, run.stderr
            assert _as_before(before, _state(small_disk)), leave
    assert failed, "ingest never met the full disk"
    filler.unlink()
    run = subprocess.run([*CYCLEKIT, "ingest", str(cycle_dir), *map(str, files)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr


def test_only_files_holding_a_sheet_of_the_cycle_are_kept_with_it(plant, tmp_path):
    cycle_dir = _start(plant, tmp_path / "cycle").cycle_dir
    mail = tmp_path / "mail"
    [good, *_] = _fill_all(cycle_dir, mail)
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0\n")
    link = mail / "link.xlsx"
    link.symlink_to(secret)  # a link to a file that is not a count sheet
    stranger = mail / "notes.xlsx"
    stranger.write_bytes(b"not a workbook")
    report = ingest_cycle(cycle_dir, Config(), [good, link, stranger])
    assert sorted(p.name for p in (cycle_dir / "returned").iterdir()) == [good.name]
    named = {p.file for p in report.problems}
    assert named == {str(link), str(stranger)}  # named as they were given
    recorded = [f["file"] for f in _manifest(cycle_dir)["ingests"][-1]["files"]]
    assert recorded == [f"returned/{good.name}"]
