"""The whole cycle in Google Sheets, run offline against the test suite's Sheets API fake.

The fake (tests/sheets_fake.py) answers gspread's real requests and checks every body
against Google's published Sheets v4 discovery document, so this runs cyclekit's Google path
end to end without the internet and prints what each step cost in API requests.

    python examples/demo_gsheets.py [OUT_DIR] [--locations N]

For real Google Sheets, run the same commands with --format gsheets and credentials instead
(see the README).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cyclekit import api  # noqa: E402
from cyclekit.config import load_config  # noqa: E402
from cyclekit.finalize import finalize_cycle  # noqa: E402
from cyclekit.ingest import ingest_cycle  # noqa: E402
from cyclekit.start_cycle import Selection, start_cycle  # noqa: E402
from cyclekit.workbook.gsheets import GoogleSession, GoogleTarget  # noqa: E402
from tests.sheets_fake import FakeSheets  # noqa: E402

AS_OF = dt.date(2026, 11, 23)


def run(out: Path, limit: int | None = None) -> dict[str, dict[str, int]]:
    config = load_config(ROOT / "examples" / "cyclekit.toml")
    fake = FakeSheets()
    google = GoogleTarget(GoogleSession(fake.client()), folder_id=fake.new_folder("Cycle counts"))
    costs: dict[str, dict[str, int]] = {}

    def step(name: str) -> None:
        costs[name] = {"reads": fake.count("read"), "writes": fake.count("write")}
        print(f"  {name}: {costs[name]['writes']} write and {costs[name]['reads']} read requests")
        fake.reset_counts()

    print("Google Sheets demo (offline fake of the Sheets API):")
    inventory, locations = ROOT / "examples" / "inventory.csv", ROOT / "examples" / "locations.csv"
    url = api.write_schedule(inventory, None, config, locations=locations, as_of=AS_OF, google=google).output
    step("schedule (create, batchUpdate, share with owners)")
    schedule = f"google:{url.rsplit('/', 1)[1]}"
    selection = Selection(due_within=7) if limit is None else Selection(all=True)
    report = start_cycle(schedule, inventory, out, config, selection=selection, as_of=AS_OF, google=google)
    step(f"sheets ({report.locations} locations in one spreadsheet)")

    # counters type their counts in: every line as the system says, a few off
    manifest = json.loads((out / "manifest.json").read_text())
    sheet_id = manifest["google"]["count_sheets"]["id"]
    snapshot = {}
    for line in (out / "snapshot.csv").read_text(encoding="utf-8").splitlines()[1:]:
        import csv

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
    result = ingest_cycle(out, config, google=google, results_to_google=True)
    step("ingest (one batchGet of every tab, results written to Google)")
    print(f"  {result.figures.lines_counted} lines counted, {result.figures.discrepancies} discrepancies, "
          f"{len(result.problems)} problems; results: {result.url}")

    # finance documents and approves in the Google results
    results_id = json.loads((out / "manifest.json").read_text())["google"]["results"]["id"]
    tab = fake.spreadsheets[results_id].sheet("Discrepancies")
    header = [tab.cell(f"{chr(65 + c)}1").get("userEnteredValue", {}).get("stringValue") for c in range(22)]
    for row in range(2, 2 + result.figures.discrepancies):
        for name, value in (("Root Cause", "Miscounted during cycle count"), ("Status", "Resolved"),
                            ("Approved By", "Dana Whitfield"), ("Approval Date", "2026-11-25")):
            fake.put_values(results_id, f"Discrepancies!{chr(65 + header.index(name))}{row}", [[value]])
    if result.problems:
        fake.put_values(results_id, f"Problems!G2:G{1 + len(result.problems)}",
                        [["Accepted by the lead"]] * len(result.problems))
    done = finalize_cycle(out, schedule, config, targets=["generic", "netsuite"], google=google)
    step("finalize (reads sheets and results back, moves the Google schedule on)")
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
