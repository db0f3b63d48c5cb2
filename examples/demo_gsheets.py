"""The whole cycle in Google Sheets, run offline against the test suite's Sheets API fake.

The fake (tests/sheets_fake.py) answers gspread's real requests and checks every body
against Google's published Sheets v4 discovery document, so this runs cyclekit's Google path
end to end without the internet and prints what each step cost in API requests.

    python examples/demo_gsheets.py [OUT_DIR] [--locations N]

For real Google Sheets, run the same commands with --format gsheets and credentials instead
(see the README).

``run()`` takes another plant (inventory, locations, config, as-of date), a fake and a
``watch`` hook around each stage's cyclekit call: benchmarks/gsheets_requests.py runs it on
the synthetic benchmark plant and measures every request.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cyclekit.backends.gsheets import GoogleSession, GoogleTarget  # noqa: E402
from cyclekit.config import Config, load_config  # noqa: E402
from cyclekit.stages import schedule as api  # noqa: E402
from cyclekit.stages.finalize import finalize_cycle  # noqa: E402
from cyclekit.stages.ingest import ingest_cycle  # noqa: E402
from cyclekit.stages.sheets import Selection, start_cycle  # noqa: E402
from tests.sheets_fake import FakeSheets  # noqa: E402

AS_OF = dt.date(2026, 11, 23)
EXAMPLES = ROOT / "examples"

# the stages, in order: (key, what the demo prints)
STAGES = {
    "schedule": "schedule (create, batchUpdate, share with owners)",
    "sheets": "sheets ({locations} locations in one spreadsheet)",
    "ingest": "ingest (one batchGet of every tab, results written to Google)",
    "finalize": "finalize (reads sheets and results back, moves the Google schedule on)",
}


def fill_counts(fake: FakeSheets, out: Path) -> None:
    """Counters type their counts into the Google count sheets (straight into the fake: no
    request recorded): every line as the system says, the first line of every 7th tab 2 short;
    an empty location is confirmed empty."""
    manifest = json.loads((out / "manifest.json").read_text())
    sheet_id = manifest["google"]["count_sheets"]["id"]
    snapshot = {}
    for line in (out / "snapshot.csv").read_text(encoding="utf-8").splitlines()[1:]:
        row = next(csv.reader([line]))
        snapshot[(row[0], int(row[1]))] = row[9]
    for n, record in enumerate(manifest["sheets"]):
        tab = fake.spreadsheets[sheet_id].sheet(record["tab"])
        header = [tab.cell(f"{chr(65 + c)}7").get("userEnteredValue", {}).get("stringValue") for c in range(10)]
        column = chr(65 + header.index("Floor Count"))
        values = [[snapshot[(record["location"], line)]] for line in record["lines"]]
        if values and n % 7 == 3:
            values[0] = [str(max(float(values[0][0]) - 2, 0))]
        if values:
            fake.put_values(sheet_id, f"'{record['tab']}'!{column}8:{column}{7 + len(values)}", values)
        else:  # an empty location: the counter confirms it is empty
            row = next(r for r in range(8, 40) if str(tab.cell(f"A{r}").get("userEnteredValue", {})
                                                       .get("stringValue", "")).startswith("Location confirmed empty"))
            fake.put_values(sheet_id, f"'{record['tab']}'!{column}{row}", [["YES"]])


def review(fake: FakeSheets, out: Path, discrepancies: int, problems: int) -> None:
    """Finance documents and approves every discrepancy in the Google results, and resolves
    every problem (straight into the fake: no request recorded)."""
    results_id = json.loads((out / "manifest.json").read_text())["google"]["results"]["id"]
    tab = fake.spreadsheets[results_id].sheet("Discrepancies")
    header = [tab.cell(f"{chr(65 + c)}1").get("userEnteredValue", {}).get("stringValue") for c in range(22)]
    for row in range(2, 2 + discrepancies):
        for name, value in (("Root Cause", "Miscounted during cycle count"), ("Status", "Resolved"),
                            ("Approved By", "Dana Whitfield"), ("Approval Date", "2026-11-25")):
            fake.put_values(results_id, f"Discrepancies!{chr(65 + header.index(name))}{row}", [[value]])
    if problems:
        fake.put_values(results_id, f"Problems!G2:G{1 + problems}", [["Accepted by the lead"]] * problems)


def run(out: Path, limit: int | None = None, *, inventory: Path = EXAMPLES / "inventory.csv",
        locations: Path = EXAMPLES / "locations.csv", config: Config | None = None, as_of: dt.date = AS_OF,
        targets: tuple[str, ...] = ("generic", "netsuite"), fake: FakeSheets | None = None,
        watch: Callable[[str], AbstractContextManager[Any]] | None = None) -> dict[str, dict[str, int]]:
    """The whole cycle against the fake; returns the write and read requests of each stage.

    ``watch(stage)`` (a context manager, stage in STAGES) wraps the cyclekit call(s) of each
    stage only: not the simulated counting and review, which write into the fake directly."""
    config = config or load_config(EXAMPLES / "cyclekit.toml")
    fake = fake or FakeSheets()
    watch = watch or (lambda stage: contextlib.nullcontext())
    google = GoogleTarget(GoogleSession(fake.client()), folder_id=fake.new_folder("Cycle counts"))
    costs: dict[str, dict[str, int]] = {}

    def step(name: str) -> None:
        costs[name] = {"reads": fake.count("read"), "writes": fake.count("write")}
        print(f"  {name}: {costs[name]['writes']} write and {costs[name]['reads']} read requests")
        fake.reset_counts()

    print("Google Sheets demo (offline fake of the Sheets API):")
    with watch("schedule"):
        url = api.write_schedule(inventory, None, config, locations=locations, as_of=as_of, google=google).output
    step(STAGES["schedule"])
    schedule = f"google:{url.rsplit('/', 1)[1]}"
    selection = Selection(due_within=7) if limit is None else Selection(all=True)
    with watch("sheets"):
        report = start_cycle(schedule, inventory, out, config, selection=selection, as_of=as_of, google=google)
    step(STAGES["sheets"].format(locations=report.locations))

    fill_counts(fake, out)
    with watch("ingest"):
        result = ingest_cycle(out, config, google=google, results_to_google=True)
    step(STAGES["ingest"])
    print(f"  {result.figures.lines_counted} lines counted, {result.figures.discrepancies} discrepancies, "
          f"{len(result.problems)} problems; results: {result.url}")

    review(fake, out, result.figures.discrepancies, len(result.problems))
    with watch("finalize"):
        # with [approvals] the lead signs the cycle off
        lead = config.approvals.lead_people()[0] if config.approvals else None
        done = finalize_cycle(out, schedule, config, targets=list(targets), google=google, signed_off_by=lead)
    step(STAGES["finalize"])
    print(f"  {done.adjustments} adjustments written to {out / 'adjustments'}")
    fake.assert_clean()
    print("  every request matched Google's published Sheets v4 discovery document")
    return costs


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    target = Path(args[0] if args else "workbooks/cycle-gsheets-demo")
    if target.exists():
        import shutil

        shutil.rmtree(target)
    run(target)
